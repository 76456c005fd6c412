package power

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/inferencex/inferencex-go/pkg/gpumetrics"
)

// The H200 recording's benchmark-like window: from idle into full load.
const h200Start, h200End = 1796404507.25, 1796404525.25

// nvmlRow is one line of the fixture's nvml.csv, at full precision.
type nvmlRow struct {
	ns       int64
	powerMW  int64
	energyMJ int64
}

func readNVML(t *testing.T) []nvmlRow {
	t.Helper()
	f, err := os.Open("testdata/h200/nvml.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []nvmlRow
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.HasPrefix(line, "unix_ns") {
			continue
		}
		c := strings.Split(line, ",")
		ns, _ := strconv.ParseInt(c[0], 10, 64)
		p, _ := strconv.ParseInt(c[2], 10, 64)
		e, _ := strconv.ParseInt(c[3], 10, 64)
		rows = append(rows, nvmlRow{ns, p, e})
	}
	if len(rows) != 260 {
		t.Fatalf("%d rows in nvml.csv", len(rows))
	}
	return rows
}

// referenceCounter is the counter delta over [start, end] straight from
// NVML's nanosecond timestamps and millijoules, each end interpolated
// between the two readings around it: the figure the counter method on
// gpumon's millisecond file must reproduce.
func referenceCounter(rows []nvmlRow, start, end float64) float64 {
	at := func(t float64) float64 {
		for i := 0; i+1 < len(rows); i++ {
			a, b := float64(rows[i].ns)/1e9, float64(rows[i+1].ns)/1e9
			if a <= t && t <= b {
				return float64(rows[i].energyMJ)/1000 + (t-a)/(b-a)*float64(rows[i+1].energyMJ-rows[i].energyMJ)/1000
			}
		}
		panic("not bracketed")
	}
	return at(end) - at(start)
}

// TestGpumonFixtureIsNVMLConverted: the committed gpumon file is nvml.csv
// in gpumon's format (milliseconds truncated, W and J).
func TestGpumonFixtureIsNVMLConverted(t *testing.T) {
	var b []byte
	b = append(b, gpumetrics.Header+"\n"...)
	for _, r := range readNVML(t) {
		b = gpumetrics.AppendRow(b, gpumetrics.Sample{UnixMilli: r.ns / 1e6, UUID: "GPU-00000000-0000-0000-0000-000000000000",
			PowerW: float64(r.powerMW) / 1000, EnergyJ: float64(r.energyMJ) / 1000, HasEnergy: true})
	}
	got, err := os.ReadFile("testdata/h200/nvml-gpumon.csv")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(b) {
		t.Error("testdata/h200/nvml-gpumon.csv is not nvml.csv converted (scripts/gen-power-golden.py writes it)")
	}
}

func TestCounterMethodOnH200(t *testing.T) {
	rows := readNVML(t)
	for _, c := range []struct {
		name       string
		start, end float64
		// what the README of the fixture states
		counterJ, readmeTol float64
	}{
		{"idle-to-load window", h200Start, h200End, 8278, 1},
		{"whole recording", float64(rows[0].ns)/1e9 + 0.01, float64(rows[len(rows)-1].ns)/1e9 - 0.01, 10640.3, 15},
	} {
		t.Run(c.name, func(t *testing.T) {
			one := int64(1)
			in := Integrate("testdata/h200/nvml-gpumon.csv", c.start, c.end, &one, Options{Location: time.UTC})
			if !in.Valid || in.Method != MethodCounter {
				t.Fatalf("valid %v (%v), method %s", in.Valid, in.Reasons, in.Method)
			}
			ref := referenceCounter(rows, c.start, c.end)
			got := *in.TotalEnergyJ
			if rel := math.Abs(got-ref) / ref; rel > 0.001 {
				t.Errorf("counter method %.3f J, NVML's counter delta %.3f J: %.4f%% apart", got, ref, rel*100)
			}
			if math.Abs(got-c.counterJ) > c.readmeTol {
				t.Errorf("counter method %.3f J, the fixture's README says %.1f J", got, c.counterJ)
			}
			ch := in.Counter
			if ch.TotalCounterJ != got || ch.TotalIntegratedJ >= got {
				t.Errorf("cross-check: counter %v, integrated %v (sampled power under-reports on this recording)", ch.TotalCounterJ, ch.TotalIntegratedJ)
			}
		})
	}
}

// gpumonFile writes rows (t seconds, index, watts, joules or NaN for
// none) as a gpumon file.
func gpumonFile(t *testing.T, rows [][4]float64, tail string) string {
	t.Helper()
	b := []byte(gpumetrics.Header + "\n")
	for _, r := range rows {
		s := gpumetrics.Sample{UnixMilli: int64(math.Round(r[0] * 1000)), Index: int(r[1]), UUID: fmt.Sprintf("GPU-%d", int(r[1])), PowerW: r[2]}
		if !math.IsNaN(r[3]) {
			s.EnergyJ, s.HasEnergy = r[3], true
		}
		b = gpumetrics.AppendRow(b, s)
	}
	b = append(b, tail...)
	p := filepath.Join(t.TempDir(), "gpu_metrics.csv")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// steady is one GPU at a constant watts from t0 to t1 every step seconds,
// its counter starting at e0.
func steady(idx int, watts, e0, t0, t1, step float64) [][4]float64 {
	var rows [][4]float64
	for i := 0; ; i++ {
		tt := t0 + float64(i)*step
		if tt > t1+1e-9 {
			break
		}
		rows = append(rows, [4]float64{tt, float64(idx), watts, e0 + watts*(tt-t0)})
	}
	return rows
}

func TestCounterMethod(t *testing.T) {
	const s, e = 1000.0, 1010.0
	nan := math.NaN()
	withReset := steady(0, 400, 5000, 998, 1012, 0.5)
	for i := range withReset {
		if withReset[i][0] >= 1004 {
			withReset[i][3] -= 4000 + 400*2 // the driver reloaded at 1004: the counter restarts near 0
		}
	}
	noEnergy := steady(0, 400, 0, 998, 1012, 1)
	for i := range noEnergy {
		noEnergy[i][3] = nan
	}
	partial := steady(0, 400, 0, 998, 1012, 1)
	partial[5][3] = nan

	for _, c := range []struct {
		name     string
		rows     [][4]float64
		tail     string
		method   string
		energy   float64
		reason   string // energy_counter_check's reason
		invalid  string // a reason power_valid is 0
		resets   int
		truncate bool
	}{
		{name: "two GPUs, counter exact", rows: append(steady(0, 300, 100, 998.3, 1011.9, 0.1), steady(1, 500, 9e6, 998.25, 1012, 0.25)...),
			method: MethodCounter, energy: 3000 + 5000},
		{name: "counter reset mid-window", rows: withReset, method: MethodCounter, energy: 4000, resets: 1},
		{name: "no counter (AMD, fake)", rows: noEnergy, method: MethodTrapezoid, energy: 4000, reason: "no_energy_counter"},
		{name: "a reading without counter", rows: partial, method: MethodTrapezoid, energy: 4000, reason: "energy_counter_incomplete"},
		{name: "cut-off last row dropped", rows: steady(0, 400, 0, 998, 1012, 1), tail: "1013.000,0,GPU-0,40", method: MethodCounter, energy: 4000, truncate: true},
		{name: "malformed row in the window", rows: steady(0, 400, 0, 998, 1012, 1), tail: "1005.5,0,GPU-0\n", method: MethodCounter, energy: 4000, invalid: "malformed_telemetry_row"},
		{name: "damaged row far away ignored", rows: steady(0, 400, 0, 998, 1012, 1), tail: "1100.0,0,GPU-0,x,\n", method: MethodCounter, energy: 4000},
		{name: "uuid changes", rows: steady(0, 400, 0, 998, 1012, 1), tail: "1012.5,0,GPU-other,400.000,5800.000\n", method: MethodCounter, energy: 4000, invalid: "gpu_uuid_changed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := gpumonFile(t, c.rows, c.tail)
			in := Integrate(p, s, e, nil, Options{Location: time.UTC})
			if c.invalid == "" && !in.Valid {
				t.Fatalf("invalid: %v", in.Reasons)
			}
			if c.invalid != "" && (in.Valid || !contains(in.Reasons, c.invalid)) {
				t.Fatalf("reasons %v, want %s", in.Reasons, c.invalid)
			}
			if in.Method != c.method {
				t.Errorf("method %s, want %s (%s)", in.Method, c.method, in.Counter.Reason)
			}
			if in.TotalEnergyJ == nil || math.Abs(*in.TotalEnergyJ-c.energy) > 1e-6 {
				t.Errorf("energy %v, want %v", in.TotalEnergyJ, c.energy)
			}
			if in.Counter.Reason != c.reason {
				t.Errorf("counter reason %q, want %q", in.Counter.Reason, c.reason)
			}
			n := 0
			for _, d := range in.Counter.Discontinuities {
				n += len(d)
			}
			if n != c.resets {
				t.Errorf("%d discontinuities reported, want %d", n, c.resets)
			}
			if in.Truncated != c.truncate {
				t.Errorf("truncated %v, want %v", in.Truncated, c.truncate)
			}
		})
	}
}

// TestCounterBoundaryInterpolation: a window that starts and ends between
// samples takes the counter's share of the straddling intervals.
func TestCounterBoundaryInterpolation(t *testing.T) {
	// The counter rises 100 J per second, then 500 J per second; power
	// samples say something else entirely (they are not used).
	rows := [][4]float64{{0, 0, 1, 0}, {1, 0, 1, 100}, {2, 0, 1, 600}, {3, 0, 1, 1100}}
	in := Integrate(gpumonFile(t, rows, ""), 0.5, 2.25, nil, Options{Location: time.UTC})
	want := 50.0 + 500 + 125
	if in.Method != MethodCounter || math.Abs(*in.TotalEnergyJ-want) > 1e-9 {
		t.Fatalf("%s %v J, want %v", in.Method, *in.TotalEnergyJ, want)
	}
	if got := in.Counter.TotalIntegratedJ; math.Abs(got-1.75) > 1e-12 {
		t.Errorf("integrated power %v, want 1.75 J", got)
	}
}

// TestOverflowIsNullInTheSidecar: absurd but finite powers overflow the
// integral; upstream then writes a bare Infinity into the single-node
// sidecar, which strict JSON readers refuse. We write null, and the
// aggregate gets no metrics (aggregate_result_unwritable, as upstream).
func TestOverflowIsNullInTheSidecar(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("timestamp,index,power.draw [W]\n")
	for s := 0; s <= 12; s++ {
		fmt.Fprintf(&b, "%d,0,9e307\n", 1000+s)
	}
	b.WriteString("")
	csv := strings.ReplaceAll(b.String(), "9e307", "8"+strings.Repeat("9", 307))
	if err := os.WriteFile(filepath.Join(dir, "gpu_metrics.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = os.WriteFile(filepath.Join(dir, "bench.json"), []byte(`{"benchmark_start_time_unix": 1001, "benchmark_end_time_unix": 1011, "duration": 10, "completed": 1, "total_input_tokens": 1, "total_output_tokens": 1}`), 0o644)
	_ = os.WriteFile(filepath.Join(dir, "agg.json"), []byte(`{"hw": "x"}`), 0o644)
	var stdout, stderr bytes.Buffer
	one := int64(1)
	code := RunSingle(SingleArgs{CSV: "gpu_metrics.csv", BenchResult: "bench.json", AggResult: "agg.json", ValidationResult: "v.json",
		Expected: &one, Opt: Options{Location: time.UTC}}, testIO(dir, &stdout, &stderr))
	side, _ := os.ReadFile(filepath.Join(dir, "v.json"))
	agg, _ := os.ReadFile(filepath.Join(dir, "agg.json"))
	if code != 0 || !strings.Contains(string(side), `"0": null`) || strings.Contains(string(side), "Infinity") ||
		!strings.Contains(string(side), "aggregate_result_unwritable") || strings.Contains(string(agg), "power") {
		t.Errorf("exit %d\nsidecar %s\nagg %s\n%s", code, side, agg, stderr.String())
	}
}
