package sweep

import (
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/inferencex/inferencex-go/pkg/config"
	"github.com/inferencex/inferencex-go/schemas"
)

const todayRunners = `labels:
  h200: [h200-cw_0, h200-nb_0, h200-nv_0]
  gb200: [gb200-nv_0, gb200-nv_1]
  cluster:h200-nv: [h200-nv_0, h200-nv_1]
  cluster:gb200-nv: [gb200-nv_0]
hardware:
  cluster:h200-nv: {available-cpu-dram-mib: 2_000_000, gpus-per-node: 8}
  cluster:gb200-nv: {available-cpu-dram-mib: 860_160, gpus-per-node: 4}
`

// loadToday reads a master config of today's format with todayRunners.
func loadToday(t testing.TB, master string) (*config.Master, *config.Runners) {
	t.Helper()
	dir := t.TempDir()
	mf, rf := filepath.Join(dir, "m.yaml"), filepath.Join(dir, "r.yaml")
	if err := os.WriteFile(mf, []byte(master), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rf, []byte(todayRunners), 0o644); err != nil {
		t.Fatal(err)
	}
	v, err := schemas.New()
	if err != nil {
		t.Fatal(err)
	}
	m, err := config.LoadMaster(v, []string{mf})
	if err != nil {
		t.Fatal(err)
	}
	r, err := config.LoadRunners(v, rf)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.CheckRunners(r, config.RunnerCheck{}); err != nil {
		t.Fatal(err)
	}
	return m, r
}

func todayEntry(key, runner string, multinode bool, body string) string {
	mn := "false"
	if multinode {
		mn = "true"
	}
	return key + ":\n" + header + "  runner: " + runner + "\n  multinode: " + mn + "\n" + body
}

func TestDRAMBudgetGB(t *testing.T) {
	cases := []struct {
		util float64
		mib  int64
		gpn  int
		gpus int
		want int64
	}{
		// 2_000_000 MiB * 1048576 * 0.8 * 8/8 / 1e9 = 1677.7216 GB
		{0.8, 2_000_000, 8, 8, 1677},
		{0.8, 2_000_000, 8, 4, 838},
		// the 3 TB cap: 2_861_022 MiB * 1048576 / 1e9 = 2999.999...
		{1, 3_095_781, 8, 8, 2999},
		{0.95, 860_160, 4, 1, 214},
		// a share that does not divide evenly (2/6): 489.33...
		{0.7, 2_000_000, 6, 2, 489},
	}
	for _, c := range cases {
		got := DRAMBudgetGB(c.util, config.Hardware{AvailableCPUDRAMMiB: c.mib, GPUsPerNode: c.gpn}, c.gpus)
		if got != c.want {
			t.Errorf("DRAMBudgetGB(%v, %d MiB, %d/%d) = %d, want %d", c.util, c.mib, c.gpus, c.gpn, got, c.want)
		}
	}
}

func TestDecimal28(t *testing.T) {
	cases := []struct{ in, want string }{
		{"1/3", "0.3333333333333333333333333333"},
		{"2/3", "0.6666666666666666666666666667"},
		{"123456789012345678901234567891/1", "123456789012345678901234567900"}, // 30 digits, rounds up
		{"123456789012345678901234567850/1", "123456789012345678901234567800"}, // a tie: half to even (...78 stays)
		{"123456789012345678901234567950/1", "123456789012345678901234568000"}, // a tie: half to even (...79 goes up)
		{"-5/3", "-1.666666666666666666666666667"},
		{"0", "0"},
	}
	for _, c := range cases {
		in, _ := new(big.Rat).SetString(c.in)
		want, _ := new(big.Rat).SetString(c.want)
		if got := decimal28(in); got.Cmp(want) != 0 {
			t.Errorf("decimal28(%s) = %s, want %s", c.in, got.FloatString(30), c.want)
		}
	}
}

func TestFnmatch(t *testing.T) {
	cases := []struct {
		pattern, name string
		want          bool
	}{
		{"dsr1-*", "dsr1-fp8-h200-sglang", true},
		{"*-sglang", "dsr1-fp8-h200-sglang", true},
		{"*-sglang", "dsr1-fp8-h200-sglang-mtp", false},
		{"dsr1-fp?-h200-*", "dsr1-fp8-h200-sglang", true},
		{"dsr1-fp?-h200-*", "dsr1-fp16-h200-sglang", false},
		{"dsr1-fp[48]-*", "dsr1-fp4-b200-trt", true},
		{"dsr1-fp[!48]-*", "dsr1-fp4-b200-trt", false},
		{"dsr1-fp[!48]-*", "dsr1-fp6-b200-trt", true},
		{"gptoss-fp[0-9]-*", "gptoss-fp4-h100-vllm", true},
		{"a[", "a[", true},
		{"a[b", "a[b", true},
		{"[]]x", "]x", true},
		{"*a*a*", "banana", true},
		{"*", "", true},
		{"?", "", false},
	}
	for _, c := range cases {
		if got := Fnmatch(c.pattern, c.name); got != c.want {
			t.Errorf("Fnmatch(%q, %q) = %v, want %v", c.pattern, c.name, got, c.want)
		}
	}
}

func TestTodayRows(t *testing.T) {
	m, r := loadToday(t, todayEntry("k", "h200", false, `  router: {name: r, version: "1"}
  scenarios:
    fixed-seq-len:
    - isl: 1024
      osl: 8192
      search-space:
      - {tp: 8, pp: 2, dcp-size: 4, conc-list: [4]}
`)+todayEntry("mk", "gb200", true, `  disagg: true
  kv-p2p-transfer: nixl
  scenarios:
    fixed-seq-len:
    - isl: 8192
      osl: 1024
      search-space:
      - conc-list: [4, 32]
        prefill: {hardware: b200, num-worker: 1, tp: 4, ep: 4, dp-attn: true, additional-settings: ["A=1"]}
        decode: {hardware: h100, num-worker: 2, tp: 8, pcp-size: 2, ep: 8, dp-attn: true}
`))
	got, err := FullSweep(m, r, FullSweepOptions{StepSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d jobs (today's full sweep takes both kinds by default)", len(got))
	}
	s := got[0].(*SingleNodeEntry)
	if *s.PP != 2 || *s.DCPSize != 4 || *s.PCPSize != 1 || s.MaxModelLen != 1024+8192+256 || s.ExpName != "m_1024_8192" || s.Router == nil || s.Router.Version != "1" {
		t.Errorf("single-node job %+v", s)
	}
	x := got[1].(*MultiNodeEntry)
	if x.KVP2PTransfer != "nixl" || x.Prefill.Hardware != "b200" || *x.Decode.PCPSize != 2 || *x.Prefill.PP != 1 || x.MaxModelLen != 9472 || x.ExpName != "m_8k1k" {
		t.Errorf("multi-node job %+v", x)
	}
	if !x.Prefill.settingsWritten || x.Decode.settingsWritten || x.Decode.AdditionalSettings == nil {
		t.Errorf("additional-settings: %+v %+v", x.Prefill, x.Decode)
	}
}

func TestAgenticRows(t *testing.T) {
	m, r := loadToday(t, todayEntry("ag", "cluster:h200-nv", false, `  scenarios:
    agentic-coding:
    - dram-utilization: 0.8
      search-space:
      - {tp: 4, kv-offloading: dram, kv-offload-backend: {name: hicache}, spec-decoding: mtp, conc-list: [8, 32]}
      - {tp: 8, ep: 8, dp-attn: true, kv-offloading: none, conc-start: 1, conc-end: 4}
`)+todayEntry("agm", "cluster:gb200-nv", true, `  disagg: true
  kv-p2p-transfer: nixl
  scenarios:
    agentic-coding:
    - dram-utilization: 0.5
      search-space:
      - conc-list: [16, 64]
        kv-offloading: dram
        kv-offload-backend: {name: lmcache, version: "0.3.1"}
        prefill: {num-worker: 2, tp: 2, ep: 2, dp-attn: false}
        decode: {num-worker: 1, tp: 4, ep: 1, dp-attn: true}
`))
	got, err := FullSweep(m, r, FullSweepOptions{StepSize: 2, MaxConc: intp(32)})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range got {
		switch x := e.(type) {
		case *AgenticSingleNodeEntry:
			names = append(names, x.ExpName)
			if x.Duration != 3600 || x.ScenarioType != ScenarioAgentic || x.RunEval != nil {
				t.Errorf("job %+v", x)
			}
			if x.KVOffloading == "dram" && x.TotalCPUDRAMGB != 838 { // 2e6 MiB * 0.8 * 4/8
				t.Errorf("DRAM budget %d", x.TotalCPUDRAMGB)
			}
		case *AgenticMultiNodeEntry:
			names = append(names, x.ExpName)
			if x.TotalCPUDRAMGB != 225 || x.KVOffloadBackend.Version != "0.3.1" { // 860160 MiB * 0.5 * 2/4
				t.Errorf("job %+v", x)
			}
		}
	}
	want := []string{"m_tp4_conc8_kvdram-hicache_spec-mtp", "m_tp4_conc32_kvdram-hicache_spec-mtp",
		"m_tp8_conc1_kvnone", "m_tp8_conc2_kvnone", "m_tp8_conc4_kvnone",
		"m_p2x2ep2_d1x4dpa_conc16_kvdram-lmcache"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("exp-names\n%v\nwant\n%v", names, want)
	}
	// Agentic jobs ignore --seq-lens and --max-tp, and --scenario-type
	// drops them.
	got, _ = FullSweep(m, r, FullSweepOptions{StepSize: 2, MaxTP: intp(1), SeqLens: []SeqLen{SeqLen1k1k}})
	if len(got) != 7 {
		t.Errorf("%d jobs with --max-tp 1 --seq-lens 1k1k", len(got))
	}
	got, _ = FullSweep(m, r, FullSweepOptions{StepSize: 2, Scenarios: []string{ScenarioFixedSeqLen}})
	if len(got) != 0 {
		t.Errorf("%d jobs with --scenario-type fixed-seq-len", len(got))
	}
}

// TestMarkEvalsToday covers today's policy: 8k1k only, conc >= 16, the
// highest and the median concurrency per group; one multi-node job per
// topology at its highest eligible concurrency.
func TestMarkEvalsToday(t *testing.T) {
	mk := func(conc int, sl SeqLen) *SingleNodeEntry {
		return &SingleNodeEntry{Model: "m", Runner: "r", Framework: "f", Precision: "p", ISL: sl.ISL, OSL: sl.OSL, TP: 8, Conc: conc, SpecDecoding: "none"}
	}
	w := Worker{NumWorker: 1, TP: 4, EP: 4, AdditionalSettings: []string{}}
	mn := func(conc ...int) *MultiNodeEntry {
		return &MultiNodeEntry{Model: "m", ISL: 8192, OSL: 1024, Prefill: w, Decode: w, Conc: conc, ExpName: "m_8k1k"}
	}
	entries := []Entry{
		mk(4, SeqLen8k1k), mk(16, SeqLen8k1k), mk(32, SeqLen8k1k), mk(64, SeqLen8k1k), mk(128, SeqLen8k1k), // eligible 16..128: median 64, top 128
		mk(256, SeqLen1k1k),
		mn(4, 8), mn(16, 24), mn(48), // one topology: the job holding 48
		&AgenticSingleNodeEntry{Model: "m", Conc: 4},
	}
	if err := MarkEvals(entries, false); err != nil {
		t.Fatal(err)
	}
	var marked []int
	for i, e := range entries {
		if RunsEval(e) {
			marked = append(marked, i)
		}
	}
	if want := []int{3, 4, 8}; !reflect.DeepEqual(marked, want) {
		t.Errorf("marked %v, want %v", marked, want)
	}
	if c := entries[8].(*MultiNodeEntry).EvalConc; c == nil || *c != 48 {
		t.Errorf("eval-conc %v", c)
	}
	if ag := entries[9].(*AgenticSingleNodeEntry); ag.RunEval == nil || *ag.RunEval {
		t.Errorf("agentic run-eval %v (evals considered: false, not absent)", ag.RunEval)
	}
	all, err := MarkAllEvals(entries)
	if err != nil {
		t.Fatal(err)
	}
	rows := SelectEvalRows(all)
	// five 8k1k single-node jobs, one merged multi-node job, the agentic job
	if len(rows) != 7 {
		t.Fatalf("%d eval rows", len(rows))
	}
	merged := rows[5].(*MultiNodeEntry)
	if !reflect.DeepEqual(merged.Conc, []int{4, 8, 16, 24, 48}) || merged.EvalConc != nil || merged.EvalAllConcs == nil || !*merged.EvalAllConcs || !*merged.EvalOnly {
		t.Errorf("merged multi-node eval job %+v", merged)
	}
}

func TestRecipeFingerprint(t *testing.T) {
	w := Worker{NumWorker: 1, TP: 4, EP: 4, AdditionalSettings: []string{}}
	a := &MultiNodeEntry{Image: "i", ISL: 8192, OSL: 1024, Prefill: w, Decode: w, Conc: []int{4}, ExpName: "x_8k1k"}
	fp := func(e Entry) string {
		s, err := RecipeFingerprint(e)
		if err != nil {
			t.Fatal(err)
		}
		if len(s) != 64 || strings.Trim(s, "0123456789abcdef") != "" {
			t.Fatalf("fingerprint %q", s)
		}
		return s
	}
	base := fp(a)
	b := *a
	b.Conc, b.ExpName, b.RecipeFingerprint = []int{8, 16}, "other", base
	if fp(&b) != base {
		t.Error("the fingerprint depends on conc, exp-name or itself")
	}
	c := *a
	c.Image = "j"
	if fp(&c) == base {
		t.Error("the fingerprint ignores the image")
	}
	// An additional-settings list the config wrote counts, one it did not
	// write does not (as in the original, which copies workers as written).
	d := *a
	d.Prefill.settingsWritten = true
	if fp(&d) == base {
		t.Error("a written additional-settings does not count")
	}
}

// translate is Python's fnmatch.translate, simplified: the reference that
// FuzzFnmatch holds Fnmatch to.
func translate(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^(?s:")
	p := []rune(pattern)
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '[':
			end, ok := classEnd(p, i)
			if !ok {
				b.WriteString(`\[`)
				continue
			}
			body := p[i+1 : end]
			neg := len(body) > 0 && body[0] == '!'
			if neg {
				body = body[1:]
			}
			var cls strings.Builder
			for j := 0; j < len(body); j++ {
				if j+2 < len(body) && body[j+1] == '-' {
					if body[j] <= body[j+2] {
						cls.WriteString(regexp.QuoteMeta(string(body[j])) + "-" + regexp.QuoteMeta(string(body[j+2])))
					}
					j += 2
					continue
				}
				cls.WriteString(regexp.QuoteMeta(string(body[j])))
			}
			switch {
			case cls.Len() == 0 && neg:
				b.WriteString(".")
			case cls.Len() == 0:
				b.WriteString("[^\\x00-\\x{10FFFF}]")
			case neg:
				b.WriteString("[^" + cls.String() + "]")
			default:
				b.WriteString("[" + cls.String() + "]")
			}
			i = end
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(")$")
	return regexp.MustCompile(b.String())
}

// FuzzFnmatch holds the glob matcher (a parser of patterns) to a regular
// expression translation of the same rules.
func FuzzFnmatch(f *testing.F) {
	for _, s := range [][2]string{{"dsr1-*", "dsr1-fp8-h200-sglang"}, {"*a*a*", "banana"}, {"x[!ab]?", "xcd"}, {"[]]x", "]x"}, {"a[", "a["}, {"[a-c]*", "b"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		if !utf8.ValidString(pattern) || !utf8.ValidString(name) || len(pattern) > 64 || len(name) > 64 {
			return
		}
		if got, want := Fnmatch(pattern, name), translate(pattern).MatchString(name); got != want {
			t.Fatalf("Fnmatch(%q, %q) = %v, the translation says %v", pattern, name, got, want)
		}
	})
}
