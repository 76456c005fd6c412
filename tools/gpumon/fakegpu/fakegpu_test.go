package fakegpu

import (
	"math"
	"strings"
	"testing"
	"time"
)

// TestEnergyIsTheIntegralOfPower: the fake counter is what a perfect
// meter would read, across the ramp and after it.
func TestEnergyIsTheIntegralOfPower(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	for _, cfg := range []Config{Default, {GPUs: 3, IdleW: 100, BusyW: 700, Ramp: 0, Ripple: 0.1}, {GPUs: 1, IdleW: 50, BusyW: 50, Ramp: 5 * time.Second}} {
		b, err := New(cfg, func() time.Time { return start })
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < cfg.GPUs; i++ {
			const n = 70000
			dt := 7.0 / n
			num := 0.0
			for k := 0; k < n; k++ {
				s := float64(k) * dt
				num += dt * (b.Power(i, s) + b.Power(i, s+dt)) / 2
			}
			got := b.Energy(i, 7) - b.Energy(i, 0)
			// Written so that a NaN counter fails too.
			if !(math.Abs(got-num) <= 1e-6*num) {
				t.Errorf("%+v GPU %d: counter %.6f J, integral %.6f J", cfg, i, got, num)
			}
		}
	}
}

func TestReadings(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time { return now }
	b, err := New(Config{GPUs: 2, IdleW: 80, BusyW: 500, Ramp: time.Second}, clock)
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(2500 * time.Millisecond)
	s, errs := b.Read(clock)
	if len(errs) != 0 || len(s) != 2 {
		t.Fatalf("%v %v", s, errs)
	}
	if s[1].UnixMilli != now.UnixMilli() || s[1].Index != 1 || !strings.HasPrefix(s[1].UUID, "FAKE-GPU-") || s[1].PowerW != 500 || !s[1].HasEnergy {
		t.Errorf("reading %+v", s[1])
	}
	nc, _ := New(Config{GPUs: 1, BusyW: 1, NoCounter: true}, clock)
	if s, _ := nc.Read(clock); s[0].HasEnergy {
		t.Error("a counter without one")
	}
	for _, bad := range []Config{{GPUs: 0}, {GPUs: 1, BusyW: -1}, {GPUs: 1, Ripple: 1}} {
		if _, err := New(bad, clock); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
