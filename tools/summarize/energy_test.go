package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// energySweep writes a sweep whose results carry energy: two series of
// five concurrencies (their energy per output token falling as the batch
// grows), a multi-node one, and one single-node result whose power was not
// measured.
func energySweep(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, s := range []struct {
		hw    string
		watts float64
	}{{"h200", 700}, {"b200", 1000}} {
		for i, conc := range []int{4, 8, 16, 32, 64} {
			intvty := 120.0 / math.Pow(1.35, float64(i))
			tput := 400 * float64(conc) / (1 + float64(i)*0.6)
			if s.hw == "b200" {
				tput *= 2.1
			}
			jpt := s.watts / (tput * 0.5) // output throughput is half the total
			name := fmt.Sprintf("bmk_dsr1_%s_conc%d", s.hw, conc)
			writeResult(t, dir, name, fmt.Sprintf(`"hw": %q, "conc": %d, "tp": 8, "ep": 1, "dp_attention": "false", "is_multinode": false, "tput_per_gpu": %v,
 "median_intvty": %v, "power_metric_schema_version": 2, "power_valid": 1, "avg_power_w": %v, "avg_total_gpu_power_w": %v,
 "total_gpu_energy_j": 100000.0, "joules_per_successful_query": 50.0, "joules_per_input_token": 0.1, "joules_per_output_token": %v,
 "joules_per_total_token": 0.05`, s.hw, conc, tput, intvty, s.watts, 8*s.watts, round6(jpt)))
		}
	}
	writeResult(t, dir, "bmk_dsr1_h200_conc128", `"hw": "h200", "conc": 128, "tp": 8, "ep": 1, "dp_attention": "false", "is_multinode": false,
 "tput_per_gpu": 3000.0, "median_intvty": 30.0, "power_metric_schema_version": 2, "power_valid": 0`)
	writeResult(t, dir, "bmk_dsr1_gb200_conc64", `"hw": "gb200", "conc": 64, "is_multinode": true, "disagg": true, "prefill_tp": 4, "prefill_ep": 4,
 "prefill_dp_attention": "false", "prefill_num_workers": 1, "decode_tp": 4, "decode_ep": 4, "decode_dp_attention": "false",
 "decode_num_workers": 1, "num_prefill_gpu": 4, "num_decode_gpu": 4, "tput_per_gpu": 2500.0, "median_intvty": 60.0,
 "power_metric_schema_version": 2, "power_valid": 1, "avg_power_w": 900.0, "avg_total_gpu_power_w": 7200.0, "total_gpu_energy_j": 432000.0,
 "joules_per_successful_query": 90.0, "joules_per_input_token": 0.2, "joules_per_output_token": 0.36, "joules_per_total_token": 0.18,
 "prefill_gpu_energy_j": 200000.0, "decode_gpu_energy_j": 232000.0, "prefill_avg_power_w": 833.333, "decode_avg_power_w": 966.667,
 "prefill_joules_per_input_token": 0.1, "decode_joules_per_output_token": 0.19`)
	return dir
}

func round6(x float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'f', 6, 64), 64)
	return v
}

func writeResult(t *testing.T, dir, name, fields string) {
	t.Helper()
	doc := `{"image": "img:1", "model": "deepseek-ai/DeepSeek-R1", "infmax_model_prefix": "dsr1", "framework": "sglang",
 "precision": "fp8", "spec_decoding": "none", "disagg": false, "isl": 1024, "osl": 1024, "output_tput_per_gpu": 100.0,
 "input_tput_per_gpu": 100.0, "median_ttft": 0.1, "median_tpot": 0.02, "median_e2el": 20.0, ` + fields + `}`
	if strings.Contains(fields, `"disagg": true`) {
		doc = strings.Replace(doc, `"disagg": false, `, "", 1)
	}
	p := filepath.Join(dir, name, "agg_"+name+".json")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestEnergyInTheTables(t *testing.T) {
	code, stdout, stderr := invoke(t, nil, energySweep(t))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	checkGolden(t, "summary-energy", stdout)
	if !strings.Contains(stdout, "   J per Output Token |") {
		t.Errorf("no energy column:\n%s", stdout)
	}
	// The sweep without energy keeps the original's tables.
	_, plain, _ := invoke(t, nil, sweep)
	if strings.Contains(plain, "J per Output Token") {
		t.Error("an energy column without energy")
	}
}

func TestEnergyChart(t *testing.T) {
	out := filepath.Join(t.TempDir(), "report.html")
	if code, _, stderr := invoke(t, nil, energySweep(t), "--html", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	page, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	m := regexp.MustCompile(`<svg class="chart" id="energy-dsr1-1k1k"[^>]*aria-label="([^"]*)"[^>]*data-series-count="(\d+)"`).FindStringSubmatch(s)
	if m == nil || m[2] != "3" || !strings.Contains(m[1], "energy per output token against interactivity") {
		t.Fatalf("energy chart: %v", m)
	}
	chart := s[strings.Index(s, `id="energy-dsr1-1k1k"`):]
	chart = chart[:strings.Index(chart, "</svg>")]
	for _, want := range []string{"Energy per output token (J/token)", "uses less energy per output token", "J/token&#10;"} {
		if !strings.Contains(chart, want) {
			t.Errorf("energy chart lacks %q", want)
		}
	}
	// 11 measured results; the unmeasured one is not a point.
	if n := strings.Count(chart, "<circle"); n != 11 {
		t.Errorf("%d points, want 11", n)
	}
	if !strings.Contains(s, `<th data-key="joules_per_output_token" tabindex="0">J per Output Token</th>`) {
		t.Error("no energy column in the HTML tables")
	}
}

// TestEnergyChartInBrowser loads the report with energy in headless
// Chromium, like TestHTMLInBrowser: the energy chart draws its series and
// the page's script has no errors.
func TestEnergyChartInBrowser(t *testing.T) {
	bin := chromium(t)
	out := filepath.Join(t.TempDir(), "report.html")
	if code, _, stderr := invoke(t, nil, energySweep(t), "--html", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	dom := loadedPage(t, bin, "file://"+out+"#sort=single-node:joules_per_output_token:asc")
	checkDrawnSeries(t, dom, map[string]int{"energy-dsr1-1k1k": 3})
	first := firstBodyRow(dom, "single-node")
	// The least energy per token: b200 at conc 64.
	if !strings.Contains(first, ">64<") || !strings.Contains(first, ">B200<") {
		t.Errorf("sorting by energy: first row %s", first)
	}
}
