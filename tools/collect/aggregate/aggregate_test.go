package aggregate

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/inferencex/inferencex-go/schemas"
)

var concRE = regexp.MustCompile(`"conc": [0-9]+,`)

// BenchmarkCollect measures a large sweep: 2000 processed results, each in
// its own artifact folder, read, validated and written as one aggregate.
func BenchmarkCollect(b *testing.B) {
	src, err := filepath.Glob("../testdata/results/*/*.json")
	if err != nil || len(src) == 0 {
		b.Fatalf("no results: %v", err)
	}
	one, err := os.ReadFile(src[0])
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	for i := range 2000 {
		doc := concRE.ReplaceAllString(string(one), fmt.Sprintf(`"conc": %d,`, i+1))
		d := filepath.Join(dir, fmt.Sprintf("bmk_%04d", i))
		if err := os.MkdirAll(d, 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "agg.json"), []byte(doc), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	v, err := schemas.New()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rep, err := Collect(v, Options{Dir: dir, Prefix: "bench"}, func(string, []byte) error { return nil })
		if err != nil || len(rep.Results) != 2000 || len(rep.Duplicates) != 0 {
			b.Fatalf("%v, %d results", err, len(rep.Results))
		}
	}
}
