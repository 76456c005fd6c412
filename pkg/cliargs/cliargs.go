// Package cliargs parses command lines the way the original Python tools'
// argparse parsers did, so that their users' command lines keep working:
// --flag value and --flag=value, multi-value flags that take every
// following word up to the next flag (--config-files a.yaml b.yaml),
// negative numbers as values, switches, choices, required flags, mutually
// exclusive groups, positional arguments and -h/--help.
//
// Unlike argparse it does not accept abbreviated flag names: a flag is
// spelled out in full or it is an error, so that adding a flag later cannot
// change what an old command line means.
package cliargs

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/suggest"
)

// ErrHelp is returned by Parse when -h or --help was given; the help text
// has been written by then.
var ErrHelp = errors.New("help requested")

// UsageError is a command line that does not parse. Tools exit with status
// 2 on it.
type UsageError struct {
	Prog string
	Msg  string
}

func (e *UsageError) Error() string { return e.Prog + ": error: " + e.Msg }

// arity says how many values a flag takes.
type arity int

const (
	switchArity arity = iota // no value: present or not
	oneArity                 // exactly one value
	oneOrMore                // one or more values (nargs='+')
	zeroOrMore               // any number of values (nargs='*')
)

type flagSpec struct {
	names    []string
	metavar  string
	help     string
	arity    arity
	required bool
	choices  []string
	defHelp  string
	set      func(vals []string) error
	seen     bool
}

type positional struct {
	name     string
	help     string
	optional bool
	variadic bool // takes every remaining word (one or more)
	set      func(string) error
}

type group struct {
	required bool
	flags    []*flagSpec
}

// Parser holds the flags of one command (or subcommand).
type Parser struct {
	Prog        string // "matrixgen full-sweep"
	Description string
	Epilog      string

	flags       []*flagSpec
	byName      map[string]*flagSpec
	groups      []*group
	positionals []*positional
}

// New returns an empty parser.
func New(prog, description string) *Parser {
	return &Parser{Prog: prog, Description: description, byName: map[string]*flagSpec{}}
}

// Option adjusts a flag as it is declared.
type Option func(*flagSpec)

// Required makes the flag mandatory.
func Required() Option { return func(f *flagSpec) { f.required = true } }

// Choices restricts the flag's values.
func Choices(c ...string) Option { return func(f *flagSpec) { f.choices = c } }

// Metavar names the value in the help text.
func Metavar(m string) Option { return func(f *flagSpec) { f.metavar = m } }

// DefaultHelp shows a default value in the help text.
func DefaultHelp(d string) Option { return func(f *flagSpec) { f.defHelp = d } }

func (p *Parser) add(names []string, help string, a arity, set func([]string) error, opts []Option) *flagSpec {
	f := &flagSpec{names: names, help: help, arity: a, set: set}
	for _, o := range opts {
		o(f)
	}
	if f.metavar == "" && a != switchArity {
		f.metavar = strings.ToUpper(strings.ReplaceAll(strings.TrimLeft(names[0], "-"), "-", "_"))
	}
	for _, n := range names {
		if _, dup := p.byName[n]; dup {
			panic("cliargs: flag " + n + " declared twice") // a programming error, not user input
		}
		p.byName[n] = f
	}
	p.flags = append(p.flags, f)
	return f
}

// names splits "--model-prefix" or "-n,--num" into spellings.
func names(spec string) []string { return strings.Split(spec, ",") }

// Bool declares a switch.
func (p *Parser) Bool(dst *bool, spec, help string, opts ...Option) {
	p.add(names(spec), help, switchArity, func([]string) error { *dst = true; return nil }, opts)
}

// String declares a flag with one value.
func (p *Parser) String(dst *string, spec, help string, opts ...Option) {
	p.add(names(spec), help, oneArity, func(v []string) error { *dst = v[0]; return nil }, opts)
}

// OptString declares a flag with one value whose absence is nil.
func (p *Parser) OptString(dst **string, spec, help string, opts ...Option) {
	p.add(names(spec), help, oneArity, func(v []string) error { s := v[0]; *dst = &s; return nil }, opts)
}

// Strings declares a flag taking one or more values.
func (p *Parser) Strings(dst *[]string, spec, help string, opts ...Option) {
	p.add(names(spec), help, oneOrMore, func(v []string) error { *dst = append([]string{}, v...); return nil }, opts)
}

// StringsZeroOrMore declares a flag taking any number of values.
func (p *Parser) StringsZeroOrMore(dst *[]string, spec, help string, opts ...Option) {
	p.add(names(spec), help, zeroOrMore, func(v []string) error { *dst = append([]string{}, v...); return nil }, opts)
}

// Int declares a flag with one integer value.
func (p *Parser) Int(dst *int, spec, help string, opts ...Option) {
	var f *flagSpec
	f = p.add(names(spec), help, oneArity, func(v []string) error {
		n, err := parseInt(f, v[0])
		*dst = n
		return err
	}, opts)
}

// OptInt declares a flag with one integer value whose absence is nil.
func (p *Parser) OptInt(dst **int, spec, help string, opts ...Option) {
	var f *flagSpec
	f = p.add(names(spec), help, oneArity, func(v []string) error {
		n, err := parseInt(f, v[0])
		*dst = &n
		return err
	}, opts)
}

// Ints declares a flag taking one or more integers.
func (p *Parser) Ints(dst *[]int, spec, help string, opts ...Option) {
	var f *flagSpec
	f = p.add(names(spec), help, oneOrMore, func(v []string) error {
		out := make([]int, len(v))
		for i, s := range v {
			n, err := parseInt(f, s)
			if err != nil {
				return err
			}
			out[i] = n
		}
		*dst = out
		return nil
	}, opts)
}

// Float declares a flag with one number value.
func (p *Parser) Float(dst *float64, spec, help string, opts ...Option) {
	var f *flagSpec
	f = p.add(names(spec), help, oneArity, func(v []string) error {
		x, err := strconv.ParseFloat(strings.TrimSpace(v[0]), 64)
		if err != nil {
			return fmt.Errorf("argument %s: invalid float value: '%s'", f.label(), v[0])
		}
		*dst = x
		return nil
	}, opts)
}

// Func declares a flag with one value handled by set.
func (p *Parser) Func(spec, help string, set func(string) error, opts ...Option) {
	var f *flagSpec
	f = p.add(names(spec), help, oneArity, func(v []string) error {
		if err := set(v[0]); err != nil {
			return fmt.Errorf("argument %s: %w", f.label(), err)
		}
		return nil
	}, opts)
}

// Positional declares a positional argument, taken in declaration order.
func (p *Parser) Positional(dst *string, name, help string) {
	p.positionals = append(p.positionals, &positional{name: name, help: help, set: func(s string) error { *dst = s; return nil }})
}

// OptionalPositional declares a trailing positional argument that may be
// left out.
func (p *Parser) OptionalPositional(dst *string, name, help string) {
	p.positionals = append(p.positionals, &positional{name: name, help: help, optional: true, set: func(s string) error { *dst = s; return nil }})
}

// Positionals declares a trailing positional argument that takes every
// remaining word, at least one (argparse's nargs='+').
func (p *Parser) Positionals(dst *[]string, name, help string) {
	p.positionals = append(p.positionals, &positional{name: name, help: help, variadic: true,
		set: func(s string) error { *dst = append(*dst, s); return nil }})
}

// MutuallyExclusive makes the named flags exclusive; when required, exactly
// one of them must be given.
func (p *Parser) MutuallyExclusive(required bool, flagNames ...string) {
	g := &group{required: required}
	for _, n := range flagNames {
		f, ok := p.byName[n]
		if !ok {
			panic("cliargs: unknown flag " + n + " in a group")
		}
		g.flags = append(g.flags, f)
	}
	p.groups = append(p.groups, g)
}

func parseInt(f *flagSpec, s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("argument %s: invalid int value: '%s'", f.label(), s)
	}
	return n, nil
}

func (f *flagSpec) label() string { return strings.Join(f.names, "/") }

var negativeNumber = regexp.MustCompile(`^-\d+$|^-\d*\.\d+$`)

// isFlag tells whether a word starts a flag rather than being a value.
func isFlag(s string) bool {
	return len(s) > 1 && s[0] == '-' && !negativeNumber.MatchString(s)
}

// Parse parses args (without the program name). On -h/--help it writes the
// help to helpOut and returns ErrHelp.
func (p *Parser) Parse(args []string, helpOut io.Writer) error {
	for _, f := range p.flags {
		f.seen = false
	}
	var pos []string
	onlyPositional := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if onlyPositional || !isFlag(a) {
			pos = append(pos, a)
			continue
		}
		if a == "--" {
			onlyPositional = true
			continue
		}
		if a == "-h" || a == "--help" {
			if _, ok := p.byName[a]; !ok {
				_, err := io.WriteString(helpOut, p.Help())
				if err != nil {
					return err
				}
				return ErrHelp
			}
		}
		name, inline, hasInline := strings.Cut(a, "=")
		f, ok := p.byName[name]
		if !ok {
			return p.usageErr("unrecognized arguments: %s%s", a, p.suggest(name))
		}
		var vals []string
		switch f.arity {
		case switchArity:
			if hasInline {
				return p.usageErr("argument %s: ignored explicit argument '%s'", f.label(), inline)
			}
		case oneArity:
			if hasInline {
				vals = []string{inline}
			} else if i+1 < len(args) && !isFlag(args[i+1]) {
				i++
				vals = []string{args[i]}
			} else {
				return p.usageErr("argument %s: expected one argument", f.label())
			}
		case oneOrMore, zeroOrMore:
			if hasInline {
				vals = []string{inline}
			}
			for !hasInline && i+1 < len(args) && !isFlag(args[i+1]) && args[i+1] != "--" {
				i++
				vals = append(vals, args[i])
			}
			if f.arity == oneOrMore && len(vals) == 0 {
				return p.usageErr("argument %s: expected at least one argument", f.label())
			}
		}
		for _, v := range vals {
			if len(f.choices) > 0 && !slices.Contains(f.choices, v) {
				quoted := make([]string, len(f.choices))
				for i, c := range f.choices {
					quoted[i] = "'" + c + "'"
				}
				return p.usageErr("argument %s: invalid choice: '%s' (choose from %s)", f.label(), v, strings.Join(quoted, ", "))
			}
		}
		for _, g := range p.groups {
			if !slices.Contains(g.flags, f) {
				continue
			}
			for _, other := range g.flags {
				if other != f && other.seen {
					return p.usageErr("argument %s: not allowed with argument %s", f.label(), other.label())
				}
			}
		}
		f.seen = true
		if err := f.set(vals); err != nil {
			return &UsageError{Prog: p.Prog, Msg: err.Error()}
		}
	}
	var missing []string
	for _, f := range p.flags {
		if f.required && !f.seen {
			missing = append(missing, f.label())
		}
	}
	required := 0
	for _, pp := range p.positionals {
		if !pp.optional {
			required++
		}
	}
	if len(pos) < required {
		for _, pp := range p.positionals[len(pos):] {
			if !pp.optional {
				missing = append(missing, pp.name)
			}
		}
	}
	if len(missing) > 0 {
		return p.usageErr("the following arguments are required: %s", strings.Join(missing, ", "))
	}
	for _, g := range p.groups {
		if !g.required {
			continue
		}
		any := false
		labels := make([]string, len(g.flags))
		for i, f := range g.flags {
			any = any || f.seen
			labels[i] = f.names[len(f.names)-1]
		}
		if !any {
			return p.usageErr("one of the arguments %s is required", strings.Join(labels, " "))
		}
	}
	variadic := len(p.positionals) > 0 && p.positionals[len(p.positionals)-1].variadic
	if len(pos) > len(p.positionals) && !variadic {
		return p.usageErr("unrecognized arguments: %s", strings.Join(pos[len(p.positionals):], " "))
	}
	for i, v := range pos {
		pp := p.positionals[min(i, len(p.positionals)-1)]
		if err := pp.set(v); err != nil {
			return p.usageErr("argument %s: %v", pp.name, err)
		}
	}
	return nil
}

// Seen tells whether a flag was given in the last Parse.
func (p *Parser) Seen(name string) bool {
	f, ok := p.byName[name]
	return ok && f.seen
}

func (p *Parser) usageErr(format string, args ...any) error {
	return &UsageError{Prog: p.Prog, Msg: fmt.Sprintf(format, args...)}
}

// suggest names the closest known flag when a word looks like a typo of
// one (or an abbreviation, which is not accepted).
func (p *Parser) suggest(name string) string {
	known := make([]string, 0, len(p.byName))
	for n := range p.byName {
		if strings.HasPrefix(n, name) && len(name) > 2 {
			return " (did you mean " + n + "? flags must be spelled in full)"
		}
		known = append(known, n)
	}
	slices.Sort(known)
	if best := suggest.Closest(name, known, 3); best != "" {
		return " (did you mean " + best + "?)"
	}
	return ""
}

// Usage is the synopsis, wrapped at 100 columns.
func (p *Parser) Usage() string {
	return wrap(p.synopsisLine(), 100, "    ")
}

func (p *Parser) synopsisLine() string {
	var b strings.Builder
	b.WriteString("usage: " + p.Prog)
	for _, f := range p.flags {
		b.WriteString(" " + f.synopsis())
	}
	for _, pp := range p.positionals {
		switch {
		case pp.variadic:
			b.WriteString(" " + pp.name + " [" + pp.name + " ...]")
		case pp.optional:
			b.WriteString(" [" + pp.name + "]")
		default:
			b.WriteString(" " + pp.name)
		}
	}
	return b.String()
}

func (f *flagSpec) synopsis() string {
	s := f.names[len(f.names)-1]
	switch f.arity {
	case oneArity:
		s += " " + f.metavar
	case oneOrMore:
		s += " " + f.metavar + " [" + f.metavar + " ...]"
	case zeroOrMore:
		s += " [" + f.metavar + " ...]"
	}
	if f.required {
		return s
	}
	return "[" + s + "]"
}

// Help is the full help text.
func (p *Parser) Help() string {
	var b strings.Builder
	b.WriteString(p.Usage())
	b.WriteString("\n")
	if p.Description != "" {
		b.WriteString("\n" + p.Description + "\n")
	}
	if len(p.positionals) > 0 {
		b.WriteString("\narguments:\n")
		for _, pp := range p.positionals {
			fmt.Fprintf(&b, "  %-24s %s\n", pp.name, pp.help)
		}
	}
	b.WriteString("\noptions:\n")
	fmt.Fprintf(&b, "  %-24s %s\n", "-h, --help", "show this help and exit")
	for _, f := range p.flags {
		left := strings.Join(f.names, ", ")
		switch f.arity {
		case oneArity:
			left += " " + f.metavar
		case oneOrMore:
			left += " " + f.metavar + " ..."
		case zeroOrMore:
			left += " [" + f.metavar + " ...]"
		}
		help := f.help
		if len(f.choices) > 0 {
			help += " (one of: " + strings.Join(f.choices, ", ") + ")"
		}
		if f.defHelp != "" {
			help += " (default: " + f.defHelp + ")"
		}
		if f.required {
			help += " (required)"
		}
		if len(left) > 24 {
			fmt.Fprintf(&b, "  %s\n  %-24s %s\n", left, "", help)
		} else {
			fmt.Fprintf(&b, "  %-24s %s\n", left, help)
		}
	}
	if p.Epilog != "" {
		b.WriteString("\n" + p.Epilog + "\n")
	}
	return b.String()
}

func wrap(s string, width int, indent string) string {
	words := strings.Fields(s)
	var b strings.Builder
	line := 0
	for i, w := range words {
		if i > 0 && line+1+len(w) > width {
			b.WriteString("\n" + indent)
			line = len(indent)
		} else if i > 0 {
			b.WriteByte(' ')
			line++
		}
		b.WriteString(w)
		line += len(w)
	}
	return b.String()
}
