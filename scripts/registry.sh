#!/usr/bin/env bash
# Runs Debian's docker-registry (distribution 2.8) on 127.0.0.1 as a background
# process that owns DIR, for the push tests:
#
#   scripts/registry.sh start DIR [PORT]   start it (on PORT, else a free port), wait
#                                          until GET /v2/ answers, print HOST:PORT
#   scripts/registry.sh stop DIR           stop it and wait until it is gone
#   scripts/registry.sh addr DIR           print the HOST:PORT of a running one
#
# DIR holds the config (DIR/config.yml), the storage (DIR/data), the log
# (DIR/registry.log), the pid file (DIR/registry.pid) and the address
# (DIR/addr). Plain HTTP, no auth unless REGISTRY_AUTH_HTPASSWD_REALM and
# _PATH are set, deletes enabled: for loopback tests only.
# buildkitd needs [registry."HOST:PORT"] http = true in its config to push here.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

usage() {
  echo "usage: $0 start DIR [PORT] | stop DIR | addr DIR" >&2
  exit 2
}

[ $# -ge 2 ] || usage
cmd=$1
dir=$2
port=${3:-}
[ $# -le 3 ] || usage
[ -z "$port" ] || [ "$cmd" = start ] || usage
case $port in '' | [1-9] | [1-9][0-9] | [1-9][0-9][0-9] | [1-9][0-9][0-9][0-9] | [1-9][0-9][0-9][0-9][0-9]) ;; *) die "PORT must be a number: $port" ;; esac

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
pidfile="$dir/registry.pid"
logfile="$dir/registry.log"
config="$dir/config.yml"
addrfile="$dir/addr"

# running prints the registry's pid when the pid file names a live docker-registry.
running() { pid_from "$pidfile" docker-registry; }

# answers ADDR succeeds when the registry's API root answers: 200, or 401
# when auth is on (REGISTRY_AUTH_HTPASSWD_* in the environment, which
# docker-registry reads as config overrides).
answers() {
  local code
  code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 2 "http://$1/v2/" 2>/dev/null) || return 1
  [ "$code" = 200 ] || [ "$code" = 401 ]
}

tail_log() {
  echo "--- last lines of $logfile:" >&2
  tail -n 30 "$logfile" >&2 || true
}

# launch PORT starts the registry on PORT; it fails when the registry exits
# (e.g. the port was taken meanwhile) or does not answer within 30 s.
launch() {
  local p=$1 addr="127.0.0.1:$1" pid i
  cat >"$config" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: $addr
  secret: weld-test-registry
EOF
  rm -f "$pidfile" "$addrfile"
  # setsid: its own session, so a Ctrl-C in the caller's terminal does not reach it.
  # shellcheck disable=SC2016
  setsid bash -c 'echo $$ >"$0"; exec docker-registry serve "$1"' "$pidfile" "$config" >"$logfile" 2>&1 </dev/null &
  for ((i = 0; i < 50; i++)); do
    [ -s "$pidfile" ] && break
    sleep 0.05
  done
  pid=$(cat "$pidfile" 2>/dev/null) || { echo "docker-registry did not start (no pid file $pidfile)" >&2; return 1; }
  for ((i = 0; i < 300; i++)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$pidfile"
      return 1
    fi
    if answers "$addr"; then
      echo "$addr" >"$addrfile"
      echo "docker-registry started (pid $pid) at $addr, storage $dir/data, log $logfile" >&2
      echo "$addr"
      return 0
    fi
    sleep 0.1
  done
  tail_log
  kill -TERM "$pid" 2>/dev/null || true
  die "docker-registry (pid $pid) did not answer at http://$addr/v2/ within 30 s (see above)"
}

start() {
  need docker-registry "apt-get install docker-registry"
  need curl "apt-get install curl"
  local pid try p
  if pid=$(running); then
    local addr
    addr=$(cat "$addrfile" 2>/dev/null || true)
    if [ -n "$addr" ] && answers "$addr" && { [ -z "$port" ] || [ "$addr" = "127.0.0.1:$port" ]; }; then
      echo "docker-registry already running (pid $pid) at $addr" >&2
      echo "$addr"
      return 0
    fi
    die "a docker-registry (pid $pid) owns $dir but does not answer${port:+ on port $port}; run: $0 stop $dir"
  fi
  mkdir -p "$dir/data"
  if [ -n "$port" ]; then
    port_in_use "$port" && die "port $port on 127.0.0.1 is already in use"
    launch "$port" && return 0
    tail_log
    die "docker-registry exited during start-up on port $port (see above)"
  fi
  # A free port can be taken between the check and the listen: try a few.
  for ((try = 0; try < 5; try++)); do
    p=$(free_port) || exit 1
    launch "$p" && return 0
  done
  tail_log
  die "docker-registry exited during start-up 5 times (see above)"
}

stop() {
  local pid
  if ! pid=$(running); then
    rm -f "$pidfile" "$addrfile"
    echo "no docker-registry running for $dir" >&2
    return 0
  fi
  end_pid "$pid" docker-registry 10
  [ ! -d "/proc/$pid" ] || die "docker-registry (pid $pid) did not end"
  rm -f "$pidfile" "$addrfile"
  echo "docker-registry (pid $pid) stopped" >&2
}

case $cmd in
  start) start ;;
  stop) stop ;;
  addr)
    running >/dev/null || die "no docker-registry running for $dir"
    cat "$addrfile"
    ;;
  *) usage ;;
esac
