#!/usr/bin/python3
"""DisSVRG (Ming, Zhao, et al., paper 004): the paper's Figures 1 and 2 on the YearPredictionMSD-shaped set.

Figure 1 (Section 5.1, "learning rate with accelerated factor"): DisSVRG
with the constant learning rate (`--step-rule constant`: eta = eta0) against
the accelerated one (`--step-rule accelerated`: eta = eta0 + ||grad f_i(w)||,
capped at max(eta0, 1 / (2 Lmax))), each at two base rates, eta0 and 10 x eta0
(the paper: 0.001 and 0.01), objective vs time.
Figure 2 (Section 5.2): DisSVRG with the constant rate eta0 and several inner
lengths m = 0.25 n_p, 0.5 n_p, n_p and 2 n_p (`--inner-steps`; n_p = the
trainer's shard rows), objective vs time.

Problem and system: configs/dissvrg-yearmsd.ini (l2 = 1e-4 least squares on
the standardised target, T = 4 trainers, S = 2 servers, tau = 4, seed 1);
Figure 1 is configs/dissvrg-yearmsd-fig1.ini, Figure 2
configs/dissvrg-yearmsd-fig2.ini. The data: `asyncopt generate --config
configs/yearpredictionmsd-generate.ini` (463,715 x 90 dense) into
WORK/year-ROWS.svm, made once (the same file as bench/dissvrg_goals.py's);
--rows shrinks it. f* from the reference solver, cached in WORK/cache.

eta0: --eta0, else the step bench/dissvrg_goals.py's sweep chose for this
set at m = n_p (WORK/sweep-yearmsd-ROWS-T4-S2-tau4.json; the sweep also tries
m = n_p / 2 and n_p / 4, whose steps are not used here), else the config's `step`
(chosen on 100,000 rows: the stable step shrinks as m grows, so with other
--rows it is only a starting point, and the report says so).

Every run: --target-subopt 1e-8 (trace every --trace-every epochs, off the
solver clock), capped at --max-epochs (default 150) and --max-seconds (default
300). --repeats R runs every curve R times in interleaved rounds; the tables
give medians, the figure the first round. Times are the summary's solver clock.

Usage (always /usr/bin/python3):
  /usr/bin/python3 bench/dissvrg_figures.py [--rows N] [--eta0 X] [--repeats 1]
      [--max-epochs 150] [--max-seconds 300] [--trace-every 1] [--work DIR] [--out bench/results]
  /usr/bin/python3 bench/dissvrg_figures.py --rows 20000 --out /tmp/df   # smoke, ~1 min
  /usr/bin/python3 bench/dissvrg_figures.py --replot
Outputs: OUT/PREFIX.{csv,json,md}, OUT/PREFIX_curves.csv (every trace point of
the first round), OUT/PREFIX_fig1.png, OUT/PREFIX_fig2.png (PREFIX = dissvrg_figures).
"""

import argparse
import json
import os
import shlex
import sys
import time

import harness as h
from harness import ROOT, log

CONFIG = "configs/dissvrg-yearmsd.ini"
GENERATE = "configs/yearpredictionmsd-generate.ini"
FULL_ROWS = 463715
CONFIG_ROWS = 100000  # the rows CONFIG's step was swept on (its `data`)
DEEP = 1e-8
TARGETS = (1e-3, 1e-6)
M_FACTORS = (0.25, 0.5, 1.0, 2.0)
PROBLEM_KEYS = ("loss", "l1", "l2", "scale", "normalize-rows", "scale-target", "bias")


fmt, span = h.fmt, h.span


def data_file(a, rows):
    path = os.path.join(a.work, "year-%d.svm" % rows)
    if not os.path.exists(path):
        log("== generating %s (%d rows) from %s" % (path, rows, GENERATE))
        h.run([a.binary, "generate", "--config", os.path.join(ROOT, GENERATE), "--rows", str(rows), "--out",
               path + ".tmp", "--quiet"], cwd=ROOT, timeout=1200)
        os.replace(path + ".tmp", path)
    return path


def eta0_of(a, cfg, rows):
    """(eta0, where it came from)."""
    if a.eta0:
        return a.eta0, "--eta0"
    sweep = os.path.join(a.work, "sweep-yearmsd-%d-T%s-S%s-tau%s.json" % (
        rows, cfg.get("threads", "4"), cfg.get("servers", "2"), cfg.get("staleness", "4")))
    if os.path.exists(sweep):
        with open(sweep) as f:
            runs = json.load(f).get("dissvrg", {}).get("runs", [])
        # dissvrg_goals.py's rule at m = n_p (the sweep also tries smaller m; the figures' base is
        # m = n_p): the fewest epochs to 1e-3, then seconds
        ok = [r for r in runs if r.get("epochs_1e3") is not None and r.get("m_factor", 1.0) == 1.0]
        step = min(ok, key=lambda r: (r["epochs_1e3"], r.get("t_1e3") or 0.0))["step"] if ok else None
        if step:
            return step, "bench/dissvrg_goals.py's sweep (%s)" % os.path.relpath(sweep, ROOT)
    note = "" if rows == CONFIG_ROWS else " (chosen on %d rows: with %d only a starting point)" % (CONFIG_ROWS, rows)
    return float(cfg["step"]), "the `step` of %s%s" % (CONFIG, note)


def cells(eta0, shard):
    """The curves: figure 1 (rule x base rate) and figure 2 (m)."""
    out = []
    for mult in (1, 10):
        for rule in ("constant", "accelerated"):
            out.append(dict(figure=1, rule=rule, eta0=eta0 * mult, base="%sx eta0" % ("1" if mult == 1 else "10"),
                            m=0, label="%s, eta0 = %.3g" % (rule, eta0 * mult)))
    for f in M_FACTORS:
        m = max(1, int(round(f * shard)))
        out.append(dict(figure=2, rule="constant", eta0=eta0, base="1x eta0", m=m, m_factor=f,
                        label="m = %g n_p = %d" % (f, m)))
    return out


def run_one(a, cell, rnd):
    args = ["train"] + a.problem + a.system + [
        "--solver", "dissvrg", "--step-rule", cell["rule"], "--step", repr(cell["eta0"]),
        "--inner-steps", str(cell["m"]), "--target-subopt", repr(DEEP), "--max-epochs", str(a.max_epochs),
        "--max-seconds", repr(a.max_seconds), "--trace-every", repr(a.trace_every), "--cache-dir", a.cache,
        "--quiet"]
    out = dict(load1=h.loadavg()[0])
    try:
        r = h.run_cli(a.binary, args, cwd=ROOT, timeout=2 * a.max_seconds + 300, ok=None)
    except RuntimeError as e:
        log("   %s" % e)
        out.update(status="killed", command=" ".join([a.binary] + args))
        return out
    s = r["summary"] or {}
    out.update(status=s.get("status", "error (exit %d)" % r["rc"]), seconds=s.get("seconds"), epochs=s.get("epochs"),
               objective=s.get("objective"), suboptimality=s.get("suboptimality"), step_used=s.get("step_used"),
               wait_fraction=s.get("wait_fraction"), max_staleness=s.get("max_staleness"), wall=r["wall"],
               trainer_m=[t.get("inner_steps") for t in s.get("trainers") or []],
               command=" ".join(shlex.quote(x) for x in r["command"]))
    for t in TARGETS + (DEEP,):
        hit = h.time_to_target(r["trace"], t, skip_start=True)
        out["t_%g" % t] = hit and hit["seconds"]
        out["epochs_%g" % t] = hit and hit["epoch"]
    tr = r["trace"]
    if rnd == 0 and tr is not None:
        out["curve"] = [(float(tr["seconds"][i]), float(tr["epoch"][i]), float(tr["objective"][i]),
                         float(tr["suboptimality"][i])) for i in range(len(tr["seconds"]))]
    out.update(r["provenance"])
    if not s:
        out["stderr"] = r["stderr"][-500:]
    log("   fig %d %-34s %-14s %8s s %6s ep  1e-3 %s s  1e-6 %s s  sub %s  wall %.1f" % (
        cell["figure"], cell["label"], out["status"], fmt(out["seconds"], "%.2f"), fmt(out["epochs"], "%.0f"),
        fmt(out["t_0.001"], "%.2f"), fmt(out["t_1e-06"], "%.2f"), fmt(out["suboptimality"], "%.2g"), r["wall"]))
    return out


def summary_rows(runs):
    rows = []
    for key in dict.fromkeys((r["figure"], r["label"]) for r in runs):
        rs = [r for r in runs if (r["figure"], r["label"]) == key]
        c = dict((k, rs[0][k]) for k in ("figure", "label", "rule", "eta0", "base", "m") if k in rs[0])
        c.update(m_factor=rs[0].get("m_factor"), runs=len(rs), statuses=[r.get("status") for r in rs],
                 epochs=h.median([r.get("epochs") for r in rs]), seconds=h.median([r.get("seconds") for r in rs]),
                 suboptimality=h.median([r.get("suboptimality") for r in rs]),
                 best_subopt=min([min((p[3] for p in r.get("curve") or [] if p[1] > 0), default=float("inf"))
                                  for r in rs]),
                 wait_fraction=h.median([r.get("wait_fraction") for r in rs]),
                 step_used=h.median([r.get("step_used") for r in rs]))
        for t in TARGETS + (DEEP,):
            c["t_%g" % t] = h.median([r.get("t_%g" % t) for r in rs])
            c["times_%g" % t] = [r.get("t_%g" % t) for r in rs]
            c["reached_%g" % t] = sum(r.get("t_%g" % t) is not None for r in rs)
        rows.append(c)
    return rows


def plot(meta, runs, figure, path):
    rs = [r for r in runs if r["figure"] == figure and r.get("round") == 0 and r.get("curve")]
    fig, (ax0, ax1) = h.panels(2, 2, 6.0, 4.4)
    styles = {("constant", "1x eta0"): ("tab:blue", "-"), ("accelerated", "1x eta0"): ("tab:red", "-"),
              ("constant", "10x eta0"): ("tab:blue", ":"), ("accelerated", "10x eta0"): ("tab:red", ":")}
    mcolors = dict(zip(M_FACTORS, ("tab:purple", "tab:green", "tab:blue", "tab:orange")))
    for r in rs:
        c = [p for p in r["curve"] if p[1] > 0]
        if figure == 1:
            color, ls = styles[(r["rule"], r["base"])]
        else:
            color, ls = mcolors.get(r.get("m_factor"), "k"), "-"
        ax0.plot([p[0] for p in c], [p[2] for p in c], color=color, ls=ls, label=r["label"])
        ax1.plot([p[0] for p in c], [max(p[3], 1e-16) for p in c], color=color, ls=ls, label=r["label"])
    ax0.axhline(meta["f_star"], color="gray", ls="--", lw=0.8, label="f*")
    ax0.set_yscale("log")
    ax0.set_ylabel("objective F(w)")
    ax1.set_yscale("log")
    ax1.set_ylabel("(F - f*) / f*")
    for t in TARGETS:
        ax1.axhline(t, color="gray", ls=":", lw=0.8)
    for ax in (ax0, ax1):
        ax.set_xlabel("solver seconds")
        ax.legend(fontsize=7)
    m = meta["machine"]
    title = ("Figure 1: constant vs accelerated learning rate" if figure == 1 else
             "Figure 2: inner length m (constant eta0 = %.3g)" % meta["eta0"])
    fig.suptitle("DisSVRG %s; YearPredictionMSD-shaped %d x 90, T=%s, S=%s, tau=%s; %s, %d cores" % (
        title, meta["rows"], meta["trainers"], meta["servers"], meta["tau"], m["cpu"], m["cores"]), fontsize=9)
    h.save_figure(fig, path)


def markdown(meta, rows, prefix):
    m = meta["machine"]
    la, lb = meta["load_start"], meta["load_end"]
    L = ["# DisSVRG: the paper's Figures 1 and 2 on the YearPredictionMSD-shaped set", "",
         "Generated by `%s` (repository at %s) in %.0f s." % (meta["command"], meta["git_commit"],
                                                              meta["elapsed_seconds"]), "",
         "Machine: %s. Load average (1 / 5 / 15 min) at start %s%s, at end %s." % (
             h.machine_text(m), " / ".join("%.2f" % x for x in la),
             " -- **HIGH (> 1.5): the cores were shared with other jobs; times are noisy**" if la[0] > 1.5 else "",
             " / ".join("%.2f" % x for x in lb)), "",
         "* binary: `%s`: %s" % (meta["binary"]["path"], meta["binary"]["version"]),
         "* data: `%s` (%d x 90, f* %.12g), problem `%s`" % (meta["data"], meta["rows"], meta["f_star"],
                                                            " ".join(meta["problem"][2:])),
         "* system: `%s`, `--aggregate delta`; %d-core machine, so the %s trainers and %s servers share the cores" % (
             " ".join(meta["system"]), m["cores"], meta["trainers"], meta["servers"]),
         "* eta0 = %.4g, from %s; n_p = %d shard rows per trainer" % (meta["eta0"], meta["eta0_source"],
                                                                       meta["shard"]),
         "* every run: target %g, at most %d epochs and %g s; trace every %g epochs (off the solver clock); "
         "%d round(s), medians" % (DEEP, meta["max_epochs"], meta["max_seconds"], meta["trace_every"],
                                   meta["repeats"]), ""]
    for figure, title in ((1, "Figure 1: constant vs accelerated learning rate (configs/dissvrg-yearmsd-fig1.ini)"),
                          (2, "Figure 2: the inner length m (configs/dissvrg-yearmsd-fig2.ini)")):
        L += ["## " + title, ""]
        L += h.md_table(["curve", "status", "s to 1e-3", "s to 1e-6", "s to 1e-8", "epochs", "seconds",
                         "final subopt", "lowest subopt traced", "wait fraction"],
                        [[r["label"], ", ".join(r["statuses"]),
                          "%s (%d/%d)" % (fmt(r["t_0.001"], "%.2f"), r["reached_0.001"], r["runs"]),
                          "%s (%d/%d)" % (fmt(r["t_1e-06"], "%.2f"), r["reached_1e-06"], r["runs"]),
                          "%s (%d/%d)" % (fmt(r["t_1e-08"], "%.2f"), r["reached_1e-08"], r["runs"]),
                          fmt(r["epochs"], "%.0f"), fmt(r["seconds"], "%.2f"), fmt(r["suboptimality"], "%.2g"),
                          fmt(r["best_subopt"] if r["best_subopt"] != float("inf") else None, "%.2g"),
                          fmt(r["wait_fraction"], "%.2f")] for r in rows if r["figure"] == figure])
        L += ["", "![](%s_fig%d.png)" % (prefix, figure), ""]
    L += ["(n/R) = runs that reached the target out of R. Every run with its command: `%s.csv`, `%s.json`; the "
          "curves of the first round: `%s_curves.csv`." % (prefix, prefix, prefix)]
    return L


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.split("\n")[1:]))
    ap.add_argument("--binary", default=os.path.join(ROOT, "build/release/src/cli/asyncopt"))
    ap.add_argument("--rows", type=int, default=FULL_ROWS, help="rows of the generated set (default 463715)")
    ap.add_argument("--eta0", type=float, help="the base step (default: the goals' sweep, else the config's)")
    ap.add_argument("--repeats", type=int, default=1, help="interleaved rounds (default 1)")
    ap.add_argument("--max-epochs", type=int, default=150)
    ap.add_argument("--max-seconds", type=float, default=300.0)
    ap.add_argument("--trace-every", type=float, default=1.0, help="epochs between trace points (default 1)")
    ap.add_argument("--work", default=os.path.join(ROOT, "build/bench-work/dissvrg"))
    ap.add_argument("--out", default=os.path.join(ROOT, "bench/results"))
    ap.add_argument("--prefix", default="dissvrg_figures")
    ap.add_argument("--replot", action="store_true", help="no runs: redo the tables and figures from OUT/PREFIX.json")
    a = ap.parse_args()
    base = os.path.join(a.out, a.prefix)
    if a.replot:
        return h.replot(a, write_outputs)
    h.check_binary(ap, a)
    if a.rows < 100 or a.repeats < 1 or a.max_epochs < 1 or not a.max_seconds > 0 or not a.trace_every > 0 or \
            (a.eta0 is not None and not a.eta0 > 0):
        ap.error("--rows >= 100, --repeats, --max-epochs >= 1, --max-seconds, --trace-every, --eta0 > 0")
    a.work = os.path.abspath(a.work)
    a.cache = os.path.join(a.work, "cache")
    os.makedirs(a.cache, exist_ok=True)
    os.makedirs(a.out, exist_ok=True)
    command = "/usr/bin/python3 bench/dissvrg_figures.py " + " ".join(shlex.quote(x) for x in sys.argv[1:])
    load_start, t0 = h.loadavg(), time.time()
    cfg = h.read_ini(os.path.join(ROOT, CONFIG))
    a.problem = ["--data", data_file(a, a.rows)]
    for k in PROBLEM_KEYS:
        v = cfg.get(k)
        if v is not None and v not in ("none", "false"):
            a.problem += ["--" + k] + ([] if v == "true" else [v])
    trainers = int(cfg.get("threads", 4))
    a.system = ["--threads", str(trainers), "--servers", cfg.get("servers", "2"), "--staleness",
                cfg.get("staleness", "4"), "--seed", cfg.get("seed", "1")]
    fstar, wall = h.optimum_via_cache(a.binary, a.problem, a.cache, timeout=1800)
    if fstar is None:
        sys.exit("asyncopt optimum gave no f*")
    eta0, source = eta0_of(a, cfg, a.rows)
    shard = a.rows // trainers
    log("== %d rows, f* %.12g (%.1f s); eta0 %.4g from %s" % (a.rows, fstar, wall, eta0, source))
    runs = h.interleaved(cells(eta0, shard), a.repeats, lambda cell, r: run_one(a, cell, r))
    meta = dict(command=command, machine=h.machine(), git_commit=h.git_commit(), load_start=load_start,
                load_end=h.loadavg(), elapsed_seconds=time.time() - t0, rows=a.rows, data=a.problem[1],
                problem=a.problem, system=a.system, trainers=trainers, servers=cfg.get("servers", "2"),
                tau=cfg.get("staleness", "4"), f_star=fstar, eta0=eta0, eta0_source=source, shard=shard,
                repeats=a.repeats, max_epochs=a.max_epochs, max_seconds=a.max_seconds, trace_every=a.trace_every,
                binary=dict(path=a.binary, version=h.binary_version(a.binary)))
    write_outputs(base, a.prefix, meta, runs)


def write_outputs(base, prefix, meta, runs):
    rows = summary_rows(runs)
    h.write_csv(base + ".csv", runs, [
        "figure", "label", "rule", "eta0", "m", "m_factor", "round", "status", "seconds", "epochs", "t_0.001",
        "t_1e-06", "t_1e-08", "epochs_0.001", "epochs_1e-06", "epochs_1e-08", "objective", "suboptimality",
        "step_used", "wait_fraction", "max_staleness", "trainer_m", "wall", "load1", "commit", "binary_version",
        "cpu", "cores", "date", "command"])
    curves = [dict(figure=r["figure"], label=r["label"], seconds=p[0], epoch=p[1], objective=p[2],
                   suboptimality=p[3]) for r in runs if r.get("round") == 0 for p in r.get("curve") or []]
    h.write_csv(base + "_curves.csv", curves, ["figure", "label", "seconds", "epoch", "objective", "suboptimality"],
                float_format="%.12g")
    h.write_json(base + ".json", dict(meta=meta, summary=rows, runs=runs))
    for figure in (1, 2):
        plot(meta, runs, figure, "%s_fig%d.png" % (base, figure))
    h.write_markdown(base + ".md", markdown(meta, rows, prefix))
    for r in rows:
        print("fig %d %-34s 1e-3 %s s  1e-6 %s s  final %s  (%s)" % (
            r["figure"], r["label"], fmt(r["t_0.001"], "%.2f"), fmt(r["t_1e-06"], "%.2f"),
            fmt(r["suboptimality"], "%.2g"), ", ".join(r["statuses"])))
    print("wrote %s.{csv,json,md}, %s_curves.csv, %s_fig{1,2}.png" % (base, base, base))


if __name__ == "__main__":
    main()
