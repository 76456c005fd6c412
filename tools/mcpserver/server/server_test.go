package server

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/inferencex/inferencex-go/tools/mcpserver/internal/fixture"
	"github.com/inferencex/inferencex-go/tools/mcpserver/internal/testrepo"
	"github.com/inferencex/inferencex-go/tools/mcpserver/srctree"
)

var (
	upstreamOnce sync.Once
	upstreams    fixture.Upstreams
	upstreamDir  string
)

// shared builds the stand-in upstreams once per test binary; tests that
// change an upstream build their own.
func shared(t *testing.T) fixture.Upstreams {
	upstreamOnce.Do(func() {
		dir, err := os.MkdirTemp("", "mcpserver-upstreams-")
		if err != nil {
			t.Fatal(err)
		}
		upstreamDir = dir
		upstreams = fixture.Build(t, dir)
	})
	return upstreams
}

func TestMain(m *testing.M) {
	testrepo.Hermetic()
	code := m.Run()
	if upstreamDir != "" {
		os.RemoveAll(upstreamDir)
	}
	os.Exit(code)
}

type harness struct {
	srv      *Server
	cs       *mcp.ClientSession
	changed  chan struct{}
	progress chan string
	opts     Options
}

func defaultOptions(t *testing.T, u fixture.Upstreams) Options {
	return Options{
		ConfigFiles: fixture.WriteConfigs(t, t.TempDir()),
		CacheDir:    t.TempDir(),
		Repos:       u.Repos(),
		Filter:      srctree.DefaultFilter(),
	}
}

// start connects an SDK client to a new server over in-memory transports.
func start(t *testing.T, opts Options) *harness {
	t.Helper()
	ctx := context.Background()
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{srv: srv, changed: make(chan struct{}, 100), progress: make(chan string, 100), opts: opts}
	client := mcp.NewClient(&mcp.Implementation{Name: "test-client", Version: "v0"}, &mcp.ClientOptions{
		ResourceListChangedHandler: func(context.Context, *mcp.ResourceListChangedRequest) {
			h.changed <- struct{}{}
		},
		ProgressNotificationHandler: func(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
			h.progress <- req.Params.Message
		},
	})
	st, ct := mcp.NewInMemoryTransports()
	ss, err := srv.MCP().Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := client.Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cs.Close()
		ss.Wait()
		srv.Close()
	})
	h.cs = cs
	return h
}

// call invokes a tool and decodes its structured output into out (unless
// nil). It returns the text content and whether the result is an error.
func (h *harness) call(t *testing.T, name string, args map[string]any, out any) (string, bool) {
	t.Helper()
	res, err := h.cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: protocol error %v", name, err)
	}
	var text strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			text.WriteString(tc.Text)
		}
	}
	if out != nil && !res.IsError {
		data, err := json.Marshal(res.StructuredContent)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s: structured output %s: %v", name, data, err)
		}
	}
	return text.String(), res.IsError
}

// mustCall is call for a tool that must succeed.
func (h *harness) mustCall(t *testing.T, name string, args map[string]any, out any) string {
	t.Helper()
	text, isErr := h.call(t, name, args, out)
	if isErr {
		t.Fatalf("%s(%v) failed: %s", name, args, text)
	}
	return text
}

// mustFail is call for a tool that must fail with a message containing want.
func (h *harness) mustFail(t *testing.T, name string, args map[string]any, want string) {
	t.Helper()
	text, isErr := h.call(t, name, args, nil)
	if !isErr || !strings.Contains(text, want) {
		t.Errorf("%s(%v) = %q (error %v); want an error containing %q", name, args, text, isErr, want)
	}
}

func (h *harness) read(t *testing.T, uri string) (string, error) {
	t.Helper()
	res, err := h.cs.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: uri})
	if err != nil {
		return "", err
	}
	if len(res.Contents) != 1 {
		t.Fatalf("%s: %d contents", uri, len(res.Contents))
	}
	return res.Contents[0].Text, nil
}

func (h *harness) resourceURIs(t *testing.T) []string {
	t.Helper()
	var uris []string
	for r, err := range h.cs.Resources(context.Background(), nil) {
		if err != nil {
			t.Fatal(err)
		}
		uris = append(uris, r.URI)
	}
	slices.Sort(uris)
	return uris
}

func (h *harness) waitChanged(t *testing.T) {
	t.Helper()
	select {
	case <-h.changed:
	case <-time.After(10 * time.Second):
		t.Fatal("no resources/list_changed notification")
	}
}

func TestToolsAndTemplates(t *testing.T) {
	h := start(t, defaultOptions(t, shared(t)))
	ctx := context.Background()
	res, err := h.cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
	}
	slices.Sort(names)
	if want := []string{"diff_versions", "grep", "list_tags", "list_versions", "switch_version"}; !slices.Equal(names, want) {
		t.Errorf("tools = %v, want %v", names, want)
	}
	// The schema of list_tags carries its bounds and choices.
	for _, tool := range res.Tools {
		if tool.Name != "list_tags" {
			continue
		}
		data, _ := json.Marshal(tool.InputSchema)
		for _, want := range []string{`"maximum":100`, `"minimum":1`, `"default":20`, `"enum":["time","name","semver"]`, `"required":["framework"]`} {
			if !strings.Contains(string(data), want) {
				t.Errorf("list_tags schema lacks %s: %s", want, data)
			}
		}
	}
	var templates []string
	for rt, err := range h.cs.ResourceTemplates(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		templates = append(templates, rt.URITemplate)
	}
	slices.Sort(templates)
	want := []string{
		"dynamo:///{+path}", "dynamo://{version}/{+path}", "sglang:///{+path}", "sglang://{version}/{+path}",
		"trtllm:///{+path}", "trtllm://{version}/{+path}", "vllm:///{+path}", "vllm://{version}/{+path}",
	}
	if !slices.Equal(templates, want) {
		t.Errorf("templates = %v", templates)
	}
	if got := h.cs.InitializeResult().ServerInfo.Name; got != "inferencemax-repos" {
		t.Errorf("server name %q", got)
	}
	// Nothing is cloned before it is needed.
	if uris := h.resourceURIs(t); len(uris) != 0 {
		t.Errorf("resources before first use: %v", uris)
	}
	if entries, _ := os.ReadDir(filepath.Join(h.opts.CacheDir, "repos")); len(entries) != 0 {
		t.Errorf("cloned before first use: %v", entries)
	}
}

func TestListVersions(t *testing.T) {
	u := shared(t)
	h := start(t, defaultOptions(t, u))
	var out ListVersionsOut
	text := h.mustCall(t, "list_versions", nil, &out)
	got := map[string][]string{}
	for _, f := range out.Frameworks {
		for _, v := range f.Versions {
			got[f.Framework] = append(got[f.Framework], v.Version)
		}
		if f.Served != nil {
			t.Errorf("%s served before first use", f.Framework)
		}
	}
	want := map[string][]string{
		"vllm":   {"0.13.0", "0.10.1"},
		"sglang": {"0.5.6.post1", "0.5.6"},
		"trtllm": {"1.2.0rc6.post2"},
		"dynamo": {"0.8.1"},
	}
	for fw, vs := range want {
		if !slices.Equal(got[fw], vs) {
			t.Errorf("%s versions = %v, want %v", fw, got[fw], vs)
		}
	}
	if out.Frameworks[0].Primary != "0.13.0" || out.Frameworks[0].Repository != u.VLLM {
		t.Errorf("vllm = %+v", out.Frameworks[0])
	}
	if len(out.Unmapped) != 1 || out.Unmapped[0].Config != "dsr1-fp4-mi355x-atom" {
		t.Errorf("unmapped = %+v", out.Unmapped)
	}
	for _, want := range []string{
		"0.13.0 (primary): gptoss-fp4-h100-vllm (vllm/vllm-openai:v0.13.0)",
		"image names no version: dsr1-fp4-gb200-dynamo-trt (nvcr.io/nvidia/ai-dynamo/tensorrtllm-runtime:0.8.1)",
		"served: not yet",
		"not a framework this server knows: dsr1-fp4-mi355x-atom",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("list_versions text lacks %q:\n%s", want, text)
		}
	}
	// Once a framework is used, list_versions says what is served.
	if _, err := h.read(t, "vllm:///README.md"); err != nil {
		t.Fatal(err)
	}
	h.mustCall(t, "list_versions", nil, &out)
	if s := out.Frameworks[0].Served; s == nil || s.Tag != "v0.13.0" || s.Requested != "0.13.0" || s.Files == 0 || s.Source != "newest version in the master configs" {
		t.Errorf("served = %+v", s)
	}
}

func TestListVersionsBadConfig(t *testing.T) {
	opts := defaultOptions(t, shared(t))
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("a:\n  image: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	opts.ConfigFiles = []string{bad}
	h := start(t, opts)
	h.mustFail(t, "list_versions", nil, "reading the master configs: "+bad+":")
	// The served version cannot be chosen either, and the error says how
	// to get on.
	_, err := h.read(t, "vllm:///README.md")
	if err == nil || !strings.Contains(err.Error(), "pick a version with switch_version") {
		t.Errorf("read with a broken config: %v", err)
	}
	h.mustCall(t, "switch_version", map[string]any{"framework": "vllm", "version": "0.10.1"}, nil)
	if text, err := h.read(t, "vllm:///vllm/core/scheduler.py"); err != nil || text != fixture.SchedulerV0101 {
		t.Errorf("after switch: %q, %v", text, err)
	}
}

func TestResources(t *testing.T) {
	opts := defaultOptions(t, shared(t))
	opts.Prefetch = []string{"vllm"}
	h := start(t, opts)
	h.srv.Prefetch(context.Background())
	h.waitChanged(t)

	uris := h.resourceURIs(t)
	want := []string{
		"vllm:///README.md",
		"vllm:///csrc/attention.cu",
		"vllm:///docs/name%20with%20space.md",
		"vllm:///vllm/core/scheduler.py",
		"vllm:///vllm/engine/arg_utils.py",
		"vllm:///vllm/v1/core/sched.py",
	}
	if !slices.Equal(uris, want) {
		t.Errorf("resources = %v\nwant %v", uris, want)
	}
	if text, err := h.read(t, "vllm:///vllm/core/scheduler.py"); err != nil || text != fixture.SchedulerV0130 {
		t.Errorf("read = %q, %v", text, err)
	}
	if text, err := h.read(t, "vllm:///docs/name%20with%20space.md"); err != nil || text != "spaces survive\n" {
		t.Errorf("read escaped name = %q, %v", text, err)
	}
	// Another version, by tag or version spelling, without switching.
	for _, uri := range []string{"vllm://v0.10.1/vllm/core/scheduler.py", "vllm://0.10.1/vllm/core/scheduler.py"} {
		if text, err := h.read(t, uri); err != nil || text != fixture.SchedulerV0101 {
			t.Errorf("read %s = %q, %v", uri, text, err)
		}
	}
	if text, err := h.read(t, "vllm:///vllm/core/scheduler.py"); err != nil || text != fixture.SchedulerV0130 {
		t.Errorf("served version changed by a versioned read: %q, %v", text, err)
	}
	// A framework not yet used is cloned by its first read.
	if text, err := h.read(t, "sglang:///python/sglang/srt/server_args.py"); err != nil || text != "chunked_prefill_size: int = 16384\n" {
		t.Errorf("sglang read = %q, %v", text, err)
	}
	res, err := h.cs.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: "vllm:///README.md"})
	if err != nil || res.Contents[0].MIMEType != "text/markdown" || res.Contents[0].URI != "vllm:///README.md" {
		t.Errorf("README contents = %+v, %v", res, err)
	}
}

func TestResourceErrors(t *testing.T) {
	opts := defaultOptions(t, shared(t))
	h := start(t, opts)
	tests := []struct {
		uri  string
		code int64
		msg  string
	}{
		{"vllm:///../../etc/passwd", jsonrpc.CodeInvalidParams, `path "../../etc/passwd" refused: escapes the repository`},
		{"vllm:///vllm/../../../etc/passwd", jsonrpc.CodeInvalidParams, "escapes the repository"},
		{"vllm:///%2e%2e/%2e%2e/etc/passwd", jsonrpc.CodeInvalidParams, "escapes the repository"},
		{"vllm://v0.10.1/../secret", jsonrpc.CodeInvalidParams, "escapes the repository"},
		{"vllm:////etc/passwd", jsonrpc.CodeInvalidParams, "absolute path"},
		{"vllm:///tests/test_scheduler.py", jsonrpc.CodeInvalidParams, "tests/test_scheduler.py is not served: test directory tests/"},
		{"vllm:///docs/logo.png", jsonrpc.CodeInvalidParams, "docs/logo.png is not served: not a source or docs file type"},
		{"vllm:///vllm/nope.py", jsonrpc.CodeInvalidParams, "vllm at v0.13.0: vllm/nope.py: no such file"},
		{"vllm:///vllm/old_module.py", jsonrpc.CodeInvalidParams, "no such file"}, // deleted since v0.10.1
		{"vllm://v9.9.9/README.md", jsonrpc.CodeInternalError, `vllm: no tag matches version "v9.9.9"`},
		{"vllm:///README.md?x=1", jsonrpc.CodeInvalidParams, "query and fragment are not supported"},
		// The SDK's template matching refuses malformed escapes before the server sees them.
		{"vllm:///bad%zzpath", jsonrpc.CodeInvalidParams, "Resource not found"},
		{"atom:///README.md", jsonrpc.CodeInvalidParams, "Resource not found"},
	}
	for _, tt := range tests {
		_, err := h.read(t, tt.uri)
		var we *jsonrpc.Error
		if !errors.As(err, &we) {
			t.Errorf("read %s: %v, want a JSON-RPC error", tt.uri, err)
			continue
		}
		if we.Code != tt.code || !strings.Contains(we.Message, tt.msg) {
			t.Errorf("read %s: code %d %q; want code %d containing %q", tt.uri, we.Code, we.Message, tt.code, tt.msg)
		}
	}
	if text, err := h.read(t, "vllm:///vllm/./core//scheduler.py"); err != nil || text != fixture.SchedulerV0130 {
		t.Errorf("non-canonical but safe path: %q, %v", text, err)
	}
	if text, err := h.read(t, "vllm://v0.10.1/vllm/old_module.py"); err != nil || text != "OLD = True\n" {
		t.Errorf("file of an older version: %q, %v", text, err)
	}
}

func TestSwitchVersion(t *testing.T) {
	h := start(t, defaultOptions(t, shared(t)))
	var out SwitchOut
	text := h.mustCall(t, "switch_version", map[string]any{"framework": "vllm", "version": "0.10.1"}, &out)
	if out.Served.Tag != "v0.10.1" || out.Previous != "" || out.Served.Files != 6 || len(out.Served.Commit) != 40 {
		t.Errorf("switch = %+v", out)
	}
	if !strings.Contains(text, "Serving vllm at v0.10.1") {
		t.Errorf("text %q", text)
	}
	h.waitChanged(t)
	uris := h.resourceURIs(t)
	if !slices.Contains(uris, "vllm:///vllm/old_module.py") || slices.Contains(uris, "vllm:///vllm/v1/core/sched.py") {
		t.Errorf("resources at v0.10.1 = %v", uris)
	}
	if text, err := h.read(t, "vllm:///vllm/core/scheduler.py"); err != nil || text != fixture.SchedulerV0101 {
		t.Errorf("read after switch = %q, %v", text, err)
	}

	// A release-candidate spelling and a tag name both work.
	h.mustCall(t, "switch_version", map[string]any{"framework": "vllm", "version": "0.14.0-rc1"}, &out)
	if out.Served.Tag != "v0.14.0rc1" || out.Previous != "v0.10.1" {
		t.Errorf("switch to rc = %+v", out)
	}
	h.waitChanged(t)
	uris = h.resourceURIs(t)
	if slices.Contains(uris, "vllm:///vllm/old_module.py") || !slices.Contains(uris, "vllm:///vllm/v1/core/sched.py") {
		t.Errorf("resources at v0.14.0rc1 = %v", uris)
	}
	h.mustCall(t, "switch_version", map[string]any{"framework": "sglang", "version": "gateway-v0.1.0"}, &out)
	if out.Served.Tag != "gateway-v0.1.0" {
		t.Errorf("switch to a non-version tag = %+v", out)
	}

	// An untagged post-release is served from its release, and says so.
	text = h.mustCall(t, "switch_version", map[string]any{"framework": "trt", "version": "1.2.0rc6.post3"}, &out)
	if out.Framework != "trtllm" || out.Served.Tag != "v1.2.0rc6" || !strings.Contains(out.Served.Note, "no tag for 1.2.0rc6.post3; using v1.2.0rc6") || !strings.Contains(text, "Note: no tag for") {
		t.Errorf("post-release switch = %+v\n%s", out, text)
	}

	h.mustFail(t, "switch_version", map[string]any{"framework": "vllm", "version": "0.12.0"}, `vllm: no tag matches version "0.12.0" (nearest tags: v0.14.0, v0.14.0rc1, v0.13.0, v0.10.1)`)
	h.mustFail(t, "switch_version", map[string]any{"framework": "atom", "version": "0.1.1"}, `unknown framework "atom" (known: vllm, sglang, trtllm, dynamo)`)
	h.mustFail(t, "switch_version", map[string]any{"framework": "vllm", "version": " "}, "version is empty")
	h.mustFail(t, "switch_version", map[string]any{"framework": "vllm"}, "version")
	// A failed switch leaves the served version alone.
	if text, err := h.read(t, "vllm:///vllm/core/scheduler.py"); err != nil || text != fixture.SchedulerV0140 {
		t.Errorf("served version after failed switches = %q, %v", text, err)
	}
}

func TestSwitchFetchesNewTags(t *testing.T) {
	u := fixture.Build(t, t.TempDir())
	opts := defaultOptions(t, u)
	h := start(t, opts)
	h.mustCall(t, "switch_version", map[string]any{"framework": "vllm", "version": "0.13.0"}, nil)
	// Upstream tags a release after the clone; a new server process on the
	// same cache fetches it when asked for it.
	testrepo.Git(t, strings.TrimPrefix(u.VLLM, "file://"), "tag", "v0.15.0", "v0.14.0")
	h2 := start(t, opts)
	var out SwitchOut
	h2.mustCall(t, "switch_version", map[string]any{"framework": "vllm", "version": "0.15.0"}, &out)
	if out.Served.Tag != "v0.15.0" {
		t.Errorf("switch to a new tag = %+v", out)
	}
}

func TestListTags(t *testing.T) {
	h := start(t, defaultOptions(t, shared(t)))
	names := func(out ListTagsOut) []string {
		var n []string
		for _, tg := range out.Tags {
			n = append(n, tg.Name)
		}
		return n
	}
	tests := []struct {
		args     map[string]any
		want     []string
		matching int
	}{
		// Same-day ties (v0.14.0 and v0.14.0rc1 are a day apart) sort newest commit first.
		{map[string]any{"framework": "vllm"}, []string{"v0.14.0", "v0.14.0rc1", "v0.13.0", "v0.10.1"}, 4},
		{map[string]any{"framework": "vllm", "sort": "name"}, []string{"v0.10.1", "v0.13.0", "v0.14.0", "v0.14.0rc1"}, 4},
		{map[string]any{"framework": "vllm", "sort": "semver", "limit": 3}, []string{"v0.14.0", "v0.14.0rc1", "v0.13.0"}, 4},
		{map[string]any{"framework": "vllm", "query": "0.14"}, []string{"v0.14.0", "v0.14.0rc1"}, 2},
		{map[string]any{"framework": "sglang", "sort": "semver"}, []string{"v0.5.7", "v0.5.6.post1", "v0.5.6", "gateway-v0.1.0"}, 4},
		{map[string]any{"framework": "SGLang", "query": "GATEWAY"}, []string{"gateway-v0.1.0"}, 1},
		{map[string]any{"framework": "vllm", "query": "nothing"}, nil, 0},
	}
	for _, tt := range tests {
		var out ListTagsOut
		text := h.mustCall(t, "list_tags", tt.args, &out)
		if !slices.Equal(names(out), tt.want) || out.Matching != tt.matching {
			t.Errorf("list_tags(%v) = %v (%d matching); want %v (%d)\n%s", tt.args, names(out), out.Matching, tt.want, tt.matching, text)
		}
	}
	var out ListTagsOut
	text := h.mustCall(t, "list_tags", map[string]any{"framework": "vllm", "limit": 1}, &out)
	if tg := out.Tags[0]; tg.Version != "0.14.0" || len(tg.Commit) != 12 || tg.Time != "2025-01-04T12:00:00Z" {
		t.Errorf("tag = %+v", tg)
	}
	if !strings.Contains(text, "Tags of vllm sorted by time: 1 of 4") || !strings.Contains(text, "v0.14.0") {
		t.Errorf("text %q", text)
	}
	h.mustFail(t, "list_tags", map[string]any{"framework": "tgi"}, `unknown framework "tgi"`)
	h.mustFail(t, "list_tags", map[string]any{"framework": "vllm", "limit": 101}, "limit")
	h.mustFail(t, "list_tags", map[string]any{"framework": "vllm", "sort": "date"}, "sort")
}

func TestCloneFailure(t *testing.T) {
	u := shared(t)
	h := start(t, defaultOptions(t, u))
	h.mustFail(t, "list_tags", map[string]any{"framework": "dynamo"}, "cloning dynamo from "+u.Missing+" failed")
	h.mustFail(t, "switch_version", map[string]any{"framework": "dynamo", "version": "0.8.1"}, "cloning dynamo from")
	h.mustFail(t, "grep", map[string]any{"framework": "dynamo", "pattern": "x"}, "cloning dynamo from")
	_, err := h.read(t, "dynamo:///README.md")
	if err == nil || !strings.Contains(err.Error(), "cloning dynamo from") {
		t.Errorf("read of an uncloneable framework: %v", err)
	}
	// Other frameworks are unaffected.
	h.mustCall(t, "list_tags", map[string]any{"framework": "vllm"}, nil)
}

func TestPrefetchFailureIsLogged(t *testing.T) {
	opts := defaultOptions(t, shared(t))
	opts.Prefetch = []string{"dynamo", "vllm"}
	var logs syncBuffer
	opts.Logger = newTestLogger(&logs)
	h := start(t, opts)
	h.srv.Prefetch(context.Background())
	if !strings.Contains(logs.String(), "prefetch failed") || !strings.Contains(logs.String(), "framework=dynamo") {
		t.Errorf("logs lack the prefetch failure:\n%s", logs.String())
	}
	// The failure of one does not stop the next.
	if uris := h.resourceURIs(t); !slices.Contains(uris, "vllm:///README.md") {
		t.Errorf("vllm not prefetched after dynamo failed: %v", uris)
	}
}

func TestDefaultVersionWithoutConfigs(t *testing.T) {
	opts := defaultOptions(t, shared(t))
	missing := filepath.Join(t.TempDir(), "nvidia-master.yaml")
	opts.ConfigFiles = []string{missing}
	h := start(t, opts)
	var out ListVersionsOut
	h.mustCall(t, "list_versions", nil, &out)
	if !slices.Equal(out.Missing, []string{missing}) {
		t.Errorf("missing = %v", out.Missing)
	}
	// With no version in any config, the newest release (not a release
	// candidate) is served, and the note says why.
	if text, err := h.read(t, "vllm:///vllm/core/scheduler.py"); err != nil || text != fixture.SchedulerV0140 {
		t.Errorf("read = %q, %v", text, err)
	}
	h.mustCall(t, "list_versions", nil, &out)
	s := out.Frameworks[0].Served
	if s == nil || s.Tag != "v0.14.0" || s.Source != "newest release tag" || !strings.Contains(s.Note, "no master config found ("+missing+"); serving the newest release tag v0.14.0") {
		t.Errorf("served = %+v", s)
	}
}

func TestGrep(t *testing.T) {
	h := start(t, defaultOptions(t, shared(t)))
	var out GrepOut
	text := h.mustCall(t, "grep", map[string]any{"framework": "vllm", "pattern": `max_num_seqs|max-num-seqs`}, &out)
	var got []string
	for _, m := range out.Matches {
		got = append(got, m.Path+":"+m.URI)
	}
	want := []string{
		"vllm/core/scheduler.py:vllm:///vllm/core/scheduler.py",
		"vllm/engine/arg_utils.py:vllm:///vllm/engine/arg_utils.py",
	}
	if !slices.Equal(got, want) || out.Tag != "v0.13.0" || out.Truncated {
		t.Errorf("grep = %+v", out)
	}
	if !strings.Contains(text, "vllm/core/scheduler.py:2:     max_num_seqs = 256") {
		t.Errorf("text %q", text)
	}
	// At another version, limited to a directory, case-insensitive, with context.
	text = h.mustCall(t, "grep", map[string]any{"framework": "vllm", "pattern": "MAX_NUM_SEQS", "ignore_case": true, "path": "vllm/core/", "version": "v0.10.1", "context": 1}, &out)
	if len(out.Matches) != 1 || out.Tag != "v0.10.1" || out.Matches[0].URI != "vllm://v0.10.1/vllm/core/scheduler.py" || !slices.Equal(out.Matches[0].Before, []string{"class Scheduler:"}) {
		t.Errorf("versioned grep = %+v", out)
	}
	if !strings.Contains(text, "vllm/core/scheduler.py-1- class Scheduler:") {
		t.Errorf("context text %q", text)
	}
	h.mustCall(t, "grep", map[string]any{"framework": "vllm", "pattern": "def|class|parser", "max_results": 2}, &out)
	if len(out.Matches) != 2 || !out.Truncated {
		t.Errorf("bounded grep = %+v", out)
	}
	h.mustFail(t, "grep", map[string]any{"framework": "vllm", "pattern": "(unclosed"}, "invalid regular expression")
	h.mustFail(t, "grep", map[string]any{"framework": "vllm", "pattern": "x", "path": "../etc"}, "escapes the repository")
	h.mustFail(t, "grep", map[string]any{"framework": "vllm", "pattern": "x", "path": "nowhere"}, "vllm at v0.13.0: nowhere: no such file")
	h.mustFail(t, "grep", map[string]any{"framework": "vllm", "pattern": "x", "version": "0.99"}, `no tag matches version "0.99"`)
	h.mustFail(t, "grep", map[string]any{"framework": "vllm", "pattern": "x", "max_results": 5000}, "max_results")
	h.mustFail(t, "grep", map[string]any{"framework": "nope", "pattern": "x"}, `unknown framework "nope"`)
}

func TestDiffVersions(t *testing.T) {
	h := start(t, defaultOptions(t, shared(t)))
	var out DiffOut
	text := h.mustCall(t, "diff_versions", map[string]any{"framework": "vllm", "from": "0.10.1"}, &out)
	// to defaults to the served version (0.13.0, from the configs).
	if out.From.Tag != "v0.10.1" || out.To.Tag != "v0.13.0" || out.Files != 4 || out.Skipped != 0 {
		t.Errorf("diff = %+v", out)
	}
	var got []string
	for _, c := range out.Changes {
		got = append(got, c.Status+" "+c.Path)
	}
	want := []string{"M vllm/core/scheduler.py", "M vllm/engine/arg_utils.py", "D vllm/old_module.py", "A vllm/v1/core/sched.py"}
	if !slices.Equal(got, want) {
		t.Errorf("changes = %v, want %v", got, want)
	}
	if !strings.Contains(text, "vllm v0.10.1..v0.13.0: 4 files changed, +6 -3") || !strings.Contains(text, "M +2 -1        vllm/core/scheduler.py") {
		t.Errorf("text %q", text)
	}
	text = h.mustCall(t, "diff_versions", map[string]any{"framework": "vllm", "from": "v0.13.0", "to": "0.14.0", "path": "vllm/core", "include_patch": true}, &out)
	if out.Files != 1 || out.Path != "vllm/core" || !strings.Contains(out.Patch, "+    max_num_seqs = 512") || !strings.Contains(text, "-    max_num_seqs = 256") {
		t.Errorf("patch diff = %+v\n%s", out, text)
	}
	h.mustCall(t, "diff_versions", map[string]any{"framework": "vllm", "from": "v0.10.1", "to": "v0.14.0", "max_files": 1}, &out)
	if len(out.Changes) != 1 || !out.Truncated || out.Files != 4 {
		t.Errorf("bounded diff = %+v", out)
	}
	h.mustFail(t, "diff_versions", map[string]any{"framework": "vllm", "from": "0.9.0"}, `from: vllm: no tag matches version "0.9.0"`)
	h.mustFail(t, "diff_versions", map[string]any{"framework": "vllm", "from": "0.10.1", "to": "1.0"}, `to: vllm: no tag matches version "1.0"`)
	h.mustFail(t, "diff_versions", map[string]any{"framework": "vllm", "from": "0.10.1", "path": "../../"}, "escapes the repository")
	h.mustFail(t, "diff_versions", map[string]any{"framework": "vllm", "from": ""}, "from is empty")
	h.mustFail(t, "diff_versions", map[string]any{"framework": "vllm", "from": "0.10.1", "max_patch_bytes": 10}, "max_patch_bytes")
}

func TestNewValidatesOptions(t *testing.T) {
	base := Options{CacheDir: t.TempDir(), Filter: srctree.DefaultFilter()}
	tests := []struct {
		edit func(*Options)
		want string
	}{
		{func(o *Options) { o.CacheDir = "" }, "no cache folder"},
		{func(o *Options) { o.Filter.MaxFileSize = 0 }, "max file size must be positive"},
		{func(o *Options) { o.Repos = map[string]string{"tgi": "x"} }, `repository override: unknown framework "tgi"`},
		{func(o *Options) { o.Repos = map[string]string{"vllm": ""} }, "empty URL"},
		{func(o *Options) { o.Prefetch = []string{"atom"} }, `prefetch: unknown framework "atom"`},
	}
	for _, tt := range tests {
		o := base
		tt.edit(&o)
		if _, err := New(o); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New error = %v, want %q", err, tt.want)
		}
	}
}

func FuzzParseURI(f *testing.F) {
	for _, s := range []string{"vllm:///a/b.py", "vllm://v0.1/a", "vllm:///../x", "x://%2e%2e/y", "vllm:///a%2Fb", "://"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		_, _, p, err := ParseURI(raw)
		if err != nil {
			return
		}
		for _, e := range strings.Split(p, "/") {
			if e == ".." || e == "" || e == "." {
				t.Fatalf("ParseURI(%q) path %q has element %q", raw, p, e)
			}
		}
		if strings.HasPrefix(p, "/") || strings.Contains(p, `\`) {
			t.Fatalf("ParseURI(%q) path %q", raw, p)
		}
	})
}

func TestURIRoundTrip(t *testing.T) {
	for _, p := range []string{"a/b.py", "docs/name with space.md", "E=8,N=14336,device_name=NVIDIA_H200.json", "odd%name/x?.md", "ü/ß.py"} {
		for _, ver := range []string{"", "v0.13.0"} {
			uri := fileURI("vllm", ver, p)
			scheme, gotVer, got, err := ParseURI(uri)
			if err != nil || scheme != "vllm" || gotVer != ver || got != p {
				t.Errorf("ParseURI(fileURI(%q, %q) = %q) = %q %q %q, %v", ver, p, uri, scheme, gotVer, got, err)
			}
		}
	}
}

func TestParseURIErrors(t *testing.T) {
	tests := []struct{ uri, want string }{
		{"no-scheme", "expected <framework>:///<path>"},
		{"://x/y", "expected <framework>:///<path>"},
		{"vllm://v1", "no path after the version"},
		{"vllm:///a%zz", "bad percent-encoding in the path"},
		{"vllm://%zz/a", "bad percent-encoding in the version"},
		{"vllm:///a#frag", "query and fragment are not supported"},
		{"vllm:///", "empty path"},
		{"vllm:///%2e%2e/x", "escapes the repository"},
	}
	for _, tt := range tests {
		if _, _, _, err := ParseURI(tt.uri); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseURI(%q) error = %v, want %q", tt.uri, err, tt.want)
		}
	}
	scheme, ver, p, err := ParseURI("VLLM://v0.13.0/vllm/a.py")
	if err != nil || scheme != "vllm" || ver != "v0.13.0" || p != "vllm/a.py" {
		t.Errorf("ParseURI = %q %q %q %v", scheme, ver, p, err)
	}
}

func TestProgressNotifications(t *testing.T) {
	h := start(t, defaultOptions(t, shared(t)))
	params := &mcp.CallToolParams{Name: "list_tags", Arguments: map[string]any{"framework": "vllm"}}
	params.SetProgressToken("tok-1")
	res, err := h.cs.CallTool(context.Background(), params)
	if err != nil || res.IsError {
		t.Fatalf("list_tags: %v %+v", err, res)
	}
	select {
	case msg := <-h.progress:
		if !strings.HasPrefix(msg, "cloning vllm from file://") {
			t.Errorf("progress message %q", msg)
		}
	case <-time.After(10 * time.Second):
		t.Error("no progress notification for a clone")
	}
}

// TestJobOutlivesRequest checks that slow work goes on when the request
// that started it gives up, and that the next request joins it instead of
// starting over.
func TestJobOutlivesRequest(t *testing.T) {
	srv, err := New(Options{CacheDir: t.TempDir(), Filter: srctree.DefaultFilter()})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.progressEvery = 5 * time.Millisecond
	st := srv.states["vllm"]
	release := make(chan struct{})
	var runs int
	var mu sync.Mutex
	work := func(ctx context.Context) (any, error) {
		mu.Lock()
		runs++
		mu.Unlock()
		select {
		case <-release:
			return "done", nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	var reports syncBuffer
	ctx, cancel := context.WithTimeout(context.WithValue(context.Background(), progressKey{}, func(m string) { reports.Write([]byte(m + "\n")) }), 50*time.Millisecond)
	defer cancel()
	_, err = srv.run(ctx, st, "k", "cloning vllm", work)
	var pe *PendingError
	if !errors.As(err, &pe) || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "cloning vllm is still running in the background") {
		t.Fatalf("first request: %v", err)
	}
	if !strings.Contains(reports.String(), "cloning vllm\n") || !strings.Contains(reports.String(), "so far)") {
		t.Errorf("progress reports:\n%s", reports.String())
	}
	got := make(chan any)
	joined := make(chan struct{})
	var once sync.Once
	ctx2 := context.WithValue(context.Background(), progressKey{}, func(string) { once.Do(func() { close(joined) }) })
	go func() {
		v, err := srv.run(ctx2, st, "k", "cloning vllm", work)
		if err != nil {
			t.Error(err)
		}
		got <- v
	}()
	<-joined // the second request waits on the running job
	close(release)
	if v := <-got; v != "done" {
		t.Errorf("second request got %v", v)
	}
	mu.Lock()
	defer mu.Unlock()
	if runs != 1 {
		t.Errorf("work ran %d times, want once", runs)
	}
	// After Close, no new work starts.
	srv.Close()
	if _, err := srv.run(context.Background(), st, "k2", "x", work); err == nil || !strings.Contains(err.Error(), "shutting down") {
		t.Errorf("run after Close: %v", err)
	}
}
