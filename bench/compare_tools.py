#!/usr/bin/python3
"""asyncopt against the tools users would pick instead.

Problems (F(w) = (1/m) sum loss + l2/2 ||w||^2 + l1 ||w||_1, no intercept):

  a9a-logistic     l2 = 1/m (LIBLINEAR C = 1), l1 = 0
  w8a-logistic     l2 = 1/m (LIBLINEAR C = 1), l1 = 0
  rcv1-enet        rcv1-vw-small, logistic, l1 = 1e-4, l2 = 1e-3
  powerlaw-enet    asyncopt generate --kind powerlaw (seeded), logistic, l1 = 1e-4, l2 = 1e-3
  a9a-hinge        l2 = 1/m (LIBLINEAR C = 1), hinge

f* is asyncopt's reference optimum (`asyncopt optimum`, relative accuracy
1e-12). Every tool runs at a sweep of settings from loose to tight; for each
setting we record the time and the objective of the weights it returns,
evaluated by OUR formula in numpy on the same in-memory data. "Time to reach
subopt eps" of a tool = the fastest setting whose (F - f*)/f* <= eps.

Tools and parameter mapping (m rows):
  sklearn LogisticRegression(fit_intercept=False): C = 1/(m (l1 + l2)); l1 > 0
      uses penalty='elasticnet' with l1_ratio = l1/(l1 + l2) (saga only).
      Solvers lbfgs, newton-cg, liblinear, saga; tol swept.
  sklearn SGDClassifier(loss='log_loss'|'hinge', fit_intercept=False,
      alpha = l1 + l2, penalty 'l2' or 'elasticnet' with l1_ratio as above,
      tol=None): learning-rate schedule tuned on a short run, then epochs swept.
  sklearn LinearSVC(loss='hinge', dual=True, fit_intercept=False, C = 1/(m l2)).
  liblinear-train (the program, wall time incl. parsing): -s 0 / -s 7
      (logistic primal / dual) and -s 3 (hinge dual), -c 1/(m l2), -e swept.
  asyncopt train --solver svrg and --solver reference (logistic problems;
      hinge: hogwild and reference) --threads 1 and 2 --target-subopt eps: the
      summary's `seconds` (in-memory solve; f* from cache, objective checks
      off the clock) and the whole CLI wall time (parse + solve + checks).
      For the hinge problem svrg is not applicable in theory (non-smooth);
      it is run anyway, plus hogwild, and reported as information.

Timing: each measurement is repeated (--repeats, default 3) when it takes
under 2 s and the median is kept. The machine has 2 cores shared with other
users; the load average is recorded.

Usage (always /usr/bin/python3):
  /usr/bin/python3 bench/compare_tools.py [--bin build/cmp/src/cli/asyncopt]
      [--work DIR] [--out bench/results] [--problems a9a-logistic,...]
      [--repeats 3] [--smoke]
Outputs: OUT/compare_tools.{csv,json,png,md}
"""

import argparse
import json
import os
import shlex
import statistics
import sys
import time

import numpy as np

import harness as h
from harness import ROOT, log

TARGETS = [1e-3, 1e-6]

PROBLEMS = {
    "a9a-logistic": dict(file="a9a", loss="logistic", l1=0.0, l2="1/m"),
    "w8a-logistic": dict(file="w8a", loss="logistic", l1=0.0, l2="1/m"),
    "rcv1-enet": dict(file="rcv1-vw-small", loss="logistic", l1=1e-4, l2=1e-3),
    "powerlaw-enet": dict(file="@powerlaw", loss="logistic", l1=1e-4, l2=1e-3),
    "a9a-hinge": dict(file="a9a", loss="hinge", l1=0.0, l2="1/m"),
}
POWERLAW = dict(rows=20000, dim=20000, seed=1)


# --------------------------------------------------------------------------- data
class Problem:
    def __init__(self, name, spec, work, binary):
        self.name = name
        self.loss = spec["loss"]
        self.l1 = spec["l1"]
        if spec["file"] == "@powerlaw":
            self.path = os.path.join(work, "powerlaw.svm")
            if not os.path.exists(self.path):
                h.run([binary, "generate", "--kind", "powerlaw", "--rows", str(POWERLAW["rows"]),
                       "--dim", str(POWERLAW["dim"]), "--seed", str(POWERLAW["seed"]), "--out", self.path])
            self.source = "asyncopt generate --kind powerlaw --rows %d --dim %d --seed %d" % (
                POWERLAW["rows"], POWERLAW["dim"], POWERLAW["seed"])
        else:
            # Blank lines dropped: liblinear-train rejects w8a's trailing
            # empty line ("Wrong input format at line 49750").
            self.path = h.plain_copy(spec["file"], work)
            self.source = h.data_file(spec["file"])
        # Labels: the larger one is +1; d = the largest feature index.
        self.X, self.y = h.load_xy(self.path, zero_based=False)
        self.m, self.d = self.X.shape
        self.l2 = 1.0 / self.m if spec["l2"] == "1/m" else spec["l2"]
        self.l2_text = "1/m = %.6g" % self.l2 if spec["l2"] == "1/m" else "%g" % self.l2

    def objective(self, w):
        return h.objective(self.X, self.y, w, self.loss, self.l1, self.l2)


# --------------------------------------------------------------------------- tools
def sklearn_settings(prob, smoke):
    """(tool, setting-label, factory) for every sklearn run of this problem."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC
    m, l1, l2 = prob.m, prob.l1, prob.l2
    tols = [1e-2, 1e-4, 1e-6, 1e-8, 1e-10] if smoke else [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-10]
    out = []
    if prob.loss == "logistic":
        C = 1.0 / (m * (l1 + l2))
        solvers = ["lbfgs", "newton-cg", "liblinear", "saga"] if l1 == 0 else ["saga"]
        iters = [2, 5, 10, 20, 40] if smoke else [2, 3, 5, 8, 12, 20, 30, 50]
        for s in solvers:
            if l1 == 0:
                kw = dict(penalty="l2", C=C)
            else:
                kw = dict(penalty="elasticnet", C=C, l1_ratio=l1 / (l1 + l2))
            # Loose solutions: an iteration cap is how a user stops lbfgs /
            # newton-cg early (their tol barely moves the result); for
            # liblinear and saga it is the same knob in different units.
            for it in iters:
                out.append(("sklearn-" + s, "max_iter=%d" % it,
                            lambda s=s, it=it, kw=kw: LogisticRegression(
                                solver=s, tol=1e-12, max_iter=it, fit_intercept=False, **kw)))
            for t in tols:
                out.append(("sklearn-" + s, "tol=%g" % t,
                            lambda s=s, t=t, kw=kw: LogisticRegression(
                                solver=s, tol=t, max_iter=100000, fit_intercept=False, **kw)))
    else:
        C = 1.0 / (m * l2)
        for it in ([5, 20, 100] if smoke else [3, 10, 30, 100, 300]):
            out.append(("sklearn-LinearSVC", "max_iter=%d" % it,
                        lambda it=it: LinearSVC(loss="hinge", dual=True, C=C, tol=1e-12, max_iter=it,
                                                fit_intercept=False)))
        for t in tols:
            out.append(("sklearn-LinearSVC", "tol=%g" % t,
                        lambda t=t: LinearSVC(loss="hinge", dual=True, C=C, tol=t, max_iter=1000000,
                                              fit_intercept=False)))
    return out


def sgd_factory(prob, schedule, epochs):
    from sklearn.linear_model import SGDClassifier
    l1, l2 = prob.l1, prob.l2
    kw = dict(loss="log_loss" if prob.loss == "logistic" else "hinge", fit_intercept=False,
              tol=None, max_iter=epochs, alpha=l1 + l2, random_state=1, shuffle=True)
    kw["penalty"] = "l2" if l1 == 0 else "elasticnet"
    if l1 > 0:
        kw["l1_ratio"] = l1 / (l1 + l2)
    kw.update(schedule)
    return lambda: SGDClassifier(**kw)


SGD_SCHEDULES = [
    dict(learning_rate="optimal"),
    dict(learning_rate="optimal", average=True),
    dict(learning_rate="invscaling", eta0=1.0, power_t=0.5),
    dict(learning_rate="invscaling", eta0=0.1, power_t=0.5),
    dict(learning_rate="constant", eta0=0.1),
    dict(learning_rate="constant", eta0=0.01),
    dict(learning_rate="adaptive", eta0=0.1),
]


def fit_sklearn(prob, factory):
    return h.fit_timed(factory, prob.X, prob.y)


def liblinear_model_w(path):
    labels, w, in_w = None, [], False
    with open(path) as f:
        for line in f:
            if in_w:
                if line.strip():
                    w.append(float(line.split()[0]))
            elif line.startswith("label"):
                labels = [float(v) for v in line.split()[1:]]
            elif line.strip() == "w":
                in_w = True
    w = np.array(w)
    # LIBLINEAR's w scores the FIRST label; ours scores the larger label.
    if labels is not None and len(labels) == 2 and labels[0] < labels[1]:
        w = -w
    return w


# --------------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(ROOT, "build/cmp/src/cli/asyncopt"))
    ap.add_argument("--work", default=os.path.join(ROOT, "build/bench-work/compare"))
    ap.add_argument("--out", default=os.path.join(ROOT, "bench/results"))
    ap.add_argument("--problems", default=",".join(PROBLEMS))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--max-seconds", type=float, default=60.0, help="asyncopt per-run limit")
    ap.add_argument("--sweep-budget", type=float, default=25.0,
                    help="stop a tool's tolerance sweep after a fit slower than this (s)")
    ap.add_argument("--smoke", action="store_true", help="short sweeps, 1 repeat")
    ap.add_argument("--prefix", default="compare_tools")
    args = ap.parse_args()
    if args.smoke:
        args.repeats = 1
    os.makedirs(args.work, exist_ok=True)
    os.makedirs(args.out, exist_ok=True)
    env = dict(os.environ, ASYNCOPT_CACHE_DIR=os.path.join(args.work, "cache"))
    command = "/usr/bin/python3 bench/compare_tools.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    load_start = h.loadavg()
    t_start = time.time()
    rows = []
    fstars = {}

    for pname in args.problems.split(","):
        spec = PROBLEMS[pname]
        prob = Problem(pname, spec, args.work, args.bin)
        log("== %s: m=%d d=%d nnz=%d l1=%g l2=%g" % (pname, prob.m, prob.d, prob.X.nnz, prob.l1, prob.l2))
        p, wall = h.run([args.bin, "optimum", "--data", prob.path, "--loss", prob.loss, "--l1", repr(prob.l1),
                       "--l2", repr(prob.l2), "--summary", os.path.join(args.work, pname + "-optimum.json")],
                      env=env)
        with open(os.path.join(args.work, pname + "-optimum.json")) as f:
            opt = json.load(f)
        fstar = opt.get("f_star", opt.get("objective"))
        fstars[pname] = dict(f_star=fstar, seconds=wall, m=prob.m, d=prob.d, nnz=int(prob.X.nnz),
                             l1=prob.l1, l2=prob.l2, l2_text=prob.l2_text, loss=prob.loss, source=prob.source)
        log("   f* = %.15g (optimum took %.2f s wall)" % (fstar, wall))

        def record(tool, setting, secs, obj, kind, times, extra=None):
            sub = (obj - fstar) / fstar
            r = dict(problem=pname, tool=tool, setting=setting, seconds=secs, time_kind=kind,
                     objective=obj, subopt=sub, f_star=fstar, times=times)
            if extra:
                r.update(extra)
            rows.append(r)
            log("   %-22s %-40s %9.4f s  subopt %.3e" % (tool, setting, secs, sub))
            return r

        # ---- sklearn (in-memory fit time)
        last_tool, skip, phase = None, False, None
        for tool, setting, factory in sklearn_settings(prob, args.smoke):
            if tool != last_tool:
                last_tool, skip, phase = tool, False, None
            if setting.startswith("tol=") and phase != "tol":
                phase, skip = "tol", False
            elif setting.startswith("max_iter") and phase != "iter":
                phase, skip = "iter", False
            if skip:
                continue
            secs, w, times = h.timed_median(lambda: fit_sklearn(prob, factory), args.repeats)
            r = record(tool, setting, secs, prob.objective(w), "fit", times)
            if secs > args.sweep_budget or r["subopt"] < 1e-8:
                skip = True  # tighter settings only cost more
        # SGDClassifier: tune the schedule on a short run, then sweep epochs.
        tune_epochs = 5
        best = None
        for sch in SGD_SCHEDULES:
            secs, w = fit_sklearn(prob, sgd_factory(prob, sch, tune_epochs))
            obj = prob.objective(w)
            log("   sgd tune %-60s subopt %.3e" % (sch, (obj - fstar) / fstar))
            if np.isfinite(obj) and (best is None or obj < best[0]):
                best = (obj, sch)
        sch = best[1]
        for ep in ([5, 20] if args.smoke else [1, 3, 10, 30, 100, 300]):
            secs, w, times = h.timed_median(lambda: fit_sklearn(prob, sgd_factory(prob, sch, ep)), args.repeats)
            record("sklearn-SGDClassifier", "%s epochs=%d" % (json.dumps(sch, sort_keys=True), ep), secs,
                   prob.objective(w), "fit", times)
            if secs > args.sweep_budget:
                break

        # ---- liblinear-train (whole program wall time, includes parsing)
        if prob.l1 == 0:
            C = 1.0 / (prob.m * prob.l2)
            solvers = [0, 7] if prob.loss == "logistic" else [3]
            eps = [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-8] if not args.smoke else [1e-1, 1e-3, 1e-6]
            for s in solvers:
                for e in eps:
                    model = os.path.join(args.work, "%s-ll-s%d.model" % (pname, s))

                    def once():
                        _, wall = h.run(["liblinear-train", "-q", "-s", str(s), "-c", repr(C), "-e", repr(e),
                                       prob.path, model])
                        return wall, liblinear_model_w(model)

                    secs, w, times = h.timed_median(once, args.repeats)
                    r = record("liblinear-train -s %d" % s, "-e %g" % e, secs, prob.objective(w), "wall", times)
                    if secs > args.sweep_budget or r["subopt"] < 1e-8:
                        break

        # ---- asyncopt
        # svrg refuses the non-smooth hinge loss (exit 2, "needs a smooth loss"):
        # hinge gets hogwild (step decay 0.9/epoch) and the reference solver
        # (dual coordinate descent), both capped at 10 s.
        # Logistic problems: svrg (the asynchronous solver) and the reference
        # solver (Newton-CG / proximal Newton, parallel over rows).
        solvers = ["svrg", "reference"] if prob.loss == "logistic" else ["hogwild", "reference"]
        cap = args.max_seconds if prob.loss == "logistic" else min(args.max_seconds, 10.0)
        for solver in solvers:
            for threads in [1, 2]:
                for tgt in TARGETS:
                    keep = os.path.join(args.work, "%s-%s-t%d-%g" % (pname, solver, threads, tgt))
                    cmd = ["train", "--data", prob.path, "--solver", solver, "--loss", prob.loss,
                           "--l1", repr(prob.l1), "--l2", repr(prob.l2), "--threads", str(threads),
                           "--target-subopt", repr(tgt), "--max-seconds", repr(cap),
                           "--max-epochs", "100000" if solver != "reference" else "1000", "--seed", "1", "--quiet"]
                    if solver == "hogwild":
                        cmd += ["--step-decay", "0.9"]

                    runs = []  # every repeat: whole-program time, command

                    def once():
                        r = h.run_cli(args.bin, cmd, keep=keep, trace=False, env=env)
                        runs.append(r)
                        return r["summary"]["seconds"], r["summary"]

                    secs, s, times = h.timed_median(once, args.repeats)
                    walls = [r["wall"] for r in runs]
                    wall = statistics.median(walls)
                    obj = s["objective"] if s["objective"] is not None else float("inf")
                    extra = dict(status=s["status"], epochs=s["epochs"], cli_wall=wall,
                                 summary_objective=s["objective"], summary_subopt=s["suboptimality"],
                                 target=tgt, command=" ".join(runs[-1]["command"]))
                    record("asyncopt-%s-%dt" % (solver, threads), "target %g" % tgt, secs, obj, "solve", times,
                           extra)
                    record("asyncopt-%s-%dt-cli" % (solver, threads), "target %g" % tgt, wall, obj, "wall", walls,
                           dict(status=s["status"], target=tgt))
            # Informative, not used by the goals: svrg with a hand-tuned step,
            # factor x its default rule 1/(3 L), L = 0.25 mean_i ||x_i||^2
            # (SvrgDefaultStep in src/algorithms/svrg.cpp).
            if solver == "svrg":
                rownorm = np.asarray(prob.X.multiply(prob.X).sum(axis=1)).ravel()
                default_step = 1.0 / (3.0 * 0.25 * rownorm.mean())
                for factor in ([3] if args.smoke else [2, 3, 5]):
                    for threads in [1, 2]:
                        for tgt in TARGETS:
                            keep = os.path.join(args.work, "%s-svrg-x%d-t%d-%g" % (pname, factor, threads, tgt))
                            r = h.run_cli(args.bin, [
                                "train", "--data", prob.path, "--solver", "svrg", "--loss", prob.loss,
                                "--l1", repr(prob.l1), "--l2", repr(prob.l2), "--threads", str(threads),
                                "--step", repr(factor * default_step), "--target-subopt", repr(tgt),
                                "--max-seconds", "10", "--max-epochs", "100000", "--seed", "1", "--quiet"],
                                keep=keep, trace=False, env=env)
                            sj, wall = r["summary"], r["wall"]
                            obj = sj["objective"] if sj["objective"] is not None else float("inf")
                            record("asyncopt-svrg-%dt-tuned-step" % threads,
                                   "step=%.4g (%dx default) target %g" % (factor * default_step, factor, tgt),
                                   sj["seconds"], obj, "solve", [sj["seconds"]],
                                   dict(status=sj["status"], epochs=sj["epochs"], cli_wall=wall, target=tgt))
            # One traced run per thread count for the time/suboptimality curve.
            for threads in ([1, 2] if solver != "reference" else []):
                cmd = ["train", "--data", prob.path, "--solver", solver, "--loss", prob.loss,
                       "--l1", repr(prob.l1), "--l2", repr(prob.l2), "--threads", str(threads),
                       "--target-subopt", "1e-7", "--max-seconds", repr(min(cap, 20.0)),
                       "--max-epochs", "100000" if solver != "reference" else "1000", "--trace-every", "0.5",
                       "--seed", "1", "--quiet"]
                if solver == "hogwild":
                    cmd += ["--step-decay", "0.9"]
                r = h.run_cli(args.bin, cmd, keep=os.path.join(args.work, "%s-%s-t%d-trace" % (pname, solver, threads)),
                              summary=False, env=env, ok=None)
                fstars[pname].setdefault("traces", {})["%s-%dt" % (solver, threads)] = r["trace_path"]

    # ------------------------------------------------------------------ summaries
    load_end = h.loadavg()
    elapsed = time.time() - t_start
    summary = summarize(rows, fstars)
    meta = dict(machine=h.machine(with_sklearn=True), command=command, load_start=load_start, load_end=load_end,
                elapsed_seconds=elapsed, binary=args.bin, git_commit=h.git_commit(),
                binary_version=h.binary_version(args.bin))
    write_outputs(args, rows, fstars, summary, meta)


def best_time(rows, problem, tool_pred, eps):
    cands = [r for r in rows if r["problem"] == problem and tool_pred(r["tool"]) and r["subopt"] <= eps]
    if not cands:
        return None
    return min(cands, key=lambda r: r["seconds"])


def summarize(rows, fstars):
    """Per problem and target: best time of every tool, ratios, goals."""
    out = {}
    for pname in fstars:
        tools = sorted({r["tool"] for r in rows if r["problem"] == pname})
        per = {}
        for eps in TARGETS:
            per[str(eps)] = {}
            for t in tools:
                b = best_time(rows, pname, lambda x, t=t: x == t, eps)
                per[str(eps)][t] = None if b is None else dict(seconds=b["seconds"], setting=b["setting"],
                                                               subopt=b["subopt"])
        out[pname] = per
    return out


def fmt_s(x):
    if x is None:
        return "not reached"
    return "%.4f" % x if x < 10 else "%.2f" % x


def goal_lines(summary, fstars):
    lines = []
    # (1) l2 logistic on a9a and w8a
    for pname in ["a9a-logistic", "w8a-logistic"]:
        if pname not in summary:
            continue
        for eps in TARGETS:
            per = summary[pname][str(eps)]
            sk = {t: v for t, v in per.items() if t.startswith("sklearn-") and v is not None}
            # The verdict takes asyncopt's fastest solver at 2 threads (svrg or
            # reference); each solver's own ratio is listed after it.
            ours = {sv: per.get("asyncopt-%s-2t" % sv) for sv in ("svrg", "reference")}
            ours = {sv: v for sv, v in ours.items() if v is not None}
            if sk:
                fastest = min(sk, key=lambda t: sk[t]["seconds"])
                skt = sk[fastest]["seconds"]
            else:
                fastest, skt = None, None
            if not ours:
                lines.append("FAIL (1a) %s eps=%g: no asyncopt solver reached the target with 2 threads" % (pname, eps))
            elif skt is None:
                lines.append("PASS (1a) %s eps=%g: no sklearn solver reached the target" % (pname, eps))
            else:
                best = min(ours, key=lambda sv: ours[sv]["seconds"])
                ratio = skt / ours[best]["seconds"]
                each = ", ".join("%s %.4f s = %.2fx" % (sv, v["seconds"], skt / v["seconds"]) for sv, v in sorted(ours.items()))
                lines.append("%s (1a) %s eps=%g: asyncopt %s 2t %.4f s vs fastest sklearn (%s, %s) %.4f s: %.2fx [%s]" % (
                    "PASS" if ratio >= 2 else "FAIL", pname, eps, best, ours[best]["seconds"], fastest,
                    sk[fastest]["setting"], skt, ratio, each))
            ll = {t: v for t, v in per.items() if t.startswith("liblinear-train") and v is not None}
            clis = {sv: per.get("asyncopt-%s-2t-cli" % sv) for sv in ("svrg", "reference")}
            clis = {sv: v for sv, v in clis.items() if v is not None}
            if not clis:
                lines.append("FAIL (1b) %s eps=%g: asyncopt CLI (2 threads) did not reach the target" % (pname, eps))
            elif not ll:
                lines.append("PASS (1b) %s eps=%g: liblinear-train did not reach the target at any -e" % (pname, eps))
            else:
                lt = min(ll, key=lambda t: ll[t]["seconds"])
                best = min(clis, key=lambda sv: clis[sv]["seconds"])
                ratio = ll[lt]["seconds"] / clis[best]["seconds"]
                each = ", ".join("%s %.4f s" % (sv, v["seconds"]) for sv, v in sorted(clis.items()))
                lines.append("%s (1b) %s eps=%g: asyncopt CLI %s 2t wall %.4f s vs %s %s wall %.4f s: %.2fx [%s]" % (
                    "PASS" if ratio >= 2 else "FAIL", pname, eps, best, clis[best]["seconds"], lt, ll[lt]["setting"],
                    ll[lt]["seconds"], ratio, each))
    # (2) l1-l2 logistic: svrg to 1e-6 vs saga
    for pname in ["rcv1-enet", "powerlaw-enet"]:
        if pname not in summary:
            continue
        per = summary[pname]["1e-06"]
        saga = per.get("sklearn-saga")
        for k in (1, 2):
            ao = per.get("asyncopt-svrg-%dt" % k)
            if ao is None:
                lines.append("FAIL (2) %s eps=1e-6: asyncopt svrg %dt did not reach the target" % (pname, k))
            elif saga is None:
                lines.append("PASS (2) %s eps=1e-6: asyncopt svrg %dt %.4f s; saga never reached 1e-6" % (
                    pname, k, ao["seconds"]))
            else:
                ratio = saga["seconds"] / ao["seconds"]
                lines.append("%s (2) %s eps=1e-6: asyncopt svrg %dt %.4f s vs sklearn saga (%s) %.4f s: %.2fx" % (
                    "PASS" if ratio >= 5 else "FAIL", pname, k, ao["seconds"], saga["setting"], saga["seconds"], ratio))
    return lines


def write_outputs(args, rows, fstars, summary, meta):
    prefix = os.path.join(args.out, args.prefix)
    h.write_csv(prefix + ".csv", rows, ["problem", "tool", "setting", "time_kind", "seconds", "objective", "subopt",
                                        "f_star", "status", "epochs", "cli_wall", "times"], float_format="%.17g")
    goals = goal_lines(summary, fstars)
    h.write_json(prefix + ".json", dict(meta=meta, problems=fstars, summary=summary, goals=goals, rows=rows))
    plot(args, rows, fstars, prefix + ".png")
    h.write_markdown(prefix + ".md", markdown(args, rows, fstars, summary, meta, goals))
    log("\n".join(goals))
    log("wrote %s.{csv,json,png,md}" % prefix)


def plot(args, rows, fstars, path):
    names = list(fstars)
    fig, axes = h.panels(len(names), 3, 5.2, 4.3)
    for ax, pname in zip(axes, names):
        tools = []
        for r in rows:
            if r["problem"] == pname and r["tool"] not in tools and not r["tool"].endswith("-cli"):
                tools.append(r["tool"])
        for t in tools:
            pts = sorted([(r["seconds"], max(r["subopt"], 1e-12)) for r in rows
                          if r["problem"] == pname and r["tool"] == t])
            if t.startswith("asyncopt"):
                continue
            # markers: every setting; line: the best subopt reachable within t seconds
            xs = [p[0] for p in pts]
            front = np.minimum.accumulate([p[1] for p in pts])
            line, = ax.step(xs, front, where="post", lw=1.2,
                            label=t.replace("sklearn-", "sk-").replace("liblinear-train", "ll-train"))
            ax.plot(xs, [p[1] for p in pts], "o", ms=2.5, color=line.get_color(), alpha=0.6)
        fstar = fstars[pname]["f_star"]
        for key, path_tr in sorted(fstars[pname].get("traces", {}).items()):
            t = h.read_trace(path_tr)
            if t is not None:
                sub = np.maximum((t["objective"] - fstar) / fstar, 1e-12)
                keep = t["seconds"] > 0
                ax.plot(t["seconds"][keep], sub[keep], "-", lw=2.2, label="asyncopt " + key)
        for eps in TARGETS:
            ax.axhline(eps, color="grey", ls=":", lw=0.8)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("seconds (sklearn fit / liblinear-train wall / asyncopt solve)")
        ax.set_ylabel("(F - f*)/f*")
        ax.set_title(pname, fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6)
    h.save_figure(fig, path, dpi=120)


def markdown(args, rows, fstars, summary, meta, goals):
    mc = meta["machine"]
    L = []
    L.append("# asyncopt vs scikit-learn and LIBLINEAR\n")
    L.append("Generated by `bench/compare_tools.py`. Command: `%s`.\n" % meta["command"])
    L.append("Machine: %s, %s cores, Linux %s, Python %s, numpy %s, scikit-learn %s; %s; binary `%s`: %s; "
             "repository at %s.\n" % (mc["cpu"], mc["cores"], mc["kernel"], mc["python"], mc["numpy"],
                                      mc["sklearn"], mc["date"], meta["binary"],
                                      meta.get("binary_version", "unknown"), meta["git_commit"]))
    la, lb = meta["load_start"], meta["load_end"]
    high = max(la[0], lb[0]) > 1.5
    L.append("Load average at start %.2f / %.2f / %.2f, at end %.2f / %.2f / %.2f%s. Whole run %.0f s.\n" % (
        *la, *lb, " -- **HIGH: the 2 cores were shared with other builds, all timings are noisy "
                  "(typically inflated); ratios between tools run minutes apart carry that noise**" if high else "",
        meta["elapsed_seconds"]))
    L.append("## Problems\n")
    L.append("F(w) = (1/m) sum loss(y, x.w) + l2/2 ||w||^2 + l1 ||w||_1, no intercept, same data in memory for "
             "every tool; f* = `asyncopt optimum` (reference solver, 1e-12 relative).\n")
    L.append("| problem | data | m | d | nnz | loss | l1 | l2 | f* |")
    L.append("|---|---|---|---|---|---|---|---|---|")
    for p, v in fstars.items():
        L.append("| %s | %s | %d | %d | %d | %s | %g | %s | %.12g |" % (
            p, os.path.basename(v["source"]) if v["source"].startswith("/") else v["source"], v["m"], v["d"],
            v["nnz"], v["loss"], v["l1"], v["l2_text"], v["f_star"]))
    L.append("\nl2 for a9a/w8a: l2 = 1/m, i.e. LIBLINEAR / sklearn C = 1. l1-l2: sklearn C = 1/(m(l1+l2)), "
             "l1_ratio = l1/(l1+l2); SGDClassifier alpha = l1+l2 with the same l1_ratio.\n")
    L.append("## Goals\n")
    L.append("```")
    L.extend(goals)
    L.append("```\n")
    L.append("(1a) compares in-memory times: asyncopt's summary `seconds` (the faster of `svrg` and `reference` "
             "at 2 threads; both are listed in brackets) vs sklearn's `fit()`. (1b) compares "
             "whole-program wall times: `asyncopt train` with 2 threads (parse, f* from cache, solve, off-clock "
             "objective checks, summary) vs `liblinear-train` (parse, solve, model file), each at the loosest "
             "setting that reaches the target.\n")
    L.append("## Time to reach (F - f*)/f* <= eps (best setting of each tool; seconds)\n")
    for pname, per in summary.items():
        L.append("### %s\n" % pname)
        L.append("| tool | time kind | 1e-3: s | setting | 1e-6: s | setting |")
        L.append("|---|---|---|---|---|---|")
        tools = list(per["0.001"].keys())
        kinds = {r["tool"]: r["time_kind"] for r in rows if r["problem"] == pname}

        def key(t):
            b, a = per["1e-06"].get(t), per["0.001"].get(t)
            return (0, b["seconds"]) if b else ((1, a["seconds"]) if a else (2, 0))
        for t in sorted(tools, key=key):
            a, b = per["0.001"][t], per["1e-06"][t]
            L.append("| %s | %s | %s | %s | %s | %s |" % (
                t, kinds.get(t, ""), fmt_s(a["seconds"]) if a else "not reached", a["setting"] if a else "",
                fmt_s(b["seconds"]) if b else "not reached", b["setting"] if b else ""))
        L.append("")
    L.append("Tools marked `-tuned-step` are informative only (svrg with --step = 2x/3x/5x its default rule "
             "1/(3 L), L = 0.25 mean_i ||x_i||^2, single run each, not used by the goals); `-cli` rows are "
             "whole-program wall times.\n")
    L.append("## Notes\n")
    L.append("* Goal (1) asks for asyncopt at 2 threads against the fastest sklearn solver. The verdict takes "
             "the faster of `svrg` (the asynchronous solver) and `reference` (Newton-CG, data-parallel over "
             "rows with 2 threads); each one's own ratio is in brackets. For l2 logistic regression with C = 1 "
             "on a9a/w8a the condition number is about 3n, where svrg needs tens of epochs and Newton a few "
             "iterations.\n"
             "* `asyncopt train --solver svrg --loss hinge` is refused (exit 2, 'needs a smooth loss'); the hinge "
             "problem uses hogwild (default step, --step-decay 0.9) and the reference solver (dual coordinate "
             "descent), capped at 10 s.\n"
             "* liblinear-train -s 3 (LIBLINEAR 2.3) stops at its iteration cap (1000) before reaching 1e-6 on "
             "a9a-hinge whatever -e is.\n"
             "* 2 threads on 2 cores that other jobs are also using (see the load above) cannot run in parallel "
             "most of the time: 2-thread figures here are pessimistic.\n")
    L.append("## Every run\n")
    L.append("Full sweep in `%s.csv` (tool, setting, seconds, objective by our formula, subopt). "
             "Plot: `%s.png` (subopt vs seconds; asyncopt curves from `--trace`, objective evaluation off "
             "the clock).\n" % (args.prefix, args.prefix))
    L.append("![](%s.png)\n" % args.prefix)
    return L


if __name__ == "__main__":
    main()
