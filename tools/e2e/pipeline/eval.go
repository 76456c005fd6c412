package pipeline

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// The expressions of a workflow template's if:, env: and with: values,
// evaluated as GitHub Actions does for the part of the language the
// benchmark templates use: literals ('text', numbers, true, false, null),
// property paths (inputs.eval-only, env.RUN_EVAL, matrix.config.tp), !, ==,
// !=, &&, || (which yield an operand, not a boolean, so that
// `inputs.x && 'a' || 'b'` picks a string), parentheses, and the status
// functions success(), failure(), always() and cancelled(). Anything else
// is an error: a template change the local runner cannot follow should fail
// loudly, not be guessed at.

// Status is the job's state that the status functions read.
type Status struct {
	Failed    bool // an earlier step failed
	Cancelled bool
}

type token struct {
	kind string // str, num, word, op, lp, rp
	text string
}

func tokenize(s string) ([]token, error) {
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '\'':
			var b strings.Builder
			j := i + 1
			for ; j < len(s); j++ {
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' { // '' is a quote
						b.WriteByte('\'')
						j++
						continue
					}
					break
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unterminated string in %q", s)
			}
			out = append(out, token{"str", b.String()})
			i = j + 1
		case strings.HasPrefix(s[i:], "=="), strings.HasPrefix(s[i:], "!="), strings.HasPrefix(s[i:], "&&"), strings.HasPrefix(s[i:], "||"):
			out = append(out, token{"op", s[i : i+2]})
			i += 2
		case c == '!':
			out = append(out, token{"op", "!"})
			i++
		case c == '(':
			out = append(out, token{"lp", "("})
			i++
		case c == ')':
			out = append(out, token{"rp", ")"})
			i++
		case c == '-' || (c >= '0' && c <= '9'):
			j := i + 1
			for j < len(s) && (s[j] == '.' || s[j] == 'e' || s[j] == 'E' || s[j] == '+' || s[j] == '-' || (s[j] >= '0' && s[j] <= '9')) {
				j++
			}
			out = append(out, token{"num", s[i:j]})
			i = j
		case c == '_' || unicode.IsLetter(rune(c)):
			j := i + 1
			for j < len(s) && (s[j] == '_' || s[j] == '-' || s[j] == '.' || unicode.IsLetter(rune(s[j])) || unicode.IsDigit(rune(s[j]))) {
				j++
			}
			out = append(out, token{"word", s[i:j]})
			i = j
		default:
			return nil, fmt.Errorf("the local runner does not evaluate %q in %q", string(c), s)
		}
	}
	return out, nil
}

type parser struct {
	toks   []token
	i      int
	ctx    Contexts
	status Status
	expr   string
}

func (p *parser) peek() token {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return token{}
}

// Evaluate evaluates one expression (the text inside ${{ }}).
func Evaluate(expr string, ctx Contexts, st Status) (any, error) {
	toks, err := tokenize(expr)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, ctx: ctx, status: st, expr: expr}
	v, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.i != len(p.toks) {
		return nil, fmt.Errorf("expression %q: unexpected %q", expr, p.peek().text)
	}
	return v, nil
}

func (p *parser) or() (any, error) {
	v, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.peek() == (token{"op", "||"}) {
		p.i++
		rhs, err := p.and()
		if err != nil {
			return nil, err
		}
		if !Truthy(v) {
			v = rhs
		}
	}
	return v, nil
}

func (p *parser) and() (any, error) {
	v, err := p.eq()
	if err != nil {
		return nil, err
	}
	for p.peek() == (token{"op", "&&"}) {
		p.i++
		rhs, err := p.eq()
		if err != nil {
			return nil, err
		}
		if Truthy(v) {
			v = rhs
		}
	}
	return v, nil
}

func (p *parser) eq() (any, error) {
	v, err := p.unary()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind == "op" && (t.text == "==" || t.text == "!=") {
		p.i++
		rhs, err := p.unary()
		if err != nil {
			return nil, err
		}
		e := looseEqual(v, rhs)
		if t.text == "!=" {
			e = !e
		}
		return e, nil
	}
	return v, nil
}

func (p *parser) unary() (any, error) {
	if p.peek() == (token{"op", "!"}) {
		p.i++
		v, err := p.unary()
		if err != nil {
			return nil, err
		}
		return !Truthy(v), nil
	}
	return p.primary()
}

func (p *parser) primary() (any, error) {
	t := p.peek()
	p.i++
	switch t.kind {
	case "lp":
		v, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.peek().kind != "rp" {
			return nil, fmt.Errorf("expression %q: missing )", p.expr)
		}
		p.i++
		return v, nil
	case "str":
		return t.text, nil
	case "num":
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return nil, fmt.Errorf("expression %q: bad number %s", p.expr, t.text)
		}
		return f, nil
	case "word":
		switch t.text {
		case "true":
			return true, nil
		case "false":
			return false, nil
		case "null":
			return nil, nil
		}
		if p.peek().kind == "lp" {
			p.i++
			if p.peek().kind != "rp" {
				return nil, fmt.Errorf("expression %q: the local runner does not evaluate %s() (it knows success, failure, always and cancelled)", p.expr, t.text)
			}
			p.i++
			switch t.text {
			case "success":
				return !p.status.Failed && !p.status.Cancelled, nil
			case "failure":
				return p.status.Failed, nil
			case "always":
				return true, nil
			case "cancelled":
				return p.status.Cancelled, nil
			}
			return nil, fmt.Errorf("expression %q: the local runner does not evaluate %s() (it knows success, failure, always and cancelled)", p.expr, t.text)
		}
		return Lookup(t.text, p.ctx)
	}
	return nil, fmt.Errorf("expression %q: unexpected %q", p.expr, t.text)
}

// Truthy is GitHub's truth value: false, 0, -0, NaN, "" and null are false.
func Truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case float64:
		return x != 0 && !math.IsNaN(x)
	case int:
		return x != 0
	}
	return true
}

// looseEqual is GitHub's ==: strings compare without regard to case;
// values of different types compare as numbers.
func looseEqual(a, b any) bool {
	as, aStr := a.(string)
	bs, bStr := b.(string)
	if aStr && bStr {
		return strings.EqualFold(as, bs)
	}
	if a == nil && b == nil {
		return true
	}
	fa, fb := toNumber(a), toNumber(b)
	return !math.IsNaN(fa) && fa == fb
}

func toNumber(v any) float64 {
	switch x := v.(type) {
	case nil:
		return 0
	case bool:
		if x {
			return 1
		}
		return 0
	case float64:
		return x
	case int:
		return float64(x)
	case string:
		s := strings.TrimSpace(x)
		if s == "" {
			return 0
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return math.NaN()
		}
		return f
	}
	return math.NaN()
}

// hasStatusFunction tells whether an if: names a status function; one
// that does not is implicitly `success() && (...)`.
func hasStatusFunction(expr string) bool {
	for _, f := range []string{"success(", "failure(", "always(", "cancelled("} {
		if strings.Contains(strings.ReplaceAll(expr, " ", ""), f) {
			return true
		}
	}
	return false
}

// If evaluates a step's if: ("" runs on success, as GitHub does).
func If(cond string, ctx Contexts, st Status) (bool, error) {
	cond = strings.TrimSpace(cond)
	if m := exprRe.FindStringSubmatch(cond); m != nil && m[0] == cond {
		cond = m[1]
	}
	if cond == "" {
		return !st.Failed && !st.Cancelled, nil
	}
	v, err := Evaluate(cond, ctx, st)
	if err != nil {
		return false, err
	}
	if !hasStatusFunction(cond) && (st.Failed || st.Cancelled) {
		return false, nil
	}
	return Truthy(v), nil
}
