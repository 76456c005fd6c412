package changelog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/pkg/results"
)

// A full sweep runs one cheap job first, the canary, and starts the rest
// only when it succeeded: a broken image or recipe then costs one GPU job,
// not hundreds. The canary is the throughput job (not an eval) of a
// single-node fixed-sequence-length configuration with the lowest
// concurrency; among equals the first, looking at 1k1k, then 8k1k, then
// the other lengths in the matrix's order (upstream looks at 1k1k and 8k1k
// only, the lengths its sweeps have today).

// CanarySelection is the canary and the rest of the matrix.
type CanarySelection struct {
	// Canary holds the canary job, or nothing when the matrix has no
	// candidate (then the sweep runs without one).
	Canary []any
	// Remaining is the matrix without the canary.
	Remaining *pyjson.Object
	// Bucket is the sequence-length bucket the canary came from.
	Bucket string
}

// SelectCanary picks the canary of a changelog matrix (the JSON `changelog
// matrix` prints; unknown keys are kept as they are).
func SelectCanary(matrix []byte) (*CanarySelection, error) {
	doc, err := results.DecodeOrdered(matrix)
	if err != nil {
		return nil, fmt.Errorf("the matrix: %w", err)
	}
	m, ok := doc.(*pyjson.Object)
	if !ok {
		return nil, errors.New("the matrix: expected a JSON object with single_node and multi_node")
	}
	sel := &CanarySelection{Canary: []any{}, Remaining: m}
	sn, present := m.Get("single_node")
	if !present || sn == nil {
		return sel, nil
	}
	single, ok := sn.(*pyjson.Object)
	if !ok {
		return nil, fmt.Errorf("the matrix: single_node: expected an object of sequence-length buckets, got %s", results.Describe(results.Generic(sn)))
	}
	var order []string
	for _, b := range []string{"1k1k", "8k1k"} {
		if _, ok := single.Get(b); ok {
			order = append(order, b)
		}
	}
	for _, b := range single.Keys() {
		if !slices.Contains(order, b) && b != "agentic" {
			order = append(order, b)
		}
	}
	best, bestBucket, bestIdx := math.Inf(1), "", -1
	for _, b := range order {
		v, _ := single.Get(b)
		if v == nil {
			continue
		}
		jobs, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("the matrix: single_node.%s: expected a list of jobs, got %s", b, results.Describe(results.Generic(v)))
		}
		for i, j := range jobs {
			e, ok := j.(*pyjson.Object)
			if !ok {
				return nil, fmt.Errorf("the matrix: single_node.%s[%d]: expected a job object", b, i)
			}
			if keyTrue(e, "run-eval") || keyTrue(e, "eval-only") {
				continue
			}
			cv, _ := e.Get("conc")
			conc, ok := results.Float(cv)
			if !ok {
				return nil, fmt.Errorf("the matrix: single_node.%s[%d].conc: expected a number, got %s", b, i, results.Describe(results.Generic(cv)))
			}
			if conc < best {
				best, bestBucket, bestIdx = conc, b, i
			}
		}
	}
	if bestIdx < 0 {
		return sel, nil
	}
	v, _ := single.Get(bestBucket)
	jobs := v.([]any)
	sel.Canary = []any{jobs[bestIdx]}
	sel.Bucket = bestBucket
	// The rest: a copy of the matrix with the canary out of its bucket.
	rest := &pyjson.Object{}
	for _, k := range m.Keys() {
		val, _ := m.Get(k)
		if k == "single_node" {
			s := &pyjson.Object{}
			for _, b := range single.Keys() {
				bv, _ := single.Get(b)
				if b == bestBucket {
					bv = slices.Delete(slices.Clone(jobs), bestIdx, bestIdx+1)
				}
				s.Set(b, bv)
			}
			val = s
		}
		rest.Set(k, val)
	}
	sel.Remaining = rest
	return sel, nil
}

func keyTrue(e *pyjson.Object, key string) bool {
	v, _ := e.Get(key)
	b, _ := v.(bool)
	return b
}

// JSON writes a value compactly, for step outputs.
func JSON(v any) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}
