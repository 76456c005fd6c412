package sweep

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/config"
)

// MaxAgenticCPUDRAMMiB caps the host DRAM an agentic job's offload budget
// starts from: 3 TB (decimal), in MiB, before the utilization is applied.
const MaxAgenticCPUDRAMMiB = 2_861_022

const (
	bytesPerMiB = 1 << 20
	bytesPerGB  = 1_000_000_000
)

// DRAMBudgetGB is the DRAM KV offload budget of one agentic server, in GB:
// the node's available DRAM (capped at MaxAgenticCPUDRAMMiB) times the
// utilization times the share of the node's GPUs the server uses, rounded
// down. The original computes it in Python decimals (28 significant digits,
// rounding half to even after each operation, the utilization taken from
// its shortest decimal form); so does this, so that a budget that lands on a
// whole number after rounding gets that number, as there.
func DRAMBudgetGB(utilization float64, hw config.Hardware, gpus int) int64 {
	mib := min(hw.AvailableCPUDRAMMiB, MaxAgenticCPUDRAMMiB)
	util, ok := new(big.Rat).SetString(strconv.FormatFloat(utilization, 'g', -1, 64))
	if !ok {
		return 0 // unreachable: FormatFloat writes a decimal the parser reads
	}
	x := new(big.Rat).SetInt64(mib)
	x = decimal28(x.Mul(x, new(big.Rat).SetInt64(bytesPerMiB)))
	x = decimal28(x.Mul(x, util))
	x = decimal28(x.Mul(x, new(big.Rat).SetInt64(int64(gpus))))
	x = decimal28(x.Quo(x, new(big.Rat).SetInt64(int64(hw.GPUsPerNode))))
	x = decimal28(x.Quo(x, new(big.Rat).SetInt64(bytesPerGB)))
	// int() of a decimal truncates toward zero; the value is not negative.
	return new(big.Int).Quo(x.Num(), x.Denom()).Int64()
}

// decimal28 rounds x to 28 significant decimal digits, half to even: what
// every operation of Python's default decimal context does.
func decimal28(x *big.Rat) *big.Rat {
	if x.Sign() == 0 {
		return x
	}
	abs := new(big.Rat).Abs(x)
	// Find e with 10^e <= |x| < 10^(e+1), from the digit counts of the
	// numerator and denominator, then correct by one.
	e := len(abs.Num().String()) - len(abs.Denom().String())
	ten := big.NewInt(10)
	pow := func(n int) *big.Rat {
		if n >= 0 {
			return new(big.Rat).SetInt(new(big.Int).Exp(ten, big.NewInt(int64(n)), nil))
		}
		return new(big.Rat).SetFrac(big.NewInt(1), new(big.Int).Exp(ten, big.NewInt(int64(-n)), nil))
	}
	for abs.Cmp(pow(e)) < 0 {
		e--
	}
	for abs.Cmp(pow(e+1)) >= 0 {
		e++
	}
	scale := pow(27 - e)
	scaled := new(big.Rat).Mul(abs, scale)
	q, r := new(big.Int).QuoRem(scaled.Num(), scaled.Denom(), new(big.Int))
	// Compare the remainder with half the denominator.
	twice := new(big.Int).Mul(r, big.NewInt(2))
	switch twice.Cmp(scaled.Denom()) {
	case 1:
		q.Add(q, big.NewInt(1))
	case 0:
		if q.Bit(0) == 1 {
			q.Add(q, big.NewInt(1))
		}
	}
	out := new(big.Rat).Quo(new(big.Rat).SetInt(q), scale)
	if x.Sign() < 0 {
		out.Neg(out)
	}
	return out
}

// offloadSuffix names an agentic point's KV offload in its exp-name.
func offloadSuffix(mode string, b *config.OffloadBackend) string {
	if mode == config.OffloadNone {
		return "kvnone"
	}
	return "kv" + mode + "-" + b.Name
}

// workerTag names a worker pool in a multi-node agentic exp-name:
// p<workers>x<tp>[ep<ep>][dpa].
func workerTag(role string, w Worker) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s%dx%d", role, w.NumWorker, w.TP)
	if w.EP != 1 {
		fmt.Fprintf(&b, "ep%d", w.EP)
	}
	if w.DPAttn {
		b.WriteString("dpa")
	}
	return b.String()
}

func backend(b *config.OffloadBackend) *OffloadBackend {
	if b == nil {
		return nil
	}
	out := &OffloadBackend{Name: b.Name}
	if b.Version != nil {
		out.Version = *b.Version
	}
	return out
}

// agenticEntries expands one agentic-coding point: one job per
// concurrency (and per runner). budget is its DRAM offload budget.
func agenticEntries(e *config.Entry, s config.SearchSpace, budget int64, conc []int, runners []string) []Entry {
	mode := s.Offloading()
	var out []Entry
	if e.Multinode {
		prefill, decode := worker(e.Format, s.Prefill), worker(e.Format, s.Decode)
		suffix := ""
		if mode != config.OffloadNone {
			suffix = "_" + offloadSuffix(mode, s.KVOffloadBackend)
		}
		for _, runner := range runners {
			for _, c := range conc {
				p, d := prefill, decode
				p.AdditionalSettings, d.AdditionalSettings = append([]string{}, p.AdditionalSettings...), append([]string{}, d.AdditionalSettings...)
				out = append(out, &AgenticMultiNodeEntry{
					ConfigKey: e.Key, Image: e.Image, Model: e.Model, ModelPrefix: e.ModelPrefix, Precision: e.Precision,
					Framework: e.Framework, Runner: runner, SpecDecoding: s.Spec(), Prefill: p, Decode: d,
					Conc: []int{c}, KVOffloading: mode, TotalCPUDRAMGB: budget, Duration: DefaultAgenticDuration,
					ExpName:      fmt.Sprintf("%s_%s_%s_conc%d%s", e.ModelPrefix, workerTag("p", prefill), workerTag("d", decode), c, suffix),
					Disagg:       e.Disagg,
					ScenarioType: ScenarioAgentic, KVOffloadBackend: backend(s.KVOffloadBackend),
					Router: router(e, s), KVP2PTransfer: p2pTransfer(e, s),
				})
			}
		}
		return out
	}
	ep := 1
	if s.EP != nil {
		ep = *s.EP
	}
	dpAttn := s.DPAttn != nil && *s.DPAttn
	for _, c := range conc {
		name := fmt.Sprintf("%s_tp%d_conc%d_%s", e.ModelPrefix, s.TP, c, offloadSuffix(mode, s.KVOffloadBackend))
		if s.Spec() != config.SpecNone {
			name += "_spec-" + s.Spec()
		}
		for _, runner := range runners {
			out = append(out, &AgenticSingleNodeEntry{
				ConfigKey: e.Key, Image: e.Image, Model: e.Model, ModelPrefix: e.ModelPrefix, Precision: e.Precision,
				Framework: e.Framework, Runner: runner, TP: s.TP, PP: config.Size(s.PP), DCPSize: config.Size(s.DCPSize),
				PCPSize: config.Size(s.PCPSize), EP: ep, DPAttn: dpAttn, SpecDecoding: s.Spec(), Conc: c,
				KVOffloading: mode, TotalCPUDRAMGB: budget, Duration: DefaultAgenticDuration, ExpName: name,
				ScenarioType: ScenarioAgentic, KVOffloadBackend: backend(s.KVOffloadBackend), Router: router(e, s),
			})
		}
	}
	return out
}

// offloadBudget is a point's DRAM offload budget in GB: 0 without DRAM
// offload. config.CheckRunners has made sure the runner's hardware is
// known and the topology fits.
func offloadBudget(e *config.Entry, a *config.AgenticConfig, s config.SearchSpace, r *config.Runners) (int64, error) {
	if s.Offloading() != config.OffloadDRAM {
		return 0, nil
	}
	hw, ok := r.Hardware[e.Runner]
	if !ok || a.DRAMUtilization == nil {
		return 0, fmt.Errorf("internal error: %s: DRAM offload without hardware or utilization", e.Key)
	}
	gpus, err := config.OffloadGPUs(s, hw.GPUsPerNode)
	if err != nil {
		return 0, fmt.Errorf("internal error: %s: %w", e.Key, err)
	}
	return DRAMBudgetGB(*a.DRAMUtilization, hw, gpus), nil
}
