#!/usr/bin/env bash
# Builds the real cosign from the Go module proxy and installs it into
# ${WELD_TOOLS:-$HOME/.local/share/weld/tools}/bin. The integration tests of
# signing (weld build --sign-key, weld verify, require_signed_bases) check
# weld's signatures with it. Idempotent: a cosign of the wanted version that is
# already there is kept.
#
#   COSIGN_VERSION  the version to build (default v3.1.3, the newest the module
#                   proxy served on 2026-12-03)
set -euo pipefail
version=${COSIGN_VERSION:-v3.1.3}
tools=${WELD_TOOLS:-$HOME/.local/share/weld/tools}
bin="$tools/bin"
have=$("$bin/cosign" version 2>/dev/null | awk '$1=="GitVersion:"{print $2}' || true)
if [ -x "$bin/cosign" ] && [ "$have" = "$version" ]; then
  echo "cosign $version already in $bin"
  exit 0
fi
mkdir -p "$bin"
major=${version%%.*}
module=github.com/sigstore/cosign
[ "$major" = v0 ] || [ "$major" = v1 ] || module="$module/$major"
echo "building cosign $version (a few minutes the first time)..."
CGO_ENABLED=0 GOBIN="$bin" go install -trimpath \
  -ldflags "-X sigs.k8s.io/release-utils/version.gitVersion=$version" \
  "$module/cmd/cosign@$version"
"$bin/cosign" version 2>/dev/null | awk '$1=="GitVersion:"'
