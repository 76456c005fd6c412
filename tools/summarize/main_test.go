package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/inferencex/inferencex-go/pkg/golden"
)

const sweep = "testdata/sweep/results"
const baselineAgg = "testdata/sweep/baseline-agg_bmk.json"

func invoke(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name+".golden"), []byte(got))
}

type original struct {
	FourDecimals string `json:"summary_four_decimals"`
	AsPrinted    string `json:"summary_as_printed"`
}

func readOriginal(t *testing.T) original {
	t.Helper()
	data, err := os.ReadFile("testdata/sweep/original.json")
	if err != nil {
		t.Fatalf("%v (run scripts/gen-results-golden.py)", err)
	}
	var o original
	if err := json.Unmarshal(data, &o); err != nil {
		t.Fatal(err)
	}
	return o
}

// TestMarkdownLikeOriginal compares with summarize.py's output for the same
// results, where tabulate keeps the four decimals summarize.py formats.
func TestMarkdownLikeOriginal(t *testing.T) {
	orig := readOriginal(t)
	code, stdout, stderr := invoke(t, nil, sweep)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stdout != orig.FourDecimals {
		t.Errorf("summary differs from the original's:\n--- got ---\n%s\n--- original ---\n%s", stdout, orig.FourDecimals)
	}
	// The original as it really printed differs only in how tabulate
	// re-rounded the numbers: same lines, same cells apart from digits.
	got, as := strings.Split(stdout, "\n"), strings.Split(orig.AsPrinted, "\n")
	if len(got) != len(as) || stdout == orig.AsPrinted {
		t.Fatalf("expected the same lines with other number formatting: %d vs %d lines", len(got), len(as))
	}
	digits := regexp.MustCompile(`[0-9.e+ -]+\|`)
	for i := range got {
		if digits.ReplaceAllString(got[i], "#|") != digits.ReplaceAllString(as[i], "#|") {
			t.Errorf("line %d differs beyond number formatting:\n%s\n%s", i, got[i], as[i])
			break
		}
	}
}

func TestWorkflowStepSummary(t *testing.T) {
	summary := filepath.Join(t.TempDir(), "summary.md")
	if err := os.WriteFile(summary, []byte("## Before\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := invoke(t, map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary}, sweep)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	data, _ := os.ReadFile(summary)
	if string(data) != "## Before\n"+stdout+"\n" {
		t.Errorf("step summary is not the previous content plus the summary:\n%s", data)
	}
}

func TestBaseline(t *testing.T) {
	code, stdout, stderr := invoke(t, nil, sweep, "--baseline", baselineAgg)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (b200 sglang regressed by 10%%): %s", code, stderr)
	}
	_, regression, ok := strings.Cut(stdout, "## Regression check")
	if !ok {
		t.Fatalf("no regression section:\n%s", stdout)
	}
	checkGolden(t, "baseline", "## Regression check"+regression+"-- stderr --\n"+stderr)
	for _, want := range []string{"**8 regressed**", "| dsr1 b200 sglang fp8 1k1k tp8 ep1 dpa=false conc=64",
		"Only in the baseline: not measured in this run (1)", "- gptoss mi300x vllm fp4 1k8k tp1 ep1 dpa=false conc=64",
		"Only in this run: no baseline to compare with (2)"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout does not contain %q", want)
		}
	}

	// A threshold above the 10% change lets it pass; exactly at it too.
	for _, th := range []string{"15%", "12", "11.12%"} {
		if code, _, stderr := invoke(t, nil, sweep, "--baseline", baselineAgg, "--threshold", th); code != 0 {
			t.Errorf("--threshold %s: exit %d: %s", th, code, stderr)
		}
	}
	if code, _, _ := invoke(t, nil, sweep, "--baseline", baselineAgg, "--threshold", "9.9%"); code != 1 {
		t.Errorf("--threshold 9.9%%: exit %d, want 1", code)
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	one, err := os.ReadFile(filepath.Join(sweep, "bmk_dsr1_1024_1024_fp8_sglang_tp8_ep1_dpa_false_conc4_specdecode_none_h200-nv_0",
		"agg_dsr1_1024_1024_fp8_sglang_tp8_ep1_dpa_false_conc4_specdecode_none_h200-nv_0.json"))
	if err != nil {
		t.Fatal(err)
	}
	notList := write("not-list.json", string(one))
	badItem := write("bad-item.json", `[{"hw": "h200"}]`)
	dup := filepath.Join(dir, "dup")
	write("dup/a/agg.json", string(one))
	write("dup/b/agg.json", string(one))
	empty := filepath.Join(dir, "empty")
	if err := os.MkdirAll(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	mixed := filepath.Join(dir, "mixed")
	write("mixed/ok/agg.json", string(one))
	write("mixed/broken/agg.json", strings.Replace(string(one), `"tp": 8`, `"tp": 0`, 1))
	write("mixed/eval/results.json", `{"results": {}}`)

	cases := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"empty dir", []string{empty}, 1, []string{"empty: no processed results found"}},
		{"missing dir", []string{filepath.Join(dir, "none")}, 1, []string{"none: no such file or directory"}},
		{"no dir", nil, 2, []string{"DIR"}},
		{"threshold without baseline", []string{sweep, "--threshold", "5%"}, 2, []string{"--threshold needs --baseline"}},
		{"bad threshold", []string{sweep, "--baseline", baselineAgg, "--threshold", "five"}, 2, []string{`expected a percentage from 0 to 100 such as 5%, got "five"`}},
		{"missing baseline", []string{sweep, "--baseline", filepath.Join(dir, "nope.json")}, 1, []string{"baseline: open", "no such file"}},
		{"baseline not a list", []string{sweep, "--baseline", notList}, 2, []string{"baseline: " + notList + ": document does not match schema processed-results", "/: expected array, got object"}},
		{"baseline bad item", []string{sweep, "--baseline", badItem}, 2, []string{"/0/conc: required key is missing"}},
		{"duplicates in current", []string{dup, "--baseline", baselineAgg}, 2, []string{"the current run has more than one result for 1 configuration(s)", "dup/a/agg.json", "dup/b/agg.json"}},
		{"invalid result left out", []string{mixed}, 0, []string{"left out " + mixed + "/broken/agg.json: tp: must be >= 1", "1 JSON file(s) under " + mixed + " are not processed results"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := invoke(t, nil, c.args...)
			if code != c.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, c.code, stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr does not contain %q:\n%s", w, stderr)
				}
			}
		})
	}
}

// TestFailedRun: a run in which no request completed has no interactivity
// (resultproc writes null); its cells stay empty and the chart says it
// could not place it.
func TestFailedRun(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(sweep, "bmk_dsr1_1024_1024_fp8_sglang_tp8_ep1_dpa_false_conc64_specdecode_none_h200-nv_0",
		"agg_dsr1_1024_1024_fp8_sglang_tp8_ep1_dpa_false_conc64_specdecode_none_h200-nv_0.json")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for k := range doc {
		switch {
		case strings.HasSuffix(k, "_intvty"):
			doc[k] = nil
		case strings.HasSuffix(k, "_tpot"), strings.HasSuffix(k, "put_per_gpu"):
			doc[k] = 0.0
		}
	}
	failed, _ := json.Marshal(doc)
	if err := os.WriteFile(filepath.Join(dir, "agg_failed.json"), failed, 0o644); err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(dir, "report.html")
	code, stdout, stderr := invoke(t, nil, dir, "--html", report)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "|     64 |    205.3333 |      0.0000 |                              |    43.1713 |         0.0000 |") {
		t.Errorf("failed run row:\n%s", stdout)
	}
	page, _ := os.ReadFile(report)
	if !strings.Contains(string(page), "Not plotted, no interactivity") {
		t.Error("the report does not say the failed run is not plotted")
	}
}

const sweepToday = "testdata/sweep-today/results"

// TestMarkdownToday: today's results get their columns where some result
// needs them (PP/DCP/PCP, the roles' hardware), the request accounting at
// the end of each table, and the runs that lost requests listed after the
// tables with their failures by kind.
func TestMarkdownToday(t *testing.T) {
	code, stdout, stderr := invoke(t, nil, sweepToday)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	checkGolden(t, "summary-today", stdout)
	lines := strings.Split(stdout, "\n")
	header := func(section string) string {
		for i, l := range lines {
			if l == section {
				for _, h := range lines[i+1:] {
					if strings.HasPrefix(h, "| ") {
						return h
					}
				}
			}
		}
		t.Fatalf("no %s", section)
		return ""
	}
	cells := func(row string) []string {
		var out []string
		for _, c := range strings.Split(strings.Trim(row, "|"), "|") {
			out = append(out, strings.TrimSpace(c))
		}
		return out
	}
	single := cells(header("## Single-Node Results"))
	wantSingle := []string{"Model", "Served Model", "Hardware", "Framework", "Precision", "ISL", "OSL", "TP", "PP", "DCP", "PCP", "EP",
		"DP Attention", "Conc", "TTFT (ms)", "TPOT (ms)", "Interactivity (tok/s/user)", "E2EL (s)", "TPUT per GPU",
		"Output TPUT per GPU", "Input TPUT per GPU", "Prompts", "Completed", "Failed", "Canceled"}
	if strings.Join(single, "|") != strings.Join(wantSingle, "|") {
		t.Errorf("single-node columns\n %v\nwant\n %v", single, wantSingle)
	}
	multi := cells(header("## Multi-Node Results"))
	for _, h := range []string{"Prefill HW", "Decode HW", "Decode PP", "Prompts", "Completed", "Failed"} {
		if !slices.Contains(multi, h) {
			t.Errorf("multi-node table has no %q column: %v", h, multi)
		}
	}
	for _, h := range []string{"Prefill PP", "Prefill DCP", "Decode DCP", "Canceled"} {
		if slices.Contains(multi, h) {
			t.Errorf("multi-node table has a %q column that no result needs", h)
		}
	}
	if !strings.Contains(stdout, "## Failed Requests") ||
		!strings.Contains(stdout, "timeout: 2 (request timeout after 3600s); http_status: 1 (HTTP 503 Service Unavailable)") {
		t.Errorf("no failure table with the kinds, most frequent first:\n%s", stdout)
	}
}

// TestMarkdownFebUnchanged: a mix of Feb-2026 results only gets none of
// today's columns or sections (TestMarkdownLikeOriginal holds it to the
// original byte for byte).
func TestMarkdownFebUnchanged(t *testing.T) {
	_, stdout, _ := invoke(t, nil, sweep)
	for _, s := range []string{"| PP", "Prompts", "Failed Requests", "Prefill HW"} {
		if strings.Contains(stdout, s) {
			t.Errorf("Feb-2026 summary contains %q", s)
		}
	}
}

// TestBaselineWithAgenticRows: an aggregate collect wrote for a sweep with
// agentic jobs holds their rows beside the fixed-seq-len ones; as a
// baseline, the regression check and --compare pass over them (and say
// so), and the verdict is the one without them.
func TestBaselineWithAgenticRows(t *testing.T) {
	agentic, err := os.ReadFile("testdata/agentic/dsv4_tp8_conc16_kvnone_fp4_vllm_ep1_dpa_false.json")
	if err != nil {
		t.Fatal(err)
	}
	withAgentic := func(path string) string {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		s := strings.TrimSpace(string(data))
		p := filepath.Join(t.TempDir(), filepath.Base(path))
		if err := os.WriteFile(p, []byte(s[:len(s)-1]+", "+string(agentic)+"]"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, c := range []struct {
		name, results, baseline string
		extra                   []string
		section                 string
	}{
		{"regression check", sweep, baselineAgg, nil, "## Regression check"},
		{"compare", compareResults, "testdata/compare/upstream-baseline.json", []string{"--compare"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, want, _ := invoke(t, nil, append([]string{c.results, "--baseline", c.baseline}, c.extra...)...)
			mixed := withAgentic(c.baseline)
			gotCode, got, stderr := invoke(t, nil, append([]string{c.results, "--baseline", mixed}, c.extra...)...)
			if gotCode != code {
				t.Errorf("exit %d, without the agentic row %d: %s", gotCode, code, stderr)
			}
			got = strings.ReplaceAll(got, filepath.Base(mixed), filepath.Base(c.baseline))
			_, w, _ := strings.Cut(want, c.section)
			if _, g, _ := strings.Cut(got, c.section); g != w {
				t.Errorf("the verdict changed with an agentic row in the baseline:\n%s", got)
			}
			if !strings.Contains(stderr, "1 agentic result(s) in the baseline not compared") {
				t.Errorf("stderr:\n%s", stderr)
			}
		})
	}
}
