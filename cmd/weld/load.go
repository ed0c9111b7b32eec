package main

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/dag"
)

// fileOptions are the flags that find and read the build file.
type fileOptions struct {
	file, dir string
	env       []string
	allow     []string
	secretIDs []string // the --secret ids, set by weld build
	platform  string   // --platform a,b: the platforms of steps without platforms:
}

func addFileFlags(f *pflag.FlagSet, fo *fileOptions) {
	f.StringVarP(&fo.file, "file", "f", "build.yml", "the build file")
	f.StringVarP(&fo.dir, "dir", "d", "", "the work dir (default: build.work_dir, which stays in the build file's folder, else the build file's folder)")
	f.StringArrayVar(&fo.env, "env", nil, "set K=V for _env(K) in the build file (repeatable)")
	f.StringVar(&fo.platform, "platform", "", "build every step without platforms: for these os/arch[/variant], comma-separated (as buildx: linux/amd64,linux/arm64)")
	f.StringSliceVar(&fo.allow, "allow", nil, "let the build file read a secret file outside the work dir: fs.read=PATH, a file or a folder (repeatable, as in buildx bake)")
}

// loadPlan reads, validates and plans the build file, logging its warnings.
func (fo *fileOptions) loadPlan(o *rootOptions) (*dag.Plan, error) {
	env, err := parseEnv(fo.env)
	if err != nil {
		return nil, err
	}
	reads, err := parseAllow(fo.allow)
	if err != nil {
		return nil, err
	}
	var plats []string
	if fo.platform != "" {
		if plats, err = dag.ParsePlatforms(fo.platform); err != nil {
			return nil, fmt.Errorf("%w: --platform: %v", errBadInput, err)
		}
	}
	b, err := dag.Load(fo.file, dag.WithEnv(env), dag.WithWorkDir(fo.dir), dag.WithPlatforms(plats...),
		dag.WithAllowedReads(reads...), dag.WithOverriddenSecrets(fo.secretIDs...))
	if err != nil {
		return nil, err
	}
	for _, w := range b.Warnings {
		o.log.Warn(w.Error())
	}
	return dag.NewPlan(b)
}

// loadPlan is fileOptions.loadPlan told the ids of --secret: the build
// file's secrets they replace are neither checked nor read.
func (bo *buildOptions) loadPlan(o *rootOptions) (*dag.Plan, error) {
	bo.secretIDs = nil
	for _, s := range bo.secrets {
		if sp, err := builder.ParseSecret(s); err == nil { // a bad one is reported with the other flags
			bo.secretIDs = append(bo.secretIDs, sp.ID)
		}
	}
	return bo.fileOptions.loadPlan(o)
}

// parseAllow parses --allow entitlements, buildx bake's syntax: weld knows
// fs.read=PATH, and fs=PATH, which is the same here (weld only reads).
func parseAllow(values []string) ([]string, error) {
	var reads []string
	for _, v := range values {
		k, path, _ := strings.Cut(v, "=")
		if (k != "fs.read" && k != "fs") || path == "" {
			return nil, fmt.Errorf("%w: --allow %q: weld knows fs.read=PATH (a file or a folder the build file may read outside the work dir)", errBadInput, v)
		}
		reads = append(reads, path)
	}
	return reads, nil
}
