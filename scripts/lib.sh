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

# pid_from PIDFILE NAME prints the pid the file names when that process is
# alive and its command line holds NAME.
pid_from() {
  local pid
  [ -s "$1" ] || return 1
  pid=$(cat "$1")
  [ -d "/proc/$pid" ] || return 1
  grep -q "$2" "/proc/$pid/cmdline" 2>/dev/null || return 1
  echo "$pid"
}

# end_pid PID NAME SECONDS sends TERM, waits up to SECONDS, then KILLs and
# waits a little more.
end_pid() {
  local pid=$1 name=$2 secs=$3 i
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < secs * 10; i++)); do
    [ -d "/proc/$pid" ] || return 0
    sleep 0.1
  done
  echo "$name (pid $pid) still running after $secs s; killing it" >&2
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    [ -d "/proc/$pid" ] || return 0
    sleep 0.1
  done
}

# unmount_under DIR lazily unmounts whatever a killed daemon left mounted
# under DIR, so that DIR can be removed.
unmount_under() {
  local m
  while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done < <(awk -v d="$1/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r)
}

# bench_weld prints the weld a benchmark times: $WELD when set, else
# bin/weld built from this tree now (quick when nothing changed), so that
# a benchmark never times a binary older than the code.
bench_weld() {
  if [ -n "${WELD:-}" ]; then
    [ -x "$WELD" ] || die "WELD=$WELD is not an executable file"
    echo "$WELD"
    return
  fi
  (cd "$WELD_ROOT" && go build -o bin/weld ./cmd/weld) >&2 || die "go build ./cmd/weld failed"
  echo "$WELD_ROOT/bin/weld"
}
