package replay

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/inferencex/inferencex-go/tools/loadgen/hfhub"
	"github.com/inferencex/inferencex-go/tools/loadgen/weka"
)

// PublicDatasets maps AIPerf's public-dataset loader names to the Hugging
// Face datasets they load, as upstream's benchmark_lib.sh
// (resolve_trace_source) pairs them.
var PublicDatasets = map[string]string{
	"semianalysis_cc_traces_weka_with_subagents":             "semianalysisai/cc-traces-weka-061526",
	"semianalysis_cc_traces_weka_with_subagents_256k":        "semianalysisai/cc-traces-weka-061526-256k",
	"semianalysis_cc_traces_weka_with_subagents_060226":      "semianalysisai/cc-traces-weka-with-subagents-060226",
	"semianalysis_cc_traces_weka_with_subagents_060226_256k": "semianalysisai/cc-traces-weka-with-subagents-060226-256k",
	"semianalysis_cc_traces_weka_with_subagents_060526":      "semianalysisai/cc-traces-weka-with-subagents-060526",
	"semianalysis_cc_traces_weka_with_subagents_060526_256k": "semianalysisai/cc-traces-weka-with-subagents-060526-256k",
	"semianalysis_cc_traces_weka_with_subagents_060826":      "semianalysisai/cc-traces-weka-with-subagents-060826",
	"semianalysis_cc_traces_weka_with_subagents_060826_256k": "semianalysisai/cc-traces-weka-with-subagents-060826-256k",
	"semianalysis_cc_traces_weka_061326":                     "semianalysisai/cc-traces-weka-061326",
	"semianalysis_cc_traces_weka_061326_256k":                "semianalysisai/cc-traces-weka-061326-256k",
	"semianalysis_cc_traces_weka_061526":                     "semianalysisai/cc-traces-weka-061526",
	"semianalysis_cc_traces_weka_061526_256k":                "semianalysisai/cc-traces-weka-061526-256k",
	"semianalysis_cc_traces_weka_062126":                     "semianalysisai/cc-traces-weka-062126",
	"semianalysis_cc_traces_weka_062126_256k":                "semianalysisai/cc-traces-weka-062126-256k",
}

// CanonicalDataset is the corpus the AgentX scenario is defined on.
const CanonicalDataset = "semianalysisai/cc-traces-weka-062126"

// Dataset is the traces of a run and where they came from.
type Dataset struct {
	Traces []*weka.Trace
	// Info is the "dataset" block of profile_export_aiperf.json
	// (upstream copies it into its result).
	Info map[string]any
	// Canonical tells whether the traces are the scenario's corpus.
	Canonical bool
	Loaded    int // traces read
	TooLong   int // left out by --max-context-length
	Capped    int // left out by --num-dataset-entries
}

// LoadDataset reads the traces named by the options.
func LoadDataset(ctx context.Context, o *Options, hub hfhub.Options) (*Dataset, error) {
	d := &Dataset{}
	var err error
	switch {
	case o.InputFile != nil:
		if _, serr := os.Stat(*o.InputFile); serr != nil {
			return nil, usagef("argument --input-file: %v", serr)
		}
		d.Traces, err = weka.Load(ctx, *o.InputFile)
		abs, _ := filepath.Abs(*o.InputFile)
		d.Info = map[string]any{"source_type": "file", "loader": "weka_trace", "path": abs}
	case o.Public != nil:
		repo, ok := PublicDatasets[*o.Public]
		if !ok {
			names := make([]string, 0, len(PublicDatasets))
			for n := range PublicDatasets {
				names = append(names, n)
			}
			sort.Strings(names)
			return nil, fmt.Errorf("--public-dataset %q: unknown loader (expected one of: %s)", *o.Public, strings.Join(names, ", "))
		}
		d.Traces, err = loadHub(ctx, repo, hub)
		d.Info = map[string]any{"source_type": "public_dataset", "loader": *o.Public, "hf_dataset_name": repo, "hf_split": "train"}
		d.Canonical = repo == CanonicalDataset
	case o.HFDataset != nil:
		d.Traces, err = loadHub(ctx, *o.HFDataset, hub)
		d.Info = map[string]any{"source_type": "hf_dataset", "loader": "weka_hf", "hf_dataset_name": *o.HFDataset, "hf_split": "train"}
		d.Canonical = *o.HFDataset == CanonicalDataset
	default:
		return nil, fmt.Errorf("no traces: give --input-file, --public-dataset or --hf-weka-dataset")
	}
	if err != nil {
		return nil, err
	}
	d.Loaded = len(d.Traces)
	if o.MaxContext != nil {
		kept := d.Traces[:0]
		for _, t := range d.Traces {
			if t.MaxContext() > *o.MaxContext {
				d.TooLong++
				continue
			}
			kept = append(kept, t)
		}
		d.Traces = kept
	}
	if o.NumEntries != nil && len(d.Traces) > *o.NumEntries {
		d.Capped = len(d.Traces) - *o.NumEntries
		d.Traces = d.Traces[:*o.NumEntries]
	}
	d.Info["num_dataset_entries"] = len(d.Traces)
	if len(d.Traces) == 0 {
		return nil, fmt.Errorf("no trace is left to replay: %d read, %d longer than --max-context-length %d", d.Loaded, d.TooLong, deref(o.MaxContext))
	}
	return d, nil
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// loadHub reads a dataset's traces.jsonl from its Hugging Face cache
// snapshot, downloading it into the cache first when needed.
func loadHub(ctx context.Context, repo string, hub hfhub.Options) ([]*weka.Trace, error) {
	dir, err := hfhub.ResolveDataset(ctx, repo, hfhub.DatasetFiles, hub)
	if err != nil {
		return nil, err
	}
	return weka.Load(ctx, filepath.Join(dir, hfhub.DatasetFiles[0]))
}
