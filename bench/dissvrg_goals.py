#!/usr/bin/python3
"""DisSVRG against PetuumSGD: the goals of issue 16 (time to 1e-3, stragglers, tau sweep).

Ming, Zhao, et al., "Accelerate Distributed Stochastic Gradient Descent with
Asynchronous Communication Protocol" (paper 004): DisSVRG (SVRG trainers and
block servers under stale-synchronous parallelism, `--solver dissvrg`) and its
baseline PetuumSGD (`--solver petuum-sgd`, step eta0 * 0.95^epoch
`--petuum-schedule decay` or eta0 / sqrt(epoch + 1) `sqrt`). The system of every
run: T = 4 trainers, S = 2 servers, tau = 4 (the configs' `threads`, `servers`,
`staleness`; --trainers, --servers, --tau override), dissvrg's m = the sweep's
choice among n_p, n_p / 2 and n_p / 4 (n_p = the trainer's shard rows,
`--inner-steps`), `--aggregate delta` (but in the aggregate part), seed 1.

Problems (l2-regularised least squares on the standardised target, f* from the
reference solver through the cache WORK/cache; suboptimality (F - f*) / f*):
  yearmsd  configs/dissvrg-yearmsd.ini (petuum: configs/petuum-yearmsd.ini
           decay, configs/petuum-sqrt-yearmsd.ini sqrt): `asyncopt generate --config
           configs/yearpredictionmsd-generate.ini` (463,715 x 90 dense, a
           planted w*, noise 1; only the shape is YearPredictionMSD's), made
           once into WORK/year-ROWS.svm; --rows shrinks it; l2 = 1e-4.
  cadata   configs/{dissvrg,petuum,petuum-sqrt}-cadata.ini: /work/shared/data/cadata (20,640 x 8),
           max-abs scaled columns (Lmax / mu = 3.3e4 at l2 = 1e-4; raw
           columns: 1e9), decompressed once into WORK; l2 = 1e-4.
Both with --scale-target standard (cadata's targets reach 500,001).

Phases:
  sweep   (a) asks for the steps: per dataset, dissvrg (constant rule), petuum
          decay and petuum sqrt each get a pattern search over eta = 2^k x the
          solver's default rule (dissvrg 1/(4 Lmax), petuum-sgd 1/(2 Lmax);
          read from a 1-epoch run's step_used). It starts at k0 (dissvrg:
          -round(log2(shard rows / 64)), an SVRG epoch of m steps acting like
          a gradient step of eta m; petuum: 0), moves by 2 (factor 4) while the
          time to 1e-3 improves, then tries the best's factor-2 neighbours.
          When the start reaches nothing, k0 +- 2, +- 4, ... until one does.
          One run per point, target 1e-3, capped at --sweep-cap seconds and
          --sweep-epochs epochs (and at 2x the best's epochs); the fewest
          epochs to 1e-3 wins (then seconds): a step does not change what an
          epoch costs, and epochs do not feel the machine's load. dissvrg is
          searched so at m = n_p, n_p / 2 and n_p / 4 (k0 from m), and the m
          whose best step took the fewest seconds to 1e-3 wins (an epoch's
          cost, a gradient pass and 2m row gradients, depends on m). Kept in
          WORK/sweep-*.json and reused (--resweep redoes it; --steps-from-configs
          takes the configs' `step` values instead).
  rounds  --repeats interleaved rounds (every cell once per round, every
          other round in reverse order), medians:
    compare    dissvrg to 1e-6 (time to 1e-3 read from its trace), petuum decay
               and sqrt to 1e-3; on threads and (when it runs dissvrg) mpirun.
    shared     svrg (--threads 2, its default step) to 1e-6 and reference (to
               its certificate): the shared-memory solvers, no goal.
    straggler  dissvrg, tau = 4, trainer 0 (member S) slowed x4 and x8
               (--fault slow:S:F); m fixed, adaptive x1.05 (--adaptive-m, the
               authors' code) and adaptive +n_p (--m-delta n_p, the paper's
               m + delta); to 1e-6. The times to 1e-3 and 1e-6 from the trace,
               the other trainers' total wait up to each from --trainer-trace
               (each trainer's wait_seconds at its last pull served by then).
               System T = --straggler-trainers (4), S = --straggler-servers (2);
               also --straggler-info-system (2:1) at x4, reported as info: on
               2 cores, 6 threads make a trainer's "wait" include waiting for a
               core, 3 threads much less.
    tau        dissvrg, tau in {0, 1, 4, 16, 64, inf}, to 1e-3: wait fraction
               (the summary's wait_fraction, the trainers' mean), compute
               fraction (1 - wait fraction: inner steps, gradient passes and
               message handling), staleness seen, time to 1e-3.
    aggregate  dissvrg and the petuum schedule whose sweep reached 1e-3 in
               fewer seconds, --aggregate delta and average, tau 0 and
               --tau, the swept steps and m, to 1e-6 (petuum capped at
               10 x dissvrg's sweep time to 1e-3, at least 1 s): times to 1e-3
               and 1e-6 and the final suboptimality. No goal.
  long    once per (dataset, transport): each petuum schedule to 1e-6, capped at
          --long-factor (10) x dissvrg's median time to 1e-6.

Goals (issue 16), one line each:
  (a) dissvrg time to 1e-3 <= 1/4 of the better petuum schedule's (medians),
      per dataset and transport; dissvrg reaches 1e-6 in every round and no
      petuum schedule does within 10x dissvrg's median time to 1e-6. Beside
      it an info line, the bound in data passes: the better petuum's passes
      to 1e-3 against the 1 + 2m/n_p passes of dissvrg's first epoch, before
      which it cannot stop.
  (b) slowed x4, the judged system, per adaptive variant: fixed-m /
      adaptive-m total wait of the other trainers up to 1e-3 >= 2, and
      adaptive-m's median time to 1e-3 <= fixed-m's; the same over the run to
      1e-6 on the same line, reported (x8 and the info system: reported).
  (c) the tau with the lowest median time to 1e-3 (reported, no threshold).
  (d) svrg and reference beside them (reported).

Times are the summary's solver clock (`seconds`; trace points, where the
objective is evaluated on the trainers, are off it); a time to a target is the
first trace point (every --trace-every epochs) at or below it. Runs are capped
(--cap-factor x dissvrg's sweep time to 1e-3, at least 10 s) and killed after
2 x cap + 120 s.

MPI: `mpirun -np S+T asyncopt train ... --transport mpi --threads
--mpi-threads --f-star VALUE` (harness.mpi_launcher: the build's mpiexec and
ASYNCOPT_MPIEXEC_FLAGS). A 1-epoch probe first: when mpirun cannot run the
SSP system (an error, or a summary without T trainers), the MPI cells are
skipped with the reason in the report.

Usage (always /usr/bin/python3, from anywhere; build with the release preset):
  /usr/bin/python3 bench/dissvrg_goals.py [--datasets yearmsd,cadata] [--rows N]
      [--transports threads,mpi] [--repeats 3] [--parts compare,shared,straggler,tau,aggregate,long]
      [--tau 4] [--straggler-trainers 4] [--straggler-servers 2] [--straggler-info-system 2:1]
      [--trace-every 1] [--resweep | --steps-from-configs]
      [--binary B] [--build build/release] [--work DIR] [--out bench/results] [--prefix P]
  /usr/bin/python3 bench/dissvrg_goals.py --rows 20000 --repeats 1 --out /tmp/dg   # smoke, ~3 min
  /usr/bin/python3 bench/dissvrg_goals.py --replot   # tables and figure again from the JSON
Outputs: OUT/PREFIX.{csv,json,md,png} (PREFIX = dissvrg_goals).
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

TARGET = 1e-3        # the goals' target
DEEP = 1e-6          # DisSVRG's second target
GOAL_RATIO = 0.25    # dissvrg / better petuum time to 1e-3: at most this
LONG_FACTOR = 10.0   # petuum must not reach 1e-6 within this x dissvrg's time to it
WAIT_GOAL = 2.0      # fixed-m / adaptive-m wait of the other trainers: at least this
TAUS = ["0", "1", "4", "16", "64", "inf"]
SLOWS = [4, 8]
JUDGED_SLOW = 4
M_SWEEP = (1.0, 0.5, 0.25)  # dissvrg's m in the sweep, x the shard rows n_p
ADAPTIVE = ("fixed", "5%", "n_p")  # straggler variants: fixed m; adaptive m x1.05 (the authors' code); m + n_p
INFO_SYSTEM = (2, 1)  # the straggler part's second system (T, S), reported as info: 3 threads on 2 cores
AGGREGATES = ("delta", "average")
DATASETS = {  # the configs of each variant (problem and system keys from the dissvrg one)
    "yearmsd": dict(configs={"dissvrg": "configs/dissvrg-yearmsd.ini", "petuum-decay": "configs/petuum-yearmsd.ini",
                             "petuum-sqrt": "configs/petuum-sqrt-yearmsd.ini"},
                    generate="configs/yearpredictionmsd-generate.ini", rows=463715),
    "cadata": dict(configs={"dissvrg": "configs/dissvrg-cadata.ini", "petuum-decay": "configs/petuum-cadata.ini",
                            "petuum-sqrt": "configs/petuum-sqrt-cadata.ini"}, name="cadata"),
}
VARIANTS = {  # variant -> solver flags (the step is added per dataset)
    "dissvrg": ["--solver", "dissvrg", "--step-rule", "constant"],
    "petuum-decay": ["--solver", "petuum-sgd", "--petuum-schedule", "decay"],
    "petuum-sqrt": ["--solver", "petuum-sgd", "--petuum-schedule", "sqrt"],
}
PROBLEM_KEYS = ("loss", "l1", "l2", "scale", "normalize-rows", "scale-target", "bias")


# --------------------------------------------------------------------------- problems
def problem_of(a, ds):
    """(CLI problem flags with --data, shard rows, config dict) of a dataset, its data made once."""
    spec = DATASETS[ds]
    cfg = h.read_ini(os.path.join(ROOT, spec["configs"]["dissvrg"]))
    if "generate" in spec:
        rows = a.rows or spec["rows"]
        path = os.path.join(a.work, "year-%d.svm" % rows)
        if not os.path.exists(path):
            log("== generating %s (%d rows) from %s" % (path, rows, spec["generate"]))
            h.run([a.binary, "generate", "--config", os.path.join(ROOT, spec["generate"]), "--rows", str(rows),
                   "--out", path + ".tmp", "--quiet"], cwd=ROOT, timeout=1200)
            os.replace(path + ".tmp", path)
    else:
        path = h.plain_copy(spec["name"], a.work)
        with open(path) as f:
            rows = sum(1 for line in f if line.strip())
    args = ["--data", path]
    for k in PROBLEM_KEYS:
        v = cfg.get(k)
        if v is None or v in ("none", "false") or (k == "bias" and float(v) <= 0):
            continue
        args += ["--" + k] + ([] if v == "true" else [v])
    return args, rows, cfg


def system_args(a, tau=None, trainers=None, servers=None):
    return ["--threads", str(trainers or a.trainers), "--servers", str(servers or a.servers), "--staleness",
            tau or a.tau, "--seed", "1"]


# --------------------------------------------------------------------------- one run
def without_threads(flags):
    """flags without their --threads pair (under mpirun --threads is each rank's own)."""
    out, skip = [], False
    for x in flags:
        if skip:
            skip = False
        elif x == "--threads":
            skip = True
        else:
            out.append(x)
    return out


def curve(trace, points=200):
    """[(seconds, suboptimality, epoch)] of a trace, at most `points` of them (first and last kept)."""
    if trace is None or "suboptimality" not in trace:
        return None
    n = len(trace["seconds"])
    idx = sorted(set([0, n - 1] + [int(i * (n - 1) / (points - 1)) for i in range(points)])) if n > points \
        else range(n)
    return [(float(trace["seconds"][i]), float(trace["suboptimality"][i]), float(trace["epoch"][i])) for i in idx]


def train(a, ds, transport, flags, target, cap, trace_every=None, label="", keep_curve=False, max_epochs=1000000,
          trainer_trace=False, ranks=None):
    """One `asyncopt train` on a dataset: a record of what the goals read. trainer_trace: the run's
    --trainer-trace rows as member_samples [(seconds, member, epochs, inner_steps, wait_seconds)].
    ranks: mpirun's -np (default S + T)."""
    timeout = 2 * cap + 120
    if transport == "mpi":
        flags = without_threads(flags)
    tmp = tempfile.mkdtemp(prefix="dissvrg-goals-") if trainer_trace else None
    if tmp:
        flags = list(flags) + ["--trainer-trace", os.path.join(tmp, "trainers.csv")]
    args = ["train"] + a.problems[ds] + list(flags) + ["--max-seconds", repr(cap), "--cache-dir", a.cache, "--quiet"]
    if target is not None:  # None: the reference solver (its own stop, a trace point per iteration)
        args += ["--target-subopt", repr(target), "--max-epochs", str(max_epochs),
                 "--trace-every", repr(trace_every or a.trace_every)]
    if transport == "threads":
        binary = a.binary
    else:
        args += ["--transport", "mpi", "--threads", str(a.mpi_threads), "--f-star", repr(a.fstar[ds])]
        binary = a.timeout_bin
        args = ["--kill-after", "10", repr(timeout), a.mpiexec] + a.mpiexec_flags + [
            "-np", str(ranks or a.servers + a.trainers), a.binary] + args
    out = dict(cap_seconds=cap, load1=h.loadavg()[0])
    try:
        r = h.run_cli(binary, args, cwd=ROOT, timeout=timeout + 30, ok=None)
        if tmp:
            out["member_samples"] = read_member_samples(os.path.join(tmp, "trainers.csv"))
    except RuntimeError as e:
        log("   %s" % e)
        out.update(status="killed", command=" ".join([binary] + args))
        return out
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    s = r["summary"] or {}
    t3 = h.time_to_target(r["trace"], TARGET, skip_start=True)
    t6 = h.time_to_target(r["trace"], DEEP, skip_start=True)
    hist = s.get("staleness_histogram") or []
    trainers = s.get("trainers") or []
    out.update(status=s.get("status", "error (exit %d)" % r["rc"]), rc=r["rc"], seconds=s.get("seconds"),
               epochs=s.get("epochs"), wall=r["wall"], suboptimality=s.get("suboptimality"),
               t_1e3=t3 and t3["seconds"], epochs_1e3=t3 and t3["epoch"], t_1e6=t6 and t6["seconds"],
               epochs_1e6=t6 and t6["epoch"], step_used=s.get("step_used"), wait_fraction=s.get("wait_fraction"),
               max_staleness=s.get("max_staleness"), staleness_histogram=hist,
               mean_staleness=(sum(i * c for i, c in enumerate(hist)) / sum(hist)) if sum(hist) else None,
               trainers=trainers, trainer_epochs=[t.get("epochs") for t in trainers],
               trainer_waits=[t.get("wait_seconds") for t in trainers],
               trainer_m=[t.get("inner_steps") for t in trainers], exchanges=s.get("exchanges"),
               bytes_sent=s.get("bytes_sent"), bytes_returned=s.get("bytes_returned"),
               f_star=s.get("f_star"), f_star_source=s.get("f_star_source"),
               command=" ".join(shlex.quote(x) for x in r["command"]))
    if keep_curve:
        out["curve"] = curve(r["trace"])
    if s.get("wait_fraction") is not None:
        out["compute_fraction"] = 1.0 - s["wait_fraction"]
    out.update(r["provenance"])
    if not s:
        out["stderr"] = r["stderr"][-500:]
    log("   %-8s %-9s %-30s %-14s %8s s  %7s ep  1e-3 %s s  1e-6 %s s  wait %s  sub %s  wall %.1f" % (
        ds, transport, label, out["status"], fmt(out["seconds"], "%.3f"), fmt(out["epochs"], "%.1f"),
        fmt(out["t_1e3"], "%.3f"), fmt(out["t_1e6"], "%.3f"), fmt(out.get("wait_fraction"), "%.2f"),
        fmt(out["suboptimality"], "%.2g"), r["wall"]))
    return out


def read_member_samples(path):
    """--trainer-trace CSV -> [(seconds, member, epochs, inner_steps, wait_seconds)] (None when absent)."""
    try:
        with open(path) as f:
            rows = [line.strip().split(",") for line in f][1:]
    except OSError:
        return None
    return [(float(r[0]), int(r[1]), int(r[2]), int(r[3]), float(r[4])) for r in rows if len(r) == 5]


def default_step(a, ds, variant):
    """The solver's default step on this problem: step_used of a 1-epoch run (--step 0)."""
    p, _ = h.run([a.binary, "train"] + a.problems[ds] + VARIANTS[variant] + system_args(a) + [
        "--max-epochs", "1", "--f-star", "skip", "--quiet", "--summary", os.path.join(a.work, "step.json")],
        cwd=ROOT, timeout=1200)
    with open(os.path.join(a.work, "step.json")) as f:
        return json.load(f)["step_used"]


# --------------------------------------------------------------------------- the step sweep
def score(r):
    """A sweep run's rank: epochs to 1e-3 (a step does not change the cost of an epoch, and epochs do
    not feel the machine's load), then seconds; None when it missed the target."""
    return None if r.get("epochs_1e3") is None else (r["epochs_1e3"], r.get("t_1e3") or 0.0)


def m_of(a_shard, factor):
    """--inner-steps for m = factor x the shard rows: 0 (the CLI's n_p, exact however rows split) at 1."""
    return 0 if factor == 1.0 else max(1, int(round(factor * a_shard)))


def chosen(res):
    """A sweep's result with its choice made from its runs: per m (the runs' m_factor, 1 = n_p when
    absent), the step with the fewest epochs to 1e-3 (then seconds); across m, the fewest seconds to
    1e-3 (an epoch's cost depends on m). Adds step, k, m_factor, t_1e3, epochs_1e3 and per_m."""
    per_m = {}
    for r in res["runs"]:
        if score(r) is None:
            continue
        f = r.get("m_factor", 1.0)
        if f not in per_m or score(r) < score(per_m[f]):
            per_m[f] = r
    b = min(per_m.values(), key=lambda r: (r["t_1e3"] or 0.0, r["epochs_1e3"])) if per_m else {}
    return dict(res, step=b.get("step"), k=b.get("k"), m_factor=b.get("m_factor", 1.0) if b else None,
                t_1e3=b.get("t_1e3"), epochs_1e3=b.get("epochs_1e3"),
                per_m={"%g" % f: dict(step=r["step"], k=r["k"], t_1e3=r["t_1e3"], epochs_1e3=r["epochs_1e3"])
                       for f, r in sorted(per_m.items())})


def sweep(a, ds, variant, m_factor=1.0, base=None):
    """Pattern search over eta = 2^k x default (see the docstring) at m = m_factor x n_p (dissvrg):
    dict(step, k, default, runs)."""
    base = base or default_step(a, ds, variant)
    m = m_factor * a.shard_rows[ds]
    k0 = -int(round(math.log2(max(1.0, m / 64.0)))) if variant == "dissvrg" else 0
    extra = ["--inner-steps", str(m_of(a.shard_rows[ds], m_factor))] if variant == "dissvrg" else []
    tried = {}
    best = [None]

    def f(k):
        if k in tried or not -30 <= k <= 4:
            return
        epochs = a.sweep_epochs
        if best[0] is not None:  # a run that cannot beat the best by 2x is not worth finishing
            epochs = min(epochs, max(int(2 * tried[best[0]]["epochs_1e3"]) + 2, 10))
        step = base * 2.0 ** k
        r = train(a, ds, "threads", VARIANTS[variant] + ["--step", "%.6g" % step] + extra + system_args(a),
                  TARGET, a.sweep_cap, label="sweep %s%s 2^%d" % (
                      variant, " m=%g n_p" % m_factor if variant == "dissvrg" else "", k), max_epochs=epochs)
        r.update(dataset=ds, variant=variant, k=k, step=float("%.6g" % step), default_step=base)
        if variant == "dissvrg":
            r.update(m_factor=m_factor, m=int(round(m)))
        tried[k] = r
        if score(r) is not None and (best[0] is None or score(r) < score(tried[best[0]])):
            best[0] = k

    f(k0)
    for k in [k0 + s * j for j in (2, 4, 6, 8, 10, 12) for s in (1, -1)]:
        if best[0] is not None:  # nothing reached 1e-3 yet: outwards from k0
            break
        f(k)
    if best[0] is not None:
        for d in (-2, 2):  # factor-4 moves while they improve (f updates best)
            while True:
                before = best[0]
                f(before + d)
                if best[0] == before:
                    break
        for d in (-1, 1):
            f(best[0] + d)
    return chosen(dict(default=base, runs=list(tried.values())))


def steps_for(a, ds):
    """({variant: step}, {variant: sweep}, dissvrg's m factor) for a dataset: from the sweep cache, a new
    sweep, or the configs. dissvrg is swept at each m of M_SWEEP (the runs of an m the cache lacks are
    added to it)."""
    if a.steps_from_configs:
        cfgs = {v: h.read_ini(os.path.join(ROOT, DATASETS[ds]["configs"][v])) for v in a.variants}
        inner = int(cfgs["dissvrg"].get("inner-steps", 0))
        return {v: float(c["step"]) for v, c in cfgs.items()}, None, \
            (inner / a.shard_rows[ds] if inner else 1.0)
    path = os.path.join(a.work, "sweep-%s-%d-T%d-S%d-tau%s.json" % (ds, a.rows_of[ds], a.trainers, a.servers, a.tau))
    res = {}
    if os.path.exists(path) and not a.resweep:
        with open(path) as f:
            res = json.load(f)
        log("== %s: steps of %s from %s" % (ds, ",".join(v for v in a.variants if v in res), path))
    for v in a.variants:
        if v not in res:  # the variants the cache lacks are swept and added to it
            log("== %s: step sweep of %s" % (ds, v))
            res[v] = sweep(a, ds, v)
        if v == "dissvrg":
            have = {r.get("m_factor", 1.0) for r in res[v]["runs"]}
            for f in M_SWEEP:
                if f not in have:
                    log("== %s: step sweep of dissvrg at m = %g n_p" % (ds, f))
                    res[v]["runs"] += sweep(a, ds, v, f, base=res[v]["default"])["runs"]
        res[v] = chosen(res[v])  # the choice by today's rule, from the runs the cache keeps
    h.write_json(path, res)  # dissvrg_figures.py reads the dissvrg step from here
    return {v: res[v]["step"] for v in a.variants}, {v: res[v] for v in a.variants}, res["dissvrg"]["m_factor"]


# --------------------------------------------------------------------------- MPI probe
def mpi_probe(a, ds):
    """None when `mpirun ... --transport mpi` runs the SSP system, else why not."""
    if not a.mpiexec or not os.access(a.mpiexec, os.X_OK):
        return "no mpiexec (%s): give --mpiexec or a --build configured with MPI" % a.mpiexec
    summary = os.path.join(a.work, "mpi-probe.json")
    if os.path.exists(summary):
        os.remove(summary)
    cmd = [a.timeout_bin, "--kill-after", "10", "120", a.mpiexec] + a.mpiexec_flags + [
        "-np", str(a.servers + a.trainers), a.binary, "train"] + a.problems[ds] + VARIANTS["dissvrg"] + [
        "--servers", str(a.servers), "--staleness", a.tau, "--transport", "mpi", "--threads", str(a.mpi_threads),
        "--max-epochs", "1", "--f-star", "skip", "--quiet", "--summary", summary]
    p, _ = h.run(cmd, check=False, cwd=ROOT, timeout=200)
    if p.returncode != 0:
        return "`--transport mpi` refused dissvrg (exit %d): %s" % (p.returncode, p.stderr.strip()[-300:])
    try:
        with open(summary) as f:
            s = json.load(f)
    except (OSError, ValueError):
        return "the MPI probe wrote no summary"
    if len(s.get("trainers") or []) != a.trainers or s.get("wait_fraction") is None:
        return ("`--transport mpi` ran but not the SSP system: its summary has %d trainers (want %d) and "
                "wait_fraction %s; message: %r" % (len(s.get("trainers") or []), a.trainers,
                                                   s.get("wait_fraction"), s.get("message")))
    return None


# --------------------------------------------------------------------------- cells
def better_petuum(a, ds, sweeps):
    """The aggregate part's petuum schedule: the one whose sweep choice took the fewest seconds to 1e-3
    (with --steps-from-configs, or one schedule only: the first that has a step)."""
    have = [v for v in ("petuum-decay", "petuum-sqrt") if a.steps[ds].get(v)]
    timed = [(sweeps[v]["t_1e3"], v) for v in have if sweeps and (sweeps.get(v) or {}).get("t_1e3") is not None]
    return min(timed)[1] if timed else (have[0] if have else None)


def straggler_systems(a):
    """[(T, S, judged)]: the judged system and the info one (when it differs)."""
    out = [(a.straggler_trainers, a.straggler_servers, True)]
    if a.straggler_info and a.straggler_info != (a.straggler_trainers, a.straggler_servers):
        out.append(a.straggler_info + (False,))
    return out


def cells_for(a, transports):
    cells = []
    for ds in a.datasets:
        for tr in transports:
            if "compare" in a.parts:
                cells += [dict(part="compare", dataset=ds, transport=tr, variant=v) for v in a.variants
                          if a.steps[ds].get(v)]
            if "straggler" in a.parts:
                for T, S, judged in straggler_systems(a):
                    cells += [dict(part="straggler", dataset=ds, transport=tr, variant="dissvrg", slow=f,
                                   adaptive=ad, n_trainers=T, n_servers=S)
                              for f in (SLOWS if judged else [JUDGED_SLOW]) for ad in ADAPTIVE]
            if "tau" in a.parts:
                cells += [dict(part="tau", dataset=ds, transport=tr, variant="dissvrg", tau=t) for t in TAUS]
            if "aggregate" in a.parts:
                cells += [dict(part="aggregate", dataset=ds, transport=tr, variant=v, aggregate=g, tau=t)
                          for t in dict.fromkeys(["0", a.tau]) for v in ("dissvrg", a.agg_petuum[ds]) if v
                          for g in AGGREGATES]
        if "shared" in a.parts:
            cells += [dict(part="shared", dataset=ds, transport="threads", variant=v) for v in ("svrg", "reference")]
    return cells


def solver_flags(a, ds, v, trainers=None):
    """A variant's solver flags with the swept step (and dissvrg's swept m for `trainers` trainers)."""
    flags = VARIANTS[v] + ["--step", repr(a.steps[ds][v])]
    if v == "dissvrg":
        flags += ["--inner-steps", str(m_of(a.rows_of[ds] // (trainers or a.trainers), a.m_factor[ds]))]
    return flags


def waits_at(samples, t):
    """{member: (wait_seconds, inner_steps)} of each member's last trainer-trace sample at or before t."""
    out = {}
    for sec, member, _epochs, m, wait in samples:
        if sec <= t:
            out[member] = (wait, m)
    return out


def run_cell(a, cell, rnd):
    ds, tr, part, v = cell["dataset"], cell["transport"], cell["part"], cell["variant"]
    cap = a.caps[ds]
    if part == "shared":
        if v == "svrg":
            flags, target, label = ["--solver", "svrg", "--threads", "2", "--seed", "1"], DEEP, "svrg 2 threads"
        else:
            flags, target, label = ["--solver", "reference", "--threads", "2"], None, "reference"
        return train(a, ds, tr, flags, target, cap, label=label)
    T, S, tau = cell.get("n_trainers"), cell.get("n_servers"), None
    flags = solver_flags(a, ds, v, T)
    if part == "compare":
        target = DEEP if v == "dissvrg" else TARGET
        label = v
    elif part == "straggler":
        # to 1e-6; the time and the others' waiting to 1e-3 are read from the same run's traces
        target = DEEP
        flags += ["--fault", "slow:%d:%d" % (S, cell["slow"]), "--adaptive-m",
                  "false" if cell["adaptive"] == "fixed" else "true"]
        if cell["adaptive"] == "n_p":
            flags += ["--m-delta", str(a.rows_of[ds] // T)]
        label = "T%d S%d slow x%d m %s" % (T, S, cell["slow"], cell["adaptive"])
    elif part == "aggregate":
        target, tau = DEEP, cell["tau"]
        flags += ["--aggregate", cell["aggregate"]]
        if v != "dissvrg":
            cap = a.agg_caps[ds]
        label = "%s %s tau %s" % (v, cell["aggregate"], tau)
    else:
        target, tau = TARGET, cell["tau"]
        label = "tau %s" % tau
    out = train(a, ds, tr, flags + system_args(a, tau, T, S), target, cap, label="round %d %s" % (rnd + 1, label),
                keep_curve=part == "compare" and rnd == 0, trainer_trace=part == "straggler",
                ranks=(S + T) if T else None)
    if part == "straggler" and out.get("trainers"):
        # trainer 0 (member S) is the slowed one: the others' waiting, over the run to 1e-6 (the
        # summary's totals) and up to the times of 1e-3 and 1e-6 (the trainer trace)
        total = {t.get("member"): t.get("wait_seconds") or 0.0 for t in out["trainers"]}
        out["slowed_wait"] = total.get(S)
        out["others_wait_end"] = sum(w for m, w in total.items() if m != S)
        samples = out.pop("member_samples", None)
        for key, t in (("1e3", out.get("t_1e3")), ("1e6", out.get("t_1e6"))):
            at = waits_at(samples, t) if samples and t is not None else {}
            others = [w for m, (w, _) in at.items() if m != S]
            out["others_wait_" + key] = sum(others) if len(others) == T - 1 else None
            out["m_" + key] = [at[m][1] if m in at else None for m in range(S, S + T)]
        out["others_wait"] = out["others_wait_1e3"]
    return out


def long_runs(a, runs, transports):
    """Each petuum schedule once to 1e-6, capped at LONG_FACTOR x dissvrg's median time to 1e-6."""
    out = []
    for ds in a.datasets:
        for tr in transports:
            t6 = h.median([r.get("t_1e6") for r in runs if (r["part"], r["dataset"], r["transport"], r["variant"])
                           == ("compare", ds, tr, "dissvrg")])
            for v in ("petuum-decay", "petuum-sqrt"):
                if not a.steps[ds].get(v):
                    continue
                if t6 is None:
                    out.append(dict(part="long", dataset=ds, transport=tr, variant=v, round=0,
                                    status="not run: dissvrg never reached 1e-6"))
                    continue
                cap = max(LONG_FACTOR * t6, 0.05)
                r = train(a, ds, tr, VARIANTS[v] + ["--step", repr(a.steps[ds][v])] + system_args(a), DEEP, cap,
                          label="long %s (cap %.3g s)" % (v, cap), keep_curve=True)
                r.update(part="long", dataset=ds, transport=tr, variant=v, round=0, dissvrg_t_1e6=t6)
                out.append(r)
    return out


# --------------------------------------------------------------------------- summaries and verdicts
fmt, span = h.fmt, h.span


def pick(runs, **kw):
    return [r for r in runs if all(r.get(k) == v for k, v in kw.items())]


def med(runs, key):
    return h.median([r.get(key) for r in runs])


def summarise(meta, runs):
    """The goal lines and the per-part tables' data."""
    S = dict(compare=[], straggler=[], tau=[], aggregate=[], shared=[], goals=[])
    G = S["goals"]
    if not runs:
        G.append("info the step sweep alone (--parts ''): no goal measured")
    for ds in meta["datasets"]:
        for tr in meta["transports"]:
            rs = pick(runs, part="compare", dataset=ds, transport=tr)
            if not rs:
                continue
            row = dict(dataset=ds, transport=tr)
            for v in VARIANTS:
                vr = pick(rs, variant=v)
                row[v] = dict(t_1e3=med(vr, "t_1e3"), times=[r.get("t_1e3") for r in vr],
                              reached=sum(r.get("t_1e3") is not None for r in vr), runs=len(vr),
                              t_1e6=med(vr, "t_1e6"), reached_1e6=sum(r.get("t_1e6") is not None for r in vr),
                              epochs_1e3=med(vr, "epochs_1e3"), wait_fraction=med(vr, "wait_fraction"),
                              cap=med(vr, "cap_seconds"), step=meta["steps"][ds].get(v))
            pet = [(row[v]["t_1e3"], v) for v in ("petuum-decay", "petuum-sqrt")
                   if row[v]["runs"] and row[v]["reached"] == row[v]["runs"]]
            d3 = row["dissvrg"]["t_1e3"] if row["dissvrg"]["reached"] == row["dissvrg"]["runs"] else None
            if pet:
                best_t, best_v = min(pet)
                row.update(better_petuum=best_v, ratio=h.ratio(d3, best_t))
                verdict = "n/a" if row["ratio"] is None else "PASS" if row["ratio"] <= GOAL_RATIO else "FAIL"
                G.append("%s (a) %s %s: dissvrg / better petuum (%s) time to 1e-3 = %s / %s s = %s (goal <= %.2f)" % (
                    verdict, ds, tr, best_v, fmt(d3, "%.3f"), fmt(best_t, "%.3f"), fmt(row["ratio"], "%.3f"),
                    GOAL_RATIO))
                bound = passes_line(meta, ds, tr, row)
                if bound:
                    G.append(bound)
            else:
                caps = [row[v]["cap"] for v in ("petuum-decay", "petuum-sqrt") if row[v]["runs"]]
                bound = h.ratio(d3, min(caps)) if caps else None
                row.update(better_petuum=None, ratio=None, ratio_bound=bound)
                G.append("%s (a) %s %s: no petuum schedule reached 1e-3 in every round within its cap; "
                         "dissvrg %s s: ratio < %s" % ("PASS" if bound is not None and bound <= GOAL_RATIO else "n/a",
                                                      ds, tr, fmt(d3, "%.3f"), fmt(bound, "%.2f")))
            longs = pick(runs, part="long", dataset=ds, transport=tr)
            d = row["dissvrg"]
            if longs:
                reached = [r for r in longs if r.get("t_1e6") is not None]
                ok = d["reached_1e6"] == d["runs"] and not reached and all(r.get("seconds") for r in longs)
                row["long"] = [dict(variant=r["variant"], status=r.get("status"), cap=r.get("cap_seconds"),
                                    t_1e6=r.get("t_1e6"), suboptimality=r.get("suboptimality"),
                                    seconds=r.get("seconds")) for r in longs]
                G.append("%s (a) %s %s: dissvrg reaches 1e-6 in %d of %d rounds (median %s s); within %gx that "
                         "(%s s): %s" % (
                             "PASS" if ok else "FAIL", ds, tr, d["reached_1e6"], d["runs"], fmt(d["t_1e6"], "%.3f"),
                             LONG_FACTOR, fmt(longs[0].get("cap_seconds"), "%.3g"),
                             "; ".join("%s %s (subopt %s at %s s)" % (
                                 r["variant"], "reached 1e-6 at %.3f s" % r["t_1e6"] if r.get("t_1e6") is not None
                                 else "did not reach 1e-6", fmt(r.get("suboptimality"), "%.2g"),
                                 fmt(r.get("seconds"), "%.3g")) for r in longs)))
            S["compare"].append(row)
        for tr in meta["transports"]:
            rs = pick(runs, part="straggler", dataset=ds, transport=tr)
            for T, S_, judged in meta.get("straggler_systems") or [(meta["trainers"], meta["servers"], True)]:
                for f in (SLOWS if judged else [JUDGED_SLOW]):
                    row = straggler_row(meta, ds, tr, T, S_, judged, f, pick(rs, slow=f, n_trainers=T, n_servers=S_))
                    if row is not None:
                        G.extend(row.pop("lines"))
                        S["straggler"].append(row)
        for tr in meta["transports"]:
            rs = pick(runs, part="tau", dataset=ds, transport=tr)
            if not rs:
                continue
            rows = []
            for t in TAUS:
                vr = pick(rs, tau=t)
                rows.append(dict(dataset=ds, transport=tr, tau=t, t_1e3=med(vr, "t_1e3"),
                                 times=[r.get("t_1e3") for r in vr],
                                 reached=sum(r.get("t_1e3") is not None for r in vr), runs=len(vr),
                                 wait_fraction=med(vr, "wait_fraction"), compute_fraction=med(vr, "compute_fraction"),
                                 max_staleness=max([r.get("max_staleness") or 0 for r in vr] or [0]),
                                 mean_staleness=med(vr, "mean_staleness"), epochs_1e3=med(vr, "epochs_1e3")))
            S["tau"] += rows
            full = [r for r in rows if r["runs"] and r["reached"] == r["runs"]]
            if full:
                best = min(full, key=lambda r: r["t_1e3"])
                G.append("info (c) %s %s best tau = %s (median time to 1e-3 %s s); wait fraction by tau %s: %s" % (
                    ds, tr, best["tau"], fmt(best["t_1e3"], "%.3f"), ",".join(TAUS),
                    " ".join(fmt(r["wait_fraction"], "%.2f") for r in rows)))
            else:
                G.append("info (c) %s %s: no tau reached 1e-3 in every round" % (ds, tr))
        for tr in meta["transports"]:
            rows, line = aggregate_rows(meta, runs, ds, tr)
            S["aggregate"] += rows
            if line:
                G.append(line)
        rs = pick(runs, part="shared", dataset=ds)
        if rs:
            row = dict(dataset=ds)
            for v in ("svrg", "reference"):
                vr = pick(rs, variant=v)
                row[v] = dict(seconds=med(vr, "seconds"), t_1e3=med(vr, "t_1e3"), t_1e6=med(vr, "t_1e6"),
                              statuses=[r.get("status") for r in vr])
            S["shared"].append(row)
            G.append("info (d) %s shared memory: svrg (2 threads) to 1e-3 %s s, to 1e-6 %s s; reference %s s" % (
                ds, fmt(row["svrg"]["t_1e3"], "%.3f"), fmt(row["svrg"]["t_1e6"], "%.3f"),
                fmt(row["reference"]["seconds"], "%.3f")))
    return S


def straggler_row(meta, ds, tr, T, S_, judged, f, rs):
    """One (system, slow factor) of the straggler part: per m variant the medians, per adaptive variant
    the ratios to fixed m over the run to 1e-3 and to 1e-6, and the goal lines (judged: the judged
    system at x4, on the run to 1e-3; everything else info). None without fixed-m runs."""
    row = dict(dataset=ds, transport=tr, slow=f, trainers=T, servers=S_, judged=judged)
    for ad in ADAPTIVE:
        vr = pick(rs, adaptive=ad)
        row[ad] = dict(
            runs=len(vr), wait_fraction=med(vr, "wait_fraction"), slowed_wait=med(vr, "slowed_wait"),
            m_end=[h.median([r["trainer_m"][i] for r in vr if r.get("trainer_m")]) for i in range(T)] if vr else [],
            m_1e3=[h.median([(r.get("m_1e3") or [None] * T)[i] for r in vr]) for i in range(T)] if vr else [],
            epochs=[h.median([r["trainer_epochs"][i] for r in vr if r.get("trainer_epochs")])
                    for i in range(T)] if vr else [])
        for key in ("1e3", "1e6"):
            row[ad].update({"others_wait_" + key: med(vr, "others_wait_" + key),
                            "waits_" + key: [r.get("others_wait_" + key) for r in vr],
                            "t_" + key: med(vr, "t_" + key), "times_" + key: [r.get("t_" + key) for r in vr],
                            "reached_" + key: sum(r.get("t_" + key) is not None for r in vr)})
    if not row["fixed"]["runs"]:
        return None
    fx, lines = row["fixed"], []
    for ad in ADAPTIVE[1:]:
        c = row[ad]
        if not c["runs"]:
            continue
        for key in ("1e3", "1e6"):
            c["wait_ratio_" + key] = h.ratio(fx["others_wait_" + key], c["others_wait_" + key])
            c["time_ratio_" + key] = h.ratio(c["t_" + key], fx["t_" + key])
        complete = fx["reached_1e3"] == fx["runs"] and c["reached_1e3"] == c["runs"] and \
            c["wait_ratio_1e3"] is not None
        ok = complete and c["wait_ratio_1e3"] >= WAIT_GOAL and c["time_ratio_1e3"] is not None and \
            c["time_ratio_1e3"] <= 1.0
        verdict = "info" if not judged or f != JUDGED_SLOW else "n/a" if not complete else "PASS" if ok else "FAIL"
        jt, js = (meta.get("straggler_systems") or [(meta["trainers"], meta["servers"], True)])[0][:2]
        why = "" if judged else (" [info, not the goal's system: %d trainer + %d server threads against the judged "
                                 "%d + %d on %s cores, so less of a trainer's wait is waiting for a core]" % (
                                     T, S_, jt, js, (meta.get("machine") or {}).get("cores", "?")))
        lines.append(
            "%s (b) %s %s T=%d S=%d trainer 0 slowed x%d, tau %s, adaptive m %s: others' wait to 1e-3 fixed / "
            "adaptive = %s / %s s = %s (goal >= %g), time to 1e-3 adaptive / fixed = %s / %s s = %s (goal <= 1); "
            "over the run to 1e-6: wait %s / %s s = %s, time %s / %s s = %s (%d+%d of %d+%d reached 1e-6)%s" % (
                verdict, ds, tr, T, S_, f, meta["tau"], "x1.05" if ad == "5%" else "+n_p",
                fmt(fx["others_wait_1e3"], "%.3f"), fmt(c["others_wait_1e3"], "%.3f"),
                fmt(c["wait_ratio_1e3"], "%.2fx"), WAIT_GOAL, fmt(c["t_1e3"], "%.3f"), fmt(fx["t_1e3"], "%.3f"),
                fmt(c["time_ratio_1e3"], "%.2f"), fmt(fx["others_wait_1e6"], "%.3f"),
                fmt(c["others_wait_1e6"], "%.3f"), fmt(c["wait_ratio_1e6"], "%.2fx"), fmt(c["t_1e6"], "%.3f"),
                fmt(fx["t_1e6"], "%.3f"), fmt(c["time_ratio_1e6"], "%.2f"), fx["reached_1e6"], c["reached_1e6"],
                fx["runs"], c["runs"], why))
    row["lines"] = lines
    return row


def passes_line(meta, ds, tr, row):
    """The (a) lower bound in data passes (one pass = n gradients of single rows): the better petuum's
    passes to 1e-3 (its trace epochs) against the least dissvrg can spend: one whole epoch, 1 + 2m/n_p
    passes (a gradient pass, then m inner steps of two row gradients each; the trace point after the
    gradient pass alone is at w~). dissvrg's trace counts an epoch as n_p + m rows, so its passes are
    its trace epochs x (1 + 2f) / (1 + f), f = m / n_p. None without a petuum that reached 1e-3."""
    best = row.get("better_petuum")
    if not best or row[best]["epochs_1e3"] is None:
        return None
    f = (meta.get("m_factor") or {}).get(ds, 1.0)
    pet, least = row[best]["epochs_1e3"], 1.0 + 2.0 * f
    bound = least / pet
    d_ep = row["dissvrg"]["epochs_1e3"]
    used = d_ep * (1.0 + 2.0 * f) / (1.0 + f) if d_ep is not None else None
    row.update(petuum_passes=pet, dissvrg_least_passes=least, passes_bound=bound, dissvrg_passes=used)
    return ("info (a) %s %s lower bound: %s needed %.1f passes to 1e-3; dissvrg (m = %g n_p) cannot stop before "
            "its first epoch, 1 + 2m/n_p = %.2f passes, so at equal cost per pass its ratio is >= %.2f (goal <= %.2f: "
            "%s); dissvrg used %s passes" % (
                ds, tr, best, pet, f, least, bound, GOAL_RATIO,
                "unreachable on this data" if bound > GOAL_RATIO else "reachable", fmt(used, "%.1f")))


def aggregate_rows(meta, runs, ds, tr):
    """The aggregate part of one (dataset, transport): a row per (tau, solver, rule) and the info line."""
    rows = []
    rs = pick(runs, part="aggregate", dataset=ds, transport=tr)
    for t in dict.fromkeys(r["tau"] for r in rs):
        for v in dict.fromkeys(r["variant"] for r in rs):
            for g in AGGREGATES:
                vr = pick(rs, tau=t, variant=v, aggregate=g)
                if vr:
                    rows.append(dict(dataset=ds, transport=tr, tau=t, variant=v, aggregate=g, runs=len(vr),
                                     t_1e3=med(vr, "t_1e3"), times_1e3=[r.get("t_1e3") for r in vr],
                                     reached_1e3=sum(r.get("t_1e3") is not None for r in vr),
                                     t_1e6=med(vr, "t_1e6"), reached_1e6=sum(r.get("t_1e6") is not None for r in vr),
                                     suboptimality=med(vr, "suboptimality"), seconds=med(vr, "seconds"),
                                     statuses=[r.get("status") for r in vr], wait_fraction=med(vr, "wait_fraction"),
                                     cap=med(vr, "cap_seconds")))
    if not rows:
        return rows, None
    parts = []
    for t in dict.fromkeys(r["tau"] for r in rows):
        cells = []
        for v in dict.fromkeys(r["variant"] for r in rows if r["tau"] == t):
            cells.append("%s %s" % (v, " vs ".join(
                "%s|%s (%s)" % (fmt(r["t_1e3"], "%.3f"), fmt(r["t_1e6"], "%.3f"), fmt(r["suboptimality"], "%.1e"))
                for r in rows if (r["tau"], r["variant"]) == (t, v))))
        parts.append("tau %s: %s" % (t, "; ".join(cells)))
    line = ("info (agg) %s %s, median s to 1e-3|1e-6 (final subopt), --aggregate delta vs average: %s" % (
        ds, tr, " -- ".join(parts)))
    return rows, line


# --------------------------------------------------------------------------- figure
def plot(meta, S, runs, path):
    dsets = meta["datasets"]
    fig, axes = h.panels(3 * len(dsets), 3, 5.2, 4.0)
    colors = {"dissvrg": "tab:blue", "petuum-decay": "tab:orange", "petuum-sqrt": "tab:red"}
    for i, ds in enumerate(dsets):
        ax0, ax1, ax2 = axes[3 * i: 3 * i + 3]
        # (a) one trace per variant (the first threaded round)
        for v in VARIANTS:
            rs = [r for r in runs if (r.get("part"), r.get("dataset"), r.get("variant"), r.get("transport")) ==
                  ("compare", ds, v, "threads") and r.get("curve")]
            if rs:
                c = [p for p in rs[0]["curve"] if p[2] > 0]
                ax0.plot([p[0] for p in c], [p[1] for p in c], color=colors[v],
                         label="%s, step %.3g (round 1)" % (v, meta["steps"][ds].get(v) or 0))
        for lr in [r for r in runs if (r.get("part"), r.get("dataset"), r.get("transport")) ==
                   ("long", ds, "threads") and r.get("curve")]:
            c = [p for p in lr["curve"] if p[2] > 0]
            ax0.plot([p[0] for p in c], [p[1] for p in c], color=colors[lr["variant"]], ls=":", lw=1,
                     label="%s, long run" % lr["variant"])
        ax0.axhline(TARGET, color="gray", ls="--", lw=0.8)
        ax0.axhline(DEEP, color="gray", ls=":", lw=0.8)
        ax0.set_yscale("log")
        ax0.set_xscale("log")
        ax0.set_xlabel("solver seconds (log)")
        ax0.set_ylabel("(F - f*) / f*")
        ax0.set_title("%s: dissvrg vs petuum-sgd (T=%d, S=%d, tau=%s)" % (ds, meta["trainers"], meta["servers"],
                                                                          meta["tau"]), fontsize=9)
        ax0.legend(fontsize=7)
        # (b) stragglers: the other trainers' wait to 1e-3, fixed vs adaptive m (every system and factor)
        rows = [r for r in S["straggler"] if r["dataset"] == ds and r["transport"] == "threads"]
        mcolors = {"fixed": "tab:gray", "5%": "tab:green", "n_p": "tab:purple"}
        for j, r in enumerate(rows):
            for k, key in enumerate(ADAPTIVE):
                x = j + (k - 1) * 0.25
                ys = [y for y in r[key].get("waits_1e3", []) if y is not None]
                ax1.scatter([x] * len(ys), ys, s=12, color=mcolors[key],
                            label=("m %s" % {"fixed": "fixed", "5%": "x1.05", "n_p": "+n_p"}[key]) if j == 0 else None)
                if r[key].get("others_wait_1e3") is not None:
                    ax1.plot([x - 0.1, x + 0.1], [r[key]["others_wait_1e3"]] * 2, color=mcolors[key], lw=2)
        ax1.set_xticks(range(len(rows)))
        ax1.set_xticklabels(["T%d S%d x%d" % (r["trainers"], r["servers"], r["slow"]) for r in rows], fontsize=8)
        ax1.set_ylim(bottom=0)
        ax1.set_ylabel("other trainers' total wait to 1e-3 (s)")
        ax1.set_title("%s: stragglers, tau=%s (bar = median)" % (ds, meta["tau"]), fontsize=9)
        ax1.legend(fontsize=7)
        # (c) tau sweep
        rows = [r for r in S["tau"] if r["dataset"] == ds and r["transport"] == "threads"]
        if rows:
            xs = range(len(rows))
            ax2.bar([x - 0.2 for x in xs], [r["wait_fraction"] or 0 for r in rows], width=0.4, color="tab:gray",
                    label="wait fraction")
            ax2.bar([x + 0.2 for x in xs], [r["compute_fraction"] or 0 for r in rows], width=0.4,
                    color="tab:cyan", label="compute fraction")
            ax2.set_ylim(0, 1.05)
            ax2.set_xticks(list(xs))
            ax2.set_xticklabels(["tau %s" % r["tau"] for r in rows], fontsize=8)
            ax2.set_ylabel("fraction of trainer time")
            a2 = ax2.twinx()
            a2.plot(list(xs), [r["t_1e3"] if r["t_1e3"] is not None else float("nan") for r in rows], "o-",
                    color="tab:blue", label="time to 1e-3")
            a2.set_ylim(bottom=0)
            a2.set_ylabel("median seconds to 1e-3", color="tab:blue")
            ax2.legend(fontsize=7, loc="upper left")
            ax2.set_title("%s: tau sweep" % ds, fontsize=9)
    m = meta["machine"]
    fig.suptitle("dissvrg_goals: %s; %s, %d cores, load %.1f-%.1f" % (
        meta["binary"]["version"], m["cpu"], m["cores"], meta["load_start"][0], meta["load_end"][0]), fontsize=9)
    h.save_figure(fig, path)


# --------------------------------------------------------------------------- markdown
def markdown(meta, S, runs, prefix):
    m = meta["machine"]
    la, lb = meta["load_start"], meta["load_end"]
    loads = [r.get("load1") for r in runs if r.get("load1") is not None]
    L = ["# DisSVRG vs PetuumSGD: the goals of issue 16", "",
         "Generated by `%s` (repository at %s) in %.0f s." % (meta["command"], meta["git_commit"],
                                                              meta["elapsed_seconds"]), "",
         "Machine: %s. Load average (1 / 5 / 15 min) at start %s%s, at end %s; the 1-minute load before each run "
         "ranged %s (it counts this benchmark's own %d busy trainers and any other jobs)." % (
             h.machine_text(m), " / ".join("%.2f" % x for x in la),
             " -- **HIGH (> 1.5): the cores were shared with other jobs; times are noisy**" if la[0] > 1.5 else "",
             " / ".join("%.2f" % x for x in lb), span(loads, "%.2f"), meta["trainers"]), "",
         "* binary: `%s`: %s" % (meta["binary"]["path"], meta["binary"]["version"]),
         "* system: T = %d trainer threads, S = %d servers (master + %d block server), tau = %s, dissvrg's m = %s "
         "(the sweep's choice; n_p = the trainer's shard rows), `--aggregate delta` (but in the aggregation part), "
         "seed 1. On this %d-core machine the %d trainers and %d servers share "
         "the cores (oversubscribed: a trainer's time includes waiting for a core, which no counter separates "
         "from computing)." % (meta["trainers"], meta["servers"], meta["servers"] - 1, meta["tau"],
                               ", ".join("%s %g n_p" % (d, f) for d, f in (meta.get("m_factor") or {}).items()) or
                               "n_p", m["cores"],
                               meta["trainers"], meta["servers"]),
         "* MPI: %s" % (meta["mpi_skipped"] or "`%s -np %d`" % (" ".join([meta["mpiexec"] or "?"] +
                                                                         meta["mpiexec_flags"]),
                                                                meta["servers"] + meta["trainers"])),
         "* data: %s" % "; ".join("%s %s (%d rows, f* %.12g)" % (ds, meta["data"][ds], meta["rows"][ds],
                                                                 meta["f_star"][ds]) for ds in meta["datasets"]),
         "* problem flags: %s" % "; ".join("%s `%s`" % (ds, " ".join(meta["problem_args"][ds][2:]))
                                           for ds in meta["datasets"]),
         "* %d interleaved rounds; medians (min-max). Times: solver clock (`seconds`) at the first trace point "
         "(every %g epochs) at or below the target; trace points evaluate F on the trainers, off the clock. "
         "Caps: %s." % (meta["repeats"], meta["trace_every"],
                        "; ".join("%s %.3g s" % (ds, c) for ds, c in meta["caps"].items())), "",
         "## Goals", "", "```"] + S["goals"] + ["```", ""]
    # steps
    L += ["## Steps", "",
          "Chosen by the pattern search of the docstring (eta = 2^k x the solver's default rule; one run per "
          "point to 1e-3 on threads; the fewest epochs to 1e-3 wins; dissvrg is searched at each m of %s x n_p "
          "and the m whose best step took the fewest seconds to 1e-3 wins, as its epoch's cost depends on m)%s." % (
              ", ".join("%g" % f for f in M_SWEEP),
              " -- **taken from the configs (`--steps-from-configs`), not swept**" if meta["steps_from_configs"]
              else ""), ""]
    rows = []
    for ds in meta["datasets"]:
        sw = (meta.get("sweeps") or {}).get(ds) or {}
        for v in VARIANTS:
            s = sw.get(v) or {}
            tried = sorted(s.get("runs", []), key=lambda r: r["k"])
            if v == "dissvrg":
                tried = sorted(tried, key=lambda r: (-r.get("m_factor", 1.0), r["k"]))
            mf = (meta.get("m_factor") or {}).get(ds, 1.0) if v == "dissvrg" else None
            rows.append([ds, v, fmt(meta["steps"][ds].get(v), "**%.4g**"),
                         "**%g n_p = %d**" % (mf, round(mf * meta["shard_rows"][ds])) if mf and "shard_rows" in meta
                         else "-", fmt(s.get("default"), "%.4g"), fmt(s.get("k"), "2^%d"),
                         ", ".join("%s%.3g: %s" % ("m %g n_p " % r["m_factor"] if "m_factor" in r else "", r["step"],
                                                   "%.1f ep, %.3f s" % (r["epochs_1e3"], r["t_1e3"])
                                                   if score(r) else r.get("status")) for r in tried) or "-"])
    L += h.md_table(["dataset", "solver", "chosen step", "chosen m", "default rule", "factor",
                     "tried (step: epochs and seconds to 1e-3)"], rows)
    # (a)
    L += ["", "## (a) Time to 1e-3: dissvrg vs petuum-sgd", ""]
    rows = []
    for r in S["compare"]:
        for v in VARIANTS:
            c = r[v]
            rows.append([r["dataset"], r["transport"], v, fmt(c["step"], "%.4g"),
                         "%s (%s)" % (fmt(c["t_1e3"], "%.3f"), span(c["times"], "%.3f")), fmt(c["epochs_1e3"], "%.1f"),
                         "%d/%d" % (c["reached"], c["runs"]), fmt(c["t_1e6"], "%.3f"),
                         "%d/%d" % (c["reached_1e6"], c["runs"]), fmt(c["wait_fraction"], "%.2f"),
                         fmt(r.get("ratio"), "**%.2f**") if v == "dissvrg" else ""])
    L += h.md_table(["dataset", "transport", "solver", "step", "s to 1e-3", "epochs to 1e-3", "reached 1e-3",
                     "s to 1e-6", "reached 1e-6", "wait fraction", "ratio to better petuum"], rows)
    longs = [r for r in runs if r.get("part") == "long"]
    if longs:
        L += ["", "Long runs (each petuum schedule once, target 1e-6, capped at %gx dissvrg's median time to 1e-6):"
              % LONG_FACTOR, ""]
        L += h.md_table(["dataset", "transport", "solver", "cap s", "status", "s to 1e-3", "s to 1e-6",
                         "final subopt"],
                        [[r["dataset"], r["transport"], r["variant"], fmt(r.get("cap_seconds"), "%.3g"),
                          r.get("status"), fmt(r.get("t_1e3"), "%.3f"), fmt(r.get("t_1e6"), "%.3f"),
                          fmt(r.get("suboptimality"), "%.2g")] for r in longs])
    # (b)
    if S["straggler"]:
        L += ["", "## (b) Stragglers: trainer 0 (member S) slowed, tau = %s" % meta["tau"], "",
              "`--fault slow:S:F` makes trainer 0 sleep (F - 1) x its busy time. m: fixed; adaptive x1.05 "
              "(`--adaptive-m`, the authors' code); adaptive +n_p (`--adaptive-m --m-delta n_p`, the paper's "
              "m + delta with delta = the shard rows). Every run goes to 1e-6; the others' wait = the sum over "
              "trainers 1..T-1 of their `wait_seconds` at their last pull served at or before the trace point "
              "that reached 1e-3 (1e-6), from `--trainer-trace` (a wait under way then is not counted). m at 1e-3: "
              "each trainer's m then (median over rounds). The goal is judged on the first system at x4; the "
              "other system is reported because on this %s-core machine T + S threads above the cores make a "
              "trainer's wait include waiting for a core." % ((meta.get("machine") or {}).get("cores", "?")), ""]
        rows = []
        for r in S["straggler"]:
            for key in ADAPTIVE:
                c = r[key]
                if not c["runs"]:
                    continue
                rows.append(["%s T%d S%d" % (r["dataset"], r["trainers"], r["servers"]), r["transport"],
                             "x%d" % r["slow"], {"fixed": "fixed", "5%": "x1.05", "n_p": "+n_p"}[key],
                             "%s (%s)" % (fmt(c["others_wait_1e3"], "%.3f"), span(c["waits_1e3"], "%.3f")),
                             "%s (%s)" % (fmt(c["t_1e3"], "%.3f"), span(c["times_1e3"], "%.3f")),
                             "%s (%s)" % (fmt(c["others_wait_1e6"], "%.3f"), span(c["waits_1e6"], "%.3f")),
                             "%s (%d/%d)" % (fmt(c["t_1e6"], "%.3f"), c["reached_1e6"], c["runs"]),
                             fmt(c["slowed_wait"], "%.3f"), fmt(c["wait_fraction"], "%.2f"),
                             " / ".join(fmt(x, "%.0f") for x in c["epochs"]),
                             " / ".join(fmt(x, "%.0f") for x in c["m_1e3"]),
                             " / ".join(fmt(x, "%.0f") for x in c["m_end"]),
                             fmt(c.get("wait_ratio_1e3"), "**%.2fx**"), fmt(c.get("time_ratio_1e3"), "%.2f"),
                             fmt(c.get("wait_ratio_1e6"), "%.2fx"), fmt(c.get("time_ratio_1e6"), "%.2f")])
        L += h.md_table(["dataset, system", "transport", "slow", "m", "others' wait to 1e-3 s", "s to 1e-3",
                         "others' wait to 1e-6 s", "s to 1e-6", "slowed trainer's wait s (end)",
                         "wait fraction (end)", "trainer epochs (end)", "m at 1e-3", "m at the end",
                         "wait fixed/adaptive to 1e-3", "time adaptive/fixed to 1e-3", "wait fixed/adaptive to 1e-6",
                         "time adaptive/fixed to 1e-6"], rows)
    # (c)
    if S["tau"]:
        L += ["", "## (c) tau sweep", "",
              "Wait fraction: the summary's `wait_fraction` (the trainers' waiting for a reply over the solver "
              "time); compute fraction = 1 - wait fraction. Staleness: the largest and the mean of the staleness "
              "histogram (replies served with the trainer that many epochs ahead of the slowest).", ""]
        L += h.md_table(["dataset", "transport", "tau", "s to 1e-3", "epochs to 1e-3", "reached", "wait fraction",
                         "compute fraction", "max staleness", "mean staleness"],
                        [[r["dataset"], r["transport"], r["tau"],
                          "%s (%s)" % (fmt(r["t_1e3"], "%.3f"), span(r["times"], "%.3f")), fmt(r["epochs_1e3"], "%.1f"),
                          "%d/%d" % (r["reached"], r["runs"]), fmt(r["wait_fraction"], "%.3f"),
                          fmt(r["compute_fraction"], "%.3f"), r["max_staleness"], fmt(r["mean_staleness"], "%.2f")]
                         for r in S["tau"]])
    # aggregation rules
    if S.get("aggregate"):
        L += ["", "## Aggregation rules (no goal)", "",
              "`--aggregate delta` (w += (w_trainer - w_pulled) / T) against `average` (w = the mean of the "
              "trainers' latest models), each solver with its swept step (and dissvrg's swept m), to 1e-6; the "
              "petuum schedule is the one whose sweep reached 1e-3 in fewer seconds (%s), capped at %s. Final "
              "subopt: the summary's, at the stop (target or cap)." % (
                  "; ".join("%s %s" % (d, v) for d, v in (meta.get("agg_petuum") or {}).items()),
                  "; ".join("%s %.3g s" % (d, c) for d, c in (meta.get("agg_caps") or {}).items())), ""]
        L += h.md_table(["dataset", "transport", "tau", "solver", "aggregate", "s to 1e-3", "reached 1e-3",
                         "s to 1e-6", "reached 1e-6", "final subopt", "seconds", "wait fraction"],
                        [[r["dataset"], r["transport"], r["tau"], r["variant"], r["aggregate"],
                          "%s (%s)" % (fmt(r["t_1e3"], "%.3f"), span(r["times_1e3"], "%.3f")),
                          "%d/%d" % (r["reached_1e3"], r["runs"]), fmt(r["t_1e6"], "%.3f"),
                          "%d/%d" % (r["reached_1e6"], r["runs"]), fmt(r["suboptimality"], "%.2g"),
                          fmt(r["seconds"], "%.3f"), fmt(r["wait_fraction"], "%.2f")] for r in S["aggregate"]])
    # (d)
    if S["shared"]:
        L += ["", "## (d) Shared memory, beside them (no goal)", "",
              "svrg: `--solver svrg --threads 2` (its default step), to 1e-6; reference: Newton-CG to its "
              "certificate (`seconds`).", ""]
        L += h.md_table(["dataset", "svrg s to 1e-3", "svrg s to 1e-6", "reference s", "statuses"],
                        [[r["dataset"], fmt(r["svrg"]["t_1e3"], "%.3f"), fmt(r["svrg"]["t_1e6"], "%.3f"),
                          fmt(r["reference"]["seconds"], "%.3f"),
                          "svrg %s; reference %s" % (", ".join(r["svrg"]["statuses"]),
                                                     ", ".join(r["reference"]["statuses"]))] for r in S["shared"]])
    L += (["", "![](%s.png)" % prefix] if runs else []) + [
        "", "Every run, with its command, the load before it and the provenance of its summary: `%s.csv`, `%s.json`%s."
        % (prefix, prefix, "; the sweep's runs: `%s_sweep.csv`" % prefix if meta.get("sweeps") else "")]
    return L


# --------------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.split("\n")[1:]))
    ap.add_argument("--binary", default=os.path.join(ROOT, "build/release/src/cli/asyncopt"))
    ap.add_argument("--build", default=os.path.join(ROOT, "build/release"), help="the CMake build dir (mpiexec)")
    ap.add_argument("--mpiexec", help="default: MPIEXEC_EXECUTABLE of BUILD's cache")
    ap.add_argument("--mpiexec-flags", help="default: ASYNCOPT_MPIEXEC_FLAGS of BUILD's cache")
    ap.add_argument("--mpi-threads", type=int, default=1, help="--threads of each rank under mpirun (default 1)")
    ap.add_argument("--datasets", default=",".join(DATASETS))
    ap.add_argument("--rows", type=int, help="rows of the generated yearmsd set (default 463715)")
    ap.add_argument("--transports", default="threads,mpi")
    ap.add_argument("--parts", default="compare,shared,straggler,tau,aggregate,long",
                    help="what to run after the sweep ('' = the sweep alone)")
    ap.add_argument("--variants", default=",".join(VARIANTS), help="the solvers swept and compared")
    ap.add_argument("--repeats", type=int, default=3, help="interleaved rounds (default 3)")
    ap.add_argument("--trainers", type=int, help="T (default: the configs' threads, 4)")
    ap.add_argument("--servers", type=int, help="S (default: the configs' servers, 2)")
    ap.add_argument("--tau", help="the staleness of every cell but the tau sweep (default: the configs', 4)")
    ap.add_argument("--straggler-trainers", type=int, default=4, help="T of the judged straggler system (default 4)")
    ap.add_argument("--straggler-servers", type=int, default=2, help="S of the judged straggler system (default 2)")
    ap.add_argument("--straggler-info-system", default="%d:%d" % INFO_SYSTEM,
                    help="T:S of the straggler part's info system, slowed x4 only ('' = none; default 2:1)")
    ap.add_argument("--trace-every", type=float, default=1.0, help="epochs between trace points (default 1)")
    ap.add_argument("--sweep-cap", type=float, default=60.0, help="seconds per sweep run (default 60)")
    ap.add_argument("--sweep-epochs", type=int, default=2000, help="epochs per sweep run (default 2000)")
    ap.add_argument("--cap-factor", type=float, default=30.0,
                    help="cap of a run: this x dissvrg's sweep time to 1e-3, at least 10 s (default 30)")
    ap.add_argument("--resweep", action="store_true", help="sweep the steps again even when WORK has them")
    ap.add_argument("--steps-from-configs", action="store_true", help="no sweep: the configs' steps")
    ap.add_argument("--work", default=os.path.join(ROOT, "build/bench-work/dissvrg"),
                    help="generated data, decompressed cadata, the f* cache, the sweeps' results, kept runs")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench/results"))
    ap.add_argument("--prefix", default="dissvrg_goals")
    ap.add_argument("--replot", action="store_true", help="no runs: redo the tables and figure from OUT/PREFIX.json")
    a = ap.parse_args()
    base = os.path.join(a.out, a.prefix)
    if a.replot:
        return h.replot(a, write_outputs)
    h.check_binary(ap, a)
    a.datasets = [d for d in a.datasets.split(",") if d]
    for d in a.datasets:
        if d not in DATASETS:
            ap.error("--datasets: unknown %r (have %s)" % (d, ",".join(DATASETS)))
    transports = [t for t in a.transports.split(",") if t]
    a.parts = [p for p in a.parts.split(",") if p]
    for t in transports:
        if t not in ("threads", "mpi"):
            ap.error("--transports: %r is not threads or mpi" % t)
    for p in a.parts:
        if p not in ("compare", "shared", "straggler", "tau", "aggregate", "long"):
            ap.error("--parts: unknown %r" % p)
    a.variants = [v for v in a.variants.split(",") if v]
    for v in a.variants:
        if v not in VARIANTS:
            ap.error("--variants: unknown %r (have %s)" % (v, ",".join(VARIANTS)))
    if "dissvrg" not in a.variants:
        ap.error("--variants must include dissvrg (the straggler and tau parts and the caps use its step)")
    if a.repeats < 1 or not a.trace_every > 0 or not a.sweep_cap > 0 or not a.cap_factor > 0 or \
            (a.rows is not None and a.rows < 100) or a.mpi_threads < 1 or a.sweep_epochs < 1:
        ap.error("--repeats, --mpi-threads, --sweep-epochs must be >= 1, --rows >= 100, --trace-every, --sweep-cap, "
                 "--cap-factor > 0")
    cfg = h.read_ini(os.path.join(ROOT, DATASETS["yearmsd"]["configs"]["dissvrg"]))
    a.trainers = a.trainers or int(cfg.get("threads", 4))
    a.servers = a.servers or int(cfg.get("servers", 2))
    a.tau = a.tau or cfg.get("staleness", "4")
    if a.trainers < 1 or a.servers < 1 or a.straggler_trainers < 2 or a.straggler_servers < 1:
        ap.error("--trainers, --servers, --straggler-servers must be >= 1, --straggler-trainers >= 2")
    try:
        a.straggler_info = tuple(int(x) for x in a.straggler_info_system.split(":")) \
            if a.straggler_info_system else None
        if a.straggler_info is not None and (len(a.straggler_info) != 2 or a.straggler_info[0] < 2 or
                                             a.straggler_info[1] < 1):
            raise ValueError
    except ValueError:
        ap.error("--straggler-info-system: %r is not T:S with T >= 2, S >= 1 (or '')" % a.straggler_info_system)
    a.work = os.path.abspath(a.work)
    a.cache = os.path.join(a.work, "cache")
    os.makedirs(a.cache, exist_ok=True)
    os.makedirs(a.out, exist_ok=True)
    a.timeout_bin = shutil.which("timeout")
    a.mpiexec, a.mpiexec_flags = h.mpi_launcher(a.build, a.mpiexec, a.mpiexec_flags)
    command = "/usr/bin/python3 bench/dissvrg_goals.py " + " ".join(shlex.quote(x) for x in sys.argv[1:])
    load_start, t0 = h.loadavg(), time.time()

    a.problems, a.fstar, a.shard_rows, a.rows_of, data_of = {}, {}, {}, {}, {}
    rows_of = a.rows_of
    for ds in a.datasets:
        a.problems[ds], rows_of[ds], _ = problem_of(a, ds)
        data_of[ds] = a.problems[ds][1]
        a.shard_rows[ds] = rows_of[ds] // a.trainers
        a.fstar[ds], wall = h.optimum_via_cache(a.binary, a.problems[ds], a.cache, timeout=1800)
        if a.fstar[ds] is None:
            sys.exit("asyncopt optimum gave no f* for %s" % ds)
        log("== %s: %d rows, f* %.12g (%.1f s)" % (ds, rows_of[ds], a.fstar[ds], wall))
    mpi_skipped = None
    if "mpi" in transports:
        if not a.timeout_bin:
            mpi_skipped = "coreutils `timeout` not found (it bounds the MPI runs)"
        else:
            mpi_skipped = mpi_probe(a, min(a.datasets, key=lambda d: rows_of[d]))
        if mpi_skipped:
            log("== MPI cells skipped: %s" % mpi_skipped)
            transports.remove("mpi")

    a.steps, sweeps, a.caps, a.m_factor, a.agg_petuum, a.agg_caps = {}, {}, {}, {}, {}, {}
    for ds in a.datasets:
        a.steps[ds], sweeps[ds], a.m_factor[ds] = steps_for(a, ds)
        log("== %s: steps %s, dissvrg m = %g n_p" % (ds, a.steps[ds], a.m_factor[ds]))
        a.agg_petuum[ds] = better_petuum(a, ds, sweeps[ds])
        t_ref = (sweeps[ds] or {}).get("dissvrg", {}).get("t_1e3")
        a.caps[ds] = max(10.0, a.cap_factor * t_ref) if t_ref else a.sweep_cap * 5
        a.agg_caps[ds] = max(1.0, LONG_FACTOR * t_ref) if t_ref else 10.0
        if not a.steps[ds].get("dissvrg"):
            sys.exit("%s: no dissvrg step reached 1e-3 in the sweep (see WORK/sweep-*.json)" % ds)

    cells = cells_for(a, transports)
    runs = h.interleaved(cells, a.repeats, lambda cell, r: run_cell(a, cell, r))
    if "long" in a.parts and "compare" in a.parts:
        runs += long_runs(a, runs, transports)
    meta = dict(command=command, machine=h.machine(), git_commit=h.git_commit(), load_start=load_start,
                load_end=h.loadavg(), elapsed_seconds=time.time() - t0, repeats=a.repeats, datasets=a.datasets,
                transports=transports, parts=a.parts, variants=a.variants, mpi_skipped=mpi_skipped, trainers=a.trainers,
                servers=a.servers, tau=a.tau, trace_every=a.trace_every, rows=rows_of, data=data_of,
                problem_args=a.problems, f_star=a.fstar, steps=a.steps, sweeps=sweeps, caps=a.caps,
                steps_from_configs=a.steps_from_configs,
                binary=dict(path=a.binary, version=h.binary_version(a.binary)), mpiexec=a.mpiexec,
                mpiexec_flags=a.mpiexec_flags, sweep_cap=a.sweep_cap, cap_factor=a.cap_factor,
                m_factor=a.m_factor, shard_rows=a.shard_rows, agg_petuum=a.agg_petuum, agg_caps=a.agg_caps,
                straggler_systems=straggler_systems(a) if "straggler" in a.parts else [])
    write_outputs(base, a.prefix, meta, runs)


def write_outputs(base, prefix, meta, runs):
    S = summarise(meta, runs)
    h.write_csv(base + ".csv", runs, [
        "part", "dataset", "transport", "variant", "slow", "adaptive", "n_trainers", "n_servers", "aggregate", "tau",
        "round", "status", "seconds", "epochs", "t_1e3", "epochs_1e3", "t_1e6", "epochs_1e6", "suboptimality",
        "wait_fraction", "compute_fraction", "others_wait_1e3", "others_wait_1e6", "others_wait_end", "slowed_wait",
        "m_1e3", "m_1e6", "max_staleness", "mean_staleness", "staleness_histogram", "trainer_epochs",
        "trainer_waits", "trainer_m", "step_used", "exchanges", "bytes_sent", "bytes_returned", "wall", "cap_seconds",
        "load1", "f_star_source", "commit", "binary_version", "cpu", "cores", "date", "command"])
    sweep_runs = [r for sw in (meta.get("sweeps") or {}).values() for s in (sw or {}).values()
                  for r in s.get("runs", [])]
    if sweep_runs:
        h.write_csv(base + "_sweep.csv", sweep_runs, ["dataset", "variant", "m_factor", "m", "k", "step",
                                                      "default_step", "status",
                                                      "seconds", "t_1e3", "epochs_1e3", "wait_fraction", "wall",
                                                      "cap_seconds", "command"])
    h.write_json(base + ".json", dict(meta=meta, summary=S, goals=S["goals"], runs=runs))
    if runs:  # a sweep alone has nothing to draw
        plot(meta, S, runs, base + ".png")
    h.write_report(base, markdown(meta, S, runs, prefix), S["goals"])


if __name__ == "__main__":
    main()
