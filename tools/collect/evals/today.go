package evals

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/mdtable"
	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/pkg/results"
)

// The eval artifacts of today's benchmark_lib.sh (upstream InferenceX main,
// Aug 2026) describe more than the Feb-2026 ones: meta_env.json says
// whether the job was multi-node, its model prefix, recipe fingerprint,
// prefill and decode parallelism, and for a batched eval (a list-valued
// EVAL_CONC run against one engine) which concurrencies were asked for,
// completed and failed; each concurrency's lm-eval files carry a _concN
// suffix. A sweep whose meta_env.json files say is_multinode is collected
// the way today's collect_eval_results.py collects: more row fields, one
// row per completed concurrency, and separate single-node and multi-node
// tables. Older artifacts keep giving the Feb-2026 rows.

// concSuffix finds the concurrency of a batched eval's staged file:
// results_<date>_conc16.json, or results_<date>_conc16_2.json for a second
// file of one concurrency.
var concSuffix = regexp.MustCompile(`_conc(\d+)(?:_\d+)?\.json$`)

// resultConc is the concurrency a staged file name carries, if any.
func resultConc(path string) (int64, bool) {
	m := concSuffix.FindStringSubmatch(filepath.Base(path))
	if m == nil {
		return 0, false
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	return n, err == nil
}

// isToday tells whether a job's meta_env.json was written by today's
// benchmark_lib.sh: it always records is_multinode.
func isToday(meta *pyjson.Object) bool {
	_, ok := meta.Get("is_multinode")
	return ok
}

// lmEvalFiles lists a folder's lm-eval-harness results files (JSON objects
// with lm_eval_version among its *.json but meta_env.json), sorted by name,
// with their modification times.
func lmEvalFiles(dir string) ([]lmFile, []results.Problem) {
	all, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	sort.Strings(all)
	var out []lmFile
	var problems []results.Problem
	for _, p := range all {
		if filepath.Base(p) == MetaFile {
			continue
		}
		st, err := os.Stat(p)
		if err != nil || st.IsDir() {
			continue
		}
		doc, err := readJSON(p)
		if err != nil {
			problems = append(problems, results.Problem{Path: p, Err: err})
			continue
		}
		o, ok := doc.(*pyjson.Object)
		if !ok {
			continue
		}
		if _, ok := o.Get("lm_eval_version"); !ok {
			continue
		}
		out = append(out, lmFile{path: p, doc: o, mtime: st.ModTime().UnixNano()})
	}
	return out, problems
}

type lmFile struct {
	path  string
	doc   *pyjson.Object
	mtime int64
}

// readSetToday reads one job folder the way today's collector does: the
// newest results file, or for a batched eval the newest file of every
// completed concurrency (in concurrency order), one row per task each.
func readSetToday(dir string, meta *pyjson.Object) ([]*row, []results.Problem) {
	files, problems := lmEvalFiles(dir)
	if len(files) == 0 {
		problems = append(problems, results.Problem{Path: dir, Err: errNoResults})
		return nil, problems
	}
	type pick struct {
		f    lmFile
		conc int64
	}
	var picks []pick
	concs, batched := getOK(meta, "eval_concs")
	if _, isList := concs.([]any); !batched || !isList {
		best := files[0]
		for _, f := range files[1:] {
			if f.mtime > best.mtime {
				best = f
			}
		}
		picks = append(picks, pick{f: best, conc: -1})
	} else {
		// Only the concurrencies the job completed count; a list that is
		// not a list leaves every concurrency in.
		var allowed map[int64]bool
		completed, ok := getOK(meta, "completed_eval_concs")
		if !ok {
			completed = concs
		}
		if list, ok := completed.([]any); ok {
			allowed = map[int64]bool{}
			for _, c := range list {
				allowed[pyIntOr(c, -1)] = true
			}
		}
		newest := map[int64]lmFile{}
		for _, f := range files {
			c, ok := resultConc(f.path)
			if !ok {
				continue
			}
			if cur, seen := newest[c]; !seen || f.mtime > cur.mtime {
				newest[c] = f
			}
		}
		keys := make([]int64, 0, len(newest))
		for c := range newest {
			keys = append(keys, c)
		}
		sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
		for _, c := range keys {
			if allowed != nil && !allowed[c] {
				continue
			}
			picks = append(picks, pick{f: newest[c], conc: c})
		}
	}
	var rows []*row
	for _, p := range picks {
		for _, m := range extract(p.f.path, p.f.doc) {
			r, err := buildRowToday(meta, m, p.conc)
			if err != nil {
				problems = append(problems, results.Problem{Path: filepath.Join(dir, MetaFile), Err: err})
				return nil, problems
			}
			rows = append(rows, r)
		}
	}
	return rows, problems
}

// pyIntOr is Python's int(x), or def where int(x) raises: for a string,
// surrounding blanks and single underscores between digits are allowed, a
// fraction is not; a float is truncated.
func pyIntOr(v any, def int64) int64 {
	switch x := v.(type) {
	case bool:
		if x {
			return 1
		}
		return 0
	case json.Number:
		if n, ok := results.Int(x); ok {
			return n
		}
	case float64:
		if !math.IsNaN(x) && !math.IsInf(x, 0) && math.Abs(x) < 1<<62 {
			return int64(x)
		}
	case string:
		s := strings.TrimFunc(x, func(r rune) bool { return r == ' ' || (r >= '\t' && r <= '\r') })
		body := strings.TrimLeft(s, "+-")
		if len(s)-len(body) > 1 || body == "" || body[0] == '_' || body[len(body)-1] == '_' || strings.Contains(body, "__") {
			return def
		}
		if n, err := strconv.ParseInt(s[:len(s)-len(body)]+strings.ReplaceAll(body, "_", ""), 10, 64); err == nil {
			return n
		}
	}
	return def
}

// pyBoolOr is the collector's reading of a boolean field: a JSON boolean
// as is, a missing or null one as def, anything else true when it reads
// "true" in any case.
func pyBoolOr(v any, present bool, def bool) bool {
	if !present || v == nil {
		return def
	}
	if b, ok := v.(bool); ok {
		return b
	}
	return strings.ToLower(pyStr(v)) == "true"
}

// buildRowToday joins a job's meta with one task's metrics into today's
// row; conc >= 0 is a batched eval's concurrency, which replaces the meta's.
func buildRowToday(meta *pyjson.Object, m metric, conc int64) (*row, error) {
	get := func(key string) (any, bool) { return meta.Get(key) }
	intOr := func(key string, def int64) int64 {
		v, ok := get(key)
		if !ok {
			return def
		}
		return pyIntOr(v, def)
	}
	str := func(key, def string) (string, error) {
		v, ok := get(key)
		if !ok {
			return def, nil
		}
		s, ok := v.(string)
		if !ok {
			return "", errNotString(key, v)
		}
		return s, nil
	}

	mn, present := get("is_multinode")
	multi := pyBoolOr(mn, present, false)
	tp0 := intOr("tp", 1)
	ep0 := intOr("ep", 1)
	// A missing prefill or decode field falls back to the job's tp and ep.
	prefillTP := tp0
	if v, ok := get("prefill_tp"); ok {
		prefillTP = pyIntOr(v, 1)
	}
	prefillEP := ep0
	if v, ok := get("prefill_ep"); ok {
		prefillEP = pyIntOr(v, 1)
	}
	decodeTP := tp0
	if v, ok := get("decode_tp"); ok {
		decodeTP = pyIntOr(v, 1)
	}
	decodeEP := ep0
	if v, ok := get("decode_ep"); ok {
		decodeEP = pyIntOr(v, 1)
	}
	prefillWorkers := intOr("prefill_num_workers", 1)
	decodeWorkers := intOr("decode_num_workers", 1)

	var dpa any = "none"
	if v, ok := get("dp_attention"); ok {
		dpa = v
	}
	prefillDPA, ok := get("prefill_dp_attention")
	if !ok || prefillDPA == nil {
		prefillDPA = dpa
	}
	decodeDPA, ok := get("decode_dp_attention")
	if !ok || decodeDPA == nil {
		decodeDPA = dpa
	}
	if multi {
		if pyEqual(prefillDPA, decodeDPA) {
			dpa = prefillDPA
		} else {
			dpa = "prefill=" + strings.ToLower(pyStr(prefillDPA)) + ",decode=" + strings.ToLower(pyStr(decodeDPA))
		}
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
	var prefix any = "unknown"
	if v, ok := get("infmax_model_prefix"); ok {
		prefix = v
	}
	var spec any = "unknown"
	if v, ok := get("spec_decoding"); ok {
		spec = v
	}
	model := m.model
	if !truthy(model) {
		model = "unknown"
		if v, ok := get("model"); ok {
			model = v
		}
	}
	tp := prefillTP
	if v, ok := get("tp"); ok {
		tp = pyIntOr(v, prefillTP)
	}
	ep := prefillEP
	if v, ok := get("ep"); ok {
		ep = pyIntOr(v, prefillEP)
	}
	if conc < 0 {
		conc = intOr("conc", 0)
	}

	doc := &pyjson.Object{}
	doc.Set("is_multinode", multi)
	doc.Set("model_prefix", prefix)
	doc.Set("model", model)
	doc.Set("hw", strings.ToUpper(hw))
	doc.Set("framework", strings.ToLower(fw))
	doc.Set("precision", strings.ToLower(prec))
	doc.Set("spec_decoding", spec)
	doc.Set("isl", intOr("isl", 0))
	doc.Set("osl", intOr("osl", 0))
	doc.Set("tp", tp)
	doc.Set("ep", ep)
	doc.Set("prefill_tp", prefillTP)
	doc.Set("prefill_ep", prefillEP)
	doc.Set("prefill_num_workers", prefillWorkers)
	doc.Set("decode_tp", decodeTP)
	doc.Set("decode_ep", decodeEP)
	doc.Set("decode_num_workers", decodeWorkers)
	doc.Set("conc", conc)
	doc.Set("dp_attention", strings.ToLower(pyStr(dpa)))
	doc.Set("prefill_dp_attention", strings.ToLower(pyStr(prefillDPA)))
	doc.Set("decode_dp_attention", strings.ToLower(pyStr(decodeDPA)))
	setScores(doc, m)

	r := &row{doc: doc, today: true, multi: multi, prefix: sortText(prefix), hw: strings.ToUpper(hw),
		framework: strings.ToLower(fw), precision: strings.ToLower(prec), spec: sortText(spec),
		isl: intOr("isl", 0), osl: intOr("osl", 0), tp: tp, ep: ep, conc: conc,
		prefillTP: prefillTP, prefillEP: prefillEP, prefillWorkers: prefillWorkers,
		decodeTP: decodeTP, decodeEP: decodeEP, decodeWorkers: decodeWorkers}
	return r, nil
}

// pyEqual is Python's == for the JSON values a dp-attention field takes.
func pyEqual(a, b any) bool {
	fa, okA := numeric(a)
	fb, okB := numeric(b)
	if okA && okB {
		return fa == fb
	}
	if okA != okB {
		return false
	}
	ba, _ := pyjson.Marshal(a)
	bb, _ := pyjson.Marshal(b)
	return string(ba) == string(bb)
}

// numeric reads bools and numbers as Python compares them (True == 1).
func numeric(v any) (float64, bool) {
	if b, ok := v.(bool); ok {
		if b {
			return 1, true
		}
		return 0, true
	}
	return results.Float(v)
}

// sortText orders a field of any JSON type as text.
func sortText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := pyjson.Marshal(v)
	return string(b)
}

// setScores writes the metric fields every row has, in the collector's
// order: the two exact-match scores, the sample count, the file, and the
// primary score.
func setScores(doc *pyjson.Object, m metric) {
	doc.Set("task", m.task)
	doc.Set("em_strict", m.strict)
	doc.Set("em_strict_se", m.strictSE)
	doc.Set("em_flexible", m.flex)
	doc.Set("em_flexible_se", m.flexSE)
	doc.Set("n_eff", m.nEff)
	doc.Set("source", m.source)
	switch {
	case m.strict != nil:
		doc.Set("score", m.strict)
		doc.Set("score_name", "em_strict")
		doc.Set("score_se", m.strictSE)
	case m.accuracy != nil:
		doc.Set("score", m.accuracy)
		doc.Set("score_name", "accuracy")
		doc.Set("score_se", m.accuracySE)
	default:
		doc.Set("score", nil)
		doc.Set("score_name", nil)
		doc.Set("score_se", nil)
	}
}

// SortBy orders today's tables: by model prefix first (the default) or by
// hardware first, as the collector's third argument says.
type SortBy string

// The orders today's collector offers.
const (
	SortByModelPrefix SortBy = "model_prefix"
	SortByHardware    SortBy = "hw"
)

func (a *row) lessToday(b *row, by SortBy) bool {
	type key struct {
		s []string
		n []int64
	}
	k := func(r *row) key {
		s := []string{r.prefix, r.hw, r.framework, r.precision, r.spec}
		if by == SortByHardware {
			s = s[1:]
		}
		n := []int64{r.isl, r.osl, r.tp, r.ep, r.conc}
		if r.multi {
			n = []int64{r.isl, r.osl, r.prefillTP, r.prefillEP, r.prefillWorkers, r.decodeTP, r.decodeEP, r.decodeWorkers, r.conc}
		}
		return key{s, n}
	}
	ka, kb := k(a), k(b)
	for i := range ka.s {
		if ka.s[i] != kb.s[i] {
			return ka.s[i] < kb.s[i]
		}
	}
	for i := range ka.n {
		if ka.n[i] != kb.n[i] {
			return ka.n[i] < kb.n[i]
		}
	}
	return false
}

// Today's table headers.
var (
	HeadersSingleNode = []string{"Model Prefix", "Hardware", "Framework", "Precision", "Spec Decode", "ISL", "OSL", "TP", "EP",
		"Conc", "DP Attention", "Task", "Score", "EM Strict", "EM Flexible", "N (eff)", "Model"}
	HeadersMultiNode = []string{"Model Prefix", "Hardware", "Framework", "Precision", "Spec Decode", "ISL", "OSL",
		"Prefill TP", "Prefill EP", "Prefill DP Attn", "Prefill Workers", "Decode TP", "Decode EP", "Decode DP Attn", "Decode Workers",
		"Conc", "Task", "Score", "EM Strict", "EM Flexible", "N (eff)", "Model"}
)

// tablesToday renders today's single-node and multi-node sections.
func tablesToday(rows []*row, by SortBy) string {
	if len(rows) == 0 {
		return NoResults
	}
	var single, multi []*row
	for _, r := range rows {
		if r.multi {
			multi = append(multi, r)
		} else {
			single = append(single, r)
		}
	}
	for _, part := range [][]*row{single, multi} {
		sort.SliceStable(part, func(i, j int) bool { return part[i].lessToday(part[j], by) })
	}
	scores := func(d *pyjson.Object) []any {
		n := get(d, "n_eff")
		if !truthy(n) {
			n = ""
		}
		return []any{
			pct(get(d, "score")) + se(get(d, "score_se")),
			pct(get(d, "em_strict")) + se(get(d, "em_strict_se")),
			pct(get(d, "em_flexible")) + se(get(d, "em_flexible_se")),
			cellValue(n), cellValue(get(d, "model")),
		}
	}
	var b strings.Builder
	if len(single) > 0 {
		cells := make([][]any, len(single))
		for i, r := range single {
			d := r.doc
			cells[i] = append([]any{cellValue(get(d, "model_prefix")), r.hw, strings.ToUpper(r.framework), strings.ToUpper(r.precision),
				cellValue(get(d, "spec_decoding")), r.isl, r.osl, r.tp, r.ep, r.conc, get(d, "dp_attention"), get(d, "task")},
				scores(d)...)
		}
		b.WriteString("### Single-Node Eval Results\n\n")
		b.WriteString(mdtable.Table{Headers: HeadersSingleNode, Rows: cells}.String())
	}
	if len(multi) > 0 {
		cells := make([][]any, len(multi))
		for i, r := range multi {
			d := r.doc
			cells[i] = append([]any{cellValue(get(d, "model_prefix")), r.hw, strings.ToUpper(r.framework), strings.ToUpper(r.precision),
				cellValue(get(d, "spec_decoding")), r.isl, r.osl,
				r.prefillTP, r.prefillEP, get(d, "prefill_dp_attention"), r.prefillWorkers,
				r.decodeTP, r.decodeEP, get(d, "decode_dp_attention"), r.decodeWorkers,
				r.conc, get(d, "task")}, scores(d)...)
		}
		if len(single) > 0 {
			b.WriteString("\n\n\n")
		}
		b.WriteString("### Multi-Node Eval Results\n\n")
		b.WriteString(mdtable.Table{Headers: HeadersMultiNode, Rows: cells}.String())
	}
	return b.String()
}
