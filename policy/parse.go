package policy

import (
	"slices"

	"github.com/weld-build/weld/internal/yamlx"

	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/weld-build/weld/dag"
)

// topKeys are the keys a policy file may hold.
var topKeys = []string{"allowed_bases", "allowed_frontends", "allowed_sources", "replace", "pin_digests", "rules", "gates",
	"sign", "require_signed_bases", "banned_bases"}

// Parse reads a policy file already in memory; name is its path as the user
// gave it, used in messages and to resolve relative oci-layout:// folders.
// Every problem is reported, as a dag.ErrorList of FILE:LINE:COL errors
// (which wrap dag.ErrInvalid: bad input).
func Parse(name string, data []byte) (*Policy, error) {
	d := &decoder{file: name}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, dag.ErrorList{syntaxError(name, data, err)}
	}
	p := &Policy{File: name, Rules: map[string]Rule{}}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	if root.Kind == 0 || root.Kind == yaml.DocumentNode || isNull(root) {
		return p, nil // an empty file is an empty policy
	}
	for _, kv := range d.mapping(root, "the policy file", topKeys) {
		switch kv.key.Value {
		case "allowed_bases":
			p.HasAllowlist, p.AllowedPos = true, d.pos(kv.val)
			p.AllowedBases = d.patterns(kv.val, "allowed_bases")
		case "allowed_frontends":
			p.FrontendsPos = d.pos(kv.val)
			p.AllowedFrontends = d.patterns(kv.val, "allowed_frontends")
		case "allowed_sources":
			p.HasSources, p.SourcesPos = true, d.pos(kv.val)
			p.AllowedSources = d.sourcePatterns(kv.val)
		case "replace":
			p.Replace = d.replace(kv.val, filepath.Dir(name))
		case "pin_digests":
			p.PinDigests = d.boolean(kv.val, "pin_digests")
		case "rules":
			d.rules(kv.val, p.Rules)
		case "gates":
			p.Gates = d.gates(kv.val)
		case "sign", "require_signed_bases", "banned_bases":
			d.supplyChain(p, kv) // supplychain.go
		}
	}
	if len(d.errs) > 0 {
		return nil, d.errs
	}
	return p, nil
}

// decoder walks yaml.v3 nodes and collects errors at their positions.
type decoder struct {
	file string
	errs dag.ErrorList
}

func (d *decoder) pos(n *yaml.Node) dag.Pos {
	return dag.Pos{File: d.file, Line: n.Line, Col: n.Column}
}

func (d *decoder) errorf(n *yaml.Node, format string, args ...any) {
	d.errs = append(d.errs, &dag.Error{Pos: d.pos(n), Msg: fmt.Sprintf(format, args...)})
}

type pair struct{ key, val *yaml.Node }

// mapping returns a map's pairs, reporting a non-map, non-string keys,
// duplicates and (when known is not nil) unknown keys.
func (d *decoder) mapping(n *yaml.Node, what string, known []string) []pair {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "%s must be a map, not %s", what, kindName(n))
		return nil
	}
	seen := map[string]*yaml.Node{}
	var out []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case k.Kind != yaml.ScalarNode || k.Tag == "!!merge":
			d.errorf(k, "%s has a key that is not a string; write key: value", what)
			continue
		case seen[k.Value] != nil:
			d.errorf(k, "duplicate key %q in %s (first at line %d); remove one", k.Value, what, seen[k.Value].Line)
			continue
		case known != nil && !slices.Contains(known, k.Value):
			d.errorf(k, "unknown key %q in %s%s", k.Value, what, didYouMean(k.Value, known))
			continue
		}
		seen[k.Value] = k
		out = append(out, pair{k, v})
	}
	return out
}

// list returns a sequence's items; null is empty.
func (d *decoder) list(n *yaml.Node, what string) []*yaml.Node {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "%s must be a list, not %s; write one \"- item\" per line", what, kindName(n))
		return nil
	}
	return n.Content
}

// str returns a scalar's text, reporting anything else.
func (d *decoder) str(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || isNull(n) {
		d.errorf(n, "%s must be a string, not %s", what, kindName(n))
		return "", false
	}
	if strings.TrimSpace(n.Value) == "" {
		d.errorf(n, "%s is empty", what)
		return "", false
	}
	return n.Value, true
}

func (d *decoder) boolean(n *yaml.Node, what string) bool {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		b, _ := strconv.ParseBool(strings.ToLower(n.Value))
		return b
	}
	d.errorf(n, "%s must be true or false, not %s", what, kindName(n))
	return false
}

// patterns decodes a list of image patterns (allowed_bases,
// allowed_frontends).
func (d *decoder) patterns(n *yaml.Node, key string) []Pattern {
	out := []Pattern{}
	for i, item := range d.list(n, key) {
		s, ok := d.str(item, fmt.Sprintf("%s[%d]", key, i))
		if !ok {
			continue
		}
		norm, err := normalizePattern(s)
		if err != nil {
			d.errorf(item, "%s[%d] %q: %v", key, i, s, err)
			continue
		}
		out = append(out, Pattern{Text: s, Norm: norm, Pos: d.pos(item)})
	}
	return out
}

// replace decodes replace: REF: REF | oci-layout://DIR[@sha256:…].
func (d *decoder) replace(n *yaml.Node, dir string) []Replacement {
	var out []Replacement
	keys := map[string]*yaml.Node{}
	for _, kv := range d.mapping(n, "replace", nil) {
		key, err := normalize(kv.key.Value)
		if err != nil {
			d.errorf(kv.key, "replace: %q is not an image reference (%v); write REF: NEW_REF or REF: oci-layout://DIR", kv.key.Value, err)
			continue
		}
		if prev := keys[key]; prev != nil {
			d.errorf(kv.key, "replace: %q is the same image as %q (line %d); keep one", kv.key.Value, prev.Value, prev.Line)
			continue
		}
		keys[key] = kv.key
		to, ok := d.str(kv.val, "replace: "+kv.key.Value)
		if !ok {
			continue
		}
		to, err = replacementTarget(to, dir)
		if err != nil {
			d.errorf(kv.val, "replace: %s: %v", kv.key.Value, err)
			continue
		}
		out = append(out, Replacement{From: kv.key.Value, Key: key, To: to, Pos: d.pos(kv.key)})
	}
	return out
}

// replacementTarget checks a replacement and makes a relative layout
// folder relative to the policy file's folder.
func replacementTarget(to, dir string) (string, error) {
	switch {
	case strings.HasPrefix(to, "oci-layout://"):
		p := strings.TrimPrefix(to, "oci-layout://")
		folder, dgst, hasDigest := strings.Cut(p, "@")
		if folder == "" {
			return "", fmt.Errorf("%q names no folder; write oci-layout://DIR[@sha256:…]", to)
		}
		if hasDigest && !digestRE.MatchString(dgst) {
			return "", fmt.Errorf("%q: %q is not a sha256 digest", to, dgst)
		}
		if !filepath.IsAbs(folder) {
			folder = filepath.Join(dir, folder)
		}
		out := "oci-layout://" + folder
		if hasDigest {
			out += "@" + dgst
		}
		return out, nil
	case strings.Contains(to, "://") && !strings.HasPrefix(to, "docker-image://"):
		return "", fmt.Errorf("%q: use an image ref, docker-image://REF or oci-layout://DIR", to)
	}
	if _, err := normalize(strings.TrimPrefix(to, "docker-image://")); err != nil {
		return "", fmt.Errorf("%q is not an image reference (%v)", to, err)
	}
	return to, nil
}

var digestRE = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)

// rules decodes rules: ID: error|warning|off.
func (d *decoder) rules(n *yaml.Node, into map[string]Rule) {
	ids := RuleIDs()
	for _, kv := range d.mapping(n, "rules", nil) {
		if !slices.Contains(ids, kv.key.Value) {
			d.errorf(kv.key, "rules: unknown check %q%s", kv.key.Value, didYouMean(kv.key.Value, ids))
			continue
		}
		s := kv.val.Value
		if kv.val.Kind == yaml.ScalarNode && kv.val.Tag == "!!bool" && strings.EqualFold(s, "false") {
			s = "off"
		}
		sev := Severity(strings.ToLower(s))
		if kv.val.Kind != yaml.ScalarNode || (sev != SeverityError && sev != SeverityWarning && sev != SeverityOff) {
			d.errorf(kv.val, "rules: %s must be error, warning or off, not %s", kv.key.Value, kindName(kv.val))
			continue
		}
		into[kv.key.Value] = Rule{Severity: sev, Pos: d.pos(kv.key)}
	}
}

// gates decodes gates: [{run: "COMMAND {{oci_dir}}"}].
func (d *decoder) gates(n *yaml.Node) []Gate {
	var out []Gate
	for i, item := range d.list(n, "gates") {
		what := fmt.Sprintf("gates[%d]", i)
		var g Gate
		for _, kv := range d.mapping(item, what, []string{"run"}) {
			if run, ok := d.str(kv.val, what+".run"); ok {
				if !strings.Contains(run, OCIDirVar) {
					d.errorf(kv.val, "%s.run %q does not use %s; the gate must scan the image's OCI layout, e.g. \"trivy image --input %s\"", what, run, OCIDirVar, OCIDirVar)
					continue
				}
				g = Gate{Run: run, Pos: d.pos(kv.val)}
			}
		}
		if g.Run == "" && item.Kind == yaml.MappingNode && !hasKey(item, "run") {
			d.errorf(item, "%s has no run: key; write {run: \"COMMAND %s\"}", what, OCIDirVar)
		}
		if g.Run != "" {
			out = append(out, g)
		}
	}
	return out
}

func hasKey(n *yaml.Node, key string) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return true
		}
	}
	return false
}

func isNull(n *yaml.Node) bool                      { return yamlx.IsNull(n) }
func kindName(n *yaml.Node) string                  { return yamlx.KindName(n) }
func didYouMean(word string, known []string) string { return yamlx.DidYouMean(word, known) }

// syntaxError places a yaml.v3 syntax error at its line's first column.
func syntaxError(file string, data []byte, err error) *dag.Error {
	line, col, msg := yamlx.SyntaxPos(data, err)
	return &dag.Error{Pos: dag.Pos{File: file, Line: line, Col: col}, Msg: "YAML syntax: " + msg}
}
