package report

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/inferencex/inferencex-go/pkg/results"
	"github.com/inferencex/inferencex-go/schemas"
)

// sweep1000 is the test sweep repeated with other concurrencies: about a
// thousand results, a large nightly run.
func sweep1000(b *testing.B) []*results.Processed {
	v, err := schemas.New()
	if err != nil {
		b.Fatal(err)
	}
	base, problems, _, err := results.LoadDir(v, filepath.Join("..", "testdata", "sweep", "results"), nil)
	if err != nil || len(problems) > 0 {
		b.Fatal(err, problems)
	}
	var out []*results.Processed
	for k := range 1000 / len(base) {
		for _, r := range base {
			c := *r
			c.Doc = r.Doc
			c.Fields = map[string]any{}
			for key, val := range r.Fields {
				c.Fields[key] = val
			}
			c.Fields["conc"] = int64(int(r.Int("conc")) * (k + 1))
			c.Source = fmt.Sprint(k)
			out = append(out, &c)
		}
	}
	return out
}

func BenchmarkMarkdown(b *testing.B) {
	rs := sweep1000(b)
	b.ReportAllocs()
	for b.Loop() {
		_ = Markdown(rs)
	}
}

func BenchmarkHTML(b *testing.B) {
	rs := sweep1000(b)
	b.ReportAllocs()
	for b.Loop() {
		_ = HTML(rs, HTMLOptions{})
	}
}
