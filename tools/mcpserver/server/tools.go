package server

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/inferencex/inferencex-go/tools/mcpserver/frameworks"
	"github.com/inferencex/inferencex-go/tools/mcpserver/repocache"
	"github.com/inferencex/inferencex-go/tools/mcpserver/srctree"
	"github.com/inferencex/inferencex-go/tools/mcpserver/version"
)

// Bounds of the tools' outputs.
const (
	defaultTagLimit      = 20
	maxTagLimit          = 100
	defaultDiffFiles     = 200
	maxDiffFiles         = 2000
	defaultPatchBytes    = 100_000
	maxPatchBytes        = 1_000_000
	frameworkDescription = "Framework: vllm, sglang, trtllm or dynamo (aliases: trt, tensorrt-llm, ai-dynamo)."
)

// schemaFor derives a tool's input schema from T and lets edit refine it
// (bounds, defaults, enums) beyond what struct tags can say.
func schemaFor[T any](edit func(props map[string]*jsonschema.Schema)) *jsonschema.Schema {
	s, err := jsonschema.For[T](nil)
	if err != nil {
		panic(fmt.Sprintf("schema for %T: %v", *new(T), err)) // a programming error, caught by any test
	}
	if edit != nil {
		edit(s.Properties)
	}
	return s
}

func intBounds(p *jsonschema.Schema, lo, hi, def int) {
	lof, hif := float64(lo), float64(hi)
	p.Minimum, p.Maximum = &lof, &hif
	if def != 0 {
		p.Default = []byte(fmt.Sprint(def))
	}
}

func textResult(format string, args ...any) *mcp.CallToolResult {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: fmt.Sprintf(format, args...)}}}
}

func (s *Server) addTools() {
	mcp.AddTool(s.mcp, &mcp.Tool{
		Name:        "list_versions",
		Title:       "Framework versions in the master configs",
		Description: "List the vLLM, SGLang, TensorRT-LLM and Dynamo versions that the master configs' images use, which configs use each, and which version each framework is served at.",
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true, OpenWorldHint: ptr(false)},
	}, s.listVersions)
	mcp.AddTool(s.mcp, &mcp.Tool{
		Name:        "list_tags",
		Title:       "Git tags of a framework",
		Description: "List the git tags of a framework's upstream repository, filtered by a substring and sorted by commit time (newest first), name, or version (newest first).",
		InputSchema: schemaFor[ListTagsIn](func(p map[string]*jsonschema.Schema) {
			intBounds(p["limit"], 1, maxTagLimit, defaultTagLimit)
			p["sort"].Enum = []any{"time", "name", "semver"}
			p["sort"].Default = []byte(`"time"`)
		}),
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true},
	}, s.listTags)
	mcp.AddTool(s.mcp, &mcp.Tool{
		Name:        "switch_version",
		Title:       "Serve another version",
		Description: "Serve a framework's files at another version: a version as images spell it (0.13.0, v0.5.6.post1, 1.2.0rc6) or a tag name. Resources <framework>:///path then read that version.",
		Annotations: &mcp.ToolAnnotations{IdempotentHint: true},
	}, s.switchVersion)
	mcp.AddTool(s.mcp, &mcp.Tool{
		Name:  "grep",
		Title: "Search a framework's source",
		Description: "Search a framework's served files (source and docs) at its served version, or another, with a Go RE2 regular expression matched line by line. " +
			"Results are bounded; narrow with path (a file or directory) and glob (*.py).",
		InputSchema: schemaFor[GrepIn](func(p map[string]*jsonschema.Schema) {
			intBounds(p["max_results"], 1, srctree.MaxMaxResults, srctree.DefaultMaxResults)
			intBounds(p["context"], 0, srctree.MaxContext, 0)
		}),
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true},
	}, s.grep)
	mcp.AddTool(s.mcp, &mcp.Tool{
		Name:  "diff_versions",
		Title: "What changed between two versions",
		Description: "List the served files that changed between two versions of a framework under a path (added, modified, deleted, renamed, with line counts), " +
			"optionally with the unified diff. to defaults to the served version.",
		InputSchema: schemaFor[DiffIn](func(p map[string]*jsonschema.Schema) {
			intBounds(p["max_files"], 1, maxDiffFiles, defaultDiffFiles)
			intBounds(p["max_patch_bytes"], 1000, maxPatchBytes, defaultPatchBytes)
		}),
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true},
	}, s.diffVersions)
}

func ptr[T any](v T) *T { return &v }

// plural writes "1 file", "2 files".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// ---- list_versions ----

// ListVersionsIn takes no arguments.
type ListVersionsIn struct{}

// ListVersionsOut is what the configs use and what is served.
type ListVersionsOut struct {
	ConfigFiles []string            `json:"config_files"`
	Missing     []string            `json:"missing_config_files,omitempty"`
	Frameworks  []FrameworkVersions `json:"frameworks"`
	Unmapped    []frameworks.Use    `json:"unmapped,omitempty"`
}

// FrameworkVersions is one framework's part of ListVersionsOut.
type FrameworkVersions struct {
	Framework   string           `json:"framework"`
	Repository  string           `json:"repository"`
	Primary     string           `json:"primary,omitempty"`
	Versions    []VersionUses    `json:"versions"`
	Unversioned []frameworks.Use `json:"unversioned,omitempty"`
	Served      *Served          `json:"served,omitempty"`
}

// VersionUses is one detected version and the configs that use it.
type VersionUses struct {
	Version string           `json:"version"`
	Uses    []frameworks.Use `json:"uses"`
}

// Served describes the version a framework is served at.
type Served struct {
	Requested string `json:"requested"`
	Source    string `json:"source"`
	Tag       string `json:"tag"`
	Commit    string `json:"commit"`
	Files     int    `json:"files"`
	Note      string `json:"note,omitempty"`
}

func served(c *checkout) *Served {
	if c == nil {
		return nil
	}
	return &Served{Requested: c.Requested, Source: c.Source, Tag: c.Tag, Commit: c.Commit, Files: len(c.Tree.Files()), Note: c.Note}
}

func (s *Server) listVersions(ctx context.Context, _ *mcp.CallToolRequest, _ ListVersionsIn) (*mcp.CallToolResult, *ListVersionsOut, error) {
	det, err := frameworks.Detect(s.set, s.opts.ConfigFiles)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the master configs: %w", err)
	}
	out := &ListVersionsOut{ConfigFiles: det.Files, Missing: det.Missing, Unmapped: det.Unmapped}
	var b strings.Builder
	fmt.Fprintf(&b, "Versions in %s\n", strings.Join(det.Files, ", "))
	if len(det.Missing) > 0 {
		fmt.Fprintf(&b, "(not found: %s)\n", strings.Join(det.Missing, ", "))
	}
	for _, v := range det.ByFramework {
		st := s.states[v.Framework]
		fv := FrameworkVersions{Framework: v.Framework, Repository: st.repo.URL, Unversioned: v.Unversioned, Versions: []VersionUses{}}
		fv.Primary, _ = v.Primary()
		fmt.Fprintf(&b, "\n%s (%s)\n", v.Framework, st.repo.URL)
		for _, ver := range v.Sorted() {
			uses := v.Versions[ver]
			fv.Versions = append(fv.Versions, VersionUses{Version: ver, Uses: uses})
			mark := ""
			if ver == fv.Primary {
				mark = " (primary)"
			}
			fmt.Fprintf(&b, "  %s%s: %s\n", ver, mark, configNames(uses))
		}
		if len(v.Versions) == 0 {
			b.WriteString("  (none detected)\n")
		}
		if len(v.Unversioned) > 0 {
			fmt.Fprintf(&b, "  image names no version: %s\n", configNames(v.Unversioned))
		}
		if c := st.current(); c != nil {
			fv.Served = served(c)
			fmt.Fprintf(&b, "  served: %s (commit %s, %s)\n", c.Tag, short(c.Commit), plural(len(c.Tree.Files()), "file"))
			if c.Note != "" {
				fmt.Fprintf(&b, "  note: %s\n", c.Note)
			}
		} else {
			b.WriteString("  served: not yet (cloned and extracted on first use)\n")
		}
		out.Frameworks = append(out.Frameworks, fv)
	}
	if len(det.Unmapped) > 0 {
		fmt.Fprintf(&b, "\nnot a framework this server knows: %s\n", configNames(det.Unmapped))
	}
	return textResult("%s", b.String()), out, nil
}

func configNames(uses []frameworks.Use) string {
	names := make([]string, len(uses))
	for i, u := range uses {
		names[i] = u.Config + " (" + u.Image + ")"
	}
	return strings.Join(names, ", ")
}

// ---- list_tags ----

// ListTagsIn are list_tags' arguments.
type ListTagsIn struct {
	Framework string `json:"framework" jsonschema:"Framework: vllm, sglang, trtllm or dynamo (aliases: trt, tensorrt-llm, ai-dynamo)."`
	Query     string `json:"query,omitempty" jsonschema:"Only tags whose name contains this, case-insensitively."`
	Limit     int    `json:"limit,omitempty" jsonschema:"Most tags to return."`
	Sort      string `json:"sort,omitempty" jsonschema:"time (newest commit first), name, or semver (newest version first; pre-releases before their release)."`
}

// ListTagsOut is the tag listing.
type ListTagsOut struct {
	Framework string    `json:"framework"`
	Sort      string    `json:"sort"`
	Matching  int       `json:"matching"`
	Tags      []TagInfo `json:"tags"`
	Warning   string    `json:"warning,omitempty"`
}

// TagInfo is one tag.
type TagInfo struct {
	Name    string `json:"name"`
	Commit  string `json:"commit"`
	Time    string `json:"time"`
	Version string `json:"version,omitempty"`
}

func (s *Server) listTags(ctx context.Context, req *mcp.CallToolRequest, in ListTagsIn) (*mcp.CallToolResult, *ListTagsOut, error) {
	ctx = withProgress(ctx, req.Session, req.Params.GetProgressToken())
	st, err := s.state(in.Framework)
	if err != nil {
		return nil, nil, err
	}
	limit := cmpOr(in.Limit, defaultTagLimit)
	if limit < 1 || limit > maxTagLimit {
		return nil, nil, fmt.Errorf("limit %d is out of range (1 to %d)", limit, maxTagLimit)
	}
	sortBy := cmpOr(in.Sort, "time")
	if !slices.Contains([]string{"time", "name", "semver"}, sortBy) {
		return nil, nil, fmt.Errorf("sort %q: expected time, name or semver", sortBy)
	}
	out := &ListTagsOut{Framework: st.fw.Name, Sort: sortBy, Tags: []TagInfo{}}
	release, err := st.acquire(ctx)
	if err != nil {
		return nil, nil, err
	}
	if err := s.ensure(ctx, st); err != nil {
		release()
		return nil, nil, err
	}
	// New releases appear upstream all the time: fetch once per process,
	// but a failed fetch (offline) still lists what the clone has.
	if err := s.refresh(ctx, st); err != nil {
		if ctx.Err() != nil {
			release()
			return nil, nil, ctx.Err()
		}
		out.Warning = "could not fetch new tags, listing the cached ones: " + err.Error()
	}
	tags, err := st.repo.Tags(ctx)
	release()
	if err != nil {
		return nil, nil, err
	}
	q := strings.ToLower(in.Query)
	tags = slices.DeleteFunc(tags, func(t repocache.Tag) bool { return !strings.Contains(strings.ToLower(t.Name), q) })
	switch sortBy {
	case "time":
		slices.SortStableFunc(tags, func(a, b repocache.Tag) int {
			if c := b.Time.Compare(a.Time); c != 0 {
				return c
			}
			return strings.Compare(a.Name, b.Name)
		})
	case "name":
		slices.SortStableFunc(tags, func(a, b repocache.Tag) int { return strings.Compare(a.Name, b.Name) })
	case "semver":
		names := make([]string, len(tags))
		byName := map[string]repocache.Tag{}
		for i, t := range tags {
			names[i], byName[t.Name] = t.Name, t
		}
		version.SortDesc(names)
		for i, n := range names {
			tags[i] = byName[n]
		}
	}
	out.Matching = len(tags)
	var b strings.Builder
	shown := min(limit, len(tags))
	fmt.Fprintf(&b, "Tags of %s sorted by %s: %d of %d", st.fw.Name, sortBy, shown, len(tags))
	if in.Query != "" {
		fmt.Fprintf(&b, " matching %q", in.Query)
	}
	b.WriteString("\n")
	if out.Warning != "" {
		fmt.Fprintf(&b, "warning: %s\n", out.Warning)
	}
	for _, t := range tags[:shown] {
		ti := TagInfo{Name: t.Name, Commit: short(t.Commit), Time: t.Time.Format(time.RFC3339)}
		if v, ok := version.Parse(t.Name); ok {
			ti.Version = v.String()
		}
		out.Tags = append(out.Tags, ti)
		fmt.Fprintf(&b, "  %-24s %s  %s\n", ti.Name, ti.Commit, ti.Time)
	}
	return textResult("%s", b.String()), out, nil
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// ---- switch_version ----

// SwitchIn are switch_version's arguments.
type SwitchIn struct {
	Framework string `json:"framework" jsonschema:"Framework: vllm, sglang, trtllm or dynamo (aliases: trt, tensorrt-llm, ai-dynamo)."`
	Version   string `json:"version" jsonschema:"Version or tag: 0.13.0, v0.13.0, 0.5.6.post1, 1.2.0rc6, or any tag name."`
}

// SwitchOut reports the switch.
type SwitchOut struct {
	Framework string `json:"framework"`
	Served    Served `json:"served"`
	Previous  string `json:"previous_tag,omitempty"`
}

func (s *Server) switchVersion(ctx context.Context, req *mcp.CallToolRequest, in SwitchIn) (*mcp.CallToolResult, *SwitchOut, error) {
	ctx = withProgress(ctx, req.Session, req.Params.GetProgressToken())
	st, err := s.state(in.Framework)
	if err != nil {
		return nil, nil, err
	}
	if strings.TrimSpace(in.Version) == "" {
		return nil, nil, errors.New("version is empty")
	}
	prev, next, err := s.switchTo(ctx, st, in.Version)
	if err != nil {
		return nil, nil, err
	}
	out := &SwitchOut{Framework: st.fw.Name, Served: *served(next)}
	var b strings.Builder
	fmt.Fprintf(&b, "Serving %s at %s (commit %s, %s). Read files as %s:///<path>.\n", st.fw.Name, next.Tag, short(next.Commit), plural(len(next.Tree.Files()), "file"), st.fw.Name)
	if prev != nil {
		out.Previous = prev.Tag
		fmt.Fprintf(&b, "Previously %s.\n", prev.Tag)
	}
	if next.Note != "" {
		fmt.Fprintf(&b, "Note: %s\n", next.Note)
	}
	return textResult("%s", b.String()), out, nil
}

// ---- grep ----

// GrepIn are grep's arguments.
type GrepIn struct {
	Framework  string `json:"framework" jsonschema:"Framework: vllm, sglang, trtllm or dynamo (aliases: trt, tensorrt-llm, ai-dynamo)."`
	Pattern    string `json:"pattern" jsonschema:"Regular expression, Go RE2 syntax (no backreferences or lookaround), matched against each line."`
	Path       string `json:"path,omitempty" jsonschema:"Search only this file or directory (relative to the repository root)."`
	Glob       string `json:"glob,omitempty" jsonschema:"Search only files whose name matches (*.py); with a slash, whose path matches (vllm/*/scheduler.py)."`
	IgnoreCase bool   `json:"ignore_case,omitempty" jsonschema:"Match case-insensitively."`
	MaxResults int    `json:"max_results,omitempty" jsonschema:"Most matching lines to return."`
	Context    int    `json:"context,omitempty" jsonschema:"Lines of context before and after each match."`
	Version    string `json:"version,omitempty" jsonschema:"Search this version or tag instead of the served one."`
}

// GrepOut is the search result.
type GrepOut struct {
	Framework     string      `json:"framework"`
	Tag           string      `json:"tag"`
	Commit        string      `json:"commit"`
	Matches       []GrepMatch `json:"matches"`
	FilesSearched int         `json:"files_searched"`
	FilesMatched  int         `json:"files_matched"`
	Truncated     bool        `json:"truncated"`
}

// GrepMatch is one matching line and the resource URI of its file.
type GrepMatch struct {
	srctree.GrepMatch
	URI string `json:"uri"`
}

func (s *Server) grep(ctx context.Context, req *mcp.CallToolRequest, in GrepIn) (*mcp.CallToolResult, *GrepOut, error) {
	ctx = withProgress(ctx, req.Session, req.Params.GetProgressToken())
	st, err := s.state(in.Framework)
	if err != nil {
		return nil, nil, err
	}
	p := ""
	if in.Path != "" && in.Path != "." && in.Path != "/" {
		if p, err = srctree.CleanPath(strings.TrimSuffix(in.Path, "/")); err != nil {
			return nil, nil, err
		}
	}
	c, err := s.at(ctx, st, in.Version)
	if err != nil {
		return nil, nil, err
	}
	res, err := c.Tree.Grep(ctx, srctree.GrepOptions{
		Pattern: in.Pattern, IgnoreCase: in.IgnoreCase, Path: p, Glob: in.Glob,
		MaxResults: in.MaxResults, Context: in.Context,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("%s at %s: %w", st.fw.Name, c.Tag, err)
	}
	ver := ""
	if in.Version != "" {
		ver = c.Tag
	}
	out := &GrepOut{Framework: st.fw.Name, Tag: c.Tag, Commit: c.Commit, Matches: []GrepMatch{},
		FilesSearched: res.FilesSearched, FilesMatched: res.FilesMatched, Truncated: res.Truncated}
	var b strings.Builder
	fmt.Fprintf(&b, "%s in %s of %s %s (%s searched)\n", plural(len(res.Matches), "matching line"), plural(res.FilesMatched, "file"), st.fw.Name, c.Tag, plural(res.FilesSearched, "file"))
	for _, m := range res.Matches {
		out.Matches = append(out.Matches, GrepMatch{GrepMatch: m, URI: fileURI(st.fw.Name, ver, m.Path)})
		for i, l := range m.Before {
			fmt.Fprintf(&b, "%s-%d- %s\n", m.Path, m.Line-len(m.Before)+i, l)
		}
		fmt.Fprintf(&b, "%s:%d: %s\n", m.Path, m.Line, m.Text)
		for i, l := range m.After {
			fmt.Fprintf(&b, "%s-%d- %s\n", m.Path, m.Line+1+i, l)
		}
		if in.Context > 0 {
			b.WriteString("--\n")
		}
	}
	if res.Truncated {
		fmt.Fprintf(&b, "(stopped at %d matching lines; narrow the search with path or glob, or raise max_results)\n", len(res.Matches))
	}
	return textResult("%s", b.String()), out, nil
}

// ---- diff_versions ----

// DiffIn are diff_versions' arguments.
type DiffIn struct {
	Framework     string `json:"framework" jsonschema:"Framework: vllm, sglang, trtllm or dynamo (aliases: trt, tensorrt-llm, ai-dynamo)."`
	From          string `json:"from" jsonschema:"The older version or tag."`
	To            string `json:"to,omitempty" jsonschema:"The newer version or tag; the served version if left out."`
	Path          string `json:"path,omitempty" jsonschema:"Compare only this file or directory (vllm/core, python/sglang/srt/managers/scheduler.py)."`
	IncludePatch  bool   `json:"include_patch,omitempty" jsonschema:"Also return the unified diff of the listed files."`
	MaxFiles      int    `json:"max_files,omitempty" jsonschema:"Most changed files to list; totals still cover all."`
	MaxPatchBytes int    `json:"max_patch_bytes,omitempty" jsonschema:"Cut the unified diff at this many bytes."`
}

// DiffSide names one end of a comparison.
type DiffSide struct {
	Requested string `json:"requested"`
	Tag       string `json:"tag"`
	Commit    string `json:"commit"`
}

// DiffOut is the comparison.
type DiffOut struct {
	Framework string   `json:"framework"`
	From      DiffSide `json:"from"`
	To        DiffSide `json:"to"`
	Path      string   `json:"path,omitempty"`
	repocache.Diff
}

func (s *Server) diffVersions(ctx context.Context, req *mcp.CallToolRequest, in DiffIn) (*mcp.CallToolResult, *DiffOut, error) {
	ctx = withProgress(ctx, req.Session, req.Params.GetProgressToken())
	st, err := s.state(in.Framework)
	if err != nil {
		return nil, nil, err
	}
	if strings.TrimSpace(in.From) == "" {
		return nil, nil, errors.New("from is empty: name the older version")
	}
	p := ""
	if in.Path != "" && in.Path != "." && in.Path != "/" {
		if p, err = srctree.CleanPath(strings.TrimSuffix(in.Path, "/")); err != nil {
			return nil, nil, err
		}
	}
	maxFiles := cmpOr(in.MaxFiles, defaultDiffFiles)
	patchBytes := cmpOr(in.MaxPatchBytes, defaultPatchBytes)
	if maxFiles < 1 || maxFiles > maxDiffFiles {
		return nil, nil, fmt.Errorf("max_files %d is out of range (1 to %d)", maxFiles, maxDiffFiles)
	}
	if patchBytes < 1000 || patchBytes > maxPatchBytes {
		return nil, nil, fmt.Errorf("max_patch_bytes %d is out of range (1000 to %d)", patchBytes, maxPatchBytes)
	}
	var to DiffSide
	if in.To == "" {
		c, err := s.current(ctx, st)
		if err != nil {
			return nil, nil, err
		}
		to = DiffSide{Requested: c.Requested, Tag: c.Tag, Commit: c.Commit}
	}
	release, err := st.acquire(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer release()
	m, fromCommit, err := s.resolve(ctx, st, in.From)
	if err != nil {
		return nil, nil, fmt.Errorf("from: %w", err)
	}
	from := DiffSide{Requested: in.From, Tag: m.Tag, Commit: fromCommit}
	if in.To != "" {
		m, commit, err := s.resolve(ctx, st, in.To)
		if err != nil {
			return nil, nil, fmt.Errorf("to: %w", err)
		}
		to = DiffSide{Requested: in.To, Tag: m.Tag, Commit: commit}
	}
	d, err := s.diff(ctx, st, from, to, repocache.DiffOptions{
		Path: p, MaxFiles: maxFiles, Patch: in.IncludePatch, MaxPatchBytes: patchBytes,
	})
	if err != nil {
		return nil, nil, err
	}
	out := &DiffOut{Framework: st.fw.Name, From: from, To: to, Path: p, Diff: *d}
	var b strings.Builder
	where := ""
	if p != "" {
		where = " under " + p
	}
	fmt.Fprintf(&b, "%s %s..%s%s: %s changed, +%d -%d", st.fw.Name, from.Tag, to.Tag, where, plural(d.Files, "file"), d.Insertions, d.Deletions)
	if d.Skipped > 0 {
		fmt.Fprintf(&b, " (and %s not served: tests, vendored, binary)", plural(d.Skipped, "changed file"))
	}
	b.WriteString("\n")
	for _, c := range d.Changes {
		counts := fmt.Sprintf("+%d -%d", c.Added, c.Deleted)
		if c.Added < 0 {
			counts = "binary"
		}
		if c.OldPath != "" {
			fmt.Fprintf(&b, "  %s %-12s %s -> %s\n", c.Status, counts, c.OldPath, c.Path)
		} else {
			fmt.Fprintf(&b, "  %s %-12s %s\n", c.Status, counts, c.Path)
		}
	}
	if d.Truncated {
		fmt.Fprintf(&b, "(listed %d of %d files; narrow with path or raise max_files)\n", len(d.Changes), d.Files)
	}
	if d.Patch != "" {
		b.WriteString("\n")
		b.WriteString(d.Patch)
		if d.PatchTruncated {
			fmt.Fprintf(&b, "\n(diff cut at %d bytes; narrow with path or raise max_patch_bytes)\n", patchBytes)
		}
	}
	return textResult("%s", b.String()), out, nil
}
