package builder

// WithoutGit makes Run and Check never run git in the work dir, for a work
// dir whose .git is not the caller's (an upload to weld serve): git reads
// the checkout's own config, and some of its keys name programs that git
// runs (core.fsmonitor; gpg.program when log.showSignature is set). The
// images then get no revision label unless WithRevision gives one, and
// SOURCE_DATE_EPOCH is 0 unless a build arg sets it.
func WithoutGit() Option {
	return func(o *options) error { o.noGit = true; return nil }
}
