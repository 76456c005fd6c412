package baseline

import (
	"archive/zip"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferencex/inferencex-go/schemas"
)

func zipOf(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, body := range files {
		f, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestReadArtifact(t *testing.T) {
	v, err := schemas.New()
	if err != nil {
		t.Fatal(err)
	}
	run, err := os.ReadFile(filepath.Join("..", "..", "summarize", "testdata", "compare", "main-runs", "run-102.json"))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := ReadArtifact(v, zipOf(t, map[string]string{"agg_bmk.json": string(run), "notes.txt": "x"}), "run 102 results_bmk", 1<<20)
	if err != nil || len(rs) != 3 {
		t.Fatalf("%d results, %v", len(rs), err)
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"not a zip", []byte("PK nope"), "is not a zip archive"},
		{"no aggregate", zipOf(t, map[string]string{"a.txt": "x"}), "holds no aggregate"},
		{"not an aggregate", zipOf(t, map[string]string{"agg.json": `{"hw": 1}`}), "agg.json"},
		{"too large", zipOf(t, map[string]string{"agg.json": string(run)}), "unpacks to more than 100 bytes"},
	}
	for _, c := range cases {
		limit := int64(1 << 20)
		if c.name == "too large" {
			limit = 100
		}
		_, err := ReadArtifact(v, c.data, "a", limit)
		var skip *skipError
		if !errors.As(err, &skip) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want a skip saying %q", c.name, err, c.want)
		}
	}
}

// FuzzReadArtifact: whatever a download holds, it is read or skipped.
func FuzzReadArtifact(f *testing.F) {
	f.Add(zipOf(f, map[string]string{"agg.json": `[]`}))
	f.Add(zipOf(f, map[string]string{"agg.json": `[{"hw": "h200"}]`, "b.json": "{"}))
	f.Add([]byte("PK\x03\x04"))
	v, err := schemas.New()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := ReadArtifact(v, data, "a", 1<<20)
		var skip *skipError
		if err != nil && !errors.As(err, &skip) {
			t.Fatalf("not a skip: %v", err)
		}
		if err == nil && len(rs) == 0 {
			t.Fatal("no results and no reason")
		}
	})
}
