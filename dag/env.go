package dag

import (
	"bytes"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/weld-build/weld/internal/boundedio"
)

// posMap maps a position in the substituted text back to the original text.
type posMap struct {
	// origLine is the original line of each substituted line (by line - 1).
	// It stays nil, meaning line n is original line n, until a value with
	// line breaks adds lines.
	origLine []int
	n        int         // substituted lines so far
	moved    []movedLine // substituted lines whose columns moved, by line
	isMoved  []uint64    // bit set of the lines in moved
}

// movedLine maps the columns of substituted line line.
type movedLine struct {
	line int
	lm   *lineMap
}

// lineMap maps the columns of one substituted line.
type lineMap struct {
	segs []segment // in column order
}

// segment is a run of substituted columns starting at col: a copy of the
// original starting at origCol or, for a substituted value (n runes), a run
// that maps to origCol, where its _env( starts.
type segment struct {
	col, n, origCol int
	subst           bool
}

// addLine records the next substituted line, original line orig.
func (m *posMap) addLine(orig int) {
	m.n++
	if m.origLine == nil && orig == m.n {
		return
	}
	if m.origLine == nil {
		m.origLine = make([]int, m.n-1, m.n+64)
		for i := range m.origLine {
			m.origLine[i] = i + 1
		}
	}
	m.origLine = append(m.origLine, orig)
}

// setMap records the column map of the last line added.
func (m *posMap) setMap(lm *lineMap) {
	m.moved = append(m.moved, movedLine{line: m.n, lm: lm})
	for len(m.isMoved) <= m.n/64 {
		m.isMoved = append(m.isMoved, 0)
	}
	m.isMoved[m.n/64] |= 1 << (m.n % 64)
}

// lineMap returns the column map of a substituted line, or nil.
func (m *posMap) lineMap(line int) *lineMap {
	if line/64 >= len(m.isMoved) || m.isMoved[line/64]&(1<<(line%64)) == 0 {
		return nil
	}
	i, ok := slices.BinarySearchFunc(m.moved, line, func(ml movedLine, line int) int { return ml.line - line })
	if !ok {
		return nil
	}
	return m.moved[i].lm
}

// orig maps a 1-based line:col of the substituted text to the original.
func (m *posMap) orig(line, col int) (int, int) {
	if m == nil || line < 1 {
		return line, col
	}
	origLine := line
	if line-1 < len(m.origLine) {
		origLine = m.origLine[line-1]
	} else if len(m.origLine) > 0 {
		origLine = m.origLine[len(m.origLine)-1] + line - len(m.origLine)
	}
	lm := m.lineMap(line)
	if lm == nil {
		return origLine, col
	}
	for i := len(lm.segs) - 1; i >= 0; i-- {
		s := lm.segs[i]
		switch {
		case col < s.col:
			continue
		case s.subst:
			return origLine, s.origCol
		}
		return origLine, s.origCol + col - s.col
	}
	return origLine, col
}

// envRef is one _env(VAR) found in the text.
type envRef struct {
	name      string
	line, col int
}

// substituteEnv replaces every _env(VAR) outside full-line comments with the
// variable's value. It returns the new text, a map back to the original
// positions, and an error for every unset or malformed variable, except
// that an unset one on a line of keep stays as written.
func substituteEnv(file string, data []byte, lookup func(string) (string, bool), keep map[int]bool) ([]byte, *posMap, ErrorList) {
	if !bytes.Contains(data, []byte("_env(")) {
		return data, nil, nil
	}
	s := &substituter{file: file, lookup: lookup, keep: keep, m: &posMap{}, room: boundedio.MaxBuildFile - len(data)}
	s.out.Grow(len(data) + len(data)/4)
	for n := 1; len(data) > 0; n++ { // lines as bytes.SplitAfter(data, "\n") gives them
		end := bytes.IndexByte(data, '\n') + 1
		if end == 0 {
			end = len(data)
		}
		s.line(n, data[:end])
		data = data[end:]
	}
	return s.out.Bytes(), s.m, s.errs
}

type substituter struct {
	file   string
	lookup func(string) (string, bool)
	keep   map[int]bool // lines where an unset variable stays as written
	out    bytes.Buffer
	m      *posMap
	errs   ErrorList
	room   int // bytes the values may still add (bounded by the build file limit); < 0 once refused
}

// line substitutes one original line (number n).
func (s *substituter) line(n int, line []byte) {
	s.m.addLine(n)
	if !bytes.Contains(line, []byte("_env(")) || isComment(line) {
		s.out.Write(line)
		return
	}
	lm := &lineMap{}
	s.m.setMap(lm)
	col, origCol := 1, 1
	for len(line) > 0 {
		i := bytes.Index(line, []byte("_env("))
		if i < 0 {
			i = len(line)
		}
		lm.segs = append(lm.segs, segment{col: col, origCol: origCol})
		s.out.Write(line[:i])
		col += utf8.RuneCount(line[:i])
		origCol += utf8.RuneCount(line[:i])
		if i == len(line) {
			break
		}
		ref, size := parseRef(line[i:])
		ref.line, ref.col = n, origCol
		v := s.value(ref, line[i:i+size])
		lm.segs = append(lm.segs, segment{col: col, n: utf8.RuneCount(v), origCol: origCol, subst: true})
		s.out.Write(v)
		if bytes.IndexByte(v, '\n') >= 0 {
			s.collapse(n, origCol, v, line[i+size:])
			return
		}
		col += utf8.RuneCount(v)
		origCol += utf8.RuneCount(line[i : i+size])
		line = line[i+size:]
	}
}

// collapse handles a value with newlines: the lines it adds, and the rest
// of the original line, all map to the _env reference at n:origCol. Later
// references on the same line are still substituted.
func (s *substituter) collapse(n, origCol int, v, rest []byte) {
	all := s.substituteRest(n, origCol, rest)
	added := bytes.Count(v, []byte("\n")) + bytes.Count(all, []byte("\n"))
	if bytes.HasSuffix(all, []byte("\n")) {
		added--
	}
	for range added {
		s.m.addLine(n)
		s.m.setMap(&lineMap{segs: []segment{{col: 1, origCol: origCol, subst: true}}})
	}
	s.out.Write(all)
}

// substituteRest substitutes the rest of a line without tracking columns.
func (s *substituter) substituteRest(n, origCol int, rest []byte) []byte {
	var out []byte
	for {
		i := bytes.Index(rest, []byte("_env("))
		if i < 0 {
			return append(out, rest...)
		}
		out = append(out, rest[:i]...)
		ref, size := parseRef(rest[i:])
		ref.line, ref.col = n, origCol
		out = append(out, s.value(ref, rest[i:i+size])...)
		rest = rest[i+size:]
	}
}

// value looks up a reference, recording an error when it is malformed or
// unset.
func (s *substituter) value(ref envRef, raw []byte) []byte {
	if ref.name == "" && len(raw) == len("_env(") {
		return raw // "_env(" without ")": left as written
	}
	pos := Pos{File: s.file, Line: ref.line, Col: ref.col}
	if !validVarName(ref.name) {
		s.errs = append(s.errs, &Error{Pos: pos, Msg: fmt.Sprintf(
			"_env(%s): %q is not a variable name; write _env(NAME) with letters, digits and _", ref.name, ref.name)})
		return nil
	}
	v, ok := s.lookup(ref.name)
	if !ok && s.keep[ref.line] {
		return raw // an overridden secret's value: never used
	}
	if !ok {
		s.errs = append(s.errs, &Error{Pos: pos, Msg: fmt.Sprintf(
			"_env(%s): %s is not set; export it or pass --env %s=VALUE", ref.name, ref.name, ref.name)})
		return nil
	}
	if s.room -= len(v); s.room < 0 {
		if s.room+len(v) >= 0 { // the first reference past the limit
			s.errs = append(s.errs, &Error{Pos: pos, Msg: fmt.Sprintf(
				"_env(%s): the values of _env references make the build file more than %d bytes; pass large values in files, not in the environment", ref.name, boundedio.MaxBuildFile)})
		}
		s.room = -1
		return nil
	}
	return []byte(v)
}

// parseRef reads "_env(NAME)" at the start of b. Without a closing
// parenthesis on the line, size is len("_env(") and name is empty.
func parseRef(b []byte) (envRef, int) {
	rest := b[len("_env("):]
	end := bytes.IndexByte(rest, ')')
	if nl := bytes.IndexByte(rest, '\n'); end < 0 || (nl >= 0 && nl < end) {
		return envRef{}, len("_env(")
	}
	return envRef{name: string(rest[:end])}, len("_env(") + end + 1
}

func validVarName(name string) bool {
	if name == "" {
		return false
	}
	for i, r := range name {
		switch {
		case r == '_', r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// isComment reports whether line holds only a YAML comment.
func isComment(line []byte) bool {
	t := bytes.TrimLeft(line, " \t")
	return len(t) > 0 && t[0] == '#'
}
