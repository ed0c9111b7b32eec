package builder

import (
	"context"
	"errors"
	"sync"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/session"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// imageAnswer is a registry image's config as the daemon resolved it, or
// why it could not.
type imageAnswer struct {
	ref    string
	dgst   digest.Digest
	config []byte
	err    error
}

// imageFetcher resolves the configs of registry images, all in one go.
// With a nil platform it resolves for the daemon's own platform, and says
// which that is. err is for the whole call (the daemon is gone); a ref the
// daemon could not resolve, or its source policy denies, has its own err.
type imageFetcher interface {
	fetch(ctx context.Context, refs []string, p *ocispecs.Platform) (ocispecs.Platform, []imageAnswer, error)
}

// imageResolver answers the Dockerfile frontend's image lookups of one
// Lint: each distinct ref (and platform) is resolved once for the whole
// run. prefetch resolves what the Dockerfiles are known to need in one
// session; a lookup nobody foresaw (an image that a COPY --from names, an
// ONBUILD trigger of a base, a FROM --platform) costs a session of its own.
type imageResolver struct {
	fetcher imageFetcher
	mu      sync.Mutex
	// platform is the daemon's, once a session said it; until then this
	// host's.
	platform ocispecs.Platform
	cache    map[string]*imageEntry
}

type imageEntry struct {
	done chan struct{}
	ans  imageAnswer
}

func newImageResolver(f imageFetcher) *imageResolver {
	return &imageResolver{fetcher: f, platform: platforms.Normalize(platforms.DefaultSpec()), cache: map[string]*imageEntry{}}
}

func imageKey(ref string, p ocispecs.Platform) string {
	return ref + " " + platforms.FormatAll(platforms.Normalize(p))
}

// prefetch resolves refs, for the daemon's platform, in one session; it
// fails only when that session does.
func (ir *imageResolver) prefetch(ctx context.Context, refs []string) error {
	if len(refs) == 0 {
		return nil
	}
	p, answers, err := ir.fetcher.fetch(ctx, refs, nil)
	if err != nil {
		return err
	}
	ir.mu.Lock()
	defer ir.mu.Unlock()
	ir.platform = platforms.Normalize(p)
	for i, ref := range refs {
		e := &imageEntry{done: make(chan struct{}), ans: answers[i]}
		close(e.done)
		ir.cache[imageKey(ref, ir.platform)] = e
	}
	return nil
}

// defaultPlatform is the platform the frontend builds for.
func (ir *imageResolver) defaultPlatform() ocispecs.Platform {
	ir.mu.Lock()
	defer ir.mu.Unlock()
	return ir.platform
}

// resolve answers one lookup, from the cache or through a session of its
// own; concurrent lookups of one ref share it.
func (ir *imageResolver) resolve(ctx context.Context, ref string, p *ocispecs.Platform) imageAnswer {
	plat := ir.defaultPlatform()
	if p != nil {
		plat = *p
	}
	key := imageKey(ref, plat)
	ir.mu.Lock()
	e, ok := ir.cache[key]
	if !ok {
		e = &imageEntry{done: make(chan struct{})}
		ir.cache[key] = e
	}
	ir.mu.Unlock()
	if ok {
		select {
		case <-e.done:
			return e.ans
		case <-ctx.Done():
			return imageAnswer{ref: ref, err: context.Cause(ctx)}
		}
	}
	_, answers, err := ir.fetcher.fetch(ctx, []string{ref}, &plat)
	if err == nil && len(answers) != 1 {
		err = errors.New("the daemon answered no image config")
	}
	if err != nil {
		e.ans = imageAnswer{ref: ref, err: err}
	} else {
		e.ans = answers[0]
	}
	close(e.done)
	return e.ans
}

// daemonFetcher resolves through one helper session on the run's daemon,
// with its registry auth and its source policies: a base the policies deny
// is denied here as in the build.
type daemonFetcher struct{ r *run }

var _ imageFetcher = daemonFetcher{}

func (f daemonFetcher) fetch(ctx context.Context, refs []string, p *ocispecs.Platform) (ocispecs.Platform, []imageAnswer, error) {
	opt := client.SolveOpt{FrontendAttrs: map[string]string{}, Internal: f.r.o.internal()}
	if f.r.o.auth != nil {
		opt.Session = []session.Attachable{f.r.o.auth}
	}
	f.r.applySourcePolicy(&opt, nil)
	out := make([]imageAnswer, len(refs))
	var plat ocispecs.Platform
	ch := make(chan *client.SolveStatus)
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		for range ch { // resolutions without a LogName show no progress
		}
	}()
	_, err := f.r.solver.Build(ctx, opt, "weld", func(ctx context.Context, c gateway.Client) (*gateway.Result, error) {
		plat = workerPlatform(c.BuildOpts(), p)
		var wg sync.WaitGroup
		for i, ref := range refs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a := imageAnswer{}
				a.ref, a.dgst, a.config, a.err = c.ResolveImageConfig(ctx, ref, sourceresolver.Opt{
					ImageOpt: &sourceresolver.ResolveImageOpt{Platform: &plat, ResolveMode: "default"},
				})
				out[i] = a
			}()
		}
		wg.Wait()
		return gateway.NewResult(), nil
	}, ch)
	<-drained
	return plat, out, err
}

// workerPlatform is p, or the platform the daemon's Dockerfile frontend
// builds for by default: its first worker's first platform.
func workerPlatform(bo gateway.BuildOpts, p *ocispecs.Platform) ocispecs.Platform {
	if p != nil {
		return *p
	}
	if len(bo.Workers) > 0 && len(bo.Workers[0].Platforms) > 0 {
		return platforms.Normalize(bo.Workers[0].Platforms[0])
	}
	return platforms.Normalize(platforms.DefaultSpec())
}
