// Package report turns a build's plan and result into a build report: a
// versioned JSON document (Report, WriteJSON, Read) and one self-contained
// HTML page (WriteHTML) with a Gantt chart of every step's phases on one
// time axis, the critical path drawn over it, the figure "wall time vs
// critical path", each step's status, cache hits, digest, outputs and
// failure, the DAG, and the policy findings and gate results.
//
// The page loads nothing: its CSS and SVG are inline, it has no script, and
// its Content-Security-Policy forbids scripts and every fetch. Everything
// that comes from input (labels, errors, Dockerfile lines) is escaped by
// html/template. Report never prints and never exits; the text it holds is
// the Result's, which the builder has redacted, passed once more through
// the redactor given to Build.
package report
