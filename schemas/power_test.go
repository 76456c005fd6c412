package schemas

import (
	"encoding/json"
	"strings"
	"testing"
)

func decode(t *testing.T, s string) any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

const validSidecar = `{"schema_version": 1, "power_valid": true, "reasons": [], "telemetry_source": "gpu_metrics.csv",
 "benchmark_result": "r.json", "benchmark_window": {"start_time_unix": 1.0, "end_time_unix": 11.0, "reported_duration_s": 10.0,
 "integration_duration_s": 10.0, "completed": 10, "total_input_tokens": 100, "total_output_tokens": 50},
 "integration_method": "per_device_energy_counter_with_linear_boundary_interpolation", "expected_gpu_count": 1,
 "observed_gpu_count": 1, "observed_gpu_ids": ["0"], "per_gpu_sample_counts": {"0": 101}, "per_gpu_max_sample_gap_s": {"0": 0.1},
 "per_gpu_energy_j": {"0": 5000.0}, "device_issues": {}, "accumulator_check": null,
 "metrics": {"avg_power_w": 500.0, "avg_total_gpu_power_w": 500.0, "total_gpu_energy_j": 5000.0, "joules_per_successful_query": 500.0,
  "joules_per_input_token": 50.0, "joules_per_output_token": 100.0, "joules_per_total_token": 33.333333},
 "energy_counter_check": {"available": true, "reason": null, "energy_counter_j": 5000.0, "integrated_power_j": 4990.0,
  "relative_difference": -0.002, "per_gpu_energy_counter_j": {"0": 5000.0}, "per_gpu_integrated_power_j": {"0": 4990.0}, "discontinuities": {}},
 "gpu_uuids": {"0": ["GPU-x"]}, "telemetry_last_row_truncated": false}`

func TestPowerValidationSchema(t *testing.T) {
	v := mustValidator(t)
	for _, c := range []struct {
		name, from, to string
		ok             bool
	}{
		{"valid", "", "", true},
		{"invalid with reasons", `"power_valid": true, "reasons": []`, `"power_valid": false, "reasons": ["sampling_gap_exceeded"]`, false}, // metrics present
		{"valid with a reason", `"reasons": []`, `"reasons": ["x"]`, false},
		{"unknown method", "per_device_energy_counter_with_linear_boundary_interpolation", "guesswork", false},
		{"unknown key", `"schema_version": 1,`, `"schema_version": 1, "extra": 1,`, false},
		{"metric missing", `"joules_per_total_token": 33.333333`, `"joules_per_totl_token": 1`, false},
		{"accumulator unavailable", `"accumulator_check": null`, `"accumulator_check": {"available": false, "reason": "missing_end_snapshot"}`, true},
		{"accumulator bad reason", `"accumulator_check": null`, `"accumulator_check": {"available": false, "reason": "whatever"}`, false},
	} {
		doc := decode(t, strings.Replace(validSidecar, c.from, c.to, 1))
		err := v.Validate(PowerValidation, doc)
		if (err == nil) != c.ok {
			t.Errorf("%s: valid=%v, want %v (%v)", c.name, err == nil, c.ok, err)
		}
	}
	inv := strings.NewReplacer(`"power_valid": true, "reasons": []`, `"power_valid": false, "reasons": ["telemetry_file_missing"]`,
		`"metrics": {"avg_power_w": 500.0, "avg_total_gpu_power_w": 500.0, "total_gpu_energy_j": 5000.0, "joules_per_successful_query": 500.0,
  "joules_per_input_token": 50.0, "joules_per_output_token": 100.0, "joules_per_total_token": 33.333333}`, `"metrics": {}`).Replace(validSidecar)
	if err := v.Validate(PowerValidation, decode(t, inv)); err != nil {
		t.Errorf("an invalid measurement: %v", err)
	}
}

func TestProcessedResultPowerFields(t *testing.T) {
	v := mustValidator(t)
	base := `{"hw": "h200", "conc": 4, "image": "i", "model": "m", "infmax_model_prefix": "p", "framework": "f", "precision": "fp8",
 "spec_decoding": "none", "disagg": false, "isl": 1, "osl": 1, "is_multinode": false, "tp": 1, "ep": 1, "dp_attention": "false",
 "tput_per_gpu": 1, "output_tput_per_gpu": 1, "input_tput_per_gpu": 0, "median_ttft": 1, "median_tpot": 1, "median_intvty": 1, "median_e2el": 1`
	valid := `, "power_metric_schema_version": 2, "power_valid": 1, "avg_power_w": 1, "avg_total_gpu_power_w": 1, "total_gpu_energy_j": 1,
 "joules_per_successful_query": 1, "joules_per_input_token": 1, "joules_per_output_token": 1, "joules_per_total_token": 1}`
	for _, c := range []struct {
		name, tail string
		ok         bool
	}{
		{"no power fields (Feb-2026)", "}", true},
		{"valid", valid, true},
		{"invalid, no metrics", `, "power_metric_schema_version": 2, "power_valid": 0}`, true},
		{"invalid with a metric", `, "power_metric_schema_version": 2, "power_valid": 0, "joules_per_output_token": 1}`, false},
		{"valid without metrics", `, "power_metric_schema_version": 2, "power_valid": 1}`, false},
		{"power_valid as a boolean", `, "power_metric_schema_version": 2, "power_valid": true}`, false},
		{"no schema version", `, "power_valid": 0}`, false},
		{"a metric without power_valid", `, "total_gpu_energy_j": 5}`, false},
		{"negative energy", strings.Replace(valid, `"total_gpu_energy_j": 1`, `"total_gpu_energy_j": -1`, 1), false},
	} {
		err := v.Validate(ProcessedResult, decode(t, base+c.tail))
		if (err == nil) != c.ok {
			t.Errorf("%s: valid=%v, want %v (%v)", c.name, err == nil, c.ok, err)
		}
	}
}
