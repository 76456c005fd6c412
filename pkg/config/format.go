package config

import (
	"github.com/inferencex/inferencex-go/pkg/diag"
	"github.com/inferencex/inferencex-go/pkg/yamldoc"
)

// Format is the layout of a master config or runner pool file.
type Format int

const (
	// FormatUnknown is a file that does not show its format (no entries).
	FormatUnknown Format = iota
	// FormatToday is upstream's format since mid 2026: master configs hold
	// scenarios (fixed-seq-len, agentic-coding), runners.yaml holds labels
	// and hardware.
	FormatToday
	// FormatFeb2026 is the format of the original at f0e131f2e: master
	// configs hold seq-len-configs, runners.yaml maps labels to nodes at
	// its top level.
	FormatFeb2026
)

// String is a short name: "today", "feb2026".
func (f Format) String() string {
	switch f {
	case FormatToday:
		return "today"
	case FormatFeb2026:
		return "feb2026"
	}
	return "unknown"
}

// Describe names the format in a sentence.
func (f Format) Describe() string {
	switch f {
	case FormatToday:
		return "today's format (scenarios)"
	case FormatFeb2026:
		return "the Feb-2026 format (seq-len-configs)"
	}
	return "no known format"
}

// detectFormat tells a master config file's format from its entries: one
// with scenarios is today's, one with seq-len-configs the Feb-2026 one. A
// file that mixes them is an error at the first entry that disagrees with
// the first one that decided; a file where no entry says is FormatUnknown
// (the schema then reports what is missing). first is the key of the entry
// that decided.
func detectFormat(doc *yamldoc.Doc) (format Format, first string, problems diag.List) {
	root, ok := doc.Root.(map[string]any)
	if !ok {
		return FormatUnknown, "", nil
	}
	for _, key := range doc.Keys("") {
		entry, ok := root[key].(map[string]any)
		if !ok {
			continue
		}
		_, today := entry["scenarios"]
		_, feb := entry["seq-len-configs"]
		var f Format
		switch {
		case today && feb:
			problems = append(problems, doc.KeyDiag(diag.AppendToken(diag.AppendToken("", key), "seq-len-configs"),
				"an entry has either scenarios (today's format) or seq-len-configs (the Feb-2026 format), not both"))
			continue
		case today:
			f = FormatToday
		case feb:
			f = FormatFeb2026
		default:
			continue
		}
		if format == FormatUnknown {
			format, first = f, key
			continue
		}
		if f != format {
			problems = append(problems, doc.KeyDiag(diag.AppendToken("", key),
				"this entry is in %s but %s (line %d) is in %s: one file holds one format (matrixgen migrate rewrites a Feb-2026 file)",
				f.Describe(), first, doc.KeyPos(diag.AppendToken("", first)).Line, format.Describe()))
		}
	}
	return format, first, problems
}
