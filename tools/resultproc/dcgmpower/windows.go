package dcgmpower

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/pkg/results"
	"github.com/inferencex/inferencex-go/tools/resultproc/pyvalue"
)

// PyPath is str(Path(p)) for a POSIX path: repeated and trailing slashes
// and "." components dropped, ".." kept, "." for nothing.
func PyPath(p string) string {
	abs := strings.HasPrefix(p, "/")
	var parts []string
	for _, c := range strings.Split(p, "/") {
		if c != "" && c != "." {
			parts = append(parts, c)
		}
	}
	s := strings.Join(parts, "/")
	switch {
	case abs:
		return "/" + s
	case s == "":
		return "."
	}
	return s
}

// join is Path(a) / b as a string.
func join(a, b string) string {
	if strings.HasPrefix(b, "/") {
		return PyPath(b)
	}
	return PyPath(a + "/" + b)
}

// stem is Path(p).stem: the last component without its last suffix (a
// leading dot does not start a suffix).
func stem(p string) string {
	name := filepath.Base(PyPath(p))
	if i := strings.LastIndex(name, "."); i > 0 && i < len(name)-1 {
		return name[:i]
	}
	return name
}

// safeRelative is upstream's _is_safe_relative_subpath.
func safeRelative(v string) bool {
	if v == "" || strings.HasPrefix(v, "/") || strings.HasPrefix(v, "~") {
		return false
	}
	var parts []string
	for _, c := range strings.Split(v, "/") {
		if c != "" && c != "." {
			parts = append(parts, c)
		}
	}
	if len(parts) == 0 {
		return false
	}
	for _, c := range parts {
		if c == ".." {
			return false
		}
	}
	return true
}

// resolve is Path.resolve() (not strict): absolute, symbolic links of the
// existing part followed, the rest kept as written.
func resolve(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	rest := ""
	cur := abs
	for {
		if r, err := filepath.EvalSymlinks(cur); err == nil {
			return filepath.Join(r, rest), nil
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return abs, nil
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
}

// staysBelow is upstream's _stays_below: root/relative, resolved, is
// inside root, resolved.
func staysBelow(root, relative string) bool {
	r, err1 := resolve(root)
	p, err2 := resolve(filepath.Join(root, relative))
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(r, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// Window is one parsed windows/*.json.
type Window struct {
	RelPath     string // windows/<name>
	Type        string
	Concurrency int64
	ResultPath  string
	Status      string
	Start       float64
	End         *float64
	Duration    *float64
}

type windowKey struct {
	typ  string
	conc int64
}

func (w *Window) key() windowKey { return windowKey{w.Type, w.Concurrency} }

func statusInvariants(status string, end, dur, reason any) bool {
	reasonText := func() bool { s, ok := reason.(string); return ok && s != "" }
	switch status {
	case windowRunning:
		return end == nil && dur == nil && reason == nil
	case "interrupted":
		return end == nil && dur == nil && reasonText()
	}
	d, ok := pyvalue.IsNumber(dur)
	if !pyvalue.IsFinite(end) || !ok || !pyvalue.IsFinite(dur) || d <= 0 {
		return false
	}
	if status == windowCompleted {
		return reason == nil
	}
	return reasonText()
}

// parseWindow is upstream's _parse_window. A concurrency given as a JSON
// boolean, which Python would take for 0 or 1, is rejected.
func parseWindow(path, rel, resultRoot string) (*Window, []string) {
	doc, err := readJSON(path)
	if err != nil {
		return nil, []string{"measurement_window_malformed"}
	}
	o, ok := doc.(*pyjson.Object)
	if !ok {
		return nil, []string{"measurement_window_malformed"}
	}
	status, _ := get(o, "status").(string)
	typ, typOK := get(o, "benchmark_type").(string)
	conc, concOK := pyvalue.IsInt(get(o, "concurrency"))
	if !pyvalue.Equal(get(o, "schema_version"), int64(SchemaVersion)) || !pyvalue.Equal(get(o, "clock_source"), ClockSource) ||
		!contains(windowStatuses, status) || !typOK || !concOK || !pyvalue.IsFinite(get(o, "benchmark_start_time_unix")) {
		return nil, []string{"measurement_window_malformed"}
	}
	rp, ok := get(o, "result_path").(string)
	if !ok || !safeRelative(rp) {
		return nil, []string{"measurement_window_result_path_invalid"}
	}
	if !staysBelow(resultRoot, rp) || stem(rp) != stem(path) {
		return nil, []string{"measurement_window_result_path_invalid"}
	}
	end, dur := get(o, "benchmark_end_time_unix"), get(o, "duration")
	if !statusInvariants(status, end, dur, get(o, "reason")) {
		return nil, []string{"measurement_window_malformed"}
	}
	start, _ := pyvalue.IsNumber(get(o, "benchmark_start_time_unix"))
	w := &Window{RelPath: rel, Type: typ, Concurrency: conc, ResultPath: rp, Status: status, Start: start}
	if end != nil {
		e, _ := pyvalue.IsNumber(end)
		w.End = &e
	}
	if dur != nil {
		d, _ := pyvalue.IsNumber(dur)
		w.Duration = &d
	}
	return w, nil
}

func readJSON(path string) (any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return results.DecodeOrdered(data)
}

// artifactError is one entry of the manifest's artifact_errors.
type artifactError struct {
	path    string
	reasons []string
}

func (a artifactError) object() *pyjson.Object {
	o := &pyjson.Object{}
	o.Set("path", a.path)
	o.Set("reason_codes", strList(a.reasons))
	return o
}

func strList(xs []string) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// scanWindows is upstream's _scan_windows: every window file, parsed, the
// duplicates of one benchmark and concurrency removed.
func scanWindows(windowsDir, resultRoot string, errs *[]artifactError) ([]*Window, map[windowKey]bool) {
	dups := map[windowKey]bool{}
	if !isDir(windowsDir) {
		return nil, dups
	}
	if !staysBelow(filepath.Dir(windowsDir), WindowsDir) {
		*errs = append(*errs, artifactError{WindowsDir, []string{"measurement_window_artifact_path_invalid"}})
		return nil, dups
	}
	ents, err := os.ReadDir(windowsDir)
	if err != nil {
		return nil, dups
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	var parsed []*Window
	byKey := map[windowKey]*Window{}
	for _, name := range names {
		rel := WindowsDir + "/" + name
		p := filepath.Join(windowsDir, name)
		if st, err := os.Lstat(p); err != nil || st.Mode()&os.ModeSymlink != 0 || !st.Mode().IsRegular() {
			*errs = append(*errs, artifactError{rel, []string{"measurement_window_artifact_path_invalid"}})
			continue
		}
		w, reasons := parseWindow(p, rel, resultRoot)
		if w == nil {
			*errs = append(*errs, artifactError{rel, reasons})
			continue
		}
		if first, ok := byKey[w.key()]; ok {
			dups[w.key()] = true
			*errs = append(*errs, artifactError{first.RelPath, []string{"measurement_window_duplicate"}},
				artifactError{rel, []string{"measurement_window_duplicate"}})
			continue
		}
		byKey[w.key()] = w
		parsed = append(parsed, w)
	}
	var out []*Window
	for _, w := range parsed {
		if !dups[w.key()] {
			out = append(out, w)
		}
	}
	return out, dups
}

// checkWindowResult is upstream's _check_window_result: the original
// result exists and carries the window's own times.
func checkWindowResult(w *Window, resultRoot string) []string {
	p := filepath.Join(resultRoot, w.ResultPath)
	if !isFile(p) {
		return []string{"measurement_window_result_missing"}
	}
	doc, err := readJSON(p)
	if err != nil {
		return []string{"measurement_window_result_missing"}
	}
	o, ok := doc.(*pyjson.Object)
	if !ok {
		return []string{"measurement_window_result_mismatch"}
	}
	if !pyvalue.Equal(get(o, "benchmark_start_time_unix"), w.Start) || !pyvalue.Equal(get(o, "benchmark_end_time_unix"), *w.End) ||
		!pyvalue.Equal(get(o, "duration"), *w.Duration) {
		return []string{"measurement_window_result_mismatch"}
	}
	wall := *w.End - w.Start
	if math.Abs(wall-*w.Duration) > math.Max(0.5, 0.01**w.Duration) {
		return []string{"measurement_window_clock_mismatch"}
	}
	return nil
}

// bracketing is upstream's _bracketing_sequence: the last sample at or
// before start, those inside, the first at or after end.
func bracketing(times []float64, start, end float64) []float64 {
	var before, after *float64
	var inside []float64
	for i := range times {
		t := times[i]
		if t <= start {
			before = &times[i]
		}
		if t >= end && after == nil {
			after = &times[i]
		}
		if start < t && t < end {
			inside = append(inside, t)
		}
	}
	if before == nil || after == nil {
		return nil
	}
	return append(append([]float64{*before}, inside...), *after)
}

func maxGap(seq []float64) float64 {
	g := 0.0
	for i := 1; i < len(seq); i++ {
		g = math.Max(g, seq[i]-seq[i-1])
	}
	return g
}

func label(d ObservedDevice) string { return d.Host + "/" + d.UUIDs[0] }

// checkCoverage is upstream's _check_coverage.
func checkCoverage(start, end float64, expected []deviceKey, observed []ObservedDevice) (*pyjson.Object, []string) {
	by := map[deviceKey]ObservedDevice{}
	for _, d := range observed {
		by[d.key()] = d
	}
	keys := append([]deviceKey(nil), expected...)
	sortKeys(keys)
	gaps := &pyjson.Object{}
	var reasons []string
	for _, k := range keys {
		d, ok := by[k]
		if !ok {
			reasons = append(reasons, "measurement_window_not_bracketed")
			continue
		}
		if len(d.UUIDs) != 1 {
			reasons = append(reasons, "gpu_uuid_changed")
			continue
		}
		seq := bracketing(d.Times, start, end)
		if seq == nil {
			reasons = append(reasons, "measurement_window_not_bracketed")
			continue
		}
		g := maxGap(seq)
		gaps.Set(label(d), g)
		if g > MaxSampleGapSeconds {
			reasons = append(reasons, "sample_gap_exceeded")
		}
	}
	return gaps, reasons
}

// validateWindows is upstream's _validate_expected_windows: one audit row
// per expected window, as the producer writes them.
func validateWindows(powerDir, resultRoot string, expected []ExpectedWindow, expectedDevices []deviceKey,
	observed []ObservedDevice, errs *[]artifactError) ([]any, []*Window) {
	parsed, dups := scanWindows(filepath.Join(powerDir, WindowsDir), resultRoot, errs)
	want := map[windowKey]bool{}
	for _, e := range expected {
		want[windowKey{e.Type, e.Concurrency}] = true
	}
	sorted := append([]*Window(nil), parsed...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i].key(), sorted[j].key()
		if a.typ != b.typ {
			return a.typ < b.typ
		}
		return a.conc < b.conc
	})
	for _, w := range sorted {
		if !want[w.key()] {
			*errs = append(*errs, artifactError{w.RelPath, []string{"measurement_window_unexpected"}})
		}
	}
	byKey := map[windowKey]*Window{}
	for _, w := range parsed {
		byKey[w.key()] = w
	}
	var rows []any
	for _, e := range expected {
		k := windowKey{e.Type, e.Concurrency}
		row := &pyjson.Object{}
		row.Set("benchmark_type", e.Type)
		row.Set("concurrency", e.Concurrency)
		w, ok := byKey[k]
		if !ok {
			reason := "measurement_window_missing"
			if dups[k] {
				reason = "measurement_window_duplicate"
			}
			row.Set("window_file", nil)
			row.Set("power_coverage_valid", false)
			row.Set("reason_codes", []any{reason})
			row.Set("per_device_max_sample_gap_seconds", &pyjson.Object{})
			rows = append(rows, row)
			continue
		}
		var reasons []string
		if w.Status != windowCompleted {
			reasons = append(reasons, "measurement_window_incomplete")
		} else {
			reasons = append(reasons, checkWindowResult(w, resultRoot)...)
		}
		gaps := &pyjson.Object{}
		if len(reasons) == 0 {
			g, cov := checkCoverage(w.Start, *w.End, expectedDevices, observed)
			reasons = append(reasons, cov...)
			if len(cov) == 0 {
				gaps = g
			}
		}
		row.Set("window_file", w.RelPath)
		row.Set("power_coverage_valid", len(reasons) == 0)
		row.Set("reason_codes", strList(dedupe(reasons)))
		row.Set("per_device_max_sample_gap_seconds", gaps)
		rows = append(rows, row)
	}
	return rows, parsed
}

// checkStoredEvidence is upstream's _check_stored_evidence: what the
// manifest stored must be what the files say.
func checkStoredEvidence(m *pyjson.Object, expected []ExpectedDevice, windows []ExpectedWindow, rows []SampleRow,
	observed []ObservedDevice, validations []any, errs []artifactError) []string {
	var f []string
	if stored := get(m, "sample_row_count"); !pyvalue.Equal(stored, int64(len(rows))) {
		f = append(f, fmt.Sprintf("sample_row_count is %s, disk has %d rows", pyvalue.Repr(stored), len(rows)))
	}
	if len(rows) > 0 {
		least := int64(0)
		for _, r := range rows {
			least = max(least, r.ScrapeSeq+1)
		}
		stored := get(m, "scrape_count")
		if n, ok := pyvalue.IsInt(stored); !ok || n < least {
			f = append(f, fmt.Sprintf("scrape_count is %s, disk needs at least %d", pyvalue.Repr(stored), least))
		}
	}
	if len(observed) == 0 {
		f = append(f, "observed_devices is empty")
	}
	obs := make([]any, len(observed))
	for i, d := range observed {
		obs[i] = d.object()
	}
	if !pyvalue.Equal(get(m, "observed_devices"), obs) {
		f = append(f, "observed_devices does not match the devices derived from samples.csv")
	}
	if !pyvalue.Equal(get(m, "window_validations"), validations) {
		f = append(f, "window_validations does not match the recomputed window audit")
	}
	ae := make([]any, len(errs))
	for i, e := range errs {
		ae[i] = e.object()
	}
	if !pyvalue.Equal(get(m, "artifact_errors"), ae) {
		f = append(f, "artifact_errors does not match the recomputed artifact scan")
	}
	devs := map[deviceKey]bool{}
	dupDev := false
	for _, d := range expected {
		if devs[d.key()] {
			dupDev = true
		}
		devs[d.key()] = true
	}
	if dupDev {
		f = append(f, "expected_devices contains duplicate keys")
	}
	wins := map[windowKey]bool{}
	dupWin := false
	for _, w := range windows {
		k := windowKey{w.Type, w.Concurrency}
		if wins[k] {
			dupWin = true
		}
		wins[k] = true
	}
	if dupWin {
		f = append(f, "expected_windows contains duplicate keys")
	}
	return f
}
