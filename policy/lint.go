package policy

import (
	"cmp"
	"context"
	"encoding/json"
	"runtime"
	"slices"
	"strings"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/subrequests/lint"
	digest "github.com/opencontainers/go-digest"
)

// Lint runs the Dockerfile checks on the steps' Dockerfiles, without a
// daemon: BuildKit's lint rules on every step, and weld's rules on the
// steps that publish. Every rule defaults to warning severity; the policy's
// rules: set error, warning or off per rule, and a Dockerfile's own
// "# check=error=true" directive makes BuildKit's rules errors for it, as in
// docker build --check. Findings come in step order, then line order.
func Lint(ctx context.Context, in Input, p *Policy) (Findings, error) {
	r := newReader(in)
	var out Findings
	for _, s := range r.steps() {
		src, err := r.source(s)
		if err != nil {
			return nil, err
		}
		bk := buildkitFindings(ctx, src, in.BuildKit[s.Label])
		var weld Findings
		if in.publishes(s) {
			weld = r.weldFindings(src, p)
		}
		out = append(out, dedupe(bk, weld)...)
		out = append(out, weld...)
	}
	kept := out[:0]
	for _, f := range out {
		if f.Severity = p.Severity(f.Rule, f.Severity); f.Severity != SeverityOff {
			kept = append(kept, f)
		}
	}
	return kept, nil
}

// buildkitFindings turns BuildKit's lint results into findings: the
// caller's (builder.Builder.Lint, with the bases' real configs), else those
// of the same linter run in-process (the conversion the subrequest runs,
// over every stage or the target's), with bases answered by an offline
// resolver.
func buildkitFindings(ctx context.Context, src *source, remote *lint.LintResults) Findings {
	def := SeverityWarning
	if opt, _, _, ok := parser.ParseDirective("check", src.data); ok {
		if cfg, err := linter.ParseLintOptions(opt); err == nil && cfg.ReturnAsError {
			def = SeverityError
		}
	}
	res, err := remote, error(nil)
	if res == nil {
		res, err = dockerfile2llb.DockerfileLint(ctx, src.data, dockerfile2llb.ConvertOpt{
			Config:       dockerui.Config{BuildArgs: src.args, Target: src.step.Target},
			SourceMap:    &llb.SourceMap{Definition: &llb.Definition{}, Filename: src.rel, Language: "Dockerfile", Data: src.data},
			MetaResolver: offlineResolver{},
		})
	}
	var out Findings
	if err != nil {
		return Findings{{Rule: RuleDockerfileError, Severity: SeverityError, Step: src.step.Label, Pos: src.pos(0), Message: err.Error()}}
	}
	for _, w := range res.Warnings {
		line := 0
		if w.Location != nil && len(w.Location.Ranges) > 0 {
			line = int(w.Location.Ranges[0].Start.Line)
		}
		out = append(out, Finding{Rule: w.RuleName, Severity: def, Step: src.step.Label, Pos: src.pos(line), Message: cmp.Or(w.Detail, w.Description), URL: w.URL})
	}
	// With "# check=error=true" the linter also fails the conversion
	// ("lint violation found for rules: …"): the findings say it already.
	// From the caller, a conversion error is most often a base that cannot
	// be resolved (a registry down, a wrong --image): not a Dockerfile
	// problem, and the build reports it in full, so it is left to the build.
	if res.Error != nil && remote == nil && !strings.HasPrefix(res.Error.Message, "lint violation found") {
		line := 0
		if len(res.Error.Location.Ranges) > 0 {
			line = int(res.Error.Location.Ranges[0].Start.Line)
		}
		out = append(out, Finding{Rule: RuleDockerfileError, Severity: SeverityError, Step: src.step.Label, Pos: src.pos(line), Message: res.Error.Message})
	}
	slices.SortStableFunc(out, func(a, b Finding) int { return cmp.Compare(a.Pos.Line, b.Pos.Line) })
	return out
}

// dedupe drops BuildKit's SecretsUsedInArgOrEnv where weld's
// SecretInArgEnv reports the same line: one finding per problem.
func dedupe(bk, weld Findings) Findings {
	lines := map[int]bool{}
	for _, f := range weld {
		if f.Rule == RuleSecretInArgEnv {
			lines[f.Pos.Line] = true
		}
	}
	return slices.DeleteFunc(bk, func(f Finding) bool { return f.Rule == "SecretsUsedInArgOrEnv" && lines[f.Pos.Line] })
}

// offlineResolver answers the frontend's image lookups without a registry:
// an image config for the requested platform with only the default PATH.
// Checks that need a base's real config (its ENV for UndefinedVar, its
// platform for InvalidBaseImagePlatform) therefore see only that.
type offlineResolver struct{}

var _ llb.ImageMetaResolver = offlineResolver{}

// ResolveImageConfig implements llb.ImageMetaResolver.
func (offlineResolver) ResolveImageConfig(_ context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	os, arch := "linux", runtime.GOARCH
	if opt.ImageOpt != nil && opt.ImageOpt.Platform != nil {
		os, arch = opt.ImageOpt.Platform.OS, opt.ImageOpt.Platform.Architecture
	}
	cfg := map[string]any{
		"os": os, "architecture": arch, "rootfs": map[string]any{"type": "layers"},
		"config": map[string]any{"Env": []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}},
	}
	dt, err := json.Marshal(cfg)
	return ref, digest.FromBytes([]byte(ref)), dt, err
}
