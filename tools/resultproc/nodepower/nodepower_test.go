package nodepower

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/inferencex/inferencex-go/pkg/gpumetrics"
	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/tools/resultproc/power"
)

// node writes one node's gpumon file: gpus GPUs at watts each, sampled
// every 100 ms from t0 to t1, counters exact (or absent).
func node(t *testing.T, dir, name string, gpus int, watts float64, counter bool, t0, t1 float64) {
	t.Helper()
	b := []byte(gpumetrics.Header + "\n")
	for ms := int64(t0 * 1000); ms <= int64(t1*1000); ms += 100 {
		for g := 0; g < gpus; g++ {
			s := gpumetrics.Sample{UnixMilli: ms, Index: g, UUID: fmt.Sprintf("GPU-%s-%d", name, g), PowerW: watts}
			if counter {
				s.EnergyJ, s.HasEnergy = 1e6+watts*(float64(ms)/1000-t0), true
			}
			b = gpumetrics.AppendRow(b, s)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, name+".csv"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func raw(start, end float64) *pyjson.Object {
	o := &pyjson.Object{}
	for _, kv := range [][2]any{{"benchmark_start_time_unix", start}, {"benchmark_end_time_unix", end}, {"duration", end - start}} {
		o.Set(kv[0].(string), kv[1])
	}
	o.Set("completed", jsonInt(100))
	o.Set("total_input_tokens", jsonInt(400000))
	o.Set("total_output_tokens", jsonInt(50000))
	return o
}

func metric(r *Result, key string) float64 {
	for _, m := range r.Metrics {
		if m.Key == key {
			return m.Value
		}
	}
	return math.NaN()
}

func TestEvaluate(t *testing.T) {
	const s, e = 1000.0, 1060.0
	// 2 prefill nodes of 4 GPUs at 400 W, 1 decode node of 8 at 300 W.
	cluster := func(t *testing.T, decodeCounter bool) string {
		dir := t.TempDir()
		node(t, dir, "prefill_p0", 4, 400, true, 998, 1062)
		node(t, dir, "prefill_p1", 4, 400, true, 998.05, 1062)
		node(t, dir, "decode_d0", 8, 300, decodeCounter, 997.97, 1061.5)
		return dir
	}
	opt := power.Options{Location: time.UTC}

	t.Run("valid", func(t *testing.T) {
		r := Evaluate(cluster(t, true), raw(s, e), 8, 8, opt)
		if !r.Valid || r.Method != MethodCounter {
			t.Fatalf("valid %v %v %v", r.Valid, r.Reasons, r.Failures)
		}
		want := map[string]float64{"total_gpu_energy_j": 8*400*60 + 8*300*60, "prefill_gpu_energy_j": 8 * 400 * 60,
			"decode_gpu_energy_j": 8 * 300 * 60, "prefill_avg_power_w": 400, "decode_avg_power_w": 300, "avg_power_w": 350,
			"decode_joules_per_output_token": 8 * 300 * 60 / 50000.0, "prefill_joules_per_input_token": 8 * 400 * 60 / 400000.0}
		for k, v := range want {
			if got := metric(r, k); math.Abs(got-v) > 1e-6*v {
				t.Errorf("%s = %v, want %v", k, got, v)
			}
		}
		sc := r.Sidecar("gpu_metrics", "r.json")
		if role, _ := sc.Get("per_gpu_role"); len(role.(*pyjson.Object).Keys()) != 16 {
			t.Errorf("per_gpu_role %v", role)
		}
	})
	t.Run("decode node without counter", func(t *testing.T) {
		r := Evaluate(cluster(t, false), raw(s, e), 8, 8, opt)
		if !r.Valid || r.Method != MethodTrapezoid {
			t.Fatalf("%v %v %s", r.Valid, r.Reasons, r.Method)
		}
	})
	t.Run("role counts", func(t *testing.T) {
		r := Evaluate(cluster(t, true), raw(s, e), 16, 8, opt)
		if r.Valid || !contains(r.Reasons, "topology_env_mismatch") || !strings.Contains(strings.Join(r.Failures, ";"), "expected 16 prefill GPUs, found 8") {
			t.Fatalf("%v %v", r.Reasons, r.Failures)
		}
	})
	t.Run("a node stopped early", func(t *testing.T) {
		dir := cluster(t, true)
		node(t, dir, "decode_d0", 8, 300, true, 997.97, 1030)
		r := Evaluate(dir, raw(s, e), 8, 8, opt)
		if r.Valid || !contains(r.Reasons, "benchmark_window_not_bracketed") || !strings.Contains(strings.Join(r.Failures, ";"), "(decode_d0.csv)") {
			t.Fatalf("%v %v", r.Reasons, r.Failures)
		}
	})
	t.Run("no directory", func(t *testing.T) {
		r := Evaluate(filepath.Join(t.TempDir(), "none"), raw(s, e), 8, 8, opt)
		if r.Valid || !contains(r.Reasons, "telemetry_file_missing") {
			t.Fatalf("%v", r.Reasons)
		}
	})
	t.Run("a file without a role", func(t *testing.T) {
		dir := cluster(t, true)
		node(t, dir, "node7", 8, 300, true, 997, 1062)
		r := Evaluate(dir, raw(s, e), 8, 8, opt)
		if r.Valid || !contains(r.Reasons, "telemetry_file_unreadable") || !strings.Contains(r.Failures[0], "node7.csv: expected <role>_<hostname>.csv") {
			t.Fatalf("%v %v", r.Reasons, r.Failures)
		}
	})
	t.Run("two results share the files", func(t *testing.T) {
		dir := cluster(t, true)
		a := Evaluate(dir, raw(1000, 1020), 8, 8, opt)
		b := Evaluate(dir, raw(1030, 1060), 8, 8, opt)
		if !a.Valid || !b.Valid || math.Abs(metric(a, "total_gpu_energy_j")*1.5-metric(b, "total_gpu_energy_j")) > 1e-6 {
			t.Fatalf("%v %v", metric(a, "total_gpu_energy_j"), metric(b, "total_gpu_energy_j"))
		}
	})
}

func jsonInt(n int) json.Number { return json.Number(strconv.Itoa(n)) }
