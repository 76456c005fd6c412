// Package agentic is `resultproc agentic`, the drop-in for upstream's
// utils/agentic/aggregation/process_agentic_result.py: it aggregates the
// AIPerf-format artifacts of one agentic-coding replay (the per-request
// profile_export.jsonl, the profile_export_aiperf.json summary and the
// server_metrics_export.json scrape) with the job's environment into the
// job's result, <AGENTIC_OUTPUT_DIR>/<RESULT_FILENAME>.json.
//
// The result is byte for byte what upstream writes for the same
// artifacts and environment: the same keys in the same order, Python's
// number formatting, its exact statistics and its rounding. The server
// metrics block comes from package servermetrics.
package agentic

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/atomicfile"
	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/pkg/results"
	"github.com/inferencex/inferencex-go/tools/resultproc/pyout"
	"github.com/inferencex/inferencex-go/tools/resultproc/pyvalue"
	"github.com/inferencex/inferencex-go/tools/resultproc/servermetrics"
)

// Options are one run's inputs and outputs.
type Options struct {
	Lookup Lookup
	// Dir is where relative paths start ("" for the working directory);
	// messages show the paths as the environment gives them.
	Dir            string
	Stdout, Stderr io.Writer
	// Validate, when set, checks the encoded result before it is written:
	// a result its consumers would refuse is not written at all.
	Validate func(data []byte) error
}

// paths holds a run's paths as upstream's pathlib writes them.
type paths struct {
	dir string
}

// fs is where the file system finds a path.
func (p paths) fs(path string) string {
	if p.dir == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(p.dir, path)
}

// pyPath is str(pathlib.PurePosixPath(s)): empty and "." parts dropped,
// "." for nothing.
func pyPath(s string) string {
	var keep []string
	for _, part := range strings.Split(s, "/") {
		if part != "" && part != "." {
			keep = append(keep, part)
		}
	}
	j := strings.Join(keep, "/")
	if strings.HasPrefix(s, "/") {
		if strings.HasPrefix(s, "//") && !strings.HasPrefix(s, "///") {
			return "//" + j
		}
		return "/" + j
	}
	if j == "" {
		return "."
	}
	return j
}

// pyJoin is a / b of pathlib.
func pyJoin(a, b string) string {
	if strings.HasPrefix(b, "/") {
		return pyPath(b)
	}
	return pyPath(a + "/" + b)
}

func (p paths) isFile(path string) bool {
	st, err := os.Stat(p.fs(path))
	return err == nil && st.Mode().IsRegular()
}

// artifactDir is upstream's _resolve_artifact_dir: aiperf_artifacts/ when
// profile_export.jsonl is there, else its first subdirectory (by name)
// that has one (one run per directory), else aiperf_artifacts/.
func (p paths) artifactDir(resultDir string) string {
	base := pyJoin(resultDir, "aiperf_artifacts")
	if p.isFile(pyJoin(base, "profile_export.jsonl")) {
		return base
	}
	entries, err := os.ReadDir(p.fs(base))
	if err != nil {
		return base
	}
	for _, en := range entries {
		child := pyJoin(base, en.Name())
		if isDir(p.fs(child)) && p.isFile(pyJoin(child, "profile_export.jsonl")) {
			return child
		}
	}
	return base
}

// Run aggregates one job and returns the exit status: 0 when the result
// is written, 1 when anything stops it (nothing is written then).
func Run(o Options) int {
	if err := run(o); err != nil {
		var ee *ExitError
		if errors.As(err, &ee) {
			fmt.Fprintln(o.Stderr, ee.Msg)
		} else {
			fmt.Fprintf(o.Stderr, "resultproc agentic: %v\n", err)
		}
		return 1
	}
	return 0
}

func run(o Options) error {
	e := env{o.Lookup}
	p := paths{dir: o.Dir}
	name := e.get("RESULT_FILENAME", "")
	if name == "" {
		return exitf("ERROR: RESULT_FILENAME env var not set")
	}
	resultDir := pyPath(e.get("RESULT_DIR", "results"))
	outputDir := pyPath(e.get("AGENTIC_OUTPUT_DIR", "."))
	art := p.artifactDir(resultDir)
	jsonlPath := pyJoin(art, "profile_export.jsonl")
	aggregatePath := pyJoin(art, "profile_export_aiperf.json")
	if _, err := os.Stat(p.fs(jsonlPath)); err != nil {
		return exitf("ERROR: %s not found", jsonlPath)
	}
	f, err := os.Open(p.fs(jsonlPath))
	if err != nil {
		return err
	}
	records, acc, err := DecodeRecords(jsonlPath, f)
	f.Close()
	if err != nil {
		return err
	}
	var aggregate any = &pyjson.Object{}
	if _, err := os.Stat(p.fs(aggregatePath)); err == nil {
		data, err := os.ReadFile(p.fs(aggregatePath))
		if err != nil {
			return fmt.Errorf("reading %s: %w", aggregatePath, err)
		}
		if aggregate, err = decodeOrdered(data); err != nil {
			// results.DecodeOrdered says where in the file the fault is.
			if _, perr := results.DecodeOrdered(data); perr != nil {
				err = perr
			}
			return fmt.Errorf("%s: %w", aggregatePath, err)
		}
	}
	export, err := servermetrics.Load(p.fs(pyJoin(art, "server_metrics_export.json")))
	if err != nil {
		return err
	}
	logs, err := servermetrics.FindServerLogPaths(p.fs(resultDir))
	if err != nil {
		return err
	}
	trace := func() (*TraceLengths, error) { return loadTraceLengths(o.Lookup, p) }
	doc, err := build(e, records, acc, aggregate, aggregatePath, export, logs, trace)
	if err != nil {
		var re *RecordError
		if errors.As(err, &re) {
			return &LineError{Path: jsonlPath, Line: re.Line, Err: re.Err}
		}
		return err
	}
	rounded := pyout.RoundFloats(doc).(*pyjson.Object)
	data, err := pyout.MarshalIndent(rounded)
	if err != nil {
		return fmt.Errorf("encoding the result: %w", err)
	}
	if o.Validate != nil {
		// Python would write NaN or Infinity, which no JSON reader
		// downstream takes: name the field rather than the byte offset.
		if where := nonFinite(rounded, ""); where != "" {
			return fmt.Errorf("the result does not match the agentic-result schema: %s is not a finite number "+
				"(NaN or an infinity in the inputs, which upstream writes as is and JSON cannot hold)", where)
		}
		if err := o.Validate(data); err != nil {
			return fmt.Errorf("the result does not match the agentic-result schema: %w", err)
		}
	}
	outPath := pyJoin(outputDir, name+".json")
	if err := os.MkdirAll(p.fs(outputDir), 0o755); err != nil {
		return err
	}
	if err := atomicfile.Write(p.fs(outPath), data, 0o644); err != nil {
		return err
	}
	printSummary(o.Stdout, outPath, rounded, acc, int64(len(records)))
	return nil
}

// build composes the result document (upstream's build_agg) from the
// records, the aggregate (any decoded JSON value: upstream needs an
// object) and the server export, in upstream's order of checks.
func build(e env, records []Record, acc *Accounting, aggregate any, aggregatePath string, export map[string]any,
	logs []string, trace func() (*TraceLengths, error)) (*pyjson.Object, error) {
	mode, backend, err := e.kvOffload()
	if err != nil {
		return nil, err
	}
	sh, err := e.gpuShape()
	if err != nil {
		return nil, err
	}
	framework := e.get("FRAMEWORK", "")
	agg := &pyjson.Object{}
	agg.Set("hw", e.get("RUNNER_TYPE", ""))
	conc, err := intValue("CONC", e.get("CONC", "0"))
	if err != nil {
		return nil, err
	}
	agg.Set("conc", conc)
	agg.Set("image", e.get("IMAGE", ""))
	agg.Set("recipe_fingerprint", e.get("RECIPE_FINGERPRINT", ""))
	agg.Set("model", e.get("MODEL", ""))
	agg.Set("infmax_model_prefix", e.get("MODEL_PREFIX", ""))
	agg.Set("framework", framework)
	agg.Set("precision", e.get("PRECISION", ""))
	agg.Set("spec_decoding", e.get("SPEC_DECODING", "none"))
	agg.Set("disagg", e.bool("DISAGG"))
	agg.Set("scenario_type", "agentic-coding")
	agg.Set("is_multinode", e.bool("IS_MULTINODE"))
	agg.Set("tp", sh.tp)
	agg.Set("ep", sh.ep)
	agg.Set("dp_attention", sh.dpAttention)
	agg.Set("kv_offloading", mode)
	if backend != nil {
		agg.Set("kv_offload_backend", backend)
	} else {
		agg.Set("kv_offload_backend", nil)
	}
	dram, err := e.int("TOTAL_CPU_DRAM_GB", 0)
	if err != nil {
		return nil, err
	}
	agg.Set("allocated_cpu_dram_gb", dram)
	agg.Set("num_requests_total", acc.Total)
	agg.Set("num_requests_successful", int64(len(records)))
	agg.Set("request_accounting", acc.Object())
	for _, k := range sh.fields.Keys() {
		v, _ := sh.fields.Get(k)
		agg.Set(k, v)
	}
	router, err := e.componentMetadata("ROUTER_METADATA")
	if err != nil {
		return nil, err
	}
	if router != nil {
		agg.Set("router", router)
	}
	if v := e.get("KV_P2P_TRANSFER", ""); v != "" {
		agg.Set("kv_p2p_transfer", v)
	}
	aggObj, ok := aggregate.(*pyjson.Object)
	if !ok {
		return nil, fmt.Errorf("%s: the aggregate must be a JSON object, not %s", aggregatePath, pyvalue.TypeName(aggregate))
	}
	if md, _ := aggObj.Get("metadata"); md != nil {
		if mdo, ok := md.(*pyjson.Object); ok {
			if ds, _ := mdo.Get("dataset"); ds != nil {
				if dso, ok := ds.(*pyjson.Object); ok {
					agg.Set("dataset", dso)
				}
			}
		}
	}

	reqNested, rates, err := requestMetrics(records, aggObj, trace)
	if err != nil {
		return nil, err
	}
	totals, err := profileTotals(records)
	if err != nil {
		return nil, err
	}
	sm, err := servermetrics.Compute(export, framework, totals, logs)
	if err != nil {
		return nil, err
	}
	serverNested, warnings := sm.Nested, sm.Warnings
	if rates.ok && sh.gpus > 0 {
		tv, _ := reqNested.Get("throughput")
		t := tv.(*pyjson.Object)
		g := float64(sh.gpus)
		pg := &pyjson.Object{}
		pg.Set("total_tput_tps", rates.total/g)
		pg.Set("output_tput_tps", rates.output/g)
		pg.Set("input_tput_tps", rates.input/g)
		t.Set("per_gpu", pg)
	}
	agg.Set("request_metrics", reqNested)
	agg.Set("server_metrics", serverNested)
	kv, _ := serverNested.Get("kv_cache")
	kvo, ok := kv.(*pyjson.Object)
	if !ok {
		return nil, errors.New("server metrics: the block has no kv_cache object")
	}
	pool, _ := kvo.Get("gpu_total_tokens")
	agg.Set("kv_cache_pool_tokens", pool)
	if len(warnings) > 0 {
		w := make([]any, len(warnings))
		for i, s := range warnings {
			w[i] = s
		}
		agg.Set("warnings", w)
	}
	return agg, nil
}

// requestMetrics is upstream's compute_request_metrics.
func requestMetrics(records []Record, aggregate *pyjson.Object, trace func() (*TraceLengths, error)) (*pyjson.Object, throughputRates, error) {
	var rates throughputRates
	q, err := qps(records)
	if err != nil {
		return nil, rates, err
	}
	lat, err := latency(records)
	if err != nil {
		return nil, rates, err
	}
	tl, err := trace()
	if err != nil {
		return nil, rates, err
	}
	tok, err := tokens(records, tl)
	if err != nil {
		return nil, rates, err
	}
	hit, err := theoreticalHitRate(aggregate)
	if err != nil {
		return nil, rates, err
	}
	cache := &pyjson.Object{}
	cache.Set("theoretical_cache_hit_rate", hit)
	tp, rates, err := throughput(records)
	if err != nil {
		return nil, rates, err
	}
	o := &pyjson.Object{}
	o.Set("qps", q)
	o.Set("latency", lat)
	o.Set("tokens", tok)
	o.Set("throughput", tp)
	o.Set("cache", cache)
	return o, rates, nil
}

// profileTotals is upstream's _record_token_sum for the two token counts:
// int() of each record's value, the values int() rejects skipped (an
// infinite one stops upstream with an OverflowError).
func profileTotals(records []Record) (servermetrics.Totals, error) {
	t := servermetrics.Totals{Requests: len(records)}
	for _, key := range [...]string{"input_sequence_length", "output_sequence_length"} {
		var total int64
		found := false
		for i := range records {
			v, err := records[i].metric(key)
			if err != nil {
				return t, err
			}
			if v == nil {
				continue
			}
			n, ok, err := pyInt(v)
			if err != nil {
				return t, &RecordError{Line: records[i].Line, Err: fmt.Errorf("metrics.%s: %w", key, err)}
			}
			if !ok {
				continue
			}
			s, err := sumInts([]int64{total, n}, key)
			if err != nil {
				return t, err
			}
			total, found = s, true
		}
		if found {
			v := total
			if key == "input_sequence_length" {
				t.Prompt = &v
			} else {
				t.Generation = &v
			}
		}
	}
	return t, nil
}

// printSummary writes upstream's lines on stdout.
func printSummary(w io.Writer, outPath string, agg *pyjson.Object, acc *Accounting, ok int64) {
	fmt.Fprintf(w, "Saved aggregated agentic result to %s\n", outPath)
	fmt.Fprintf(w, "  Requests: %d successful / %d total (%d warmup, %d error dropped)\n",
		ok, acc.Total, acc.WarmupDropped, acc.ErrorDropped)
	req := child(agg, "request_metrics")
	q := child(req, "qps")
	if mean, has := q.Get("mean"); has {
		p75, has := q.Get("p75")
		if !has {
			p75 = int64(0)
		}
		p95, has := q.Get("p95")
		if !has {
			p95 = int64(0)
		}
		fmt.Fprintf(w, "  QPS: mean=%s p75=%s p95=%s\n", fixed(mean, 2), fixed(p75, 2), fixed(p95, 2))
	}
	srv := child(agg, "server_metrics")
	cache := child(srv, "cache")
	kv := child(srv, "kv_cache")
	line := func(o *pyjson.Object, key, format string, pct bool) {
		v, _ := o.Get(key)
		if v == nil {
			return
		}
		if pct {
			fmt.Fprintf(w, format+"\n", percent(v))
		} else {
			fmt.Fprintf(w, format+"\n", pyStr(v))
		}
	}
	line(cache, "gpu_cache_hit_rate", "  GPU cache hit rate: %s", true)
	line(cache, "cpu_cache_hit_rate", "  CPU/offload cache hit rate: %s", true)
	line(cache, "external_cache_hit_rate", "  External cache hit rate: %s", true)
	line(kv, "gpu_usage_pct", "  GPU KV cache usage:  %s", true)
	line(kv, "gpu_total_tokens", "  GPU KV cache capacity: %s tokens", false)
	line(child(req, "cache"), "theoretical_cache_hit_rate", "  Theoretical cache hit rate: %s", true)
	pg := child(child(req, "throughput"), "per_gpu")
	if v, _ := pg.Get("total_tput_tps"); v != nil {
		fmt.Fprintf(w, "  Throughput per GPU: %s tok/s\n", fixed(v, 0))
	}
}

// child is o.get(key, {}) for an object value.
func child(o *pyjson.Object, key string) *pyjson.Object {
	if o != nil {
		if v, _ := o.Get(key); v != nil {
			if c, ok := v.(*pyjson.Object); ok {
				return c
			}
		}
	}
	return &pyjson.Object{}
}

// asFloat is float() of a number for formatting.
func asFloat(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case int:
		return float64(x)
	case float64:
		return x
	case bool:
		if x {
			return 1
		}
		return 0
	case fmt.Stringer:
		f, _ := strconv.ParseFloat(x.String(), 64)
		return f
	}
	f, _, _ := toFloat(v)
	return f
}

// fixed is Python's format(v, ".Nf").
func fixed(v any, prec int) string {
	f := asFloat(v)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		// format() spells these as repr() does.
		return pyvalue.FloatRepr(f)
	}
	return strconv.FormatFloat(f, 'f', prec, 64)
}

// percent is Python's format(v, ".1%"): the value times 100 (one float
// multiplication), one decimal, a percent sign.
func percent(v any) string {
	return fixed(asFloat(v)*100, 1) + "%"
}

// nonFinite returns the path (a.b.c, list items as [i]) of the first NaN or
// infinite float in v, "" when there is none.
func nonFinite(v any, path string) string {
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return path
		}
	case *pyjson.Object:
		for _, k := range x.Keys() {
			e, _ := x.Get(k)
			sub := k
			if path != "" {
				sub = path + "." + k
			}
			if w := nonFinite(e, sub); w != "" {
				return w
			}
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			sub := k
			if path != "" {
				sub = path + "." + k
			}
			if w := nonFinite(x[k], sub); w != "" {
				return w
			}
		}
	case []any:
		for i, e := range x {
			if w := nonFinite(e, fmt.Sprintf("%s[%d]", path, i)); w != "" {
				return w
			}
		}
	}
	return ""
}
