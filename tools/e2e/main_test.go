package main

import (
	"context"
	"strings"
	"testing"
)

func TestCommandLine(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		code    int
		wantErr string
	}{
		{"no matrixgen arguments", nil, 2, "usage: e2e"},
		{"help", []string{"-h"}, 0, "usage: e2e"},
		{"bad env", []string{"-env", "NOEQUALS", "full-sweep"}, 2, "expected KEY=VALUE"},
		{"unknown flag", []string{"-nope", "full-sweep"}, 2, "flag provided but not defined"},
		{"negative eval jobs", []string{"-evals", "-1", "full-sweep"}, 2, "usage: e2e"},
		{"missing tools", []string{"-root", "/nonexistent", "-out", "", "full-sweep"}, 1, "e2e:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			if c.name == "missing tools" {
				c.args[3] = t.TempDir() + "/out"
			}
			code := run(context.Background(), c.args, &stdout, &stderr)
			if code != c.code || !strings.Contains(stderr.String(), c.wantErr) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr.String(), c.code, c.wantErr)
			}
		})
	}
}
