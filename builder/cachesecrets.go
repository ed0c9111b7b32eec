package builder

import (
	"github.com/moby/buildkit/client"

	"github.com/weld-build/weld/dag"
)

// --cache-to is a way out of the build like an image: it sends layers to a
// registry or a folder. The leak scan sees the image a step ships, so a
// step whose session serves secrets exports only that: its cache is
// exported in mode=min (the layers of its image), never mode=max (every
// stage's, where a secret copied into a build stage stays), and a step
// that is not published is scanned as if it were before its cache goes
// out (prepublish).

// secretSafeCache returns the cache export e of step s, in mode=min when
// the step's session serves secrets, with a warning.
func (r *run) secretSafeCache(s *dag.Step, e client.CacheOptionsEntry) client.CacheOptionsEntry {
	if e.Attrs["mode"] != "max" || len(sessionSecrets(r.closure[s.Label], r.perStep, r.global)) == 0 {
		return e
	}
	e.Attrs["mode"] = "min"
	r.o.log.Warn("--cache-to mode=max would export layers of build stages that the leak scan does not see; exporting mode=min (the image's layers) for a step that mounts secrets",
		"step", s.Label, "cache", e.Type)
	return e
}

// scansForCache reports whether step s, not published, is scanned for
// secrets anyway because its cache is exported.
func (r *run) scansForCache(s *dag.Step) bool {
	return !r.publish[s.Label] && len(r.o.cacheTo) > 0
}
