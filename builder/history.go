package builder

// BuildKit records every solve that is not marked internal in its build
// history (what `buildx history` and Docker Desktop show): the frontend
// attributes, build args among them, a mode=max provenance of the result
// and every log line of the build as the daemon saw it, before weld's
// redaction. A RUN that prints a secret would leave it there, on the
// daemon, for anyone who may read its history, and each record costs the
// step's session tens of milliseconds after its export (the provenance
// and the log written to the daemon's content store, several at once on a
// fan-out). So weld's sessions are internal unless WithBuildHistory asks
// for records; weld's own record of a build is its metadata and report.

// WithBuildHistory makes BuildKit keep a build history record of each of
// the run's sessions (off by default: see history.go). Their logs and build
// args are the daemon's, unredacted.
func WithBuildHistory(on bool) Option {
	return func(o *options) error { o.history = on; return nil }
}

// internal is SolveOpt.Internal for the run's sessions: true unless
// WithBuildHistory asked for records.
func (o *options) internal() bool { return !o.history }
