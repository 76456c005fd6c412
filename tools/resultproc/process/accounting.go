package process

import (
	"fmt"

	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/pkg/results"
	"github.com/inferencex/inferencex-go/schemas"
)

// AccountingKeys are loadgen's request accounting, carried from the raw
// result into the processed one (upstream issue #357: a run's failures
// were visible only in its log). They are written, in this order, after
// every key upstream writes, and only when the raw result is loadgen's
// (it has "failed"): a raw result of the Python client keeps giving
// upstream's exact output.
var AccountingKeys = []string{"num_prompts", "completed", "failed", "canceled", "errors_by_kind"}

// AppendAccounting appends to out, a processed result, the accounting
// keys the raw result (the bytes of file, which Process accepted) has, and
// validates the result again.
func AppendAccounting(v *schemas.Validator, out *pyjson.Object, file string, raw []byte) error {
	doc, err := results.DecodeOrdered(raw)
	if err != nil {
		return &InputError{fmt.Errorf("%s: %w", file, err)}
	}
	in, ok := doc.(*pyjson.Object)
	if !ok {
		return &InputError{fmt.Errorf("%s: expected a JSON object (a raw result)", file)}
	}
	if _, ok := in.Get("failed"); !ok {
		return nil
	}
	for _, k := range AccountingKeys {
		if v, ok := in.Get(k); ok {
			out.Set(k, v)
		}
	}
	if err := v.Validate(schemas.ProcessedResult, results.Generic(out)); err != nil {
		return &InputError{fmt.Errorf("the processed result would not match its schema (the raw result's request accounting is out of range):\n%w", schemaDiag(file, err))}
	}
	return nil
}
