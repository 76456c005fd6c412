// Package version parses the version numbers that serving-stack images and
// git tags carry (0.13.0, v0.5.6.post1, 1.2.0rc6.post2), orders them the way
// Python packaging does (PEP 440: dev < pre-release < release < post-release)
// and finds the git tag that names a given version.
package version

import (
	"cmp"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// V is a parsed version. Release holds the dotted numbers; Pre is "a", "b"
// or "rc" (empty for none) with PreN its number; Post and Dev are -1 when
// absent.
type V struct {
	Release []int
	Pre     string
	PreN    int
	Post    int
	Dev     int
}

// One regexp for the spellings met in image and tag names: an optional
// leading v, dotted numbers, a pre-release (rc1, -rc1, .rc.1, a1, beta2),
// a post-release (.post2, -post2, -2) and a dev release (.dev3).
// Groups: 1 release, 2 pre phase, 3 pre number, 4 post marker, 5 post
// number, 6 implicit post number (-N), 7 dev marker, 8 dev number.
var versionRE = regexp.MustCompile(`^v?` +
	`(\d+(?:\.\d+)*)` +
	`(?:[-_.]?(alpha|a|beta|b|c|rc|preview|pre)[-_.]?(\d*))?` +
	`(?:([-_.]?(?:post|rev|r)[-_.]?)(\d*)|-(\d+))?` +
	`(?:([-_.]?dev[-_.]?)(\d*))?$`)

// Bounds that keep Atoi from overflowing and the release list short; no
// real version comes near either.
const (
	maxDigits   = 9
	maxReleaseN = 8
)

// Parse reads s as a version. It reports false for anything that is not one
// (a branch name, "gpt-oss-dev", "router-v0.1.0").
func Parse(s string) (V, bool) {
	s = strings.ToLower(s)
	m := versionRE.FindStringSubmatchIndex(s)
	if m == nil {
		return V{}, false
	}
	group := func(i int) (string, bool) {
		if m[2*i] < 0 {
			return "", false
		}
		return s[m[2*i]:m[2*i+1]], true
	}
	v := V{Post: -1, Dev: -1}
	rel, _ := group(1)
	parts := strings.Split(rel, ".")
	if len(parts) > maxReleaseN {
		return V{}, false
	}
	for _, p := range parts {
		n, ok := num(p)
		if !ok {
			return V{}, false
		}
		v.Release = append(v.Release, n)
	}
	if phase, ok := group(2); ok {
		switch phase {
		case "a", "alpha":
			v.Pre = "a"
		case "b", "beta":
			v.Pre = "b"
		default: // c, rc, pre, preview
			v.Pre = "rc"
		}
		n, _ := group(3)
		if v.PreN, ok = optNum(n); !ok {
			return V{}, false
		}
	}
	if _, ok := group(4); ok {
		n, _ := group(5)
		if v.Post, ok = optNum(n); !ok {
			return V{}, false
		}
	} else if n, ok := group(6); ok {
		if v.Post, ok = num(n); !ok {
			return V{}, false
		}
	}
	if _, ok := group(7); ok {
		n, _ := group(8)
		if v.Dev, ok = optNum(n); !ok {
			return V{}, false
		}
	}
	return v, true
}

func num(s string) (int, bool) {
	s = strings.TrimLeft(s, "0")
	if s == "" {
		return 0, true
	}
	if len(s) > maxDigits {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// optNum reads a number that may be left out (rc means rc0).
func optNum(s string) (int, bool) {
	if s == "" {
		return 0, true
	}
	return num(s)
}

// String is the canonical spelling: 0.13.0, 1.2.0rc6.post2, 2.0.dev1.
func (v V) String() string {
	var b strings.Builder
	for i, n := range v.Release {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strconv.Itoa(n))
	}
	if v.Pre != "" {
		b.WriteString(v.Pre)
		b.WriteString(strconv.Itoa(v.PreN))
	}
	if v.Post >= 0 {
		b.WriteString(".post")
		b.WriteString(strconv.Itoa(v.Post))
	}
	if v.Dev >= 0 {
		b.WriteString(".dev")
		b.WriteString(strconv.Itoa(v.Dev))
	}
	return b.String()
}

// IsPrerelease reports a pre-release or dev release.
func (v V) IsPrerelease() bool { return v.Pre != "" || v.Dev >= 0 }

// Base is v without its post and dev parts: the release a post-release
// rebuilds.
func (v V) Base() V {
	v.Post, v.Dev = -1, -1
	return v
}

// Compare orders versions as PEP 440 does: 1.0.dev0 < 1.0a1 < 1.0b1 <
// 1.0rc1 < 1.0 < 1.0.post1, and 1.0 == 1.0.0.
func Compare(a, b V) int {
	n := max(len(a.Release), len(b.Release))
	for i := range n {
		if c := cmp.Compare(at(a.Release, i), at(b.Release, i)); c != 0 {
			return c
		}
	}
	if c := cmp.Compare(a.preKey(), b.preKey()); c != 0 {
		return c
	}
	if a.Pre != "" && b.Pre != "" {
		if c := cmp.Compare(a.PreN, b.PreN); c != 0 {
			return c
		}
	}
	if c := cmp.Compare(a.Post, b.Post); c != 0 {
		return c
	}
	// No dev part sorts after every dev part of the same version.
	return cmp.Compare(devKey(a.Dev), devKey(b.Dev))
}

func at(r []int, i int) int {
	if i < len(r) {
		return r[i]
	}
	return 0
}

// preKey ranks the pre-release phase: a dev release of a final version comes
// before its alphas, a final (or post) release after its candidates.
func (v V) preKey() int {
	switch v.Pre {
	case "a":
		return 1
	case "b":
		return 2
	case "rc":
		return 3
	}
	if v.Post < 0 && v.Dev >= 0 {
		return 0
	}
	return 4
}

func devKey(d int) int {
	if d < 0 {
		return int(^uint(0) >> 1)
	}
	return d
}

// Newest returns the greatest of the versions that parse, and false when
// none does.
func Newest(vs []string) (string, bool) {
	best, bestV, found := "", V{}, false
	for _, s := range vs {
		v, ok := Parse(s)
		if !ok {
			continue
		}
		if !found || Compare(v, bestV) > 0 || (Compare(v, bestV) == 0 && s < best) {
			best, bestV, found = s, v, true
		}
	}
	return best, found
}

// SortDesc sorts names newest first; names that are not versions go last,
// in name order.
func SortDesc(names []string) {
	slices.SortStableFunc(names, func(a, b string) int {
		va, oka := Parse(a)
		vb, okb := Parse(b)
		switch {
		case oka && okb:
			if c := Compare(vb, va); c != 0 {
				return c
			}
			return strings.Compare(a, b)
		case oka:
			return -1
		case okb:
			return 1
		}
		return strings.Compare(a, b)
	})
}
