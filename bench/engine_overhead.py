#!/usr/bin/python3
"""Engine overhead: two asyncopt binaries side by side on SODA and DAve-PG.

The question: is a candidate build's master/worker engine no slower than the
baseline's? Both binaries solve the same problems in the same run, in
interleaved rounds (every cell of both binaries once per round, every other
round in reverse order, so load drift on a shared machine meets both alike and
the two binaries of a cell run back to back, swapping who goes first).

Problems: the SODA benchmark's settings for two datasets (bench/soda_figures.py,
configs/soda-madelon.ini and configs/soda-rcv1.ini: logistic, l1 = 1e-4,
l2 = 1e-3; madelon row-normalised, rcv1-vw-small max-abs scaled), the data
decompressed once from /work/shared/data into the work dir.
Grid: --solver soda (--mask-p 0.1) and dave-pg, M = --threads 2 and 4 workers.
Every run: --target-subopt 1e-6 (checked at trace points every --trace-every 2
epochs, off the solver clock), --max-seconds cap, --max-epochs 100000, seed 1,
--cache-dir WORK/cache for both binaries. f* is computed once per dataset by
`baseline optimum` before the rounds; `candidate optimum` then reads it from the
cache, and the two values are compared.

Per cell and binary: time to 1e-6 (the summary's `seconds`, solver clock),
epochs to 1e-6 (the summary's `epochs`), whole-program wall time (parse and
start included), each the median over --repeats rounds (min-max shown), and
the ratio baseline / candidate of the medians (>= 0.95 is the goal: the
candidate no slower), plus the median of the per-round paired ratios.

Usage (always /usr/bin/python3):
  /usr/bin/python3 bench/engine_overhead.py --baseline OLD/asyncopt --candidate NEW/asyncopt
      [--repeats 3] [--datasets madelon,rcv1-vw-small] [--solvers soda,dave-pg]
      [--threads 2,4] [--max-seconds S] [--work DIR] [--out bench/results]
  /usr/bin/python3 bench/engine_overhead.py ... --untraced   # judge untraced times (see --help)
  /usr/bin/python3 bench/engine_overhead.py --replot   # tables and figure again from the JSON
Outputs: OUT/PREFIX.{csv,json,md,png} (PREFIX = engine_overhead).
"""

import argparse
import json
import math
import os
import shlex
import sys
import time

import harness as h
from harness import ROOT, log

TARGET = 1e-6
GOAL = 0.95  # baseline / candidate time to target: the candidate no slower
DATASETS = h.SODA_DATASETS
BINARIES = ("baseline", "candidate")


def f_star(binary, problem, cache):
    """`optimum` through the shared cache: (f*, seconds of wall)."""
    return h.optimum_via_cache(binary, problem, cache)


def run_cell(a, bins, problems, cell, rnd, untraced_epochs=None):
    """One run of one binary on one cell: the record's measured fields.

    untraced_epochs: the second phase of --untraced: that many epochs with one
    trace point at the end (f* from the cache, so the summary gives the
    final suboptimality)."""
    ds, solver, threads, which = cell["dataset"], cell["solver"], cell["threads"], cell["binary"]
    cap = a.max_seconds or DATASETS[ds]["cap"]
    if untraced_epochs:
        stop = ["--max-epochs", str(untraced_epochs), "--trace-every", str(untraced_epochs),
                "--max-seconds", repr(cap)]
    elif a.fixed_epochs:
        # The engines alone: a fixed number of epochs, one trace point at the
        # end, no f*: neither clock meets a trace pause (the baseline's clock
        # left out the steps workers finished during one; the candidate's
        # counts them), so solver seconds and wall compare the engines.
        stop = ["--max-epochs", str(a.fixed_epochs), "--trace-every", str(a.fixed_epochs),
                "--f-star", "skip", "--max-seconds", repr(cap)]
    else:
        stop = ["--target-subopt", repr(TARGET), "--max-seconds", repr(cap),
                "--max-epochs", "100000", "--trace-every", repr(a.trace_every)]
    args = ["train"] + problems[ds] + ["--solver", solver, "--threads", str(threads), "--seed", "1"] + stop + [
        "--cache-dir", a.cache, "--quiet"]
    if solver == "soda":
        args += ["--mask-p", "0.1"]
    out = dict(cap_seconds=cap)
    try:
        # The cap bounds the solver clock; the timeout bounds parsing, f* and
        # a run that ignored its cap.
        r = h.run_cli(bins[which], args, env=a.env, cwd=ROOT, timeout=2 * cap + 120, ok=None)
    except RuntimeError as e:
        log("   %s" % e)
        out.update(status="killed", reached=False, command=" ".join([bins[which]] + args))
        return out
    s = r["summary"] or {}
    if untraced_epochs:
        sub = s.get("suboptimality")
        out.update(phase="untraced", untraced_epochs=untraced_epochs,
                   untraced_seconds=s.get("seconds") if s.get("status") == "max_epochs" else None,
                   untraced_reached=sub is not None and sub <= TARGET)
    reached = s.get("status") == ("max_epochs" if a.fixed_epochs else "target_reached")
    hit = None if a.fixed_epochs or untraced_epochs else h.time_to_target(r["trace"], TARGET, skip_start=True)
    out.update(status=s.get("status", "error (exit %d)" % r["rc"]), reached=reached, rc=r["rc"],
               seconds=s.get("seconds"), epochs=s.get("epochs"), wall=r["wall"],
               time_to_target=s.get("seconds") if reached else None,
               epochs_to_target=s.get("epochs") if reached else None,
               trace_time_to_target=hit and hit["seconds"], trace_epochs_to_target=hit and hit["epoch"],
               suboptimality=s.get("suboptimality"), exchanges=s.get("exchanges"),
               f_star_source=s.get("f_star_source"), command=" ".join(shlex.quote(x) for x in r["command"]))
    out.update(r["provenance"])
    if not s:
        out["stderr"] = r["stderr"][-500:]
    log("   round %d %-14s %-8s M=%d %-9s %-15s %8s s  %6s epochs  wall %.2f s%s" % (
        rnd + 1, ds, solver, threads, which, out["status"], fmt(out["seconds"], "%.3f"),
        fmt(out["epochs"], "%.0f"), r["wall"],
        "  untraced, subopt %s" % fmt(out["suboptimality"], "%.2g") if untraced_epochs else ""))
    return out


fmt, span = h.fmt, h.span


def cells_of(runs):
    """Per (dataset, solver, threads): each binary's medians and the ratios baseline / candidate."""
    out = []
    keys = list(dict.fromkeys((r["dataset"], r["solver"], r["threads"]) for r in runs))
    for ds, solver, threads in keys:
        both = [r for r in runs if (r["dataset"], r["solver"], r["threads"]) == (ds, solver, threads)]
        mine = [r for r in both if r.get("phase") != "untraced"]
        later = [r for r in both if r.get("phase") == "untraced"]
        c = dict(dataset=ds, solver=solver, threads=threads)
        for b in BINARIES:
            rs = [r for r in mine if r["binary"] == b]
            c[b] = dict(runs=len(rs), reached=sum(bool(r.get("reached")) for r in rs),
                        time_to_target=h.median([r.get("time_to_target") for r in rs]),
                        times=[r.get("time_to_target") for r in rs],
                        epochs_to_target=h.median([r.get("epochs_to_target") for r in rs]),
                        epochs=[r.get("epochs_to_target") for r in rs],
                        seconds_per_epoch=h.median([h.ratio(r.get("seconds"), r.get("epochs")) for r in rs]),
                        wall=h.median([r.get("wall") for r in rs]), walls=[r.get("wall") for r in rs],
                        statuses=[r.get("status") for r in rs])
        base, cand = c["baseline"], c["candidate"]
        for k in ("time_to_target", "epochs_to_target", "wall", "seconds_per_epoch"):
            c["ratio_" + k] = h.ratio(base[k], cand[k])
        by_round = {}
        for r in mine:
            by_round.setdefault(r["round"], {})[r["binary"]] = r.get("time_to_target")
        paired = [h.ratio(v.get("baseline"), v.get("candidate")) for _, v in sorted(by_round.items())]
        c["paired_time_ratios"] = paired
        c["paired_time_ratio_median"] = h.median(paired)
        complete = base["reached"] == base["runs"] and cand["reached"] == cand["runs"]
        r = c["ratio_time_to_target"]
        c["verdict"] = ("FAIL" if cand["reached"] < cand["runs"] and base["reached"] == base["runs"] else
                        "n/a" if not complete or r is None else "PASS" if r >= GOAL else "FAIL")
        if later:
            # --untraced: the verdict reads the untraced runs' solver seconds
            # for the same epochs (the larger median epochs to the target).
            for b in BINARIES:
                rs = [x for x in later if x["binary"] == b]
                c[b].update(untraced_epochs=rs[0]["untraced_epochs"] if rs else None,
                            untraced_time=h.median([x.get("untraced_seconds") for x in rs]),
                            untraced_times=[x.get("untraced_seconds") for x in rs],
                            untraced_reached=sum(bool(x.get("untraced_reached")) for x in rs),
                            untraced_runs=len(rs),
                            untraced_subopt=h.median([x.get("suboptimality") for x in rs]))
            ru = c["ratio_untraced_time"] = h.ratio(base["untraced_time"], cand["untraced_time"])
            by_round = {}
            for x in later:
                by_round.setdefault(x["round"], {})[x["binary"]] = x.get("untraced_seconds")
            c["paired_untraced_ratio_median"] = h.median(
                [h.ratio(v.get("baseline"), v.get("candidate")) for _, v in sorted(by_round.items())])
            c["verdict"] = "n/a" if ru is None else "PASS" if ru >= GOAL else "FAIL"
        out.append(c)
    return out


def goal_lines(cells):
    judged = [c for c in cells if c["verdict"] != "n/a"]
    good = [c for c in judged if c["verdict"] == "PASS"]
    lines = ["%s candidate no slower than baseline to %g (baseline / candidate median time >= %.2f): "
             "%d of %d cells%s" % ("PASS" if judged and len(good) == len(cells) else "FAIL", TARGET, GOAL,
                                   len(good), len(cells),
                                   "; %d not judged (a run missed the target)" % (len(cells) - len(judged))
                                   if len(judged) < len(cells) else "")]
    untraced = any("ratio_untraced_time" in c for c in cells)
    if untraced:
        lines[0] = lines[0].replace("median time", "median untraced time for the epochs to the target")
    key = "ratio_untraced_time" if untraced else "ratio_time_to_target"
    known = [c[key] for c in cells if c.get(key)]
    if known:
        lines.append("info geometric mean of the cells' time ratios: %.3fx (%d cells; a pooled figure, less "
                     "noisy than any one cell)" % (math.exp(sum(math.log(x) for x in known) / len(known)),
                                                  len(known)))
    for c in cells:
        lines.append("     %-4s %-14s %-8s M=%d  time %s (paired median %s)  epochs %s  s/epoch %s  wall %s%s" % (
            c["verdict"], c["dataset"], c["solver"], c["threads"], fmt(c["ratio_time_to_target"], "%.2fx"),
            fmt(c["paired_time_ratio_median"], "%.2fx"), fmt(c["ratio_epochs_to_target"], "%.2fx"),
            fmt(c["ratio_seconds_per_epoch"], "%.2fx"), fmt(c["ratio_wall"], "%.2fx"),
            "  untraced time %s (paired median %s; at 1e-6: b %d/%d, c %d/%d)" % (
                fmt(c["ratio_untraced_time"], "%.2fx"), fmt(c["paired_untraced_ratio_median"], "%.2fx"),
                c["baseline"]["untraced_reached"], c["baseline"]["untraced_runs"],
                c["candidate"]["untraced_reached"], c["candidate"]["untraced_runs"])
            if "ratio_untraced_time" in c else ""))
    return lines


def plot(cells, meta, path):
    labels = ["%s\n%s M=%d" % (c["dataset"], c["solver"], c["threads"]) for c in cells]
    fig, (ax0, ax1) = h.panels(2, 2, 0.9 * max(6, len(cells)) + 1.5, 4.4)
    colors = dict(baseline="tab:gray", candidate="tab:blue")
    for k, b in enumerate(BINARIES):
        for i, c in enumerate(cells):
            x = i + (k - 0.5) * 0.3
            ys = [t for t in c[b]["times"] if t is not None]
            ax0.scatter([x] * len(ys), ys, s=12, color=colors[b], label=b if i == 0 else None)
            if c[b]["time_to_target"] is not None:
                ax0.plot([x - 0.12, x + 0.12], [c[b]["time_to_target"]] * 2, color=colors[b], lw=2)
    ax0.set_xticks(range(len(cells)))
    ax0.set_xticklabels(labels, fontsize=7)
    ax0.set_ylim(bottom=0)
    ax0.set_ylabel("solver seconds to suboptimality %g (bar = median)" % TARGET)
    ax0.legend(fontsize=8)
    for i, c in enumerate(cells):
        ys = [r for r in c["paired_time_ratios"] if r is not None]
        ax1.scatter([i] * len(ys), ys, s=12, color="tab:blue", alpha=0.6,
                    label="per round (paired)" if i == 0 else None)
        if c["ratio_time_to_target"] is not None:
            ax1.plot([i - 0.2, i + 0.2], [c["ratio_time_to_target"]] * 2, color="k", lw=2,
                     label="ratio of medians" if i == 0 else None)
    ax1.axhline(GOAL, color="tab:red", ls="--", lw=1, label="goal %.2f" % GOAL)
    ax1.axhline(1.0, color="gray", ls=":", lw=1)
    ax1.set_xticks(range(len(cells)))
    ax1.set_xticklabels(labels, fontsize=7)
    ax1.set_ylabel("baseline / candidate time (> 1: candidate faster)")
    ax1.legend(fontsize=8)
    m = meta["machine"]
    fig.suptitle("asyncopt engine overhead: %s vs %s; %s, %d cores" % (
        meta["binaries"]["baseline"]["version"], meta["binaries"]["candidate"]["version"], m["cpu"], m["cores"]),
        fontsize=9)
    h.save_figure(fig, path, dpi=100)


def markdown(meta, cells, goals, prefix):
    m, bins = meta["machine"], meta["binaries"]
    la, lb = meta["load_start"], meta["load_end"]
    L = ["# Engine overhead: baseline vs candidate asyncopt on SODA and DAve-PG", "",
         "Generated by `%s` (repository at %s) in %.0f s." % (meta["command"], meta["git_commit"],
                                                              meta["elapsed_seconds"]), "",
         "Machine: %s. Load average at start %s%s, at end %s (the end value counts the benchmark's own M "
         "workers + 1 master thread)." % (
             h.machine_text(m), " / ".join("%.2f" % x for x in la),
             " -- **HIGH (> 1.5): the cores were shared with other jobs; times are noisy**" if la[0] > 1.5 else "",
             " / ".join("%.2f" % x for x in lb)), "",
         "* baseline: `%s`: %s" % (bins["baseline"]["path"], bins["baseline"]["version"]),
         "* candidate: `%s`: %s" % (bins["candidate"]["path"], bins["candidate"]["version"]), ""]
    if meta.get("fixed_epochs"):
        L += ["**Mode `--fixed-epochs %d`:** every run is %d epochs traced only at the end, with no target "
              "and no f*; wherever the text and tables below say \"to 1e-6\", read \"for %d epochs\" (time = "
              "solver seconds of the %d epochs). This compares the engines without trace pauses." %
              ((meta["fixed_epochs"],) * 4), ""]
    if meta.get("untraced"):
        L += ["**Mode `--untraced`:** the verdict reads untraced times. A trace point pauses the solver "
              "clock, and the two engines count the steps workers finish during the pause differently (the "
              "baseline's clock left them out, as free work; the candidate's master credits the longest of "
              "them back), and a trace point also lets every worker catch up (no stale message crosses it), which "
              "changes the epochs a run needs; so time to 1e-6 on the solver clock compares clocks as much as "
              "engines. After the traced rounds, both binaries run untraced (one trace point at the end) for "
              "the same epochs, the larger of their median epochs to 1e-6 in those rounds, in %d more "
              "interleaved rounds; the time ratio of those runs is judged, and the table after the first gives "
              "them with the final suboptimality (asynchronous runs of the same epochs end near, not exactly "
              "at, 1e-6)." % meta["repeats"], ""]
    L += [
         "Every run: `asyncopt train` with the problem of the SODA benchmark's config (logistic, l1 = 1e-4, "
         "l2 = 1e-3; madelon row-normalised, rcv1-vw-small max-abs scaled), `--solver soda --mask-p 0.1` or "
         "`--solver dave-pg`, `--threads M` workers (plus the master thread), seed 1, `--target-subopt %g` "
         "checked at trace points every %g epochs (off the solver clock), `--max-seconds` cap per run, "
         "`--cache-dir` shared by both binaries. %d interleaved rounds: each round runs every cell with both "
         "binaries back to back, every other round in reverse order (who goes first swaps)." % (
             TARGET, meta["trace_every"], meta["repeats"]), "",
         "f* per dataset (`baseline optimum`, then `candidate optimum` from the cache): " + "; ".join(
             "%s %.12g (candidate reads %s)" % (ds, v["baseline"], "%.12g" % v["candidate"]
                                               if v["candidate"] is not None else "nothing")
             for ds, v in meta["f_star"].items()) + ".", "",
         "## Goal", "", "```"] + goals + ["```", "",
         "Time = the summary's `seconds` (solver clock) when the run reached the target; epochs = the summary's "
         "`epochs`; wall = the whole program (start, parse, f* lookup, solve, trace evaluation, summary). Medians "
         "over the rounds, min-max in brackets; ratios are baseline / candidate of the medians (> 1: the "
         "candidate is faster or needs fewer epochs). The verdict reads the time ratio; a cell where a run "
         "missed the target is not judged (FAIL when only the candidate missed it). Asynchronous runs differ in "
         "the epochs they need (the workers' delays differ run to run), so the time ratio carries that noise "
         "besides the machine's; the epoch and s/epoch ratios (solver seconds per epoch, median of the runs') "
         "say which of the two moved.", ""]
    rows = []
    for c in cells:
        b, k = c["baseline"], c["candidate"]
        rows.append([c["dataset"], c["solver"], c["threads"],
                     "%s (%s)" % (fmt(b["time_to_target"], "%.3f"), span(b["times"], "%.3f")),
                     "%s (%s)" % (fmt(k["time_to_target"], "%.3f"), span(k["times"], "%.3f")),
                     fmt(c["ratio_time_to_target"], "**%.2f**"), fmt(c["paired_time_ratio_median"], "%.2f"),
                     "%s (%s)" % (fmt(b["epochs_to_target"], "%.0f"), span(b["epochs"], "%.0f")),
                     "%s (%s)" % (fmt(k["epochs_to_target"], "%.0f"), span(k["epochs"], "%.0f")),
                     fmt(c["ratio_epochs_to_target"], "%.2f"), fmt(c["ratio_seconds_per_epoch"], "%.2f"),
                     fmt(b["wall"], "%.2f"), fmt(k["wall"], "%.2f"),
                     fmt(c["ratio_wall"], "%.2f"), "%d/%d, %d/%d" % (b["reached"], b["runs"], k["reached"],
                                                                     k["runs"]), c["verdict"]])
    L += h.md_table(["dataset", "solver", "M", "baseline s to 1e-6", "candidate s", "time ratio",
                     "paired median", "baseline epochs", "candidate epochs", "epoch ratio", "s/epoch ratio",
                     "baseline wall s",
                     "candidate wall s", "wall ratio", "reached (b, c)", "verdict"], rows)
    if meta.get("untraced"):
        rows = []
        for c in cells:
            if "ratio_untraced_time" not in c:
                continue
            b, k = c["baseline"], c["candidate"]
            rows.append([c["dataset"], c["solver"], c["threads"], fmt(b["untraced_epochs"], "%d"),
                         fmt(k["untraced_epochs"], "%d"),
                         "%s (%s)" % (fmt(b["untraced_time"], "%.3f"), span(b["untraced_times"], "%.3f")),
                         "%s (%s)" % (fmt(k["untraced_time"], "%.3f"), span(k["untraced_times"], "%.3f")),
                         fmt(c["ratio_untraced_time"], "**%.2f**"), fmt(c["paired_untraced_ratio_median"], "%.2f"),
                         "%s, %s" % (fmt(b["untraced_subopt"], "%.2g"), fmt(k["untraced_subopt"], "%.2g")),
                         "%d/%d, %d/%d" % (b["untraced_reached"], b["untraced_runs"], k["untraced_reached"],
                                           k["untraced_runs"]), c["verdict"]])
        L += ["", "Untraced runs (the verdict): both binaries for the same epochs (the larger of their median "
                  "epochs to 1e-6).", ""]
        L += h.md_table(["dataset", "solver", "M", "baseline epochs", "candidate epochs", "baseline s",
                         "candidate s", "time ratio", "paired median", "median final subopt (b, c)",
                         "at <= 1e-6 (b, c)", "verdict"], rows)
    computed = meta["computed_f_star_runs"]
    L += ["", "![](%s.png)" % prefix, "",
          "Timed runs that computed f* instead of reading the cache: %s." % (
              ", ".join(computed) if computed else "none"),
          "Every run, with its command and the provenance its summary gives: `%s.csv`, `%s.json`." % (
              prefix, prefix)]
    return L


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.split("\n")[1:]))
    ap.add_argument("--baseline", help="the asyncopt binary to compare against (required)")
    ap.add_argument("--candidate", help="the asyncopt binary under test (required)")
    ap.add_argument("--repeats", type=int, default=3, help="interleaved rounds (default 3)")
    ap.add_argument("--datasets", default=",".join(DATASETS))
    ap.add_argument("--solvers", default="soda,dave-pg")
    ap.add_argument("--threads", default="2,4", help="worker counts M")
    ap.add_argument("--max-seconds", type=float, help="per-run cap (default: madelon 30 s, rcv1-vw-small 60 s)")
    ap.add_argument("--trace-every", type=float, default=2.0, help="epochs between target checks (default 2)")
    ap.add_argument("--fixed-epochs", type=int, default=0,
                    help="instead of time to 1e-6: N epochs traced only at the end (the engines' cost "
                         "without trace pauses); 'time' is then the solver seconds of the N epochs")
    ap.add_argument("--untraced", action="store_true",
                    help="after the traced rounds, time both binaries untraced for the same epochs (the "
                         "larger of their median epochs to 1e-6; one trace point at the end) and judge those "
                         "times: trace pauses then cost neither clock anything")
    ap.add_argument("--work", default=os.path.join(ROOT, "build/bench-work/engine_overhead"),
                    help="decompressed data and the f* cache")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench/results"))
    ap.add_argument("--prefix", default="engine_overhead")
    ap.add_argument("--replot", action="store_true", help="no runs: redo the tables and figure from OUT/PREFIX.json")
    a = ap.parse_args()
    base = os.path.join(a.out, a.prefix)
    if a.replot:
        with open(base + ".json") as f:
            old = json.load(f)
        return write_outputs(base, a.prefix, old["meta"], old["runs"])
    if not a.baseline or not a.candidate:
        ap.error("--baseline and --candidate are required")
    bins = {b: os.path.abspath(getattr(a, b)) for b in BINARIES}
    for b, path in bins.items():
        if not os.access(path, os.X_OK):
            ap.error("--%s %s: not an executable file" % (b, path))
    datasets = [d for d in a.datasets.split(",") if d]
    for d in datasets:
        if d not in DATASETS:
            ap.error("--datasets: unknown %r (have %s)" % (d, ",".join(DATASETS)))
    solvers = [s for s in a.solvers.split(",") if s]
    for s in solvers:
        if s not in ("soda", "dave-pg"):
            ap.error("--solvers: %r is not soda or dave-pg" % s)
    try:
        threads = [int(t) for t in a.threads.split(",") if t]
    except ValueError:
        ap.error("--threads %r: comma-separated integers expected" % a.threads)
    if a.untraced and a.fixed_epochs:
        ap.error("--untraced and --fixed-epochs are two different modes: choose one")
    if a.repeats < 1 or (a.max_seconds is not None and not a.max_seconds > 0) or not a.trace_every > 0:
        ap.error("--repeats must be >= 1, --max-seconds and --trace-every > 0")
    a.work = os.path.abspath(a.work)
    a.cache = os.path.join(a.work, "cache")
    a.env = dict(os.environ)
    os.makedirs(a.cache, exist_ok=True)
    os.makedirs(a.out, exist_ok=True)
    command = "/usr/bin/python3 bench/engine_overhead.py " + " ".join(shlex.quote(x) for x in sys.argv[1:])
    load_start, t0 = h.loadavg(), time.time()

    problems, fstar = {}, {}
    for ds in datasets:
        problems[ds] = h.soda_problem_args(ds, a.work)
        fb, wall = f_star(bins["baseline"], problems[ds], a.cache)
        fc, _ = f_star(bins["candidate"], problems[ds], a.cache)
        fstar[ds] = dict(baseline=fb, candidate=fc, baseline_wall=wall)
        log("== %s: f* %.12g (baseline, %.1f s), candidate reads %s" % (ds, fb, wall, fc))
        if fc is None or abs(fc - fb) > 1e-9 * abs(fb):
            log("   warning: the candidate's f* differs; its runs compute their own")

    cells = h.grid(dataset=datasets, solver=solvers, threads=threads, binary=list(BINARIES))
    runs = h.interleaved(cells, a.repeats, lambda cell, r: run_cell(a, bins, problems, cell, r))
    if a.untraced:
        # Both binaries of a cell run the same epochs: the larger of their
        # median epochs to the target (traced), so both end near it.
        epochs = {}
        for c in cells:
            key = (c["dataset"], c["solver"], c["threads"])
            e = h.median([r.get("epochs_to_target") for r in runs
                          if (r["dataset"], r["solver"], r["threads"], r["binary"]) == key + (c["binary"],)])
            if key not in epochs or epochs[key] is not None:
                epochs[key] = None if e is None else max(epochs.get(key) or 0, int(math.ceil(e)))
        known = [c for c in cells if epochs[(c["dataset"], c["solver"], c["threads"])]]
        log("== untraced: per cell the larger median epochs to %g, one trace point at the end" % TARGET)
        runs += h.interleaved(known, a.repeats, lambda cell, r: run_cell(
            a, bins, problems, cell, r, epochs[(cell["dataset"], cell["solver"], cell["threads"])]))
    meta = dict(command=command, machine=h.machine(), git_commit=h.git_commit(), load_start=load_start,
                load_end=h.loadavg(), elapsed_seconds=time.time() - t0, repeats=a.repeats, target=TARGET,
                goal=GOAL, trace_every=a.trace_every, fixed_epochs=a.fixed_epochs, untraced=a.untraced,
                f_star=fstar,
                binaries={b: dict(path=p, version=h.binary_version(p)) for b, p in bins.items()},
                computed_f_star_runs=["%s %s %s M=%d round %d" % (r["binary"], r["dataset"], r["solver"],
                                                                  r["threads"], r["round"] + 1)
                                      for r in runs if r.get("f_star_source") == "computed"])
    write_outputs(base, a.prefix, meta, runs)


def write_outputs(base, prefix, meta, runs):
    summary = cells_of(runs)
    goals = goal_lines(summary)
    h.write_csv(base + ".csv", runs, [
        "dataset", "solver", "threads", "binary", "phase", "round", "status", "reached", "time_to_target",
        "untraced_epochs", "untraced_seconds", "untraced_reached",
        "epochs_to_target", "wall", "seconds", "epochs", "trace_time_to_target", "trace_epochs_to_target",
        "suboptimality", "exchanges", "cap_seconds", "f_star_source", "commit", "binary_version", "cpu", "cores",
        "date", "command"])
    h.write_json(base + ".json", dict(meta=meta, cells=summary, goals=goals, runs=runs))
    plot(summary, meta, base + ".png")
    h.write_report(base, markdown(meta, summary, goals, prefix), goals)


if __name__ == "__main__":
    main()
