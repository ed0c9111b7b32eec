package builder

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/client"

	"github.com/weld-build/weld/dag"
)

// ParseCache parses buildx's --cache-to / --cache-from syntax:
// type=registry,ref=REF[,mode=max], type=local,dest=DIR / src=DIR, a bare
// REF (registry), or type=inline.
func ParseCache(s string) (client.CacheOptionsEntry, error) {
	e := client.CacheOptionsEntry{Attrs: map[string]string{}}
	if !strings.Contains(s, "=") {
		e.Type, e.Attrs["ref"] = "registry", s
		return e, nil
	}
	for _, field := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(field, "=")
		if !ok {
			return e, fmt.Errorf("cache %q: %q is not KEY=VALUE", s, field)
		}
		if k == "type" {
			e.Type = v
			continue
		}
		e.Attrs[k] = v
	}
	switch e.Type {
	case "registry":
		if e.Attrs["ref"] == "" {
			return e, fmt.Errorf("cache %q: type=registry needs ref=", s)
		}
	case "local":
		if e.Attrs["dest"] == "" && e.Attrs["src"] == "" {
			return e, fmt.Errorf("cache %q: type=local needs dest= (export) or src= (import)", s)
		}
	case "inline", "gha", "s3", "azblob":
	default:
		return e, fmt.Errorf("cache %q: type must be registry, local, inline, gha, s3 or azblob", s)
	}
	return e, nil
}

// scopeCache gives a cache entry a scope of its own per step, so steps do
// not overwrite each other's cache (the trap of one shared scope): local
// folders get a sub-folder per step, registry refs a tag per step, and
// scoped backends a scope per step.
func scopeCache(e client.CacheOptionsEntry, label string) client.CacheOptionsEntry {
	out := client.CacheOptionsEntry{Type: e.Type, Attrs: map[string]string{}}
	for k, v := range e.Attrs {
		out.Attrs[k] = v
	}
	switch e.Type {
	case "local":
		for _, k := range []string{"dest", "src"} {
			if v := out.Attrs[k]; v != "" {
				out.Attrs[k] = filepath.Join(v, label)
			}
		}
	case "registry":
		out.Attrs["ref"] = scopedRef(out.Attrs["ref"], label)
	case "gha", "s3", "azblob":
		scope := out.Attrs["scope"]
		if scope == "" {
			scope = "weld"
		}
		out.Attrs["scope"] = scope + "-" + label
		if e.Type != "gha" {
			out.Attrs["name"] = out.Attrs["scope"]
		}
	}
	return out
}

// scopedRef turns REPO[:TAG] into REPO:TAG-label (or REPO:label).
func scopedRef(ref, label string) string {
	tagLabel := strings.ToLower(strings.ReplaceAll(label, "_", "-"))
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return ref + "-" + tagLabel
	}
	if t, ok := named.(reference.Tagged); ok {
		return reference.TrimNamed(named).String() + ":" + t.Tag() + "-" + tagLabel
	}
	return named.String() + ":" + tagLabel
}

// cacheExports are a step session's cache exports: its own scope.
func (r *run) cacheExports(s *dag.Step) []client.CacheOptionsEntry {
	var out []client.CacheOptionsEntry
	for _, e := range r.o.cacheTo {
		e = r.secretSafeCache(s, scopeCache(e, s.Label)) // cachesecrets.go
		if e.Type != "inline" {
			e = forceGzipCache(e) // compression.go
		}
		out = append(out, e)
	}
	return out
}

// cacheImports are a step session's cache imports: its own scope and those
// of the steps it re-solves.
func (r *run) cacheImports(closure []string) []client.CacheOptionsEntry {
	var out []client.CacheOptionsEntry
	for _, e := range r.o.cacheFrom {
		if e.Type == "local" && e.Attrs["src"] == "" {
			continue
		}
		for _, l := range closure {
			out = append(out, scopeCache(e, l))
		}
	}
	return out
}
