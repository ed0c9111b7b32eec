#!/usr/bin/env bash
# Builds docker buildx (default v0.38.2, the newest the Go module proxy serves
# at the time of writing) from the module proxy and installs it as
# ${WELD_TOOLS:-$HOME/.local/share/weld/tools}/bin/buildx. scripts/bench.sh
# runs `buildx bake` with it, side by side with weld, on the same buildkitd.
#
# It copies the module's source out of the read-only module cache and builds
# ./cmd/buildx there with -mod=mod (which may write go.sum), with the version
# linked in: about 5 minutes the first time. Idempotent: it does nothing when
# buildx at that version is already installed.
#
#   BUILDX_VERSION   the version to build (default v0.38.2)
set -euo pipefail
version=${BUILDX_VERSION:-v0.38.2}
tools=${WELD_TOOLS:-$HOME/.local/share/weld/tools}
bin="$tools/bin"
if [ -x "$bin/buildx" ] &&
  [[ "$("$bin/buildx" version 2>/dev/null || true) " == *" $version "* ]]; then
  echo "buildx $version already in $bin"
  exit 0
fi
command -v go >/dev/null 2>&1 || { echo "$0: error: go not found" >&2; exit 1; }
mkdir -p "$bin"
work=$(mktemp -d "${TMPDIR:-/tmp}/weld-buildx.XXXXXX")
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

echo "building buildx $version (about 5 minutes the first time)..."
dir=$(go mod download -json "github.com/docker/buildx@$version" |
  sed -n 's/^[[:space:]]*"Dir":[[:space:]]*"\(.*\)",\{0,1\}$/\1/p')
if [ -z "$dir" ] || [ ! -d "$dir" ]; then
  echo "$0: error: go mod download github.com/docker/buildx@$version gave no folder" >&2
  exit 1
fi
cp -r "$dir" "$work/buildx"
chmod -R u+w "$work/buildx"
cd "$work/buildx"
CGO_ENABLED=0 go build -mod=mod -trimpath \
  -ldflags "-X github.com/docker/buildx/version.Version=$version -X github.com/docker/buildx/version.Revision=modproxy" \
  -o "$bin/buildx.new" ./cmd/buildx
mv -f "$bin/buildx.new" "$bin/buildx"
"$bin/buildx" version
