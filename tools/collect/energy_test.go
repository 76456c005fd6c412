package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestResultsCarryEnergy: the energy fields of processed results (a
// measured single-node job, a multi-node one with its prefill/decode
// split, one whose power was invalid) reach the aggregate unchanged, and a
// result whose power fields contradict each other is left out by name.
func TestResultsCarryEnergy(t *testing.T) {
	out := t.TempDir()
	code, _, stderr := invoke(t, nil, "results", "testdata/energy", "bmk", "--output-dir", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	data, err := os.ReadFile(filepath.Join(out, "agg_bmk.json"))
	if err != nil {
		t.Fatal(err)
	}
	var agg []map[string]any
	if err := json.Unmarshal(data, &agg); err != nil {
		t.Fatal(err)
	}
	if len(agg) != 3 {
		t.Fatalf("%d results", len(agg))
	}
	byHW := map[string]map[string]any{}
	for _, r := range agg {
		byHW[r["hw"].(string)+map[bool]string{true: "-invalid", false: ""}[r["power_valid"] == 0.0]] = r
	}
	if r := byHW["h200"]; r["joules_per_output_token"] != 0.012327 || r["total_gpu_energy_j"] != 7977.965 || r["power_metric_schema_version"] != 2.0 {
		t.Errorf("single-node energy: %v", r)
	}
	if r := byHW["gb200"]; r["prefill_gpu_energy_j"] != 48000.0 || r["decode_joules_per_output_token"] != 8.789062 {
		t.Errorf("multi-node energy: %v", r)
	}
	if r := byHW["h200-invalid"]; r == nil || r["joules_per_output_token"] != nil {
		t.Errorf("invalid power: %v", r)
	}

	bad := t.TempDir()
	copyTree(t, "testdata/energy", bad)
	p := filepath.Join(bad, "bmk_invalid", "agg_bmk_invalid.json")
	doc, _ := os.ReadFile(p)
	if err := os.WriteFile(p, []byte(strings.Replace(string(doc), `"power_valid": 0`, `"power_valid": 0, "avg_power_w": 5.0`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = invoke(t, nil, "results", bad, "bmk", "--output-dir", t.TempDir())
	if code != 0 || !strings.Contains(stderr, "agg_bmk_invalid.json") || !strings.Contains(stderr, "power_valid is 0: no power metric may be present") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}
