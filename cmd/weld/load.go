package main

import (
	"github.com/spf13/pflag"

	"github.com/weld-build/weld/buildflags"
	"github.com/weld-build/weld/dag"
)

// fileOptions are the flags that find and read the build file.
type fileOptions struct{ buildflags.File }

func addFileFlags(f *pflag.FlagSet, fo *buildflags.File) {
	f.StringVarP(&fo.File, "file", "f", "build.yml", "the build file")
	f.StringVarP(&fo.Dir, "dir", "d", "", "the work dir (default: build.work_dir, which stays in the build file's folder, else the build file's folder)")
	f.StringArrayVar(&fo.Env, "env", nil, "set K=V for _env(K) in the build file (repeatable)")
	f.StringVar(&fo.Platform, "platform", "", "build every step without platforms: for these os/arch[/variant], comma-separated (as buildx: linux/amd64,linux/arm64)")
	f.StringSliceVar(&fo.Allow, "allow", nil, "let the build file read a secret file outside the work dir: fs.read=PATH, a file or a folder (repeatable, as in buildx bake)")
}

// loadPlan reads, validates and plans the build file, logging its warnings.
func (fo *fileOptions) loadPlan(o *rootOptions) (*dag.Plan, error) {
	return buildflags.Plan(fo.File, o.log)
}
