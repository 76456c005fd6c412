package changelog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
)

// Repo runs the git CLI in a working tree.
type Repo struct {
	Dir string // any directory inside the working tree
}

// RepoError is a problem with the repository's content (an unknown ref, a
// file missing at a ref), as opposed to git failing to run: bad input.
type RepoError struct{ Msg string }

func (e *RepoError) Error() string { return e.Msg }

// InputError is bad input that is not tied to a line of a file (a flag
// that the entries cannot take, a change with no new entries).
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

func inputErrorf(format string, args ...any) error {
	return &InputError{Msg: fmt.Sprintf(format, args...)}
}

func (r Repo) git(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = r.Dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return nil, &RepoError{Msg: fmt.Sprintf("git %s: %s", strings.Join(args, " "), strings.TrimSpace(stderr.String()))}
		}
		return nil, fmt.Errorf("running git: %w", err)
	}
	return stdout.Bytes(), nil
}

// Commit resolves a ref to a commit id; an unknown ref is a RepoError.
func (r Repo) Commit(ctx context.Context, ref string) (string, error) {
	if strings.HasPrefix(ref, "-") {
		return "", &RepoError{Msg: fmt.Sprintf("%q is not a ref", ref)}
	}
	out, err := r.git(ctx, "rev-parse", "--verify", "--quiet", "--end-of-options", ref+"^{commit}")
	if err != nil {
		var re *RepoError
		if errors.As(err, &re) {
			return "", &RepoError{Msg: fmt.Sprintf("unknown ref %q (is it fetched? a sweep needs the history: fetch-depth: 0)", ref)}
		}
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// RelPath turns a path (absolute or relative to the working directory of
// the process) into the path git uses inside the repository.
func (r Repo) RelPath(ctx context.Context, path string) (string, error) {
	out, err := r.git(ctx, "rev-parse", "--show-toplevel")
	if err != nil {
		return "", err
	}
	top, err := filepath.EvalSymlinks(strings.TrimSpace(string(out)))
	if err != nil {
		return "", err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		abs = filepath.Join(dir, filepath.Base(abs))
	}
	rel, err := filepath.Rel(top, abs)
	if err != nil || strings.HasPrefix(rel, "..") {
		return "", fmt.Errorf("%s is not inside the repository at %s", path, top)
	}
	return filepath.ToSlash(rel), nil
}

// Show returns a file's content at a commit (ref names the commit in
// messages); a missing file is a RepoError.
func (r Repo) Show(ctx context.Context, commit, ref, rel string) ([]byte, error) {
	out, err := r.git(ctx, "show", commit+":"+rel)
	if err != nil {
		var re *RepoError
		if errors.As(err, &re) {
			return nil, &RepoError{Msg: fmt.Sprintf("%s does not exist at %s", rel, ref)}
		}
		return nil, err
	}
	return out, nil
}

// Diff returns the unified diff of one file between two commits, or between
// a commit and the working tree when head is "".
func (r Repo) Diff(ctx context.Context, base, head, rel string) (string, error) {
	args := []string{"diff", "--no-color", "--no-ext-diff", "--no-renames", "-U0", base}
	if head != "" {
		args = append(args, head)
	}
	args = append(args, "--", rel)
	out, err := r.git(ctx, args...)
	if err != nil {
		return "", err
	}
	return string(out), nil
}
