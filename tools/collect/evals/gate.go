package evals

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/diag"
	"github.com/inferencex/inferencex-go/pkg/mdtable"
	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/pkg/results"
	"github.com/inferencex/inferencex-go/pkg/yamldoc"
	"github.com/inferencex/inferencex-go/schemas"
)

// The accuracy gate holds every eval job to minimum scores: for each task
// of each results*.json of the job, every metric named <metric prefix>...
// (the exact-match score under each filter) must reach the task's
// threshold. It does what upstream's utils/evals/validate_scores.py does in
// one job's workspace, for every job folder under a directory, and checks
// that a batched eval produced each concurrency it was asked for.

// Min is one threshold and how Python prints it in the gate's messages.
type Min struct {
	Value float64
	Text  string
}

// MinOf is a threshold given as a float (--min-score), printed as Python
// prints a float.
func MinOf(f float64) Min { return Min{Value: f, Text: pyFloatText(f)} }

// Thresholds are the minimum scores, by task and by model prefix and task.
type Thresholds struct {
	File    string
	Default map[string]Min
	Models  map[string]map[string]Min
}

// LoadThresholds reads and validates a thresholds file (YAML or JSON):
// {default: {task: min}, models: {prefix: {task: min}}}, or the legacy flat
// form {task: min}. A problem is reported at its line, with exit status 2
// in mind: a gate without its thresholds would judge by the wrong numbers.
func LoadThresholds(v *schemas.Validator, path string) (*Thresholds, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, diag.Errorf(path, 0, 0, "", "file does not exist")
		}
		return nil, diag.Errorf(path, 0, 0, "", "cannot read: %v", err)
	}
	return ParseThresholds(v, path, data)
}

// ParseThresholds is LoadThresholds on a file's contents.
func ParseThresholds(v *schemas.Validator, path string, data []byte) (*Thresholds, error) {
	doc, err := yamldoc.Parse(path, data)
	if err != nil {
		return nil, err
	}
	if doc.Root == nil {
		return nil, diag.Errorf(path, 0, 0, "", "empty thresholds file (expected default: and models: mappings)")
	}
	if err := v.Validate(schemas.EvalThresholds, doc.Root); err != nil {
		var se *schemas.Error
		if !errors.As(err, &se) {
			return nil, err
		}
		var l diag.List
		for _, vi := range se.Violations {
			if vi.AtKey {
				l = append(l, doc.KeyDiag(vi.Pointer, "%s", vi.Message))
			} else {
				l = append(l, doc.Diag(vi.Pointer, "%s", vi.Message))
			}
		}
		l.Sort()
		return nil, l
	}
	root := doc.Root.(map[string]any)
	t := &Thresholds{File: path, Default: map[string]Min{}, Models: map[string]map[string]Min{}}
	_, hasDefault := root["default"]
	_, hasModels := root["models"]
	if !hasDefault && !hasModels {
		t.Default = tasks(root)
		return t, nil
	}
	if d, ok := root["default"].(map[string]any); ok {
		t.Default = tasks(d)
	}
	if m, ok := root["models"].(map[string]any); ok {
		for prefix, ts := range m {
			t.Models[prefix] = tasks(ts.(map[string]any))
		}
	}
	return t, nil
}

func tasks(m map[string]any) map[string]Min {
	out := make(map[string]Min, len(m))
	for task, v := range m {
		switch x := v.(type) {
		case int64:
			out[task] = Min{Value: float64(x), Text: strconv.FormatInt(x, 10)}
		case float64:
			out[task] = Min{Value: x, Text: pyFloatText(x)}
		}
	}
	return out
}

// pyFloatText is Python's str() of a float.
func pyFloatText(f float64) string {
	s, err := pyjson.FormatFloat(f, 64)
	if err != nil {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return s
}

// Lookup returns the threshold of a task for a model prefix, most specific
// first, and where it came from: models.<prefix>, default, or min-score.
func (t *Thresholds) Lookup(prefix, task string, fallback Min) (Min, string) {
	if prefix != "" {
		if m, ok := t.Models[prefix][task]; ok {
			return m, "models." + prefix
		}
	}
	if m, ok := t.Default[task]; ok {
		return m, "default"
	}
	return fallback, "min-score"
}

// GateOptions say how to judge.
type GateOptions struct {
	Thresholds *Thresholds
	// MinScore applies to a task no threshold names (upstream's default
	// 0.85).
	MinScore Min
	// ModelPrefix, when set, is every job's model prefix; otherwise a
	// job's meta_env.json names it (infmax_model_prefix), else EnvPrefix
	// (the job's MODEL_PREFIX).
	ModelPrefix, EnvPrefix string
	// MetricPrefix selects the metrics to check (upstream's default
	// "exact_match,": every filter's exact match, never a stderr).
	MetricPrefix string
	// ExpectedConcs are the concurrencies the workflow asked the job to
	// evaluate (nil: not said).
	ExpectedConcs []int64
}

// Check is one metric held to its threshold.
type Check struct {
	File   string // the results file
	Conc   string // the concurrency of a batched eval's file, else ""
	Task   string
	Metric string
	Value  float64
	Min    Min
	From   string // models.<prefix>, default or min-score
	Passed bool
}

// UpstreamLine is the check as validate_scores.py prints it.
func (c Check) UpstreamLine() string {
	label := ""
	if c.Conc != "" {
		label = "[conc=" + c.Conc + "] "
	}
	if c.Passed {
		return fmt.Sprintf("PASS: %s%s %s = %.4f (>= %s from %s)", label, c.Task, c.Metric, c.Value, c.Min.Text, c.From)
	}
	return fmt.Sprintf("FAIL: %s%s %s = %.4f (< %s from %s)", label, c.Task, c.Metric, c.Value, c.Min.Text, c.From)
}

// JobVerdict is the gate's word on one eval job folder.
type JobVerdict struct {
	Dir    string
	Prefix string // the model prefix the thresholds were looked up for ("" unknown)
	Meta   *pyjson.Object
	// ManifestErrors say how a batched eval fell short of what was asked.
	ManifestErrors []string
	// BatchComplete: the job ran a batched eval and every requested
	// concurrency completed.
	BatchComplete bool
	Checks        []Check
	// Problems are results files the gate could not read.
	Problems []results.Problem
	// Rows are the table rows: one per results file and task.
	Rows []GateRow
}

// GateRow is one line of the gate's table.
type GateRow struct {
	File, Conc, Task string
	Checks           []Check
	Note             string // why there is nothing to check
}

// Failed tells whether the job fails the gate: a manifest error, a metric
// below its threshold, an unreadable results file, or nothing checked.
func (j *JobVerdict) Failed() bool {
	if len(j.ManifestErrors) > 0 || len(j.Problems) > 0 || len(j.Checks) == 0 {
		return true
	}
	for _, c := range j.Checks {
		if !c.Passed {
			return true
		}
	}
	return false
}

// GateReport is the gate's word on every job folder under a directory.
type GateReport struct {
	Jobs []*JobVerdict
}

// Failed counts the jobs that fail the gate.
func (g *GateReport) Failed() int {
	n := 0
	for _, j := range g.Jobs {
		if j.Failed() {
			n++
		}
	}
	return n
}

// Gate judges every eval job folder under dir (FindSets' folders).
func Gate(dir string, o GateOptions) (*GateReport, error) {
	sets, err := FindSets(dir)
	if err != nil {
		return nil, err
	}
	rep := &GateReport{}
	for _, d := range sets {
		rep.Jobs = append(rep.Jobs, gateJob(d, o))
	}
	return rep, nil
}

func gateJob(dir string, o GateOptions) *JobVerdict {
	j := &JobVerdict{Dir: dir}
	metaPath := filepath.Join(dir, MetaFile)
	var meta *pyjson.Object
	metaDoc, metaErr := readJSON(metaPath)
	if metaErr == nil {
		var ok bool
		if meta, ok = metaDoc.(*pyjson.Object); !ok {
			metaErr = errors.New("expected a JSON object")
		}
	}
	j.Meta = meta
	if j.Meta == nil {
		j.Meta = &pyjson.Object{}
	}

	j.Prefix = o.ModelPrefix
	if j.Prefix == "" && meta != nil {
		if p, ok := get(meta, "infmax_model_prefix").(string); ok && p != "" && p != "unknown" {
			j.Prefix = p
		}
	}
	if j.Prefix == "" && o.EnvPrefix != "" && o.EnvPrefix != "unknown" {
		j.Prefix = o.EnvPrefix
	}

	files, _ := filepath.Glob(filepath.Join(dir, "results*.json"))
	sort.Strings(files)
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	j.ManifestErrors = manifestErrors(metaPath, meta, metaErr, names, o.ExpectedConcs)
	if len(j.ManifestErrors) == 0 && meta != nil {
		_, j.BatchComplete = meta.Get("eval_concs")
	}

	metricPrefix := o.MetricPrefix
	if metricPrefix == "" {
		metricPrefix = "exact_match,"
	}
	for _, f := range files {
		conc := ""
		if c, ok := resultConcText(f); ok {
			conc = c
		}
		doc, err := readJSON(f)
		if err != nil {
			j.Problems = append(j.Problems, results.Problem{Path: f, Err: err})
			j.Rows = append(j.Rows, GateRow{File: f, Conc: conc, Note: "unreadable: " + err.Error()})
			continue
		}
		data, ok := doc.(*pyjson.Object)
		if !ok {
			err := errors.New("expected a JSON object (an lm-eval-harness results file)")
			j.Problems = append(j.Problems, results.Problem{Path: f, Err: err})
			j.Rows = append(j.Rows, GateRow{File: f, Conc: conc, Note: err.Error()})
			continue
		}
		res, present := data.Get("results")
		resObj, ok := res.(*pyjson.Object)
		if present && !ok {
			err := fmt.Errorf("results: expected an object, got %s", results.Describe(results.Generic(res)))
			j.Problems = append(j.Problems, results.Problem{Path: f, Err: err})
			j.Rows = append(j.Rows, GateRow{File: f, Conc: conc, Note: err.Error()})
			continue
		}
		if resObj == nil || len(resObj.Keys()) == 0 {
			j.Rows = append(j.Rows, GateRow{File: f, Conc: conc, Note: "no task results"})
			continue
		}
		for _, task := range resObj.Keys() {
			metrics, ok := get(resObj, task).(*pyjson.Object)
			if !ok {
				err := fmt.Errorf("results.%s: expected an object of metrics", task)
				j.Problems = append(j.Problems, results.Problem{Path: f, Err: err})
				j.Rows = append(j.Rows, GateRow{File: f, Conc: conc, Task: task, Note: err.Error()})
				continue
			}
			min, from := o.Thresholds.Lookup(j.Prefix, task, o.MinScore)
			row := GateRow{File: f, Conc: conc, Task: task}
			for _, name := range metrics.Keys() {
				if !strings.HasPrefix(name, metricPrefix) || strings.Contains(name, "stderr") {
					continue
				}
				val, ok := numeric(get(metrics, name))
				if !ok || math.IsNaN(val) {
					continue
				}
				c := Check{File: f, Conc: conc, Task: task, Metric: name, Value: val, Min: min, From: from, Passed: !(val < min.Value)}
				j.Checks = append(j.Checks, c)
				row.Checks = append(row.Checks, c)
			}
			if len(row.Checks) == 0 {
				row.Note = fmt.Sprintf("no metric named %s...", metricPrefix)
			}
			j.Rows = append(j.Rows, row)
		}
	}
	if len(files) == 0 {
		j.Rows = append(j.Rows, GateRow{File: "-", Note: "no results*.json"})
	}
	return j
}

func resultConcText(path string) (string, bool) {
	m := concSuffix.FindStringSubmatch(filepath.Base(path))
	if m == nil {
		return "", false
	}
	return m[1], true
}

// manifestErrors checks a batched eval's meta_env.json against the files
// it left and the concurrencies the workflow asked for (expected, nil when
// the workflow did not say), as validate_scores.py does.
func manifestErrors(metaPath string, meta *pyjson.Object, metaErr error, resultFiles []string, expected []int64) []string {
	if metaErr != nil || meta == nil {
		suffixed := false
		for _, f := range resultFiles {
			if concSuffix.MatchString(f) {
				suffixed = true
			}
		}
		if expected != nil || suffixed {
			why := "not a JSON object"
			if metaErr != nil {
				why = metaErr.Error()
			}
			return []string{fmt.Sprintf("batched eval result files exist but %s is unavailable or invalid: %s", metaPath, why)}
		}
		return nil
	}
	evalConcs, batched := meta.Get("eval_concs")
	if expected != nil && !batched {
		if len(expected) > 1 {
			return []string{"workflow requested multiple concurrencies but batched eval metadata is missing"}
		}
		var errs []string
		conc, ok := meta.Get("conc")
		if f, isNum := numeric(conc); !ok || !isNum || f != float64(expected[0]) {
			errs = append(errs, "eval metadata concurrency does not match workflow request")
		}
		if len(resultFiles) != 1 {
			errs = append(errs, "eval must produce exactly one result file")
		}
		return errs
	}
	if !batched {
		return nil
	}
	completedV, _ := meta.Get("completed_eval_concs")
	failedV, _ := meta.Get("failed_eval_concs")
	lists := make([][]any, 3)
	for i, v := range []any{evalConcs, completedV, failedV} {
		l, ok := v.([]any)
		if !ok {
			return []string{"batched eval metadata must contain list-valued concurrency fields"}
		}
		lists[i] = l
	}
	ints := make([][]int64, 3)
	for i, l := range lists {
		for _, v := range l {
			n, ok := positiveInt(v)
			if !ok {
				return []string{"batched eval metadata contains an invalid concurrency"}
			}
			ints[i] = append(ints[i], n)
		}
	}
	metaExpected, completed, failed := ints[0], ints[1], ints[2]
	var errs []string
	metaSet, completedSet, failedSet := setOf(metaExpected), setOf(completed), setOf(failed)
	want := metaSet
	if len(expected) > 0 {
		want = setOf(expected)
	}
	if len(metaSet) != len(metaExpected) {
		errs = append(errs, "batched eval metadata contains duplicate expected concurrencies")
	}
	if len(completedSet) != len(completed) {
		errs = append(errs, "batched eval metadata contains duplicate completed concurrencies")
	}
	if expected != nil && !sameSet(metaSet, want) {
		errs = append(errs, "batched eval metadata does not match workflow concurrencies")
	}
	if len(failedSet) > 0 {
		errs = append(errs, "batched eval failed for concurrency: "+joinSorted(failedSet))
	}
	if !sameSet(completedSet, want) {
		if missing := minus(want, completedSet); len(missing) > 0 {
			errs = append(errs, "batched eval is missing completed concurrency: "+joinSorted(missing))
		}
		if unexpected := minus(completedSet, want); len(unexpected) > 0 {
			errs = append(errs, "batched eval completed unexpected concurrency: "+joinSorted(unexpected))
		}
	}
	actual := map[int64]bool{}
	for _, f := range resultFiles {
		m := concSuffix.FindStringSubmatch(f)
		if m == nil {
			errs = append(errs, "batched eval result lacks a concurrency suffix: "+f)
			continue
		}
		n, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil {
			errs = append(errs, "batched eval result lacks a concurrency suffix: "+f)
			continue
		}
		actual[n] = true
	}
	if missing := minus(want, actual); len(missing) > 0 {
		errs = append(errs, "batched eval is missing result files for concurrency: "+joinSorted(missing))
	}
	if unexpected := minus(actual, want); len(unexpected) > 0 {
		errs = append(errs, "batched eval has unexpected result files for concurrency: "+joinSorted(unexpected))
	}
	return errs
}

// positiveInt accepts what Python's isinstance(v, int) and v > 0 accept:
// an integer literal (or true, which is 1) above zero.
func positiveInt(v any) (int64, bool) {
	switch x := v.(type) {
	case bool:
		if x {
			return 1, true
		}
		return 0, false
	case interface{ Int64() (int64, error) }:
		n, err := x.Int64()
		return n, err == nil && n > 0
	}
	return 0, false
}

func setOf(xs []int64) map[int64]bool {
	s := make(map[int64]bool, len(xs))
	for _, x := range xs {
		s[x] = true
	}
	return s
}

func sameSet(a, b map[int64]bool) bool {
	return len(minus(a, b)) == 0 && len(minus(b, a)) == 0
}

func minus(a, b map[int64]bool) map[int64]bool {
	out := map[int64]bool{}
	for x := range a {
		if !b[x] {
			out[x] = true
		}
	}
	return out
}

func joinSorted(s map[int64]bool) string {
	xs := make([]int64, 0, len(s))
	for x := range s {
		xs = append(xs, x)
	}
	sort.Slice(xs, func(i, j int) bool { return xs[i] < xs[j] })
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.FormatInt(x, 10)
	}
	return strings.Join(parts, ", ")
}

// ParseExpectedConcs reads the workflow's concurrencies, "16 64 256": each
// a positive integer, none twice.
func ParseExpectedConcs(s string) ([]int64, error) {
	fields := strings.Fields(s)
	bad := errors.New("expected concurrencies must be unique positive integers")
	if len(fields) == 0 {
		return nil, bad
	}
	seen := map[int64]bool{}
	out := make([]int64, 0, len(fields))
	for _, f := range fields {
		n := pyIntOr(f, 0)
		if n <= 0 || seen[n] {
			return nil, fmt.Errorf("%w, got %q", bad, s)
		}
		seen[n] = true
		out = append(out, n)
	}
	return out, nil
}

// Markdown renders the gate's table: one row per results file and task,
// then what each failing job lacks.
func (g *GateReport) Markdown(thresholdsFile string) string {
	var b strings.Builder
	b.WriteString("## Eval Gate\n\n")
	checks, failedChecks := 0, 0
	for _, j := range g.Jobs {
		for _, c := range j.Checks {
			checks++
			if !c.Passed {
				failedChecks++
			}
		}
	}
	if len(g.Jobs) == 0 {
		b.WriteString("> No eval results found to check.\n")
		return b.String()
	}
	fmt.Fprintf(&b, "Thresholds from %s (model/task, then default/task, then --min-score). %d eval job(s): **%d failed**; %d metric(s) checked, %d below the threshold.\n\n",
		thresholdsFile, len(g.Jobs), g.Failed(), checks, failedChecks)
	var rows [][]any
	for _, j := range g.Jobs {
		for _, r := range j.Rows {
			rows = append(rows, j.tableRow(r))
		}
	}
	b.WriteString(mdtable.Table{Headers: []string{"Model Prefix", "Hardware", "Framework", "Precision", "Spec Decode", "Parallelism",
		"Conc", "Task", "Scores", "Min Score", "Threshold From", "Result", "File"}, Rows: rows}.String())
	b.WriteString("\n")
	var notes []string
	for _, j := range g.Jobs {
		for _, e := range j.ManifestErrors {
			notes = append(notes, fmt.Sprintf("- `%s`: %s", j.Dir, e))
		}
		if j.BatchComplete && len(j.ManifestErrors) == 0 {
			notes = append(notes, fmt.Sprintf("- `%s`: batched eval produced every requested concurrency", j.Dir))
		}
	}
	if len(notes) > 0 {
		b.WriteString("\n" + strings.Join(notes, "\n") + "\n")
	}
	return b.String()
}

func (j *JobVerdict) tableRow(r GateRow) []any {
	meta := j.Meta
	str := func(key string) string {
		if s, ok := get(meta, key).(string); ok {
			return s
		}
		return "unknown"
	}
	prefix := j.Prefix
	if prefix == "" {
		prefix = "unknown"
	}
	par := fmt.Sprintf("tp%s/ep%s", pyStrOr(meta, "tp", "1"), pyStrOr(meta, "ep", "1"))
	if mn, ok := meta.Get("is_multinode"); ok && pyBoolOr(mn, true, false) {
		par = fmt.Sprintf("P(tp%s/ep%s) D(tp%s/ep%s)", pyStrOr(meta, "prefill_tp", "1"), pyStrOr(meta, "prefill_ep", "1"),
			pyStrOr(meta, "decode_tp", "1"), pyStrOr(meta, "decode_ep", "1"))
	}
	conc := r.Conc
	if conc == "" {
		conc = pyStrOr(meta, "conc", "")
	}
	scores, min, from, result := "", "", "", "FAIL"
	var parts []string
	passed := len(r.Checks) > 0
	for _, c := range r.Checks {
		parts = append(parts, fmt.Sprintf("%s %.4f", strings.TrimPrefix(c.Metric, "exact_match,"), c.Value))
		min, from = c.Min.Text, c.From
		passed = passed && c.Passed
	}
	scores = strings.Join(parts, ", ")
	if r.Note != "" {
		scores = r.Note
	}
	if passed && r.Note == "" {
		result = "PASS"
	}
	task := r.Task
	if task == "" {
		task = "—"
	}
	return []any{prefix, strings.ToUpper(str("hw")), strings.ToUpper(str("framework")), strings.ToUpper(str("precision")),
		pyStrOr(meta, "spec_decoding", "unknown"), par, conc, task, scores, min, from, result, filepath.Base(r.File)}
}

// pyStrOr is str() of a meta field, def when it is absent.
func pyStrOr(meta *pyjson.Object, key, def string) string {
	v, ok := meta.Get(key)
	if !ok {
		return def
	}
	return pyStr(v)
}
