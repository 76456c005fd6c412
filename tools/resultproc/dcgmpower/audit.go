package dcgmpower

import (
	"crypto/sha256"
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/inferencex/inferencex-go/pkg/pyjson"
	"github.com/inferencex/inferencex-go/tools/resultproc/power"
	"github.com/inferencex/inferencex-go/tools/resultproc/pynum"
	"github.com/inferencex/inferencex-go/tools/resultproc/pyvalue"
)

// Audit is everything the sidecar says about the verdict (upstream's
// MultinodePowerAudit).
type Audit struct {
	Valid               bool
	Reasons             []string
	Failures            []string
	StoredValid         *bool
	RecomputedValid     *bool
	ProducerCommit      *string
	ExpectedCommit      *string
	ExporterImageSHA256 *string
	Window              *pyjson.Object
	EnergyJ             *pyjson.Object // label → joules (null when it overflowed)
	energy              map[string]float64
	Role                *pyjson.Object
	MaxGap              *pyjson.Object
	ObservedCount       int64
	ExpectedCount       int64
	Metrics             []power.Metric
}

func (a *Audit) add(reason, detail string) {
	appendOnce(&a.Reasons, reason)
	if detail != "" {
		a.Failures = append(a.Failures, detail)
	}
}

func boolPtr(b bool) *bool { return &b }

// resolveRoles is upstream's _resolve_roles: one role per device.
func resolveRoles(devs []ExpectedDevice) (map[deviceKey]string, []string) {
	roles := map[deviceKey]string{}
	for _, d := range devs {
		distinct := map[string]bool{}
		r := ""
		for _, a := range d.Assignments {
			distinct[a.Role] = true
			r = a.Role
		}
		if len(distinct) != 1 {
			return map[deviceKey]string{}, []string{"conflicting_worker_roles"}
		}
		roles[d.key()] = r
	}
	return roles, nil
}

// hetGroup is a het_group value: nil for None.
type hetGroup = *int64

func sameGroup(a, b hetGroup) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

// resolveHetGroups is upstream's _resolve_het_groups: one group per
// device, and per host.
func resolveHetGroups(devs []ExpectedDevice) (map[string]hetGroup, []string) {
	groups := map[string]hetGroup{}
	for _, d := range devs {
		var distinct []hetGroup
		for _, a := range d.Assignments {
			var g hetGroup
			if a.HasHetGroup {
				v := a.HetGroup
				g = &v
			}
			seen := false
			for _, x := range distinct {
				if sameGroup(x, g) {
					seen = true
				}
			}
			if !seen {
				distinct = append(distinct, g)
			}
		}
		if len(distinct) != 1 {
			return map[string]hetGroup{}, []string{"conflicting_het_groups"}
		}
		if prev, ok := groups[d.Host]; ok && !sameGroup(prev, distinct[0]) {
			return map[string]hetGroup{}, []string{"conflicting_het_groups"}
		}
		groups[d.Host] = distinct[0]
	}
	return groups, nil
}

// validateDevices is upstream's _validate_devices.
func validateDevices(expected []ExpectedDevice, observed []ObservedDevice) ([]string, map[deviceKey]string) {
	var reasons []string
	exp, obs := map[deviceKey]bool{}, map[deviceKey]bool{}
	for _, d := range expected {
		exp[d.key()] = true
	}
	for _, d := range observed {
		obs[d.key()] = true
	}
	missing := len(exp) == 0
	for k := range exp {
		if !obs[k] {
			missing = true
		}
	}
	if missing {
		reasons = append(reasons, "expected_device_missing")
	}
	for k := range obs {
		if !exp[k] {
			reasons = append(reasons, "unexpected_device")
			break
		}
	}
	changed := false
	seen := map[string]bool{}
	for _, d := range observed {
		if len(d.UUIDs) != 1 {
			changed = true
		}
	}
	if !changed {
		for _, d := range observed {
			if seen[d.UUIDs[0]] {
				changed = true
			}
			seen[d.UUIDs[0]] = true
		}
	}
	if changed {
		reasons = append(reasons, "gpu_uuid_changed")
	}
	roles, rc := resolveRoles(expected)
	_, gc := resolveHetGroups(expected)
	reasons = append(append(reasons, rc...), gc...)
	return dedupe(reasons), roles
}

func groupRepr(g hetGroup) string {
	if g == nil {
		return "None"
	}
	return strconv.FormatInt(*g, 10)
}

// checkRoleTopology is upstream's _check_role_topology: the roles' GPU
// counts are the workflow's, and prefill and decode sit in distinct
// heterogeneous Slurm groups when the job uses them at all.
func checkRoleTopology(devs []ExpectedDevice, roles map[deviceKey]string, want map[string]int64) []string {
	var f []string
	counts := map[string]int64{}
	for _, r := range roles {
		counts[r]++
	}
	wantRoles, gotRoles := sortedKeys(want), sortedKeys(counts)
	if strings.Join(wantRoles, "\x00") != strings.Join(gotRoles, "\x00") {
		f = append(f, fmt.Sprintf("expected roles %s, found %s", pyvalue.Repr(wantRoles), pyvalue.Repr(gotRoles)))
	}
	for _, r := range wantRoles {
		if counts[r] != want[r] {
			f = append(f, fmt.Sprintf("expected %d %s GPUs, found %d", want[r], r, counts[r]))
		}
	}
	groups, gc := resolveHetGroups(devs)
	if len(gc) > 0 {
		for _, r := range gc {
			f = append(f, r+" (topology)")
		}
		return f
	}
	perRole := map[string][]hetGroup{}
	for _, d := range devs {
		r, ok := roles[d.key()]
		if !ok {
			continue
		}
		g := groups[d.Host]
		dup := false
		for _, x := range perRole[r] {
			if sameGroup(x, g) {
				dup = true
			}
		}
		if !dup {
			perRole[r] = append(perRole[r], g)
		}
	}
	nonHet := true
	for _, g := range groups {
		if g != nil {
			nonHet = false
		}
	}
	var assigned []int64
	for _, r := range sortedKeys(perRole) {
		gs := perRole[r]
		if len(gs) != 1 {
			reprs := make([]string, len(gs))
			for i, g := range gs {
				reprs[i] = groupRepr(g)
			}
			sort.Strings(reprs) // Python sorts them by str()
			f = append(f, fmt.Sprintf("role %s spans het groups [%s], expected exactly one", r, strings.Join(reprs, ", ")))
			continue
		}
		if gs[0] == nil {
			if !nonHet {
				f = append(f, fmt.Sprintf("role %s has het group None while other devices report real het groups", r))
			}
			continue
		}
		assigned = append(assigned, *gs[0])
	}
	uniq := map[int64]bool{}
	for _, g := range assigned {
		uniq[g] = true
	}
	if len(uniq) != len(assigned) {
		f = append(f, "roles share a het group")
	}
	return f
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Input is what one multi-node processed result brings to the audit.
type Input struct {
	PowerDir, LogsRoot, BenchResult string // as given (they are echoed)
	Dir                             string // relative paths are relative to it
	Benchmark                       *power.Benchmark
	PrefillGPUs, DecodeGPUs         int64
	ExpectedSHA                     string
}

func (in Input) path(p string) string {
	if filepath.IsAbs(p) || in.Dir == "" {
		return p
	}
	return filepath.Join(in.Dir, p)
}

// ValidateAndIntegrate is upstream's validate_and_integrate.
func ValidateAndIntegrate(in Input) *Audit {
	a := &Audit{EnergyJ: &pyjson.Object{}, Role: &pyjson.Object{}, MaxGap: &pyjson.Object{}, energy: map[string]float64{}}
	if in.ExpectedSHA != "" {
		s := in.ExpectedSHA
		a.ExpectedCommit = &s
	}
	powerDir := in.path(in.PowerDir)
	if !isDir(powerDir) {
		a.add("power_artifacts_missing", "power dir missing: "+PyPath(in.PowerDir))
		return a
	}
	manifestPath := filepath.Join(powerDir, ManifestFile)
	if !isFile(manifestPath) {
		a.add("manifest_missing", "manifest missing: "+join(in.PowerDir, ManifestFile))
		return a
	}
	doc, err := readJSON(manifestPath)
	if err != nil {
		a.add("manifest_malformed", "manifest unreadable: "+err.Error())
		return a
	}
	m, ok := doc.(*pyjson.Object)
	if !ok {
		a.add("manifest_malformed", "manifest is not an object")
		return a
	}
	if b, ok := get(m, "publication_valid").(bool); ok {
		a.StoredValid = &b
	}
	if s, ok := get(m, "producer_git_commit").(string); ok {
		a.ProducerCommit = &s
	}
	if ex, ok := get(m, "dcgm_exporter").(*pyjson.Object); ok {
		if s, ok := get(ex, "container_image_sha256").(string); ok {
			a.ExporterImageSHA256 = &s
		}
	}
	switch {
	case in.ExpectedSHA == "":
		a.add("producer_pin_missing", "no expected producer SHA configured")
	case a.ProducerCommit == nil || *a.ProducerCommit != in.ExpectedSHA:
		got := "None"
		if a.ProducerCommit != nil {
			got = pyvalue.StrRepr(*a.ProducerCommit)
		}
		a.add("producer_commit_mismatch", fmt.Sprintf("producer_git_commit %s != expected %s", got, pyvalue.StrRepr(in.ExpectedSHA)))
	}

	failures := checkWireContract(m)
	devices, perr := parseExpectedDevices(m)
	var windows []ExpectedWindow
	if perr == nil {
		windows, perr = parseExpectedWindows(m)
	}
	if perr != nil {
		a.add("manifest_malformed", "manifest malformed: "+perr.Error())
		a.RecomputedValid = boolPtr(false)
		return a
	}
	rows, sampleReasons := ReadSamples(filepath.Join(powerDir, SamplesFile))
	for _, r := range sampleReasons {
		failures = append(failures, r+" in "+SamplesFile)
	}
	observed := deriveObserved(rows)
	devReasons, roles := validateDevices(devices, observed)
	for _, r := range devReasons {
		failures = append(failures, r+" (device identity/topology)")
	}
	expectedKeys := make([]deviceKey, 0, len(devices))
	seenKey := map[deviceKey]bool{}
	for _, d := range devices {
		if !seenKey[d.key()] {
			expectedKeys = append(expectedKeys, d.key())
			seenKey[d.key()] = true
		}
	}
	var errs []artifactError
	validations, parsed := validateWindows(powerDir, in.path(in.LogsRoot), windows, expectedKeys, observed, &errs)
	if len(windows) == 0 {
		failures = append(failures, "no expected measurement window")
	}
	for _, v := range validations {
		o := v.(*pyjson.Object)
		rc, _ := o.Get("reason_codes")
		for _, r := range rc.([]any) {
			failures = append(failures, fmt.Sprintf("%s (window %s/%d)", r, get(o, "benchmark_type"), get(o, "concurrency")))
		}
	}
	for _, e := range errs {
		for _, r := range e.reasons {
			failures = append(failures, fmt.Sprintf("%s (%s)", r, e.path))
		}
	}
	failures = append(failures, checkStoredEvidence(m, devices, windows, rows, observed, validations, errs)...)
	a.RecomputedValid = boolPtr(len(failures) == 0)
	a.Failures = append(a.Failures, failures...)
	if len(failures) > 0 {
		appendOnce(&a.Reasons, "package_recompute_invalid")
	}

	stored := "None"
	if a.StoredValid != nil {
		stored = pyvalue.Repr(*a.StoredValid)
	}
	storedTrue := a.StoredValid != nil && *a.StoredValid
	agree := a.StoredValid != nil && *a.StoredValid == *a.RecomputedValid
	if !storedTrue || !agree {
		if !agree {
			a.add("producer_verdict_mismatch", fmt.Sprintf("stored publication_valid=%s, recomputed=%s", stored, pyvalue.Repr(*a.RecomputedValid)))
		} else {
			a.add("package_recompute_invalid", "stored and recomputed both invalid")
		}
	}

	want := map[string]int64{}
	if in.PrefillGPUs > 0 {
		want["prefill"] = in.PrefillGPUs
	}
	if in.DecodeGPUs > 0 {
		want["decode"] = in.DecodeGPUs
	}
	if len(want) == 0 {
		a.add("topology_env_mismatch", "PREFILL_GPUS/DECODE_GPUS are both zero")
	} else if len(roles) > 0 {
		for _, f := range checkRoleTopology(devices, roles, want) {
			a.add("topology_env_mismatch", f)
		}
	}

	a.ExpectedCount, a.ObservedCount = int64(len(devices)), int64(len(observed))
	labels := map[deviceKey]string{}
	for _, d := range observed {
		if len(d.UUIDs) == 1 {
			labels[d.key()] = label(d)
		}
	}
	roleKeys := make([]deviceKey, 0, len(roles))
	for k := range roles {
		roleKeys = append(roleKeys, k)
	}
	sortKeys(roleKeys)
	for _, k := range roleKeys {
		l, ok := labels[k]
		if !ok {
			l = k.host + "/" + strconv.FormatInt(k.index, 10)
		}
		a.Role.Set(l, roles[k])
	}

	w := selectWindow(a, parsed, in)
	if len(a.Reasons) > 0 || w == nil || in.Benchmark == nil {
		return a
	}

	byKey := map[deviceKey][][2]float64{}
	for _, r := range rows {
		byKey[r.device()] = append(byKey[r.device()], [2]float64{r.Time, r.PowerW})
	}
	obsBy := map[deviceKey]ObservedDevice{}
	for _, d := range observed {
		obsBy[d.key()] = d
	}
	roleEnergy := map[string]float64{"prefill": 0, "decode": 0}
	var energies []float64
	for _, d := range devices {
		ps := byKey[d.key()]
		sort.Slice(ps, func(i, j int) bool {
			if ps[i][0] != ps[j][0] {
				return ps[i][0] < ps[j][0]
			}
			return ps[i][1] < ps[j][1]
		})
		l := labels[d.key()]
		e := power.IntegrateSamples(ps, w.Start, *w.End)
		if _, dup := a.energy[l]; !dup {
			energies = append(energies, e)
		} else {
			// A label seen twice keeps its place and takes the new value.
			for i, x := range a.EnergyJ.Keys() {
				if x == l {
					energies[i] = e
				}
			}
		}
		a.energy[l] = e
		if math.IsNaN(e) || math.IsInf(e, 0) {
			a.EnergyJ.Set(l, nil)
		} else {
			a.EnergyJ.Set(l, e)
		}
		if r := roles[d.key()]; r == "prefill" || r == "decode" {
			roleEnergy[r] += e
		}
		a.MaxGap.Set(l, maxGap(bracketing(obsBy[d.key()].Times, w.Start, *w.End)))
	}

	b := in.Benchmark
	dur := *w.End - w.Start
	total := pynum.Sum(energies)
	n := float64(len(devices))
	ms := []power.Metric{
		{Key: "avg_power_w", Value: total / dur / n},
		{Key: "avg_total_gpu_power_w", Value: total / dur},
		{Key: "total_gpu_energy_j", Value: total},
		{Key: "joules_per_successful_query", Value: total / float64(b.Completed)},
		{Key: "joules_per_input_token", Value: total / float64(b.InputTokens)},
		{Key: "joules_per_output_token", Value: total / float64(b.OutputTokens)},
		{Key: "joules_per_total_token", Value: total / float64(b.InputTokens+b.OutputTokens)},
	}
	if in.PrefillGPUs > 0 {
		e := roleEnergy["prefill"]
		ms = append(ms, power.Metric{Key: "prefill_gpu_energy_j", Value: e},
			power.Metric{Key: "prefill_avg_power_w", Value: e / dur / float64(in.PrefillGPUs)},
			power.Metric{Key: "prefill_joules_per_input_token", Value: e / float64(b.InputTokens)})
	}
	if in.DecodeGPUs > 0 {
		e := roleEnergy["decode"]
		ms = append(ms, power.Metric{Key: "decode_gpu_energy_j", Value: e},
			power.Metric{Key: "decode_avg_power_w", Value: e / dur / float64(in.DecodeGPUs)},
			power.Metric{Key: "decode_joules_per_output_token", Value: e / float64(b.OutputTokens)})
	}
	var nonFinite []string
	for _, x := range ms {
		if math.IsNaN(x.Value) || math.IsInf(x.Value, 0) {
			nonFinite = append(nonFinite, x.Key)
		}
	}
	if len(nonFinite) > 0 {
		sort.Strings(nonFinite)
		a.add("non_finite_power_metric", "non-finite: "+strings.Join(nonFinite, ", "))
		return a
	}
	a.Metrics = ms
	a.Valid = true
	return a
}

// canonicalSHA256 is the hash upstream compares two result files by.
func canonicalSHA256(v any) (string, error) {
	b, err := pyvalue.CanonicalJSON(v)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%x", sha256.Sum256(b)), nil
}

// selectWindow is upstream's _select_window_for_result: the one completed
// window of the processed result's concurrency, whose original result is
// the processed result byte for byte (as canonical JSON).
func selectWindow(a *Audit, parsed []*Window, in Input) *Window {
	benchPath := in.path(in.BenchResult)
	doc, err := readJSON(benchPath)
	if err != nil {
		a.add("invalid_benchmark_result", "unreadable result: "+PyPath(in.BenchResult))
		return nil
	}
	processed, ok := doc.(*pyjson.Object)
	if !ok {
		a.add("invalid_benchmark_result", "processed result is not an object")
		return nil
	}
	conc := get(processed, "max_concurrency")
	var matches []*Window
	for _, w := range parsed {
		if w.Status == windowCompleted && pyvalue.Equal(w.Concurrency, conc) {
			matches = append(matches, w)
		}
	}
	if len(matches) != 1 {
		a.add("window_for_result_missing", fmt.Sprintf("found %d completed windows for concurrency %s", len(matches), pyvalue.Repr(conc)))
		return nil
	}
	w := matches[0]
	origPath := join(in.LogsRoot, w.ResultPath)
	orig, err := readJSON(in.path(origPath))
	if err != nil {
		a.add("measurement_window_result_missing", "original result unreadable: "+origPath)
		return nil
	}
	h1, err1 := canonicalSHA256(orig)
	h2, err2 := canonicalSHA256(processed)
	if err1 != nil || err2 != nil || h1 != h2 {
		a.add("result_content_mismatch", fmt.Sprintf("workspace copy %s differs from original %s", filepath.Base(PyPath(in.BenchResult)), w.ResultPath))
		return nil
	}
	if b := in.Benchmark; b != nil && (b.StartUnix != w.Start || b.EndUnix != *w.End) {
		a.add("measurement_window_result_mismatch", "benchmark window fields do not match the selected window file")
		return nil
	}
	o := &pyjson.Object{}
	o.Set("window_file", w.RelPath)
	o.Set("result_path", w.ResultPath)
	o.Set("benchmark_type", w.Type)
	o.Set("concurrency", w.Concurrency)
	o.Set("start_time_unix", w.Start)
	o.Set("end_time_unix", *w.End)
	o.Set("duration", *w.Duration)
	a.Window = o
	return w
}
