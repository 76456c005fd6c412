package results

import (
	"fmt"

	"github.com/inferencex/inferencex-go/schemas"
)

// ParseAggregate is ReadAggregate on an aggregate's bytes (one read out
// of a downloaded artifact); source names it in messages.
func ParseAggregate(v *schemas.Validator, source string, data []byte) ([]*Processed, error) {
	doc, err := DecodeOrdered(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	if err := v.Validate(schemas.ProcessedResults, Generic(doc)); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	var out []*Processed
	for i, e := range doc.([]any) {
		p, err := processedFrom(v, fmt.Sprintf("%s[%d]", source, i), e)
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", source, i, err)
		}
		out = append(out, p)
	}
	return out, nil
}
