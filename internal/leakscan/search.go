package leakscan

import (
	"bytes"
	"sort"
	"strings"
)

// matcher finds every form of every secret in one pass over the bytes: an
// Aho-Corasick automaton over byte classes, made a DFA, that folds ASCII
// case and skips whitespace. A match of the folded bytes is then checked
// against the bytes as they are, kept in a window of what came last, to tell
// "raw" from "case-folded" and to drop a base64 match whose case differs.
type matcher struct {
	class  [256]uint32 // a byte's class; letters of either case share one
	nclass uint32
	delta  []uint32  // state+class → next state; states are premultiplied by nclass
	first  uint32    // states from first on end at least one key
	outs   [][]int32 // (state-first)/nclass → the keys that end there
	keys   []key
	forms  []form
	window int // the bytes a stream keeps to check a match that spans writes
}

// key is the folded bytes of one or more forms.
type key struct {
	b     []byte
	forms []int
}

const (
	classOther = 0 // a byte in no key
	classSpace = 1 // whitespace: the automaton stays where it is
)

// newMatcher builds the automaton for the forms.
func newMatcher(fs []form) *matcher {
	m := &matcher{forms: fs, nclass: 2}
	index := map[string]int{}
	for i, f := range fs {
		k := make([]byte, len(f.b))
		for j, b := range f.b {
			k[j] = lower(b)
		}
		ki, ok := index[string(k)]
		if !ok {
			ki = len(m.keys)
			index[string(k)] = ki
			m.keys = append(m.keys, key{b: k})
		}
		m.keys[ki].forms = append(m.keys[ki].forms, i)
		m.window = max(m.window, 2*len(k)+64)
	}
	for b := range 256 {
		if isSpace(byte(b)) {
			m.class[b] = classSpace
		}
	}
	for _, k := range m.keys {
		for _, b := range k.b {
			if m.class[b] == classOther {
				m.class[b] = m.nclass
				m.nclass++
			}
		}
	}
	for b := 'A'; b <= 'Z'; b++ {
		m.class[b] = m.class[b+'a'-'A']
	}
	m.build()
	return m
}

// build makes the trie of the keys, its failure links and then the DFA,
// with the states that end a key numbered last.
func (m *matcher) build() {
	nc := int(m.nclass)
	next := make([]int32, nc) // the trie, then the DFA; -1: no edge yet
	for i := range next {
		next[i] = -1
	}
	outs := [][]int32{nil}
	for ki, k := range m.keys {
		s := 0
		for _, b := range k.b {
			c := int(m.class[b])
			if next[s*nc+c] < 0 {
				next[s*nc+c] = int32(len(outs))
				outs = append(outs, nil)
				for range nc {
					next = append(next, -1)
				}
			}
			s = int(next[s*nc+c])
		}
		outs[s] = append(outs[s], int32(ki))
	}
	n := len(outs)
	fail := make([]int32, n)
	order := make([]int32, 0, n)
	for c := range nc {
		if v := next[c]; v < 0 {
			next[c] = 0
		} else {
			order = append(order, v)
		}
	}
	for i := 0; i < len(order); i++ {
		u := int(order[i])
		for c := range nc {
			v := next[u*nc+c]
			f := next[int(fail[u])*nc+c]
			if v < 0 {
				next[u*nc+c] = f
				continue
			}
			fail[v] = f
			outs[v] = append(outs[v], outs[f]...)
			order = append(order, v)
		}
	}
	m.renumber(next, outs)
}

// renumber writes the DFA with the states that end a key last, premultiplied
// by the number of classes, whitespace looping on every state.
func (m *matcher) renumber(next []int32, outs [][]int32) {
	nc := int(m.nclass)
	n := len(outs)
	perm := make([]uint32, n)
	plain := 0
	for s := range n {
		if len(outs[s]) == 0 {
			perm[s] = uint32(plain)
			plain++
		}
	}
	m.outs = make([][]int32, n-plain)
	for s, o := 0, plain; s < n; s++ {
		if len(outs[s]) > 0 {
			perm[s] = uint32(o)
			m.outs[o-plain] = outs[s]
			o++
		}
	}
	m.first = uint32(plain * nc)
	m.delta = make([]uint32, n*nc)
	for s := range n {
		row := int(perm[s]) * nc
		for c := range nc {
			m.delta[row+c] = perm[next[s*nc+c]] * uint32(nc)
		}
		m.delta[row+classSpace] = uint32(row)
	}
}

// stream runs the matcher over bytes written to it, and notes which
// encodings of which secrets it found.
type stream struct {
	m     *matcher
	s     uint32
	tail  []byte
	found map[string]uint8 // id "\x00" encoding → the parts found
	spans [][2]int         // where the matches are in the bytes of one Write, for names
	buf   []byte
}

func (m *matcher) stream() *stream {
	return &stream{m: m, tail: make([]byte, 0, m.window), found: map[string]uint8{}}
}

func (st *stream) reset() {
	st.s, st.tail, st.spans = 0, st.tail[:0], st.spans[:0]
	clear(st.found)
}

// Write implements io.Writer; it never fails.
func (st *stream) Write(p []byte) (int, error) {
	delta, class, first := st.m.delta, &st.m.class, st.m.first
	s := st.s
	for i, b := range p {
		s = delta[s+class[b]]
		if s >= first {
			st.s = s
			st.hit(p, i)
		}
	}
	st.s = s
	st.keep(p)
	return len(p), nil
}

// hit checks each key that ends at p[end] against the bytes as they are.
// When the bytes are no longer in the window (much whitespace), the match
// counts as exact.
func (st *stream) hit(p []byte, end int) {
	m := st.m
	for _, ki := range m.outs[(st.s-m.first)/m.nclass] {
		k := &m.keys[ki]
		got, start, ok := st.back(p, end, len(k.b))
		if start >= 0 {
			st.spans = append(st.spans, [2]int{start, end + 1})
		}
		for _, fi := range k.forms {
			f := &m.forms[fi]
			switch {
			case !ok || bytes.Equal(got, f.b):
				st.mark(f.id, f.enc, f.part)
				if f.fold != "" {
					st.mark(f.id, f.fold, f.part)
				}
			case f.fold != "":
				st.mark(f.id, f.fold, f.part)
			}
		}
	}
}

// back returns the n bytes, whitespace left out, that end at p[end], and
// where they start in p (-1 when they start in the window of earlier bytes).
func (st *stream) back(p []byte, end, n int) ([]byte, int, bool) {
	got, start := st.buf[:0], -1
	for i := end; i >= 0 && len(got) < n; i-- {
		if !isSpace(p[i]) {
			got, start = append(got, p[i]), i
		}
	}
	for i := len(st.tail) - 1; i >= 0 && len(got) < n; i-- {
		if !isSpace(st.tail[i]) {
			got, start = append(got, st.tail[i]), -1
		}
	}
	for i, j := 0, len(got)-1; i < j; i, j = i+1, j-1 {
		got[i], got[j] = got[j], got[i]
	}
	st.buf = got
	return got, start, len(got) == n
}

func (st *stream) mark(id, enc string, part uint8) {
	st.found[id+"\x00"+enc] |= part
}

// keep keeps the last window bytes seen.
func (st *stream) keep(p []byte) {
	w := st.m.window
	if len(p) >= w {
		st.tail = append(st.tail[:0], p[len(p)-w:]...)
		return
	}
	st.tail = append(st.tail, p...)
	if len(st.tail) > w {
		st.tail = st.tail[:copy(st.tail, st.tail[len(st.tail)-w:])]
	}
}

// hit is an encoding of a secret found.
type hit struct{ id, enc string }

// hits returns what was found: a secret whole, or both its head and tail in
// one encoding. A raw find makes its case-folded one redundant.
func (st *stream) hits() []hit {
	var out []hit
	for k, parts := range st.found {
		if parts&partWhole == 0 && parts&(partHead|partTail) != partHead|partTail {
			continue
		}
		id, enc, _ := strings.Cut(k, "\x00")
		if enc == encFolded {
			if raw := st.found[id+"\x00"+encRaw]; raw&partWhole != 0 || raw&(partHead|partTail) == partHead|partTail {
				continue
			}
		}
		out = append(out, hit{id, enc})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id+"\x00"+out[i].enc < out[j].id+"\x00"+out[j].enc })
	return out
}

// name scans one name (a file name, a link target, a header) and returns
// what it holds and the name with every match replaced, so that a report
// never prints one.
func (m *matcher) name(st *stream, b string) ([]hit, string) {
	st.reset()
	st.Write([]byte(b))
	hits := st.hits()
	if len(st.spans) == 0 {
		return hits, b
	}
	sort.Slice(st.spans, func(i, j int) bool { return st.spans[i][0] < st.spans[j][0] })
	var out strings.Builder
	at := 0
	for _, sp := range st.spans {
		if sp[1] <= at {
			continue
		}
		if sp[0] >= at {
			out.WriteString(b[at:sp[0]])
			out.WriteString("<secret>")
		}
		at = sp[1]
	}
	out.WriteString(b[at:])
	return hits, out.String()
}
