package ghaction

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/inferencex/inferencex-go/pkg/diag"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestSetOutputMultiline(t *testing.T) {
	out := filepath.Join(t.TempDir(), "output")
	a := New(env(map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": out}), &bytes.Buffer{})
	value := "[{\"a\": 1},\n {\"b\": \"EOF\"}]"
	if err := a.SetOutput("matrix", value); err != nil {
		t.Fatal(err)
	}
	if err := a.SetOutput("second", "x"); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?s)^matrix<<(ghadelimiter_[0-9a-f]+)\n(.*)\n(ghadelimiter_[0-9a-f]+)\nsecond<<(ghadelimiter_[0-9a-f]+)\nx\n(ghadelimiter_[0-9a-f]+)\n$`)
	m := re.FindStringSubmatch(string(got))
	if m == nil {
		t.Fatalf("unexpected output file:\n%s", got)
	}
	if m[1] != m[3] || m[4] != m[5] || m[1] == m[4] {
		t.Errorf("delimiters do not pair up or repeat: %v", m[1:])
	}
	if m[2] != value {
		t.Errorf("value = %q", m[2])
	}
}

func TestSetOutputErrors(t *testing.T) {
	a := New(env(nil), &bytes.Buffer{})
	if err := a.SetOutput("x", "y"); err == nil || !strings.Contains(err.Error(), "GITHUB_OUTPUT is not set") {
		t.Errorf("got %v", err)
	}
	bad := New(env(map[string]string{"GITHUB_OUTPUT": filepath.Join(t.TempDir(), "no", "dir")}), &bytes.Buffer{})
	if err := bad.SetOutput("x", "y"); err == nil {
		t.Error("want an error for an unwritable output file")
	}
	if err := bad.SetOutput("a=b", "y"); err == nil {
		t.Error("want an error for a bad name")
	}
}

func TestStepSummary(t *testing.T) {
	p := filepath.Join(t.TempDir(), "summary")
	a := New(env(map[string]string{"GITHUB_STEP_SUMMARY": p}), &bytes.Buffer{})
	if err := a.AddStepSummary("# One"); err != nil {
		t.Fatal(err)
	}
	if err := a.AddStepSummary("two"); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(p)
	if string(got) != "# One\ntwo\n" {
		t.Errorf("summary = %q", got)
	}
	if err := New(env(nil), &bytes.Buffer{}).AddStepSummary("x"); err == nil {
		t.Error("want an error without GITHUB_STEP_SUMMARY")
	}
}

func TestAnnotations(t *testing.T) {
	var w bytes.Buffer
	a := New(env(map[string]string{"GITHUB_ACTIONS": "true"}), &w)
	l := diag.List{
		{File: "cfg.yaml", Line: 3, Col: 9, Path: "k.tp", Message: "expected an integer, got \"8\""},
		{File: "cfg.yaml", Message: "100% wrong,\nreally"},
	}
	if err := a.ReportAll(l); err != nil {
		t.Fatal(err)
	}
	want := "::error col=9,file=cfg.yaml,line=3::k.tp: expected an integer, got \"8\"\n" +
		"::error file=cfg.yaml::100%25 wrong,%0Areally\n"
	if w.String() != want {
		t.Errorf("got\n%s\nwant\n%s", w.String(), want)
	}
	w.Reset()
	if err := New(env(nil), &w).ReportAll(l); err != nil || w.Len() != 0 {
		t.Errorf("outside a workflow nothing is written, got %q %v", w.String(), err)
	}
	if err := a.ReportAll(errors.New("plain")); err != nil || w.Len() != 0 {
		t.Errorf("a plain error is not annotated, got %q", w.String())
	}
}
