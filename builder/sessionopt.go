package builder

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/session"
	"github.com/tonistiigi/fsutil"

	"github.com/weld-build/weld/dag"
)

// solveOpt is the session of one step: the local contexts and Dockerfiles of
// the step and every step it re-solves, their secrets, the base image stores
// and, for the step's own session (own), its cache exports and, when it
// publishes, its exporters and attestations.
func (r *run) solveOpt(ctx context.Context, s *dag.Step, own bool) (client.SolveOpt, error) {
	closure := r.closure[s.Label]
	mounts := map[string]fsutil.FS{}
	for _, l := range closure {
		ctxFS, dfFS, err := openStepFS(r.stepByLabel(l))
		if err != nil {
			return client.SolveOpt{}, err
		}
		mounts[contextLocal(l)] = ctxFS
		mounts[dockerfileLocal(l)] = dfFS
	}
	attach := []session.Attachable{secretAttachable(sessionSecrets(closure, r.perStep, r.global))}
	if len(r.o.ssh) > 0 {
		a, err := sshAttachable(r.o.ssh)
		if err != nil {
			return client.SolveOpt{}, err
		}
		attach = append(attach, a)
	}
	if r.o.auth != nil {
		attach = append(attach, r.o.auth)
	}
	opt := client.SolveOpt{
		LocalMounts: mounts,
		OCIStores:   r.bases.stores,
		Session:     attach,
		// Never nil: BuildKit's client adds its cache-imports to it.
		FrontendAttrs: map[string]string{},
		Internal:      r.o.internal(), // history.go
	}
	if len(s.Platforms) > 0 { // the exporter checks its result against them
		opt.FrontendAttrs["platform"] = strings.Join(s.Platforms, ",")
	}
	opt.CacheImports = r.cacheImports(closure)
	r.applySourcePolicy(&opt, closure)
	if !own { // a helper session: no exports of its own
		return opt, nil
	}
	opt.CacheExports = r.cacheExports(s)
	if r.fleet.handsOver(s.Label) && !r.publish[s.Label] {
		exports, err := r.handoverExport(s) // handover.go
		if err != nil {
			return opt, err
		}
		opt.Exports = exports
	}
	if r.publish[s.Label] {
		exports, err := r.exports(s)
		if err != nil {
			return opt, err
		}
		opt.Exports = exports
		if mode := r.provenanceMode(); mode != "" {
			opt.FrontendAttrs["attest:provenance"] = "mode=" + mode
		}
	}
	return opt, nil
}

// dockerfileOwners maps the base names of the Dockerfiles a step's session
// reads (its own and its dependencies') to their steps, when unique.
func (r *run) dockerfileOwners(s *dag.Step) map[string]string {
	out := map[string]string{}
	dup := map[string]bool{}
	for _, l := range r.closure[s.Label] {
		name := filepath.Base(r.stepByLabel(l).Dockerfile)
		if o, ok := out[name]; ok && o != l {
			dup[name] = true
		}
		out[name] = l
	}
	for name := range dup {
		delete(out, name)
	}
	return out
}

func contextLocal(label string) string { return "ctx-" + label }

func dockerfileLocal(label string) string { return "df-" + label }

// openStepFS opens the two folders a step's session serves: its context
// and its Dockerfile's folder.
func openStepFS(st *dag.Step) (ctxFS, dfFS fsutil.FS, err error) {
	if ctxFS, err = fsutil.NewFS(st.Context); err != nil {
		return nil, nil, fmt.Errorf("opening context %s: %w", st.Context, err)
	}
	if dfFS, err = fsutil.NewFS(filepath.Dir(st.Dockerfile)); err != nil {
		return nil, nil, fmt.Errorf("opening %s: %w", filepath.Dir(st.Dockerfile), err)
	}
	return ctxFS, dfFS, nil
}
