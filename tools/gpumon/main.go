// Command gpumon records GPU board power and energy while a benchmark
// runs: every GPU every --interval (100 ms), one CSV row per GPU per
// sample (timestamp,index,uuid,power_w,energy_j), written as it is read.
// The benchmark scripts start it before the serving stack and stop it
// (SIGTERM) after the run; it then takes one last sample, so that the
// benchmark window is bracketed, and exits 0.
//
//	gpumon --output gpu_metrics.csv              # NVML, else amd-smi
//	gpumon --backend fake --fake-gpus 2 --duration 5s
//
// Backends: NVML (NVIDIA, through go-nvml; libnvidia-ml.so.1 is loaded at
// start-up, so gpumon runs, and says there is no driver, anywhere),
// amd-smi (AMD, its watch mode and energy-accumulator snapshots), fake
// (simulated GPUs for tests and the demo). Exit status: 0 stopped, 1 no
// telemetry could be taken or written, 2 bad command line. See
// docs/gpumon.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/inferencex/inferencex-go/pkg/cliargs"
	"github.com/inferencex/inferencex-go/tools/gpumon/amdsmi"
	"github.com/inferencex/inferencex-go/tools/gpumon/fakegpu"
	"github.com/inferencex/inferencex-go/tools/gpumon/monitor"
	"github.com/inferencex/inferencex-go/tools/gpumon/nvmlgpu"
)

func main() {
	ctx, stop := signalContext()
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv))
}

// signalContext ends on SIGINT or SIGTERM: gpumon then takes its last
// sample and exits.
func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		if s, ok := <-sigs; ok {
			cancel(fmt.Errorf("received %v", s))
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(sigs)
		cancel(nil)
	}
}

type options struct {
	output, backend, amdSMI string
	interval, duration      time.Duration
	watchPID                int
	fake                    fakegpu.Config
}

// parseDuration takes a Go duration (100ms, 1s) or plain seconds (0.5, 1),
// as upstream's monitor took --interval 1.
func parseDuration(s string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return time.Duration(f * float64(time.Second)), nil
	}
	return time.ParseDuration(s)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, lookup func(string) (string, bool)) int {
	getenv := func(k, def string) string {
		if v, ok := lookup(k); ok && v != "" {
			return v
		}
		return def
	}
	o := options{output: "gpu_metrics.csv", backend: getenv("GPUMON_BACKEND", "auto"), amdSMI: "amd-smi",
		interval: 100 * time.Millisecond, fake: fakegpu.Default}
	if n, err := strconv.Atoi(getenv("GPUMON_FAKE_GPUS", "")); err == nil {
		o.fake.GPUs = n
	}
	dur := func(dst *time.Duration, name string, positive bool) func(string) error {
		return func(s string) error {
			d, err := parseDuration(s)
			if err != nil || d < 0 || (positive && d == 0) {
				return fmt.Errorf("%s: %q is not a duration (100ms, 1s, or seconds)", name, s)
			}
			*dst = d
			return nil
		}
	}
	p := cliargs.New("gpumon", "Record every GPU's board power and energy counter into a CSV (timestamp,index,uuid,power_w,energy_j) until stopped (SIGTERM, SIGINT, --duration or --watch-pid).")
	p.String(&o.output, "--output,-o", "the CSV to write (truncated first); - for standard output", cliargs.DefaultHelp("gpu_metrics.csv"))
	p.Func("--interval", "time between samples: a duration (100ms) or seconds (0.5); amd-smi takes whole seconds", dur(&o.interval, "--interval", true), cliargs.DefaultHelp("100ms"))
	p.String(&o.backend, "--backend", "where the readings come from: auto tries nvml, then amd-smi", cliargs.Choices("auto", "nvml", "amd-smi", "fake"), cliargs.DefaultHelp("GPUMON_BACKEND or auto"))
	p.Func("--duration", "stop after this long (0: until a signal)", dur(&o.duration, "--duration", false), cliargs.DefaultHelp("0"))
	p.Int(&o.watchPID, "--watch-pid", "stop when this process has exited (the benchmark script), so that no gpumon outlives its job", cliargs.Metavar("PID"))
	p.String(&o.amdSMI, "--amd-smi", "the amd-smi program", cliargs.DefaultHelp("amd-smi"))
	p.Int(&o.fake.GPUs, "--fake-gpus", "fake backend: how many GPUs", cliargs.DefaultHelp("GPUMON_FAKE_GPUS or 8"))
	p.Float(&o.fake.IdleW, "--fake-idle-w", "fake backend: power at the start, W", cliargs.DefaultHelp("80"))
	p.Float(&o.fake.BusyW, "--fake-busy-w", "fake backend: power after the ramp, W", cliargs.DefaultHelp("520"))
	p.Func("--fake-ramp", "fake backend: time from idle to busy", dur(&o.fake.Ramp, "--fake-ramp", false), cliargs.DefaultHelp("2s"))
	p.Bool(&o.fake.NoCounter, "--fake-no-counter", "fake backend: GPUs without an energy counter (as amd-smi's stream)")
	if err := p.Parse(args, stdout); err != nil {
		if errors.Is(err, cliargs.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, err)
		return 2
	}
	if o.watchPID < 0 {
		fmt.Fprintf(stderr, "gpumon: error: --watch-pid: %d is not a process id\n", o.watchPID)
		return 2
	}
	warn := func(err error) { fmt.Fprintf(stderr, "gpumon: %v\n", err) }

	csvPath := o.output
	if csvPath == "-" {
		csvPath = ""
	}
	b, what, err := open(ctx, o, csvPath, warn)
	if err != nil {
		fmt.Fprintf(stderr, "gpumon: no GPU telemetry: %v\n", err)
		return 1
	}
	var out io.Writer = stdout
	if o.output != "-" {
		// A stream, not a document: rows are appended as they come, so
		// a reader (or a kill) sees every complete row so far.
		f, err := os.OpenFile(o.output, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			_ = b.Close()
			fmt.Fprintf(stderr, "gpumon: %v\n", err)
			return 1
		}
		defer f.Close()
		out = f
	}
	if o.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.duration)
		defer cancel()
	}
	if o.watchPID > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		go watch(ctx, o.watchPID, cancel)
	}
	fmt.Fprintf(stderr, "gpumon: %s: %s, every %v -> %s (pid %d)\n", b.Name(), what, o.interval, o.output, os.Getpid())
	st, err := monitor.Run(ctx, monitor.Options{Backend: b, Interval: o.interval, Out: out, Log: stderr})
	fmt.Fprintf(stderr, "gpumon: stopped: %d rows", st.Rows)
	if st.Warnings > 0 {
		fmt.Fprintf(stderr, ", %d failed readings", st.Warnings)
	}
	fmt.Fprintln(stderr)
	if err != nil {
		fmt.Fprintf(stderr, "gpumon: %v\n", err)
		return 1
	}
	return 0
}

// watch cancels when pid is gone.
func watch(ctx context.Context, pid int, cancel func()) {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
				cancel()
				return
			}
		}
	}
}

// open starts the chosen backend, or the first that works for auto.
func open(ctx context.Context, o options, csvPath string, warn func(error)) (monitor.Backend, string, error) {
	switch o.backend {
	case "fake":
		b, err := fakegpu.New(o.fake, time.Now)
		if err != nil {
			return nil, "", err
		}
		return b, fmt.Sprintf("%d SIMULATED GPU(s) (FAKE-GPU-n), %v W ramping to %v W", o.fake.GPUs, o.fake.IdleW, o.fake.BusyW), nil
	case "nvml":
		b, err := nvmlgpu.Open(nvmlgpu.New(), time.Now)
		if err != nil {
			return nil, "", err
		}
		return b, b.Devices(), nil
	case "amd-smi":
		b, err := amdsmi.Open(ctx, o.amdSMI, csvPath, time.Now, warn)
		if err != nil {
			return nil, "", err
		}
		return b, "watch mode", nil
	}
	var why []string
	if b, err := nvmlgpu.Open(nvmlgpu.New(), time.Now); err == nil {
		return b, b.Devices(), nil
	} else {
		why = append(why, err.Error())
	}
	if b, err := amdsmi.Open(ctx, o.amdSMI, csvPath, time.Now, warn); err == nil {
		return b, "watch mode", nil
	} else {
		why = append(why, err.Error())
	}
	return nil, "", errors.New(strings.Join(why, "; "))
}
