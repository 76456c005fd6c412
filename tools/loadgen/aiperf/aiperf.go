// Package aiperf holds the artifact formats of AIPerf (the SemiAnalysis
// fork that upstream InferenceX drives its AgentX benchmark with), which
// loadgen replay writes so that upstream's tooling (process_agentic_result.py,
// validate_agentic_result.py, the plots) reads its runs unchanged:
//
//   - profile_export.jsonl: one record per request (metadata, metrics with
//     value and unit, error);
//   - profile_export_aiperf.json: the run's aggregates, one object per metric
//     tag with avg, percentiles, min, max, std, count and sum, and the run's
//     metadata;
//   - server_metrics_export.json: the server's Prometheus metrics over the
//     profiling period, per series, with windowed timeslices.
//
// Each file is checked against its JSON Schema before it is written.
package aiperf

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/inferencex/inferencex-go/pkg/atomicfile"
	"github.com/inferencex/inferencex-go/schemas"
	"github.com/inferencex/inferencex-go/tools/loadgen/metrics"
)

// File names inside the artifact directory.
const (
	RecordsFile       = "profile_export.jsonl"
	AggregateFile     = "profile_export_aiperf.json"
	ServerMetricsFile = "server_metrics_export.json"
)

// SchemaVersion is the version of AIPerf's JSON export these files follow.
const SchemaVersion = "1.4"

// Producer names the program in the aiperf_version fields.
const Producer = "inferencex-go loadgen replay"

// Benchmark phases.
const (
	PhaseWarmup    = "warmup"
	PhaseProfiling = "profiling"
)

// Units, as AIPerf writes them.
const (
	UnitMS        = "ms"
	UnitTokens    = "tokens"
	UnitRequests  = "requests"
	UnitPercent   = "%"
	UnitTokPerSec = "tokens/sec"
	UnitReqPerSec = "requests/sec"
	UnitTokPerSU  = "tokens/sec/user"
	UnitSeconds   = "sec"
	UnitNS        = "ns"
)

// Record is one line of profile_export.jsonl.
type Record struct {
	Metadata RecordMetadata         `json:"metadata"`
	Metrics  map[string]MetricValue `json:"metrics"`
	Error    *ErrorDetails          `json:"error"`
}

// RecordMetadata identifies a request and when it ran (wall clock, ns).
type RecordMetadata struct {
	SessionNum          int     `json:"session_num"`
	XRequestID          string  `json:"x_request_id"`
	XCorrelationID      string  `json:"x_correlation_id"`
	ConversationID      string  `json:"conversation_id"`
	TurnIndex           int     `json:"turn_index"`
	CreditIssuedNS      int64   `json:"credit_issued_ns"`
	RequestStartNS      int64   `json:"request_start_ns"`
	RequestAckNS        *int64  `json:"request_ack_ns"`
	RequestEndNS        int64   `json:"request_end_ns"`
	WorkerID            string  `json:"worker_id"`
	RecordProcessorID   string  `json:"record_processor_id"`
	BenchmarkPhase      string  `json:"benchmark_phase"`
	WasCancelled        bool    `json:"was_cancelled"`
	CancellationTimeNS  *int64  `json:"cancellation_time_ns"`
	AgentDepth          int     `json:"agent_depth"`
	ParentCorrelationID *string `json:"parent_correlation_id"`
	RootCorrelationID   string  `json:"root_correlation_id"`
}

// MetricValue is one per-request metric.
type MetricValue struct {
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
}

// ErrorDetails says why a request failed.
type ErrorDetails struct {
	Code    *int   `json:"code"`
	Type    string `json:"type"`
	Message string `json:"message"`
}

// MetricResult is a metric's aggregate over a run: AIPerf's JsonMetricResult.
type MetricResult struct {
	Unit  string   `json:"unit"`
	Avg   *float64 `json:"avg,omitempty"`
	P1    *float64 `json:"p1,omitempty"`
	P5    *float64 `json:"p5,omitempty"`
	P10   *float64 `json:"p10,omitempty"`
	P25   *float64 `json:"p25,omitempty"`
	P50   *float64 `json:"p50,omitempty"`
	P75   *float64 `json:"p75,omitempty"`
	P90   *float64 `json:"p90,omitempty"`
	P95   *float64 `json:"p95,omitempty"`
	P99   *float64 `json:"p99,omitempty"`
	Min   *float64 `json:"min,omitempty"`
	Max   *float64 `json:"max,omitempty"`
	Std   *float64 `json:"std,omitempty"`
	Count *int64   `json:"count,omitempty"`
	Sum   *float64 `json:"sum,omitempty"`
}

func f64(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

// Scalar is a metric with one value (a count, a rate).
func Scalar(unit string, v float64) MetricResult { return MetricResult{Unit: unit, Avg: f64(v)} }

// Distribution is the record-metric aggregate of samples: mean, numpy
// (linear) percentiles, min, max, population std, count and sum.
func Distribution(unit string, xs []float64) MetricResult {
	r := MetricResult{Unit: unit}
	if len(xs) == 0 {
		return r
	}
	s := metrics.Sorted(xs)
	n := int64(len(s))
	r.Count = &n
	r.Sum = f64(metrics.Sum(s))
	r.Avg = f64(metrics.Mean(s))
	r.Min, r.Max = f64(s[0]), f64(s[len(s)-1])
	r.Std = f64(metrics.Std(s))
	for _, p := range []struct {
		dst **float64
		q   float64
	}{{&r.P1, 1}, {&r.P5, 5}, {&r.P10, 10}, {&r.P25, 25}, {&r.P50, 50}, {&r.P75, 75}, {&r.P90, 90}, {&r.P95, 95}, {&r.P99, 99}} {
		*p.dst = f64(metrics.Percentile(s, p.q))
	}
	return r
}

// ErrorCount is one entry of error_summary.
type ErrorCount struct {
	ErrorDetails ErrorDetails `json:"error_details"`
	Count        int          `json:"count"`
}

// Timestamp formats a time as AIPerf's exports do: local wall clock, no
// zone, microseconds.
func Timestamp(t time.Time) string { return t.Local().Format("2006-01-02T15:04:05.000000") }

// WriteRecords writes records to profile_export.jsonl in dir, each checked
// against its schema.
func WriteRecords(dir string, records []Record, v *schemas.Validator) error {
	path := filepath.Join(dir, RecordsFile)
	return atomicfile.WriteFunc(path, 0o644, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		for i := range records {
			buf.Reset()
			if err := enc.Encode(&records[i]); err != nil {
				return fmt.Errorf("record %d: %w", i+1, err)
			}
			if err := v.ValidateJSON(schemas.AIPerfRecord, buf.Bytes()); err != nil {
				return fmt.Errorf("line %d: %w", i+1, err)
			}
			if _, err := bw.Write(buf.Bytes()); err != nil {
				return err
			}
		}
		return bw.Flush()
	})
}

// WriteJSON writes doc, indented, to name in dir after checking it against
// the schema of kind.
func WriteJSON(dir, name string, kind schemas.Kind, doc any, v *schemas.Validator) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := v.ValidateJSON(kind, buf.Bytes()); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return atomicfile.Write(filepath.Join(dir, name), buf.Bytes(), 0o644)
}

// EnsureDir creates the artifact directory.
func EnsureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("artifact directory: %w", err)
	}
	return nil
}

// Percentiles are the gauge percentiles AIPerf's server metrics export.
var Percentiles = []float64{1, 5, 10, 25, 50, 75, 90, 95, 99}
