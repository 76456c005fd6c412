package weka

import (
	"bytes"
	"encoding/json"
)

// The written form, in the key order the published corpora use.
type traceJSON struct {
	ID           string          `json:"id"`
	Models       []string        `json:"models"`
	BlockSize    int             `json:"block_size"`
	Scope        string          `json:"hash_id_scope"`
	ToolTokens   int             `json:"tool_tokens,omitempty"`
	SystemTokens int             `json:"system_tokens,omitempty"`
	Requests     []any           `json:"requests"`
	Totals       json.RawMessage `json:"totals,omitempty"`
}

type requestJSON struct {
	T           float64  `json:"t"`
	Type        string   `json:"type"`
	Model       string   `json:"model"`
	In          int      `json:"in"`
	Out         int      `json:"out"`
	HashIDs     []int64  `json:"hash_ids"`
	InputTypes  []string `json:"input_types,omitempty"`
	OutputTypes []string `json:"output_types,omitempty"`
	Stop        string   `json:"stop,omitempty"`
	APITime     *float64 `json:"api_time,omitempty"`
	ThinkTime   *float64 `json:"think_time,omitempty"`
	TTFT        *float64 `json:"ttft,omitempty"`
}

type subagentJSON struct {
	T            float64  `json:"t"`
	Type         string   `json:"type"`
	AgentID      string   `json:"agent_id"`
	SubagentType string   `json:"subagent_type"`
	DurationMS   *int     `json:"duration_ms"`
	TotalTokens  *int     `json:"total_tokens"`
	ToolUseCount *int     `json:"tool_use_count"`
	Status       string   `json:"status"`
	Requests     []any    `json:"requests"`
	Models       []string `json:"models"`
	ToolTokens   int      `json:"tool_tokens,omitempty"`
	SystemTokens int      `json:"system_tokens,omitempty"`
}

func entriesJSON(es []Entry) []any {
	out := make([]any, len(es))
	for i, e := range es {
		if r := e.Request; r != nil {
			ids := r.Blocks.IDs()
			out[i] = requestJSON{T: r.T, Type: r.Type, Model: r.Model, In: r.In, Out: r.Out, HashIDs: ids,
				InputTypes: r.InputTypes, OutputTypes: r.OutputTypes, Stop: r.Stop, APITime: r.APITime,
				ThinkTime: r.ThinkTime, TTFT: r.TTFT}
			continue
		}
		s := e.Subagent
		out[i] = subagentJSON{T: s.T, Type: TypeSubagent, AgentID: s.AgentID, SubagentType: s.SubagentType,
			DurationMS: s.DurationMS, TotalTokens: s.TotalTokens, ToolUseCount: s.ToolUseCount, Status: s.Status,
			Requests: entriesJSON(s.Requests), Models: s.Models, ToolTokens: s.ToolTokens, SystemTokens: s.SystemTokens}
	}
	return out
}

// MarshalJSON writes the trace on one line, as the JSONL corpora hold it.
func (t *Trace) MarshalJSON() ([]byte, error) {
	models := t.Models
	if models == nil {
		models = []string{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(traceJSON{ID: t.ID, Models: models, BlockSize: t.BlockSize, Scope: t.Scope, ToolTokens: t.ToolTokens,
		SystemTokens: t.SystemTokens, Requests: entriesJSON(t.Requests), Totals: t.Totals})
	if err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
