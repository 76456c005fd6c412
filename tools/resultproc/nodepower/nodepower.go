// Package nodepower measures the energy of a multi-node run from gpumon's
// own files, one per Slurm node: GPU_METRICS_DIR/<role>_<hostname>.csv,
// role prefill or decode (benchmarks/multinode_lib.sh names them from the
// node's place in the allocation). Each node is validated and integrated
// as a single-node run is (gpumon's format, its energy counter, the same
// bracketing and gap rules) over the result's benchmark window; the
// energies then add up per role and for the whole deployment, under
// upstream's multi-node field names.
//
// The window comes from the load generator's clock on the head node and
// each file from its own node's clock: the nodes of a Slurm cluster keep
// time with NTP, well within the 100 ms between samples.
package nodepower

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/tools/resultproc/dcgmpower"
	"github.com/inferencex/inferencex-go/tools/resultproc/power"
	"github.com/inferencex/inferencex-go/tools/resultproc/pynum"
)

// Method names the sidecar's integration: per node, the counter when
// every node has one, else integrated power everywhere.
const (
	MethodCounter   = power.MethodCounter
	MethodTrapezoid = power.MethodTrapezoid
)

// Roles a node file can have.
var Roles = []string{"prefill", "decode"}

// NodeFile is one node's telemetry file.
type NodeFile struct {
	Path, Role, Host string
}

// FindNodeFiles lists the node files of dir, by role then host. A file
// whose name has no known role is an error: its GPUs cannot be counted.
func FindNodeFiles(dir string) ([]NodeFile, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []NodeFile
	for _, e := range ents {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".csv") || strings.HasSuffix(name, "_energy_start.csv") || strings.HasSuffix(name, "_energy_end.csv") {
			continue
		}
		role, host, ok := strings.Cut(strings.TrimSuffix(name, ".csv"), "_")
		if !ok || host == "" || !contains(Roles, role) {
			return nil, fmt.Errorf("%s: expected <role>_<hostname>.csv with role %s", filepath.Join(dir, name), strings.Join(Roles, " or "))
		}
		out = append(out, NodeFile{Path: filepath.Join(dir, name), Role: role, Host: host})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Role != out[j].Role {
			return out[i].Role == "prefill"
		}
		return out[i].Host < out[j].Host
	})
	return out, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// Result is the verdict on one multi-node result.
type Result struct {
	Valid     bool
	Reasons   []string
	Failures  []string
	Method    string
	Nodes     []NodeFile
	perNode   []*power.Integration
	Metrics   []power.Metric
	Benchmark *power.Benchmark
	Expected  map[string]int64
	Observed  map[string]int64
	Role      *pyjson.Object
	EnergyJ   *pyjson.Object
	MaxGap    *pyjson.Object
	Counter   *pyjson.Object
}

func appendOnce(xs *[]string, x string) {
	if !contains(*xs, x) {
		*xs = append(*xs, x)
	}
}

// Evaluate validates and integrates the node files of dir over the raw
// result's window (raw: the decoded result), expecting prefillGPUs and
// decodeGPUs GPUs in the two roles.
func Evaluate(dir string, raw any, prefillGPUs, decodeGPUs int64, opt power.Options) *Result {
	r := &Result{Method: MethodTrapezoid, Role: &pyjson.Object{}, EnergyJ: &pyjson.Object{}, MaxGap: &pyjson.Object{},
		Expected: map[string]int64{"prefill": prefillGPUs, "decode": decodeGPUs}, Observed: map[string]int64{}}
	b, breasons := power.LoadBenchmark(raw)
	r.Benchmark = b
	for _, x := range breasons {
		appendOnce(&r.Reasons, x)
	}
	files, err := FindNodeFiles(dir)
	switch {
	case err != nil && os.IsNotExist(err):
		appendOnce(&r.Reasons, "telemetry_file_missing")
		r.Failures = append(r.Failures, "no node telemetry directory "+dir)
	case err != nil:
		appendOnce(&r.Reasons, "telemetry_file_unreadable")
		r.Failures = append(r.Failures, err.Error())
	case len(files) == 0:
		appendOnce(&r.Reasons, "telemetry_file_missing")
		r.Failures = append(r.Failures, "no node telemetry files in "+dir)
	}
	r.Nodes = files
	if b == nil || len(files) == 0 {
		return r
	}

	allCounter := true
	for _, f := range files {
		in := power.Integrate(f.Path, b.StartUnix, b.EndUnix, nil, opt)
		r.perNode = append(r.perNode, in)
		for _, x := range in.Reasons {
			appendOnce(&r.Reasons, x)
			r.Failures = append(r.Failures, fmt.Sprintf("%s (%s)", x, filepath.Base(f.Path)))
		}
		if in.Counter == nil || !in.Counter.Available {
			allCounter = false
		}
		r.Observed[f.Role] += int64(len(in.ObservedIDs))
	}
	for _, role := range Roles {
		if r.Observed[role] != r.Expected[role] {
			appendOnce(&r.Reasons, "topology_env_mismatch")
			r.Failures = append(r.Failures, fmt.Sprintf("expected %d %s GPUs, found %d", r.Expected[role], role, r.Observed[role]))
		}
	}
	if allCounter {
		r.Method = MethodCounter
	}

	roleEnergy := map[string]float64{}
	var energies, counters, integrated []float64
	complete := true
	counterBlock := &pyjson.Object{}
	perCounter, perIntegrated := &pyjson.Object{}, &pyjson.Object{}
	for i, f := range files {
		in := r.perNode[i]
		for _, id := range in.ObservedIDs {
			label := f.Host + "/" + id
			if u := in.UUIDs[id]; len(u) == 1 {
				label = f.Host + "/" + u[0]
			}
			r.Role.Set(label, f.Role)
			if g, ok := in.MaxGap[id]; ok {
				r.MaxGap.Set(label, g)
			}
			// A node file in another tool's format (nvidia-smi's) has no
			// counter check: its energy is integrated power.
			trap, ok := in.EnergyJ[id]
			if in.Counter != nil {
				trap, ok = in.Counter.IntegratedJ[id]
			}
			if !ok {
				complete = false
				continue
			}
			e := trap
			if allCounter {
				e = in.Counter.CounterJ[id]
			}
			if in.Counter != nil {
				if c, ok := in.Counter.CounterJ[id]; ok {
					perCounter.Set(label, c)
					counters = append(counters, c)
				}
			}
			perIntegrated.Set(label, trap)
			integrated = append(integrated, trap)
			r.EnergyJ.Set(label, e)
			energies = append(energies, e)
			roleEnergy[f.Role] += e
		}
	}
	totalCounter, totalIntegrated := pynum.Sum(counters), pynum.Sum(integrated)
	counterBlock.Set("available", allCounter)
	counterBlock.Set("energy_counter_j", nil)
	if len(counters) > 0 {
		counterBlock.Set("energy_counter_j", totalCounter)
	}
	counterBlock.Set("integrated_power_j", totalIntegrated)
	if allCounter && totalCounter > 0 {
		counterBlock.Set("relative_difference", (totalIntegrated-totalCounter)/totalCounter)
	} else {
		counterBlock.Set("relative_difference", nil)
	}
	counterBlock.Set("per_gpu_energy_counter_j", perCounter)
	counterBlock.Set("per_gpu_integrated_power_j", perIntegrated)
	r.Counter = counterBlock

	if len(r.Reasons) > 0 || !complete {
		return r
	}
	dur := b.EndUnix - b.StartUnix
	total := pynum.Sum(energies)
	n := float64(prefillGPUs + decodeGPUs)
	r.Metrics = []power.Metric{
		{Key: "avg_power_w", Value: total / dur / n},
		{Key: "avg_total_gpu_power_w", Value: total / dur},
		{Key: "total_gpu_energy_j", Value: total},
		{Key: "joules_per_successful_query", Value: total / float64(b.Completed)},
		{Key: "joules_per_input_token", Value: total / float64(b.InputTokens)},
		{Key: "joules_per_output_token", Value: total / float64(b.OutputTokens)},
		{Key: "joules_per_total_token", Value: total / float64(b.InputTokens+b.OutputTokens)},
	}
	if prefillGPUs > 0 {
		e := roleEnergy["prefill"]
		r.Metrics = append(r.Metrics, power.Metric{Key: "prefill_gpu_energy_j", Value: e},
			power.Metric{Key: "prefill_avg_power_w", Value: e / dur / float64(prefillGPUs)},
			power.Metric{Key: "prefill_joules_per_input_token", Value: e / float64(b.InputTokens)})
	}
	if decodeGPUs > 0 {
		e := roleEnergy["decode"]
		r.Metrics = append(r.Metrics, power.Metric{Key: "decode_gpu_energy_j", Value: e},
			power.Metric{Key: "decode_avg_power_w", Value: e / dur / float64(decodeGPUs)},
			power.Metric{Key: "decode_joules_per_output_token", Value: e / float64(b.OutputTokens)})
	}
	r.Valid = true
	return r
}

// Invalidate records a late reason (the aggregate) and withholds metrics.
func (r *Result) Invalidate(reason, detail string) {
	appendOnce(&r.Reasons, reason)
	if detail != "" {
		r.Failures = append(r.Failures, detail)
	}
	r.Valid, r.Metrics = false, nil
}

// Sidecar is the power_validation document of a node-file measurement: the
// multi-node sidecar's fields that apply, plus each node's file, role and
// what was found in it.
func (r *Result) Sidecar(dir, benchResult string) *pyjson.Object {
	o := &pyjson.Object{}
	o.Set("schema_version", int64(1))
	o.Set("power_valid", r.Valid)
	o.Set("reasons", nonNil(r.Reasons))
	o.Set("failures", nonNil(r.Failures))
	o.Set("telemetry_source", dcgmpower.PyPath(dir))
	o.Set("benchmark_result", benchResult)
	o.Set("benchmark_window", power.WindowObject(r.Benchmark))
	o.Set("integration_method", r.Method)
	exp, obs := &pyjson.Object{}, &pyjson.Object{}
	for _, role := range Roles {
		exp.Set(role, r.Expected[role])
		obs.Set(role, r.Observed[role])
	}
	o.Set("expected_gpu_count", r.Expected["prefill"]+r.Expected["decode"])
	o.Set("observed_gpu_count", r.Observed["prefill"]+r.Observed["decode"])
	o.Set("expected_gpus_per_role", exp)
	o.Set("observed_gpus_per_role", obs)
	nodes := make([]any, len(r.Nodes))
	for i, f := range r.Nodes {
		n := &pyjson.Object{}
		n.Set("hostname", f.Host)
		n.Set("role", f.Role)
		n.Set("telemetry_file", filepath.Base(f.Path))
		if i < len(r.perNode) {
			in := r.perNode[i]
			n.Set("observed_gpu_ids", nonNil(in.ObservedIDs))
			n.Set("integration_method", in.Method)
			n.Set("reasons", nonNil(in.Reasons))
			n.Set("telemetry_last_row_truncated", in.Truncated)
		}
		nodes[i] = n
	}
	o.Set("nodes", nodes)
	o.Set("per_gpu_role", r.Role)
	o.Set("per_gpu_max_sample_gap_s", r.MaxGap)
	o.Set("per_gpu_energy_j", r.EnergyJ)
	if r.Counter != nil {
		o.Set("energy_counter_check", r.Counter)
	} else {
		o.Set("energy_counter_check", nil)
	}
	o.Set("metrics", power.MetricsObject(r.Metrics))
	return o
}

func nonNil(xs []string) []any { return power.Strings(xs) }
