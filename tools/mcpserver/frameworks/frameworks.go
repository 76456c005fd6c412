// Package frameworks knows the serving stacks whose source the MCP server
// serves: their upstream repositories, the URI scheme of their files, and
// how to read their version from the image tags of the master configs.
package frameworks

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Framework is one serving stack.
type Framework struct {
	Name    string // vllm, sglang, trtllm, dynamo: also its URI scheme
	Display string // vLLM
	URL     string // upstream git repository
	Aliases []string

	// words: a config entry is considered for this framework when its
	// framework field or image contains one of them (case-insensitive).
	words []string
	// patterns each capture the version in group 1; the first that matches
	// the image wins.
	patterns []*regexp.Regexp
}

// ver captures a version as images spell it. The boundary after it keeps a
// platform suffix (-cu129, _instinct, -rocm700) out of the version while
// letting rc/post/dev parts in.
const ver = `v?(\d+\.\d+(?:\.\d+)*(?:(?:[.-]?rc|a|b)\d+)?(?:[.-]?post\d+)?(?:\.dev\d+)?)(?:$|[^0-9A-Za-z.])`

func re(prefix string) *regexp.Regexp { return regexp.MustCompile(`(?i)` + prefix + ver) }

// All lists the frameworks in a fixed order.
func All() []*Framework {
	return []*Framework{
		{
			Name: "vllm", Display: "vLLM", URL: "https://github.com/vllm-project/vllm.git",
			words: []string{"vllm"},
			patterns: []*regexp.Regexp{
				// vllm/vllm-openai:v0.13.0, vllm/vllm-openai-rocm:v0.14.0
				re(`(?:^|/)vllm-openai(?:-[a-z0-9]+)*:`),
				// rocm/7.0:rocm7.0_ubuntu_22.04_vllm_0.10.1_instinct_20250927_rc1
				re(`(?:^|[^a-z0-9])vllm[_-]`),
			},
		},
		{
			Name: "sglang", Display: "SGLang", URL: "https://github.com/sgl-project/sglang.git",
			words: []string{"sglang", "sgl-"},
			patterns: []*regexp.Regexp{
				// lmsysorg/sglang:v0.5.7-cu129-amd64, rocm/sgl-dev:v0.5.7-…
				re(`(?:^|/)(?:sglang|sgl-dev)(?:-[a-z0-9]+)*:`),
				// rocm/sgl-dev:sglang-0.5.6.post1-rocm700-mi35x-mori-0113
				re(`(?:^|[^a-z0-9])sglang[_-]`),
			},
		},
		{
			Name: "trtllm", Display: "TensorRT-LLM", URL: "https://github.com/NVIDIA/TensorRT-LLM.git",
			Aliases: []string{"trt", "trt-llm", "tensorrt-llm", "tensorrt_llm", "tensorrtllm"},
			words:   []string{"trt", "tensorrt"},
			patterns: []*regexp.Regexp{
				// nvcr.io#nvidia/tensorrt-llm/release:1.2.0rc6.post2. Dynamo's
				// tensorrtllm-runtime images are deliberately not matched: their
				// tag is Dynamo's version, not TensorRT-LLM's.
				re(`(?:^|[/#])tensorrt-llm/(?:release|devel):`),
			},
		},
		{
			Name: "dynamo", Display: "Dynamo", URL: "https://github.com/ai-dynamo/dynamo.git",
			Aliases: []string{"ai-dynamo"},
			words:   []string{"dynamo"},
			patterns: []*regexp.Regexp{
				// nvcr.io/nvidia/ai-dynamo/tensorrtllm-runtime:0.8.1.post1
				re(`(?:^|[/#])ai-dynamo/[a-z0-9-]+-runtime:`),
			},
		},
	}
}

// Set is a lookup of frameworks by name or alias.
type Set struct {
	list  []*Framework
	names map[string]*Framework
}

// NewSet builds a Set of fws.
func NewSet(fws []*Framework) *Set {
	s := &Set{list: fws, names: map[string]*Framework{}}
	for _, f := range fws {
		s.names[f.Name] = f
		for _, a := range f.Aliases {
			s.names[a] = f
		}
	}
	return s
}

// List returns the frameworks in order.
func (s *Set) List() []*Framework { return s.list }

// Names returns the canonical names in order.
func (s *Set) Names() []string {
	out := make([]string, len(s.list))
	for i, f := range s.list {
		out[i] = f.Name
	}
	return out
}

// UnknownError is a framework name that is none of the known ones.
type UnknownError struct {
	Name  string
	Known []string
}

func (e *UnknownError) Error() string {
	return fmt.Sprintf("unknown framework %q (known: %s)", e.Name, strings.Join(e.Known, ", "))
}

// Lookup finds a framework by name or alias, case-insensitively.
func (s *Set) Lookup(name string) (*Framework, error) {
	if f, ok := s.names[strings.ToLower(strings.TrimSpace(name))]; ok {
		return f, nil
	}
	return nil, &UnknownError{Name: name, Known: s.Names()}
}

// Concerns reports whether a config entry with this framework field and
// image is about f.
func (f *Framework) Concerns(framework, image string) bool {
	fw, im := strings.ToLower(framework), strings.ToLower(image)
	return slices.ContainsFunc(f.words, func(w string) bool {
		return strings.Contains(fw, w) || strings.Contains(im, w)
	})
}

// VersionFromImage returns the version of f that image carries.
func (f *Framework) VersionFromImage(image string) (string, bool) {
	for _, p := range f.patterns {
		if m := p.FindStringSubmatch(image); m != nil {
			return m[1], true
		}
	}
	return "", false
}
