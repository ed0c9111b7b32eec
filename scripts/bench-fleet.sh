#!/usr/bin/env bash
# The fleet section of the benchmarks (scripts/bench.sh --fleet runs it):
# one build on 1, 2 and 3 buildkitds, each limited to one step at a time
# (max-parallelism = 1: one machine each), on a wide DAG (wide16: 16
# independent 1 s steps) and a fan-out (fanout: root → 8 leaves with its
# artifact), with a loopback registry for staging. Each daemon's cache is
# pruned before each cold build. 1 daemon is weld's default path (one
# --addr); 2 and 3 are a --builders pool whose daemons have capacity
# $WELD_FLEET_CAPACITY (default 1, what max-parallelism = 1 runs at once:
# a step's session and frontend run before it takes its slot, so they
# overlap the RUN before it anyway, and placement counts the slots the
# daemon really has). After the pool runs it prints
# what `weld plan --builders` expects with the durations those runs
# recorded: the placement's makespan and the least any placement could
# reach (the best of every placement when there are few enough to try, as
# for fanout; else a lower bound: the longest chain, and all the work over
# every slot).
#
#   scripts/bench-fleet.sh [-n REPS]   (default 1 repetition)
#
# It prints the medians of the wall times and the ratio to 1 daemon. The goal
# (issue 10): 3 daemons ≤ 0.40× of 1 on wide16; the placement within 15% of
# the best makespan. Compare ratios from one run, not times across machines.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/bench-dags.sh
. "$WELD_ROOT/scripts/bench-dags.sh"
cd "$WELD_ROOT"

reps=1
if [ "${1:-}" = -n ]; then reps=${2:?usage: $0 [-n REPS]}; fi
[[ $reps =~ ^[1-9][0-9]*$ ]] || die "usage: $0 [-n REPS]"
need buildctl "scripts/install-buildkit.sh builds it"
images="$WELD_TOOLS/images"
[ -f "$images/busybox/index.json" ] || die "no OCI layout at $images/busybox; run scripts/setup.sh first"
weld=$(bench_weld)

tmp=$(mktemp -d /tmp/wfb.XXXXXX)
cleanup() {
  local rc=$?
  for i in 1 2 3; do "$WELD_ROOT/scripts/buildkitd.sh" stop "$tmp/bk$i" >/dev/null 2>&1 || true; done
  "$WELD_ROOT/scripts/registry.sh" stop "$tmp/reg" >/dev/null 2>&1 || true
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

reg=$("$WELD_ROOT/scripts/registry.sh" start "$tmp/reg")
addrs=()
for i in 1 2 3; do
  mkdir -p "$tmp/bk$i"
  printf '[worker.oci]\n  max-parallelism = 1\n[registry."%s"]\n  http = true\n' "$reg" >"$tmp/bk$i/buildkitd.toml"
  addrs+=("$("$WELD_ROOT/scripts/buildkitd.sh" start "$tmp/bk$i" --config "$tmp/bk$i/buildkitd.toml")")
done
for k in 2 3; do
  for ((i = 0; i < k; i++)); do printf -- '- addr: %s\n  capacity: %s\n' "${addrs[$i]}" "${WELD_FLEET_CAPACITY:-1}"; done >"$tmp/builders$k.yml"
done

# fleet_build DIR K NONCE: one cold build of DIR on K daemons; prints its wall time.
fleet_build() {
  local dir=$1 k=$2 nonce=$3 i t0 t1 where
  for ((i = 0; i < k; i++)); do buildctl --addr "${addrs[$i]}" prune --all >/dev/null; done
  if [ "$k" = 1 ]; then where=(--addr "${addrs[0]}"); else where=(--builders "$tmp/builders$k.yml" --staging "$reg/weld-bench-staging"); fi
  rm -rf "$tmp/out"
  t0=$(date +%s%N)
  if ! "$weld" build -f "$dir/build.yml" "${where[@]}" --image "busybox=oci-layout://$images/busybox" \
    --build "NONCE=$nonce" --output "oci:$tmp/out" --progress plain >"$tmp/build.log" 2>&1; then
    tail -n 40 "$tmp/build.log" >&2
    die "weld build on $k daemons failed"
  fi
  t1=$(date +%s%N)
  awk -v ns=$((t1 - t0)) 'BEGIN {printf "%.2f\n", ns / 1e9}'
}

median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

printf '%-8s %8s %8s %8s %10s %10s   %s\n' DAG 1-wall 2-wall 3-wall 2/1 3/1 "placement on 3 (expected makespan / least possible)"
for dag in wide16 fanout; do
  dir="$tmp/dag-$dag"
  gen_dag "$dag" "$dir"
  declare -A walls=()
  for ((r = 1; r <= reps; r++)); do
    for k in 1 2 3; do
      walls[$k]+="$(fleet_build "$dir" "$k" "$RANDOM$r") "
    done
  done
  m1=$(echo "${walls[1]}" | tr ' ' '\n' | grep . | median)
  m2=$(echo "${walls[2]}" | tr ' ' '\n' | grep . | median)
  m3=$(echo "${walls[3]}" | tr ' ' '\n' | grep . | median)
  plan=$("$weld" plan -f "$dir/build.yml" --builders "$tmp/builders3.yml" | sed -n 's/^expected makespan \([0-9.]*\)s; no placement beats \([0-9.]*\)s (\(.*\))$/\1 \/ \2 s (\3)/p')
  printf '%-8s %7.2fs %7.2fs %7.2fs %10.2f %10.2f   %s\n' "$dag" "$m1" "$m2" "$m3" \
    "$(awk -v a="$m2" -v b="$m1" 'BEGIN {print a / b}')" "$(awk -v a="$m3" -v b="$m1" 'BEGIN {print a / b}')" "$plan"
  unset walls
done
