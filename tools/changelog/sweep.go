package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/inferencex/inferencex-go/pkg/changelog"
	"github.com/inferencex/inferencex-go/pkg/ghaction"
)

// sweepPolicy decides, from the workflow's event, whether run-sweep.yml
// sweeps and how (docs/workflows.md#pull-request-labels): it prints the
// decision as NAME=VALUE lines and, with githubOutput, sets them as step
// outputs. More than one sweep label is an input error (exit 2).
func sweepPolicy(eventName, eventPath, headMessage string, githubOutput bool, stdout io.Writer, gha *ghaction.Action) error {
	if eventName == "" {
		return inputErrorf("--event-name is empty (GITHUB_EVENT_NAME in a workflow)")
	}
	data, err := os.ReadFile(eventPath)
	if err != nil {
		return inputErrorf("--event-path: %v", err)
	}
	e, err := changelog.ParseEvent(eventName, data)
	if err != nil {
		return inputErrorf("%s: %v", eventPath, err)
	}
	e.HeadCommitMessage = headMessage
	p, err := changelog.Decide(e)
	if err != nil {
		var ce *changelog.ConflictError
		if errors.As(err, &ce) {
			return inputErrorf("%v", err)
		}
		return err
	}
	for _, kv := range p.Outputs() {
		if _, err := fmt.Fprintf(stdout, "%s=%s\n", kv[0], kv[1]); err != nil {
			return err
		}
		if githubOutput {
			if err := gha.SetOutput(kv[0], kv[1]); err != nil {
				return err
			}
		}
	}
	return nil
}

// canary splits a changelog matrix file into the canary job and the rest,
// printed as {"canary": [...], "remaining": {...}} and, with githubOutput,
// set as the step outputs canary-config and remaining-search-space-config.
func canary(matrixPath string, githubOutput bool, stdout, stderr io.Writer, gha *ghaction.Action) error {
	data, err := os.ReadFile(matrixPath)
	if err != nil {
		return inputErrorf("--matrix: %v", err)
	}
	sel, err := changelog.SelectCanary(data)
	if err != nil {
		return inputErrorf("%s: %v", matrixPath, err)
	}
	can, err := changelog.JSON(sel.Canary)
	if err != nil {
		return err
	}
	rest, err := changelog.JSON(sel.Remaining)
	if err != nil {
		return err
	}
	if len(sel.Canary) == 0 {
		fmt.Fprintln(stderr, "changelog canary: no single-node throughput job to run first; the sweep runs without a canary")
	} else {
		c, _ := changelog.JSON(sel.Canary[0])
		fmt.Fprintf(stderr, "changelog canary: the canary is the %s job %s\n", sel.Bucket, c)
	}
	if githubOutput {
		if err := gha.SetOutput("canary-config", can); err != nil {
			return err
		}
		if err := gha.SetOutput("remaining-search-space-config", rest); err != nil {
			return err
		}
	}
	_, err = fmt.Fprintf(stdout, "{\"canary\": %s, \"remaining\": %s}\n", can, rest)
	return err
}
