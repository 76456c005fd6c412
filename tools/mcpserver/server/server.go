// Package server is the MCP server that gives a coding assistant the source
// of the serving stacks (vLLM, SGLang, TensorRT-LLM, Dynamo) at exactly the
// versions the master configs benchmark: files as resources, and tools to
// list versions and tags, switch version, search and compare versions.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/inferencex/inferencex-go/tools/mcpserver/frameworks"
	"github.com/inferencex/inferencex-go/tools/mcpserver/repocache"
	"github.com/inferencex/inferencex-go/tools/mcpserver/srctree"
	"github.com/inferencex/inferencex-go/tools/mcpserver/version"
)

// Name is the server's MCP implementation name. It is the original's, so
// that permission rules written for it (mcp__inferencemax-repos__*) keep
// working.
const Name = "inferencemax-repos"

// Options configure a Server.
type Options struct {
	// ConfigFiles are the master configs whose images name the versions.
	ConfigFiles []string
	// CacheDir holds the clones and extracted trees.
	CacheDir string
	// Repos overrides upstream repository URLs by framework name.
	Repos map[string]string
	// Prefetch names frameworks to clone and extract in the background at
	// start, so that their files are listed without waiting for a first
	// request.
	Prefetch []string
	Filter   srctree.Filter
	Git      string // git executable; "" = from PATH
	Logger   *slog.Logger
	// Version is reported to clients.
	Version string
}

// Server serves the sources.
type Server struct {
	opts   Options
	set    *frameworks.Set
	cache  *repocache.Cache
	mcp    *mcp.Server
	log    *slog.Logger
	states map[string]*fwState

	// base is the context of background jobs; Close cancels it and waits
	// for them.
	base          context.Context
	stop          context.CancelFunc
	bg            sync.WaitGroup
	progressEvery time.Duration
}

// fwState is what the server holds for one framework.
type fwState struct {
	fw   *frameworks.Framework
	repo *repocache.Repo
	// sem serializes the work that changes the clone or the served
	// version; unlike a mutex, waiting on it honours the request context.
	sem chan struct{}

	mu    sync.Mutex
	cur   *checkout
	uris  []string                 // resources registered for cur
	trees map[string]*srctree.Tree // by commit
	jobs  map[string]*job          // running background work by key
}

// checkout is the version of a framework being served.
type checkout struct {
	Requested string // the version asked for
	Source    string // where the request came from
	Tag       string
	Commit    string
	Note      string
	Tree      *srctree.Tree
}

// New builds a server. It does no I/O: clones happen on first use or in
// Run's background prefetch.
func New(opts Options) (*Server, error) {
	if opts.CacheDir == "" {
		return nil, errors.New("no cache folder given")
	}
	if opts.Filter.MaxFileSize <= 0 {
		return nil, fmt.Errorf("max file size must be positive, got %d", opts.Filter.MaxFileSize)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		opts:          opts,
		set:           frameworks.NewSet(frameworks.All()),
		cache:         &repocache.Cache{Dir: opts.CacheDir, Git: opts.Git, Log: log},
		log:           log,
		states:        map[string]*fwState{},
		progressEvery: progressEvery,
	}
	s.base, s.stop = context.WithCancel(context.Background())
	for name, url := range opts.Repos {
		f, err := s.set.Lookup(name)
		if err != nil {
			return nil, fmt.Errorf("repository override: %w", err)
		}
		if url == "" {
			return nil, fmt.Errorf("repository override for %s: empty URL", f.Name)
		}
	}
	for _, name := range opts.Prefetch {
		if _, err := s.set.Lookup(name); err != nil {
			return nil, fmt.Errorf("prefetch: %w", err)
		}
	}
	for _, f := range s.set.List() {
		url := f.URL
		for name, u := range opts.Repos {
			if g, _ := s.set.Lookup(name); g == f {
				url = u
			}
		}
		s.states[f.Name] = &fwState{fw: f, repo: s.cache.Repo(f.Name, url), sem: make(chan struct{}, 1),
			trees: map[string]*srctree.Tree{}, jobs: map[string]*job{}}
	}
	s.mcp = mcp.NewServer(&mcp.Implementation{Name: Name, Title: "Serving-stack sources", Version: opts.Version}, &mcp.ServerOptions{
		Instructions: instructions(s.set),
		// The SDK logs every session event at info level; only its
		// warnings and errors are worth the user's stderr.
		Logger: slog.New(minLevel{log.Handler(), slog.LevelWarn}),
	})
	s.addTools()
	s.addTemplates()
	return s, nil
}

func instructions(set *frameworks.Set) string {
	var schemes []string
	for _, f := range set.List() {
		schemes = append(schemes, fmt.Sprintf("%s:///path (%s)", f.Name, f.Display))
	}
	return "Source code of the LLM serving stacks this repository benchmarks, at the versions its master configs " +
		"(configs/*-master.yaml) run. Read files as resources: " + strings.Join(schemes, ", ") +
		"; <framework>://<tag>/path reads a file at another version without switching. " +
		"list_versions shows which versions the configs use and which is served; list_tags, switch_version, " +
		"grep (RE2 regex over a framework's files) and diff_versions (what changed between two versions under a path) " +
		"do the rest. A framework's repository is cloned on first use, which can take a minute."
}

// MCP returns the underlying MCP server, for connecting transports.
func (s *Server) MCP() *mcp.Server { return s.mcp }

// Close stops the background work (killing its git commands, whose
// temporary folders are removed) and waits for it.
func (s *Server) Close() {
	s.stop()
	s.bg.Wait()
}

// Run serves on transport until the client goes away or ctx is done,
// prefetching in the background, then closes the server.
func (s *Server) Run(ctx context.Context, t mcp.Transport) error {
	defer s.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.Prefetch(ctx)
	}()
	err := s.mcp.Run(ctx, t)
	cancel()
	wg.Wait()
	return err
}

// Prefetch prepares the frameworks named in Options.Prefetch one after the
// other, logging failures: a request for the framework retries.
func (s *Server) Prefetch(ctx context.Context) {
	for _, name := range s.opts.Prefetch {
		f, _ := s.set.Lookup(name)
		if _, err := s.current(ctx, s.states[f.Name]); err != nil {
			if ctx.Err() != nil {
				return
			}
			s.log.Warn("prefetch failed", "framework", f.Name, "error", err)
		}
	}
}

// state looks a framework up by name or alias.
func (s *Server) state(name string) (*fwState, error) {
	f, err := s.set.Lookup(name)
	if err != nil {
		return nil, err
	}
	return s.states[f.Name], nil
}

func (st *fwState) acquire(ctx context.Context) (func(), error) {
	select {
	case st.sem <- struct{}{}:
		return func() { <-st.sem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (st *fwState) current() *checkout {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.cur
}

// current returns the served checkout of a framework, choosing and
// extracting the default version on first use.
func (s *Server) current(ctx context.Context, st *fwState) (*checkout, error) {
	if c := st.current(); c != nil {
		return c, nil
	}
	release, err := st.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	if c := st.current(); c != nil {
		return c, nil
	}
	want, source, note, err := s.defaultVersion(ctx, st)
	if err != nil {
		return nil, err
	}
	c, err := s.checkout(ctx, st, want)
	if err != nil {
		return nil, fmt.Errorf("%s %s (%s): %w", st.fw.Name, want, source, err)
	}
	c.Source = source
	c.Note = joinNotes(note, c.Note)
	s.serve(st, c)
	return c, nil
}

// defaultVersion is the newest version of the framework in the master
// configs or, when they name none, the newest release tag.
func (s *Server) defaultVersion(ctx context.Context, st *fwState) (want, source, note string, err error) {
	det, err := frameworks.Detect(s.set, s.opts.ConfigFiles)
	if err != nil {
		return "", "", "", fmt.Errorf("cannot choose the %s version: reading the master configs: %w (fix the config, or pick a version with switch_version)", st.fw.Name, err)
	}
	if v, ok := det.For(st.fw.Name).Primary(); ok {
		return v, "newest version in the master configs", "", nil
	}
	if err := s.ensure(ctx, st); err != nil {
		return "", "", "", err
	}
	tags, err := st.repo.Tags(ctx)
	if err != nil {
		return "", "", "", err
	}
	names := make([]string, 0, len(tags))
	for _, t := range tags {
		if v, ok := version.Parse(t.Name); ok && !v.IsPrerelease() {
			names = append(names, t.Name)
		}
	}
	newest, ok := version.Newest(names)
	if !ok {
		return "", "", "", fmt.Errorf("no %s version in the master configs and no release tag in %s", st.fw.Name, st.repo.URL)
	}
	why := "the master configs name no " + st.fw.Display + " version"
	if len(det.Missing) == len(det.Files) {
		why = "no master config found (" + strings.Join(det.Missing, ", ") + ")"
	}
	return newest, "newest release tag", why + "; serving the newest release tag " + newest, nil
}

// resolve finds the tag of a version, fetching new tags once if the clone
// has none that matches.
func (s *Server) resolve(ctx context.Context, st *fwState, want string) (version.Match, string, error) {
	if err := s.ensure(ctx, st); err != nil {
		return version.Match{}, "", err
	}
	for attempt := 0; ; attempt++ {
		tags, err := st.repo.Tags(ctx)
		if err != nil {
			return version.Match{}, "", err
		}
		names := make([]string, len(tags))
		for i, t := range tags {
			names[i] = t.Name
		}
		m, err := version.FindTag(names, want)
		if err == nil {
			commit, err := st.repo.Commit(ctx, m.Tag)
			return m, commit, err
		}
		var nt *version.NoTagError
		if !errors.As(err, &nt) || attempt > 0 || st.repo.Refreshed() {
			return version.Match{}, "", fmt.Errorf("%s: %w", st.fw.Name, err)
		}
		if err := s.refresh(ctx, st); err != nil {
			if ctx.Err() != nil {
				return version.Match{}, "", err
			}
			return version.Match{}, "", fmt.Errorf("%s: %w; and fetching newer tags failed: %v", st.fw.Name, nt, err)
		}
	}
}

// checkout resolves want and extracts its tree. The caller holds st.sem.
func (s *Server) checkout(ctx context.Context, st *fwState, want string) (*checkout, error) {
	m, commit, err := s.resolve(ctx, st, want)
	if err != nil {
		return nil, err
	}
	tree, err := s.tree(ctx, st, m.Tag, commit)
	if err != nil {
		return nil, err
	}
	return &checkout{Requested: want, Tag: m.Tag, Commit: commit, Note: m.Note, Tree: tree}, nil
}

func (s *Server) tree(ctx context.Context, st *fwState, tag, commit string) (*srctree.Tree, error) {
	st.mu.Lock()
	t := st.trees[commit]
	st.mu.Unlock()
	if t != nil {
		return t, nil
	}
	t, err := s.extract(ctx, st, tag, commit)
	if err != nil {
		return nil, err
	}
	st.mu.Lock()
	st.trees[commit] = t
	st.mu.Unlock()
	return t, nil
}

// at returns the tree of a framework at version want without changing
// what is served; "" means the served version.
func (s *Server) at(ctx context.Context, st *fwState, want string) (*checkout, error) {
	if want == "" {
		return s.current(ctx, st)
	}
	release, err := st.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	return s.checkout(ctx, st, want)
}

// switchTo makes want the served version.
func (s *Server) switchTo(ctx context.Context, st *fwState, want string) (prev, next *checkout, err error) {
	release, err := st.acquire(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer release()
	c, err := s.checkout(ctx, st, want)
	if err != nil {
		return nil, nil, err
	}
	c.Source = "switch_version"
	prev = st.current()
	s.serve(st, c)
	return prev, c, nil
}

// serve makes c the served checkout and replaces the framework's listed
// resources; connected clients get a list-changed notification.
func (s *Server) serve(st *fwState, c *checkout) {
	st.mu.Lock()
	old := st.uris
	st.cur = c
	st.uris = nil
	st.mu.Unlock()
	if len(old) > 0 {
		s.mcp.RemoveResources(old...)
	}
	uris := make([]string, 0, len(c.Tree.Files()))
	handler := s.readHandler()
	for _, f := range c.Tree.Files() {
		uri := fileURI(st.fw.Name, "", f.Path)
		s.mcp.AddResource(&mcp.Resource{
			URI:         uri,
			Name:        f.Path,
			Title:       st.fw.Display + " " + c.Tag + ": " + f.Path,
			MIMEType:    mimeType(f.Path),
			Size:        f.Size,
			Description: fmt.Sprintf("%s source file at %s", st.fw.Display, c.Tag),
		}, handler)
		uris = append(uris, uri)
	}
	st.mu.Lock()
	st.uris = uris
	st.mu.Unlock()
	s.log.Info("serving", "framework", st.fw.Name, "tag", c.Tag, "commit", short(c.Commit), "files", len(uris))
}

// minLevel drops records below a level.
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(attrs), h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h.Handler.WithGroup(name), h.min}
}

func joinNotes(notes ...string) string {
	return strings.Join(slices.DeleteFunc(notes, func(n string) bool { return n == "" }), "; ")
}

func short(commit string) string { return commit[:min(12, len(commit))] }
