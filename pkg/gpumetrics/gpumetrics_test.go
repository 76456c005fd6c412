package gpumetrics

import (
	"errors"
	"strings"
	"testing"
)

func TestAppendRow(t *testing.T) {
	for _, c := range []struct {
		s    Sample
		want string
	}{
		{Sample{UnixMilli: 1796404503108, Index: 0, UUID: "GPU-0", PowerW: 81.382, EnergyJ: 2377.699, HasEnergy: true}, "1796404503.108,0,GPU-0,81.382,2377.699\n"},
		{Sample{UnixMilli: 1000, Index: 7, UUID: "amd-3", PowerW: 700}, "1.000,7,amd-3,700.000,\n"},
		{Sample{UnixMilli: 5, Index: 1, UUID: "x", PowerW: 0.0005, EnergyJ: 1e15, HasEnergy: true}, "0.005,1,x,0.001,1000000000000000.000\n"},
	} {
		if got := string(AppendRow(nil, c.s)); got != c.want {
			t.Errorf("AppendRow(%+v) = %q, want %q", c.s, got, c.want)
		}
	}
}

func TestParse(t *testing.T) {
	good := Header + "\n1.000,0,GPU-a,81.382,2377.699\n1.100,1,GPU-b,80,\n"
	f, err := Parse([]byte(good))
	if err != nil || len(f.Rows) != 2 || f.Truncated {
		t.Fatalf("%+v %v", f, err)
	}
	r := f.Rows[0]
	if r.Err != nil || r.UnixMilli != 1000 || r.UUID != "GPU-a" || r.PowerW != 81.382 || !r.HasEnergy || r.EnergyJ != 2377.699 || r.Line != 2 {
		t.Errorf("row %+v", r)
	}
	if f.Rows[1].HasEnergy || f.Rows[1].Index != 1 {
		t.Errorf("row %+v", f.Rows[1])
	}

	for _, c := range []struct {
		line  string
		field Field
		time  bool
	}{
		{"1.0,0,GPU-a,1", FieldRow, true},
		{"x,0,GPU-a,1,", FieldTimestamp, false},
		{"1.0001,0,GPU-a,1,", FieldTimestamp, false},
		{"-1,0,GPU-a,1,", FieldTimestamp, false},
		{"1,-1,GPU-a,1,", FieldIndex, true},
		{"1,01,GPU-a,1,", FieldIndex, true},
		{"1,0,,1,", FieldUUID, true},
		{"1,0,GPU a,1,", FieldUUID, true},
		{"1,0,GPU-a,-1,", FieldPower, true},
		{"1,0,GPU-a,1e3,", FieldPower, true},
		{"1,0,GPU-a,[N/A],", FieldPower, true},
		{"1,0,GPU-a,1,NaN", FieldEnergy, true},
		{"1,0,GPU-a,1,.5", FieldEnergy, true},
		{"", FieldRow, false},
	} {
		f, err := Parse([]byte(Header + "\n" + c.line + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		if len(f.Rows) != 1 || f.Rows[0].Err == nil || f.Rows[0].Err.Field != c.field || f.Rows[0].TimeOK != c.time {
			t.Errorf("%q: %+v, want an error in %s (time readable %v)", c.line, f.Rows[0], c.field, c.time)
		}
		if f.Rows[0].Err != nil && !strings.HasPrefix(f.Rows[0].Err.Error(), "line 2: ") {
			t.Errorf("%q: %v does not name the line", c.line, f.Rows[0].Err)
		}
	}

	// A last line without its newline was cut off, whatever it says.
	f, _ = Parse([]byte(Header + "\n1,0,GPU-a,1,2\n2,0,GPU-a,1,2.5"))
	if !f.Truncated || len(f.Rows) != 1 {
		t.Errorf("cut-off row: %+v", f)
	}
	f, _ = Parse([]byte(Header + "\r\n1,0,GPU-a,1,2\r\n"))
	if len(f.Rows) != 1 || f.Rows[0].Err != nil {
		t.Errorf("CRLF: %+v", f.Rows)
	}
	for _, bad := range []string{"", "timestamp,index,power.draw [W]\n"} {
		if _, err := Parse([]byte(bad)); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("Parse(%q) = %v, want a line-1 error", bad, err)
		}
	}
	if _, err := Parse([]byte("timestamp, index\n")); !errors.Is(err, ErrNotGpumon) {
		t.Errorf("not gpumon: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(Header + "\n1.000,0,GPU-a,81.382,2377.699\n"))
	f.Add([]byte(Header + "\n1,0,GPU-a,1\n2"))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(data)
		if err != nil {
			return
		}
		for _, r := range file.Rows {
			if r.Err == nil {
				// A good row survives a round trip.
				back := AppendRow(nil, r.Sample)
				g, err := Parse(append([]byte(Header+"\n"), back...))
				if err != nil || len(g.Rows) != 1 || g.Rows[0].Err != nil || g.Rows[0].Sample != r.Sample && !close(g.Rows[0].Sample, r.Sample) {
					t.Fatalf("row %+v does not survive: %q -> %+v", r, back, g)
				}
			}
		}
	})
}

// close allows for the three decimals written of a value read with more.
func close(a, b Sample) bool {
	d := func(x, y float64) bool { return x-y < 0.00051 && y-x < 0.00051 }
	return a.UnixMilli == b.UnixMilli && a.Index == b.Index && a.UUID == b.UUID && d(a.PowerW, b.PowerW) && a.HasEnergy == b.HasEnergy && d(a.EnergyJ, b.EnergyJ)
}
