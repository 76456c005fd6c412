package power

import (
	"math"
	"strconv"
	"testing"
	"time"
)

// TestTimestampsLikeUpstream compares ParseTimestamp with upstream's
// _parse_timestamp under three zones (one with daylight saving time, whose
// skipped and repeated hours are in the corpus).
func TestTimestampsLikeUpstream(t *testing.T) {
	want := readJSONFile[map[string]map[string]*string](t, "testdata/timestamps.json")
	if len(want) != 3 {
		t.Fatalf("zones: %v", keys(want))
	}
	for zone, cases := range want {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Fatal(err)
		}
		for in, w := range cases {
			got, ok := ParseTimestamp(in, loc)
			if (w != nil) != ok {
				t.Errorf("%s %q: ok=%v, upstream %v", zone, in, ok, w)
				continue
			}
			if !ok {
				continue
			}
			wf, _ := strconv.ParseFloat(*w, 64)
			if got != wf && !(math.IsNaN(got) && math.IsNaN(wf)) {
				t.Errorf("%s %q = %v, upstream %s", zone, in, strconv.FormatFloat(got, 'g', -1, 64), *w)
			}
		}
	}
}

func FuzzParseTimestamp(f *testing.F) {
	for _, s := range []string{"2026/12/04 17:15:03.090", "2026-12-04T17:15:03+05:30", "1796404503108", "20261204T1715", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ts, ok := ParseTimestamp(s, time.UTC)
		if ok && math.IsNaN(ts) {
			t.Fatalf("%q gave NaN", s)
		}
	})
}
