package main

import (
	"github.com/spf13/pflag"

	"github.com/weld-build/weld/dag"
)

// fileOptions are the flags that find and read the build file.
type fileOptions struct {
	file, dir string
	env       []string
}

func addFileFlags(f *pflag.FlagSet, fo *fileOptions) {
	f.StringVarP(&fo.file, "file", "f", "build.yml", "the build file")
	f.StringVarP(&fo.dir, "dir", "d", "", "the work dir (default: build.work_dir, else the build file's folder)")
	f.StringArrayVar(&fo.env, "env", nil, "set K=V for _env(K) in the build file (repeatable)")
}

// loadPlan reads, validates and plans the build file, logging its warnings.
func (fo *fileOptions) loadPlan(o *rootOptions) (*dag.Plan, error) {
	env, err := parseEnv(fo.env)
	if err != nil {
		return nil, err
	}
	b, err := dag.Load(fo.file, dag.WithEnv(env), dag.WithWorkDir(fo.dir))
	if err != nil {
		return nil, err
	}
	for _, w := range b.Warnings {
		o.log.Warn(w.Error())
	}
	return dag.NewPlan(b)
}
