package tokenizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrUnsupported marks a tokenizer.json that uses a component this package
// does not implement (a WordPiece or Unigram model, a Metaspace
// pre-tokenizer, a normalizer that changes text, ...). Encoding with it
// would give wrong ids, so loading fails instead; test with errors.Is.
var ErrUnsupported = errors.New("unsupported tokenizer component")

// Options change how a tokenizer is loaded.
type Options struct {
	// IgnoreConfig skips tokenizer_config.json: the tokenizer then behaves
	// exactly like Hugging Face's Rust Tokenizer.from_file on tokenizer.json
	// alone (no transformers-level BOS/EOS insertion, no decode clean-up).
	IgnoreConfig bool
}

// Load reads a tokenizer from path: a directory holding tokenizer.json (and
// optionally tokenizer_config.json), or the tokenizer.json file itself, in
// which case a tokenizer_config.json beside it is read too.
func Load(path string) (*Tokenizer, error) { return LoadWithOptions(path, Options{}) }

// LoadWithOptions is Load with options.
func LoadWithOptions(path string, opts Options) (*Tokenizer, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	dir, file := path, filepath.Join(path, "tokenizer.json")
	if !st.IsDir() {
		dir, file = filepath.Dir(path), path
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	var cfgData []byte
	cfgFile := filepath.Join(dir, "tokenizer_config.json")
	if !opts.IgnoreConfig {
		cfgData, err = os.ReadFile(cfgFile)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("tokenizer: %w", err)
		}
	}
	t, err := parse(data, file)
	if err != nil {
		return nil, err
	}
	if cfgData != nil {
		cfg, err := parseConfig(cfgData, cfgFile)
		if err != nil {
			return nil, err
		}
		if err := t.applyConfig(cfg); err != nil {
			return nil, fmt.Errorf("%s: %w", cfgFile, err)
		}
	}
	t.dir = dir
	return t, nil
}

// Parse builds a tokenizer from the contents of a tokenizer.json and,
// optionally (nil to skip), a tokenizer_config.json.
func Parse(tokenizerJSON, configJSON []byte) (*Tokenizer, error) {
	t, err := parse(tokenizerJSON, "tokenizer.json")
	if err != nil {
		return nil, err
	}
	if configJSON != nil {
		cfg, err := parseConfig(configJSON, "tokenizer_config.json")
		if err != nil {
			return nil, err
		}
		if err := t.applyConfig(cfg); err != nil {
			return nil, fmt.Errorf("tokenizer_config.json: %w", err)
		}
	}
	return t, nil
}

// fieldError is a problem at a JSON path inside a file.
type fieldError struct {
	path string
	msg  string
	wrap error
}

func (e *fieldError) Error() string {
	if e.path == "" {
		return e.msg
	}
	return e.path + ": " + e.msg
}

func (e *fieldError) Unwrap() error { return e.wrap }

func errAt(path, format string, args ...any) error {
	return &fieldError{path: path, msg: fmt.Sprintf(format, args...)}
}

func unsupportedAt(path, format string, args ...any) error {
	return &fieldError{path: path, msg: fmt.Sprintf(format, args...) + " (unsupported)", wrap: ErrUnsupported}
}

// jsonError turns an encoding/json error into one that names the file and,
// for syntax errors, the line and column.
func jsonError(file string, data []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		line, col := lineCol(data, se.Offset)
		if se.Offset >= int64(len(bytes.TrimRight(data, " \t\r\n"))) {
			return fmt.Errorf("%s:%d:%d: invalid JSON: the file ends early (truncated?)", file, line, col)
		}
		return fmt.Errorf("%s:%d:%d: invalid JSON: %v", file, line, col, se)
	case errors.As(err, &te):
		line, col := lineCol(data, te.Offset)
		field := te.Field
		if field == "" {
			field = "(top level)"
		}
		return fmt.Errorf("%s:%d:%d: %s: expected %s, found JSON %s", file, line, col, field, te.Type, te.Value)
	}
	return fmt.Errorf("%s: %w", file, err)
}

func lineCol(data []byte, off int64) (int, int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - (bytes.LastIndexByte(before, '\n') + 1)
	if col < 1 {
		col = 1
	}
	return line, col
}

type fileJSON struct {
	Version       *string          `json:"version"`
	AddedTokens   []addedTokenJSON `json:"added_tokens"`
	Normalizer    json.RawMessage  `json:"normalizer"`
	PreTokenizer  json.RawMessage  `json:"pre_tokenizer"`
	PostProcessor json.RawMessage  `json:"post_processor"`
	Decoder       json.RawMessage  `json:"decoder"`
	Model         json.RawMessage  `json:"model"`
}

type addedTokenJSON struct {
	ID         *int64  `json:"id"`
	Content    *string `json:"content"`
	SingleWord bool    `json:"single_word"`
	LStrip     bool    `json:"lstrip"`
	RStrip     bool    `json:"rstrip"`
	Normalized *bool   `json:"normalized"`
	Special    bool    `json:"special"`
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(bytes.TrimSpace(raw)) == "null"
}

// decodeAt decodes raw into v, reporting errors at path.
func decodeAt(raw json.RawMessage, path string, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			p := path
			if te.Field != "" {
				p += "." + te.Field
			}
			return errAt(p, "expected %s, found JSON %s", te.Type, te.Value)
		}
		return errAt(path, "%v", err)
	}
	return nil
}

// typeOf reads the "type" member of a component object.
func typeOf(raw json.RawMessage, path string) (string, error) {
	var head struct {
		Type *string `json:"type"`
	}
	if err := decodeAt(raw, path, &head); err != nil {
		return "", err
	}
	if head.Type == nil {
		return "", errAt(path, `missing "type"`)
	}
	return *head.Type, nil
}

func parse(data []byte, file string) (*Tokenizer, error) {
	// Validate the syntax first so that errors carry a line and column.
	if !json.Valid(data) {
		var v any
		return nil, jsonError(file, data, json.Unmarshal(data, &v))
	}
	var f fileJSON
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, jsonError(file, data, err)
	}
	t, err := build(&f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return t, nil
}

func build(f *fileJSON) (*Tokenizer, error) {
	if f.Version != nil && *f.Version != "1.0" {
		return nil, errAt("version", "unknown tokenizer.json version %q (expected \"1.0\")", *f.Version)
	}
	if isNull(f.Model) {
		return nil, errAt("model", "missing")
	}
	t := &Tokenizer{}
	var err error
	if t.model, err = buildModel(f.Model, "model"); err != nil {
		return nil, err
	}
	if err := checkNormalizer(f.Normalizer, "normalizer"); err != nil {
		return nil, err
	}
	if t.pre, err = buildPreTokenizer(f.PreTokenizer, "pre_tokenizer"); err != nil {
		return nil, err
	}
	if !t.pre.byteLevel {
		return nil, unsupportedAt("pre_tokenizer", "no ByteLevel pre-tokenizer at the end: only byte-level BPE tokenizers are supported")
	}
	if t.decoder, err = buildDecoder(f.Decoder, "decoder"); err != nil {
		return nil, err
	}
	if t.post, err = buildPostProcessor(f.PostProcessor, "post_processor"); err != nil {
		return nil, err
	}
	if t.added, t.warnings, err = buildAdded(f.AddedTokens, t.model); err != nil {
		return nil, err
	}
	t.buildDecodeTable()
	return t, nil
}

func checkNormalizer(raw json.RawMessage, path string) error {
	if isNull(raw) {
		return nil
	}
	typ, err := typeOf(raw, path)
	if err != nil {
		return err
	}
	if typ != "Sequence" {
		return unsupportedAt(path, "normalizer %q", typ)
	}
	var seq struct {
		Normalizers []json.RawMessage `json:"normalizers"`
	}
	if err := decodeAt(raw, path, &seq); err != nil {
		return err
	}
	for i, n := range seq.Normalizers {
		if err := checkNormalizer(n, fmt.Sprintf("%s.normalizers[%d]", path, i)); err != nil {
			return err
		}
	}
	return nil
}

// nameList is used in messages listing what is supported.
func nameList(names ...string) string { return strings.Join(names, ", ") }
