package policy

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/dfgitutil"
	"github.com/moby/buildkit/util/gitutil"
	"gopkg.in/yaml.v3"
)

// sourcePatterns decodes allowed_sources: http://, https:// and git://
// patterns, with * and ** as in allowed_bases.
func (d *decoder) sourcePatterns(n *yaml.Node) []Pattern {
	out := []Pattern{}
	for i, item := range d.list(n, "allowed_sources") {
		s, ok := d.str(item, fmt.Sprintf("allowed_sources[%d]", i))
		if !ok {
			continue
		}
		scheme, rest, _ := strings.Cut(s, "://")
		if (scheme != "http" && scheme != "https" && scheme != "git") || rest == "" || strings.TrimSpace(s) != s {
			d.errorf(item, "allowed_sources[%d] %q: write http://…, https://… or git://HOST/PATH (a git repository, by any transport)", i, s)
			continue
		}
		out = append(out, Pattern{Text: s, Norm: s, Pos: d.pos(item)})
	}
	return out
}

// sourceRegexp is an allowed_sources pattern as an unanchored RE2
// expression over BuildKit's source identifiers. A git pattern without #
// ignores the identifier's #ref:subdir.
func sourceRegexp(p Pattern) string {
	re := globRegexp(p.Norm)
	if strings.HasPrefix(p.Norm, "git://") && !strings.Contains(p.Norm, "#") {
		re += "(?:#.*)?"
	}
	return re
}

// sourceAllowed reports whether an allowed_sources pattern matches a
// source identifier.
func sourceAllowed(pats []Pattern, id string) bool {
	for _, p := range pats {
		if re, err := regexp.Compile("^" + sourceRegexp(p) + "$"); err == nil && re.MatchString(id) {
			return true
		}
	}
	return false
}

// remoteKind tells an ADD source fetched from the network as BuildKit's
// Dockerfile frontend does: "git" for a git repository (git@…, git://…,
// https://….git…), "http" for any other http(s) URL, "" for a local path.
func remoteKind(s string) string {
	ref, isGit, err := dfgitutil.ParseGitRef(s)
	switch {
	case err == nil && !ref.IndistinguishableFromLocal, err != nil && isGit:
		return "git"
	}
	l := strings.ToLower(s)
	if strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") {
		return "http"
	}
	return ""
}

// SourceIdentifier is how BuildKit names a source in its source policy:
// docker-image://NORMALIZED for an image, git://HOST/PATH[#REF[:DIR]] for a
// git repository whatever its transport, the URL itself for http(s).
func SourceIdentifier(kind, ref string) string {
	if kind != KindSource {
		return "docker-image://" + Normalize(ref)
	}
	if remoteKind(ref) != "git" {
		return ref
	}
	g, _, err := dfgitutil.ParseGitRef(ref)
	if err != nil {
		return ref
	}
	u, err := gitutil.ParseURL(g.Remote)
	if err != nil {
		return ref
	}
	id := "git://" + u.Host + path.Join("/", u.Path)
	if g.Ref != "" || g.SubDir != "" {
		id += "#" + g.Ref
		if g.SubDir != "" {
			id += ":" + g.SubDir
		}
	}
	return id
}
