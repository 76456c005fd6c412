package amdsmi

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/inferencex/inferencex-go/pkg/atomicfile"
	"github.com/inferencex/inferencex-go/pkg/gpumetrics"
	"github.com/inferencex/inferencex-go/tools/gpumon/monitor"
)

// ErrNotFound is returned when there is no amd-smi to run.
var ErrNotFound = errors.New("amd-smi: not found in PATH (no AMD GPU tooling on this machine)")

// SnapshotPaths are where the accumulator snapshots of csvPath go: beside
// it, <stem>_energy_start.csv and <stem>_energy_end.csv, the names
// upstream's monitor uses and resultproc's cross-check reads.
func SnapshotPaths(csvPath string) (start, end string) {
	stem := strings.TrimSuffix(csvPath, filepath.Ext(csvPath))
	return stem + "_energy_start.csv", stem + "_energy_end.csv"
}

// Backend streams amd-smi's watch mode.
type Backend struct {
	bin     string // the amd-smi program
	csvPath string // the output CSV, for the snapshots ("" for none)
	now     monitor.Clock
	uuids   map[int]string
	host    string
	// Warn reports what goes wrong outside Run (the snapshots).
	Warn func(error)
}

// Open finds amd-smi, learns the GPUs' identities and takes the start
// snapshot of the energy accumulators.
func Open(ctx context.Context, bin, csvPath string, now monitor.Clock, warn func(error)) (*Backend, error) {
	path, err := exec.LookPath(bin)
	if err != nil {
		return nil, ErrNotFound
	}
	b := &Backend{bin: path, csvPath: csvPath, now: now, uuids: map[int]string{}, Warn: warn}
	b.host, _ = os.Hostname()
	if out, err := b.output(ctx, "list", "--csv"); err == nil {
		b.uuids = parseList(out)
	} else {
		warn(fmt.Errorf("amd-smi list: %w (GPUs are named by index)", err))
	}
	if csvPath != "" {
		start, _ := SnapshotPaths(csvPath)
		b.snapshot(ctx, start)
	}
	return b, nil
}

func (b *Backend) output(ctx context.Context, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, b.bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%w: %s", err, strings.TrimSpace(lastLine(stderr.String())))
	}
	return out, nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// snapshot writes `amd-smi metric -E --csv` to path, or removes path
// rather than leave a stale one.
func (b *Backend) snapshot(ctx context.Context, path string) {
	out, err := b.output(ctx, "metric", "-E", "--csv")
	if err == nil {
		err = atomicfile.Write(path, out, 0o644)
	}
	if err != nil {
		_ = os.Remove(path)
		b.Warn(fmt.Errorf("energy accumulator snapshot %s: %w", path, err))
	}
}

// parseList reads `amd-smi list --csv` for each GPU's UUID.
func parseList(out []byte) map[int]string {
	m := map[int]string{}
	var gpu, uuid = -1, -1
	for _, line := range strings.Split(string(out), "\n") {
		cells := strings.Split(strings.TrimRight(line, "\r"), ",")
		if gpu < 0 {
			for i, c := range cells {
				switch strings.TrimSpace(c) {
				case "gpu":
					gpu = i
				case "gpu_uuid", "uuid":
					uuid = i
				}
			}
			if gpu < 0 || uuid < 0 {
				gpu, uuid = -1, -1
			}
			continue
		}
		if len(cells) <= max(gpu, uuid) {
			continue
		}
		g, err := strconv.Atoi(strings.TrimSpace(cells[gpu]))
		u := strings.TrimSpace(cells[uuid])
		if err == nil && u != "" && !strings.ContainsAny(u, " \t") {
			m[g] = u
		}
	}
	return m
}

// Name implements monitor.Backend.
func (b *Backend) Name() string { return "amd-smi" }

func (b *Backend) uuid(g int) string {
	if u, ok := b.uuids[g]; ok {
		return u
	}
	return fmt.Sprintf("amdgpu-%d@%s", g, b.host)
}

// Run implements monitor.Backend. amd-smi's watch interval is whole
// seconds, at least one. After ctx is done it waits for one more reading
// of every GPU (at most an interval and two seconds) before it stops
// amd-smi: the benchmark window's end needs a sample after it.
func (b *Backend) Run(ctx context.Context, interval time.Duration, emit func([]gpumetrics.Sample) error, warn func(error)) error {
	secs := max(1, int(interval.Round(time.Second)/time.Second))
	cmd := exec.Command(b.bin, "metric", "-p", "-w", strconv.Itoa(secs), "--csv")
	// amd-smi is Python: unbuffered, or its last rows die with it.
	cmd.Env = append(os.Environ(), "PYTHONUNBUFFERED=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting amd-smi: %w", err)
	}
	lines := make(chan string, 256)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	stop := func() error {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() {
			for range lines { // drain so the reader can finish
			}
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		wg.Wait()
		_ = cmd.Wait()
		return nil
	}

	var p Parser
	all := map[int]bool{}  // every GPU the stream has shown
	seen := map[int]bool{} // GPUs read since the stop was asked
	stopping := false
	var deadline <-chan time.Time
	done := ctx.Done()
	for {
		select {
		case <-done:
			stopping, done = true, nil
			deadline = time.After(time.Duration(secs)*time.Second + 2*time.Second)
		case <-deadline:
			warn(errors.New("no reading came after the stop: the window's end may not be bracketed"))
			return stop()
		case line, ok := <-lines:
			if !ok {
				werr := cmd.Wait()
				if stopping {
					return nil
				}
				return fmt.Errorf("amd-smi stopped (%v): %s", werr, strings.TrimSpace(lastLine(stderr.String())))
			}
			r, isRow, reason := p.Line(line)
			if reason != "" {
				warn(errors.New(reason))
			}
			if !isRow {
				continue
			}
			s := gpumetrics.Sample{UnixMilli: b.now().UnixMilli(), Index: r.GPU, UUID: b.uuid(r.GPU), PowerW: r.PowerW,
				EnergyJ: r.EnergyJ, HasEnergy: r.HasEnergy}
			if err := emit([]gpumetrics.Sample{s}); err != nil {
				_ = stop()
				return err
			}
			all[r.GPU] = true
			if stopping {
				seen[r.GPU] = true
				if len(seen) >= len(all) {
					return stop()
				}
			}
		}
	}
}

// Close implements monitor.Backend: the end snapshot.
func (b *Backend) Close() error {
	if b.csvPath != "" {
		_, end := SnapshotPaths(b.csvPath)
		b.snapshot(context.Background(), end)
	}
	return nil
}
