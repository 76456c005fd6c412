package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

const compareResults = "testdata/compare/results"

// TestCompareLikeUpstream: --compare prints what upstream's
// compare_results.py printed for the same results and the baseline rows
// its database returned (scripts/gen-compare-golden.py), then the
// regression verdict; a regression makes the exit status 1.
func TestCompareLikeUpstream(t *testing.T) {
	data, err := os.ReadFile("testdata/compare/upstream-compare.json")
	if err != nil {
		t.Fatalf("%v (run scripts/gen-compare-golden.py)", err)
	}
	var up struct {
		Stdout string `json:"stdout"`
	}
	if err := json.Unmarshal(data, &up); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := invoke(t, nil, compareResults, "--baseline", "testdata/compare/upstream-baseline.json", "--compare")
	if code != 1 || !strings.Contains(stderr, "regressed: dsr1 h200 sglang fp8 1k1k tp8 ep1 dpa=false conc=64: [median TPOT +5.22%]") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
	if !strings.HasPrefix(stdout, up.Stdout) {
		t.Errorf("the comparison differs from upstream's:\n--- got ---\n%.3000s\n--- upstream ---\n%.3000s", stdout, up.Stdout)
	}
	rest := strings.TrimPrefix(stdout, up.Stdout)
	for _, want := range []string{"## Regression check against upstream-baseline.json", "7 configuration(s) in both runs: **1 regressed**, 3 improved",
		"### Only in this run: no baseline to compare with (1)", "### Recipe changed since the baseline (2)"} {
		if !strings.Contains(rest, want) {
			t.Errorf("the verdict lacks %q:\n%s", want, rest)
		}
	}
	checkGolden(t, "compare", stdout)
}

func TestCompareCommandLine(t *testing.T) {
	empty := t.TempDir() + "/empty.json"
	if err := os.WriteFile(empty, []byte("[]"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"compare without a baseline", []string{compareResults, "--compare"}, 2, "--compare needs --baseline"},
		{"missing baseline", []string{compareResults, "--compare", "--baseline", empty + ".nope"}, 1, "baseline:"},
		{"bad baseline", []string{compareResults, "--compare", "--baseline", "testdata/compare/main-runs"}, 1, "baseline:"},
		{"no baseline at all", []string{compareResults, "--compare", "--baseline", empty}, 0, "8 benchmark results, 0 baseline results"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := invoke(t, nil, c.args...)
			if code != c.code || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, c.code, c.want)
			}
			if c.code == 0 && (!strings.Contains(stdout, "| N/A ") || !strings.Contains(stdout, "0 configuration(s) in both runs")) {
				t.Errorf("without a baseline every delta is N/A:\n%.2000s", stdout)
			}
		})
	}
}
