// Package agenticvalid is the validity gate of an agentic (AgentX) run:
// upstream's utils/agentic/validation/validate_agentic_result.py. A run
// whose AIPerf aggregate (profile_export_aiperf.json) shows an error rate
// above the threshold is not benchmarkable, and the workflow fails the job
// rather than publish it. The messages are upstream's, word for word, so
// logs and tests that grep them keep working; on failure it also says which
// kinds of error the per-request records hold (Breakdown), which upstream
// leaves the reader to dig out of profile_export.jsonl.
package agenticvalid

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/inferencex/inferencex-go/tools/resultproc/pynum"
	"github.com/inferencex/inferencex-go/tools/resultproc/pyvalue"
)

// AggregateName and RecordsName are the AIPerf artifact files the gate reads.
const (
	AggregateName = "profile_export_aiperf.json"
	RecordsName   = "profile_export.jsonl"
)

// Result is the gate's verdict. Errors are upstream's messages (printed as
// "ERROR: <message>" on stderr); OK is the line printed on stdout when
// there are none. AggregatePath is where the aggregate was looked for.
type Result struct {
	Errors        []string
	OK            string
	AggregatePath string
}

// PyPath renders a path the way Python's pathlib.Path does in str(): empty
// and "." components are dropped (but not ".."), so messages name files
// exactly as upstream's do for the same argument.
func PyPath(p string) string {
	if p == "" {
		return "."
	}
	abs := strings.HasPrefix(p, "/")
	var parts []string
	for _, c := range strings.Split(p, "/") {
		if c == "" || c == "." {
			continue
		}
		parts = append(parts, c)
	}
	s := strings.Join(parts, "/")
	switch {
	case abs && strings.HasPrefix(p, "//") && !strings.HasPrefix(p, "///"):
		// POSIX leaves a leading double slash implementation-defined and
		// pathlib keeps it.
		return "//" + s
	case abs:
		return "/" + s
	case s == "":
		return "."
	}
	return s
}

func join(dir, name string) string {
	d := PyPath(dir)
	if d == "." {
		return name
	}
	if strings.HasSuffix(d, "/") {
		return d + name
	}
	return d + "/" + name
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// ResolveAggregate finds the aggregate in the direct layout
// (<dir>/profile_export_aiperf.json) or the per-run one (the first
// subdirectory, by name, that holds one); it returns the direct path when
// neither exists, for the "not found" message.
func ResolveAggregate(dir string) string {
	direct := join(dir, AggregateName)
	if isFile(direct) {
		return direct
	}
	if entries, err := os.ReadDir(dir); err == nil {
		// os.ReadDir sorts by name in byte order, which for UTF-8 names is
		// the code-point order Python's sorted() uses.
		for _, e := range entries {
			child := join(dir, e.Name())
			cand := join(child, AggregateName)
			if isDir(child) && isFile(cand) {
				return cand
			}
		}
	}
	return direct
}

// metricAvg reads aggregate[name].avg as upstream's _metric_avg: absent
// metric or absent/null avg is "no value"; anything else must be a finite,
// non-negative number.
func metricAvg(agg map[string]any, name string) (float64, bool, error) {
	m, ok := agg[name]
	if !ok || m == nil {
		return 0, false, nil
	}
	obj, ok := m.(map[string]any)
	if !ok {
		return 0, false, fmt.Errorf("%s must be an object", name)
	}
	v, ok := obj["avg"]
	if !ok || v == nil {
		return 0, false, nil
	}
	n, ok := v.(json.Number)
	if !ok {
		return 0, false, fmt.Errorf("%s.avg must be numeric", name)
	}
	f, err := strconv.ParseFloat(n.String(), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false, fmt.Errorf("%s.avg must be numeric", name)
	}
	if math.IsInf(f, 0) || math.IsNaN(f) || f < 0 {
		return 0, false, fmt.Errorf("%s.avg must be a finite non-negative number", name)
	}
	return f, true, nil
}

// decodeObject decodes one JSON document, numbers kept as written.
func decodeObject(data []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("extra data after the JSON document")
	}
	return v, nil
}

// Validate is upstream's validate_result: the error-rate gate over the
// aggregate found under dir.
func Validate(dir string, threshold float64) Result {
	path := ResolveAggregate(dir)
	r := Result{AggregatePath: path}
	if !isFile(path) {
		r.Errors = []string{path + " not found"}
		return r
	}
	data, err := os.ReadFile(path)
	if err != nil {
		r.Errors = []string{fmt.Sprintf("failed to read %s: %v", path, err)}
		return r
	}
	doc, err := decodeObject(data)
	if err != nil {
		r.Errors = []string{fmt.Sprintf("failed to read %s: %v", path, err)}
		return r
	}
	agg, ok := doc.(map[string]any)
	if !ok {
		r.Errors = []string{path + " must contain a JSON object"}
		return r
	}
	successes, haveSuccesses, err := metricAvg(agg, "request_count")
	if err == nil {
		var errCount, completed float64
		var haveCompleted bool
		errCount, _, err = metricAvg(agg, "error_request_count")
		if err == nil {
			completed, haveCompleted, err = metricAvg(agg, "completed_request_count")
		}
		if err == nil {
			return verdict(r, successes, haveSuccesses, errCount, completed, haveCompleted, threshold)
		}
	}
	r.Errors = []string{fmt.Sprintf("failed to read %s: %v", path, err)}
	return r
}

func verdict(r Result, successes float64, haveSuccesses bool, errCount, completed float64, haveCompleted bool, threshold float64) Result {
	if !haveSuccesses {
		r.Errors = []string{"request_count.avg is missing"}
		return r
	}
	if errCount == 0 {
		// Upstream's `or 0.0` turns a -0.0 error count into 0.0.
		errCount = 0
	}
	if !haveCompleted {
		completed = successes + errCount
	}
	if completed <= 0 {
		r.Errors = []string{"aiperf completed zero requests"}
		return r
	}
	rate := errCount / completed
	counts := FormatG(errCount) + "/" + FormatG(completed) + " = " + FormatPercent(rate)
	if rate > threshold {
		r.Errors = []string{"aiperf request error rate exceeded the benchmark limit: " +
			counts + " > " + FormatPercent(threshold)}
		return r
	}
	r.OK = "Validated aiperf request error rate: " + counts + " <= " + FormatPercent(threshold)
	return r
}

func pyInfNaN(f float64) (string, bool) {
	switch {
	case math.IsNaN(f):
		return "nan", true
	case math.IsInf(f, 1):
		return "inf", true
	case math.IsInf(f, -1):
		return "-inf", true
	}
	return "", false
}

// FormatG is Python's format(f, "g").
func FormatG(f float64) string {
	if s, ok := pyInfNaN(f); ok {
		return s
	}
	return strconv.FormatFloat(f, 'g', 6, 64)
}

// FormatPercent is Python's format(f, ".3%"): the product with 100 (in
// floating point, as CPython does) to three decimals.
func FormatPercent(f float64) string {
	x := f * 100
	if s, ok := pyInfNaN(x); ok {
		return s + "%"
	}
	return strconv.FormatFloat(x, 'f', 3, 64) + "%"
}

// Kind is one kind of failed request in profile_export.jsonl: how many
// records had it and the first one's message and position.
type Kind struct {
	Name    string
	Count   int
	First   string
	Line    int
	Warmups int
}

// Breakdown reads the per-request records beside the aggregate and groups
// the failed ones by upstream's error category (the same categories
// process_agentic_result.py counts in request_accounting.error_categories),
// in order of first appearance. A line that is not a JSON object is an
// error naming file and line: the breakdown is a diagnosis, and a wrong
// diagnosis is worse than none.
func Breakdown(path string) ([]Kind, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open records: %w", err)
	}
	defer f.Close()
	var kinds []Kind
	index := map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 256<<20)
	line := 0
	for sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		v, err := decodeObject(text)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		rec, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s:%d: a record must be a JSON object, got %s", path, line, pyvalue.TypeName(v))
		}
		e := rec["error"]
		if !pyvalue.Truthy(e) {
			continue
		}
		cat := Category(e)
		i, seen := index[cat]
		if !seen {
			i = len(kinds)
			index[cat] = i
			kinds = append(kinds, Kind{Name: cat, First: message(e), Line: line})
		}
		kinds[i].Count++
		if isWarmup(rec) {
			kinds[i].Warmups++
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", path, line+1, err)
	}
	return kinds, nil
}

func isWarmup(rec map[string]any) bool {
	md, ok := rec["metadata"].(map[string]any)
	if !ok {
		return false
	}
	p, ok := md["benchmark_phase"]
	return ok && p != nil && p != "profiling"
}

// str is Python's str() of a decoded JSON value.
func str(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return pyvalue.Repr(v)
}

// Category is upstream's _error_category: the first non-empty of type,
// error_type, code, class, status; else the part before the first colon of
// the message's first line, at most 120 characters; else "unknown".
func Category(e any) string {
	var msg any = e
	if obj, ok := e.(map[string]any); ok {
		for _, k := range []string{"type", "error_type", "code", "class", "status"} {
			if v, ok := obj[k]; ok && v != nil && v != "" {
				return str(v)
			}
		}
		msg = obj["message"]
		if !pyvalue.Truthy(msg) {
			msg = obj["error"]
		}
	}
	if !pyvalue.Truthy(msg) {
		return "unknown"
	}
	first := pynum.Strip(str(msg))
	if i := strings.IndexFunc(first, isLineBreak); i >= 0 {
		first = first[:i]
	}
	head, _, _ := strings.Cut(first, ":")
	if head == "" {
		return "unknown"
	}
	if r := []rune(head); len(r) > 120 {
		head = string(r[:120])
	}
	return head
}

// isLineBreak is a line boundary of Python's str.splitlines().
func isLineBreak(r rune) bool {
	switch r {
	case '\n', '\r', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
		return true
	}
	return false
}

// message is what a failed record says, for the breakdown.
func message(e any) string {
	if obj, ok := e.(map[string]any); ok {
		for _, k := range []string{"message", "error"} {
			if v, ok := obj[k]; ok && pyvalue.Truthy(v) {
				return str(v)
			}
		}
	}
	return str(e)
}

// FirstLine is the first line of a message, at most 300 characters, so a
// traceback in an error message stays one line of the breakdown.
func FirstLine(s string) string {
	s = pynum.Strip(s)
	if i := strings.IndexFunc(s, isLineBreak); i >= 0 {
		s = s[:i] + " …"
	}
	if r := []rune(s); len(r) > 300 {
		s = string(r[:300]) + "…"
	}
	return s
}
