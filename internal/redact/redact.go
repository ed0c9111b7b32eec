package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"sort"
)

// MinLen is the shortest value that is redacted.
const MinLen = 6

// minLineLen is the shortest line of a multi-line value that is redacted on
// its own.
const minLineLen = 8

// Secret is one value to redact and the name that replaces it.
type Secret struct {
	// ID names the secret in the output: [secret:ID].
	ID string
	// Value is the secret's value.
	Value []byte
}

// Redactor replaces secrets in text. A nil *Redactor redacts nothing. Its
// methods may be called from many goroutines at once.
type Redactor struct {
	pats    []pattern
	anchors map[uint32][]anchor
	filter  *[1 << filterBits / 64]uint64 // a bit per hash of an anchor's 4 bytes
	byFirst [256][]int32                  // patterns by first byte, for a stream's end
	maxSpan int                           // the most text bytes one match covers
}

// pattern is one form of one value.
type pattern struct {
	b    []byte
	repl []byte
	// wrap: an encoded form, which line breaks in the text may interrupt
	// (at most skips bytes of them).
	wrap  bool
	skips int
}

// anchor says that a pattern has a 4-byte window at offset off.
type anchor struct{ pat, off int32 }

// span is a match: text[start:end] is replaced by pattern pat's repl.
type span struct{ start, end, pat int }

const filterBits = 16

func hash4(w uint32) uint32 { return (w * 0x9E3779B1) >> (32 - filterBits) }

// New returns a Redactor for the secrets, keyed by ID.
func New(secrets map[string][]byte) *Redactor {
	list := make([]Secret, 0, len(secrets))
	for id, v := range secrets {
		list = append(list, Secret{ID: id, Value: v})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	return NewSecrets(list...)
}

// NewSecrets returns a Redactor for the secrets; several may share an ID.
// The first secret that has a form wins where two have the same one.
func NewSecrets(secrets ...Secret) *Redactor {
	r := &Redactor{anchors: map[uint32][]anchor{}, filter: new([1 << filterBits / 64]uint64)}
	seen := map[string]bool{}
	for _, s := range secrets {
		for _, p := range forms(s.Value) {
			if len(p.b) < 4 || seen[string(p.b)] {
				continue
			}
			seen[string(p.b)] = true
			p.repl = []byte("[secret:" + s.ID + "]")
			if bytes.Contains(p.repl, p.b) {
				p.repl = []byte("***") // the marker would show the value
			}
			r.add(p)
		}
	}
	return r
}

func (r *Redactor) add(p pattern) {
	i := int32(len(r.pats))
	r.pats = append(r.pats, p)
	offs := []int32{0}
	if p.wrap && len(p.b) >= 8 {
		// A line break inside the first 4 bytes leaves bytes 4 to 8 whole.
		offs = append(offs, 4)
	}
	for _, off := range offs {
		w := binary.LittleEndian.Uint32(p.b[off:])
		r.anchors[w] = append(r.anchors[w], anchor{pat: i, off: off})
		h := hash4(w)
		r.filter[h/64] |= 1 << (h % 64)
	}
	r.byFirst[p.b[0]] = append(r.byFirst[p.b[0]], i)
	r.maxSpan = max(r.maxSpan, len(p.b)+p.skips)
}

// forms are the patterns of one value: the value and its trimmed form, as
// they are, in hex and in base64; the lines of a multi-line value as they
// are.
func forms(v []byte) []pattern {
	var out []pattern
	wholes := [][]byte{v}
	if t := bytes.TrimSpace(v); len(t) != len(v) {
		wholes = append(wholes, t)
	}
	for _, w := range wholes {
		if len(w) < MinLen {
			continue
		}
		out = append(out, pattern{b: w})
		for _, e := range encodings(w) {
			out = append(out, pattern{b: e, wrap: true, skips: 2 * (len(e)/8 + 1)})
		}
	}
	if bytes.IndexByte(bytes.TrimSpace(v), '\n') >= 0 {
		for _, l := range bytes.Split(v, []byte("\n")) {
			if l = bytes.TrimSpace(l); len(l) >= minLineLen {
				out = append(out, pattern{b: l})
			}
		}
	}
	return out
}

// encodings are the hex and base64 forms of w.
func encodings(w []byte) [][]byte {
	lower := []byte(hex.EncodeToString(w))
	spaced := make([]byte, 0, 3*len(w))
	for i, c := range w {
		if i > 0 {
			spaced = append(spaced, ' ')
		}
		spaced = hex.AppendEncode(spaced, []byte{c})
	}
	out := [][]byte{lower, bytes.ToUpper(lower), spaced, bytes.ToUpper(spaced)}
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		for k := range 3 {
			// w after k bytes: the characters that hold only w's bits.
			in := append(make([]byte, k, k+len(w)), w...)
			e := []byte(enc.EncodeToString(in))
			start, end := (8*k+5)/6, 8*len(in)/6
			out = append(out, e[start:end])
		}
	}
	return out
}

// Empty reports whether r redacts nothing.
func (r *Redactor) Empty() bool { return r == nil || len(r.pats) == 0 }

// Bytes returns b with the secrets replaced; b itself when it holds none.
func (r *Redactor) Bytes(b []byte) []byte {
	if r.Empty() {
		return b
	}
	spans, _ := r.scan(b, false)
	if len(spans) == 0 {
		return b
	}
	return r.replace(nil, b, spans)
}

// String returns s with the secrets replaced.
func (r *Redactor) String(s string) string {
	if r.Empty() || len(s) < 4 {
		return s
	}
	b := []byte(s)
	spans, _ := r.scan(b, false)
	if len(spans) == 0 {
		return s
	}
	return string(r.replace(nil, b, spans))
}

// Strings redacts every string of ss in place and returns ss.
func (r *Redactor) Strings(ss []string) []string {
	for i, s := range ss {
		ss[i] = r.String(s)
	}
	return ss
}

// scan finds the matches in text, merged where they overlap (the earliest,
// then the longest, names the merged span). With hold, it also returns
// where the end of text starts that could still begin a match (len(text)
// when none could): a position in the last maxSpan-1 bytes whose 4 bytes
// are not in the filter and hold no line break begins none.
func (r *Redactor) scan(text []byte, hold bool) ([]span, int) {
	var spans []span
	n := len(text)
	held, lo := n, n
	if hold {
		lo = max(0, n-r.maxSpan+1)
	}
	if n >= 4 {
		// A window of 4 bytes slides over the text; only those whose hash
		// is in the filter are looked up.
		w := binary.LittleEndian.Uint32(text)
		for i := 0; ; i++ {
			h := hash4(w)
			hit := r.filter[h/64]&(1<<(h%64)) != 0
			if hit {
				spans = r.matchAt(text, i, w, spans)
			}
			if i >= lo && held == n && (hit || hasLineBreak(w)) && r.partialAt(text[i:]) {
				held = i
			}
			if i+4 >= n {
				break
			}
			w = w>>8 | uint32(text[i+4])<<24
		}
	}
	for i := max(lo, n-3); i < n && held == n; i++ {
		if r.partialAt(text[i:]) {
			held = i
		}
	}
	return merge(spans), held
}

// partialAt reports whether all of text matches the start of a pattern.
func (r *Redactor) partialAt(text []byte) bool {
	for _, i := range r.byFirst[text[0]] {
		if _, partial := r.pats[i].match(text); partial {
			return true
		}
	}
	return false
}

// matchAt adds the matches whose anchor w is at text[i:].
func (r *Redactor) matchAt(text []byte, i int, w uint32, spans []span) []span {
	for _, a := range r.anchors[w] {
		p := &r.pats[a.pat]
		back := 0
		if a.off > 0 {
			back = 2 // the line break (\n or \r\n) before the anchor
		}
		for d := 0; d <= back; d++ {
			s := i - int(a.off) - d
			if s < 0 {
				break
			}
			if n, _ := p.match(text[s:]); n > 0 {
				spans = append(spans, span{start: s, end: s + n, pat: int(a.pat)})
				break
			}
		}
	}
	return spans
}

// match returns how many bytes of text, from its start, the pattern
// covers, or 0; partial says that text ended while it still matched.
func (p *pattern) match(text []byte) (n int, partial bool) {
	i, j, skipped := 0, 0, 0
	for j < len(p.b) {
		if i >= len(text) {
			return 0, true
		}
		switch c := text[i]; {
		case c == p.b[j]:
			i++
			j++
		case p.wrap && j > 0 && (c == '\n' || c == '\r') && skipped < p.skips:
			i++
			skipped++
		default:
			return 0, false
		}
	}
	return i, false
}

func merge(spans []span) []span {
	if len(spans) < 2 {
		return spans
	}
	slices.SortFunc(spans, func(a, b span) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return b.end - a.end
	})
	out := spans[:1]
	for _, s := range spans[1:] {
		last := &out[len(out)-1]
		if s.start < last.end {
			last.end = max(last.end, s.end)
			continue
		}
		out = append(out, s)
	}
	return out
}

// replace appends text to dst with the spans replaced.
func (r *Redactor) replace(dst, text []byte, spans []span) []byte {
	if dst == nil {
		dst = make([]byte, 0, len(text)+16*len(spans))
	}
	last := 0
	for _, s := range spans {
		dst = append(dst, text[last:s.start]...)
		dst = append(dst, r.pats[s.pat].repl...)
		last = s.end
	}
	return append(dst, text[last:]...)
}

// hasLineBreak reports whether one of the 4 bytes of w is \n or \r.
func hasLineBreak(w uint32) bool { return hasZeroByte(w^0x0a0a0a0a) || hasZeroByte(w^0x0d0d0d0d) }

func hasZeroByte(v uint32) bool { return (v-0x01010101)&^v&0x80808080 != 0 }
