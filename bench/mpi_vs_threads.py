#!/usr/bin/python3
"""MPI vs threads: SODA and DAve-PG with 2 worker ranks against 2 worker threads.

The question (issue 15): what does running the master/worker solvers as MPI
processes cost against running them as threads of one process, on the same
problem? The threaded run is `asyncopt train --transport threads --threads 2`
(the master thread plus 2 workers, ThreadTransport); the MPI run is `mpirun -np 3
asyncopt train --transport mpi` (rank 0 the master, ranks 1 and 2 the workers,
MpiTransport), launched with the build's MPIEXEC_EXECUTABLE and
ASYNCOPT_MPIEXEC_FLAGS (Open MPI here: --allow-run-as-root --oversubscribe
--bind-to none). On a 2-core machine both put 3 busy members on 2 cores.

Problems: the SODA benchmark's settings (configs/soda-madelon.ini,
configs/soda-rcv1.ini: logistic, l1 = 1e-4, l2 = 1e-3; madelon row-normalised,
rcv1-vw-small max-abs scaled), the data decompressed once from
/work/shared/data into the work dir. madelon (2000 x 500, dense, about 600
exchanges of ~1 kB per worker to 1e-6) is latency-bound: the goal is the MPI
run within --goal 1.5x of the threaded one's time to target. rcv1-vw-small
(1000 x 47117, messages of ~65 kB) is reported, not judged.
Grid: --solvers soda (--mask-p 0.1) and dave-pg x transport threads, mpi.

Every run: --target-subopt 1e-6 (checked at trace points every --trace-every 2
epochs, off the solver clock), --max-seconds cap (madelon 30 s, rcv1-vw-small
60 s), --max-epochs 100000, seed 1. f* is computed once per dataset by
`asyncopt optimum` into --cache-dir WORK/cache before the rounds. Threaded
runs read it from that cache (f_star_source "cache"). MPI runs get it as
`--f-star VALUE` (f_star_source "given"), so rank 0 never reads the data
(it holds no rows); --mpi-f-star cache makes rank 0 read the data and look f*
up in the cache instead (more wall time and memory on rank 0, same solve).
Runs are killed after 2 x cap + 120 s (an MPI run through `timeout`, which
sends mpirun SIGTERM, so mpirun ends its ranks, then SIGKILL 10 s later).

Per cell (dataset, solver, transport), medians over --repeats interleaved
rounds (every cell once per round, every other round in reverse order, a
cell's threads and mpi runs back to back): solver seconds to 1e-6 (the
summary's `seconds` when the status is target_reached), epochs, wall time of
the whole program (for MPI: mpirun's start of 3 processes, each rank's read of
its part), exchanges, bytes_sent (workers -> master) and bytes_returned
(master -> workers) and bytes per exchange each way; per (dataset, solver):
the ratio MPI / threads of the median times (and the median of the per-round
paired ratios), PASS/FAIL against --goal on madelon.

Usage (always /usr/bin/python3; build with the release preset first):
  /usr/bin/python3 bench/mpi_vs_threads.py [--repeats 3] [--datasets madelon,rcv1-vw-small]
      [--solvers soda,dave-pg] [--max-seconds S] [--mpi-f-star given|cache]
      [--binary build/release/src/cli/asyncopt] [--build build/release]
      [--mpiexec PATH] [--mpiexec-flags '...'] [--work DIR] [--out bench/results]
  /usr/bin/python3 bench/mpi_vs_threads.py --repeats 1 --datasets madelon --out /tmp/mvt   # smoke, ~10 s
  /usr/bin/python3 bench/mpi_vs_threads.py --replot   # tables and figure again from the JSON
Outputs: OUT/PREFIX.{csv,json,md,png} (PREFIX = mpi_vs_threads).
"""

import argparse
import json
import math
import os
import resource
import shlex
import shutil
import sys
import time

import harness as h
from harness import ROOT, log

TARGET = 1e-6
GOAL = 1.5  # MPI / threads time to target on madelon: at most this
WORKERS = 2
JUDGED = ("madelon",)  # latency-bound: judged; the others are reported
DATASETS = h.SODA_DATASETS
TRANSPORTS = ("threads", "mpi")


def f_star(binary, problem, cache):
    """`optimum` through the shared cache: (f*, seconds of wall)."""
    return h.optimum_via_cache(binary, problem, cache, timeout=600)


def run_cell(a, problems, fstar, cell, rnd):
    """One run of one cell: the record's measured fields."""
    ds, solver, transport = cell["dataset"], cell["solver"], cell["transport"]
    cap = a.max_seconds or DATASETS[ds]["cap"]
    timeout = 2 * cap + 120
    train = ["train"] + problems[ds] + ["--solver", solver, "--transport", transport, "--seed", "1",
                                        "--target-subopt", repr(TARGET), "--max-seconds", repr(cap),
                                        "--max-epochs", "100000", "--trace-every", repr(a.trace_every),
                                        "--cache-dir", a.cache, "--quiet"]
    if solver == "soda":
        train += ["--mask-p", "0.1"]
    if transport == "threads":
        binary, args = a.binary, train + ["--threads", str(WORKERS)]
    else:
        # Under MPI --threads is each rank's reader threads (one worker thread
        # per rank regardless); 1 keeps 3 ranks from parsing on 6 threads.
        train += ["--threads", "1"]
        if a.mpi_f_star == "given":
            train += ["--f-star", repr(fstar[ds])]
        binary = a.timeout_bin
        args = ["--kill-after", "10", repr(timeout), a.mpiexec] + a.mpiexec_flags + [
            "-np", str(WORKERS + 1), a.binary] + train
    out = dict(cap_seconds=cap, load1=h.loadavg()[0])
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        # The cap bounds the solver clock; the timeout bounds parsing, f*, the
        # MPI start and a run that ignored its cap (`timeout` first, for MPI).
        r = h.run_cli(binary, args, env=a.env, cwd=ROOT, timeout=timeout + 30, ok=None)
    except RuntimeError as e:
        log("   %s" % e)
        out.update(status="killed", reached=False, command=" ".join([binary] + args))
        return out
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU seconds of the run's processes (mpirun waits for its ranks, so theirs
    # count): against the wall time, how much of it the members computed or
    # polled rather than slept.
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    s = r["summary"] or {}
    reached = s.get("status") == "target_reached"
    hit = h.time_to_target(r["trace"], TARGET, skip_start=True)
    ex = s.get("exchanges")
    out.update(status=s.get("status", "killed (timeout)" if r["rc"] in (124, 137) else "error (exit %d)" % r["rc"]),
               reached=reached, rc=r["rc"], seconds=s.get("seconds"), epochs=s.get("epochs"), wall=r["wall"],
               time_to_target=s.get("seconds") if reached else None,
               epochs_to_target=s.get("epochs") if reached else None,
               trace_time_to_target=hit and hit["seconds"], trace_epochs_to_target=hit and hit["epoch"],
               suboptimality=s.get("suboptimality"), exchanges=ex, bytes_sent=s.get("bytes_sent"),
               bytes_returned=s.get("bytes_returned"),
               bytes_sent_per_exchange=h.ratio(s.get("bytes_sent"), ex),
               bytes_returned_per_exchange=h.ratio(s.get("bytes_returned"), ex),
               max_delay=s.get("max_delay"), master_busy=s.get("master_busy"), step_used=s.get("step_used"),
               cpu_seconds=cpu, cpu_per_wall=h.ratio(cpu, r["wall"]),
               ranks=s.get("ranks"), f_star_source=s.get("f_star_source"),
               command=" ".join(shlex.quote(x) for x in r["command"]))
    out.update(r["provenance"])
    if not s:
        out["stderr"] = r["stderr"][-500:]
    log("   round %d %-14s %-8s %-8s %-15s %8s s  %7s epochs  %5s exch  wall %.2f s  cpu %.2f s  load %.1f" % (
        rnd + 1, ds, solver, transport, out["status"], fmt(out["seconds"], "%.3f"), fmt(out["epochs"], "%.1f"),
        fmt(ex, "%d"), r["wall"], cpu, out["load1"]))
    return out


fmt, span = h.fmt, h.span


SIDE_KEYS = ("time_to_target", "epochs_to_target", "wall", "exchanges", "bytes_sent", "bytes_returned",
             "bytes_sent_per_exchange", "bytes_returned_per_exchange", "max_delay", "master_busy", "cpu_seconds",
             "cpu_per_wall")


def cells_of(runs, goal):
    """Per (dataset, solver): each transport's medians and the ratios MPI / threads."""
    out = []
    for ds, solver in dict.fromkeys((r["dataset"], r["solver"]) for r in runs):
        mine = [r for r in runs if (r["dataset"], r["solver"]) == (ds, solver)]
        c = dict(dataset=ds, solver=solver, judged=ds in JUDGED)
        for t in TRANSPORTS:
            rs = [r for r in mine if r["transport"] == t]
            c[t] = dict(runs=len(rs), reached=sum(bool(r.get("reached")) for r in rs),
                        times=[r.get("time_to_target") for r in rs], epochs=[r.get("epochs") for r in rs],
                        walls=[r.get("wall") for r in rs], statuses=[r.get("status") for r in rs],
                        seconds_per_epoch=h.median([h.ratio(r.get("seconds"), r.get("epochs")) for r in rs]),
                        **{k: h.median([r.get(k) for r in rs]) for k in SIDE_KEYS})
        thr, mpi = c["threads"], c["mpi"]
        for k in ("time_to_target", "epochs_to_target", "wall", "seconds_per_epoch", "bytes_sent_per_exchange",
                  "bytes_returned_per_exchange"):
            c["ratio_" + k] = h.ratio(mpi[k], thr[k])
        by_round = {}
        for r in mine:
            by_round.setdefault(r["round"], {})[r["transport"]] = r.get("time_to_target")
        c["paired_time_ratios"] = [h.ratio(v.get("mpi"), v.get("threads")) for _, v in sorted(by_round.items())]
        c["paired_time_ratio_median"] = h.median(c["paired_time_ratios"])
        complete = thr["reached"] == thr["runs"] and mpi["reached"] == mpi["runs"]
        r = c["ratio_time_to_target"]
        if not c["judged"]:
            c["verdict"] = "info"
        elif mpi["reached"] < mpi["runs"] and thr["reached"] == thr["runs"]:
            c["verdict"] = "FAIL"  # MPI missed a target the threads reached
        else:
            c["verdict"] = "n/a" if not complete or r is None else "PASS" if r <= goal else "FAIL"
        out.append(c)
    return out


def goal_lines(cells, goal):
    judged = [c for c in cells if c["judged"]]
    good = [c for c in judged if c["verdict"] == "PASS"]
    lines = []
    if judged:
        lines.append("%s MPI (mpirun -np %d) within %.2fx of %d threads to %g on %s (median time ratio MPI / "
                     "threads): %d of %d cells" % (
                         "PASS" if len(good) == len(judged) else "FAIL", WORKERS + 1, goal, WORKERS, TARGET,
                         ",".join(JUDGED), len(good), len(judged)))
    for c in cells:
        lines.append("     %-4s %-14s %-8s time MPI/threads %s (paired median %s)  epochs %s  s/epoch %s  "
                     "wall %s  B/exchange up %s down %s" % (
                         c["verdict"], c["dataset"], c["solver"], fmt(c["ratio_time_to_target"], "%.2fx"),
                         fmt(c["paired_time_ratio_median"], "%.2fx"), fmt(c["ratio_epochs_to_target"], "%.2fx"),
                         fmt(c["ratio_seconds_per_epoch"], "%.2fx"), fmt(c["ratio_wall"], "%.2fx"),
                         fmt(c["mpi"]["bytes_sent_per_exchange"], "%.0f"),
                         fmt(c["mpi"]["bytes_returned_per_exchange"], "%.0f")))
    return lines


def plot(cells, meta, path):
    labels = ["%s\n%s" % (c["dataset"], c["solver"]) for c in cells]
    fig, (ax0, ax1, ax2) = h.panels(3, 3, 0.9 * max(5, len(cells)) + 1.5, 4.4)
    colors = dict(threads="tab:green", mpi="tab:blue")
    for k, t in enumerate(TRANSPORTS):
        for i, c in enumerate(cells):
            x = i + (k - 0.5) * 0.3
            ys = [v for v in c[t]["times"] if v is not None]
            ax0.scatter([x] * len(ys), ys, s=12, color=colors[t],
                        label=("%d threads" % WORKERS if t == "threads" else "mpirun -np %d" % (WORKERS + 1))
                        if i == 0 else None)
            if c[t]["time_to_target"] is not None:
                ax0.plot([x - 0.12, x + 0.12], [c[t]["time_to_target"]] * 2, color=colors[t], lw=2)
            for key, marker in (("bytes_sent_per_exchange", "^"), ("bytes_returned_per_exchange", "v")):
                if c[t][key]:
                    ax2.scatter([x], [c[t][key]], marker=marker, s=30, color=colors[t],
                                label="%s, %s" % (t, "workers -> master" if marker == "^" else "master -> workers")
                                if i == 0 else None)
    for ax in (ax0, ax1, ax2):
        ax.set_xticks(range(len(cells)))
        ax.set_xticklabels(labels, fontsize=7)
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
    ax1.axhline(meta["goal"], color="tab:red", ls="--", lw=1, label="goal %.2fx (madelon)" % meta["goal"])
    ax1.axhline(1.0, color="gray", ls=":", lw=1)
    ax1.set_ylim(bottom=0)
    ax1.set_ylabel("MPI / threads time to target (< 1: MPI faster)")
    ax1.legend(fontsize=8)
    ax2.set_yscale("log")
    ax2.set_ylabel("bytes per exchange (median)")
    ax2.legend(fontsize=7)
    m = meta["machine"]
    fig.suptitle("%s: %d worker ranks (mpirun -np %d) vs %d worker threads; %s, %d cores, load %.1f-%.1f"
                 % (meta["binary"]["version"], WORKERS, WORKERS + 1, WORKERS, m["cpu"], m["cores"],
                    meta["load_start"][0], meta["load_end"][0]), fontsize=9)
    h.save_figure(fig, path, dpi=100)


def markdown(meta, cells, goals, prefix):
    m = meta["machine"]
    la, lb = meta["load_start"], meta["load_end"]
    loads = [r for r in meta.get("run_loads", []) if r is not None]
    L = ["# MPI vs threads: SODA and DAve-PG, %d worker ranks against %d worker threads" % (WORKERS, WORKERS), "",
         "Generated by `%s` (repository at %s) in %.0f s." % (meta["command"], meta["git_commit"],
                                                              meta["elapsed_seconds"]), "",
         "Machine: %s. Load average (1 / 5 / 15 min) at start %s%s, at end %s; the 1-minute load before each run "
         "ranged %s (it counts this benchmark's own 3 members, and any other jobs on the machine: builds and "
         "benchmarks of other sessions may have run alongside)." % (
             h.machine_text(m), " / ".join("%.2f" % x for x in la),
             " -- **HIGH (> 1.5): the cores were shared with other jobs; times are noisy**" if la[0] > 1.5 else "",
             " / ".join("%.2f" % x for x in lb), span(loads, "%.2f")), "",
         "* binary: `%s`: %s" % (meta["binary"]["path"], meta["binary"]["version"]),
         "* MPI launcher: `%s %s -np %d` (%s)" % (meta["mpiexec"], " ".join(meta["mpiexec_flags"]), WORKERS + 1,
                                                 meta.get("mpiexec_version") or "version unknown"), "",
         "Every run: `asyncopt train` with the problem of the SODA benchmark's config (logistic, l1 = 1e-4, "
         "l2 = 1e-3; madelon row-normalised, rcv1-vw-small max-abs scaled), `--solver soda --mask-p 0.1` or "
         "`--solver dave-pg`, seed 1, `--target-subopt %g` checked at trace points every %g epochs (off the "
         "solver clock), `--max-seconds` cap per run (madelon 30 s, rcv1-vw-small 60 s unless set). threads: "
         "`--transport threads --threads %d` (master thread + %d workers in one process; workers pinned to CPUs "
         "by the CLI's default `--pin-workers` when CPUs are free). mpi: `mpirun -np %d ... --transport mpi "
         "--threads 1` (rank 0 master, ranks 1..%d workers, each reading its part of the file; `--threads` is "
         "the reader's threads per rank there; by the same default, worker ranks pin their compute threads to "
         "CPUs 0 and 1). %d interleaved rounds: each round runs every cell, "
         "a cell's threads and mpi runs back to back, every other round in reverse order." % (
             TARGET, meta["trace_every"], WORKERS, WORKERS, WORKERS + 1, WORKERS, meta["repeats"]), "",
         "f*: computed once per dataset by `asyncopt optimum --cache-dir WORK/cache` before the rounds (%s). "
         "Threaded runs read it from the cache; %s" % (
             "; ".join("%s %.12g" % (ds, v) for ds, v in meta["f_star"].items()),
             "MPI runs are given it (`--f-star VALUE`), so rank 0 never reads the data (their summaries then "
             "report no `reference_nnz` or `identification_epoch`: rank 0 has no reference model)."
             if meta["mpi_f_star"] == "given" else
             "MPI runs read it from the same cache (`--f-star auto`): rank 0 reads the whole data file for that."),
         "", "## Goal", "", "```"] + goals + ["```", "",
         "Time = the summary's `seconds` (solver clock) when the run reached the target; epochs = the summary's "
         "`epochs` (under MPI fractional: the master's row grants per rank); wall = the whole program (for MPI: "
         "mpirun's start of %d processes, the ranks' reads of their parts, the solve, the summary). Medians over "
         "the rounds, min-max in brackets. Ratios are MPI / threads of the medians (> 1: MPI slower); the paired "
         "median is the median of the per-round ratios. Up = bytes_sent / exchanges (workers -> master), down = "
         "bytes_returned / exchanges (master -> workers), on the wire as the transport counts them (80-byte "
         "header, 12 bytes per (index, value) pair or 8 per dense value); both transports count the same way, so "
         "equal bytes per exchange say the two runs sent the same messages. Only madelon is judged "
         "(latency-bound: small messages, many exchanges); rcv1-vw-small is reported (`info`). A cell where a run "
         "missed the target is not judged (FAIL when only MPI missed it)." % (WORKERS + 1), ""]
    rows = []
    for c in cells:
        t, p = c["threads"], c["mpi"]
        rows.append([c["dataset"], c["solver"],
                     "%s (%s)" % (fmt(t["time_to_target"], "%.3f"), span(t["times"], "%.3f")),
                     "%s (%s)" % (fmt(p["time_to_target"], "%.3f"), span(p["times"], "%.3f")),
                     fmt(c["ratio_time_to_target"], "**%.2f**"), fmt(c["paired_time_ratio_median"], "%.2f"),
                     "%s (%s)" % (fmt(t["epochs_to_target"], "%.0f"), span(t["epochs"], "%.0f")),
                     "%s (%s)" % (fmt(p["epochs_to_target"], "%.0f"), span(p["epochs"], "%.0f")),
                     fmt(c["ratio_seconds_per_epoch"], "%.2f"),
                     "%s / %s" % (fmt(t["wall"], "%.2f"), fmt(p["wall"], "%.2f")),
                     "%s / %s" % (fmt(t["exchanges"], "%.0f"), fmt(p["exchanges"], "%.0f")),
                     "%s / %s" % (fmt(t["bytes_sent_per_exchange"], "%.0f"), fmt(p["bytes_sent_per_exchange"], "%.0f")),
                     "%s / %s" % (fmt(t["bytes_returned_per_exchange"], "%.0f"),
                                  fmt(p["bytes_returned_per_exchange"], "%.0f")),
                     "%d/%d, %d/%d" % (t["reached"], t["runs"], p["reached"], p["runs"]), c["verdict"]])
    L += h.md_table(["dataset", "solver", "threads s to 1e-6", "mpi s to 1e-6", "time ratio mpi/thr",
                     "paired median", "threads epochs", "mpi epochs", "s/epoch ratio", "wall s (thr / mpi)",
                     "exchanges (thr / mpi)", "B/exch up (thr / mpi)", "B/exch down (thr / mpi)",
                     "reached (thr, mpi)", "verdict"], rows)
    rows = []
    for c in cells:
        for tr in TRANSPORTS:
            s = c[tr]
            rows.append([c["dataset"], c["solver"], tr, fmt(s["bytes_sent"], "%.0f"), fmt(s["bytes_returned"], "%.0f"),
                         fmt(s["max_delay"], "%.0f"), fmt(s["master_busy"], "%.3f"), fmt(s["cpu_seconds"], "%.2f"),
                         fmt(s["cpu_per_wall"], "%.2f"), ", ".join(s["statuses"])])
    L += ["", "Per run (medians): bytes each way, the largest delay (in master steps), the master's busy "
          "fraction, and the CPU seconds (user + sys) of the run's processes (for MPI: mpirun and its 3 ranks) "
          "over the program's wall time: up to %d on this machine; well under it, the members mostly slept "
          "(waiting for each other), rather than computed or polled." % os.cpu_count(), ""]
    L += h.md_table(["dataset", "solver", "transport", "bytes_sent", "bytes_returned", "max_delay", "master_busy",
                     "cpu s", "cpu / wall", "statuses"], rows)
    odd = [r for r in meta.get("odd_runs", [])]
    L += ["", "![](%s.png)" % prefix, "",
          "Runs that hit the cap, missed the target or were killed: %s." % ("; ".join(odd) if odd else "none"),
          "Every run, with its command, the load before it and the provenance its summary gives: `%s.csv`, "
          "`%s.json`." % (prefix, prefix)]
    return L


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.split("\n")[1:]))
    ap.add_argument("--binary", default=os.path.join(ROOT, "build/release/src/cli/asyncopt"),
                    help="the asyncopt CLI, built with MPI")
    ap.add_argument("--build", default=os.path.join(ROOT, "build/release"), help="the CMake build dir (mpiexec)")
    ap.add_argument("--mpiexec", help="default: MPIEXEC_EXECUTABLE of BUILD's cache")
    ap.add_argument("--mpiexec-flags", help="default: ASYNCOPT_MPIEXEC_FLAGS of BUILD's cache")
    ap.add_argument("--repeats", type=int, default=3, help="interleaved rounds (default 3)")
    ap.add_argument("--datasets", default=",".join(DATASETS))
    ap.add_argument("--solvers", default="soda,dave-pg")
    ap.add_argument("--max-seconds", type=float, help="per-run cap (default: madelon 30 s, rcv1-vw-small 60 s)")
    ap.add_argument("--trace-every", type=float, default=2.0, help="epochs between target checks (default 2)")
    ap.add_argument("--mpi-f-star", choices=("given", "cache"), default="given",
                    help="given: pass --f-star VALUE to the MPI runs (default); cache: rank 0 reads the data and "
                         "the cache")
    ap.add_argument("--goal", type=float, default=GOAL, help="MPI / threads time ratio allowed on madelon")
    ap.add_argument("--work", default=os.path.join(ROOT, "build/bench-work/mpi_vs_threads"),
                    help="decompressed data and the f* cache")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench/results"))
    ap.add_argument("--prefix", default="mpi_vs_threads")
    ap.add_argument("--replot", action="store_true", help="no runs: redo the tables and figure from OUT/PREFIX.json")
    a = ap.parse_args()
    base = os.path.join(a.out, a.prefix)
    if a.replot:
        return h.replot(a, write_outputs)
    h.check_binary(ap, a)
    a.mpiexec, a.mpiexec_flags = h.mpi_launcher(a.build, a.mpiexec, a.mpiexec_flags)
    if not a.mpiexec or not os.access(a.mpiexec, os.X_OK):
        ap.error("no mpiexec: %s (give --mpiexec, or a --build configured with MPI)" % a.mpiexec)
    a.timeout_bin = shutil.which("timeout")
    if not a.timeout_bin:
        ap.error("coreutils `timeout` not found (it bounds the MPI runs)")
    datasets = [d for d in a.datasets.split(",") if d]
    for d in datasets:
        if d not in DATASETS:
            ap.error("--datasets: unknown %r (have %s)" % (d, ",".join(DATASETS)))
    solvers = [s for s in a.solvers.split(",") if s]
    for s in solvers:
        if s not in ("soda", "dave-pg"):
            ap.error("--solvers: %r is not soda or dave-pg" % s)
    if a.repeats < 1 or (a.max_seconds is not None and not a.max_seconds > 0) or not a.trace_every > 0 \
            or not a.goal > 0:
        ap.error("--repeats must be >= 1, --max-seconds, --trace-every and --goal > 0")
    a.work = os.path.abspath(a.work)
    a.cache = os.path.join(a.work, "cache")
    a.env = dict(os.environ)
    os.makedirs(a.cache, exist_ok=True)
    os.makedirs(a.out, exist_ok=True)
    command = "/usr/bin/python3 bench/mpi_vs_threads.py " + " ".join(shlex.quote(x) for x in sys.argv[1:])
    load_start, t0 = h.loadavg(), time.time()

    problems, fstar = {}, {}
    for ds in datasets:
        problems[ds] = h.soda_problem_args(ds, a.work)
        fstar[ds], wall = f_star(a.binary, problems[ds], a.cache)
        if fstar[ds] is None:
            sys.exit("asyncopt optimum gave no f* for %s" % ds)
        log("== %s: f* %.12g (%.1f s)" % (ds, fstar[ds], wall))

    cells = h.grid(dataset=datasets, solver=solvers, transport=list(TRANSPORTS))
    runs = h.interleaved(cells, a.repeats, lambda cell, r: run_cell(a, problems, fstar, cell, r))
    try:
        p, _ = h.run([a.mpiexec, "--version"], check=False, timeout=30)
        mpiexec_version = (p.stdout.strip().splitlines() or ["unknown"])[0]
    except (RuntimeError, OSError):
        mpiexec_version = None
    meta = dict(command=command, machine=h.machine(), git_commit=h.git_commit(), load_start=load_start,
                load_end=h.loadavg(), elapsed_seconds=time.time() - t0, repeats=a.repeats, target=TARGET,
                goal=a.goal, workers=WORKERS, trace_every=a.trace_every, f_star=fstar, mpi_f_star=a.mpi_f_star,
                binary=dict(path=a.binary, version=h.binary_version(a.binary)), mpiexec=a.mpiexec,
                mpiexec_flags=a.mpiexec_flags, mpiexec_version=mpiexec_version,
                run_loads=[r.get("load1") for r in runs],
                odd_runs=["%s %s %s round %d: %s" % (r["dataset"], r["solver"], r["transport"], r["round"] + 1,
                                                     r.get("status")) for r in runs if not r.get("reached")],
                computed_f_star_runs=["%s %s %s round %d" % (r["dataset"], r["solver"], r["transport"],
                                                             r["round"] + 1)
                                      for r in runs if r.get("f_star_source") == "computed"])
    write_outputs(base, a.prefix, meta, runs)


def write_outputs(base, prefix, meta, runs):
    summary = cells_of(runs, meta["goal"])
    goals = goal_lines(summary, meta["goal"])
    h.write_csv(base + ".csv", runs, [
        "dataset", "solver", "transport", "round", "status", "reached", "time_to_target", "epochs_to_target",
        "wall", "seconds", "epochs", "trace_time_to_target", "trace_epochs_to_target", "suboptimality",
        "exchanges", "bytes_sent", "bytes_returned", "bytes_sent_per_exchange", "bytes_returned_per_exchange",
        "max_delay", "master_busy", "cpu_seconds", "cpu_per_wall", "step_used", "ranks", "cap_seconds", "load1", "f_star_source", "commit",
        "binary_version", "cpu", "cores", "date", "command"])
    h.write_json(base + ".json", dict(meta=meta, cells=summary, goals=goals, runs=runs))
    plot(summary, meta, base + ".png")
    h.write_report(base, markdown(meta, summary, goals, prefix), goals)


if __name__ == "__main__":
    main()
