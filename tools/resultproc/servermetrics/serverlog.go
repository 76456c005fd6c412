package servermetrics

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxLogHead is how much of a server log is read: the capacity lines come
// at start-up, and logs of long runs grow to gigabytes.
const maxLogHead = 64 << 20

// capacity is a token count from a log; Python's ints have no bound, so
// the sums are exact and only the final total must fit in int64.
type capacity = big.Int

// Python's re module, on str patterns, takes \d for any Unicode decimal
// digit and \s for any character str.isspace() accepts; Go's classes are
// ASCII, so the patterns spell those sets out.
const (
	pyDigit = `\p{Nd}`
	pySpace = `[\t\n\v\f\r \x{1c}-\x{1f}\x{85}\p{Z}]`
)

var (
	vllmEngineTagRe = regexp.MustCompile(`\((EngineCore(?:_DP` + pyDigit + `+)?)` + pySpace + `+pid=` + pyDigit + `+\)`)
	vllmKVSizeRe    = regexp.MustCompile(`GPU KV cache size:` + pySpace + `*([\p{Nd},]+)` + pySpace + `*tokens`)
	// The SGLang patterns are bounded by \b in upstream; wordMatch checks
	// the bounds with Python's notion of a word character.
	sglangRankRe      = regexp.MustCompile(`DP` + pyDigit + `+` + pySpace + `+TP` + pyDigit + `+` + pySpace + `+EP` + pyDigit + `+`)
	sglangMaxTokensRe = regexp.MustCompile(`max_total_num_tokens=(` + pyDigit + `+)`)
	sglangDPSizeRe    = regexp.MustCompile(`dp_size=(` + pyDigit + `+)`)
)

// isWordChar is a word character for Python's \b on str patterns:
// str.isalnum() or "_".
func isWordChar(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r)
}

// wordMatch is re.search with the pattern wrapped in \b...\b: the submatch
// indexes of the first match with a word boundary at both ends, or nil.
// The patterns start with a literal that cannot recur inside a match, so
// no boundary-respecting match hides inside a rejected one.
func wordMatch(re *regexp.Regexp, s string) []int {
	for _, m := range re.FindAllStringSubmatchIndex(s, -1) {
		if boundary(s, m[0]) && boundary(s, m[1]) {
			return m
		}
	}
	return nil
}

// boundary is \b at byte offset i: a word character on exactly one side.
func boundary(s string, i int) bool {
	before, after := false, false
	if i > 0 {
		r, _ := utf8.DecodeLastRuneInString(s[:i])
		before = isWordChar(r)
	}
	if i < len(s) {
		r, _ := utf8.DecodeRuneInString(s[i:])
		after = isWordChar(r)
	}
	return before != after
}

// pyDecimal is int() of a run of Unicode decimal digits.
func pyDecimal(s string) *big.Int {
	n := new(big.Int)
	ten := big.NewInt(10)
	for _, r := range s {
		n.Mul(n, ten)
		n.Add(n, big.NewInt(int64(digitValue(r))))
	}
	return n
}

// digitValue is the value of a Unicode decimal digit: they come in runs of
// ten, 0 to 9, sometimes several runs back to back.
func digitValue(r rune) int {
	if r >= '0' && r <= '9' {
		return int(r - '0')
	}
	start := r
	for unicode.Is(unicode.Nd, start-1) {
		start--
	}
	return int(r-start) % 10
}

// splitLines is Python's str.splitlines(): lines end at \n, \r, \r\n, \v,
// \f, \x1c-\x1e, \x85, U+2028 and U+2029.
func splitLines(s string) []string {
	var lines []string
	start := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch r {
		case '\n', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
			lines = append(lines, s[start:i])
			i += size
			start = i
		case '\r':
			lines = append(lines, s[start:i])
			i += size
			if i < len(s) && s[i] == '\n' {
				i++
			}
			start = i
		default:
			i += size
		}
	}
	if start < len(s) {
		lines = append(lines, s[start:])
	}
	return lines
}

// vllmLogCapacity is upstream's VllmBackend.kv_cache_pool_tokens_from_server_log:
// the "GPU KV cache size: N tokens" lines, the last per engine core (a DP
// rank logs as EngineCore_DPn) summed over engines; lines without an engine
// tag are summed as they are. nil when the log has none.
func vllmLogCapacity(text string) (*capacity, error) {
	if text == "" {
		return nil, nil
	}
	perEngine := map[string]*big.Int{}
	var engines []string
	bare, bareFound := new(big.Int), false
	for _, line := range splitLines(text) {
		if !strings.Contains(line, "GPU KV cache size") {
			continue
		}
		m := vllmKVSizeRe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		digits := strings.ReplaceAll(m[1], ",", "")
		if digits == "" {
			continue // int("") fails; upstream skips the line
		}
		tokens := pyDecimal(digits)
		if tokens.Sign() <= 0 {
			continue
		}
		if tag := vllmEngineTagRe.FindStringSubmatch(line); tag != nil {
			if _, seen := perEngine[tag[1]]; !seen {
				engines = append(engines, tag[1])
			}
			perEngine[tag[1]] = tokens
		} else {
			bare.Add(bare, tokens)
			bareFound = true
		}
	}
	if len(engines) > 0 {
		total := new(big.Int)
		for _, e := range engines {
			total.Add(total, perEngine[e])
		}
		return total, nil
	}
	if bareFound {
		return bare, nil
	}
	return nil, nil
}

// sglangLogCapacity is upstream's SglangBackend.kv_cache_pool_tokens_from_server_log:
// max_total_num_tokens per "DPn TPn EPn" rank (the last per rank), summed;
// a log where one rank (or one untagged line) speaks for all is multiplied
// by the server's dp_size. nil when the log has none.
func sglangLogCapacity(text string) (*capacity, error) {
	if text == "" {
		return nil, nil
	}
	perRank := map[string]*big.Int{}
	var ranks []string
	bare, bareCount := new(big.Int), 0
	var dpSize *big.Int
	if m := wordMatch(sglangDPSizeRe, text); m != nil {
		if n := pyDecimal(text[m[2]:m[3]]); n.Sign() > 0 {
			dpSize = n
		}
	}
	for _, line := range splitLines(text) {
		if !strings.Contains(line, "max_total_num_tokens") {
			continue
		}
		m := wordMatch(sglangMaxTokensRe, line)
		if m == nil {
			continue
		}
		tokens := pyDecimal(line[m[2]:m[3]])
		if tokens.Sign() <= 0 {
			continue
		}
		if tag := wordMatch(sglangRankRe, line); tag != nil {
			key := line[tag[0]:tag[1]]
			if _, seen := perRank[key]; !seen {
				ranks = append(ranks, key)
			}
			perRank[key] = tokens
		} else {
			bare.Add(bare, tokens)
			bareCount++
		}
	}
	one := big.NewInt(1)
	if len(ranks) > 0 {
		if dpSize != nil && len(ranks) == 1 && dpSize.Cmp(one) > 0 {
			return new(big.Int).Mul(perRank[ranks[0]], dpSize), nil
		}
		total := new(big.Int)
		for _, r := range ranks {
			total.Add(total, perRank[r])
		}
		return total, nil
	}
	if bareCount == 1 && dpSize != nil && dpSize.Cmp(one) > 0 {
		return new(big.Int).Mul(bare, dpSize), nil
	}
	if bareCount > 0 {
		return bare, nil
	}
	return nil, nil
}

// loadLogHead is upstream's load_server_log_head: the first 64 MiB as
// UTF-8 (bad bytes replaced), NUL characters removed; ok false when the
// file does not exist.
func loadLogHead(path string) (text string, ok bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("reading server log: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxLogHead))
	if err != nil {
		return "", false, fmt.Errorf("reading server log %s: %w", path, err)
	}
	s := strings.ToValidUTF8(string(data), "\uFFFD")
	return strings.ReplaceAll(s, "\x00", ""), true, nil
}

// logCapacity is upstream's sum_server_log_capacities: parse each log and
// add up the capacities found; nil when no log has one.
func logCapacity(paths []string, parse func(string) (*capacity, error)) (any, error) {
	total, found := new(big.Int), false
	for _, path := range paths {
		text, ok, err := loadLogHead(path)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		v, err := parse(text)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if v == nil {
			continue
		}
		total.Add(total, v)
		found = true
	}
	if !found {
		return nil, nil
	}
	if !total.IsInt64() {
		return nil, fmt.Errorf("server logs %s: the GPU KV cache sizes add up to %s tokens, which does not fit in 64 bits", strings.Join(paths, ", "), total)
	}
	return total.Int64(), nil
}

// FindServerLogPaths is upstream's find_server_log_paths: resultDir's
// server.log, then the watchtower-*.out files (multi-node jobs' per-node
// logs) of resultDir and its first three parents, each directory's in name
// order, a file reached twice (by links) kept once. Paths are spelled as
// Python's pathlib spells them (resultDir normalized, ".." kept).
// Directories named like logs are left out: upstream lists them and then
// fails to read them.
func FindServerLogPaths(resultDir string) ([]string, error) {
	dir := newPurePath(resultDir)
	var paths []string
	if direct := dir.join("server.log"); isFile(direct) {
		paths = append(paths, direct)
	}
	roots := append([]purePath{dir}, dir.parents(3)...)
	for _, root := range roots {
		rootStr := root.String()
		if st, err := os.Stat(rootStr); err != nil || !st.IsDir() {
			continue
		}
		entries, err := os.ReadDir(rootStr)
		if err != nil {
			return nil, fmt.Errorf("listing %s for watchtower logs: %w", rootStr, err)
		}
		var names []string
		for _, e := range entries {
			name := e.Name()
			if len(name) >= len("watchtower-.out") && strings.HasPrefix(name, "watchtower-") && strings.HasSuffix(name, ".out") {
				names = append(names, name)
			}
		}
		slices.Sort(names)
		for _, name := range names {
			p := root.join(name)
			if st, err := os.Stat(p); err == nil && st.IsDir() {
				continue
			}
			paths = append(paths, p)
		}
	}
	seen := map[string]bool{}
	var out []string
	for _, p := range paths {
		key := resolve(p)
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, p)
	}
	return out, nil
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// resolve is Path.resolve() for telling files apart: links followed as far
// as they lead, else the absolute path.
func resolve(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		return r
	}
	return abs
}

// purePath is a pathlib.PurePosixPath: empty and "." parts dropped, ".."
// kept (pathlib does not resolve it lexically).
type purePath struct {
	abs   bool
	parts []string
}

func newPurePath(s string) purePath {
	p := purePath{abs: strings.HasPrefix(s, "/")}
	for _, part := range strings.Split(s, "/") {
		if part != "" && part != "." {
			p.parts = append(p.parts, part)
		}
	}
	return p
}

func (p purePath) String() string {
	s := strings.Join(p.parts, "/")
	switch {
	case p.abs:
		return "/" + s
	case s == "":
		return "."
	}
	return s
}

func (p purePath) join(name string) string {
	return purePath{p.abs, append(slices.Clone(p.parts), name)}.String()
}

// parents is path.parents[:n].
func (p purePath) parents(n int) []purePath {
	var out []purePath
	for i := len(p.parts) - 1; i >= 0 && len(out) < n; i-- {
		out = append(out, purePath{p.abs, p.parts[:i]})
	}
	return out
}
