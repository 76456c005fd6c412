package version

import (
	"errors"
	"slices"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want string // canonical, "" = not a version
	}{
		{"0.13.0", "0.13.0"},
		{"v0.13.0", "0.13.0"},
		{"V1.2", "1.2"},
		{"0.5.6.post1", "0.5.6.post1"},
		{"v0.5.5.post2", "0.5.5.post2"},
		{"1.2.0rc6.post2", "1.2.0rc6.post2"},
		{"1.2.0rc6", "1.2.0rc6"},
		{"v1.0.0-rc1", "1.0.0rc1"},
		{"1.0.0.rc.1", "1.0.0rc1"},
		{"1.0.0-RC1", "1.0.0rc1"},
		{"1.0rc", "1.0rc0"},
		{"2.0a1", "2.0a1"},
		{"2.0alpha1", "2.0a1"},
		{"2.0beta3", "2.0b3"},
		{"2.0c2", "2.0rc2"},
		{"2.0pre2", "2.0rc2"},
		{"1.0-2", "1.0.post2"},
		{"1.0post", "1.0.post0"},
		{"1.0.dev3", "1.0.dev3"},
		{"1.0rc1.dev2", "1.0rc1.dev2"},
		{"007.01", "7.1"},
		{"1", "1"},
		{"", ""},
		{"v", ""},
		{"main", ""},
		{"gpt-oss-dev", ""},
		{"router-v0.1.0", ""},
		{"0.13.0-cu129", ""},
		{"1..2", ""},
		{"1.2.", ""},
		{"1234567890.1", ""},
		{"1.2.3.4.5.6.7.8.9", ""},
	}
	for _, tt := range tests {
		v, ok := Parse(tt.in)
		got := ""
		if ok {
			got = v.String()
		}
		if got != tt.want {
			t.Errorf("Parse(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
}

func TestCompareOrder(t *testing.T) {
	// Strictly increasing.
	order := []string{
		"0.9.9", "1.0.dev0", "1.0a1.dev1", "1.0a1", "1.0a2", "1.0b1", "1.0rc1.dev0", "1.0rc1",
		"1.0rc1.post1", "1.0rc2", "1.0", "1.0.post0.dev1", "1.0.post1", "1.0.1", "1.1rc1", "1.1", "10.0",
	}
	for i := range order {
		for j := range order {
			a, _ := Parse(order[i])
			b, _ := Parse(order[j])
			got := Compare(a, b)
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got != want {
				t.Errorf("Compare(%s, %s) = %d, want %d", order[i], order[j], got, want)
			}
		}
	}
	a, _ := Parse("1.0")
	b, _ := Parse("v1.0.0")
	if Compare(a, b) != 0 {
		t.Errorf("1.0 and v1.0.0 should be equal")
	}
}

func TestNewestAndSort(t *testing.T) {
	got, ok := Newest([]string{"0.5.6", "0.5.7", "0.5.6.post1", "0.5.8rc1", "nightly"})
	if !ok || got != "0.5.8rc1" {
		t.Errorf("Newest = %q, %v", got, ok)
	}
	// The original ranked 0.14.0rc1 above 0.14.0; a release beats its candidates.
	got, _ = Newest([]string{"0.14.0rc1", "0.14.0", "0.13.0"})
	if got != "0.14.0" {
		t.Errorf("Newest = %q, want 0.14.0", got)
	}
	if _, ok := Newest([]string{"main", ""}); ok {
		t.Errorf("Newest of no versions reported a result")
	}
	names := []string{"main", "v0.1.0", "v0.10.0", "v0.2.0rc1", "v0.2.0", "alpha"}
	SortDesc(names)
	want := []string{"v0.10.0", "v0.2.0", "v0.2.0rc1", "v0.1.0", "alpha", "main"}
	if !slices.Equal(names, want) {
		t.Errorf("SortDesc = %v, want %v", names, want)
	}
}

func TestFindTag(t *testing.T) {
	tags := []string{"v0.12.0", "v0.13.0rc1", "v0.13.0", "0.13.0", "v0.14.0rc2", "v1.2.0rc6", "v1.0.0-rc1", "gateway-v0.1.0", "v0.5.6.post1", "nightly"}
	tests := []struct {
		want, tag, note string
		nearest         []string // nil = expect success
	}{
		{want: "v0.13.0", tag: "v0.13.0"},
		{want: "0.13.0", tag: "0.13.0"}, // exact spelling wins
		{want: "0.13.0.0", tag: "v0.13.0"},
		{want: "0.13.0rc1", tag: "v0.13.0rc1"},
		{want: "1.0.0rc1", tag: "v1.0.0-rc1"},
		{want: "0.5.6.post1", tag: "v0.5.6.post1"},
		{want: "gateway-v0.1.0", tag: "gateway-v0.1.0"},
		{want: "1.2.0rc6.post3", tag: "v1.2.0rc6", note: "no tag for 1.2.0rc6.post3; using v1.2.0rc6, the release it was built from"},
		{want: "0.13.5", nearest: []string{"v1.0.0-rc1", "v0.14.0rc2", "0.13.0", "v0.13.0", "v0.13.0rc1"}},
		{want: "0.14.0", nearest: []string{"v1.2.0rc6", "v1.0.0-rc1", "v0.14.0rc2", "0.13.0", "v0.13.0"}},
		{want: "9.0", nearest: []string{"v1.2.0rc6", "v1.0.0-rc1", "v0.14.0rc2", "0.13.0", "v0.13.0"}},
		{want: "0.0.1", nearest: []string{"0.13.0", "v0.13.0", "v0.13.0rc1", "v0.12.0", "v0.5.6.post1"}},
		{want: "nightl", nearest: []string{"nightly"}},
		{want: "zzz", nearest: []string{}},
	}
	for _, tt := range tests {
		m, err := FindTag(tags, tt.want)
		if tt.nearest != nil {
			var nt *NoTagError
			if !errors.As(err, &nt) {
				t.Errorf("FindTag(%q) = %+v, %v; want a NoTagError", tt.want, m, err)
				continue
			}
			if len(nt.Nearest) != len(tt.nearest) || (len(tt.nearest) > 0 && !slices.Equal(nt.Nearest, tt.nearest)) {
				t.Errorf("FindTag(%q) nearest = %v, want %v", tt.want, nt.Nearest, tt.nearest)
			}
			continue
		}
		if err != nil || m.Tag != tt.tag || m.Note != tt.note {
			t.Errorf("FindTag(%q) = %+v, %v; want tag %q note %q", tt.want, m, err, tt.tag, tt.note)
		}
	}
}

func TestNoTagErrorMessage(t *testing.T) {
	err := &NoTagError{Want: "9.9", Nearest: []string{"v1.0", "v0.9"}}
	if got, want := err.Error(), `no tag matches version "9.9" (nearest tags: v1.0, v0.9)`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"0.13.0", "v1.2.0rc6.post2", "1.0-2", "1.0.dev3", "main", "1..2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := Parse(s)
		if !ok {
			return
		}
		// The canonical form must parse back to an equal version.
		w, ok := Parse(v.String())
		if !ok {
			t.Fatalf("canonical %q of %q does not parse", v.String(), s)
		}
		if Compare(v, w) != 0 || w.String() != v.String() {
			t.Fatalf("round trip of %q: %q != %q", s, v.String(), w.String())
		}
		if Compare(v, v) != 0 {
			t.Fatalf("%q not equal to itself", s)
		}
	})
}
