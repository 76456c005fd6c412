package dcgmpower

import (
	"math"
	"os"
	"sort"
	"unicode/utf8"

	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/tools/resultproc/pycsv"
	"github.com/inferencex/inferencex-go/tools/resultproc/pynum"
)

// SampleRow is one row of samples.csv.
type SampleRow struct {
	Time      float64
	ScrapeSeq int64
	Host      string
	Index     int64
	UUID      string
	PowerW    float64
}

func (r SampleRow) device() deviceKey { return deviceKey{r.Host, r.Index} }

type rowKey struct {
	seq   int64
	host  string
	index int64
}

// parseSampleRow is upstream's _parse_sample_row: false for a row it
// rejects.
func parseSampleRow(raw []string) (SampleRow, bool) {
	if len(raw) != len(SamplesHeader) {
		return SampleRow{}, false
	}
	sv, ok1 := pynum.Int(raw[0])
	t, ok2 := pynum.Float(raw[1])
	seq, ok3 := pynum.Int(raw[2])
	idx, ok4 := pynum.Int(raw[4])
	p, ok5 := pynum.Float(raw[6])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 {
		return SampleRow{}, false
	}
	host, uuid := raw[3], raw[5]
	if sv != SchemaVersion || host == "" || uuid == "" {
		return SampleRow{}, false
	}
	if math.IsNaN(t) || math.IsInf(t, 0) || math.IsNaN(p) || math.IsInf(p, 0) || p < 0 {
		return SampleRow{}, false
	}
	if seq < 0 || idx < 0 {
		return SampleRow{}, false
	}
	return SampleRow{Time: t, ScrapeSeq: seq, Host: host, Index: idx, UUID: uuid, PowerW: p}, true
}

// ReadSamples is upstream's read_samples: the unique rows and the reasons
// the file is not clean. Python decodes the file strictly as UTF-8 and
// stops at the first undecodable text; here the rows before the first
// line with an invalid byte are kept (Python keeps those before the 8 KiB
// block that holds it).
func ReadSamples(path string) ([]SampleRow, []string) {
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() {
		return nil, []string{"samples_csv_missing"}
	}
	data, err := os.ReadFile(path)
	var reasons []string
	var rows []SampleRow
	if err != nil {
		reasons = append(reasons, "samples_csv_malformed")
	} else {
		text, clean := validPrefix(data)
		r := pycsv.NewReader(text, false)
		header, ok := r.Next()
		switch {
		case r.Err() != nil || (!ok && !clean):
			// Python's reader raised before it had the header.
			reasons = append(reasons, "samples_csv_malformed")
		case !ok || !equalStrings(header.Fields, SamplesHeader):
			return nil, []string{"samples_csv_header_mismatch"}
		default:
			for {
				rec, ok := r.Next()
				if !ok {
					break
				}
				row, good := parseSampleRow(rec.Fields)
				if !good {
					reasons = append(reasons, "samples_csv_malformed")
					continue
				}
				rows = append(rows, row)
			}
			if r.Err() != nil || !clean {
				reasons = append(reasons, "samples_csv_malformed")
			}
		}
	}

	seen := map[rowKey]bool{}
	var unique []SampleRow
	for _, row := range rows {
		k := rowKey{row.ScrapeSeq, row.Host, row.Index}
		if seen[k] {
			reasons = append(reasons, "duplicate_sample_row")
			continue
		}
		seen[k] = true
		unique = append(unique, row)
	}
	byDevice := map[deviceKey][]SampleRow{}
	var order []deviceKey
	for _, row := range unique {
		k := row.device()
		if _, ok := byDevice[k]; !ok {
			order = append(order, k)
		}
		byDevice[k] = append(byDevice[k], row)
	}
	for _, k := range order {
		rs := append([]SampleRow(nil), byDevice[k]...)
		sort.SliceStable(rs, func(i, j int) bool { return rs[i].ScrapeSeq < rs[j].ScrapeSeq })
		nonMonotonic := false
		for i := 1; i < len(rs); i++ {
			if rs[i].Time <= rs[i-1].Time {
				nonMonotonic = true
			}
		}
		if nonMonotonic {
			reasons = append(reasons, "timestamp_non_monotonic")
			break
		}
	}
	return unique, dedupe(reasons)
}

// validPrefix is the text up to the line holding the first byte that is
// not UTF-8 (all of it when it is clean).
func validPrefix(data []byte) (string, bool) {
	if utf8.Valid(data) {
		return string(data), true
	}
	i := 0
	for i < len(data) {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		i += n
	}
	// Back to the start of that line.
	for i > 0 && data[i-1] != '\n' && data[i-1] != '\r' {
		i--
	}
	return string(data[:i]), false
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func dedupe(xs []string) []string {
	var out []string
	for _, x := range xs {
		appendOnce(&out, x)
	}
	return out
}

// ObservedDevice is a GPU as samples.csv shows it.
type ObservedDevice struct {
	Host        string
	Index       int64
	UUIDs       []string
	First, Last float64
	Times       []float64 // sorted
}

func (d ObservedDevice) key() deviceKey { return deviceKey{d.Host, d.Index} }

func (d ObservedDevice) object() *pyjson.Object {
	o := &pyjson.Object{}
	o.Set("hostname", d.Host)
	o.Set("gpu_index", d.Index)
	uu := make([]any, len(d.UUIDs))
	for i, u := range d.UUIDs {
		uu[i] = u
	}
	o.Set("gpu_uuids", uu)
	o.Set("first_sample_time_unix", d.First)
	o.Set("last_sample_time_unix", d.Last)
	return o
}

// deriveObserved is upstream's derive_observed_devices, by host and index.
func deriveObserved(rows []SampleRow) []ObservedDevice {
	by := map[deviceKey][]SampleRow{}
	var keys []deviceKey
	for _, r := range rows {
		k := r.device()
		if _, ok := by[k]; !ok {
			keys = append(keys, k)
		}
		by[k] = append(by[k], r)
	}
	sortKeys(keys)
	var out []ObservedDevice
	for _, k := range keys {
		rs := append([]SampleRow(nil), by[k]...)
		sort.SliceStable(rs, func(i, j int) bool { return rs[i].ScrapeSeq < rs[j].ScrapeSeq })
		d := ObservedDevice{Host: k.host, Index: k.index, First: math.Inf(1), Last: math.Inf(-1)}
		for _, r := range rs {
			if !contains(d.UUIDs, r.UUID) {
				d.UUIDs = append(d.UUIDs, r.UUID)
			}
			d.Times = append(d.Times, r.Time)
			d.First, d.Last = math.Min(d.First, r.Time), math.Max(d.Last, r.Time)
		}
		sort.Float64s(d.Times)
		out = append(out, d)
	}
	return out
}
