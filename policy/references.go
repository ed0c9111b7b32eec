package policy

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/dockerfile"
)

// The kinds of Reference.
const (
	// KindImage is an external image a Dockerfile copies from or mounts:
	// COPY --from=IMAGE, RUN --mount=…,from=IMAGE, also in an ONBUILD
	// trigger. It must pass allowed_bases, as a FROM does.
	KindImage = "image"
	// KindFrontend is the image a Dockerfile asks BuildKit to run as its
	// frontend: # syntax=IMAGE, or the BUILDKIT_SYNTAX build arg. It must
	// pass allowed_frontends.
	KindFrontend = "frontend"
	// KindSource is a remote source: ADD of an http(s) URL or a git
	// repository. It must pass allowed_sources, when the policy has it.
	KindSource = "source"
)

// Reference is an image or a remote source a step's Dockerfile names other
// than in a FROM (see Bases for those).
type Reference struct {
	// Step is the step's label.
	Step string `json:"step"`
	// Pos is the instruction's line (the Dockerfile's path relative to the
	// work dir), or the step in build.yml for a BUILDKIT_SYNTAX build arg.
	Pos dag.Pos `json:"pos"`
	// Kind is KindImage, KindFrontend or KindSource.
	Kind string `json:"kind"`
	// Via is what names it: "COPY --from", "RUN --mount from=",
	// "ONBUILD COPY --from", "# syntax=", "ADD"…
	Via string `json:"via"`
	// Ref is the image ref or the URL as written.
	Ref string `json:"ref"`
	// Replacement is the policy's replace entry for an image, if any.
	Replacement *Replacement `json:"-"`
}

// Effective is the image the build uses: the replacement's ref when there
// is one, else Ref (an OCI layout replacement keeps Ref).
func (r Reference) Effective() string {
	return BaseUse{Ref: r.Ref, Replacement: r.Replacement}.Effective()
}

// References lists what every step's Dockerfile names besides its FROMs:
// the images of COPY --from and RUN --mount from= (not a stage, not a step
// the step builds FROM: weld passes those itself), the same inside ONBUILD
// triggers (in the step's own Dockerfile, and in every step that builds
// FROM it: see triggerRefs), the frontend (# syntax= or BUILDKIT_SYNTAX), and the remote
// sources of ADD. They come in step order, then line order.
func References(in Input, p *Policy) ([]Reference, error) {
	r := newReader(in)
	var out []Reference
	for _, s := range r.steps() {
		src, err := r.source(s)
		if err != nil {
			return nil, err
		}
		out = append(out, r.frontends(src)...)
		for i := range src.stages {
			ev := newExpander(src, i)
			for _, c := range src.inst[i].Commands {
				out = append(out, r.commandRefs(src, ev, c, line(c), "")...)
			}
		}
		trig, err := r.triggerRefs(src)
		if err != nil {
			return nil, err
		}
		out = append(out, trig...)
	}
	for i := range out {
		if out[i].Kind == KindImage {
			if rep, ok := p.Replacement(out[i].Ref); ok {
				out[i].Replacement = &rep
			}
		}
	}
	return out, nil
}

// frontends is the frontend a step's Dockerfile asks for: the
// BUILDKIT_SYNTAX build arg wins over # syntax=, as in BuildKit.
func (r *reader) frontends(src *source) []Reference {
	var out []Reference
	if v := strings.TrimSpace(src.args["BUILDKIT_SYNTAX"]); v != "" {
		ref, _, _ := strings.Cut(v, " ")
		out = append(out, Reference{Step: src.step.Label, Pos: src.step.Pos, Kind: KindFrontend, Via: "build arg BUILDKIT_SYNTAX", Ref: ref})
	}
	if ref, _, loc, ok := parser.DetectSyntax(src.data); ok {
		at := 1
		if len(loc) > 0 {
			at = loc[0].Start.Line
		}
		out = append(out, Reference{Step: src.step.Label, Pos: src.pos(at), Kind: KindFrontend, Via: "# syntax=", Ref: ref})
	}
	return out
}

// Frontend returns the frontend image a step's Dockerfile asks for, or ""
// for BuildKit's built-in Dockerfile frontend.
func Frontend(refs []Reference, step string) string {
	for _, r := range refs {
		if r.Step == step && r.Kind == KindFrontend {
			return r.Ref
		}
	}
	return ""
}

// commandRefs lists the references of one instruction; via prefixes Via
// (ONBUILD).
func (r *reader) commandRefs(src *source, ev *expander, c instructions.Command, at int, via string) []Reference {
	var out []Reference
	add := func(kind, what, ref string) {
		out = append(out, Reference{Step: src.step.Label, Pos: src.pos(at), Kind: kind, Via: via + what, Ref: ref})
	}
	switch c := c.(type) {
	case *instructions.CopyCommand:
		// BuildKit does not expand variables in --from.
		if c.From != "" && r.externalFrom(src, c.From, true) {
			add(KindImage, "COPY --from", c.From)
		}
	case *instructions.RunCommand:
		for _, m := range instructions.GetMounts(c) {
			if m.From != "" && r.externalFrom(src, m.From, false) {
				add(KindImage, "RUN --mount from=", m.From)
			}
		}
	case *instructions.AddCommand:
		for _, s := range c.SourcePaths {
			if s = ev.expand(s); remoteKind(s) != "" {
				add(KindSource, "ADD", s)
			}
		}
	case *instructions.ArgCommand:
		for _, kv := range c.Args {
			val := ""
			if kv.Value != nil {
				val = *kv.Value
			}
			ev.set(kv.Key, val)
		}
	case *instructions.EnvCommand:
		for _, kv := range c.Env {
			ev.set(kv.Key, kv.Value)
		}
	case *instructions.OnbuildCommand:
		if trigger := parseTrigger(c.Expression); trigger != nil {
			out = append(out, r.commandRefs(src, newExpander(src, -1), trigger, at, "ONBUILD ")...)
		}
	}
	return out
}

// parseTrigger parses an ONBUILD trigger as the instruction it runs.
func parseTrigger(expr string) instructions.Command {
	res, err := parser.Parse(bytes.NewReader([]byte(expr + "\n")))
	if err != nil || len(res.AST.Children) != 1 {
		return nil
	}
	c, err := instructions.ParseCommand(res.AST.Children[0])
	if err != nil {
		return nil
	}
	return c
}

// externalFrom reports whether a --from names an image: not a stage (by
// name, or by index when index: COPY --from takes one, RUN --mount from=
// does not, so from=0 there is the image docker.io/library/0) and not a
// step this step builds FROM (whose image weld passes as a named context).
func (r *reader) externalFrom(src *source, from string, index bool) bool {
	if _, err := strconv.Atoi(from); err == nil && index {
		return false
	}
	name := strings.ToLower(from)
	for _, st := range src.stages {
		if st.Name == name {
			return false
		}
	}
	if dep := r.byName[dockerfile.NormalizeName(from)]; dep != nil {
		for _, l := range src.step.FromSteps {
			if l == dep.Label {
				return false
			}
		}
	}
	return true
}
