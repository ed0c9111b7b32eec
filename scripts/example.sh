#!/usr/bin/env bash
# The README's first command: installs what weld needs (scripts/setup.sh),
# builds examples/secretapp with weld, offline, and runs the image it made.
#
#   - golang:1.26 and alpine:3.20 are mapped with --image to the OCI layouts that
#     scripts/images.sh made (the machine's own Go; Debian's busybox-static);
#   - the compile step reads a fake token through a secret mount (a random file
#     under .weld/);
#   - each step's image lands in .weld/out/<step>/ as an OCI layout;
#   - the scratch image (runtime_minimal) runs for 3 s with runc and must print
#     "Protect all your base @ weld-run".
#
# weld starts its own buildkitd when BUILDKIT_HOST is unset.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$WELD_ROOT"

"$WELD_ROOT/scripts/setup.sh"

images="$WELD_TOOLS/images"
mkdir -p .weld
token=.weld/secretapp-token
# A fake private token: random, readable by this user only.
(umask 077 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$token")
SECRETAPP_TOKEN_FILE="$WELD_ROOT/$token"
export SECRETAPP_TOKEN_FILE
rm -rf .weld/out
mkdir -p .weld/out

log "weld build -f examples/secretapp/build.yml"
set -x
bin/weld build -f examples/secretapp/build.yml \
  --allow "fs.read=$SECRETAPP_TOKEN_FILE" \
  --image "golang:1.26=oci-layout://$images/golang" \
  --image "alpine:3.20=oci-layout://$images/busybox" \
  --output oci:.weld/out \
  --metadata-file .weld/out/metadata.json
{ set +x; } 2>/dev/null

[ -f .weld/out/runtime_minimal/index.json ] || die "weld build did not write .weld/out/runtime_minimal/"

want="Protect all your base @ weld-run"
log "running .weld/out/runtime_minimal for 3 s with runc"
out=$("$WELD_ROOT/scripts/run-oci.sh" .weld/out/runtime_minimal 3)
printf '%s\n' "$out"
grep -qxF "$want" <<<"$out" || die "the image did not print \"$want\""
if [ -f .weld/out/runtime_alpine/index.json ]; then
  log "running .weld/out/runtime_alpine for 2 s (USER daemon on the busybox base)"
  out=$("$WELD_ROOT/scripts/run-oci.sh" .weld/out/runtime_alpine 2)
  printf '%s\n' "$out"
  grep -qxF "$want" <<<"$out" || die "the alpine-style image did not print \"$want\""
fi
log "example done: images in .weld/out/, metadata in .weld/out/metadata.json"
