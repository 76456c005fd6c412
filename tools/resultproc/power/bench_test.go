package power

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/inferencex/inferencex-go/pkg/gpumetrics"
)

// oneHour writes an hour of 8 GPUs: gpumon's file at 10 samples a second
// (288,000 rows), or nvidia-smi's at one a second (28,800 rows).
func oneHour(b *testing.B, gpumon bool) (string, float64, float64) {
	b.Helper()
	const start = 1_700_000_000.0
	var sb strings.Builder
	step := 1000
	if gpumon {
		sb.WriteString(gpumetrics.Header + "\n")
		step = 100
	} else {
		sb.WriteString("timestamp, index, power.draw [W], temperature.gpu, clocks.current.sm [MHz], clocks.current.memory [MHz], utilization.gpu [%], utilization.memory [%]\n")
	}
	var row []byte
	for ms := 0; ms <= 3600_000; ms += step {
		for g := 0; g < 8; g++ {
			w := 400 + float64((ms/step+g)%300)
			if gpumon {
				row = gpumetrics.AppendRow(row[:0], gpumetrics.Sample{UnixMilli: int64(start)*1000 + int64(ms), Index: g,
					UUID: fmt.Sprintf("GPU-%d", g), PowerW: w, EnergyJ: float64(ms) * 0.5, HasEnergy: true})
				sb.Write(row)
			} else {
				t := time.UnixMilli(int64(start)*1000 + int64(ms)).UTC()
				fmt.Fprintf(&sb, "%s, %d, %.2f W, 60, 1980 MHz, 3201 MHz, 100 %%, 40 %%\n", t.Format("2006/01/02 15:04:05.000"), g, w)
			}
		}
	}
	p := filepath.Join(b.TempDir(), "gpu_metrics.csv")
	if err := os.WriteFile(p, []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	return p, start + 30, start + 3570
}

func benchIntegrate(b *testing.B, gpumon bool) {
	p, s, e := oneHour(b, gpumon)
	st, _ := os.Stat(p)
	b.SetBytes(st.Size())
	eight := int64(8)
	b.ResetTimer()
	for b.Loop() {
		in := Integrate(p, s, e, &eight, Options{Location: time.UTC})
		if !in.Valid {
			b.Fatal(in.Reasons)
		}
	}
}

// BenchmarkIntegrateGpumonHour is resultproc's single-node power step on
// an hour of 8 GPUs sampled by gpumon (counter method and its cross-check).
func BenchmarkIntegrateGpumonHour(b *testing.B) { benchIntegrate(b, true) }

// BenchmarkIntegrateNvidiaSMIHour is the same hour as upstream's monitor
// records it, read with Python's CSV and timestamp rules.
func BenchmarkIntegrateNvidiaSMIHour(b *testing.B) { benchIntegrate(b, false) }
