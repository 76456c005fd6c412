package config

import "testing"

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
	warnings, err := m.CheckRunners(r)
	if err != nil {
		t.Fatal(err)
	}
	// Upstream's configs use a few GitHub runner labels that its
	// runners.yaml does not list.
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
