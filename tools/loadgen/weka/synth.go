package weka

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// SynthOptions shape synthesized traces. Sizes are in tokens, times in
// seconds; each per-turn size is drawn uniformly within ±50% of its mean.
type SynthOptions struct {
	Traces    int
	Seed      uint64
	MinTurns  int // top-level requests per trace
	MaxTurns  int
	BlockSize int
	// SharedPrefix is the system and tool prefix every agent of a trace
	// starts with (whole blocks), as Claude Code's sessions do.
	SharedPrefix int
	FirstInput   int     // prompt of the first request, prefix included
	TurnInput    int     // new input per later turn (tool results, user text)
	Output       int     // output per request
	MaxContext   int     // a turn that would grow past it compacts the context
	ThinkTime    float64 // mean client wait before a turn (exponential)
	// SubagentRate is the chance that a top-level turn spawns subagents
	// (one or two, that the next turn waits for).
	SubagentRate float64
	// BackgroundRate is the chance that a spawned subagent runs in the
	// background (status async_launched: the parent does not wait), and
	// that a trace ends with a background subagent still running.
	BackgroundRate   float64
	MinSubagentTurns int
	MaxSubagentTurns int
	Model            string
	SubagentModel    string
}

// DefaultSynthOptions is a small corpus shaped like the agentic coding
// traces: long shared prefixes growing turn over turn.
func DefaultSynthOptions() SynthOptions {
	return SynthOptions{
		Traces: 16, Seed: 0, MinTurns: 4, MaxTurns: 24, BlockSize: 64, SharedPrefix: 4096,
		FirstInput: 12000, TurnInput: 1500, Output: 400, MaxContext: 128000, ThinkTime: 2,
		SubagentRate: 0.15, BackgroundRate: 0.2, MinSubagentTurns: 2, MaxSubagentTurns: 6,
		Model: "claude-opus-4-5", SubagentModel: "claude-haiku-4-5",
	}
}

// Validate reports the first option that cannot work.
func (o SynthOptions) Validate() error {
	switch {
	case o.Traces < 1:
		return fmt.Errorf("traces must be at least 1, got %d", o.Traces)
	case o.MinTurns < 1 || o.MaxTurns < o.MinTurns:
		return fmt.Errorf("turns must satisfy 1 <= min (%d) <= max (%d)", o.MinTurns, o.MaxTurns)
	case o.MinSubagentTurns < 1 || o.MaxSubagentTurns < o.MinSubagentTurns:
		return fmt.Errorf("subagent turns must satisfy 1 <= min (%d) <= max (%d)", o.MinSubagentTurns, o.MaxSubagentTurns)
	case o.BlockSize < 1:
		return fmt.Errorf("block size must be positive, got %d", o.BlockSize)
	case o.SharedPrefix < 0 || o.FirstInput < 1 || o.TurnInput < 0 || o.Output < 1:
		return errors.New("token sizes must not be negative, and the first input and the output must be positive")
	case o.SharedPrefix >= o.FirstInput:
		return fmt.Errorf("the shared prefix (%d) must be smaller than the first input (%d)", o.SharedPrefix, o.FirstInput)
	case o.MaxContext < 2*o.FirstInput:
		return fmt.Errorf("the max context (%d) must be at least twice the first input (%d)", o.MaxContext, o.FirstInput)
	case !(o.ThinkTime >= 0) || math.IsInf(o.ThinkTime, 0):
		return fmt.Errorf("think time must be a non-negative number of seconds, got %v", o.ThinkTime)
	case !(o.SubagentRate >= 0 && o.SubagentRate <= 1) || !(o.BackgroundRate >= 0 && o.BackgroundRate <= 1):
		return errors.New("subagent and background rates must be between 0 and 1")
	case o.Model == "" || o.SubagentModel == "":
		return errors.New("model names must not be empty")
	}
	return nil
}

// synth builds one trace.
type synth struct {
	o      SynthOptions
	rng    *rand.Rand
	nextID int64
	prefix []int64
	agents int
}

// Synthesize returns o.Traces traces; the same options give the same traces.
func Synthesize(o SynthOptions) ([]*Trace, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	out := make([]*Trace, o.Traces)
	for i := range out {
		s := &synth{o: o, rng: rand.New(rand.NewPCG(o.Seed, uint64(i)+0x5717))}
		out[i] = s.trace(i)
	}
	return out, nil
}

func (s *synth) jitter(mean int) int {
	if mean <= 0 {
		return 0
	}
	return max(1, int(float64(mean)*(0.5+s.rng.Float64())))
}

func (s *synth) blocks(tokens int) []int64 {
	n := (tokens + s.o.BlockSize - 1) / s.o.BlockSize
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = s.nextID
		s.nextID++
	}
	return ids
}

// inFor is a prompt's token count for a block list: whole blocks, less a
// partial last block, as recorded prompts are.
func (s *synth) inFor(blocks int) int {
	partial := s.rng.IntN(s.o.BlockSize)
	return max(1, blocks*s.o.BlockSize-partial)
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

func ptr[T any](v T) *T { return &v }

func (s *synth) trace(i int) *Trace {
	o := s.o
	s.prefix = s.blocks(o.SharedPrefix)
	tr := &Trace{ID: fmt.Sprintf("synth-%04d-%08x", i, s.rng.Uint32()), BlockSize: o.BlockSize, Scope: ScopeLocal}
	turns := o.MinTurns + s.rng.IntN(o.MaxTurns-o.MinTurns+1)
	context := append(append([]int64{}, s.prefix...), s.blocks(max(o.BlockSize, s.jitter(o.FirstInput)-o.SharedPrefix))...)
	t := 0.0
	models := map[string]bool{o.Model: true}
	var prev *Blocks
	for k := range turns {
		out := s.jitter(o.Output)
		api := round3(0.3 + float64(out)*0.02)
		r := &Request{T: round3(t), Type: TypeStreaming, Model: o.Model, In: s.inFor(len(context)), Out: out,
			APITime: ptr(api), Stop: "tool_use", InputTypes: []string{"tool_result"}, OutputTypes: []string{"text"}}
		if k == 0 {
			r.InputTypes = []string{"text"}
		} else {
			r.ThinkTime = ptr(round3(s.rng.ExpFloat64() * o.ThinkTime))
			r.T = round3(t + *r.ThinkTime)
		}
		if k == turns-1 {
			r.Stop = "end_turn"
		}
		r.Blocks = share(prev, append([]int64{}, context...))
		prev = r.Blocks
		tr.Requests = append(tr.Requests, Entry{Request: r})
		t = r.T + api
		last := k == turns-1
		if (!last && s.rng.Float64() < o.SubagentRate) || (last && s.rng.Float64() < o.BackgroundRate) {
			n := 1 + s.rng.IntN(2)
			if last {
				n = 1
			}
			end := t
			for range n {
				sub := s.subagent(t + 0.05)
				if last || s.rng.Float64() < o.BackgroundRate {
					sub.Status = StatusAsyncLaunched
				}
				models[o.SubagentModel] = true
				tr.Requests = append(tr.Requests, Entry{Subagent: sub})
				if !sub.Background() {
					end = max(end, sub.T+float64(*sub.DurationMS)/1000)
				}
			}
			t = end
		}
		if last {
			break
		}
		grow := s.blocks(out + s.jitter(o.TurnInput))
		if (len(context)+len(grow))*o.BlockSize > o.MaxContext {
			// Compaction: the agent starts over from its prefix and a summary.
			context = append(append([]int64{}, s.prefix...), s.blocks(s.jitter(o.FirstInput/2))...)
		} else {
			context = append(context, grow...)
		}
	}
	for m := range models {
		tr.Models = append(tr.Models, m)
	}
	sort.Strings(tr.Models)
	return tr
}

// subagent builds a child agent starting at t: the shared prefix, its own
// task, and a few turns of growth.
func (s *synth) subagent(t float64) *Subagent {
	o := s.o
	s.agents++
	sub := &Subagent{T: round3(t), AgentID: fmt.Sprintf("subagent_%03d", s.agents), SubagentType: "Subagent",
		Status: "completed", Models: []string{o.SubagentModel}}
	turns := o.MinSubagentTurns + s.rng.IntN(o.MaxSubagentTurns-o.MinSubagentTurns+1)
	context := append(append([]int64{}, s.prefix...), s.blocks(s.jitter(o.TurnInput)+o.BlockSize)...)
	start := t
	total := 0
	var prev *Blocks
	for k := range turns {
		out := s.jitter(o.Output / 2)
		api := round3(0.2 + float64(out)*0.01)
		think := round3(s.rng.ExpFloat64() * o.ThinkTime / 4)
		r := &Request{T: round3(t + think), Type: TypeNormal, Model: o.SubagentModel, In: s.inFor(len(context)),
			Out: out, APITime: ptr(api), ThinkTime: ptr(think), Stop: "tool_use"}
		if k == turns-1 {
			r.Stop = "end_turn"
		}
		r.Blocks = share(prev, append([]int64{}, context...))
		prev = r.Blocks
		sub.Requests = append(sub.Requests, Entry{Request: r})
		total += r.In + r.Out
		t = r.T + api
		grow := s.blocks(out + s.jitter(o.TurnInput/2))
		if (len(context)+len(grow))*o.BlockSize <= o.MaxContext {
			context = append(context, grow...)
		}
	}
	sub.DurationMS = ptr(int(math.Round((t - start) * 1000)))
	sub.TotalTokens = ptr(total)
	return sub
}
