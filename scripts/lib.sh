# shellcheck shell=bash
# Shared helpers for weld's scripts. Source it; do not run it.
#   WELD_ROOT   the repository (the folder above scripts/)
#   WELD_TOOLS  where buildkitd, buildctl and the base images live
#               (default $HOME/.local/share/weld/tools)

WELD_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WELD_TOOLS=${WELD_TOOLS:-$HOME/.local/share/weld/tools}
export WELD_ROOT WELD_TOOLS
# buildkitd looks for runc on PATH; Debian puts it in /usr/sbin, which a
# non-login root shell may lack.
case ":$PATH:" in *":$WELD_TOOLS/bin:"*) ;; *) PATH="$WELD_TOOLS/bin:$PATH" ;; esac
case ":$PATH:" in *":/usr/sbin:"*) ;; *) PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin" ;; esac
export PATH

# log MESSAGE... prints a step message on stderr.
log() { printf '==> %s\n' "$*" >&2; }

# die MESSAGE... prints an error on stderr and exits 1.
die() {
  printf '%s: error: %s\n' "$(basename "$0")" "$*" >&2
  exit 1
}

# need CMD [HINT] fails unless CMD is on PATH.
need() {
  command -v "$1" >/dev/null 2>&1 || die "$1 not found${2:+ ($2)}; run scripts/setup.sh first"
}

# port_in_use PORT succeeds when something listens on 127.0.0.1:PORT.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_port prints a port nothing listens on at 127.0.0.1, below Linux's
# ephemeral range (32768-60999), so that no outgoing connection takes it either.
free_port() {
  local p i
  for ((i = 0; i < 100; i++)); do
    p=$((20000 + RANDOM % 12000))
    port_in_use "$p" || { echo "$p"; return 0; }
  done
  die "no free port found in 20000-31999"
}
