package repocheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// CheckSyntax runs bash -n on each file (relative to root).
func CheckSyntax(ctx context.Context, root string, files []string) ([]Problem, error) {
	var problems []Problem
	for _, f := range files {
		cmd := exec.CommandContext(ctx, "bash", "-n", f)
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		switch {
		case errors.As(err, &exit):
			problems = append(problems, Problem{File: f, Msg: "bash -n: " + strings.TrimSpace(string(out))})
		case err != nil:
			return nil, fmt.Errorf("bash -n %s: %w", f, err)
		}
	}
	return problems, nil
}

// ErrNoShellcheck is returned when shellcheck is not installed.
var ErrNoShellcheck = errors.New("shellcheck is not installed (Debian: apt-get install shellcheck)")

// ShellcheckArgs are the options every shellcheck run of the project uses
// (make lint too): follow sourced files, resolved from each script's own
// directory.
var ShellcheckArgs = []string{"--external-sources", "--source-path=SCRIPTDIR"}

// gcc format: file:line:col: level: message [SCnnnn]
var gccLine = regexp.MustCompile(`^(.+?):(\d+):(\d+): (\w+): (.*)$`)

// Shellcheck runs shellcheck on the files (relative to root) and returns every
// finding, of any severity. The files are shared out over parallel runs: each
// one re-reads the libraries its scripts source.
func Shellcheck(ctx context.Context, root string, files []string) ([]Problem, error) {
	if _, err := exec.LookPath("shellcheck"); err != nil {
		return nil, ErrNoShellcheck
	}
	shards := min(runtime.NumCPU(), 4, len(files))
	if shards == 0 {
		return nil, nil
	}
	results := make([][]Problem, shards)
	errs := make([]error, shards)
	var wg sync.WaitGroup
	for i := range shards {
		var part []string
		for j := i; j < len(files); j += shards {
			part = append(part, files[j])
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = shellcheck(ctx, root, part)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var problems []Problem
	for _, r := range results {
		problems = append(problems, r...)
	}
	slices.SortStableFunc(problems, func(a, b Problem) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		return a.Line - b.Line
	})
	return problems, nil
}

func shellcheck(ctx context.Context, root string, files []string) ([]Problem, error) {
	args := append(append([]string{"--format=gcc"}, ShellcheckArgs...), files...)
	cmd := exec.CommandContext(ctx, "shellcheck", args...)
	cmd.Dir = root
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	// Exit 1 means findings; anything else is shellcheck failing to run.
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) {
		return nil, fmt.Errorf("shellcheck: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	var problems []Problem
	for _, l := range strings.Split(stdout.String(), "\n") {
		if l == "" {
			continue
		}
		m := gccLine.FindStringSubmatch(l)
		if m == nil {
			problems = append(problems, Problem{File: "shellcheck", Msg: l})
			continue
		}
		line, _ := strconv.Atoi(m[2])
		problems = append(problems, Problem{File: m[1], Line: line, Msg: fmt.Sprintf("col %s: %s: %s", m[3], m[4], m[5])})
	}
	if err != nil && len(problems) == 0 {
		return nil, fmt.Errorf("shellcheck failed without a finding: %s", strings.TrimSpace(stderr.String()))
	}
	return problems, nil
}
