package dag

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// text writes the plan for people: build order, one block per step.
func (v *view) text(w io.Writer) error {
	tw := &errWriter{w: w}
	tw.printf("%d steps in build order; * marks the longest path (%s)\n",
		len(v.steps), strings.Join(pathLabels(v.path), " → "))
	width := 0
	for _, s := range v.steps {
		width = max(width, len(s.Label))
	}
	for i, s := range v.steps {
		mark := " "
		if v.critical[s] {
			mark = "*"
		}
		tw.printf("\n%2d %s %-*s  %s\n", i+1, mark, width, s.Label, imageText(s))
		v.details(tw, s)
	}
	return tw.err
}

// imageText describes a step's image name and whether it is published.
func imageText(s *Step) string {
	switch {
	case s.Name == "":
		return "(no image name)"
	case !s.Publish:
		return s.Name + " (not published)"
	}
	return s.Name
}

// details writes the indented lines under a step.
func (v *view) details(tw *errWriter, s *Step) {
	line := func(key, val string) {
		if key != "" {
			key += ":"
		}
		if val != "" {
			tw.printf("       %-11s %s\n", key, val)
		}
	}
	line("depends on", v.dependsText(s))
	line("dockerfile", v.rel(s.Dockerfile)+targetText(s))
	if size, ok := v.sizes[s.Label]; ok {
		line("context", v.rel(s.Context)+"  ("+size.String()+")")
	} else if v.rel(s.Context) != "." {
		line("context", v.rel(s.Context))
	}
	line("bases", basesText(s))
	line("from", finalBaseText(s))
	line("platforms", strings.Join(s.Platforms, ", "))
	for i, a := range s.Artifacts {
		key := ""
		if i == 0 {
			key = "artifacts"
		}
		line(key, a.Source+" → "+a.Path())
	}
}

func (v *view) dependsText(s *Step) string {
	parts := make([]string, len(s.DependsOn))
	for i, d := range s.DependsOn {
		parts[i] = d
		if slices.Contains(s.FromSteps, d) {
			parts[i] += " (FROM)"
		}
	}
	return strings.Join(parts, ", ")
}

func targetText(s *Step) string {
	if s.Target == "" {
		return ""
	}
	return " (target " + s.Target + ")"
}

func basesText(s *Step) string {
	refs := make([]string, len(s.Bases))
	for i, b := range s.Bases {
		refs[i] = b.Ref
	}
	return strings.Join(refs, ", ")
}

// finalBaseText names the built stage's base when it is not an external
// image listed under bases.
func finalBaseText(s *Step) string {
	switch {
	case s.FinalBase.Scratch:
		return "scratch"
	case s.FinalBase.Step != "":
		return "step " + s.FinalBase.Step
	}
	return ""
}

// errWriter keeps the first write error, so rendering code stays flat.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
