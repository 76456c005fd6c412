package amdsmi

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inferencex/inferencex-go/pkg/gpumetrics"
)

// fakeAMDSMI is a stand-in for amd-smi: its watch mode prints a warning,
// then a header and two GPUs' rows every 50 ms (whatever -w says); its
// -E snapshot counts up on each call; list gives one UUID.
const fakeAMDSMI = `#!/usr/bin/env bash
state="$(dirname "$0")/calls"
case "$*" in
  "list --csv")
    printf 'gpu,gpu_bdf,gpu_uuid\n0,0000:05:00.0,uuid-gpu0\n' ;;
  "metric -E --csv")
    n=$(( $(cat "$state" 2>/dev/null || echo 0) + 1 )); echo "$n" > "$state"
    printf '%s\n' "gpu,socket_power,gfx_voltage,soc_voltage,mem_voltage,throttle_status,power_management,total_energy_consumption"
    printf '0,238,N/A,N/A,N/A,N/A,ENABLED,%d000.5\n1,239,N/A,N/A,N/A,N/A,ENABLED,%d100.5\n' "$n" "$n" ;;
  "metric -p -w 1 --csv")
    echo "WARNING: User is missing the following required groups: render, video"
    trap 'exit 0' TERM
    i=0
    while true; do
      echo "timestamp,gpu,socket_power,power_management"
      echo "1700000000,0,$((700 + i)),ENABLED"
      echo "1700000000,1,N/A,ENABLED"
      echo "1700000000,1,$((600 + i)),ENABLED"
      i=$((i + 1))
      sleep 0.05
    done ;;
  *) echo "fake amd-smi: unexpected arguments: $*" >&2; exit 2 ;;
esac
`

func TestBackendStreamsAndSnapshots(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "amd-smi")
	if err := os.WriteFile(bin, []byte(fakeAMDSMI), 0o755); err != nil {
		t.Fatal(err)
	}
	csv := filepath.Join(dir, "gpu_metrics.csv")
	var mu sync.Mutex
	var warns []string
	warn := func(err error) { mu.Lock(); warns = append(warns, err.Error()); mu.Unlock() }
	b, err := Open(context.Background(), bin, csv, time.Now, warn)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var rows []gpumetrics.Sample
	stopAt := -1
	emit := func(s []gpumetrics.Sample) error {
		mu.Lock()
		defer mu.Unlock()
		rows = append(rows, s...)
		if len(rows) >= 8 && stopAt < 0 {
			stopAt = len(rows)
			cancel()
		}
		return nil
	}
	if err := b.Run(ctx, 100*time.Millisecond, emit, warn); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	// After the stop, one more reading of each GPU, then amd-smi is gone.
	after := map[int]bool{}
	for _, r := range rows[stopAt:] {
		after[r.Index] = true
	}
	if !after[0] || !after[1] {
		t.Errorf("after the stop: %v (rows %d, stopped at %d)", after, len(rows), stopAt)
	}
	if rows[0].UUID != "uuid-gpu0" || !strings.HasPrefix(rows[1].UUID, "amdgpu-1@") || rows[0].HasEnergy {
		t.Errorf("rows %+v", rows[:2])
	}
	nNA := 0
	for _, w := range warns {
		if strings.Contains(w, `power "N/A"`) {
			nNA++
		}
	}
	if nNA == 0 {
		t.Errorf("the N/A reading was not reported: %v", warns)
	}
	start, end := SnapshotPaths(csv)
	s, err1 := os.ReadFile(start)
	e, err2 := os.ReadFile(end)
	if err1 != nil || err2 != nil || !strings.Contains(string(s), "1000.5") || !strings.Contains(string(e), "2000.5") {
		t.Errorf("snapshots: %q %q (%v %v)", s, e, err1, err2)
	}
}

func TestNotFound(t *testing.T) {
	if _, err := Open(context.Background(), filepath.Join(t.TempDir(), "amd-smi"), "", time.Now, func(error) {}); err != ErrNotFound {
		t.Errorf("%v", err)
	}
}

func TestStreamDiesEarly(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "amd-smi")
	script := "#!/usr/bin/env bash\ncase \"$1\" in metric) if [ \"$2\" = -p ]; then echo 'boom: no GPU' >&2; exit 3; fi; echo 'gpu,total_energy_consumption';; esac\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := Open(context.Background(), bin, "", time.Now, func(error) {})
	if err != nil {
		t.Fatal(err)
	}
	err = b.Run(context.Background(), time.Second, func([]gpumetrics.Sample) error { return nil }, func(error) {})
	if err == nil || !strings.Contains(err.Error(), "boom: no GPU") {
		t.Errorf("%v", err)
	}
}
