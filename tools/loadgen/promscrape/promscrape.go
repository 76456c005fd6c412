// Package promscrape collects an inference server's Prometheus metrics
// during a run (vLLM's vllm:, SGLang's sglang:, ATOM's atom: and Dynamo's
// dynamo_ families, and whatever else /metrics serves) and turns them into
// AIPerf's server_metrics_export.json: per series, statistics over the
// profiling period and windowed timeslices.
//
// The text format is parsed by github.com/prometheus/common/expfmt. Family
// names follow what AIPerf's Python parser gives (counters lose their
// _total suffix, a counter's _created companion is dropped), since
// upstream's adapters look metrics up by those names. A scrape that fails
// (no answer, an HTTP error, JSON instead of the text format, text that does
// not parse) is counted by kind with its first message, and collection goes
// on.
package promscrape

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Failure kinds of a scrape.
const (
	FailConnect     = "connect"      // no answer
	FailHTTPStatus  = "http_status"  // an answer other than 200
	FailContentType = "content_type" // JSON, not the Prometheus text format
	FailParse       = "parse"        // text that is not the Prometheus format
	FailEmpty       = "empty"        // a valid answer without a single metric
)

// Config says what to scrape and how often.
type Config struct {
	URLs     []string
	Interval time.Duration
	Timeout  time.Duration // per scrape; Interval when zero, at most 10 s
	Client   *http.Client
}

// Scraper collects the endpoints' metrics. It is safe for concurrent use.
type Scraper struct {
	cfg       Config
	client    *http.Client
	endpoints []*endpoint
}

// New checks the configuration.
func New(cfg Config) (*Scraper, error) {
	if cfg.Interval <= 0 {
		return nil, fmt.Errorf("scrape interval must be positive, got %v", cfg.Interval)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = min(cfg.Interval, 10*time.Second)
	}
	s := &Scraper{cfg: cfg, client: cfg.Client}
	if s.client == nil {
		s.client = &http.Client{}
	}
	seen := map[string]bool{}
	for _, u := range cfg.URLs {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return nil, fmt.Errorf("server metrics URL %q: expected http://host[:port]/path", u)
		}
		if seen[u] {
			continue
		}
		seen[u] = true
		s.endpoints = append(s.endpoints, newEndpoint(u))
	}
	return s, nil
}

// Run scrapes every endpoint at once every Interval until ctx ends.
func (s *Scraper) Run(ctx context.Context) {
	if len(s.endpoints) == 0 {
		return
	}
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	s.Scrape(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.Scrape(ctx)
		}
	}
}

// Scrape scrapes every endpoint once, concurrently, and waits.
func (s *Scraper) Scrape(ctx context.Context) {
	var wg sync.WaitGroup
	for _, e := range s.endpoints {
		wg.Go(func() { s.scrapeOne(ctx, e) })
	}
	wg.Wait()
}

func (s *Scraper) scrapeOne(ctx context.Context, e *endpoint) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	start := time.Now()
	body, kind, err := fetch(ctx, s.client, e.url)
	lat := time.Since(start)
	if ctx.Err() != nil && errors.Is(context.Cause(ctx), context.Canceled) {
		return // the run ended during the scrape: not the server's failure
	}
	var fams map[string]*dto.MetricFamily
	if err == nil {
		fams, err = Parse(body)
		if err != nil {
			kind = FailParse
		} else if len(fams) == 0 {
			kind, err = FailEmpty, errors.New("the answer holds no metric")
		}
	}
	e.record(start, lat, body, fams, kind, err)
}

// fetch GETs u and returns the body of a Prometheus text answer.
func fetch(ctx context.Context, client *http.Client, u string) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, FailConnect, err
	}
	// The classic text format: OpenMetrics is not what expfmt's text parser reads.
	req.Header.Set("Accept", "text/plain;version=0.0.4;q=1,*/*;q=0.1")
	resp, err := client.Do(req)
	if err != nil {
		return nil, FailConnect, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return nil, FailHTTPStatus, fmt.Errorf("GET %s: HTTP %s: %s", u, resp.Status, strings.TrimSpace(string(snippet)))
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "application/json" {
		// TensorRT-LLM serves iteration statistics as JSON at /metrics.
		return nil, FailContentType, fmt.Errorf("GET %s: content type %s, expected the Prometheus text format (text/plain)", u, mt)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return nil, FailConnect, fmt.Errorf("GET %s: %w", u, err)
	}
	return body, "", nil
}

// Parse reads the Prometheus text format.
func Parse(body []byte) (map[string]*dto.MetricFamily, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("not the Prometheus text format: %w", err)
	}
	return fams, nil
}

// endpoint is one /metrics URL and what it served.
type endpoint struct {
	url string

	mu         sync.Mutex
	fetches    int
	failed     int
	errs       map[string]*failure
	latency    time.Duration // sum over successful fetches
	firstFetch time.Time
	lastFetch  time.Time
	lastHash   uint64
	updates    []time.Time // when the content changed
	fams       map[string]*family
}

type failure struct {
	count int
	first string
	order int
}

func newEndpoint(u string) *endpoint {
	return &endpoint{url: u, errs: map[string]*failure{}, fams: map[string]*family{}}
}

func (e *endpoint) record(at time.Time, lat time.Duration, body []byte, fams map[string]*dto.MetricFamily, kind string, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.fetches++
	if e.firstFetch.IsZero() {
		e.firstFetch = at
	}
	e.lastFetch = at
	if err != nil {
		e.failed++
		f := e.errs[kind]
		if f == nil {
			f = &failure{first: err.Error(), order: len(e.errs)}
			e.errs[kind] = f
		}
		f.count++
		return
	}
	e.latency += lat
	h := fnv.New64a()
	_, _ = h.Write(body)
	if sum := h.Sum64(); sum != e.lastHash || len(e.updates) == 0 {
		e.lastHash = sum
		e.updates = append(e.updates, at)
	}
	e.ingest(at.UnixNano(), fams)
}

// family is one metric family of one endpoint.
type family struct {
	typ, help string
	series    map[string]*series
}

type series struct {
	labels  map[string]string
	samples []sample
}

// sample is one scrape of a series: a gauge's or counter's value, or a
// histogram's count, sum and cumulative bucket counts.
type sample struct {
	t       int64
	v       float64
	sum     float64
	bounds  []float64
	buckets []float64
}

// ingest adds one scrape's families, named as AIPerf names them.
func (e *endpoint) ingest(t int64, fams map[string]*dto.MetricFamily) {
	for name, mf := range fams {
		typ := ""
		switch mf.GetType() {
		case dto.MetricType_COUNTER:
			typ = "counter"
			name = strings.TrimSuffix(name, "_total")
		case dto.MetricType_GAUGE:
			typ = "gauge"
		case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
			typ = "histogram"
		case dto.MetricType_UNTYPED:
			typ = "unknown"
		default:
			continue // summaries: lifetime quantiles say nothing about the run
		}
		if base, ok := strings.CutSuffix(name, "_created"); ok && typ != "counter" && typ != "histogram" {
			if companion(fams, base) {
				continue
			}
		}
		f := e.fams[name]
		if f == nil || f.typ != typ {
			f = &family{typ: typ, help: mf.GetHelp(), series: map[string]*series{}}
			e.fams[name] = f
		}
		for _, m := range mf.GetMetric() {
			s, ok := toSample(t, typ, m)
			if !ok {
				continue
			}
			key, labels := labelKey(m)
			se := f.series[key]
			if se == nil {
				se = &series{labels: labels}
				f.series[key] = se
			}
			se.samples = append(se.samples, s)
		}
	}
}

// companion tells whether base is a counter or histogram of the scrape, of
// which base_created is the creation time prometheus_client writes.
func companion(fams map[string]*dto.MetricFamily, base string) bool {
	if mf, ok := fams[base+"_total"]; ok && mf.GetType() == dto.MetricType_COUNTER {
		return true
	}
	if mf, ok := fams[base]; ok && (mf.GetType() == dto.MetricType_COUNTER || mf.GetType() == dto.MetricType_HISTOGRAM) {
		return true
	}
	return false
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func toSample(t int64, typ string, m *dto.Metric) (sample, bool) {
	s := sample{t: t}
	switch typ {
	case "counter":
		s.v = m.GetCounter().GetValue()
	case "gauge":
		s.v = m.GetGauge().GetValue()
	case "unknown":
		s.v = m.GetUntyped().GetValue()
	case "histogram":
		h := m.GetHistogram()
		s.v, s.sum = float64(h.GetSampleCount()), h.GetSampleSum()
		if h.SampleCountFloat != nil {
			s.v = h.GetSampleCountFloat()
		}
		for _, b := range h.GetBucket() {
			c := float64(b.GetCumulativeCount())
			if b.CumulativeCountFloat != nil {
				c = b.GetCumulativeCountFloat()
			}
			if !finite(c) || math.IsNaN(b.GetUpperBound()) {
				return s, false
			}
			s.bounds = append(s.bounds, b.GetUpperBound())
			s.buckets = append(s.buckets, c)
		}
		if n := len(s.bounds); n == 0 || !math.IsInf(s.bounds[n-1], 1) {
			s.bounds = append(s.bounds, math.Inf(1))
			s.buckets = append(s.buckets, s.v)
		}
		if !finite(s.sum) {
			return s, false
		}
	}
	return s, finite(s.v)
}

func labelKey(m *dto.Metric) (string, map[string]string) {
	pairs := m.GetLabel()
	if len(pairs) == 0 {
		return "", nil
	}
	labels := make(map[string]string, len(pairs))
	keys := make([]string, 0, len(pairs))
	for _, lp := range pairs {
		labels[lp.GetName()] = lp.GetValue()
		keys = append(keys, lp.GetName())
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte(0)
		b.WriteString(labels[k])
		b.WriteByte(0)
	}
	return b.String(), labels
}

// Failures counts the failed scrapes of every endpoint.
func (s *Scraper) Failures() (failed, total int) {
	for _, e := range s.endpoints {
		e.mu.Lock()
		failed += e.failed
		total += e.fetches
		e.mu.Unlock()
	}
	return failed, total
}

// Errors describes each endpoint's failures, one line per kind, for logs.
func (s *Scraper) Errors() []string {
	var out []string
	for _, e := range s.endpoints {
		e.mu.Lock()
		for _, fe := range e.fetchErrors() {
			out = append(out, fmt.Sprintf("%s: %d × %s (first: %s)", e.url, fe.Count, fe.Kind, fe.First))
		}
		e.mu.Unlock()
	}
	return out
}
