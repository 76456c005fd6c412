// Command matrixgen turns the master benchmark configs into the JSON job
// matrix that GitHub Actions fans out, one job per entry. It is a drop-in
// for the original generate_sweep_configs.py: same subcommands, flags and
// output.
//
//	matrixgen full-sweep --config-files configs/nvidia-master.yaml --single-node
//	matrixgen runner-model-sweep --config-files ... --runner-type h200 --single-node
//	matrixgen test-config --config-files ... --config-keys dsr1-fp8-h200-sglang
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
	// A short-lived process that allocates a few tens of megabytes: collecting
	// less often saves a good part of the run time, and the memory is returned
	// at exit. An explicit GOGC still wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

// common holds the flags every subcommand has.
type common struct {
	configFiles      []string
	runnerConfig     string
	runEvals         bool
	evalsOnly        bool
	runnerNodeFilter string
	githubOutput     string
}

func (c *common) register(p *cliargs.Parser) {
	p.Strings(&c.configFiles, "--config-files", "master config files (YAML), merged in order", cliargs.Required(), cliargs.Metavar("FILE"))
	p.String(&c.runnerConfig, "--runner-config", "runner pool file (YAML)", cliargs.DefaultHelp("configs/runners.yaml"), cliargs.Metavar("FILE"))
	p.Bool(&c.runEvals, "--run-evals", "mark the eval subset of the jobs with run-eval: true")
	p.Bool(&c.evalsOnly, "--evals-only", "output only the eval subset of the jobs")
	p.MutuallyExclusive(false, "--run-evals", "--evals-only")
	p.String(&c.runnerNodeFilter, "--runner-node-filter", "run each job on every runner node of its type whose name contains this text", cliargs.Metavar("TEXT"))
	p.String(&c.githubOutput, "--github-output", "also write the matrix to the step output NAME ($GITHUB_OUTPUT)", cliargs.Metavar("NAME"))
}

const topHelp = `usage: matrixgen {full-sweep,runner-model-sweep,test-config} [options]

Expands the master benchmark configs into the JSON job matrix (printed on stdout).

commands:
  full-sweep           every config, optionally filtered by model, precision, framework, runner
                       type, sequence lengths, concurrency and parallelism
  runner-model-sweep   one short job per config of a runner type on each of its nodes, to check
                       that every node can run every config
  test-config          the named configs, expanded in full

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
	var generate func(m *config.Master, r *config.Runners) ([]sweep.Entry, error)
	p := cliargs.New("matrixgen "+cmd, "")
	switch cmd {
	case "-h", "--help":
		fmt.Fprint(stdout, topHelp)
		return exitOK
	case "full-sweep":
		p.Description = "Expand every config, optionally filtered, into the job matrix."
		var o sweep.FullSweepOptions
		var seqLens []string
		c.register(p)
		p.Strings(&o.ModelPrefixes, "--model-prefix", "keep configs whose key starts with one of these", cliargs.Metavar("PREFIX"))
		p.Strings(&o.Precisions, "--precision", "keep these precisions (fp4, fp8, ...)")
		p.Strings(&o.Frameworks, "--framework", "keep these frameworks (vllm, sglang, trt, ...)")
		p.Strings(&o.RunnerTypes, "--runner-type", "keep these runner types (h200, b200, ...)")
		p.Strings(&seqLens, "--seq-lens", "keep these sequence lengths", cliargs.Choices(sweep.SeqLenNames()...))
		o.StepSize = 2
		p.Int(&o.StepSize, "--step-size", "multiplier between the concurrencies of a range", cliargs.DefaultHelp("2"))
		p.OptInt(&o.MinConc, "--min-conc", "drop concurrencies below this")
		p.OptInt(&o.MaxConc, "--max-conc", "drop concurrencies above this (a range starting above it runs this value alone)")
		p.OptInt(&o.MaxTP, "--max-tp", "drop single-node jobs with a higher tensor parallelism")
		p.OptInt(&o.MaxEP, "--max-ep", "cap single-node expert parallelism at this")
		p.Bool(&o.SingleNode, "--single-node", "generate single-node jobs")
		p.Bool(&o.MultiNode, "--multi-node", "generate multi-node jobs")
		p.MutuallyExclusive(true, "--single-node", "--multi-node")
		generate = func(m *config.Master, r *config.Runners) ([]sweep.Entry, error) {
			for _, name := range seqLens {
				sl, _ := sweep.ParseSeqLen(name) // choices were checked by the parser
				o.SeqLens = append(o.SeqLens, sl)
			}
			o.RunnerNodeFilter = c.runnerNodeFilter
			return sweep.FullSweep(m, r, o)
		}
	case "runner-model-sweep":
		p.Description = "Run one short job per config of a runner type on each node of that type."
		var o sweep.RunnerModelSweepOptions
		c.register(p)
		p.String(&o.RunnerType, "--runner-type", "the runner type whose nodes to check", cliargs.Required())
		p.Strings(&o.ModelPrefixes, "--model-prefix", "keep configs whose key starts with one of these", cliargs.Metavar("PREFIX"))
		p.Strings(&o.Precisions, "--precision", "keep these precisions")
		p.Strings(&o.Frameworks, "--framework", "keep these frameworks")
		p.OptInt(&o.Conc, "--conc", "run at this concurrency instead of the config's lowest")
		p.Bool(&o.SingleNode, "--single-node", "check single-node configs")
		p.Bool(&o.MultiNode, "--multi-node", "check multi-node configs")
		p.MutuallyExclusive(true, "--single-node", "--multi-node")
		generate = func(m *config.Master, r *config.Runners) ([]sweep.Entry, error) {
			o.RunnerNodeFilter = c.runnerNodeFilter
			return sweep.RunnerModelSweep(m, r, o)
		}
	case "test-config":
		p.Description = "Expand the named configs in full."
		var o sweep.TestConfigOptions
		c.register(p)
		p.Strings(&o.ConfigKeys, "--config-keys", "config keys to run (dsr1-fp8-h200-sglang ...)", cliargs.Required(), cliargs.Metavar("KEY"))
		p.Ints(&o.Conc, "--conc", "keep only these concurrencies")
		generate = func(m *config.Master, r *config.Runners) ([]sweep.Entry, error) {
			o.RunnerNodeFilter = c.runnerNodeFilter
			return sweep.TestConfig(m, r, o)
		}
	default:
		fmt.Fprint(stderr, topHelp)
		fmt.Fprintf(stderr, "matrixgen: error: unknown command %q (choose from full-sweep, runner-model-sweep, test-config)\n", cmd)
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

	v, err := schemas.New()
	if err != nil {
		return fail(err)
	}
	master, err := config.LoadMaster(v, c.configFiles)
	if err != nil {
		return fail(err)
	}
	runners, err := config.LoadRunners(v, c.runnerConfig)
	if err != nil {
		return fail(err)
	}
	if err := master.CheckRunners(runners); err != nil {
		return fail(err)
	}
	entries, err := generate(master, runners)
	if err != nil {
		return fail(err)
	}
	if c.runEvals || c.evalsOnly {
		sweep.MarkEvals(entries)
		if c.evalsOnly {
			entries = sweep.EvalsOnly(entries)
		}
	}
	if entries == nil {
		entries = []sweep.Entry{}
	}
	// The matrix is validated as the generic value its JSON encodes (what
	// decoding the printed text gives), while the text is being encoded.
	doc, err := pyjson.Value(entries)
	if err != nil {
		return fail(fmt.Errorf("internal error: %w", err))
	}
	var out []byte
	var encErr error
	encoded := make(chan struct{})
	go func() {
		defer close(encoded)
		out, encErr = pyjson.Marshal(entries)
	}()
	kindOf := func(i int) schemas.Kind {
		if _, multi := entries[i].(*sweep.MultiNodeEntry); multi {
			return schemas.MatrixEntryMultiNode
		}
		return schemas.MatrixEntrySingleNode
	}
	valErr := v.ValidateItems(doc.([]any), kindOf, runtime.GOMAXPROCS(0))
	<-encoded
	if valErr != nil {
		return fail(fmt.Errorf("internal error: the generated matrix breaks its schema: %w", valErr))
	}
	if encErr != nil {
		return fail(encErr)
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
