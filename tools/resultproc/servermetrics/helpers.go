package servermetrics

import (
	"fmt"
	"math"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/tools/resultproc/pynum"
)

// The stat keys each kind of reading prefers, first present wins (upstream's
// preferred_keys).
var (
	counterKeys  = []string{"total", "sum", "max", "avg"}
	gaugeKeys    = []string{"max", "avg", "total"}
	avgGaugeKeys = []string{"avg", "max", "total"}
	capacityKeys = []string{"max", "avg", "total", "sum"}
)

// calc reads one export's metrics. The first error it meets (a number
// Python could not have converted either) sticks, and Compute returns it;
// the helpers then carry on with the value left out, so that the code reads
// like upstream's.
type calc struct {
	metrics dict
	err     error
}

// series is one entry of a metric's "series" list, with where it came from
// for error messages.
type series struct {
	metric string
	index  int
	d      dict
}

func (s series) String() string { return fmt.Sprintf("metrics.%s.series[%d]", s.metric, s.index) }

// metricSeries is upstream's metric_series: every dict in the "series"
// list of each named metric, in order; other shapes are skipped.
func (c *calc) metricSeries(names ...string) []series {
	var out []series
	for _, name := range names {
		entry, ok := asDict(lookup(c.metrics, name))
		if !ok {
			continue
		}
		list, ok := lookup(entry, "series").([]any)
		if !ok {
			continue
		}
		for i, s := range list {
			if d, ok := asDict(s); ok {
				out = append(out, series{name, i, d})
			}
		}
	}
	return out
}

// seriesStat is upstream's series_stat: the first of keys whose stat is a
// number.
func (c *calc) seriesStat(s series, keys []string) fnum {
	stats, ok := asDict(lookup(s.d, "stats"))
	if !ok {
		return none
	}
	for _, k := range keys {
		f, ok, err := toFloat(lookup(stats, k))
		if err != nil {
			c.fail(fmt.Errorf("%s.stats.%s: %w", s, k, err))
			continue
		}
		if ok {
			return some(f)
		}
	}
	return none
}

func (c *calc) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

// filter picks series; nil keeps all.
type filter func(series) bool

// sumStat is upstream's sum_stat: the stats of the matching series added
// in order, None when none has one.
func (c *calc) sumStat(names []string, keys []string, keep filter) fnum {
	total, found := 0.0, false
	for _, s := range c.metricSeries(names...) {
		if keep != nil && !keep(s) {
			continue
		}
		if v := c.seriesStat(s, keys); v.ok {
			total += v.v
			found = true
		}
	}
	if !found {
		return none
	}
	return some(total)
}

// combine says how gaugeStat merges its series.
type combine int

const (
	combineMax combine = iota
	combineAvg
)

// gaugeStat is upstream's gauge_stat with combine "max" (Python's max():
// the first value unless a later one is greater, so NaN sticks only when
// first) or "avg" (statistics.mean).
func (c *calc) gaugeStat(names []string, keys []string, how combine, keep filter) fnum {
	var values []float64
	for _, s := range c.metricSeries(names...) {
		if keep != nil && !keep(s) {
			continue
		}
		if v := c.seriesStat(s, keys); v.ok {
			values = append(values, v.v)
		}
	}
	if len(values) == 0 {
		return none
	}
	if how == combineAvg {
		return some(mean(values))
	}
	m := values[0]
	for _, v := range values[1:] {
		if v > m {
			m = v
		}
	}
	return some(m)
}

// mean is statistics.mean of floats. Python adds up the infinities and NaNs
// alone when there are any (the finite values drop out), and takes the
// exact mean otherwise.
func mean(xs []float64) float64 {
	var nonFinite []float64
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			nonFinite = append(nonFinite, x)
		}
	}
	if len(nonFinite) == 0 {
		return pynum.Mean(xs)
	}
	return pynum.SumNaive(nonFinite) / float64(len(xs))
}

// labelValue is upstream's label_value: str() of the label, absent for a
// missing or null one or when labels is not a dict.
func labelValue(s series, key string) (string, bool) {
	labels, ok := asDict(lookup(s.d, "labels"))
	if !ok {
		return "", false
	}
	v := lookup(labels, key)
	if v == nil {
		return "", false
	}
	return pyStr(v), true
}

func labelEquals(key, value string) filter {
	return func(s series) bool {
		v, ok := labelValue(s, key)
		return ok && v == value
	}
}

// byLabel is upstream's sum_by_label result: label value to summed stat,
// in the order labels were first seen.
type byLabel struct {
	order  []string
	values map[string]float64
}

func (b *byLabel) get(k string) fnum {
	v, ok := b.values[k]
	if !ok {
		return none
	}
	return some(v)
}

// sum is Python's sum() of the values (3.12's compensated summation).
func (b *byLabel) sum() float64 {
	xs := make([]float64, len(b.order))
	for i, k := range b.order {
		xs[i] = b.values[k]
	}
	return pynum.Sum(xs)
}

func (b *byLabel) object() *pyjson.Object {
	o := &pyjson.Object{}
	for _, k := range b.order {
		o.Set(k, b.values[k])
	}
	return o
}

// sumByLabel is upstream's sum_by_label for one label key.
func (c *calc) sumByLabel(name, labelKey string, keys []string) *byLabel {
	out := &byLabel{values: map[string]float64{}}
	for _, s := range c.metricSeries(name) {
		labels, ok := asDict(lookup(s.d, "labels"))
		if !ok {
			continue
		}
		raw := lookup(labels, labelKey)
		if raw == nil {
			continue
		}
		label := pyStr(raw)
		v := c.seriesStat(s, keys)
		if !v.ok {
			continue
		}
		prev, seen := out.values[label]
		if !seen {
			out.order = append(out.order, label)
		}
		out.values[label] = prev + v.v
	}
	return out
}

// rate is upstream's rate: None unless both are there and the denominator
// is positive (NaN passes, as `NaN <= 0` is false in Python too).
func rate(num, den fnum) fnum {
	if !num.ok || !den.ok || den.v <= 0 {
		return none
	}
	return some(num.v / den.v)
}

// normalizeFraction reads a gauge exported either as 0..1 or as 0..100.
func normalizeFraction(f fnum) fnum {
	if f.ok && f.v > 1.5 {
		return some(f.v / 100.0)
	}
	return f
}

// namesRead is the names among names whose series sumStat adds up,
// joined with " + " for a message; the first name when none has one.
func (c *calc) namesRead(names []string, keys []string) string {
	var read []string
	for _, name := range names {
		if c.sumStat([]string{name}, keys, nil).ok {
			read = append(read, name)
		}
	}
	if len(read) == 0 {
		return names[0]
	}
	return strings.Join(read, " + metrics.")
}

// counterInt is upstream's counter_int, int(round(value)): Python raises on
// NaN and infinities, and its ints have no bound where ours stop at int64;
// both become an error naming the metric.
func (c *calc) counterInt(f fnum, metric string) any {
	if !f.ok {
		return nil
	}
	if math.IsNaN(f.v) || math.IsInf(f.v, 0) {
		c.fail(fmt.Errorf("metrics.%s: the counter adds up to %v, expected a finite number", metric, f.v))
		return nil
	}
	r := math.RoundToEven(f.v)
	if r >= 0x1p63 || r < -0x1p63 {
		c.fail(fmt.Errorf("metrics.%s: the counter adds up to %v, which does not fit in 64 bits", metric, f.v))
		return nil
	}
	return int64(r)
}
