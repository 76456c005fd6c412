package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/inferencex/inferencex-go/pkg/diag"
)

// todayHead is an entry of today's format up to its scenarios.
const todayHead = `k:
  image: img:1
  model: org/m
  model-prefix: m
  precision: fp8
  framework: vllm
`

const todayRunners = `labels:
  h200: [h200-nv_0]
  gb200: [gb200-nv_0]
  cluster:h200-nv: [h200-nv_0]
  cluster:gb200-nv: [gb200-nv_0]
  cluster:bare: [bare_0]
hardware:
  cluster:h200-nv: {available-cpu-dram-mib: 2_000_000, gpus-per-node: 8}
  cluster:gb200-nv: {available-cpu-dram-mib: 860_160, gpus-per-node: 4}
`

// todayCases are the rules of today's format: each src breaks one, and the
// loader (or CheckRunners) must say where, with the field path.
var todayCases = []struct {
	name, src, want string
}{
	{"ok single", todayHead + `  runner: h200
  multinode: false
  router: {name: sglang-router, version: "0.3.2"}
  scenarios:
    fixed-seq-len:
    - isl: 8192
      osl: 1024
      search-space:
      - {tp: 8, pp: 2, dcp-size: 4, pcp-size: 1, conc-start: 1, conc-end: 4}
`, ""},
	{"ok agentic", todayHead + `  runner: cluster:h200-nv
  multinode: false
  scenarios:
    agentic-coding:
    - dram-utilization: 0.8
      search-space:
      - {tp: 8, kv-offloading: dram, kv-offload-backend: {name: hicache}, conc-list: [1, 2]}
      - {tp: 4, kv-offloading: none, conc-start: 1, conc-end: 8}
`, ""},
	{"ok multi", todayHead + `  runner: gb200
  multinode: true
  disagg: true
  scenarios:
    fixed-seq-len:
    - isl: 1024
      osl: 1024
      search-space:
      - conc-list: [4]
        kv-p2p-transfer: nixl
        prefill: {hardware: b200, num-worker: 1, tp: 4, ep: 4, dp-attn: true}
        decode: {hardware: h100, num-worker: 1, tp: 8, dcp-size: 2, ep: 8, dp-attn: true}
`, ""},
	{"tp not divisible by dcp", todayHead + `  runner: h200
  multinode: false
  scenarios:
    fixed-seq-len:
    - isl: 8192
      osl: 1024
      search-space:
      - {tp: 8, dcp-size: 3, conc-list: [4]}
`, "m.yaml:14:27: k.scenarios.fixed-seq-len[0].search-space[0].dcp-size: tp (8) must be divisible by dcp-size (3)"},
	{"worker tp not divisible by dcp", todayHead + `  runner: gb200
  multinode: true
  scenarios:
    fixed-seq-len:
    - isl: 1024
      osl: 1024
      search-space:
      - conc-list: [4]
        prefill: {num-worker: 1, tp: 4, ep: 4, dp-attn: true}
        decode: {num-worker: 1, tp: 6, dcp-size: 4, ep: 8, dp-attn: true}
`, "m.yaml:16:50: k.scenarios.fixed-seq-len[0].search-space[0].decode.dcp-size: tp (6) must be divisible by dcp-size (4)"},
	{"router twice", todayHead + `  runner: h200
  multinode: false
  router: {name: r, version: "1"}
  scenarios:
    fixed-seq-len:
    - isl: 8192
      osl: 1024
      search-space:
      - {tp: 8, router: {name: r, version: "2"}, conc-list: [4]}
`, "m.yaml:15:17: k.scenarios.fixed-seq-len[0].search-space[0].router: router is also set at the top level of the config (line 9)"},
	{"kv-p2p-transfer twice", todayHead + `  runner: gb200
  multinode: true
  kv-p2p-transfer: nixl
  scenarios:
    fixed-seq-len:
    - isl: 1024
      osl: 1024
      search-space:
      - conc-list: [4]
        kv-p2p-transfer: mooncake
        prefill: {num-worker: 1, tp: 4, ep: 4, dp-attn: true}
        decode: {num-worker: 1, tp: 8, ep: 8, dp-attn: true}
`, "m.yaml:16:9: k.scenarios.fixed-seq-len[0].search-space[0].kv-p2p-transfer: kv-p2p-transfer is also set at the top level of the config (line 9)"},
	{"disagg without kv-p2p-transfer", todayHead + `  runner: gb200
  multinode: true
  disagg: true
  scenarios:
    fixed-seq-len:
    - isl: 1024
      osl: 1024
      search-space:
      - conc-list: [4]
        prefill: {num-worker: 1, tp: 4, ep: 4, dp-attn: true}
        decode: {num-worker: 1, tp: 8, ep: 8, dp-attn: true}
`, "m.yaml:15:9: k.scenarios.fixed-seq-len[0].search-space[0]: disagg: true needs kv-p2p-transfer"},
	{"kv-p2p-transfer on single node", todayHead + `  runner: h200
  multinode: false
  kv-p2p-transfer: nixl
  scenarios:
    fixed-seq-len:
    - {isl: 1024, osl: 1024, search-space: [{tp: 8, conc-list: [4]}]}
`, "m.yaml:9:20: k.kv-p2p-transfer: kv-p2p-transfer is only valid in a multinode: true config"},
	{"hardware on one worker", todayHead + `  runner: gb200
  multinode: true
  scenarios:
    fixed-seq-len:
    - isl: 1024
      osl: 1024
      search-space:
      - conc-list: [4]
        prefill: {hardware: b200, num-worker: 1, tp: 4, ep: 4, dp-attn: true}
        decode: {num-worker: 1, tp: 8, ep: 8, dp-attn: true}
`, "m.yaml:16:17: k.scenarios.fixed-seq-len[0].search-space[0].decode: hardware is set on one worker only"},
	{"agentic on a non-cluster runner", todayHead + `  runner: h200
  multinode: false
  scenarios:
    agentic-coding:
    - search-space:
      - {tp: 8, kv-offloading: none, conc-list: [1]}
`, `m.yaml:7:11: k.runner: an agentic-coding config must run on an exact cluster:<name> runner label`},
	{"agentic runner missing from runners.yaml", todayHead + `  runner: cluster:h200-cw
  multinode: false
  scenarios:
    agentic-coding:
    - search-space:
      - {tp: 8, kv-offloading: none, conc-list: [1]}
`, `m.yaml:7:11: k.runner: runner label "cluster:h200-cw" is not defined in r.yaml`},
	{"fixed-seq-len runner missing from runners.yaml", todayHead + `  runner: h200-elsewhere
  multinode: false
  scenarios:
    fixed-seq-len:
    - {isl: 1024, osl: 1024, search-space: [{tp: 8, conc-list: [4]}]}
`, `m.yaml:7:11: k.runner: runner label "h200-elsewhere" is not defined in r.yaml (defined: cluster:bare, cluster:gb200-nv, cluster:h200-nv, gb200, h200); add it under labels: there (or pass --allow-unlisted-runners to only warn)`},
	{"fixed-seq-len runner named without cluster:", todayHead + `  runner: h200-nv
  multinode: false
  scenarios:
    fixed-seq-len:
    - {isl: 1024, osl: 1024, search-space: [{tp: 8, conc-list: [4]}]}
`, `m.yaml:7:11: k.runner: runner label "h200-nv" is not defined in r.yaml; did you mean "cluster:h200-nv"? (defined: `},
	{"fixed-seq-len runner label misspelt", todayHead + `  runner: h20
  multinode: false
  scenarios:
    fixed-seq-len:
    - {isl: 1024, osl: 1024, search-space: [{tp: 8, conc-list: [4]}]}
`, `m.yaml:7:11: k.runner: runner label "h20" is not defined in r.yaml; did you mean "h200"? (defined: `},
	{"dram without backend", todayHead + `  runner: cluster:h200-nv
  multinode: false
  scenarios:
    agentic-coding:
    - dram-utilization: 0.5
      search-space:
      - {tp: 8, kv-offloading: dram, conc-list: [1]}
`, "m.yaml:13:9: k.scenarios.agentic-coding[0].search-space[0]: kv-offloading: dram needs kv-offload-backend"},
	{"backend without dram", todayHead + `  runner: cluster:h200-nv
  multinode: false
  scenarios:
    agentic-coding:
    - search-space:
      - {tp: 8, kv-offloading: none, kv-offload-backend: {name: hicache}, conc-list: [1]}
`, "m.yaml:12:38: k.scenarios.agentic-coding[0].search-space[0].kv-offload-backend: kv-offload-backend is only valid with kv-offloading: dram"},
	{"dram without utilization", todayHead + `  runner: cluster:h200-nv
  multinode: false
  scenarios:
    agentic-coding:
    - search-space:
      - {tp: 8, kv-offloading: dram, kv-offload-backend: {name: hicache}, conc-list: [1]}
`, "m.yaml:12:32: k.scenarios.agentic-coding[0].search-space[0].kv-offloading: kv-offloading: dram needs dram-utilization"},
	{"dram utilization above 1", todayHead + `  runner: cluster:h200-nv
  multinode: false
  scenarios:
    agentic-coding:
    - dram-utilization: 1.2
      search-space:
      - {tp: 8, kv-offloading: none, conc-list: [1]}
`, "m.yaml:11:25: k.scenarios.agentic-coding[0].dram-utilization: must be in (0, 1]"},
	{"dram utilization zero", todayHead + `  runner: cluster:h200-nv
  multinode: false
  scenarios:
    agentic-coding:
    - dram-utilization: 0
      search-space:
      - {tp: 8, kv-offloading: none, conc-list: [1]}
`, "m.yaml:11:25: k.scenarios.agentic-coding[0].dram-utilization: must be in (0, 1]"},
	{"dram on a runner without hardware", todayHead + `  runner: cluster:bare
  multinode: false
  scenarios:
    agentic-coding:
    - dram-utilization: 0.5
      search-space:
      - {tp: 8, kv-offloading: dram, kv-offload-backend: {name: hicache}, conc-list: [1]}
`, `m.yaml:13:32: k.scenarios.agentic-coding[0].search-space[0].kv-offloading: kv-offloading: dram is sized from the hardware of runner "cluster:bare"`},
	{"dram topology larger than the node", todayHead + `  runner: cluster:gb200-nv
  multinode: false
  scenarios:
    agentic-coding:
    - dram-utilization: 0.5
      search-space:
      - {tp: 4, pp: 2, kv-offloading: dram, kv-offload-backend: {name: hicache}, conc-list: [1]}
`, `m.yaml:13:9: k.scenarios.agentic-coding[0].search-space[0]: tp=4 with pp=2 and pcp-size=1 needs 8 GPUs, more than gpus-per-node=4 (runner "cluster:gb200-nv")`},
	{"dram prefill not tiling the node", todayHead + `  runner: cluster:gb200-nv
  multinode: true
  scenarios:
    agentic-coding:
    - dram-utilization: 0.5
      search-space:
      - conc-list: [1]
        kv-offloading: dram
        kv-offload-backend: {name: lmcache, version: "0.3"}
        prefill: {num-worker: 1, tp: 3, ep: 1, dp-attn: false}
        decode: {num-worker: 1, tp: 4, ep: 1, dp-attn: false}
`, `m.yaml:13:9: k.scenarios.agentic-coding[0].search-space[0]: prefill tp*pp*pcp-size=3 does not divide gpus-per-node=4 evenly`},
	{"agentic tp on a multinode config", todayHead + `  runner: cluster:gb200-nv
  multinode: true
  scenarios:
    agentic-coding:
    - search-space:
      - {tp: 8, kv-offloading: none, conc-list: [1]}
`, "m.yaml:12:10: k.scenarios.agentic-coding[0].search-space[0].tp: unknown key"},
	{"agentic duration", todayHead + `  runner: cluster:h200-nv
  multinode: false
  scenarios:
    agentic-coding:
    - duration: 1800
      search-space:
      - {tp: 8, kv-offloading: none, conc-list: [1]}
`, "m.yaml:11:7: k.scenarios.agentic-coding[0].duration: unknown key"},
	{"router version is an image", todayHead + `  runner: h200
  multinode: false
  router: {name: r, version: "image:lmsysorg/sglang:v0.5"}
  scenarios:
    fixed-seq-len:
    - {isl: 1024, osl: 1024, search-space: [{tp: 8, conc-list: [4]}]}
`, "m.yaml:9:30: k.router.version: must be the component's own release"},
	{"pp as a string", todayHead + `  runner: h200
  multinode: false
  scenarios:
    fixed-seq-len:
    - {isl: 1024, osl: 1024, search-space: [{tp: 8, pp: "2", conc-list: [4]}]}
`, `m.yaml:11:57: k.scenarios.fixed-seq-len[0].search-space[0].pp: expected integer, got string "2"`},
	{"unknown key in scenarios", todayHead + `  runner: h200
  multinode: false
  scenarios:
    fixed-seq-len:
    - {isl: 1024, osl: 1024, search-space: [{tp: 8, conc-list: [4]}]}
    long-context: []
`, "m.yaml:12:5: k.scenarios.long-context: unknown key (expected one of: agentic-coding, fixed-seq-len)"},
	{"both formats in one entry", todayHead + `  runner: h200
  multinode: false
  scenarios: {}
  seq-len-configs: []
`, "m.yaml:10:3: k.seq-len-configs: an entry has either scenarios (today's format) or seq-len-configs (the Feb-2026 format), not both"},
	{"both formats in one file", todayHead + `  runner: h200
  multinode: false
  scenarios:
    fixed-seq-len:
    - {isl: 1024, osl: 1024, search-space: [{tp: 8, conc-list: [4]}]}
old:
  image: img:1
  model: org/m
  model-prefix: m
  precision: fp8
  framework: vllm
  runner: h200
  multinode: false
  seq-len-configs:
  - {isl: 1024, osl: 1024, search-space: [{tp: 8, conc-list: [4]}]}
`, "m.yaml:12:1: old: this entry is in the Feb-2026 format (seq-len-configs) but k (line 1) is in today's format (scenarios): one file holds one format"},
}

func TestTodayRules(t *testing.T) {
	v := validator(t)
	for _, c := range todayCases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			m := write(t, dir, "m.yaml", c.src)
			r := write(t, dir, "r.yaml", todayRunners)
			master, err := LoadMaster(v, []string{m})
			if err == nil {
				runners, rerr := LoadRunners(v, r)
				if rerr != nil {
					t.Fatal(rerr)
				}
				_, err = master.CheckRunners(runners, RunnerCheck{})
			}
			if c.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var l diag.List
			if !errors.As(err, &l) {
				t.Fatalf("want a diag.List, got %v", err)
			}
			got := strings.ReplaceAll(err.Error(), dir+"/", "")
			if !strings.Contains(got, c.want) {
				t.Fatalf("got\n%s\nwant it to contain\n%s", got, c.want)
			}
		})
	}
}

func TestFormatsDoNotMix(t *testing.T) {
	v := validator(t)
	dir := t.TempDir()
	today := write(t, dir, "today.yaml", todayCases[0].src)
	feb := write(t, dir, "feb.yaml", "f:\n  image: i\n  model: m\n  model-prefix: m\n  precision: fp8\n  framework: vllm\n  runner: h200\n  multinode: false\n"+
		"  seq-len-configs:\n  - {isl: 1024, osl: 1024, search-space: [{tp: 8, conc-list: [4]}]}\n")
	_, err := LoadMaster(v, []string{today, feb})
	want := "feb.yaml:1:1: f: this file is in the Feb-2026 format (seq-len-configs) but " + today + " is in today's format (scenarios)"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	m, err := LoadMaster(v, []string{feb})
	if err != nil || m.Format != FormatFeb2026 || len(m.Entries[0].Scenarios.FixedSeqLen) != 1 {
		t.Fatalf("a Feb-2026 file alone: %v %+v", err, m)
	}
}

func TestRunnersFormats(t *testing.T) {
	v := validator(t)
	dir := t.TempDir()
	for _, c := range []struct {
		src    string
		format Format
		types  string
	}{
		{todayRunners, FormatToday, "h200 gb200 cluster:h200-nv cluster:gb200-nv cluster:bare"},
		{"b200: [b200-nv_0]\nh200: [h200-nv_0, h200-nv_1]\n", FormatFeb2026, "b200 h200"},
		{"labels: {labels_x: [a_0]}\n", FormatToday, "labels_x"},
	} {
		r, err := LoadRunners(v, write(t, dir, "r.yaml", c.src))
		if err != nil {
			t.Fatal(err)
		}
		if r.Format != c.format || strings.Join(r.Types, " ") != c.types {
			t.Errorf("%q: format %v types %v", c.src, r.Format, r.Types)
		}
	}
	r, err := LoadRunners(v, write(t, dir, "r.yaml", todayRunners))
	if err != nil {
		t.Fatal(err)
	}
	if hw := r.Hardware["cluster:h200-nv"]; hw.AvailableCPUDRAMMiB != 2000000 || hw.GPUsPerNode != 8 {
		t.Errorf("hardware %+v", hw)
	}
	_, err = LoadRunners(v, write(t, dir, "r.yaml", "labels: {h200: [a_0]}\nhardware: {cluster:x: {gpus-per-node: 8}}\n"))
	if err == nil || !strings.Contains(err.Error(), `r.yaml:2:23: hardware["cluster:x"].available-cpu-dram-mib: required key is missing`) {
		t.Errorf("got %v", err)
	}
}

func TestOffloadGPUs(t *testing.T) {
	two, four := 2, 4
	cases := []struct {
		s    SearchSpace
		gpn  int
		want int
		err  string
	}{
		{SearchSpace{TP: 4}, 8, 4, ""},
		{SearchSpace{TP: 4, PP: &two}, 8, 8, ""},
		{SearchSpace{TP: 4, PCPSize: &four}, 8, 0, "needs 16 GPUs"},
		{SearchSpace{Prefill: &Worker{TP: 16}}, 8, 8, ""},
		{SearchSpace{Prefill: &Worker{TP: 12}}, 8, 0, "not a multiple of gpus-per-node=8"},
		{SearchSpace{Prefill: &Worker{TP: 2, PP: &two}}, 8, 4, ""},
		{SearchSpace{Prefill: &Worker{TP: 3}}, 8, 0, "does not divide gpus-per-node=8"},
	}
	for _, c := range cases {
		got, err := OffloadGPUs(c.s, c.gpn)
		if got != c.want || (err == nil) != (c.err == "") || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%+v on %d: %d, %v", c.s, c.gpn, got, err)
		}
	}
}
