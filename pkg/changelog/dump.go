package changelog

import (
	"fmt"

	"github.com/inferencex/inferencex-go/pkg/config"
	"github.com/inferencex/inferencex-go/pkg/sweep"
)

// The original validates its changelog matrix with pydantic models and
// prints their dump (by alias, without None): every job in its model's
// field order, with the model's defaults (eval-only: false,
// additional-settings: []) written out. These types are those models'
// shapes, so that the printed matrix is the original's.

type entryDump struct {
	ConfigKeys       []string `json:"config-keys"`
	Description      []string `json:"description"`
	PRLink           string   `json:"pr-link"`
	EvalsOnly        bool     `json:"evals-only"`
	AllEvals         bool     `json:"all-evals"`
	AppendOnly       bool     `json:"append-only"`
	EvalMinPrefillEP *int     `json:"eval-min-prefill-ep,omitempty"`
	ScenarioType     []string `json:"scenario-type,omitempty"`
}

type workerDump struct {
	NumWorker          int      `json:"num-worker"`
	TP                 int      `json:"tp"`
	PP                 int      `json:"pp"`
	DCPSize            int      `json:"dcp-size"`
	PCPSize            int      `json:"pcp-size"`
	EP                 int      `json:"ep"`
	DPAttn             bool     `json:"dp-attn"`
	Hardware           string   `json:"hardware,omitempty"`
	AdditionalSettings []string `json:"additional-settings"`
}

func dumpWorker(w sweep.Worker) workerDump {
	return workerDump{w.NumWorker, w.TP, config.Size(w.PP), config.Size(w.DCPSize), config.Size(w.PCPSize), w.EP, w.DPAttn, w.Hardware, w.AdditionalSettings}
}

type singleDump struct {
	Image             string            `json:"image"`
	Model             string            `json:"model"`
	ModelPrefix       string            `json:"model-prefix"`
	Precision         string            `json:"precision"`
	Framework         string            `json:"framework"`
	SpecDecoding      string            `json:"spec-decoding"`
	Runner            string            `json:"runner"`
	ISL               int               `json:"isl"`
	OSL               int               `json:"osl"`
	TP                int               `json:"tp"`
	PP                int               `json:"pp"`
	DCPSize           int               `json:"dcp-size"`
	PCPSize           int               `json:"pcp-size"`
	EP                int               `json:"ep"`
	DPAttn            bool              `json:"dp-attn"`
	Conc              int               `json:"conc"`
	MaxModelLen       int               `json:"max-model-len"`
	ExpName           string            `json:"exp-name"`
	Disagg            bool              `json:"disagg"`
	RunEval           bool              `json:"run-eval"`
	EvalOnly          bool              `json:"eval-only"`
	Router            *config.Component `json:"router,omitempty"`
	RecipeFingerprint string            `json:"recipe-fingerprint,omitempty"`
}

type multiDump struct {
	Image             string            `json:"image"`
	Model             string            `json:"model"`
	ModelPrefix       string            `json:"model-prefix"`
	Precision         string            `json:"precision"`
	Framework         string            `json:"framework"`
	SpecDecoding      string            `json:"spec-decoding"`
	Runner            string            `json:"runner"`
	ISL               int               `json:"isl"`
	OSL               int               `json:"osl"`
	Prefill           workerDump        `json:"prefill"`
	Decode            workerDump        `json:"decode"`
	Conc              []int             `json:"conc"`
	MaxModelLen       int               `json:"max-model-len"`
	ExpName           string            `json:"exp-name"`
	Disagg            bool              `json:"disagg"`
	RunEval           bool              `json:"run-eval"`
	EvalOnly          bool              `json:"eval-only"`
	EvalConc          *int              `json:"eval-conc,omitempty"`
	EvalAllConcs      bool              `json:"eval-all-concs"`
	Router            *config.Component `json:"router,omitempty"`
	KVP2PTransfer     string            `json:"kv-p2p-transfer,omitempty"`
	RecipeFingerprint string            `json:"recipe-fingerprint,omitempty"`
}

type agenticSingleDump struct {
	Image             string                `json:"image"`
	Model             string                `json:"model"`
	ModelPrefix       string                `json:"model-prefix"`
	Precision         string                `json:"precision"`
	Framework         string                `json:"framework"`
	Runner            string                `json:"runner"`
	TP                int                   `json:"tp"`
	PP                int                   `json:"pp"`
	DCPSize           int                   `json:"dcp-size"`
	PCPSize           int                   `json:"pcp-size"`
	EP                int                   `json:"ep"`
	DPAttn            bool                  `json:"dp-attn"`
	SpecDecoding      string                `json:"spec-decoding"`
	Conc              int                   `json:"conc"`
	KVOffloading      string                `json:"kv-offloading"`
	KVOffloadBackend  *sweep.OffloadBackend `json:"kv-offload-backend,omitempty"`
	Router            *config.Component     `json:"router,omitempty"`
	TotalCPUDRAMGB    int64                 `json:"total-cpu-dram-gb"`
	Duration          int                   `json:"duration"`
	ExpName           string                `json:"exp-name"`
	ScenarioType      string                `json:"scenario-type"`
	RunEval           *bool                 `json:"run-eval,omitempty"`
	EvalOnly          *bool                 `json:"eval-only,omitempty"`
	RecipeFingerprint string                `json:"recipe-fingerprint,omitempty"`
}

type agenticMultiDump struct {
	Image             string                `json:"image"`
	Model             string                `json:"model"`
	ModelPrefix       string                `json:"model-prefix"`
	Precision         string                `json:"precision"`
	Framework         string                `json:"framework"`
	SpecDecoding      string                `json:"spec-decoding"`
	Runner            string                `json:"runner"`
	Prefill           workerDump            `json:"prefill"`
	Decode            workerDump            `json:"decode"`
	Conc              []int                 `json:"conc"`
	KVOffloading      string                `json:"kv-offloading"`
	KVOffloadBackend  *sweep.OffloadBackend `json:"kv-offload-backend,omitempty"`
	Router            *config.Component     `json:"router,omitempty"`
	KVP2PTransfer     string                `json:"kv-p2p-transfer,omitempty"`
	TotalCPUDRAMGB    int64                 `json:"total-cpu-dram-gb"`
	Duration          int                   `json:"duration"`
	ExpName           string                `json:"exp-name"`
	Disagg            bool                  `json:"disagg"`
	ScenarioType      string                `json:"scenario-type"`
	RunEval           *bool                 `json:"run-eval,omitempty"`
	EvalOnly          *bool                 `json:"eval-only,omitempty"`
	EvalConc          *int                  `json:"eval-conc,omitempty"`
	RecipeFingerprint string                `json:"recipe-fingerprint,omitempty"`
}

func isTrue(b *bool) bool { return b != nil && *b }

// dump gives a job its model's shape.
func dump(j sweep.Entry) any {
	switch x := j.(type) {
	case *sweep.SingleNodeEntry:
		return singleDump{x.Image, x.Model, x.ModelPrefix, x.Precision, x.Framework, x.SpecDecoding, x.Runner, x.ISL, x.OSL,
			x.TP, config.Size(x.PP), config.Size(x.DCPSize), config.Size(x.PCPSize), x.EP, x.DPAttn, x.Conc, x.MaxModelLen,
			x.ExpName, x.Disagg, x.RunEval, isTrue(x.EvalOnly), x.Router, x.RecipeFingerprint}
	case *sweep.MultiNodeEntry:
		return multiDump{x.Image, x.Model, x.ModelPrefix, x.Precision, x.Framework, x.SpecDecoding, x.Runner, x.ISL, x.OSL,
			dumpWorker(x.Prefill), dumpWorker(x.Decode), x.Conc, x.MaxModelLen, x.ExpName, x.Disagg, x.RunEval, isTrue(x.EvalOnly),
			x.EvalConc, isTrue(x.EvalAllConcs), x.Router, x.KVP2PTransfer, x.RecipeFingerprint}
	case *sweep.AgenticSingleNodeEntry:
		return agenticSingleDump{x.Image, x.Model, x.ModelPrefix, x.Precision, x.Framework, x.Runner, x.TP, x.PP, x.DCPSize,
			x.PCPSize, x.EP, x.DPAttn, x.SpecDecoding, x.Conc, x.KVOffloading, x.KVOffloadBackend, x.Router, x.TotalCPUDRAMGB,
			x.Duration, x.ExpName, x.ScenarioType, x.RunEval, x.EvalOnly, x.RecipeFingerprint}
	case *sweep.AgenticMultiNodeEntry:
		return agenticMultiDump{x.Image, x.Model, x.ModelPrefix, x.Precision, x.Framework, x.SpecDecoding, x.Runner,
			dumpWorker(x.Prefill), dumpWorker(x.Decode), x.Conc, x.KVOffloading, x.KVOffloadBackend, x.Router, x.KVP2PTransfer,
			x.TotalCPUDRAMGB, x.Duration, x.ExpName, x.Disagg, x.ScenarioType, x.RunEval, x.EvalOnly, x.EvalConc, x.RecipeFingerprint}
	}
	return nil
}

func dumpAll(jobs []sweep.Entry) ([]any, error) {
	out := make([]any, len(jobs))
	for i, j := range jobs {
		if out[i] = dump(j); out[i] == nil {
			return nil, fmt.Errorf("internal error: a job of type %T", j)
		}
	}
	return out, nil
}
