package policy

import (
	"fmt"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/weld-build/weld/internal/dockerfile"
)

// weldFindings runs weld's rules for published images on one step.
func (r *reader) weldFindings(src *source, p *Policy) Findings {
	var out Findings
	add := func(rule string, line int, format string, args ...any) {
		out = append(out, Finding{Rule: rule, Severity: SeverityWarning, Step: src.step.Label, Pos: src.pos(line), Message: fmt.Sprintf(format, args...)})
	}
	for i, st := range src.stages {
		if r.external(src, st) {
			if msg := unpinned(st.Base, p); msg != "" {
				add(RuleUnpinnedBase, st.Line, "%s", msg)
			}
		}
		ev := newExpander(src, i)
		for _, c := range src.inst[i].Commands {
			switch c := c.(type) {
			case *instructions.AddCommand:
				for _, s := range c.SourcePaths {
					if isRemote(s) && c.Checksum == "" {
						add(RuleRemoteAdd, line(c), "ADD of the remote URL %s: its content can change under the same Dockerfile; download it in a RUN step and check its digest, or add --checksum=sha256:…", s)
					}
				}
			case *instructions.ArgCommand:
				for _, kv := range c.Args {
					val := ""
					if kv.Value != nil {
						val = *kv.Value
					}
					out = append(out, secretFindings(src, line(c), "ARG", kv.Key, ev.expand(val))...)
					ev.set(kv.Key, val)
				}
			case *instructions.EnvCommand:
				for _, kv := range c.Env {
					out = append(out, secretFindings(src, line(c), "ENV", kv.Key, ev.expand(kv.Value))...)
					ev.set(kv.Key, kv.Value)
				}
			}
		}
	}
	for _, i := range chain(src.stages, src.target) {
		ev := newExpander(src, i)
		for _, c := range src.inst[i].Commands {
			if e, ok := c.(*instructions.ExposeCommand); ok {
				for _, port := range e.Ports {
					if p := ev.expand(port); p == "22" || strings.HasPrefix(p, "22/") {
						add(RuleExposeSSH, line(c), "EXPOSE %s publishes the SSH port; do not run an SSH server in the image (use docker exec or kubectl exec)", port)
					}
				}
			}
		}
	}
	if u, at := r.finalUser(src, map[string]bool{}); isRoot(u) {
		what := "has no USER, so it runs as root"
		if u != "" {
			what = "runs as root (USER " + u + ")"
		}
		add(RuleRootUser, at, "the published image %s; add a USER with a non-zero uid (e.g. USER 65532:65532) to the final stage", what)
	}
	return out
}

// line is an instruction's first line.
func line(c instructions.Command) int {
	if l := c.Location(); len(l) > 0 {
		return l[0].Start.Line
	}
	return 0
}

// chain lists stage i and the stages it builds on through FROM <stage>,
// from the root.
func chain(stages []dockerfile.Stage, i int) []int {
	var out []int
	for ; i >= 0; i = stages[i].BaseStage {
		out = append([]int{i}, out...)
	}
	return out
}

// finalUser returns the USER the built stage runs as ("" for none, which
// is root) and the line to report: the last USER, else the FROM. A stage
// without USER inherits from the stage or step it is built on; an external
// base counts as root, since weld cannot read its config offline.
func (r *reader) finalUser(src *source, seen map[string]bool) (string, int) {
	stages := chain(src.stages, src.target)
	for k := len(stages) - 1; k >= 0; k-- {
		i := stages[k]
		ev := newExpander(src, i)
		user, at := "", 0
		for _, c := range src.inst[i].Commands {
			switch c := c.(type) {
			case *instructions.UserCommand:
				user, at = ev.expand(c.User), line(c)
			case *instructions.ArgCommand:
				for _, kv := range c.Args {
					if kv.Value != nil {
						ev.set(kv.Key, *kv.Value)
					}
				}
			case *instructions.EnvCommand:
				for _, kv := range c.Env {
					ev.set(kv.Key, kv.Value)
				}
			}
		}
		if at > 0 {
			return user, at
		}
	}
	root := src.stages[stages[0]]
	if dep := r.fromStep(src, root); dep != nil && !seen[dep.Label] {
		seen[dep.Label] = true
		if parent, err := r.source(dep); err == nil {
			if u, _ := r.finalUser(parent, seen); !isRoot(u) {
				return u, root.Line
			}
		}
	}
	return "", root.Line
}

// isRoot reports whether a USER value means uid 0.
func isRoot(u string) bool {
	name, _, _ := strings.Cut(strings.TrimSpace(u), ":")
	return name == "" || name == "root" || name == "0"
}

// isRemote reports whether an ADD source is fetched from the network.
func isRemote(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") ||
		strings.HasPrefix(l, "git@") || strings.HasPrefix(l, "git://") || strings.HasSuffix(strings.SplitN(l, "#", 2)[0], ".git")
}

// unpinned explains why a base is not pinned ("" when it is): the latest
// tag, or no tag and no digest. A base the policy replaces with a tagged
// ref or an OCI layout is judged by its replacement.
func unpinned(ref string, p *Policy) string {
	check := ref
	if rep, ok := p.Replacement(ref); ok {
		if rep.IsLayout() {
			return ""
		}
		check = strings.TrimPrefix(rep.To, "docker-image://")
	}
	named, err := reference.ParseNormalizedNamed(check)
	if err != nil {
		return ""
	}
	if _, ok := named.(reference.Digested); ok {
		return ""
	}
	tagged, ok := named.(reference.Tagged)
	switch {
	case !ok:
		return fmt.Sprintf("base %s has no tag, so it means latest, whatever that is on the day of the build; name a version (and a digest with pin_digests)", check)
	case tagged.Tag() == "latest":
		return fmt.Sprintf("base %s uses the latest tag, whatever that is on the day of the build; name a version", check)
	}
	return ""
}

// expander expands $VAR in instruction values as BuildKit would: with the
// meta ARGs, the build args and the ARGs and ENVs seen so far in a stage.
type expander struct {
	lex  *shell.Lex
	env  map[string]string
	args map[string]string
}

func newExpander(src *source, stage int) *expander {
	e := &expander{lex: shell.NewLex(src.escape), env: map[string]string{}, args: src.args}
	for _, m := range src.metas {
		for _, kv := range m.Args {
			if v, ok := src.args[kv.Key]; ok {
				e.env[kv.Key] = v
			} else if kv.Value != nil {
				e.env[kv.Key] = e.expand(*kv.Value)
			}
		}
	}
	return e
}

// set records a variable, a build arg winning over an ARG's default.
func (e *expander) set(k, v string) {
	if a, ok := e.args[k]; ok {
		v = a
	}
	e.env[k] = e.expand(v)
}

// expand returns s with variables replaced; s itself when it cannot.
func (e *expander) expand(s string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	res, err := e.lex.ProcessWordWithMatches(s, envMap(e.env))
	if err != nil {
		return s
	}
	return res.Result
}

type envMap map[string]string

func (m envMap) Get(k string) (string, bool) { v, ok := m[k]; return v, ok }
func (m envMap) Keys() []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
