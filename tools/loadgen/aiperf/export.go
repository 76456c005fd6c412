package aiperf

import (
	"encoding/json"
	"time"
)

// Aggregate is profile_export_aiperf.json: metric aggregates keyed by tag at
// the top level, as AIPerf writes them, and the run's description.
type Aggregate struct {
	BenchmarkID  string
	Metrics      map[string]MetricResult
	InputConfig  map[string]any
	WasCancelled bool
	ErrorSummary []ErrorCount
	Start, End   time.Time
	Metadata     AggregateMetadata
	// Loadgen holds what loadgen measures beyond AIPerf's fields (client
	// CPU, schedule lag, prompt checks), under the key "loadgen".
	Loadgen any
}

// AggregateMetadata is the "metadata" block: the scenario's validity stamp
// and where the traces came from (upstream copies "dataset" into its
// result).
type AggregateMetadata struct {
	Scenario                 string         `json:"scenario,omitempty"`
	SubmissionValid          *bool          `json:"submission_valid,omitempty"`
	SubmissionInvalidReasons []string       `json:"submission_invalid_reasons,omitempty"`
	Dataset                  map[string]any `json:"dataset,omitempty"`
}

// MarshalJSON flattens the metrics into the top-level object.
func (a *Aggregate) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(a.Metrics)+12)
	for k, v := range a.Metrics {
		m[k] = v
	}
	m["schema_version"] = SchemaVersion
	m["aiperf_version"] = Producer
	m["benchmark_id"] = a.BenchmarkID
	m["input_config"] = a.InputConfig
	m["was_cancelled"] = a.WasCancelled
	summary := a.ErrorSummary
	if summary == nil {
		summary = []ErrorCount{}
	}
	m["error_summary"] = summary
	m["start_time"] = Timestamp(a.Start)
	m["end_time"] = Timestamp(a.End)
	m["metadata"] = a.Metadata
	if a.Loadgen != nil {
		m["loadgen"] = a.Loadgen
	}
	return json.Marshal(m)
}

// ServerMetrics is server_metrics_export.json.
type ServerMetrics struct {
	SchemaVersion string                   `json:"schema_version"`
	AIPerfVersion string                   `json:"aiperf_version"`
	BenchmarkID   string                   `json:"benchmark_id"`
	Summary       ServerMetricsSummary     `json:"summary"`
	Metrics       map[string]*MetricFamily `json:"metrics"`
}

// ServerMetricsSchemaVersion is the version of AIPerf's server metrics
// export these files follow.
const ServerMetricsSchemaVersion = "1.0"

// ServerMetricsSummary describes the collection.
type ServerMetricsSummary struct {
	EndpointsConfigured []string                `json:"endpoints_configured"`
	EndpointsSuccessful []string                `json:"endpoints_successful"`
	StartTime           string                  `json:"start_time"`
	EndTime             string                  `json:"end_time"`
	EndpointInfo        map[string]EndpointInfo `json:"endpoint_info"`
}

// EndpointInfo is one endpoint's collection record. FailedFetches and
// Errors are loadgen's: a scrape that failed, by kind, with the first
// message of each.
type EndpointInfo struct {
	TotalFetches           int          `json:"total_fetches"`
	FailedFetches          int          `json:"failed_fetches"`
	FirstFetchNS           *int64       `json:"first_fetch_ns"`
	LastFetchNS            *int64       `json:"last_fetch_ns"`
	AvgFetchLatencyMS      *float64     `json:"avg_fetch_latency_ms"`
	UniqueUpdates          int          `json:"unique_updates"`
	FirstUpdateNS          *int64       `json:"first_update_ns"`
	LastUpdateNS           *int64       `json:"last_update_ns"`
	DurationSeconds        *float64     `json:"duration_seconds"`
	AvgUpdateIntervalMS    *float64     `json:"avg_update_interval_ms"`
	MedianUpdateIntervalMS *float64     `json:"median_update_interval_ms"`
	Errors                 []FetchError `json:"errors,omitempty"`
}

// FetchError counts one kind of scrape failure.
type FetchError struct {
	Kind  string `json:"kind"`
	Count int    `json:"count"`
	First string `json:"first"`
}

// MetricFamily is one metric: its Prometheus type and its series.
type MetricFamily struct {
	Type        string   `json:"type"`
	Description string   `json:"description,omitempty"`
	Unit        string   `json:"unit,omitempty"`
	Series      []Series `json:"series"`
}

// Series is one label set of one endpoint. Stats are AIPerf's per type:
// gauges avg/min/max/std/p1…p99; counters total/rate (and rate_avg,
// rate_min, rate_max, rate_std over whole timeslices); histograms count,
// sum, avg, count_rate, sum_rate, p1_estimate…p99_estimate. Buckets are a
// histogram's counts over the period by upper bound (cumulative, as "le").
type Series struct {
	EndpointURL string             `json:"endpoint_url"`
	Labels      map[string]string  `json:"labels,omitempty"`
	Stats       map[string]float64 `json:"stats"`
	Buckets     map[string]float64 `json:"buckets,omitempty"`
	Timeslices  []Timeslice        `json:"timeslices,omitempty"`
}

// Timeslice is one window of a series.
type Timeslice struct {
	StartNS    int64              `json:"start_ns"`
	EndNS      int64              `json:"end_ns"`
	IsComplete *bool              `json:"is_complete,omitempty"`
	Avg        *float64           `json:"avg,omitempty"`
	Min        *float64           `json:"min,omitempty"`
	Max        *float64           `json:"max,omitempty"`
	Total      *float64           `json:"total,omitempty"`
	Rate       *float64           `json:"rate,omitempty"`
	Count      *float64           `json:"count,omitempty"`
	Sum        *float64           `json:"sum,omitempty"`
	Buckets    map[string]float64 `json:"buckets,omitempty"`
}

// F64 returns a pointer to x, or nil when x is not finite (JSON has no NaN).
func F64(x float64) *float64 { return f64(x) }
