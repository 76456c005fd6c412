package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/inferencex/inferencex-go/pkg/atomicfile"
	"github.com/inferencex/inferencex-go/pkg/cliargs"
	"github.com/inferencex/inferencex-go/pkg/config"
	"github.com/inferencex/inferencex-go/pkg/diag"
	"github.com/inferencex/inferencex-go/pkg/ghaction"
	"github.com/inferencex/inferencex-go/pkg/migrate"
	"github.com/inferencex/inferencex-go/schemas"
)

// runMigrate rewrites Feb-2026 master configs and runner pools in today's
// format, in place or into a directory. Every file is rewritten and
// validated first; nothing is written unless all of them succeed.
func runMigrate(args []string, stdout, stderr io.Writer, gha *ghaction.Action) int {
	p := cliargs.New("matrixgen migrate", "Rewrite Feb-2026 master configs (seq-len-configs) and runner pools (labels at the top level) in today's format, keeping comments and layout. The recipes stay the same; today's rules (max-model-len = isl + osl + 256, evals on by default) then apply to them.")
	var files []string
	var outDir string
	var o migrate.Options
	p.String(&o.KVP2PTransfer, "--kv-p2p-transfer", "the KV transfer engine of disaggregated recipes (nixl, mooncake, mori, ucx, ...), which today's format requires", cliargs.Metavar("NAME"))
	p.String(&outDir, "--output-dir", "write the rewritten files here (same names) instead of in place", cliargs.Metavar("DIR"))
	p.Positionals(&files, "FILE", "master config or runner pool files")
	if err := p.Parse(args, stdout); err != nil {
		if errors.Is(err, cliargs.ErrHelp) {
			return exitOK
		}
		fmt.Fprintln(stderr, p.Usage())
		fmt.Fprintln(stderr, err)
		return exitInvalid
	}
	v, err := schemas.New()
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", p.Prog, err)
		return exitFailure
	}
	type rewritten struct {
		src, dst string
		data     []byte
		res      migrate.Result
	}
	var done []rewritten
	var problems diag.List
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			problems = append(problems, diag.Diagnostic{File: f, Message: fmt.Sprintf("cannot read: %v", err)})
			continue
		}
		out, res, err := migrate.Rewrite(f, data, o)
		if err == nil && !res.Unchanged {
			err = validate(v, f, out, res.Kind)
		}
		if err != nil {
			var l diag.List
			if !errors.As(err, &l) {
				fmt.Fprintf(stderr, "%s: %v\n", p.Prog, err)
				return exitFailure
			}
			problems = append(problems, l...)
			continue
		}
		dst := f
		if outDir != "" {
			dst = filepath.Join(outDir, filepath.Base(f))
		}
		done = append(done, rewritten{f, dst, out, res})
	}
	if len(problems) > 0 {
		fmt.Fprintln(stderr, problems)
		if err := gha.ReportAll(problems); err != nil {
			fmt.Fprintln(stderr, "matrixgen:", err)
		}
		return exitInvalid
	}
	for _, r := range done {
		if r.res.Unchanged && r.dst == r.src {
			fmt.Fprintf(stderr, "%s: in today's format already; left as it is\n", r.src)
			continue
		}
		if err := atomicfile.Write(r.dst, r.data, 0o644); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", p.Prog, err)
			return exitFailure
		}
		switch {
		case r.res.Unchanged:
			fmt.Fprintf(stderr, "%s: in today's format already; copied to %s\n", r.src, r.dst)
		case r.res.Kind == migrate.KindRunners:
			fmt.Fprintf(stderr, "%s: %d runner labels moved under labels: (%s)\n", r.src, r.res.Labels, r.dst)
		default:
			msg := fmt.Sprintf("%s: %d entries rewritten in today's format", r.src, r.res.Entries)
			if n := len(r.res.P2PTransfers); n > 0 {
				msg += fmt.Sprintf(", %d disaggregated ones with kv-p2p-transfer: %s", n, o.KVP2PTransfer)
			}
			fmt.Fprintf(stderr, "%s (%s)\n", msg, r.dst)
		}
	}
	return exitOK
}

// validate holds a rewritten file to today's schema and rules.
func validate(v *schemas.Validator, name string, data []byte, kind migrate.Kind) error {
	if kind == migrate.KindMaster {
		_, err := config.ParseMaster(v, config.Source{Name: name, Data: data})
		return err
	}
	_, err := config.ParseRunners(v, name, data)
	return err
}
