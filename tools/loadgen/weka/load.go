package weka

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ReadJSONL reads one trace per non-blank line of r. name is the file name
// errors start with; an error names the line ("traces.jsonl:12: ...").
// Lines may be of any length.
func ReadJSONL(ctx context.Context, r io.Reader, name string) ([]*Trace, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	var out []*Trace
	for line := 1; ; line++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		text, err := br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		if t := bytes.TrimSpace(text); len(t) > 0 {
			tr, perr := Parse(t)
			if perr != nil {
				return nil, &ParseError{Where: fmt.Sprintf("%s:%d", name, line), Err: perr}
			}
			tr.Source = fmt.Sprintf("%s:%d", name, line)
			out = append(out, tr)
		}
		if err == io.EOF {
			return out, nil
		}
	}
}

// ReadJSON reads a file holding one trace as a single (possibly indented)
// JSON document, as kv-cache-tester writes them.
func ReadJSON(data []byte, name string) (*Trace, error) {
	tr, err := Parse(data)
	if err != nil {
		return nil, &ParseError{Where: name, Err: err}
	}
	tr.Source = name
	return tr, nil
}

// ParseError is a trace that is not valid: where it is ("file:line") and
// what is wrong.
type ParseError struct {
	Where string
	Err   error
}

func (e *ParseError) Error() string { return e.Where + ": " + e.Err.Error() }

func (e *ParseError) Unwrap() error { return e.Err }

// ErrNoTraces is returned for a source without a single trace.
var ErrNoTraces = errors.New("no traces")

// Load reads traces from a .jsonl file (one trace per line), a .json file
// (one trace), or a directory holding such files (not its subdirectories),
// in file name order.
func Load(ctx context.Context, path string) ([]*Trace, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return loadFile(ctx, path)
	}
	files, err := traceFiles(path)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: %w (no .jsonl or .json files in the directory)", path, ErrNoTraces)
	}
	var out []*Trace
	for _, f := range files {
		ts, err := loadFile(ctx, f)
		if err != nil {
			return nil, err
		}
		out = append(out, ts...)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: %w", path, ErrNoTraces)
	}
	return out, nil
}

// traceFiles lists the .jsonl and .json files of dir, sorted.
func traceFiles(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range ents {
		n := e.Name()
		if strings.HasPrefix(n, ".") {
			continue
		}
		if ext := filepath.Ext(n); ext != ".jsonl" && ext != ".json" {
			continue
		}
		// A symlink (the Hugging Face cache links snapshots to blobs)
		// counts when it points at a regular file.
		st, err := os.Stat(filepath.Join(dir, n))
		if err != nil || !st.Mode().IsRegular() {
			continue
		}
		files = append(files, filepath.Join(dir, n))
	}
	sort.Strings(files)
	return files, nil
}

func loadFile(ctx context.Context, path string) ([]*Trace, error) {
	switch filepath.Ext(path) {
	case ".jsonl":
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		ts, err := ReadJSONL(ctx, f, path)
		if err != nil {
			return nil, err
		}
		if len(ts) == 0 {
			return nil, fmt.Errorf("%s: %w (the file has no non-blank line)", path, ErrNoTraces)
		}
		return ts, nil
	case ".json":
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		tr, err := ReadJSON(data, path)
		if err != nil {
			return nil, err
		}
		return []*Trace{tr}, nil
	}
	return nil, fmt.Errorf("%s: not a trace file (expected .jsonl with one trace per line, or .json with one trace)", path)
}
