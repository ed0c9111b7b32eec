package report

import (
	"bytes"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/weld-build/weld/internal/boundedio"
)

// maxLine bounds the Dockerfile line the report quotes, in bytes.
const maxLine = 400

// dockerfileLine is line LINE of the Dockerfile at path when source
// (FILE:LINE) names that Dockerfile; "" when it names another file, or the
// file cannot be read.
func dockerfileLine(path, source string) string {
	i := strings.LastIndexByte(source, ':')
	if i < 0 || path == "" || filepath.Base(source[:i]) != filepath.Base(path) {
		return ""
	}
	n, err := strconv.Atoi(source[i+1:])
	if err != nil || n < 1 {
		return ""
	}
	dt, err := boundedio.ReadFile(path, boundedio.MaxDockerfile)
	if err != nil {
		return ""
	}
	lines := bytes.Split(dt, []byte("\n"))
	if n > len(lines) {
		return ""
	}
	line := strings.TrimRight(string(lines[n-1]), "\r")
	if len(line) > maxLine {
		line = line[:maxLine]
		for !utf8.ValidString(line) {
			line = line[:len(line)-1]
		}
		line += "…"
	}
	return strings.ToValidUTF8(line, "\uFFFD")
}

// redact passes every text of the report through f.
func (r *Report) redact(f func(string) string) {
	each := func(ss []string) {
		for i := range ss {
			ss[i] = f(ss[i])
		}
	}
	r.File, r.Error = f(r.File), f(r.Error)
	each(r.CriticalPath)
	for i := range r.Steps {
		s := &r.Steps[i]
		s.Label, s.Image, s.Status, s.Error = f(s.Label), f(s.Image), f(s.Status), f(s.Error)
		s.Source, s.SourceLine, s.Digest, s.Daemon = f(s.Source), f(s.SourceLine), f(s.Digest), f(s.Daemon)
		each(s.Tail)
		each(s.Outputs)
		for j := range s.Platforms {
			pi := &s.Platforms[j]
			pi.Platform, pi.Digest, pi.Daemon = f(pi.Platform), f(pi.Digest), f(pi.Daemon)
		}
		each(s.DependsOn)
	}
	for i := range r.Edges {
		e := &r.Edges[i]
		e.From, e.To = f(e.From), f(e.To)
		each(e.Artifacts)
	}
	for i := range r.Findings {
		x := &r.Findings[i]
		x.Rule, x.Severity, x.Step, x.Source, x.Message = f(x.Rule), f(x.Severity), f(x.Step), f(x.Source), f(x.Message)
	}
	for i := range r.Gates {
		g := &r.Gates[i]
		g.Step, g.Gate, g.Source, g.Message = f(g.Step), f(g.Gate), f(g.Source), f(g.Message)
	}
}
