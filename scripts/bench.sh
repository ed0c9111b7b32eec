#!/usr/bin/env bash
# Benchmarks weld's scheduling against the critical path of two DAGs:
#
#   secretapp  examples/secretapp (compile → runtime_minimal, runtime_alpine)
#   fanout     bench/fanout: root (RUN sleep 2, writes /artifact) → leaf1..leaf8
#              (each copies the artifact, then RUN sleep 1); about 3 s at best
#
#   scripts/bench.sh [-n REPS] [DAG...]     (DAG: secretapp, fanout; default both)
#
# For each DAG and each repetition (default 3):
#   cold      prune the daemon's whole cache (buildctl prune --all), then time
#             the whole `weld build`;
#   warm      time the same `weld build` again, unchanged;
#   critical  prune again, then build the steps one by one in build order
#             (`weld build STEP`: what STEP needs is then cached, so the run
#             measures STEP itself). A step's own solve time is its "duration"
#             in --metadata-file; the critical path is the longest chain of
#             those times over the DAG (depends_on and FROM <step> edges, from
#             `weld plan --format json`). Each of these runs also pays weld's
#             start-up and session overhead (wall time minus solve time); it is
#             printed, not counted in the critical path, so the cold and warm
#             ratios include it once.
# Then it prints the median of each figure over the repetitions, and the
# median of the per-repetition ratios (cold/critical, warm/critical): compare
# ratios from one run, not absolute times across machines or runs.
#
# The daemon: $BUILDKIT_HOST when set (its WHOLE cache is pruned, repeatedly),
# else a buildkitd of its own, started with scripts/buildkitd.sh in a temp dir
# and stopped at the end. weld: $WELD, default bin/weld (built with
# `go build -o bin/weld ./cmd/weld` when missing). Base images: the OCI layouts
# under $WELD_TOOLS/images (scripts/images.sh makes them), mapped with --image.
# The fan-out also gets a fresh NONCE build arg per repetition, so each cold
# run is cold even if a prune left something behind.
# WELD_BENCH_KEEP=1 keeps the temp dir (each build's log and metadata, and
# results.jsonl with every figure of every run).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$WELD_ROOT"

usage() {
  echo "usage: $0 [-n REPS] [secretapp|fanout]..." >&2
  exit 2
}

reps=3
dags=()
while [ $# -gt 0 ]; do
  case $1 in
    -n) [ $# -ge 2 ] || usage; reps=$2; shift 2 ;;
    -n*) reps=${1#-n}; shift ;;
    -h | --help) usage ;;
    secretapp | fanout) dags+=("$1"); shift ;;
    *) usage ;;
  esac
done
[[ $reps =~ ^[1-9][0-9]*$ ]] || usage
[ ${#dags[@]} -gt 0 ] || dags=(secretapp fanout)

need python3
need buildctl "scripts/install-buildkit.sh builds it"
images="$WELD_TOOLS/images"
for img in golang busybox; do
  [ -f "$images/$img/index.json" ] || die "no OCI layout at $images/$img; run scripts/setup.sh (or scripts/images.sh) first"
done

weld=${WELD:-$WELD_ROOT/bin/weld}
if [ ! -x "$weld" ]; then
  log "building $weld"
  go build -o "$weld" ./cmd/weld
fi

tmp=$(mktemp -d /tmp/weld-bench.XXXXXX)
own_daemon=
cleanup() {
  local rc=$?
  if [ -n "$own_daemon" ]; then
    "$WELD_ROOT/scripts/buildkitd.sh" stop "$tmp/bk" || true
  fi
  if [ -n "${WELD_BENCH_KEEP:-}" ]; then
    echo "kept $tmp (build logs, metadata, results.jsonl)" >&2
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

# A fake private token for secretapp's secret mount.
(umask 077 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp/token")
export SECRETAPP_TOKEN_FILE="$tmp/token"

# dag_args DAG NONCE: sets file and args (weld build flags) for DAG.
dag_args() {
  case $1 in
    secretapp)
      file=examples/secretapp/build.yml
      allow=(--allow "fs.read=$SECRETAPP_TOKEN_FILE") # the token lives outside the work dir
      args=("${allow[@]}" --image "golang:1.26=oci-layout://$images/golang" --image "alpine:3.20=oci-layout://$images/busybox")
      ;;
    fanout)
      file=bench/fanout/build.yml
      allow=()
      args=(--image "busybox=oci-layout://$images/busybox" --build "NONCE=$2")
      ;;
  esac
}

prune() {
  buildctl --addr "$BUILDKIT_HOST" prune --all >"$tmp/prune.log" 2>&1 || {
    cat "$tmp/prune.log" >&2
    die "buildctl prune --all failed"
  }
}

# timed_build OUT [STEP...]: runs weld build for the current DAG, writes the
# metadata to OUT.json and the wall time in seconds to OUT.wall.
timed_build() {
  local out=$1 t0 t1
  shift
  t0=$(date +%s%N)
  if ! "$weld" build --addr "$BUILDKIT_HOST" -f "$file" "${args[@]}" --progress plain \
    --metadata-file "$out.json" "$@" >"$out.log" 2>&1; then
    echo "--- last lines of $out.log:" >&2
    tail -n 40 "$out.log" >&2
    die "weld build -f $file $* failed"
  fi
  t1=$(date +%s%N)
  echo "$(((t1 - t0) / 1000000))" | awk '{printf "%.3f\n", $1 / 1000}' >"$out.wall"
}

results="$tmp/results.jsonl"
: >"$results"

for dag in "${dags[@]}"; do
  dag_args "$dag" 0
  "$weld" plan --format json -f "$file" "${allow[@]}" >"$tmp/$dag.plan.json" || die "$weld plan --format json -f $file failed"
  mapfile -t steps < <(python3 -c 'import json,sys; [print(s["label"]) for s in json.load(open(sys.argv[1]))["steps"]]' "$tmp/$dag.plan.json")
  for ((r = 1; r <= reps; r++)); do
    nonce="$(date +%s%N)-$r"
    dag_args "$dag" "$nonce"
    d="$tmp/$dag.$r"
    mkdir -p "$d"
    load=$(cut -d' ' -f1 /proc/loadavg)
    log "$dag, run $r/$reps: cold (after prune); load average $load on $(nproc) CPUs"
    prune
    timed_build "$d/cold"
    log "$dag, run $r/$reps: warm"
    timed_build "$d/warm"
    log "$dag, run $r/$reps: each step alone, in build order (after prune): ${steps[*]}"
    prune
    for s in "${steps[@]}"; do
      timed_build "$d/step.$s" "$s"
    done
    python3 - "$dag" "$r" "$load" "$tmp/$dag.plan.json" "$d" "${steps[@]}" >>"$results" <<'PY'
import json, sys
dag, rep, load, plan_file, d, steps = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6:]
plan = json.load(open(plan_file))
deps = {s["label"]: sorted(set(s.get("depends_on") or []) | set(s.get("from_steps") or [])) for s in plan["steps"]}

def wall(name):
    return float(open(f"{d}/{name}.wall").read())

def meta(name):
    return json.load(open(f"{d}/{name}.json"))

def cached(m):
    return sum(v.get("cached_vertices", 0) for v in m.values()), sum(v.get("vertices", 0) for v in m.values())

own, swall = {}, {}
for s in steps:
    own[s] = float(meta(f"step.{s}")[s]["duration"])
    swall[s] = wall(f"step.{s}")
# Longest chain of own solve times; steps are in build (topological) order.
best, prev = {}, {}
for s in steps:
    p = max(deps[s], key=lambda x: best[x], default=None)
    best[s] = own[s] + (best[p] if p else 0.0)
    prev[s] = p
end = max(steps, key=lambda x: best[x])
chain = []
while end:
    chain.append(end)
    end = prev[end]
chain.reverse()
cold_m, warm_m = meta("cold"), meta("warm")
rec = {
    "dag": dag, "rep": rep, "load": load,
    "cold": wall("cold"), "warm": wall("warm"), "critical": best[chain[-1]],
    "chain": chain, "own": own, "step_wall": swall,
    "overhead": {s: swall[s] - own[s] for s in steps},
    "cold_cached": cached(cold_m), "warm_cached": cached(warm_m),
    "cold_steps": {s: cold_m[s]["duration"] for s in steps},
}
rec["cold_ratio"] = rec["cold"] / rec["critical"]
rec["warm_ratio"] = rec["warm"] / rec["critical"]
print(json.dumps(rec))
sys.stderr.write(
    "    cold %.2f s (%d/%d vertices cached), warm %.2f s (%d/%d cached), critical path %.2f s (%s), "
    "cold/critical %.2f, warm/critical %.2f\n" % (
        rec["cold"], *rec["cold_cached"], rec["warm"], *rec["warm_cached"], rec["critical"],
        " → ".join("%s %.2f" % (s, own[s]) for s in chain), rec["cold_ratio"], rec["warm_ratio"]))
sys.stderr.write("    each step alone: " + ", ".join(
    "%s %.2f s solve + %.2f s overhead" % (s, own[s], swall[s] - own[s]) for s in steps) + "\n")
PY
  done
done

python3 - "$results" "$reps" <<'PY'
import json, os, statistics, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
reps = int(sys.argv[2])
med = statistics.median
print()
print("weld benchmark: median of %d run(s) per DAG; ratios are medians of the per-run ratios" % reps)
print("%d CPUs; load average at the start of each run: %s" % (os.cpu_count(), " ".join("%.1f" % r["load"] for r in recs)))
print()
hdr = ("DAG", "cold s", "warm s", "critical path s", "cold/critical", "warm/critical")
rows = []
dags = []
for r in recs:
    if r["dag"] not in dags:
        dags.append(r["dag"])
for dag in dags:
    rs = [r for r in recs if r["dag"] == dag]
    rows.append((dag, "%.2f" % med(r["cold"] for r in rs), "%.2f" % med(r["warm"] for r in rs),
                 "%.2f" % med(r["critical"] for r in rs), "%.2f" % med(r["cold_ratio"] for r in rs),
                 "%.2f" % med(r["warm_ratio"] for r in rs)))
w = [max(len(x[i]) for x in rows + [hdr]) for i in range(len(hdr))]
print("| " + " | ".join(h.ljust(w[i]) for i, h in enumerate(hdr)) + " |")
print("|" + "|".join("-" * (w[i] + 1) + ("-" if i == 0 else ":") for i in range(len(hdr))) + "|")
for x in rows:
    print("| " + " | ".join(x[0].ljust(w[0]) if i == 0 else x[i].rjust(w[i]) for i in range(len(hdr))) + " |")
print()
for dag in dags:
    rs = [r for r in recs if r["dag"] == dag]
    steps = list(rs[0]["own"])
    print("%s: critical path per run: %s" % (dag, ", ".join("%s (%.2f s)" % (" → ".join(r["chain"]), r["critical"]) for r in rs)))
    print("  each step alone (median solve s + weld start-up/session overhead s):")
    print("  " + ", ".join("%s %.2f + %.2f" % (s, med(r["own"][s] for r in rs), med(r["overhead"][s] for r in rs)) for s in steps))
    print("  the cold build, each step done after (median s): " + ", ".join(
        "%s %.2f" % (st, med(r["cold_steps"][st] for r in rs)) for st in steps))
    print("  vertices cached, summed over the steps' sessions (a dependent's session re-solves what it needs,")
    print("  so shared work shows as cached there): cold %s, warm %s" % (
        " ".join("%d/%d" % tuple(r["cold_cached"]) for r in rs), " ".join("%d/%d" % tuple(r["warm_cached"]) for r in rs)))
PY
