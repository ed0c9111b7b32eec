#!/usr/bin/env bash
# Runs all of weld's tests (CI calls this through .ci/run):
#
#   1. gofmt (fails on any unformatted file), go vet ./..., go test ./... (unit tests; no daemon);
#   2. rebuilds bin/weld, starts in a temporary folder a loopback registry
#      (scripts/registry.sh), a dockerd of its own (scripts/dockerd.sh) and a fresh
#      buildkitd whose config lets it push over plain HTTP to that registry and to a
#      second port the tests start their own registry on; then runs the integration
#      tests against them:
#        go test -tags integration -count=1 -timeout 40m ./...
#      with BUILDKIT_HOST (that buildkitd), WELD_TEST_IMAGES ($WELD_TOOLS/images,
#      holding busybox/, golang/ and busybox-multi/), WELD_BIN (./bin/weld), WELD_TEST_REGISTRY
#      (127.0.0.1:PORT of the registry), WELD_TEST_REGISTRY2 (127.0.0.1:PORT, free,
#      allowed in the buildkitd config) and WELD_TEST_DOCKER_HOST (unix://.../docker.sock
#      of the test dockerd; DOCKER_HOST itself is left alone, so weld's default
#      output in the other tests does not change).
#      The fleet tests (TestFleet*) start three more buildkitds of their own with
#      scripts/buildkitd.sh (max-parallelism = 1, plain HTTP to WELD_TEST_REGISTRY, their
#      staging registry) and stop them; buildctl, on PATH from $WELD_TOOLS/bin, serves
#      their stand-in kubectl.
#   Everything started is stopped at the end, also on failure or Ctrl-C. If the
#   registry, dockerd or buildkitd cannot start, the run fails with its log's tail.
#
# Usage: scripts/test.sh [go test flags...]   e.g. scripts/test.sh -run TestSecretapp -v
#   Flags pass through to both go test runs.
# Needs scripts/setup.sh to have run once (buildkitd, runc, images, docker-registry, docker.io).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$WELD_ROOT"
start=$SECONDS

need go
need buildkitd "scripts/install-buildkit.sh builds it"
need cosign "scripts/install-cosign.sh builds it (the signing tests verify with the real cosign)"
need runc "apt-get install runc"
need docker-registry "apt-get install docker-registry"
need dockerd "apt-get install docker.io"
need curl "apt-get install curl"
need chromium "apt-get install chromium (the report tests load the page in headless Chromium)"

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
bk_dir="$daemon_dir/bk"
# shellcheck disable=SC2317 # called by the trap
stop_daemons() {
  local rc=$?
  "$WELD_ROOT/scripts/dockerd.sh" stop "$daemon_dir/docker" || { echo "stopping the test dockerd failed" >&2; [ "$rc" != 0 ] || rc=1; }
  "$WELD_ROOT/scripts/registry.sh" stop "$daemon_dir/registry" || { echo "stopping the test registry failed" >&2; [ "$rc" != 0 ] || rc=1; }
  if ! "$WELD_ROOT/scripts/buildkitd.sh" stop "$bk_dir" && [ -s "$bk_dir/buildkitd.pid" ]; then
    kill -TERM "$(cat "$bk_dir/buildkitd.pid")" 2>/dev/null || true
    sleep 2
  fi
  if [ "$rc" != 0 ] && [ -f "$bk_dir/buildkitd.log" ]; then
    echo "--- last lines of the test daemon's log:" >&2
    tail -n 20 "$bk_dir/buildkitd.log" >&2 || true
  fi
  rm -rf "$daemon_dir"
  exit "$rc"
}
trap stop_daemons EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "starting a registry and a dockerd for the publish tests"
WELD_TEST_REGISTRY=$("$WELD_ROOT/scripts/registry.sh" start "$daemon_dir/registry") ||
  die "could not start docker-registry (see above); the push tests need it"
# The tests start (and stop) a registry of their own on this port.
WELD_TEST_REGISTRY2=127.0.0.1:$(free_port)
[ "$WELD_TEST_REGISTRY2" != "$WELD_TEST_REGISTRY" ] || WELD_TEST_REGISTRY2=127.0.0.1:$(free_port)
WELD_TEST_DOCKER_HOST=$("$WELD_ROOT/scripts/dockerd.sh" start "$daemon_dir/docker") ||
  die "could not start dockerd (see above); the load tests need it"
export WELD_TEST_REGISTRY WELD_TEST_REGISTRY2 WELD_TEST_DOCKER_HOST

log "starting a buildkitd for the integration tests"
mkdir -p "$bk_dir"
cat >"$bk_dir/buildkitd.toml" <<EOF
# Plain HTTP to the tests' loopback registries.
[registry."$WELD_TEST_REGISTRY"]
  http = true
[registry."$WELD_TEST_REGISTRY2"]
  http = true
EOF
BUILDKIT_HOST=$("$WELD_ROOT/scripts/buildkitd.sh" start "$bk_dir" --config "$bk_dir/buildkitd.toml") ||
  die "could not start buildkitd (see above); the integration tests need it"
export BUILDKIT_HOST
# The base images: checked in a fraction of a second, (re)made on this daemon if missing.
"$WELD_ROOT/scripts/images.sh" || die "the offline base images are missing and could not be made; run scripts/setup.sh"
export WELD_TEST_IMAGES="$WELD_TOOLS/images"
export WELD_BIN="$WELD_ROOT/bin/weld"

log "go test -tags integration ./... (BUILDKIT_HOST=$BUILDKIT_HOST WELD_TEST_REGISTRY=$WELD_TEST_REGISTRY WELD_TEST_DOCKER_HOST=$WELD_TEST_DOCKER_HOST)"
go test -tags integration -count=1 -timeout 40m "$@" ./...

log "all tests passed in $((SECONDS - start)) s"
