package dag

import (
	"fmt"
	"io"
	"strings"
)

// dot writes a Graphviz digraph.
func (v *view) dot(w io.Writer) error {
	ew := &errWriter{w: w}
	ew.printf("digraph weld {\n  rankdir=LR;\n  node [shape=box];\n")
	for _, s := range v.steps {
		attrs := ""
		if v.critical[s] {
			attrs = ", style=bold"
		}
		ew.printf("  %s [label=%s%s];\n", dotQuote(s.Label), dotQuote(nodeText(s, "\n")), attrs)
	}
	v.edges(func(dep, s *Step, label string) {
		var attrs []string
		if label != "" {
			attrs = append(attrs, "label="+dotQuote(label))
		}
		if v.critical[dep] && v.critical[s] {
			attrs = append(attrs, "style=bold")
		}
		a := ""
		if len(attrs) > 0 {
			a = " [" + strings.Join(attrs, ", ") + "]"
		}
		ew.printf("  %s -> %s%s;\n", dotQuote(dep.Label), dotQuote(s.Label), a)
	})
	ew.printf("}\n")
	return ew.err
}

// nodeText is a step's label plus its image name, if any.
func nodeText(s *Step, sep string) string {
	if s.Name == "" {
		return s.Label
	}
	return s.Label + sep + s.Name
}

// dotQuote quotes a Graphviz ID; "\n" becomes a centered line break.
func dotQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

// mermaid writes a Mermaid flowchart. Node IDs are s1, s2, … in build
// order, because labels may hold characters Mermaid IDs cannot.
func (v *view) mermaid(w io.Writer) error {
	ew := &errWriter{w: w}
	ids := make(map[*Step]string, len(v.steps))
	ew.printf("flowchart LR\n")
	var critical []string
	for i, s := range v.steps {
		ids[s] = fmt.Sprintf("s%d", i+1)
		ew.printf("  %s[\"%s\"]\n", ids[s], mermaidEscape(nodeText(s, "<br/>")))
		if v.critical[s] {
			critical = append(critical, ids[s])
		}
	}
	v.edges(func(dep, s *Step, label string) {
		arrow := "-->"
		if v.critical[dep] && v.critical[s] {
			arrow = "==>"
		}
		if label != "" {
			arrow += "|\"" + mermaidEscape(label) + "\"|"
		}
		ew.printf("  %s %s %s\n", ids[dep], arrow, ids[s])
	})
	if len(critical) > 0 {
		ew.printf("  classDef critical stroke-width:3px\n  class %s critical\n", strings.Join(critical, ","))
	}
	return ew.err
}

// mermaidEscape makes text safe inside a quoted Mermaid label.
func mermaidEscape(s string) string {
	return strings.NewReplacer(`"`, "#quot;", "|", "#124;").Replace(s)
}
