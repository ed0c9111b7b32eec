package dag

import (
	"github.com/weld-build/weld/internal/yamlx"

	"fmt"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxAliases bounds how many alias dereferences a file may cause, so a
// "billion laughs" file cannot make decoding explode.
const maxAliases = 10000

// decoder walks yaml.v3 nodes, reporting problems at their original
// positions.
type decoder struct {
	file    string
	pm      *posMap
	errs    ErrorList
	warns   []*Error
	aliases int
	lines   int // lines in the text
}

// pos is the original position of a node.
func (d *decoder) pos(n *yaml.Node) Pos {
	line, col := n.Line, n.Column
	if d.lines > 0 && line > d.lines { // a node at the very end of the text
		line, col = d.lines, 1
	}
	l, c := d.pm.orig(max(line, 1), max(col, 1))
	return Pos{File: d.file, Line: l, Col: c}
}

func (d *decoder) errorf(n *yaml.Node, format string, args ...any) {
	d.errs = append(d.errs, &Error{Pos: d.pos(n), Msg: fmt.Sprintf(format, args...)})
}

// resolve follows aliases.
func (d *decoder) resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		d.aliases++
		if d.aliases > maxAliases {
			d.errorf(n, "too many YAML aliases (more than %d); write the values out", maxAliases)
			return nil
		}
		n = n.Alias
	}
	return n
}

// isNull reports whether n is absent or an explicit null.
func isNull(n *yaml.Node) bool { return yamlx.IsNull(n) }

// kindName describes a node's type for messages.
func kindName(n *yaml.Node) string { return yamlx.KindName(n) }

// what names a value in messages: "build.steps", "step s1.args.VERSION".
// It is a value built without allocating, and turned into a string only
// when a message needs it.
type what struct {
	head  string    // "build.steps", or "step " before a step's label
	parts [4]string // joined by "."
	n     int
}

func named(s string) what { return what{head: s} }

// stepWhat is "step LABEL".
func stepWhat(label string) what { return what{head: "step ", parts: [4]string{label}, n: 1} }

// dot is w.key.
func (w what) dot(key string) what {
	if w.n == len(w.parts) {
		return named(w.String() + "." + key)
	}
	w.parts[w.n] = key
	w.n++
	return w
}

func (w what) String() string {
	switch {
	case w.n == 0:
		return w.head
	case w.head == "step ":
		return w.head + strings.Join(w.parts[:w.n], ".")
	}
	return w.head + "." + strings.Join(w.parts[:w.n], ".")
}

// pair is one key: value of a mapping.
type pair struct {
	key, val *yaml.Node
}

// mapping returns a mapping's pairs, appended to buf. It reports a node
// that is not a map, duplicate keys, non-string keys, and (when known is
// not nil) unknown keys with a did-you-mean hint; those pairs are left out.
func (d *decoder) mapping(n *yaml.Node, w what, known []string, buf []pair) []pair {
	n = d.resolve(n)
	if n == nil || isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "%s must be a map, not %s", w, kindName(n))
		return nil
	}
	var seen keySet
	seen.init(len(n.Content) / 2)
	pairs := slices.Grow(buf[:0], len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := d.resolve(n.Content[i]), n.Content[i+1]
		if k == nil || k.Kind != yaml.ScalarNode {
			d.errorf(n.Content[i], "%s has a key that is not a string; write key: value", w)
			continue
		}
		if k.Tag == "!!merge" {
			d.errorf(k, "merge keys (<<) are not supported in %s; write the keys out", w)
			continue
		}
		if prev := seen.add(k); prev != nil {
			d.errorf(k, "duplicate key %q in %s (first at line %d); remove one", k.Value, w, d.pos(prev).Line)
			continue
		}
		if known != nil && !slices.Contains(known, k.Value) {
			d.errorf(k, "unknown key %q in %s%s", k.Value, w, unknownKeyHint(w, k.Value, known))
			continue
		}
		pairs = append(pairs, pair{key: k, val: v})
	}
	return pairs
}

// unknownKeyHint is the hint for an unknown key: a key of build: written at
// the top of the file belongs under build:; any other gets a did-you-mean.
func unknownKeyHint(w what, key string, known []string) string {
	if w == topWhat && slices.Contains(buildKeys, key) {
		return fmt.Sprintf("; %s belongs under build: (indent it under a build: key, as build.%s)", key, key)
	}
	return didYouMean(key, known)
}

// str decodes a scalar as a string; null is "".
func (d *decoder) str(n *yaml.Node, w what) (string, bool) {
	n = d.resolve(n)
	switch {
	case n == nil:
		return "", false
	case isNull(n):
		return "", true
	case n.Kind != yaml.ScalarNode:
		d.errorf(n, "%s must be a string, not %s", w, kindName(n))
		return "", false
	}
	return n.Value, true
}

// boolean decodes a YAML bool (true or false).
func (d *decoder) boolean(n *yaml.Node, w what) (bool, bool) {
	n = d.resolve(n)
	if n == nil {
		return false, false
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		b, err := strconv.ParseBool(strings.ToLower(n.Value))
		return b, err == nil
	}
	d.errorf(n, "%s must be true or false, not %s", w, kindName(n))
	return false, false
}

// list calls f with the items of a sequence of scalars, numbered from 0;
// null is empty. A single item of the wrong kind is reported and left out
// (and not counted).
func (d *decoder) list(n *yaml.Node, w what, f func(i int, item *yaml.Node)) {
	n = d.resolve(n)
	if n == nil || isNull(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "%s must be a list, not %s; write it as [a, b] or one \"- item\" per line", w, kindName(n))
		return
	}
	k := 0
	for i, item := range n.Content {
		item = d.resolve(item)
		if item == nil {
			continue
		}
		if item.Kind != yaml.ScalarNode || isNull(item) {
			d.errorf(item, "%s[%d] must be a string, not %s", w, i, kindName(item))
			continue
		}
		f(k, item)
		k++
	}
}

// syntaxError turns a yaml.v3 error into an Error at its original line,
// pointing at the line's first non-blank column.
func syntaxError(file string, data []byte, pm *posMap, err error) *Error {
	line, col, msg := yamlx.SyntaxPos(data, err)
	l, c := pm.orig(line, col)
	return &Error{Pos: Pos{File: file, Line: l, Col: c}, Msg: "YAML syntax: " + msg}
}

// keySet finds duplicate keys: by linear search in small maps (most of
// them), by a map in large ones. Its zero value is ready for small maps.
type keySet struct {
	small [16]*yaml.Node
	n     int
	large map[string]*yaml.Node
}

// init prepares the set for n keys.
func (s *keySet) init(n int) {
	if n > len(s.small) {
		s.large = make(map[string]*yaml.Node, n)
	}
}

// add records k and returns the earlier key with the same value, if any.
func (s *keySet) add(k *yaml.Node) *yaml.Node {
	if s.large != nil {
		if prev, ok := s.large[k.Value]; ok {
			return prev
		}
		s.large[k.Value] = k
		return nil
	}
	for _, prev := range s.small[:s.n] {
		if prev.Value == k.Value {
			return prev
		}
	}
	if s.n == len(s.small) { // more keys than init was told of
		s.large = make(map[string]*yaml.Node, 2*s.n)
		for _, prev := range s.small[:s.n] {
			s.large[prev.Value] = prev
		}
		s.large[k.Value] = k
		return nil
	}
	s.small[s.n] = k
	s.n++
	return nil
}
