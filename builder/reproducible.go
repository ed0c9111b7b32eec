package builder

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os/exec"
	"strconv"
	"strings"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/dag"
)

// A reproducible run (the default) builds the same bytes from the same
// inputs: every step gets the build arg SOURCE_DATE_EPOCH (the time of the
// work dir's last git commit, else 0, unless the caller or the step sets
// it), its image's layers have their file times rewritten to it, its
// config's and the index's created times follow it, and the provenance
// keeps no wall-clock time (reprovenance.go).

// SourceDateEpochArg is the build arg that pins a build's timestamps.
const SourceDateEpochArg = "SOURCE_DATE_EPOCH"

// reproOptions are a run's reproducibility settings.
type reproOptions struct {
	// off turns reproducible builds off (WithReproducible(false)).
	off bool
	// epoch is the run's SOURCE_DATE_EPOCH, set by setEpoch.
	epoch string
	// userSet is the SOURCE_DATE_EPOCH of WithBuildArgs, which wins.
	userSet bool
	// daemonRewrite leaves the layers' time rewrite to BuildKit's
	// exporter, as before relayer.go (tests compare the two).
	daemonRewrite bool
}

// WithReproducible turns reproducible builds on (the default) or off. On,
// a rebuild of unchanged inputs gives byte-identical images and the same
// index digest: SOURCE_DATE_EPOCH (the work dir's last git commit time,
// else 0; a SOURCE_DATE_EPOCH of WithBuildArgs or of a step's args wins)
// is passed to every step, the layers' file times are rewritten to it,
// and the provenance carries no wall-clock time. Off, images carry the
// time they were built.
func WithReproducible(on bool) Option {
	return func(o *options) error { o.repro.off = !on; return nil }
}

// setEpoch chooses the run's SOURCE_DATE_EPOCH (see WithReproducible).
func setEpoch(ctx context.Context, o *options, workDir string) {
	if o.repro.off {
		return
	}
	if v, ok := o.buildArgs[SourceDateEpochArg]; ok {
		o.repro.epoch, o.repro.userSet = v, true
		return
	}
	o.repro.epoch = "0"
	if !o.noGit { // nogit.go
		o.repro.epoch = gitCommitTime(ctx, workDir)
	}
}

// gitCommitTime is the commit time (Unix seconds) of the last commit in
// dir, or "0" when dir is not in a git checkout with a commit (or git is
// missing). As in gitRevision, the checkout's fsmonitor is not run, nor
// (--no-show-signature) the gpg.program its log.showSignature would run.
func gitCommitTime(ctx context.Context, dir string) string {
	out, err := exec.CommandContext(ctx, "git", "-c", "core.fsmonitor=false", "-C", dir, "log", "-1", "--no-show-signature", "--format=%ct").Output()
	if err != nil {
		return "0"
	}
	v := strings.TrimSpace(string(out))
	if _, err := strconv.ParseInt(v, 10, 64); err != nil {
		return "0"
	}
	return v
}

// frontendAttrs adds the run's SOURCE_DATE_EPOCH to a step's frontend
// attrs, unless its build args already set one.
func (ro reproOptions) frontendAttrs(attrs map[string]string) {
	if ro.off || ro.epoch == "" {
		return
	}
	if _, ok := attrs["build-arg:"+SourceDateEpochArg]; !ok {
		attrs["build-arg:"+SourceDateEpochArg] = ro.epoch
	}
}

// stepEpoch is the SOURCE_DATE_EPOCH step s builds with, as the frontend
// sees it: the caller's, else the step's own arg, else the run's; "" when
// reproducible builds are off.
func (ro reproOptions) stepEpoch(s *dag.Step) string {
	if ro.off {
		return ""
	}
	if ro.userSet {
		return ro.epoch
	}
	if v, ok := s.Args[SourceDateEpochArg]; ok {
		return v
	}
	return ro.epoch
}

// exporterAttrs makes the image exporter of step s rewrite the layers'
// file times to the step's epoch, which the exporter also needs by name:
// weld's session returns its own result, without the frontend's epoch. A
// non-numeric epoch (the frontend's "context") rewrites nothing.
func (ro reproOptions) exporterAttrs(s *dag.Step, attrs map[string]string) {
	v := ro.stepEpoch(s)
	if _, err := strconv.ParseInt(v, 10, 64); err != nil {
		return
	}
	attrs["source-date-epoch"] = v
	attrs["rewrite-timestamp"] = "true"
}

// reproduceStaged rewrites the layers' file times (relayer.go) and the
// provenance (reprovenance.go) of step s's staged layout at dir in a
// reproducible run, and makes the exporter response in resp name the
// rewritten root.
func (r *run) reproduceStaged(s *dag.Step, dir string, resp *client.SolveResponse) error {
	if err := r.rewriteLayerTimes(s, dir, resp); err != nil { // relayer.go
		return err
	}
	root, changed, err := reproduceProvenance(dir, r.o.repro.stepEpoch(s))
	if err != nil {
		return fmt.Errorf("rewriting the provenance's times to SOURCE_DATE_EPOCH: %w", err)
	}
	if !changed {
		return nil
	}
	return setExportedRoot(resp, root)
}

// setExportedRoot makes the exporter response in resp (when there is one)
// name root, the staged layout's rewritten root.
func setExportedRoot(resp *client.SolveResponse, root ocispecs.Descriptor) error {
	if resp == nil || resp.ExporterResponse == nil {
		return nil
	}
	resp.ExporterResponse[exptypes.ExporterImageDigestKey] = root.Digest.String()
	dt, err := json.Marshal(root)
	if err != nil {
		return err
	}
	resp.ExporterResponse[exptypes.ExporterImageDescriptorKey] = base64.StdEncoding.EncodeToString(dt)
	return nil
}

// addBaseConfig passes the frontend's base image config on to the
// exporter: with it, rewrite-timestamp leaves the base's layers alone
// instead of decompressing and rewriting them at every export.
func (sv *solved) addBaseConfig(res *gateway.Result) {
	if len(sv.baseConfig) > 0 {
		res.AddMeta(exptypes.ExporterImageBaseConfigKey, sv.baseConfig)
	}
}
