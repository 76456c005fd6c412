// Package process turns one raw benchmark result and the environment of the
// job that produced it into a processed result: the job's identity,
// throughput per GPU, latencies in seconds and interactivity. The fields,
// their order and their formulas are those of the original
// utils/process_result.py, so the bytes written are the same.
package process

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/diag"
	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/pkg/results"
	"github.com/inferencex/inferencex-go/schemas"
)

// InputError is a problem with what the job gave the tool (its environment
// or its raw result), as opposed to a failure to read or write; the tool
// exits with status 2 on it.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// Lookup reads one environment variable (os.LookupEnv in the tool).
type Lookup func(name string) (string, bool)

// The job environment, in the original's order.
var (
	baseVars   = []string{"RUNNER_TYPE", "FRAMEWORK", "PRECISION", "SPEC_DECODING", "RESULT_FILENAME", "ISL", "OSL", "DISAGG", "MODEL_PREFIX", "IMAGE"}
	singleVars = []string{"TP", "EP_SIZE", "DP_ATTENTION"}
	multiVars  = []string{"PREFILL_GPUS", "DECODE_GPUS", "PREFILL_NUM_WORKERS", "PREFILL_TP", "PREFILL_EP", "PREFILL_DP_ATTN",
		"DECODE_NUM_WORKERS", "DECODE_TP", "DECODE_EP", "DECODE_DP_ATTN"}
)

// Job is what the environment says about the benchmark job.
type Job struct {
	RunnerType, Framework, Precision, SpecDecoding, ResultFilename, ModelPrefix, Image string
	ISL, OSL                                                                           int64
	Disagg, MultiNode                                                                  bool

	// Format is the output the job's consumers expect (DetectFormat).
	Format Format

	// Single-node.
	TP, EP      int64
	DPAttention string

	// Multi-node (disaggregated prefill and decode).
	PrefillGPUs, DecodeGPUs, PrefillWorkers, PrefillTP, PrefillEP int64
	DecodeWorkers, DecodeTP, DecodeEP                             int64
	PrefillDPAttn, DecodeDPAttn                                   string

	// Today's format only (see today.go).
	RecipeFingerprint string
	Router            *pyjson.Object // nil: no router metadata
	KVP2PTransfer     string
	PP, DCP, PCP      int64 // single-node
	PrefillPP, PrefillDCP, PrefillPCP,
	DecodePP, DecodeDCP, DecodePCP int64 // multi-node
	PrefillHW, DecodeHW string // heterogeneous multi-node; both or neither
}

// Aggregated tells a multi-node job whose workers each serve whole
// requests (no decode workers, today's format) from a disaggregated one.
func (j *Job) Aggregated() bool { return j.MultiNode && j.DecodeGPUs == 0 }

// ReadJob reads the job from the environment. Every problem is reported at
// once: all missing variables, then every value that is not what it should
// be.
func ReadJob(lookup Lookup) (*Job, error) {
	multi := false
	if v, ok := lookup("IS_MULTINODE"); ok {
		multi = strings.ToLower(v) == "true"
	}
	need := append([]string{}, baseVars...)
	if multi {
		need = append(need, multiVars...)
	} else {
		need = append(need, singleVars...)
	}
	env := map[string]string{}
	var missing []string
	for _, name := range need {
		v, ok := lookup(name)
		if !ok {
			missing = append(missing, name)
			continue
		}
		env[name] = v
	}
	if len(missing) > 0 {
		//lint:ignore ST1005 the original's wording, which workflows and its tests look for
		return nil, &InputError{fmt.Errorf("Missing required environment variables: %s", strings.Join(missing, ", "))}
	}

	var problems []string
	integer := func(name string, minimum int64, why string) int64 {
		s := strings.TrimSpace(env[name])
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: expected an integer, got %q", name, env[name]))
			return 0
		}
		if n < minimum {
			problems = append(problems, fmt.Sprintf("%s: expected at least %d%s, got %d", name, minimum, why, n))
		}
		return n
	}
	const perGPU = " (throughput per GPU divides by it)"
	j := &Job{
		RunnerType:     env["RUNNER_TYPE"],
		Framework:      env["FRAMEWORK"],
		Precision:      env["PRECISION"],
		SpecDecoding:   env["SPEC_DECODING"],
		ResultFilename: env["RESULT_FILENAME"],
		ModelPrefix:    env["MODEL_PREFIX"],
		Image:          env["IMAGE"],
		Disagg:         strings.ToLower(env["DISAGG"]) == "true",
		MultiNode:      multi,
		Format:         DetectFormat(lookup),
	}
	j.ISL = integer("ISL", 1, "")
	j.OSL = integer("OSL", 1, "")
	if j.ResultFilename == "" {
		problems = append(problems, "RESULT_FILENAME: must not be empty (the raw result is <RESULT_FILENAME>.json)")
	}
	if multi {
		// Today's format takes a job without decode GPUs as an aggregated
		// multi-node one (every worker serves whole requests); the decode
		// set may then be 0 too.
		decodeMin, decodeWhy := int64(1), perGPU
		if j.Format == Today {
			decodeMin, decodeWhy = 0, " (0: aggregated, no decode workers)"
		}
		if j.Format == Today && strings.TrimSpace(env["PREFILL_GPUS"]) == "0" && strings.TrimSpace(env["DECODE_GPUS"]) == "0" {
			// Upstream's sentence, which its tests look for.
			problems = append(problems, "Multinode results require at least one GPU: PREFILL_GPUS and DECODE_GPUS are both 0")
		} else {
			j.PrefillGPUs = integer("PREFILL_GPUS", 1, perGPU)
			j.DecodeGPUs = integer("DECODE_GPUS", decodeMin, decodeWhy)
		}
		if j.DecodeGPUs > 0 {
			decodeMin = 1
		}
		j.PrefillWorkers = integer("PREFILL_NUM_WORKERS", 1, "")
		j.PrefillTP = integer("PREFILL_TP", 1, "")
		j.PrefillEP = integer("PREFILL_EP", 1, "")
		j.PrefillDPAttn = env["PREFILL_DP_ATTN"]
		j.DecodeWorkers = integer("DECODE_NUM_WORKERS", decodeMin, "")
		j.DecodeTP = integer("DECODE_TP", decodeMin, "")
		j.DecodeEP = integer("DECODE_EP", decodeMin, "")
		j.DecodeDPAttn = env["DECODE_DP_ATTN"]
	} else {
		if j.Disagg {
			problems = append(problems, "Disaggregated mode requires multinode setup: DISAGG is true but IS_MULTINODE is not")
		}
		j.TP = integer("TP", 1, perGPU)
		j.EP = integer("EP_SIZE", 1, "")
		j.DPAttention = env["DP_ATTENTION"]
	}
	if j.Format == Today {
		j.readToday(lookup, &problems)
	}
	if len(problems) > 0 {
		return nil, &InputError{errors.New("invalid job environment:\n  " + strings.Join(problems, "\n  "))}
	}
	return j, nil
}

// RawPath is where the job's raw result is, relative to the working
// directory.
func (j *Job) RawPath() string { return j.ResultFilename + ".json" }

// OutPath is where the processed result goes.
func (j *Job) OutPath() string { return "agg_" + j.ResultFilename + ".json" }

// Process builds the processed result of a raw result (the bytes of file).
func Process(v *schemas.Validator, j *Job, file string, raw []byte) (*pyjson.Object, error) {
	doc, err := results.DecodeOrdered(raw)
	if err != nil {
		return nil, &InputError{fmt.Errorf("%s: %w", file, err)}
	}
	if err := v.Validate(schemas.RawResult, results.Generic(doc)); err != nil {
		return nil, &InputError{schemaDiag(file, err)}
	}
	in := doc.(*pyjson.Object)
	get := func(k string) any { x, _ := in.Get(k); return x }

	conc, ok := results.Int(get("max_concurrency"))
	if !ok {
		return nil, &InputError{diag.Errorf(file, 0, 0, "max_concurrency",
			"expected the benchmark's concurrency limit, got %s (a processed result needs conc: run the benchmark with --max-concurrency)",
			results.Describe(get("max_concurrency")))}
	}
	total, _ := results.Float(get("total_token_throughput"))
	output, _ := results.Float(get("output_throughput"))

	out := &pyjson.Object{}
	out.Set("hw", j.RunnerType)
	out.Set("conc", conc)
	out.Set("image", j.Image)
	out.Set("model", get("model_id"))
	out.Set("infmax_model_prefix", j.ModelPrefix)
	out.Set("framework", j.Framework)
	out.Set("precision", j.Precision)
	out.Set("spec_decoding", j.SpecDecoding)
	out.Set("disagg", j.Disagg)
	if j.Format == Today {
		out.Set("recipe_fingerprint", j.RecipeFingerprint)
	}
	out.Set("isl", j.ISL)
	out.Set("osl", j.OSL)
	switch {
	case j.Format == Today:
		setToday(out, j, total, output)
	case j.MultiNode:
		out.Set("is_multinode", true)
		out.Set("prefill_tp", j.PrefillTP)
		out.Set("prefill_ep", j.PrefillEP)
		out.Set("prefill_dp_attention", j.PrefillDPAttn)
		out.Set("prefill_num_workers", j.PrefillWorkers)
		out.Set("decode_tp", j.DecodeTP)
		out.Set("decode_ep", j.DecodeEP)
		out.Set("decode_dp_attention", j.DecodeDPAttn)
		out.Set("decode_num_workers", j.DecodeWorkers)
		out.Set("num_prefill_gpu", j.PrefillGPUs)
		out.Set("num_decode_gpu", j.DecodeGPUs)
		// All GPUs share the total; output tokens come from the decode
		// workers and input tokens from the prefill workers.
		out.Set("tput_per_gpu", total/float64(j.PrefillGPUs+j.DecodeGPUs))
		out.Set("output_tput_per_gpu", output/float64(j.DecodeGPUs))
		out.Set("input_tput_per_gpu", (total-output)/float64(j.PrefillGPUs))
	default:
		out.Set("is_multinode", false)
		out.Set("tp", j.TP)
		out.Set("ep", j.EP)
		out.Set("dp_attention", j.DPAttention)
		out.Set("tput_per_gpu", total/float64(j.TP))
		out.Set("output_tput_per_gpu", output/float64(j.TP))
		out.Set("input_tput_per_gpu", (total-output)/float64(j.TP))
	}

	// Every key ending in "ms" is a latency in milliseconds: again in
	// seconds under the name without "_ms". Every key naming tpot also
	// gives an interactivity (tokens per second per user) under the name
	// with tpot replaced by intvty; a tpot of 0 (a run in which no request
	// produced a second token) has no interactivity, written as null where
	// the original divided by zero.
	var problems diag.List
	for _, k := range in.Keys() {
		endsMS, tpot := strings.HasSuffix(k, "ms"), strings.Contains(k, "tpot")
		if !endsMS && !tpot {
			continue
		}
		val := get(k)
		ms, ok := results.Float(val)
		if !ok {
			problems = append(problems, diag.Diagnostic{File: file, Path: diag.PathFromPointer("/" + k),
				Message: fmt.Sprintf("expected a number of milliseconds, got %s", results.Describe(results.Generic(val)))})
			continue
		}
		base := strings.ReplaceAll(k, "_ms", "")
		if endsMS {
			out.Set(base, ms/1000.0)
		}
		if tpot {
			name := strings.ReplaceAll(base, "tpot", "intvty")
			if ms == 0 {
				out.Set(name, nil)
			} else {
				out.Set(name, 1000.0/ms)
			}
		}
	}
	if len(problems) > 0 {
		return nil, &InputError{problems}
	}

	var missing []string
	for _, k := range []string{"median_ttft_ms", "median_tpot_ms", "median_e2el_ms"} {
		if _, ok := in.Get(k); !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return nil, &InputError{diag.Errorf(file, 0, 0, missing[0],
			"the raw result has no %s (summaries and the results site need the median TTFT, TPOT and E2EL: run the benchmark with --percentile-metrics ttft,tpot,itl,e2el)",
			strings.Join(missing, ", "))}
	}

	if err := v.Validate(schemas.ProcessedResult, results.Generic(out)); err != nil {
		return nil, &InputError{fmt.Errorf("the processed result would not match its schema (a field of the raw result or the environment is out of range):\n%w", schemaDiag(file, err))}
	}
	return out, nil
}

// schemaDiag turns schema violations into positioned diagnostics.
func schemaDiag(file string, err error) error {
	var se *schemas.Error
	if !errors.As(err, &se) {
		return fmt.Errorf("%s: %w", file, err)
	}
	var l diag.List
	for _, vi := range se.Violations {
		l = append(l, diag.Diagnostic{File: file, Path: diag.PathFromPointer(vi.Pointer), Message: vi.Message})
	}
	return l
}

// Result is what Run produced.
type Result struct {
	Job      *Job
	OutPath  string
	Document []byte // the processed result as written (json.dump, indent 2)
}

// Run processes the job described by lookup in dir: it reads
// <RESULT_FILENAME>.json there and writes agg_<RESULT_FILENAME>.json
// there, atomically. Nothing is written when anything is wrong.
func Run(v *schemas.Validator, dir string, lookup Lookup, write func(path string, data []byte) error) (*Result, error) {
	return RunWith(v, dir, lookup, write, nil)
}

// Step adds to a processed result before it is written (the power step):
// raw is the decoded raw result.
type Step func(j *Job, raw any, out *pyjson.Object) error

// RunWith is Run with a step that completes the processed result (nil for
// none); an error from it stops the run, nothing written.
func RunWith(v *schemas.Validator, dir string, lookup Lookup, write func(path string, data []byte) error, step Step) (*Result, error) {
	j, err := ReadJob(lookup)
	if err != nil {
		return nil, err
	}
	rawPath := filepath.Join(dir, j.RawPath())
	raw, err := os.ReadFile(rawPath)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("reading the raw result %s: %w", j.RawPath(), err)
	}
	out, err := Process(v, j, j.RawPath(), raw)
	if err != nil {
		return nil, err
	}
	// Everything upstream writes goes in first: Process's fields, then the
	// step's (its power fields); the keys only this tool writes come last.
	if step != nil {
		doc, err := results.DecodeOrdered(raw)
		if err != nil {
			return nil, err
		}
		if err := step(j, doc, out); err != nil {
			return nil, err
		}
		if err := v.Validate(schemas.ProcessedResult, results.Generic(out)); err != nil {
			return nil, fmt.Errorf("the processed result with its power fields would not match its schema (a bug):\n%w", schemaDiag(j.RawPath(), err))
		}
	}
	if err := AppendAccounting(v, out, j.RawPath(), raw); err != nil {
		return nil, err
	}
	data, err := results.MarshalIndent(out)
	if err != nil {
		return nil, fmt.Errorf("encoding the processed result: %w", err)
	}
	outPath := filepath.Join(dir, j.OutPath())
	if err := write(outPath, data); err != nil {
		return nil, fmt.Errorf("writing %s: %w", outPath, err)
	}
	return &Result{Job: j, OutPath: outPath, Document: data}, nil
}
