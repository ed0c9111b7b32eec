package dag

import "os"

// Option configures Load and Parse.
type Option func(*options)

type options struct {
	env          map[string]string
	lookupEnv    func(string) (string, bool)
	workDir      string
	allowedReads []string
	overridden   map[string]bool
	platforms    []string
}

func makeOptions(opts []Option) *options {
	o := &options{lookupEnv: os.LookupEnv}
	for _, opt := range opts {
		opt(o)
	}
	return o
}

// WithEnv sets values for _env(VAR) (from --env K=V); they are looked up
// before the process environment.
func WithEnv(env map[string]string) Option {
	return func(o *options) { o.env = env }
}

// WithLookupEnv replaces os.LookupEnv as the source of _env(VAR) values that
// WithEnv does not set.
func WithLookupEnv(f func(string) (string, bool)) Option {
	return func(o *options) { o.lookupEnv = f }
}

// WithWorkDir sets the work dir (-d DIR), overriding build.work_dir; it is
// trusted as given, as the user typed it. By default the work dir is
// build.work_dir resolved against the build file's folder, which it must
// not leave (literally or through a symlink), or else that folder.
func WithWorkDir(dir string) Option {
	return func(o *options) { o.workDir = dir }
}

// WithAllowedReads lets a file secret of the build file live outside the
// work dir when its real path is one of paths or below one (--allow
// fs.read=PATH, as in buildx bake). Relative paths are taken against the
// current folder; symlinks in them are resolved. Without it, a secret file
// outside the work dir, literally or through a symlink, is an error.
func WithAllowedReads(paths ...string) Option {
	return func(o *options) { o.allowedReads = append(o.allowedReads, paths...) }
}

// WithOverriddenSecrets names the secret ids the command line gives
// (--secret id=ID,...): the build file's secrets with these ids are
// replaced, so their sources are neither checked nor resolved (Value stays
// as written).
func WithOverriddenSecrets(ids ...string) Option {
	return func(o *options) {
		if o.overridden == nil {
			o.overridden = map[string]bool{}
		}
		for _, id := range ids {
			o.overridden[id] = true
		}
	}
}

// lookup finds an _env variable: WithEnv first, then the lookup function.
func (o *options) lookup(name string) (string, bool) {
	if v, ok := o.env[name]; ok {
		return v, true
	}
	if o.lookupEnv == nil {
		return "", false
	}
	return o.lookupEnv(name)
}

// WithPlatforms sets the platforms of every step that has no platforms: of
// its own (--platform a,b), each normalized as ParsePlatforms returns them.
func WithPlatforms(ps ...string) Option {
	return func(o *options) { o.platforms = ps }
}
