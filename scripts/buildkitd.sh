#!/usr/bin/env bash
# Runs a buildkitd (OCI worker, runc) as a background process that owns DIR:
#
#   scripts/buildkitd.sh start DIR [--config FILE]   start it, wait until it answers
#   scripts/buildkitd.sh stop DIR                    stop it and wait until it is gone
#   scripts/buildkitd.sh addr DIR                    print its address (unix://DIR/buildkitd.sock)
#
# DIR holds the state (DIR/state), the socket, the log (DIR/buildkitd.log) and
# the pid file (DIR/buildkitd.pid). Must run as root (buildkitd is not run rootless here).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

usage() {
  echo "usage: $0 start|stop|addr DIR [--config FILE]" >&2
  exit 2
}

[ $# -ge 2 ] || usage
cmd=$1
dir=$2
shift 2
config=
while [ $# -gt 0 ]; do
  case $1 in
    --config) [ $# -ge 2 ] || usage; config=$2; shift 2 ;;
    --config=*) config=${1#--config=}; shift ;;
    *) usage ;;
  esac
done

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
sock="$dir/buildkitd.sock"
addr="unix://$sock"
pidfile="$dir/buildkitd.pid"
logfile="$dir/buildkitd.log"

# running prints the daemon's pid when the pid file names a live buildkitd.
running() { pid_from "$pidfile" buildkitd; }

answers() { buildctl --addr "$addr" debug workers >/dev/null 2>&1; }

start() {
  need buildkitd "scripts/install-buildkit.sh builds it"
  need buildctl "scripts/install-buildkit.sh builds it"
  need runc "apt-get install runc"
  [ "$(id -u)" = 0 ] || die "buildkitd needs root here (the OCI worker runs runc); run as root"
  # A unix socket path must fit in sun_path (108 bytes).
  [ "${#sock}" -lt 104 ] || die "socket path too long for a unix socket (${#sock} bytes): $sock; use a shorter DIR"
  if pid=$(running); then
    if answers; then
      echo "buildkitd already running (pid $pid) at $addr" >&2
      echo "$addr"
      return 0
    fi
    die "a buildkitd (pid $pid) owns $dir but does not answer at $addr; run: $0 stop $dir"
  fi
  [ -z "$config" ] || [ -r "$config" ] || die "config file not readable: $config"
  rm -f "$sock" "$pidfile"
  local args=(--root "$dir/state" --addr "$addr" --oci-worker=true --containerd-worker=false)
  [ -z "$config" ] || args+=(--config "$config")
  # setsid: the daemon gets its own session, so a Ctrl-C in the caller's
  # terminal does not reach it; stop() ends it.
  # The daemon writes its own pid (setsid may fork).
  # shellcheck disable=SC2016
  setsid bash -c 'echo $$ >"$0"; exec buildkitd "$@"' "$pidfile" "${args[@]}" >"$logfile" 2>&1 </dev/null &
  local pid i
  for ((i = 0; i < 50; i++)); do
    [ -s "$pidfile" ] && break
    sleep 0.05
  done
  pid=$(cat "$pidfile" 2>/dev/null) || die "buildkitd did not start (no pid file $pidfile)"
  for ((i = 0; i < 300; i++)); do
    if answers; then
      echo "buildkitd started (pid $pid) at $addr, log $logfile" >&2
      echo "$addr"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "--- last lines of $logfile:" >&2
      tail -n 30 "$logfile" >&2 || true
      rm -f "$pidfile"
      die "buildkitd exited during start-up (see above)"
    fi
    sleep 0.1
  done
  echo "--- last lines of $logfile:" >&2
  tail -n 30 "$logfile" >&2 || true
  kill -TERM "$pid" 2>/dev/null || true
  die "buildkitd (pid $pid) did not answer at $addr within 30 s (see above)"
}

stop() {
  local pid
  if ! pid=$(running); then
    rm -f "$pidfile"
    echo "no buildkitd running for $dir" >&2
    return 0
  fi
  end_pid "$pid" buildkitd 20
  unmount_under "$dir"
  rm -f "$pidfile" "$sock"
  echo "buildkitd (pid $pid) stopped" >&2
}

case $cmd in
  start) start ;;
  stop) stop ;;
  addr) echo "$addr" ;;
  *) usage ;;
esac
