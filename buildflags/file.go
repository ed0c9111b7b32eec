package buildflags

import (
	"fmt"
	"strings"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/dag"
)

// File are the flags that find and read the build file (weld build, plan,
// lint and affected take them).
type File struct {
	// File is the build file (-f).
	File string
	// Dir is the work dir (-d); "" is the build file's own.
	Dir string
	// Env are the --env K=V values for _env(K).
	Env []string
	// Allow are the --allow entitlements (fs.read=PATH).
	Allow []string
	// Platform is --platform a,b: the platforms of steps without platforms:.
	Platform string
	// SecretIDs are the ids of weld build's --secret values: the build
	// file's secrets they replace are neither checked nor read.
	SecretIDs []string
}

// Load parses the flags and reads and validates the build file; its
// warnings are in the Build's Warnings.
func (f File) Load() (*dag.Build, error) {
	env, err := ParseEnv("--env", f.Env)
	if err != nil {
		return nil, err
	}
	reads, err := ParseAllow(f.Allow)
	if err != nil {
		return nil, err
	}
	var plats []string
	if f.Platform != "" {
		if plats, err = dag.ParsePlatforms(f.Platform); err != nil {
			return nil, fmt.Errorf("%w: --platform: %v", builder.ErrInvalid, err)
		}
	}
	return dag.Load(f.File, dag.WithEnv(env), dag.WithWorkDir(f.Dir), dag.WithPlatforms(plats...),
		dag.WithAllowedReads(reads...), dag.WithOverriddenSecrets(f.SecretIDs...))
}

// ParseEnv parses the K=V values of flag (--env, --build) into a map.
func ParseEnv(flag string, kvs []string) (map[string]string, error) {
	env := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%w: %s %q: write K=V", builder.ErrInvalid, flag, kv)
		}
		env[k] = v
	}
	return env, nil
}

// ParseAllow parses --allow entitlements, buildx bake's syntax: weld knows
// fs.read=PATH, and fs=PATH, which is the same here (weld only reads).
func ParseAllow(values []string) ([]string, error) {
	var reads []string
	for _, v := range values {
		k, path, _ := strings.Cut(v, "=")
		if (k != "fs.read" && k != "fs") || path == "" {
			return nil, fmt.Errorf("%w: --allow %q: weld knows fs.read=PATH (a file or a folder the build file may read outside the work dir)", builder.ErrInvalid, v)
		}
		reads = append(reads, path)
	}
	return reads, nil
}
