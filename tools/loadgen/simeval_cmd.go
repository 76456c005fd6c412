package main

import (
	"context"
	"fmt"
	"io"

	"github.com/inferencex/inferencex-go/tools/loadgen/simeval"
)

// simEval is `loadgen sim-eval`: the lm-eval stand-in for the simulated
// runner. It prints the results file's path on stdout.
func simEval(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o := simeval.Defaults()
	if err := simeval.Parser("loadgen sim-eval", &o).Parse(args, stdout); err != nil {
		return usage(err, stderr)
	}
	if err := o.Validate(); err != nil {
		fmt.Fprintln(stderr, "loadgen sim-eval: error:", err)
		return 2
	}
	s, err := simeval.Run(ctx, o, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "loadgen sim-eval:", err)
		return 1
	}
	fmt.Fprintln(stdout, s.Results)
	return 0
}
