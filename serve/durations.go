package serve

import (
	"crypto/sha256"
	"encoding/hex"
	"path"

	"github.com/weld-build/weld/builder"
)

// A build's work folder is removed when it ends, and with it the
// <work dir>/.weld/durations.json that placement and --jobs rank by. So the
// server keeps each project's durations in its state folder instead:
// durations/<tenant>/<build file>.json, both names hashed (a tenant name
// or an upload's path never becomes a path element). A project is a
// tenant's build file path in its uploads (file=, build.yml by default):
// a tenant's uploads with the same build file path share their durations,
// keyed by step label; no tenant reads another's. The builder writes the
// file atomically, never through a symlink, and bounds it (2048 labels);
// the scrubber shows the state folder as [state] in any warning about it.
func durationsName(job *Job) string {
	return path.Join("durations", hashName(job.Tenant), hashName(job.File)+".json")
}

// hashName is a fixed-length file name for s.
func hashName(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:16])
}

// durationsOption keeps the job's durations in the server's state folder;
// nil without one.
func (r *builderRunner) durationsOption(job *Job) []builder.Option {
	if r.cfg.StateDir == "" {
		return nil
	}
	return []builder.Option{builder.WithDurations(r.cfg.StateDir, durationsName(job))}
}
