package amdsmi

import (
	"strings"
	"testing"
)

// The watch-mode header measured on MI355X (AMDSMI 26.2.0, `metric -p -c
// -t -u -w 1 --csv`, as in upstream's tests), and the -E snapshot's.
const (
	watchHeader = "timestamp,gpu,gfx_activity,umc_activity,mm_activity,vcn_activity,jpeg_activity,gfx_busy_inst_xcp_0," +
		"jpeg_busy_xcp_0,vcn_busy_xcp_0,socket_power,gfx_voltage,soc_voltage,mem_voltage,throttle_status,power_management," +
		"gfx_0_clk,mem_0_clk,edge,hotspot,mem"
	energyHeader = "gpu,socket_power,gfx_voltage,soc_voltage,mem_voltage,throttle_status,power_management,total_energy_consumption"
)

func watchRow(gpu, power string) string {
	return "1700000000," + gpu + ",99,40,0,0,0,99,0,0," + power + ",N/A,N/A,N/A,N/A,ENABLED,2100,1900,45,70,60"
}

func TestParser(t *testing.T) {
	var p Parser
	lines := []string{
		"WARNING: User is missing the following required groups: render, video",
		"",
		watchHeader,
		watchRow("0", "701"),
		watchRow("1", "702 W"),
		watchHeader, // watch mode repeats it
		watchRow("0", "N/A"),
		watchRow("x", "700"),
		"1700000000,0,short",
		watchRow("1", "703.5\r"),
	}
	type out struct {
		ok     bool
		gpu    int
		w      float64
		reason string
	}
	want := []out{{}, {}, {}, {true, 0, 701, ""}, {true, 1, 702, ""}, {}, {false, 0, 0, "GPU 0: power"}, {false, 0, 0, "is not a GPU index"},
		{false, 0, 0, "3 columns under a header of 21"}, {true, 1, 703.5, ""}}
	for i, l := range lines {
		r, ok, reason := p.Line(l)
		w := want[i]
		if ok != w.ok || (ok && (r.GPU != w.gpu || r.PowerW != w.w || r.HasEnergy)) || !strings.Contains(reason, w.reason) || (w.reason == "" && reason != "") {
			t.Errorf("line %d %.40q: %+v %v %q, want %+v", i, l, r, ok, reason, w)
		}
	}
	if p.Skipped() != 1 {
		t.Errorf("skipped %d preamble lines, want 1", p.Skipped())
	}

	var e Parser
	e.Line(energyHeader)
	r, ok, _ := e.Line("0,238,N/A,N/A,N/A,N/A,ENABLED,178319501.682")
	if !ok || r.PowerW != 238 || !r.HasEnergy || r.EnergyJ != 178319501.682 {
		t.Errorf("energy row %+v %v", r, ok)
	}
	r, ok, _ = e.Line("1,239,N/A,N/A,N/A,N/A,ENABLED,N/A")
	if !ok || r.HasEnergy {
		t.Errorf("N/A accumulator %+v %v", r, ok)
	}

	var np Parser
	np.Line("timestamp,gpu,power_management,power_cap,gpu_power")
	if r, ok, _ := np.Line("1,0,ENABLED,750,512"); !ok || r.PowerW != 512 {
		t.Errorf("power column by name: %+v %v", r, ok)
	}
	var none Parser
	none.Line("timestamp,gpu,temperature")
	if _, ok, reason := none.Line("1,0,50"); ok || !strings.Contains(reason, "no gpu or power column") {
		t.Errorf("no power column: %v %q", ok, reason)
	}
}

func TestParseList(t *testing.T) {
	m := parseList([]byte("gpu,gpu_bdf,gpu_uuid\n0,0000:05:00.0,fbff74a1-0000-1000-80f6-5f8c4d4f8a23\n1,0000:15:00.0,\nx,y,z\n"))
	if len(m) != 1 || m[0] != "fbff74a1-0000-1000-80f6-5f8c4d4f8a23" {
		t.Errorf("%v", m)
	}
	if len(parseList([]byte("GPU: 0\n  BDF: x\n"))) != 0 {
		t.Error("a non-CSV listing gave identities")
	}
}

func FuzzParser(f *testing.F) {
	f.Add(watchHeader + "\n" + watchRow("0", "701") + "\n" + watchHeader + "\n")
	f.Add("noise\n" + energyHeader + "\n0,238,N/A,N/A,N/A,N/A,ENABLED,17.5\n")
	f.Fuzz(func(t *testing.T, text string) {
		var p Parser
		for _, l := range strings.Split(text, "\n") {
			r, ok, reason := p.Line(l)
			if ok && (r.GPU < 0 || r.PowerW < 0 || reason != "") {
				t.Fatalf("%q -> %+v %q", l, r, reason)
			}
		}
	})
}
