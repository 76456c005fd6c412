package config

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/inferencex/inferencex-go/pkg/diag"
	"github.com/inferencex/inferencex-go/schemas"
)

func validator(t testing.TB) *schemas.Validator {
	t.Helper()
	v, err := schemas.New()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func write(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const (
	realConfigs = "../../configs/"
	febConfigs  = "../../tools/matrixgen/testdata/feb2026/"
)

// TestLoadRealConfigs loads the project's configs, today's and their
// Feb-2026 versions: the same recipes either way.
func TestLoadRealConfigs(t *testing.T) {
	v := validator(t)
	var keys [2][]string
	for i, dir := range []string{realConfigs, febConfigs} {
		t.Run(dir, func(t *testing.T) {
			m := testRealConfigs(t, v, dir)
			keys[i] = m.Keys()
		})
	}
	if strings.Join(keys[0], " ") != strings.Join(keys[1], " ") {
		t.Errorf("the Feb-2026 copy has other keys:\n%v\n%v", keys[0], keys[1])
	}
}

func testRealConfigs(t *testing.T, v *schemas.Validator, dir string) *Master {
	m, err := LoadMaster(v, []string{dir + "nvidia-master.yaml", dir + "amd-master.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := LoadRunners(v, dir+"runners.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if warnings, err := m.CheckRunners(r, RunnerCheck{}); err != nil || len(warnings) > 0 {
		t.Fatal(err, warnings)
	}
	if len(m.Entries) < 35 {
		t.Fatalf("only %d entries", len(m.Entries))
	}
	// The supported values of the original (its CLAUDE.md) are all covered.
	seen := map[string]bool{}
	for _, e := range m.Entries {
		seen["model:"+e.ModelPrefix] = true
		seen["precision:"+e.Precision] = true
		seen["framework:"+e.Framework] = true
		seen["runner:"+e.Runner] = true
		for _, slc := range e.Scenarios.FixedSeqLen {
			seen["isl:"+strconv.Itoa(slc.ISL)+"/"+strconv.Itoa(slc.OSL)] = true
			for _, s := range slc.SearchSpace {
				seen["spec:"+s.Spec()] = true
			}
		}
	}
	want := []string{"model:dsr1", "model:gptoss", "precision:fp4", "precision:fp8",
		"framework:sglang", "framework:trt", "framework:vllm", "framework:atom", "framework:dynamo-trt", "framework:dynamo-sglang", "framework:sglang-disagg",
		"runner:b200", "runner:b200-trt", "runner:b200-multinode-slurm", "runner:b300", "runner:h100", "runner:h100-multinode-slurm", "runner:h200",
		"runner:gb200", "runner:gb300", "runner:mi300x", "runner:mi325x", "runner:mi355x", "runner:mi355x-disagg",
		"isl:1024/1024", "isl:1024/8192", "isl:8192/1024", "spec:none", "spec:mtp"}
	for _, w := range want {
		if !seen[w] {
			t.Errorf("no config covers %s", w)
		}
	}
	for _, typ := range []string{"b200", "b200-trt", "b200-multinode-slurm", "b300", "h100", "h100-multinode-slurm", "h200", "h200-multinode-slurm",
		"gb200", "gb300", "mi300x", "mi325x", "mi355x", "mi355x-disagg"} {
		if len(r.Nodes[typ]) == 0 {
			t.Errorf("runners.yaml has no nodes for %s", typ)
		}
	}
	if _, ok := m.Lookup("dsr1-fp8-h200-sglang"); !ok {
		t.Error("Lookup failed")
	}
	if m.Keys()[0] != "dsr1-fp4-b200-dynamo-trt" {
		t.Errorf("keys are not in file order: %v", m.Keys()[:3])
	}
	return m
}

const entryHead = `k:
  image: img:1
  model: org/m
  model-prefix: m
  runner: h200
  precision: fp8
  framework: vllm
`

func TestLoadMasterErrors(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"float for int", entryHead + "  multinode: false\n  seq-len-configs:\n  - isl: 1024\n    osl: 1024\n    search-space:\n    - {tp: 8.0, conc-list: [1]}\n",
			"m.yaml:13:12: k.seq-len-configs[0].search-space[0].tp: expected an integer, got number 8"},
		{"end before start", entryHead + "  multinode: false\n  seq-len-configs:\n  - isl: 1024\n    osl: 1024\n    search-space:\n    - {tp: 8, conc-start: 64, conc-end: 8}\n",
			"m.yaml:13:41: k.seq-len-configs[0].search-space[0].conc-end: must be >= conc-start (64)"},
		{"not a mapping", "- a\n- b\n", "m.yaml:1:1: expected object, got array"},
		{"empty", "", "m.yaml: expected object, got null"},
		{"multinode needs workers", entryHead + "  multinode: true\n  seq-len-configs:\n  - isl: 1024\n    osl: 1024\n    search-space:\n    - {tp: 8, conc-list: [1]}\n",
			"k.seq-len-configs[0].search-space[0].prefill: required key is missing"},
		{"yes is not a boolean", entryHead + "  multinode: yes\n  seq-len-configs: []\n", `k.multinode: expected boolean, got string "yes"`},
	}
	v := validator(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			p := write(t, dir, "m.yaml", c.src)
			_, err := LoadMaster(v, []string{p})
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

func TestLoadMasterReportsEveryFile(t *testing.T) {
	dir := t.TempDir()
	a := write(t, dir, "a.yaml", "x: 1\n")
	b := write(t, dir, "b.yaml", "y: [\n")
	_, err := LoadMaster(validator(t), []string{a, filepath.Join(dir, "missing.yaml"), b})
	var l diag.List
	if !errors.As(err, &l) || len(l) != 3 {
		t.Fatalf("want 3 diagnostics, got %v", err)
	}
	if _, err := LoadMaster(validator(t), nil); err == nil {
		t.Error("no files must be an error")
	}
}

func TestCheckRunners(t *testing.T) {
	dir := t.TempDir()
	m := write(t, dir, "m.yaml", entryHead+"  multinode: false\n  seq-len-configs:\n  - isl: 1024\n    osl: 1024\n    search-space:\n    - {tp: 8, conc-list: [1]}\n")
	r := write(t, dir, "r.yaml", "b200: [b200-nv_0]\nmi300x: [mi300x-amd_0]\n")
	v := validator(t)
	master, err := LoadMaster(v, []string{m})
	if err != nil {
		t.Fatal(err)
	}
	runners, err := LoadRunners(v, r)
	if err != nil {
		t.Fatal(err)
	}
	if got := runners.Types; len(got) != 2 || got[0] != "b200" {
		t.Errorf("types %v", got)
	}
	_, err = master.CheckRunners(runners, RunnerCheck{})
	if err == nil || !strings.Contains(err.Error(), `m.yaml:5:11: k.runner: runner label "h200" is not defined in `) || !strings.Contains(err.Error(), "(defined: b200, mi300x)") {
		t.Fatalf("got %v", err)
	}
}

// FuzzLoadMaster feeds arbitrary files to the loader, seeded with the real
// configs: it must answer with entries or diagnostics, never panic or hang.
func FuzzLoadMaster(f *testing.F) {
	for _, dir := range []string{realConfigs, febConfigs, upstreamMain} {
		for _, name := range []string{"nvidia-master.yaml", "amd-master.yaml", "runners.yaml"} {
			data, err := os.ReadFile(dir + name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	for _, src := range todayCases {
		f.Add([]byte(src.src))
	}
	f.Add([]byte(entryHead + "  multinode: false\n  seq-len-configs:\n  - isl: 1024\n    osl: 1024\n    search-space:\n    - {tp: 8, conc-start: 4, conc-end: 64}\n"))
	v := validator(f)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "f.yaml")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := LoadMaster(v, []string{p})
		if err != nil {
			var l diag.List
			if !errors.As(err, &l) || len(l) == 0 {
				t.Fatalf("error is not a non-empty diag.List: %T %v", err, err)
			}
			return
		}
		for _, e := range m.Entries {
			for _, p := range e.points() {
				s := p.s
				if s.ConcStart != nil && (*s.ConcStart < 1 || s.ConcEnd == nil || *s.ConcEnd < *s.ConcStart) {
					t.Fatalf("accepted a bad range in %s", e.Key)
				}
				if e.Multinode != (s.Prefill != nil && s.Decode != nil) {
					t.Fatalf("accepted a search space of the wrong shape in %s", e.Key)
				}
				if s.Prefill == nil && s.TP%Size(s.DCPSize) != 0 {
					t.Fatalf("accepted tp %d with dcp-size %d in %s", s.TP, Size(s.DCPSize), e.Key)
				}
				if p.agentic != nil && (s.Offloading() == OffloadDRAM) != (s.KVOffloadBackend != nil) {
					t.Fatalf("accepted kv-offloading %s with backend %v in %s", s.Offloading(), s.KVOffloadBackend, e.Key)
				}
			}
			if e.Format == FormatToday && len(e.Scenarios.AgenticCoding) > 0 && !strings.HasPrefix(e.Runner, ClusterPrefix) {
				t.Fatalf("accepted agentic config %s on runner %q", e.Key, e.Runner)
			}
		}
		if _, err := LoadRunners(v, p); err != nil {
			var l diag.List
			if !errors.As(err, &l) {
				t.Fatalf("runners error is not a diag.List: %T %v", err, err)
			}
		}
	})
}

// BenchmarkLoadMaster reads, validates and decodes both real master configs.
func BenchmarkLoadMaster(b *testing.B) {
	v := validator(b)
	files := []string{realConfigs + "nvidia-master.yaml", realConfigs + "amd-master.yaml"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LoadMaster(v, files); err != nil {
			b.Fatal(err)
		}
	}
}
