package sweep

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/inferencex/inferencex-go/pkg/config"
	"github.com/inferencex/inferencex-go/pkg/diag"
	"github.com/inferencex/inferencex-go/schemas"
)

func intp(v int) *int { return &v }

func TestExpandConc(t *testing.T) {
	cases := []struct {
		start, end, step int
		want             []int
	}{
		{4, 64, 2, []int{4, 8, 16, 32, 64}},
		{3, 50, 2, []int{3, 6, 12, 24, 48, 50}},
		{4, 4, 2, []int{4}},
		{1, 100, 10, []int{1, 10, 100}},
		{1, 99, 10, []int{1, 10, 99}},
		{5, 7, 4, []int{5, 7}},
		{1 << 40, 1<<62 + 1, 1 << 30, []int{1 << 40, 1<<62 + 1}}, // no overflow
	}
	for _, c := range cases {
		if got := ExpandConc(c.start, c.end, c.step); !reflect.DeepEqual(got, c.want) {
			t.Errorf("ExpandConc(%d, %d, %d) = %v, want %v", c.start, c.end, c.step, got, c.want)
		}
	}
}

func TestSeqLen(t *testing.T) {
	for _, f := range []config.Format{config.FormatFeb2026, config.FormatToday} {
		for _, name := range SeqLenNames(f) {
			sl, ok := ParseSeqLen(f, name)
			if !ok || sl.Name(f) != name {
				t.Errorf("%v: %s round trips to %v", f, name, sl)
			}
		}
		if s := (SeqLen{2048, 128}).Name(f); s != "2048_128" {
			t.Errorf("got %s", s)
		}
		if _, ok := ParseSeqLen(f, "2k2k"); ok {
			t.Error("2k2k is not a known sequence length")
		}
	}
	// Today's format has no 1k8k name (upstream dropped it).
	if _, ok := ParseSeqLen(config.FormatToday, "1k8k"); ok {
		t.Error("1k8k parsed in today's format")
	}
	if s := SeqLen1k8k.Name(config.FormatToday); s != "1024_8192" {
		t.Errorf("today's name of 1024/8192: %s", s)
	}
	if s := SeqLen1k8k.Name(config.FormatFeb2026); s != "1k8k" {
		t.Errorf("Feb-2026 name of 1024/8192: %s", s)
	}
}

// load reads a master config (and the small runner pool) from text.
func load(t testing.TB, master string) (*config.Master, *config.Runners) {
	t.Helper()
	dir := t.TempDir()
	mf, rf := filepath.Join(dir, "m.yaml"), filepath.Join(dir, "r.yaml")
	runners := "h200: [h200-cw_0, h200-nb_0, h200-nv_0]\ngb200: [gb200-nv_0, gb200-nv_1]\nmi300x: [mi300x-amd_0]\n"
	if err := os.WriteFile(mf, []byte(master), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rf, []byte(runners), 0o644); err != nil {
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
	return m, r
}

const header = `  image: img:1
  model: org/m
  model-prefix: m
  precision: fp8
  framework: vllm
`

func single(key, runner, space string) string {
	return key + ":\n" + header + "  runner: " + runner + "\n  multinode: false\n  seq-len-configs:\n" + space
}

func multi(key, runner, space string) string {
	return key + ":\n" + header + "  runner: " + runner + "\n  multinode: true\n  disagg: true\n  seq-len-configs:\n" + space
}

const workers = `      prefill: {num-worker: 1, tp: 4, ep: 4, dp-attn: true}
      decode: {num-worker: 1, tp: 8, ep: 8, dp-attn: true}
`

// concs lists the concurrency of each single-node entry.
func concs(t *testing.T, entries []Entry) []int {
	t.Helper()
	var out []int
	for _, e := range entries {
		s, ok := e.(*SingleNodeEntry)
		if !ok {
			t.Fatalf("entry %T is not single-node", e)
		}
		out = append(out, s.Conc)
	}
	return out
}

// TestFullSweepConcListSingleNode covers a bug of the original: full-sweep
// crashed (KeyError 'conc-start') on a single-node conc-list. The list is
// honoured, trimmed by --min-conc/--max-conc like a multi-node list.
func TestFullSweepConcListSingleNode(t *testing.T) {
	m, r := load(t, single("k", "h200", "  - isl: 1024\n    osl: 1024\n    search-space:\n    - {tp: 8, conc-list: [3, 48, 12, 96]}\n"))
	cases := []struct {
		name     string
		min, max *int
		want     []int
	}{
		{"no filter", nil, nil, []int{3, 48, 12, 96}},
		{"min", intp(12), nil, []int{48, 12, 96}},
		{"max", nil, intp(50), []int{3, 48, 12}},
		{"min and max", intp(4), intp(50), []int{48, 12}},
		{"all above max runs max", nil, intp(2), []int{2}},
		{"all below min runs nothing", intp(97), nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := FullSweep(m, r, FullSweepOptions{StepSize: 2, SingleNode: true, MinConc: c.min, MaxConc: c.max})
			if err != nil {
				t.Fatal(err)
			}
			if g := concs(t, got); !reflect.DeepEqual(g, c.want) {
				t.Errorf("concurrencies %v, want %v", g, c.want)
			}
		})
	}
}

func TestFullSweepRangeTrim(t *testing.T) {
	m, r := load(t, single("k", "h200", "  - isl: 1024\n    osl: 1024\n    search-space:\n    - {tp: 8, ep: 8, conc-start: 4, conc-end: 64}\n    - {tp: 2, conc-start: 1, conc-end: 2}\n"))
	cases := []struct {
		name string
		o    FullSweepOptions
		want []int
	}{
		{"plain", FullSweepOptions{}, []int{4, 8, 16, 32, 64, 1, 2}},
		{"step 3", FullSweepOptions{StepSize: 3}, []int{4, 12, 36, 64, 1, 2}},
		{"min 5 starts the range there", FullSweepOptions{MinConc: intp(5)}, []int{5, 10, 20, 40, 64}},
		{"max 20 ends it there", FullSweepOptions{MaxConc: intp(20)}, []int{4, 8, 16, 20, 1, 2}},
		{"max below start runs max", FullSweepOptions{MaxConc: intp(3)}, []int{3, 1, 2}},
		{"max tp", FullSweepOptions{MaxTP: intp(4)}, []int{1, 2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.o.SingleNode = true
			if c.o.StepSize == 0 {
				c.o.StepSize = 2
			}
			got, err := FullSweep(m, r, c.o)
			if err != nil {
				t.Fatal(err)
			}
			if g := concs(t, got); !reflect.DeepEqual(g, c.want) {
				t.Errorf("concurrencies %v, want %v", g, c.want)
			}
		})
	}
	got, err := FullSweep(m, r, FullSweepOptions{StepSize: 2, SingleNode: true, MaxEP: intp(2)})
	if err != nil {
		t.Fatal(err)
	}
	if e := got[0].(*SingleNodeEntry); e.EP != 2 {
		t.Errorf("--max-ep caps ep: got %d", e.EP)
	}
	if e := got[len(got)-1].(*SingleNodeEntry); e.EP != 1 {
		t.Errorf("unset ep stays 1: got %d", e.EP)
	}
}

// TestOptionErrors covers bugs of the original: --step-size 1 (and
// conc-start 0) looped forever; --min-conc above --max-conc, and
// non-positive limits, silently produced nothing.
func TestOptionErrors(t *testing.T) {
	m, r := load(t, single("k", "h200", "  - isl: 1024\n    osl: 1024\n    search-space:\n    - {tp: 8, conc-start: 4, conc-end: 64}\n"))
	cases := []struct {
		o    FullSweepOptions
		want string
	}{
		{FullSweepOptions{StepSize: 1, SingleNode: true}, "--step-size must be at least 2"},
		{FullSweepOptions{StepSize: 0, SingleNode: true}, "--step-size must be at least 2"},
		{FullSweepOptions{StepSize: 2, SingleNode: true, MinConc: intp(8), MaxConc: intp(4)}, "--min-conc (8) must not be greater than --max-conc (4)"},
		{FullSweepOptions{StepSize: 2, SingleNode: true, MinConc: intp(0)}, "--min-conc must be a positive integer, got 0"},
		{FullSweepOptions{StepSize: 2, SingleNode: true, MaxConc: intp(-3)}, "--max-conc must be a positive integer, got -3"},
		{FullSweepOptions{StepSize: 2, SingleNode: true, MaxTP: intp(0)}, "--max-tp must be a positive integer"},
		{FullSweepOptions{StepSize: 2, SingleNode: true, MaxEP: intp(0)}, "--max-ep must be a positive integer"},
		{FullSweepOptions{StepSize: 2, SingleNode: true, RunnerTypes: []string{"h200", "h300"}}, "invalid runner type(s): h300"},
		{FullSweepOptions{StepSize: 2}, "exactly one of --single-node and --multi-node"},
	}
	for _, c := range cases {
		_, err := FullSweep(m, r, c.o)
		var oe *OptionError
		if !errors.As(err, &oe) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want %q", c.o, err, c.want)
		}
	}
}

// TestTestConfigNodeFilter covers a bug of the original: test-config
// ignored --runner-node-filter.
func TestTestConfigNodeFilter(t *testing.T) {
	m, r := load(t, single("k", "h200", "  - isl: 1024\n    osl: 1024\n    search-space:\n    - {tp: 8, conc-start: 4, conc-end: 8}\n")+
		multi("mk", "gb200", "  - isl: 1024\n    osl: 1024\n    search-space:\n    - conc-list: [4]\n"+workers))
	got, _, err := TestConfig(m, r, TestConfigOptions{ConfigKeys: []string{"k", "mk"}, RunnerNodeFilter: "n"})
	if err != nil {
		t.Fatal(err)
	}
	var runners []string
	for _, e := range got {
		switch x := e.(type) {
		case *SingleNodeEntry:
			runners = append(runners, x.Runner+"@"+strconv.Itoa(x.Conc))
		case *MultiNodeEntry:
			runners = append(runners, x.Runner)
		}
	}
	want := []string{"h200-nb_0@4", "h200-nv_0@4", "h200-nb_0@8", "h200-nv_0@8", "gb200-nv_0", "gb200-nv_1"}
	if !reflect.DeepEqual(runners, want) {
		t.Errorf("runners %v, want %v", runners, want)
	}
	_, _, err = TestConfig(m, r, TestConfigOptions{ConfigKeys: []string{"k", "mk"}, RunnerNodeFilter: "cw"})
	var l diag.List
	if !errors.As(err, &l) || len(l) != 1 || !strings.Contains(l[0].String(), `mk.runner: no node of runner type "gb200" matches --runner-node-filter "cw"`) {
		t.Errorf("got %v", err)
	}
}

func TestTestConfigRepeatedKeyRunsOnce(t *testing.T) {
	m, r := load(t, single("k", "h200", "  - isl: 1024\n    osl: 1024\n    search-space:\n    - {tp: 8, conc-start: 4, conc-end: 8}\n"))
	got, _, err := TestConfig(m, r, TestConfigOptions{ConfigKeys: []string{"k", "k"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Errorf("%d entries, want 2", len(got))
	}
	got, _, err = TestConfig(m, r, TestConfigOptions{ConfigKeys: []string{"k"}, Conc: []int{8, 100}})
	if err != nil || !reflect.DeepEqual(concs(t, got), []int{8}) {
		t.Errorf("--conc filter: %v %v", got, err)
	}
	if _, _, err := TestConfig(m, r, TestConfigOptions{ConfigKeys: []string{"k", "nope"}}); err == nil || !strings.Contains(err.Error(), "config key(s) not found: nope") {
		t.Errorf("got %v", err)
	}
}

// TestRunnerModelSweepLowestConc covers a bug of the original: a multi-node
// point whose range starts lowest lost to any conc-list point.
func TestRunnerModelSweepLowestConc(t *testing.T) {
	m, r := load(t, multi("mk", "gb200", "  - isl: 1024\n    osl: 1024\n    search-space:\n    - conc-list: [32, 64]\n"+workers+
		"    - conc-start: 2\n      conc-end: 8\n"+workers))
	got, err := RunnerModelSweep(m, r, RunnerModelSweepOptions{RunnerType: "gb200", MultiNode: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d entries, want one per gb200 node", len(got))
	}
	for _, e := range got {
		x := e.(*MultiNodeEntry)
		if !reflect.DeepEqual(x.Conc, []int{2}) || x.MaxModelLen != 2048 || x.ExpName != "m_test" {
			t.Errorf("got %+v", x)
		}
	}
}

func TestRunnerModelSweepSingleNode(t *testing.T) {
	m, r := load(t, single("k", "h200", "  - isl: 8192\n    osl: 1024\n    search-space:\n    - {tp: 8, conc-start: 2, conc-end: 8}\n"+
		"  - isl: 1024\n    osl: 1024\n    search-space:\n    - {tp: 4, conc-start: 1, conc-end: 8}\n    - {tp: 8, ep: 8, conc-list: [16, 6]}\n    - {tp: 8, conc-start: 1, conc-end: 2}\n"))
	got, err := RunnerModelSweep(m, r, RunnerModelSweepOptions{RunnerType: "h200", SingleNode: true, RunnerNodeFilter: "n"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d entries", len(got))
	}
	x := got[0].(*SingleNodeEntry)
	// highest TP, first such point, its lowest concurrency
	if x.TP != 8 || x.EP != 8 || x.Conc != 6 || x.ISL != 1024 || x.Runner != "h200-nb_0" {
		t.Errorf("got %+v", x)
	}
	got, _ = RunnerModelSweep(m, r, RunnerModelSweepOptions{RunnerType: "h200", SingleNode: true, Conc: intp(3)})
	if got[0].(*SingleNodeEntry).Conc != 3 || len(got) != 3 {
		t.Errorf("--conc override: %+v", got[0])
	}
	for _, o := range []RunnerModelSweepOptions{
		{RunnerType: "h300", SingleNode: true},
		{RunnerType: "h200", SingleNode: true, RunnerNodeFilter: "amd"},
		{RunnerType: "h200", SingleNode: true, Conc: intp(0)},
		{RunnerType: "h200"},
	} {
		if _, err := RunnerModelSweep(m, r, o); err == nil {
			t.Errorf("%+v: want an error", o)
		}
	}
}

func TestMarkEvalsFeb2026(t *testing.T) {
	mk := func(tp, conc int, runner string, sl SeqLen, dp bool) *SingleNodeEntry {
		return &SingleNodeEntry{Model: "m", Runner: runner, Framework: "f", Precision: "p", ISL: sl.ISL, OSL: sl.OSL, TP: tp, Conc: conc, DPAttn: dp, SpecDecoding: "none"}
	}
	entries := []Entry{
		mk(8, 4, "a", SeqLen1k8k, false),
		mk(8, 64, "a", SeqLen1k8k, false),  // highest TP, highest conc
		mk(4, 128, "a", SeqLen1k8k, false), // lowest TP, highest conc
		mk(4, 16, "a", SeqLen1k8k, false),
		mk(2, 256, "a", SeqLen1k8k, true),  // its own group (dp-attn): only TP, so marked once
		mk(8, 512, "a", SeqLen1k1k, false), // not 1k8k
		mk(8, 64, "b", SeqLen1k8k, false),  // another runner
		&MultiNodeEntry{ISL: 1024, OSL: 8192, RunEval: true},
	}
	MarkEvalsFeb2026(entries)
	var marked []int
	for i, e := range entries {
		switch x := e.(type) {
		case *SingleNodeEntry:
			if x.RunEval {
				marked = append(marked, i)
			}
		case *MultiNodeEntry:
			if x.RunEval {
				marked = append(marked, i)
			}
		}
	}
	if want := []int{1, 2, 4, 6}; !reflect.DeepEqual(marked, want) {
		t.Errorf("marked %v, want %v", marked, want)
	}
	if got := EvalsOnly(entries); len(got) != 4 {
		t.Errorf("EvalsOnly kept %d", len(got))
	}
}

func TestMultiNodeWorkersAlwaysComplete(t *testing.T) {
	m, r := load(t, multi("mk", "gb200", "  - isl: 1024\n    osl: 1024\n    search-space:\n    - conc-start: 1\n      conc-end: 8\n"+workers))
	got, err := FullSweep(m, r, FullSweepOptions{StepSize: 2, MultiNode: true})
	if err != nil {
		t.Fatal(err)
	}
	x := got[0].(*MultiNodeEntry)
	if x.Prefill.AdditionalSettings == nil || x.Decode.AdditionalSettings == nil || !reflect.DeepEqual(x.Conc, []int{1, 2, 4, 8}) {
		t.Errorf("got %+v", x)
	}
}

// FuzzFullSweep runs the whole expansion over arbitrary options on the real
// master configs: no option may panic, hang or yield an entry outside the
// limits it sets.
func FuzzFullSweep(f *testing.F) {
	f.Add(2, 0, 0, 0, 0, false, "")
	f.Add(3, 5, 100, 4, 2, true, "nv")
	f.Add(1000000, 1, 1, 1, 1, false, "n")
	f.Add(2, 1<<62, 1<<62, 1, 1, true, "")
	v, err := schemas.New()
	if err != nil {
		f.Fatal(err)
	}
	const real = "../../tools/matrixgen/testdata/upstream-main/"
	m, err := config.LoadMaster(v, []string{real + "nvidia-master.yaml", real + "amd-master.yaml"})
	if err != nil {
		f.Fatal(err)
	}
	r, err := config.LoadRunners(v, real+"runners.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, step, minC, maxC, maxTP, maxEP int, multiNode bool, filter string) {
		o := FullSweepOptions{StepSize: step, SingleNode: !multiNode, MultiNode: multiNode, RunnerNodeFilter: filter}
		if minC != 0 {
			o.MinConc = &minC
		}
		if maxC != 0 {
			o.MaxConc = &maxC
		}
		if maxTP != 0 {
			o.MaxTP = &maxTP
		}
		if maxEP != 0 {
			o.MaxEP = &maxEP
		}
		got, err := FullSweep(m, r, o)
		if err != nil {
			var oe *OptionError
			if !errors.As(err, &oe) {
				t.Fatalf("unexpected error type %T", err)
			}
			return
		}
		for _, e := range got {
			switch x := e.(type) {
			case *SingleNodeEntry:
				if x.Conc < 1 || (o.MaxConc != nil && x.Conc > *o.MaxConc) || (o.MinConc != nil && x.Conc < *o.MinConc) {
					t.Fatalf("conc %d outside [%v, %v]", x.Conc, o.MinConc, o.MaxConc)
				}
				if o.MaxTP != nil && x.TP > *o.MaxTP {
					t.Fatalf("tp %d above --max-tp %d", x.TP, *o.MaxTP)
				}
			case *AgenticSingleNodeEntry:
				if (o.MaxConc != nil && x.Conc > *o.MaxConc) || (o.MinConc != nil && x.Conc < *o.MinConc) {
					t.Fatalf("agentic conc %d outside [%v, %v]", x.Conc, o.MinConc, o.MaxConc)
				}
			case *MultiNodeEntry:
				if len(x.Conc) == 0 {
					t.Fatal("empty conc list")
				}
			case *AgenticMultiNodeEntry:
				if len(x.Conc) != 1 {
					t.Fatalf("agentic multi-node job with concurrencies %v", x.Conc)
				}
			}
		}
		// Evals on every matrix must keep every job and mark within it.
		if err := MarkEvals(got, true); err != nil {
			t.Fatal(err)
		}
		for _, e := range EvalsOnly(got) {
			if x, ok := e.(*MultiNodeEntry); ok && (x.EvalConc == nil || !slices.Contains(x.Conc, *x.EvalConc) || *x.EvalConc < MinEvalConc) {
				t.Fatalf("multi-node eval job with eval-conc %v of %v", x.EvalConc, x.Conc)
			}
		}
	})
}
