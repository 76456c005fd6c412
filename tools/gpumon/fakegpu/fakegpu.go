// Package fakegpu is gpumon's fake backend, for tests and the demo on
// machines without GPUs: GPUs whose power ramps from idle to a busy level
// after the monitor starts, with a small ripple, and whose energy counter
// is the exact integral of that power. Every reading it gives is
// SIMULATED (its GPUs are named FAKE-GPU-n) and measures nothing.
package fakegpu

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/inferencex/inferencex-go/pkg/gpumetrics"
	"github.com/inferencex/inferencex-go/tools/gpumon/monitor"
)

// Config shapes the fake GPUs.
type Config struct {
	GPUs   int           // how many
	IdleW  float64       // power at the start
	BusyW  float64       // power once ramped up
	Ramp   time.Duration // from idle to busy
	Ripple float64       // relative amplitude of a 2 s sine on top
	// NoCounter makes the GPUs report no energy counter (as AMD's stream).
	NoCounter bool
}

// Default is what gpumon --backend fake uses.
var Default = Config{GPUs: 8, IdleW: 80, BusyW: 520, Ramp: 2 * time.Second, Ripple: 0.03}

// Backend is the fake backend.
type Backend struct {
	cfg   Config
	now   monitor.Clock
	start time.Time
	// energyJ is each GPU's counter "since the driver loaded".
	base []float64
}

// New makes fake GPUs whose time starts now.
func New(cfg Config, now monitor.Clock) (*Backend, error) {
	if cfg.GPUs < 1 || cfg.GPUs > 1024 {
		return nil, fmt.Errorf("fake GPUs: %d, expected 1 to 1024", cfg.GPUs)
	}
	if cfg.IdleW < 0 || cfg.BusyW < 0 || cfg.Ramp < 0 || cfg.Ripple < 0 || cfg.Ripple >= 1 {
		return nil, fmt.Errorf("fake GPUs: power %v→%v W, ramp %v, ripple %v: expected non-negative values and a ripple below 1", cfg.IdleW, cfg.BusyW, cfg.Ramp, cfg.Ripple)
	}
	b := &Backend{cfg: cfg, now: now, start: now()}
	for i := 0; i < cfg.GPUs; i++ {
		b.base = append(b.base, 1e6*float64(i+1))
	}
	return b, nil
}

// Name implements monitor.Backend.
func (b *Backend) Name() string { return "fake" }

// Close implements monitor.Backend.
func (b *Backend) Close() error { return nil }

// Run implements monitor.Backend.
func (b *Backend) Run(ctx context.Context, interval time.Duration, emit func([]gpumetrics.Sample) error, warn func(error)) error {
	return monitor.Poll(ctx, b, b.now, interval, emit, warn)
}

const ripplePeriod = 2.0 // seconds

// Power is GPU i's power t seconds after the start.
func (b *Backend) Power(i int, t float64) float64 {
	return b.level(t) * (1 + b.cfg.Ripple*math.Sin(2*math.Pi*t/ripplePeriod+float64(i)))
}

func (b *Backend) level(t float64) float64 {
	r := b.cfg.Ramp.Seconds()
	if t >= r {
		return b.cfg.BusyW
	}
	return b.cfg.IdleW + (b.cfg.BusyW-b.cfg.IdleW)*t/r
}

// Energy is GPU i's counter t seconds after the start: the exact integral
// of Power.
func (b *Backend) Energy(i int, t float64) float64 {
	r := b.cfg.Ramp.Seconds()
	// The ramp's linear part, then the flat part.
	var lin float64
	// Strictly inside the ramp: at t == r the flat formula gives the same
	// value, and with no ramp (r == 0) the ramp's t²/2r would be 0/0.
	if t < r {
		lin = b.cfg.IdleW*t + (b.cfg.BusyW-b.cfg.IdleW)*t*t/(2*r)
	} else {
		lin = b.cfg.IdleW*r + (b.cfg.BusyW-b.cfg.IdleW)*r/2 + b.cfg.BusyW*(t-r)
	}
	// ∫ level(s)·A·sin(ωs+φ) ds, in closed form on each part.
	w, phi, a := 2*math.Pi/ripplePeriod, float64(i), b.cfg.Ripple
	sinInt := func(c0, c1, u, v float64) float64 {
		// ∫_u^v (c0 + c1 s) sin(ωs+φ) ds
		f := func(s float64) float64 {
			return -(c0+c1*s)*math.Cos(w*s+phi)/w + c1*math.Sin(w*s+phi)/(w*w)
		}
		return f(v) - f(u)
	}
	var rip float64
	if r > 0 {
		rip = sinInt(b.cfg.IdleW, (b.cfg.BusyW-b.cfg.IdleW)/r, 0, math.Min(t, r))
	}
	if t > r {
		rip += sinInt(b.cfg.BusyW, 0, r, t)
	}
	return b.base[i] + lin + a*rip
}

// Read implements monitor.Reader: every GPU at the clock's time.
func (b *Backend) Read(now monitor.Clock) ([]gpumetrics.Sample, []error) {
	// The readings are those of the millisecond written, so that the
	// counter and the power agree with the file's timestamps exactly.
	ms := now().UnixMilli()
	t := float64(ms-b.start.UnixMilli()) / 1000
	out := make([]gpumetrics.Sample, b.cfg.GPUs)
	for i := range out {
		out[i] = gpumetrics.Sample{UnixMilli: ms, Index: i, UUID: fmt.Sprintf("FAKE-GPU-%d", i), PowerW: b.Power(i, t)}
		if !b.cfg.NoCounter {
			out[i].EnergyJ, out[i].HasEnergy = b.Energy(i, t), true
		}
	}
	return out, nil
}
