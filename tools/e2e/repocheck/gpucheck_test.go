package repocheck

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The stand-ins for what scripts/gpu-energy-check.sh finds on a GPU machine:
// nvidia-smi reporting one GPU at a constant 300 W every 100 ms (its real
// CSV format, local time with TZ=UTC), gpumon's NVML backend swapped for
// its fake GPUs at the same 300 W, and a torch whose matrix product does
// nothing.
const (
	fakeNvidiaSmi = `#!/usr/bin/env bash
if [[ $1 == -L ]]; then echo "GPU 0: NVIDIA H200 (UUID: GPU-00000000-0000-0000-0000-000000000000)"; exit 0; fi
trap 'exit 0' TERM
echo "timestamp, index, power.draw [W], temperature.gpu, clocks.current.sm [MHz], clocks.current.memory [MHz], utilization.gpu [%], utilization.memory [%]"
while :; do printf '%s, 0, 300.00 W, 40, 1980 MHz, 3201 MHz, 100 %%, 50 %%\n' "$(date '+%Y/%m/%d %H:%M:%S.%3N')"; sleep 0.1; done
`
	fakeTorch = `bfloat16 = None
class _T:
    def __matmul__(self, other):
        return self
def randn(*a, **k):
    return _T()
class cuda:
    @staticmethod
    def synchronize():
        pass
`
)

// TestGPUEnergyCheckScript runs the prepared on-GPU check end to end with
// stand-ins for the hardware, so that the one run a lent GPU machine gets
// is not spent finding a bug in the script: it must measure both windows
// from both files, the counter method on gpumon's and upstream's method on
// nvidia-smi's, and get the stand-ins' 300 W right.
func TestGPUEnergyCheckScript(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3: the check's load and summary are Python")
	}
	root := repoRoot(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	gpumon := buildGpumon(t)
	resultproc := buildResultproc(t)
	write(t, bin, "nvidia-smi", fakeNvidiaSmi)
	write(t, bin, "gpumon", "#!/usr/bin/env bash\nexec "+gpumon+` "$@" --backend fake --fake-gpus 1 --fake-ramp 0s --fake-idle-w 300 --fake-busy-w 300`+"\n")
	for _, f := range []string{"nvidia-smi", "gpumon"} {
		if err := os.Chmod(filepath.Join(bin, f), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write(t, filepath.Join(dir, "py", "torch"), "__init__.py", fakeTorch)

	out := filepath.Join(dir, "out")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, "scripts", "gpu-energy-check.sh"))
	cmd.Env = []string{"PATH=" + bin + ":" + os.Getenv("PATH"), "HOME=" + dir, "PYTHONPATH=" + filepath.Join(dir, "py"),
		"PYTHON=" + python, "GPUMON=" + filepath.Join(bin, "gpumon"), "RESULTPROC=" + resultproc,
		"IDLE_S=2", "LOAD_S=2", "OUT=" + out}
	cmd.WaitDelay = 5 * time.Second
	log, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("gpu-energy-check.sh: %v\n%s", err, log)
	}
	if n := strings.Count(string(log), "\n| ramp-") + strings.Count(string(log), "\n| whole-"); n != 4 {
		t.Errorf("%d rows in the table, want 4:\n%s", n, log)
	}

	// The ramp window is one idle second before the load and the load's
	// 2 s: 900 J at 300 W (the fake GPU's 3% ripple allowed for).
	for _, tc := range []struct {
		name, method string
		counter      bool
	}{
		{"ramp-gpumon", "per_device_energy_counter_with_linear_boundary_interpolation", true},
		{"ramp-nvidia-smi", "per_device_trapezoidal_with_linear_boundary_interpolation", false},
	} {
		data, err := os.ReadFile(filepath.Join(out, tc.name, "sidecar.json"))
		if err != nil {
			t.Fatalf("%v\n%s", err, log)
		}
		var v struct {
			Method  string `json:"integration_method"`
			Metrics struct {
				Energy float64 `json:"total_gpu_energy_j"`
			} `json:"metrics"`
			Check struct {
				Counter    *float64 `json:"energy_counter_j"`
				Integrated *float64 `json:"integrated_power_j"`
			} `json:"energy_counter_check"`
		}
		if err := json.Unmarshal(data, &v); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if v.Method != tc.method || !(math.Abs(v.Metrics.Energy-900) <= 0.03*900) {
			t.Errorf("%s: %s, %v J; want %s, 900 J", tc.name, v.Method, v.Metrics.Energy, tc.method)
		}
		if tc.counter && (v.Check.Counter == nil || v.Check.Integrated == nil ||
			!(math.Abs(*v.Check.Counter-*v.Check.Integrated) <= 0.001**v.Check.Counter)) {
			t.Errorf("%s: the cross-check is missing or off:\n%s", tc.name, data)
		}
	}
}

func buildResultproc(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "resultproc")
	cmd := exec.Command("go", "build", "-o", bin, "./tools/resultproc")
	cmd.Dir = repoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build resultproc: %v\n%s", err, out)
	}
	return bin
}
