#!/usr/bin/env bash
# Runs all of weld's tests (CI calls this through .ci/run):
#
#   1. gofmt (fails on any unformatted file), go vet ./..., go test ./... (unit tests; no daemon);
#   2. rebuilds bin/weld, starts a fresh buildkitd in a temporary folder and runs
#      the integration tests against it:
#        go test -tags integration -count=1 -timeout 40m ./...
#      with BUILDKIT_HOST (that daemon), WELD_TEST_IMAGES ($WELD_TOOLS/images,
#      holding busybox/ and golang/) and WELD_BIN (./bin/weld).
#   The daemon is stopped at the end, also on failure or Ctrl-C.
#
# Usage: scripts/test.sh [go test flags...]   e.g. scripts/test.sh -run TestSecretapp -v
#   Flags pass through to both go test runs.
# Needs scripts/setup.sh to have run once (buildkitd, runc, images).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$WELD_ROOT"
start=$SECONDS

need go
need buildkitd "scripts/install-buildkit.sh builds it"
need runc "apt-get install runc"

log "gofmt"
if git rev-parse --git-dir >/dev/null 2>&1; then
  mapfile -t gofiles < <(git ls-files -co --exclude-standard -- '*.go' ':!:**/testdata/**')
else
  mapfile -t gofiles < <(find . -name '*.go' -not -path '*/testdata/*' -not -path './.weld/*')
fi
unformatted=$(gofmt -l "${gofiles[@]}") || die "gofmt failed (syntax errors above)"
if [ -n "$unformatted" ]; then
  printf '%s\n' "$unformatted" >&2
  die "these files need gofmt -w (listed above)"
fi

log "go vet ./..."
go vet ./...
go vet -tags integration ./...

log "go test ./... (unit)"
go test "$@" ./...

log "building bin/weld"
go build -o bin/weld ./cmd/weld

daemon_dir=$(mktemp -d /tmp/weld-test.XXXXXX)
# shellcheck disable=SC2317 # called by the trap
stop_daemon() {
  local rc=$?
  if ! "$WELD_ROOT/scripts/buildkitd.sh" stop "$daemon_dir" && [ -s "$daemon_dir/buildkitd.pid" ]; then
    kill -TERM "$(cat "$daemon_dir/buildkitd.pid")" 2>/dev/null || true
    sleep 2
  fi
  if [ "$rc" != 0 ] && [ -f "$daemon_dir/buildkitd.log" ]; then
    echo "--- last lines of the test daemon's log:" >&2
    tail -n 20 "$daemon_dir/buildkitd.log" >&2 || true
  fi
  rm -rf "$daemon_dir"
  exit "$rc"
}
trap stop_daemon EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
log "starting a buildkitd for the integration tests"
BUILDKIT_HOST=$("$WELD_ROOT/scripts/buildkitd.sh" start "$daemon_dir") ||
  die "could not start buildkitd (see above); the integration tests need it"
export BUILDKIT_HOST
# The base images: checked in a fraction of a second, (re)made on this daemon if missing.
"$WELD_ROOT/scripts/images.sh" || die "the offline base images are missing and could not be made; run scripts/setup.sh"
export WELD_TEST_IMAGES="$WELD_TOOLS/images"
export WELD_BIN="$WELD_ROOT/bin/weld"

log "go test -tags integration ./... (BUILDKIT_HOST=$BUILDKIT_HOST)"
go test -tags integration -count=1 -timeout 40m "$@" ./...

log "all tests passed in $((SECONDS - start)) s"
