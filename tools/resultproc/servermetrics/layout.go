package servermetrics

import "github.com/inferencex/inferencex-go/pkg/pyjson"

// nested is the server_metrics block under construction, with handles on
// its sub-objects. Every key the adapters write exists from the start, so
// their updates keep upstream's key order (a dict update keeps a key's
// place).
type nested struct {
	root, cache, kvCache, kvOffload, tokens *pyjson.Object
}

func obj(kv ...any) *pyjson.Object {
	o := &pyjson.Object{}
	for i := 0; i < len(kv); i += 2 {
		o.Set(kv[i].(string), kv[i+1])
	}
	return o
}

// emptyNested is upstream's empty_server_metrics layout.
func emptyNested(present bool, metricCount int) nested {
	n := nested{
		cache: obj(
			"gpu_cache_hit_rate", nil,
			"cpu_cache_hit_rate", nil,
			"external_cache_hit_rate", nil,
			"overall_cache_hit_rate", nil,
			"prefix_cache_hits", nil,
			"prefix_cache_queries", nil,
			"external_prefix_cache_hits", nil,
			"external_prefix_cache_queries", nil,
			"cached_tokens_by_source", &pyjson.Object{},
			"frontend_cache_hit_rate", nil,
			"router_kv_hit_rate", nil,
			"router_shared_cache_hit_rate", nil,
			"frontend_cached_tokens", nil,
			"frontend_input_tokens", nil,
		),
		kvCache: obj(
			"gpu_usage_pct", nil,
			"gpu_total_tokens", nil,
			"cpu_usage_pct", nil,
			"cpu_used_tokens", nil,
			"cpu_total_tokens", nil,
		),
		kvOffload: obj(
			"bytes_gpu_to_cpu", nil,
			"bytes_cpu_to_gpu", nil,
			"time_gpu_to_cpu", nil,
			"time_cpu_to_gpu", nil,
			"bandwidth_gpu_to_cpu_bytes_per_second", nil,
			"bandwidth_cpu_to_gpu_bytes_per_second", nil,
		),
		tokens: obj(
			"prompt_total", nil,
			"generation_total", nil,
			"requests_completed", nil,
			"prompt_by_source", promptBySource(nil, nil, nil, &pyjson.Object{}),
		),
	}
	n.root = obj(
		"present", present,
		"adapter", "none",
		"metric_count", int64(metricCount),
		"cache", n.cache,
		"kv_cache", n.kvCache,
		"kv_offload", n.kvOffload,
		"tokens", n.tokens,
		"sources", []any{},
	)
	return n
}

func promptBySource(gpuHit, cpuHit, computed any, raw *pyjson.Object) *pyjson.Object {
	return obj(
		"gpu_cache_hit", gpuHit,
		"cpu_or_external_cache_hit", cpuHit,
		"computed", computed,
		"raw", raw,
	)
}

// flat is the part of upstream's flat field dict that the nested block is
// built from (the flat dict itself is not written to the aggregate).
type flat struct {
	gpuHitRate, cpuHitRate, externalHitRate, overallHitRate fnum
	gpuUsage, cpuUsage                                      fnum
	promptTokens, generationTokens                          any // int64 or nil
}
