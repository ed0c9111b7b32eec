package builder

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"

	"github.com/weld-build/weld/dag"
)

// A step with platforms: builds once per platform inside its one session:
// a Dockerfile frontend solve per platform (platform=P), whose FROM <step>
// inputs and artifacts are the dependency's results for that same platform
// (solvedKey), and one multi-platform result whose export is one image
// index with a manifest per platform. A step without platforms builds for
// the daemon's own, as before.

// solvedKey is where a step's result for platform plat ("" for the
// daemon's own) is kept in a session.
func solvedKey(label, plat string) string {
	if plat == "" {
		return label
	}
	return label + "@" + plat
}

// solveStep solves the session's own step for each of its platforms.
func (ss *stepSession) solveStep(ctx context.Context, s *dag.Step) ([]*solved, error) {
	if len(s.Platforms) == 0 {
		sv, err := ss.solveFor(ctx, s, "")
		return []*solved{sv}, err
	}
	ss.warnEmulated(s)
	out := make([]*solved, 0, len(s.Platforms))
	for _, p := range s.Platforms {
		sv, err := ss.solveFor(ctx, s, p)
		if err != nil {
			return nil, err
		}
		out = append(out, sv)
	}
	return out, nil
}

// evaluateAll builds every platform's result at once (a foreign one under
// emulation takes longer; the others need not wait for it).
func evaluateAll(ctx context.Context, svs []*solved) error {
	g, ctx := errgroup.WithContext(ctx)
	for _, sv := range svs {
		g.Go(func() error {
			if err := sv.ref.Evaluate(ctx); err != nil {
				return platformErr(sv, err)
			}
			return nil
		})
	}
	return g.Wait()
}

// platformErr names the platform of a multi-platform result in err.
func platformErr(sv *solved, err error) error {
	if sv.platform == "" {
		return err
	}
	var se *StepError
	if errors.As(err, &se) && se.Platform == "" {
		se.Platform = sv.platform
		return err
	}
	return fmt.Errorf("on %s: %w", sv.platform, err)
}

// setResult puts the solved results into res, as the Dockerfile frontend
// does: one ref for a step without platforms, else a ref and a config per
// platform and the platforms' list, so that the exporter makes an index.
func setResult(res *gateway.Result, svs []*solved, withConfig bool) error {
	if len(svs) == 1 && svs[0].platform == "" {
		res.SetRef(svs[0].ref)
		if withConfig {
			res.AddMeta(exptypes.ExporterImageConfigKey, svs[0].config)
			svs[0].addBaseConfig(res) // reproducible.go
		}
		return nil
	}
	var ps exptypes.Platforms
	for _, sv := range svs {
		p, err := platforms.Parse(sv.platform)
		if err != nil {
			return err
		}
		p = platforms.Normalize(p)
		id := platforms.FormatAll(p)
		res.AddRef(id, sv.ref)
		if withConfig {
			res.AddMeta(exptypes.ExporterImageConfigKey+"/"+id, sv.config)
			if len(sv.baseConfig) > 0 {
				res.AddMeta(exptypes.ExporterImageBaseConfigKey+"/"+id, sv.baseConfig)
			}
		}
		ps.Platforms = append(ps.Platforms, exptypes.Platform{ID: id, Platform: p})
	}
	dt, err := json.Marshal(ps)
	if err != nil {
		return err
	}
	res.AddMeta(exptypes.ExporterPlatformsKey, dt)
	return nil
}

// warnEmulated says which of the step's platforms the daemon runs under
// emulation (QEMU through binfmt_misc): those it does not run natively.
// A pool daemon's native platforms are the pool's (the builders file's
// when it names them); else they are what its worker reports.
func (ss *stepSession) warnEmulated(s *dag.Step) {
	var foreign []string
	native := ss.native
	if len(native) > 0 {
		foreign = notIn(s.Platforms, native)
	} else {
		bo := ss.c.BuildOpts()
		if len(bo.Workers) == 0 || len(bo.Workers[0].Platforms) == 0 {
			return
		}
		wn := platforms.Normalize(bo.Workers[0].Platforms[0])
		native = []string{platforms.Format(wn)}
		for _, p := range s.Platforms {
			if pp, err := platforms.Parse(p); err == nil && emulated(wn, platforms.Normalize(pp)) {
				foreign = append(foreign, p)
			}
		}
	}
	if len(foreign) == 0 {
		return
	}
	daemon := ss.daemon
	if daemon == "" {
		daemon = "the daemon"
		switch c := ss.solver.(type) {
		case *Client:
			daemon = c.Addr()
		case connector:
			if cl, err := c.Connect(context.Background()); err == nil { // connected once already
				daemon = cl.Addr()
			}
		}
	}
	ss.emit(Event{Step: s.Label, Type: EventWarning, Message: fmt.Sprintf("step %s: %s runs under emulation on %s (native: %s)",
		s.Label, strings.Join(foreign, ", "), daemon, strings.Join(native, ", "))})
}

// notIn are the platforms of ps that none of native is (each normalised).
func notIn(ps, native []string) []string {
	var out []string
	for _, p := range ps {
		if !slices.ContainsFunc(native, func(n string) bool { return platformKey(p) == platformKey(n) }) { // relayer.go
			out = append(out, p)
		}
	}
	return out
}

// emulated reports whether a worker whose native platform is native runs
// p under emulation: another architecture than its own (or than the one
// its CPU also runs natively: 386 on amd64, arm on arm64).
func emulated(native, p ocispecs.Platform) bool {
	if p.OS != native.OS || p.Architecture == native.Architecture {
		return p.OS != native.OS
	}
	switch native.Architecture + "/" + p.Architecture {
	case "amd64/386", "arm64/arm":
		return false
	}
	return true
}

// PlatformImage is the image manifest of one platform of a step's index.
type PlatformImage struct {
	// Platform is os/arch[/variant].
	Platform string `json:"platform"`
	// Digest is the platform's image manifest digest.
	Digest string `json:"digest"`
	// Daemon is the daemon that built it, when a pool split the step's
	// platforms over several (fleetsplit.go); else the step's daemon.
	Daemon string `json:"daemon,omitempty"`
}

// platformImages lists the image manifests (not attestations) of the
// staged root index, with their platforms.
func platformImages(img *stagedImage) ([]PlatformImage, error) {
	root, err := img.root()
	if err != nil {
		return nil, err
	}
	if !isIndex(root.MediaType) {
		return nil, fmt.Errorf("the staged image of step %q is one manifest, not an index of its platforms", img.step.Label)
	}
	var idx ocispecs.Index
	if err := readBlob(img.dir, root, &idx); err != nil {
		return nil, err
	}
	var out []PlatformImage
	for _, m := range imageManifests(idx) {
		if m.Platform == nil {
			return nil, fmt.Errorf("the staged index of step %q has a manifest %s without a platform", img.step.Label, m.Digest)
		}
		out = append(out, PlatformImage{Platform: platforms.Format(*m.Platform), Digest: m.Digest.String()})
	}
	return out, nil
}

// imageManifests are the image manifests of an index, not its attestations.
func imageManifests(idx ocispecs.Index) []ocispecs.Descriptor {
	var out []ocispecs.Descriptor
	for _, m := range idx.Manifests {
		if m.Annotations[annotationRefType] != attestationRefType {
			out = append(out, m)
		}
	}
	return out
}
