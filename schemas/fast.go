package schemas

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The fast path. jsonschema/v5 builds locations, maps and error values as it
// walks a document, about a microsecond per value; validating a full sweep's
// configs and matrix with it is most of a tool's run time. Most documents are
// valid, so each schema is also compiled into a small checker that answers
// only "valid or not" for the keywords our schemas use. Validate asks it
// first and asks the library only when it says no, to get the violations.
// A schema that uses a keyword the checker does not know has no fast path.
// FuzzFastAgrees holds the checker to the library's verdict on every kind.

// fastSchema is one compiled (sub)schema.
type fastSchema struct {
	always *bool // a boolean schema

	types    []string
	enum     []any
	hasConst bool
	constant any

	// objects
	required    []string
	props       map[string]*fastSchema
	patterns    []fastPattern
	additional  *fastSchema
	propNames   *fastSchema
	depRequired map[string][]string
	depSchemas  map[string]*fastSchema

	// arrays
	items       *fastSchema
	minItems    int
	maxItems    int
	uniqueItems bool

	// strings
	minLength int
	maxLength int
	pattern   *regexp.Regexp

	// numbers: exact bounds, and the same as float64 when a float64 holds
	// them exactly (which makes the common comparisons cheap)
	minimum, maximum, exclMinimum, exclMaximum *big.Rat
	bounds                                     [4]float64
	exactBounds                                bool

	// combinations
	ref               *fastSchema
	allOf, anyOf      []*fastSchema
	oneOf             []*fastSchema
	not               *fastSchema
	ifS, thenS, elseS *fastSchema
}

type fastPattern struct {
	re     *regexp.Regexp
	schema *fastSchema
}

// annotations are keywords that do not constrain a document.
var annotations = map[string]bool{
	"$schema": true, "$id": true, "$comment": true, "$defs": true, "title": true, "description": true,
	"x-messages": true, "default": true, "examples": true, "deprecated": true, "readOnly": true, "writeOnly": true,
}

// fastCompiler compiles the raw schemas (file URL -> decoded JSON).
type fastCompiler struct {
	raw  map[string]any
	done map[string]*fastSchema // absolute location -> schema, for $ref
}

// errNotFast says a schema uses something the fast path does not handle.
type errNotFast struct{ what string }

func (e errNotFast) Error() string { return "no fast path: " + e.what }

func (c *fastCompiler) compileURL(url string) (*fastSchema, error) {
	doc, ok := c.raw[url]
	if !ok {
		return nil, errNotFast{"unknown schema " + url}
	}
	return c.compile(doc, url, "")
}

// compile compiles the schema s found at url#ptr.
func (c *fastCompiler) compile(s any, url, ptr string) (*fastSchema, error) {
	loc := url + "#" + ptr
	if f, ok := c.done[loc]; ok {
		return f, nil
	}
	f := &fastSchema{minItems: -1, maxItems: -1, minLength: -1, maxLength: -1}
	c.done[loc] = f // before the parts, so that recursive refs terminate
	switch x := s.(type) {
	case bool:
		f.always = &x
		return f, nil
	case map[string]any:
		return f, c.fill(f, x, url, ptr)
	}
	return nil, errNotFast{fmt.Sprintf("schema at %s is %T", loc, s)}
}

func (c *fastCompiler) sub(s map[string]any, key, url, ptr string) (*fastSchema, error) {
	v, ok := s[key]
	if !ok {
		return nil, nil
	}
	return c.compile(v, url, ptr+"/"+escapeToken(key))
}

func (c *fastCompiler) list(s map[string]any, key, url, ptr string) ([]*fastSchema, error) {
	v, ok := s[key]
	if !ok {
		return nil, nil
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, errNotFast{key + " is not a list"}
	}
	out := make([]*fastSchema, len(arr))
	for i, item := range arr {
		f, err := c.compile(item, url, ptr+"/"+escapeToken(key)+"/"+strconv.Itoa(i))
		if err != nil {
			return nil, err
		}
		out[i] = f
	}
	return out, nil
}

func (c *fastCompiler) fill(f *fastSchema, s map[string]any, url, ptr string) error {
	defer f.setBounds()
	var err error
	for k, v := range s {
		switch k {
		case "type":
			switch t := v.(type) {
			case string:
				f.types = []string{t}
			case []any:
				for _, x := range t {
					str, ok := x.(string)
					if !ok {
						return errNotFast{"type list"}
					}
					f.types = append(f.types, str)
				}
			default:
				return errNotFast{"type"}
			}
		case "enum":
			arr, ok := v.([]any)
			if !ok {
				return errNotFast{"enum"}
			}
			f.enum = arr
		case "const":
			f.hasConst, f.constant = true, v
		case "required":
			arr, ok := v.([]any)
			if !ok {
				return errNotFast{"required"}
			}
			for _, x := range arr {
				str, ok := x.(string)
				if !ok {
					return errNotFast{"required"}
				}
				f.required = append(f.required, str)
			}
		case "properties":
			m, ok := v.(map[string]any)
			if !ok {
				return errNotFast{"properties"}
			}
			f.props = map[string]*fastSchema{}
			for name, ps := range m {
				if f.props[name], err = c.compile(ps, url, ptr+"/properties/"+escapeToken(name)); err != nil {
					return err
				}
			}
		case "patternProperties":
			m, ok := v.(map[string]any)
			if !ok {
				return errNotFast{"patternProperties"}
			}
			for pat, ps := range m {
				re, err := regexp.Compile(pat)
				if err != nil {
					return errNotFast{"pattern " + pat}
				}
				sch, err := c.compile(ps, url, ptr+"/patternProperties/"+escapeToken(pat))
				if err != nil {
					return err
				}
				f.patterns = append(f.patterns, fastPattern{re, sch})
			}
		case "additionalProperties":
			if f.additional, err = c.sub(s, k, url, ptr); err != nil {
				return err
			}
		case "propertyNames":
			if f.propNames, err = c.sub(s, k, url, ptr); err != nil {
				return err
			}
		case "dependentRequired":
			m, ok := v.(map[string]any)
			if !ok {
				return errNotFast{k}
			}
			f.depRequired = map[string][]string{}
			for name, req := range m {
				arr, ok := req.([]any)
				if !ok {
					return errNotFast{k}
				}
				for _, x := range arr {
					str, ok := x.(string)
					if !ok {
						return errNotFast{k}
					}
					f.depRequired[name] = append(f.depRequired[name], str)
				}
			}
		case "dependentSchemas":
			m, ok := v.(map[string]any)
			if !ok {
				return errNotFast{k}
			}
			f.depSchemas = map[string]*fastSchema{}
			for name, ds := range m {
				if f.depSchemas[name], err = c.compile(ds, url, ptr+"/dependentSchemas/"+escapeToken(name)); err != nil {
					return err
				}
			}
		case "items":
			if f.items, err = c.sub(s, k, url, ptr); err != nil {
				return err
			}
		case "minItems", "maxItems", "minLength", "maxLength":
			n, ok := nonNegInt(v)
			if !ok {
				return errNotFast{k}
			}
			switch k {
			case "minItems":
				f.minItems = n
			case "maxItems":
				f.maxItems = n
			case "minLength":
				f.minLength = n
			case "maxLength":
				f.maxLength = n
			}
		case "uniqueItems":
			b, ok := v.(bool)
			if !ok {
				return errNotFast{k}
			}
			f.uniqueItems = b
		case "pattern":
			str, ok := v.(string)
			if !ok {
				return errNotFast{k}
			}
			if f.pattern, err = regexp.Compile(str); err != nil {
				return errNotFast{"pattern " + str}
			}
		case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum":
			r, ok := rat(v)
			if !ok {
				return errNotFast{k}
			}
			switch k {
			case "minimum":
				f.minimum = r
			case "maximum":
				f.maximum = r
			case "exclusiveMinimum":
				f.exclMinimum = r
			case "exclusiveMaximum":
				f.exclMaximum = r
			}
		case "$ref":
			str, ok := v.(string)
			if !ok {
				return errNotFast{k}
			}
			if f.ref, err = c.resolve(str, url); err != nil {
				return err
			}
		case "allOf":
			if f.allOf, err = c.list(s, k, url, ptr); err != nil {
				return err
			}
		case "anyOf":
			if f.anyOf, err = c.list(s, k, url, ptr); err != nil {
				return err
			}
		case "oneOf":
			if f.oneOf, err = c.list(s, k, url, ptr); err != nil {
				return err
			}
		case "not":
			if f.not, err = c.sub(s, k, url, ptr); err != nil {
				return err
			}
		case "if":
			if f.ifS, err = c.sub(s, k, url, ptr); err != nil {
				return err
			}
		case "then":
			if f.thenS, err = c.sub(s, k, url, ptr); err != nil {
				return err
			}
		case "else":
			if f.elseS, err = c.sub(s, k, url, ptr); err != nil {
				return err
			}
		default:
			if !annotations[k] {
				return errNotFast{"keyword " + k}
			}
		}
	}
	return nil
}

// resolve follows a $ref: "#/pointer" in the same file or
// "other.schema.json[#/pointer]" next to it.
func (c *fastCompiler) resolve(ref, url string) (*fastSchema, error) {
	file, frag, _ := strings.Cut(ref, "#")
	if file != "" {
		if strings.Contains(file, "/") {
			return nil, errNotFast{"ref " + ref}
		}
		url = baseURL + file
	}
	doc, ok := c.raw[url]
	if !ok {
		return nil, errNotFast{"ref " + ref}
	}
	node := doc
	for _, tok := range splitPointer(frag) {
		m, ok := node.(map[string]any)
		if !ok {
			return nil, errNotFast{"ref " + ref}
		}
		if node, ok = m[tok]; !ok {
			return nil, errNotFast{"ref " + ref}
		}
	}
	return c.compile(node, url, frag)
}

func nonNegInt(v any) (int, bool) {
	f, ok := v.(float64)
	if !ok || f < 0 || f != math.Trunc(f) || f > math.MaxInt32 {
		return 0, false
	}
	return int(f), true
}

// rat reads a number exactly (schema numbers come from encoding/json as
// float64; instance numbers may also be json.Number or integers).
func rat(v any) (*big.Rat, bool) {
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, false
		}
		return new(big.Rat).SetFloat64(x), true
	case int64:
		return new(big.Rat).SetInt64(x), true
	case int:
		return new(big.Rat).SetInt64(int64(x)), true
	case json.Number:
		return new(big.Rat).SetString(x.String())
	}
	return nil, false
}

// valid reports whether v satisfies the schema. ok is false when v holds a
// value the checker does not know (then the library decides).
func (f *fastSchema) valid(v any) (valid, ok bool) {
	if f.always != nil {
		return *f.always, true
	}
	kind, known := jsonKind(v)
	if !known {
		return false, false
	}
	if len(f.types) > 0 {
		match := false
		for _, t := range f.types {
			if t == kind || t == "number" && kind == "integer" || t == "integer" && kind == "number" && integral(v) {
				match = true
				break
			}
		}
		if !match {
			return false, true
		}
	}
	if f.enum != nil {
		found := false
		for _, e := range f.enum {
			if equalJSON(e, v) {
				found = true
				break
			}
		}
		if !found {
			return false, true
		}
	}
	if f.hasConst && !equalJSON(f.constant, v) {
		return false, true
	}
	switch x := v.(type) {
	case map[string]any:
		if r, ok := f.object(x); !r || !ok {
			return r, ok
		}
	case []any:
		if r, ok := f.array(x); !r || !ok {
			return r, ok
		}
	case string:
		if f.minLength >= 0 || f.maxLength >= 0 {
			n := utf8.RuneCountInString(x)
			if f.minLength >= 0 && n < f.minLength || f.maxLength >= 0 && n > f.maxLength {
				return false, true
			}
		}
		if f.pattern != nil && !f.pattern.MatchString(x) {
			return false, true
		}
	default:
		if kind == "number" || kind == "integer" {
			if r, ok := f.number(v); !r || !ok {
				return r, ok
			}
		}
	}
	if f.ref != nil {
		if r, ok := f.ref.valid(v); !r || !ok {
			return r, ok
		}
	}
	if f.not != nil {
		r, ok := f.not.valid(v)
		if !ok {
			return false, false
		}
		if r {
			return false, true
		}
	}
	for _, sub := range f.allOf {
		if r, ok := sub.valid(v); !r || !ok {
			return r, ok
		}
	}
	if len(f.anyOf) > 0 {
		any := false
		for _, sub := range f.anyOf {
			r, ok := sub.valid(v)
			if !ok {
				return false, false
			}
			if r {
				any = true
				break
			}
		}
		if !any {
			return false, true
		}
	}
	if len(f.oneOf) > 0 {
		n := 0
		for _, sub := range f.oneOf {
			r, ok := sub.valid(v)
			if !ok {
				return false, false
			}
			if r {
				n++
			}
		}
		if n != 1 {
			return false, true
		}
	}
	if f.ifS != nil {
		r, ok := f.ifS.valid(v)
		if !ok {
			return false, false
		}
		branch := f.thenS
		if !r {
			branch = f.elseS
		}
		if branch != nil {
			if r, ok := branch.valid(v); !r || !ok {
				return r, ok
			}
		}
	}
	return true, true
}

func (f *fastSchema) object(m map[string]any) (bool, bool) {
	for _, k := range f.required {
		if _, ok := m[k]; !ok {
			return false, true
		}
	}
	for name, req := range f.depRequired {
		if _, ok := m[name]; !ok {
			continue
		}
		for _, k := range req {
			if _, ok := m[k]; !ok {
				return false, true
			}
		}
	}
	for k, val := range m {
		if f.propNames != nil {
			if r, ok := f.propNames.valid(k); !r || !ok {
				return r, ok
			}
		}
		matched := false
		if ps, ok := f.props[k]; ok {
			matched = true
			if r, ok := ps.valid(val); !r || !ok {
				return r, ok
			}
		}
		for _, p := range f.patterns {
			if p.re.MatchString(k) {
				matched = true
				if r, ok := p.schema.valid(val); !r || !ok {
					return r, ok
				}
			}
		}
		if !matched && f.additional != nil {
			if r, ok := f.additional.valid(val); !r || !ok {
				return r, ok
			}
		}
	}
	for name, ds := range f.depSchemas {
		if _, ok := m[name]; !ok {
			continue
		}
		if r, ok := ds.valid(m); !r || !ok {
			return r, ok
		}
	}
	return true, true
}

func (f *fastSchema) array(a []any) (bool, bool) {
	if f.minItems >= 0 && len(a) < f.minItems || f.maxItems >= 0 && len(a) > f.maxItems {
		return false, true
	}
	if f.items != nil {
		for _, item := range a {
			if r, ok := f.items.valid(item); !r || !ok {
				return r, ok
			}
		}
	}
	if f.uniqueItems {
		for i := range a {
			for j := i + 1; j < len(a); j++ {
				if equalJSON(a[i], a[j]) {
					return false, true
				}
			}
		}
	}
	return true, true
}

func (f *fastSchema) number(v any) (bool, bool) {
	if f.minimum == nil && f.maximum == nil && f.exclMinimum == nil && f.exclMaximum == nil {
		return true, true
	}
	// Cheap path: the value and the bounds are exact float64s.
	var x float64
	cheap := f.exactBounds
	switch n := v.(type) {
	case int64:
		x = float64(n)
		cheap = cheap && n > -1<<53 && n < 1<<53
	case int:
		x = float64(n)
		cheap = cheap && n > -1<<53 && n < 1<<53
	case float64:
		x = n
	case json.Number:
		// The nearest float64 decides unless it lands on a bound: rounding
		// is monotonic, so a value whose float64 is above a bound is above
		// it too.
		y, exact, ok := approxNumber(string(n))
		x, cheap = y, cheap && ok && (exact || !f.onBound(y))
	default:
		cheap = false
	}
	if cheap {
		b := f.bounds
		if f.minimum != nil && x < b[0] || f.maximum != nil && x > b[1] ||
			f.exclMinimum != nil && x <= b[2] || f.exclMaximum != nil && x >= b[3] {
			return false, true
		}
		return true, true
	}
	r, ok := rat(v)
	if !ok {
		return false, false
	}
	if f.minimum != nil && r.Cmp(f.minimum) < 0 || f.maximum != nil && r.Cmp(f.maximum) > 0 ||
		f.exclMinimum != nil && r.Cmp(f.exclMinimum) <= 0 || f.exclMaximum != nil && r.Cmp(f.exclMaximum) >= 0 {
		return false, true
	}
	return true, true
}

// onBound tells whether x equals one of the schema's bounds.
func (f *fastSchema) onBound(x float64) bool {
	b := f.bounds
	return f.minimum != nil && x == b[0] || f.maximum != nil && x == b[1] ||
		f.exclMinimum != nil && x == b[2] || f.exclMaximum != nil && x == b[3]
}

// plainNumber tells whether s is a number in JSON's grammar (what
// encoding/json's decoder hands out as json.Number) and whether it is
// written as an integer, without fraction or exponent. Where the text alone
// answers, the exact parse (big.Rat), most of the fast path's time on
// decoded documents, is not needed.
func plainNumber(s string) (ok, integer bool) {
	i := 0
	digits := func() int {
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - start
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case digits() == 0:
		return false, false
	}
	integer = true
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false, false
		}
		integer = false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		// big.Rat (and so the library) refuses exponents past about a
		// million: those are left to the exact path.
		if n := digits(); n == 0 || n > 5 {
			return false, false
		}
		integer = false
	}
	return i == len(s), integer
}

// approxNumber is the float64 nearest to a JSON number; exact when that is
// its value (an integer of at most 15 digits). ok is false where s is not
// in JSON's grammar or out of float64's range.
func approxNumber(s string) (x float64, exact, ok bool) {
	plain, integer := plainNumber(s)
	if !plain {
		return 0, false, false
	}
	if integer && len(strings.TrimPrefix(s, "-")) <= 15 {
		n, err := strconv.ParseInt(s, 10, 64)
		return float64(n), err == nil, err == nil
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(x, 0) {
		return 0, false, false
	}
	return x, false, true
}

// setBounds fills the float64 copies of the numeric bounds.
func (f *fastSchema) setBounds() {
	f.exactBounds = true
	for i, r := range [...]*big.Rat{f.minimum, f.maximum, f.exclMinimum, f.exclMaximum} {
		if r == nil {
			continue
		}
		x, exact := r.Float64()
		f.bounds[i] = x
		f.exactBounds = f.exactBounds && exact
	}
}

// jsonKind names the JSON type of a generic value: "integer" for numbers
// written without a fraction, "number" for the others.
func jsonKind(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "null", true
	case bool:
		return "boolean", true
	case string:
		return "string", true
	case map[string]any:
		return "object", true
	case []any:
		return "array", true
	case int, int64:
		return "integer", true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "", false
		}
		return "number", true
	case json.Number:
		if ok, _ := plainNumber(string(x)); ok {
			return "number", true
		}
		if _, ok := new(big.Rat).SetString(x.String()); !ok {
			return "", false
		}
		return "number", true
	}
	return "", false
}

// integral tells whether a number has no fractional part (8.0 is an
// integer in JSON Schema).
func integral(v any) bool {
	if n, ok := v.(json.Number); ok {
		if plain, integer := plainNumber(string(n)); plain && integer {
			return true
		}
	}
	r, ok := rat(v)
	return ok && r.IsInt()
}

// equalJSON compares two generic values as JSON values (numbers by value).
func equalJSON(a, b any) bool {
	ka, oka := jsonKind(a)
	kb, okb := jsonKind(b)
	if !oka || !okb {
		return false
	}
	num := func(k string) bool { return k == "number" || k == "integer" }
	if num(ka) && num(kb) {
		ra, _ := rat(a)
		rb, _ := rat(b)
		return ra != nil && rb != nil && ra.Cmp(rb) == 0
	}
	if ka != kb {
		return false
	}
	switch x := a.(type) {
	case map[string]any:
		y := b.(map[string]any)
		if len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !equalJSON(xv, yv) {
				return false
			}
		}
		return true
	case []any:
		y := b.([]any)
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalJSON(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return a == b
}
