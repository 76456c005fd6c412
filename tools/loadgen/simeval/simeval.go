// Package simeval is the stand-in for lm-evaluation-harness on the
// simulated runner: where lm_eval is not installed (the demo, the tests),
// an eval job still asks the simulated server its questions through the
// chat completions endpoint, at the eval's concurrency, and then writes the
// files lm-eval would have written (results_<date>.json and
// samples_<task>_<date>.jsonl under <output>/<model>/), so that
// benchmark_lib.sh's staging, `collect evals` and the accuracy gate run end
// to end. The simulated server cannot do arithmetic: the score is a number
// given on the command line, scaled by the share of questions answered,
// and every file says SIMULATED.
package simeval

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/inferencex/inferencex-go/pkg/atomicfile"
	"github.com/inferencex/inferencex-go/pkg/cliargs"
	"github.com/inferencex/inferencex-go/pkg/diag"
	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/pkg/yamldoc"
)

// Label marks everything the stand-in writes.
const Label = "SIMULATED"

// Options say what to ask and where to write.
type Options struct {
	BaseURL    string  // the server, http://127.0.0.1:PORT
	Model      string  // the served model name
	TaskFile   string  // the lm-eval task YAML (benchmarks/evals/gsm8k.yaml)
	OutputPath string  // lm-eval's --output_path
	Concurrent int     // lm-eval's num_concurrent
	Limit      int     // questions to ask
	MaxTokens  int     // max_tokens of each answer
	Score      float64 // the score when every question is answered
	Timeout    time.Duration
	// Now stamps the files (time.Now when nil).
	Now func() time.Time
}

// Defaults are the stand-in's defaults.
func Defaults() Options {
	return Options{Concurrent: 8, Limit: 16, MaxTokens: 64, Score: 0.95, Timeout: 10 * time.Minute}
}

// Parser declares the command line of `loadgen sim-eval`.
func Parser(prog string, o *Options) *cliargs.Parser {
	p := cliargs.New(prog, "Stand-in for lm-evaluation-harness against the simulated server: asks --limit questions through "+
		"/v1/chat/completions at --num-concurrent, then writes lm-eval's results and samples files, labelled SIMULATED, "+
		"with --score times the share of questions answered.")
	p.String(&o.BaseURL, "--base-url", "the server's address", cliargs.Required(), cliargs.Metavar("URL"))
	p.String(&o.Model, "--model", "the served model name", cliargs.Required())
	p.String(&o.TaskFile, "--task-file", "the lm-eval task YAML (its task name, metric and filters go into the results)", cliargs.Required(), cliargs.Metavar("FILE"))
	p.String(&o.OutputPath, "--output-path", "lm-eval's --output_path: the files go to OUTPUT/<model>/", cliargs.Required(), cliargs.Metavar("DIR"))
	p.Int(&o.Concurrent, "--num-concurrent", "questions in flight at once", cliargs.DefaultHelp("8"))
	p.Int(&o.Limit, "--limit", "questions to ask", cliargs.DefaultHelp("16"))
	p.Int(&o.MaxTokens, "--max-tokens", "max_tokens of each answer", cliargs.DefaultHelp("64"))
	p.Float(&o.Score, "--score", "the exact-match score written when every question is answered (a fraction)", cliargs.DefaultHelp("0.95"))
	return p
}

// Validate checks the options.
func (o *Options) Validate() error {
	switch {
	case o.Concurrent < 1:
		return fmt.Errorf("--num-concurrent: expected at least 1, got %d", o.Concurrent)
	case o.Limit < 1:
		return fmt.Errorf("--limit: expected at least 1, got %d", o.Limit)
	case o.MaxTokens < 1:
		return fmt.Errorf("--max-tokens: expected at least 1, got %d", o.MaxTokens)
	case math.IsNaN(o.Score) || o.Score < 0 || o.Score > 1:
		return fmt.Errorf("--score: expected a fraction from 0 to 1, got %v", o.Score)
	case !strings.HasPrefix(o.BaseURL, "http://") && !strings.HasPrefix(o.BaseURL, "https://"):
		return fmt.Errorf("--base-url: expected http://HOST:PORT, got %q", o.BaseURL)
	}
	return nil
}

// Task is what the stand-in needs of a task file.
type Task struct {
	Name    string
	Config  any    // the whole task file, as lm-eval records it under configs
	Metric  string // the first metric_list entry (exact_match without one)
	Filters []string
}

// ReadTask reads an lm-eval task YAML.
func ReadTask(path string) (*Task, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	doc, err := yamldoc.Parse(path, data)
	if err != nil {
		return nil, err
	}
	m, ok := doc.Root.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: expected a mapping (an lm-eval task)", path)
	}
	name, _ := m["task"].(string)
	if name == "" {
		return nil, fmt.Errorf("%s: task: expected the task's name", path)
	}
	t := &Task{Name: name, Config: ordered(doc, "", m), Metric: "exact_match"}
	if ml, ok := m["metric_list"].([]any); ok && len(ml) > 0 {
		if first, ok := ml[0].(map[string]any); ok {
			if s, ok := first["metric"].(string); ok && s != "" {
				t.Metric = s
			}
		}
	}
	if fl, ok := m["filter_list"].([]any); ok {
		for _, f := range fl {
			if fm, ok := f.(map[string]any); ok {
				if s, ok := fm["name"].(string); ok && s != "" {
					t.Filters = append(t.Filters, s)
				}
			}
		}
	}
	if len(t.Filters) == 0 {
		t.Filters = []string{"none"}
	}
	return t, nil
}

// ordered keeps the file's key order in the recorded config.
func ordered(doc *yamldoc.Doc, ptr string, v any) any {
	switch x := v.(type) {
	case map[string]any:
		o := &pyjson.Object{}
		for _, k := range doc.Keys(ptr) {
			o.Set(k, ordered(doc, diag.AppendToken(ptr, k), x[k]))
		}
		return o
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = ordered(doc, fmt.Sprintf("%s/%d", ptr, i), e)
		}
		return out
	}
	return v
}

// Answer is one question's fate.
type Answer struct {
	Question string
	Text     string
	Err      error
}

// Summary is what a run did.
type Summary struct {
	Asked, Answered int
	Score           float64
	Results         string // the results file
	Samples         string // the samples file
}

// Run asks the questions and writes the files.
func Run(ctx context.Context, o Options, log io.Writer) (*Summary, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	task, err := ReadTask(o.TaskFile)
	if err != nil {
		return nil, err
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	fmt.Fprintf(log, "loadgen sim-eval: %s: lm_eval is not installed here; asking the %s server %d %s question(s), %d at a time\n",
		Label, o.BaseURL, o.Limit, task.Name, o.Concurrent)
	answers := ask(ctx, o, task)
	answered := 0
	for _, a := range answers {
		if a.Err == nil {
			answered++
		}
	}
	if answered == 0 {
		return nil, fmt.Errorf("the server answered none of %d questions (first error: %v)", len(answers), answers[0].Err)
	}
	score := o.Score * float64(answered) / float64(len(answers))
	stderr := math.Sqrt(score * (1 - score) / float64(len(answers)))

	stamp := now()
	date := strings.ReplaceAll(stamp.Format("2006-01-02T15:04:05.000000"), ":", "-")
	dir := filepath.Join(o.OutputPath, sanitize(o.Model))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	res := &pyjson.Object{}
	taskRes := &pyjson.Object{}
	taskRes.Set("alias", task.Name)
	for _, f := range task.Filters {
		taskRes.Set(task.Metric+","+f, score)
		taskRes.Set(task.Metric+"_stderr,"+f, stderr)
	}
	res.Set(task.Name, taskRes)
	configs := &pyjson.Object{}
	configs.Set(task.Name, task.Config)
	nSamples := &pyjson.Object{}
	counts := &pyjson.Object{}
	counts.Set("original", len(answers))
	counts.Set("effective", len(answers))
	nSamples.Set(task.Name, counts)
	cfg := &pyjson.Object{}
	cfg.Set("model", "loadgen sim-eval ("+Label+": the simulated server answered; the score is --score times the share answered)")
	cfg.Set("base_url", o.BaseURL)
	cfg.Set("num_concurrent", o.Concurrent)
	cfg.Set("limit", o.Limit)
	cfg.Set("max_tokens", o.MaxTokens)
	cfg.Set("answered", answered)
	doc := &pyjson.Object{}
	doc.Set("results", res)
	doc.Set("configs", configs)
	doc.Set("n-samples", nSamples)
	doc.Set("config", cfg)
	doc.Set("date", float64(stamp.UnixNano())/1e9)
	doc.Set("lm_eval_version", strings.ToLower(Label))
	doc.Set("model_name", o.Model+" ("+Label+")")
	doc.Set("model_name_sanitized", sanitize(o.Model))
	doc.Set("simulated", true)
	data, err := pyjson.Marshal(doc)
	if err != nil {
		return nil, err
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, data, "", "  "); err != nil {
		return nil, err
	}
	s := &Summary{Asked: len(answers), Answered: answered, Score: score,
		Results: filepath.Join(dir, "results_"+date+".json"), Samples: filepath.Join(dir, "samples_"+task.Name+"_"+date+".jsonl")}
	if err := atomicfile.Write(s.Results, append(pretty.Bytes(), '\n'), 0o644); err != nil {
		return nil, err
	}
	var lines bytes.Buffer
	for i, a := range answers {
		line := &pyjson.Object{}
		line.Set("doc_id", i)
		line.Set("arguments", a.Question)
		if a.Err != nil {
			line.Set("error", a.Err.Error())
		} else {
			line.Set("resps", []any{[]any{a.Text}})
		}
		line.Set("simulated", true)
		b, err := pyjson.Marshal(line)
		if err != nil {
			return nil, err
		}
		lines.Write(b)
		lines.WriteByte('\n')
	}
	if err := atomicfile.Write(s.Samples, lines.Bytes(), 0o644); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "loadgen sim-eval: %s: %d of %d answered; wrote %s (score %.4f)\n", Label, answered, len(answers), s.Results, score)
	return s, nil
}

// sanitize names the model's folder as lm-eval does (/ -> __).
func sanitize(model string) string {
	return strings.ReplaceAll(strings.ReplaceAll(model, "/", "__"), ":", "-")
}

// ask sends the questions, at most o.Concurrent at a time.
func ask(ctx context.Context, o Options, task *Task) []Answer {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	client := &http.Client{}
	answers := make([]Answer, o.Limit)
	sem := make(chan struct{}, o.Concurrent)
	var wg sync.WaitGroup
	for i := range answers {
		q := fmt.Sprintf("Question: %s question %d: what is %d + %d?\nEnd your answer with: #### <answer>\nAnswer:", task.Name, i+1, i+1, 2*i+3)
		answers[i].Question = q
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				answers[i].Err = ctx.Err()
				return
			}
			defer func() { <-sem }()
			answers[i].Text, answers[i].Err = chat(ctx, client, o, q)
		}()
	}
	wg.Wait()
	return answers
}

// chat asks one question without streaming, as lm-eval's
// local-chat-completions model does.
func chat(ctx context.Context, client *http.Client, o Options, question string) (string, error) {
	body, err := json.Marshal(map[string]any{
		"model":       o.Model,
		"messages":    []map[string]string{{"role": "user", "content": question}},
		"max_tokens":  o.MaxTokens,
		"temperature": 0,
		"stream":      false,
	})
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(o.BaseURL, "/")+"/v1/chat/completions", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(data)))
	}
	var out struct {
		Choices []struct {
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return "", fmt.Errorf("not a chat completion: %w", err)
	}
	if len(out.Choices) == 0 {
		return "", errors.New("a chat completion without choices")
	}
	return out.Choices[0].Message.Content, nil
}
