package frameworks

import (
	"errors"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/inferencex/inferencex-go/tools/mcpserver/version"
)

func TestVersionFromImage(t *testing.T) {
	set := NewSet(All())
	tests := []struct {
		fw, image, want string // want "" = no version
	}{
		{"vllm", "vllm/vllm-openai:v0.13.0", "0.13.0"},
		{"vllm", "vllm/vllm-openai-rocm:v0.14.0", "0.14.0"}, // the original's pattern missed -rocm
		{"vllm", "vllm/vllm-openai:v0.11.1rc1", "0.11.1rc1"},
		{"vllm", "vllm/vllm-openai:0.9.2", "0.9.2"},
		{"vllm", "rocm/7.0:rocm7.0_ubuntu_22.04_vllm_0.10.1_instinct_20250927_rc1", "0.10.1"},
		{"vllm", "vllm/vllm-openai:nightly", ""},
		{"vllm", "vllm/vllm-openai:latest", ""},
		{"sglang", "lmsysorg/sglang:v0.5.7-cu129-amd64", "0.5.7"},
		{"sglang", "lmsysorg/sglang:v0.5.8-rocm700-mi35x", "0.5.8"},
		{"sglang", "lmsysorg/sglang:v0.5.8-cu130", "0.5.8"},
		{"sglang", "lmsysorg/sglang:v0.5.5.post2", "0.5.5.post2"},
		{"sglang", "rocm/sgl-dev:sglang-0.5.6.post1-rocm700-mi35x-mori-0113", "0.5.6.post1"},
		{"sglang", "rocm/sgl-dev:sglang-0.5.7-rocm700-mi35x-mori-fp4-0122", "0.5.7"},
		{"sglang", "rocm/sgl-dev:v0.5.7-rocm700-mi35x", "0.5.7"},
		{"sglang", "lmsysorg/sglang:dev", ""},
		{"trtllm", "nvcr.io#nvidia/tensorrt-llm/release:1.1.0rc2.post2", "1.1.0rc2.post2"},
		{"trtllm", "nvcr.io#nvidia/tensorrt-llm/release:1.2.0rc2", "1.2.0rc2"},
		{"trtllm", "nvcr.io/nvidia/tensorrt-llm/release:1.2.0rc6.post3", "1.2.0rc6.post3"},
		{"trtllm", "nvcr.io#nvidia/tensorrt-llm/release:gpt-oss-dev", ""},
		{"trtllm", "nvcr.io/nvidia/ai-dynamo/tensorrtllm-runtime:0.8.1.post1", ""},
		{"dynamo", "nvcr.io/nvidia/ai-dynamo/tensorrtllm-runtime:0.8.1.post1", "0.8.1.post1"},
		{"dynamo", "nvcr.io#nvidia/ai-dynamo/tensorrtllm-runtime:0.7.0.post2", "0.7.0.post2"},
		{"dynamo", "nvcr.io/nvidia/ai-dynamo/sglang-runtime:0.8.0", "0.8.0"},
		{"dynamo", "lmsysorg/sglang:v0.5.8-cu130", ""},
	}
	for _, tt := range tests {
		f, err := set.Lookup(tt.fw)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := f.VersionFromImage(tt.image)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("%s.VersionFromImage(%q) = %q, %v; want %q", tt.fw, tt.image, got, ok, tt.want)
		}
	}
}

func TestLookup(t *testing.T) {
	set := NewSet(All())
	for in, want := range map[string]string{"vllm": "vllm", "SGLang": "sglang", "trt": "trtllm", "tensorrt-llm": "trtllm", " trtllm ": "trtllm", "ai-dynamo": "dynamo"} {
		f, err := set.Lookup(in)
		if err != nil || f.Name != want {
			t.Errorf("Lookup(%q) = %v, %v; want %s", in, f, err, want)
		}
	}
	_, err := set.Lookup("atom")
	var ue *UnknownError
	if !errors.As(err, &ue) || err.Error() != `unknown framework "atom" (known: vllm, sglang, trtllm, dynamo)` {
		t.Errorf("Lookup(atom) error = %v", err)
	}
}

func TestDetect(t *testing.T) {
	set := NewSet(All())
	nv, amd := filepath.Join("testdata", "nvidia.yaml"), filepath.Join("testdata", "amd.yaml")
	missing := filepath.Join("testdata", "nope.yaml")
	d, err := Detect(set, []string{nv, amd, missing})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.Missing, []string{missing}) {
		t.Errorf("Missing = %v", d.Missing)
	}
	want := map[string][]string{
		"vllm":   {"0.14.0", "0.13.0", "0.10.1"},
		"sglang": {"0.5.7", "0.5.6.post1", "0.5.6", "0.5.5.post2"},
		"trtllm": {"1.2.0rc6.post2"},
		"dynamo": {"0.8.1.post1"},
	}
	for fw, versions := range want {
		v := d.For(fw)
		if got := v.Sorted(); !slices.Equal(got, versions) {
			t.Errorf("%s versions = %v, want %v", fw, got, versions)
		}
		if p, _ := v.Primary(); p != versions[0] {
			t.Errorf("%s primary = %q, want %q", fw, p, versions[0])
		}
	}
	// Every use records the file, the line of its key and the image.
	uses := d.For("sglang").Versions["0.5.7"]
	wantUses := []Use{
		{File: nv, Line: 3, Config: "dsr1-fp8-h200-sglang", Image: "lmsysorg/sglang:v0.5.7-cu129-amd64"},
		{File: amd, Line: 1, Config: "dsr1-fp8-mi300x-sglang", Image: "lmsysorg/sglang:v0.5.7-rocm700-mi30x"},
	}
	if !reflect.DeepEqual(uses, wantUses) {
		t.Errorf("sglang 0.5.7 uses = %+v, want %+v", uses, wantUses)
	}
	var unv []string
	for _, u := range d.For("trtllm").Unversioned {
		unv = append(unv, u.Config)
	}
	if !slices.Equal(unv, []string{"gptoss-fp4-b200-trt", "dsr1-fp4-gb200-dynamo-trt"}) {
		t.Errorf("trtllm unversioned = %v", unv)
	}
	if len(d.Unmapped) != 1 || d.Unmapped[0].Config != "dsr1-fp4-mi355x-atom" {
		t.Errorf("Unmapped = %+v", d.Unmapped)
	}
	if p, ok := (&Versions{Versions: map[string][]Use{}}).Primary(); ok {
		t.Errorf("empty Primary = %q", p)
	}
}

func TestDetectErrors(t *testing.T) {
	set := NewSet(All())
	tests := []struct{ file, want string }{
		{"bad.yaml", "testdata/bad.yaml:3:1: a: duplicate key"},
		{"list.yaml", "testdata/list.yaml:1:1: expected a mapping of config names to entries"},
	}
	for _, tt := range tests {
		_, err := Detect(set, []string{filepath.Join("testdata", tt.file)})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Detect(%s) error = %v, want it to contain %q", tt.file, err, tt.want)
		}
	}
}

func FuzzVersionFromImage(f *testing.F) {
	for _, s := range []string{"vllm/vllm-openai:v0.13.0", "rocm/sgl-dev:sglang-0.5.6.post1-rocm700", "nvcr.io#nvidia/tensorrt-llm/release:1.2.0rc6.post2", "x"} {
		f.Add(s)
	}
	fws := All()
	f.Fuzz(func(t *testing.T, image string) {
		for _, fw := range fws {
			v, ok := fw.VersionFromImage(image)
			if !ok {
				continue
			}
			// Whatever is extracted must be a version the tag matcher can read.
			if _, ok := versionParse(v); !ok {
				t.Fatalf("%s: %q from %q is not a version", fw.Name, v, image)
			}
			if !strings.Contains(strings.ToLower(image), strings.ToLower(v)) {
				t.Fatalf("%s: %q not in %q", fw.Name, v, image)
			}
		}
	})
}

func versionParse(s string) (any, bool) {
	return version.Parse(s)
}

// TestDetectRepositoryConfigs runs detection on the repository's own master
// configs: they must parse, and every image of an official release
// repository whose tag starts with a version must yield that version.
func TestDetectRepositoryConfigs(t *testing.T) {
	files := []string{
		filepath.Join("..", "..", "..", "configs", "nvidia-master.yaml"),
		filepath.Join("..", "..", "..", "configs", "amd-master.yaml"),
	}
	set := NewSet(All())
	d, err := Detect(set, files)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Missing) > 0 {
		t.Skipf("master configs not in this checkout: %v", d.Missing)
	}
	official := map[string]*regexp.Regexp{
		"vllm":   regexp.MustCompile(`^vllm/vllm-openai[a-z-]*:v?\d`),
		"sglang": regexp.MustCompile(`^lmsysorg/sglang:v?\d`),
		"trtllm": regexp.MustCompile(`tensorrt-llm/release:\d`),
	}
	checked := 0
	for fw, re := range official {
		v := d.For(fw)
		for _, u := range v.Unversioned {
			if re.MatchString(u.Image) {
				t.Errorf("%s: %s:%d: %s: no version read from %s", fw, u.File, u.Line, u.Config, u.Image)
			}
		}
		for _, uses := range v.Versions {
			checked += len(uses)
		}
	}
	if checked == 0 {
		t.Error("no versions detected in the repository's configs")
	}
}
