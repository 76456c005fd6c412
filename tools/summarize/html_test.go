package main

import (
	"bytes"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// wantSeries is how many curves each chart of the sweep must have: one per
// hardware × framework × precision (and speculative decoding, and
// disaggregation) that has results for that model and sequence lengths.
var wantSeries = map[string]int{
	"chart-dsr1-1k1k":   6, // h200 sglang fp8, b200 sglang fp8, mi355x vllm fp4, b200 trt fp4, b200 trt fp4 mtp, gb200 dynamo-trt fp4 mtp (disagg)
	"chart-dsr1-8k1k":   2, // h200 and b200 sglang fp8
	"chart-gptoss-1k8k": 2, // h100 vllm fp4 (tp1 and tp2 on one curve), mi300x vllm fp4
}

func writeReport(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "report.html")
	code, _, stderr := invoke(t, nil, sweep, "--html", out, "--baseline", baselineAgg)
	if code != 1 { // the baseline has regressions; the report is written all the same
		t.Fatalf("exit %d: %s", code, stderr)
	}
	return out
}

func TestHTMLSelfContained(t *testing.T) {
	page, err := os.ReadFile(writeReport(t))
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	// Nothing that makes a browser fetch: no external src or href, no
	// stylesheet links, no CSS imports or url()s, no fetch/XHR in the script.
	for _, re := range []string{`(?i)(src|href)\s*=\s*["']?\s*(https?:)?//`, `(?i)<link\b`, `(?i)@import`, `(?i)url\(`,
		`(?i)<script[^>]+src`, `(?i)<(iframe|img|object|embed)\b`, `\bfetch\(`, `XMLHttpRequest`} {
		if m := regexp.MustCompile(re).FindString(s); m != "" {
			t.Errorf("report may fetch from the network: %q matches %s", m, re)
		}
	}
	for id, n := range wantSeries {
		re := regexp.MustCompile(`<svg class="chart" id="` + id + `"[^>]*data-series-count="(\d+)"`)
		m := re.FindStringSubmatch(s)
		if m == nil {
			t.Errorf("no chart %s", id)
			continue
		}
		if m[1] != strconv.Itoa(n) {
			t.Errorf("%s: %s series, want %d", id, m[1], n)
		}
	}
	if got := strings.Count(s, `<svg class="chart"`); got != len(wantSeries) {
		t.Errorf("%d charts, want %d", got, len(wantSeries))
	}
	if got := strings.Count(s, `<polyline class="pareto"`); got != len(wantSeries) {
		t.Errorf("%d Pareto frontiers, want one per chart", got)
	}
	// 36 single-node + 4 multi-node rows... in the two tables; 36 compared.
	if got := strings.Count(s, `<tr class="regressed">`); got != 8 {
		t.Errorf("%d regressed rows, want 8", got)
	}
	for _, want := range []string{`<table class="sortable" id="single-node">`, `<table class="sortable" id="multi-node">`, "Only in the baseline (1)"} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %s", want)
		}
	}
}

// chromium finds a headless-capable Chromium. CI installs Debian's
// chromium (.ci/run); elsewhere the browser tests skip without one.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no Chromium in CI: .ci/run installs Debian's chromium package")
	}
	t.Skip("no Chromium on this machine (apt-get install chromium)")
	return ""
}

// browse runs headless Chromium on a file with extra flags; it returns
// stdout and the console lines of its log.
func browse(t *testing.T, bin string, flags []string, url string) (string, []string) {
	t.Helper()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
		"--no-default-browser-check", "--hide-scrollbars", "--user-data-dir=" + t.TempDir(),
		// Any name lookup fails: a page that tried the network would show it.
		"--host-resolver-rules=MAP * ~NOTFOUND", "--enable-logging=stderr", "--v=0"}, flags...)
	cmd := exec.Command(bin, append(args, url)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("chromium: %v\n%s", err, stderr.String())
		}
	case <-time.After(90 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("chromium did not finish in 90s")
	}
	var console []string
	for _, line := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(line, ":CONSOLE") || strings.Contains(line, "Uncaught") {
			console = append(console, line)
		}
	}
	return stdout.String(), console
}

// loadedPage loads url in headless Chromium and returns the DOM once the
// page's script has run; console output, a script that did not finish and
// script errors fail the test.
func loadedPage(t *testing.T, bin, url string) string {
	t.Helper()
	dom, console := browse(t, bin, []string{"--virtual-time-budget=5000", "--dump-dom"}, url)
	if len(console) > 0 {
		t.Errorf("console output:\n%s", strings.Join(console, "\n"))
	}
	if !strings.Contains(dom, `data-ready="1"`) {
		t.Fatalf("the page's script did not finish (no data-ready on <body>)")
	}
	if m := regexp.MustCompile(`data-js-errors="([^"]*)"`).FindStringSubmatch(dom); m != nil {
		t.Errorf("script errors: %s", m[1])
	}
	return dom
}

// checkDrawnSeries checks how many series each chart (by its <svg> id) drew.
func checkDrawnSeries(t *testing.T, dom string, want map[string]int) {
	t.Helper()
	for id, n := range want {
		m := regexp.MustCompile(`<svg [^>]*id="` + regexp.QuoteMeta(id) + `"[^>]*>`).FindString(dom)
		d := regexp.MustCompile(`data-drawn-series="(\d+)"`).FindStringSubmatch(m)
		if d == nil || d[1] != strconv.Itoa(n) {
			t.Errorf("%s: drawn series %v, want %d (%s)", id, d, n, m)
		}
	}
}

// firstBodyRow is the first body row of the table with the given id ("" when
// there is none).
func firstBodyRow(dom, id string) string {
	i := strings.Index(dom, `id="`+id+`"`)
	if i < 0 {
		return ""
	}
	table := dom[i:]
	j := strings.Index(table, "<tbody>")
	if j < 0 {
		return ""
	}
	row := table[j:]
	if k := strings.Index(row, "</tr>"); k >= 0 {
		row = row[:k]
	}
	return row
}

// TestHTMLInBrowser loads the report in headless Chromium: the page's
// script runs without console errors, each chart draws the expected
// number of series, a #sort link sorts the table, and a screenshot is
// taken (kept in .cache/ at the repository root for people to look at).
func TestHTMLInBrowser(t *testing.T) {
	bin := chromium(t)
	report := writeReport(t)
	abs, _ := filepath.Abs(report)

	dom := loadedPage(t, bin, "file://"+abs+"#sort=single-node:tput_per_gpu:desc")
	checkDrawnSeries(t, dom, wantSeries)
	// Sorted by throughput per GPU, descending: the
	// row of gptoss h100 tp2 conc=64 has the most, 3085.7143.
	table := dom[strings.Index(dom, `id="single-node"`):]
	firstRow := firstBodyRow(dom, "single-node")
	if !strings.Contains(firstRow, ">3085.7143<") {
		t.Errorf("#sort did not sort the table by throughput per GPU; first row: %s", firstRow)
	}
	if !strings.Contains(table, `data-key="tput_per_gpu" tabindex="0" aria-sort="descending"`) {
		t.Errorf("sorted column not marked")
	}

	shot := filepath.Join(t.TempDir(), "report.png")
	browse(t, bin, []string{"--window-size=1280,2400", "--screenshot=" + shot}, "file://"+abs)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	b := img.Bounds()
	if b.Dx() != 1280 || b.Dy() != 2400 {
		t.Errorf("screenshot is %v", b)
	}
	// Not a blank page: count the distinct colours drawn.
	colours := map[[3]uint32]bool{}
	for y := b.Min.Y; y < b.Max.Y; y += 7 {
		for x := b.Min.X; x < b.Max.X; x += 7 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[[3]uint32{r >> 12, g >> 12, bl >> 12}] = true
		}
	}
	if len(colours) < 8 {
		t.Errorf("screenshot looks blank: %d colours", len(colours))
	}
	keep := filepath.Join("..", "..", ".cache", "summarize-report.png")
	if err := os.MkdirAll(filepath.Dir(keep), 0o755); err == nil {
		if data, err := os.ReadFile(shot); err == nil && os.WriteFile(keep, data, 0o644) == nil {
			t.Logf("screenshot: %s", keep)
		}
	}
}

func writeTodayReport(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "report-today.html")
	if code, _, stderr := invoke(t, nil, sweepToday, "--html", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	return out
}

// TestHTMLToday: the report of today's results has their columns and the
// table of runs that lost requests.
func TestHTMLToday(t *testing.T) {
	page, err := os.ReadFile(writeTodayReport(t))
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	for _, want := range []string{`<th data-key="pp" tabindex="0">PP</th>`, `<th data-key="pcp_size" tabindex="0">PCP</th>`,
		`<th data-key="prefill_hw" tabindex="0">Prefill HW</th>`, `<th data-key="decode_pp" tabindex="0">Decode PP</th>`,
		`<th data-key="failed" tabindex="0">Failed</th>`, `<th data-key="canceled" tabindex="0">Canceled</th>`,
		`<table class="sortable" id="failed-requests">`,
		`<td data-v="timeout: 2 (request timeout after 3600s); http_status: 1 (HTTP 503 Service Unavailable)">`} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %s", want)
		}
	}
	if got := strings.Count(s[strings.Index(s, `id="failed-requests"`):], "<tr>"); got != 3 {
		t.Errorf("failure table has %d rows (header included), want 3", got)
	}
}

// TestHTMLTodayInBrowser: the page's script handles today's tables (extra
// columns, the failure table) without errors, and sorts the failure table.
func TestHTMLTodayInBrowser(t *testing.T) {
	bin := chromium(t)
	abs, _ := filepath.Abs(writeTodayReport(t))
	dom := loadedPage(t, bin, "file://"+abs+"#sort=single-node:failed:desc")
	// Sorted by failed requests, descending: the h200 run at conc 64 lost 3.
	firstRow := firstBodyRow(dom, "single-node")
	if !strings.Contains(firstRow, ">H200<") || !strings.Contains(firstRow, `data-v="3">3<`) {
		t.Errorf("#sort did not sort the table by failed requests; first row: %s", firstRow)
	}
}
