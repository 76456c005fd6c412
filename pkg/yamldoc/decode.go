package yamldoc

import (
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/diag"
	"gopkg.in/yaml.v3"
)

// Decode stores the value at ptr into out, a non-nil pointer. Struct fields
// are matched by their json tag names. It is strict where JSON decoding is
// lax: an integer field takes only an integer (not 8.0, not "8"), a boolean
// only true or false, and an unknown key is an error. A key that is absent
// leaves its field untouched; pointer fields tell absence from zero.
func (d *Doc) Decode(ptr string, out any) error {
	rv := reflect.ValueOf(out)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return diag.Errorf(d.File, 0, 0, "", "internal: Decode needs a non-nil pointer, got %T", out)
	}
	val, ok := d.Lookup(ptr)
	if !ok {
		return diag.List{d.Diag(ptr, "required value is missing")}
	}
	n, _, _ := d.walk(ptr)
	return d.decode(val, n, ptr, rv.Elem())
}

// DecodeValidated is Decode for a value that its schema has already held to
// its shape: it decodes the same, without looking up the YAML nodes, which
// only set the order in which problems would have been found.
func (d *Doc) DecodeValidated(ptr string, out any) error {
	rv := reflect.ValueOf(out)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return diag.Errorf(d.File, 0, 0, "", "internal: Decode needs a non-nil pointer, got %T", out)
	}
	val, ok := d.Lookup(ptr)
	if !ok {
		return diag.List{d.Diag(ptr, "required value is missing")}
	}
	return d.decode(val, nil, ptr, rv.Elem())
}

// Lookup returns the generic value at ptr.
func (d *Doc) Lookup(ptr string) (any, bool) {
	node := d.Root
	if ptr == "" {
		return node, true
	}
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch n := node.(type) {
		case map[string]any:
			v, ok := n[tok]
			if !ok {
				return nil, false
			}
			node = v
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(n) {
				return nil, false
			}
			node = n[i]
		default:
			return nil, false
		}
	}
	return node, true
}

// decode stores val, read from node n (nil for a document built in
// memory), at ptr into dst.
func (d *Doc) decode(val any, n *yaml.Node, ptr string, dst reflect.Value) error {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	fail := func(want string) error {
		return diag.List{d.Diag(ptr, "expected %s, got %s", want, describeValue(val))}
	}
	if dst.Kind() == reflect.Pointer {
		if val == nil {
			dst.SetZero()
			return nil
		}
		p := reflect.New(dst.Type().Elem())
		if err := d.decode(val, n, ptr, p.Elem()); err != nil {
			return err
		}
		dst.Set(p)
		return nil
	}
	switch dst.Kind() {
	case reflect.Interface:
		if val != nil {
			dst.Set(reflect.ValueOf(val))
		}
		return nil
	case reflect.String:
		s, ok := val.(string)
		if !ok {
			return fail("a string")
		}
		dst.SetString(s)
	case reflect.Bool:
		b, ok := val.(bool)
		if !ok {
			return fail("true or false")
		}
		dst.SetBool(b)
	case reflect.Int, reflect.Int64, reflect.Int32:
		i, ok := val.(int64)
		if !ok {
			return fail("an integer")
		}
		if dst.OverflowInt(i) {
			return diag.List{d.Diag(ptr, "integer %d is out of range", i)}
		}
		dst.SetInt(i)
	case reflect.Float64:
		switch x := val.(type) {
		case float64:
			dst.SetFloat(x)
		case int64:
			dst.SetFloat(float64(x))
		default:
			return fail("a number")
		}
	case reflect.Slice:
		items, ok := val.([]any)
		if !ok {
			return fail("a list")
		}
		s := reflect.MakeSlice(dst.Type(), len(items), len(items))
		for i, item := range items {
			var child *yaml.Node
			if n != nil && n.Kind == yaml.SequenceNode && i < len(n.Content) {
				child = n.Content[i]
			}
			if err := d.decode(item, child, ptr+"/"+strconv.Itoa(i), s.Index(i)); err != nil {
				return err
			}
		}
		dst.Set(s)
	case reflect.Map:
		m, ok := val.(map[string]any)
		if !ok || dst.Type().Key().Kind() != reflect.String {
			return fail("a mapping")
		}
		out := reflect.MakeMapWithSize(dst.Type(), len(m))
		keys, nodes := orderedKeys(n, m)
		for _, k := range keys {
			ev := reflect.New(dst.Type().Elem()).Elem()
			if err := d.decode(m[k], nodes[k], diag.AppendToken(ptr, k), ev); err != nil {
				return err
			}
			out.SetMapIndex(reflect.ValueOf(k).Convert(dst.Type().Key()), ev)
		}
		dst.Set(out)
	case reflect.Struct:
		m, ok := val.(map[string]any)
		if !ok {
			return fail("a mapping")
		}
		fields := d.structFields(dst.Type())
		keys, nodes := orderedKeys(n, m)
		for _, k := range keys {
			idx, ok := fields[k]
			child := diag.AppendToken(ptr, k)
			if !ok {
				return diag.List{d.KeyDiag(child, "unknown key")}
			}
			if err := d.decode(m[k], nodes[k], child, dst.Field(idx)); err != nil {
				return err
			}
		}
	default:
		return diag.List{d.Diag(ptr, "internal: cannot decode into %s", dst.Type())}
	}
	return nil
}

// orderedKeys returns a mapping's keys in file order with their value
// nodes, or sorted when there is no node (a document built in memory).
func orderedKeys(n *yaml.Node, m map[string]any) ([]string, map[string]*yaml.Node) {
	if n != nil && n.Kind == yaml.MappingNode {
		if pairs, err := (&converter{}).pairs(n, 0); err == nil && len(pairs) == len(m) {
			keys := make([]string, len(pairs))
			nodes := make(map[string]*yaml.Node, len(pairs))
			for i, p := range pairs {
				keys[i], nodes[p[0].Value] = p[0].Value, p[1]
			}
			return keys, nodes
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys, nil
}

// structFields returns a struct type's field indexes by JSON name,
// remembered in the document: decoding a config file meets the same few
// types thousands of times.
func (d *Doc) structFields(t reflect.Type) map[string]int {
	d.fieldsMu.Lock()
	defer d.fieldsMu.Unlock()
	if f, ok := d.fields[t]; ok {
		return f
	}
	if d.fields == nil {
		d.fields = map[reflect.Type]map[string]int{}
	}
	fields := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = i
	}
	d.fields[t] = fields
	return fields
}

func describeValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(x)
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return "integer " + strconv.FormatInt(x, 10)
	case float64:
		return "number " + strconv.FormatFloat(x, 'g', -1, 64)
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	}
	return "a value"
}
