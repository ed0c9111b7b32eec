#!/usr/bin/env bash
# Makes this machine run linux/arm64 binaries under emulation, so that one
# buildkitd builds for linux/arm64 beside linux/amd64 (weld's platforms):
#
#   1. Debian's qemu-user-static (statically linked QEMU user-mode emulators);
#   2. binfmt_misc mounted at /proc/sys/fs/binfmt_misc when it is not;
#   3. the qemu-aarch64 handler registered from /usr/lib/binfmt.d/qemu-aarch64.conf
#      with the F flag (the kernel opens the interpreter once, at registration,
#      so it also runs inside a build container's root, where no QEMU is).
#
# Idempotent; run as root (there is no systemd here to register handlers). A
# buildkitd already running picks the platform up on its next worker query.
# On a machine whose CPU is arm64 it does nothing.
#
# Usage: scripts/binfmt.sh [--check]
#   --check   only say whether arm64 binaries run here (exit 1 when not)
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

mnt=/proc/sys/fs/binfmt_misc
conf=/usr/lib/binfmt.d/qemu-aarch64.conf
handler=$mnt/qemu-aarch64

# registered succeeds when the qemu-aarch64 handler is enabled with the F flag.
registered() {
  [ -f "$handler" ] && grep -qx enabled "$handler" && grep -q '^flags:.*F' "$handler"
}

case $(uname -m) in aarch64 | arm64)
  log "binfmt: this machine is arm64 itself"
  exit 0
  ;;
esac

if [ "${1:-}" = --check ]; then
  registered || die "no qemu-aarch64 binfmt_misc handler with the F flag; run scripts/binfmt.sh as root"
  log "binfmt: $(grep -E '^(interpreter|flags)' "$handler" | tr '\n' ' ')"
  exit 0
fi
[ $# -eq 0 ] || { echo "usage: $0 [--check]" >&2; exit 2; }

if registered; then
  log "binfmt: qemu-aarch64 is registered ($(grep '^flags' "$handler"))"
  exit 0
fi
[ "$(id -u)" = 0 ] || die "registering a binfmt_misc handler needs root"

if [ ! -f "$conf" ]; then
  command -v apt-get >/dev/null 2>&1 || die "no $conf and no apt-get: install qemu-user-static"
  log "installing qemu-user-static"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -qq --no-install-recommends qemu-user-static >/dev/null; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends qemu-user-static >/dev/null ||
      die "apt-get install qemu-user-static failed"
  fi
  [ -f "$conf" ] || die "qemu-user-static installed no $conf"
fi

if [ ! -f "$mnt/register" ]; then
  log "mounting binfmt_misc at $mnt"
  mount -t binfmt_misc binfmt_misc "$mnt" || die "mounting binfmt_misc failed (is the container privileged?)"
fi

# A handler of that name without the F flag (or disabled) is replaced.
if [ -f "$handler" ]; then
  echo -1 >"$handler"
fi
line=$(grep -v '^#' "$conf" | grep -m1 ':qemu-aarch64:')
[ -n "$line" ] || die "no qemu-aarch64 line in $conf"
case $line in
*:F) ;;
*:*F*) ;;
*) line="${line}F" ;;
esac
printf '%s' "$line" >"$mnt/register" || die "writing the qemu-aarch64 handler into $mnt/register failed"
registered || die "qemu-aarch64 did not register with the F flag"
log "binfmt: registered qemu-aarch64 ($(grep '^flags' "$handler"))"
