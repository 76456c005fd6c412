package power

import (
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzTelemetryCSV feeds arbitrary telemetry files (nvidia-smi's,
// amd-smi's, gpumon's and anything else) through the whole single-node
// integration: it must never panic, and what it calls valid must be a
// finite, non-negative energy.
func FuzzTelemetryCSV(f *testing.F) {
	for _, p := range []string{"testdata/h200/nvsmi-upstream-fields.csv", "testdata/h200/nvml-gpumon.csv",
		"testdata/upstream/single/amd-iso/gpu_metrics.csv", "testdata/upstream/single/quoted-cells/gpu_metrics.csv"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, 1796404507.25, 1796404525.25)
	}
	f.Add([]byte("timestamp,gpu,socket_power\n1,0,5\n3,0,7\n"), 1.5, 2.5)
	f.Fuzz(func(t *testing.T, data []byte, start, end float64) {
		p := filepath.Join(t.TempDir(), "gpu_metrics.csv")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		in := Integrate(p, start, end, nil, Options{Location: time.UTC})
		if in.Valid {
			if in.TotalEnergyJ == nil || math.IsNaN(*in.TotalEnergyJ) || *in.TotalEnergyJ < 0 {
				t.Fatalf("valid with energy %v", in.TotalEnergyJ)
			}
		}
		_ = CrossCheckAccumulator(p, time.UTC)
	})
}

// FuzzEnergySnapshot feeds arbitrary amd-smi `metric -E --csv` snapshots to
// the accumulator cross-check.
func FuzzEnergySnapshot(f *testing.F) {
	f.Add([]byte("gpu,socket_power,total_energy_consumption\n0,238,178319501.682\n"), []byte("gpu,total_energy_consumption\n0,178324501.682\n1,N/A\n"))
	f.Fuzz(func(t *testing.T, start, end []byte) {
		dir := t.TempDir()
		csvPath := filepath.Join(dir, "gpu_metrics.csv")
		_ = os.WriteFile(csvPath, []byte("timestamp,gpu,socket_power\n1,0,500\n2,0,500\n"), 0o644)
		_ = os.WriteFile(filepath.Join(dir, "gpu_metrics_energy_start.csv"), start, 0o644)
		_ = os.WriteFile(filepath.Join(dir, "gpu_metrics_energy_end.csv"), end, 0o644)
		c := CrossCheckAccumulator(csvPath, time.UTC)
		if c == nil {
			t.Fatal("both snapshots exist: the check must run")
		}
		if c.Available && c.RelativeError != nil && (math.IsNaN(*c.RelativeError) || *c.RelativeError < 0) {
			t.Fatalf("relative error %v", *c.RelativeError)
		}
	})
}
