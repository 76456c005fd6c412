// Package testrepo builds local bare git repositories with tags, stand-ins
// for the upstream repositories of the serving stacks, so that tests run
// without a network.
package testrepo

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Commit is one commit of a fixture history.
type Commit struct {
	Files   map[string]string // path -> content, written before committing
	Delete  []string          // paths removed before committing
	Symlink map[string]string // path -> link target
	Tags    []string          // lightweight tags on this commit
	// Annotated tags on this commit.
	Annotated []string
}

// Build creates a bare repository under dir holding the commits in order
// (commit i is dated 2025-01-01 plus i days) and returns its file:// URL.
// The repository serves partial clones, as GitHub does.
func Build(t testing.TB, dir string, commits []Commit) string {
	t.Helper()
	work := filepath.Join(dir, "work")
	bare := filepath.Join(dir, "upstream.git")
	Git(t, "", "init", "--quiet", "--initial-branch=main", work)
	base := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	for i, c := range commits {
		for p, content := range c.Files {
			full := filepath.Join(work, filepath.FromSlash(p))
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		for p, target := range c.Symlink {
			full := filepath.Join(work, filepath.FromSlash(p))
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, full); err != nil {
				t.Fatal(err)
			}
		}
		for _, p := range c.Delete {
			if err := os.Remove(filepath.Join(work, filepath.FromSlash(p))); err != nil {
				t.Fatal(err)
			}
		}
		when := base.AddDate(0, 0, i).Format(time.RFC3339)
		Git(t, work, "add", "--all")
		GitEnv(t, work, []string{"GIT_AUTHOR_DATE=" + when, "GIT_COMMITTER_DATE=" + when},
			"commit", "--quiet", "--allow-empty", "-m", fmt.Sprintf("commit %d", i))
		for _, tag := range c.Tags {
			Git(t, work, "tag", tag)
		}
		for _, tag := range c.Annotated {
			GitEnv(t, work, []string{"GIT_COMMITTER_DATE=" + when}, "tag", "-a", "-m", "release "+tag, tag)
		}
	}
	Git(t, "", "clone", "--quiet", "--bare", work, bare)
	Git(t, bare, "config", "uploadpack.allowFilter", "true")
	return "file://" + filepath.ToSlash(bare)
}

// Hermetic keeps the developer's git configuration (abbreviation length,
// diff prefixes, signing, URL rewrites) out of the git commands that the
// code under test runs. Call it from TestMain.
func Hermetic() {
	os.Setenv("GIT_CONFIG_GLOBAL", os.DevNull)
	os.Setenv("GIT_CONFIG_NOSYSTEM", "1")
}

// Git runs git in dir (none if "") with a fixed identity and no user or
// system configuration, and returns its output.
func Git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	return GitEnv(t, dir, nil, args...)
}

// GitEnv is Git with extra environment variables.
func GitEnv(t testing.TB, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GIT_CONFIG_GLOBAL="+os.DevNull, "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=fixture", "GIT_AUTHOR_EMAIL=fixture@example.com",
		"GIT_COMMITTER_NAME=fixture", "GIT_COMMITTER_EMAIL=fixture@example.com")
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}
