package process

import "github.com/inferencex/inferencex-go/pkg/pyjson"

// AccountingKeys are loadgen's request accounting, carried from the raw
// result into the processed one (upstream issue #357: a run's failures
// were visible only in its log). They are written, in this order, after
// every key upstream writes, and only when the raw result is loadgen's
// (it has "failed"): a raw result of the Python client keeps giving
// upstream's exact output.
var AccountingKeys = []string{"num_prompts", "completed", "failed", "canceled", "errors_by_kind"}

// appendAccounting copies the accounting keys the raw result has.
func appendAccounting(out, in *pyjson.Object) {
	if _, ok := in.Get("failed"); !ok {
		return
	}
	for _, k := range AccountingKeys {
		if v, ok := in.Get(k); ok {
			out.Set(k, v)
		}
	}
}
