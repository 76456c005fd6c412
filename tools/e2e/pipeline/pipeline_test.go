package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/inferencex/inferencex-go/schemas"
)

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.work")); err != nil {
		t.Fatalf("repository root not found at %s: %v", root, err)
	}
	return root
}

func TestExpand(t *testing.T) {
	ctx := Contexts{
		"inputs": map[string]any{"tp": float64(8), "dp-attn": false, "model": "org/m", "ratio": 0.8},
		"env":    map[string]any{"EXP_NAME": "dsr1_1k1k"},
		"runner": map[string]any{"name": "h200-nb_0"},
		"matrix": map[string]any{"config": map[string]any{"prefill": map[string]any{"tp": float64(4)},
			"router": map[string]any{"name": "r", "version": "1"}, "recipe-fingerprint": "0123456789abcdef0123", "conc": []any{float64(8), float64(16)}}},
	}
	cases := []struct{ in, want, wantErr string }{
		{"${{ inputs.tp }}", "8", ""},
		{"${{inputs.dp-attn}}", "false", ""},
		{"${{ inputs.ratio }}", "0.8", ""},
		{"${{ env.EXP_NAME }}_${{ inputs.model }}_${{ runner.name }}", "dsr1_1k1k_org/m_h200-nb_0", ""},
		{"${{ matrix.config.prefill.tp }}", "4", ""},
		{"${{ inputs.missing }}", "", ""},
		{"plain", "plain", ""},
		{"${{ inputs.a || 'x' }}", "x", ""},
		{"${{ inputs.model || 'x' }}", "org/m", ""},
		{"${{ matrix.config['recipe-fingerprint'] || '' }}", "0123456789abcdef0123", ""},
		{"${{ matrix.config['kv-p2p-transfer'] || '' }}", "", ""},
		{"${{ matrix.config.router && toJson(matrix.config.router) || '' }}", "{\n  \"name\": \"r\",\n  \"version\": \"1\"\n}", ""},
		{"${{ matrix.config.missing && toJson(matrix.config.missing) || '' }}", "", ""},
		{"${{ toJson(matrix.config.conc) }}", "[\n  8,\n  16\n]", ""},
		{"${{ matrix.config.conc[0] }}", "8", ""},
		{"${{ inputs.dp-attn == false && 'no' || 'yes' }}", "no", ""},
		{"${{ inputs.model != 'ORG/M' }}", "false", ""},
		{"${{ !inputs.dp-attn }}", "true", ""},
		{"${{ format('{0}-{1}', inputs.tp, runner.name) }}", "8-h200-nb_0", ""},
		{"${{ fromJson('[1, 2]')[1] }}", "2", ""},
		{"${{ join(matrix.config.conc, ' ') }}", "8 16", ""},
		{"${{ join(fromJson('[\"a\", 1, true]')) }}", "a,1,true", ""},
		{"${{ matrix.config.router }}", "Object", ""},
		{"${{ github.sha }}", "", `no context "github"`},
		{"${{ hashFiles('x') }}", "", "does not evaluate hashFiles()"},
		{"${{ inputs.tp == }}", "", "unexpected end"},
		{"${{ 'open }}", "", "unterminated string"},
	}
	for _, c := range cases {
		got, err := Expand(c.in, ctx)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("Expand(%q): error %v, want one containing %q", c.in, err, c.wantErr)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("Expand(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestReadGitHubEnv(t *testing.T) {
	path := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(path, []byte("A=1\nRESULT_FILENAME=x_y=z\nB<<EOF\nline 1\nline 2\nEOF\nC=\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := readGitHubEnv(path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"A": "1", "RESULT_FILENAME": "x_y=z", "B": "line 1\nline 2", "C": ""}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

// The simulated server's speed in the end-to-end test (see
// benchmarks/toy_fp8_sim_sim.sh): a step of stepMs/TP^scaling plus
// perSeqMs per running request, one token per request per step.
const (
	stepMs   = 6.0
	scaling  = 0.7
	perSeqMs = 0.5
)

// expectedOutputPerGPU is the decode throughput per GPU the timing model
// gives at concurrency conc: conc tokens per step.
func expectedOutputPerGPU(tp, conc float64) (tokPerSecPerGPU, tpotSec float64) {
	step := stepMs/math.Pow(tp, scaling) + perSeqMs*conc
	return conc * 1000 / step / tp, step / 1000
}

// Measured decode throughput per GPU must lie within this band around the
// model's: below it for the prefill steps, the ramp up and down of each
// batch and a busy machine's late wake-ups; hardly above it, since the
// server never runs a step early.
const tputLow, tputHigh = 0.75, 1.05

// processedKeys are the keys every single-node processed result carries
// (docs/resultproc.md, DESIGN.md).
var processedKeys = []string{
	"hw", "conc", "image", "model", "infmax_model_prefix", "framework", "precision", "spec_decoding", "disagg",
	"isl", "osl", "is_multinode", "tp", "ep", "dp_attention", "tput_per_gpu", "output_tput_per_gpu", "input_tput_per_gpu",
	"mean_ttft", "median_ttft", "std_ttft", "p99_ttft", "mean_tpot", "median_tpot", "std_tpot", "p99_tpot",
	"mean_intvty", "median_intvty", "std_intvty", "p99_intvty", "mean_itl", "median_itl", "std_itl", "p99_itl",
	"mean_e2el", "median_e2el", "std_e2el", "p99_e2el",
}

// TestPipelineOnSimulatedServer runs the whole pipeline — matrixgen, the
// benchmark template's launch and process steps with runners/launch_sim.sh and
// benchmarks/toy_fp8_sim_sim.sh, loadgen against its simulated server,
// resultproc, collect, summarize — on a 4-job config and checks the aggregate;
// and one eval-only job (loadgen sim-eval standing in for lm-eval) through
// the upload, the accuracy gate and collect evals.
func TestPipelineOnSimulatedServer(t *testing.T) {
	root := repoRoot(t)
	// loadgen's tiny test tokenizer, as make demo uses: nothing is downloaded.
	tokenizer := filepath.Join(root, "tools", "loadgen", "bench", "testdata", "tinytok")
	out := filepath.Join(t.TempDir(), "out")
	var log strings.Builder
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := Run(ctx, Options{
		Root: root,
		Out:  out,
		MatrixArgs: []string{"full-sweep", "--single-node",
			"--config-files", filepath.Join("tools", "e2e", "pipeline", "testdata", "master.yaml"),
			"--runner-config", filepath.Join("tools", "e2e", "pipeline", "testdata", "runners.yaml")},
		Env: []string{"TOKENIZER=" + tokenizer, "SIM_DECODE_STEP_MS=6", "SIM_TP_SCALING=0.7",
			"SIM_DECODE_MS_PER_SEQ=0.5", "SIM_PREFILL_MS_PER_TOKEN=0.001"},
		Log:      &log,
		EvalJobs: 1,
	})
	if err != nil {
		t.Fatalf("%v\nprogress:\n%s", err, log.String())
	}
	t.Log("\n" + log.String())
	if len(res.Jobs) != 5 || !res.Simulated() || !res.Jobs[4].Eval {
		t.Fatalf("%d jobs (simulated: %v), want 4 and an eval-only one on the simulated runner", len(res.Jobs), res.Simulated())
	}
	checkEvalJob(t, res)

	data, err := os.ReadFile(res.Aggregate)
	if err != nil {
		t.Fatal(err)
	}
	v, err := schemas.New()
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	if err := json.Unmarshal(data, &rows); err != nil {
		t.Fatalf("%s: %v", res.Aggregate, err)
	}
	if len(rows) != 4 {
		t.Fatalf("%s has %d rows, want one per throughput job (4)", res.Aggregate, len(rows))
	}
	var points []string
	for _, row := range rows {
		if err := v.ValidateValue(schemas.ProcessedResult, row); err != nil {
			t.Errorf("row %v: %v", row, err)
		}
		for _, k := range processedKeys {
			if _, ok := row[k]; !ok {
				t.Errorf("row tp=%v conc=%v has no %s", row["tp"], row["conc"], k)
			}
		}
		if row["hw"] != "sim" || row["framework"] != "sim" || row["infmax_model_prefix"] != "toy" {
			t.Errorf("row is not labelled as the simulated toy config: hw=%v framework=%v prefix=%v", row["hw"], row["framework"], row["infmax_model_prefix"])
		}
		tp, _ := row["tp"].(float64)
		conc, _ := row["conc"].(float64)
		points = append(points, strings.Join([]string{format(tp), format(conc)}, "/"))
		want, tpot := expectedOutputPerGPU(tp, conc)
		got, _ := row["output_tput_per_gpu"].(float64)
		if r := got / want; r < tputLow || r > tputHigh {
			t.Errorf("tp=%v conc=%v: output throughput per GPU %.1f tok/s, the server's model gives %.1f (ratio %.2f, want %.2f..%.2f)",
				tp, conc, got, want, r, tputLow, tputHigh)
		}
		if m, _ := row["median_tpot"].(float64); math.Abs(m-tpot)/tpot > 0.25 {
			t.Errorf("tp=%v conc=%v: median TPOT %.2f ms, the server's step is %.2f ms", tp, conc, m*1000, tpot*1000)
		}
	}
	checkEnergy(t, res)
	checkResultNames(t, res)
	slices.Sort(points)
	if want := []string{"1/2", "1/8", "2/2", "2/8"}; !slices.Equal(points, want) {
		t.Errorf("rows for tp/conc %v, want %v", points, want)
	}

	if !strings.Contains(res.Summary, "| toy ") || !strings.Contains(res.Summary, "SIM") {
		t.Errorf("the summary table does not show the simulated toy results:\n%s", res.Summary)
	}
	html, err := os.ReadFile(res.Report)
	if err != nil || !strings.Contains(string(html), "inferencex/toy-model") {
		t.Errorf("report %s: %v (or it does not name the model)", res.Report, err)
	}
}

func TestRunRejectsForeignOutputDirectory(t *testing.T) {
	out := t.TempDir()
	if err := os.WriteFile(filepath.Join(out, "keep.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Run(context.Background(), Options{Root: repoRoot(t), Out: out, MatrixArgs: []string{"full-sweep"}})
	if err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("Run into a directory with other files: %v, want a refusal", err)
	}
	if _, err := os.Stat(filepath.Join(out, "keep.txt")); err != nil {
		t.Errorf("the directory's file is gone: %v", err)
	}
}

// checkResultNames: result and artifact names are a wire format that
// upstream main's collection and dashboard tooling glob on, so every job's
// RESULT_FILENAME must have upstream main's single-node shape.
func checkResultNames(t *testing.T, res *Result) {
	t.Helper()
	str := func(e map[string]any, k, def string) string {
		v, ok := e[k]
		if !ok || v == nil || v == "" {
			return def
		}
		if f, ok := v.(float64); ok {
			return strconv.FormatFloat(f, 'f', -1, 64)
		}
		return fmt.Sprint(v)
	}
	if len(res.Jobs) == 0 {
		t.Fatal("no jobs to check the result names of")
	}
	for _, j := range res.Jobs {
		e := j.Entry
		want := fmt.Sprintf("%s_%s_%s_tp%s-pp%s-dcp%s-pcp%s-ep%s-dpa%s_disagg-%s_spec-%s_conc%s_",
			str(e, "exp-name", ""), str(e, "precision", ""), str(e, "framework", ""), str(e, "tp", ""),
			str(e, "pp", "1"), str(e, "dcp-size", "1"), str(e, "pcp-size", "1"), str(e, "ep", ""),
			str(e, "dp-attn", ""), str(e, "disagg", "false"), str(e, "spec-decoding", ""), str(e, "conc", ""))
		rest, ok := strings.CutPrefix(j.ResultFilename, want)
		if !ok {
			t.Errorf("result name %q, want it to start with upstream main's %q", j.ResultFilename, want)
			continue
		}
		if !regexp.MustCompile(`^[^_]+(_\d+)?(_recipe-[0-9a-f]{16})?$`).MatchString(rest) {
			t.Errorf("result name %q: after the concurrency %q, want <runner name>[_recipe-<16 hex>]", j.ResultFilename, rest)
		}
		if fp := str(e, "recipe-fingerprint", ""); fp != "" && !strings.HasSuffix(j.ResultFilename, "_recipe-"+fp[:16]) {
			t.Errorf("result name %q does not end with the recipe fingerprint's first 16 hex digits %s", j.ResultFilename, fp[:16])
		}
	}
}

// checkEnergy: every job ran gpumon's fake backend (one simulated GPU per
// GPU of the job) and resultproc measured its energy from it. A raw result
// without the benchmark window (a load generator that does not write
// benchmark_start_time_unix) cannot be measured, and must say so.
func checkEnergy(t *testing.T, res *Result) {
	t.Helper()
	for _, j := range res.Jobs {
		if j.Entry["eval-only"] == true {
			continue // no throughput run, no result to measure
		}
		csv, err := os.ReadFile(filepath.Join(j.Dir, "gpu_metrics.csv"))
		if err != nil || !strings.Contains(string(csv), ",FAKE-GPU-0,") {
			t.Errorf("%s: no telemetry from gpumon's fake backend: %v", j.ResultFilename, err)
			continue
		}
		tp, _ := j.Entry["tp"].(float64)
		if strings.Contains(string(csv), fmt.Sprintf(",FAKE-GPU-%d,", int(tp))) {
			t.Errorf("%s: more fake GPUs than the job's %v", j.ResultFilename, tp)
		}
		var raw, agg, side map[string]any
		for p, v := range map[string]*map[string]any{j.ResultFilename + ".json": &raw, "agg_" + j.ResultFilename + ".json": &agg,
			"power_validation_" + j.ResultFilename + ".json": &side} {
			data, err := os.ReadFile(filepath.Join(j.Dir, p))
			if err == nil {
				err = json.Unmarshal(data, v)
			}
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
		}
		if _, ok := raw["benchmark_start_time_unix"]; !ok {
			if agg["power_valid"] != 0.0 || !slices.Contains(side["reasons"].([]any), any("invalid_benchmark_window")) {
				t.Errorf("%s: no window in the raw result, yet power_valid %v, reasons %v", j.ResultFilename, agg["power_valid"], side["reasons"])
			}
			continue
		}
		jpt, _ := agg["joules_per_output_token"].(float64)
		if agg["power_valid"] != 1.0 || jpt <= 0 || side["integration_method"] != "per_device_energy_counter_with_linear_boundary_interpolation" {
			t.Errorf("%s: power_valid %v, %v J per output token, method %v, reasons %v", j.ResultFilename, agg["power_valid"], jpt,
				side["integration_method"], side["reasons"])
		}
	}
}

// checkEvalJob: the eval-only job ran at the first configuration's highest
// concurrency, left its lm-eval files where collect-evals.yml downloads
// them, passed the gate, and collect evals made a labelled row of it.
func checkEvalJob(t *testing.T, res *Result) {
	t.Helper()
	j := res.Jobs[4]
	if j.Entry["tp"] != 1.0 || j.Entry["conc"] != 8.0 || j.Entry["eval-only"] != true {
		t.Errorf("eval job for %v", j.Entry)
	}
	data, err := os.ReadFile(res.EvalAggregate)
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	if err := json.Unmarshal(data, &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 {
		t.Fatalf("%d eval rows, want 1:\n%s", len(rows), data)
	}
	r := rows[0]
	want := map[string]any{"model_prefix": "toy", "hw": "SIM", "task": "gsm8k", "conc": 8.0, "tp": 1.0, "score": 0.95,
		"model": "inferencex/toy-model (SIMULATED)", "is_multinode": false, "isl": 128.0}
	for k, v := range want {
		if r[k] != v {
			t.Errorf("eval row %s = %v, want %v", k, r[k], v)
		}
	}
	if !strings.Contains(res.Gate, "| PASS ") || !strings.Contains(res.Gate, "0 failed") {
		t.Errorf("the gate did not pass the job:\n%s", res.Gate)
	}
	if !strings.Contains(res.EvalSummary, "### Single-Node Eval Results") {
		t.Errorf("eval summary:\n%s", res.EvalSummary)
	}
}

// TestEvalGateFailsAfterUpload: a score below the threshold fails the
// eval job in its "Verify eval scores" step, after its files went up.
func TestEvalGateFailsAfterUpload(t *testing.T) {
	root := repoRoot(t)
	tokenizer := filepath.Join(root, "tools", "loadgen", "bench", "testdata", "tinytok")
	out := filepath.Join(t.TempDir(), "out")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	_, err := Run(ctx, Options{
		Root: root, Out: out,
		MatrixArgs: []string{"test-config", "--config-keys", "toy-fp8-sim-sim", "--conc", "2", "--config-files",
			filepath.Join("tools", "e2e", "pipeline", "testdata", "master.yaml"),
			"--runner-config", filepath.Join("tools", "e2e", "pipeline", "testdata", "runners.yaml")},
		Env:      []string{"TOKENIZER=" + tokenizer, "SIM_DECODE_STEP_MS=2", "SIM_EVAL_SCORE=0.5", "EVAL_LIMIT=4"},
		EvalJobs: 1,
	})
	if err == nil || !strings.Contains(err.Error(), `step "Verify eval scores"`) || !strings.Contains(err.Error(), "below the threshold") {
		t.Fatalf("error %v, want the gate step to fail", err)
	}
	uploaded, _ := filepath.Glob(filepath.Join(out, "eval_results", "eval_*", "results_*.json"))
	meta, _ := filepath.Glob(filepath.Join(out, "eval_results", "eval_*", "meta_env.json"))
	if len(uploaded) != 1 || len(meta) != 1 {
		t.Errorf("uploaded eval files %v %v, want the results and meta_env.json of the failed job", uploaded, meta)
	}
}

func TestIf(t *testing.T) {
	ctx := Contexts{
		"inputs": map[string]any{"eval-only": true, "run-eval": false, "name": "Sim"},
		"env":    map[string]any{"RUN_EVAL": "true", "RESULT_FILENAME": ""},
	}
	ok, failed := Status{}, Status{Failed: true}
	cases := []struct {
		cond string
		st   Status
		want bool
	}{
		{"", ok, true},
		{"", failed, false},
		{"${{ !inputs.eval-only }}", ok, false},
		{"inputs.eval-only", failed, false},
		{"(success() || failure()) && inputs.eval-only", failed, true},
		{"always() && env.RESULT_FILENAME != ''", failed, false},
		{"always() && (env.RUN_EVAL == 'true' || inputs.eval-only)", failed, true},
		{"inputs.name == 'sim'", ok, true},
		{"inputs.run-eval == false", ok, true},
		{"env.RUN_EVAL == true", ok, false},
		{"cancelled()", ok, false},
	}
	for _, c := range cases {
		got, err := If(c.cond, ctx, c.st)
		if err != nil || got != c.want {
			t.Errorf("If(%q, %+v) = %v, %v; want %v", c.cond, c.st, got, err, c.want)
		}
	}
	for _, bad := range []string{"hashFiles('x')", "inputs.a ==", "'open", "github.sha", "a[0]"} {
		if _, err := If(bad, ctx, ok); err == nil {
			t.Errorf("If(%q): no error", bad)
		}
	}
	if v, err := Eval("inputs.eval-only && 'eval_' || 'plain_'", ctx); err != nil || v != "eval_" {
		t.Errorf("Eval: %q, %v", v, err)
	}
	if v, err := Eval("inputs.run-eval && 'eval_' || 'plain_'", ctx); err != nil || v != "plain_" {
		t.Errorf("Eval: %q, %v", v, err)
	}
}

// FuzzEvaluate: any expression is evaluated or refused, never a panic.
func FuzzEvaluate(f *testing.F) {
	for _, s := range []string{"(success() || failure()) && inputs.eval-only", "inputs.x && 'a' || 'b'", "!!env.X == '1'",
		"'it''s'", "1.5e3 != -2", "((((", "always(", "inputs..x", "matrix.config.router && toJson(matrix.config.router) || ''",
		"fromJson('[1]')[0]", "format('{0}', inputs.b)", "matrix.config['kv-p2p-transfer']"} {
		f.Add(s)
	}
	ctx := Contexts{"inputs": map[string]any{"x": true, "b": float64(2)}, "env": map[string]any{"X": "1"},
		"matrix": map[string]any{"config": map[string]any{"router": map[string]any{"name": "r"}}}}
	f.Fuzz(func(t *testing.T, expr string) {
		if v, err := Evaluate(expr, ctx, Status{Failed: true}); err == nil {
			_ = format(v)
		}
		_, _ = If(expr, ctx, Status{})
	})
}
