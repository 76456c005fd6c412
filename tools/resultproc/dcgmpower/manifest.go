// Package dcgmpower validates and integrates the power package that
// srt-slurm's dcgm-power telemetry leaves beside a multi-node run
// (LOGS/power/{manifest.json, samples.csv, windows/*.json}), as upstream's
// utils/aggregate_power_multinode.py does: the producer's verdict is never
// trusted but recomputed from the files, the run's result is bound to its
// measurement window by content, and the energy is integrated per GPU and
// split between the prefill and decode roles. Reason codes, failure
// details, metrics and the sidecar are upstream's.
package dcgmpower

import (
	"fmt"
	"sort"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/tools/resultproc/pyvalue"
)

// The srt-slurm dcgm-power v1 wire contract.
const (
	SchemaVersion = 1
	Producer      = "srt-slurm.dcgm-power"
	PowerMetric   = "DCGM_FI_DEV_POWER_USAGE"
	PowerUnit     = "W"
	PowerScope    = "gpu_device_board_as_reported_by_dcgm"
	ClockSource   = "head_node_unix_clock"

	ManifestFile = "manifest.json"
	SamplesFile  = "samples.csv"
	WindowsDir   = "windows"

	// MaxSampleGapSeconds is fixed by the producer's contract, whatever
	// the sampling interval.
	MaxSampleGapSeconds = 3.0

	statusComplete  = "complete"
	windowRunning   = "running"
	windowCompleted = "completed"
)

// SamplesHeader is samples.csv's first row.
var SamplesHeader = []string{"schema_version", "timestamp_unix", "scrape_seq", "hostname", "gpu_index", "gpu_uuid", "power_w"}

var (
	workerRoles           = []string{"prefill", "decode", "agg"}
	windowStatuses        = []string{"running", "completed", "failed", "interrupted"}
	fatalLifecycleReasons = []string{"exporter_exited", "collector_exception", "collector_interrupted",
		"collector_join_timeout", "benchmark_child_reap_timeout"}
	startupFailureReasons = []string{"exporter_startup_timeout", "exporter_launch_failed", "endpoint_resolution_failed"}
)

// pyError is a Python exception upstream catches and reports with repr().
type pyError struct{ class, msg string }

func (e *pyError) Error() string { return e.class + "(" + pyvalue.StrRepr(e.msg) + ")" }

func valueError(format string, args ...any) *pyError {
	return &pyError{"ValueError", fmt.Sprintf(format, args...)}
}

// get is dict.get.
func get(o *pyjson.Object, key string) any { v, _ := o.Get(key); return v }

// subscript is value[key] for a str key, with Python's errors.
func subscript(v any, key string) (any, *pyError) {
	switch x := v.(type) {
	case *pyjson.Object:
		val, ok := x.Get(key)
		if !ok {
			return nil, &pyError{"KeyError", key}
		}
		return val, nil
	case []any:
		return nil, &pyError{"TypeError", "list indices must be integers or slices, not str"}
	case string:
		return nil, &pyError{"TypeError", "string indices must be integers, not 'str'"}
	}
	return nil, &pyError{"TypeError", fmt.Sprintf("'%s' object is not subscriptable", pyvalue.TypeName(v))}
}

// dictGet is v.get(key) where v must be a dict.
func dictGet(v any, key string) (any, *pyError) {
	o, ok := v.(*pyjson.Object)
	if !ok {
		return nil, &pyError{"AttributeError", fmt.Sprintf("'%s' object has no attribute 'get'", pyvalue.TypeName(v))}
	}
	return get(o, key), nil
}

func text(v any, label string) (string, *pyError) {
	s, ok := v.(string)
	if !ok || s == "" {
		return "", valueError("%s is not a non-empty string: %s", label, pyvalue.Repr(v))
	}
	return s, nil
}

func whole(v any, label string, minimum int64) (int64, *pyError) {
	n, ok := pyvalue.IsInt(v)
	if !ok || n < minimum {
		return 0, valueError("%s is not an integer >= %d: %s", label, minimum, pyvalue.Repr(v))
	}
	return n, nil
}

func role(v any) (string, *pyError) {
	s, ok := v.(string)
	if ok {
		for _, r := range workerRoles {
			if s == r {
				return s, nil
			}
		}
	}
	return "", valueError("worker_role is not one of ('prefill', 'decode', 'agg'): %s", pyvalue.Repr(v))
}

// Assignment is one worker process using a device.
type Assignment struct {
	Role        string
	Index, Proc int64
	HetGroup    int64
	HasHetGroup bool // false: het_group is None (not a heterogeneous job)
}

// deviceKey identifies a GPU: its host and index.
type deviceKey struct {
	host  string
	index int64
}

func (k deviceKey) less(o deviceKey) bool {
	if k.host != o.host {
		return k.host < o.host
	}
	return k.index < o.index
}

func sortKeys(ks []deviceKey) { sort.Slice(ks, func(i, j int) bool { return ks[i].less(ks[j]) }) }

// ExpectedDevice is a GPU the manifest says the job uses.
type ExpectedDevice struct {
	Host        string
	Index       int64
	Assignments []Assignment
}

func (d ExpectedDevice) key() deviceKey { return deviceKey{d.Host, d.Index} }

// ExpectedWindow is a benchmark the manifest says will be measured.
type ExpectedWindow struct {
	Type        string
	Concurrency int64
}

func listOrEmpty(v any, label string) ([]any, *pyError) {
	if !pyvalue.Truthy(v) {
		return nil, nil
	}
	l, ok := v.([]any)
	if !ok {
		return nil, &pyError{"TypeError", fmt.Sprintf("%s is not a list: %s", label, pyvalue.Repr(v))}
	}
	return l, nil
}

func parseExpectedDevices(m *pyjson.Object) ([]ExpectedDevice, *pyError) {
	entries, err := listOrEmpty(get(m, "expected_devices"), "expected_devices")
	if err != nil {
		return nil, err
	}
	var out []ExpectedDevice
	for _, entry := range entries {
		rawA, err := dictGet(entry, "assignments")
		if err != nil {
			return nil, err
		}
		la, ok := rawA.([]any)
		if !pyvalue.Truthy(rawA) || !ok || len(la) == 0 {
			if !pyvalue.Truthy(rawA) {
				rawA = []any{}
			}
			return nil, valueError("assignments is not a non-empty list: %s", pyvalue.Repr(rawA))
		}
		var as []Assignment
		for _, a := range la {
			var x Assignment
			v, err := subscript(a, "worker_role")
			if err != nil {
				return nil, err
			}
			if x.Role, err = role(v); err != nil {
				return nil, err
			}
			for _, f := range []struct {
				key string
				dst *int64
			}{{"worker_index", &x.Index}, {"worker_process", &x.Proc}} {
				v, err := subscript(a, f.key)
				if err != nil {
					return nil, err
				}
				if *f.dst, err = whole(v, f.key, 0); err != nil {
					return nil, err
				}
			}
			hg, _ := dictGet(a, "het_group")
			if hg != nil {
				if x.HetGroup, err = whole(hg, "het_group", 0); err != nil {
					return nil, err
				}
				x.HasHetGroup = true
			}
			as = append(as, x)
		}
		h, err := subscript(entry, "hostname")
		if err != nil {
			return nil, err
		}
		host, err := text(h, "hostname")
		if err != nil {
			return nil, err
		}
		gi, err := subscript(entry, "gpu_index")
		if err != nil {
			return nil, err
		}
		idx, err := whole(gi, "gpu_index", 0)
		if err != nil {
			return nil, err
		}
		out = append(out, ExpectedDevice{Host: host, Index: idx, Assignments: as})
	}
	return out, nil
}

func parseExpectedWindows(m *pyjson.Object) ([]ExpectedWindow, *pyError) {
	entries, err := listOrEmpty(get(m, "expected_windows"), "expected_windows")
	if err != nil {
		return nil, err
	}
	var out []ExpectedWindow
	for _, entry := range entries {
		bt, err := subscript(entry, "benchmark_type")
		if err != nil {
			return nil, err
		}
		typ, err := text(bt, "benchmark_type")
		if err != nil {
			return nil, err
		}
		c, err := subscript(entry, "concurrency")
		if err != nil {
			return nil, err
		}
		conc, err := whole(c, "concurrency", 1)
		if err != nil {
			return nil, err
		}
		out = append(out, ExpectedWindow{typ, conc})
	}
	return out, nil
}

// checkWireContract is upstream's _check_wire_contract: the manifest's
// fixed fields and lifecycle, its stored verdict aside.
func checkWireContract(m *pyjson.Object) []string {
	var f []string
	for _, kv := range []struct {
		key  string
		want any
	}{{"schema_version", int64(SchemaVersion)}, {"producer", Producer}, {"source_metric", PowerMetric},
		{"unit", PowerUnit}, {"power_scope", PowerScope}, {"timestamp_source", ClockSource}} {
		if got := get(m, kv.key); !pyvalue.Equal(got, kv.want) {
			f = append(f, fmt.Sprintf("%s is %s, expected %s", kv.key, pyvalue.Repr(got), pyvalue.Repr(kv.want)))
		}
	}
	if st := get(m, "status"); !pyvalue.Equal(st, statusComplete) {
		f = append(f, fmt.Sprintf("status is %s, expected 'complete'", pyvalue.Repr(st)))
	}
	if !pyvalue.IsFinite(get(m, "started_at_unix")) {
		f = append(f, "started_at_unix is not a finite number")
	}
	if !pyvalue.IsFinite(get(m, "stopped_at_unix")) {
		f = append(f, "stopped_at_unix is not finite in a terminal manifest")
	}
	for _, k := range []string{"sample_interval_seconds", "request_timeout_seconds"} {
		if v, ok := pyvalue.IsNumber(get(m, k)); !ok || !pyvalue.IsFinite(get(m, k)) || v <= 0 {
			f = append(f, k+" is not finite and positive")
		}
	}
	for _, k := range []string{"scrape_count", "sample_row_count"} {
		if n, ok := pyvalue.IsInt(get(m, k)); !ok || n < 0 {
			f = append(f, k+" is not a non-negative integer")
		}
	}
	required := get(m, "required")
	if _, ok := required.(bool); !ok {
		f = append(f, fmt.Sprintf("required is %s, expected a boolean", pyvalue.Repr(required)))
	}
	rc, ok := get(m, "reason_codes").([]any)
	allStr := ok
	for _, r := range rc {
		if _, isStr := r.(string); !isStr {
			allStr = false
		}
	}
	if !allStr {
		f = append(f, "reason_codes is not a list of strings")
	} else {
		blocking := append([]string(nil), fatalLifecycleReasons...)
		if required == true {
			blocking = append(blocking, startupFailureReasons...)
		}
		var bad []string
		for _, r := range rc {
			s := r.(string)
			if contains(blocking, s) && !contains(bad, s) {
				bad = append(bad, s)
			}
		}
		sort.Strings(bad)
		if len(bad) > 0 {
			f = append(f, "complete manifest carries lifecycle-failure reasons: "+strings.Join(bad, ", "))
		}
	}
	switch ex := get(m, "dcgm_exporter").(type) {
	case *pyjson.Object:
		if !pyvalue.Truthy(get(ex, "container_image_resolved")) {
			f = append(f, "dcgm_exporter.container_image_resolved is empty")
		}
	default:
		f = append(f, "dcgm_exporter is not an object")
	}
	return f
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// appendOnce appends r unless it is there already (upstream's
// _append_reason).
func appendOnce(xs *[]string, r string) {
	if !contains(*xs, r) {
		*xs = append(*xs, r)
	}
}
