package dag

import (
	"bytes"
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/weld-build/weld/internal/boundedio"
)

// Load reads the build file at path and returns the validated Build. Bad
// input comes back as an ErrorList holding every problem found, each at its
// FILE:LINE:COL with File the path as given. The file must be a regular
// file of at most boundedio.MaxBuildFile bytes.
func Load(path string, opts ...Option) (*Build, error) {
	data, err := boundedio.ReadFile(path, boundedio.MaxBuildFile)
	if err != nil {
		return nil, ErrorList{{Pos: Pos{File: path}, Msg: fmt.Sprintf("reading the build file: %v", errCause(err))}}
	}
	return Parse(path, data, opts...)
}

// errCause drops the path that os errors repeat.
func errCause(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// Parse is Load for a build file already in memory; name is its path as
// the user gave it, used for messages and, unless WithWorkDir is given, to
// find the work dir. Dockerfiles and contexts are still checked on disk.
func Parse(name string, data []byte, opts ...Option) (*Build, error) {
	o := makeOptions(opts)
	data = normalizeBreaks(data)
	text, pm, envErrs := substituteEnv(name, data, o.lookup, overriddenValueLines(data, o.overridden))
	l := &loader{file: name, opts: o, d: &decoder{file: name, pm: pm, lines: bytes.Count(text, []byte("\n")) + 1}}
	var doc yaml.Node
	if err := yaml.Unmarshal(text, &doc); err != nil {
		return nil, finish(append(envErrs, syntaxError(name, text, pm, err)), envErrs)
	}
	b := l.load(&doc)
	if errs := finish(append(envErrs, l.errs()...), envErrs); errs != nil {
		return nil, errs
	}
	return b, nil
}

// normalizeBreaks turns every line break YAML knows (CRLF, CR, NEL, LS,
// PS) into LF, so lines are counted one way everywhere.
func normalizeBreaks(data []byte) []byte {
	// NEL is C2 85, LS and PS are E2 80 A8/A9: without '\r', C2 or E2 bytes
	// there is nothing to replace (IndexByte is much faster than ContainsAny).
	if bytes.IndexByte(data, '\r') < 0 && bytes.IndexByte(data, 0xC2) < 0 && bytes.IndexByte(data, 0xE2) < 0 {
		return data
	}
	if !bytes.ContainsAny(data, "\r\u0085\u2028\u2029") {
		return data
	}
	return []byte(breaks.Replace(string(data)))
}

var breaks = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\u0085", "\n", "\u2028", "\n", "\u2029", "\n")

// finish sorts errors into file order. Errors on the line of an unset
// _env(VAR) are dropped: the _env error explains them.
func finish(errs, envErrs ErrorList) error {
	if len(errs) == 0 {
		return nil
	}
	envLines := map[int]bool{}
	for _, e := range envErrs {
		envLines[e.Pos.Line] = true
	}
	out := make(ErrorList, 0, len(errs))
	for _, e := range errs {
		if envLines[e.Pos.Line] && !slices.Contains(envErrs, e) {
			continue
		}
		out = append(out, e)
	}
	sortErrors(out)
	return out
}

// sortErrors orders errors by position; the sort is stable so errors at one
// position keep the order they were found in.
func sortErrors(errs []*Error) {
	slices.SortStableFunc(errs, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Col, b.Pos.Col))
	})
}

// loader carries one Parse through its phases.
type loader struct {
	file  string
	opts  *options
	d     *decoder
	extra ErrorList
	warns []*Error
	fs    *fsChecker
	raw   []*rawStep

	allowed []string // WithAllowedReads, resolved on first use
}

func (l *loader) errs() ErrorList { return append(l.d.errs, l.extra...) }

func (l *loader) errorf(pos Pos, format string, args ...any) {
	l.extra = append(l.extra, &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

func (l *loader) warnf(pos Pos, format string, args ...any) {
	l.warns = append(l.warns, &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

// load runs the phases after YAML parsing: decoding, the disk checks, the
// Dockerfiles, dependency resolution and cycle detection.
func (l *loader) load(doc *yaml.Node) *Build {
	rb := l.d.decodeFile(doc)
	if rb == nil {
		return nil
	}
	l.raw = rb.steps
	b := &Build{File: l.file, Version: rb.version, Steps: make([]*Step, len(rb.steps))}
	for i, rs := range rb.steps {
		b.Steps[i] = rs.step
	}
	if b.WorkDir = l.workDir(rb); b.WorkDir != "" {
		l.checkDisk(rb)
	}
	r := newResolver(l, rb.steps)
	r.resolve()
	l.checkCycles(b, r.deps) // DependsOn holds only resolved labels, so this is sound even after errors
	l.applyPlatforms(b)
	l.warns = append(l.warns, l.d.warns...)
	sortErrors(l.warns)
	b.Warnings = l.warns
	return b
}

// workDir resolves the work dir and checks that it is a folder; it
// returns "" after reporting a problem.
func (l *loader) workDir(rb *rawBuild) string {
	pos, dir := Pos{File: l.file}, l.opts.workDir
	if dir == "" {
		abs, err := filepath.Abs(l.file)
		if err != nil {
			l.errorf(pos, "resolving the build file's folder: %v", err)
			return ""
		}
		dir = filepath.Dir(abs)
		if rb.workDir != "" {
			pos = l.d.pos(rb.workDirNode)
			if dir = l.confinedWorkDir(dir, rb.workDir, rb.workDirNode); dir == "" {
				return ""
			}
		}
	}
	dir, _ = filepath.Abs(dir)
	fs, err := newFSChecker(dir)
	if st, serr := os.Stat(dir); err != nil || serr != nil || !st.IsDir() {
		l.errorf(pos, "work dir %s is not a folder; create it or fix work_dir (or -d)", dir)
		return ""
	}
	l.fs = fs
	return dir
}

// checkDisk resolves and checks every step's paths against the work dir.
func (l *loader) checkDisk(rb *rawBuild) {
	paths := map[[2]string]checkedPaths{} // steps share contexts and Dockerfiles
	for _, rs := range rb.steps {
		l.checkPaths(rs, paths)
		l.checkArtifacts(rs)
		l.checkSecrets(rs)
	}
}

// checkedPaths is what checkPaths finds for one context and Dockerfile.
type checkedPaths struct {
	ctxAbs, ctxMsg, dfAbs, dfMsg string
	ignMsg                       string // the .dockerignore's problem (at the context, or beside the Dockerfile)
	ignAtDockerfile              bool
}

// checkPaths resolves a step's context and Dockerfile; memo holds the
// answers for the pairs seen before.
func (l *loader) checkPaths(rs *rawStep, memo map[[2]string]checkedPaths) {
	s := rs.step
	ctx, df := cmp.Or(rs.context.value, "."), cmp.Or(rs.dockerfile.value, "Dockerfile")
	c, ok := memo[[2]string{ctx, df}]
	if !ok {
		if c.ctxAbs, c.ctxMsg = l.fs.checkContext(ctx); c.ctxMsg == "" {
			c.dfAbs, c.dfMsg = l.fs.checkDockerfile(c.ctxAbs, df)
		}
		if c.dfMsg == "" && c.ctxMsg == "" {
			var found bool // the build reads the first that exists
			if found, c.ignMsg = l.fs.checkIgnoreFile(c.dfAbs + ".dockerignore"); !found {
				_, c.ignMsg = l.fs.checkIgnoreFile(filepath.Join(c.ctxAbs, ".dockerignore"))
			}
			c.ignAtDockerfile = found
		}
		memo[[2]string{ctx, df}] = c
	}
	if c.ctxMsg != "" {
		l.errorf(keyPos(rs.context.pos, s.Pos), "%s", c.ctxMsg)
		return
	}
	s.Context = c.ctxAbs
	if c.dfMsg != "" {
		l.errorf(keyPos(rs.dockerfile.pos, s.Pos), "%s", c.dfMsg)
		return
	}
	s.Dockerfile = c.dfAbs
	if c.ignMsg != "" {
		at := keyPos(rs.context.pos, s.Pos)
		if c.ignAtDockerfile {
			at = keyPos(rs.dockerfile.pos, s.Pos)
		}
		l.errorf(at, "%s", c.ignMsg)
	}
}

// keyPos is where a key is written, or the step's label when the key is
// absent (a default applies).
func keyPos(key, step Pos) Pos {
	if key.Line == 0 {
		return step
	}
	return key
}

// checkArtifacts parses a step's artifacts.
func (l *loader) checkArtifacts(rs *rawStep) {
	for _, r := range rs.artifacts {
		a, msg := l.fs.parseArtifact(r.value)
		if msg != "" {
			l.errorf(r.pos, "%s", msg)
			continue
		}
		a.Pos = r.pos
		rs.step.Artifacts = append(rs.step.Artifacts, a)
	}
}

func (l *loader) checkSecrets(rs *rawStep) {
	s := rs.step
	for i := range s.Secrets {
		sec := &s.Secrets[i]
		if sec.Type != SecretFile || l.opts.overridden[sec.ID] {
			continue
		}
		abs, msg := l.checkSecretFile(sec.ID, sec.Value)
		if msg != "" {
			l.errorf(keyPos(s.Keys["secrets."+sec.ID+".value"], sec.Pos), "%s", msg)
			continue
		}
		sec.Value = abs
	}
}
