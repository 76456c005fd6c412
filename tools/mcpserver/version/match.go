package version

import (
	"fmt"
	"slices"
	"strings"
)

// Match is the tag chosen for a requested version.
type Match struct {
	Tag string
	// Note says why the tag is not an exact spelling of the request, e.g.
	// that a post-release was served from its base release's tag. Empty for
	// an exact match.
	Note string
}

// NoTagError says that no tag names a version; Nearest lists the tags
// closest to it, newest first.
type NoTagError struct {
	Want    string
	Nearest []string
}

func (e *NoTagError) Error() string {
	msg := fmt.Sprintf("no tag matches version %q", e.Want)
	if len(e.Nearest) > 0 {
		msg += " (nearest tags: " + strings.Join(e.Nearest, ", ") + ")"
	}
	return msg
}

// FindTag picks the tag of tags that names want. In order it tries: a tag
// spelt exactly like want; a tag that is the same version however spelt
// (v0.13.0 for 0.13.0, v1.0.0-rc1 for 1.0.0rc1, v1.0 for 1.0.0); and, for a
// post-release that was never tagged (images are often rebuilt as .postN
// without a source tag), the tag of the release it rebuilds, saying so in
// Note. Anything else is a *NoTagError: it never guesses a different
// release.
func FindTag(tags []string, want string) (Match, error) {
	want = strings.TrimSpace(want)
	if slices.Contains(tags, want) {
		return Match{Tag: want}, nil
	}
	wv, ok := Parse(want)
	if !ok {
		return Match{}, &NoTagError{Want: want, Nearest: nearestByName(tags, want)}
	}
	if t := bestEqual(tags, wv); t != "" {
		return Match{Tag: t}, nil
	}
	if wv.Post >= 0 || wv.Dev >= 0 {
		if t := bestEqual(tags, wv.Base()); t != "" {
			return Match{Tag: t, Note: fmt.Sprintf("no tag for %s; using %s, the release it was built from", want, t)}, nil
		}
	}
	return Match{}, &NoTagError{Want: want, Nearest: nearest(tags, wv)}
}

// bestEqual returns the tag equal to v as a version, preferring the
// conventional v-prefixed spelling, then the shortest, then name order.
func bestEqual(tags []string, v V) string {
	var eq []string
	for _, t := range tags {
		if tv, ok := Parse(t); ok && Compare(tv, v) == 0 {
			eq = append(eq, t)
		}
	}
	if len(eq) == 0 {
		return ""
	}
	slices.SortFunc(eq, func(a, b string) int {
		av, bv := strings.HasPrefix(a, "v"), strings.HasPrefix(b, "v")
		if av != bv {
			if av {
				return -1
			}
			return 1
		}
		if len(a) != len(b) {
			return len(a) - len(b)
		}
		return strings.Compare(a, b)
	})
	return eq[0]
}

const nearestN = 5

// nearest lists tags around v in version order: up to nearestN, newest
// first, taken from both sides of where v would sit.
func nearest(tags []string, v V) []string {
	var vs []string
	for _, t := range tags {
		if _, ok := Parse(t); ok {
			vs = append(vs, t)
		}
	}
	SortDesc(vs)
	// i = first tag older than v.
	i := slices.IndexFunc(vs, func(t string) bool {
		tv, _ := Parse(t)
		return Compare(tv, v) < 0
	})
	if i < 0 {
		i = len(vs)
	}
	lo, hi := max(0, i-nearestN/2), min(len(vs), i+(nearestN+1)/2)
	for hi-lo < nearestN && (lo > 0 || hi < len(vs)) {
		if lo > 0 {
			lo--
		}
		if hi-lo < nearestN && hi < len(vs) {
			hi++
		}
	}
	return slices.Clone(vs[lo:hi])
}

// nearestByName lists tags containing want, for requests that are not
// versions at all (a misspelt branch-like tag name).
func nearestByName(tags []string, want string) []string {
	w := strings.ToLower(want)
	var out []string
	for _, t := range tags {
		if w != "" && strings.Contains(strings.ToLower(t), w) {
			out = append(out, t)
		}
	}
	SortDesc(out)
	if len(out) > nearestN {
		out = out[:nearestN]
	}
	return out
}
