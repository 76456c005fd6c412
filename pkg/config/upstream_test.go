package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/inferencex/inferencex-go/pkg/diag"
)

const upstreamMain = "../../tools/matrixgen/testdata/upstream-main/"

// TestLoadUpstreamMain: upstream main's own configs load in today's format,
// and every agentic DRAM point fits its runner's hardware.
func TestLoadUpstreamMain(t *testing.T) {
	v := validator(t)
	m, err := LoadMaster(v, []string{upstreamMain + "nvidia-master.yaml", upstreamMain + "amd-master.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Format != FormatToday {
		t.Fatalf("format %v", m.Format)
	}
	r, err := LoadRunners(v, upstreamMain+"runners.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if r.Format != FormatToday || r.Hardware["cluster:h100-dgxc"].AvailableCPUDRAMMiB != 2063837 || r.Hardware["cluster:gb200-nv"].GPUsPerNode != 4 {
		t.Fatalf("runners: %+v", r.Hardware)
	}
	// Upstream's configs name a few GitHub runner labels its runners.yaml
	// does not list (gb300-nv, h200-dgxc, cluster:mi325x-tw): an error
	// unless allowed, then a warning each.
	_, err = m.CheckRunners(r, RunnerCheck{})
	var l diag.List
	if !errors.As(err, &l) || len(l) != 8 || !strings.Contains(err.Error(), `runner: runner label "gb300-nv" is not defined in `) ||
		!strings.Contains(err.Error(), `runner label "h200-dgxc" is not defined in ../../tools/matrixgen/testdata/upstream-main/runners.yaml; did you mean "cluster:h200-dgxc"?`) {
		t.Fatalf("want 8 unlisted-label errors, got %v", err)
	}
	warnings, err := m.CheckRunners(r, RunnerCheck{AllowUnlisted: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 8 {
		t.Errorf("%d warnings:\n%v", len(warnings), warnings)
	}
	agentic := 0
	for _, e := range m.Entries {
		agentic += len(e.Scenarios.AgenticCoding)
	}
	if agentic < 50 {
		t.Errorf("only %d agentic-coding scenarios", agentic)
	}
}

// TestOurPoolHostsUpstreamAgentic: this repository's runner pool can host
// upstream main's agentic-coding recipes on every fleet it has nodes of:
// the cluster label is there, with hardware facts that size each DRAM
// offload point.
func TestOurPoolHostsUpstreamAgentic(t *testing.T) {
	v := validator(t)
	m, err := LoadMaster(v, []string{upstreamMain + "nvidia-master.yaml", upstreamMain + "amd-master.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := LoadRunners(v, realConfigs+"runners.yaml")
	if err != nil {
		t.Fatal(err)
	}
	hosted := &Master{Format: m.Format}
	fleets := map[string]bool{}
	for _, e := range m.Entries {
		if len(e.Scenarios.AgenticCoding) == 0 {
			continue
		}
		if _, ok := r.Nodes[e.Runner]; ok {
			hosted.Entries = append(hosted.Entries, e)
			fleets[e.Runner] = true
		}
	}
	if len(hosted.Entries) < 60 || len(fleets) < 8 {
		t.Fatalf("our pool hosts only %d of upstream's agentic recipes, on %d fleets", len(hosted.Entries), len(fleets))
	}
	if _, err := hosted.CheckRunners(r, RunnerCheck{}); err != nil {
		t.Fatal(err)
	}
	for label := range r.Nodes {
		if _, ok := r.Hardware[label]; strings.HasPrefix(label, ClusterPrefix) && !ok {
			t.Errorf("fleet %s has no hardware facts", label)
		}
	}
}
