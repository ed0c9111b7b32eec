#!/usr/bin/env bash
# Runs Debian's dockerd (docker.io 20.10) as a background process that owns DIR,
# for the "load into docker" tests. It does not touch the machine's own engine:
#
#   scripts/dockerd.sh start DIR   start it, wait until /_ping answers, print its
#                                  DOCKER_HOST (unix://DIR/docker.sock)
#   scripts/dockerd.sh stop DIR    stop it (and the containerd it started) and wait
#                                  until they are gone
#   scripts/dockerd.sh addr DIR    print its DOCKER_HOST
#
# It runs: dockerd --data-root DIR/data -H unix://DIR/docker.sock --exec-root DIR/exec
#            --pidfile DIR/docker.pid --iptables=false --bridge=none
# with its log in DIR/dockerd.log. No iptables rules, no bridge: the engine only
# stores and loads images here. Must run as root.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

usage() {
  echo "usage: $0 start|stop|addr DIR" >&2
  exit 2
}

[ $# -eq 2 ] || usage
cmd=$1
dir=$2

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
sock="$dir/docker.sock"
host="unix://$sock"
pidfile="$dir/docker.pid"
logfile="$dir/dockerd.log"

# running prints the engine's pid when the pid file names a live dockerd.
running() { pid_from "$pidfile" dockerd; }

answers() { [ "$(curl -sS --max-time 2 --unix-socket "$sock" http://docker/_ping 2>/dev/null)" = OK ]; }

tail_log() {
  echo "--- last lines of $logfile:" >&2
  tail -n 30 "$logfile" >&2 || true
}

# owned_pids prints the live processes started for DIR: the dockerd and the
# containerd it started (containerd --config DIR/exec/containerd/...).
owned_pids() {
  local p c
  for p in /proc/[0-9]*; do
    [ "${p#/proc/}" != "$$" ] || continue
    { c=$(tr '\0' ' ' <"$p/cmdline"); } 2>/dev/null || continue
    case $c in
      dockerd\ *"$dir/"* | */dockerd\ *"$dir/"* | containerd\ *"$dir/"* | */containerd\ *"$dir/"*) echo "${p#/proc/}" ;;
    esac
  done
}

start() {
  need dockerd "apt-get install docker.io"
  need curl "apt-get install curl"
  [ "$(id -u)" = 0 ] || die "dockerd needs root here; run as root"
  # A unix socket path must fit in sun_path (108 bytes); containerd's own
  # socket sits deeper, under DIR/exec/containerd/.
  [ "${#sock}" -lt 80 ] || die "DIR too long for dockerd's unix sockets (${#sock} bytes): $sock; use a shorter DIR"
  local pid i
  if pid=$(running); then
    if answers; then
      echo "dockerd already running (pid $pid) at $host" >&2
      echo "$host"
      return 0
    fi
    die "a dockerd (pid $pid) owns $dir but does not answer at $host; run: $0 stop $dir"
  fi
  rm -f "$sock" "$pidfile"
  mkdir -p "$dir/data" "$dir/exec"
  local args=(--data-root "$dir/data" -H "$host" --exec-root "$dir/exec" --pidfile "$pidfile"
    --iptables=false --bridge=none)
  # setsid: its own session, so a Ctrl-C in the caller's terminal does not reach it.
  # dockerd writes its own pid file (--pidfile); the launcher's pid is the same (exec).
  # shellcheck disable=SC2016
  setsid bash -c 'echo $$ >"$0.launch"; exec dockerd "$@"' "$pidfile" "${args[@]}" >"$logfile" 2>&1 </dev/null &
  for ((i = 0; i < 50; i++)); do
    [ -s "$pidfile.launch" ] && break
    sleep 0.05
  done
  pid=$(cat "$pidfile.launch" 2>/dev/null) || die "dockerd did not start (no pid file $pidfile.launch)"
  rm -f "$pidfile.launch"
  for ((i = 0; i < 600; i++)); do
    if answers; then
      echo "dockerd started (pid $pid) at $host, log $logfile" >&2
      echo "$host"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      tail_log
      die "dockerd exited during start-up (see above)"
    fi
    sleep 0.1
  done
  tail_log
  kill -TERM "$pid" 2>/dev/null || true
  die "dockerd (pid $pid) did not answer at $host/_ping within 60 s (see above)"
}

stop() {
  local pid i p
  if pid=$(running); then
    end_pid "$pid" dockerd 20
    echo "dockerd (pid $pid) stopped" >&2
  else
    echo "no dockerd running for $dir" >&2
  fi
  # The containerd a killed dockerd leaves behind, and any other process
  # started for DIR.
  for ((i = 0; i < 100; i++)); do
    mapfile -t pids < <(owned_pids)
    [ ${#pids[@]} -gt 0 ] || break
    for p in "${pids[@]}"; do
      if [ "$i" -lt 50 ]; then kill -TERM "$p" 2>/dev/null || true; else kill -KILL "$p" 2>/dev/null || true; fi
    done
    sleep 0.1
  done
  mapfile -t pids < <(owned_pids)
  [ ${#pids[@]} -eq 0 ] || die "processes of $dir still running: ${pids[*]}"
  unmount_under "$dir"
  rm -f "$pidfile" "$sock"
}

case $cmd in
  start) start ;;
  stop) stop ;;
  addr) echo "$host" ;;
  *) usage ;;
esac
