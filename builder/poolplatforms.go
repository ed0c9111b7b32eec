package builder

import (
	"slices"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/placement"
)

// In a pool, a daemon that runs a platform natively is preferred for it
// (internal/placement's Eligible). A daemon's native platforms are those
// the builders file gives it (platforms:), else its workers' own: the
// first platform a worker lists and those its CPU runs as well (386 on
// amd64); the others it lists run under emulation. A step without
// platforms builds for the pool's default platform, the first daemon's
// native one, so that its image does not depend on where it lands; a
// step of several platforms runs on one daemon, the one native for the
// most of them (its one session exports one index).

// workerPlatforms are what a daemon's workers run: natively, and the
// others under emulation, normalized as os/arch[/variant].
func workerPlatforms(ws []*client.WorkerInfo) (native, runs []string) {
	for _, w := range ws {
		if len(w.Platforms) == 0 {
			continue
		}
		own := platforms.Normalize(w.Platforms[0])
		for _, p := range w.Platforms {
			p = platforms.Normalize(p)
			if emulated(own, p) { // platforms.go
				runs = appendNew(runs, platforms.Format(p))
			} else {
				native = appendNew(native, platforms.Format(p))
			}
		}
	}
	return native, slices.DeleteFunc(runs, func(p string) bool { return slices.Contains(native, p) })
}

// memberPlatforms are a pool member's native platforms and the others it
// runs: the builders file's platforms are its native ones when given.
func memberPlatforms(m PoolMember, ws []*client.WorkerInfo) (native, runs []string) {
	native, runs = workerPlatforms(ws)
	if len(m.Platforms) == 0 {
		return native, runs
	}
	declared := normalized(m.Platforms)
	for _, p := range native {
		if !slices.Contains(declared, p) {
			runs = appendNew(runs, p)
		}
	}
	return declared, slices.DeleteFunc(runs, func(p string) bool { return slices.Contains(declared, p) })
}

// defaultPlatform is the platform a step without platforms builds for in
// a pool: the first daemon's native one; "" when it says none.
func defaultPlatform(daemons []placement.Daemon) string {
	if len(daemons) == 0 || len(daemons[0].Native) == 0 {
		return ""
	}
	return daemons[0].Native[0]
}

// stepPlatforms are the platforms placement sees for a step: its own,
// normalized, else the pool's default (def, "" for none).
func stepPlatforms(s *dag.Step, def string) []string {
	if len(s.Platforms) == 0 {
		if def == "" {
			return nil
		}
		return []string{def}
	}
	return normalized(s.Platforms)
}

func normalized(ps []string) []string {
	var out []string
	for _, s := range ps {
		p, err := platforms.Parse(s)
		if err != nil {
			out = appendNew(out, s) // dag and poolfile checked them; keep it as written
			continue
		}
		out = appendNew(out, platforms.Format(platforms.Normalize(p)))
	}
	return out
}

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}
