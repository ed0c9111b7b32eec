#!/usr/bin/env python3
"""The figures of scripts/bench.sh, out of the files its runs leave.

  bench_report.py rep DAG REP LOAD PLAN DIR BAKE CRITICAL
      prints one JSON record (a line of results.jsonl) for repetition REP of
      DAG, from DIR/{weld,bake}-{cold,warm}.{wall,rss,json} and, when CRITICAL
      is 1, DIR/step.STEP.{wall,json}; a summary of it goes to stderr.
  bench_report.py table RESULTS REPS
      prints the tables of every DAG in RESULTS (results.jsonl).

Ratios are weld/bake and cold/critical, taken per repetition; the tables show
their medians, so that a slow moment of a noisy machine moves one figure of
one repetition, not a ratio of two figures measured minutes apart.
"""
import json
import math
import os
import statistics
import sys

med = statistics.median


def read(path, conv=float):
    """Returns the content of path, converted, or None when it is missing."""
    try:
        with open(path) as f:
            return conv(f.read().strip())
    except (FileNotFoundError, ValueError):
        return None


def cached(meta):
    """Sums cached and total vertices over the steps of a weld metadata file."""
    return (sum(v.get("cached_vertices", 0) for v in meta.values()),
            sum(v.get("vertices", 0) for v in meta.values()))


PHASES = ("queued", "frontend", "solve", "checks", "wait", "export", "publish")


def stamp(s):
    """Parses an RFC 3339 time with nanoseconds into epoch seconds."""
    from datetime import datetime
    day, frac = (s.rstrip("Z").split(".") + ["0"])[:2]
    frac = frac.split("+")[0].split("-")[0]
    return datetime.fromisoformat(day + "+00:00").timestamp() + float("0." + frac)


def union(spans):
    """Returns the length of the union of (start, end) spans."""
    total, end = 0.0, None
    for a, b in sorted(spans):
        if end is None or a > end:
            total, end = total + b - a, b
        elif b > end:
            total, end = total + b - end, b
    return total


def profile(meta, t0, wall):
    """Where a weld run's wall time went: before the first step started
    (start-up, load, plan, policy, lint, connect), the wall seconds during
    which any step was in each phase (they overlap), and after the last
    phase ended (summary, metadata, exit)."""
    spans = {p: [] for p in PHASES}
    for step in meta.values():
        for ph in step.get("phases") or []:
            spans.setdefault(ph["name"], []).append((stamp(ph["start"]), stamp(ph["end"])))
    every = [s for v in spans.values() for s in v]
    if t0 is None or not every:
        return None
    out = {"before": min(a for a, _ in every) - t0 / 1e9}
    out.update({p: union(v) for p, v in spans.items()})
    out["after"] = t0 / 1e9 + wall - max(b for _, b in every)
    return out


def critical_path(plan, d):
    """Computes the longest chain of the steps' own solve times."""
    steps = [s["label"] for s in plan["steps"]]
    deps = {s["label"]: sorted(set(s.get("depends_on") or []) | set(s.get("from_steps") or []))
            for s in plan["steps"]}
    own = {s: float(json.load(open(f"{d}/step.{s}.json"))[s]["duration"]) for s in steps}
    swall = {s: read(f"{d}/step.{s}.wall") for s in steps}
    best, prev = {}, {}
    for s in steps:  # steps are in build (topological) order
        p = max(deps[s], key=lambda x: best[x], default=None)
        best[s] = own[s] + (best[p] if p else 0.0)
        prev[s] = p
    end = max(steps, key=lambda x: best[x])
    total, chain = best[end], []
    while end:
        chain.append(end)
        end = prev[end]
    chain.reverse()
    return {"critical": total, "chain": chain, "own": own,
            "overhead": {s: swall[s] - own[s] for s in steps}}


def rep(dag, r, load, plan_file, d, bake, critical):
    """Prints the record of one repetition."""
    plan = json.load(open(plan_file))
    rec = {"dag": dag, "rep": int(r), "load": float(load), "steps": len(plan["steps"])}
    tools = ["weld"] + (["bake"] if bake == "1" else [])
    for tool in tools:
        for kind in ("cold", "warm"):
            rec[f"{tool}_{kind}"] = read(f"{d}/{tool}-{kind}.wall")
            rss = read(f"{d}/{tool}-{kind}.rss", int)
            rec[f"{tool}_{kind}_rss_mb"] = rss / 1024 if rss is not None else None
    for kind in ("cold", "warm"):
        meta = json.load(open(f"{d}/weld-{kind}.json"))
        rec[f"weld_{kind}_cached"] = cached(meta)
        rec[f"weld_{kind}_profile"] = profile(meta, read(f"{d}/weld-{kind}.t0", int), rec[f"weld_{kind}"])
        if bake == "1":
            rec[f"{kind}_ratio"] = rec[f"weld_{kind}"] / rec[f"bake_{kind}"]
    if critical == "1":
        rec.update(critical_path(plan, d))
        rec["cold_critical"] = rec["weld_cold"] / rec["critical"]
    print(json.dumps(rec))
    msg = "    weld cold %.2f s (%d/%d vertices cached), warm %.2f s (%d/%d cached), max RSS %.0f/%.0f MB" % (
        rec["weld_cold"], *rec["weld_cold_cached"], rec["weld_warm"], *rec["weld_warm_cached"],
        rec["weld_cold_rss_mb"] or 0, rec["weld_warm_rss_mb"] or 0)
    if bake == "1":
        msg += "\n    bake cold %.2f s, warm %.2f s; weld/bake cold %.2f, warm %.2f" % (
            rec["bake_cold"], rec["bake_warm"], rec["cold_ratio"], rec["warm_ratio"])
    for kind in ("cold", "warm"):
        if rec[f"weld_{kind}_profile"]:
            msg += "\n    weld %s profile (s): %s" % (kind, profile_text(rec[f"weld_{kind}_profile"]))
    if critical == "1":
        msg += "\n    critical path %.2f s (%s), weld cold/critical %.2f" % (
            rec["critical"], " → ".join("%s %.2f" % (s, rec["own"][s]) for s in rec["chain"]),
            rec["cold_critical"])
    sys.stderr.write(msg + "\n")


def profile_text(prof):
    """Formats a profile: before, the phases in order, after."""
    keys = ["before"] + [p for p in prof if p not in ("before", "after")] + ["after"]
    return " | ".join("%s %.2f" % (k, prof[k]) for k in keys if prof.get(k) or k in ("before", "after"))


def fmt(v, f="%.2f"):
    """Formats a figure, or a dash for none."""
    return "-" if v is None else f % v


def medof(rs, key):
    """Returns the median of key over the records that have it, or None."""
    vs = [r[key] for r in rs if r.get(key) is not None]
    return med(vs) if vs else None


def markdown(hdr, rows):
    """Prints a Markdown table, the first column left-aligned."""
    w = [max(len(x[i]) for x in rows + [hdr]) for i in range(len(hdr))]
    print("| " + " | ".join(h.ljust(w[i]) for i, h in enumerate(hdr)) + " |")
    print("|" + "|".join("-" * (w[i] + 1) + ("-" if i == 0 else ":") for i in range(len(hdr))) + "|")
    for x in rows:
        print("| " + " | ".join(x[0].ljust(w[0]) if i == 0 else x[i].rjust(w[i])
                                for i in range(len(hdr))) + " |")


def geomean(vs):
    """Returns the geometric mean of vs, or None when empty."""
    return math.exp(sum(math.log(v) for v in vs) / len(vs)) if vs else None


def table(results, reps):
    """Prints the tables."""
    recs = [json.loads(line) for line in open(results)]
    dags = list(dict.fromkeys(r["dag"] for r in recs))
    by = {d: [r for r in recs if r["dag"] == d] for d in dags}
    print()
    what = "weld vs docker buildx bake" if any("bake_cold" in r for r in recs) else "weld (--no-bake)"
    print("%s: median of %s repetition(s) per DAG; ratios are weld/bake and weld cold/critical, "
          "medians of the per-repetition ratios" % (what, reps))
    print("%d CPUs; load average at the start of each repetition: %s" % (
        os.cpu_count(), " ".join("%.1f" % r["load"] for r in recs)))
    print()
    hdr = ("DAG", "steps", "weld cold s", "bake cold s", "cold ratio", "weld warm s", "bake warm s",
           "warm ratio", "critical s", "weld cold/critical")
    rows = []
    for d in dags:
        rs = by[d]
        rows.append((d, str(rs[0]["steps"]), fmt(medof(rs, "weld_cold")), fmt(medof(rs, "bake_cold")),
                     fmt(medof(rs, "cold_ratio")), fmt(medof(rs, "weld_warm")), fmt(medof(rs, "bake_warm")),
                     fmt(medof(rs, "warm_ratio")), fmt(medof(rs, "critical")), fmt(medof(rs, "cold_critical"))))
    markdown(hdr, rows)
    cold = [medof(by[d], "cold_ratio") for d in dags if medof(by[d], "cold_ratio") is not None]
    warm = [medof(by[d], "warm_ratio") for d in dags if medof(by[d], "warm_ratio") is not None]
    if cold:
        print()
        print("geometric mean over %d DAG(s) of the cold ratio weld/bake: %.2f (warm: %.2f)" % (
            len(cold), geomean(cold), geomean(warm)))
    print()
    print("max RSS in MB (median; cold / warm):")
    markdown(("DAG", "weld", "bake"), [
        (d, "%s / %s" % (fmt(medof(by[d], "weld_cold_rss_mb"), "%.0f"), fmt(medof(by[d], "weld_warm_rss_mb"), "%.0f")),
         "%s / %s" % (fmt(medof(by[d], "bake_cold_rss_mb"), "%.0f"), fmt(medof(by[d], "bake_warm_rss_mb"), "%.0f")))
        for d in dags])
    if "fanout100" in by:
        print("fanout100, weld's max RSS per repetition (cold, warm MB): " + ", ".join(
            "%s, %s" % (fmt(r["weld_cold_rss_mb"], "%.0f"), fmt(r["weld_warm_rss_mb"], "%.0f")) for r in by["fanout100"]))
    print()
    for d in dags:
        rs = by[d]
        print("%s: cold ratios %s; warm ratios %s; weld warm vertices cached %s" % (
            d, " ".join(fmt(r.get("cold_ratio")) for r in rs), " ".join(fmt(r.get("warm_ratio")) for r in rs),
            " ".join("%d/%d" % tuple(r["weld_warm_cached"]) for r in rs)))
        for kind in ("cold", "warm"):
            profs = [r.get(f"weld_{kind}_profile") for r in rs if r.get(f"weld_{kind}_profile")]
            if profs:
                keys = list(dict.fromkeys(k for p in profs for k in p))
                print("  weld %s profile, median wall s: %s" % (kind, profile_text(
                    {k: med(p.get(k, 0.0) for p in profs) for k in keys})))
        if rs[0].get("critical") is not None:
            print("  critical path per repetition: %s" % ", ".join(
                "%s (%.2f s)" % (" → ".join(r["chain"]), r["critical"]) for r in rs))
            print("  each step alone (median solve s + weld start-up/session overhead s): " + ", ".join(
                "%s %.2f + %.2f" % (s, med(r["own"][s] for r in rs), med(r["overhead"][s] for r in rs))
                for s in rs[0]["own"]))


if __name__ == "__main__":
    if len(sys.argv) == 9 and sys.argv[1] == "rep":
        rep(*sys.argv[2:])
    elif len(sys.argv) == 4 and sys.argv[1] == "table":
        table(*sys.argv[2:])
    else:
        sys.exit(__doc__)
