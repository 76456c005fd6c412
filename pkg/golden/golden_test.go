package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder catches what Check reports.
type recorder struct {
	testing.TB
	errors, fatals []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.fatals = append(r.fatals, sprintf(format, args...))
}

func sprintf(format string, args ...any) string {
	return strings.TrimSpace(fmt.Sprintf(format, args...))
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	if err := os.WriteFile(path, []byte("a\nb\nc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &recorder{TB: t}
	Check(r, path, []byte("a\nb\nc\n"))
	if len(r.errors)+len(r.fatals) != 0 {
		t.Fatalf("equal output reported: %v %v", r.errors, r.fatals)
	}
	Check(r, path, []byte("a\nB\nc\n"))
	if len(r.errors) != 1 || !strings.Contains(r.errors[0], "first at line 2") {
		t.Fatalf("got %v", r.errors)
	}
	Check(r, filepath.Join(dir, "missing.txt"), []byte("x"))
	if len(r.fatals) != 1 || !strings.Contains(r.fatals[0], "go test -update writes it") {
		t.Fatalf("got %v", r.fatals)
	}
}

func TestCheckUpdates(t *testing.T) {
	old := *update
	*update = true
	defer func() { *update = old }()
	path := filepath.Join(t.TempDir(), "sub", "new.txt")
	Check(t, path, []byte("fresh"))
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "fresh" {
		t.Fatalf("got %q %v", got, err)
	}
	if !Updating() {
		t.Error("Updating must say so")
	}
}
