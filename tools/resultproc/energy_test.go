package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/inferencex/inferencex-go/pkg/golden"
	"github.com/inferencex/inferencex-go/pkg/gpumetrics"
	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/pkg/results"
	"github.com/inferencex/inferencex-go/tools/resultproc/power"
)

var powerKeys = map[string]bool{"power_metric_schema_version": true, "power_valid": true}

func init() {
	for _, k := range append(append([]string(nil), power.WholeMetricKeys...), power.RoleMetricKeys...) {
		powerKeys[k] = true
	}
}

// powerFields is the power part of a processed result, in order.
func powerFields(t *testing.T, doc string) string {
	t.Helper()
	v, err := results.DecodeOrdered([]byte(doc))
	if err != nil {
		t.Fatalf("%v\n%s", err, doc)
	}
	o := &pyjson.Object{}
	in := v.(*pyjson.Object)
	for _, k := range in.Keys() {
		if powerKeys[k] {
			x, _ := in.Get(k)
			o.Set(k, x)
		}
	}
	b, _ := pyjson.Marshal(o)
	return string(b)
}

// runDir runs resultproc in a copy of a job directory.
func runDir(t *testing.T, dir string, env map[string]string) outcome {
	t.Helper()
	work := t.TempDir()
	if err := os.CopyFS(work, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	_ = os.Remove(filepath.Join(work, "upstream.json"))
	_ = os.Remove(filepath.Join(work, "go.golden"))
	var stdout, stderr bytes.Buffer
	code := run(nil, work, &stdout, &stderr, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	o := outcome{exit: code, stdout: stdout.String(), stderr: stderr.String(), files: map[string]string{}}
	for _, pat := range []string{"agg_*", "power_validation_*"} {
		outs, _ := filepath.Glob(filepath.Join(work, pat))
		for _, p := range outs {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			o.files[filepath.Base(p)] = string(data)
		}
	}
	return o
}

// TestEnergyAgainstUpstreamMain runs whole jobs (environment, raw result,
// telemetry) and compares the power fields, the sidecar and the power
// report with what upstream main's process_result.py made of the same
// directory (scripts/gen-power-golden.py); gpumon's CSV is ours alone.
func TestEnergyAgainstUpstreamMain(t *testing.T) {
	dirs, _ := filepath.Glob("testdata/energy/*")
	if len(dirs) < 8 {
		t.Fatalf("found %d cases", len(dirs))
	}
	for _, dir := range dirs {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			env := caseEnv(t, dir)
			var up original
			data, err := os.ReadFile(filepath.Join(dir, "upstream.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(data, &up); err != nil {
				t.Fatal(err)
			}
			got := runDir(t, dir, env)
			golden.Check(t, filepath.Join(dir, "go.golden"), []byte(got.golden()))
			if got.exit != up.Exit {
				t.Errorf("exit %d, upstream %d\n%s", got.exit, up.Exit, got.stderr)
			}
			if len(got.files) != len(up.Files) {
				t.Errorf("wrote %v, upstream %v", keysOf(got.files), keysOf(up.Files))
			}
			for f, w := range up.Files {
				g, ok := got.files[f]
				if !ok {
					t.Errorf("no %s", f)
					continue
				}
				switch {
				case strings.HasPrefix(f, "agg_"):
					if name == "single-gpumon" {
						continue // the counter, not integrated power
					}
					if gp, wp := powerFields(t, g), powerFields(t, w); gp != wp {
						t.Errorf("power fields of %s:\n ours     %s\n upstream %s", f, gp, wp)
					}
				case name != "single-gpumon" && g != w:
					t.Errorf("%s differs from upstream's\n--- ours ---\n%s\n--- upstream ---\n%s", f, g, w)
				}
			}
			if line := firstLine(up.Stdout); strings.HasPrefix(line, "[aggregate_power") && name != "single-gpumon" && firstLine(got.stdout) != line {
				t.Errorf("power report %q, upstream %q", firstLine(got.stdout), line)
			}
		})
	}
}

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }

func keysOf(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// TestEnergyFromNodeFiles: a multi-node job with gpumon on each node.
func TestEnergyFromNodeFiles(t *testing.T) {
	dir := t.TempDir()
	raw := `{"date": "20260804-101500", "backend": "vllm", "model_id": "m", "tokenizer_id": "m", "num_prompts": 8, "request_rate": "inf",
 "burstiness": 1.0, "max_concurrency": 4, "duration": 60.0, "completed": 8, "total_input_tokens": 32768, "total_output_tokens": 4096,
 "request_throughput": 1, "output_throughput": 68.2, "total_token_throughput": 614.4, "median_ttft_ms": 100, "median_tpot_ms": 20,
 "median_e2el_ms": 2000, "benchmark_start_time_unix": 1000.0, "benchmark_end_time_unix": 1060.0}`
	if err := os.WriteFile(filepath.Join(dir, "r.json"), []byte(raw), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = os.Mkdir(filepath.Join(dir, "gpu_metrics"), 0o755)
	for _, n := range []struct {
		name  string
		watts float64
	}{{"prefill_node-p", 400}, {"decode_node-d", 300}} {
		b := []byte(gpumetrics.Header + "\n")
		for ms := int64(998_000); ms <= 1_062_000; ms += 100 {
			for g := 0; g < 2; g++ {
				b = gpumetrics.AppendRow(b, gpumetrics.Sample{UnixMilli: ms, Index: g, UUID: fmt.Sprintf("GPU-%s-%d", n.name, g),
					PowerW: n.watts, EnergyJ: n.watts * float64(ms-998_000) / 1000, HasEnergy: true})
			}
		}
		if err := os.WriteFile(filepath.Join(dir, "gpu_metrics", n.name+".csv"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{}
	for k, v := range caseEnv(t, "testdata/energy/multinode-nothing") {
		env[k] = v
	}
	got := runDir(t, dir, env)
	if got.exit != 0 {
		t.Fatalf("exit %d\n%s", got.exit, got.stderr)
	}
	fields := powerFields(t, got.files["agg_r.json"])
	for _, want := range []string{`"power_valid": 1`, `"total_gpu_energy_j": 84000.0`, `"prefill_gpu_energy_j": 48000.0`,
		`"decode_gpu_energy_j": 36000.0`, `"prefill_avg_power_w": 400.0`, `"decode_joules_per_output_token": 8.789062`} {
		if !strings.Contains(fields, want) {
			t.Errorf("no %s in %s", want, fields)
		}
	}
	if !strings.Contains(got.files["power_validation_r.json"], `"integration_method": "per_device_energy_counter_with_linear_boundary_interpolation"`) {
		t.Errorf("sidecar:\n%s", got.files["power_validation_r.json"])
	}
	if !strings.HasPrefix(got.stdout, "[gpumon_power_multinode] avg_power_w=350.00") {
		t.Errorf("stdout %q", got.stdout)
	}
}

// TestPowerSubcommandBinary runs `resultproc power` as a workflow would
// run aggregate_power.py.
func TestPowerSubcommandBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "resultproc")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	work := t.TempDir()
	if err := os.CopyFS(work, os.DirFS("power/testdata/upstream/single/trapezoid-5400")); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "power", "--csv", "gpu_metrics.csv", "--bench-result", "bench.json", "--agg-result", "agg.json",
		"--expected-num-gpus", "2", "--validation-result", "power_validation.json")
	cmd.Dir = work
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "TZ=UTC"}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v", err)
	}
	if !strings.Contains(string(out), "total_gpu_energy_j=5400.00 (n=2) -> agg.json") {
		t.Errorf("stdout %q", out)
	}
	var up struct{ Files map[string]string }
	data, _ := os.ReadFile(filepath.Join(work, "upstream.json"))
	_ = json.Unmarshal(data, &up)
	for _, f := range []string{"agg.json", "power_validation.json"} {
		got, _ := os.ReadFile(filepath.Join(work, f))
		if string(got) != up.Files[f] {
			t.Errorf("%s differs from upstream's", f)
		}
	}
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"power", "--bench-result", "bench.json"}, 2},
		{[]string{"power", "--bench-result", "bench.json", "--agg-result", "agg.json", "--expected-num-gpus", "two"}, 2},
		{[]string{"power-multinode", "--help"}, 0},
		{[]string{"power-agentic", "--result-dir", "nowhere", "--agg-result", "missing.json"}, 2},
	} {
		cmd := exec.Command(bin, c.args...)
		cmd.Dir = work
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		if code != c.code {
			t.Errorf("%v: exit %d, want %d", c.args, code, c.code)
		}
	}
}
