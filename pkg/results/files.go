// Package results holds what the result tools share: reading JSON the way
// the original Python tools did (key order, Python's number forms) and
// writing it back byte for byte, finding result files under a directory in a
// stable order, and processed results with their configuration identity.
package results

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// FindJSON lists every regular file named *.json under dir, recursively,
// as Python's sorted(Path(dir).rglob("*.json")) would: paths ordered
// component by component, hidden files included, symbolic links to files
// included, directories behind symbolic links not entered. The original
// walked in file-system order, which differs between machines; sorting
// makes the aggregate reproducible.
func FindJSON(dir string) ([]string, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("results directory %s: %w", dir, unwrapPathError(err))
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("results directory %s: not a directory", dir)
	}
	var out []string
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("reading %s: %w", path, unwrapPathError(err))
		}
		if d.IsDir() || !strings.HasSuffix(d.Name(), ".json") {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			st, err := os.Stat(path)
			if err != nil || !st.Mode().IsRegular() {
				return nil
			}
		} else if !d.Type().IsRegular() {
			return nil
		}
		out = append(out, path)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
