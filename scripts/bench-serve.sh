#!/usr/bin/env bash
# The weld serve section of the benchmarks (scripts/bench.sh --serve runs it):
# the load figure of the build service. It starts a `weld serve` of its own
# (two tenants, each with its own server-side secret) on $BUILDKIT_HOST, or
# on a buildkitd of its own; packs N small projects (a 2-step DAG on busybox:
# compile mounts the tenant's secret and hands an artifact to runtime, which
# copies it and is published as an OCI layout; each project with its own
# nonce, so every RUN runs); then K concurrent clients (client c is tenant a
# when c is even, b when odd) POST them as fast as they can, each curl bounded
# by --max-time, and no 429 is retried. It prints:
#
#   - the submissions answered per second (202s and 429s), and how many of
#     them were accepted (202) per second, over the submission burst;
#   - the builds per minute the service completed, from the first submission
#     to the last build's end (the server's records), with the median time
#     a build ran and waited;
#   - the limits they ran under: --max-builds, --queue, the daemon's
#     max-parallelism, the CPUs.
#
#   scripts/bench-serve.sh [-n N] [-k K] [--max-builds M] [--queue Q] [--parallelism P] [--timeout S]
#     (defaults: N 60, K 4, M 2, Q 32, S 900; P only for its own daemon, default none: no limit)
#
# With $BUILDKIT_HOST set, its max-parallelism is read from a buildkitd.toml
# beside its socket when there is one (scripts/buildkitd.sh's layout), else
# printed as unknown. Nothing of the daemon's cache is pruned: the busybox
# base is cached, each RUN is new. WELD_BENCH_KEEP=1 keeps the temp dir (the
# server's log and state, each client's answers). Needs curl, jq, python3.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$WELD_ROOT"

usage() {
  echo "usage: $0 [-n N] [-k K] [--max-builds M] [--queue Q] [--parallelism P] [--timeout SECONDS]" >&2
  exit 2
}
n=60 k=4 max_builds=2 queue=32 par= timeout=900
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || usage
  case $1 in
    -n) n=$2 ;;
    -k) k=$2 ;;
    --max-builds) max_builds=$2 ;;
    --queue) queue=$2 ;;
    --parallelism) par=$2 ;;
    --timeout) timeout=$2 ;;
    *) usage ;;
  esac
  shift 2
done
for v in "$n" "$k" "$max_builds" "$timeout" ${par:+"$par"}; do [[ $v =~ ^[1-9][0-9]*$ ]] || usage; done
[[ $queue =~ ^[0-9]+$ ]] || usage
need curl "apt-get install curl"
need jq "apt-get install jq"
need python3
need buildctl "scripts/install-buildkit.sh builds it"
busybox="$WELD_TOOLS/images/busybox"
[ -f "$busybox/index.json" ] || die "no OCI layout at $busybox; run scripts/setup.sh (or scripts/images.sh) first"
weld=$(bench_weld)

tmp=$(mktemp -d /tmp/wsb.XXXXXX)
own_daemon= serve_pid=
cleanup() {
  local rc=$?
  [ -z "$serve_pid" ] || end_pid "$serve_pid" "weld serve" 30
  [ -z "$own_daemon" ] || "$WELD_ROOT/scripts/buildkitd.sh" stop "$tmp/bk" >/dev/null 2>&1 || true
  if [ -n "${WELD_BENCH_KEEP:-}" ]; then
    echo "kept $tmp (serve.log, the state, each client's answers)" >&2
  else
    rm -rf "$tmp"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -z "${BUILDKIT_HOST:-}" ]; then
  own_daemon=1
  mkdir -p "$tmp/bk"
  : >"$tmp/bk/buildkitd.toml"
  [ -z "$par" ] || printf '[worker.oci]\n  max-parallelism = %s\n' "$par" >"$tmp/bk/buildkitd.toml"
  BUILDKIT_HOST=$("$WELD_ROOT/scripts/buildkitd.sh" start "$tmp/bk" --config "$tmp/bk/buildkitd.toml")
else
  [ -z "$par" ] || die "--parallelism is for the daemon this script starts; unset BUILDKIT_HOST, or leave it out"
  log "using the daemon at $BUILDKIT_HOST (nothing of its cache is pruned)"
fi
export BUILDKIT_HOST
# The daemon's limit: its buildkitd.toml beside the socket, when there is one.
toml="$(dirname "${BUILDKIT_HOST#unix://}")/buildkitd.toml"
if [ -f "$toml" ]; then
  par=$(sed -n 's/^[[:space:]]*max-parallelism[[:space:]]*=[[:space:]]*\([0-9]*\).*/\1/p' "$toml" | head -n 1)
  par=${par:-none (no limit)}
else
  par="unknown (no $toml)"
fi

# Two tenants, each with a token and a secret of its own.
tok_a=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')
tok_b=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')
(umask 077 && printf '%s a\n%s b\n' "$tok_a" "$tok_b" >"$tmp/tokens" &&
  printf 'secret-of-a-%s' "$RANDOM" >"$tmp/secret-a" && printf 'secret-of-b-%s-longer' "$RANDOM" >"$tmp/secret-b")
printf 'a token file:%s\nb token file:%s\n' "$tmp/secret-a" "$tmp/secret-b" >"$tmp/secrets"

# The uploads, packed before the clock starts.
run="$(date +%s%N)"
mkdir -p "$tmp/proj"
for ((i = 1; i <= n; i++)); do
  p="$tmp/proj/$i"
  mkdir -p "$p"
  cat >"$p/build.yml" <<'YML'
build:
  version: 2016-03-14
  steps:
    compile:
      dockerfile: Dockerfile.compile
      publish: false
      artifacts:
        - /out/app
      secrets:
        token:
          type: file
          value: not-sent
    runtime:
      name: bench-serve
      dockerfile: Dockerfile.runtime
      depends_on:
        - compile
YML
  printf 'FROM busybox\nRUN --mount=type=secret,id=token mkdir /out && wc -c < /run/secrets/token > /out/app && echo %s >> /out/app\n' "$run-$i" >"$p/Dockerfile.compile"
  printf 'FROM busybox\nCOPY app /app\n' >"$p/Dockerfile.runtime"
  tar -czf "$p.tgz" -C "$p" .
done

"$weld" serve --listen 127.0.0.1:0 --addr "$BUILDKIT_HOST" --state "$tmp/state" --tokens "$tmp/tokens" \
  --secrets "$tmp/secrets" --image "busybox=oci-layout://$busybox" --output "oci:$tmp/out" \
  --max-builds "$max_builds" --queue "$queue" --drain-timeout 10s >"$tmp/serve.log" 2>&1 &
serve_pid=$!
url=
for ((i = 0; i < 200; i++)); do
  url=$(sed -n 's/.*serving listen=\(127\.0\.0\.1:[0-9]*\).*/http:\/\/\1/p' "$tmp/serve.log" | head -n 1)
  [ -n "$url" ] && break
  kill -0 "$serve_pid" 2>/dev/null || { cat "$tmp/serve.log" >&2; serve_pid=; die "weld serve exited at start (its log is above)"; }
  sleep 0.1
done
[ -n "$url" ] || { cat "$tmp/serve.log" >&2; die "weld serve did not listen within 20 s (its log is above)"; }
curl -fsS --max-time 5 "$url/healthz" >/dev/null || die "GET $url/healthz failed"

# client C: POSTs builds C+1, C+1+K, ... as fast as it can; one line per
# answer: build, HTTP code (000: no answer), the time it came (ns).
client() {
  local c=$1 tok=$tok_a i code
  ((c % 2 == 0)) || tok=$tok_b
  for ((i = c + 1; i <= n; i += k)); do
    code=$(curl -sS --max-time 60 -o "$tmp/proj/$i.resp" -w '%{http_code}' -H "Authorization: Bearer $tok" \
      --data-binary "@$tmp/proj/$i.tgz" "$url/v1/builds" 2>>"$tmp/client$c.err") || true
    echo "$i ${code:-000} $(date +%s%N)"
  done >"$tmp/client$c.log"
}

log "submitting $n builds from $k clients of 2 tenants at once (--max-builds $max_builds, --queue $queue, daemon max-parallelism $par)"
t0=$(date +%s%N)
pids=()
for ((c = 0; c < k; c++)); do
  client "$c" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || die "a client failed (see $tmp/client*.err)"; done
t1=$(date +%s%N)
cat "$tmp"/client*.log >"$tmp/answers"
accepted=$(awk '$2 == 202' "$tmp/answers" | wc -l)
refused=$(awk '$2 == 429' "$tmp/answers" | wc -l)
other=$(awk '$2 != 202 && $2 != 429' "$tmp/answers" | wc -l)
if [ "$other" -gt 0 ]; then
  awk '$2 != 202 && $2 != 429' "$tmp/answers" | head -n 5 >&2
  i=$(awk '$2 != 202 && $2 != 429 {print $1; exit}' "$tmp/answers")
  cat "$tmp/proj/$i.resp" "$tmp"/client*.err >&2 2>/dev/null || true
  die "$other submissions got neither 202 nor 429 (build, code, time above)"
fi
[ "$accepted" -gt 0 ] || die "no submission was accepted"

# lists: both tenants' builds (without their steps) into $tmp/list-a.json, list-b.json.
lists() {
  curl -fsS --max-time 10 -H "Authorization: Bearer $tok_a" "$url/v1/builds" >"$tmp/list-a.json" &&
    curl -fsS --max-time 10 -H "Authorization: Bearer $tok_b" "$url/v1/builds" >"$tmp/list-b.json"
}
log "$accepted accepted, $refused refused (429); waiting up to $timeout s for the builds to end"
deadline=$((SECONDS + timeout)) fails=0
while :; do
  if lists; then
    fails=0
    left=$(jq -s '[.[].builds[] | select(.status == "queued" or .status == "running")] | length' "$tmp/list-a.json" "$tmp/list-b.json")
    [ "$left" -gt 0 ] || break
  elif ((++fails >= 5)); then
    tail -n 20 "$tmp/serve.log" >&2
    die "GET $url/v1/builds failed 5 times in a row (the server's log is above)"
  fi
  if ((SECONDS >= deadline)); then
    tail -n 20 "$tmp/serve.log" >&2
    die "${left:-?} builds were still queued or running after $timeout s (--timeout); the server's log is above"
  fi
  sleep 0.5
done

rc=0
python3 - "$tmp/list-a.json" "$tmp/list-b.json" "$n" "$k" "$accepted" "$refused" "$t0" "$t1" <<'PY' >"$tmp/figures" || rc=$?
import datetime, json, statistics, sys
a, b, n, k, acc, ref, t0, t1 = sys.argv[1:]
n, k, acc, ref = int(n), int(k), int(acc), int(ref)
t0, t1 = int(t0) / 1e9, int(t1) / 1e9
def ts(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
builds = json.load(open(a))["builds"] + json.load(open(b))["builds"]
ok = [x for x in builds if x["status"] == "succeeded"]
bad = [x for x in builds if x["status"] != "succeeded"]
burst = t1 - t0
print("submissions: %d from %d clients (2 tenants) in %.2f s: %.1f answered/s (%d x 202, %d x 429), %.1f accepted/s"
      % (n, k, burst, n / burst, acc, ref, acc / burst))
if ok:
    end = max(ts(x["finished"]) for x in ok)
    ran = statistics.median(ts(x["finished"]) - ts(x["started"]) for x in ok)
    waited = statistics.median(ts(x["started"]) - ts(x["created"]) for x in ok)
    print("completed: %d builds in %.1f s from the first submission: %.1f builds/min (median: ran %.2f s, waited %.1f s for a slot)"
          % (len(ok), end - t0, len(ok) * 60 / (end - t0), ran, waited))
for x in bad:
    print("build %s %s: %s" % (x["id"], x["status"], x.get("error", "")), file=sys.stderr)
sys.exit(1 if bad or len(ok) != acc else 0)
PY
cat "$tmp/figures"
bk=$(buildctl --addr "$BUILDKIT_HOST" debug info 2>/dev/null | awk '$1 == "BuildKit:" {print $3}' || true)
echo "limits: --max-builds $max_builds, --queue $queue, buildkitd ${bk:-?} max-parallelism $par, $(nproc) CPUs (load average $(cut -d" " -f1 /proc/loadavg)); weld at $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo ' (with changes)')"
[ "$rc" = 0 ] || die "not every accepted build succeeded (see above; WELD_BENCH_KEEP=1 keeps the server's log)"
