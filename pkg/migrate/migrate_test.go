package migrate

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/inferencex/inferencex-go/pkg/diag"
)

const febMaster = `# Head comment stays.
a-fp8-h200-vllm:
  image: img:1
  model: org/m
  model-prefix: a
  runner: h200
  precision: fp8
  framework: vllm
  multinode: false
  seq-len-configs:
  # a comment inside the block moves with it
  - isl: 1024
    osl: 1024
    search-space:
    - {tp: 8, conc-start: 4, conc-end: 64}

  - isl: 8192
    osl: 1024
    search-space:
      - tp: 4
        conc-list: [1, 2]
# A comment about the next entry stays where it is.
b-fp4-gb200-dynamo-trt:
  image: img:2
  model: org/m
  model-prefix: b
  runner: gb200
  precision: fp4
  framework: dynamo-trt
  multinode: true
  disagg: true
  seq-len-configs: [{isl: 1024, osl: 1024, search-space: [{conc-list: [4],
      prefill: {num-worker: 1, tp: 4, ep: 4, dp-attn: true}, decode: {num-worker: 1, tp: 8, ep: 8, dp-attn: true}}]}]
  # trailing comment of b
`

const wantMaster = `# Head comment stays.
a-fp8-h200-vllm:
  image: img:1
  model: org/m
  model-prefix: a
  runner: h200
  precision: fp8
  framework: vllm
  multinode: false
  scenarios:
    fixed-seq-len:
    # a comment inside the block moves with it
    - isl: 1024
      osl: 1024
      search-space:
      - {tp: 8, conc-start: 4, conc-end: 64}

    - isl: 8192
      osl: 1024
      search-space:
        - tp: 4
          conc-list: [1, 2]
# A comment about the next entry stays where it is.
b-fp4-gb200-dynamo-trt:
  image: img:2
  model: org/m
  model-prefix: b
  runner: gb200
  precision: fp4
  framework: dynamo-trt
  multinode: true
  disagg: true
  kv-p2p-transfer: nixl
  scenarios:
    fixed-seq-len: [{isl: 1024, osl: 1024, search-space: [{conc-list: [4],
        prefill: {num-worker: 1, tp: 4, ep: 4, dp-attn: true}, decode: {num-worker: 1, tp: 8, ep: 8, dp-attn: true}}]}]
  # trailing comment of b
`

func TestRewriteMaster(t *testing.T) {
	got, res, err := Rewrite("m.yaml", []byte(febMaster), Options{KVP2PTransfer: "nixl"})
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != wantMaster {
		t.Errorf("got\n%s\nwant\n%s", got, wantMaster)
	}
	if res.Kind != KindMaster || res.Entries != 2 || len(res.P2PTransfers) != 1 || res.P2PTransfers[0] != "b-fp4-gb200-dynamo-trt" {
		t.Errorf("result %+v", res)
	}
	// Rewriting today's file again leaves it as it is.
	again, res, err := Rewrite("m.yaml", got, Options{})
	if err != nil || !res.Unchanged || string(again) != string(got) {
		t.Errorf("second rewrite: %+v %v", res, err)
	}
}

func TestRewriteRunners(t *testing.T) {
	src := "# Runner pool.\n\nh200:\n- h200-nv_0\n# b200 nodes\nb200: [b200-nv_0, b200-nv_1]\n"
	want := "# Runner pool.\n\nlabels:\n  h200:\n  - h200-nv_0\n  # b200 nodes\n  b200: [b200-nv_0, b200-nv_1]\n"
	got, res, err := Rewrite("r.yaml", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want || res.Kind != KindRunners || res.Labels != 2 {
		t.Errorf("got %+v\n%s", res, got)
	}
}

func TestRewriteErrors(t *testing.T) {
	mixed := febMaster + "c:\n  image: i\n  model: m\n  model-prefix: c\n  runner: h200\n  precision: fp8\n  framework: vllm\n  multinode: false\n" +
		"  scenarios:\n    fixed-seq-len: []\n"
	cases := []struct {
		name, src, want string
	}{
		{"disagg needs a transfer engine", febMaster, "m.yaml:31:3: b-fp4-gb200-dynamo-trt.disagg: disagg: true needs kv-p2p-transfer in today's format: give --kv-p2p-transfer NAME"},
		{"formats mixed", mixed, "m.yaml:35:1: c: this entry is in today's format already, the others are not"},
		{"a list", "- a\n", "m.yaml:1:1: expected a mapping (a master config or a runner pool), got a list"},
		{"neither kind", "a: 1\n", "m.yaml:1:1: neither a master config"},
		{"not YAML", "a: [\n", "m.yaml"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := Rewrite("m.yaml", []byte(c.src), Options{})
			var l diag.List
			if !errors.As(err, &l) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
}

// TestRewriteProjectConfigs rewrites the Feb-2026 copy of this
// repository's configs: the result must be the layout move only (Rewrite
// checks that itself) and keep every comment line.
func TestRewriteProjectConfigs(t *testing.T) {
	for _, name := range []string{"nvidia-master.yaml", "amd-master.yaml", "runners.yaml"} {
		data, err := os.ReadFile("../../tools/matrixgen/testdata/feb2026/" + name)
		if err != nil {
			t.Fatal(err)
		}
		got, res, err := Rewrite(name, data, Options{KVP2PTransfer: "nixl"})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if res.Unchanged {
			t.Errorf("%s: not rewritten", name)
		}
		if comments(data) != comments(got) {
			t.Errorf("%s: comments changed", name)
		}
	}
}

func comments(data []byte) string {
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		if t := strings.TrimSpace(l); strings.HasPrefix(t, "#") {
			out = append(out, t)
		}
	}
	return strings.Join(out, "\n")
}

// FuzzRewrite: any input gives a rewrite (which Rewrite has checked to be
// the layout move only) or a diagnostic, never a panic.
func FuzzRewrite(f *testing.F) {
	f.Add([]byte(febMaster))
	f.Add([]byte(wantMaster))
	f.Add([]byte("h200:\n- h200-nv_0\n"))
	for _, name := range []string{"amd-master.yaml", "runners.yaml"} {
		data, err := os.ReadFile("../../tools/matrixgen/testdata/feb2026/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out, res, err := Rewrite("f.yaml", data, Options{KVP2PTransfer: "nixl"})
		if err != nil {
			var l diag.List
			if !errors.As(err, &l) {
				t.Fatalf("unexpected error %T: %v", err, err)
			}
			return
		}
		if res.Unchanged && string(out) != string(data) {
			t.Fatal("an unchanged file came back different")
		}
	})
}
