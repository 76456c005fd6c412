package hfhub

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

const commit = "0123456789abcdef0123456789abcdef01234567"

// fakeHub stands in for the Hub: tokenizer.json is served like an LFS file
// (a redirect to a blob store carrying the commit and the linked etag),
// tokenizer_config.json directly, the chat template files are missing.
// The "gated/model" repository wants the token "secret".
type fakeHub struct {
	srv       *httptest.Server
	cdn       *httptest.Server
	requests  atomic.Int64
	authOnCDN atomic.Bool
}

func newFakeHub(t *testing.T) *fakeHub {
	h := &fakeHub{}
	mux := http.NewServeMux()
	serve := func(w http.ResponseWriter, r *http.Request) {
		h.requests.Add(1)
		parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/resolve/", 2)
		if len(parts) != 2 {
			http.NotFound(w, r)
			return
		}
		repo, rest := parts[0], parts[1]
		rev, file, _ := strings.Cut(rest, "/")
		if repo == "gated/model" && r.Header.Get("Authorization") != "Bearer secret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if repo != "org/model" && repo != "gated/model" {
			http.NotFound(w, r)
			return
		}
		if rev != "main" && rev != commit {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("X-Repo-Commit", commit)
		switch file {
		case "tokenizer.json":
			w.Header().Set("X-Linked-Etag", `"aaaabbbbccccdddd"`)
			w.Header().Set("Location", h.cdn.URL+"/blob-tokenizer")
			w.WriteHeader(http.StatusFound)
		case "tokenizer_config.json":
			w.Header().Set("ETag", `"config123"`)
			w.Write([]byte(`{"tokenizer_class": "X"}`))
		default:
			http.NotFound(w, r)
		}
	}
	// The blob store is another host, as the Hub's CDN is.
	cdn := http.NewServeMux()
	cdn.HandleFunc("/blob-tokenizer", func(w http.ResponseWriter, r *http.Request) {
		h.requests.Add(1)
		if r.Header.Get("Authorization") != "" {
			h.authOnCDN.Store(true)
		}
		w.Write([]byte(`{"version": "1.0"}`))
	})
	mux.HandleFunc("/", serve)
	h.cdn = httptest.NewServer(cdn)
	t.Cleanup(h.cdn.Close)
	h.srv = httptest.NewServer(mux)
	t.Cleanup(h.srv.Close)
	return h
}

func (h *fakeHub) opts(cache string) Options {
	return Options{CacheDir: cache, Endpoint: h.srv.URL, Revision: "main"}
}

func TestResolveLocalPath(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{dir, filepath.Join(dir, "tokenizer.json")} {
		got, err := Resolve(context.Background(), p, Options{})
		if err != nil || got != p {
			t.Errorf("Resolve(%s) = %q, %v", p, got, err)
		}
	}
	empty := t.TempDir()
	if _, err := Resolve(context.Background(), empty, Options{}); err == nil || !strings.Contains(err.Error(), "has no tokenizer.json") {
		t.Errorf("empty dir: err = %v", err)
	}
}

func TestDownloadThenCache(t *testing.T) {
	h := newFakeHub(t)
	cache := t.TempDir()
	dir, err := Resolve(context.Background(), "org/model", h.opts(cache))
	if err != nil {
		t.Fatal(err)
	}
	repo := filepath.Join(cache, "models--org--model")
	if want := filepath.Join(repo, "snapshots", commit); dir != want {
		t.Fatalf("dir = %s, want %s", dir, want)
	}
	// The cache layout of huggingface_hub: refs, blobs named by etag,
	// snapshot entries linking to them.
	ref, err := os.ReadFile(filepath.Join(repo, "refs", "main"))
	if err != nil || string(ref) != commit {
		t.Errorf("refs/main = %q, %v", ref, err)
	}
	for file, blob := range map[string]string{"tokenizer.json": "aaaabbbbccccdddd", "tokenizer_config.json": "config123"} {
		link, err := os.Readlink(filepath.Join(dir, file))
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if want := filepath.Join("..", "..", "blobs", blob); link != want {
			t.Errorf("%s links to %s, want %s", file, link, want)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "tokenizer.json")); err != nil || string(b) != `{"version": "1.0"}` {
		t.Errorf("tokenizer.json = %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "chat_template.jinja")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("chat_template.jinja should be absent: %v", err)
	}
	if h.authOnCDN.Load() {
		t.Error("no token was set, yet an Authorization header reached the blob store")
	}
	// Second time: from the cache, no request.
	before := h.requests.Load()
	dir2, err := Resolve(context.Background(), "org/model", h.opts(cache))
	if err != nil || dir2 != dir {
		t.Fatalf("cached Resolve = %q, %v", dir2, err)
	}
	if n := h.requests.Load() - before; n != 0 {
		t.Errorf("cached Resolve made %d requests", n)
	}
	// A commit hash revision resolves from the snapshot directly.
	o := h.opts(cache)
	o.Revision = commit
	o.Offline = true
	if got, err := Resolve(context.Background(), "org/model", o); err != nil || got != dir {
		t.Errorf("Resolve at commit = %q, %v", got, err)
	}
}

func TestGatedModelNeedsToken(t *testing.T) {
	h := newFakeHub(t)
	cache := t.TempDir()
	_, err := Resolve(context.Background(), "gated/model", h.opts(cache))
	var nf *NotFoundError
	if !errors.As(err, &nf) || !strings.Contains(err.Error(), "HTTP 401") || !strings.Contains(err.Error(), "HF_TOKEN") {
		t.Fatalf("err = %v", err)
	}
	o := h.opts(cache)
	o.Token = "secret"
	if _, err := Resolve(context.Background(), "gated/model", o); err != nil {
		t.Fatal(err)
	}
	if h.authOnCDN.Load() {
		t.Error("the token followed the redirect to the blob store on another host")
	}
}

func TestNotFoundSaysWhereItLooked(t *testing.T) {
	h := newFakeHub(t)
	cache := t.TempDir()
	tests := []struct {
		name   string
		opts   Options
		want   []string
		unwant string
	}{
		{"nope/missing", h.opts(cache), []string{"local path nope/missing: does not exist", "Hugging Face cache " + filepath.Join(cache, "models--nope--missing"), "HTTP 404"}, ""},
		{"nope/offline", Options{CacheDir: cache, Offline: true}, []string{"Hugging Face cache", "HF_HUB_OFFLINE"}, "HTTP"},
		{"/no/such/dir", h.opts(cache), []string{"local path /no/such/dir: does not exist", "not a Hugging Face model id"}, "cache"},
	}
	for _, tc := range tests {
		_, err := Resolve(context.Background(), tc.name, tc.opts)
		var nf *NotFoundError
		if !errors.As(err, &nf) {
			t.Fatalf("%s: err = %v, want NotFoundError", tc.name, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", tc.name, err, w)
			}
		}
		if tc.unwant != "" && strings.Contains(err.Error(), tc.unwant) {
			t.Errorf("%s: error %q mentions %q", tc.name, err, tc.unwant)
		}
	}
}

func TestOptionsFromEnv(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HF_HOME", home)
	t.Setenv("HF_HUB_CACHE", "")
	t.Setenv("HUGGINGFACE_HUB_CACHE", "")
	t.Setenv("HF_ENDPOINT", "http://127.0.0.1:1/")
	t.Setenv("HF_TOKEN", "")
	t.Setenv("HUGGING_FACE_HUB_TOKEN", "")
	t.Setenv("HF_TOKEN_PATH", "")
	t.Setenv("HF_HUB_OFFLINE", "1")
	if err := os.WriteFile(filepath.Join(home, "token"), []byte("hf_file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o := OptionsFromEnv()
	if o.CacheDir != filepath.Join(home, "hub") || o.Endpoint != "http://127.0.0.1:1" || o.Token != "hf_file" || !o.Offline || o.Revision != "main" {
		t.Errorf("OptionsFromEnv = %+v", o)
	}
	t.Setenv("HF_HUB_CACHE", "/elsewhere")
	t.Setenv("HF_TOKEN", "hf_env")
	o = OptionsFromEnv()
	if o.CacheDir != "/elsewhere" || o.Token != "hf_env" {
		t.Errorf("OptionsFromEnv = %+v", o)
	}
}

// fakeDatasetHub serves org/traces as a dataset repository: traces.jsonl
// through a redirect to a blob store, as the Hub serves LFS files.
func fakeDatasetHub(t *testing.T, requests *atomic.Int64) *httptest.Server {
	blobs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Write([]byte("{\"id\": \"a\"}\n"))
	}))
	t.Cleanup(blobs.Close)
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if r.URL.Path != "/datasets/org/traces/resolve/main/traces.jsonl" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("X-Repo-Commit", commit)
		w.Header().Set("X-Linked-Etag", `"0123abcd"`)
		w.Header().Set("Location", blobs.URL+"/blob")
		w.WriteHeader(http.StatusFound)
	}))
	t.Cleanup(hub.Close)
	return hub
}

func TestResolveDataset(t *testing.T) {
	var requests atomic.Int64
	hub := fakeDatasetHub(t, &requests)
	cache := t.TempDir()
	o := Options{CacheDir: cache, Endpoint: hub.URL, Revision: "main"}
	ctx := context.Background()
	dir, err := ResolveDataset(ctx, "org/traces", DatasetFiles, o)
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(cache, "datasets--org--traces", "snapshots", commit)
	if dir != want {
		t.Errorf("snapshot %s, want %s", dir, want)
	}
	b, err := os.ReadFile(filepath.Join(dir, "traces.jsonl"))
	if err != nil || string(b) != "{\"id\": \"a\"}\n" {
		t.Fatalf("traces.jsonl: %q, %v", b, err)
	}
	if ref, _ := os.ReadFile(filepath.Join(cache, "datasets--org--traces", "refs", "main")); string(ref) != commit {
		t.Errorf("refs/main holds %q", ref)
	}
	n := requests.Load()
	if dir2, err := ResolveDataset(ctx, "org/traces", DatasetFiles, o); err != nil || dir2 != dir || requests.Load() != n {
		t.Errorf("second resolve: %s, %v, %d more requests", dir2, err, requests.Load()-n)
	}
	// Offline with nothing cached, a missing repository, a bad id.
	o2 := o
	o2.CacheDir, o2.Offline = t.TempDir(), true
	if _, err := ResolveDataset(ctx, "org/traces", DatasetFiles, o2); err == nil || !strings.Contains(err.Error(), "HF_HUB_OFFLINE") ||
		!strings.Contains(err.Error(), `dataset "org/traces" not found`) {
		t.Errorf("offline: %v", err)
	}
	o2.Offline = false
	if _, err := ResolveDataset(ctx, "org/missing", DatasetFiles, o2); err == nil || !strings.Contains(err.Error(), "HTTP 404") {
		t.Errorf("missing repository: %v", err)
	}
	if _, err := ResolveDataset(ctx, "../etc", DatasetFiles, o2); err == nil || !strings.Contains(err.Error(), "not a Hugging Face dataset id") {
		t.Errorf("bad id: %v", err)
	}
}
