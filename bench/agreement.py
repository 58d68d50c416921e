#!/usr/bin/python3
"""MDAA inside clusters: the measured contraction per agreement round beside the slides' bound.

The question (issue 18): how much does one round of "MDAA within a Cluster"
(src/kernels/agreement.hpp; Attiya and Schiller's slides, MidExtremes of
Fuegger and Nowak) shrink the members' values, against the slides' factor
q = (2 floor(m/2) + 1) / (2 floor(m/2) + 2) and against the factor the
kernel's header says is proven for every execution (sqrt(6/7) = 0.926 for
the largest distance in general, 1/2 for d = 1 or m = 2)?

bench_agreement (bench/agreement.cpp) runs, for every m (members) x d
(dimension) x R (rounds), --trials executions on m random N(0, I_d) inputs,
in two modes: `scheduled` (seeded interleavings, one register access at a
time in a random order with random bursts, the same on every run) and `free`
(m threads started together; with m above the core count they are
oversubscribed). Per run: the largest Euclidean distance Delta_2 and the
coordinate-wise diameter Delta_cw (the slides' measure) of the outputs over
the inputs', as a factor per round (after / before)^(1/R). Per
configuration: mean, worst, mean over the runs that did not end in exact
agreement, the fraction that did, and the runs above q^R and above the
proven factor^R.

Verdicts, per configuration and measure: worst <= q (the slides' factor; a
FAIL is expected where q is below the proven factor, since q is no worst
case for one round), and worst <= the proven factor (must hold in every
configuration: a run above it is a bug in the kernel; nothing is proven for
Delta_cw with d > 1 and m > 2).

Usage (always /usr/bin/python3; build with the release preset first):
  /usr/bin/python3 bench/agreement.py [--build build/release] [--trials 200]
      [--members 2,3,4,8,16] [--dims 1,2,50,1000] [--rounds 1,2,3,5]
      [--modes scheduled,free] [--seed 1] [--out bench/results] [--prefix agreement_contraction]
  /usr/bin/python3 bench/agreement.py --replot
Outputs: OUT/PREFIX.{csv,json,md,png}.
"""

import argparse
import json
import math
import os
import shlex
import shutil
import sys
import tempfile
import time

import harness as h
from harness import ROOT, log

MODES = ("scheduled", "free")
MEASURES = ("l2", "cw")
MEASURE_NAME = {"l2": "Delta_2", "cw": "Delta_cw"}
WHY_Q = ("the slides' q is a claim about the SGD iterations, not a worst case for one agreement round: "
         "where q is below the proven factor (m <= 13, d >= 2) members whose views of a round differ "
         "(one alone, one with two values, one with all) keep more than q of the distance; the kernel's "
         "tests script such a schedule for three members in the plane at sqrt(3)/2 = 0.866 "
         "(AdversarialScheduleBeatsTheSlidesFactor)")


def slides_q(m):
    """(2 floor(m/2) + 1) / (2 floor(m/2) + 2)."""
    k = m // 2
    return (2 * k + 1) / (2 * k + 2)


def key(c):
    return "%s m=%d d=%d R=%d" % (c["mode"], c["members"], c["dim"], c["rounds"])


def verdict_q(c, measure):
    """(verdict, detail): every run's factor per round at most the slides' q? The detail of a FAIL says why."""
    above, worst, q = c[measure + "_above_q"], c[measure + "_worst"], c["slides_q"]
    if above == 0:
        return "PASS", "worst %.4f <= q = %.4f" % (worst, q)
    detail = "%d of %d runs above q^R, worst %.4f > q = %.4f; " % (above, c["trials"], worst, q)
    proven = c.get("proven_" + measure)
    if proven is not None and proven <= q:
        return "FAIL", detail + "q >= the proven factor %.4f here, so these runs are above it too: a bug" % proven
    if proven is not None:
        return "FAIL", detail + "q is below the proven %.4f here: %s" % (proven, WHY_Q)
    return "FAIL", detail + WHY_Q


def verdict_proven(c, measure):
    """(verdict, detail): every run's factor per round at most the proven factor? BUG if not."""
    proven = c.get("proven_" + measure)
    if proven is None:
        return "n/a", "nothing proven for %s with d > 1 and m > 2" % MEASURE_NAME[measure]
    above, worst = c[measure + "_above_proven"], c[measure + "_worst"]
    if above == 0:
        return "PASS", "worst %.4f <= %.4f" % (worst, proven)
    return "BUG", "%d of %d runs above the proven %.4f^R, worst %.4f" % (above, c["trials"], proven, worst)


def with_verdicts(cells):
    """The cells with their four verdict columns (l2_vs_q, l2_vs_proven, cw_vs_q, cw_vs_proven)."""
    out = []
    for c in cells:
        c = dict(c)
        for m in MEASURES:
            c[m + "_vs_q"] = verdict_q(c, m)[0]
            c[m + "_vs_proven"] = verdict_proven(c, m)[0]
        out.append(c)
    return out


PROVEN_TEXT = {"l2": "sqrt(6/7) = 0.926; 1/2 for d = 1 or m = 2", "cw": "1/2, only for d = 1 or m = 2"}


def goals(cells):
    """[(goal, verdict, detail)]: the proven factor (one line per measure, then a BUG line per configuration
    above it), then the slides' q (one line per measure, then a FAIL line per configuration above it)."""
    out = []
    for m in MEASURES:
        goal = "%s per round <= the proven factor (%s)" % (MEASURE_NAME[m], PROVEN_TEXT[m])
        judged = [c for c in cells if c.get("proven_" + m) is not None]
        if not judged:
            out.append((goal, "n/a", "no configuration with a proven factor"))
            continue
        bugs = [c for c in judged if verdict_proven(c, m)[0] == "BUG"]
        closest = max(judged, key=lambda c: c[m + "_worst"] / c["proven_" + m])
        out.append((goal, "BUG" if bugs else "PASS",
                    "above it in %d of %d configurations; closest: %s, worst %.4f against %.4f" % (
                        len(bugs), len(judged), key(closest), closest[m + "_worst"], closest["proven_" + m])))
        out += [("%s <= proven: %s" % (MEASURE_NAME[m], key(c)), "BUG", verdict_proven(c, m)[1]) for c in bugs]
    for m in MEASURES:
        fails = [c for c in cells if verdict_q(c, m)[0] == "FAIL"]
        out.append(("%s per round <= the slides' q" % MEASURE_NAME[m], "FAIL" if fails else "PASS",
                    "PASS in %d of %d configurations%s" % (
                        len(cells) - len(fails), len(cells), "; the FAIL lines below say why" if fails else "")))
        out += [("%s <= q: %s" % (MEASURE_NAME[m], key(c)), "FAIL", verdict_q(c, m)[1]) for c in fails]
    return out


# --------------------------------------------------------------------------- runs
def run_bench(a):
    """One run of bench_agreement into a temporary folder: (its JSON, the command)."""
    tmp = tempfile.mkdtemp(prefix="asyncopt-agreement-")
    try:
        args = [a.binary, "--members", a.members, "--dims", a.dims, "--rounds", a.rounds, "--trials",
                str(a.trials), "--modes", a.modes, "--seed", str(a.seed), "--out", tmp, "--name", "agreement"]
        log("+ " + " ".join(shlex.quote(x) for x in args))
        p, wall = h.run(args, timeout=3600)
        sys.stderr.write(p.stdout)
        with open(os.path.join(tmp, "agreement.json")) as f:
            out = json.load(f)
        out["context"]["command"] = " ".join(shlex.quote(x) for x in args[:-4])  # without the temporary --out
        return out, wall
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------- reports
fmt = h.fmt


def pooled(cells, mode, m, d):
    """Over the R values of (mode, m, d): the worst factor, the mean (every R has the same trials) and the
    mean over the runs that did not agree exactly (weighted by their number); None when absent."""
    cs = [c for c in cells if c["mode"] == mode and c["members"] == m and c["dim"] == d]
    if not cs:
        return None
    dis = [(c["l2_mean_disagreeing"], c["trials"] * (1 - c["exact_fraction"])) for c in cs
           if c["l2_mean_disagreeing"] is not None]
    weight = sum(w for _, w in dis)
    return dict(worst=max(c["l2_worst"] for c in cs), mean=sum(c["l2_mean"] for c in cs) / len(cs),
                disagreeing=sum(v * w for v, w in dis) / weight if weight > 0 else None)


def plot(cells, meta, path):
    dims = sorted({c["dim"] for c in cells})
    members = sorted({c["members"] for c in cells})
    fig, axes = h.panels(len(dims), 2, 5.0, 3.8)
    colours = {"scheduled": "tab:blue", "free": "tab:orange"}
    for ax, d in zip(axes, dims):
        for mode in MODES:
            pts = [(m, pooled(cells, mode, m, d)) for m in members]
            pts = [(m, p) for m, p in pts if p]
            if not pts:
                continue
            xs = [m for m, _ in pts]
            ax.plot(xs, [p["worst"] for _, p in pts], "o-", color=colours[mode], label="%s worst" % mode)
            ax.plot(xs, [p["mean"] for _, p in pts], "x--", color=colours[mode], label="%s mean" % mode)
            dis = [(m, p["disagreeing"]) for m, p in pts if p["disagreeing"] is not None]
            if dis:
                ax.plot([m for m, _ in dis], [v for _, v in dis], "^:", color=colours[mode], alpha=0.6,
                        label="%s mean, runs not agreeing exactly" % mode)
        ax.plot(members, [slides_q(m) for m in members], "k-", lw=1.5, label="slides' q")
        proven = [0.5 if d == 1 or m == 2 else math.sqrt(6 / 7) for m in members]
        ax.plot(members, proven, color="tab:red", ls="-.", lw=1.5, label="proven factor")
        ax.set(xscale="log", xticks=members, xticklabels=[str(m) for m in members], ylim=(-0.03, 1.0),
               xlabel="members m", ylabel="Delta_2 factor per round", title="d = %d" % d)
        ax.minorticks_off()
        ax.grid(True, alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=7)
    ctx = meta["context"]
    free = "; free: m > %s oversubscribed" % ctx["cores"] if any(c["mode"] == "free" for c in cells) else ""
    fig.suptitle("MDAA within a cluster: (after / before)^(1/R) of the largest distance, pooled over R = %s, "
                 "%d trials each (%s, %s cores%s)" % (meta["rounds"], meta["trials"], ctx["cpu"], ctx["cores"],
                                                      free), fontsize=8)
    fig.tight_layout(rect=(0, 0.07, 1, 0.97))
    fig.savefig(path, dpi=100)
    h.pyplot().close(fig)


def mark(verdict):
    """FAIL and BUG in bold, so they stand out of a column of PASS."""
    return "**%s**" % verdict if verdict in ("FAIL", "BUG") else verdict


def table(cells, mode):
    rows = []
    for c in cells:
        if c["mode"] != mode:
            continue
        rows.append([c["members"], c["dim"], c["rounds"], "%.4f" % c["slides_q"], "%.4f" % c["proven_l2"],
                     fmt(c["l2_mean"], "%.4f"), fmt(c["l2_mean_disagreeing"], "%.4f"), "%.4f" % c["l2_worst"],
                     c["l2_above_q"], mark(c["l2_vs_q"]), mark(c["l2_vs_proven"]),
                     fmt(c["cw_mean"], "%.4f"), "%.4f" % c["cw_worst"], c["cw_above_q"], mark(c["cw_vs_q"]),
                     mark(c["cw_vs_proven"]), "%.1f%%" % (100 * c["exact_fraction"]),
                     fmt(c["rounds_skipped_per_member"], "%.2f")])
    return h.md_table(["m", "d", "R", "q", "proven", "D2 mean", "D2 mean (not exact)", "D2 worst", "runs > q^R",
                       "D2 vs q", "D2 vs proven", "Dcw mean", "Dcw worst", "Dcw runs > q^R", "Dcw vs q",
                       "Dcw vs proven", "exact agreement", "rounds skipped / member"], rows)


def markdown(meta, cells, gs, prefix):
    ctx = meta["context"]
    cores = ctx["cores"]
    L = ["# MDAA within a cluster: measured contraction per agreement round", "",
         "Machine: %s. Load average %s at the start, %s at the end; %s." % (
             h.machine_text(meta["machine"]), " ".join("%.2f" % x for x in meta["load_start"]),
             " ".join("%.2f" % x for x in meta["load_end"]), meta["note"]),
         "bench_agreement %s, %s %s, commit %s; checkout %s." % (
             ctx["version"], ctx["compiler"], ctx["build_type"], ctx["git_commit"], meta["git_commit"]),
         "`%s` (%.1f s), which ran `%s --out TMP`." % (meta["command"], meta["elapsed_seconds"], ctx["command"]), "",
         "Kernel: `src/kernels/agreement.hpp` (`ClusterAgreement`, MidExtremes), one agreement of m members on "
         "m independent N(0, I_d) inputs per run, %d runs per configuration, seed %s. Per run the largest "
         "Euclidean distance (Delta_2) and the coordinate-wise diameter (Delta_cw, the slides' measure) of "
         "the outputs over the inputs', as a factor per round (after / before)^(1/R); 0 when the members "
         "end with the same bits (exact agreement). Mean and worst over the runs; \"mean (not exact)\" over "
         "the runs that did not end in exact agreement; runs > q^R counts the runs above the slides' q."
         % (meta["trials"], meta["seed"]), "",
         "* **scheduled**: seeded interleavings on one thread (each member on its own fiber; the kernel's "
         "step hook hands the turn back before every register access): the next member drawn at random, "
         "with equal weights on even trials and 0.05 + U[0,1) on odd ones (some lag behind), for a burst "
         "of 1 to 1, 4 or 3m accesses by trial % 3. Deterministic: a seed is one execution.",
         "* **free**: m std::threads started together, as the solver runs them. On this %s-core machine "
         "every m > %s is oversubscribed: a member runs for a time slice (milliseconds) against rounds of "
         "microseconds, so most runs are sequential, the late members skip to the last round and adopt "
         "its value, and the run ends in exact agreement. Not deterministic." % (cores, cores), "",
         "References: the slides' q = (2 floor(m/2) + 1) / (2 floor(m/2) + 2) (\"Main Correctness "
         "Claims\"), a claim about the SGD iterations; the proven factor of the kernel's header (every "
         "view of a round holds the round's first written value: Delta_2 shrinks by 1/2 per round for "
         "d = 1 or m = 2 and by sqrt(6/7) = 0.926 in general; Delta_cw by 1/2 for d = 1 or m = 2, "
         "nothing proven otherwise).", "",
         "## Verdicts", "", "| goal | verdict | detail |", "|---|---|---|"]
    L += ["| %s | **%s** | %s |" % g for g in gs]
    for mode in MODES:
        if any(c["mode"] == mode for c in cells):
            L += ["", "## %s" % mode, ""] + table(cells, mode)
    L += ["", "Every configuration with its counters (values read, collect retries, last-round values "
          "adopted, the worst run's trial and seed): `%s.csv`, `%s.json`; figure `%s.png` (Delta_2 per "
          "round against m, pooled over R)." % (prefix, prefix, prefix)]
    return L


def write_outputs(base, prefix, meta, cells):
    cells = with_verdicts(cells)
    gs = goals(cells)
    h.write_csv(base + ".csv", cells)
    h.write_json(base + ".json", dict(meta=meta, goals=gs, cells=cells))
    plot(cells, meta, base + ".png")
    L = markdown(meta, cells, gs, prefix)
    h.write_report(base, L, ["%s: %s (%s)" % g for g in gs])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.split("\n")[1:]))
    ap.add_argument("--build", default=os.path.join(ROOT, "build/release"), help="the CMake build dir")
    ap.add_argument("--binary", help="bench_agreement (default: BUILD/bench/bench_agreement)")
    ap.add_argument("--members", default="2,3,4,8,16")
    ap.add_argument("--dims", default="1,2,50,1000")
    ap.add_argument("--rounds", default="1,2,3,5")
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--trials", type=int, default=200, help="runs per configuration (200)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--note", default="other builds and benchmarks may be running on this machine",
                    help="what else the machine was doing, for the report")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench/results"))
    ap.add_argument("--prefix", default="agreement_contraction")
    ap.add_argument("--replot", action="store_true", help="no runs: redo the outputs from OUT/PREFIX.json")
    a = ap.parse_args()
    base = os.path.join(a.out, a.prefix)
    if a.replot:
        with open(base + ".json") as f:
            old = json.load(f)
        return write_outputs(base, a.prefix, old["meta"], old["cells"])
    a.binary = os.path.abspath(a.binary or os.path.join(a.build, "bench", "bench_agreement"))
    if not os.access(a.binary, os.X_OK):
        ap.error("%s: not an executable file (cmake --build --preset release --target bench_agreement)" % a.binary)
    if a.trials < 1:
        ap.error("--trials must be >= 1")
    os.makedirs(a.out, exist_ok=True)
    command = "/usr/bin/python3 bench/agreement.py " + " ".join(shlex.quote(x) for x in sys.argv[1:])
    load_start, t0 = h.loadavg(), time.time()
    out, _ = run_bench(a)
    meta = dict(command=command.strip(), machine=h.machine(), git_commit=h.git_commit(), load_start=load_start,
                load_end=h.loadavg(), elapsed_seconds=time.time() - t0, trials=a.trials, seed=a.seed,
                rounds=a.rounds, note=a.note, binary=a.binary, context=out["context"], settings=out["settings"])
    write_outputs(base, a.prefix, meta, out["cells"])


if __name__ == "__main__":
    main()
