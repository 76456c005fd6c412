package results

import (
	"io"
	"os"

	"github.com/inferencex/inferencex-go/pkg/ghaction"
)

// StepSummary appends markdown to the job summary when the tool runs in a
// workflow step. The original tools printed their tables and the workflow
// redirected stdout into $GITHUB_STEP_SUMMARY; a workflow that still does
// that would get the table twice, so when stdout already is that file
// nothing more is written.
func StepSummary(gha *ghaction.Action, getenv func(string) string, stdout io.Writer, markdown string) error {
	if !gha.InWorkflow() {
		return nil
	}
	if f, ok := stdout.(*os.File); ok {
		if path := getenv("GITHUB_STEP_SUMMARY"); path != "" {
			out, err1 := f.Stat()
			sum, err2 := os.Stat(path)
			if err1 == nil && err2 == nil && os.SameFile(out, sum) {
				return nil
			}
		}
	}
	return gha.AddStepSummary(markdown)
}
