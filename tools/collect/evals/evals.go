// Package evals gathers the lm-eval-harness outputs of a sweep's eval jobs
// into agg_eval_<prefix>.json and a Markdown table, with the metric
// extraction of the original utils/collect_eval_results.py: per task the
// exact-match score under the strict and the flexible filter, their
// standard errors, accuracy for tasks without filters, and the effective
// number of samples.
package evals

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/mdtable"
	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/pkg/results"
	"github.com/inferencex/inferencex-go/schemas"
)

// MetaFile names the file that marks a job's eval folder.
const MetaFile = "meta_env.json"

// Options says what to collect and where to write it.
type Options struct {
	Dir    string // eval_results/: one folder per job artifact, or one artifact's files
	Prefix string // the output is agg_eval_<Prefix>.json
	OutDir string
	Strict bool // a file that cannot be read stops the run
	// SortBy orders today's tables (model_prefix, the default, or hw);
	// Feb-2026 artifacts keep their one order.
	SortBy SortBy
}

// OutPath is the aggregate's path.
func (o Options) OutPath() string { return filepath.Join(o.OutDir, "agg_eval_"+o.Prefix+".json") }

// Report is what Collect found and did.
type Report struct {
	Rows     []*pyjson.Object
	Problems []results.Problem
	Sets     int    // job folders seen
	Today    bool   // the artifacts are today's (meta_env.json has is_multinode)
	Markdown string // the table, or the no-results line
	OutPath  string
	Data     []byte
}

// StrictError stops a strict run.
type StrictError struct{ Report *Report }

func (e *StrictError) Error() string {
	return fmt.Sprintf("--strict: %d eval file(s) could not be used; nothing written", len(e.Report.Problems))
}

// FindSets returns the job folders under root: every direct subfolder that
// holds a meta_env.json, sorted by name, and root itself when it holds one
// (download-artifact puts a lone artifact's files straight into the
// download folder; the original missed that case). A missing root is no
// eval job at all, as in the original.
func FindSets(root string) ([]string, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var sets []string
	if isFile(filepath.Join(root, MetaFile)) {
		sets = append(sets, root)
	}
	for _, e := range entries {
		d := filepath.Join(root, e.Name())
		st, err := os.Stat(d)
		if err != nil || !st.IsDir() {
			continue
		}
		if isFile(filepath.Join(d, MetaFile)) {
			sets = append(sets, d)
		}
	}
	return sets, nil
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// Collect reads every job folder and writes the aggregate through write.
func Collect(v *schemas.Validator, opts Options, write func(path string, data []byte) error) (*Report, error) {
	sets, err := FindSets(opts.Dir)
	if err != nil {
		return nil, err
	}
	rep := &Report{Sets: len(sets)}
	metas := make([]*pyjson.Object, len(sets))
	metaProblems := make([]*results.Problem, len(sets))
	for i, d := range sets {
		metas[i], metaProblems[i] = readMeta(d)
		rep.Today = rep.Today || isToday(metas[i])
	}
	var rows []*row
	for i, d := range sets {
		if p := metaProblems[i]; p != nil {
			rep.Problems = append(rep.Problems, *p)
		}
		var rs []*row
		var problems []results.Problem
		if rep.Today {
			rs, problems = readSetToday(d, metas[i])
		} else {
			rs, problems = readSet(d, metas[i])
		}
		rep.Problems = append(rep.Problems, problems...)
		rows = append(rows, rs...)
	}
	if opts.Strict && len(rep.Problems) > 0 {
		return rep, &StrictError{rep}
	}
	list := make([]any, len(rows))
	if rep.Today {
		// Today's collector writes the rows as it found them and sorts
		// only its tables.
		for i, r := range rows {
			list[i] = r.doc
		}
		by := opts.SortBy
		if by == "" {
			by = SortByModelPrefix
		}
		rep.Markdown = tablesToday(slices.Clone(rows), by)
	} else {
		// Stable, as the original's list.sort: rows of one job keep the
		// order of the tasks in its results file.
		sort.SliceStable(rows, func(i, j int) bool { return rows[i].less(rows[j]) })
		for i, r := range rows {
			list[i] = r.doc
		}
		rep.Markdown = table(rows)
	}
	for _, r := range rows {
		rep.Rows = append(rep.Rows, r.doc)
	}
	data, err := results.MarshalIndent(list)
	if err != nil {
		return rep, fmt.Errorf("encoding the eval aggregate: %w", err)
	}
	if err := v.ValidateJSON(schemas.EvalResults, data); err != nil {
		return rep, fmt.Errorf("the eval aggregate does not match its schema: %w", err)
	}
	out := opts.OutPath()
	if err := write(out, data); err != nil {
		return rep, fmt.Errorf("writing %s: %w", out, err)
	}
	rep.OutPath, rep.Data = out, data
	return rep, nil
}

// readMeta reads a job folder's meta_env.json. One that cannot be read
// leaves an empty meta (every field its default, as the originals did)
// and a problem that says why.
func readMeta(dir string) (*pyjson.Object, *results.Problem) {
	metaPath := filepath.Join(dir, MetaFile)
	doc, err := readJSON(metaPath)
	if err != nil {
		return &pyjson.Object{}, &results.Problem{Path: metaPath, Err: err}
	}
	obj, ok := doc.(*pyjson.Object)
	if !ok {
		return &pyjson.Object{}, &results.Problem{Path: metaPath, Err: errors.New("expected a JSON object")}
	}
	return obj, nil
}

var errNoResults = errors.New("no lm-eval-harness results file (a results*.json with lm_eval_version) in this eval job folder")

func errNotString(key string, v any) error {
	return fmt.Errorf("%s: expected a string, got %s", key, results.Describe(results.Generic(v)))
}

// row is one aggregate row and its sort key.
type row struct {
	doc                      *pyjson.Object
	today, multi             bool
	prefix                   string
	hw, framework, precision string
	spec                     string
	isl, osl                 int64
	tp, ep, conc             int64

	prefillTP, prefillEP, prefillWorkers int64
	decodeTP, decodeEP, decodeWorkers    int64
}

func (a *row) less(b *row) bool {
	if a.hw != b.hw {
		return a.hw < b.hw
	}
	if a.framework != b.framework {
		return a.framework < b.framework
	}
	if a.precision != b.precision {
		return a.precision < b.precision
	}
	if a.spec != b.spec {
		return a.spec < b.spec
	}
	if a.tp != b.tp {
		return a.tp < b.tp
	}
	if a.ep != b.ep {
		return a.ep < b.ep
	}
	return a.conc < b.conc
}

// readSet reads one job folder as the Feb-2026 collector did: the newest
// lm-eval-harness results file, one row per task.
func readSet(dir string, meta *pyjson.Object) ([]*row, []results.Problem) {
	lmPath, doc, problems := newestLMEval(dir)
	if lmPath == "" {
		problems = append(problems, results.Problem{Path: dir, Err: errNoResults})
		return nil, problems
	}
	var rows []*row
	for _, m := range extract(lmPath, doc) {
		r, err := buildRow(meta, m)
		if err != nil {
			problems = append(problems, results.Problem{Path: filepath.Join(dir, MetaFile), Err: err})
			return nil, problems
		}
		rows = append(rows, r)
	}
	return rows, problems
}

func readJSON(path string) (any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return nil, pe.Err
		}
		return nil, err
	}
	return results.DecodeOrdered(data)
}

// newestLMEval finds the lm-eval-harness results among a folder's JSON
// files (results*.json first, then the others, each sorted; meta_env.json
// aside): a JSON object with lm_eval_version; the newest by modification
// time when there are several, the first of equals.
func newestLMEval(dir string) (string, *pyjson.Object, []results.Problem) {
	first, _ := filepath.Glob(filepath.Join(dir, "results*.json"))
	all, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	sort.Strings(first)
	sort.Strings(all)
	var candidates []string
	seen := map[string]bool{}
	for _, p := range append(first, all...) {
		if filepath.Base(p) == MetaFile || seen[p] {
			continue
		}
		seen[p] = true
		candidates = append(candidates, p)
	}
	var problems []results.Problem
	var best string
	var bestDoc *pyjson.Object
	var bestTime int64
	for _, p := range candidates {
		st, err := os.Stat(p)
		if err != nil || st.IsDir() {
			continue
		}
		doc, err := readJSON(p)
		if err != nil {
			problems = append(problems, results.Problem{Path: p, Err: err})
			continue
		}
		obj, ok := doc.(*pyjson.Object)
		if !ok {
			continue
		}
		if _, ok := obj.Get("lm_eval_version"); !ok {
			continue
		}
		if t := st.ModTime().UnixNano(); best == "" || t > bestTime {
			best, bestDoc, bestTime = p, obj, t
		}
	}
	return best, bestDoc, problems
}

// metric is what one task of a results file says.
type metric struct {
	task                 string
	strict, strictSE     any
	flex, flexSE         any
	accuracy, accuracySE any
	nEff                 any
	model                any
	source               string
}

func get(o *pyjson.Object, key string) any {
	if o == nil {
		return nil
	}
	v, _ := o.Get(key)
	return v
}

func obj(v any) *pyjson.Object {
	o, _ := v.(*pyjson.Object)
	return o
}

// truthy is Python's truth value of a JSON value.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case json.Number:
		f, _ := strconv.ParseFloat(x.String(), 64)
		return f != 0
	case float64:
		return x != 0
	case []any:
		return len(x) > 0
	case *pyjson.Object:
		return len(x.Keys()) > 0
	}
	return true
}

// extract reads the per-task metrics of one results file. The metric name
// comes from the task's metric_list (exact_match without one), the filters
// from its filter_list: a filter named *strict* gives the strict score, one
// named *flex* or *extract* the flexible one.
func extract(path string, data *pyjson.Object) []metric {
	res := obj(get(data, "results"))
	configs := obj(get(data, "configs"))
	if res == nil || len(res.Keys()) == 0 {
		return nil
	}
	var out []metric
	for _, task := range res.Keys() {
		tr := obj(get(res, task))
		tc := obj(get(configs, task))
		base := "exact_match"
		if ml, ok := get(tc, "metric_list").([]any); ok && len(ml) > 0 {
			if name, ok := get(obj(ml[0]), "metric").(string); ok {
				base = name
			}
		}
		m := metric{task: task, source: path}
		filters, _ := get(tc, "filter_list").([]any)
		if len(filters) == 0 {
			if _, ok := getOK(tr, "acc"); ok {
				m.accuracy, m.accuracySE = get(tr, "acc"), get(tr, "acc_stderr")
			} else {
				m.strict, m.strictSE = get(tr, base), get(tr, base+"_stderr")
			}
		} else {
			for _, f := range filters {
				name, _ := get(obj(f), "name").(string)
				switch {
				case strings.Contains(name, "strict"):
					m.strict, m.strictSE = get(tr, base+","+name), get(tr, base+"_stderr,"+name)
				case strings.Contains(name, "flex") || strings.Contains(name, "extract"):
					m.flex, m.flexSE = get(tr, base+","+name), get(tr, base+"_stderr,"+name)
				}
			}
		}
		m.nEff = get(obj(get(obj(get(data, "n-samples")), task)), "effective")
		m.model = get(data, "model_name")
		if !truthy(m.model) {
			m.model = get(obj(get(tc, "metadata")), "model")
		}
		out = append(out, m)
	}
	return out
}

func getOK(o *pyjson.Object, key string) (any, bool) {
	if o == nil {
		return nil, false
	}
	return o.Get(key)
}

// buildRow joins a job's meta with one task's metrics.
func buildRow(meta *pyjson.Object, m metric) (*row, error) {
	str := func(key, def string) (string, error) {
		v, ok := meta.Get(key)
		if !ok {
			return def, nil
		}
		s, ok := v.(string)
		if !ok {
			return "", errNotString(key, v)
		}
		return s, nil
	}
	integer := func(key string, def int64) (int64, error) {
		v, ok := meta.Get(key)
		if !ok {
			return def, nil
		}
		switch x := v.(type) {
		case string:
			if n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil {
				return n, nil
			}
		case bool:
			if x {
				return 1, nil
			}
			return 0, nil
		case float64:
			return int64(x), nil // Python's int() truncates
		default:
			if n, ok := results.Int(x); ok {
				return n, nil
			}
		}
		return 0, fmt.Errorf("%s: expected an integer, got %s", key, results.Describe(results.Generic(v)))
	}

	hw, err := str("hw", "unknown")
	if err != nil {
		return nil, err
	}
	fw, err := str("framework", "unknown")
	if err != nil {
		return nil, err
	}
	prec, err := str("precision", "unknown")
	if err != nil {
		return nil, err
	}
	tp, err := integer("tp", 1)
	if err != nil {
		return nil, err
	}
	ep, err := integer("ep", 1)
	if err != nil {
		return nil, err
	}
	conc, err := integer("conc", 0)
	if err != nil {
		return nil, err
	}
	spec, ok := meta.Get("spec_decoding")
	if !ok {
		spec = "unknown"
	}
	dpa := "none"
	if v, ok := meta.Get("dp_attention"); ok {
		dpa = pyStr(v)
	}
	model := m.model
	if !truthy(model) {
		if v, ok := meta.Get("model"); ok {
			model = v
		} else {
			model = "unknown"
		}
	}

	doc := &pyjson.Object{}
	doc.Set("model", model)
	doc.Set("hw", strings.ToUpper(hw))
	doc.Set("framework", strings.ToLower(fw))
	doc.Set("precision", strings.ToLower(prec))
	doc.Set("spec_decoding", spec)
	doc.Set("tp", tp)
	doc.Set("ep", ep)
	doc.Set("conc", conc)
	doc.Set("dp_attention", strings.ToLower(dpa))
	setScores(doc, m)
	specKey, ok := spec.(string)
	if !ok {
		b, _ := pyjson.Marshal(spec)
		specKey = string(b)
	}
	return &row{doc: doc, hw: strings.ToUpper(hw), framework: strings.ToLower(fw), precision: strings.ToLower(prec),
		spec: specKey, tp: tp, ep: ep, conc: conc}, nil
}

// pyStr is Python's str() of a JSON value.
func pyStr(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case string:
		return x
	case json.Number:
		return x.String()
	case float64:
		s, err := pyjson.FormatFloat(x, 64)
		if err != nil {
			return fmt.Sprint(x)
		}
		return s
	}
	b, _ := pyjson.Marshal(v)
	return string(b)
}

// pct renders a fraction as a percentage, "N/A" when it is not a number.
func pct(v any) string {
	f, ok := pyFloat(v)
	if !ok {
		return "N/A"
	}
	return fmtPct(f * 100)
}

// se renders a standard error as " ±x.xx%", or nothing.
func se(v any) string {
	f, ok := pyFloat(v)
	if !ok {
		return ""
	}
	return " ±" + fmtPct(f*100)
}

func fmtPct(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan%"
	case math.IsInf(f, 1):
		return "inf%"
	case math.IsInf(f, -1):
		return "-inf%"
	}
	return strconv.FormatFloat(f, 'f', 2, 64) + "%"
}

// pyFloat is Python's float() of a JSON value, for the values metrics take.
func pyFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case string:
		s := strings.TrimSpace(x)
		switch strings.ToLower(strings.TrimLeft(s, "+-")) {
		case "inf", "infinity", "nan":
			f, err := strconv.ParseFloat(s, 64)
			return f, err == nil
		}
		f, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
		if err != nil || strings.ContainsAny(s, "xXpP") {
			return 0, false
		}
		return f, true
	}
	return results.Float(v)
}

// Headers are the table's columns, the original's.
var Headers = []string{"Model", "Hardware", "Framework", "Precision", "Spec Decode", "TP", "EP", "Conc", "DP Attention",
	"Task", "Score", "EM Strict", "EM Flexible", "N (eff)"}

// NoResults is printed instead of a table when there is nothing to show.
const NoResults = "> No eval results found to summarize."

func table(rows []*row) string {
	if len(rows) == 0 {
		return NoResults
	}
	cells := make([][]any, len(rows))
	for i, r := range rows {
		d := r.doc
		n := get(d, "n_eff")
		if !truthy(n) {
			n = ""
		}
		cells[i] = []any{
			cellValue(get(d, "model")), r.hw, strings.ToUpper(r.framework), strings.ToUpper(r.precision),
			cellValue(get(d, "spec_decoding")), r.tp, r.ep, r.conc, get(d, "dp_attention"), get(d, "task"),
			pct(get(d, "score")) + se(get(d, "score_se")),
			pct(get(d, "em_strict")) + se(get(d, "em_strict_se")),
			pct(get(d, "em_flexible")) + se(get(d, "em_flexible_se")),
			cellValue(n),
		}
	}
	return mdtable.Table{Headers: Headers, Rows: cells}.String()
}

// cellValue gives a JSON value the Go type mdtable expects.
func cellValue(v any) any {
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		f, _ := x.Float64()
		return f
	case nil, bool, string, float64, int64:
		return x
	}
	return pyStr(v)
}
