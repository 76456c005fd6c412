package engine

import (
	"math"
	"math/rand/v2"
	"time"
)

// Schedule gives the send time of each request as an offset from the start
// of the run. Offsets are cumulative sums of the sampled intervals, so a
// late request never pushes the ones after it: the arrival process is the
// one asked for, whatever the client's timing jitter.
type Schedule struct {
	rate, shape, scale float64
	rng                *rand.Rand
	at                 float64 // seconds
	started            bool
}

// NewSchedule returns the arrival process of the original: all at once for
// an infinite rate, else gamma-distributed intervals with shape burstiness
// and mean 1/rate (burstiness 1 is a Poisson process).
func NewSchedule(rate, burstiness float64, seed uint64) *Schedule {
	s := &Schedule{rate: rate, shape: burstiness, rng: rand.New(rand.NewPCG(seed, 0x5eed5c4ed))}
	if !math.IsInf(rate, 1) {
		s.scale = 1 / (rate * burstiness)
	}
	return s
}

// Next returns the next request's offset. The first request goes at 0.
func (s *Schedule) Next() time.Duration {
	if !s.started {
		s.started = true
		return 0
	}
	if math.IsInf(s.rate, 1) {
		return 0
	}
	s.at += gamma(s.rng, s.shape) * s.scale
	return time.Duration(s.at * float64(time.Second))
}

// gamma samples Gamma(shape, 1) by Marsaglia and Tsang's method, boosted
// for shapes below 1.
func gamma(rng *rand.Rand, shape float64) float64 {
	if shape == 1 {
		return rng.ExpFloat64()
	}
	if shape < 1 {
		u := rng.Float64()
		for u == 0 {
			u = rng.Float64()
		}
		return gamma(rng, shape+1) * math.Pow(u, 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := rng.Float64()
		if u < 1-0.0331*x*x*x*x {
			return d * v
		}
		if math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}
