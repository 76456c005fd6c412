package process

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/pkg/results"
)

// Format is the generation of process_result.py whose output a job gets.
type Format int

const (
	// Feb2026 is the output of process_result.py at f0e131f2e: no recipe
	// fingerprint, no pipeline or context parallelism, throughput per GPU
	// over TP alone.
	Feb2026 Format = iota
	// Today is the output of upstream main's process_result.py: the recipe
	// fingerprint, router and KV-transfer metadata, PP/DCP/PCP sizes,
	// heterogeneous prefill/decode hardware and aggregated multi-node
	// results.
	Today
)

func (f Format) String() string {
	if f == Today {
		return "today"
	}
	return "feb-2026"
}

// TodayVars are the variables that only today's benchmark workflows set.
// Upstream main's templates set every one of them on every job, even when
// empty (a workflow input without a value is an empty variable), and the
// Feb-2026 templates set none, so their presence tells which output the
// job's consumers expect.
var TodayVars = []string{
	"RECIPE_FINGERPRINT", "ROUTER_METADATA", "KV_P2P_TRANSFER",
	"PP_SIZE", "DCP_SIZE", "PCP_SIZE",
	"PREFILL_PP_SIZE", "PREFILL_DCP_SIZE", "PREFILL_PCP_SIZE",
	"DECODE_PP_SIZE", "DECODE_DCP_SIZE", "DECODE_PCP_SIZE",
	"PREFILL_HARDWARE", "DECODE_HARDWARE",
}

// DetectFormat decides the output format from the environment: Today when
// any of TodayVars is set (even to ""), else Feb2026.
func DetectFormat(lookup Lookup) Format {
	for _, name := range TodayVars {
		if _, ok := lookup(name); ok {
			return Today
		}
	}
	return Feb2026
}

// fingerprintRE is the shape matrixgen gives a recipe fingerprint (a
// SHA-256 in hex); upstream's matrix validation insists on it too.
var fingerprintRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// readToday reads what today's format adds to the job. Problems are
// appended to problems, worded as ReadJob words its own.
func (j *Job) readToday(lookup Lookup, problems *[]string) {
	add := func(format string, a ...any) { *problems = append(*problems, fmt.Sprintf(format, a...)) }

	j.RecipeFingerprint, _ = lookup("RECIPE_FINGERPRINT")
	if j.RecipeFingerprint != "" && !fingerprintRE.MatchString(j.RecipeFingerprint) {
		add("RECIPE_FINGERPRINT: expected 64 lower-case hex digits (the recipe fingerprint matrixgen writes) or nothing, got %q", j.RecipeFingerprint)
	}
	rawRouter, _ := lookup("ROUTER_METADATA")
	router, err := ParseComponentMetadata("ROUTER_METADATA", rawRouter)
	if err != nil {
		add("%v", err)
	}
	j.Router = router
	j.KVP2PTransfer, _ = lookup("KV_P2P_TRANSFER")

	// An unset size is 1; a set one must be a positive integer (upstream's
	// int() refused "" too, the workflows default every size to "1").
	size := func(name string) int64 {
		v, ok := lookup(name)
		if !ok {
			return 1
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			add("%s: expected an integer, got %q", name, v)
			return 1
		}
		if n <= 0 {
			add("%s: expected a positive integer, got %d", name, n)
			return 1
		}
		return n
	}
	if !j.MultiNode {
		j.PP = size("PP_SIZE")
		j.DCP = size("DCP_SIZE")
		j.PCP = size("PCP_SIZE")
		return
	}
	j.PrefillPP = size("PREFILL_PP_SIZE")
	j.PrefillDCP = size("PREFILL_DCP_SIZE")
	j.PrefillPCP = size("PREFILL_PCP_SIZE")
	j.DecodePP = size("DECODE_PP_SIZE")
	j.DecodeDCP = size("DECODE_DCP_SIZE")
	j.DecodePCP = size("DECODE_PCP_SIZE")
	j.PrefillHW, _ = lookup("PREFILL_HARDWARE")
	j.DecodeHW, _ = lookup("DECODE_HARDWARE")
	if (j.PrefillHW == "") != (j.DecodeHW == "") {
		add("PREFILL_HARDWARE and DECODE_HARDWARE must be specified together (got PREFILL_HARDWARE=%q, DECODE_HARDWARE=%q)", j.PrefillHW, j.DecodeHW)
	}
}

// ParseComponentMetadata reads a component's metadata variable
// (ROUTER_METADATA): unset, empty or "null" is none; anything else must be
// a JSON object with exactly the non-empty strings "name" and "version".
// The object keeps the key order it was given in, as upstream's dict did.
func ParseComponentMetadata(name, raw string) (*pyjson.Object, error) {
	if raw == "" || raw == "null" {
		return nil, nil
	}
	doc, err := results.DecodeOrdered([]byte(raw))
	if err != nil {
		// Upstream's wording first, which its tests look for.
		return nil, fmt.Errorf("%s must contain valid JSON: %w", name, err)
	}
	obj, ok := doc.(*pyjson.Object)
	keys := []string{}
	if ok {
		keys = obj.Keys()
	}
	if !ok || len(keys) != 2 || !hasKeys(obj, "name", "version") {
		got := results.Describe(results.Generic(doc))
		if ok {
			got = "keys " + strings.Join(quoteAll(keys), ", ")
			if len(keys) == 0 {
				got = "an empty object"
			}
		}
		return nil, fmt.Errorf("%s must contain exactly 'name' and 'version' (a JSON object such as {\"name\": \"vllm-router\", \"version\": \"0.1.14\"}), got %s", name, got)
	}
	for _, k := range keys {
		v, _ := obj.Get(k)
		if s, ok := v.(string); !ok || s == "" {
			return nil, fmt.Errorf("%s name and version must be non-empty strings, %s is %s", name, k, results.Describe(results.Generic(v)))
		}
	}
	return obj, nil
}

func hasKeys(o *pyjson.Object, keys ...string) bool {
	for _, k := range keys {
		if _, ok := o.Get(k); !ok {
			return false
		}
	}
	return true
}

func quoteAll(xs []string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = strconv.Quote(x)
	}
	return out
}

// setToday writes today's component metadata, parallelism and throughput
// per GPU, in upstream main's key order.
func setToday(out *pyjson.Object, j *Job, total, output float64) {
	if j.Router != nil {
		out.Set("router", j.Router)
	}
	if j.KVP2PTransfer != "" {
		out.Set("kv_p2p_transfer", j.KVP2PTransfer)
	}
	if !j.MultiNode {
		// Pipeline and context parallelism multiply the GPUs a TP group
		// spans; decode context parallelism (DCP) splits the KV cache
		// within the TP group and adds none.
		gpus := float64(j.TP * j.PP * j.PCP)
		out.Set("is_multinode", false)
		out.Set("tp", j.TP)
		out.Set("pp", j.PP)
		out.Set("dcp_size", j.DCP)
		out.Set("pcp_size", j.PCP)
		out.Set("ep", j.EP)
		out.Set("dp_attention", j.DPAttention)
		out.Set("tput_per_gpu", total/gpus)
		out.Set("output_tput_per_gpu", output/gpus)
		out.Set("input_tput_per_gpu", (total-output)/gpus)
		return
	}

	// An aggregated job has no decode workers: its decode parallelism is
	// reported as none (TP and EP 0, sizes 1), and its output tokens come
	// from every GPU.
	decodeTP, decodeEP, decodePP, decodeDCP, decodePCP := j.DecodeTP, j.DecodeEP, j.DecodePP, j.DecodeDCP, j.DecodePCP
	allGPUs := j.PrefillGPUs + j.DecodeGPUs
	outputGPUs := j.DecodeGPUs
	if j.Aggregated() {
		decodeTP, decodeEP, decodePP, decodeDCP, decodePCP = 0, 0, 1, 1, 1
		outputGPUs = allGPUs
	}
	out.Set("is_multinode", true)
	out.Set("prefill_tp", j.PrefillTP)
	out.Set("prefill_pp", j.PrefillPP)
	out.Set("prefill_dcp_size", j.PrefillDCP)
	out.Set("prefill_pcp_size", j.PrefillPCP)
	out.Set("prefill_ep", j.PrefillEP)
	out.Set("prefill_dp_attention", j.PrefillDPAttn)
	out.Set("prefill_num_workers", j.PrefillWorkers)
	out.Set("decode_tp", decodeTP)
	out.Set("decode_pp", decodePP)
	out.Set("decode_dcp_size", decodeDCP)
	out.Set("decode_pcp_size", decodePCP)
	out.Set("decode_ep", decodeEP)
	out.Set("decode_dp_attention", j.DecodeDPAttn)
	out.Set("decode_num_workers", j.DecodeWorkers)
	out.Set("num_prefill_gpu", j.PrefillGPUs)
	out.Set("num_decode_gpu", j.DecodeGPUs)
	out.Set("tput_per_gpu", total/float64(allGPUs))
	out.Set("output_tput_per_gpu", output/float64(outputGPUs))
	out.Set("input_tput_per_gpu", (total-output)/float64(j.PrefillGPUs))
	if j.PrefillHW != "" {
		out.Set("prefill_hw", j.PrefillHW)
		out.Set("decode_hw", j.DecodeHW)
	}
}
