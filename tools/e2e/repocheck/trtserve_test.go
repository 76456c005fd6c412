package repocheck

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inferencex/inferencex-go/pkg/golden"
)

// fakeMpirun stands in for `mpirun ... trtllm-serve ...`: it records its
// arguments, the environment TensorRT-LLM reads, and the extra options file,
// then stays up as the server process.
const fakeMpirun = `#!/usr/bin/env bash
{
    echo "-- argv"
    printf '%s\n' "$@"
    echo "-- env"
    env | grep -E '^(TLLM_|TRTLLM_|PYTHONNOUSERSITE=|ENABLE_CONFIGURABLE_MOE=|PYTORCH_CUDA_ALLOC_CONF=|NCCL_)' | sort
    opts=""
    prev=""
    for a; do
        case "$a" in
            --extra_llm_api_options=*) opts=${a#*=} ;;
        esac
        if [[ "$prev" == --extra_llm_api_options ]]; then opts=$a; fi
        prev=$a
    done
    echo "-- $opts"
    cat "$opts"
} > "$SERVER_RECORD"
exec sleep 60
`

// TestTRTServerCommands keeps, for each TensorRT-LLM benchmark script and a
// few job shapes, the trtllm-serve command line, environment and options
// file it produces (testdata/trt/<script>_<shape>.txt).
func TestTRTServerCommands(t *testing.T) {
	scripts := []string{"dsr1_fp4_b200_trt", "dsr1_fp4_b200_trt_mtp", "dsr1_fp8_b200_trt", "dsr1_fp8_b200_trt_mtp",
		"dsr1_fp8_h200_trt", "dsr1_fp8_h200_trt_mtp", "gptoss_fp4_b200_trt", "gptoss_fp4_h200_trt"}
	shapes := []struct {
		name string
		env  []string
	}{
		{"1k1k_tp8_c64_dp", []string{"ISL=1024", "OSL=1024", "CONC=64", "TP=8", "EP_SIZE=8", "DP_ATTENTION=true", "MAX_MODEL_LEN=2248"}},
		{"1k8k_tp4_c256", []string{"ISL=1024", "OSL=8192", "CONC=256", "TP=4", "EP_SIZE=4", "DP_ATTENTION=false", "MAX_MODEL_LEN=9416"}},
		{"8k1k_tp4_c4", []string{"ISL=8192", "OSL=1024", "CONC=4", "TP=4", "EP_SIZE=1", "DP_ATTENTION=false", "MAX_MODEL_LEN=9416"}},
	}
	root := repoRoot(t)
	var ready atomic.Bool
	ready.Store(true)
	port := healthServer(t, &ready)
	for _, script := range scripts {
		for _, shape := range shapes {
			t.Run(script+"/"+shape.name, func(t *testing.T) {
				dir := t.TempDir()
				write(t, dir, "bin/loadgen", fakeLoadgen)
				write(t, dir, "bin/mpirun", fakeMpirun)
				write(t, dir, "bin/hf", "#!/usr/bin/env bash\nexit 0\n")
				for _, b := range []string{"loadgen", "mpirun", "hf"} {
					if err := os.Chmod(filepath.Join(dir, "bin", b), 0o755); err != nil {
						t.Fatal(err)
					}
				}
				cmd := exec.Command("bash", filepath.Join(root, "benchmarks", script+".sh"))
				cmd.Dir = dir
				cmd.Env = append([]string{
					"PATH=" + filepath.Join(dir, "bin") + ":" + os.Getenv("PATH"),
					"WORKSPACE_DIR=" + dir, "LOADGEN_BIN=" + filepath.Join(dir, "bin", "loadgen"),
					"RECORD=" + filepath.Join(dir, "loadgen.args"), "SERVER_RECORD=" + filepath.Join(dir, "server.txt"),
					"HEALTH_POLL_INTERVAL=0.1", "PORT=" + port,
					"MODEL=org/model", "RANDOM_RANGE_RATIO=0.8", "RESULT_FILENAME=job",
				}, shape.env...)
				var out bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &out
				cmd.WaitDelay = 5 * time.Second
				if err := cmd.Run(); err != nil {
					t.Fatalf("%v\n%s", err, out.String())
				}
				got, err := os.ReadFile(filepath.Join(dir, "server.txt"))
				if err != nil {
					t.Fatalf("%v\n%s", err, out.String())
				}
				got = []byte(strings.NewReplacer(dir, "$WORK", port, "$PORT").Replace(string(got)))
				golden.Check(t, filepath.Join("testdata", "trt", script+"_"+shape.name+".txt"), got)
			})
		}
	}
}
