package power

import (
	"math"
	"sort"

	"time"

	"github.com/inferencex/inferencex-go/tools/resultproc/pynum"
)

// Method names, written into the power_validation sidecar.
const (
	MethodTrapezoid = "per_device_trapezoidal_with_linear_boundary_interpolation"
	MethodCounter   = "per_device_energy_counter_with_linear_boundary_interpolation"
)

// DefaultMaxSampleGap is upstream's limit on the time between two samples
// of one GPU around and inside the window, seconds.
const DefaultMaxSampleGap = 3.0

// Options are the settings of the computations.
type Options struct {
	// Location is the zone of timestamps written without one (nvidia-smi,
	// amd-smi); upstream reads them in the machine's local zone.
	Location *time.Location
	// MaxSampleGap is DefaultMaxSampleGap when 0.
	MaxSampleGap float64
}

func (o Options) loc() *time.Location {
	if o.Location == nil {
		return time.Local
	}
	return o.Location
}

func (o Options) gap() float64 {
	if o.MaxSampleGap == 0 {
		return DefaultMaxSampleGap
	}
	return o.MaxSampleGap
}

// point is one GPU at one time: power averaged over duplicate rows, and the
// counter where every row at that time had one.
type point struct {
	t, p, e float64
	hasE    bool
}

// Integration is upstream's PowerIntegration, plus what the energy
// counter adds for gpumon files.
type Integration struct {
	Valid       bool
	Reasons     []string
	Expected    *int64
	ObservedIDs []string
	SampleCount map[string]int
	MaxGap      map[string]float64 // only GPUs whose window is bracketed
	EnergyJ     map[string]float64 // the method's figure, same GPUs
	Issues      map[string][]string

	AvgPowerW, AvgTotalPowerW, TotalEnergyJ *float64

	// Method is MethodTrapezoid, or MethodCounter when the file is
	// gpumon's and every GPU's counter covers the window.
	Method string
	// Counter is set for gpumon files: the counter and power figures side
	// by side.
	Counter *CounterCheck
	Gpumon  bool
	UUIDs   map[string][]string
	// Truncated: the file's last row was cut off and left out.
	Truncated bool
}

// CounterCheck sets the energy counter against integrated power over the
// same window, per GPU and in all.
type CounterCheck struct {
	Available         bool
	Reason            string // why the counter was not used
	CounterJ          map[string]float64
	IntegratedJ       map[string]float64
	TotalCounterJ     float64
	TotalIntegratedJ  float64
	Discontinuities   map[string][]Discontinuity
	discontinuityKeys []string
}

// Discontinuity is a place where a GPU's counter went backwards (a reset or
// a wrap): the interval is integrated from power instead.
type Discontinuity struct {
	FromUnix, ToUnix float64
	FromJ, ToJ       float64
}

// EmptyIntegration is the integration of a run that could not be measured.
func EmptyIntegration(expected *int64, reasons []string) *Integration {
	return &Integration{Reasons: reasons, Expected: expected, Method: MethodTrapezoid,
		SampleCount: map[string]int{}, MaxGap: map[string]float64{}, EnergyJ: map[string]float64{}, Issues: map[string][]string{}}
}

// gpuLess orders GPU identities as upstream's _gpu_sort_key: numeric ones
// first by value, then the rest as strings.
func gpuLess(a, b string) bool {
	na, oka := numericID(a)
	nb, okb := numericID(b)
	switch {
	case oka && okb:
		return na.Cmp(nb) < 0
	case oka != okb:
		return oka
	}
	return a < b
}

// Integrate is upstream's integrate_power: read the telemetry file,
// validate it against the window [start, end] and integrate each GPU.
func Integrate(path string, start, end float64, expected *int64, opt Options) *Integration {
	var reasons []string
	if math.IsNaN(start) || math.IsInf(start, 0) || math.IsNaN(end) || math.IsInf(end, 0) || end <= start {
		return EmptyIntegration(expected, []string{"invalid_benchmark_window"})
	}
	if expected != nil && *expected <= 0 {
		appendReason(&reasons, "invalid_expected_gpu_count")
	}
	gap := opt.gap()
	if math.IsNaN(gap) || math.IsInf(gap, 0) || gap <= 0 {
		return EmptyIntegration(expected, []string{"invalid_max_sample_gap"})
	}
	if r, ok := fileState(path); !ok {
		appendReason(&reasons, r)
		return EmptyIntegration(expected, reasons)
	}
	s, rerr := readWindow(path, start-gap, end+gap, opt.loc(), &reasons)
	if rerr != nil {
		appendReason(&reasons, rerr.reason)
		return EmptyIntegration(expected, reasons)
	}
	if s == nil { // a required column is missing
		return EmptyIntegration(expected, reasons)
	}
	if len(s.devices) == 0 {
		appendReason(&reasons, "no_usable_power_samples")
		in := EmptyIntegration(expected, reasons)
		in.Gpumon, in.Truncated = s.gpumon, s.truncated
		return in
	}

	ids := append([]string(nil), s.order...)
	sort.SliceStable(ids, func(i, j int) bool { return gpuLess(ids[i], ids[j]) })
	if expected != nil && *expected > 0 && int64(len(ids)) != *expected {
		appendReason(&reasons, "expected_gpu_count_mismatch")
	}
	in := EmptyIntegration(expected, nil)
	in.ObservedIDs, in.Gpumon, in.Truncated = ids, s.gpumon, s.truncated
	if s.gpumon {
		in.UUIDs = map[string][]string{}
		for _, id := range ids {
			in.UUIDs[id] = s.devices[id].uuids
			if len(s.devices[id].uuids) > 1 {
				appendReason(&reasons, "gpu_uuid_changed")
			}
		}
	}

	pts := map[string][]point{}
	for _, id := range ids {
		d := s.devices[id]
		ps := make([]point, 0, len(d.byTime))
		for t, v := range d.byTime {
			p := point{t: t, p: pynum.Mean(v.powers)}
			if !v.noEnergy && len(v.energies) > 0 {
				p.e, p.hasE = pynum.Mean(v.energies), true
			}
			ps = append(ps, p)
		}
		sort.Slice(ps, func(i, j int) bool { return ps[i].t < ps[j].t })
		pts[id] = ps
		in.SampleCount[id] = len(ps)
		var issues []string
		switch {
		case len(ps) < 2:
			issues = append(issues, "insufficient_power_samples")
			appendReason(&reasons, "insufficient_power_samples")
		case ps[0].t > start || ps[len(ps)-1].t < end:
			issues = append(issues, "benchmark_window_not_bracketed")
			appendReason(&reasons, "benchmark_window_not_bracketed")
		default:
			lo, hi := bracket(ps, start, end)
			maxGap := 0.0
			for i := lo; i < hi; i++ {
				maxGap = math.Max(maxGap, ps[i+1].t-ps[i].t)
			}
			in.MaxGap[id] = maxGap
			if maxGap > gap {
				issues = append(issues, "sampling_gap_exceeded")
				appendReason(&reasons, "sampling_gap_exceeded")
			}
			in.EnergyJ[id] = integrateDevice(ps, start, end)
		}
		if len(issues) > 0 {
			in.Issues[id] = issues
		}
	}

	if s.gpumon {
		in.Counter = counterCheck(in, s, pts, start, end)
		if in.Counter.Available {
			in.Method = MethodCounter
			for id, e := range in.Counter.CounterJ {
				in.EnergyJ[id] = e
			}
		}
	}

	if len(in.EnergyJ) == len(ids) {
		vals := make([]float64, 0, len(ids))
		for _, id := range ids {
			vals = append(vals, in.EnergyJ[id])
		}
		total := pynum.Sum(vals)
		avgTotal := total / (end - start)
		avg := avgTotal / float64(len(ids))
		in.TotalEnergyJ, in.AvgTotalPowerW, in.AvgPowerW = &total, &avgTotal, &avg
	}
	in.Reasons = reasons
	in.Valid = len(reasons) == 0
	return in
}

// bracket returns the indexes of the last sample at or before start and
// the first at or after end (upstream's bisect_right - 1, bisect_left).
func bracket(ps []point, start, end float64) (lo, hi int) {
	lo = sort.Search(len(ps), func(i int) bool { return ps[i].t > start }) - 1
	hi = sort.Search(len(ps), func(i int) bool { return ps[i].t >= end })
	return lo, hi
}

// interpolatePower is upstream's _interpolate_power at a bracketed time.
func interpolatePower(ps []point, t float64) float64 {
	right := sort.Search(len(ps), func(i int) bool { return ps[i].t >= t })
	if right < len(ps) && math.Abs(ps[right].t-t) <= 1e-9 {
		return ps[right].p
	}
	left := right - 1
	l, r := ps[left], ps[right]
	frac := (t - l.t) / (r.t - l.t)
	return l.p + frac*(r.p-l.p)
}

// integrateDevice is upstream's _integrate_device: the trapezoid rule over
// the samples inside (start, end) and the power interpolated at both ends.
func integrateDevice(ps []point, start, end float64) float64 {
	clipped := make([]point, 1, len(ps)+2)
	clipped[0] = point{t: start, p: interpolatePower(ps, start)}
	for _, p := range ps {
		if start < p.t && p.t < end {
			clipped = append(clipped, p)
		}
	}
	clipped = append(clipped, point{t: end, p: interpolatePower(ps, end)})
	e := 0.0
	for i := 0; i+1 < len(clipped); i++ {
		l, r := clipped[i], clipped[i+1]
		e += (r.t - l.t) * (l.p + r.p) / 2.0
	}
	return e
}

// counterEnergy is the energy of one GPU over [start, end] from its
// counter: each sampling interval that overlaps the window adds its
// counter delta, scaled by the overlap when the interval straddles a
// window end (linear interpolation of the counter at the boundary). An
// interval whose counter went backwards (a reset, or a wrap of a narrow
// counter) has no usable delta; it adds the integrated power instead and
// is reported.
func counterEnergy(ps []point, start, end float64) (float64, []Discontinuity) {
	lo, hi := bracket(ps, start, end)
	e := 0.0
	var disc []Discontinuity
	for i := lo; i < hi; i++ {
		a, b := ps[i], ps[i+1]
		u, v := math.Max(a.t, start), math.Min(b.t, end)
		if v <= u {
			continue
		}
		if b.e < a.e {
			disc = append(disc, Discontinuity{FromUnix: a.t, ToUnix: b.t, FromJ: a.e, ToJ: b.e})
			pu := a.p + (u-a.t)/(b.t-a.t)*(b.p-a.p)
			pv := a.p + (v-a.t)/(b.t-a.t)*(b.p-a.p)
			e += (v - u) * (pu + pv) / 2.0
			continue
		}
		if u == a.t && v == b.t {
			e += b.e - a.e
		} else {
			e += (b.e - a.e) * ((v - u) / (b.t - a.t))
		}
	}
	return e, disc
}

// counterCheck works out the counter figures for every GPU whose window is
// bracketed, and whether the counter can stand for the whole run.
func counterCheck(in *Integration, s *stream, pts map[string][]point, start, end float64) *CounterCheck {
	c := &CounterCheck{CounterJ: map[string]float64{}, IntegratedJ: map[string]float64{}, Discontinuities: map[string][]Discontinuity{}}
	reason := ""
	var counters, integrated []float64
	for _, id := range in.ObservedIDs {
		trap, ok := in.EnergyJ[id]
		if !ok {
			if reason == "" {
				reason = "window_not_covered"
			}
			continue
		}
		c.IntegratedJ[id] = trap
		integrated = append(integrated, trap)
		ps := pts[id]
		lo, hi := bracket(ps, start, end)
		complete := !s.devices[id].badEnergy
		for i := lo; i <= hi && complete; i++ {
			complete = ps[i].hasE
		}
		if !complete {
			if reason == "" {
				reason = "no_energy_counter"
				if anyEnergy(s) {
					reason = "energy_counter_incomplete"
				}
			}
			continue
		}
		e, disc := counterEnergy(ps, start, end)
		c.CounterJ[id] = e
		counters = append(counters, e)
		if len(disc) > 0 {
			c.Discontinuities[id] = disc
			c.discontinuityKeys = append(c.discontinuityKeys, id)
		}
	}
	c.TotalIntegratedJ = pynum.Sum(integrated)
	c.TotalCounterJ = pynum.Sum(counters)
	c.Available = reason == "" && len(c.CounterJ) == len(in.ObservedIDs)
	if !c.Available && reason == "" {
		reason = "window_not_covered"
	}
	c.Reason = reason
	return c
}

func anyEnergy(s *stream) bool {
	for _, d := range s.devices {
		for _, v := range d.byTime {
			if len(v.energies) > 0 {
				return true
			}
		}
	}
	return false
}

// numericID is a GPU identity upstream treats as a number (str.isdigit):
// its value, exact for any length.
func numericID(id string) (bigInt, bool) {
	if id == "" {
		return bigInt{}, false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return bigInt{}, false
		}
	}
	return newBigInt(id), true
}

// bigInt compares decimal digit strings by value without overflow.
type bigInt struct{ digits string }

func newBigInt(s string) bigInt {
	i := 0
	for i < len(s)-1 && s[i] == '0' {
		i++
	}
	return bigInt{s[i:]}
}

func (a bigInt) Cmp(b bigInt) int {
	if len(a.digits) != len(b.digits) {
		if len(a.digits) < len(b.digits) {
			return -1
		}
		return 1
	}
	switch {
	case a.digits < b.digits:
		return -1
	case a.digits > b.digits:
		return 1
	}
	return 0
}

// IntegrateSamples is upstream's _integrate_device on sorted (time, watts)
// pairs whose times bracket [start, end].
func IntegrateSamples(samples [][2]float64, start, end float64) float64 {
	ps := make([]point, len(samples))
	for i, s := range samples {
		ps[i] = point{t: s[0], p: s[1]}
	}
	return integrateDevice(ps, start, end)
}
