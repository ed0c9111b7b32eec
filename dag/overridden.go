package dag

import "gopkg.in/yaml.v3"

// overriddenValueLines are the lines of the `value:` of every secret whose
// id is overridden (WithOverriddenSecrets), read from the raw build file:
// an _env(VAR) there is never used (the secret is served from elsewhere),
// so an unset VAR on such a line is kept as written, not an error. A file
// that does not parse as written gives none (Parse reports what is wrong).
func overriddenValueLines(data []byte, overridden map[string]bool) map[int]bool {
	if len(overridden) == 0 {
		return nil
	}
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return nil
	}
	lines := map[int]bool{}
	steps := mapValue(mapValue(doc.Content[0], "build"), "steps")
	for _, step := range mapValues(steps) {
		secrets := mapValue(step, "secrets")
		if secrets == nil || secrets.Kind != yaml.MappingNode {
			continue
		}
		for i := 0; i+1 < len(secrets.Content); i += 2 {
			if !overridden[secrets.Content[i].Value] {
				continue
			}
			if v := mapValue(secrets.Content[i+1], "value"); v != nil && v.Kind == yaml.ScalarNode && v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
				lines[v.Line] = true
			}
		}
	}
	return lines
}

// mapValue is the value of key in mapping n, or nil.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// mapValues are the values of mapping n.
func mapValues(n *yaml.Node) []*yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	var vs []*yaml.Node
	for i := 1; i < len(n.Content); i += 2 {
		vs = append(vs, n.Content[i])
	}
	return vs
}
