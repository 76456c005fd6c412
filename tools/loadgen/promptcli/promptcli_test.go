package promptcli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/inferencex/inferencex-go/pkg/golden"

	"github.com/inferencex/inferencex-go/tools/loadgen/tokenizer/tokenizertest"
)

func run(t *testing.T, fn func(context.Context, []string, *strings.Reader, *bytes.Buffer, *bytes.Buffer) int, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := fn(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func tokenize(ctx context.Context, args []string, in *strings.Reader, out, errb *bytes.Buffer) int {
	return Tokenize(ctx, args, in, out, errb)
}

func datasetCmd(ctx context.Context, args []string, in *strings.Reader, out, errb *bytes.Buffer) int {
	return Dataset(ctx, args, in, out, errb)
}

func isolateHub(t *testing.T) {
	t.Setenv("HF_HOME", t.TempDir())
	t.Setenv("HF_HUB_CACHE", "")
	t.Setenv("HF_HUB_OFFLINE", "1")
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), []byte(got))
}

func TestTokenizeRoundTrip(t *testing.T) {
	isolateHub(t)
	dir := tokenizertest.WriteTiny(t)
	in := "\"hello world\"\n\"\"\n\"<s>the 12345 \\u4e2d\"\n"
	code, out, errs := run(t, tokenize, in, "--tokenizer", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	checkGolden(t, "tokenize.golden", out)
	code, back, errs := run(t, tokenize, out, "--tokenizer", dir, "--decode")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if want := "\"hello world\"\n\"\"\n\"<s>the 12345 中\"\n"; back != want {
		t.Errorf("decode = %q, want %q", back, want)
	}
	code, out, _ = run(t, tokenize, "\"hello\"\n", "--tokenizer", filepath.Join(dir, "tokenizer.json"), "--add-special-tokens")
	if code != 0 || !strings.HasPrefix(out, "[283,") {
		t.Errorf("--add-special-tokens: exit %d, %q", code, out)
	}
}

func TestTokenizeErrors(t *testing.T) {
	isolateHub(t)
	dir := tokenizertest.WriteTiny(t)
	tests := []struct {
		args  []string
		stdin string
		code  int
		want  string
	}{
		{nil, "", 2, "the following arguments are required: --tokenizer"},
		{[]string{"--tokenizer", dir, "--bogus"}, "", 2, "unrecognized arguments: --bogus"},
		{[]string{"--tokenizer", dir}, "\"ok\"\nnot json\n", 2, "stdin:2: expected a JSON string"},
		{[]string{"--tokenizer", dir, "--decode"}, "[1, 2]\n[99999]\n", 2, "stdin:2: token id 99999 at position 0 is not in the vocabulary"},
		{[]string{"--tokenizer", dir, "--decode"}, "\"text\"\n", 2, "stdin:1: expected a JSON array of token ids"},
		{[]string{"--tokenizer", "nobody/nothing"}, "", 1, "tokenizer \"nobody/nothing\" not found; looked:"},
	}
	for _, tc := range tests {
		code, _, errs := run(t, tokenize, tc.stdin, tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", tc.args, code, errs, tc.code, tc.want)
		}
	}
}

func TestDatasetCommand(t *testing.T) {
	isolateHub(t)
	dir := tokenizertest.WriteTiny(t)
	out := filepath.Join(t.TempDir(), "prompts.jsonl")
	code, stdout, errs := run(t, datasetCmd, "", "--tokenizer", dir, "--random-input-len", "24", "--random-output-len", "8",
		"--random-range-ratio", "0.5", "--num-prompts", "5", "--seed", "11", "--random-num-workers", "8", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if stdout != "" {
		t.Errorf("stdout = %q, want nothing (the prompts go to --out)", stdout)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "dataset.golden", string(data))
	// Timings vary; the statistics block does not.
	stats := regexp.MustCompile(`(?m)^(tokenizer|generated) .*\n`).ReplaceAllString(errs, "")
	checkGolden(t, "dataset-stderr.golden", stats)

	// Without --out the prompts go to stdout; --model stands in for
	// --tokenizer; the chat template wraps each prompt.
	code, stdout, errs = run(t, datasetCmd, "", "--model", dir, "--random-input-len", "24", "--num-prompts", "3", "--use-chat-template")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if n := strings.Count(stdout, "\n"); n != 3 || !strings.Contains(stdout, `"prompt":"<s><|user|>`) || !strings.Contains(stdout, `"prompt_len":24`) {
		t.Errorf("stdout = %s", stdout)
	}
	// --dsv4 frames each prompt in DeepSeek-V4's format instead.
	code, stdout, errs = run(t, datasetCmd, "", "--model", dir, "--random-input-len", "100", "--num-prompts", "2", "--use-chat-template", "--dsv4")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var rec struct {
			Prompt string `json:"prompt"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(rec.Prompt, "<｜begin▁of▁sentence｜><｜User｜>") || !strings.HasSuffix(rec.Prompt, "<｜Assistant｜><think>") {
			t.Errorf("--dsv4 prompt %q is not in DeepSeek-V4's frame", rec.Prompt)
		}
	}
}

func TestDatasetErrors(t *testing.T) {
	isolateHub(t)
	dir := tokenizertest.WriteTiny(t)
	out := filepath.Join(t.TempDir(), "never.jsonl")
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--num-prompts", "3"}, 1, "no tokenizer: give --tokenizer (or --model)"},
		{[]string{"--tokenizer", dir, "--random-range-ratio", "2", "--out", out}, 2, "--random-range-ratio 2: must be between 0 and 1"},
		{[]string{"--tokenizer", dir, "--seed", "-1", "--out", out}, 2, "--seed: seed -1 out of range"},
		{[]string{"--tokenizer", dir, "--seed", "x"}, 2, "argument --seed: invalid int value: 'x'"},
		{[]string{"--tokenizer", dir, "--dataset-name", "sharegpt"}, 2, "invalid choice: 'sharegpt'"},
		{[]string{"--tokenizer", dir, "--random-input-len", "2", "--use-chat-template", "--out", out}, 2, "smaller than the"},
		{[]string{"--tokenizer", dir, "--dsv4", "--out", out}, 2, "--dsv4 requires --use-chat-template"},
	}
	for _, tc := range tests {
		code, _, errs := run(t, datasetCmd, "", tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", tc.args, code, errs, tc.code, tc.want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed run left %s behind", out)
	}
}
