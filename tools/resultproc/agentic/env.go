package agentic

import (
	"fmt"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/pkg/results"
	"github.com/inferencex/inferencex-go/tools/resultproc/pynum"
	"github.com/inferencex/inferencex-go/tools/resultproc/pyvalue"
)

// Lookup reads one environment variable (os.LookupEnv in the tool).
type Lookup func(name string) (string, bool)

// ExitError is a stop with upstream's own message (its SystemExit): the
// text goes to stderr as it is and the exit status is 1.
type ExitError struct{ Msg string }

func (e *ExitError) Error() string { return e.Msg }

func exitf(format string, args ...any) error { return &ExitError{Msg: fmt.Sprintf(format, args...)} }

// env reads the job's environment with upstream's helpers' rules.
type env struct{ lookup Lookup }

// get is os.environ.get(name, def): def only when the variable is unset.
func (e env) get(name, def string) string {
	if v, ok := e.lookup(name); ok {
		return v
	}
	return def
}

// intValue is int() of a variable's text; Python stops with a ValueError
// where the text is no integer.
func intValue(name, v string) (int64, error) {
	n, ok := pynum.Int(v)
	if !ok {
		return 0, fmt.Errorf("%s: invalid literal for int() with base 10: %s", name, pyvalue.StrRepr(v))
	}
	return n, nil
}

// int is upstream's env_int: def when unset or empty.
func (e env) int(name string, def int64) (int64, error) {
	v := e.get(name, "")
	if v == "" {
		return def, nil
	}
	return intValue(name, v)
}

// bool is upstream's env_bool: 1, true, yes or on in any case.
func (e env) bool(name string) bool {
	switch strings.ToLower(e.get(name, "")) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// jsonObject reads a variable holding a JSON object for the metadata
// checks; nil when it is unset, empty or "null".
func (e env) jsonObject(name string) (any, bool, error) {
	raw := e.get(name, "")
	if raw == "" || raw == "null" {
		return nil, false, nil
	}
	v, err := results.DecodeOrdered([]byte(raw))
	if err != nil {
		return nil, false, exitf("%s must contain valid JSON", name)
	}
	return v, true, nil
}

func nonEmptyStrings(o *pyjson.Object) bool {
	for _, k := range o.Keys() {
		v, _ := o.Get(k)
		if s, ok := v.(string); !ok || s == "" {
			return false
		}
	}
	return true
}

func keySet(o *pyjson.Object) map[string]bool {
	m := map[string]bool{}
	for _, k := range o.Keys() {
		m[k] = true
	}
	return m
}

// componentMetadata is upstream's optional_component_metadata: exactly a
// non-empty name and version.
func (e env) componentMetadata(name string) (*pyjson.Object, error) {
	v, ok, err := e.jsonObject(name)
	if err != nil || !ok {
		return nil, err
	}
	o, isObj := v.(*pyjson.Object)
	if !isObj {
		return nil, exitf("%s must contain exactly 'name' and 'version'", name)
	}
	keys := keySet(o)
	if len(keys) != 2 || !keys["name"] || !keys["version"] {
		return nil, exitf("%s must contain exactly 'name' and 'version'", name)
	}
	if !nonEmptyStrings(o) {
		return nil, exitf("%s name and version must be non-empty strings", name)
	}
	return o, nil
}

// offloadBackendMetadata is upstream's
// optional_kv_offload_backend_metadata: a name and an optional version.
func (e env) offloadBackendMetadata(name string) (*pyjson.Object, error) {
	v, ok, err := e.jsonObject(name)
	if err != nil || !ok {
		return nil, err
	}
	o, isObj := v.(*pyjson.Object)
	keys := map[string]bool{}
	if isObj {
		keys = keySet(o)
	}
	for k := range keys {
		if k != "name" && k != "version" {
			isObj = false
		}
	}
	if !isObj {
		return nil, exitf("%s may contain only 'name' and 'version'", name)
	}
	if !keys["name"] {
		return nil, exitf("%s must contain 'name' and optional 'version'", name)
	}
	if !nonEmptyStrings(o) {
		return nil, exitf("%s values must be non-empty strings", name)
	}
	return o, nil
}

// kvOffload is upstream's _validate_kv_offload_env: KV_OFFLOADING is
// required; with it "none" there is no backend, otherwise the backend's
// name and metadata are required and agree.
func (e env) kvOffload() (string, *pyjson.Object, error) {
	mode := e.get("KV_OFFLOADING", "")
	if mode == "" {
		return "", nil, exitf("Missing required environment variable: KV_OFFLOADING")
	}
	backend := e.get("KV_OFFLOAD_BACKEND", "")
	meta, err := e.offloadBackendMetadata("KV_OFFLOAD_BACKEND_METADATA")
	if err != nil {
		return "", nil, err
	}
	if mode == "none" {
		if backend != "" || meta != nil {
			return "", nil, exitf("KV_OFFLOAD_BACKEND must be empty when KV_OFFLOADING=none")
		}
		return mode, nil, nil
	}
	if backend == "" || backend == "none" || meta == nil {
		return "", nil, exitf("KV_OFFLOAD_BACKEND is required when KV_OFFLOADING is enabled")
	}
	if n, _ := meta.Get("name"); n != backend {
		return "", nil, exitf("KV_OFFLOAD_BACKEND must match KV_OFFLOAD_BACKEND_METADATA.name")
	}
	return mode, meta, nil
}

// shape is upstream's _gpu_shape: the parallelism fields, the GPU count
// that divides throughput, and the top-level tp, ep and dp_attention.
type shape struct {
	fields      *pyjson.Object
	gpus        int64
	tp, ep      int64
	dpAttention string
}

func (e env) gpuShape() (*shape, error) {
	s := &shape{fields: &pyjson.Object{}}
	multinode := e.bool("IS_MULTINODE")
	var err error
	if s.tp, err = e.int("TP", 1); err != nil {
		return nil, err
	}
	if s.ep, err = e.int("EP_SIZE", 1); err != nil {
		return nil, err
	}
	s.dpAttention = e.get("DP_ATTENTION", "false")
	if !multinode {
		var v [3]int64
		for i, name := range [...]string{"PP_SIZE", "DCP_SIZE", "PCP_SIZE"} {
			if v[i], err = e.int(name, 1); err != nil {
				return nil, err
			}
		}
		if v[0] <= 0 || v[1] <= 0 || v[2] <= 0 {
			return nil, exitf("PP_SIZE, DCP_SIZE, and PCP_SIZE must be positive integers.")
		}
		s.fields.Set("pp", v[0])
		s.fields.Set("dcp_size", v[1])
		s.fields.Set("pcp_size", v[2])
		s.gpus = s.tp * v[0] * v[2]
		return s, nil
	}
	ints := []struct {
		name string
		def  int64
	}{
		{"PREFILL_NUM_WORKERS", 0}, {"PREFILL_TP", 0}, {"PREFILL_PP_SIZE", 1}, {"PREFILL_DCP_SIZE", 1},
		{"PREFILL_PCP_SIZE", 1}, {"PREFILL_EP", 1},
		{"DECODE_NUM_WORKERS", 0}, {"DECODE_TP", 0}, {"DECODE_PP_SIZE", 1}, {"DECODE_DCP_SIZE", 1},
		{"DECODE_PCP_SIZE", 1}, {"DECODE_EP", 1},
	}
	// Upstream reads the DP_ATTN strings between these; reading a string
	// cannot fail, so only the order of the integer errors matters.
	v := map[string]int64{}
	for _, x := range ints {
		n, err := e.int(x.name, x.def)
		if err != nil {
			return nil, err
		}
		v[x.name] = n
	}
	prefillDP := e.get("PREFILL_DP_ATTN", "false")
	decodeDP := e.get("DECODE_DP_ATTN", "false")
	for _, name := range [...]string{"PREFILL_PP_SIZE", "PREFILL_DCP_SIZE", "PREFILL_PCP_SIZE", "DECODE_PP_SIZE", "DECODE_DCP_SIZE", "DECODE_PCP_SIZE"} {
		if v[name] <= 0 {
			return nil, exitf("Multinode PP, DCP, and PCP sizes must be positive integers.")
		}
	}
	prefillHW := e.get("PREFILL_HARDWARE", "")
	decodeHW := e.get("DECODE_HARDWARE", "")
	if (prefillHW != "") != (decodeHW != "") {
		return nil, exitf("PREFILL_HARDWARE and DECODE_HARDWARE must be specified together.")
	}
	prefillGPU := v["PREFILL_NUM_WORKERS"] * v["PREFILL_TP"] * v["PREFILL_PP_SIZE"] * v["PREFILL_PCP_SIZE"]
	decodeGPU := v["DECODE_NUM_WORKERS"] * v["DECODE_TP"] * v["DECODE_PP_SIZE"] * v["DECODE_PCP_SIZE"]
	s.gpus = prefillGPU + decodeGPU
	if decodeGPU <= 0 {
		// An aggregated multi-node config (decode num-worker 0) has no
		// decode GPUs of its own: its decode-side sizes would count the
		// prefill workers' GPUs twice.
		v["DECODE_TP"], v["DECODE_EP"] = 0, 0
		v["DECODE_PP_SIZE"], v["DECODE_DCP_SIZE"], v["DECODE_PCP_SIZE"] = 1, 1, 1
	}
	s.tp = v["PREFILL_TP"] + v["DECODE_TP"]
	s.ep = max(v["PREFILL_EP"], v["DECODE_EP"])
	s.dpAttention = "false"
	if e.bool("PREFILL_DP_ATTN") || e.bool("DECODE_DP_ATTN") {
		s.dpAttention = "true"
	}
	f := s.fields
	// The same eight fields for each role, prefill's first: the key order
	// is upstream's.
	for _, r := range []struct {
		key, env string
		dp       string
		gpus     int64
	}{{"prefill", "PREFILL", prefillDP, prefillGPU}, {"decode", "DECODE", decodeDP, decodeGPU}} {
		f.Set(r.key+"_num_workers", v[r.env+"_NUM_WORKERS"])
		f.Set(r.key+"_tp", v[r.env+"_TP"])
		f.Set(r.key+"_pp", v[r.env+"_PP_SIZE"])
		f.Set(r.key+"_dcp_size", v[r.env+"_DCP_SIZE"])
		f.Set(r.key+"_pcp_size", v[r.env+"_PCP_SIZE"])
		f.Set(r.key+"_ep", v[r.env+"_EP"])
		f.Set(r.key+"_dp_attention", r.dp)
		f.Set("num_"+r.key+"_gpu", r.gpus)
	}
	if prefillHW != "" {
		f.Set("prefill_hw", prefillHW)
		f.Set("decode_hw", decodeHW)
	}
	return s, nil
}
