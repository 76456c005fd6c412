package server

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferencex/inferencex-go/pkg/golden"

	"github.com/inferencex/inferencex-go/tools/mcpserver/internal/fixture"
)

// TestGolden pins what clients see: the text and the structured content
// of each tool for a scripted session. Temporary paths are replaced by
// placeholders; commits are stable because the fixtures fix every date and
// name. Regenerate with go test ./server -run TestGolden -update.
func TestGolden(t *testing.T) {
	dir := t.TempDir()
	u := fixture.Build(t, dir)
	opts := defaultOptions(t, u)
	configDir := filepath.Dir(filepath.Dir(filepath.Dir(opts.ConfigFiles[0])))
	h := start(t, opts)
	steps := []struct {
		name string
		tool string
		args map[string]any
	}{
		{"list_versions", "list_versions", nil},
		{"list_tags_vllm_semver", "list_tags", map[string]any{"framework": "vllm", "sort": "semver"}},
		{"list_tags_sglang_query", "list_tags", map[string]any{"framework": "sglang", "query": "post"}},
		{"switch_version_trt_post", "switch_version", map[string]any{"framework": "trt", "version": "1.2.0rc6.post2"}},
		{"switch_version_missing", "switch_version", map[string]any{"framework": "vllm", "version": "0.12.0"}},
		{"grep_context", "grep", map[string]any{"framework": "vllm", "pattern": "max.num.seqs", "context": 1}},
		{"diff_patch", "diff_versions", map[string]any{"framework": "vllm", "from": "0.10.1", "to": "0.14.0", "path": "vllm", "include_patch": true}},
		{"unknown_framework", "grep", map[string]any{"framework": "tgi", "pattern": "x"}},
		{"list_versions_after", "list_versions", nil},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			var structured any
			text, isErr := h.call(t, step.tool, step.args, &structured)
			var b bytes.Buffer
			if isErr {
				b.WriteString("error: ")
			}
			b.WriteString(text)
			if !strings.HasSuffix(text, "\n") {
				b.WriteString("\n")
			}
			if !isErr {
				b.WriteString("--- structured content ---\n")
				data, err := json.MarshalIndent(structured, "", "  ")
				if err != nil {
					t.Fatal(err)
				}
				b.Write(data)
				b.WriteString("\n")
			}
			got := strings.NewReplacer(dir, "$UPSTREAMS", configDir, "$CONFIGS").Replace(b.String())
			golden.Check(t, filepath.Join("testdata", "golden", step.name+".txt"), []byte(got))
		})
	}
}
