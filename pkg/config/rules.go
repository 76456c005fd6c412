package config

import (
	"fmt"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/diag"
)

// point is one search-space point of an entry and where it is.
type point struct {
	s       *SearchSpace
	ptr     string // relative to the entry
	agentic *AgenticConfig
}

// points lists every search-space point of every scenario, in file order.
func (e *Entry) points() []point {
	var out []point
	for i := range e.Scenarios.FixedSeqLen {
		base := e.FixedSeqLenPtr(i)
		for j := range e.Scenarios.FixedSeqLen[i].SearchSpace {
			out = append(out, point{s: &e.Scenarios.FixedSeqLen[i].SearchSpace[j], ptr: fmt.Sprintf("%s/search-space/%d", base, j)})
		}
	}
	for i := range e.Scenarios.AgenticCoding {
		a := &e.Scenarios.AgenticCoding[i]
		for j := range a.SearchSpace {
			out = append(out, point{s: &a.SearchSpace[j], ptr: fmt.Sprintf("/scenarios/agentic-coding/%d/search-space/%d", i, j), agentic: a})
		}
	}
	return out
}

// checkEntry applies the rules the schema cannot express. The schema has
// already held the entry to its shape.
func checkEntry(e *Entry) diag.List {
	var out diag.List
	points := e.points()
	for _, p := range points {
		s := p.s
		if s.ConcStart != nil && s.ConcEnd != nil && *s.ConcEnd < *s.ConcStart {
			out = append(out, e.Diag(p.ptr+"/conc-end", "must be >= conc-start (%d)", *s.ConcStart))
		}
	}
	if e.Format == FormatFeb2026 {
		return out
	}
	for _, p := range points {
		s := p.s
		if s.Prefill == nil {
			out = append(out, checkTopology(e, p.ptr, s.TP, s.DCPSize)...)
		} else {
			out = append(out, checkTopology(e, p.ptr+"/prefill", s.Prefill.TP, s.Prefill.DCPSize)...)
			out = append(out, checkTopology(e, p.ptr+"/decode", s.Decode.TP, s.Decode.DCPSize)...)
			if (s.Prefill.Hardware == nil) != (s.Decode.Hardware == nil) {
				side := "decode"
				if s.Prefill.Hardware == nil {
					side = "prefill"
				}
				out = append(out, e.Diag(p.ptr+"/"+side, "hardware is set on one worker only: give it on both prefill and decode (a heterogeneous deployment) or on neither"))
			}
		}
		if p.agentic != nil {
			out = append(out, checkOffload(e, p)...)
		}
	}
	out = append(out, checkScope(e, points, "router", e.Router != nil, func(s *SearchSpace) bool { return s.Router != nil })...)
	out = append(out, checkScope(e, points, "kv-p2p-transfer", e.KVP2PTransfer != nil, func(s *SearchSpace) bool { return s.KVP2PTransfer != nil })...)
	if e.Disagg && e.KVP2PTransfer == nil {
		for _, p := range points {
			if p.s.KVP2PTransfer == nil {
				out = append(out, e.Diag(p.ptr, "disagg: true needs kv-p2p-transfer (the engine that moves KV state between the workers): at the top level of the config or in every search-space entry"))
			}
		}
	}
	if len(e.Scenarios.AgenticCoding) > 0 && !strings.HasPrefix(e.Runner, ClusterPrefix) {
		out = append(out, e.Diag("/runner", "an agentic-coding config must run on an exact %s<name> runner label, so that every point runs on the fleet its DRAM budget was sized for; got %q", ClusterPrefix, e.Runner))
	}
	return out
}

// checkTopology: decode context parallelism reuses the tensor-parallel
// GPUs, so tp must split evenly into dcp-size groups.
func checkTopology(e *Entry, ptr string, tp int, dcp *int) diag.List {
	if dcp == nil || tp%*dcp == 0 {
		return nil
	}
	return diag.List{e.Diag(ptr+"/dcp-size", "tp (%d) must be divisible by dcp-size (%d): decode context parallelism splits the tensor-parallel GPUs", tp, *dcp)}
}

// checkOffload: a backend goes with DRAM offload and only with it, and DRAM
// offload needs the share of the node's DRAM it may use.
func checkOffload(e *Entry, p point) diag.List {
	s := p.s
	var out diag.List
	switch {
	case s.Offloading() == OffloadDRAM && s.KVOffloadBackend == nil:
		out = append(out, e.Diag(p.ptr, "kv-offloading: dram needs kv-offload-backend {name, version?}"))
	case s.Offloading() != OffloadDRAM && s.KVOffloadBackend != nil:
		out = append(out, e.KeyDiag(p.ptr+"/kv-offload-backend", "kv-offload-backend is only valid with kv-offloading: dram"))
	}
	if s.Offloading() == OffloadDRAM && p.agentic.DRAMUtilization == nil {
		out = append(out, e.Diag(p.ptr+"/kv-offloading", "kv-offloading: dram needs dram-utilization in its agentic-coding scenario (the share of the node's CPU DRAM the offload may use)"))
	}
	return out
}

// checkScope: router and kv-p2p-transfer are declared once for the whole
// config or per search-space entry, never both, so that no point has two
// answers.
func checkScope(e *Entry, points []point, field string, top bool, inPoint func(*SearchSpace) bool) diag.List {
	if !top {
		return nil
	}
	var out diag.List
	topLine := e.KeyDiag("/"+field, "").Line
	for _, p := range points {
		if inPoint(p.s) {
			out = append(out, e.KeyDiag(p.ptr+"/"+field, "%s is also set at the top level of the config (line %d): declare it either there or in search-space entries, not both", field, topLine))
		}
	}
	return out
}
