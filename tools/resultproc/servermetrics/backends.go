package servermetrics

import (
	"sort"
	"strings"
)

// backend is one of upstream's server-metrics adapters.
type backend struct {
	name    string
	matches func(names []string, framework string) bool
	// populate fills the flat fields and the nested block from the
	// metrics.
	populate func(c *calc, f *flat, n nested)
	// logParser reads the GPU KV cache capacity from a server log's text;
	// nil for adapters that take none from logs.
	logParser func(text string) (*capacity, error)
}

// backends in upstream's detection order: the first that matches wins.
var backends = []backend{
	{
		name: "dynamo-vllm",
		matches: func(names []string, framework string) bool {
			return strings.HasPrefix(strings.ToLower(framework), "dynamo") || anyPrefix(names, "dynamo_")
		},
		populate: func(c *calc, f *flat, n nested) {
			c.populateVllm(f, n, true)
			c.populateDynamo(f, n)
		},
		logParser: vllmLogCapacity,
	},
	{
		name: "atom",
		matches: func(names []string, framework string) bool {
			return anyPrefix(names, "atom:", "atom_") || (len(names) == 0 && strings.ToLower(framework) == "atom")
		},
		populate: (*calc).populateAtom,
	},
	{
		name: "sglang",
		matches: func(names []string, framework string) bool {
			return anyPrefix(names, "sglang:") || (len(names) == 0 && strings.ToLower(framework) == "sglang")
		},
		populate:  (*calc).populateSglang,
		logParser: sglangLogCapacity,
	},
	{
		name: "vllm",
		matches: func(names []string, framework string) bool {
			return anyPrefix(names, "vllm:") || (len(names) == 0 && strings.ToLower(framework) == "vllm")
		},
		populate: func(c *calc, f *flat, n nested) {
			c.populateVllm(f, n, false)
		},
		logParser: vllmLogCapacity,
	},
}

func anyPrefix(names []string, prefixes ...string) bool {
	for _, name := range names {
		for _, p := range prefixes {
			if strings.HasPrefix(name, p) {
				return true
			}
		}
	}
	return false
}

func detectBackend(names []string, framework string) *backend {
	for i := range backends {
		if backends[i].matches(names, framework) {
			return &backends[i]
		}
	}
	return nil
}

func one(name string) []string { return []string{name} }

// firstCounterTotal is upstream's first_counter_total: the summed counter
// of the first name that has one, and that name.
func (c *calc) firstCounterTotal(names ...string) (fnum, string) {
	for _, name := range names {
		if v := c.sumStat(one(name), counterKeys, nil); v.ok {
			return v, name
		}
	}
	return none, names[len(names)-1]
}

func (c *calc) populateVllm(f *flat, n nested, dynamo bool) {
	var prompt, generation fnum
	promptName, generationName := "vllm:prompt_tokens", "vllm:generation_tokens"
	if dynamo {
		// Dynamo's frontend counts what clients sent; the engines' own
		// counters are the fallback.
		prompt, promptName = c.firstCounterTotal("dynamo_frontend_input_sequence_tokens", promptName)
		generation, generationName = c.firstCounterTotal("dynamo_frontend_output_tokens", generationName)
	} else {
		prompt = c.sumStat(one(promptName), counterKeys, nil)
		generation = c.sumStat(one(generationName), counterKeys, nil)
	}
	f.promptTokens = c.counterInt(prompt, promptName)
	f.generationTokens = c.counterInt(generation, generationName)

	prefixHits := c.sumStat(one("vllm:prefix_cache_hits"), counterKeys, nil)
	prefixQueries := c.sumStat(one("vllm:prefix_cache_queries"), counterKeys, nil)
	gpuRate := rate(prefixHits, prefixQueries)
	f.gpuHitRate = gpuRate

	externalHits := c.sumStat(one("vllm:external_prefix_cache_hits"), counterKeys, nil)
	externalQueries := c.sumStat(one("vllm:external_prefix_cache_queries"), counterKeys, nil)
	externalRate := rate(externalHits, externalQueries)
	f.externalHitRate = externalRate
	f.cpuHitRate = externalRate

	bySource := c.sumByLabel("vllm:prompt_tokens_by_source", "source", counterKeys)
	if len(bySource.order) > 0 {
		local := bySource.get("local_cache_hit")
		transfer := bySource.get("external_kv_transfer")
		compute := bySource.get("local_compute")
		// The per-source prompt counter splits every prompt token, so its
		// shares replace the rates from the hit/query counters.
		if total := bySource.sum(); total > 0 {
			if local.ok {
				f.gpuHitRate = some(local.v / total)
			}
			if transfer.ok {
				f.cpuHitRate = some(transfer.v / total)
				f.externalHitRate = some(transfer.v / total)
			}
			f.overallHitRate = some((local.or0() + transfer.or0()) / total)
		}
		n.tokens.Set("prompt_by_source", promptBySource(local.value(), transfer.value(), compute.value(), bySource.object()))
	} else if gpuRate.ok {
		f.overallHitRate = gpuRate
	}

	f.gpuUsage = normalizeFraction(c.gaugeStat([]string{"vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc"}, gaugeKeys, combineMax, nil))
	f.cpuUsage = normalizeFraction(c.gaugeStat(one("vllm:cpu_kv_cache_usage_perc"), gaugeKeys, combineMax, nil))

	bytesOut := c.sumStat(one("vllm:kv_offload_bytes_gpu_to_cpu"), counterKeys, nil)
	bytesIn := c.sumStat(one("vllm:kv_offload_bytes_cpu_to_gpu"), counterKeys, nil)
	timeOut := c.sumStat(one("vllm:kv_offload_time_gpu_to_cpu"), counterKeys, nil)
	timeIn := c.sumStat(one("vllm:kv_offload_time_cpu_to_gpu"), counterKeys, nil)

	c.setCacheRates(f, n)
	setPrefixCounts(n, prefixHits, prefixQueries, externalHits, externalQueries)
	n.kvCache.Set("gpu_usage_pct", f.gpuUsage.value())
	n.kvCache.Set("cpu_usage_pct", f.cpuUsage.value())
	n.kvOffload.Set("bytes_gpu_to_cpu", bytesOut.value())
	n.kvOffload.Set("bytes_cpu_to_gpu", bytesIn.value())
	n.kvOffload.Set("time_gpu_to_cpu", timeOut.value())
	n.kvOffload.Set("time_cpu_to_gpu", timeIn.value())
	n.kvOffload.Set("bandwidth_gpu_to_cpu_bytes_per_second", rate(bytesOut, timeOut).value())
	n.kvOffload.Set("bandwidth_cpu_to_gpu_bytes_per_second", rate(bytesIn, timeIn).value())
	c.setTokenTotals(f, n)
	n.root.Set("sources", c.vllmSources())
}

func (c *calc) setCacheRates(f *flat, n nested) {
	n.cache.Set("gpu_cache_hit_rate", f.gpuHitRate.value())
	n.cache.Set("cpu_cache_hit_rate", f.cpuHitRate.value())
	n.cache.Set("external_cache_hit_rate", f.externalHitRate.value())
	n.cache.Set("overall_cache_hit_rate", f.overallHitRate.value())
}

// setPrefixCounts writes the token counts the prefix cache rates come
// from, for the backends whose exporters give them.
func setPrefixCounts(n nested, hits, queries, externalHits, externalQueries fnum) {
	n.cache.Set("prefix_cache_hits", hits.value())
	n.cache.Set("prefix_cache_queries", queries.value())
	n.cache.Set("external_prefix_cache_hits", externalHits.value())
	n.cache.Set("external_prefix_cache_queries", externalQueries.value())
}

func (c *calc) setTokenTotals(f *flat, n nested) {
	n.tokens.Set("prompt_total", f.promptTokens)
	n.tokens.Set("generation_total", f.generationTokens)
}

func (c *calc) populateDynamo(f *flat, n nested) {
	usage := normalizeFraction(c.gaugeStat(one("dynamo_component_gpu_cache_usage_percent"), gaugeKeys, combineMax, nil))
	if !f.gpuUsage.ok {
		f.gpuUsage = usage
		n.kvCache.Set("gpu_usage_pct", usage.value())
	}
	frontendCached := c.sumStat(one("dynamo_frontend_cached_tokens"), counterKeys, nil)
	frontendInput := c.sumStat(one("dynamo_frontend_input_sequence_tokens"), counterKeys, nil)
	frontendRate := rate(frontendCached, frontendInput)
	routerKV := normalizeFraction(c.gaugeStat(one("dynamo_component_router_kv_hit_rate"), avgGaugeKeys, combineAvg, nil))
	routerShared := normalizeFraction(c.gaugeStat(one("dynamo_component_router_shared_cache_hit_rate"), avgGaugeKeys, combineAvg, nil))
	// Upstream's `frontend or shared` fallback: a zero frontend rate counts
	// as missing. It lands in the flat fields only, which the aggregate
	// does not carry, so the nested overall rate stays the engines'.
	if !f.overallHitRate.ok {
		if frontendRate.or0() != 0 {
			f.overallHitRate = frontendRate
		} else {
			f.overallHitRate = routerShared
		}
	}
	n.cache.Set("frontend_cache_hit_rate", frontendRate.value())
	n.cache.Set("router_kv_hit_rate", routerKV.value())
	n.cache.Set("router_shared_cache_hit_rate", routerShared.value())
	n.cache.Set("frontend_cached_tokens", frontendCached.value())
	n.cache.Set("frontend_input_tokens", frontendInput.value())
}

func (c *calc) populateSglang(f *flat, n nested) {
	prompt := c.sumStat(one("sglang:prompt_tokens"), counterKeys, nil)
	generation := c.sumStat(one("sglang:generation_tokens"), counterKeys, nil)
	f.promptTokens = c.counterInt(prompt, "sglang:prompt_tokens")
	f.generationTokens = c.counterInt(generation, "sglang:generation_tokens")

	cached := c.sumByLabel("sglang:cached_tokens", "cache_source", counterKeys)
	device, host := cached.get("device"), cached.get("host")
	totalCached := none
	if len(cached.order) > 0 {
		totalCached = some(cached.sum())
	}
	f.gpuHitRate = rate(device, prompt)
	f.cpuHitRate = rate(host, prompt)
	// HiCache's host tier is outside the GPU cache: SGLang's "external".
	f.externalHitRate = f.cpuHitRate
	f.overallHitRate = rate(totalCached, prompt)
	if !f.overallHitRate.ok {
		f.overallHitRate = normalizeFraction(c.gaugeStat(one("sglang:cache_hit_rate"), avgGaugeKeys, combineAvg, nil))
	}
	f.gpuUsage = normalizeFraction(c.gaugeStat(one("sglang:token_usage"), gaugeKeys, combineMax, nil))
	maxTotal := c.sumStat(one("sglang:max_total_num_tokens"), capacityKeys, nil)
	hostUsed := c.gaugeStat(one("sglang:hicache_host_used_tokens"), gaugeKeys, combineMax, nil)
	hostTotal := c.gaugeStat(one("sglang:hicache_host_total_tokens"), gaugeKeys, combineMax, nil)
	f.cpuUsage = rate(hostUsed, hostTotal)
	prefillCompute := c.sumStat(one("sglang:realtime_tokens"), counterKeys, labelEquals("mode", "prefill_compute"))

	c.setCacheRates(f, n)
	n.cache.Set("cached_tokens_by_source", cached.object())
	n.kvCache.Set("gpu_usage_pct", f.gpuUsage.value())
	n.kvCache.Set("gpu_total_tokens", c.counterInt(maxTotal, "sglang:max_total_num_tokens"))
	n.kvCache.Set("cpu_usage_pct", f.cpuUsage.value())
	n.kvCache.Set("cpu_used_tokens", hostUsed.value())
	n.kvCache.Set("cpu_total_tokens", hostTotal.value())
	c.setTokenTotals(f, n)
	n.tokens.Set("prompt_by_source", promptBySource(device.value(), host.value(), prefillCompute.value(), cached.object()))
}

// atomNames are both spellings an ATOM metric can arrive under: with a
// colon after the "atom" prefix or with an underscore, depending on which
// exporter produced the scrape.
func atomNames(suffix string) []string { return []string{"atom:" + suffix, "atom_" + suffix} }

// atomCounterNames adds the _total names AIPerf gives counter families.
func atomCounterNames(stem string) []string {
	return append(atomNames(stem), atomNames(stem+"_total")...)
}

func (c *calc) populateAtom(f *flat, n nested) {
	counter := func(stem string) fnum { return c.sumStat(atomCounterNames(stem), counterKeys, nil) }
	prompt, generation := counter("prompt_tokens"), counter("generation_tokens")
	// The total may come from any of four spellings: a bad one is named
	// as it appears in the export.
	f.promptTokens = c.counterInt(prompt, c.namesRead(atomCounterNames("prompt_tokens"), counterKeys))
	f.generationTokens = c.counterInt(generation, c.namesRead(atomCounterNames("generation_tokens"), counterKeys))

	cached, full := counter("prefix_cache_cached_tokens"), counter("prefix_cache_full_tokens")
	external := counter("lmcache_loaded_tokens")
	f.gpuHitRate = rate(cached, full)
	f.cpuHitRate = rate(external, full)
	f.externalHitRate = f.cpuHitRate
	// ATOM's cached-token counter already includes what LMCache loaded, so
	// the overall rate is the GPU one, not the sum of both.
	f.overallHitRate = f.gpuHitRate
	f.gpuUsage = normalizeFraction(c.gaugeStat(atomNames("kv_cache_usage_ratio"), gaugeKeys, combineMax, nil))

	c.setCacheRates(f, n)
	setPrefixCounts(n, cached, full, external, full)
	n.kvCache.Set("gpu_usage_pct", f.gpuUsage.value())
	c.setTokenTotals(f, n)
}

// vllmSourceMetrics are the series whose labels name the engines (and
// Dynamo workers) that vllmSources reports one by one.
var vllmSourceMetrics = []string{
	"vllm:prompt_tokens",
	"vllm:generation_tokens",
	"vllm:prefix_cache_hits",
	"vllm:prefix_cache_queries",
	"vllm:kv_cache_usage_perc",
	"vllm:prompt_tokens_by_source",
}

// vllmSources is upstream's _vllm_sources: per engine (by sourceID, in
// sorted order) its token counters, prefix cache hit rate and KV usage.
func (c *calc) vllmSources() []any {
	ids := map[string]bool{}
	for _, s := range c.metricSeries(vllmSourceMetrics...) {
		ids[sourceID(s)] = true
	}
	sorted := make([]string, 0, len(ids))
	for id := range ids {
		sorted = append(sorted, id)
	}
	sort.Strings(sorted)
	out := []any{}
	for _, id := range sorted {
		if id == "" {
			continue
		}
		keep := func(s series) bool { return sourceID(s) == id }
		hits := c.sumStat(one("vllm:prefix_cache_hits"), counterKeys, keep)
		queries := c.sumStat(one("vllm:prefix_cache_queries"), counterKeys, keep)
		role, _, _ := strings.Cut(id, "|")
		out = append(out, obj(
			"id", id,
			"role", role,
			"prompt_tokens", c.sumStat(one("vllm:prompt_tokens"), counterKeys, keep).value(),
			"generation_tokens", c.sumStat(one("vllm:generation_tokens"), counterKeys, keep).value(),
			"prefix_cache_hit_rate", rate(hits, queries).value(),
			"gpu_kv_cache_usage_pct", normalizeFraction(c.gaugeStat([]string{"vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc"}, gaugeKeys, combineMax, keep)).value(),
		))
	}
	return out
}

// sourceID is upstream's _source_id: the series' role (from its Dynamo
// component label), then its endpoint and worker/rank/engine labels.
func sourceID(s series) string {
	var labels dict = mapDict{}
	if d, ok := asDict(lookup(s.d, "labels")); ok {
		labels = d
	}
	var component any = ""
	if v := lookup(labels, "dynamo_component"); truthy(v) {
		component = v
	} else if v := lookup(labels, "component"); truthy(v) {
		component = v
	}
	role := "combined"
	switch pyStr(component) {
	case "prefill":
		role = "prefill"
	case "backend", "decode":
		role = "decode"
	case "frontend", "router":
		role = "router"
	}
	parts := []string{role}
	if endpoint := lookup(s.d, "endpoint_url"); truthy(endpoint) {
		parts = append(parts, pyStr(endpoint))
	}
	for _, key := range []string{"worker_id", "dp_rank", "engine"} {
		if v, ok := labelValue(s, key); ok {
			parts = append(parts, key+"="+v)
		}
	}
	return strings.Join(parts, "|")
}
