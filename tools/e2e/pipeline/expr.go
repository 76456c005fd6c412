package pipeline

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Contexts are the expression contexts a step sees: inputs, env, runner,
// matrix, secrets, each a tree of maps.
type Contexts map[string]any

var (
	exprRe = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)
	pathRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*$`)
)

// Expand replaces every ${{ expression }} in s with its value (see
// Evaluate for what the local runner evaluates). A missing property is
// empty, as in GitHub Actions.
func Expand(s string, ctx Contexts) (string, error) {
	var firstErr error
	out := exprRe.ReplaceAllStringFunc(s, func(m string) string {
		expr := exprRe.FindStringSubmatch(m)[1]
		v, err := Eval(expr, ctx)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return v
	})
	return out, firstErr
}

// Eval evaluates one expression and formats it as GitHub does in a
// string: booleans as true/false, whole numbers without a fraction, null as
// the empty string.
func Eval(expr string, ctx Contexts) (string, error) {
	v, err := Evaluate(expr, ctx, Status{})
	if err != nil {
		return "", err
	}
	return format(v), nil
}

// Lookup returns the value of a property path.
func Lookup(expr string, ctx Contexts) (any, error) {
	if !pathRe.MatchString(expr) {
		return nil, fmt.Errorf("expression %q: the local runner evaluates property paths only (inputs.x, env.X, runner.name, matrix.config.x)", expr)
	}
	parts := strings.Split(expr, ".")
	cur, ok := ctx[parts[0]]
	if !ok {
		return nil, fmt.Errorf("expression %q: no context %q here", expr, parts[0])
	}
	for _, p := range parts[1:] {
		m, isMap := cur.(map[string]any)
		if !isMap {
			return nil, nil
		}
		cur = m[p]
	}
	return cur, nil
}

func format(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case int:
		return strconv.Itoa(x)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	default:
		return fmt.Sprint(x)
	}
}
