// Command matrixgen turns the master benchmark configs into the JSON job
// matrix that GitHub Actions fans out, one job per entry. It is a drop-in
// for upstream's generate_sweep_configs.py: today's configs (scenarios)
// expand as upstream main's script expands them, Feb-2026 configs
// (seq-len-configs) as the script did at f0e131f2e, each with its flags.
//
//	matrixgen full-sweep --config-files configs/nvidia-master.yaml configs/amd-master.yaml
//	matrixgen test-config --config-files ... --config-keys 'dsr1-fp8-*'
//	matrixgen runner-model-sweep --config-files ... --runner-type h200 --single-node
//	matrixgen migrate configs/nvidia-master.yaml configs/runners.yaml
//
// See docs/matrixgen.md.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/cliargs"
	"github.com/inferencex/inferencex-go/pkg/config"
	"github.com/inferencex/inferencex-go/pkg/diag"
	"github.com/inferencex/inferencex-go/pkg/ghaction"
	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/pkg/sweep"
	"github.com/inferencex/inferencex-go/schemas"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1 // could not do the work (writing output failed, an internal error)
	exitInvalid = 2 // bad command line or bad input files
)

func main() {
	// A short-lived process that allocates a few tens of megabytes: it runs
	// faster without collecting at all, and the memory is returned at exit.
	// The memory limit still collects when a huge input would need it; an
	// explicit GOGC or GOMEMLIMIT wins.
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetGCPercent(-1)
		debug.SetMemoryLimit(1 << 30)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

// common holds the flags every matrix subcommand has.
type common struct {
	configFiles      []string
	runnerConfig     string
	runEvals         bool
	noEvals          bool
	evalsOnly        bool
	allEvals         bool
	scenarios        []string
	runnerNodeFilter string
	githubOutput     string
	allowUnlisted    bool
}

func (c *common) register(p *cliargs.Parser) {
	p.Strings(&c.configFiles, "--config-files", "master config files (YAML), merged in order", cliargs.Required(), cliargs.Metavar("FILE"))
	p.String(&c.runnerConfig, "--runner-config", "runner pool file (YAML)", cliargs.DefaultHelp("configs/runners.yaml"), cliargs.Metavar("FILE"))
	p.Bool(&c.noEvals, "--no-evals", "today's configs: no eval jobs (throughput only)")
	p.Bool(&c.evalsOnly, "--evals-only", "output only the eval jobs")
	p.Bool(&c.allEvals, "--all-evals", "today's configs: evaluate every 8k1k job (and every agentic one); output only eval jobs")
	p.Bool(&c.runEvals, "--run-evals", "Feb-2026 configs: mark the eval subset of the jobs with run-eval: true")
	p.MutuallyExclusive(false, "--no-evals", "--evals-only", "--run-evals")
	p.Strings(&c.scenarios, "--scenario-type", "today's configs: keep these scenario types (default: all)", cliargs.Choices(sweep.ScenarioTypes()...))
	p.String(&c.runnerNodeFilter, "--runner-node-filter", "run each job on every runner node of its label whose name contains this text", cliargs.Metavar("TEXT"))
	p.String(&c.githubOutput, "--github-output", "also write the matrix to the step output NAME ($GITHUB_OUTPUT)", cliargs.Metavar("NAME"))
	p.Bool(&c.allowUnlisted, "--allow-unlisted-runners", "today's configs: only warn about a fixed-seq-len runner label the runner config lacks")
}

const topHelp = `usage: matrixgen {full-sweep,runner-model-sweep,test-config,migrate} [options]

Expands the master benchmark configs into the JSON job matrix (printed on stdout).
Configs in today's format (scenarios) expand as upstream main does, with evals on by
default; configs in the Feb-2026 format (seq-len-configs) as the original did.

commands:
  full-sweep           every config, optionally filtered by model, precision, framework, runner
                       label, scenario, sequence lengths, concurrency and parallelism
  runner-model-sweep   one short job per config of a runner label on each of its nodes, to check
                       that every node can run every config
  test-config          the named configs (or glob patterns of them), expanded in full
  migrate              rewrite Feb-2026 master configs and runner pools in today's format

Run 'matrixgen COMMAND -h' for a command's options. Exit status: 0 success, 1 failure,
2 bad command line or invalid config files.
`

func run(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	gha := ghaction.New(getenv, stderr)
	if len(args) == 0 {
		fmt.Fprint(stderr, topHelp)
		fmt.Fprintln(stderr, "matrixgen: error: a command is required")
		return exitInvalid
	}
	cmd := args[0]
	var c common
	var generate func(m *config.Master, r *config.Runners) ([]sweep.Entry, diag.List, error)
	var todayOnly []string // flags of this command that only today's format has
	var seqLens []string   // --seq-lens, checked against the format once it is known
	p := cliargs.New("matrixgen "+cmd, "")
	parseSeqLens := func(f config.Format) ([]sweep.SeqLen, error) {
		var out []sweep.SeqLen
		for _, name := range seqLens {
			sl, ok := sweep.ParseSeqLen(f, name)
			if !ok {
				return nil, &sweep.OptionError{Msg: fmt.Sprintf("argument --seq-lens: %s names no sequence length of configs in today's format, where 1024/8192 is 1024_8192 (choose from %s)",
					name, strings.Join(sweep.SeqLenNames(f), ", "))}
			}
			out = append(out, sl)
		}
		return out, nil
	}
	switch cmd {
	case "-h", "--help":
		fmt.Fprint(stdout, topHelp)
		return exitOK
	case "migrate":
		return runMigrate(args[1:], stdout, stderr, gha)
	case "full-sweep":
		p.Description = "Expand every config, optionally filtered, into the job matrix."
		var o sweep.FullSweepOptions
		c.register(p)
		p.Strings(&o.ModelPrefixes, "--model-prefix", "keep configs whose key starts with one of these", cliargs.Metavar("PREFIX"))
		p.Strings(&o.Precisions, "--precision", "keep these precisions (fp4, fp8, ...)")
		p.Strings(&o.Frameworks, "--framework", "keep these frameworks (vllm, sglang, trt, ...)")
		p.Strings(&o.RunnerTypes, "--runner-type", "keep these runner labels (h200, b200, ...)")
		p.Strings(&seqLens, "--seq-lens", "keep these fixed sequence lengths (1k8k: Feb-2026 configs only)", cliargs.Choices(sweep.AllSeqLenNames()...))
		o.StepSize = 2
		p.Int(&o.StepSize, "--step-size", "multiplier between the concurrencies of a range", cliargs.DefaultHelp("2"))
		p.OptInt(&o.MinConc, "--min-conc", "drop concurrencies below this")
		p.OptInt(&o.MaxConc, "--max-conc", "drop concurrencies above this (a fixed-seq-len range starting above it runs this value alone)")
		p.OptInt(&o.MaxTP, "--max-tp", "drop single-node fixed-seq-len jobs with a higher tensor parallelism")
		p.OptInt(&o.MaxEP, "--max-ep", "cap single-node fixed-seq-len expert parallelism at this")
		p.Bool(&o.SingleNode, "--single-node", "generate single-node jobs (today's configs: both kinds when neither flag is given)")
		p.Bool(&o.MultiNode, "--multi-node", "generate multi-node jobs")
		generate = func(m *config.Master, r *config.Runners) ([]sweep.Entry, diag.List, error) {
			var err error
			if o.SeqLens, err = parseSeqLens(m.Format); err != nil {
				return nil, nil, err
			}
			o.Scenarios = c.scenarios
			o.RunnerNodeFilter = c.runnerNodeFilter
			entries, err := sweep.FullSweep(m, r, o)
			return entries, nil, err
		}
	case "runner-model-sweep":
		p.Description = "Run one short job per config of a runner label on each node of that label (this project's command; upstream main has none)."
		var o sweep.RunnerModelSweepOptions
		c.register(p)
		p.String(&o.RunnerType, "--runner-type", "the runner label whose nodes to check", cliargs.Required())
		p.Strings(&o.ModelPrefixes, "--model-prefix", "keep configs whose key starts with one of these", cliargs.Metavar("PREFIX"))
		p.Strings(&o.Precisions, "--precision", "keep these precisions")
		p.Strings(&o.Frameworks, "--framework", "keep these frameworks")
		p.OptInt(&o.Conc, "--conc", "run at this concurrency instead of the config's lowest")
		p.Bool(&o.SingleNode, "--single-node", "check single-node configs (today's configs: both kinds when neither flag is given)")
		p.Bool(&o.MultiNode, "--multi-node", "check multi-node configs")
		generate = func(m *config.Master, r *config.Runners) ([]sweep.Entry, diag.List, error) {
			o.RunnerNodeFilter = c.runnerNodeFilter
			entries, err := sweep.RunnerModelSweep(m, r, o)
			return entries, nil, err
		}
	case "test-config":
		p.Description = "Expand the named configs in full."
		var o sweep.TestConfigOptions
		c.register(p)
		p.Strings(&o.ConfigKeys, "--config-keys", "config keys to run; today's configs also take glob patterns ('dsr1-*-sglang')", cliargs.Required(), cliargs.Metavar("KEY"))
		p.Ints(&o.Conc, "--conc", "keep only these concurrencies")
		p.Strings(&seqLens, "--seq-lens", "today's configs: keep only these fixed sequence lengths", cliargs.Choices(sweep.AllSeqLenNames()...))
		todayOnly = append(todayOnly, "--seq-lens")
		generate = func(m *config.Master, r *config.Runners) ([]sweep.Entry, diag.List, error) {
			var err error
			if o.SeqLens, err = parseSeqLens(m.Format); err != nil {
				return nil, nil, err
			}
			o.Scenarios = c.scenarios
			o.RunnerNodeFilter = c.runnerNodeFilter
			return sweep.TestConfig(m, r, o)
		}
	default:
		fmt.Fprint(stderr, topHelp)
		fmt.Fprintf(stderr, "matrixgen: error: unknown command %q (choose from full-sweep, runner-model-sweep, test-config, migrate)\n", cmd)
		return exitInvalid
	}
	c.runnerConfig = "configs/runners.yaml"

	if err := p.Parse(args[1:], stdout); err != nil {
		if errors.Is(err, cliargs.ErrHelp) {
			return exitOK
		}
		fmt.Fprintln(stderr, p.Usage())
		fmt.Fprintln(stderr, err)
		return exitInvalid
	}
	if c.allEvals && c.noEvals {
		fmt.Fprintln(stderr, p.Usage())
		fmt.Fprintf(stderr, "%s: error: --all-evals cannot be combined with --no-evals\n", p.Prog)
		return exitInvalid
	}

	fail := func(err error) int {
		var l diag.List
		var oe *sweep.OptionError
		switch {
		case errors.As(err, &l):
			fmt.Fprintln(stderr, err)
			if werr := gha.ReportAll(l); werr != nil {
				fmt.Fprintln(stderr, "matrixgen:", werr)
			}
			return exitInvalid
		case errors.As(err, &oe):
			fmt.Fprintf(stderr, "%s: error: %s\n", p.Prog, err)
			return exitInvalid
		}
		fmt.Fprintf(stderr, "%s: %s\n", p.Prog, err)
		return exitFailure
	}
	warn := func(l diag.List) {
		for _, d := range l {
			fmt.Fprintf(stderr, "%s: warning: %s\n", p.Prog, d)
			if gha.InWorkflow() {
				if err := gha.Warning(d); err != nil {
					fmt.Fprintln(stderr, "matrixgen:", err)
				}
			}
		}
	}

	v, err := schemas.New()
	if err != nil {
		return fail(err)
	}
	master, err := config.LoadMaster(v, c.configFiles)
	if err != nil {
		return fail(err)
	}
	if err := checkFormatFlags(master.Format, p, c, todayOnly); err != nil {
		return fail(err)
	}
	runners, err := config.LoadRunners(v, c.runnerConfig)
	if err != nil {
		return fail(err)
	}
	warnings, err := master.CheckRunners(runners, config.RunnerCheck{AllowUnlisted: c.allowUnlisted})
	if err != nil {
		return fail(err)
	}
	warn(warnings)
	entries, warnings, err := generate(master, runners)
	if err != nil {
		return fail(err)
	}
	warn(warnings)
	if entries, err = applyEvals(master.Format, c, entries); err != nil {
		return fail(err)
	}
	out, err := encode(v, entries)
	if err != nil {
		return fail(err)
	}
	if c.githubOutput != "" {
		if err := gha.SetOutput(c.githubOutput, string(out)); err != nil {
			return fail(err)
		}
	}
	if _, err := fmt.Fprintf(stdout, "%s\n", out); err != nil {
		return fail(fmt.Errorf("writing the matrix: %w", err))
	}
	return exitOK
}

// checkFormatFlags refuses the flags the config files' format does not
// have: each format keeps its own command line.
func checkFormatFlags(f config.Format, p *cliargs.Parser, c common, todayOnly []string) error {
	if f == config.FormatFeb2026 {
		var bad []string
		for _, name := range append([]string{"--no-evals", "--all-evals", "--scenario-type", "--allow-unlisted-runners"}, todayOnly...) {
			if p.Seen(name) {
				bad = append(bad, name)
			}
		}
		if len(bad) > 0 {
			return &sweep.OptionError{Msg: fmt.Sprintf("%s: only for configs in today's format; these are in the Feb-2026 format (seq-len-configs), which takes --run-evals and --evals-only (matrixgen migrate rewrites them)",
				strings.Join(bad, ", "))}
		}
		return nil
	}
	if c.runEvals {
		return &sweep.OptionError{Msg: "--run-evals: only for configs in the Feb-2026 format; with today's configs evals are on by default (--no-evals turns them off, --evals-only and --all-evals keep only the eval jobs)"}
	}
	return nil
}

// applyEvals marks and selects the eval jobs by the format's policy.
func applyEvals(f config.Format, c common, entries []sweep.Entry) ([]sweep.Entry, error) {
	if f == config.FormatFeb2026 {
		if c.runEvals || c.evalsOnly {
			sweep.MarkEvalsFeb2026(entries)
			if c.evalsOnly {
				entries = sweep.EvalsOnly(entries)
			}
		}
		return entries, nil
	}
	if !c.noEvals {
		if err := sweep.MarkEvals(entries, c.evalsOnly || c.allEvals); err != nil {
			return nil, err
		}
		if c.allEvals {
			var err error
			if entries, err = sweep.MarkAllEvals(entries); err != nil {
				return nil, err
			}
		}
	}
	if c.evalsOnly || c.allEvals {
		entries = sweep.SelectEvalRows(entries)
	}
	return entries, nil
}

// kindOf is the schema of a job.
func kindOf(e sweep.Entry) schemas.Kind {
	switch e.(type) {
	case *sweep.MultiNodeEntry:
		return schemas.MatrixEntryMultiNode
	case *sweep.AgenticSingleNodeEntry:
		return schemas.MatrixEntryAgenticSingleNode
	case *sweep.AgenticMultiNodeEntry:
		return schemas.MatrixEntryAgenticMultiNode
	}
	return schemas.MatrixEntrySingleNode
}

// encode writes the matrix as Python's json.dumps does, after validating
// it (as the generic value its JSON encodes) while it is being encoded.
func encode(v *schemas.Validator, entries []sweep.Entry) ([]byte, error) {
	if entries == nil {
		entries = []sweep.Entry{}
	}
	doc, err := pyjson.Value(entries)
	if err != nil {
		return nil, fmt.Errorf("internal error: %w", err)
	}
	var out []byte
	var encErr error
	encoded := make(chan struct{})
	go func() {
		defer close(encoded)
		out, encErr = pyjson.Marshal(entries)
	}()
	valErr := v.ValidateItems(doc.([]any), func(i int) schemas.Kind { return kindOf(entries[i]) }, runtime.GOMAXPROCS(0))
	<-encoded
	if valErr != nil {
		return nil, fmt.Errorf("internal error: the generated matrix breaks its schema: %w", valErr)
	}
	return out, encErr
}
