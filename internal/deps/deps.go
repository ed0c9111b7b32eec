//go:build tools

// Package deps pins dependencies while the code that uses them is written.
package deps

import (
	_ "github.com/charmbracelet/log"
	_ "github.com/containerd/containerd/v2/plugins/content/local"
	_ "github.com/dominikbraun/graph"
	_ "github.com/google/go-cmp/cmp"
	_ "github.com/moby/buildkit/client"
	_ "github.com/moby/buildkit/client/llb"
	_ "github.com/moby/buildkit/frontend/dockerfile/instructions"
	_ "github.com/moby/buildkit/frontend/dockerfile/linter"
	_ "github.com/moby/buildkit/frontend/dockerfile/parser"
	_ "github.com/moby/buildkit/frontend/gateway/client"
	_ "github.com/moby/buildkit/session/auth/authprovider"
	_ "github.com/moby/buildkit/session/secrets/secretsprovider"
	_ "github.com/moby/buildkit/session/sshforward/sshprovider"
	_ "github.com/moby/buildkit/util/progress/progressui"
	_ "github.com/spf13/cobra"
	_ "golang.org/x/sync/errgroup"
	_ "gopkg.in/yaml.v3"
)
