//go:build cgo

// Package nvmlgpu is gpumon's NVIDIA backend: NVML through
// github.com/NVIDIA/go-nvml, which loads libnvidia-ml.so.1 when the
// backend opens, not when gpumon starts, so that gpumon runs (and says
// there is no NVIDIA driver) on any machine. Each reading is the board
// power (nvmlDeviceGetPowerUsage, milliwatts) and the energy counter
// (nvmlDeviceGetTotalEnergyConsumption, millijoules since the driver
// loaded; Volta and newer), written as watts and joules.
package nvmlgpu

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"

	"github.com/inferencex/inferencex-go/pkg/gpumetrics"
	"github.com/inferencex/inferencex-go/tools/gpumon/monitor"
)

// Available tells whether this gpumon was built with NVML (cgo).
const Available = true

// ErrNoDriver is returned when libnvidia-ml.so.1 cannot be loaded.
var ErrNoDriver = errors.New("NVML: libnvidia-ml.so.1 could not be loaded: no NVIDIA driver on this machine (or not in the library path)")

type device struct {
	index     int
	uuid      string
	dev       nvml.Device
	hasEnergy bool
}

// Backend reads NVIDIA GPUs through NVML.
type Backend struct {
	lib  nvml.Interface
	devs []device
	now  monitor.Clock
}

// Open initialises NVML (lib: nvml.New() outside tests) and finds the
// GPUs.
func Open(lib nvml.Interface, now monitor.Clock) (*Backend, error) {
	if ret := lib.Init(); ret != nvml.SUCCESS {
		if ret == nvml.ERROR_LIBRARY_NOT_FOUND {
			return nil, ErrNoDriver
		}
		return nil, fmt.Errorf("NVML: initialising: %s", errorString(lib, ret))
	}
	b := &Backend{lib: lib, now: now}
	n, ret := lib.DeviceGetCount()
	if ret != nvml.SUCCESS {
		_ = lib.Shutdown()
		return nil, fmt.Errorf("NVML: counting GPUs: %s", errorString(lib, ret))
	}
	if n == 0 {
		_ = lib.Shutdown()
		return nil, errors.New("NVML: the driver sees no GPU")
	}
	for i := 0; i < n; i++ {
		d, ret := lib.DeviceGetHandleByIndex(i)
		if ret != nvml.SUCCESS {
			_ = lib.Shutdown()
			return nil, fmt.Errorf("NVML: GPU %d: %s", i, errorString(lib, ret))
		}
		uuid, ret := d.GetUUID()
		if ret != nvml.SUCCESS || uuid == "" {
			uuid = fmt.Sprintf("nvml-gpu-%d", i)
		}
		_, eret := d.GetTotalEnergyConsumption()
		b.devs = append(b.devs, device{index: i, uuid: uuid, dev: d, hasEnergy: eret == nvml.SUCCESS})
	}
	return b, nil
}

func errorString(lib nvml.Interface, ret nvml.Return) string {
	s := lib.ErrorString(ret)
	if s == "" {
		return fmt.Sprintf("NVML error %d", int32(ret))
	}
	return s
}

// Name implements monitor.Backend.
func (b *Backend) Name() string { return "NVML" }

// Devices describes the GPUs found, for the start-up message.
func (b *Backend) Devices() string {
	s := fmt.Sprintf("%d GPU(s)", len(b.devs))
	for _, d := range b.devs {
		if !d.hasEnergy {
			return s + " (some without an energy counter: their energy_j stays empty)"
		}
	}
	return s + " with energy counters"
}

// Run implements monitor.Backend.
func (b *Backend) Run(ctx context.Context, interval time.Duration, emit func([]gpumetrics.Sample) error, warn func(error)) error {
	return monitor.Poll(ctx, b, b.now, interval, emit, warn)
}

// Read implements monitor.Reader.
func (b *Backend) Read(now monitor.Clock) ([]gpumetrics.Sample, []error) {
	out := make([]gpumetrics.Sample, 0, len(b.devs))
	var errs []error
	for _, d := range b.devs {
		mw, ret := d.dev.GetPowerUsage()
		ts := now().UnixMilli()
		if ret != nvml.SUCCESS {
			errs = append(errs, fmt.Errorf("GPU %d power: %s", d.index, errorString(b.lib, ret)))
			continue
		}
		s := gpumetrics.Sample{UnixMilli: ts, Index: d.index, UUID: d.uuid, PowerW: float64(mw) / 1000}
		if d.hasEnergy {
			mj, ret := d.dev.GetTotalEnergyConsumption()
			if ret == nvml.SUCCESS {
				s.EnergyJ, s.HasEnergy = float64(mj)/1000, true
			} else {
				errs = append(errs, fmt.Errorf("GPU %d energy counter: %s", d.index, errorString(b.lib, ret)))
			}
		}
		out = append(out, s)
	}
	return out, errs
}

// Close implements monitor.Backend.
func (b *Backend) Close() error {
	if ret := b.lib.Shutdown(); ret != nvml.SUCCESS {
		return fmt.Errorf("NVML: shutting down: %s", errorString(b.lib, ret))
	}
	return nil
}

// New is nvml.New(): the library, loaded from libnvidia-ml.so.1 on Open.
func New() nvml.Interface { return nvml.New() }
