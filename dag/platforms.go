package dag

import (
	"fmt"
	"slices"
	"strings"

	"github.com/containerd/platforms"
	"gopkg.in/yaml.v3"
)

var platformsKeys = newIndexedKeys("platforms")

// ParsePlatform checks one os/arch[/variant] (as buildx's --platform takes
// it) and returns it normalized ("linux/aarch64" → "linux/arm64").
func ParsePlatform(s string) (string, error) {
	if strings.Count(s, "/") < 1 {
		return "", fmt.Errorf("platform %q needs os/arch[/variant], e.g. linux/arm64", s)
	}
	p, err := platforms.Parse(s)
	if err != nil {
		return "", fmt.Errorf("platform %q: %w; write os/arch[/variant], e.g. linux/arm64", s, err)
	}
	p = platforms.Normalize(p)
	if !slices.Contains(knownArchs, p.Architecture) || !slices.Contains(knownOSes, p.OS) {
		return "", fmt.Errorf("platform %q is not one BuildKit builds for; use an os of %s and an arch of %s",
			s, strings.Join(knownOSes, ", "), strings.Join(knownArchs, ", "))
	}
	return platforms.Format(p), nil
}

// The operating systems and architectures a platform may name (Go's and
// OCI's names, those BuildKit and QEMU's user mode cover).
var (
	knownOSes  = []string{"linux", "windows", "freebsd"}
	knownArchs = []string{"amd64", "arm64", "arm", "386", "ppc64le", "s390x", "riscv64", "mips64le", "loong64"}
)

// ParsePlatforms checks a comma-separated list of platforms (--platform
// a,b): each normalized, none twice, at least one.
func ParsePlatforms(list string) ([]string, error) {
	var out []string
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		p, err := ParsePlatform(s)
		if err != nil {
			return nil, err
		}
		if slices.Contains(out, p) {
			return nil, fmt.Errorf("platform %s is listed twice; list each once", p)
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no platform in %q; list os/arch[/variant], e.g. linux/amd64,linux/arm64", list)
	}
	return out, nil
}

// HostPlatform is the platform a step without platforms builds for, as the
// dependency check sees it: this machine's, normalized.
func HostPlatform() string {
	return platforms.Format(platforms.Normalize(platforms.DefaultSpec()))
}

// decodePlatforms decodes platforms: a list of os/arch[/variant].
func (d *decoder) decodePlatforms(s *Step, key, n *yaml.Node, w what) []string {
	refs := d.refs(s, platformsKeys, n, w)
	if len(refs) == 0 {
		d.errorf(key, "%s is empty; list at least one os/arch, e.g. [linux/amd64, linux/arm64], or leave the key out", w)
		return nil
	}
	out := make([]string, 0, len(refs))
	for _, r := range refs {
		p, err := ParsePlatform(r.value)
		if err != nil {
			d.errs = append(d.errs, &Error{Pos: r.pos, Msg: fmt.Sprintf("%s: %v", w, err)})
			continue
		}
		if slices.Contains(out, p) {
			d.errs = append(d.errs, &Error{Pos: r.pos, Msg: fmt.Sprintf("%s lists %s twice; list each platform once", w, p)})
			continue
		}
		out = append(out, p)
	}
	return out
}

// applyPlatforms gives every step without platforms: the build's default
// (WithPlatforms), then checks that each dependency a step builds on (FROM
// <step>) or takes artifacts from builds for every platform of the step.
func (l *loader) applyPlatforms(b *Build) {
	for _, s := range b.Steps {
		if _, own := s.Keys["platforms"]; !own && len(l.opts.platforms) > 0 {
			s.Platforms = slices.Clone(l.opts.platforms)
		}
	}
	for _, s := range b.Steps {
		for _, label := range s.DependsOn {
			dep := b.Step(label)
			if dep == nil || !(slices.Contains(s.FromSteps, label) || len(dep.Artifacts) > 0) {
				continue
			}
			l.checkDepPlatforms(s, dep)
		}
	}
}

// effectivePlatforms is what a step builds for: its platforms, or the host's.
func effectivePlatforms(s *Step) []string {
	if len(s.Platforms) > 0 {
		return s.Platforms
	}
	return []string{HostPlatform()}
}

// checkDepPlatforms reports each platform of s that dep does not build for.
func (l *loader) checkDepPlatforms(s, dep *Step) {
	have := effectivePlatforms(dep)
	how := "takes artifacts from"
	if slices.Contains(s.FromSteps, dep.Label) {
		how = "builds FROM"
	}
	for i, p := range effectivePlatforms(s) {
		if slices.Contains(have, p) {
			continue
		}
		pos, ok := s.Keys[platformsKeys.name(i)]
		if !ok {
			pos = keyPos(dep.Keys["platforms"], dep.Pos)
		}
		l.errorf(pos, "step %s builds for %s and %s step %s, which builds only for %s; add %s to %s's platforms: or drop it from %s's",
			s.Label, p, how, dep.Label, strings.Join(have, ", "), p, dep.Label, s.Label)
	}
}
