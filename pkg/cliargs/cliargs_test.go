package cliargs

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

type opts struct {
	files    []string
	runner   string
	step     int
	minConc  *int
	single   bool
	multi    bool
	seqLens  []string
	concs    []int
	rate     float64
	meta     []string
	dir      string
	optional string
}

func newParser(o *opts) *Parser {
	p := New("tool sub", "Does things.")
	p.Strings(&o.files, "--config-files", "config files", Required())
	p.String(&o.runner, "--runner-config", "runner file", DefaultHelp("runners.yaml"))
	p.Int(&o.step, "--step-size", "step")
	p.OptInt(&o.minConc, "--min-conc", "min conc")
	p.Bool(&o.single, "--single-node", "single")
	p.Bool(&o.multi, "--multi-node", "multi")
	p.MutuallyExclusive(true, "--single-node", "--multi-node")
	p.Strings(&o.seqLens, "--seq-lens", "seq lens", Choices("1k1k", "1k8k", "8k1k"))
	p.Ints(&o.concs, "--conc", "concurrencies")
	p.Float(&o.rate, "--request-rate", "rate")
	p.StringsZeroOrMore(&o.meta, "--metadata", "KEY=VALUE pairs")
	p.Positional(&o.dir, "DIR", "a directory")
	p.OptionalPositional(&o.optional, "EXTRA", "optional")
	return p
}

func TestParse(t *testing.T) {
	var o opts
	p := newParser(&o)
	args := []string{"DIR1", "--config-files", "a.yaml", "b.yaml", "--single-node", "--step-size=3",
		"--min-conc", "-1", "--seq-lens", "1k1k", "8k1k", "--conc", "4", "8", "--request-rate", "inf",
		"--metadata", "--runner-config", "r.yaml"}
	if err := p.Parse(args, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	want := opts{files: []string{"a.yaml", "b.yaml"}, runner: "r.yaml", step: 3, single: true,
		seqLens: []string{"1k1k", "8k1k"}, concs: []int{4, 8}, dir: "DIR1", meta: []string{}}
	if o.minConc == nil || *o.minConc != -1 {
		t.Fatalf("min-conc = %v", o.minConc)
	}
	o.minConc = nil
	if o.rate <= 1e308 {
		t.Fatalf("rate = %v, want +Inf", o.rate)
	}
	o.rate = 0
	if !reflect.DeepEqual(o, want) {
		t.Fatalf("got  %+v\nwant %+v", o, want)
	}
	if !p.Seen("--step-size") || p.Seen("--multi-node") {
		t.Error("Seen is wrong")
	}
}

func TestLastOccurrenceWins(t *testing.T) {
	var o opts
	p := newParser(&o)
	if err := p.Parse([]string{"d", "--config-files", "a", "--config-files", "b", "c", "--multi-node"}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(o.files, []string{"b", "c"}) {
		t.Fatalf("files = %v", o.files)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"d", "--single-node"}, "the following arguments are required: --config-files"},
		{[]string{"d", "--config-files", "a"}, "one of the arguments --single-node --multi-node is required"},
		{[]string{"d", "--config-files", "a", "--single-node", "--multi-node"}, "argument --multi-node: not allowed with argument --single-node"},
		{[]string{"d", "--config-files"}, "argument --config-files: expected at least one argument"},
		{[]string{"d", "--config-files", "a", "--single-node", "--step-size", "x"}, "argument --step-size: invalid int value: 'x'"},
		{[]string{"d", "--config-files", "a", "--single-node", "--step-size"}, "argument --step-size: expected one argument"},
		{[]string{"d", "--config-files", "a", "--single-node", "--seq-lens", "2k2k"}, "argument --seq-lens: invalid choice: '2k2k' (choose from '1k1k', '1k8k', '8k1k')"},
		{[]string{"d", "--config-files", "a", "--single-node", "--bogus"}, "unrecognized arguments: --bogus"},
		{[]string{"d", "--config-files", "a", "--single-node", "--step"}, "unrecognized arguments: --step (did you mean --step-size? flags must be spelled in full)"},
		{[]string{"d", "--config-files", "a", "--single-node", "--single-nod"}, "did you mean --single-node"},
		{[]string{"d", "--config-files", "a", "--single-node=yes"}, "argument --single-node: ignored explicit argument 'yes'"},
		{[]string{"--config-files", "a", "--single-node"}, "the following arguments are required: DIR"},
		{[]string{"d", "e", "f", "--config-files", "a", "--single-node"}, "unrecognized arguments: f"},
		{[]string{"d", "--config-files", "a", "--single-node", "--request-rate", "fast"}, "argument --request-rate: invalid float value: 'fast'"},
	}
	for _, c := range cases {
		var o opts
		err := newParser(&o).Parse(c.args, &bytes.Buffer{})
		var ue *UsageError
		if !errors.As(err, &ue) {
			t.Errorf("%v: want a UsageError, got %v", c.args, err)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "tool sub: error: ") {
			t.Errorf("%v:\n got %q\nwant %q", c.args, err.Error(), c.want)
		}
	}
}

func TestDoubleDash(t *testing.T) {
	var o opts
	p := newParser(&o)
	if err := p.Parse([]string{"--config-files", "a", "--single-node", "--", "--weird-dir"}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if o.dir != "--weird-dir" {
		t.Fatalf("dir = %q", o.dir)
	}
}

func TestHelp(t *testing.T) {
	var o opts
	var out bytes.Buffer
	err := newParser(&o).Parse([]string{"--config-files", "x", "-h"}, &out)
	if !errors.Is(err, ErrHelp) {
		t.Fatalf("got %v", err)
	}
	for _, want := range []string{"usage: tool sub --config-files CONFIG_FILES [CONFIG_FILES ...]", "Does things.",
		"--seq-lens SEQ_LENS ...", "(one of: 1k1k, 1k8k, 8k1k)", "(default: runners.yaml)", "(required)", "DIR"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, out.String())
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("d --config-files a b --single-node --step-size 2 --conc 1 2 --metadata a=b")
	f.Add("--config-files=a --multi-node -- -x")
	f.Fuzz(func(t *testing.T, line string) {
		var o opts
		err := newParser(&o).Parse(strings.Fields(line), &bytes.Buffer{})
		var ue *UsageError
		if err != nil && !errors.As(err, &ue) && !errors.Is(err, ErrHelp) {
			t.Fatalf("unexpected error type %T: %v", err, err)
		}
	})
}

func TestPositionals(t *testing.T) {
	cases := []struct {
		args  []string
		files []string
		out   string
		err   string
	}{
		{[]string{"a.yaml"}, []string{"a.yaml"}, "", ""},
		{[]string{"a.yaml", "b.yaml", "--output-dir", "o"}, []string{"a.yaml", "b.yaml"}, "o", ""},
		{[]string{"--output-dir", "o", "a.yaml", "--", "-b.yaml"}, []string{"a.yaml", "-b.yaml"}, "o", ""},
		{[]string{"--output-dir", "o"}, nil, "o", "the following arguments are required: FILE"},
	}
	for _, c := range cases {
		var files []string
		var out string
		p := New("tool migrate", "")
		p.String(&out, "--output-dir", "where")
		p.Positionals(&files, "FILE", "files")
		err := p.Parse(c.args, &bytes.Buffer{})
		if (err == nil) != (c.err == "") || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%v: error %v, want %q", c.args, err, c.err)
			continue
		}
		if err == nil && (!reflect.DeepEqual(files, c.files) || out != c.out) {
			t.Errorf("%v: files %v out %q", c.args, files, out)
		}
	}
	p := New("tool migrate", "")
	p.Positionals(new([]string), "FILE", "files")
	if got := p.Usage(); got != "usage: tool migrate FILE [FILE ...]" {
		t.Errorf("usage %q", got)
	}
}
