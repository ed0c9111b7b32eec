package dag

import "os"

// Option configures Load and Parse.
type Option func(*options)

type options struct {
	env       map[string]string
	lookupEnv func(string) (string, bool)
	workDir   string
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

// WithWorkDir sets the work dir (-d DIR), overriding build.work_dir. By
// default the work dir is build.work_dir resolved against the build file's
// directory, or else the build file's directory.
func WithWorkDir(dir string) Option {
	return func(o *options) { o.workDir = dir }
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
