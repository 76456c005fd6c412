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
	"github.com/inferencex/inferencex-go/pkg/sweep"
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
           {"single_node": {"1k1k": [...], "agentic": [...]}, "multi_node": {...},
            "evals": [...], ..., "changelog_metadata": {...}}
  check    gate a pull request: a final newline, every entry valid, and with --base-ref
           the matrix of the new entries builds (--strict: the file only grew at its end)
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
	allowUnlisted bool
	// warn reports what loading the configs found worth saying but not
	// fatal (set by run: stderr and workflow annotations).
	warn func(diag.List)
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
	p.Bool(&c.allowUnlisted, "--allow-unlisted-runners", "today's configs: only warn about a fixed-seq-len runner label the runner config lacks")
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
	c.warn = func(l diag.List) {
		for _, d := range l {
			fmt.Fprintf(stderr, "%s: warning: %s\n", p.Prog, d)
			if gha.InWorkflow() {
				if err := gha.Warning(d); err != nil {
					fmt.Fprintln(stderr, "changelog:", err)
				}
			}
		}
	}
	var body func() error
	var mo modes
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
		mo.register(p, true)
		p.String(&output, "--github-output", "also write the JSON to the step output NAME ($GITHUB_OUTPUT)", cliargs.Metavar("NAME"))
		body = func() error {
			out, err := matrix(ctx, c, base, head, mo)
			if err != nil {
				return err
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
	case "check":
		p.Description = "Gate a pull request's perf-changelog.yaml: a final newline and valid entries; with --base-ref also the matrix of the new entries (today's configs) or that the file only grew by new entries (Feb-2026 configs)."
		var base, head string
		var strict bool
		c.register(p)
		p.String(&base, "--base-ref", "compare with this ref: the new entries must build a matrix (only additions allowed)", cliargs.Metavar("REF"))
		p.String(&head, "--head-ref", "the ref with the change (default: the working tree)", cliargs.Metavar("REF"))
		mo.register(p, false)
		p.Bool(&strict, "--strict", "today's configs, with --base-ref: also require the file's old bytes unchanged and the new entries appended at its end, one blank line apart")
		body = func() error { return check(ctx, c, base, head, mo, strict, stdout) }
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
	case errors.As(err, new(*changelog.RepoError)), errors.As(err, new(*changelog.InputError)), errors.As(err, new(*sweep.OptionError)):
		fmt.Fprintf(stderr, "%s: error: %v\n", p.Prog, err)
		if gha.InWorkflow() {
			_ = gha.Error(diag.Diagnostic{File: c.changelogFile, Message: err.Error()})
		}
		return exitInvalid
	}
	fmt.Fprintf(stderr, "%s: %v\n", p.Prog, err)
	return exitFailure
}

// modes are the switches of today's changelog processing.
type modes struct {
	trimConc, allEvals, evalsOnly bool
}

func (m *modes) register(p *cliargs.Parser, trim bool) {
	if trim {
		p.Bool(&m.trimConc, "--trim-conc", "today's configs: run each throughput recipe at its lowest concurrency only (pull-request sweeps)")
	}
	p.Bool(&m.allEvals, "--all-evals", "today's configs: every entry as if it said all-evals")
	p.Bool(&m.evalsOnly, "--evals-only", "today's configs: every entry as if it said evals-only")
}

func inputErrorf(format string, args ...any) error {
	return &changelog.InputError{Msg: fmt.Sprintf(format, args...)}
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
	warnings, err := m.CheckRunners(r, config.RunnerCheck{AllowUnlisted: c.allowUnlisted})
	if err != nil {
		return nil, nil, err
	}
	c.warn(warnings)
	return m, r, nil
}

// checkModes refuses today's switches with Feb-2026 configs.
func checkModes(f config.Format, mo modes) error {
	if f != config.FormatFeb2026 || !(mo.trimConc || mo.allEvals || mo.evalsOnly) {
		return nil
	}
	return inputErrorf("--trim-conc, --all-evals and --evals-only are only for configs in today's format; the master configs are in the Feb-2026 format (seq-len-configs)")
}

// changes reads what a change did to the changelog: its new entries, and
// the file at head ("" head: the working tree).
type change struct {
	file    *changelog.File
	added   []int
	rel     string
	headRaw []byte
	baseRaw []byte
}

func readChange(ctx context.Context, repo changelog.Repo, file, base, head string, requireBase bool) (*change, error) {
	baseC, err := repo.Commit(ctx, base)
	if err != nil {
		return nil, err
	}
	headC := ""
	if head != "" {
		if headC, err = repo.Commit(ctx, head); err != nil {
			return nil, err
		}
	}
	rel, err := repo.RelPath(ctx, file)
	if err != nil {
		return nil, inputErrorf("%v", err)
	}
	baseRaw, err := repo.Show(ctx, baseC, base, rel)
	if err != nil {
		if requireBase {
			return nil, fmt.Errorf("%w (a sweep compares two versions of the changelog)", err)
		}
		return nil, err
	}
	var headRaw []byte
	if head != "" {
		headRaw, err = repo.Show(ctx, headC, head, rel)
	} else {
		headRaw, err = os.ReadFile(file)
		if err != nil {
			err = diag.Errorf(rel, 0, 0, "", "cannot read: %v", err)
		}
	}
	if err != nil {
		return nil, err
	}
	text, err := repo.Diff(ctx, baseC, headC, rel)
	if err != nil {
		return nil, err
	}
	d, err := changelog.ParseDiff(text)
	if err != nil {
		return nil, fmt.Errorf("reading git diff: %w", err)
	}
	f, err := changelog.Parse(rel, headRaw)
	if err != nil {
		return nil, err
	}
	added, err := f.Added(d, base)
	if err != nil {
		return nil, err
	}
	return &change{file: f, added: added, rel: rel, headRaw: headRaw, baseRaw: baseRaw}, nil
}

// matrix builds the JSON of the jobs that the entries added between base
// and head ("" head: the working tree) ask for.
func matrix(ctx context.Context, c common, base, head string, mo modes) ([]byte, error) {
	v, err := schemas.New()
	if err != nil {
		return nil, err
	}
	m, r, err := loadConfigs(v, c)
	if err != nil {
		return nil, err
	}
	if err := checkModes(m.Format, mo); err != nil {
		return nil, err
	}
	repo := changelog.Repo{Dir: c.repo}
	ch, err := readChange(ctx, repo, c.changelogFile, base, head, true)
	if err != nil {
		return nil, err
	}
	headName := head
	if headName == "" {
		headName = "working-tree"
	}
	if len(ch.added) == 0 {
		return nil, inputErrorf("%s has no new entries between %s and %s", ch.rel, base, headName)
	}
	f := ch.file
	entries, err := f.Entries(v, ch.added)
	if err != nil {
		return nil, err
	}
	if err := f.CheckFormat(entries, m.Format); err != nil {
		return nil, err
	}
	var mx any
	if m.Format == config.FormatFeb2026 {
		mx, err = f.Build(m, r, entries, base, head)
	} else {
		mx, err = f.BuildToday(m, r, entries, base, headName, changelog.TodayOptions{
			TrimConc: mo.trimConc, AllEvals: mo.allEvals, EvalsOnly: mo.evalsOnly,
			Base: func() (*config.Master, *config.Runners, error) { return configsAt(ctx, repo, v, c, base) },
		})
	}
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(mx); err != nil {
		return nil, err
	}
	out := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if err := v.ValidateJSON(schemas.ChangelogMatrix, out); err != nil {
		return nil, fmt.Errorf("internal error: the changelog matrix breaks its schema: %w", err)
	}
	return out, nil
}

// configsAt reads the master configs and runner pool as they are at a ref
// (the same paths in the repository as the working tree's).
func configsAt(ctx context.Context, repo changelog.Repo, v *schemas.Validator, c common, ref string) (*config.Master, *config.Runners, error) {
	commit, err := repo.Commit(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	read := func(path string) (config.Source, error) {
		rel, err := repo.RelPath(ctx, path)
		if err != nil {
			return config.Source{}, inputErrorf("%v", err)
		}
		data, err := repo.Show(ctx, commit, ref, rel)
		if err != nil {
			return config.Source{}, fmt.Errorf("%w (append-only compares the configs at the base revision)", err)
		}
		return config.Source{Name: ref + ":" + rel, Data: data}, nil
	}
	var sources []config.Source
	for _, path := range c.configFiles {
		s, err := read(path)
		if err != nil {
			return nil, nil, err
		}
		sources = append(sources, s)
	}
	m, err := config.ParseMaster(v, sources...)
	if err != nil {
		return nil, nil, err
	}
	rs, err := read(c.runnerConfig)
	if err != nil {
		return nil, nil, err
	}
	r, err := config.ParseRunners(v, rs.Name, rs.Data)
	if err != nil {
		return nil, nil, err
	}
	// Only the head's configs get their warnings said: the base's are read
	// to compare recipes with, and a warning about an old revision asks
	// nobody to change anything.
	if _, err := m.CheckRunners(r, config.RunnerCheck{AllowUnlisted: c.allowUnlisted}); err != nil {
		return nil, nil, err
	}
	return m, r, nil
}

func check(ctx context.Context, c common, base, head string, mo modes, strict bool, stdout io.Writer) error {
	v, err := schemas.New()
	if err != nil {
		return err
	}
	m, _, err := loadConfigs(v, c)
	if err != nil {
		return err
	}
	if err := checkModes(m.Format, mo); err != nil {
		return err
	}
	if head != "" && base == "" {
		return inputErrorf("--head-ref needs --base-ref")
	}
	if m.Format == config.FormatFeb2026 {
		if strict || head != "" {
			return inputErrorf("--strict and --head-ref are only for configs in today's format")
		}
		return checkFeb2026(ctx, c, v, m, base, stdout)
	}
	repo := changelog.Repo{Dir: c.repo}
	name := c.changelogFile
	if rel, err := repo.RelPath(ctx, c.changelogFile); err == nil {
		name = rel // as the repository names it, for annotations
	} else if base != "" {
		return inputErrorf("%v", err)
	}
	var data []byte
	if head != "" {
		commit, err := repo.Commit(ctx, head)
		if err != nil {
			return err
		}
		if data, err = repo.Show(ctx, commit, head, name); err != nil {
			return err
		}
	} else if data, err = os.ReadFile(c.changelogFile); err != nil {
		return diag.Errorf(c.changelogFile, 0, 0, "", "cannot read: %v", err)
	}
	f, err := changelog.Parse(name, data)
	if err != nil {
		return err
	}
	problems := finalNewline(name, data)
	entries, err := f.Entries(v, nil)
	if err != nil {
		var l diag.List
		if !errors.As(err, &l) {
			return err
		}
		problems = append(problems, l...)
	}
	if base == "" {
		// No history to tell new entries from old: every entry must
		// resolve.
		for _, e := range entries {
			if _, err := f.Resolve(m, e); err != nil {
				var l diag.List
				if !errors.As(err, &l) {
					return err
				}
				problems = append(problems, l...)
			}
		}
	}
	if len(problems) > 0 {
		problems.Sort()
		return problems
	}
	if base == "" {
		_, err = fmt.Fprintf(stdout, "%s: %d %s, all valid\n", name, f.Len(), plural(f.Len(), "entry", "entries"))
		return err
	}
	quiet := c
	quiet.warn = func(diag.List) {} // loadConfigs above has said them
	out, err := matrix(ctx, quiet, base, head, mo)
	if err != nil {
		return err
	}
	var mx struct {
		Metadata struct {
			Entries []any `json:"entries"`
		} `json:"changelog_metadata"`
	}
	if err := json.Unmarshal(out, &mx); err != nil {
		return err
	}
	added := len(mx.Metadata.Entries)
	if strict {
		ch, err := readChange(ctx, repo, c.changelogFile, base, head, true)
		if err != nil {
			return err
		}
		if err := changelog.CheckAppendedBytes(name, ch.baseRaw, ch.headRaw, added); err != nil {
			return err
		}
	}
	_, err = fmt.Fprintf(stdout, "%s: %d %s, all valid; %d new since %s, and their matrix builds\n", name, f.Len(), plural(f.Len(), "entry", "entries"), added, base)
	return err
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func finalNewline(name string, data []byte) diag.List {
	if len(data) > 0 && data[len(data)-1] != '\n' {
		return diag.List{{File: name, Line: bytes.Count(data, []byte("\n")) + 1,
			Message: "the file must end with a newline (otherwise the next appended entry changes this line)"}}
	}
	return nil
}

// checkFeb2026 is the check for Feb-2026 configs: the whole file valid,
// every key known, and with a base ref only new entries.
func checkFeb2026(ctx context.Context, c common, v *schemas.Validator, m *config.Master, base string, stdout io.Writer) error {
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
	problems := finalNewline(name, data)
	entries, err := f.Entries(v, nil)
	if err != nil {
		var l diag.List
		if !errors.As(err, &l) {
			return err
		}
		problems = append(problems, l...)
	}
	if err := f.CheckFormat(entries, m.Format); err != nil {
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
	msg := fmt.Sprintf("%s: %d %s, all valid", name, f.Len(), plural(f.Len(), "entry", "entries"))
	if base != "" {
		msg += fmt.Sprintf("; %d new since %s", added, base)
	}
	_, err = fmt.Fprintln(stdout, msg)
	return err
}
