package tokenizer

import (
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/inferencex/inferencex-go/tools/loadgen/tokenizer/tokenizertest"
)

var (
	update     = flag.Bool("update", false, "regenerate the golden files from the reference (needs Node.js and npm)")
	oracleSeed = flag.Uint64("oracle.seed", 7, "seed of the live reference comparison's random cases")
	oracleN    = flag.Int("oracle.n", 1500, "number of random id sequences per model in the live comparison")
)

func loadModel(t testing.TB, m tokenizertest.Model, opts Options) *Tokenizer {
	t.Helper()
	tok, err := LoadWithOptions(tokenizertest.ModelDir(t, m), opts)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func readCorpus(t testing.TB) []string {
	t.Helper()
	b, err := os.ReadFile("testdata/corpus.json")
	if err != nil {
		t.Fatal(err)
	}
	var c []string
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// mulberry32 is the twin of the golden generator's PRNG (oracle.js).
type mulberry32 uint32

func (m *mulberry32) next() uint32 {
	*m += 0x6D2B79F5
	t := uint32(*m)
	t = (t ^ (t >> 15)) * (t | 1)
	t ^= t + (t^(t>>7))*(t|61)
	return t ^ (t >> 14)
}

// randomCaseIDs must stay identical to randomIDs in oracle.js.
func randomCaseIDs(r *mulberry32, vocab, withAdded int) []int {
	n := 1 + int(r.next()%48)
	mode := r.next() % 4
	ids := make([]int, 0, n)
	if mode == 0 {
		off := int(r.next() % uint32(vocab))
		for j := 0; j < n; j++ {
			ids = append(ids, (off+j)%vocab)
		}
		return ids
	}
	for j := 0; j < n; j++ {
		if mode == 3 && r.next()%16 == 0 {
			ids = append(ids, vocab+int(r.next()%uint32(withAdded-vocab)))
		} else {
			ids = append(ids, int(r.next()%uint32(vocab)))
		}
	}
	return ids
}

func sha16(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:8])
}

func joinIDs(ids []int) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.Itoa(id)
	}
	return strings.Join(parts, ",")
}

type goldenLine struct {
	Kind       string `json:"kind"`
	VocabSize  int    `json:"vocab_size"`
	WithAdded  int    `json:"vocab_size_with_added"`
	Seed       uint32 `json:"seed"`
	Text       string `json:"text"`
	IDs        []int  `json:"ids"`
	IDsSpecial []int  `json:"ids_special"`
	Decoded    string `json:"decoded"`
	I          int    `json:"i"`
	TextSHA    string `json:"text_sha"`
	IDsSHA     string `json:"ids_sha"`
	N          int    `json:"n"`
}

func regenerateGoldens(t *testing.T) {
	root, err := tokenizertest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	tokenizertest.NodeModules(t)
	cmd := exec.Command("bash", filepath.Join(root, "scripts", "oracle", "gen-golden.sh"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gen-golden.sh: %v\n%s", err, out)
	}
}

// TestGolden checks both tokenizers against the committed reference ids:
// a hand-written corpus (English, code, CJK, emoji, whitespace runs,
// digits, special tokens) and 10,000 strings made by decoding random id
// sequences, the strings the dataset generator produces.
func TestGolden(t *testing.T) {
	if *update {
		regenerateGoldens(t)
	}
	for _, m := range tokenizertest.Models {
		t.Run(string(m), func(t *testing.T) {
			tok := loadModel(t, m, Options{IgnoreConfig: true})
			f, err := os.Open(filepath.Join("testdata", "golden", string(m)+".jsonl.gz"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			zr, err := gzip.NewReader(f)
			if err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(zr)
			sc.Buffer(make([]byte, 1<<20), 1<<24)
			var meta goldenLine
			var rng mulberry32
			texts, randoms, bad := 0, 0, 0
			fail := func(format string, args ...any) {
				bad++
				if bad <= 10 {
					t.Errorf(format, args...)
				}
			}
			for sc.Scan() {
				var g goldenLine
				if err := json.Unmarshal(sc.Bytes(), &g); err != nil {
					t.Fatal(err)
				}
				switch g.Kind {
				case "meta":
					meta = g
					rng = mulberry32(g.Seed)
					if tok.VocabSize() != g.VocabSize || tok.VocabSizeWithAdded() != g.WithAdded {
						t.Fatalf("vocab sizes %d/%d, reference %d/%d", tok.VocabSize(), tok.VocabSizeWithAdded(), g.VocabSize, g.WithAdded)
					}
				case "text":
					texts++
					ids, err := tok.Encode(g.Text, false)
					if err != nil || !slices.Equal(ids, g.IDs) {
						fail("Encode(%q) = %v, %v\nreference %v", g.Text, ids, err, g.IDs)
					}
					ids, err = tok.Encode(g.Text, true)
					if err != nil || !slices.Equal(ids, g.IDsSpecial) {
						fail("Encode(%q, special) = %v, %v\nreference %v", g.Text, ids, err, g.IDsSpecial)
					}
					s, err := tok.Decode(g.IDs)
					if err != nil || s != g.Decoded {
						fail("Decode(%v) = %q, %v\nreference %q", g.IDs, s, err, g.Decoded)
					}
					if s != g.Text {
						fail("decode(encode(%q)) = %q", g.Text, s)
					}
				case "random":
					randoms++
					ids := randomCaseIDs(&rng, meta.VocabSize, meta.WithAdded)
					text, err := tok.Decode(ids)
					if err != nil || sha16(text) != g.TextSHA {
						fail("case %d: Decode(%v) = %q, %v: differs from the reference (sha %s, want %s)", g.I, ids, text, err, sha16(text), g.TextSHA)
						continue
					}
					enc, err := tok.Encode(text, false)
					if err != nil || len(enc) != g.N || sha16(joinIDs(enc)) != g.IDsSHA {
						fail("case %d: Encode(%q) = %v, %v: differs from the reference (%d ids)", g.I, text, enc, err, g.N)
						continue
					}
					if back, err := tok.Decode(enc); err != nil || back != text {
						fail("case %d: decode(encode(%q)) = %q, %v", g.I, text, back, err)
					}
				}
			}
			if err := sc.Err(); err != nil {
				t.Fatal(err)
			}
			if texts < 100 || randoms < 10000 {
				t.Fatalf("golden file has %d texts and %d random cases, want at least 100 and 10000", texts, randoms)
			}
			if bad > 0 {
				t.Fatalf("%d of %d cases differ from the reference", bad, texts*3+randoms)
			}
		})
	}
}

// TestReferenceLive compares with the reference process directly on fresh
// random cases: short sequences of every kind, and long dataset-like runs
// of consecutive ids (thousands of tokens, as benchmark prompts are).
func TestReferenceLive(t *testing.T) {
	o := tokenizertest.StartOracle(t)
	for _, m := range tokenizertest.Models {
		t.Run(string(m), func(t *testing.T) {
			tok := loadModel(t, m, Options{IgnoreConfig: true})
			vocab, withAdded := o.VocabSize(m)
			if vocab != tok.VocabSize() || withAdded != tok.VocabSizeWithAdded() {
				t.Fatalf("vocab sizes %d/%d, reference %d/%d", tok.VocabSize(), tok.VocabSizeWithAdded(), vocab, withAdded)
			}
			rng := mulberry32(uint32(*oracleSeed))
			var cases [][]int
			for i := 0; i < *oracleN; i++ {
				cases = append(cases, randomCaseIDs(&rng, vocab, withAdded))
			}
			for i := 0; i < 6; i++ {
				n := 1000 + int(rng.next()%4000)
				off := int(rng.next() % uint32(vocab))
				ids := make([]int, n)
				for j := range ids {
					ids[j] = (off + i + j) % vocab
				}
				cases = append(cases, ids)
			}
			bad := 0
			for _, ids := range cases {
				want := o.Decode(m, ids)
				got, err := tok.Decode(ids)
				if err != nil || got != want {
					bad++
					if bad <= 5 {
						t.Errorf("Decode(%v) = %q, %v\nreference %q", ids, got, err, want)
					}
					continue
				}
				wantIDs := o.Encode(m, want, false)
				gotIDs, err := tok.Encode(want, false)
				if err != nil || !slices.Equal(gotIDs, wantIDs) {
					bad++
					if bad <= 5 {
						t.Errorf("Encode(%q) = %v, %v\nreference %v", want, gotIDs, err, wantIDs)
					}
				}
			}
			if bad > 0 {
				t.Fatalf("%d of %d cases differ", bad, len(cases))
			}
		})
	}
}

// variantCorpus exercises the tiny tokenizer's added tokens and splits.
var variantCorpus = []string{
	"", " ", "hello world", "Hello World", "the weather in the inn", "aaaaaaaaa aa a", "12345 123 1 12",
	"<s>hello</s>", "a<s>b", "x <|user|>  y", "  <|user|>\n\nz", "<|user|><|user|>", "[word] x[word] [word]y [word].",
	"it's we're they've I'm you'll he'd", "a\n\nb  \n c", "tabs\t\there", "中文 and 😀 emoji", "e\u0301",
	"   ", "a   ", "x,y;z", "ab-cd_ef", "٣٤٥ ½", "\u00a0nbsp", "</s></s>", "<s", "s>", "ĠĠĠ",
}

// TestReferenceVariants runs pre-tokenizer, post-processor and added-token
// options the two real tokenizers do not use through the reference, on
// variants of a small tokenizer.
func TestReferenceVariants(t *testing.T) {
	o := tokenizertest.StartOracle(t)
	split := func(pattern map[string]any, behavior string, invert bool) map[string]any {
		return map[string]any{"type": "Split", "pattern": pattern, "behavior": behavior, "invert": invert}
	}
	byteLevel := func(prefix, regex bool) map[string]any {
		return map[string]any{"type": "ByteLevel", "add_prefix_space": prefix, "trim_offsets": true, "use_regex": regex}
	}
	words := map[string]any{"Regex": `\s+|\p{P}`}
	setPre := func(steps ...any) func(map[string]any) {
		return func(d map[string]any) {
			d["pre_tokenizer"] = map[string]any{"type": "Sequence", "pretokenizers": steps}
		}
	}
	variants := map[string]func(map[string]any){
		"base":               func(map[string]any) {},
		"removed":            setPre(split(words, "Removed", false), byteLevel(false, false)),
		"merged_previous":    setPre(split(words, "MergedWithPrevious", false), byteLevel(false, false)),
		"merged_next":        setPre(split(words, "MergedWithNext", false), byteLevel(false, false)),
		"contiguous":         setPre(split(words, "Contiguous", false), byteLevel(false, false)),
		"inverted":           setPre(split(map[string]any{"Regex": `\p{L}+`}, "Isolated", true), byteLevel(false, false)),
		"string_pattern":     setPre(split(map[string]any{"String": "a."}, "MergedWithNext", false), byteLevel(false, false)),
		"digits":             setPre(map[string]any{"type": "Digits", "individual_digits": false}, byteLevel(false, false)),
		"digits_individual":  setPre(map[string]any{"type": "Digits", "individual_digits": true}, byteLevel(false, false)),
		"bytelevel_regex":    setPre(byteLevel(false, true)),
		"bytelevel_prefix":   setPre(byteLevel(true, true)),
		"bytelevel_prefix_r": setPre(split(words, "Isolated", false), byteLevel(true, false)),
		"ignore_merges": func(d map[string]any) {
			d["model"].(map[string]any)["ignore_merges"] = true
		},
		"roberta_post": func(d map[string]any) {
			d["post_processor"] = map[string]any{"type": "RobertaProcessing", "sep": []any{"</s>", 280}, "cls": []any{"<s>", 279}, "trim_offsets": true, "add_prefix_space": false}
		},
		"sequence_post": func(d map[string]any) {
			d["post_processor"] = map[string]any{"type": "Sequence", "processors": []any{
				map[string]any{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true},
				d["post_processor"],
			}}
		},
		"no_post":    func(d map[string]any) { d["post_processor"] = nil },
		"no_decoder": func(d map[string]any) { d["decoder"] = nil },
		"missing_byte": func(d map[string]any) {
			delete(d["model"].(map[string]any)["vocab"].(map[string]any), "Ġ")
			m := d["model"].(map[string]any)
			var kept []any
			for _, x := range m["merges"].([]any) {
				if !strings.Contains(x.(string), "Ġ") {
					kept = append(kept, x)
				}
			}
			m["merges"] = kept
		},
		"unk_fused": func(d map[string]any) {
			m := d["model"].(map[string]any)
			v := m["vocab"].(map[string]any)
			delete(v, "a")
			v["<unk>"] = 97 // the id "a" had
			m["unk_token"] = "<unk>"
			m["fuse_unk"] = true
			var kept []any
			for _, x := range m["merges"].([]any) {
				if !strings.Contains(x.(string), "a") {
					kept = append(kept, x)
				}
			}
			m["merges"] = kept
		},
	}
	dir := t.TempDir()
	for name, mod := range variants {
		t.Run(name, func(t *testing.T) {
			data := tokenizertest.TinyVariant(mod)
			file := filepath.Join(dir, name+".json")
			if err := os.WriteFile(file, data, 0o644); err != nil {
				t.Fatal(err)
			}
			tok, err := LoadWithOptions(file, Options{IgnoreConfig: true})
			if err != nil {
				t.Fatal(err)
			}
			model := tokenizertest.Model("tiny-" + name)
			o.LoadFile(model, file)
			for _, s := range variantCorpus {
				for _, special := range []bool{false, true} {
					want := o.Encode(model, s, special)
					got, err := tok.Encode(s, special)
					if err != nil || !slices.Equal(got, want) {
						t.Errorf("Encode(%q, %v) = %v, %v\nreference %v", s, special, got, err, want)
						continue
					}
					if !special {
						dw := o.Decode(model, want)
						dg, err := tok.Decode(got)
						if err != nil || dg != dw {
							t.Errorf("Decode(%v) = %q, %v\nreference %q", got, dg, err, dw)
						}
					}
				}
			}
		})
	}
}

// TestDecodePartialSequences checks decoding ids that end inside a UTF-8
// sequence, against the reference's replacement behaviour.
func TestDecodePartialSequences(t *testing.T) {
	o := tokenizertest.StartOracle(t)
	for _, m := range tokenizertest.Models {
		tok := loadModel(t, m, Options{IgnoreConfig: true})
		for _, s := range []string{"😀", "中文", "é", "👨‍👩‍👧", "a😀b中"} {
			ids, err := tok.Encode(s, false)
			if err != nil {
				t.Fatal(err)
			}
			// Every sub-range of the ids, so cuts land inside characters.
			for i := 0; i <= len(ids); i++ {
				for j := i; j <= len(ids); j++ {
					sub := ids[i:j]
					want := o.Decode(m, sub)
					got, err := tok.Decode(sub)
					if err != nil || got != want {
						t.Errorf("%s: Decode(%v) = %q, %v\nreference %q", m, sub, got, err, want)
					}
				}
			}
		}
	}
}

// TestTransformersBOS checks what tokenizer_config.json adds on top of
// tokenizer.json: DeepSeek's LlamaTokenizerFast class with add_bos_token
// makes transformers (and so vLLM) put BOS first.
func TestTransformersBOS(t *testing.T) {
	ds := loadModel(t, tokenizertest.DeepSeekV3, Options{})
	ids, err := ds.Encode("Hello", true)
	if err != nil {
		t.Fatal(err)
	}
	bos, _ := ds.TokenToID("<｜begin▁of▁sentence｜>")
	if len(ids) < 2 || ids[0] != bos || bos != 0 {
		t.Errorf("DeepSeek Encode(Hello, true) = %v, want BOS (0) first", ids)
	}
	plain, _ := ds.Encode("Hello", false)
	if !slices.Equal(ids[1:], plain) {
		t.Errorf("with BOS %v, without %v", ids, plain)
	}
	if c := ds.Config(); c.BOSToken != "<｜begin▁of▁sentence｜>" || c.ChatTemplate == "" || c.TokenizerClass != "LlamaTokenizerFast" {
		t.Errorf("DeepSeek config = %+v", c)
	}
	// gpt-oss is a plain PreTrainedTokenizerFast: nothing is added.
	g := loadModel(t, tokenizertest.GPTOSS, Options{})
	a, _ := g.Encode("Hello", true)
	b, _ := g.Encode("Hello", false)
	if !slices.Equal(a, b) {
		t.Errorf("gpt-oss with special tokens %v, without %v", a, b)
	}
	if n, err := g.Count("Hello world", false); err != nil || n != len(mustEncode(t, g, "Hello world")) {
		t.Errorf("Count = %d, %v", n, err)
	}
}

func mustEncode(t testing.TB, tok *Tokenizer, s string) []int {
	t.Helper()
	ids, err := tok.Encode(s, false)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func ExampleTokenizer_Encode() {
	tok, err := Parse(tokenizertest.TinyTokenizer(), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	ids, _ := tok.Encode("hello world", false)
	text, _ := tok.Decode(ids)
	fmt.Println(len(ids), text)
	// Output: 3 hello world
}
