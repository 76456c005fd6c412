package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/inferencex/inferencex-go/tools/mcpserver/internal/fixture"
	"github.com/inferencex/inferencex-go/tools/mcpserver/internal/testrepo"
	"github.com/inferencex/inferencex-go/tools/mcpserver/server"
)

var binary string

// TestMain builds the binary that the end-to-end test runs.
func TestMain(m *testing.M) {
	testrepo.Hermetic()
	dir, err := os.MkdirTemp("", "mcpserver-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "mcpserver")
	if runtime.GOOS == "windows" {
		binary += ".exe"
	}
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		os.RemoveAll(dir)
		panic("building mcpserver: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cleanEnv is the test process's environment without the variables that
// steer the server, plus extra.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "INFERENCEX_ROOT", "INFERENCEMAX_ROOT", "INFERENCEX_MCP_CACHE", "XDG_CACHE_HOME":
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// TestStdio runs the built binary the way .mcp.json does, in a user's
// checkout with its configs, and drives it over stdin/stdout with the SDK
// client.
func TestStdio(t *testing.T) {
	u := fixture.Build(t, t.TempDir())
	user := t.TempDir()
	fixture.WriteConfigs(t, user)
	testrepo.Git(t, user, "init", "--quiet", "--initial-branch=main")
	testrepo.Git(t, user, "add", "--all")
	testrepo.Git(t, user, "commit", "--quiet", "-m", "configs")
	head := testrepo.Git(t, user, "rev-parse", "HEAD")
	xdg := t.TempDir()

	cmd := exec.Command(binary,
		"--repo", "vllm="+u.VLLM, "sglang="+u.SGLang, "trtllm="+u.TRTLLM, "dynamo="+u.Missing,
		"--prefetch", "vllm")
	cmd.Dir = user
	cmd.Env = cleanEnv("XDG_CACHE_HOME=" + xdg)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr

	changed := make(chan struct{}, 10)
	client := mcp.NewClient(&mcp.Implementation{Name: "stdio-test", Version: "v0"}, &mcp.ClientOptions{
		ResourceListChangedHandler: func(context.Context, *mcp.ResourceListChangedRequest) { changed <- struct{}{} },
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cs, err := client.Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatal(err)
	}

	call := func(name string, args map[string]any, out any) string {
		t.Helper()
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		text := res.Content[0].(*mcp.TextContent).Text
		if res.IsError {
			t.Fatalf("%s failed: %s", name, text)
		}
		data, _ := json.Marshal(res.StructuredContent)
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatal(err)
		}
		return text
	}

	// The background prefetch of vLLM announces its files.
	select {
	case <-changed:
	case <-time.After(30 * time.Second):
		t.Fatalf("no list_changed after the prefetch; stderr:\n%s", stderr.String())
	}
	var uris []string
	for r, err := range cs.Resources(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		uris = append(uris, r.URI)
	}
	if !slices.Contains(uris, "vllm:///vllm/core/scheduler.py") || len(uris) != 6 {
		t.Errorf("resources = %v", uris)
	}

	// Versions come from the configs in the working directory.
	var versions server.ListVersionsOut
	call("list_versions", nil, &versions)
	if versions.Frameworks[0].Primary != "0.13.0" || versions.Frameworks[0].Served == nil || versions.Frameworks[0].Served.Tag != "v0.13.0" {
		t.Errorf("list_versions = %+v", versions.Frameworks[0])
	}
	res, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "vllm:///vllm/core/scheduler.py"})
	if err != nil || res.Contents[0].Text != fixture.SchedulerV0130 {
		t.Errorf("read = %+v, %v", res, err)
	}
	if _, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "vllm:///../../etc/passwd"}); err == nil || !strings.Contains(err.Error(), "escapes the repository") {
		t.Errorf("traversal read: %v", err)
	}

	var sw server.SwitchOut
	call("switch_version", map[string]any{"framework": "sglang", "version": "0.5.7"}, &sw)
	if sw.Served.Tag != "v0.5.7" {
		t.Errorf("switch = %+v", sw)
	}
	var tags server.ListTagsOut
	call("list_tags", map[string]any{"framework": "sglang", "sort": "semver", "limit": 1}, &tags)
	if len(tags.Tags) != 1 || tags.Tags[0].Name != "v0.5.7" {
		t.Errorf("list_tags = %+v", tags)
	}
	var g server.GrepOut
	call("grep", map[string]any{"framework": "sglang", "pattern": "chunked_prefill_size"}, &g)
	if len(g.Matches) != 1 || g.Matches[0].Text != "chunked_prefill_size: int = 16384" {
		t.Errorf("grep = %+v", g)
	}
	var d server.DiffOut
	call("diff_versions", map[string]any{"framework": "sglang", "from": "0.5.6", "to": "0.5.7"}, &d)
	if d.Files != 2 {
		t.Errorf("diff = %+v", d)
	}

	if err := cs.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit status %d; stderr:\n%s", code, stderr.String())
	}

	// The cache went to $XDG_CACHE_HOME; the user's checkout is untouched.
	for _, name := range []string{"vllm", "sglang"} {
		matches, _ := filepath.Glob(filepath.Join(xdg, "inferencex-mcp", "repos", name+"-*.git"))
		if len(matches) != 1 {
			t.Errorf("%s clone in the XDG cache: %v", name, matches)
		}
	}
	if status := testrepo.Git(t, user, "status", "--porcelain", "--ignored"); status != "" {
		t.Errorf("user checkout changed:\n%s", status)
	}
	if now := testrepo.Git(t, user, "rev-parse", "HEAD"); now != head {
		t.Errorf("user HEAD moved from %s to %s", head, now)
	}
	if !strings.Contains(stderr.String(), "msg=serving framework=vllm tag=v0.13.0") {
		t.Errorf("stderr lacks the serving log:\n%s", stderr.String())
	}
}

func TestRunCommandLine(t *testing.T) {
	tests := []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"--help"}, 0, "usage: mcpserver", ""},
		{[]string{"--repo", "vllm"}, 2, "", `mcpserver: error: argument --repo: expected FRAMEWORK=URL, got "vllm"`},
		{[]string{"--repo", "tgi=https://example.com/tgi.git"}, 2, "", `repository override: unknown framework "tgi"`},
		{[]string{"--prefetch", "atom"}, 2, "", `prefetch: unknown framework "atom"`},
		{[]string{"--max-file-size", "0"}, 2, "", "argument --max-file-size: must be positive, got 0"},
		{[]string{"--max-file-size", "big"}, 2, "", "invalid int value"},
		{[]string{"--root", "x", "--config-files", "a.yaml"}, 2, "", "not allowed with argument --root"},
		{[]string{"--no-such-flag"}, 2, "", "unrecognized arguments"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append(tt.args, "--cache-dir", t.TempDir()), nil, &stdout, &stderr)
		if code != tt.code || !strings.Contains(stdout.String(), tt.stdout) || !strings.Contains(stderr.String(), tt.stderr) {
			t.Errorf("run(%v) = %d\nstdout: %s\nstderr: %s\nwant %d, %q, %q", tt.args, code, stdout.String(), stderr.String(), tt.code, tt.stdout, tt.stderr)
		}
	}
}

func TestParseDefaults(t *testing.T) {
	t.Setenv("INFERENCEX_MCP_CACHE", "")
	t.Setenv("INFERENCEX_ROOT", "")
	t.Setenv("INFERENCEMAX_ROOT", "")
	xdg := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", xdg)
	cfg, err := parse(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	o := cfg.opts
	if runtime.GOOS != "darwin" && runtime.GOOS != "windows" && o.CacheDir != filepath.Join(xdg, "inferencex-mcp") {
		t.Errorf("cache dir %q, want under %s", o.CacheDir, xdg)
	}
	if !slices.Equal(o.ConfigFiles, []string{"configs/nvidia-master.yaml", "configs/amd-master.yaml"}) {
		t.Errorf("config files %v", o.ConfigFiles)
	}
	if !slices.Equal(o.Prefetch, []string{"vllm", "sglang"}) || o.Filter.MaxFileSize != 1<<20 || o.Filter.IncludeTests {
		t.Errorf("options %+v", o)
	}

	// The original's INFERENCEMAX_ROOT still works; INFERENCEX_ROOT wins.
	t.Setenv("INFERENCEMAX_ROOT", "/old")
	cfg, _ = parse(nil, nil)
	if cfg.opts.ConfigFiles[0] != "/old/configs/nvidia-master.yaml" {
		t.Errorf("INFERENCEMAX_ROOT: %v", cfg.opts.ConfigFiles)
	}
	t.Setenv("INFERENCEX_ROOT", "/new")
	cfg, _ = parse(nil, nil)
	if cfg.opts.ConfigFiles[0] != "/new/configs/nvidia-master.yaml" {
		t.Errorf("INFERENCEX_ROOT: %v", cfg.opts.ConfigFiles)
	}
	t.Setenv("INFERENCEX_MCP_CACHE", "/var/cache/mcp")
	cfg, _ = parse([]string{"--prefetch", "--include-tests", "--max-file-size", "5000", "--repo", "vllm=/mirror/vllm.git", "--config-files", "a.yaml", "b.yaml"}, nil)
	o = cfg.opts
	if o.CacheDir != "/var/cache/mcp" || len(o.Prefetch) != 0 || !o.Filter.IncludeTests || o.Filter.MaxFileSize != 5000 ||
		o.Repos["vllm"] != "/mirror/vllm.git" || !slices.Equal(o.ConfigFiles, []string{"a.yaml", "b.yaml"}) {
		t.Errorf("options %+v", o)
	}
}

// TestMCPJSON checks the registration in the repository's .mcp.json: the
// server name the original used (permission rules name it) and a command
// that runs this package from the repository root.
func TestMCPJSON(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", ".mcp.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		MCPServers map[string]struct {
			Command string   `json:"command"`
			Args    []string `json:"args"`
		} `json:"mcpServers"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf(".mcp.json: %v", err)
	}
	s, ok := cfg.MCPServers[server.Name]
	if !ok || len(cfg.MCPServers) != 1 {
		t.Fatalf(".mcp.json servers = %v, want only %s", cfg.MCPServers, server.Name)
	}
	if s.Command != "go" || !slices.Equal(s.Args, []string{"run", "./tools/mcpserver"}) {
		t.Errorf(".mcp.json runs %s %v", s.Command, s.Args)
	}
	if _, err := os.Stat(filepath.Join("..", "..", "tools", "mcpserver", "main.go")); err != nil {
		t.Errorf("the package .mcp.json runs: %v", err)
	}
}
