#!/usr/bin/python3
"""Wangni et al. (NeurIPS 2018) Section 4.2 / Figure 5: multi-thread SVM,
dense versus gradient-sparsified asynchronous SGD.

Data: `asyncopt generate --kind svm-wangni` (N = 51200, d = 256, C1 = 0.01,
C2 = 0.9, configs/default-generate.ini), generated once into the work dir.
Problem: the paper's f(w) = (1/N) sum hinge + reg ||w||^2, i.e. asyncopt
`--loss hinge --l2 2*reg` (configs/wangni-svm-reg*.ini, one per reg, with the
shared settings: hogwild, atomic writes, gspar rho, constant step).

Grid (command line overrides the config): reg in {0.5, 0.1, 0.05}, lrt
(`--step`) in {0.5, 0.25, 0.05}, W (`--threads`) in {2, 16, 32}, method in
{dense (`--sparsifier none`), gspar (`--sparsifier gspar --rho RHO`)}. Every
run writes a trace every 0.1 epoch (solver clock; objective evaluation off the
clock) and stops at --max-epochs or --max-seconds.

Outputs (OUT = bench/results):
  wangni_figure5.png   log2 f vs milliseconds, one panel per (reg, lrt, W),
                       dense vs gspar (the paper's Figure 5 layout)
  wangni_figure5.csv   one row per run: final objective, time to target,
                       conflicts per update, updates/s, ...
  wangni_figure5.json  the same plus machine, command, f* per reg
  wangni_figure5.md    tables + the verdicts (conflicts >= 5x lower? faster?)

Target objective of a cell: f_target = f* (1 + TOL) with f* the exact optimum
(`asyncopt optimum`, dual coordinate descent for the hinge loss); TOL defaults
to 1e-2 (--target-tol). Constant-step SGD stalls at a noise floor that grows
with lrt, so a cell where neither method gets there is reported as such.

Usage (always /usr/bin/python3):
  /usr/bin/python3 bench/wangni_figure5.py [--bin build/cmp/src/cli/asyncopt]
     [--work DIR] [--out bench/results] [--regs 0.5,0.1,0.05] [--lrts ...]
     [--threads 2,16,32] [--rho 0.1] [--max-epochs 15] [--max-seconds 5]
     [--trace-every 0.1] [--write atomic] [--repeats 1] [--smoke]
"""

import argparse
import json
import os
import shlex
import sys
import time

import numpy as np

import harness as h
from harness import ROOT, log


def config_for(reg):
    return os.path.join(ROOT, "configs", "wangni-svm-reg%s.ini" % reg)


def read_trace(path, skip_start=False):
    """Trace columns; skip_start drops the t = 0 point (w = 0, f = 1 for the
    hinge loss), which must not count as 'reached' or as a best objective."""
    t = h.read_trace(path, skip_start=skip_start)
    if t is None:
        raise RuntimeError("%s: no trace points" % path)
    return t


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(ROOT, "build/cmp/src/cli/asyncopt"))
    ap.add_argument("--work", default=os.path.join(ROOT, "build/bench-work/wangni"))
    ap.add_argument("--out", default=os.path.join(ROOT, "bench/results"))
    ap.add_argument("--regs", default="0.5,0.1,0.05")
    ap.add_argument("--lrts", default="0.5,0.25,0.05,0.002")
    ap.add_argument("--threads", default="2,16,32")
    ap.add_argument("--methods", default="dense,gspar")
    ap.add_argument("--rho", type=float, default=0.1)
    ap.add_argument("--write", default="atomic",
                    help="wild | atomic | locked (paper: locked reads and atomic writes = locked)")
    ap.add_argument("--max-epochs", type=int, default=10)
    ap.add_argument("--max-seconds", type=float, default=3.0)
    ap.add_argument("--trace-every", type=float, default=0.1)
    ap.add_argument("--target-tol", type=float, default=1e-2)
    ap.add_argument("--cell-margin", type=float, default=0.05,
                    help="relative target of a cell: (worst of the methods' best objectives) * (1 + this)")
    ap.add_argument("--repeats", type=int, default=1, help="runs per cell (seeds 1..k); medians reported")
    ap.add_argument("--smoke", action="store_true", help="reg 0.05, lrt 0.25, W 2,16, 3 epochs")
    ap.add_argument("--prefix", default="wangni_figure5")
    ap.add_argument("--replot", action="store_true",
                    help="no runs: rebuild tables/plot from OUT/PREFIX.json and the traces in the work dir")
    args = ap.parse_args()
    if args.replot:
        return replot(args)
    if args.smoke:
        args.regs, args.lrts, args.threads, args.max_epochs = "0.05", "0.25", "2,16", 3
    regs = args.regs.split(",")
    lrts = [float(x) for x in args.lrts.split(",")]
    threads = [int(x) for x in args.threads.split(",")]
    methods = args.methods.split(",")
    os.makedirs(args.work, exist_ok=True)
    os.makedirs(args.out, exist_ok=True)
    env = dict(os.environ, ASYNCOPT_CACHE_DIR=os.path.join(args.work, "cache"))
    command = "/usr/bin/python3 bench/wangni_figure5.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    load_start = h.loadavg()
    t_start = time.time()

    data = os.path.join(args.work, "svm-wangni.svm")
    if not os.path.exists(data):
        h.run([args.bin, "generate", "--config", os.path.join(ROOT, "configs/default-generate.ini"), "--out",
             data + ".tmp.svm"])
        os.replace(data + ".tmp.svm", data)
    info, _ = h.run([args.bin, "info", "--data", data])
    log(info.stdout)

    fstar = {}
    for reg in regs:
        summ = os.path.join(args.work, "optimum-reg%s.json" % reg)
        # `optimum` takes only the problem keys, not the train config.
        _, wall = h.run([args.bin, "optimum", "--data", data, "--loss", "hinge", "--l2", repr(2 * float(reg)),
                       "--summary", summ], env=env)
        with open(summ) as f:
            s = json.load(f)
        fstar[reg] = s.get("f_star", s.get("objective"))
        log("reg %s: f* = %.12g (%.2f s)" % (reg, fstar[reg], wall))

    rows = []
    n_runs = len(regs) * len(lrts) * len(threads) * len(methods) * args.repeats
    k = 0
    for reg in regs:
        target = fstar[reg] * (1.0 + args.target_tol)
        for lrt in lrts:
            for W in threads:
                for method in methods:
                    for rep in range(args.repeats):
                        k += 1
                        seed = rep + 1
                        tag = "reg%s-lrt%g-W%d-%s-s%d" % (reg, lrt, W, method, seed)
                        cmd = ["train", "--config", config_for(reg), "--data", data,
                               "--step", repr(lrt), "--threads", str(W), "--seed", str(seed),
                               "--write", args.write, "--max-epochs", str(args.max_epochs),
                               "--max-seconds", repr(args.max_seconds), "--trace-every", repr(args.trace_every),
                               "--quiet"]
                        if method == "dense":
                            cmd += ["--sparsifier", "none"]
                        else:
                            cmd += ["--sparsifier", method, "--rho", repr(args.rho)]
                        run = h.run_cli(args.bin, cmd, keep=os.path.join(args.work, tag), env=env)
                        s, wall, trace, cmd = run["summary"], run["wall"], run["trace_path"], run["command"]
                        tr = read_trace(trace, skip_start=True)
                        hit = h.time_to_target(tr, target, column="objective")
                        t_hit = hit["seconds"] if hit else None
                        upd = max(1, s["updates"])
                        r = dict(reg=float(reg), l2=2 * float(reg), lrt=lrt, threads=W, method=method, seed=seed,
                                 status=s["status"], objective=s["objective"], f_star=fstar[reg],
                                 best_objective=float(np.nanmin(tr["objective"])), target=target,
                                 time_to_target=t_hit, seconds=s["seconds"], epochs=s["epochs"],
                                 updates=s["updates"], updates_per_s=s["updates"] / max(s["seconds"], 1e-12),
                                 conflicts=s["conflicts"], conflicts_per_update=s["conflicts"] / upd,
                                 coords_per_update=s["coords_sent"] / upd, bits_per_update=s["bits_sent"] / upd,
                                 cli_wall=wall, trace=trace, command=" ".join(cmd))
                        rows.append(r)
                        log("[%d/%d] %-30s %-12s f=%.6f best=%.6f t_target=%s s, %.0f upd/s, conflicts/upd %.4g, "
                            "coords/upd %.1f" % (k, n_runs, tag, s["status"], s["objective"], r["best_objective"],
                                                  "%.3f" % t_hit if t_hit is not None else "-", r["updates_per_s"],
                                                  r["conflicts_per_update"], r["coords_per_update"]))

    meta = dict(command=command, machine=h.machine(),
                load_start=load_start, load_end=h.loadavg(), elapsed_seconds=time.time() - t_start,
                binary=args.bin, data=data, f_star=fstar, rho=args.rho, write=args.write,
                max_epochs=args.max_epochs, max_seconds=args.max_seconds, trace_every=args.trace_every,
                target_tol=args.target_tol, cell_margin=args.cell_margin, data_info=info.stdout)
    cells = aggregate(rows, args.cell_margin)
    verdicts = verdict_lines(cells, threads)
    prefix = os.path.join(args.out, args.prefix)
    write_outputs(prefix, meta, cells, verdicts, rows, regs, lrts, threads, methods, fstar, args)
    log("\n".join(verdicts))
    log("wrote %s.{csv,json,png,md}" % prefix)


WRITE_NOTES = {
    "atomic": "the paper's atomic coordinate updates, without its locked read",
    "locked": "the paper's setting: locked reads that block writes to the same coordinate, "
              "exclusive locks while writing",
    "wild": "Hogwild's racy stores, not the paper's setting",
}


def replot(args):
    prefix = os.path.join(args.out, args.prefix)
    with open(prefix + ".json") as f:
        old = json.load(f)
    meta, rows = old["meta"], old["runs"]
    for k in ("rho", "write", "max_epochs", "max_seconds", "trace_every", "target_tol"):
        setattr(args, k, meta[k])
    args.cell_margin = meta.get("cell_margin", args.cell_margin)
    meta["cell_margin"] = args.cell_margin
    regs = list(meta["f_star"].keys())
    lrts = sorted({r["lrt"] for r in rows}, reverse=True)
    threads = sorted({r["threads"] for r in rows})
    methods = sorted({r["method"] for r in rows})
    cells = aggregate(rows, args.cell_margin)
    verdicts = verdict_lines(cells, threads)
    write_outputs(prefix, meta, cells, verdicts, rows, regs, lrts, threads, methods, meta["f_star"], args,
                  csv_too=False)
    log("\n".join(verdicts))


def med(xs):
    xs = [x for x in xs if x is not None]
    return float(np.median(xs)) if xs else None


def first_hit(trace, target):
    hit = h.time_to_target(read_trace(trace, skip_start=True), target, column="objective")
    return hit["seconds"] if hit else None


def aggregate(rows, margin):
    """One entry per (reg, lrt, W): dense vs gspar medians over seeds.

    Two targets: the absolute one, f* (1 + tol) (time_to_target), and the
    cell's relative one, (the worse of the methods' best objectives) *
    (1 + margin) (time_to_cell_target), which every method of the cell reaches.
    """
    cells = []
    keys = sorted({(r["reg"], r["lrt"], r["threads"]) for r in rows}, key=lambda k: (-k[0], -k[1], k[2]))
    for key in keys:
        c = dict(reg=key[0], lrt=key[1], threads=key[2])
        in_cell = [r for r in rows if (r["reg"], r["lrt"], r["threads"]) == key]
        methods = sorted({r["method"] for r in in_cell})
        # A method whose runs diverged has no meaningful best objective: the
        # cell target comes from the methods that did not diverge.
        ok = [mth for mth in methods
              if not any(r["status"] == "diverged" for r in in_cell if r["method"] == mth)]
        c["cell_target"] = (max(med([r["best_objective"] for r in in_cell if r["method"] == mth]) for mth in ok)
                            * (1.0 + margin)) if ok else None
        for method in methods:
            rs = [r for r in in_cell if r["method"] == method]
            diverged = sum(r["status"] == "diverged" for r in rs)
            reached = [None if r["status"] == "diverged" else r["time_to_target"] for r in rs]
            cell_hits = [None if (r["status"] == "diverged" or c["cell_target"] is None)
                         else first_hit(r["trace"], c["cell_target"]) for r in rs]
            c[method] = dict(
                runs=len(rs), diverged=diverged,
                reached=sum(t is not None for t in reached),
                time_to_target=med(reached) if all(t is not None for t in reached) else None,
                time_to_cell_target=med(cell_hits) if all(t is not None for t in cell_hits) else None,
                best_objective=med([r["best_objective"] for r in rs]),
                final_objective=med([r["objective"] for r in rs]),
                conflicts_per_update=med([r["conflicts_per_update"] for r in rs]),
                coords_per_update=med([r["coords_per_update"] for r in rs]),
                updates_per_s=med([r["updates_per_s"] for r in rs]),
                epochs=med([r["epochs"] for r in rs]),
                target=rs[0]["target"], f_star=rs[0]["f_star"])
        cells.append(c)
    return cells


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def verdict_lines(cells, threads):
    out = []
    for W in threads:
        both = [c for c in cells if c["threads"] == W and "dense" in c and "gspar" in c]
        cs = [c for c in both if not c["dense"].get("diverged") and not c["gspar"].get("diverged")]
        if len(cs) < len(both):
            out.append("note W=%d: %d cell(s) excluded below because a method diverged (%s)" % (
                W, len(both) - len(cs), ", ".join("reg %g lrt %g: %s" % (
                    c["reg"], c["lrt"], "+".join(mth for mth in ("dense", "gspar") if c[mth].get("diverged")))
                    for c in both if c not in cs)))
        if not cs:
            continue
        cr = [ratio(c["dense"]["conflicts_per_update"], c["gspar"]["conflicts_per_update"]) for c in cs]
        zero_both = sum(1 for c in cs if c["dense"]["conflicts_per_update"] == 0 and
                        c["gspar"]["conflicts_per_update"] == 0)
        finite = [x for x in cr if x is not None]
        inf = sum(1 for c in cs if c["gspar"]["conflicts_per_update"] == 0 and c["dense"]["conflicts_per_update"] > 0)
        ok = sum(1 for x in finite if x >= 5) + inf
        mean_d = np.mean([c["dense"]["conflicts_per_update"] for c in cs])
        mean_g = np.mean([c["gspar"]["conflicts_per_update"] for c in cs])
        out.append("%s conflicts W=%d: gspar >= 5x fewer conflicts/update in %d of %d cells "
                   "(median ratio %s; mean conflicts/update dense %.4g, gspar %.4g%s)" % (
                       "PASS" if ok == len(cs) else ("PARTIAL" if ok else "FAIL"), W, ok, len(cs),
                       "%.2fx" % np.median(finite) if finite else "n/a", mean_d, mean_g,
                       "; %d cells with 0 conflicts for both" % zero_both if zero_both else ""))
        for field, name in (("time_to_target", "f*(1+tol)"), ("time_to_cell_target", "cell target")):
            out.append(time_verdict(cs, W, field, name))
    return out


def time_verdict(cs, W, field, name):
    if True:
        faster, slower, neither, only_g, only_d, sp = 0, 0, 0, 0, 0, []
        for c in cs:
            td, tg = c["dense"][field], c["gspar"][field]
            if td is None and tg is None:
                neither += 1
            elif td is None:
                only_g += 1
            elif tg is None:
                only_d += 1
            else:
                sp.append(td / max(tg, 1e-9))
                if tg < td:
                    faster += 1
                else:
                    slower += 1
        return ("%s time to %s W=%d: gspar faster in %d, slower in %d, only gspar reached %d, only dense "
                "reached %d, neither %d (of %d cells); speedup dense/gspar where both reached: median %s, "
                "range %s" % (
                    "PASS" if faster + only_g > slower + only_d else "FAIL", name, W, faster, slower, only_g, only_d,
                    neither, len(cs), "%.2fx" % np.median(sp) if sp else "n/a",
                    "%.2f..%.2fx" % (min(sp), max(sp)) if sp else "n/a"))


def write_outputs(prefix, meta, cells, verdicts, rows, regs, lrts, threads, methods, fstar, args, csv_too=True):
    if csv_too:
        h.write_csv(prefix + ".csv", rows, [
            "reg", "l2", "lrt", "threads", "method", "seed", "status", "objective", "best_objective", "f_star",
            "target", "time_to_target", "seconds", "epochs", "updates", "updates_per_s", "conflicts",
            "conflicts_per_update", "coords_per_update", "bits_per_update", "cli_wall", "command"], float_format="%r")
    h.write_json(prefix + ".json", dict(meta=meta, cells=cells, verdicts=verdicts, runs=rows))
    plot(prefix + ".png", rows, regs, lrts, threads, methods, fstar, args)
    h.write_markdown(prefix + ".md", markdown(meta, cells, verdicts, args))


def plot(path, rows, regs, lrts, threads, methods, fstar, args):
    """Rows: (reg, W); columns: lrt. log2 f versus milliseconds of solver clock."""
    plt = h.pyplot()
    panels = [(reg, W) for reg in regs for W in threads]
    fig, axes = plt.subplots(len(panels), len(lrts), figsize=(3.3 * len(lrts), 1.9 * len(panels)), squeeze=False)
    colors = {"dense": "tab:blue", "gspar": "tab:red"}
    for i, (reg, W) in enumerate(panels):
        for j, lrt in enumerate(lrts):
            ax = axes[i][j]
            hi = np.log2(fstar[reg]) + 0.2
            for method in methods:
                for r in rows:
                    if (r["reg"], r["lrt"], r["threads"], r["method"]) != (float(reg), lrt, W, method):
                        continue
                    tr = read_trace(r["trace"])
                    y = np.log2(np.maximum(tr["objective"], 1e-300))
                    label = method if method == "dense" else "%s rho=%g" % (method, args.rho)
                    if r["status"] == "diverged":
                        label += " (diverged)"
                    ax.plot(tr["seconds"] * 1e3, y, color=colors.get(method), lw=0.8,
                            label=label if r["seed"] == 1 else None)
                    finite = y[np.isfinite(y)]
                    if r["status"] != "diverged" and finite.size:
                        hi = max(hi, float(np.percentile(finite, 98)))
            lo = np.log2(fstar[reg])
            ax.axhline(lo, color="k", ls=":", lw=0.7)
            ax.axhline(np.log2(fstar[reg] * (1 + args.target_tol)), color="grey", ls="--", lw=0.6)
            ax.set_ylim(lo - 0.03, min(hi + 0.05, lo + 3.0))
            ax.set_title("reg=%s lrt=%g W=%d" % (reg, lrt, W), fontsize=7)
            ax.tick_params(labelsize=6)
            if i == len(panels) - 1:
                ax.set_xlabel("time (ms)", fontsize=7)
            if j == 0:
                ax.set_ylabel("log2 f(w_t)", fontsize=7)
            if any(r["status"] == "diverged" for r in rows
                   if (r["reg"], r["lrt"], r["threads"]) == (float(reg), lrt, W)) or (i == 0 and j == 0):
                ax.legend(fontsize=5.5, loc="upper right")
    fig.suptitle("Multi-thread SVM (Wangni et al. 2018, Fig. 5 setting): hogwild, %s writes, dense vs gspar; "
                 "dotted f*, dashed f*(1+%g)" % (args.write, args.target_tol), fontsize=8)
    fig.tight_layout(rect=(0, 0, 1, 0.985))
    fig.savefig(path, dpi=100)
    plt.close(fig)


def bestf(m):
    return "diverged" if m.get("diverged") else "%.6f" % m["best_objective"]


def fmt(x, f="%.3f"):
    return "-" if x is None else f % x


def markdown(meta, cells, verdicts, args):
    L = ["# Wangni et al. 2018, Section 4.2 / Figure 5: multi-thread SVM, dense vs gspar\n"]
    L.append("Generated by `bench/wangni_figure5.py`. Command: `%s`.\n" % meta["command"])
    m = meta["machine"]
    la, lb = meta["load_start"], meta["load_end"]
    L.append("Machine: %s, %d cores, Linux %s, %s. Load average at start %.2f/%.2f/%.2f, at end "
             "%.2f/%.2f/%.2f%s. Whole run %.0f s.\n" % (
                 m["cpu"], m["cores"], m["kernel"], m["date"], *la, *lb,
                 " -- **HIGH (> 1.5): the 2 cores were shared with other jobs; timings are noisy**"
                 if max(la[0], lb[0]) > 1.5 else "", meta["elapsed_seconds"]))
    L.append("Setting: data `asyncopt generate --config configs/default-generate.ini` (svm-wangni, N = 51200, "
             "d = 256, C1 = 0.01, C2 = 0.9); f = mean hinge + reg ||w||^2 = asyncopt `--loss hinge --l2 2*reg` "
             "(configs/wangni-svm-reg{0.5,0.1,0.05}.ini); hogwild with `--write %s` (%s), constant step lrt (`--step`), dense = `--sparsifier none`, gspar = "
             "`--sparsifier gspar --rho %g` (Algorithm 3, 2 iterations, constant and random-table tricks on); "
             "at most %d epochs / %g s per run, trace every %g epoch (solver clock; objective evaluation off "
             "the clock). W = 16 and 32 are oversubscribed on %d cores; W = 2 is the machine's real "
             "parallelism.\n" % (meta["write"], WRITE_NOTES.get(meta["write"], "a write policy"), meta["rho"], meta["max_epochs"], meta["max_seconds"],
                                 meta["trace_every"], m["cores"]))
    L.append("Targets: (a) absolute f_target = f* (1 + %g), f* = exact optimum from `asyncopt optimum` (dual "
             "coordinate descent, 1e-12): %s. Constant-step SGD stalls at a noise floor ~ lrt, so (a) is reachable "
             "only at small lrt. (b) per cell: the worse of the two methods' best objectives times (1 + %g) (both "
             "methods reach it; measures who gets to the common noise band first).\n" % (
                 meta["target_tol"], ", ".join("reg %s: f* = %.8g" % (k, v) for k, v in meta["f_star"].items()),
                 meta["cell_margin"]))
    L.append("## Verdicts\n")
    L.append("```")
    L.extend(verdicts)
    L.append("```\n")
    L.append("## Per cell (medians over seeds)\n")
    L.append("Time to target in ms of solver clock (`-` = not reached within the run). conflicts/update = "
             "failed CAS per row update (atomic policy); coords/update = coordinates written per update.\n")
    L.append("| reg | lrt | W | dense: t_target ms | gspar: t_target ms | speedup | cell target | dense: t_cell ms "
             "| gspar: t_cell ms | speedup | dense: best f | gspar: best f "
             "| dense confl/upd | gspar confl/upd | ratio | dense coords/upd | gspar coords/upd | dense upd/s | "
             "gspar upd/s |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for c in cells:
        d, g = c.get("dense"), c.get("gspar")
        if not d or not g:
            continue
        sp = ratio(d["time_to_target"], g["time_to_target"])
        cr = ratio(d["conflicts_per_update"], g["conflicts_per_update"])
        spc = ratio(d["time_to_cell_target"], g["time_to_cell_target"])
        ms = lambda x: None if x is None else x * 1e3
        L.append("| %g | %g | %d | %s | %s | %s | %.5f | %s | %s | %s | %s | %s | %.3g | %.3g | %s | %.1f | %.1f "
                 "| %.3g | %.3g |" % (
            c["reg"], c["lrt"], c["threads"],
            fmt(ms(d["time_to_target"]), "%.1f"), fmt(ms(g["time_to_target"]), "%.1f"), fmt(sp, "%.2fx"),
            c["cell_target"] if c["cell_target"] is not None else float("nan"),
            fmt(ms(d["time_to_cell_target"]), "%.1f"), fmt(ms(g["time_to_cell_target"]), "%.1f"),
            fmt(spc, "%.2fx"), bestf(d), bestf(g), d["conflicts_per_update"],
            g["conflicts_per_update"],
            fmt(cr, "%.1fx") if cr is not None else ("inf" if d["conflicts_per_update"] > 0 else "-"),
            d["coords_per_update"], g["coords_per_update"], d["updates_per_s"], g["updates_per_s"]))
    L.append("\n![](%s.png)\n" % args.prefix)
    L.append("""## Notes

* **Write policy.** Conflicts mean different things per policy. `atomic`: failed
  compare-and-swap retries on the coordinates actually written. `wild`: coordinates another
  thread changed between this thread's margin read and its write (of the coordinates written).
  `locked`: lock acquisitions that had to wait (per-coordinate reader-writer locks by default,
  `--lock-stripe` coordinates per lock otherwise; the margin's reads hold locks shared, the
  message's writes exclusive, after sparsification).
* **Learning rates.** The paper's lrt in {0.5, 0.25, 0.05} are large for this data (rows of squared
  norm ~23): with a constant step, f never gets clearly below f(0) = 1 at lrt 0.5 and 0.25 (best trace points 1.0-1.6) and oscillates
  10-50% above f* at 0.05 (see the plot), so the absolute target f*(1 + 1e-2) is reached only in
  the extra column lrt = 0.002 (not in the paper).
* **Divergence of gspar at reg 0.5, lrt 0.5** (l2 = 1): the l2 term l2 w_j is part of the
  sparsified message, so a kept coordinate with p_j < 1 moves by lrt l2 w_j / p_j; with
  lrt l2 = 0.5 this overshoots (|1 - 0.5/p_j| > 1) for p_j < 1/4. Dense updates at the same step
  stay bounded.
* **Time to target** is a first-hitting time of a noisy, non-monotone curve sampled every 0.1
  epoch (~30 ms here), on an oversubscribed 2-core machine: single cells swing by 10x either way;
  only the medians over many cells mean something.
""")
    L.append("## Data statistics (`asyncopt info`)\n")
    L.append("```\n%s```\n" % meta["data_info"])
    return L


if __name__ == "__main__":
    main()
