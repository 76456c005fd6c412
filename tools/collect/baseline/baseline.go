// Package baseline finds, for a pull request's sweep, what main measured
// of the same configurations: it walks the successful runs of the sweep
// workflow on main, newest first, downloads each run's aggregate artifact
// (results_bmk, agg_bmk.json) through the GitHub API, and keeps for every
// current result the newest of its configuration (of the same recipe
// fingerprint when main has one). A run on main sweeps only what its
// changelog entries named, so one run rarely holds every configuration:
// the walk goes back until each result has its baseline or MaxRuns runs
// were read. It stands where upstream's compare_results.py queried its
// results database.
package baseline

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/inferencex/inferencex-go/pkg/mdtable"
	"github.com/inferencex/inferencex-go/pkg/results"
	"github.com/inferencex/inferencex-go/schemas"
	"github.com/inferencex/inferencex-go/tools/collect/ghapi"
)

// Options say where to look.
type Options struct {
	Owner, Repo string
	Workflow    string // the sweep workflow's file name: run-sweep.yml
	Branch      string // main
	Artifact    string // results_bmk: the aggregate of a run's processed results
	MaxRuns     int    // successful runs to read at most
	// MaxArtifactBytes bounds a download (the zip) and what it unpacks to.
	MaxArtifactBytes int64
}

// Defaults are the workflow's settings.
func Defaults() Options {
	return Options{Workflow: "run-sweep.yml", Branch: "main", Artifact: "results_bmk", MaxRuns: 30, MaxArtifactBytes: 256 << 20}
}

// Run is a workflow run a baseline result came from.
type Run struct {
	ID        int64
	Number    int
	SHA       string
	URL       string
	CreatedAt time.Time
	Results   int // results of this run kept as baselines
}

// Found is what the search kept.
type Found struct {
	// Baseline holds the chosen results, one per configuration, in the
	// order of the current results they belong to.
	Baseline []*results.Processed
	// From says which run each baseline result came from.
	From map[*results.Processed]*Run
	// Runs are the runs read, newest first; Matched counts the current
	// results with a baseline.
	Runs    []*Run
	Matched int
	// Skipped names runs whose artifact could not be used, and why.
	Skipped []string
}

// Find searches main's runs for baselines of the current results.
func Find(ctx context.Context, c *ghapi.Client, v *schemas.Validator, o Options, current []*results.Processed) (*Found, error) {
	if o.MaxRuns < 1 {
		return nil, errors.New("at least one run must be read (--max-runs)")
	}
	need := map[string]bool{}       // the configurations of this sweep
	wantFP := map[string][]string{} // their recipe fingerprints ("" where a result has none)
	for _, r := range current {
		k := r.BaselineKey()
		need[k] = true
		wantFP[k] = append(wantFP[k], r.Str("recipe_fingerprint"))
	}
	f := &Found{From: map[*results.Processed]*Run{}}
	var candidates []*results.Processed
	satisfied := map[string]bool{} // configuration+fingerprint found
	done := func() bool {
		for k := range need {
			for _, fp := range wantFP[k] {
				if !satisfied[k+"\x00"+fp] && !(fp == "" && satisfied[k+"\x00*"]) {
					return false
				}
			}
		}
		return true
	}

	opts := &github.ListWorkflowRunsOptions{Branch: o.Branch, Status: "success", Event: "push",
		ListOptions: github.ListOptions{PerPage: min(o.MaxRuns, 100), Page: 1}}
	for len(f.Runs) < o.MaxRuns && !done() {
		var page *github.WorkflowRuns
		var resp *github.Response
		err := c.Call(ctx, fmt.Sprintf("listing the successful %s runs on %s (page %d)", o.Workflow, o.Branch, opts.Page), func() (*github.Response, error) {
			var err error
			page, resp, err = c.GH.Actions.ListWorkflowRunsByFileName(ctx, o.Owner, o.Repo, o.Workflow, opts)
			return resp, err
		})
		if err != nil {
			return nil, err
		}
		for _, wr := range page.WorkflowRuns {
			if len(f.Runs) >= o.MaxRuns || done() {
				break
			}
			run := &Run{ID: wr.GetID(), Number: wr.GetRunNumber(), SHA: wr.GetHeadSHA(), URL: wr.GetHTMLURL(), CreatedAt: wr.GetCreatedAt().Time}
			f.Runs = append(f.Runs, run)
			rs, err := runResults(ctx, c, v, o, run)
			if err != nil {
				var skip *skipError
				if errors.As(err, &skip) {
					f.Skipped = append(f.Skipped, fmt.Sprintf("run %d: %s", run.Number, skip.why))
					c.Logf("run %d (%s): %s", run.Number, short(run.SHA), skip.why)
					continue
				}
				return nil, err
			}
			kept := 0
			for _, r := range rs {
				if r.Agentic() {
					continue // main's agentic rows: no fixed-seq-len configuration
				}
				k := r.BaselineKey()
				if !need[k] {
					continue
				}
				candidates = append(candidates, r)
				f.From[r] = run
				satisfied[k+"\x00"+r.Str("recipe_fingerprint")] = true
				satisfied[k+"\x00*"] = true
				kept++
			}
			c.Logf("run %d (%s, %s): %d of its %d results are configurations of this sweep", run.Number, short(run.SHA),
				run.CreatedAt.UTC().Format("2006-01-02"), kept, len(rs))
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}

	seen := map[*results.Processed]bool{}
	for _, p := range results.PairWithBaseline(current, candidates) {
		if p.Base == nil {
			continue
		}
		f.Matched++
		if !seen[p.Base] {
			seen[p.Base] = true
			f.Baseline = append(f.Baseline, p.Base)
			f.From[p.Base].Results++
		}
	}
	for r := range f.From {
		if !seen[r] {
			delete(f.From, r)
		}
	}
	return f, nil
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// skipError is a run whose artifact cannot be used (expired, missing,
// unreadable): the search goes on with older runs.
type skipError struct{ why string }

func (e *skipError) Error() string { return e.why }

// runResults downloads a run's aggregate artifact and reads the processed
// results in it.
func runResults(ctx context.Context, c *ghapi.Client, v *schemas.Validator, o Options, run *Run) ([]*results.Processed, error) {
	var art *github.Artifact
	lopts := &github.ListOptions{PerPage: 100, Page: 1}
	for art == nil {
		var list *github.ArtifactList
		var resp *github.Response
		err := c.Call(ctx, fmt.Sprintf("listing the artifacts of run %d", run.ID), func() (*github.Response, error) {
			var err error
			list, resp, err = c.GH.Actions.ListWorkflowRunArtifacts(ctx, o.Owner, o.Repo, run.ID, lopts)
			return resp, err
		})
		if err != nil {
			return nil, err
		}
		for _, a := range list.Artifacts {
			if a.GetName() == o.Artifact {
				art = a
				break
			}
		}
		if art != nil || resp.NextPage == 0 {
			break
		}
		lopts.Page = resp.NextPage
	}
	switch {
	case art == nil:
		return nil, &skipError{fmt.Sprintf("no artifact %s", o.Artifact)}
	case art.GetExpired():
		return nil, &skipError{fmt.Sprintf("artifact %s has expired", o.Artifact)}
	case art.GetSizeInBytes() > o.MaxArtifactBytes:
		return nil, &skipError{fmt.Sprintf("artifact %s is %d bytes, more than %d", o.Artifact, art.GetSizeInBytes(), o.MaxArtifactBytes)}
	}
	var loc string
	var status int
	err := c.Call(ctx, fmt.Sprintf("locating artifact %d of run %d", art.GetID(), run.ID), func() (*github.Response, error) {
		u, resp, err := c.GH.Actions.DownloadArtifact(ctx, o.Owner, o.Repo, art.GetID(), 0)
		if u != nil {
			loc = u.String()
		}
		if resp != nil {
			status = resp.StatusCode
		}
		return resp, err
	})
	if err != nil {
		// Bad credentials end the search; a gone artifact only this run.
		if status == http.StatusUnauthorized || status == http.StatusForbidden || status == 0 {
			return nil, err
		}
		return nil, &skipError{fmt.Sprintf("artifact %s cannot be downloaded: %v", o.Artifact, err)}
	}
	data, err := download(ctx, c.HTTP, loc, o.MaxArtifactBytes)
	if err != nil {
		return nil, fmt.Errorf("downloading artifact %s of run %d: %w", o.Artifact, run.ID, err)
	}
	return ReadArtifact(v, data, fmt.Sprintf("run %d %s", run.Number, o.Artifact), o.MaxArtifactBytes)
}

// ReadArtifact reads the processed results of a downloaded artifact (a zip
// archive of aggregates: every *.json in it, in name order). Anything that
// cannot be used is a *skipError saying why.
func ReadArtifact(v *schemas.Validator, data []byte, source string, limit int64) ([]*results.Processed, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, &skipError{fmt.Sprintf("%s is not a zip archive: %v", source, err)}
	}
	files := append([]*zip.File(nil), zr.File...)
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	var out []*results.Processed
	var total int64
	for _, zf := range files {
		if zf.FileInfo().IsDir() || path.Ext(zf.Name) != ".json" {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			return nil, &skipError{fmt.Sprintf("%s/%s: %v", source, zf.Name, err)}
		}
		// The sizes in the archive are claims: count what comes out.
		body, err := io.ReadAll(io.LimitReader(rc, limit-total+1))
		rc.Close()
		if err != nil {
			return nil, &skipError{fmt.Sprintf("%s/%s: %v", source, zf.Name, err)}
		}
		total += int64(len(body))
		if total > limit {
			return nil, &skipError{fmt.Sprintf("%s unpacks to more than %d bytes", source, limit)}
		}
		rs, err := results.ParseAggregate(v, source+"/"+zf.Name, body)
		if err != nil {
			return nil, &skipError{err.Error()}
		}
		out = append(out, rs...)
	}
	if len(out) == 0 {
		return nil, &skipError{fmt.Sprintf("%s holds no aggregate", source)}
	}
	return out, nil
}

// download fetches an artifact from its signed URL, without the API token.
func download(ctx context.Context, hc *http.Client, url string, limit int64) ([]byte, error) {
	if !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://") {
		return nil, fmt.Errorf("the API gave no download address (%q)", url)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %s", resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("more than %d bytes", limit)
	}
	return data, nil
}

// Markdown says where the baseline came from, for the job summary.
func (f *Found) Markdown(current int, o Options) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Baseline from %s\n\n", o.Branch)
	fmt.Fprintf(&b, "%d of %d result(s) have a baseline: the newest result of their configuration (of the same recipe where %s has it) among the last %d successful %s run(s) on %s.\n",
		f.Matched, current, o.Branch, len(f.Runs), o.Workflow, o.Branch)
	var rows [][]any
	for _, r := range f.Runs {
		if r.Results == 0 {
			continue
		}
		rows = append(rows, []any{fmt.Sprintf("[#%d](%s)", r.Number, r.URL), short(r.SHA), r.CreatedAt.UTC().Format("2006-01-02 15:04"), r.Results})
	}
	if len(rows) > 0 {
		b.WriteString("\n" + mdtable.Table{Headers: []string{"Run", "Commit", "Created (UTC)", "Baseline results"}, Rows: rows}.String() + "\n")
	}
	if len(f.Skipped) > 0 {
		b.WriteString("\nNot used: " + strings.Join(f.Skipped, "; ") + ".\n")
	}
	return b.String()
}
