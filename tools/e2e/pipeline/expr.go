package pipeline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// Contexts are the expression contexts a step sees: inputs, env, runner,
// matrix, secrets, each a tree of maps.
type Contexts map[string]any

var exprRe = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)

// Expand replaces every ${{ expression }} in s with its value formatted as
// GitHub formats it in a string.
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

// Eval evaluates one expression and formats it as GitHub does in a string:
// booleans as true/false, whole numbers without a fraction, null as the
// empty string.
func Eval(expr string, ctx Contexts) (string, error) {
	v, err := Evaluate(expr, ctx, Status{})
	if err != nil {
		return "", err
	}
	return format(v), nil
}

// Status is the job's state that the status functions read.
type Status struct {
	Failed    bool // an earlier step failed
	Cancelled bool
}

// Lookup evaluates one expression of a with: or env: value: Evaluate for a
// job that has not failed.
func Lookup(expr string, ctx Contexts) (any, error) { return Evaluate(expr, ctx, Status{}) }

// Evaluate evaluates one expression of the subset of GitHub's expression
// language that the workflows use: literals, property paths (a.b-c,
// a['b'], a[0]), !, ==, !=, && and || (which, as in GitHub, give one of
// their operands, so that `x && 'a' || 'b'` picks a string), parentheses,
// the functions toJson, fromJson, format and join, and the status functions
// success(), failure(), always() and cancelled(), which read st. Anything
// else is an error rather than a guess: a template change the local runner
// cannot follow should fail loudly. A missing property is null.
func Evaluate(expr string, ctx Contexts, st Status) (any, error) {
	p := &parser{src: expr, ctx: ctx, status: st}
	p.next()
	v, err := p.or()
	if err != nil {
		return nil, fmt.Errorf("expression %q: %w", expr, err)
	}
	if p.tok.kind != tokEOF {
		return nil, fmt.Errorf("expression %q: unexpected %q", expr, p.tok.text)
	}
	return v, nil
}

type tokKind int

const (
	tokEOF tokKind = iota
	tokIdent
	tokString
	tokNumber
	tokOp // . [ ] ( ) , ! == != && ||
)

type token struct {
	kind tokKind
	text string
}

type parser struct {
	src    string
	pos    int
	tok    token
	ctx    Contexts
	status Status
	err    error
}

// next reads the next token into p.tok.
func (p *parser) next() {
	for p.pos < len(p.src) && unicode.IsSpace(rune(p.src[p.pos])) {
		p.pos++
	}
	if p.pos >= len(p.src) {
		p.tok = token{kind: tokEOF}
		return
	}
	s := p.src[p.pos:]
	c := s[0]
	switch {
	case c == '\'':
		var b strings.Builder
		i := 1
		for {
			if i >= len(s) {
				p.err = fmt.Errorf("unterminated string")
				p.tok = token{kind: tokEOF}
				return
			}
			if s[i] == '\'' {
				if i+1 < len(s) && s[i+1] == '\'' {
					b.WriteByte('\'')
					i += 2
					continue
				}
				break
			}
			b.WriteByte(s[i])
			i++
		}
		p.tok, p.pos = token{tokString, b.String()}, p.pos+i+1
	case c >= '0' && c <= '9' || c == '-' && len(s) > 1 && s[1] >= '0' && s[1] <= '9':
		i := 1
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.' || s[i] == 'e' || s[i] == 'E') {
			i++
		}
		p.tok, p.pos = token{tokNumber, s[:i]}, p.pos+i
	case unicode.IsLetter(rune(c)) || c == '_':
		i := 1
		for i < len(s) && (unicode.IsLetter(rune(s[i])) || unicode.IsDigit(rune(s[i])) || s[i] == '_' || s[i] == '-') {
			i++
		}
		p.tok, p.pos = token{tokIdent, s[:i]}, p.pos+i
	default:
		for _, op := range []string{"==", "!=", "&&", "||", ".", "[", "]", "(", ")", ",", "!"} {
			if strings.HasPrefix(s, op) {
				p.tok, p.pos = token{tokOp, op}, p.pos+len(op)
				return
			}
		}
		p.err = fmt.Errorf("unexpected character %q", c)
		p.tok = token{kind: tokEOF}
	}
}

func (p *parser) is(op string) bool { return p.tok.kind == tokOp && p.tok.text == op }

func (p *parser) or() (any, error) {
	v, err := p.and()
	for err == nil && p.is("||") {
		p.next()
		var r any
		if r, err = p.and(); err == nil && !truthy(v) {
			v = r
		}
	}
	return v, p.fail(err)
}

func (p *parser) and() (any, error) {
	v, err := p.cmp()
	for err == nil && p.is("&&") {
		p.next()
		var r any
		if r, err = p.cmp(); err == nil && truthy(v) {
			v = r
		}
	}
	return v, p.fail(err)
}

func (p *parser) cmp() (any, error) {
	v, err := p.unary()
	if err != nil || !(p.is("==") || p.is("!=")) {
		return v, p.fail(err)
	}
	neq := p.is("!=")
	p.next()
	r, err := p.unary()
	if err != nil {
		return nil, err
	}
	return equal(v, r) != neq, p.fail(nil)
}

func (p *parser) unary() (any, error) {
	if p.is("!") {
		p.next()
		v, err := p.unary()
		return !truthy(v), err
	}
	return p.primary()
}

func (p *parser) primary() (any, error) {
	if p.err != nil {
		return nil, p.err
	}
	t := p.tok
	switch t.kind {
	case tokString:
		p.next()
		return t.text, nil
	case tokNumber:
		p.next()
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return nil, fmt.Errorf("bad number %q", t.text)
		}
		return f, nil
	case tokOp:
		if t.text == "(" {
			p.next()
			v, err := p.or()
			if err != nil {
				return nil, err
			}
			if !p.is(")") {
				return nil, fmt.Errorf("missing )")
			}
			p.next()
			return v, nil
		}
		return nil, fmt.Errorf("unexpected %q", t.text)
	case tokIdent:
		p.next()
		switch t.text {
		case "true":
			return true, nil
		case "false":
			return false, nil
		case "null":
			return nil, nil
		}
		var cur any
		if p.is("(") {
			v, err := p.call(t.text)
			if err != nil {
				return nil, err
			}
			cur = v
		} else {
			v, ok := p.ctx[t.text]
			if !ok {
				return nil, fmt.Errorf("no context %q here", t.text)
			}
			cur = v
		}
		for {
			switch {
			case p.is("."):
				p.next()
				if p.tok.kind != tokIdent {
					return nil, fmt.Errorf("a property name must follow '.'")
				}
				cur = property(cur, p.tok.text)
				p.next()
			case p.is("["):
				p.next()
				key, err := p.or()
				if err != nil {
					return nil, err
				}
				if !p.is("]") {
					return nil, fmt.Errorf("missing ]")
				}
				p.next()
				if f, isNum := key.(float64); isNum {
					list, _ := cur.([]any)
					if i := int(f); float64(i) == f && i >= 0 && i < len(list) {
						cur = list[i]
					} else {
						cur = nil
					}
					continue
				}
				cur = property(cur, format(key))
			default:
				return cur, nil
			}
		}
	}
	return nil, fmt.Errorf("unexpected end")
}

func (p *parser) call(name string) (any, error) {
	p.next() // (
	var args []any
	for !p.is(")") {
		v, err := p.or()
		if err != nil {
			return nil, err
		}
		args = append(args, v)
		if p.is(",") {
			p.next()
		} else if !p.is(")") {
			return nil, fmt.Errorf("%s: expected , or )", name)
		}
	}
	p.next()
	switch {
	case strings.EqualFold(name, "success") && len(args) == 0:
		return !p.status.Failed && !p.status.Cancelled, nil
	case strings.EqualFold(name, "failure") && len(args) == 0:
		return p.status.Failed, nil
	case strings.EqualFold(name, "always") && len(args) == 0:
		return true, nil
	case strings.EqualFold(name, "cancelled") && len(args) == 0:
		return p.status.Cancelled, nil
	case strings.EqualFold(name, "join") && (len(args) == 1 || len(args) == 2):
		sep := ","
		if len(args) == 2 {
			sep = format(args[1])
		}
		list, isList := args[0].([]any)
		if !isList {
			return format(args[0]), nil
		}
		parts := make([]string, len(list))
		for i, v := range list {
			parts[i] = format(v)
		}
		return strings.Join(parts, sep), nil
	case strings.EqualFold(name, "toJson") && len(args) == 1:
		// GitHub writes toJson's JSON indented by two spaces.
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(args[0]); err != nil {
			return nil, err
		}
		return strings.TrimSuffix(b.String(), "\n"), nil
	case strings.EqualFold(name, "fromJson") && len(args) == 1:
		var v any
		if err := json.Unmarshal([]byte(format(args[0])), &v); err != nil {
			return nil, fmt.Errorf("fromJson: %w", err)
		}
		return v, nil
	case strings.EqualFold(name, "format") && len(args) >= 1:
		s := format(args[0])
		for i, a := range args[1:] {
			s = strings.ReplaceAll(s, "{"+strconv.Itoa(i)+"}", format(a))
		}
		return s, nil
	}
	return nil, fmt.Errorf("the local runner does not evaluate %s() with %d arguments", name, len(args))
}

func (p *parser) fail(err error) error {
	if err != nil {
		return err
	}
	return p.err
}

func property(cur any, name string) any {
	m, isMap := cur.(map[string]any)
	if !isMap {
		return nil
	}
	return m[name]
}

// truthy is GitHub's: false, 0, "" and null are false.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case float64:
		return x != 0 && !math.IsNaN(x)
	case int:
		return x != 0
	case string:
		return x != ""
	}
	return true
}

// equal compares as GitHub does: strings without regard to case, numbers
// by value, and a string and a number by the string's number.
func equal(a, b any) bool {
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return strings.EqualFold(x, y)
		}
	case nil:
		return b == nil
	}
	fa, oka := number(a)
	fb, okb := number(b)
	return oka && okb && fa == fb
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil || strings.TrimSpace(x) == ""
	}
	return 0, false
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
	case map[string]any:
		return "Object"
	case []any:
		return "Array"
	default:
		return fmt.Sprint(x)
	}
}

// hasStatusFunction tells whether an if: names a status function; one
// that does not is implicitly `success() && (...)`.
func hasStatusFunction(expr string) bool {
	e := strings.ToLower(strings.ReplaceAll(expr, " ", ""))
	for _, f := range []string{"success(", "failure(", "always(", "cancelled("} {
		if strings.Contains(e, f) {
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
	return truthy(v), nil
}
