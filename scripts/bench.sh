#!/usr/bin/env bash
# Benchmarks weld against `docker buildx bake` on the same buildkitd, and
# against the critical path, over these DAGs (scripts/bench-dags.sh writes each
# as a build.yml and as the equivalent docker-bake.hcl, into a temp dir):
#
#   secretapp  examples/secretapp: compile (a go build with a secret) → scratch
#              and busybox runtimes
#   fanout     bench/fanout: root (RUN sleep 2, writes /artifact) → leaf1..leaf8
#              (each copies the artifact, then RUN sleep 1); about 3 s at best
#   fanout32   the same with 32 leaves
#   wide16     16 independent steps, RUN sleep 1 each
#   chain10    a chain of 10 FROM <step>, RUN sleep 0.3 each
#   big512     a 512 MiB artifact (random bytes) → scratch
#   fanout64   fanout with 64 leaves
#   fanout100  fanout with 100 leaves
#
#   scripts/bench.sh [-n REPS] [--no-bake] [--no-reproducible] [DAG...]   (default: all, 3 repetitions)
#   scripts/bench.sh --fleet [-n REPS]   the fleet section: 1, 2, 3 daemons (scripts/bench-fleet.sh)
#   scripts/bench.sh --serve [-n N] [-k K] ...   weld serve's load figure (scripts/bench-serve.sh)
#
# For each DAG and each repetition, weld and bake in turn (weld first in odd
# repetitions, bake first in even ones):
#   cold      prune the daemon's whole cache (buildctl prune --all), then time
#             the whole build, with a fresh NONCE build arg;
#   warm      time the same build again, unchanged.
# Both write every published step as an OCI layout folder (weld --output
# oci:DIR, bake type=oci,tar=false) with a min provenance attestation.
# For secretapp and fanout, then the critical path, weld only: prune, then
# `weld build STEP` for each step in build order (what STEP needs is then
# cached, so the run measures STEP itself); a step's own solve time is its
# "duration" in --metadata-file, the critical path the longest chain of those
# over the DAG (`weld plan --format json`).
# It prints per DAG the medians of the times, the medians of the
# per-repetition ratios weld/bake and weld cold/critical, the geometric mean of
# the cold ratios, and each tool's max RSS (/usr/bin/time -f %M, or Python's
# getrusage). Compare ratios from one run, not times across machines or runs.
#
# The daemon: $BUILDKIT_HOST when set (its WHOLE cache is pruned, repeatedly),
# else a buildkitd of its own, started with scripts/buildkitd.sh in a temp dir
# and stopped at the end. weld: $WELD, default bin/weld, built from this tree
# at every run (scripts/lib.sh bench_weld).
# bake: $WELD_TOOLS/bin/buildx (scripts/install-buildx.sh builds it when
# missing), with a remote-driver builder on the same daemon, created in a
# DOCKER_CONFIG of its own in the temp dir and removed at the end; --no-bake
# skips it. Base images: the OCI layouts under $WELD_TOOLS/images.
# Both tools build reproducibly, as weld does by default: bake's OCI outputs
# get rewrite-timestamp=true and both see SOURCE_DATE_EPOCH=0 (weld's own
# default outside a git work tree; buildx passes the variable on as a build
# arg). --no-reproducible turns it off for both (weld --reproducible=false).
# WELD_BENCH_KEEP=1 keeps the temp dir (the DAGs, each build's log and metadata,
# results.jsonl with every figure); the image outputs are removed after each run.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/bench-dags.sh
. "$WELD_ROOT/scripts/bench-dags.sh"
cd "$WELD_ROOT"

usage() {
  echo "usage: $0 [-n REPS] [--no-bake] [--no-reproducible] [DAG...]   (DAG: ${bench_dags[*]})" >&2
  exit 2
}

reps=3
bake=1
repro=1
dags=()
while [ $# -gt 0 ]; do
  case $1 in
    -n) [ $# -ge 2 ] || usage; reps=$2; shift 2 ;;
    -n*) reps=${1#-n}; shift ;;
    --no-bake) bake=0; shift ;;
    --no-reproducible) repro=0; shift ;;
    --fleet) shift; exec "$WELD_ROOT/scripts/bench-fleet.sh" "$@" ;; # 1, 2, 3 daemons (bench-fleet.sh)
    --serve) shift; exec "$WELD_ROOT/scripts/bench-serve.sh" "$@" ;;  # weld serve's load (bench-serve.sh)
    -h | --help) usage ;;
    -*) usage ;;
    *)
      [[ " ${bench_dags[*]} " == *" $1 "* ]] || usage
      dags+=("$1")
      shift
      ;;
  esac
done
[[ $reps =~ ^[1-9][0-9]*$ ]] || usage
weld_repro=()
bake_repro=(SOURCE_DATE_EPOCH=0 REWRITE=,rewrite-timestamp=true)
if [ "$repro" = 0 ]; then
  weld_repro=(--reproducible=false)
  bake_repro=(REWRITE=)
fi
[ ${#dags[@]} -gt 0 ] || dags=("${bench_dags[@]}")

need python3
need jq "apt-get install jq"
need buildctl "scripts/install-buildkit.sh builds it"
images="$WELD_TOOLS/images"
for img in golang busybox; do
  [ -f "$images/$img/index.json" ] || die "no OCI layout at $images/$img; run scripts/setup.sh (or scripts/images.sh) first"
done

weld=$(bench_weld)
buildx="$WELD_TOOLS/bin/buildx"
[ "$bake" = 0 ] || "$WELD_ROOT/scripts/install-buildx.sh" >&2

# rss_time: how each run is wrapped to get its max RSS (KiB) into a file.
if [ -x /usr/bin/time ]; then
  rss_time=(/usr/bin/time -f %M -o)
else
  rss_time=(python3 -c 'import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
open(sys.argv[1], "w").write("%d\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(rc)')
fi

tmp=$(mktemp -d /tmp/weld-bench.XXXXXX)
own_daemon=
builder=
cleanup() {
  local rc=$?
  if [ -n "$builder" ]; then
    "$buildx" rm "$builder" >/dev/null 2>&1 || true
  fi
  if [ -n "$own_daemon" ]; then
    "$WELD_ROOT/scripts/buildkitd.sh" stop "$tmp/bk" || true
  fi
  if [ -n "${WELD_BENCH_KEEP:-}" ]; then
    echo "kept $tmp (the DAGs, build logs, metadata, results.jsonl)" >&2
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
  BUILDKIT_HOST=$("$WELD_ROOT/scripts/buildkitd.sh" start "$tmp/bk")
else
  log "using the daemon at $BUILDKIT_HOST (its whole cache will be pruned)"
fi
export BUILDKIT_HOST

if [ "$bake" = 1 ]; then
  # buildx keeps its builders under $DOCKER_CONFIG/buildx: one of its own,
  # so that nothing of the user's is read or touched.
  export DOCKER_CONFIG="$tmp/docker"
  mkdir -p "$DOCKER_CONFIG"
  builder="weld-bench-$$"
  "$buildx" create --name "$builder" --driver remote "$BUILDKIT_HOST" >"$tmp/buildx-create.log" 2>&1 ||
    { cat "$tmp/buildx-create.log" >&2; die "buildx create --driver remote $BUILDKIT_HOST failed"; }
  "$buildx" --builder "$builder" inspect --bootstrap >"$tmp/buildx-inspect.log" 2>&1 ||
    { cat "$tmp/buildx-inspect.log" >&2; die "buildx inspect --bootstrap (builder $builder on $BUILDKIT_HOST) failed"; }
  log "bake: $("$buildx" version) with builder $builder (remote driver on $BUILDKIT_HOST)"
fi

# A fake private token for secretapp's secret mount.
(umask 077 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp/token")
export SECRETAPP_TOKEN_FILE="$tmp/token"

prune() {
  buildctl --addr "$BUILDKIT_HOST" prune --all >"$tmp/prune.log" 2>&1 || {
    cat "$tmp/prune.log" >&2
    die "buildctl prune --all failed"
  }
}

# timed OUT WHAT CMD...: runs CMD, its output to OUT.log, its wall time in
# seconds to OUT.wall and its max RSS in KiB to OUT.rss; on failure shows the
# end of the log and dies naming WHAT.
timed() {
  local out=$1 what=$2 t0 t1
  shift 2
  t0=$(date +%s%N)
  if ! "${rss_time[@]}" "$out.rss" "$@" >"$out.log" 2>&1; then
    echo "--- last lines of $out.log:" >&2
    tail -n 40 "$out.log" >&2
    die "$what failed"
  fi
  t1=$(date +%s%N)
  awk -v ns=$((t1 - t0)) 'BEGIN {printf "%.3f\n", ns / 1e9}' >"$out.wall"
  echo "$t0" >"$out.t0"
}

# weld_build OUT NONCE [STEP...]: times weld build of the current DAG ($dir).
weld_build() {
  local out=$1 nonce=$2
  shift 2
  rm -rf "$out.out"
  timed "$out" "weld build -f $dir/build.yml $*" \
    "$weld" build --addr "$BUILDKIT_HOST" -f "$dir/build.yml" \
    --image "busybox=oci-layout://$images/busybox" --image "alpine:3.20=oci-layout://$images/busybox" \
    --image "golang:1.26=oci-layout://$images/golang" --build "NONCE=$nonce" \
    --allow "fs.read=$SECRETAPP_TOKEN_FILE" \
    --output "oci:$out.out" --progress plain --metadata-file "$out.json" "${weld_repro[@]}" "$@"
  rm -rf "$out.out"
}

# bake_build OUT NONCE: times buildx bake of the current DAG ($dir).
bake_build() {
  local out=$1 nonce=$2
  rm -rf "$out.out"
  mkdir -p "$out.out"
  (cd "$dir" && timed "$out" "buildx bake -f $dir/docker-bake.hcl" \
    env -u SOURCE_DATE_EPOCH OUT="$out.out" NONCE="$nonce" SECRET="$tmp/token" "${bake_repro[@]}" \
    "$buildx" --builder "$builder" bake -f docker-bake.hcl --progress plain \
    --allow "fs.read=$images" --allow "fs.read=$tmp" --allow "fs.write=$out.out")
  rm -rf "$out.out"
}

# cold_warm TOOL D R: the cold and the warm run of TOOL (weld or bake).
cold_warm() {
  local tool=$1 d=$2 r=$3 nonce
  nonce="$(date +%s%N)-$r-$tool"
  log "$dag, repetition $r/$reps: $tool cold (after prune), then warm"
  prune
  "${tool}_build" "$d/$tool-cold" "$nonce"
  "${tool}_build" "$d/$tool-warm" "$nonce"
}

results="$tmp/results.jsonl"
: >"$results"
start=$SECONDS

for dag in "${dags[@]}"; do
  dir="$tmp/dags/$dag"
  gen_dag "$dag" "$dir"
  "$weld" plan --format json -f "$dir/build.yml" --allow "fs.read=$SECRETAPP_TOKEN_FILE" >"$tmp/$dag.plan.json" || die "$weld plan --format json -f $dir/build.yml failed"
  mapfile -t steps < <(jq -r '.steps[].label' "$tmp/$dag.plan.json")
  critical=0
  case $dag in secretapp | fanout) critical=1 ;; esac
  for ((r = 1; r <= reps; r++)); do
    d="$tmp/$dag.$r"
    mkdir -p "$d"
    load=$(cut -d' ' -f1 /proc/loadavg)
    log "$dag (${#steps[@]} steps), repetition $r/$reps; load average $load on $(nproc) CPUs"
    if [ "$bake" = 0 ]; then
      cold_warm weld "$d" "$r"
    elif ((r % 2)); then
      cold_warm weld "$d" "$r"
      cold_warm bake "$d" "$r"
    else
      cold_warm bake "$d" "$r"
      cold_warm weld "$d" "$r"
    fi
    if [ "$critical" = 1 ]; then
      log "$dag, repetition $r/$reps: each step alone, in build order (after prune): ${steps[*]}"
      prune
      nonce="$(date +%s%N)-$r-critical"
      for s in "${steps[@]}"; do
        weld_build "$d/step.$s" "$nonce" "$s"
      done
    fi
    python3 "$WELD_ROOT/scripts/bench_report.py" rep "$dag" "$r" "$load" "$tmp/$dag.plan.json" "$d" "$bake" "$critical" >>"$results"
  done
done

python3 "$WELD_ROOT/scripts/bench_report.py" table "$results" "$reps"
echo
bk=$(buildctl --addr "$BUILDKIT_HOST" debug info 2>/dev/null | awk '$1 == "BuildKit:" {print $3}' || true)
bx=$([ "$bake" = 0 ] || "$buildx" version | awk '{print $2}')
echo "weld at $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo ' (with changes)'), buildkitd ${bk:-?}${bx:+, buildx $bx}; the run took $((SECONDS - start)) s"
