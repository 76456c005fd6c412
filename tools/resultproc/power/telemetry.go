package power

import (
	"math"
	"os"
	"regexp"
	"strconv"
	"time"

	"github.com/inferencex/inferencex-go/pkg/gpumetrics"
	"github.com/inferencex/inferencex-go/tools/resultproc/pycsv"
	"github.com/inferencex/inferencex-go/tools/resultproc/pynum"
)

// Upstream finds its columns by name: the first whose name contains
// "time", the first containing "power" but none of limit/cap/max/min, and
// the first named like a GPU index.
var (
	timeColRe     = regexp.MustCompile(`(?i)time`)
	powerColRe    = regexp.MustCompile(`(?i)power`)
	powerExcludeR = regexp.MustCompile(`(?i)limit|cap|max|min`)
	gpuColRe      = regexp.MustCompile(`(?i)^(?:index|gpu|gpu_id|gpu_index|card|device)$`)
)

// columns are the names detectColumns found ("" where none).
type columns struct{ ts, power, gpu string }

func detectColumns(header []string) columns {
	var c columns
	first := func(ok func(string) bool) string {
		for _, h := range header {
			if ok(h) {
				return h
			}
		}
		return ""
	}
	c.ts = first(timeColRe.MatchString)
	c.power = first(func(h string) bool { return powerColRe.MatchString(h) && !powerExcludeR.MatchString(h) })
	c.gpu = first(func(h string) bool { return gpuColRe.MatchString(pynum.Strip(h)) })
	return c
}

// hasColumn tells whether a detected column exists (upstream tests the
// name for truth; no detectable name is empty).
func (c columns) has(name string) bool { return name != "" }

// parsePower is upstream's _parse_power: the first number in the cell
// ("412.34 W"), nothing for [N/A].
func parsePower(value string) (float64, bool) {
	value = pynum.Strip(value)
	switch lower := toLower(value); lower {
	case "", "[n/a]", "n/a", "na":
		return 0, false
	}
	m := firstNumberRe.FindString(value)
	if m == "" {
		return 0, false
	}
	f, ok := pynum.Float(m)
	return f, ok
}

func toLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

// readErr is why a telemetry file could not be read at all.
type readErr struct{ reason string }

// fileState is upstream's checks before reading: missing, empty,
// unreadable.
func fileState(path string) (reason string, ok bool) {
	// Path.is_file() answers False on any error, and for what is not a
	// regular file.
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() {
		return "telemetry_file_missing", false
	}
	if st.Size() == 0 {
		return "telemetry_file_empty", false
	}
	return "", true
}

// tsSamples are the readings of one GPU at one timestamp (duplicates are
// averaged, as upstream averages them).
type tsSamples struct {
	powers   []float64
	energies []float64
	noEnergy bool
}

// device is what was read for one GPU identity.
type device struct {
	id        string
	byTime    map[float64]*tsSamples
	uuids     []string // gpumon files only, in order of appearance
	badEnergy bool     // an energy_j cell that did not read
}

// stream is what the reader collected from one telemetry file.
type stream struct {
	devices   map[string]*device
	order     []string // first appearance
	gpumon    bool
	truncated bool
}

func (s *stream) add(id string, t, p float64) *tsSamples {
	d, ok := s.devices[id]
	if !ok {
		d = &device{id: id, byTime: map[float64]*tsSamples{}}
		s.devices[id] = d
		s.order = append(s.order, id)
	}
	ts, ok := d.byTime[t]
	if !ok {
		ts = &tsSamples{}
		d.byTime[t] = ts
	}
	ts.powers = append(ts.powers, p)
	return ts
}

// readWindow reads the rows upstream's integrate_power would use for the
// window [lo, hi] (the benchmark window widened by the gap limit),
// appending reasons as upstream discovers them. A non-nil readErr means
// the file could not be read; reasons found until then stand.
func readWindow(path string, lo, hi float64, loc *time.Location, reasons *[]string) (*stream, *readErr) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &readErr{"telemetry_file_unreadable"}
	}
	s := &stream{devices: map[string]*device{}}
	if f, err := gpumetrics.Parse(data); err == nil {
		s.gpumon = true
		readGpumon(s, f, lo, hi, reasons)
		return s, nil
	}
	r := pycsv.NewDictReader(pycsv.NewReader(pycsv.Decode(data), true), pynum.Strip)
	if r.Err() != nil {
		return nil, &readErr{"telemetry_file_unreadable"}
	}
	cols := detectColumns(r.Header)
	missing := false
	if !cols.has(cols.ts) {
		appendReason(reasons, "timestamp_column_missing")
		missing = true
	}
	if !cols.has(cols.power) {
		appendReason(reasons, "power_column_missing")
		missing = true
	}
	if !cols.has(cols.gpu) {
		appendReason(reasons, "gpu_identity_column_missing")
		missing = true
	}
	if missing {
		return nil, nil
	}
	sawMissingID := false
	for {
		row, ok := r.Next()
		if !ok {
			break
		}
		t, ok := ParseTimestamp(row.Get(cols.ts), loc)
		if !ok || math.IsNaN(t) || math.IsInf(t, 0) {
			appendReason(reasons, "invalid_timestamp_sample")
			continue
		}
		// A damaged row is harmless when its timestamp proves it lies
		// outside the window; one without a readable time is not.
		if t < lo || t > hi {
			continue
		}
		p, ok := parsePower(row.Get(cols.power))
		id := pynum.Strip(row.Get(cols.gpu))
		if !ok || math.IsNaN(p) || math.IsInf(p, 0) || p < 0 {
			appendReason(reasons, "invalid_power_sample")
			continue
		}
		if id == "" {
			sawMissingID = true
			continue
		}
		s.add(id, t, p)
	}
	if r.Err() != nil {
		return nil, &readErr{"telemetry_file_unreadable"}
	}
	if sawMissingID {
		appendReason(reasons, "gpu_identity_missing")
	}
	return s, nil
}

// readGpumon takes the rows of a gpumon file with the same rules, plus the
// energy counter and each GPU's UUID.
func readGpumon(s *stream, f *gpumetrics.File, lo, hi float64, reasons *[]string) {
	s.truncated = f.Truncated
	for _, row := range f.Rows {
		if !row.TimeOK {
			appendReason(reasons, "invalid_timestamp_sample")
			continue
		}
		t := row.Time()
		if t < lo || t > hi {
			continue
		}
		if row.Err != nil {
			switch row.Err.Field {
			case gpumetrics.FieldPower:
				appendReason(reasons, "invalid_power_sample")
				continue
			case gpumetrics.FieldIndex, gpumetrics.FieldUUID:
				appendReason(reasons, "gpu_identity_missing")
				continue
			case gpumetrics.FieldRow:
				appendReason(reasons, "malformed_telemetry_row")
				continue
			}
		}
		id := strconv.Itoa(row.Index)
		ts := s.add(id, t, row.PowerW)
		d := s.devices[id]
		if len(d.uuids) == 0 || d.uuids[len(d.uuids)-1] != row.UUID {
			if !contains(d.uuids, row.UUID) {
				d.uuids = append(d.uuids, row.UUID)
			}
		}
		switch {
		case row.Err != nil: // the energy cell
			d.badEnergy = true
			ts.noEnergy = true
		case row.HasEnergy:
			ts.energies = append(ts.energies, row.EnergyJ)
		default:
			ts.noEnergy = true
		}
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func appendReason(reasons *[]string, r string) {
	if !contains(*reasons, r) {
		*reasons = append(*reasons, r)
	}
}
