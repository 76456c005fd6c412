package sweep

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/pyjson"
)

// upstreamValue is a job as the original's generator builds it, as a
// generic value: matrixgen's entry, except that a worker whose config had
// no additional-settings has no such key (the original copies workers as
// written). Hashes and groupings that must agree with the original's are
// taken over this form.
func upstreamValue(e Entry) (map[string]any, error) {
	v, err := pyjson.Value(e)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("internal error: a job encodes as %T", v)
	}
	var workers [2]Worker
	switch x := e.(type) {
	case *MultiNodeEntry:
		workers = [2]Worker{x.Prefill, x.Decode}
	case *AgenticMultiNodeEntry:
		workers = [2]Worker{x.Prefill, x.Decode}
	default:
		return m, nil
	}
	for i, side := range []string{"prefill", "decode"} {
		if w, ok := m[side].(map[string]any); ok && !workers[i].settingsWritten {
			delete(w, "additional-settings")
		}
	}
	return m, nil
}

// hashWithout is the SHA-256 (hex) of a job's canonical JSON (upstream
// form, sorted keys, no spaces, ASCII) without the given keys.
func hashWithout(e Entry, drop ...string) (string, error) {
	m, err := upstreamValue(e)
	if err != nil {
		return "", err
	}
	for _, k := range drop {
		delete(m, k)
	}
	data, err := pyjson.Canonical(m)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// Key identifies a job without the given keys (JSON names): jobs with
// equal keys are equal apart from those keys, as the original compares its
// dictionaries (where a worker's additional-settings counts only when the
// config wrote it). It is cheap: the job's JSON with those fields zeroed.
func Key(e Entry, drop ...string) (string, error) {
	v := reflect.ValueOf(e)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return "", fmt.Errorf("internal error: a job of type %T", e)
	}
	c := reflect.New(v.Elem().Type()).Elem()
	c.Set(v.Elem())
	t := c.Type()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if slices.Contains(drop, name) {
			c.Field(i).SetZero()
		}
	}
	data, err := json.Marshal(c.Addr().Interface())
	if err != nil {
		return "", err
	}
	var workers [2]Worker
	switch x := e.(type) {
	case *MultiNodeEntry:
		workers = [2]Worker{x.Prefill, x.Decode}
	case *AgenticMultiNodeEntry:
		workers = [2]Worker{x.Prefill, x.Decode}
	}
	return fmt.Sprintf("%t%t%s", workers[0].settingsWritten, workers[1].settingsWritten, data), nil
}

// topologyKey identifies a multi-node job apart from its concurrencies and
// eval fields, so that the jobs of one topology group together (agentic
// exp-names hold the concurrency, so the name is left out too).
func topologyKey(e Entry) (string, error) {
	return Key(e, "conc", "run-eval", "eval-only", "eval-conc", "eval-all-concs", "exp-name")
}

// RecipeFingerprint names a job's recipe apart from its concurrency and
// experiment name: the SHA-256 of its canonical JSON without conc,
// exp-name and recipe-fingerprint, computed as upstream's
// process_changelog.py computes it, so that the same recipe gets the same
// fingerprint from either tool. Result files carry its first 16 digits.
func RecipeFingerprint(e Entry) (string, error) {
	return hashWithout(e, "conc", "exp-name", "recipe-fingerprint")
}

// SetRecipeFingerprint stores a job's fingerprint in it.
func SetRecipeFingerprint(e Entry) error {
	fp, err := RecipeFingerprint(e)
	if err != nil {
		return err
	}
	switch x := e.(type) {
	case *SingleNodeEntry:
		x.RecipeFingerprint = fp
	case *MultiNodeEntry:
		x.RecipeFingerprint = fp
	case *AgenticSingleNodeEntry:
		x.RecipeFingerprint = fp
	case *AgenticMultiNodeEntry:
		x.RecipeFingerprint = fp
	}
	return nil
}
