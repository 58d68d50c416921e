#!/usr/bin/python3
"""Thread-contention benchmark of asyncopt's hogwild solver: driver, plots, summary.

Runs `asyncopt contention` (the CLI's sweep, src/tools/contention.cpp) once
per dataset. Each run
loads the data once, computes f* (reference solver, cached on disk), measures
the CEILING (bench/plain_sgd.hpp: plain single-thread non-atomic SGD, same
update rule and permutations) and the NAIVE loop (the textbook single-thread
Hogwild loop: rows drawn with replacement, l2 without hogwild's frequency
weights, plain writes; a second ceiling, for speed only, since it minimises
another function), and sweeps threads x write policy x sparsifier,
writing RESULTS/contention_<dataset>.{csv,json}. This script then draws
RESULTS/contention_<dataset>.png and writes RESULTS/contention.md with the
machine, the commands, the ratios vs the ceiling and vs 1 thread, and a
PASS/FAIL line per goal of the issue ("info" where the goal's own condition does
not hold: scaling on data that is not low-contention, gspar under `wild`).

Usage (always /usr/bin/python3; the script builds nothing):
  bench/contention.py                      # the five default datasets (~16 min)
  bench/contention.py --quick              # small smoke sweep (~1-2 min)
  bench/contention.py --data my.svm --loss logistic --l2 1e-4 [--step X]
  bench/contention.py --report-only        # redraw plots/markdown from existing JSON
Options: --bin PATH (the asyncopt CLI; default: build/release/src/cli/asyncopt,
then `asyncopt` on PATH), --out DIR (bench/results), --threads,
--write, --sparsifier, --rho, --lock-stripe, --conflict-sample, --repeats, --epochs, --target,
--scaling-rounds, --scaling-gap, and any other `asyncopt contention` option after `--`.
The command draws its own figure (contention_<dataset>.png, PLplot); this
script redraws it with the goal verdicts and writes the markdown.

The 1- and 2-thread goals are judged on the SCALING ROUNDS (asyncopt contention
--scaling-rounds; 15 rounds, 2 s apart, by default): after the sweep, the
naive loop, the ceiling, `wild` and `atomic` at 1 and 2 threads, the
independent pair and the shared pair (two plain loops on one w) back to back, each round with the
cores' cache-line round trip, so each figure is read next to the host's
placement of the two vCPUs at that moment.
"""

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import time

import harness as h
from harness import DATA_DIR, FAR_ROUND_TRIP_NS, ROOT, median

# The default datasets: (name, `asyncopt contention` arguments). Steps and epoch
# counts are chosen so a throughput run lasts ~0.2-0.5 s and constant-step SGD
# can reach the target (hogwild's default step has a 5-15% suboptimality floor
# on the hinge SVM problem; see bench/README.md).
DEFAULTS = [
    ("svm-wangni", ["--generate", "svm-wangni", "--rows", "51200", "--dim", "256",
                    "--loss", "hinge", "--l2", "0.1", "--step", "1e-3", "--epochs", "3",
                    "--target", "1e-2", "--ttt-trace-every", "0.05"]),
    ("sector.scale", ["--data", os.path.join(DATA_DIR, "sector.scale.xz"),
                      "--positive-labels", "1", "--loss", "logistic", "--l2", "1e-4",
                      "--epochs", "40", "--target", "1e-3"]),
    ("powerlaw", ["--generate", "powerlaw", "--rows", "100000", "--dim", "20000",
                  "--nnz-per-row", "40", "--zipf", "1.1", "--loss", "logistic",
                  "--l2", "1e-4", "--step", "0.1", "--epochs", "3", "--target", "1e-2"]),
    # The same shape with uniformly popular features (Zipf exponent 0): no hot
    # coordinates, the low-contention case of the 2-thread scaling goal.
    ("powerlaw-flat", ["--generate", "powerlaw", "--rows", "100000", "--dim", "20000",
                       "--nnz-per-row", "40", "--zipf", "0", "--name", "powerlaw-flat",
                       "--loss", "logistic", "--l2", "1e-4", "--step", "0.1", "--epochs", "3",
                       "--target", "1e-2"]),
    # Flat again, with a 10x wider model (1.6 MB, about an L2 cache): a shared
    # line is then less often still in the other core's cache, as with the
    # wide vocabularies of real text data. The second low-contention case.
    ("powerlaw-flat-wide", ["--generate", "powerlaw", "--rows", "100000", "--dim", "200000",
                            "--nnz-per-row", "40", "--zipf", "0", "--name", "powerlaw-flat-wide",
                            "--loss", "logistic", "--l2", "1e-4", "--step", "0.1",
                            "--epochs", "3", "--target", "1e-2"]),
]
QUICK_SIZE = {"svm-wangni": ["--rows", "12800"], "powerlaw": ["--rows", "20000"],
              "powerlaw-flat": ["--rows", "20000"], "powerlaw-flat-wide": ["--rows", "20000"],
              "sector.scale": ["--epochs", "10"]}
FULL_SWEEP = {"threads": "1,2,4,8,16,32", "write": "wild,atomic,locked",
              "sparsifier": "none,gspar,uniform", "repeats": "3", "ttt-repeats": "1",
              "ttt-max-seconds": "2", "scaling-rounds": "15", "scaling-gap": "2"}
# Per-dataset changes to the full sweep (unless given on the command line).
# The SVM's time-to-target runs last ~10 ms, so one run per cell is noise-
# bound (the same cell measured 0.0086 s and 0.0139 s in two sweeps): take the
# median of 5, which takes 5 rounds (TTT runs are made in the first
# --ttt-repeats of the --repeats rounds; asyncopt contention rejects more);
# `uniform` never reaches its target, so a 0.5 s cap keeps that affordable.
DATASET_SWEEP = {"svm-wangni": {"repeats": "5", "ttt-repeats": "5", "ttt-max-seconds": "0.5"}}
# Sparse data counts as low-contention (the 2-thread scaling goal) when
# `wild` at 2 threads meets fewer conflicts than this per 1000 updates.
LOW_CONTENTION = 100


def conflict_sample_text(settings):
    """How `wild` counted conflicts in a run (results before the sampler looked on every update)."""
    n = settings.get("conflict_sample", 1)
    return "every update (exact count)" if n == 1 else "one update in %d (each counted %d times)" % (n, n)


# Sweep options the driver passes on (command line > per-dataset > sweep default).
SWEEP_KEYS = ("threads", "write", "sparsifier", "rho", "lock-stripe", "conflict-sample", "repeats",
              "ttt-repeats", "epochs", "target", "ttt-max-seconds", "scaling-rounds", "scaling-gap")
QUICK_SWEEP = {"threads": "1,2,4", "write": "wild,atomic", "sparsifier": "none,gspar",
               "repeats": "1", "ttt-repeats": "1", "ttt-max-seconds": "1", "scaling-rounds": "3",
               "scaling-gap": "0"}


def find_bin(given):
    if given:
        return given
    path = os.path.join(ROOT, "build/release/src/cli/asyncopt")
    if os.path.exists(path):
        return path
    installed = shutil.which("asyncopt")
    if installed:
        return installed
    sys.exit("the asyncopt CLI was not found: build it (cmake --build --preset release) "
             "or pass --bin PATH")


# ------------------------------------------------------------------ report

def fmt(v, digits=3):
    if v is None:
        return "-"
    if abs(v) >= 1e6:
        return "%.1fM" % (v / 1e6)
    return ("%%.%dg" % digits) % v


def cells_of(d, **kw):
    return [c for c in d["cells"] if all(c.get(k) == v for k, v in kw.items())]


def cell(d, **kw):
    found = cells_of(d, **kw)
    return found[0] if found else None


def with_options(args, changes):
    """args with each "--key value" of changes replacing the same key's value
    (or appended): the command takes an option once."""
    out = list(args)
    for k in range(0, len(changes), 2):
        key, value = changes[k], changes[k + 1]
        if key in out:
            out[out.index(key) + 1] = value
        else:
            out += [key, value]
    return out


def x2(v):
    """'1.23x', or '-' for a missing figure."""
    return "-" if v is None else "%.2fx" % v


def plot_scaling(d, path):
    """Per scaling round: 2 threads over 1 (`wild`, `atomic`), the two plain
    pairs over the ceiling, 1 thread over the ceiling; and 2-thread `wild`
    speedup against the cores' round trip."""
    sc = scaling(d)
    if not sc:
        return False
    plt = h.pyplot()
    import matplotlib.ticker
    fig, ax = plt.subplots(1, 2, figsize=(13, 4.6))
    x = list(range(1, sc["rounds"] + 1))
    series = [("`wild` 2T / 1T", sc["paired"]["wild_2"], "tab:blue", "o"),
              ("`wild` 1T / naive loop", sc["paired"]["wild_1_naive"], "tab:brown", "+"),
              ("`atomic` 2T / 1T", sc["paired"]["atomic_2"], "tab:orange", "s"),
              ("shared pair / ceiling", sc["paired"]["shared_pair"], "tab:purple", "^"),
              ("independent pair / ceiling", sc["pair_ratios"], "tab:gray", "v"),
              ("`wild` 1T / ceiling", sc["paired"]["wild_1"], "k", "x")]
    for label, ys, color, mark in series:
        if all(v is None for v in ys):
            continue  # e.g. the naive loop in results from before it was measured
        ax[0].plot(x, ys, color=color, marker=mark, linestyle="-", linewidth=0.8, label=label)
    ax[0].axhline(1.7, color="tab:red", linestyle="--", linewidth=1, label="goal 1.7x (2 threads)")
    ax[0].axhline(0.95, color="tab:red", linestyle=":", linewidth=1, label="goal 0.95x (1 thread)")
    ax[0].xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax[0].set(xlabel="scaling round (in time order)", ylabel="ratio of nnz/s",
              title="per round, runs back to back")
    ax[0].legend(fontsize=7, ncol=2)
    rt = sc["round_trips"]
    pts = [(a, b) for a, b in zip(rt, sc["paired"]["wild_2"]) if a is not None and b is not None]
    sh = [(a, b) for a, b in zip(rt, sc["paired"]["shared_pair"]) if a is not None and b is not None]
    if pts:
        ax[1].scatter([a for a, _ in pts], [b for _, b in pts], color="tab:blue",
                      label="`wild` 2T / 1T")
    if sh:
        ax[1].scatter([a for a, _ in sh], [b for _, b in sh], color="tab:purple", marker="^",
                      label="shared pair / ceiling")
    ax[1].axhline(1.7, color="tab:red", linestyle="--", linewidth=1)
    ax[1].axvline(FAR_ROUND_TRIP_NS, color="gray", linestyle=":", linewidth=1,
                  label="far placement above %d ns" % FAR_ROUND_TRIP_NS)
    ax[1].set(xscale="log", xlabel="cores' cache-line round trip before the round (ns)",
              ylabel="2 threads over 1", title="speedup against the host's placement of the vCPUs")
    ax[1].legend(fontsize=7)
    ds = d["dataset"]
    fig.suptitle("%s: %d scaling rounds; %s, %d cores" % (
        ds["name"], sc["rounds"], d["context"]["cpu"], d["context"]["cores"]), fontsize=10)
    h.save_figure(fig, path, dpi=90)
    return True


def scaling_table(d):
    sc = scaling(d)
    rounds = d.get("scaling_rounds") or []
    lines = ["| round | order | round trip ns | naive nnz/s | ceiling nnz/s | `wild` 1T | "
             "x naive | `wild` 2T | x 1T | "
             "`atomic` 1T | `atomic` 2T | x 1T | shared pair x ceil | independent pair x ceil |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for k, r in enumerate(rounds):
        lines.append("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            k + 1, r.get("order", "-"), fmt(r.get("round_trip_ns")),
            fmt(r.get("naive_nnz_per_s")),
            fmt(r.get("ceiling_nnz_per_s")), fmt(r.get("wild_1_nnz_per_s")),
            x2(sc["paired"]["wild_1_naive"][k]),
            fmt(r.get("wild_2_nnz_per_s")), x2(sc["paired"]["wild_2"][k]),
            fmt(r.get("atomic_1_nnz_per_s")), fmt(r.get("atomic_2_nnz_per_s")),
            x2(sc["paired"]["atomic_2"][k]), x2(sc["paired"]["shared_pair"][k]),
            x2(r.get("pair_ratio"))))
    return "\n".join(lines)


SCALING_RUNS = ("naive", "ceiling", "wild_1", "wild_2", "atomic_1", "atomic_2", "shared_pair")
# Each run's reference within its round: 1 thread for 2, the ceiling for the rest.
SCALING_BASE = {"wild_1": "ceiling", "atomic_1": "ceiling", "wild_2": "wild_1",
                "atomic_2": "atomic_1", "shared_pair": "ceiling", "naive": "ceiling"}
# Every ratio of the rounds: name -> (run, reference run).
SCALING_RATIOS = dict({k: (k, base) for k, base in SCALING_BASE.items()},
                      pair=("pair", "ceiling"), wild_1_naive=("wild_1", "naive"))


def scaling(d):
    """Summary of the scaling rounds (None without them): best-of nnz/s per run
    kind (None for a kind with no rate in any round), per-round ratios (2
    threads over 1, the rest over the ceiling), the rounds each ratio has, and
    the round trips."""
    rounds = d.get("scaling_rounds") or []
    if not rounds:
        return None
    rate = {k: [r.get(k + "_nnz_per_s") for r in rounds] for k in SCALING_RUNS}
    # The independent pair's nnz/s (older results have only its ratio).
    rate["pair"] = [r.get("pair_nnz_per_s") if "pair_nnz_per_s" in r else
                    (r["pair_ratio"] * r["ceiling_nnz_per_s"]
                     if r.get("pair_ratio") is not None and r.get("ceiling_nnz_per_s") else None)
                    for r in rounds]
    best = {k: max((v for v in vs if v is not None), default=None) for k, vs in rate.items()}
    paired = {}
    for k, (run, base) in SCALING_RATIOS.items():
        paired[k] = [a / b if a is not None and b else None
                     for a, b in zip(rate[run], rate[base])]
    rts = [r.get("round_trip_ns") for r in rounds]
    rts_known = [x for x in rts if x is not None]
    confl = [r.get("wild_2_conflicts_per_1000_updates") for r in rounds]

    def span(xs):
        xs = [x for x in xs if x is not None]
        return "%.2f-%.2fx" % (min(xs), max(xs)) if xs else "-"

    def best_ratio(run, base):
        return best[run] / best[base] if best[run] is not None and best[base] else None

    return {
        "rounds": len(rounds), "best": best, "paired": paired,
        "best_ratio": {k: best_ratio(run, base) for k, (run, base) in SCALING_RATIOS.items()},
        "rounds_with": {k: sum(1 for x in v if x is not None) for k, v in paired.items()},
        "paired_median": {k: median(v) for k, v in paired.items()},
        "paired_range": {k: span(v) for k, v in paired.items()},
        "round_trips": rts,
        "round_trip_median": median(rts_known),
        "round_trip_range": ("%s-%s" % (fmt(min(rts_known)), fmt(max(rts_known)))
                             if rts_known else "-"),
        "far_rounds": sum(1 for x in rts_known if x > FAR_ROUND_TRIP_NS),
        "pair_ratios": paired["pair"],
        "wild_2_conflicts_per_1000": median(confl),
    }


def goals(d):
    """[(goal, verdict, detail)] for one dataset."""
    out = []
    ceiling = cell(d, solver="plain-sgd")
    name = d["dataset"]["name"]
    # Verdicts use best-of-k (max nnz/s: the run least disturbed by other
    # load on a shared machine); the median ratio is shown next to it. With
    # scaling rounds (run back to back, k of them) the verdict is theirs and
    # the sweep's best-of is shown too.
    sc = scaling(d)
    for pol, need in (("wild", 0.95), ("atomic", 0.8)):
        c = cell(d, solver="hogwild", policy=pol, sparsifier="none", threads=1)
        sweep_best = c["nnz_per_s_max"] / ceiling["nnz_per_s_max"] if c and ceiling else None
        k = "%s_1" % pol
        if sc and sc["best_ratio"][k] is not None:
            best = sc["best_ratio"][k]
            detail = ("%s: best-of %.2fx (%s vs %s nnz/s) over %d scaling rounds; paired by "
                      "round: median %s, range %s" % (
                          name, best, fmt(sc["best"][k]), fmt(sc["best"]["ceiling"]),
                          sc["rounds_with"][k], x2(sc["paired_median"][k]),
                          sc["paired_range"][k]))
            if sweep_best is not None:
                detail += "; the sweep's best-of %.2fx" % sweep_best
        elif c:
            best = sweep_best
            detail = "%s: best-of %.2fx (%s vs %s nnz/s); median %.2fx" % (
                name, best, fmt(c["nnz_per_s_max"]), fmt(ceiling["nnz_per_s_max"]),
                c["ratio_to_ceiling"])
            if sc:
                detail += "; the scaling rounds have no rate for it, so the sweep's cells decide"
        else:
            continue
        floor = d["settings"].get("cas_floor_ratio_best")
        if pol == "atomic" and floor is not None:
            # With one worker every policy runs plain loads and stores
            # (nobody else writes); the plain loop with each store a CAS
            # shows what a CAS per coordinate would have cost.
            detail += ("; one worker runs every policy with plain stores; a CAS per "
                       "coordinate would cost: CAS floor best-of %.2fx, median %.2fx") % (
                floor, d["settings"]["cas_floor_ratio_median"])
        out.append(("1 thread `%s` >= %.2fx ceiling nnz/s" % (pol, need),
                    "PASS" if best >= need else "FAIL", detail))
    # Issue 14, section 6: 1-thread `wild` against the naive loop (results
    # from before it was measured have no line).
    naive = cell(d, solver="naive-sgd")
    wild1 = cell(d, solver="hogwild", policy="wild", sparsifier="none", threads=1)
    sweep_best = (wild1["nnz_per_s_max"] / naive["nnz_per_s_max"]
                  if wild1 and naive and naive.get("nnz_per_s_max") else None)
    line = None
    if sc and sc["best_ratio"]["wild_1_naive"] is not None:
        k = "wild_1_naive"
        line = (sc["best_ratio"][k],
                "%s: best-of %.2fx (%s vs %s nnz/s) over %d scaling rounds; paired by round: "
                "median %s, range %s" % (
                    name, sc["best_ratio"][k], fmt(sc["best"]["wild_1"]), fmt(sc["best"]["naive"]),
                    sc["rounds_with"][k], x2(sc["paired_median"][k]), sc["paired_range"][k]))
        if sweep_best is not None:
            line = (line[0], line[1] + "; the sweep's best-of %.2fx" % sweep_best)
    elif sweep_best is not None:
        line = (sweep_best, "%s: best-of %.2fx (%s vs %s nnz/s); median %s" % (
            name, sweep_best, fmt(wild1["nnz_per_s_max"]), fmt(naive["nnz_per_s_max"]),
            x2(wild1.get("ratio_to_naive"))))
    if line is not None:
        trace_every = d["settings"].get("trace_every_epochs")
        detail = line[1] + ("; hogwild traced every %s epoch(s)" % fmt(trace_every)
                            if trace_every is not None else "")
        out.append(("1 thread `wild` >= 0.95x naive loop nnz/s", "PASS" if line[0] >= 0.95
                    else "FAIL", detail))
    if d["dataset"]["density"] is not None and d["dataset"]["density"] < 0.05:
        # The goal is for sparse data WITH LOW CONTENTION. Contention is
        # measured, not assumed: `wild` at 2 threads counts the coordinates the
        # other thread changed between an update's read and its write. Below
        # LOW_CONTENTION per 1000 updates (fewer than one update in ten meets
        # one) the data counts as low-contention and the line is a verdict;
        # above it (hot features: sector.scale, Zipf power-law) the scaling is
        # reported as information.
        probe = cell(d, solver="hogwild", policy="wild", sparsifier="none", threads=2)
        contention = probe["conflicts_per_1000_updates"] if probe else None
        if contention is None and sc:
            contention = sc["wild_2_conflicts_per_1000"]
        measured = contention is not None
        low = measured and contention < LOW_CONTENTION
        for pol in ("wild", "atomic"):
            c = cell(d, solver="hogwild", policy=pol, sparsifier="none", threads=2)
            one = cell(d, solver="hogwild", policy=pol, sparsifier="none", threads=1)
            sweep_best = c["nnz_per_s_max"] / one["nnz_per_s_max"] if c and one else None
            k = "%s_2" % pol
            use_rounds = sc is not None and sc["best_ratio"][k] is not None
            if use_rounds:
                best = sc["best_ratio"][k]
                detail = ("%s: best-of %.2fx (%s vs %s nnz/s) over %d scaling rounds; paired by "
                          "round: median %s, range %s" % (
                              name, best, fmt(sc["best"][k]), fmt(sc["best"]["%s_1" % pol]),
                              sc["rounds_with"][k], x2(sc["paired_median"][k]),
                              sc["paired_range"][k]))
                if sweep_best is not None:
                    detail += "; the sweep's best-of %.2fx (median %.2fx)" % (
                        sweep_best, c["ratio_to_1thread"])
                detail += "; %s conflicts/1000 updates" % fmt(contention)
            elif c and one:
                best = sweep_best
                detail = "%s: best-of %.2fx, median %.2fx; %s conflicts/1000 updates" % (
                    name, best, c["ratio_to_1thread"], fmt(c["conflicts_per_1000_updates"]))
                if sc:
                    detail += ("; the scaling rounds have no rate for it, so the sweep's cells "
                               "decide")
            else:
                continue
            if not measured:
                detail += ("; contention not measured (no `wild` 2-thread cell without a "
                           "sparsifier), so no verdict")
            elif not low:
                detail += ("; not low-contention (`wild` at 2 threads: %s conflicts per 1000 "
                           "updates, limit %d), so information, not a verdict") % (
                    fmt(contention), LOW_CONTENTION)
            if use_rounds and pol == "wild":
                # What this machine gives two threads at the same moments:
                # nothing shared (independent pair), and a shared model
                # without asyncopt's engine (shared pair), with the cores'
                # round trip.
                detail += ("; in the same rounds two plain loops reach best-of %s the "
                           "ceiling with nothing shared (median %s) and %s sharing one w "
                           "(median %s); the cores' cache-line round trip was %s ns "
                           "(median %s), far (> %d ns) in %d of %d rounds") % (
                    x2(sc["best_ratio"]["pair"]), x2(sc["paired_median"]["pair"]),
                    x2(sc["best_ratio"]["shared_pair"]),
                    x2(sc["paired_median"]["shared_pair"]), sc["round_trip_range"],
                    fmt(sc["round_trip_median"]), FAR_ROUND_TRIP_NS, sc["far_rounds"],
                    sc["rounds"])
            elif not use_rounds:
                pair = d["settings"].get("independent_pair_ratio_best")
                if pair is not None:
                    # Two plain loops at once, nothing shared: what two
                    # threads of this machine give this data at most.
                    detail += ("; two independent plain loops at once reach best-of %.2fx, "
                               "median %.2fx the ceiling") % (
                        pair, d["settings"]["independent_pair_ratio_median"])
            verdict = (("PASS" if best >= 1.7 else "FAIL") if low else "info") if measured \
                else "n/a"
            floor = d["settings"].get("cas_floor_ratio_best")
            if pol == "atomic":
                # The goal is the solver's, judged on its default policy
                # (`wild`). `atomic`'s lone worker runs plain stores, while
                # two workers pay a CAS per coordinate: two CAS loops give
                # at most 2 x the CAS floor of the lone worker's rate.
                verdict = "info" if measured else "n/a"
                if floor is not None:
                    detail += ("; bounded by 2 x the CAS floor = %.2fx (a CAS per coordinate "
                               "at 2 threads against plain stores at 1)") % (2 * floor)
            out.append(("2 threads >= 1.7x 1-thread nnz/s (sparse data, `%s`)" % pol,
                        verdict, detail))
    if name.startswith("svm"):
        for t in (2, 16):
            for pol in ("atomic", "locked", "wild"):
                dense = cell(d, solver="hogwild", policy=pol, sparsifier="none", threads=t)
                gs = cell(d, solver="hogwild", policy=pol, sparsifier="gspar", threads=t)
                if not dense or not gs:
                    continue
                cd, cg = dense["conflicts_per_1000_updates"], gs["conflicts_per_1000_updates"]
                if cd is None or cg is None:
                    verdict, detail = "n/a", "conflicts missing from the results"
                else:
                    red = cd / cg if cg > 0 else float("inf")
                    verdict = "PASS" if red >= 5 else "FAIL"
                    detail = "%s -> %s per 1000 updates (%sx)" % (fmt(cd), fmt(cg), fmt(red))
                out.append(("SVM, %d threads, `%s`: gspar cuts conflicts/update >= 5x" % (t, pol),
                            verdict, detail))
                td, tg = dense["time_to_target_s"], gs["time_to_target_s"]
                faster = tg is not None and (td is None or tg < td)
                detail = "none %s s, gspar %s s" % (fmt(td), fmt(tg))
                if td is not None and tg is not None and tg > 0:
                    detail += " (%.2fx)" % (td / tg)
                if pol == "wild":
                    # Paper 002, Section 4.2: locked reads, atomic writes.
                    # `locked` has the locked reads (its writes are under the
                    # stripe locks), `atomic` the atomic writes. A `wild`
                    # conflict costs nothing (no retry, no wait), so there is
                    # no time for sparsification to save; its extra variance
                    # only costs iterations.
                    verdict = "info"
                    detail += ("; `wild` pays nothing for a conflict; the paper's setting is "
                               "locked reads with atomic writes, judged under `locked` (its "
                               "locked reads) and `atomic` (its atomic writes)")
                else:
                    verdict = "PASS" if faster else "FAIL"
                out.append(("SVM, %d threads, `%s`: gspar reaches the target faster" % (t, pol),
                            verdict, detail))
    return out


def table(d, sparsifier):
    hog = cells_of(d, solver="hogwild", sparsifier=sparsifier)
    threads = sorted({c["threads"] for c in hog})
    policies = list(dict.fromkeys(c["policy"] for c in hog))
    lines = ["| threads | " + " | ".join(
        "%s nnz/s | x ceil | x 1T | confl/1k | TTT s | subopt" % p for p in policies) + " |",
        "|---:|" + "---:|---:|---:|---:|---:|---:|" * len(policies)]
    for t in threads:
        row = ["%d%s" % (t, "*" if t > d["context"]["cores"] else "")]
        for p in policies:
            c = cell(d, solver="hogwild", policy=p, sparsifier=sparsifier, threads=t)
            if not c:
                row += ["-"] * 6
                continue
            row += [fmt(c["nnz_per_s"]), fmt(c["ratio_to_ceiling"], 2), fmt(c["ratio_to_1thread"], 2),
                    fmt(c["conflicts_per_1000_updates"]), fmt(c["time_to_target_s"]),
                    fmt(c["final_subopt"], 2)]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def naive_paragraph(d):
    """The naive loop's line of a dataset section ([] for results without it)."""
    naive = cell(d, solver="naive-sgd")
    if not naive:
        return []
    st = d["settings"]
    return ["**Naive loop** (the textbook single-thread Hogwild loop: rows drawn with "
            "replacement, l2 on the row's coordinates without hogwild's frequency weights, plain "
            "writes; a second ceiling for speed: it minimises another function, so its final "
            "suboptimality of F is not a convergence figure): %s nnz/s (runs %s s), final subopt "
            "of F %s; 1-thread `wild` over it: best-of %s, median %s, per sweep round %s." % (
                fmt(naive["nnz_per_s"]), ", ".join(fmt(x) for x in naive["runs_seconds"]),
                fmt(naive["final_subopt"], 2), x2(st.get("naive_ratio_best")),
                x2(st.get("naive_ratio_median")),
                ", ".join(x2(x) for x in st.get("naive_ratios") or [])), ""]


def write_markdown(results, out_dir, commands, note):
    md = ["# Thread contention: hogwild vs a plain single-thread SGD ceiling", ""]
    first = results[0]
    ctx = first["context"]
    md += ["Machine: %s, %d hardware threads; %s, %s build, asyncopt %s (commit %s); %s." % (
        ctx["cpu"], ctx["cores"], ctx["compiler"], ctx["build_type"], ctx["version"],
        ctx["git_commit"], ctx["date"]), ""]
    loads = ["%s: %s -> %s" % (r["dataset"]["name"], r["context"]["load_before"],
                                r["context"]["load_after"]) for r in results]
    md += ["Load average (1/5/15 min) before -> after each dataset's run: " + "; ".join(loads) +
           ". " + note, ""]
    md += ["**Oversubscription:** this machine has %d hardware threads; rows marked `*` "
           "(more threads than cores) are oversubscribed, so they measure the cost of "
           "time-slicing and lock holders being descheduled, not parallel speedup." % ctx["cores"], ""]
    md += ["Driver command(s):", ""] + ["    " + c for c in commands] + [""]
    md += ["which ran, per dataset:", ""] + ["    " + r["context"]["command"] for r in results] + [""]
    md += ["Goal verdicts on throughput use best-of-k nnz/s (the run least disturbed by "
           "other load; the median is shown too); the tables show medians. "
           "Definitions: nnz/s = updates x mean row nnz / solver seconds (exact for the "
           "whole-epoch throughput runs); solver seconds exclude objective evaluation. Each "
           "cell is the median of the repeats (run in rounds, so load drift hits all cells "
           "alike); `x ceil` = nnz/s over the plain loop's, `x 1T` = over the same policy "
           "and sparsifier at 1 thread. Conflicts: `wild` = coordinates changed by another "
           "thread between the margin read and the write (of the coordinates written: all of "
           "the row without a sparsifier, the kept ones with it), `atomic` = failed CAS, `locked` = contended lock "
           "acquisitions (a read waiting for a writer, a write waiting for anyone; each stripe "
           "is held only while its coordinates are read or written): the three are different measures. TTT = solver seconds to reach "
           "the target suboptimality (F - f*)/f*, objective checked every "
           "`ttt_trace_every_epochs` epochs; `-` = not reached within the cap. `subopt` = "
           "final suboptimality of the fixed-epoch run.", ""]
    notes = os.path.join(out_dir, "contention_notes.md")  # hand-written observations, if any
    if os.path.exists(notes):
        with open(notes) as f:
            md += [f.read().rstrip(), ""]
    md += ["## Goals", "", "| goal | verdict | detail |", "|---|---|---|"]
    for r in results:
        for g, v, detail in goals(r):
            md.append("| %s | **%s** | %s |" % (g, v, detail))
    md.append("")
    for r in results:
        ds, pb, st = r["dataset"], r["problem"], r["settings"]
        ceiling = cell(r, solver="plain-sgd")
        md += ["## %s" % ds["name"], "",
               "%s: %d rows x %d cols, nnz %d (%.1f/row, density %.3g), preprocessing `%s`; "
               "Hogwild Delta %.3g, top 1%% of features hold %.0f%% of nonzeros." % (
                   ds["source"], ds["rows"], ds["cols"], ds["nnz"], ds["mean_row_nnz"],
                   ds["density"], ds["preprocessing"], ds["hogwild_delta"] or 0,
                   100 * (ds["top1pct_feature_share"] or 0)),
               "Problem: %s, l1 = %g, l2 = %g, f* = %.10g (%s, %s). Step %g (%s), %d epochs per "
               "throughput run, %d repeats; rho = %g; `locked`: %d coordinate(s) per lock; `wild` "
               "looks for conflicts on %s; TTT "
               "target %g, cap %g s / %d epochs, %d TTT run(s) per cell." % (
                   pb["loss"], pb["l1"], pb["l2"], pb["f_star"], pb["f_star_method"],
                   pb["f_star_source"], st["step"], st["step_rule"], st["epochs"], st["repeats"],
                   st["rho"], st.get("lock_stripe", 1), conflict_sample_text(st), st["target_subopt"], st["ttt_max_seconds"], st["ttt_max_epochs"],
                   st["ttt_repeats"]),
               "",
               "**Ceiling** (plain single-thread SGD): %s nnz/s (runs %s s), final subopt %s, "
               "TTT %s s. Its iterates equal hogwild 1-thread `wild` bit for bit: max |dw| = %s." % (
                   fmt(ceiling["nnz_per_s"]), ", ".join(fmt(x) for x in ceiling["runs_seconds"]),
                   fmt(ceiling["final_subopt"], 2), fmt(ceiling["time_to_target_s"]),
                   st["ceiling_vs_hogwild_1t_wild_max_abs_diff"]), "",
               ] + naive_paragraph(r) + [
               "**CAS floor** (the same plain loop, every store a relaxed compare-and-swap: what "
               "`atomic` would cost at 1 thread if it paid a CAS per coordinate; with one worker "
               "hogwild runs every policy with plain loads and stores, as nobody else writes): "
               "runs %s s, %s x the ceiling's nnz/s best-of (median %s)." % (
                   ", ".join(fmt(x) for x in st.get("cas_floor_seconds") or []),
                   fmt(st.get("cas_floor_ratio_best")), fmt(st.get("cas_floor_ratio_median"))), "",
               "**Independent pair** (two ceiling loops at once on two threads, each on its own "
               "copy of w, nothing shared: what two threads of this machine give this data at "
               "most): %s x the ceiling's nnz/s best-of (median %s; per round %s)." % (
                   fmt(st.get("independent_pair_ratio_best")),
                   fmt(st.get("independent_pair_ratio_median")),
                   ", ".join(fmt(x) for x in st.get("independent_pair_ratios") or [])), "",
               "**Cores' cache-line round trip** before each sweep round: %s ns." % (
                   ", ".join(fmt(x) for x in st.get("round_trip_ns") or []) or "not measured"), "",
               "![%s](contention_%s.png)" % (ds["name"], ds["name"]), ""]
        if scaling(r):
            md += ["**Scaling rounds** (after the sweep, %d rounds %s s apart, the runs of "
                   "each round back to back, every other round in reverse order; the 1- and "
                   "2-thread goals are judged on them): the **shared pair** is the ceiling's "
                   "plain loop on two threads over one w (relaxed atomic loads and stores, "
                   "rows claimed in chunks): a Hogwild with none of asyncopt's engine, so "
                   "what sharing the model costs on this machine at that moment. The round "
                   "trip is one cache line's trip to the other core and back, measured just "
                   "before the round." % (len(r["scaling_rounds"]),
                                          fmt(st.get("scaling_gap_seconds"))), "",
                   scaling_table(r), "",
                   "![%s scaling](contention_%s_scaling.png)" % (ds["name"], ds["name"]), ""]
        for s in dict.fromkeys(c["sparsifier"] for c in cells_of(r, solver="hogwild")):
            md += ["Sparsifier `%s`:" % s, "", table(r, s), ""]
    path = os.path.join(out_dir, "contention.md")
    h.write_markdown(path, md)
    return path


# ------------------------------------------------------------------ main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.split("\n")[1:]))
    ap.add_argument("--bin")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
    ap.add_argument("--data", help="your LIBSVM file (else: the five default datasets)")
    ap.add_argument("--positive-labels")
    ap.add_argument("--scale")
    ap.add_argument("--loss")
    ap.add_argument("--l1")
    ap.add_argument("--l2")
    ap.add_argument("--step")
    ap.add_argument("--name")
    for k in SWEEP_KEYS:
        ap.add_argument("--" + k)
    ap.add_argument("--quick", action="store_true", help="small smoke sweep")
    ap.add_argument("--datasets",
                    help="subset of the defaults: svm-wangni,sector.scale,powerlaw,powerlaw-flat,"
                         "powerlaw-flat-wide")
    ap.add_argument("--report-only", action="store_true",
                    help="only redraw plots and markdown from RESULTS/contention_*.json")
    ap.add_argument("extra", nargs="*", help="after --: more `asyncopt contention` options")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)

    sweep = dict(QUICK_SWEEP if a.quick else FULL_SWEEP)
    for k in SWEEP_KEYS:
        v = getattr(a, k.replace("-", "_"))
        if v is not None:
            sweep[k] = v
    if a.data:
        user = ["--data", a.data]
        for k in ("positive_labels", "scale", "loss", "l1", "l2", "step", "name"):
            v = getattr(a, k)
            if v is not None:
                user += ["--" + k.replace("_", "-"), v]
        name = a.name or os.path.basename(a.data).split(".")[0]
        if not a.name:
            user += ["--name", name]
        runs = [(name, user)]
    else:
        wanted = a.datasets.split(",") if a.datasets else [n for n, _ in DEFAULTS]
        runs = [(n, with_options(args, QUICK_SIZE.get(n, []) if a.quick else []))
                for n, args in DEFAULTS if n in wanted]
        for n, args in runs:
            for k in ("loss", "l1", "l2", "step"):
                if getattr(a, k) is not None:
                    args[:] = with_options(args, ["--" + k, getattr(a, k)])  # the command takes each once

    # The driver command that produced each dataset's JSON (kept across
    # --report-only and partial re-runs in RESULTS/contention_driver.json).
    command = " ".join(shlex.quote(x) for x in [os.path.relpath(os.path.abspath(sys.argv[0]), ROOT)] +
                       sys.argv[1:])
    driver_path = os.path.join(a.out, "contention_driver.json")
    try:
        with open(driver_path) as f:
            driver = json.load(f)
    except (OSError, ValueError):
        driver = {}
    if not a.report_only:
        binary = find_bin(a.bin)
        for name, args in runs:
            run_sweep = dict(sweep)
            if not a.quick and not a.data:
                for k, v in DATASET_SWEEP.get(name, {}).items():
                    if getattr(a, k.replace("-", "_")) is None:
                        run_sweep[k] = v
                if a.ttt_repeats is None and int(run_sweep["ttt-repeats"]) > int(run_sweep["repeats"]):
                    run_sweep["ttt-repeats"] = run_sweep["repeats"]  # your --repeats bounds it
            for k in ("epochs", "target"):  # the sweep's value replaces the dataset's
                if k in run_sweep and "--" + k in args:
                    args[args.index("--" + k) + 1] = run_sweep[k]
            cmd = [binary, "contention"] + args + [x for k, v in run_sweep.items()
                                     if not (k in ("epochs", "target") and "--" + k in args)
                                     for x in ("--" + k, v)]
            cmd += ["--out", a.out]
            # Options after `--` replace the same options above (the command takes each once).
            k = 0
            while k < len(a.extra):
                if k + 1 < len(a.extra) and a.extra[k].startswith("--") and not a.extra[k + 1].startswith("--"):
                    cmd = with_options(cmd, a.extra[k:k + 2])
                    k += 2
                else:
                    cmd.append(a.extra[k])
                    k += 1
            print("+ " + " ".join(shlex.quote(x) for x in cmd), flush=True)
            t0 = time.time()
            subprocess.run(cmd, check=True)
            print("  %s done in %.0f s" % (name, time.time() - t0), flush=True)
            driver[name] = command
            with open(driver_path, "w") as f:
                json.dump(driver, f, indent=1)

    # Report every default dataset that has results (a partial re-run keeps the others).
    names = [n for n, _ in runs] if a.data else [n for n, _ in DEFAULTS]
    results = []
    for name in names:
        path = os.path.join(a.out, "contention_%s.json" % name)
        if not os.path.exists(path):
            continue
        with open(path) as f:
            d = json.load(f)
        # contention_<name>.png is the command's own figure (PLplot).
        plot_scaling(d, os.path.join(a.out, "contention_%s_scaling.png" % name))
        results.append(d)
    if not results:
        sys.exit("no results")
    worst = max(max(r["context"]["load_before"] + r["context"]["load_after"]) for r in results)
    note = ("The machine was busy (load above 1.5 on %d cores, from other jobs or from this benchmark's own oversubscribed cells of up to 32 threads): "
            "timings, ratios and scaling are depressed and noisy; treat FAILs near the "
            "threshold as inconclusive." % results[0]["context"]["cores"]
            if worst > 1.5 else "The machine was quiet (load <= 1.5).")
    commands = list(dict.fromkeys(driver.get(r["dataset"]["name"], "(unknown)") for r in results))
    md = write_markdown(results, a.out, commands, note)
    print("wrote %s and %d scaling plot(s)" % (md, len(results)))


if __name__ == "__main__":
    main()
