package builder

import (
	"context"
	"os/exec"
	"strings"
)

// WithRevision sets the source revision label (LabelRevision) of every
// image; "" labels none. Without it, Run labels the images with the git
// revision of the work dir (git rev-parse HEAD) when the work dir is a git
// checkout. A LabelRevision given to WithLabels wins over both.
func WithRevision(rev string) Option {
	return func(o *options) error { o.revision = &rev; return nil }
}

// setRevision adds the revision label to o's labels.
func setRevision(ctx context.Context, o *options, workDir string) {
	if _, ok := o.labels[LabelRevision]; ok {
		return
	}
	rev := ""
	if o.revision != nil {
		rev = *o.revision
	} else if !o.noGit {
		rev = gitRevision(ctx, workDir)
	}
	if rev != "" {
		o.labels[LabelRevision] = rev
	}
}

// gitRevision is the commit checked out in dir, or "" when dir is not in a
// git checkout (or git is missing). The checkout's fsmonitor hook, a
// command the checkout's own config could name, is not run.
func gitRevision(ctx context.Context, dir string) string {
	out, err := exec.CommandContext(ctx, "git", "-c", "core.fsmonitor=false", "-C", dir, "rev-parse", "HEAD").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
