package pyvalue

import (
	"encoding/json"
	"testing"

	"github.com/inferencex/inferencex-go/pkg/pyjson"
)

func TestTruthy(t *testing.T) {
	empty := &pyjson.Object{}
	tests := []struct {
		name string
		v    any
		want bool
	}{
		{"None", nil, false},
		{"False", false, false},
		{"True", true, true},
		{"empty string", "", false},
		{"string", "0", true},
		{"zero int", json.Number("0"), false},
		{"zero float", json.Number("-0.0"), false},
		{"float64 zero", 0.0, false},
		{"nonzero", json.Number("0.5"), true},
		{"too large for a float", json.Number("1e999"), true},
		{"empty list", []any{}, false},
		{"list", []any{nil}, true},
		{"empty object", empty, false},
		{"empty map", map[string]any{}, false},
		{"map", map[string]any{"a": nil}, true},
	}
	for _, tc := range tests {
		if got := Truthy(tc.v); got != tc.want {
			t.Errorf("%s: Truthy(%#v) = %v, want %v", tc.name, tc.v, got, tc.want)
		}
	}
}
