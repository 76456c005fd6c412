// Package successrate counts, for one workflow run, how many of its jobs
// per GPU SKU succeeded, across every attempt of the run, as the original
// utils/calc_success_rate.py did with PyGithub. A job belongs to the SKU
// whose name appears in the job's name; skipped jobs do not count.
package successrate

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/google/go-github/v60/github"
	"github.com/inferencex/inferencex-go/pkg/mdtable"
	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/pkg/results"
	"github.com/inferencex/inferencex-go/tools/collect/ghapi"
)

// SKUs derives the GPU SKUs from the runner types of runners.yaml: each
// type up to its first '-' (b200-trt -> b200), each SKU once, in the order
// of first appearance.
func SKUs(runnerTypes []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range runnerTypes {
		sku, _, _ := strings.Cut(t, "-")
		if !seen[sku] {
			seen[sku] = true
			out = append(out, sku)
		}
	}
	return out
}

// Matcher finds the GPU SKU a job name is for.
type Matcher struct {
	skus []string
	res  []*regexp.Regexp
}

// NewMatcher compiles one pattern per SKU: the SKU as a whole word, or
// followed by '-' (b200 matches "b200" and "b200-trt" but not "gb200").
func NewMatcher(skus []string) *Matcher {
	m := &Matcher{skus: skus}
	for _, s := range skus {
		m.res = append(m.res, regexp.MustCompile(`\b`+regexp.QuoteMeta(strings.ToLower(s))+`(?:-|\b)`))
	}
	return m
}

// SKU returns the SKU named in a job name, "" for none. When several are
// named, the one that appears first wins, then the longer one; the
// original took whichever its set of SKUs happened to yield first.
func (m *Matcher) SKU(jobName string) string {
	name := strings.ToLower(jobName)
	best, bestAt := "", -1
	for i, re := range m.res {
		loc := re.FindStringIndex(name)
		if loc == nil {
			continue
		}
		if bestAt < 0 || loc[0] < bestAt || (loc[0] == bestAt && len(m.skus[i]) > len(best)) {
			best, bestAt = m.skus[i], loc[0]
		}
	}
	return best
}

// Counts is how many jobs of a SKU succeeded, out of how many that ran.
type Counts struct {
	NSuccess int `json:"n_success"`
	Total    int `json:"total"`
}

// Stats maps every SKU to its counts.
type Stats map[string]Counts

// Job is the part of a workflow job that counts.
type Job struct {
	Name       string
	Conclusion string // success, failure, cancelled, skipped, ... or "" while running
}

// Count buckets jobs by SKU. Every SKU gets an entry, with zero counts
// when no job was for it.
func Count(skus []string, jobs []Job) Stats {
	st := Stats{}
	for _, s := range skus {
		st[s] = Counts{}
	}
	m := NewMatcher(skus)
	for _, j := range jobs {
		sku := m.SKU(j.Name)
		if sku == "" || j.Conclusion == "skipped" {
			continue
		}
		c := st[sku]
		c.Total++
		if j.Conclusion == "success" {
			c.NSuccess++
		}
		st[sku] = c
	}
	return st
}

// JSON is the stats file: json.dump(stats, indent=2) with the SKUs sorted
// (the original wrote them in its set's order, which changed from run to
// run).
func (st Stats) JSON() ([]byte, error) {
	o := &pyjson.Object{}
	for _, k := range st.sorted() {
		c := &pyjson.Object{}
		c.Set("n_success", st[k].NSuccess)
		c.Set("total", st[k].Total)
		o.Set(k, c)
	}
	return results.MarshalIndent(o)
}

func (st Stats) sorted() []string {
	keys := make([]string, 0, len(st))
	for k := range st {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Table is the original's plain-text table: SKUs that ran at least one job,
// sorted, with their success rate.
func (st Stats) Table() string {
	var b strings.Builder
	rule := strings.Repeat("=", 60)
	fmt.Fprintf(&b, "\n%s\nGPU Success Rates\n%s\n", rule, rule)
	fmt.Fprintf(&b, "%-10s %-10s %-10s %-10s\n", "GPU", "Success", "Total", "Rate")
	b.WriteString(strings.Repeat("-", 60) + "\n")
	for _, k := range st.sorted() {
		c := st[k]
		if c.Total == 0 {
			continue
		}
		rate := float64(c.NSuccess) / float64(c.Total) * 100
		fmt.Fprintf(&b, "%-10s %-10d %-10d %-10s%%\n", k, c.NSuccess, c.Total, strconv.FormatFloat(rate, 'f', 2, 64))
	}
	b.WriteString(rule + "\n")
	return b.String()
}

// Markdown is the same table for a job summary.
func (st Stats) Markdown() string {
	var rows [][]any
	for _, k := range st.sorted() {
		c := st[k]
		if c.Total == 0 {
			continue
		}
		rows = append(rows, []any{k, c.NSuccess, c.Total, strconv.FormatFloat(float64(c.NSuccess)/float64(c.Total)*100, 'f', 2, 64) + "%"})
	}
	if len(rows) == 0 {
		return "## GPU Success Rates\n\nNo job of this run ran on a known GPU SKU.\n"
	}
	return "## GPU Success Rates\n\n" + mdtable.Table{Headers: []string{"GPU", "Success", "Total", "Rate"}, Rows: rows}.String() + "\n"
}

// Client lists a run's jobs through the GitHub REST API.
type Client struct{ *ghapi.Client }

// NewClient returns a client for the API at baseURL ("" for api.github.com)
// with a token.
func NewClient(baseURL, token string) (*Client, error) {
	c, err := ghapi.NewClient(baseURL, token)
	if err != nil {
		return nil, err
	}
	return &Client{c}, nil
}

// Run is the part of a workflow run the report names.
type Run struct {
	ID   int64
	Name string
}

// Jobs lists every job of a run, across all its attempts, page by page.
func (c *Client) Jobs(ctx context.Context, owner, repo string, runID int64) (*Run, []Job, error) {
	var run *github.WorkflowRun
	err := c.Call(ctx, fmt.Sprintf("getting run %d of %s/%s", runID, owner, repo), func() (*github.Response, error) {
		r, resp, err := c.GH.Actions.GetWorkflowRunByID(ctx, owner, repo, runID)
		run = r
		return resp, err
	})
	if err != nil {
		return nil, nil, err
	}
	c.Logf("found run %d - %s", run.GetID(), run.GetName())

	var jobs []Job
	opts := &github.ListWorkflowJobsOptions{Filter: "all", ListOptions: github.ListOptions{PerPage: 100, Page: 1}}
	for {
		var page *github.Jobs
		var resp *github.Response
		err := c.Call(ctx, fmt.Sprintf("listing the jobs of run %d (page %d)", runID, opts.Page), func() (*github.Response, error) {
			var err error
			page, resp, err = c.GH.Actions.ListWorkflowJobs(ctx, owner, repo, runID, opts)
			return resp, err
		})
		if err != nil {
			return nil, nil, err
		}
		for _, j := range page.Jobs {
			jobs = append(jobs, Job{Name: j.GetName(), Conclusion: j.GetConclusion()})
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	c.Logf("listed %d jobs of run %d", len(jobs), runID)
	return &Run{ID: run.GetID(), Name: run.GetName()}, jobs, nil
}
