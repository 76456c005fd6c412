package simserver

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
)

// CacheStats is the prefix cache's bookkeeping, in tokens: what /metrics
// exports under vLLM's names.
type CacheStats struct {
	Enabled        bool    `json:"enabled"`
	Queries        int64   `json:"queries"`
	GPUHits        int64   `json:"gpu_hits"`
	CPUHits        int64   `json:"cpu_hits"`
	Computed       int64   `json:"computed"`
	PromptTokens   int64   `json:"prompt_tokens"`
	OffloadedToCPU int64   `json:"offloaded_to_cpu_tokens"`
	LoadedToGPU    int64   `json:"loaded_to_gpu_tokens"`
	GPUUsage       float64 `json:"gpu_usage"`
	CPUUsage       float64 `json:"cpu_usage"`
}

// CacheStats returns the prefix cache counters.
func (s *Server) CacheStats() CacheStats {
	sc := s.sched
	sc.statsMu.Lock()
	defer sc.statsMu.Unlock()
	cs := CacheStats{PromptTokens: sc.promptTok, Computed: sc.computed, Queries: sc.promptTok}
	if c := sc.cache; c != nil {
		cs.Enabled = true
		cs.Queries, cs.GPUHits, cs.CPUHits = c.queries, c.gpuHits, c.cpuHits
		cs.OffloadedToCPU, cs.LoadedToGPU = c.toCPUTokens, c.toGPUTokens
		cs.GPUUsage, cs.CPUUsage = c.usage(), c.cpuUsage()
	}
	return cs
}

// metrics answers /metrics in the Prometheus text format with the names,
// types and labels vLLM's V1 engine exports (model_name and engine="0"),
// the ones upstream's agentic aggregation and our promscrape read. Hits in
// the CPU tier are what vLLM reports as external (connector) hits.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	cs := s.CacheStats()
	st := s.Stats()
	labels := `{engine="0",model_name=` + strconv.Quote(s.cfg.Model) + `}`
	var b bytes.Buffer
	metric := func(name, typ, help string, v float64) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n%s%s %s\n", name, help, name, typ, name, labels,
			strconv.FormatFloat(v, 'g', -1, 64))
	}
	metric("vllm:num_requests_running", "gauge", "Number of requests in model execution batches.", float64(st.Running))
	metric("vllm:num_requests_waiting", "gauge", "Number of requests waiting to be processed.", float64(st.Queued))
	metric("vllm:kv_cache_usage_perc", "gauge", "KV-cache usage. 1 means 100 percent usage.", cs.GPUUsage)
	metric("vllm:cpu_kv_cache_usage_perc", "gauge", "CPU KV-cache (offload tier) usage. 1 means 100 percent usage.", cs.CPUUsage)
	metric("vllm:prefix_cache_queries_total", "counter", "Prefix cache queries, in terms of number of queried tokens.", float64(cs.Queries))
	metric("vllm:prefix_cache_hits_total", "counter", "Prefix cache hits, in terms of number of cached tokens.", float64(cs.GPUHits))
	metric("vllm:external_prefix_cache_queries_total", "counter", "External prefix cache queries from the KV connector, in tokens.", float64(cs.Queries-cs.GPUHits))
	metric("vllm:external_prefix_cache_hits_total", "counter", "External prefix cache hits from the KV connector, in tokens.", float64(cs.CPUHits))
	metric("vllm:prompt_tokens_total", "counter", "Number of prefill tokens processed.", float64(cs.PromptTokens))
	metric("vllm:generation_tokens_total", "counter", "Number of generation tokens processed.", float64(st.OutputTokens))
	fmt.Fprintf(&b, "# HELP vllm:prompt_tokens_by_source_total Number of prompt tokens by source.\n# TYPE vllm:prompt_tokens_by_source_total counter\n")
	for _, src := range []struct {
		name string
		v    int64
	}{{"local_cache_hit", cs.GPUHits}, {"external_kv_transfer", cs.CPUHits}, {"local_compute", cs.Computed}} {
		fmt.Fprintf(&b, "vllm:prompt_tokens_by_source_total{engine=\"0\",model_name=%s,source=%q} %d\n", strconv.Quote(s.cfg.Model), src.name, src.v)
	}
	bpt := float64(s.cfg.KVBytesPerToken)
	per := s.cfg.OffloadPerToken.Seconds()
	metric("vllm:kv_offload_bytes_gpu_to_cpu_total", "counter", "KV bytes offloaded from GPU to CPU.", float64(cs.OffloadedToCPU)*bpt)
	metric("vllm:kv_offload_bytes_cpu_to_gpu_total", "counter", "KV bytes loaded from CPU to GPU.", float64(cs.LoadedToGPU)*bpt)
	metric("vllm:kv_offload_time_gpu_to_cpu_total", "counter", "Seconds spent offloading KV from GPU to CPU.", float64(cs.OffloadedToCPU)*per)
	metric("vllm:kv_offload_time_cpu_to_gpu_total", "counter", "Seconds spent loading KV from CPU to GPU.", float64(cs.LoadedToGPU)*per)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_, _ = w.Write(b.Bytes())
}
