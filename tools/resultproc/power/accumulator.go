package power

import (
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/inferencex/inferencex-go/pkg/gpumetrics"
	"github.com/inferencex/inferencex-go/tools/resultproc/pycsv"
	"github.com/inferencex/inferencex-go/tools/resultproc/pynum"
)

// AccumulatorTolerance is upstream's limit on the relative difference
// between the hardware accumulator and the integrated stream.
const AccumulatorTolerance = 0.05

// AccumulatorCheck is upstream's advisory cross-check of the AMD energy
// accumulator snapshots (<csv stem>_energy_start.csv and _energy_end.csv,
// taken when the monitor started and stopped) against the trapezoid over
// the whole stream. It never changes power validity.
type AccumulatorCheck struct {
	Available         bool
	Reason            string
	DeltaJ            float64
	IntegratedJ       float64
	RelativeError     *float64
	WithinTolerance   bool
	PerGPUDeltaJ      map[string]float64
	deltaOrder        []string
	IntegratedGPUIDs  []string
	UnmatchedGPUs     []string
	NegativeDeltaGPUs []string
	StreamSpanS       float64
}

// SnapshotPaths are where the accumulator snapshots of a telemetry file
// are: beside it, named after its stem.
func SnapshotPaths(csvPath string) (start, end string) {
	dir, base := filepath.Split(csvPath)
	stem := strings.TrimSuffix(base, filepath.Ext(base))
	return filepath.Join(dir, stem+"_energy_start.csv"), filepath.Join(dir, stem+"_energy_end.csv")
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// CrossCheckAccumulator is upstream's cross_check_accumulator: nil when
// neither snapshot exists. A file that cannot be read gives the
// "cross_check_error" result, as upstream's caller records it.
func CrossCheckAccumulator(csvPath string, loc *time.Location) *AccumulatorCheck {
	startPath, endPath := SnapshotPaths(csvPath)
	hasStart, hasEnd := isFile(startPath), isFile(endPath)
	switch {
	case !hasStart && !hasEnd:
		return nil
	case !hasStart:
		return &AccumulatorCheck{Reason: "missing_start_snapshot"}
	case !hasEnd:
		return &AccumulatorCheck{Reason: "missing_end_snapshot"}
	}
	start, ok, err := readSnapshot(startPath)
	if err != nil {
		return &AccumulatorCheck{Reason: "cross_check_error"}
	}
	if !ok {
		return &AccumulatorCheck{Reason: "unparseable_start_snapshot"}
	}
	end, ok, err := readSnapshot(endPath)
	if err != nil {
		return &AccumulatorCheck{Reason: "cross_check_error"}
	}
	if !ok {
		return &AccumulatorCheck{Reason: "unparseable_end_snapshot"}
	}
	c := &AccumulatorCheck{Available: true, PerGPUDeltaJ: map[string]float64{}}
	var matched, unmatched []string
	for id := range start.values {
		if _, ok := end.values[id]; ok {
			matched = append(matched, id)
		} else {
			unmatched = append(unmatched, id)
		}
	}
	for id := range end.values {
		if _, ok := start.values[id]; !ok {
			unmatched = append(unmatched, id)
		}
	}
	sortIDs(matched)
	sortIDs(unmatched)
	c.deltaOrder = matched
	c.UnmatchedGPUs = unmatched
	c.NegativeDeltaGPUs = []string{}
	var deltas []float64
	for _, id := range matched {
		d := end.values[id] - start.values[id]
		c.PerGPUDeltaJ[id] = d
		deltas = append(deltas, d)
		if d < 0 {
			c.NegativeDeltaGPUs = append(c.NegativeDeltaGPUs, id)
		}
	}

	stream, err := streamByGPU(csvPath, loc)
	if err != nil {
		return &AccumulatorCheck{Reason: "cross_check_error"}
	}
	var ids []string
	for id := range stream {
		if _, ok := c.PerGPUDeltaJ[id]; ok {
			ids = append(ids, id)
		}
	}
	sortIDs(ids)
	c.IntegratedGPUIDs = ids
	var traps []float64
	var bounds []float64
	for _, id := range ids {
		ps := stream[id]
		traps = append(traps, trapezoid(ps))
		bounds = append(bounds, ps[0][0], ps[len(ps)-1][0])
	}
	c.IntegratedJ = pynum.Sum(traps)
	if len(bounds) > 0 {
		lo, hi := bounds[0], bounds[0]
		for _, b := range bounds {
			lo, hi = math.Min(lo, b), math.Max(hi, b)
		}
		c.StreamSpanS = hi - lo
	}
	c.DeltaJ = pynum.Sum(deltas)
	if c.DeltaJ > 0 {
		rel := math.Abs(c.DeltaJ-c.IntegratedJ) / c.DeltaJ
		c.RelativeError = &rel
		c.WithinTolerance = len(c.NegativeDeltaGPUs) == 0 && rel <= AccumulatorTolerance
	}
	return c
}

// Strings is a list of strings as a JSON document holds it ([] for none).
func Strings(xs []string) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

func sortIDs(ids []string) {
	sort.SliceStable(ids, func(i, j int) bool { return gpuLess(ids[i], ids[j]) })
}

// snapshot is one `amd-smi metric -E --csv` file: accumulator joules by
// GPU, in file order.
type snapshot struct{ values map[string]float64 }

// readSnapshot is upstream's _read_energy_snapshot: ok false where it
// returns None (no "gpu" or "total_energy_consumption" column, or no
// usable row).
func readSnapshot(path string) (snapshot, bool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return snapshot{}, false, err
	}
	r := pycsv.NewDictReader(pycsv.NewReader(pycsv.Decode(data), true), pynum.Strip)
	if r.Err() != nil {
		return snapshot{}, false, r.Err()
	}
	if !contains(r.Header, "gpu") || !contains(r.Header, "total_energy_consumption") {
		return snapshot{}, false, nil
	}
	s := snapshot{values: map[string]float64{}}
	for {
		row, ok := r.Next()
		if !ok {
			break
		}
		id := pynum.Strip(row.Get("gpu"))
		if id == "" {
			continue
		}
		e, ok := pynum.Float(row.Get("total_energy_consumption"))
		if !ok || math.IsNaN(e) || math.IsInf(e, 0) {
			continue
		}
		s.values[id] = e
	}
	if r.Err() != nil {
		return snapshot{}, false, r.Err()
	}
	return s, len(s.values) > 0, nil
}

// streamByGPU is upstream's _stream_samples_by_gpu: every readable
// (timestamp, watts) of the whole file per GPU, sorted.
func streamByGPU(path string, loc *time.Location) (map[string][][2]float64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string][][2]float64{}
	if f, err := gpumetrics.Parse(data); err == nil {
		for _, row := range f.Rows {
			if row.Err == nil {
				id := strconv.Itoa(row.Index)
				out[id] = append(out[id], [2]float64{row.Time(), row.PowerW})
			}
		}
	} else {
		r := pycsv.NewDictReader(pycsv.NewReader(pycsv.Decode(data), true), pynum.Strip)
		if r.Err() != nil {
			return nil, r.Err()
		}
		cols := detectColumns(r.Header)
		if !cols.has(cols.ts) || !cols.has(cols.power) || !cols.has(cols.gpu) {
			return out, nil
		}
		for {
			row, ok := r.Next()
			if !ok {
				break
			}
			t, okT := ParseTimestamp(row.Get(cols.ts), loc)
			p, okP := parsePower(row.Get(cols.power))
			id := pynum.Strip(row.Get(cols.gpu))
			if !okT || !okP || id == "" || math.IsNaN(t) || math.IsInf(t, 0) || math.IsNaN(p) || math.IsInf(p, 0) {
				continue
			}
			out[id] = append(out[id], [2]float64{t, p})
		}
		if r.Err() != nil {
			return nil, r.Err()
		}
	}
	for _, ps := range out {
		sort.Slice(ps, func(i, j int) bool {
			if ps[i][0] != ps[j][0] {
				return ps[i][0] < ps[j][0]
			}
			return ps[i][1] < ps[j][1]
		})
	}
	return out, nil
}

// trapezoid is upstream's _trapezoid: the whole stream, no clipping.
func trapezoid(ps [][2]float64) float64 {
	terms := make([]float64, 0, len(ps))
	for i := 0; i+1 < len(ps); i++ {
		terms = append(terms, (ps[i+1][0]-ps[i][0])*(ps[i][1]+ps[i+1][1])/2.0)
	}
	return pynum.Sum(terms)
}
