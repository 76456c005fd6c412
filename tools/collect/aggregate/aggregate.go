// Package aggregate gathers the processed results of a sweep into one
// aggregate file, agg_<prefix>.json, as the original
// utils/collect_results.py did, but checking every file on the way: one
// that is not a valid processed result is reported by name and left out
// (or, with Strict, stops the run), and two results for one configuration
// are reported.
package aggregate

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/inferencex/inferencex-go/pkg/results"
	"github.com/inferencex/inferencex-go/schemas"
)

// Options says what to collect and where to write it.
type Options struct {
	Dir    string // searched recursively for *.json
	Prefix string // the output is agg_<Prefix>.json
	OutDir string // where the output goes ("" is the working directory)
	Strict bool   // a bad file or a duplicate configuration is fatal
}

// OutPath is the aggregate file's path.
func (o Options) OutPath() string {
	return filepath.Join(o.OutDir, "agg_"+o.Prefix+".json")
}

// Report is what Collect found and did.
type Report struct {
	Results    []*results.Processed
	Problems   []results.Problem      // files left out, and why
	Duplicates [][]*results.Processed // results that share a configuration
	OutPath    string                 // "" when nothing was written
	Data       []byte                 // what was written
}

// StrictError stops a strict run: the report says what was wrong.
type StrictError struct{ Report *Report }

func (e *StrictError) Error() string {
	return fmt.Sprintf("--strict: %d invalid file(s) and %d duplicated configuration(s); nothing written",
		len(e.Report.Problems), len(e.Report.Duplicates))
}

// Collect reads every processed result under opts.Dir, in sorted path
// order, and writes them as one JSON list (json.dump(..., indent=2) bytes)
// through write. The report comes back even with an error, for the
// messages.
func Collect(v *schemas.Validator, opts Options, write func(path string, data []byte) error) (*Report, error) {
	found, problems, _, err := results.LoadDir(v, opts.Dir, nil)
	if err != nil {
		return nil, err
	}
	rep := &Report{Results: found, Problems: problems, Duplicates: results.Duplicates(found)}
	if opts.Strict && (len(rep.Problems) > 0 || len(rep.Duplicates) > 0) {
		return rep, &StrictError{rep}
	}
	if len(found) == 0 {
		return rep, fmt.Errorf("%s: %w (nothing written)", opts.Dir, results.ErrNoResults)
	}
	list := make([]any, len(found))
	for i, r := range found {
		list[i] = r.Doc
	}
	data, err := results.MarshalIndent(list)
	if err != nil {
		return rep, fmt.Errorf("encoding the aggregate: %w", err)
	}
	if err := v.ValidateJSON(schemas.ProcessedResults, data); err != nil {
		return rep, fmt.Errorf("the aggregate does not match its schema: %w", err)
	}
	out := opts.OutPath()
	if err := write(out, data); err != nil {
		return rep, fmt.Errorf("writing %s: %w", out, err)
	}
	rep.OutPath, rep.Data = out, data
	return rep, nil
}

// IsStrict tells whether err is a --strict stop.
func IsStrict(err error) bool {
	var se *StrictError
	return errors.As(err, &se)
}
