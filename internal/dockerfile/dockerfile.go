package dockerfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// Scratch is the empty base image.
const Scratch = "scratch"

// File is a parsed Dockerfile whose FROM refs are not yet expanded.
type File struct {
	escape  rune
	metas   []instructions.ArgCommand
	stages  []rawStage
	hasVars bool

	mu    sync.Mutex
	cache map[string][]Stage // Stages results by the meta ARG values used
}

type rawStage struct {
	name, base string
	line       int
}

// Stage is one FROM of a Dockerfile, resolved against build args.
type Stage struct {
	// Name is the stage's lower-cased "AS" name; empty when it has none.
	Name string
	// Base is the FROM ref after ARG expansion.
	Base string
	// Line is the 1-based line of the FROM instruction.
	Line int
	// BaseStage is the index of the earlier stage Base names, or -1.
	BaseStage int
}

// MaxInstructions bounds the instructions of a Dockerfile. Real ones hold
// tens; a Dockerfile of hundreds of thousands of RUN lines (within the size
// limit) would cost the parsers, and the daemon, minutes and gigabytes.
const MaxInstructions = 10000

// Parse reads a Dockerfile. It fails on syntax errors, on more than
// MaxInstructions instructions and on a Dockerfile without any FROM.
func Parse(r io.Reader) (*File, error) {
	res, err := parser.Parse(r)
	if err != nil {
		return nil, withLine(err)
	}
	if n := len(res.AST.Children); n > MaxInstructions {
		return nil, fmt.Errorf("the Dockerfile has %d instructions; weld reads at most %d", n, MaxInstructions)
	}
	stages, metas, err := instructions.Parse(res.AST, nil)
	if err != nil {
		return nil, withLine(err)
	}
	if len(stages) == 0 {
		return nil, errors.New("the Dockerfile has no FROM")
	}
	f := &File{escape: res.EscapeToken, metas: metas}
	for _, st := range stages {
		line := 0
		if len(st.Location) > 0 {
			line = st.Location[0].Start.Line
		}
		f.stages = append(f.stages, rawStage{name: st.Name, base: st.BaseName, line: line})
		f.hasVars = f.hasVars || strings.ContainsRune(st.BaseName, '$')
	}
	return f, nil
}

// ParseBytes is Parse over a byte slice.
func ParseBytes(data []byte) (*File, error) { return Parse(bytes.NewReader(data)) }

// Stages expands each FROM with BuildKit's shell lexer, using the ARGs
// declared before the first FROM: their defaults, overridden by buildArgs.
// Results are cached by the values that matter, and shared: callers must not
// modify the returned slice.
func (f *File) Stages(buildArgs map[string]string) ([]Stage, error) {
	key := f.cacheKey(buildArgs)
	f.mu.Lock()
	defer f.mu.Unlock()
	if st, ok := f.cache[key]; ok {
		return st, nil
	}
	st, err := f.expand(buildArgs)
	if err != nil {
		return nil, err
	}
	if f.cache == nil {
		f.cache = map[string][]Stage{}
	}
	f.cache[key] = st
	return st, nil
}

// cacheKey lists the build args that can change the FROM lines: those
// declared as meta ARGs.
func (f *File) cacheKey(buildArgs map[string]string) string {
	if !f.hasVars || len(buildArgs) == 0 {
		return ""
	}
	var sb strings.Builder
	for _, cmd := range f.metas {
		for _, kv := range cmd.Args {
			if v, ok := buildArgs[kv.Key]; ok {
				sb.WriteString(kv.Key + "=" + v + "\x00")
			}
		}
	}
	return sb.String()
}

// expand computes Stages without the cache.
func (f *File) expand(buildArgs map[string]string) ([]Stage, error) {
	var env map[string]string
	if f.hasVars {
		var err error
		if env, err = f.metaArgs(buildArgs); err != nil {
			return nil, err
		}
	}
	lex := shell.NewLex(f.escape)
	byName := make(map[string]int, len(f.stages))
	out := make([]Stage, len(f.stages))
	for i, rs := range f.stages {
		base := rs.base
		if f.hasVars {
			res, err := lex.ProcessWordWithMatches(base, envGetter(env))
			if err != nil {
				return nil, fmt.Errorf("line %d: expanding %q: %w", rs.line, base, err)
			}
			base = res.Result
		}
		if base == "" {
			return nil, fmt.Errorf("line %d: base name (%s) should not be blank", rs.line, rs.base)
		}
		out[i] = Stage{Name: rs.name, Base: base, Line: rs.line, BaseStage: -1}
		if j, ok := byName[base]; ok {
			out[i].BaseStage = j
		}
		if rs.name != "" {
			byName[rs.name] = i
		}
	}
	return out, nil
}

// metaArgs evaluates the ARGs before the first FROM, as BuildKit does.
func (f *File) metaArgs(buildArgs map[string]string) (map[string]string, error) {
	env := defaultArgs()
	lex := shell.NewLex(f.escape)
	for _, cmd := range f.metas {
		for _, kv := range cmd.Args {
			if v, ok := buildArgs[kv.Key]; ok {
				env[kv.Key] = v
				continue
			}
			if kv.Value == nil {
				continue
			}
			res, err := lex.ProcessWordWithMatches(*kv.Value, envGetter(env))
			if err != nil {
				return nil, fmt.Errorf("ARG %s: %w", kv.Key, err)
			}
			env[kv.Key] = res.Result
		}
	}
	return env, nil
}

// defaultArgs are the platform args BuildKit predefines, for this host.
func defaultArgs() map[string]string {
	p := runtime.GOOS + "/" + runtime.GOARCH
	return map[string]string{
		"BUILDPLATFORM": p, "BUILDOS": runtime.GOOS, "BUILDARCH": runtime.GOARCH,
		"TARGETPLATFORM": p, "TARGETOS": runtime.GOOS, "TARGETARCH": runtime.GOARCH,
	}
}

// Target returns the index of the stage a build with target builds: the
// stage named target, or the last one when target is empty.
func Target(stages []Stage, target string) (int, bool) {
	if target == "" {
		return len(stages) - 1, len(stages) > 0
	}
	for i, st := range stages {
		if st.Name == strings.ToLower(target) {
			return i, true
		}
	}
	return -1, false
}

// Root follows stage i through stage aliases (FROM <earlier stage>) and
// returns the stage whose Base is not a stage.
func Root(stages []Stage, i int) Stage {
	for stages[i].BaseStage >= 0 {
		i = stages[i].BaseStage
	}
	return stages[i]
}

// NormalizeName returns the key BuildKit gives a named context for an image
// name: the familiar form of the normalized name, without ":latest".
// Names that are not valid references are returned as they are.
func NormalizeName(name string) string {
	if n, ok := simpleName(name); ok {
		return n
	}
	ref, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return name
	}
	return strings.TrimSuffix(reference.FamiliarString(ref), ":latest")
}

// ValidName reports why name is not a valid image reference, or nil.
func ValidName(name string) error {
	if _, ok := simpleName(name); ok {
		return nil
	}
	_, err := reference.ParseNormalizedNamed(name)
	return err
}

type envGetter map[string]string

func (e envGetter) Get(key string) (string, bool) {
	v, ok := e[key]
	return v, ok
}

func (e envGetter) Keys() []string {
	keys := make([]string, 0, len(e))
	for k := range e {
		keys = append(keys, k)
	}
	return keys
}

// withLine prefixes a parser error with the line it carries, if any.
func withLine(err error) error {
	var le *parser.LocationError
	if errors.As(err, &le) && len(le.Locations) > 0 && len(le.Locations[0]) > 0 {
		return fmt.Errorf("line %d: %w", le.Locations[0][0].Start.Line, err)
	}
	return err
}
