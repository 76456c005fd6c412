// Package ghaction is how the tools talk to a GitHub Actions workflow step:
// step outputs ($GITHUB_OUTPUT), the job summary ($GITHUB_STEP_SUMMARY) and
// error annotations that point at a file and line. It wraps
// github.com/sethvargo/go-githubactions, turning its panics on I/O failure
// into errors and writing workflow commands to stderr, because stdout
// carries the tools' results (the runner reads commands from both).
package ghaction

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/diag"
	"github.com/sethvargo/go-githubactions"
)

// Action is one workflow step's view of the runner.
type Action struct {
	gha    *githubactions.Action
	getenv func(string) string
}

// New returns an Action that reads the environment through getenv (os.Getenv
// in the tools, a map in tests) and writes workflow commands to w.
func New(getenv func(string) string, w io.Writer) *Action {
	return &Action{
		gha:    githubactions.New(githubactions.WithGetenv(getenv), githubactions.WithWriter(w)),
		getenv: getenv,
	}
}

// InWorkflow tells whether the tool runs inside a GitHub Actions step.
func (a *Action) InWorkflow() bool { return a.getenv("GITHUB_ACTIONS") == "true" }

// SetOutput sets a step output. Values may span lines and be large; each
// write uses a fresh random heredoc delimiter so no value can end it early.
func (a *Action) SetOutput(name, value string) error {
	if a.getenv("GITHUB_OUTPUT") == "" {
		return errors.New("cannot set step output " + name + ": GITHUB_OUTPUT is not set (is this a workflow step?)")
	}
	if name == "" || strings.ContainsAny(name, "\r\n<=") {
		return fmt.Errorf("invalid step output name %q", name)
	}
	delim, err := delimiter(value)
	if err != nil {
		return err
	}
	return a.fileCommand("output", fmt.Sprintf("%s<<%s\n%s\n%s", name, delim, value, delim))
}

// AddStepSummary appends Markdown to the job summary.
func (a *Action) AddStepSummary(markdown string) error {
	if a.getenv("GITHUB_STEP_SUMMARY") == "" {
		return errors.New("cannot write the job summary: GITHUB_STEP_SUMMARY is not set (is this a workflow step?)")
	}
	return a.fileCommand("step-summary", markdown)
}

func (a *Action) fileCommand(name, msg string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("writing GitHub Actions %s file: %v", name, r)
		}
	}()
	a.gha.IssueFileCommand(&githubactions.Command{Name: name, Message: msg})
	return nil
}

// Error writes an error annotation for d; GitHub shows it on the file and
// line in the pull request and the run summary.
func (a *Action) Error(d diag.Diagnostic) error { return a.annotate("error", d) }

// Warning writes a warning annotation for d.
func (a *Action) Warning(d diag.Diagnostic) error { return a.annotate("warning", d) }

func (a *Action) annotate(level string, d diag.Diagnostic) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("writing GitHub Actions annotation: %v", r)
		}
	}()
	props := githubactions.CommandProperties{}
	if d.File != "" {
		props["file"] = d.File
	}
	if d.Line > 0 {
		props["line"] = fmt.Sprint(d.Line)
	}
	if d.Col > 0 {
		props["col"] = fmt.Sprint(d.Col)
	}
	msg := d.Message
	if d.Path != "" {
		msg = d.Path + ": " + msg
	}
	a.gha.IssueCommand(&githubactions.Command{Name: level, Message: msg, Properties: props})
	return nil
}

// ReportAll writes an error annotation for every diagnostic in err when it
// is a diag.List and the tool runs in a workflow.
func (a *Action) ReportAll(err error) error {
	var l diag.List
	if !a.InWorkflow() || !errors.As(err, &l) {
		return nil
	}
	for _, d := range l {
		if werr := a.Error(d); werr != nil {
			return werr
		}
	}
	return nil
}

func delimiter(value string) (string, error) {
	for range 4 {
		var b [12]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", fmt.Errorf("making an output delimiter: %w", err)
		}
		d := "ghadelimiter_" + hex.EncodeToString(b[:])
		if !strings.Contains(value, d) {
			return d, nil
		}
	}
	return "", errors.New("could not find an output delimiter absent from the value")
}
