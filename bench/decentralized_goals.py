#!/usr/bin/python3
"""Decentralized SGD with a quorum: the goals of issue 18 (faults, agreement, internal convergence).

`asyncopt train --solver decentralized` (Attiya & Schiller, paper 001): n =
--threads nodes, each with its own row shard and model; round t: y = x -
eta_t g (a mini-batch of its shard), <t, y> to every node, wait for round-t
models from a quorum, average them, then MidExtremes agreement inside the
node's cluster (--clusters C, --agreement-rounds R); a node holding a quorum of
a later round skips to it. `--solver gossip` is the baseline: y to one random
peer, x = the mean of y and what arrived, never waiting. Every run: 8 nodes
(--nodes), --clusters 2 (decentralized), agreement rounds 2 (the default) but
in part (b), threads (the only transport so far), seed = round + 1.

Problems (f* from the reference solver, computed once through WORK/cache before
any timed run; suboptimality (F - f*) / f* of the mean of the live nodes):
  rcv1-vw-small  l2-regularised logistic, --l2 1e-3 (SODA's and svrg_large's
                 value for this set; at 1e-4 a constant step's noise floor sits
                 above 1e-3: 1.3e-2 after 200 epochs at batch 1, 1.3e-3 after
                 540 at batch 10), --batch-size 64, --step 2 (the default
                 1/L_max is 3.98; at batch 32 and the default step the
                 mean's suboptimality hovers at 1.3-2e-3, so 1e-3 would be hit
                 by noise, not by convergence).
  cadata         least squares on max-abs scaled columns (--loss squared
                 --scale maxabs), --l2 1e-4, --batch-size 64, --step 0.1 (the
                 default 1/L_max is 0.195; at batch 16 its suboptimality
                 jumps between 1e-3 and 1e-2 from one epoch to the next).
  mnist          part (c) only: the perceptron of issue 17 (--model-kind mlp
                 --hidden 100 --scale maxabs --l2 1e-4, test accuracy on
                 mnist.t), --batch-size 32, no f* (--f-star skip).

Parts:
  faults  (a), --repeats interleaved rounds (every cell once a round, every
          other round in reverse order), per dataset:
            none        decentralized, majority quorum (5 of 8), fault-free
            faulty      the same with node 7 crashed at its 50th step and node 2
                        slowed x10: --fault crash:7@50,slow:2:10
            crash-only, slow-only   the same with one of the two faults (info:
                        which fault costs what)
            all         --quorum all, fault-free (info: what waiting for all costs
                        without a fault)
            all-slow    --quorum all --fault slow:2:10
            all-crash   --quorum all --fault crash:7@50 --quorum-timeout 5: must end
                        as no_quorum (exit 7) naming node 7, never hang
            gossip      --solver gossip, fault-free
            gossip-faulty  --solver gossip --fault crash:7@50,slow:2:10
          Every run: --target-subopt --target (1e-3), trace every
          --trace-every epochs (5: the target is read at a trace point), capped
          at the dataset's --cap seconds of solver time (a run that has not
          reached the target by then ends as time_limit: its time is only
          known to exceed the cap). Time to the target: the summary's
          `seconds` of a target_reached run (solver time; the trace
          evaluations are off the clock). Bytes: the trace's bytes_sent (all
          nodes' messages) at the first point at or below the target, or at
          the end. A run is killed as a hang after cap + 120 s of wall time.
  agree   (b) decentralized, fault-free, majority, --agreement-rounds 0 and
          --agree-rounds (3), --clusters 2, --agree-epochs epochs each
          (--b-repeats rounds): the trace's diameter (the slides' Delta_cw:
          the coordinate widths of the live nodes' models, summed) and the
          largest distance to the mean against rounds per node (the trace's
          exchanges, the nodes' rounds summed, / 8) and epochs.
  internal  (c) decentralized, fault-free, majority, decreasing step eta_t =
          step / (1 + t)^alpha (--c-power, 1: the faster decay of the two the
          issue names), one run per problem of --c-seconds solver seconds, and
          before it a start run (same seed) over the long run's first trace
          interval (rounded up to whole epochs) with 50 trace points: does the diameter fall to 1e-6 of its
          early maximum (the largest value of the start run and of the long
          run's first 10% of points; the nodes start equal) and stay there (the
          largest value of the long run's last 10%)? The row written after the
          nodes stopped (the final model, evaluated once more) is left out: a
          node stops wherever it is in its round. Beside it the first point at
          or below the threshold (an exact 0 can occur when all nodes happen
          to average the same set of models) and, from a least-squares line of
          log diameter against log rounds over the long run after its first 10%,
          the slope and the rounds that line needs to reach the threshold.
          mnist's eta0 is 0.5: the mlp's default 0.05 divided by (1 + t)
          stops learning within 2 epochs (objective 2.43 -> 2.05).

Goals (issue 18), one line each:
  (a) per dataset: the faulty majority's median time to 1e-3 <= 1.2 x the
      fault-free median; --quorum all with the slow node >= 3 x the
      fault-free median; --quorum all with the crashed node: every run ends
      with status no_quorum, exit code 7, the message naming node 7 missing,
      within --quorum-timeout (solver seconds <= timeout + 3: the crash comes
      at node 7's 50th step) and a wall time <= timeout + 60 s (loading,
      never a hang). A median over runs that did not all reach the target
      counts those as "more than their cap": the verdict is PASS or FAIL
      when that bound decides it, else INCONCLUSIVE.
  (a) info per dataset: gossip's times to 1e-3 (or best suboptimality) and the
      bytes of every configuration.
  (b) info per dataset: the median diameter with agreement against without.
  (c) per problem: the diameter falls to <= 1e-6 of its early maximum and stays.

Seconds are load-sensitive and the machine has few cores (8 nodes on 2 cores
here: 4 threads a core): rounds are interleaved, ranges are reported with the
medians and every run records the 1-minute load average at its start (which
counts this benchmark's own threads) and the share of the machine's CPU other
processes used while it ran (/proc/stat's busy time minus the run's own).

Usage (always /usr/bin/python3, from anywhere; build with the release preset):
  /usr/bin/python3 bench/decentralized_goals.py [--parts faults,agree,internal]
      [--datasets rcv1-vw-small,cadata] [--problems rcv1-vw-small,cadata,mnist]
      [--repeats 3] [--target 1e-3] [--cap rcv1-vw-small=30,cadata=15] [--c-seconds 60]
      [--binary B] [--work DIR] [--out bench/results] [--prefix P]
  /usr/bin/python3 bench/decentralized_goals.py --smoke --out /tmp/dg   # ~2 min, not a measurement
  /usr/bin/python3 bench/decentralized_goals.py --replot   # tables and figure again from the JSON
A run of some parts (datasets, configs, problems) keeps the other runs from OUT/PREFIX.json.
Outputs: OUT/PREFIX.{csv,json,md,png}, PREFIX = decentralized_goals
(decentralized_goals_smoke with --smoke).
"""

import argparse
import json
import math
import os
import resource
import shlex
import sys
import time

import harness as h
from harness import ROOT, log, fmt, span

FAULTY_GOAL = 1.2       # faulty majority / fault-free: at most
ALL_SLOW_GOAL = 3.0     # quorum all with the slow node / fault-free: at least
CRASH_SLACK = 3.0       # solver seconds beyond --quorum-timeout a no_quorum run may take
WALL_SLACK = 60.0       # wall seconds beyond --quorum-timeout (loading the data, f* from the cache)
HANG_GRACE = 120.0      # wall seconds beyond the cap before a run is killed as a hang
INTERNAL_GOAL = 1e-6    # diameter / early maximum
EARLY_POINTS = 50       # part internal: trace points of the run over the long run's first trace interval
WINDOW = 0.1            # the early and the final window: this fraction of the trace points
NODES = 8
FAULTS = "crash:7@50,slow:2:10"
CRASHED, SLOWED = 7, 2
QUORUM_TIMEOUT = 5.0

DATASETS = {
    "rcv1-vw-small": dict(file="rcv1-vw-small", problem=["--loss", "logistic", "--l2", "1e-3"], batch=64, step=2.0,
                          cap=30.0, trace_every=5.0, agree_epochs=200, agree_trace=1.0, c_trace=50.0),
    "cadata": dict(file="cadata", problem=["--loss", "squared", "--scale", "maxabs", "--l2", "1e-4"], batch=64,
                   step=0.1, cap=15.0, trace_every=5.0, agree_epochs=300, agree_trace=2.0, c_trace=200.0),
}
PROBLEMS = dict(DATASETS, mnist=dict(file="mnist", test="mnist.t", problem=[
    "--model-kind", "mlp", "--hidden", "100", "--scale", "maxabs", "--l2", "1e-4"], batch=32, step=0.5,
    c_trace=0.5, f_star="skip"))
CONFIGS = {  # part (a): solver, quorum, fault, extra flags
    "none": dict(solver="decentralized", quorum="majority", fault="none"),
    "faulty": dict(solver="decentralized", quorum="majority", fault=FAULTS),
    "crash-only": dict(solver="decentralized", quorum="majority", fault="crash:%d@50" % CRASHED),
    "slow-only": dict(solver="decentralized", quorum="majority", fault="slow:%d:10" % SLOWED),
    "all": dict(solver="decentralized", quorum="all", fault="none"),
    "all-slow": dict(solver="decentralized", quorum="all", fault="slow:%d:10" % SLOWED),
    "all-crash": dict(solver="decentralized", quorum="all", fault="crash:%d@50" % CRASHED,
                      extra=["--quorum-timeout", repr(QUORUM_TIMEOUT)]),
    "gossip": dict(solver="gossip", fault="none"),
    "gossip-faulty": dict(solver="gossip", fault=FAULTS),
}
LABELS = {"none": "majority, fault-free", "faulty": "majority, crash 7 + slow 2 x10",
          "crash-only": "majority, crash 7 only", "slow-only": "majority, slow 2 x10 only", "all": "all, fault-free",
          "all-slow": "all, slow 2 x10", "all-crash": "all, crash 7", "gossip": "gossip, fault-free",
          "gossip-faulty": "gossip, crash 7 + slow 2 x10"}


# --------------------------------------------------------------------------- data and runs
def data_path(a, spec, test=False):
    """The dataset's .xz (the CLI reads it directly); with --rows a plain file of its first rows."""
    name = spec["test"] if test else spec["file"]
    if not a.rows or not spec.get("test"):  # --rows shrinks mnist only
        return h.data_file(name)
    full = h.plain_copy(name, a.work)
    rows = a.rows if not test else max(100, a.rows // 2)
    path = os.path.join(a.work, "%s-%d.svm" % (name, rows))
    if not os.path.exists(path):
        with open(full) as fi, open(path + ".tmp", "w") as fo:
            for i, line in enumerate(fi):
                if i >= rows:
                    break
                fo.write(line)
        os.replace(path + ".tmp", path)
    return path


def problem_args(a, spec):
    args = ["--data", data_path(a, spec)] + spec["problem"]
    if spec.get("test"):
        args += ["--test", data_path(a, spec, test=True)]
    return args + (["--f-star", spec["f_star"]] if spec.get("f_star") else ["--cache-dir", a.cache])


def num(v):
    return None if v is None or v != v else float(v)


def curve_of(trace):
    """Every trace point: seconds, epoch, rounds per node, suboptimality, diameter, distance, worst, bytes."""
    if trace is None:
        return []
    out = []
    for i in range(len(trace["seconds"])):
        g = lambda k: num(trace[k][i]) if k in trace else None  # noqa: E731
        ex = g("exchanges")
        out.append(dict(seconds=g("seconds"), epoch=g("epoch"), rounds=None if ex is None else ex / NODES,
                        objective=g("objective"), suboptimality=g("suboptimality"), diameter=g("diameter"),
                        max_distance=g("max_distance"), worst=g("worst_suboptimality"), bytes_sent=g("bytes_sent"),
                        test_accuracy=g("test_accuracy"), rounds_skipped=g("rounds_skipped")))
    return out


def busy_seconds():
    """CPU seconds the whole machine has been busy (all cores, /proc/stat), or None."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:9]]
        return (sum(v) - v[3] - v[4]) / float(os.sysconf("SC_CLK_TCK"))  # minus idle and iowait
    except (OSError, ValueError, IndexError):
        return None


def own_seconds():
    """CPU seconds of this script's finished children (the runs)."""
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime


def cli_run(a, args, timeout, label):
    """One `asyncopt train`: the fields every part keeps. others_cpu: the share of the machine's CPU
    (all cores) that other processes used during the run; the load average counts the run's own 8
    threads (and the previous run's for a minute), this does not."""
    out = dict(load1=h.loadavg()[0])
    busy0, own0, t0 = busy_seconds(), own_seconds(), time.perf_counter()
    try:
        r = h.run_cli(a.binary, ["train"] + args + ["--quiet"], cwd=ROOT, timeout=timeout, ok=None)
    except RuntimeError as e:  # killed: a hang
        log("   %s" % e)
        out.update(status="killed", rc=None, wall=timeout, curve=[], command=" ".join(shlex.quote(x) for x in args))
        return out
    busy1, own1, wall = busy_seconds(), own_seconds(), time.perf_counter() - t0
    if busy0 is not None and busy1 is not None and wall > 0.5:  # /proc/stat counts in 10 ms ticks
        out["others_cpu"] = max(0.0, (busy1 - busy0) - (own1 - own0)) / (wall * (os.cpu_count() or 1))
    s = r["summary"] or {}
    out.update(status=s.get("status", "error (exit %d)" % r["rc"]), rc=r["rc"], seconds=s.get("seconds"),
               epochs=s.get("epochs"), suboptimality=s.get("suboptimality"), objective=s.get("objective"),
               exchanges=s.get("exchanges"), rounds_skipped=s.get("rounds_skipped"), bytes_sent=s.get("bytes_sent"),
               diameter=s.get("diameter"), step_used=s.get("step_used"), f_star_source=s.get("f_star_source"),
               test_accuracy=(s.get("test") or {}).get("accuracy"), message=s.get("message"),
               nodes=s.get("nodes"), wall=r["wall"], command=" ".join(shlex.quote(x) for x in r["command"]))
    out["curve"] = curve_of(r["trace"])
    out.update(r["provenance"])
    if not s:
        out["stderr"] = r["stderr"][-800:]
    log("   %-40s %-14s rc %-4s %7s s  sub %-9s wall %6.1f  load %.1f  others' cpu %s" % (
        label, out["status"], out["rc"], fmt(out["seconds"], "%.2f"), fmt(out["suboptimality"], "%.2e"), r["wall"],
        out["load1"], fmt(pct(out.get("others_cpu")), "%.0f%%")))
    return out


def reached_fields(rec, target):
    """Time to the target (the summary's seconds of a target_reached run), the trace's first hit, the bytes
    by then, the best and the final-stretch suboptimality."""
    curve = [p for p in rec.get("curve") or [] if p.get("epoch")]  # the start (w = x0) does not count
    subs = [p["suboptimality"] for p in curve if p.get("suboptimality") is not None]
    hit = next((p for p in curve if p.get("suboptimality") is not None and p["suboptimality"] <= target), None)
    reached = rec.get("status") == "target_reached"
    tail = subs[len(subs) * 4 // 5:]
    return dict(reached=reached, time=rec.get("seconds") if reached else None,
                trace_hit_seconds=hit["seconds"] if hit else None,
                bytes_at_target=hit["bytes_sent"] if hit else None,
                best_suboptimality=min(subs) if subs else None,
                plateau=h.median(tail) if tail else None)


# --------------------------------------------------------------------------- (a) faults
def fault_runs(a):
    cells = [dict(dataset=d, config=c) for d in a.datasets for c in a.configs]

    def one(cell, rnd):
        spec, cfg = DATASETS[cell["dataset"]], CONFIGS[cell["config"]]
        cap = a.cap[cell["dataset"]]
        if cell["config"] == "all-crash":  # its time limit must not come before the quorum timeout
            cap = max(cap, QUORUM_TIMEOUT + CRASH_SLACK + 10.0)
        args = ["--solver", cfg["solver"]] + problem_args(a, spec) + [
            "--threads", str(NODES), "--batch-size", str(spec["batch"]), "--step", repr(spec["step"]),
            "--target-subopt", repr(a.target), "--trace-every", repr(a.trace_every or spec["trace_every"]),
            "--max-seconds", repr(cap), "--max-epochs", "100000000", "--seed", str(rnd + 1), "--fault", cfg["fault"]]
        if cfg["solver"] == "decentralized":
            args += ["--clusters", "2", "--quorum", cfg["quorum"]]
        args += cfg.get("extra", [])
        rec = cli_run(a, args, cap + HANG_GRACE, "%s %s round %d" % (cell["dataset"], cell["config"], rnd))
        rec.update(part="faults", seed=rnd + 1, cap=cap, target=a.target)
        rec.update(reached_fields(rec, a.target))
        return rec
    return h.interleaved(cells, a.repeats, one)


# --------------------------------------------------------------------------- (b) agreement
def agree_runs(a):
    cells = [dict(dataset=d, agreement_rounds=r) for d in a.datasets for r in (0, a.agree_rounds)]

    def one(cell, rnd):
        spec = DATASETS[cell["dataset"]]
        epochs = a.agree_epochs or spec["agree_epochs"]
        args = ["--solver", "decentralized"] + problem_args(a, spec) + [
            "--threads", str(NODES), "--clusters", "2", "--agreement-rounds", str(cell["agreement_rounds"]),
            "--batch-size", str(spec["batch"]), "--step", repr(spec["step"]), "--max-epochs", str(epochs),
            "--trace-every", repr(spec["agree_trace"] * (epochs / spec["agree_epochs"])), "--seed", str(rnd + 1)]
        rec = cli_run(a, args, 600.0, "%s R=%d round %d" % (cell["dataset"], cell["agreement_rounds"], rnd))
        rec.update(part="agree", seed=rnd + 1)
        return rec
    return h.interleaved(cells, a.b_repeats, one)


# --------------------------------------------------------------------------- (c) internal convergence
def internal_runs(a):
    cells = [dict(problem=p) for p in a.problems]

    def one(cell, rnd):
        spec = PROBLEMS[cell["problem"]]
        trace_every = spec["c_trace"] * a.c_seconds / 60.0
        if a.rows and spec.get("test"):  # the same rows between trace points on fewer mnist rows
            trace_every *= 60000.0 / a.rows
        common = ["--solver", "decentralized"] + problem_args(a, spec) + [
            "--threads", str(NODES), "--clusters", "2", "--batch-size", str(spec["batch"]), "--step",
            repr(spec["step"]), "--step-power", repr(a.c_power), "--seed", str(rnd + 1)]
        out = []
        # the start at EARLY_POINTS x the resolution: the long run's first point comes after
        # trace_every epochs, when the step has already shrunk
        first = max(1, int(math.ceil(trace_every)))  # --max-epochs takes whole epochs
        args = common + ["--max-epochs", str(first), "--trace-every", repr(first / EARLY_POINTS)]
        rec = cli_run(a, args, 1200.0, "%s internal start round %d" % (cell["problem"], rnd))
        rec.update(part="internal", phase="early", seed=rnd + 1, step_power=a.c_power, step=spec["step"])
        out.append(rec)
        args = common + ["--max-seconds", repr(a.c_seconds), "--max-epochs", "100000000", "--trace-every",
                         repr(trace_every)]
        rec = cli_run(a, args, a.c_seconds * 4 + 600.0, "%s internal round %d" % (cell["problem"], rnd))
        rec.update(part="internal", phase="long", seed=rnd + 1, step_power=a.c_power, step=spec["step"])
        out.append(rec)
        return out
    return [rec for group in h.interleaved(cells, 1, lambda c, r: dict(group=one(c, r))) for rec in
            [dict(g, problem=group["problem"], round=group["round"]) for g in group["group"]]]


# --------------------------------------------------------------------------- verdicts
def pct(x):
    return None if x is None else 100.0 * x


def block_means(xs, ys, blocks=40):
    """(x, mean of y) over consecutive blocks of about len/blocks points: a trend through values
    that jump between exact zeros and their usual size."""
    k = max(1, len(xs) // blocks)
    return ([sum(xs[i:i + k]) / len(xs[i:i + k]) for i in range(0, len(xs), k)],
            [sum(ys[i:i + k]) / len(ys[i:i + k]) for i in range(0, len(ys), k)])


def time_stats(rs):
    """Medians over runs of the time to the target: exact (a run that did not reach it counts as
    infinite) and the lower bound (such a run counts as its solver seconds, the cap)."""
    exact = [r["time"] if r.get("reached") else math.inf for r in rs]
    lower = [r["time"] if r.get("reached") else (r.get("seconds") or 0.0) for r in rs]
    med = lambda xs: sorted(xs)[(len(xs) - 1) // 2] if len(xs) % 2 else 0.5 * (  # noqa: E731
        sorted(xs)[len(xs) // 2 - 1] + sorted(xs)[len(xs) // 2])
    return dict(n=len(rs), reached=sum(1 for r in rs if r.get("reached")), median=med(exact) if rs else None,
                lower=med(lower) if rs else None, times=[r.get("time") for r in rs],
                best=min([r["best_suboptimality"] for r in rs if r.get("best_suboptimality") is not None],
                         default=None),
                plateau=h.median([r.get("plateau") for r in rs if not r.get("reached")]),
                bytes=h.median([r.get("bytes_at_target") if r.get("reached") else r.get("bytes_sent") for r in rs]),
                wall=h.median([r.get("wall") for r in rs]), statuses=sorted(set(str(r.get("status")) for r in rs)))


def tstr(st):
    """'4.2 s (3.9-4.8, 3/3 reached)' or '> 45 s (0/3 reached, best 1.5e-2)'."""
    if st is None or not st["n"]:
        return "-"
    if math.isfinite(st["median"]):
        return "%.2f s (%s, %d/%d reached)" % (st["median"], span(st["times"], "%.2f"), st["reached"], st["n"])
    return "> %.1f s (%d/%d reached; best suboptimality %s)" % (st["lower"], st["reached"], st["n"],
                                                               fmt(st["best"], "%.2e"))


def paired(runs, dataset, num_cfg, den_cfg):
    """Per-round ratios num / den of the times (both reached)."""
    out = []
    for r in runs:
        if r.get("dataset") != dataset or r.get("config") != num_cfg or not r.get("reached"):
            continue
        d = next((x for x in runs if x.get("dataset") == dataset and x.get("config") == den_cfg
                  and x.get("round") == r.get("round") and x.get("reached")), None)
        if d and d["time"]:
            out.append(r["time"] / d["time"])
    return out


def internal_stats(rec, start=None):
    """(c): early maximum (the long run's first 10% of points and the start run's), final window,
    first point at the threshold, a line of log d on log rounds after the first window."""
    def points(r):
        return [p for p in (r.get("curve") or [])[:-1] if p.get("diameter") is not None and p.get("rounds")]
    pts = points(rec)
    if len(pts) < 10:
        return None
    k = max(3, int(math.ceil(WINDOW * len(pts))))
    early_pts = pts[:k] + (points(start) if start else [])
    early = max(p["diameter"] for p in early_pts)
    final = [p["diameter"] for p in pts[-k:]]
    thr = INTERNAL_GOAL * early
    first = next((p for p in pts if p["diameter"] <= thr), None)
    half = [p for p in pts[k:] if p["diameter"] > 0]
    slope = need = None
    if len(half) >= 3 and early > 0:
        xs = [math.log(p["rounds"]) for p in half]
        ys = [math.log(p["diameter"]) for p in half]
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        sxx = sum((x - mx) ** 2 for x in xs)
        if sxx > 0:
            slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
            if slope < 0:
                e = mx + (math.log(thr) - my) / slope
                need = math.exp(e) if e < 700 else math.inf  # a flat line: never
    return dict(points=len(pts), window=k, early_max=early, final_max=max(final), final_median=h.median(final),
                ratio=max(final) / early if early > 0 else None, threshold=thr,
                first_rounds=first["rounds"] if first else None, first_value=first["diameter"] if first else None,
                last_rounds=pts[-1]["rounds"], slope=slope, rounds_needed=need,
                start_max=max([p["diameter"] for p in points(start)], default=None) if start else None,
                start_rounds=max([p["rounds"] for p in points(start)], default=None) if start else None)


def summarise(meta, runs):
    goals, S = [], dict(faults={}, agree={}, internal={})
    # (a)
    fr = [r for r in runs if r.get("part") == "faults"]
    for d in meta.get("datasets", []):
        rs = [r for r in fr if r.get("dataset") == d]
        if not rs:
            continue
        st = {c: time_stats([r for r in rs if r.get("config") == c]) for c in CONFIGS
              if any(r.get("config") == c for r in rs)}
        S["faults"][d] = st
        base = st.get("none")
        t0 = base["median"] if base else math.inf
        if "faulty" in st:
            f = st["faulty"]
            ratios = paired(rs, d, "faulty", "none")
            if not math.isfinite(t0):
                v, why = "INCONCLUSIVE", "the fault-free runs did not reach %g" % meta["target"]
            elif math.isfinite(f["median"]):
                v, why = ("PASS" if f["median"] <= FAULTY_GOAL * t0 else "FAIL"), "%.2fx" % (f["median"] / t0)
            elif f["lower"] > FAULTY_GOAL * t0:
                v, why = "FAIL", "> %.2fx: not reached within the cap" % (f["lower"] / t0)
            else:
                v, why = "INCONCLUSIVE", "not reached within a cap below %.1fx" % FAULTY_GOAL
            goals.append("%s (a) %s: majority with node %d crashed + node %d slowed x10: %s to %g vs fault-free %s "
                         "= %s (goal <= %.1fx; per-round ratios %s)" % (
                             v, d, CRASHED, SLOWED, tstr(f), meta["target"], tstr(base), why, FAULTY_GOAL,
                             span(ratios, "%.2f")))
        if "all-slow" in st:
            s = st["all-slow"]
            ratios = paired(rs, d, "all-slow", "none")
            if not math.isfinite(t0):
                v, why = "INCONCLUSIVE", "the fault-free runs did not reach %g" % meta["target"]
            elif s["lower"] >= ALL_SLOW_GOAL * t0:
                v, why = "PASS", ("%.2fx" if math.isfinite(s["median"]) else ">= %.2fx: not reached within the cap") % (
                    s["lower"] / t0)
            elif math.isfinite(s["median"]):
                v, why = "FAIL", "%.2fx" % (s["median"] / t0)
            else:
                v, why = "INCONCLUSIVE", "not reached within a cap below %.0fx" % ALL_SLOW_GOAL
            goals.append("%s (a) %s: --quorum all with node %d slowed x10: %s vs majority fault-free %s = %s "
                         "(goal >= %.0fx; per-round ratios %s)" % (
                             v, d, SLOWED, tstr(s), tstr(base), why, ALL_SLOW_GOAL, span(ratios, "%.2f")))
        crash = [r for r in rs if r.get("config") == "all-crash"]
        if crash:
            timeout = meta.get("quorum_timeout", QUORUM_TIMEOUT)
            bad = []
            for r in crash:
                why = []
                if r.get("status") != "no_quorum":
                    why.append("status %s" % r.get("status"))
                if r.get("rc") != 7:
                    why.append("exit %s" % r.get("rc"))
                if "missing nodes %d" % CRASHED not in (r.get("message") or ""):
                    why.append("message does not name node %d missing" % CRASHED)
                if r.get("seconds") is None or r["seconds"] > timeout + CRASH_SLACK:
                    why.append("solver seconds %s" % fmt(r.get("seconds"), "%.2f"))
                if r.get("wall") is None or r["wall"] > timeout + WALL_SLACK:
                    why.append("wall %s s" % fmt(r.get("wall"), "%.1f"))
                if why:
                    bad.append("round %s: %s" % (r.get("round"), ", ".join(why)))
            goals.append("%s (a) %s: --quorum all with node %d crashed: %d/%d runs no_quorum, exit 7, node %d named, "
                         "solver %s s, wall %s s (goal: no_quorum within --quorum-timeout %g s + %g, wall <= "
                         "+%g s)%s" % (
                             "PASS" if not bad else "FAIL", d, CRASHED, len(crash) - len(bad), len(crash), CRASHED,
                             span([r.get("seconds") for r in crash], "%.2f"),
                             span([r.get("wall") for r in crash], "%.1f"), timeout, CRASH_SLACK, WALL_SLACK,
                             "; " + "; ".join(bad) if bad else ""))
        one = ["%s %s%s" % (LABELS[c], tstr(st[c]), "" if math.isfinite(st[c]["median"]) else (
            ", last 20%% of the trace at %s" % fmt(st[c]["plateau"], "%.2e"))) for c in ("crash-only", "slow-only")
            if c in st]
        if one:
            goals.append("info (a) %s: one fault at a time: %s" % (d, "; ".join(one)))
        gl = ["%s %s, %s bytes" % (LABELS[c], tstr(st[c]), fmt(st[c]["bytes"], "%.3g")) for c in
              ("gossip", "gossip-faulty", "none", "faulty") if c in st]
        if gl:
            goals.append("info (a) %s: time to %g and bytes sent (to the target, or over the run): %s" % (
                d, meta["target"], "; ".join(gl)))
    # (b)
    for d in meta.get("datasets", []):
        rs = [r for r in runs if r.get("part") == "agree" and r.get("dataset") == d]
        if not rs:
            continue
        per = {}
        for R in sorted(set(r["agreement_rounds"] for r in rs)):
            vals = [p["diameter"] for r in rs if r["agreement_rounds"] == R for p in (r.get("curve") or [])[1:-1]
                    if p.get("diameter") is not None]
            dist = [p["max_distance"] for r in rs if r["agreement_rounds"] == R for p in (r.get("curve") or [])[1:-1]
                    if p.get("max_distance") is not None]
            per[R] = dict(median=h.median(vals), mean=sum(vals) / len(vals) if vals else None,
                          zeros=sum(1 for v in vals if v == 0) / len(vals) if vals else None,
                          dist=sum(dist) / len(dist) if dist else None, points=len(vals),
                          subopt=h.median([r.get("suboptimality") for r in rs if r["agreement_rounds"] == R]),
                          seconds=h.median([r.get("seconds") for r in rs if r["agreement_rounds"] == R]),
                          runs=sum(1 for r in rs if r["agreement_rounds"] == R))
        S["agree"][d] = per
        if 0 in per and len(per) > 1:
            R = max(per)
            goals.append("info (b) %s: mean diameter over the trace points with %d agreement rounds %s vs %s without "
                         "(%sx; medians %s vs %s; exact zeros %s vs %s of the points); mean largest distance to the "
                         "mean %s vs %s" % (
                             d, R, fmt(per[R]["mean"], "%.3g"), fmt(per[0]["mean"], "%.3g"),
                             fmt(h.ratio(per[R]["mean"], per[0]["mean"]), "%.2f"), fmt(per[R]["median"], "%.3g"),
                             fmt(per[0]["median"], "%.3g"), fmt(pct(per[R]["zeros"]), "%.0f%%"),
                             fmt(pct(per[0]["zeros"]), "%.0f%%"), fmt(per[R]["dist"], "%.3g"),
                             fmt(per[0]["dist"], "%.3g")))
    # (c)
    for p in meta.get("problems", []):
        rs = [r for r in runs if r.get("part") == "internal" and r.get("problem") == p and r.get("phase") != "early"]
        if not rs:
            continue
        r = rs[-1]
        start = next((x for x in runs if x.get("part") == "internal" and x.get("problem") == p
                      and x.get("phase") == "early" and x.get("round") == r.get("round")), None)
        c = internal_stats(r, start)
        S["internal"][p] = c
        if c is None:
            goals.append("FAIL (c) %s: too few trace points with a diameter (status %s)" % (p, r.get("status")))
            continue
        ok = c["ratio"] is not None and c["ratio"] <= INTERNAL_GOAL
        goals.append("%s (c) %s: eta_t = %g/(1+t)^%g, %.0f rounds per node in %s s: the diameter's largest value in "
                     "the last %d points is %s of its early maximum %s (goal <= %g)%s; a line through the rest "
                     "(rough): slope %s, 1e-6 after ~%s rounds" % (
                         "PASS" if ok else "FAIL", p, r.get("step"), r.get("step_power"), c["last_rounds"],
                         fmt(r.get("seconds"), "%.0f"), c["window"], fmt(c["ratio"], "%.2e"),
                         fmt(c["early_max"], "%.3g"), INTERNAL_GOAL,
                         "; first at or below the threshold at round %.0f (%s)" % (c["first_rounds"], fmt(
                             c["first_value"], "%.3g")) if c["first_rounds"] is not None else "",
                         fmt(c["slope"], "%.2f"), fmt(c["rounds_needed"], "%.2g")))
    S["goals"] = goals
    return S


# --------------------------------------------------------------------------- reports
def plot(meta, S, runs, path):
    datasets = [d for d in meta.get("datasets", []) if d in S["faults"] or d in S["agree"]]
    n = 2 * len(datasets) + (1 if S["internal"] else 0)
    if n == 0:
        return
    fig, axes = h.panels(n, 2, 6.4, 4.2)
    i = 0
    colors = {"none": "C0", "faulty": "C1", "crash-only": "C8", "slow-only": "C9", "all": "C7", "all-slow": "C2",
              "all-crash": "C3", "gossip": "C4", "gossip-faulty": "C5"}
    for d in datasets:
        ax = axes[i]
        i += 1
        for c in CONFIGS:
            rs = [r for r in runs if r.get("part") == "faults" and r.get("dataset") == d and r.get("config") == c]
            for k, r in enumerate(rs):
                pts = [p for p in r.get("curve") or [] if p.get("epoch") and p.get("suboptimality")]
                if pts:
                    ax.plot([p["seconds"] for p in pts], [p["suboptimality"] for p in pts], color=colors[c], lw=1,
                            alpha=0.8, label=LABELS[c] if k == 0 else None)
        ax.axhline(meta.get("target", 1e-3), color="k", ls=":", lw=0.8)
        ax.set_yscale("log")
        ax.set_xlabel("solver seconds")
        ax.set_ylabel("suboptimality of the nodes' mean")
        ax.set_title("(a) %s: 8 nodes, every round" % d, fontsize=9)
        ax.legend(fontsize=6)
        ax = axes[i]
        i += 1
        for R, col in ((0, "C1"), (meta.get("agree_rounds", 3), "C0")):
            rs = [r for r in runs if r.get("part") == "agree" and r.get("dataset") == d and r.get(
                "agreement_rounds") == R]
            for k, r in enumerate(rs):
                pts = [p for p in (r.get("curve") or [])[1:-1] if p.get("diameter") is not None and p.get("rounds")]
                if pts:
                    xs, ys = block_means([p["rounds"] for p in pts], [p["diameter"] for p in pts])
                    ax.plot(xs, [y if y > 0 else None for y in ys], color=col, lw=1.0, alpha=0.8,
                            label=("%d agreement rounds" % R) if k == 0 else None)
        ax.set_yscale("log")
        ax.set_xlabel("rounds per node (exchanges / 8)")
        ax.set_ylabel("diameter (Delta_cw), means of blocks of points")
        ax.set_title("(b) %s: diameter with and without agreement (--clusters 2)" % d, fontsize=9)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
        # the epoch axis beside the rounds: the runs' epochs per round
        rs = [r for r in runs if r.get("part") == "agree" and r.get("dataset") == d and r.get("curve")]
        if rs:
            last = [p for p in rs[0]["curve"] if p.get("rounds")]
            if last and last[-1]["epoch"]:
                per = last[-1]["rounds"] / last[-1]["epoch"]
                sec = ax.secondary_xaxis("top", functions=(lambda x, k=per: x / k, lambda e, k=per: e * k))
                sec.set_xlabel("epochs", fontsize=7)
    if S["internal"]:
        ax = axes[i]
        for k, (p, c) in enumerate(S["internal"].items()):
            if c is None:
                continue
            for phase, lw in (("early", 0.6), ("long", 0.9)):
                r = [x for x in runs if x.get("part") == "internal" and x.get("problem") == p
                     and (x.get("phase") or "long") == phase]
                pts = [q for q in (r[-1].get("curve") or [])[:-1] if q.get("diameter") is not None
                       and q.get("rounds")] if r else []
                if pts:
                    ax.plot([q["rounds"] for q in pts], [q["diameter"] / c["early_max"] if q["diameter"] > 0 else None
                                                         for q in pts], color="C%d" % k, lw=lw,
                            label="%s (exact 0 left out)" % p if phase == "long" else None)
        ax.axhline(INTERNAL_GOAL, color="k", ls=":", lw=0.8, label="1e-6 of the early maximum")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("rounds per node")
        ax.set_ylabel("diameter / its early maximum")
        ax.set_title("(c) internal convergence, eta_t = eta0 / (1 + t)^%g" % meta.get("c_power", 1), fontsize=9)
        ax.legend(fontsize=7)
    h.save_figure(fig, path)


def markdown(meta, S, runs, prefix):
    m = meta["machine"]
    L = ["# Decentralized SGD with a quorum (issue 18): faults, agreement, internal convergence", "",
         "Machine: %s. Binary: `%s` (%s)." % (h.machine_text(m), meta["binary"]["path"], meta["binary"]["version"]),
         "",
         "**%d nodes are %d threads on %s cores (oversubscribed %.0fx)**: a node's round waits for CPU as well as "
         "for messages, a crashed node frees CPU for the others, and a slowed node's sleep (the fault sleeps (F - 1) "
         "x its busy time, its whole round's work, once that debt reaches 1 ms) overlaps with the others' work. "
         "The nodes run under SCHED_BATCH: a node woken by a message does not preempt one that is computing." % (
             NODES, NODES, m["cores"], NODES / float(m["cores"] or 1)), "",
         "Command: `%s` (%s; load 1/5/15 min at the start %s, at the end %s, %.0f s wall)." % (
             meta["command"], meta["machine"]["date"], " / ".join("%.1f" % x for x in meta["load_start"]),
             " / ".join("%.1f" % x for x in meta["load_end"]), meta.get("elapsed_seconds") or 0)]
    for p, pm in (meta.get("part_meta") or {}).items():
        L += ["* %s: `%s` (%s; load at its start %s, at its end %s, %.0f s wall)" % (
            p, pm["command"], pm["date"], " / ".join("%.1f" % x for x in pm["load_start"]),
            " / ".join("%.1f" % x for x in pm["load_end"]), pm.get("elapsed") or 0)]
    L += ["", "## Goals", ""] + ["    " + g for g in S["goals"]]
    if meta.get("smoke"):
        L += ["", "**Smoke run: not a measurement.**"]
    if S["faults"]:
        L += ["", "## (a) Faults: time to %g, %d interleaved rounds" % (meta["target"], meta["repeats"]), "",
              "Every run: `--threads 8`, decentralized with `--clusters 2` (2 agreement rounds), seed = round + 1, "
              "`--target-subopt %g`, trace every %s epochs, `--max-seconds` the cap (%s). Time: the summary's "
              "`seconds` of a target_reached run (solver time: the tracer pauses its clock to evaluate the mean, "
              "but the solver evaluates every live node's objective for worst_suboptimality before that, on the "
              "clock); a run that did not reach the target counts as more than its cap. Bytes: the trace's "
              "bytes_sent at the first point at or below the target (or at the end)." % (
                  meta["target"], fmt(meta.get("trace_every") or 5.0, "%g"),
                  ", ".join("%s %g s" % kv for kv in meta["cap"].items())), ""]
        for d in meta["datasets"]:
            st = S["faults"].get(d)
            if not st:
                continue
            spec = DATASETS[d]
            L += ["### %s (`%s --batch-size %d --step %g`)" % (d, " ".join(spec["problem"]), spec["batch"],
                                                                spec["step"]), ""]
            t0 = st["none"]["median"] if "none" in st else math.inf
            rows = []
            for c, s in st.items():
                rs = [r for r in runs if r.get("part") == "faults" and r.get("dataset") == d and r.get("config") == c]
                rel = (s["median"] / t0) if math.isfinite(t0) and math.isfinite(s["median"]) else None
                rows.append([LABELS[c], ", ".join(s["statuses"]), tstr(s),
                             fmt(rel, "%.2fx") if rel is not None else (
                                 "> %.2fx" % (s["lower"] / t0) if math.isfinite(t0) and s["lower"] and
                                 c != "all-crash" else "-"),
                             fmt(s["best"], "%.2e"), fmt(s["plateau"], "%.2e"), fmt(s["bytes"], "%.3g"),
                             fmt(h.median([r.get("exchanges") for r in rs]), "%.0f"),
                             fmt(h.median([r.get("rounds_skipped") for r in rs]), "%.0f"),
                             span([r.get("wall") for r in rs], "%.1f"),
                             span([r.get("load1") for r in rs], "%.1f"),
                             span([pct(r.get("others_cpu")) for r in rs], "%.0f")])
            L += h.md_table(["configuration", "status", "time to target: median (range)", "/ fault-free",
                             "best suboptimality", "last 20% median (runs not reaching it)", "bytes sent",
                             "rounds (all nodes)", "rounds skipped", "wall s", "load1", "others' CPU %"], rows)
            L += [""]
            crash = [r for r in runs if r.get("part") == "faults" and r.get("dataset") == d
                     and r.get("config") == "all-crash"]
            if crash:
                L += ["no_quorum message (round %s): `%s`" % (crash[0].get("round"), crash[0].get("message")), ""]
    if S["agree"]:
        L += ["## (b) Diameter with and without agreement", "",
              "decentralized, fault-free, majority, `--clusters 2`, `--agreement-rounds` 0 and %d, the batch and "
              "step of (a), a fixed number of epochs; the trace's diameter (Delta_cw = the coordinate widths of "
              "the live nodes' models, summed) at every trace point but the start and the end, over the "
              "points of %d run(s) each." % (meta["agree_rounds"], meta["b_repeats"]), ""]
        rows = []
        for d, per in S["agree"].items():
            for R, v in per.items():
                rows.append([d, R, fmt(v["mean"], "%.3g"), fmt(v["median"], "%.3g"), fmt(pct(v["zeros"]), "%.0f%%"),
                             fmt(v["dist"], "%.3g"), v["points"], fmt(v["subopt"], "%.2e"), fmt(v["seconds"], "%.2f")])
        L += h.md_table(["dataset", "agreement rounds", "mean diameter", "median diameter",
                         "points with diameter exactly 0", "mean largest distance to the mean", "trace points",
                         "final suboptimality", "solver s"], rows)
        L += ["", "An exact 0: every node holds the same model at the trace point, bit for bit (all averaged the "
              "same set of round-r models: on 2 cores a node often finds all 8 when it gets a core back). The "
              "figure shows means over blocks of consecutive trace points."]
        L += [""]
    if S["internal"]:
        L += ["## (c) Internal convergence with a decreasing step", "",
              "decentralized, fault-free, majority, `--clusters 2`, eta_t = step / (1 + t)^%g (t the node's round), "
              "one run of %g solver seconds per problem, and before it a start run over the long run's first trace "
              "interval with %d trace points (the same seed: the long run's first point comes when the step has "
              "already shrunk). Early maximum: the largest diameter of the start run and of the long run's first "
              "10%% of points; final: the largest in the long run's last 10%% (the row written after the nodes "
              "stopped is left out). The line: least squares of log diameter on log rounds over the long run's "
              "points after its first 10%% (exact zeros left out), extrapolated to 1e-6 of the early maximum: a "
              "rough guide, the diameter jumps by 10x from one point to the next." % (
                  meta["c_power"], meta["c_seconds"], EARLY_POINTS), ""]
        rows = []
        for p, c in S["internal"].items():
            r = [x for x in runs if x.get("part") == "internal" and x.get("problem") == p
                 and x.get("phase") != "early"][-1]
            if c is None:
                rows.append([p, r.get("status")] + ["-"] * 9)
                continue
            last = [q for q in r.get("curve") or [] if q.get("epoch")]
            obj = last[-1].get("suboptimality") if last and last[-1].get("suboptimality") is not None else (
                last[-1].get("objective") if last else None)
            rows.append([p, "%g / (1+t)^%g" % (r.get("step"), r.get("step_power")), fmt(c["last_rounds"], "%.0f"),
                         fmt(r.get("epochs"), "%.1f"), "%s (start run: %s over %s rounds)" % (
                             fmt(c["early_max"], "%.3g"), fmt(c.get("start_max"), "%.3g"),
                             fmt(c.get("start_rounds"), "%.0f")), fmt(c["final_max"], "%.3g"),
                         "**%s**" % fmt(c["ratio"], "%.2e"),
                         fmt(c["first_rounds"], "%.0f"), fmt(c["slope"], "%.2f"), fmt(c["rounds_needed"], "%.2g"),
                         ("subopt %s" if p != "mnist" else "objective %s, test accuracy " + fmt(
                             r.get("test_accuracy"), "%.3f")) % fmt(obj, "%.3g")])
        L += h.md_table(["problem", "step", "rounds per node", "epochs", "early max", "final max", "final / early",
                         "first round <= 1e-6 x early", "slope", "rounds to 1e-6 (line)", "at the end"], rows)
        L += [""]
    L += ["![](%s.png)" % prefix, "",
          "Every run with its command, load, trace and provenance: `%s.csv`, `%s.json`." % (prefix, prefix)]
    return L


def write_outputs(base, prefix, meta, runs):
    S = summarise(meta, runs)
    h.write_csv(base + ".csv", runs, [
        "part", "dataset", "problem", "config", "agreement_rounds", "round", "seed", "status", "rc", "seconds",
        "reached", "time", "trace_hit_seconds", "cap", "epochs", "suboptimality", "best_suboptimality", "plateau",
        "objective", "test_accuracy", "exchanges", "rounds_skipped", "bytes_sent", "bytes_at_target", "diameter",
        "step_used", "step_power", "wall", "load1", "others_cpu", "message", "commit", "binary_version", "cpu", "cores",
        "date", "command"])
    h.write_json(base + ".json", dict(meta=meta, summary={k: v for k, v in S.items()}, goals=S["goals"], runs=runs))
    plot(meta, S, runs, base + ".png")
    h.write_report(base, markdown(meta, S, runs, prefix), S["goals"])


# --------------------------------------------------------------------------- main
def rerun(a, r):
    """Whether this invocation measures run r's cell again (else an earlier run is kept)."""
    part = r.get("part")
    if part not in a.parts:
        return False
    if part == "faults":
        return r.get("dataset") in a.datasets and r.get("config") in a.configs
    if part == "agree":
        return r.get("dataset") in a.datasets
    return r.get("problem") in a.problems


def parse_caps(ap, text, datasets):
    caps = h.per_key(ap, "--cap", text, list(DATASETS), {d: DATASETS[d]["cap"] for d in DATASETS}, float, "a number")
    return {d: caps[d] for d in datasets}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.split("\n")[1:]))
    ap.add_argument("--binary", default=os.path.join(ROOT, "build/release/src/cli/asyncopt"))
    ap.add_argument("--parts", default="faults,agree,internal")
    ap.add_argument("--datasets", default=",".join(DATASETS), help="parts faults and agree")
    ap.add_argument("--problems", default=",".join(PROBLEMS), help="part internal")
    ap.add_argument("--configs", default=",".join(CONFIGS), help="part faults: a subset of %s" % ",".join(CONFIGS))
    ap.add_argument("--repeats", type=int, default=3, help="interleaved rounds of part faults")
    ap.add_argument("--target", type=float, default=1e-3)
    ap.add_argument("--cap", help="solver seconds per run of part faults (S or dataset=S,...; default rcv1-vw-small=30,"
                                  "cadata=15)")
    ap.add_argument("--trace-every", type=float, help="epochs between trace points in part faults (default 5)")
    ap.add_argument("--agree-rounds", type=int, default=3, help="part agree: the agreement rounds beside 0")
    ap.add_argument("--agree-epochs", type=int, help="part agree: epochs per run (default rcv1 200, cadata 300)")
    ap.add_argument("--b-repeats", type=int, default=2, help="interleaved rounds of part agree")
    ap.add_argument("--c-power", type=float, default=1.0, help="part internal: alpha of eta_t = step / (1 + t)^alpha")
    ap.add_argument("--c-seconds", type=float, default=60.0, help="part internal: solver seconds per run")
    ap.add_argument("--rows", type=int, help="part internal: the first ROWS rows of mnist (and its test file's ROWS/2)")
    ap.add_argument("--smoke", action="store_true", help="1 round, caps 4 s, target 1e-2, 20/30-epoch agreement runs, "
                                                         "6 s internal runs on 3000 mnist rows; prefix "
                                                         "decentralized_goals_smoke")
    ap.add_argument("--work", default=os.path.join(ROOT, "build/bench-work/decentralized"))
    ap.add_argument("--out", default=os.path.join(ROOT, "bench/results"))
    ap.add_argument("--prefix")
    ap.add_argument("--replot", action="store_true", help="no runs: redo the outputs from OUT/PREFIX.json")
    a = ap.parse_args()
    if a.smoke:
        a.repeats, a.b_repeats = 1, 1
        a.cap = a.cap or "4"
        a.target = 1e-2 if a.target == 1e-3 else a.target
        a.agree_epochs = a.agree_epochs or 20
        a.c_seconds = 6.0 if a.c_seconds == 60.0 else a.c_seconds
        a.rows = a.rows or 3000
    a.prefix = a.prefix or ("decentralized_goals_smoke" if a.smoke else "decentralized_goals")
    base = os.path.join(a.out, a.prefix)
    if a.replot:
        return h.replot(a, write_outputs)
    h.check_binary(ap, a)
    a.parts = h.listed(ap, "--parts", a.parts, ("faults", "agree", "internal"))
    a.datasets = h.listed(ap, "--datasets", a.datasets, DATASETS)
    a.problems = h.listed(ap, "--problems", a.problems, PROBLEMS)
    a.configs = h.listed(ap, "--configs", a.configs, CONFIGS)
    a.cap = parse_caps(ap, a.cap, a.datasets)
    if min(a.repeats, a.b_repeats, a.agree_rounds) < 1 or not (a.target > 0 and a.c_seconds > 0 and a.c_power >= 0):
        ap.error("--repeats, --b-repeats, --agree-rounds must be >= 1, --target and --c-seconds > 0")
    a.work = os.path.abspath(a.work)
    a.cache = os.path.join(a.work, "cache")
    os.makedirs(a.cache, exist_ok=True)
    os.makedirs(a.out, exist_ok=True)
    command = "/usr/bin/python3 bench/decentralized_goals.py " + " ".join(shlex.quote(x) for x in sys.argv[1:])
    load_start, t0 = h.loadavg(), time.time()
    # f* once, before any timed run (the runs read it from the cache)
    f_star = {}
    need = set(a.datasets if ("faults" in a.parts or "agree" in a.parts) else []) | set(
        p for p in a.problems if "internal" in a.parts and not PROBLEMS[p].get("f_star"))
    for d in sorted(need):
        spec = PROBLEMS[d]
        fs, wall = h.optimum_via_cache(a.binary, ["--data", data_path(a, spec)] + spec["problem"], a.cache,
                                       timeout=1800)
        f_star[d] = fs
        log("== f* %s = %.12g (%.1f s)" % (d, fs, wall))
    old_runs, old_meta = [], {}
    if os.path.exists(base + ".json"):  # the parts not run now keep their runs and settings
        with open(base + ".json") as f:
            old = json.load(f)
        old_meta = old["meta"]
        old_runs = [r for r in old["runs"] if not rerun(a, r)]
    runs, part_meta = [], dict(old_meta.get("part_meta") or {})

    def part(name, fn):
        load0, t_part = h.loadavg(), time.time()
        out = fn()
        sel = dict(faults=a.datasets, agree=a.datasets, internal=a.problems)[name]
        full = dict(faults=DATASETS, agree=DATASETS, internal=PROBLEMS)[name]
        if set(sel) != set(full) or (name == "faults" and set(a.configs) != set(CONFIGS)):
            name += " (%s)" % ",".join(sel + (a.configs if name == "faults" else []))
        part_meta[name] = dict(command=command, load_start=load0, load_end=h.loadavg(), date=h.utc_now(),
                               elapsed=time.time() - t_part)
        return out
    if "faults" in a.parts:
        log("== (a) faults: %s x %s, %d rounds, caps %s" % (",".join(a.datasets), ",".join(a.configs), a.repeats,
                                                            a.cap))
        runs += part("faults", lambda: fault_runs(a))
    if "agree" in a.parts:
        log("== (b) agreement rounds 0 vs %d" % a.agree_rounds)
        runs += part("agree", lambda: agree_runs(a))
    if "internal" in a.parts:
        log("== (c) internal convergence, alpha %g, %g s each" % (a.c_power, a.c_seconds))
        runs += part("internal", lambda: internal_runs(a))
    meta = dict(old_meta)
    meta.update(command=command, machine=h.machine(), git_commit=h.git_commit(), load_start=load_start,
                load_end=h.loadavg(), elapsed_seconds=time.time() - t0, part_meta=part_meta,
                binary=dict(path=a.binary, version=h.binary_version(a.binary)), smoke=a.smoke, rows=a.rows,
                quorum_timeout=QUORUM_TIMEOUT, nodes=NODES, faults=FAULTS,
                f_star=dict(meta.get("f_star") or {}, **f_star),
                problem_args={k: " ".join(v["problem"]) + " --batch-size %d --step %g" % (v["batch"], v["step"])
                              for k, v in PROBLEMS.items()})
    if "faults" in a.parts or "agree" in a.parts:
        meta.update(datasets=sorted(set(a.datasets) | set(old_meta.get("datasets") or []), key=list(DATASETS).index))
    if "faults" in a.parts:
        meta.update(configs=a.configs, repeats=a.repeats, target=a.target, cap=a.cap, trace_every=a.trace_every)
    if "agree" in a.parts:
        meta.update(agree_rounds=a.agree_rounds, agree_epochs=a.agree_epochs, b_repeats=a.b_repeats)
    if "internal" in a.parts:
        meta.update(problems=sorted(set(a.problems) | set(old_meta.get("problems") or []),
                                    key=list(PROBLEMS).index),
                    c_power=a.c_power, c_seconds=a.c_seconds, early_points=EARLY_POINTS)
    write_outputs(base, a.prefix, meta, old_runs + runs)


if __name__ == "__main__":
    main()
