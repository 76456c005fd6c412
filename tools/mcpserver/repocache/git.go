// Package repocache keeps bare, partial clones of upstream repositories in a
// cache folder and extracts read-only trees of their files at given
// commits. It runs the git command line and never touches a work tree of
// the user's: every command names its cache repository with --git-dir.
package repocache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// GitError is a git command that failed; Stderr holds what it said.
type GitError struct {
	Args   []string
	Stderr string
	Err    error
}

func (e *GitError) Error() string {
	msg := strings.TrimSpace(e.Stderr)
	// Keep the end: git puts the reason last ("fatal: ...").
	if lines := strings.Split(msg, "\n"); len(lines) > 6 {
		msg = strings.Join(lines[len(lines)-6:], "\n")
	}
	if msg == "" {
		msg = e.Err.Error()
	}
	return fmt.Sprintf("git %s: %s", subcommand(e.Args), msg)
}

// subcommand names the git command run, without the global options
// (--git-dir=, -c key=value) that only say where and how.
func subcommand(args []string) string {
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-c":
			i++
		case strings.HasPrefix(a, "-"):
		default:
			return a
		}
	}
	return strings.Join(args, " ")
}

func (e *GitError) Unwrap() error { return e.Err }

// gitEnv is the environment of every git command: the caller's, less what
// would point git at another repository or work tree (set when the server
// is started from a git hook, say), and with prompts off so that a
// repository that wants credentials fails instead of waiting on a terminal
// nobody watches. Git LFS is told not to download content: the pointers
// are filtered out anyway.
func gitEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
			"GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_NAMESPACE",
			"GIT_CEILING_DIRECTORIES", "GIT_PREFIX", "GIT_QUARANTINE_PATH":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "GIT_TERMINAL_PROMPT=0", "GIT_LFS_SKIP_SMUDGE=1", "LC_ALL=C")
}

// git runs one git command and returns its standard output. stdin may be
// nil. A cancelled ctx kills the command.
func (c *Cache) git(ctx context.Context, stdin io.Reader, args ...string) ([]byte, error) {
	var out, errb bytes.Buffer
	cmd := c.command(ctx, args...)
	cmd.Stdin = stdin
	cmd.Stdout = &out
	cmd.Stderr = &errb
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &GitError{Args: args, Stderr: errb.String(), Err: err}
	}
	return out.Bytes(), nil
}

func (c *Cache) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, c.gitPath(), args...)
	cmd.Env = gitEnv()
	// Run outside any repository so that nothing is discovered from the
	// working directory.
	cmd.Dir = c.Dir
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

func (c *Cache) gitPath() string {
	if c.Git != "" {
		return c.Git
	}
	return "git"
}

// isExit reports whether err is a git run that exited with code.
func isExit(err error, code int) bool {
	var ee *exec.ExitError
	return errors.As(err, &ee) && ee.ExitCode() == code
}
