// Package hfhub finds a model's tokenizer files, and a dataset's files: at a
// local path, in the Hugging Face cache (the layout huggingface_hub writes:
// $HF_HUB_CACHE or $HF_HOME/hub, models--org--name/snapshots/<commit>/ and
// datasets--org--name/snapshots/<commit>/), or by downloading them from the
// Hub into that cache, with HF_TOKEN for gated or private repositories. An
// id that cannot be resolved is an error that says everywhere it looked.
package hfhub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/inferencex/inferencex-go/pkg/atomicfile"
)

// TokenizerFiles are the files a tokenizer is made of. The first is
// required; the others are fetched when the repository has them.
var TokenizerFiles = []string{"tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "chat_template.json"}

// Options say where to look. OptionsFromEnv fills them as huggingface_hub
// does from the environment.
type Options struct {
	CacheDir string // the hub cache directory
	Endpoint string // the Hub's URL
	Token    string // bearer token, "" for none
	Revision string // branch, tag or commit ("" means "main")
	Offline  bool   // never download
	Client   *http.Client
}

// OptionsFromEnv reads HF_HUB_CACHE, HF_HOME, HF_ENDPOINT, HF_TOKEN,
// HF_TOKEN_PATH and HF_HUB_OFFLINE, with huggingface_hub's defaults.
func OptionsFromEnv() Options {
	o := Options{Revision: "main"}
	home := os.Getenv("HF_HOME")
	if home == "" {
		base := os.Getenv("XDG_CACHE_HOME")
		if base == "" {
			if h, err := os.UserHomeDir(); err == nil {
				base = filepath.Join(h, ".cache")
			}
		}
		home = filepath.Join(base, "huggingface")
	}
	o.CacheDir = os.Getenv("HF_HUB_CACHE")
	if o.CacheDir == "" {
		o.CacheDir = os.Getenv("HUGGINGFACE_HUB_CACHE")
	}
	if o.CacheDir == "" {
		o.CacheDir = filepath.Join(home, "hub")
	}
	o.Endpoint = strings.TrimRight(os.Getenv("HF_ENDPOINT"), "/")
	if o.Endpoint == "" {
		o.Endpoint = "https://huggingface.co"
	}
	o.Token = os.Getenv("HF_TOKEN")
	if o.Token == "" {
		o.Token = os.Getenv("HUGGING_FACE_HUB_TOKEN")
	}
	if o.Token == "" {
		tokenPath := os.Getenv("HF_TOKEN_PATH")
		if tokenPath == "" {
			tokenPath = filepath.Join(home, "token")
		}
		if b, err := os.ReadFile(tokenPath); err == nil {
			o.Token = strings.TrimSpace(string(b))
		}
	}
	switch strings.ToLower(os.Getenv("HF_HUB_OFFLINE")) {
	case "1", "true", "yes", "on":
		o.Offline = true
	}
	return o
}

// NotFoundError says where a tokenizer (or dataset) was looked for.
type NotFoundError struct {
	Name   string
	What   string // "tokenizer" when empty
	Looked []string
}

func (e *NotFoundError) Error() string {
	what := e.What
	if what == "" {
		what = "tokenizer"
	}
	return fmt.Sprintf("%s %q not found; looked:\n  - %s", what, e.Name, strings.Join(e.Looked, "\n  - "))
}

// repoID matches a Hub model id: "name" or "org/name".
var repoID = regexp.MustCompile(`^(?:[A-Za-z0-9][A-Za-z0-9._-]*/)?[A-Za-z0-9][A-Za-z0-9._-]*$`)

var commitHash = regexp.MustCompile(`^[0-9a-f]{40}$`)

// Resolve returns a path tokenizer.Load accepts for nameOrPath: the path
// itself when it exists, else the cache snapshot of the model id,
// downloading it first when it is not cached.
func Resolve(ctx context.Context, nameOrPath string, o Options) (string, error) {
	if nameOrPath == "" {
		return "", errors.New("no tokenizer given")
	}
	nf := &NotFoundError{Name: nameOrPath}
	if st, err := os.Stat(nameOrPath); err == nil {
		if !st.IsDir() {
			return nameOrPath, nil
		}
		if _, err := os.Stat(filepath.Join(nameOrPath, "tokenizer.json")); err != nil {
			return "", fmt.Errorf("directory %s has no tokenizer.json", nameOrPath)
		}
		return nameOrPath, nil
	}
	nf.Looked = append(nf.Looked, fmt.Sprintf("local path %s: does not exist", nameOrPath))
	if !repoID.MatchString(nameOrPath) || strings.Contains(nameOrPath, "..") {
		nf.Looked = append(nf.Looked, "not a Hugging Face model id (expected org/name)")
		return "", nf
	}
	if o.Revision == "" {
		o.Revision = "main"
	}
	repoDir := filepath.Join(o.CacheDir, "models--"+strings.ReplaceAll(nameOrPath, "/", "--"))
	if dir, ok := cachedSnapshot(repoDir, o.Revision, TokenizerFiles[0]); ok {
		return dir, nil
	}
	nf.Looked = append(nf.Looked, fmt.Sprintf("Hugging Face cache %s: no snapshot with tokenizer.json for revision %q", repoDir, o.Revision))
	if o.Offline {
		nf.Looked = append(nf.Looked, "the Hub: not asked (HF_HUB_OFFLINE is set)")
		return "", nf
	}
	dir, err := download(ctx, o.Endpoint+"/"+nameOrPath, repoDir, TokenizerFiles, o)
	if err != nil {
		nf.Looked = append(nf.Looked, fmt.Sprintf("the Hub at %s: %v", o.Endpoint, err))
		return "", nf
	}
	return dir, nil
}

// cachedSnapshot returns the snapshot directory of revision when it holds
// the required file.
func cachedSnapshot(repoDir, revision, required string) (string, bool) {
	commit := revision
	if !commitHash.MatchString(revision) {
		b, err := os.ReadFile(filepath.Join(repoDir, "refs", revision))
		if err != nil {
			return "", false
		}
		commit = strings.TrimSpace(string(b))
	}
	dir := filepath.Join(repoDir, "snapshots", commit)
	if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(required))); err != nil {
		return "", false
	}
	return dir, true
}

// httpError is a non-success answer from the Hub.
type httpError struct {
	url    string
	status int
}

func (e *httpError) Error() string {
	switch e.status {
	case http.StatusUnauthorized, http.StatusForbidden:
		return fmt.Sprintf("GET %s: HTTP %d: access denied (a gated or private model needs HF_TOKEN with access to it)", e.url, e.status)
	case http.StatusNotFound:
		return fmt.Sprintf("GET %s: HTTP 404: no such repository, revision or file", e.url)
	}
	return fmt.Sprintf("GET %s: HTTP %d", e.url, e.status)
}

// download fetches files (the first required, the others when the
// repository has them) from the repository at repoURL into repoDir.
func download(ctx context.Context, repoURL, repoDir string, files []string, o Options) (string, error) {
	client := o.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Minute}
	}
	// Redirects are followed by hand: the Hub's first answer carries the
	// commit and the blob's etag, and a token must not follow a redirect
	// to another host.
	noFollow := *client
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	commit := ""
	snapshot := ""
	for i, file := range files {
		fileURL := repoURL + "/resolve/" + url.PathEscape(o.Revision) + "/" + file
		meta, body, err := fetch(ctx, &noFollow, fileURL, o.Token)
		if err != nil {
			var he *httpError
			if i > 0 && errors.As(err, &he) && he.status == http.StatusNotFound {
				continue // optional file
			}
			return "", err
		}
		if commit == "" {
			commit = meta.commit
			if commit == "" {
				if commitHash.MatchString(o.Revision) {
					commit = o.Revision
				} else {
					body.Close()
					return "", fmt.Errorf("GET %s: no X-Repo-Commit header in the answer", fileURL)
				}
			}
			if !commitHash.MatchString(commit) {
				body.Close()
				return "", fmt.Errorf("GET %s: bad X-Repo-Commit %q", fileURL, commit)
			}
			snapshot = filepath.Join(repoDir, "snapshots", commit)
		}
		err = store(repoDir, snapshot, file, meta.etag, body)
		body.Close()
		if err != nil {
			return "", err
		}
	}
	if !commitHash.MatchString(o.Revision) {
		if err := writeAtomic(filepath.Join(repoDir, "refs", o.Revision), []byte(commit)); err != nil {
			return "", err
		}
	}
	return snapshot, nil
}

type fileMeta struct {
	commit string
	etag   string
}

// fetch GETs u, following redirects by hand, and returns the metadata of
// the first answer and the body of the last.
func fetch(ctx context.Context, client *http.Client, u, token string) (fileMeta, io.ReadCloser, error) {
	var meta fileMeta
	first := true
	origin, err := url.Parse(u)
	if err != nil {
		return meta, nil, err
	}
	for hops := 0; hops < 10; hops++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return meta, nil, err
		}
		if token != "" && req.URL.Host == origin.Host {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		req.Header.Set("User-Agent", "inferencex-loadgen")
		resp, err := client.Do(req)
		if err != nil {
			return meta, nil, err
		}
		if first {
			meta.commit = resp.Header.Get("X-Repo-Commit")
			meta.etag = resp.Header.Get("X-Linked-Etag")
			if meta.etag == "" {
				meta.etag = resp.Header.Get("ETag")
			}
			first = false
		}
		switch {
		case resp.StatusCode >= 300 && resp.StatusCode < 400:
			loc := resp.Header.Get("Location")
			resp.Body.Close()
			if loc == "" {
				return meta, nil, fmt.Errorf("GET %s: redirect without Location", u)
			}
			next, err := req.URL.Parse(loc)
			if err != nil {
				return meta, nil, fmt.Errorf("GET %s: bad redirect %q", u, loc)
			}
			u = next.String()
			continue
		case resp.StatusCode != http.StatusOK:
			resp.Body.Close()
			return meta, nil, &httpError{url: u, status: resp.StatusCode}
		}
		if meta.etag == "" {
			meta.etag = resp.Header.Get("ETag")
		}
		return meta, resp.Body, nil
	}
	return meta, nil, fmt.Errorf("GET %s: too many redirects", u)
}

// blobName turns an ETag into the blob file name huggingface_hub uses.
func blobName(etag string) string {
	e := strings.TrimPrefix(etag, "W/")
	return strings.Trim(e, `"`)
}

var safeBlob = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// store writes body to blobs/<etag> (atomically) and links
// snapshots/<commit>/<file> to it, as huggingface_hub lays the cache out.
func store(repoDir, snapshot, file, etag string, body io.Reader) error {
	name := blobName(etag)
	if name == "" || !safeBlob.MatchString(name) {
		return fmt.Errorf("%s: missing or unusable ETag %q", file, etag)
	}
	blobs := filepath.Join(repoDir, "blobs")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		return err
	}
	blob := filepath.Join(blobs, name)
	if _, err := os.Stat(blob); err != nil {
		err := atomicfile.WriteFunc(blob, 0o644, func(w io.Writer) error {
			_, err := io.Copy(w, body)
			return err
		})
		if err != nil {
			return fmt.Errorf("downloading %s: %w", file, err)
		}
	}
	link := filepath.Join(snapshot, filepath.FromSlash(file))
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		return err
	}
	rel, err := filepath.Rel(filepath.Dir(link), blob)
	if err != nil {
		return err
	}
	os.Remove(link)
	if err := os.Symlink(rel, link); err != nil {
		// Where links are not allowed, a copy does (huggingface_hub too).
		data, rerr := os.ReadFile(blob)
		if rerr != nil {
			return rerr
		}
		return writeAtomic(link, data)
	}
	return nil
}

func writeAtomic(p string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(p, data, 0o644)
}

// DatasetFiles are the files of a trace dataset fetched from the Hub: the
// semianalysisai/cc-traces-weka-* corpora keep every trace in one JSONL file.
var DatasetFiles = []string{"traces.jsonl"}

// ResolveDataset returns the cache snapshot directory of a Hub dataset
// repository (datasets--org--name in the cache, as huggingface_hub and
// `hf download --repo-type dataset` lay it out) that holds files[0],
// downloading files into the cache first when no snapshot of the revision
// has it. The error says everywhere it looked.
func ResolveDataset(ctx context.Context, repo string, files []string, o Options) (string, error) {
	nf := &NotFoundError{Name: repo, What: "dataset"}
	if !repoID.MatchString(repo) || strings.Contains(repo, "..") {
		nf.Looked = append(nf.Looked, "not a Hugging Face dataset id (expected org/name)")
		return "", nf
	}
	if len(files) == 0 {
		return "", errors.New("no dataset files named")
	}
	if o.Revision == "" {
		o.Revision = "main"
	}
	repoDir := filepath.Join(o.CacheDir, "datasets--"+strings.ReplaceAll(repo, "/", "--"))
	if dir, ok := cachedSnapshot(repoDir, o.Revision, files[0]); ok {
		return dir, nil
	}
	nf.Looked = append(nf.Looked, fmt.Sprintf("Hugging Face cache %s: no snapshot with %s for revision %q", repoDir, files[0], o.Revision))
	if o.Offline {
		nf.Looked = append(nf.Looked, "the Hub: not asked (HF_HUB_OFFLINE is set)")
		return "", nf
	}
	if o.Client == nil {
		// A corpus can take longer than a tokenizer to come down; ctx
		// bounds the download instead of a fixed timeout.
		o.Client = &http.Client{}
	}
	dir, err := download(ctx, o.Endpoint+"/datasets/"+repo, repoDir, files, o)
	if err != nil {
		nf.Looked = append(nf.Looked, fmt.Sprintf("the Hub at %s: %v", o.Endpoint, err))
		return "", nf
	}
	return dir, nil
}
