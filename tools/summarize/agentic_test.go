package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// agenticDir holds agentic results made by upstream's own
// process_agentic_result.py (scripts/gen-agentic-summary-testdata.py).
const agenticDir = "testdata/agentic"

// TestMarkdownAgentic: the AgentX table, one row per agentic result in
// configuration then concurrency order, hardware without its cluster:
// prefix, the offload with its backend.
func TestMarkdownAgentic(t *testing.T) {
	code, stdout, stderr := invoke(t, nil, agenticDir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	checkGolden(t, "summary-agentic", stdout)
	if strings.Contains(stderr, "left out") || strings.Contains(stderr, "not processed results") {
		t.Errorf("agentic results were not all taken: %s", stderr)
	}
	rows := 0
	for _, l := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(l, "| dsv4") || strings.HasPrefix(l, "| qwen3.5") {
			rows++
		}
	}
	if rows != 6 {
		t.Errorf("%d table rows, want 6:\n%s", rows, stdout)
	}
	for _, want := range []string{"| B200-DGXC ", "| dram (vllm-simple) ", "## AgentX Results (agentic-coding)"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
}

// TestAgenticBesideFixed: agentic and fixed-seq-len results in one
// directory each get their section, and neither is taken for the other.
func TestAgenticBesideFixed(t *testing.T) {
	dir := t.TempDir()
	copyTree(t, sweepToday, filepath.Join(dir, "fixed"))
	copyTree(t, agenticDir, filepath.Join(dir, "agentic"))
	code, stdout, stderr := invoke(t, nil, dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	_, fixedOnly, _ := invoke(t, nil, sweepToday)
	_, agenticOnly, _ := invoke(t, nil, agenticDir)
	if want := fixedOnly + "\n" + agenticOnly; stdout != want {
		t.Errorf("combined summary is not the two summaries in turn:\n%s", stdout)
	}
	if strings.Contains(stderr, "left out") {
		t.Errorf("stderr: %s", stderr)
	}
}

// TestAgenticBadResult: an agentic result without the dashboard's axes is
// named with the missing field and left out; without any other result the
// run fails.
func TestAgenticBadResult(t *testing.T) {
	dir := t.TempDir()
	bad := `{"scenario_type": "agentic-coding", "is_multinode": false, "hw": "b200", "model": "m", "infmax_model_prefix": "m",
  "framework": "vllm", "precision": "fp4", "kv_offloading": "none", "conc": 4, "tp": 8, "ep": 1,
  "num_requests_total": 3, "num_requests_successful": 3,
  "request_metrics": {"throughput": {"per_gpu": {"total_tput_tps": "fast"}}, "latency": {}}}`
	if err := os.WriteFile(filepath.Join(dir, "bad.json"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := invoke(t, nil, dir)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, want := range []string{
		"bad.json: request_metrics.throughput.per_gpu.total_tput_tps: expected a number, got string \"fast\"",
		"bad.json: request_metrics.latency.e2e_norm_intvty.p90: expected a number, got null",
		"no processed results found",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

// TestHTMLAgentic: the report has upstream dashboard's AgentX chart per
// model, one series per configuration, and the AgentX table.
func TestHTMLAgentic(t *testing.T) {
	page := string(writeAgenticReport(t))
	for id, n := range map[string]int{"agentx-dsv4": 2, "agentx-qwen3.5": 1} {
		svg := regexp.MustCompile(`<svg [^>]*id="` + regexp.QuoteMeta(id) + `"[^>]*data-series-count="(\d+)"`).FindStringSubmatch(page)
		if svg == nil || svg[1] != strconv.Itoa(n) {
			t.Errorf("chart %s: %v, want %d series", id, svg, n)
		}
	}
	for _, want := range []string{"P90 E2E-normalized interactivity (tok/s/user)", `<table class="sortable" id="agentic">`,
		`data-series="b200-dgxc vllm fp4 tp8 ep8 dpa=true kv=dram (vllm-simple)"`, "6 results"} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if got := strings.Count(page[strings.Index(page, `id="agentic"`):], "<tr>"); got != 7 {
		t.Errorf("AgentX table has %d rows (header included), want 7", got)
	}
}

func writeAgenticReport(t *testing.T) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "report-agentic.html")
	if code, _, stderr := invoke(t, nil, agenticDir, "--html", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	page, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return page
}

// TestHTMLAgenticInBrowser: the page's script draws the AgentX charts
// (every series) and sorts the AgentX table.
func TestHTMLAgenticInBrowser(t *testing.T) {
	bin := chromium(t)
	out := filepath.Join(t.TempDir(), "report-agentic.html")
	if err := os.WriteFile(out, writeAgenticReport(t), 0o644); err != nil {
		t.Fatal(err)
	}
	dom := loadedPage(t, bin, "file://"+out+"#sort=agentic:agentic_tput_per_gpu:desc")
	checkDrawnSeries(t, dom, map[string]int{"agentx-dsv4": 2, "agentx-qwen3.5": 1})
	// Sorted by throughput per GPU, descending: qwen3.5 at conc 8 has the most.
	firstRow := firstBodyRow(dom, "agentic")
	if !strings.Contains(firstRow, ">qwen3.5<") {
		t.Errorf("#sort did not sort the AgentX table by throughput per GPU; first row: %s", firstRow)
	}
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
