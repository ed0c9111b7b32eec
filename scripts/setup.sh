#!/usr/bin/env bash
# Installs what weld needs on a Debian machine and builds weld. Idempotent; a
# second run only checks and takes seconds.
#
#   1. Debian packages: runc (BuildKit's OCI worker runs it), busybox-static
#      (the offline busybox image), jq (the scripts read OCI JSON with it).
#   2. buildkitd and buildctl v0.33.1, built from the Go module proxy into
#      $WELD_TOOLS/bin (scripts/install-buildkit.sh; cached after the first time).
#   3. The offline base images, OCI layouts in $WELD_TOOLS/images/{busybox,golang}
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
# TODO(next issue): docker-registry (a local registry for push tests) and
# docker.io (dockerd for the load/docker-driver tests), when those land.
missing=()
have_pkg() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }
command -v runc >/dev/null 2>&1 || missing+=(runc)
have_pkg busybox-static || missing+=(busybox-static)
command -v jq >/dev/null 2>&1 || missing+=(jq)
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
  if ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
      die "apt-get install ${missing[*]} failed"
  fi
fi
log "runc: $(runc --version | head -n 1)"

# --- 2. buildkitd / buildctl -----------------------------------------------
"$WELD_ROOT/scripts/install-buildkit.sh"

# --- 3. offline base images ---------------------------------------------------
"$WELD_ROOT/scripts/images.sh"

# --- 4. weld ----------------------------------------------------------------
log "building bin/weld"
(cd "$WELD_ROOT" && go build -o bin/weld ./cmd/weld) || die "go build ./cmd/weld failed"

log "set-up done in $((SECONDS - start)) s (tools in $WELD_TOOLS)"
