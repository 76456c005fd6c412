// Command changelog decides what a change to perf-changelog.yaml benchmarks.
//
//	changelog matrix --base-ref origin/main --head-ref HEAD --changelog-file perf-changelog.yaml
//	changelog check --changelog-file perf-changelog.yaml --base-ref origin/main
//	changelog sweep-policy --github-output        # in run-sweep.yml: labels -> what to sweep
//	changelog canary --matrix matrix.json         # a full sweep's canary job and the rest
//
// `matrix` prints the jobs that the entries added between two refs ask for,
// by node type and sequence length (a drop-in for the original
// process_changelog.py, whose flags it also takes without the subcommand).
// `check` validates the whole file for pull-request gating. `sweep-policy`
// and `canary` are run-sweep.yml's decisions: which pull-request label asks
// for what, and which job goes first. See docs/changelog.md.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/inferencex/inferencex-go/pkg/changelog"
	"github.com/inferencex/inferencex-go/pkg/cliargs"
	"github.com/inferencex/inferencex-go/pkg/config"
	"github.com/inferencex/inferencex-go/pkg/diag"
	"github.com/inferencex/inferencex-go/pkg/ghaction"
	"github.com/inferencex/inferencex-go/schemas"
)

const (
	exitOK      = 0
	exitFailure = 1
	exitInvalid = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

const topHelp = `usage: changelog {matrix,check,sweep-policy,canary} [options]
       changelog --base-ref REF --head-ref REF --changelog-file FILE   (same as matrix)

Decides what a change to perf-changelog.yaml benchmarks.

commands:
  matrix   print the jobs that the entries added between two refs ask for, as JSON:
           {"single_node": {"1k1k": [...], ...}, "multi_node": {...}, "changelog_metadata": {...}}
  check    validate the whole changelog (for pull-request gating): every entry valid, every
           config key known, a final newline, and with --base-ref only additions
  sweep-policy
           decide from the workflow's event whether to sweep and how (labels, [skip-sweep])
  canary   pick a full sweep's canary job from a matrix and print it with the rest

Run 'changelog COMMAND -h' for a command's options. Exit status: 0 success, 1 failure,
2 bad command line or invalid changelog.
`

// common are the flags of both commands.
type common struct {
	changelogFile string
	configFiles   []string
	runnerConfig  string
	repo          string
}

func (c *common) register(p *cliargs.Parser) {
	p.String(&c.changelogFile, "--changelog-file", "the changelog (path in the working tree)", cliargs.Required(), cliargs.Metavar("FILE"))
	c.configFiles = []string{"configs/amd-master.yaml", "configs/nvidia-master.yaml"}
	p.Strings(&c.configFiles, "--config-files", "master config files the config keys refer to", cliargs.Metavar("FILE"),
		cliargs.DefaultHelp(strings.Join(c.configFiles, " ")))
	c.runnerConfig = "configs/runners.yaml"
	p.String(&c.runnerConfig, "--runner-config", "runner pool file", cliargs.Metavar("FILE"), cliargs.DefaultHelp(c.runnerConfig))
	c.repo = "."
	p.String(&c.repo, "--repo", "a directory inside the git working tree", cliargs.Metavar("DIR"), cliargs.DefaultHelp("."))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	gha := ghaction.New(getenv, stderr)
	if len(args) == 0 {
		fmt.Fprint(stderr, topHelp)
		fmt.Fprintln(stderr, "changelog: error: a command is required")
		return exitInvalid
	}
	cmd, rest := args[0], args[1:]
	if strings.HasPrefix(cmd, "--") && cmd != "--help" {
		// The original's form: process_changelog.py --base-ref ... (no command).
		cmd, rest = "matrix", args
	}
	var c common
	p := cliargs.New("changelog "+cmd, "")
	var body func() error
	switch cmd {
	case "-h", "--help":
		fmt.Fprint(stdout, topHelp)
		return exitOK
	case "matrix":
		p.Description = "Print the jobs that the entries added between two refs ask for."
		var base, head, output string
		c.register(p)
		p.String(&base, "--base-ref", "the ref before the change (origin/main, the push's before SHA)", cliargs.Required(), cliargs.Metavar("REF"))
		p.String(&head, "--head-ref", "the ref with the change (the PR head SHA, the push's after SHA)", cliargs.Required(), cliargs.Metavar("REF"))
		p.String(&output, "--github-output", "also write the JSON to the step output NAME ($GITHUB_OUTPUT)", cliargs.Metavar("NAME"))
		body = func() error { return matrix(ctx, c, base, head, output, stdout, gha) }
	case "check":
		p.Description = "Validate the whole changelog; with --base-ref also that it only grew by new entries."
		var base string
		c.register(p)
		p.String(&base, "--base-ref", "compare the working tree file with this ref: only additions allowed", cliargs.Metavar("REF"))
		body = func() error { return check(ctx, c, base, stdout) }
	case "sweep-policy":
		p.Description = "Decide from the workflow's event whether run-sweep.yml sweeps, and how (pull-request labels, [skip-sweep])."
		var name, path, message string
		var output bool
		name, path = getenv("GITHUB_EVENT_NAME"), getenv("GITHUB_EVENT_PATH")
		p.String(&name, "--event-name", "the event (pull_request, push)", cliargs.DefaultHelp("$GITHUB_EVENT_NAME"))
		p.String(&path, "--event-path", "the event's payload", cliargs.Metavar("FILE"), cliargs.DefaultHelp("$GITHUB_EVENT_PATH"))
		p.String(&message, "--head-commit-message", "the pull request's head commit message ([skip-sweep] there skips too)", cliargs.Metavar("TEXT"))
		p.Bool(&output, "--github-output", "also set the decision as step outputs ($GITHUB_OUTPUT)")
		body = func() error { return sweepPolicy(name, path, message, output, stdout, gha) }
	case "canary":
		p.Description = "Pick the canary of a changelog matrix (the lowest-concurrency single-node throughput job) and print it with the rest."
		var path string
		var output bool
		p.String(&path, "--matrix", "the matrix changelog matrix printed", cliargs.Required(), cliargs.Metavar("FILE"))
		p.Bool(&output, "--github-output", "also set the step outputs canary-config and remaining-search-space-config")
		body = func() error { return canary(path, output, stdout, stderr, gha) }
	default:
		fmt.Fprint(stderr, topHelp)
		fmt.Fprintf(stderr, "changelog: error: unknown command %q (choose from matrix, check, sweep-policy, canary)\n", cmd)
		return exitInvalid
	}
	if err := p.Parse(rest, stdout); err != nil {
		if errors.Is(err, cliargs.ErrHelp) {
			return exitOK
		}
		fmt.Fprintln(stderr, p.Usage())
		fmt.Fprintln(stderr, err)
		return exitInvalid
	}
	err := body()
	if err == nil {
		return exitOK
	}
	var l diag.List
	switch {
	case errors.As(err, &l):
		fmt.Fprintln(stderr, err)
		if werr := gha.ReportAll(l); werr != nil {
			fmt.Fprintln(stderr, "changelog:", werr)
		}
		return exitInvalid
	case errors.As(err, new(*changelog.RepoError)), errors.As(err, new(*inputError)):
		fmt.Fprintf(stderr, "%s: error: %v\n", p.Prog, err)
		if gha.InWorkflow() {
			_ = gha.Error(diag.Diagnostic{File: c.changelogFile, Message: err.Error()})
		}
		return exitInvalid
	}
	fmt.Fprintf(stderr, "%s: %v\n", p.Prog, err)
	return exitFailure
}

// inputError is bad input that is not tied to a line of a file.
type inputError struct{ msg string }

func (e *inputError) Error() string { return e.msg }

func inputErrorf(format string, args ...any) error {
	return &inputError{msg: fmt.Sprintf(format, args...)}
}

// loadConfigs reads the master configs and runner pool.
func loadConfigs(v *schemas.Validator, c common) (*config.Master, *config.Runners, error) {
	m, err := config.LoadMaster(v, c.configFiles)
	if err != nil {
		return nil, nil, err
	}
	r, err := config.LoadRunners(v, c.runnerConfig)
	if err != nil {
		return nil, nil, err
	}
	if err := m.CheckRunners(r); err != nil {
		return nil, nil, err
	}
	return m, r, nil
}

func matrix(ctx context.Context, c common, base, head, output string, stdout io.Writer, gha *ghaction.Action) error {
	v, err := schemas.New()
	if err != nil {
		return err
	}
	m, r, err := loadConfigs(v, c)
	if err != nil {
		return err
	}
	repo := changelog.Repo{Dir: c.repo}
	baseC, err := repo.Commit(ctx, base)
	if err != nil {
		return err
	}
	headC, err := repo.Commit(ctx, head)
	if err != nil {
		return err
	}
	rel, err := repo.RelPath(ctx, c.changelogFile)
	if err != nil {
		return inputErrorf("%v", err)
	}
	if _, err := repo.Show(ctx, baseC, base, rel); err != nil {
		return fmt.Errorf("%w (a sweep compares two versions of the changelog)", err)
	}
	headData, err := repo.Show(ctx, headC, head, rel)
	if err != nil {
		return err
	}
	text, err := repo.Diff(ctx, baseC, headC, rel)
	if err != nil {
		return err
	}
	d, err := changelog.ParseDiff(text)
	if err != nil {
		return fmt.Errorf("reading git diff: %w", err)
	}
	f, err := changelog.Parse(rel, headData)
	if err != nil {
		return err
	}
	added, err := f.Added(d, base)
	if err != nil {
		return err
	}
	if len(added) == 0 {
		return inputErrorf("%s has no new entries between %s and %s", rel, base, head)
	}
	entries, err := f.Entries(v, added)
	if err != nil {
		return err
	}
	mx, err := f.Build(m, r, entries, base, head)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(mx); err != nil {
		return err
	}
	out := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if err := v.ValidateJSON(schemas.ChangelogMatrix, out); err != nil {
		return fmt.Errorf("internal error: the changelog matrix breaks its schema: %w", err)
	}
	if output != "" {
		if err := gha.SetOutput(output, string(out)); err != nil {
			return err
		}
	}
	if _, err := fmt.Fprintf(stdout, "%s\n", out); err != nil {
		return fmt.Errorf("writing the matrix: %w", err)
	}
	return nil
}

func check(ctx context.Context, c common, base string, stdout io.Writer) error {
	v, err := schemas.New()
	if err != nil {
		return err
	}
	m, _, err := loadConfigs(v, c)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(c.changelogFile)
	if err != nil {
		return diag.Errorf(c.changelogFile, 0, 0, "", "cannot read: %v", err)
	}
	name := c.changelogFile
	repo := changelog.Repo{Dir: c.repo}
	if rel, err := repo.RelPath(ctx, c.changelogFile); err == nil {
		name = rel // as the repository names it, for annotations
	} else if base != "" {
		return inputErrorf("%v", err)
	}
	f, err := changelog.Parse(name, data)
	if err != nil {
		return err
	}
	var problems diag.List
	if len(data) > 0 && data[len(data)-1] != '\n' {
		problems = append(problems, diag.Diagnostic{File: name, Line: bytes.Count(data, []byte("\n")) + 1,
			Message: "the file must end with a newline (otherwise the next appended entry changes this line)"})
	}
	entries, err := f.Entries(v, nil)
	if err != nil {
		var l diag.List
		if !errors.As(err, &l) {
			return err
		}
		problems = append(problems, l...)
	}
	for _, e := range entries {
		if _, err := f.Resolve(m, e); err != nil {
			var l diag.List
			if !errors.As(err, &l) {
				return err
			}
			problems = append(problems, l...)
		}
	}
	added := 0
	if base != "" {
		baseC, err := repo.Commit(ctx, base)
		if err != nil {
			return err
		}
		text, err := repo.Diff(ctx, baseC, "", name)
		if err != nil {
			return err
		}
		d, err := changelog.ParseDiff(text)
		if err != nil {
			return fmt.Errorf("reading git diff: %w", err)
		}
		idx, err := f.Added(d, base)
		if err != nil {
			var l diag.List
			if !errors.As(err, &l) {
				return err
			}
			problems = append(problems, l...)
		}
		added = len(idx)
	}
	if len(problems) > 0 {
		problems.Sort()
		return problems
	}
	noun := "entries"
	if f.Len() == 1 {
		noun = "entry"
	}
	msg := fmt.Sprintf("%s: %d %s, all valid", name, f.Len(), noun)
	if base != "" {
		msg += fmt.Sprintf("; %d new since %s", added, base)
	}
	_, err = fmt.Fprintln(stdout, msg)
	return err
}
