#!/usr/bin/python3
"""Pinning A/B: the same 2-thread runs with --pin-workers true and false.

Issue 15, section 1: pinning is opt-in in the library and on by default in
the CLI, where it should measurably help. Does it? Each cell runs with
`--threads 2 --seed 1`, pinned and unpinned back to back, in --repeats
interleaved rounds (every cell once per round, every other round in reverse
order, so the pinned run goes first in one round and second in the next).

Cells (solver on dataset; data decompressed once from /work/shared/data into --work):
  svrg-rcv1     svrg on rcv1-vw-small, logistic, --l2 1e-4 (--rcv1-l2; no scaling:
                max-abs scaled, svrg is still at 3e-2 after 100 epochs), to
                --target-subopt 1e-6 (checked every epoch, off the clock).
  hogwild-rcv1  hogwild on the same problem, fixed --max-epochs 20 --trace-every 20
                --f-star skip (its constant step does not reach 1e-6): time = 20 epochs.
  soda-madelon, dave-pg-madelon: the problem of configs/soda-madelon.ini (soda with
                --mask-p 0.1), to 1e-6 checked every 2 epochs.
f* is computed once per dataset into --work/cache (`asyncopt optimum`) before the
rounds. Runs are capped by --max-seconds (30) and killed after 2 x that + 60 s.

Time = the summary's `seconds` (solver clock) of a run that reached its target
(hogwild: completed its 20 epochs). Per cell and side: median, min-max, the
sorted times, the split at the largest gap between sorted times when that gap
is over 10% (a slow and a fast mode: "k of n slow"), and how many runs lie above
the other side's slowest. Per cell: ratio unpinned / pinned of the medians, the
median of the per-round ratios, and a verdict on the ratio of medians: "pinned
faster" above --threshold (1.05), "pinned slower" below 1 / threshold, else
"no difference". A run asked to pin reports in its result message whether it
was not pinned ("not pinned: 2 threads, 1 CPUs allowed"); such runs are counted
and flagged. Before each round `asyncopt contention --probe` (when built) measures
the cores' cache-line round trip: this VM's host moves its vCPUs.

Usage (always /usr/bin/python3; build with the release preset first):
  /usr/bin/python3 bench/pinning_ab.py [--repeats 12] [--cells svrg-rcv1,...] [--out bench/results]
  /usr/bin/python3 bench/pinning_ab.py --repeats 1 --out /tmp/pinab    # smoke, ~10 s
  /usr/bin/python3 bench/pinning_ab.py --replot      # tables and figure again from the JSON
Outputs: OUT/PREFIX.{csv,json,md,png} (PREFIX = pinning_ab).
"""

import argparse
import json
import os
import shlex
import sys
import time

import harness as h
from harness import ROOT, log

TARGET = 1e-6
THREADS = 2
HOGWILD_EPOCHS = 20
GAP = 1.10  # sorted times split into two modes at a gap over this factor
SIDES = ("true", "false")  # --pin-workers
CELLS = {  # name -> solver, dataset, solver flags, whether it runs to TARGET
    "svrg-rcv1": dict(solver="svrg", dataset="rcv1-vw-small", to_target=True, flags=[]),
    "hogwild-rcv1": dict(solver="hogwild", dataset="rcv1-vw-small", to_target=False,
                         flags=["--max-epochs", str(HOGWILD_EPOCHS), "--trace-every", str(HOGWILD_EPOCHS),
                                "--f-star", "skip"]),
    "soda-madelon": dict(solver="soda", dataset="madelon", to_target=True, flags=["--mask-p", "0.1",
                                                                                  "--trace-every", "2"]),
    "dave-pg-madelon": dict(solver="dave-pg", dataset="madelon", to_target=True, flags=["--trace-every", "2"]),
}


def problem_args(a, dataset):
    if dataset == "madelon":
        return h.problem_args_from_config(os.path.join(ROOT, "configs/soda-madelon.ini"), dataset, a.work)
    return ["--data", h.plain_copy(dataset, a.work), "--loss", "logistic", "--l2", a.rcv1_l2]


def run_one(a, problems, cell, rnd):
    c = CELLS[cell["cell"]]
    args = ["train"] + problems[c["dataset"]] + ["--solver", c["solver"], "--threads", str(THREADS), "--seed", "1",
                                                 "--pin-workers", cell["pin"], "--max-seconds", repr(a.max_seconds),
                                                 "--quiet"] + c["flags"]
    if c["to_target"]:
        args += ["--target-subopt", repr(TARGET), "--max-epochs", "100000", "--cache-dir", a.cache]
    out = dict(load1=h.loadavg()[0])
    try:
        r = h.run_cli(a.binary, args, trace=False, cwd=ROOT, timeout=2 * a.max_seconds + 60, ok=None)
    except RuntimeError as e:
        log("   %s" % e)
        return dict(out, status="killed", command=" ".join([a.binary] + args))
    s = r["summary"] or {}
    msg = s.get("message") or ""
    ok = s.get("status") == "target_reached" if c["to_target"] else (
        s.get("status") == "max_epochs" and s.get("epochs") == HOGWILD_EPOCHS)
    reason = msg[msg.index("not pinned"):] if "not pinned" in msg else None
    out.update(status=s.get("status", "error (exit %d)" % r["rc"]), ok=ok, time=s.get("seconds") if ok else None,
               seconds=s.get("seconds"), epochs=s.get("epochs"), wall=r["wall"], rc=r["rc"],
               pinned=cell["pin"] == "true" and reason is None and bool(s), not_pinned=reason, message=msg,
               f_star_source=s.get("f_star_source"), command=" ".join(shlex.quote(x) for x in r["command"]))
    out.update(r["provenance"])
    log("   round %2d %-16s pin %-5s %-14s %8s ms %6s epochs  load %.1f%s" % (
        rnd + 1, cell["cell"], cell["pin"], out["status"], fmt(out["time"] and 1e3 * out["time"], "%.2f"),
        fmt(out["epochs"], "%.0f"), out["load1"], "  " + reason if reason else ""))
    return out


fmt = h.fmt


def modes(times):
    """(slow count, fast max, slow min) split at the largest gap of the sorted times, if over GAP; else None."""
    t = sorted(times)
    if len(t) < 4:
        return None
    i = max(range(1, len(t)), key=lambda k: t[k] / t[k - 1])
    return (len(t) - i, t[i - 1], t[i]) if t[i] / t[i - 1] > GAP else None


def summarise(runs, threshold):
    out = []
    for name in dict.fromkeys(r["cell"] for r in runs):
        mine = [r for r in runs if r["cell"] == name]
        c = dict(cell=name, solver=CELLS[name]["solver"], dataset=CELLS[name]["dataset"])
        for side in SIDES:
            rs = [r for r in mine if r["pin"] == side]
            ts = sorted(r["time"] for r in rs if r.get("time") is not None)
            c[side] = dict(runs=len(rs), ok=len(ts), times=ts, median=h.median(ts), min=ts[0] if ts else None,
                           max=ts[-1] if ts else None, modes=modes(ts),
                           not_pinned=[r.get("not_pinned") or r.get("status") for r in rs
                                       if side == "true" and not r.get("pinned")])
        for side, other in (SIDES, SIDES[::-1]):
            c[side]["above_other_max"] = (sum(t > c[other]["max"] for t in c[side]["times"])
                                          if c[other]["max"] is not None else None)
        c["ratio"] = h.ratio(c["false"]["median"], c["true"]["median"])
        by_round = {}
        for r in mine:
            by_round.setdefault(r["round"], {})[r["pin"]] = r.get("time")
        c["paired_ratios"] = [h.ratio(v.get("false"), v.get("true")) for _, v in sorted(by_round.items())]
        c["paired_median"] = h.median(c["paired_ratios"])
        rt = c["ratio"]
        c["verdict"] = ("n/a" if rt is None else "pinned faster" if rt > threshold else
                        "pinned slower" if rt < 1 / threshold else "no difference")
        c["flag"] = "  FLAG: %d of %d runs asked to pin were not pinned" % (
            len(c["true"]["not_pinned"]), c["true"]["runs"]) if c["true"]["not_pinned"] else ""
        out.append(c)
    return out


def mode_text(s):
    m = s["modes"]
    return "< 4 runs" if s["ok"] < 4 else "one mode" if m is None else "%d of %d slow (>= %.2f ms; fast <= %.2f ms)" % (
        m[0], s["ok"], 1e3 * m[2], 1e3 * m[1])


def verdict_lines(cells, threshold):
    return ["%-16s %-13s unpinned/pinned %s (paired median %s); pinned %s ms [%s], unpinned %s ms [%s]; "
            "unpinned above pinned max: %s of %d%s" % (
                c["cell"], c["verdict"], fmt(c["ratio"], "%.2fx"), fmt(c["paired_median"], "%.2fx"),
                fmt(c["true"]["median"] and 1e3 * c["true"]["median"], "%.2f"), mode_text(c["true"]),
                fmt(c["false"]["median"] and 1e3 * c["false"]["median"], "%.2f"), mode_text(c["false"]),
                fmt(c["false"]["above_other_max"], "%d"), c["false"]["ok"], c.get("flag", "")) for c in cells] + [
        "(verdict on the ratio of medians: pinned faster above %.2fx, slower below %.2fx)" % (threshold,
                                                                                              1 / threshold)]


def plot(cells, runs, meta, path):
    fig, axes = h.panels(len(cells) + 1, 3, 4.2, 3.4)
    colors = {"true": "tab:blue", "false": "tab:orange"}
    for ax, c in zip(axes, cells):
        for side in SIDES:
            rs = [r for r in runs if r["cell"] == c["cell"] and r["pin"] == side and r.get("time") is not None]
            ax.scatter([r["round"] + 1 for r in rs], [1e3 * r["time"] for r in rs], s=16, color=colors[side],
                       label="pinned" if side == "true" else "unpinned")
            if c[side]["median"] is not None:
                ax.axhline(1e3 * c[side]["median"], color=colors[side], lw=1, ls="--")
        ax.set_title("%s: %s" % (c["cell"], c["verdict"]), fontsize=8)
        ax.set_xlabel("round")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_ylabel("solver ms (%s)" % ("20 epochs" if not CELLS[c["cell"]]["to_target"] else "to 1e-6"))
        ax.set_ylim(bottom=0)
        ax.legend(fontsize=7)
    ax = axes[-1]
    for i, c in enumerate(cells):
        ys = [v for v in c["paired_ratios"] if v is not None]
        ax.scatter([i] * len(ys), ys, s=12, color="tab:gray", alpha=0.7, label="per round" if i == 0 else None)
        if c["ratio"] is not None:
            ax.plot([i - 0.25, i + 0.25], [c["ratio"]] * 2, color="k", lw=2, label="of medians" if i == 0 else None)
    ax.axhline(1.0, color="gray", ls=":")
    for y in (meta["threshold"], 1 / meta["threshold"]):
        ax.axhline(y, color="tab:red", ls="--", lw=1)
    ax.set_xticks(range(len(cells)))
    ax.set_xticklabels([c["cell"] for c in cells], fontsize=7, rotation=20)
    ax.set_ylabel("unpinned / pinned time (> 1: pinning helps)")
    ax.legend(fontsize=7)
    m = meta["machine"]
    fig.suptitle("--pin-workers true vs false, %d threads; %s; %s, %d cores, load %.1f-%.1f" % (
        THREADS, meta["binary"]["version"], m["cpu"], m["cores"], meta["load_start"][0], meta["load_end"][0]),
        fontsize=9)
    h.save_figure(fig, path)


def markdown(meta, cells, lines, prefix):
    loads = [x for x in meta["run_loads"] if x is not None]
    trips = [x for x in meta["round_trips"] if x is not None]
    L = ["# Pinning A/B: --pin-workers true vs false, %d threads" % THREADS, "",
         "Generated by `%s` (repository at %s) in %.0f s." % (meta["command"], meta["git_commit"],
                                                              meta["elapsed_seconds"]), "",
         "Machine: %s. Load average (1 / 5 / 15 min) at start %s, at end %s; 1-minute load before the runs %s. "
         "Cores' cache-line round trip before the rounds: %s." % (
             h.machine_text(meta["machine"]), " / ".join("%.2f" % x for x in meta["load_start"]),
             " / ".join("%.2f" % x for x in meta["load_end"]),
             "%.1f-%.1f" % (min(loads), max(loads)) if loads else "-",
             "%.0f-%.0f ns (far, > %d ns, before %d of %d rounds)" % (
                 min(trips), max(trips), h.FAR_ROUND_TRIP_NS, sum(t > h.FAR_ROUND_TRIP_NS for t in trips),
                 len(trips)) if trips else "not measured (no asyncopt CLI)"),
         "Binary: `%s` (%s). f*: %s." % (meta["binary"]["path"], meta["binary"]["version"],
                                         "; ".join("%s %.12g" % kv for kv in meta["f_star"].items())), "",
         "%d interleaved rounds; each runs every cell pinned and unpinned back to back, every other round in "
         "reverse order. svrg / soda / dave-pg: solver seconds to suboptimality %g (rcv1-vw-small: logistic, "
         "l2 = %s; madelon: configs/soda-madelon.ini, soda with mask p 0.1); hogwild: solver seconds of %d "
         "epochs on rcv1-vw-small. Ratio = unpinned / pinned (> 1: pinning helps), of the medians and the median "
         "of the per-round ratios. Modes: the sorted times split at their largest gap when it exceeds %.0f%%." % (
             meta["repeats"], TARGET, meta["rcv1_l2"], HOGWILD_EPOCHS, 100 * (GAP - 1)), "", "```"] + lines + [
        "```", ""]
    rows = []
    for c in cells:
        for side in SIDES:
            s = c[side]
            rows.append([c["cell"], "pinned" if side == "true" else "unpinned",
                         "%d/%d" % (s["ok"], s["runs"]), fmt(s["median"] and 1e3 * s["median"], "%.2f"),
                         "%s-%s" % (fmt(s["min"] and 1e3 * s["min"], "%.2f"), fmt(s["max"] and 1e3 * s["max"], "%.2f")),
                         " ".join("%.2f" % (1e3 * t) for t in s["times"]), mode_text(s),
                         fmt(s["above_other_max"], "%d"),
                         "; ".join(s["not_pinned"]) if s["not_pinned"] else "-" if side == "false" else "all pinned"])
    L += h.md_table(["cell", "side", "ok", "median ms", "min-max ms", "sorted ms", "modes",
                     "above the other side's max", "pinning"], rows)
    L += ["", "![](%s.png)" % prefix, "",
          "Every run, with its command, result message, the load before it and its provenance: `%s.csv`, "
          "`%s.json`." % (prefix, prefix)]
    return L


def write_outputs(base, prefix, meta, runs):
    cells = summarise(runs, meta["threshold"])
    lines = verdict_lines(cells, meta["threshold"])
    h.write_csv(base + ".csv", runs, ["cell", "pin", "round", "status", "ok", "time", "seconds", "epochs", "wall",
                                      "pinned", "not_pinned", "message", "round_trip_ns", "load1", "f_star_source",
                                      "commit", "binary_version", "cpu", "cores", "date", "command"])
    h.write_json(base + ".json", dict(meta=meta, cells=cells, verdicts=lines, runs=runs))
    plot(cells, runs, meta, base + ".png")
    h.write_report(base, markdown(meta, cells, lines, prefix), lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.split("\n")[1:]))
    ap.add_argument("--binary", default=os.path.join(ROOT, "build/release/src/cli/asyncopt"))
    ap.add_argument("--probe-bin", default=os.path.join(ROOT, "build/release/src/cli/asyncopt"),
                    help="the asyncopt CLI, whose `contention --probe` measures the cores' round trip before each round")
    ap.add_argument("--repeats", type=int, default=12, help="interleaved rounds (default 12)")
    ap.add_argument("--cells", default=",".join(CELLS))
    ap.add_argument("--rcv1-l2", default="1e-4", help="l2 of the rcv1-vw-small problem (default 1e-4)")
    ap.add_argument("--threshold", type=float, default=1.05, help="ratio beyond which pinning helps or hurts")
    ap.add_argument("--max-seconds", type=float, default=30.0, help="per-run cap (default 30)")
    ap.add_argument("--work", default=os.path.join(ROOT, "build/bench-work/pinning_ab"))
    ap.add_argument("--out", default=os.path.join(ROOT, "bench/results"))
    ap.add_argument("--prefix", default="pinning_ab")
    ap.add_argument("--replot", action="store_true", help="no runs: redo the outputs from OUT/PREFIX.json")
    a = ap.parse_args()
    base = os.path.join(a.out, a.prefix)
    if a.replot:
        return h.replot(a, write_outputs)
    h.check_binary(ap, a)
    names = [c for c in a.cells.split(",") if c]
    for c in names:
        if c not in CELLS:
            ap.error("--cells: unknown %r (have %s)" % (c, ",".join(CELLS)))
    if a.repeats < 1 or not a.threshold > 1 or not a.max_seconds > 0:
        ap.error("--repeats must be >= 1, --threshold > 1, --max-seconds > 0")
    a.work = os.path.abspath(a.work)
    a.cache = os.path.join(a.work, "cache")
    os.makedirs(a.cache, exist_ok=True)
    os.makedirs(a.out, exist_ok=True)
    command = "/usr/bin/python3 bench/pinning_ab.py " + " ".join(shlex.quote(x) for x in sys.argv[1:])
    load_start, t0 = h.loadavg(), time.time()
    problems, fstar = {}, {}
    for name in names:
        ds = CELLS[name]["dataset"]
        if ds not in problems:
            problems[ds] = problem_args(a, ds)
        if CELLS[name]["to_target"] and ds not in fstar:
            fstar[ds], wall = h.optimum_via_cache(a.binary, problems[ds], a.cache, timeout=600)
            if fstar[ds] is None:
                sys.exit("asyncopt optimum gave no f* for %s" % ds)
            log("== %s: f* %.12g (%.1f s)" % (ds, fstar[ds], wall))
    cells = h.grid(cell=names, pin=list(SIDES))
    runs = h.interleaved(cells, a.repeats, lambda cell, r: run_one(a, problems, cell, r),
                         before_round=lambda r: dict(round_trip_ns=h.core_round_trip(a.probe_bin)))
    meta = dict(command=command, machine=h.machine(), git_commit=h.git_commit(), load_start=load_start,
                load_end=h.loadavg(), elapsed_seconds=time.time() - t0, repeats=a.repeats, threads=THREADS,
                target=TARGET, threshold=a.threshold, rcv1_l2=a.rcv1_l2, f_star=fstar,
                binary=dict(path=a.binary, version=h.binary_version(a.binary)), probe_bin=a.probe_bin,
                run_loads=[r.get("load1") for r in runs],
                round_trips=list({r["round"]: r.get("round_trip_ns") for r in runs}.values()))
    write_outputs(base, a.prefix, meta, runs)


if __name__ == "__main__":
    main()
