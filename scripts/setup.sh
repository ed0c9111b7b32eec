#!/usr/bin/env bash
# Installs what weld needs on a Debian machine and builds weld. Idempotent; a
# second run only checks and takes seconds.
#
#   1. Debian packages: runc (BuildKit's OCI worker runs it), busybox-static
#      (the offline busybox image), jq (the scripts read OCI JSON with it),
#      curl (the scripts ping the registry and dockerd), docker-registry (a
#      loopback registry for the push tests, scripts/registry.sh) and docker.io
#      (a dockerd of the tests' own for the load tests, scripts/dockerd.sh) and
#      chromium (the build report's tests load the page in headless Chromium).
#      Their packages' services are not started: the tests run their own.
#   2. buildkitd and buildctl at the version go.mod pins (v0.34.2), built from
#      the Go module proxy into $WELD_TOOLS/bin (scripts/install-buildkit.sh;
#      cached after the first time).
#   2b. docker buildx (scripts/install-buildx.sh, into $WELD_TOOLS/bin): the
#      SBOM tests read pushed images with the real `buildx imagetools
#      inspect`, and scripts/bench.sh runs `buildx bake` beside weld.
#   2c. cosign (scripts/install-cosign.sh), built from the Go module proxy into
#      $WELD_TOOLS/bin: the signing tests verify weld's signatures with it.
#   2d. arm64 emulation (scripts/binfmt.sh, as root): qemu-user-static and its
#      qemu-aarch64 binfmt_misc handler with the F flag, for the platform tests.
#   3. The offline base images, OCI layouts in $WELD_TOOLS/images/{busybox,golang,busybox-multi}
#      (scripts/images.sh).
#   4. weld itself: ./bin/weld.
#
# WELD_TOOLS defaults to $HOME/.local/share/weld/tools.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
start=$SECONDS

need go "install Go first: https://go.dev/dl/ (the module's go.mod names the version)"

# --- 1. Debian packages ----------------------------------------------------
missing=()
have_pkg() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }
command -v runc >/dev/null 2>&1 || missing+=(runc)
have_pkg busybox-static || missing+=(busybox-static)
command -v jq >/dev/null 2>&1 || missing+=(jq)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
{ command -v dockerd && command -v docker; } >/dev/null 2>&1 || missing+=(docker.io)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)

# no_service_starts runs a command with a policy-rc.d that forbids starting
# services (exit 101, as Debian's container images have it): docker.io's and
# docker-registry's install scripts would otherwise start a system dockerd on
# /var/run/docker.sock and a registry on :5000, or fail the install where no
# init system runs. An existing policy-rc.d is put back afterwards, also on
# Ctrl-C.
policy=/usr/sbin/policy-rc.d
policy_saved=''
restore_policy() {
  if [ -n "$policy_saved" ]; then
    "${sudo[@]}" mv -f "$policy_saved" "$policy"
  else
    "${sudo[@]}" rm -f "$policy"
  fi
}
no_service_starts() {
  local rc=0
  policy_saved=''
  if [ -e "$policy" ] || [ -L "$policy" ]; then
    policy_saved=$("${sudo[@]}" mktemp "$policy.weld-saved.XXXXXX")
    "${sudo[@]}" cp -a "$policy" "$policy_saved"
  fi
  trap 'restore_policy; exit 130' INT TERM
  printf '#!/bin/sh\n# written by weld scripts/setup.sh for the length of an apt-get install\nexit 101\n' |
    "${sudo[@]}" tee "$policy" >/dev/null
  "${sudo[@]}" chmod 755 "$policy"
  "$@" || rc=$?
  restore_policy
  trap - INT TERM
  return "$rc"
}

if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 ||
    die "missing ${missing[*]} and no apt-get here; install them with your package manager"
  sudo=()
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "missing ${missing[*]}; run as root or install them: apt-get install ${missing[*]}"
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  log "installing ${missing[*]}"
  # apt-get update only when the package lists are empty or too old to install from.
  if ! compgen -G '/var/lib/apt/lists/*Packages*' >/dev/null; then
    "${sudo[@]}" apt-get update -qq
  fi
  if ! no_service_starts "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    "${sudo[@]}" apt-get update -qq
    no_service_starts "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
      die "apt-get install ${missing[*]} failed"
  fi
fi
log "runc: $(runc --version | head -n 1)"
log "docker-registry: $(docker-registry --version 2>&1 | head -n 1)"
log "dockerd: $(dockerd --version 2>&1 | head -n 1)"
log "chromium: $(chromium --version 2>/dev/null | head -n 1)"

# --- 2. buildkitd / buildctl -----------------------------------------------
"$WELD_ROOT/scripts/install-buildkit.sh"
"$WELD_ROOT/scripts/install-cosign.sh"

# --- 2b. docker buildx -----------------------------------------------------
"$WELD_ROOT/scripts/install-buildx.sh"

# --- 2d. arm64 emulation ----------------------------------------------------
if [ "$(id -u)" = 0 ]; then
  "$WELD_ROOT/scripts/binfmt.sh"
else
  sudo "$WELD_ROOT/scripts/binfmt.sh"
fi

# --- 3. offline base images ---------------------------------------------------
"$WELD_ROOT/scripts/images.sh"

# --- 4. weld ----------------------------------------------------------------
log "building bin/weld"
(cd "$WELD_ROOT" && go build -o bin/weld ./cmd/weld) || die "go build ./cmd/weld failed"

log "set-up done in $((SECONDS - start)) s (tools in $WELD_TOOLS)"
