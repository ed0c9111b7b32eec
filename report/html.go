package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
)

//go:embed report.html.tmpl
var pageText string

// page is html/template's: it escapes every value for where it lands
// (text, attribute, RCDATA), so no label or error can add markup.
var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"f1":          func(f float64) string { return fmt.Sprintf("%.1f", f) },
	"secs":        seconds,
	"short":       shortDigest,
	"statusClass": statusClass,
	"percent":     percent,
	"join":        strings.Join,
}).Parse(pageText))

// phaseNames are the phases in the legend, in order, with what they mean.
var phaseNames = []struct{ Name, Meaning string }{
	{"queued", "waiting for a slot (--jobs) and its dependencies"},
	{"frontend", "session start, Dockerfile to LLB (and waiting for dependencies)"},
	{"solve", "BuildKit runs the steps"},
	{"export", "the image exported once, into this run's staging"},
	{"checks", "command and tests; leak scan and gates on the exported image"},
	{"wait", "built, waiting for every other step (all or nothing)"},
	{"publish", "every output published from the staged image"},
}

// view is what the template renders.
type view struct {
	R      *Report
	Gantt  gantt
	DAG    dagView
	Phases []struct{ Name, Meaning string }
	Failed []Step
}

// WriteHTML writes the report as one self-contained HTML page.
func (r *Report) WriteHTML(w io.Writer) error {
	v := view{R: r, Gantt: newGantt(r), DAG: newDAG(r), Phases: phaseNames}
	for _, s := range r.Steps {
		if s.Error != "" || len(s.Tail) > 0 {
			v.Failed = append(v.Failed, s)
		}
	}
	return page.Execute(w, v)
}

// seconds formats a duration in seconds for people.
func seconds(f float64) string {
	if f < 10 {
		return fmt.Sprintf("%.2f s", f)
	}
	return fmt.Sprintf("%.1f s", f)
}

// shortDigest is a digest's algorithm and first 12 hex digits.
func shortDigest(d string) string {
	alg, hex, ok := strings.Cut(d, ":")
	if !ok || len(hex) <= 12 {
		return d
	}
	return alg + ":" + hex[:12]
}

// statusClass maps a status to one of a fixed set of CSS classes.
func statusClass(s string) string {
	switch s {
	case "done", StatusSucceeded:
		return "ok"
	case StatusFailed, "publish failed":
		return "bad"
	case "canceled", StatusInterrupted:
		return "stopped"
	}
	return "other"
}

// percent is part of whole, in percent.
func percent(part, whole float64) string {
	if whole <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f%%", 100*part/whole)
}
