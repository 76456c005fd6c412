// Package agentpower measures the energy of an agentic (AIPerf-style)
// run, as upstream's utils/agentic/aggregation/power_adapter.py does: the
// benchmark window is the profiling phase's start and end times from
// aiperf_artifacts/profile_export_aiperf.json, the counts are the
// successful profiling records of profile_export.jsonl, and the telemetry
// is results/gpu_metrics.csv, integrated exactly as for a fixed-length
// benchmark.
package agentpower

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/pkg/results"
	"github.com/inferencex/inferencex-go/tools/resultproc/power"
	"github.com/inferencex/inferencex-go/tools/resultproc/pynum"
	"github.com/inferencex/inferencex-go/tools/resultproc/pyvalue"
)

// The files of a result directory.
const (
	ArtifactsDir   = "aiperf_artifacts"
	RecordsFile    = "profile_export.jsonl"
	AggregateFile  = "profile_export_aiperf.json"
	OffsetFile     = "agentic_power_timezone_offset.txt"
	WindowFile     = "agentic_power_window.json"
	TelemetryFile  = "gpu_metrics.csv"
	ValidationFile = "power_validation.json"
	WindowSource   = "aiperf_profile_lifecycle"
)

var offsetRe = regexp.MustCompile(`^([+-])([0-9]{2}):?([0-9]{2})$`)

// artifactDir is upstream's _resolve_artifact_dir: aiperf_artifacts, or
// its first subdirectory (by name) that holds the records.
func artifactDir(resultDir string) string {
	base := filepath.Join(resultDir, ArtifactsDir)
	if isFile(filepath.Join(base, RecordsFile)) {
		return base
	}
	if ents, err := os.ReadDir(base); err == nil {
		names := make([]string, 0, len(ents))
		for _, e := range ents {
			names = append(names, e.Name())
		}
		sort.Strings(names)
		for _, n := range names {
			c := filepath.Join(base, n)
			if st, err := os.Stat(c); err == nil && st.IsDir() && isFile(filepath.Join(c, RecordsFile)) {
				return c
			}
		}
	}
	return base
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// capturedOffset is upstream's _captured_timezone: the UTC offset the
// launcher wrote beside the telemetry (`date +%z`), in microseconds.
func capturedOffset(resultDir string) (int64, string) {
	p := filepath.Join(resultDir, OffsetFile)
	if !isFile(p) {
		return 0, "profile_timezone_offset_missing"
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return 0, "profile_timezone_offset_invalid"
	}
	m := offsetRe.FindStringSubmatch(pynum.Strip(string(data)))
	if m == nil {
		return 0, "profile_timezone_offset_invalid"
	}
	h, _ := strconv.Atoi(m[2])
	mi, _ := strconv.Atoi(m[3])
	if h > 23 || mi > 59 {
		return 0, "profile_timezone_offset_invalid"
	}
	off := int64(h*3600+mi*60) * 1_000_000
	if m[1] == "-" {
		off = -off
	}
	return off, ""
}

// isoOf is datetime.fromisoformat(value.strip().replace("Z", "+00:00")).
func isoOf(v string) (power.ISOTime, bool) {
	return power.ParseISOTime(strings.ReplaceAll(pynum.Strip(v), "Z", "+00:00"))
}

// profileTimestamp is upstream's _parse_profile_timestamp.
func profileTimestamp(v any, fallback *int64) (float64, bool) {
	switch x := v.(type) {
	case bool:
		return 0, false
	case json.Number, float64:
		f, ok := results.Float(x)
		return f, ok && !math.IsNaN(f) && !math.IsInf(f, 0)
	case string:
		if pynum.Strip(x) == "" {
			return 0, false
		}
		t, ok := isoOf(x)
		if !ok {
			return 0, false
		}
		if t.Offset == nil {
			if fallback == nil {
				return 0, false
			}
			return t.UnixAt(*fallback), true
		}
		return t.UnixAt(0), true
	}
	return 0, false
}

// toInt is upstream's to_int: int(value), None where Python raises.
func toInt(v any) (int64, bool) {
	switch x := v.(type) {
	case nil:
		return 0, false
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case json.Number:
		if i, err := strconv.ParseInt(x.String(), 10, 64); err == nil {
			return i, true
		}
		f, err := strconv.ParseFloat(x.String(), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) >= 1<<63 {
			return 0, false
		}
		return int64(f), true // int() truncates toward zero
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) >= 1<<63 {
			return 0, false
		}
		return int64(x), true
	case string:
		return pynum.Int(x)
	}
	return 0, false
}

// record is one profiling record: its metrics object (nil when absent).
type record struct{ metrics *pyjson.Object }

func (r record) metricInt(key string) (int64, bool) {
	if r.metrics == nil {
		return 0, false
	}
	v, _ := r.metrics.Get(key)
	if o, ok := v.(*pyjson.Object); ok {
		v, _ = o.Get("value")
	}
	return toInt(v)
}

// loadRecords is upstream's load_records: the successful profiling
// records (a record without a phase counts as profiling). A line that is
// not an object with object metadata and metrics is an error (upstream
// crashes on it).
func loadRecords(path string) ([]record, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []record
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		doc, err := results.DecodeOrdered([]byte(text))
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		obj, ok := doc.(*pyjson.Object)
		if !ok {
			return nil, fmt.Errorf("line %d: not a JSON object", line)
		}
		var phase any
		if md, ok := obj.Get("metadata"); ok {
			mo, isObj := md.(*pyjson.Object)
			if !isObj {
				return nil, fmt.Errorf("line %d: metadata is not an object", line)
			}
			phase, _ = mo.Get("benchmark_phase")
		}
		warmup := phase != nil && phase != "profiling"
		errv, _ := obj.Get("error")
		if warmup || pyvalue.Truthy(errv) {
			continue
		}
		r := record{}
		if m, ok := obj.Get("metrics"); ok {
			mo, isObj := m.(*pyjson.Object)
			if !isObj {
				return nil, fmt.Errorf("line %d: metrics is not an object", line)
			}
			r.metrics = mo
		}
		out = append(out, r)
	}
	return out, sc.Err()
}

// Window is the strict benchmark window built from the artifacts, in the
// raw result's field names.
type Window struct {
	Start, End             float64
	Completed              int64
	InputTokens, OutTokens int64
}

// Document is the agentic_power_window.json upstream writes.
func (w *Window) Document() *pyjson.Object {
	o := &pyjson.Object{}
	o.Set("benchmark_start_time_unix", w.Start)
	o.Set("benchmark_end_time_unix", w.End)
	o.Set("duration", w.End-w.Start)
	o.Set("completed", w.Completed)
	o.Set("total_input_tokens", w.InputTokens)
	o.Set("total_output_tokens", w.OutTokens)
	return o
}

// BuildWindow is upstream's build_power_window.
func BuildWindow(resultDir string) (*Window, []string) {
	dir := artifactDir(resultDir)
	aggPath, recPath := filepath.Join(dir, AggregateFile), filepath.Join(dir, RecordsFile)
	if !isFile(aggPath) || !isFile(recPath) {
		return nil, []string{"profile_artifacts_missing"}
	}
	aggDoc, err := power.ReadJSON(aggPath)
	if err != nil {
		return nil, []string{"profile_artifacts_invalid"}
	}
	agg, ok := aggDoc.(*pyjson.Object)
	if !ok {
		return nil, []string{"profile_artifacts_invalid"}
	}
	recs, err := loadRecords(recPath)
	if err != nil {
		return nil, []string{"profile_artifacts_invalid"}
	}
	rawStart, _ := agg.Get("start_time")
	rawEnd, _ := agg.Get("end_time")
	if rawStart == nil || rawEnd == nil {
		return nil, []string{"profile_window_missing"}
	}
	naive := false
	for _, v := range []any{rawStart, rawEnd} {
		if s, ok := v.(string); ok {
			if t, ok := isoOf(s); ok && t.Offset == nil {
				naive = true
			}
		}
	}
	var fallback *int64
	if naive {
		off, reason := capturedOffset(resultDir)
		if reason != "" {
			return nil, []string{reason}
		}
		fallback = &off
	}
	start, ok1 := profileTimestamp(rawStart, fallback)
	end, ok2 := profileTimestamp(rawEnd, fallback)
	if !ok1 || !ok2 || end <= start {
		return nil, []string{"profile_window_invalid"}
	}
	if len(recs) == 0 {
		return nil, []string{"successful_request_count_invalid"}
	}
	var in, out []int64
	for _, r := range recs {
		if v, ok := r.metricInt("input_sequence_length"); ok {
			in = append(in, v)
		}
		if v, ok := r.metricInt("output_sequence_length"); ok {
			out = append(out, v)
		}
	}
	sum := func(xs []int64) (int64, bool) {
		var s int64
		for _, x := range xs {
			if x < 0 {
				return 0, false
			}
			s += x
		}
		return s, true
	}
	si, okI := sum(in)
	so, okO := sum(out)
	if len(in) != len(recs) || len(out) != len(recs) || !okI || !okO || si <= 0 || so <= 0 {
		return nil, []string{"incomplete_token_accounting"}
	}
	return &Window{Start: start, End: end, Completed: int64(len(recs)), InputTokens: si, OutTokens: so}, nil
}

// Args is power_adapter.py's command line.
type Args struct {
	ResultDir, AggResult string
	Expected             *int64
	RequirePower         bool
	Opt                  power.Options
	// ValidateWindow checks the window document against its schema
	// before it is written (nil: not checked).
	ValidateWindow func(doc any) error
}

// Run is upstream's run_agentic_power: build the window, write it, and
// measure as for any benchmark; without a window, the aggregate gets
// power_valid 0 and the sidecar says why.
func Run(a Args, x power.IO) int {
	w, reasons := BuildWindow(x.Path(a.ResultDir))
	windowPath := filepath.Join(a.ResultDir, WindowFile)
	if w == nil {
		return failure(a, x, reasons)
	}
	doc := w.Document()
	var err error
	if a.ValidateWindow != nil {
		if err = a.ValidateWindow(results.Generic(doc)); err != nil {
			err = fmt.Errorf("the window does not match its schema (a bug): %w", err)
		}
	}
	var data []byte
	if err == nil {
		data, err = results.MarshalIndent(doc)
	}
	if err == nil {
		err = x.Write(x.Path(windowPath), data)
	}
	if err != nil {
		fmt.Fprintf(x.Stderr, "%s writing %s: %v\n", x.Prefix, windowPath, err)
		return max(failure(a, x, []string{"power_window_unwritable"}), power.ExitFailure)
	}
	return power.RunSingle(power.SingleArgs{CSV: filepath.Join(a.ResultDir, TelemetryFile), BenchResult: windowPath,
		AggResult: a.AggResult, ValidationResult: filepath.Join(a.ResultDir, ValidationFile), Expected: a.Expected,
		RequirePower: a.RequirePower, Opt: a.Opt}, x)
}

// failure is upstream's _record_adapter_failure: the aggregate marked
// invalid, then the sidecar (upstream writes no sidecar when the
// aggregate cannot be patched; we write it anyway, so the reason is on
// record).
func failure(a Args, x power.IO, reasons []string) int {
	status, reason, _ := power.PatchFile(x, a.AggResult, false, nil, power.WholeMetricKeys)
	if reason != "" {
		reasons = append(reasons, reason)
	}
	ev := &power.Evaluation{Reasons: reasons, Integration: power.EmptyIntegration(a.Expected, reasons)}
	doc := ev.Sidecar(filepath.Join(a.ResultDir, TelemetryFile), filepath.Join(a.ResultDir, WindowFile), nil)
	doc.Set("window_source", WindowSource)
	if err := x.WriteSidecar(filepath.Join(a.ResultDir, ValidationFile), doc); err != nil {
		fmt.Fprintf(x.Stderr, "%s Failed to record adapter failure: %v\n", x.Prefix, err)
		status = max(status, power.ExitFailure)
	}
	fmt.Fprintf(x.Stderr, "%s Power-window adaptation failed: %s\n", x.Prefix, strings.Join(reasons, ", "))
	if a.RequirePower {
		status = max(status, power.ExitFailure)
	}
	return status
}
