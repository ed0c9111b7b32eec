#!/usr/bin/env bash
# Builds buildkitd and buildctl at the version pinned in go.mod from the Go module
# proxy (go install is refused: buildkit's go.mod has exclude directives), and
# installs them into ${WELD_TOOLS:-$HOME/.local/share/weld/tools}/bin.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
version=${BUILDKIT_VERSION:-$(awk '$1=="github.com/moby/buildkit"{print $2; exit}' "$here/go.mod" 2>/dev/null || true)}
version=${version:-v0.34.2}
tools=${WELD_TOOLS:-$HOME/.local/share/weld/tools}
bin="$tools/bin"
if [ -x "$bin/buildkitd" ] && [ -x "$bin/buildctl" ] &&
  [[ "$("$bin/buildkitd" --version 2>/dev/null || true) " == *" $version "* ]]; then
  echo "buildkitd $version already in $bin"
  exit 0
fi
mkdir -p "$bin"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
cat > go.mod <<MOD
module weldtools

go 1.24
MOD
cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "github.com/moby/buildkit/cmd/buildctl"
	_ "github.com/moby/buildkit/cmd/buildkitd"
)
GO
echo "building buildkitd $version (a few minutes the first time)..."
go get "github.com/moby/buildkit@$version" >/dev/null
go mod tidy -e >/dev/null 2>&1 || go mod tidy
CGO_ENABLED=0 go build -trimpath -ldflags "-X github.com/moby/buildkit/version.Version=$version" \
  -o "$bin/" github.com/moby/buildkit/cmd/buildkitd github.com/moby/buildkit/cmd/buildctl
"$bin/buildkitd" --version
