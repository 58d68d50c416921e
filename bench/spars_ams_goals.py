#!/usr/bin/python3
"""SPARS-AMS: the goals of issue 17 (compressors at 20 workers, one worker against scikit-learn, hot paths).

`asyncopt train --solver spars-ams` (paper 003, Algorithm 1): N workers send a
compressed mini-batch gradient with optional error feedback, the server
averages the N messages and takes an AMSGrad step. Every run here:
--batch-size B (per worker per round, default 32), --step eta (default 1e-3),
--l2 (default 1e-4), AMSGrad's beta1 0.9, beta2 0.999, epsilon 1e-8, --scale
maxabs (the pixels are raw 0-255; the test file gets the training scales).

Parts:
  compress  (a) and (c): per cell (dataset x model), 20 workers (--workers), the
            same number of rounds for every compressor (fixed --max-epochs: a
            round is N x B rows, so rounds = epochs x rows / (N B)):
              none     full-precision distributed AMSGrad (the reference)
              topk-ef  topk, k = 1% of the parameters (--rho 0.01), error feedback
              topk     the same without error feedback
              gspar-ef gspar at rho 0.01 with error feedback
              qsgd-ef  qsgd (4 levels) with error feedback
              sign-ef  the scaled sign with error feedback
            test accuracy on the test file at every trace point (--trace-every
            epochs) and at the end (summary test.accuracy); worker-to-server
            bits = the summary's bits_sent (coding length, 32-bit values).
            Cells: mnist-mlp (--model-kind mlp --hidden 100), mnist-softmax,
            fashion-mlp; one seed per interleaved round (--seeds).
  sklearn   (b): one worker, full AMSGrad (--threads 1 --sparsifier none), the
            perceptron on mnist, against scikit-learn's
            MLPClassifier(solver="adam", hidden_layer_sizes=(H,), batch_size=B,
            learning_rate_init=eta, alpha=l2 x B, beta_1/beta_2/epsilon equal,
            shuffle=True, max_iter=E, tol=0, n_iter_no_change=E+1: exactly E
            epochs). alpha = l2 x B because scikit-learn adds (alpha / 2) ||W||^2
            / batch rows to each mini-batch's mean loss, asyncopt (l2 / 2) ||W||^2;
            both leave the biases out. Not equal: scikit-learn's Adam has bias
            correction and no v_hat max, its start is Glorot-uniform (ours He-normal).
            scikit-learn runs in a child process on the same scaled float64
            matrix, dense and CSR, with OpenBLAS (Debian's libopenblas0-pthread,
            unpacked into WORK/openblas by `apt-get download` + `dpkg -x`, put first
            on LD_LIBRARY_PATH: the system's reference BLAS is ~40x slower at
            gemm) at 2 threads and at 1; the fastest of them is scikit-learn's
            number. Samples/s: ours = the summary's updates_per_second (rows /
            solver seconds), scikit-learn = rows x E / fit() seconds. Time to
            scikit-learn's final test accuracy (the median of its fastest
            configuration's runs): ours = the first trace point (every
            --sk-trace-every epochs; trace evaluation is off the solver clock)
            at or above it; scikit-learn's = its fit time, or less when a
            per-epoch partial_fit run (evaluated off its clock) reached it in an
            earlier epoch (fit time x epoch / E).
  hotpath   (d): the `asyncopt` of the commit before issue 17 (--base-binary,
            default /work/base17/build/release/src/cli/asyncopt) against this
            one, interleaved: hogwild and svrg, 2 threads, fixed epochs, --f-star
            skip, no trace, on a9a and rcv1-vw-small (logistic, l2 1e-4):
            updates/s per run, ratio new/old per round; median and min-max.

Goals (issue 17), one line each:
  (a) per cell: topk-ef's median final test accuracy within 0.5 points of none's
      (or above) with >= 50x fewer worker-to-server bits; topk without error
      feedback measurably worse (median >= 0.5 points below topk-ef and, with
      >= 2 seeds, every seed below every topk-ef seed) -- or said that it is not.
  (b) ours >= 2x scikit-learn's samples/s; ours' time to scikit-learn's final
      test accuracy <= scikit-learn's.
  (d) new/old updates/s median >= 0.95 per solver and dataset.

Usage (always /usr/bin/python3, from anywhere; build with the release preset):
  /usr/bin/python3 bench/spars_ams_goals.py [--parts compress,sklearn,hotpath]
      [--cells mnist-mlp,mnist-softmax,fashion-mlp] [--compressors none,topk-ef,...] [--seeds 2]
      [--epochs N | --epochs cell=N,...]
      [--workers 20] [--batch-size 32] [--step 1e-3] [--l2 1e-4] [--trace-every 0.5]
      [--sk-epochs 5] [--sk-repeats 3] [--hot-repeats 5] [--base-binary B]
      [--binary B] [--work DIR] [--out bench/results] [--prefix P]
  /usr/bin/python3 bench/spars_ams_goals.py --smoke --out /tmp/sa   # ~2 min: 3000 rows, 1 seed
  /usr/bin/python3 bench/spars_ams_goals.py --replot   # tables and figure again from the JSON
A run of some parts keeps the other parts' runs from OUT/PREFIX.json.
Outputs: OUT/PREFIX.{csv,json,md,png} and OUT/PREFIX_curves.csv (every trace
point: Figure 1's data), PREFIX = spars_ams_goals.
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
from harness import ROOT, log, fmt, span

ACC_TOL = 0.5          # points: topk-ef at most this below none
BITS_GOAL = 50.0       # none / topk-ef worker-to-server bits: at least this
WORSE = 0.5            # points: topk without EF at least this below topk-ef to count as worse
SPEED_GOAL = 2.0       # ours / scikit-learn samples per second
HOT_GOAL = 0.95        # new / old updates per second
COMPRESSORS = {
    "none": ["--sparsifier", "none"],
    "topk-ef": ["--sparsifier", "topk", "--rho", "0.01", "--error-feedback"],
    "topk": ["--sparsifier", "topk", "--rho", "0.01"],
    "gspar-ef": ["--sparsifier", "gspar", "--rho", "0.01", "--error-feedback"],
    "qsgd-ef": ["--sparsifier", "qsgd", "--error-feedback"],
    "sign-ef": ["--sparsifier", "sign", "--error-feedback"],
}
CELLS = {
    "mnist-mlp": dict(train="mnist", test="mnist.t", model="mlp"),
    "mnist-softmax": dict(train="mnist", test="mnist.t", model="softmax"),
    "fashion-mlp": dict(train="fashion-mnist", test="fashion-mnist.t", model="mlp"),
}
HOT = {  # (solver, dataset) -> epochs (about a second a run on this machine)
    ("hogwild", "a9a"): 100, ("hogwild", "rcv1-vw-small"): 1200,
    ("svrg", "a9a"): 150, ("svrg", "rcv1-vw-small"): 1500,
}
SK_CONFIGS = ("dense", "csr", "dense-1thread")  # scikit-learn's input and BLAS threads


def pts(acc):
    return None if acc is None else 100.0 * acc


# --------------------------------------------------------------------------- data
def dataset(a, name):
    """WORK/NAME.svm (decompressed once; with --rows the first ROWS lines, the test file's first ROWS/2)."""
    full = h.plain_copy(name, a.work)
    if not a.rows:
        return full
    rows = a.rows if not name.endswith(".t") else max(100, a.rows // 2)
    path = os.path.join(a.work, "%s-%d.svm" % (name, rows))
    if not os.path.exists(path):
        with open(full) as fi, open(path + ".tmp", "w") as fo:
            for i, line in enumerate(fi):
                if i >= rows:
                    break
                fo.write(line)
        os.replace(path + ".tmp", path)
    return path


def problem_args(a, train, test):
    return ["--data", train, "--test", test, "--scale", "maxabs", "--l2", repr(a.l2)]


# --------------------------------------------------------------------------- one spars-ams run
def curve_of(trace, workers):
    """Every trace point: rounds (server steps = whole rounds of messages), epoch, solver seconds,
    bits sent so far, test accuracy, last round's loss, training objective."""
    if trace is None:
        return []
    out = []
    for i in range(len(trace["seconds"])):
        g = lambda k: float(trace[k][i]) if k in trace and trace[k][i] == trace[k][i] else None  # noqa: E731
        ex = g("exchanges") or 0.0
        out.append(dict(rounds=int(ex // workers), epoch=g("epoch"), seconds=g("seconds"), bits_sent=g("bits_sent"),
                        test_accuracy=g("test_accuracy"), batch_loss=g("batch_loss"), objective=g("objective")))
    return out


def spars_run(a, args, workers, label):
    """One `asyncopt train --solver spars-ams`: the record the goals read."""
    out = dict(load1=h.loadavg()[0])
    try:
        r = h.run_cli(a.binary, ["train", "--solver", "spars-ams"] + args + ["--f-star", "skip", "--quiet"],
                      cwd=ROOT, timeout=a.timeout, ok=None)
    except RuntimeError as e:
        log("   %s" % e)
        out.update(status="killed")
        return out
    s = r["summary"] or {}
    test = s.get("test") or {}
    out.update(status=s.get("status", "error (exit %d)" % r["rc"]), rc=r["rc"], seconds=s.get("seconds"),
               epochs=s.get("epochs"), updates=s.get("updates"), updates_per_second=s.get("updates_per_second"),
               rounds=(s.get("exchanges") or 0) // workers, exchanges=s.get("exchanges"),
               bits_sent=s.get("bits_sent"), bits_returned=s.get("bits_returned"), coords_sent=s.get("coords_sent"),
               bytes_sent=s.get("bytes_sent"), bytes_returned=s.get("bytes_returned"), objective=s.get("objective"),
               test_accuracy=test.get("accuracy"), parameters=s.get("parameters"), message=s.get("message"),
               wall=r["wall"], command=" ".join(shlex.quote(x) for x in r["command"]))
    out["curve"] = curve_of(r["trace"], workers)
    out["batch_loss"] = out["curve"][-1]["batch_loss"] if out["curve"] else None
    out.update(r["provenance"])
    if not s:
        out["stderr"] = r["stderr"][-500:]
    log("   %-34s %-10s %7s s %6s rounds  acc %s  bits %s  wall %.1f  load %.1f" % (
        label, out["status"], fmt(out["seconds"], "%.2f"), out["rounds"], fmt(pts(out["test_accuracy"]), "%.2f"),
        fmt(out["bits_sent"], "%.3g"), r["wall"], out["load1"]))
    return out


# --------------------------------------------------------------------------- (a) compressors
def compress_runs(a):
    cells = [dict(cell=c, compressor=k) for c in a.cells for k in a.compressors]

    def one(cell, rnd):
        spec = CELLS[cell["cell"]]
        seed = rnd + 1
        args = problem_args(a, dataset(a, spec["train"]), dataset(a, spec["test"])) + [
            "--model-kind", spec["model"]] + (["--hidden", str(a.hidden)] if spec["model"] == "mlp" else []) + [
            "--threads", str(a.workers),
            "--batch-size", str(a.batch_size), "--step", repr(a.step), "--max-epochs", str(a.epochs[cell["cell"]]),
            "--trace-every", repr(a.trace_every), "--seed", str(seed)] + COMPRESSORS[cell["compressor"]]
        rec = spars_run(a, args, a.workers, "%s %s seed %d" % (cell["cell"], cell["compressor"], seed))
        rec.update(part="compress", seed=seed, dataset=spec["train"], model=spec["model"], workers=a.workers)
        return rec
    return h.interleaved(cells, a.seeds, one)


# --------------------------------------------------------------------------- (b) scikit-learn
def openblas_dir(a):
    """The directory with OpenBLAS's libblas.so.3 for scikit-learn's child process, or None (system BLAS)."""
    if a.openblas == "system":
        return None
    if a.openblas:
        return a.openblas
    root = os.path.join(a.work, "openblas")
    lib = os.path.join(root, "root/usr/lib/x86_64-linux-gnu/openblas-pthread")
    if not os.path.exists(os.path.join(lib, "libblas.so.3")):
        os.makedirs(root, exist_ok=True)
        try:
            subprocess.run(["apt-get", "download", "libopenblas0-pthread"], cwd=root, check=True,
                           capture_output=True, timeout=300)
            deb = [f for f in os.listdir(root) if f.endswith(".deb")][0]
            subprocess.run(["dpkg", "-x", deb, "root"], cwd=root, check=True, capture_output=True, timeout=300)
        except (OSError, subprocess.SubprocessError, IndexError) as e:
            log("   no OpenBLAS for scikit-learn (%s): the system BLAS" % e)
            return None
    return lib if os.path.exists(os.path.join(lib, "libblas.so.3")) else None


def sk_cache(a, train, test):
    """WORK/*.npz: the train and test matrices as asyncopt reads them (max-abs scales of the training
    columns on both, class labels kept), made once; (train npz, test npz, features)."""
    import numpy as np
    import scipy.sparse as sp
    from sklearn.datasets import load_svmlight_file
    base = os.path.join(a.work, os.path.basename(train)[:-4] + "-maxabs")
    paths = (base + "-train.npz", base + "-test.npz")
    if not all(os.path.exists(p) for p in paths):
        X, y = load_svmlight_file(train, zero_based=False, dtype=np.float64)
        Xt, yt = load_svmlight_file(test, zero_based=False, dtype=np.float64)
        d = X.shape[1]
        Xt = sp.csr_matrix(Xt[:, :d]) if Xt.shape[1] >= d else sp.csr_matrix((Xt.data, Xt.indices, Xt.indptr),
                                                                               shape=(Xt.shape[0], d))
        s = np.asarray(abs(X).max(axis=0).todense()).ravel()
        s[s == 0] = 1.0
        D = sp.diags(1.0 / s)
        for path, M, lab in ((paths[0], X, y), (paths[1], Xt, yt)):
            M = sp.csr_matrix(M @ D)
            M.sort_indices()
            np.savez(path + ".tmp.npz", data=M.data, indices=M.indices, indptr=M.indptr, shape=M.shape, y=lab)
            os.replace(path + ".tmp.npz", path)
    return paths


def sk_child(a, task, blas_dir, threads):
    """scikit-learn in a child process (BLAS chosen at its start): the task's JSON answer."""
    env = dict(os.environ)
    if blas_dir:
        env["LD_LIBRARY_PATH"] = blas_dir + ((":" + env["LD_LIBRARY_PATH"]) if env.get("LD_LIBRARY_PATH") else "")
    env["OPENBLAS_NUM_THREADS"] = str(threads)
    p, wall = h.run(["/usr/bin/python3", os.path.abspath(__file__), "--sklearn-child", json.dumps(task)], env=env,
                    timeout=a.timeout)
    out = json.loads(p.stdout.strip().splitlines()[-1])
    out["child_wall"] = wall
    return out


def sklearn_child_main(task):
    """The child: loads the npz pair, fits (or partial_fits epoch by epoch), prints one JSON line."""
    import warnings
    import numpy as np
    import scipy.sparse as sp
    import threadpoolctl
    from sklearn.neural_network import MLPClassifier

    def load(path):
        z = np.load(path)
        M = sp.csr_matrix((z["data"], z["indices"], z["indptr"]), shape=tuple(z["shape"]))
        return M, z["y"]
    X, y = load(task["train"])
    Xt, yt = load(task["test"])
    if task["format"] == "dense":
        X, Xt = X.toarray(), Xt.toarray()
    E = task["epochs"]
    kw = dict(hidden_layer_sizes=(task["hidden"],), activation="relu", solver="adam", alpha=task["alpha"],
              batch_size=task["batch_size"], learning_rate_init=task["eta"], beta_1=task["beta1"],
              beta_2=task["beta2"], epsilon=task["epsilon"], shuffle=True, tol=0.0, n_iter_no_change=E + 1,
              early_stopping=False, max_iter=E)
    out = dict(blas=[dict(api=i.get("internal_api"), threads=i.get("num_threads"), path=i.get("filepath"))
                     for i in threadpoolctl.threadpool_info()], rows=X.shape[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if task["mode"] == "fit":
            clf = MLPClassifier(random_state=task["seed"], **kw)
            t0 = time.perf_counter()
            clf.fit(X, y)
            out.update(fit_seconds=time.perf_counter() - t0, n_iter=clf.n_iter_, accuracy=float(clf.score(Xt, yt)))
        else:  # one epoch per partial_fit; a RandomState object so the shuffles go on from epoch to epoch
            clf = MLPClassifier(random_state=np.random.RandomState(task["seed"]), **kw)
            classes, clock, curve = np.unique(y), 0.0, []
            for e in range(E):
                t0 = time.perf_counter()
                clf.partial_fit(X, y, classes=classes)
                clock += time.perf_counter() - t0
                curve.append(dict(epoch=e + 1, seconds=clock, test_accuracy=float(clf.score(Xt, yt))))
            out.update(curve=curve, fit_seconds=clock, accuracy=curve[-1]["test_accuracy"])
    print(json.dumps(out))


def sklearn_runs(a):
    spec = CELLS["mnist-mlp"]
    train, test = dataset(a, spec["train"]), dataset(a, spec["test"])
    npz = sk_cache(a, train, test)
    blas = openblas_dir(a)
    task = dict(train=npz[0], test=npz[1], hidden=a.hidden, alpha=a.l2 * a.batch_size, batch_size=a.batch_size,
                eta=a.step, beta1=0.9, beta2=0.999, epsilon=1e-8, epochs=a.sk_epochs)
    cells = [dict(who="asyncopt")] + [dict(who="sklearn", config=c) for c in SK_CONFIGS]

    def one(cell, rnd):
        seed = rnd + 1
        if cell["who"] == "asyncopt":
            args = problem_args(a, train, test) + [
                "--model-kind", "mlp", "--hidden", str(a.hidden), "--threads", "1", "--sparsifier", "none",
                "--batch-size", str(a.batch_size), "--step", repr(a.step), "--max-epochs", str(a.sk_epochs),
                "--trace-every", repr(a.sk_trace_every), "--seed", str(seed)]
            rec = spars_run(a, args, 1, "one worker seed %d" % seed)
            rec["samples_per_second"] = rec.get("updates_per_second")
        else:
            fmt_, threads = ("csr" if cell["config"] == "csr" else "dense"), (1 if "1thread" in cell["config"] else 2)
            rec = dict(load1=h.loadavg()[0])
            try:
                rec.update(sk_child(a, dict(task, format=fmt_, seed=seed, mode="fit"), blas, threads))
                rec["samples_per_second"] = rec["rows"] * a.sk_epochs / rec["fit_seconds"]
                rec["test_accuracy"] = rec["accuracy"]
                rec["status"] = "ok" if rec.get("n_iter") == a.sk_epochs else "n_iter %s" % rec.get("n_iter")
            except (RuntimeError, ValueError, IndexError) as e:
                log("   %s" % e)
                rec["status"] = "failed"
            log("   sklearn %-13s seed %d  %s  fit %s s  %s samples/s  acc %s  load %.1f" % (
                cell["config"], seed, rec["status"], fmt(rec.get("fit_seconds"), "%.2f"),
                fmt(rec.get("samples_per_second"), "%.0f"), fmt(pts(rec.get("test_accuracy")), "%.2f"), rec["load1"]))
        rec.update(part="sklearn", seed=seed)
        return rec
    runs = h.interleaved(cells, a.sk_repeats, one)
    # One per-epoch curve of the fastest configuration (its clock: the partial_fit calls only).
    best = fastest_config(runs)
    if best:
        fmt_, threads = ("csr" if best == "csr" else "dense"), (1 if "1thread" in best else 2)
        rec = dict(part="sklearn", who="sklearn-curve", config=best, seed=1, round=0, load1=h.loadavg()[0])
        try:
            rec.update(sk_child(a, dict(task, format=fmt_, seed=1, mode="curve"), blas, threads))
            rec["status"] = "ok"
        except (RuntimeError, ValueError, IndexError) as e:
            log("   %s" % e)
            rec["status"] = "failed"
        log("   sklearn curve (%s): %s" % (best, " ".join(fmt(pts(p["test_accuracy"]), "%.2f")
                                                       for p in rec.get("curve", []))))
        runs.append(rec)
    return runs, blas


def fastest_config(runs):
    """The scikit-learn configuration with the highest median samples per second, or None."""
    med = {}
    for c in SK_CONFIGS:
        v = h.median([r.get("samples_per_second") for r in runs
                      if r.get("who") == "sklearn" and r.get("config") == c and r.get("status") == "ok"])
        if v is not None:
            med[c] = v
    return max(med, key=med.get) if med else None


# --------------------------------------------------------------------------- (d) hot paths
def hotpath_runs(a):
    cells = [dict(solver=s, dataset=d, binary=b) for (s, d) in HOT for b in ("old", "new")]

    def one(cell, rnd):
        epochs = HOT[(cell["solver"], cell["dataset"])]
        if a.rows:
            epochs = max(1, epochs // 20)
        binary = a.base_binary if cell["binary"] == "old" else a.binary
        args = ["train", "--data", dataset(a, cell["dataset"]), "--loss", "logistic", "--l2", "1e-4",
                "--solver", cell["solver"], "--threads", "2", "--max-epochs", str(epochs), "--f-star", "skip",
                "--seed", "1", "--quiet"]
        if cell["solver"] == "hogwild":
            # The same path in both binaries: hogwild's default step decays
            # since issue 19 (a decaying step computes its l2 factors).
            args += ["--step-decay", "1"]
        rec = dict(part="hotpath", epochs_asked=epochs, load1=h.loadavg()[0])
        try:
            r = h.run_cli(binary, args, trace=False, cwd=ROOT, timeout=a.timeout, ok=(0,))
            s = r["summary"] or {}
            rec.update(status=s.get("status"), seconds=s.get("seconds"), updates=s.get("updates"),
                       updates_per_second=s.get("updates_per_second"), wall=r["wall"],
                       command=" ".join(shlex.quote(x) for x in r["command"]))
            rec.update(r["provenance"])
        except RuntimeError as e:
            log("   %s" % e)
            rec["status"] = "failed"
        log("   %-8s %-14s %s  %s updates/s  %s s" % (cell["solver"], cell["dataset"], cell["binary"],
                                                     fmt(rec.get("updates_per_second"), "%.4g"),
                                                     fmt(rec.get("seconds"), "%.3f")))
        return rec
    return h.interleaved(cells, a.hot_repeats, one)


# --------------------------------------------------------------------------- summaries and goals
def acc_of(runs, cell, comp):
    return [r.get("test_accuracy") for r in runs if r.get("part") == "compress" and r.get("cell") == cell
            and r.get("compressor") == comp and r.get("test_accuracy") is not None]


def summarise(meta, runs):
    goals, S = [], dict(compress=[], sklearn=None, hotpath=[])
    # (a)
    for cell in meta.get("cells", []):
        rows = {}
        for comp in COMPRESSORS:
            rs = [r for r in runs if r.get("part") == "compress" and r.get("cell") == cell
                  and r.get("compressor") == comp]
            if not rs:
                continue
            rows[comp] = dict(compressor=comp, runs=len(rs), accs=[pts(r.get("test_accuracy")) for r in rs],
                              acc=pts(h.median([r.get("test_accuracy") for r in rs])),
                              bits=h.median([r.get("bits_sent") for r in rs]),
                              bytes=h.median([r.get("bytes_sent") for r in rs]),
                              rounds=h.median([r.get("rounds") for r in rs]),
                              seconds=h.median([r.get("seconds") for r in rs]),
                              objective=h.median([r.get("objective") for r in rs]),
                              batch_loss=h.median([r.get("batch_loss") for r in rs]),
                              statuses=sorted(set(str(r.get("status")) for r in rs)))
        none = rows.get("none")
        for row in rows.values():
            row["vs_none"] = None if not none or row["acc"] is None or none["acc"] is None else row["acc"] - none["acc"]
            row["bits_ratio"] = None if not none else h.ratio(none["bits"], row["bits"])
        S["compress"].append(dict(cell=cell, rows=rows))
        ef, noef = rows.get("topk-ef"), rows.get("topk")
        if not none or not ef or none["acc"] is None or ef["acc"] is None:
            goals.append("n/a  (a) %s: topk-ef or none missing" % cell)
            continue
        gap, bits = ef["acc"] - none["acc"], ef["bits_ratio"]
        ok = gap >= -ACC_TOL and bits is not None and bits >= BITS_GOAL
        goals.append("%s (a) %s: topk-ef %.2f%% vs none %.2f%% (%+.2f points, goal >= -%.1f) with %sx fewer "
                     "worker-to-server bits (goal >= %gx); %d seed(s), %s rounds" % (
                         "PASS" if ok else "FAIL", cell, ef["acc"], none["acc"], gap, ACC_TOL, fmt(bits, "%.1f"),
                         BITS_GOAL, min(none["runs"], ef["runs"]), fmt(none["rounds"], "%d")))
        if noef and noef["acc"] is not None:
            drop = ef["acc"] - noef["acc"]
            good = [x for x in ef["accs"] if x is not None]
            bad = [x for x in noef["accs"] if x is not None]
            apart = len(good) < 2 or len(bad) < 2 or max(bad) < min(good)
            worse = drop >= WORSE and apart
            goals.append("%s (a) %s: topk without error feedback %s: %.2f%% vs topk-ef %.2f%% (%+.2f points; "
                         "seeds %s vs %s)" % (
                             "PASS" if worse else "NOTE", cell,
                             "measurably worse" if worse else "NOT measurably worse (goal: >= %.1f points below, "
                             "every seed)" % WORSE, noef["acc"], ef["acc"], -drop, span(bad, "%.2f"),
                             span(good, "%.2f")))
    # (b)
    sk = [r for r in runs if r.get("part") == "sklearn"]
    if sk:
        ours = [r for r in sk if r.get("who") == "asyncopt"]
        best = fastest_config(sk)
        per = {c: dict(sps=h.median([r.get("samples_per_second") for r in sk if r.get("config") == c
                                     and r.get("who") == "sklearn" and r.get("status") == "ok"]),
                       fit=h.median([r.get("fit_seconds") for r in sk if r.get("config") == c
                                     and r.get("who") == "sklearn" and r.get("status") == "ok"]),
                       acc=pts(h.median([r.get("test_accuracy") for r in sk if r.get("config") == c
                                         and r.get("who") == "sklearn" and r.get("status") == "ok"])),
                       spss=[r.get("samples_per_second") for r in sk if r.get("config") == c
                             and r.get("who") == "sklearn"]) for c in SK_CONFIGS}
        B = dict(configs=per, best=best, ours_sps=h.median([r.get("samples_per_second") for r in ours]),
                 ours_spss=[r.get("samples_per_second") for r in ours],
                 ours_acc=pts(h.median([r.get("test_accuracy") for r in ours])), runs=len(ours))
        B["target"] = per[best]["acc"] if best else None
        B["speed_ratio"] = h.ratio(B["ours_sps"], per[best]["sps"]) if best else None
        times = []
        for r in ours:
            hit = None
            for p in r.get("curve") or []:
                if B["target"] is not None and p["test_accuracy"] is not None and \
                        100.0 * p["test_accuracy"] >= B["target"] - 1e-9 and p["rounds"] > 0:
                    hit = p["seconds"]
                    break
            times.append(hit)
        B["ours_times"] = times
        B["ours_time"] = h.median(times) if times and all(t is not None for t in times) else None
        B["ours_reached"] = sum(t is not None for t in times)
        sk_time = per[best]["fit"] if best else None
        cv = next((r for r in sk if r.get("who") == "sklearn-curve" and r.get("curve")), None)
        B["sk_curve"] = cv["curve"] if cv else None
        B["sk_epoch_hit"] = None
        if cv and sk_time is not None and B["target"] is not None:
            E = len(cv["curve"])
            k = next((p["epoch"] for p in cv["curve"] if 100.0 * p["test_accuracy"] >= B["target"] - 1e-9), None)
            if k is not None and k < E:
                B["sk_epoch_hit"] = k
                sk_time = sk_time * k / E
        B["sk_time"] = sk_time
        B["time_ratio"] = h.ratio(B["ours_time"], sk_time)
        S["sklearn"] = B
        if best is None or B["ours_sps"] is None:
            goals.append("n/a  (b) samples/s: a side is missing")
        else:
            goals.append("%s (b) samples/s, one worker, full AMSGrad: asyncopt %.0f vs scikit-learn %.0f (%s, the "
                         "fastest of %s) = %.2fx (goal >= %gx); medians of %d rounds" % (
                             "PASS" if B["speed_ratio"] >= SPEED_GOAL else "FAIL", B["ours_sps"], per[best]["sps"],
                             best, "/".join(SK_CONFIGS), B["speed_ratio"], SPEED_GOAL, B["runs"]))
            if B["ours_time"] is None:
                goals.append("FAIL (b) time to scikit-learn's final test accuracy %s%%: asyncopt reached it in %d/%d "
                             "runs (its final accuracy %s%%), scikit-learn %s s" % (
                                 fmt(B["target"], "%.2f"), B["ours_reached"], len(times), fmt(B["ours_acc"], "%.2f"),
                                 fmt(sk_time, "%.2f")))
            else:
                goals.append("%s (b) time to scikit-learn's final test accuracy %.2f%%: asyncopt %.2f s vs "
                             "scikit-learn %.2f s%s = %.2fx (goal <= 1)" % (
                                 "PASS" if B["time_ratio"] <= 1.0 else "FAIL", B["target"], B["ours_time"], sk_time,
                                 " (epoch %d of %d)" % (B["sk_epoch_hit"], len(B["sk_curve"]))
                                 if B["sk_epoch_hit"] else "", B["time_ratio"]))
    # (d)
    hot = [r for r in runs if r.get("part") == "hotpath"]
    for (solver, ds) in HOT:
        mine = [r for r in hot if r.get("solver") == solver and r.get("dataset") == ds]
        if not mine:
            continue
        ratios, old, new = [], [], []
        for rnd in sorted(set(r["round"] for r in mine)):
            o = next((r.get("updates_per_second") for r in mine if r["round"] == rnd and r["binary"] == "old"), None)
            n = next((r.get("updates_per_second") for r in mine if r["round"] == rnd and r["binary"] == "new"), None)
            old.append(o)
            new.append(n)
            ratios.append(h.ratio(n, o))
        med = h.median(ratios)
        S["hotpath"].append(dict(solver=solver, dataset=ds, ratio=med, ratios=ratios, old=h.median(old),
                                 new=h.median(new), rounds=len(ratios)))
        goals.append("%s (d) %s %s: new/old updates/s %s (%s over %d rounds; %s vs %s), goal >= %.2f" % (
            "n/a " if med is None else ("PASS" if med >= HOT_GOAL else "FAIL"), solver, ds, fmt(med, "%.3f"),
            span(ratios, "%.3f"), len(ratios), fmt(h.median(new), "%.4g"), fmt(h.median(old), "%.4g"), HOT_GOAL))
    S["goals"] = goals
    return S


# --------------------------------------------------------------------------- figure
def median_curve(rs):
    """Per trace index, the median test accuracy (points) over seeds, with the seeds' rounds and bits."""
    curves = [r.get("curve") or [] for r in rs]
    n = min((len(c) for c in curves), default=0)
    out = []
    for i in range(n):
        out.append(dict(rounds=h.median([c[i]["rounds"] for c in curves]),
                        bits=h.median([c[i]["bits_sent"] for c in curves]),
                        acc=pts(h.median([c[i]["test_accuracy"] for c in curves]))))
    return out


def plot(meta, S, runs, path):
    cells = [c["cell"] for c in S["compress"]]
    n = 2 * len(cells) + (1 if S["sklearn"] else 0)
    if n == 0:
        return
    fig, axes = h.panels(n, 2, 6.0, 3.8)
    colours = dict(zip(COMPRESSORS, ["black", "tab:blue", "tab:red", "tab:green", "tab:purple", "tab:orange"]))
    for i, cell in enumerate(cells):
        ax_r, ax_b = axes[2 * i], axes[2 * i + 1]
        finals = []
        for comp in COMPRESSORS:
            rs = [r for r in runs if r.get("part") == "compress" and r.get("cell") == cell
                  and r.get("compressor") == comp]
            mc = median_curve(rs)
            if not mc:
                continue
            finals.append(mc[-1]["acc"])
            ax_r.plot([p["rounds"] for p in mc], [p["acc"] for p in mc], "-", color=colours[comp], label=comp)
            pb = [p for p in mc if p["bits"]]
            ax_b.plot([p["bits"] for p in pb], [p["acc"] for p in pb], "-", color=colours[comp], label=comp)
        lo = max(0.0, min(f for f in finals if f is not None) - 4.0) if finals else 0.0
        for ax, xl in ((ax_r, "rounds (server steps)"), (ax_b, "worker-to-server bits sent")):
            ax.set_ylim(lo, 100.0)
            ax.set_xlabel(xl)
            ax.set_ylabel("test accuracy %")
            ax.grid(alpha=0.3)
        ax_b.set_xscale("log")
        ax_r.set_title("%s, %d workers, B=%d: accuracy vs rounds" % (cell, meta.get("workers", 0),
                                                                     meta.get("batch_size", 0)), fontsize=9)
        ax_b.set_title("%s: accuracy vs bits sent" % cell, fontsize=9)
        ax_r.legend(fontsize=7, loc="lower right")
    if S["sklearn"]:
        ax = axes[-1]
        B = S["sklearn"]
        ours = [r for r in runs if r.get("part") == "sklearn" and r.get("who") == "asyncopt" and r.get("curve")]
        if ours:
            c = [p for p in ours[0]["curve"] if p["rounds"] > 0]
            ax.plot([p["seconds"] for p in c], [pts(p["test_accuracy"]) for p in c], "-", color="tab:blue",
                    label="asyncopt spars-ams, 1 worker (seed 1)")
        if B.get("sk_curve"):
            c = B["sk_curve"]
            ax.plot([p["seconds"] for p in c], [pts(p["test_accuracy"]) for p in c], "o-", color="tab:red",
                    label="scikit-learn MLPClassifier adam (%s, per epoch)" % B["best"])
        if B.get("target") is not None:
            ax.axhline(B["target"], color="grey", ls=":", lw=1, label="scikit-learn's final accuracy")
        ax.set_ylim(max(0.0, (B["target"] or 100.0) - 5.0), 100.0)
        ax.set_xlabel("seconds (solver / fit clock)")
        ax.set_ylabel("test accuracy %")
        ax.set_title("(b) mnist perceptron, one worker", fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
    h.save_figure(fig, path)


# --------------------------------------------------------------------------- report
def markdown(meta, S, runs, prefix):
    L = ["# SPARS-AMS: compressors, one worker against scikit-learn, hot paths (issue 17)", "",
         "Machine of the last part run: %s. Binary: `%s` (%s). The parts may come from different runs, "
         "hosts and binaries: each says its own below." % (h.machine_text(meta["machine"]), meta["binary"]["path"],
                                                          meta["binary"]["version"]), ""]
    for p, m in (meta.get("part_meta") or {}).items():  # each part's own invocation (they may differ)
        where = ("on %s, %s" % (m["cpu"], m["binary"])) if m.get("cpu") else "host and binary not recorded"
        L += ["* %s: `%s` (%s; %s; load 1/5/15 min at its start %s, at its end %s%s)" % (
            p, m["command"], m["date"], where, " / ".join("%.1f" % x for x in m["load_start"]),
            " / ".join("%.1f" % x for x in m["load_end"]), ", %.0f s wall" % m["elapsed"] if m.get("elapsed") else "")]
    L += ["", "## Goals", ""] + ["    " + g for g in S["goals"]]
    if meta.get("smoke"):
        L += ["", "**Smoke run (%d rows): not a measurement.**" % meta["rows"]]
    if S["compress"]:
        L += ["", "## (a) Compressors, %d workers, the same rounds (Figure 1's runs)" % meta["workers"], "",
              "Every run: `--solver spars-ams --threads %d --batch-size %d --step %g --l2 %g --scale maxabs` (AMSGrad "
              "beta1 0.9, beta2 0.999, epsilon 1e-8), `--hidden %d` for mlp, `--max-epochs` %s, trace every %g "
              "epochs; seeds 1..%d, one per interleaved round. Accuracy: the summary's `test.accuracy` on the test "
              "file, median over seeds (each seed in brackets). Bits: `bits_sent` (coding length, 32-bit values, "
              "index bits ceil(log2 P)); bytes: the transport's `bytes_sent` (doubles and 32-bit indices)." % (
                  meta["workers"], meta["batch_size"], meta["step"], meta["l2"], meta["hidden"],
                  ", ".join("%s %s" % kv for kv in meta["epochs"].items()), meta["trace_every"], meta["seeds"]), ""]
        for c in S["compress"]:
            L += ["### %s" % c["cell"], ""]
            L += h.md_table(["compressor", "test accuracy %", "vs none (points)", "bits sent", "fewer bits than none",
                             "bytes sent", "rounds", "solver s", "train objective", "last round's loss", "status"],
                            [[k, "%s (%s)" % (fmt(r["acc"], "%.2f"), ", ".join(fmt(x, "%.2f") for x in r["accs"])),
                              fmt(r["vs_none"], "%+.2f"), fmt(r["bits"], "%.4g"), fmt(r["bits_ratio"], "%.1fx"),
                              fmt(r["bytes"], "%.4g"), fmt(r["rounds"], "%d"), fmt(r["seconds"], "%.1f"),
                              fmt(r["objective"], "%.4f"), fmt(r["batch_loss"], "%.4f"), ", ".join(r["statuses"])]
                             for k, r in c["rows"].items()])
            L += [""]
    B = S["sklearn"]
    if B:
        L += ["## (b) One worker, full AMSGrad, against scikit-learn's MLPClassifier(solver=\"adam\")", "",
              "mnist, perceptron with %d hidden ReLU units, B = %d, eta = %g, %d epochs, %d interleaved rounds (seed = "
              "round + 1). asyncopt: `--threads 1 --sparsifier none`, `--l2 %g`, trace every %g epochs (its "
              "evaluation off the solver clock). scikit-learn %s: alpha = l2 x B = %g, beta_1 0.9, beta_2 0.999, "
              "epsilon 1e-8, shuffle, tol 0, n_iter_no_change = E + 1 (exactly E epochs; the runs' n_iter_ is "
              "checked), in a child process on the same max-abs scaled float64 matrix; BLAS: %s." % (
                  meta["hidden"], meta["batch_size"], meta["step"], meta["sk_epochs"], meta["sk_repeats"], meta["l2"],
                  meta["sk_trace_every"], meta["machine"].get("sklearn", "?"), meta["l2"] * meta["batch_size"],
                  meta.get("sk_blas") or "the system's"), ""]
        rows = [["asyncopt spars-ams", "%s (%s)" % (fmt(B["ours_sps"], "%.0f"), span(B["ours_spss"], "%.0f")), "1.00",
                 fmt(B["ours_acc"], "%.2f"), "%s (%d/%d reached)" % (fmt(B["ours_time"], "%.2f"), B["ours_reached"],
                                                                   len(B["ours_times"]))]]
        for c, v in B["configs"].items():
            rows.append(["scikit-learn " + c + (" **(fastest)**" if c == B["best"] else ""),
                         "%s (%s)" % (fmt(v["sps"], "%.0f"), span(v["spss"], "%.0f")),
                         fmt(h.ratio(B["ours_sps"], v["sps"]), "%.2f"), fmt(v["acc"], "%.2f"),
                         fmt(B["sk_time"], "%.2f") if c == B["best"] else "-"])
        L += h.md_table(["solver", "samples/s median (range)", "ours / this", "final test accuracy %",
                         "s to scikit-learn's final accuracy"], rows)
        if B.get("sk_curve"):
            L += ["", "scikit-learn's per-epoch curve (%s, partial_fit, seed 1): %s." % (
                B["best"], ", ".join("epoch %d %.2f%% at %.2f s" % (p["epoch"], pts(p["test_accuracy"]), p["seconds"])
                                     for p in B["sk_curve"]))]
        L += [""]
    if S["hotpath"]:
        L += ["## (d) The existing solvers' hot paths: before issue 17 against now", "",
              "old: `%s` (%s); new: %s. `train --solver S --threads 2 --loss logistic --l2 1e-4 --max-epochs "
              "E --f-star skip`, no trace; updates/s from the summary; ratio new/old per round." % (
                  meta.get("base_binary", {}).get("path"), meta.get("base_binary", {}).get("version"),
                  (meta.get("part_meta") or {}).get("hotpath", {}).get(
                      "binary", "the binary of the hotpath run (%s; not recorded)" %
                      (meta.get("part_meta") or {}).get("hotpath", {}).get("date", "?"))), ""]
        L += h.md_table(["solver", "dataset", "epochs", "old updates/s", "new updates/s", "new/old median",
                         "min-max over rounds"],
                        [[r["solver"], r["dataset"], HOT[(r["solver"], r["dataset"])], fmt(r["old"], "%.4g"),
                          fmt(r["new"], "%.4g"), fmt(r["ratio"], "**%.3f**"), span(r["ratios"], "%.3f")]
                         for r in S["hotpath"]])
        L += [""]
    L += ["![](%s.png)" % prefix, "",
          "Every run with its command, load and provenance: `%s.csv`, `%s.json`; every trace point (Figure 1's "
          "data): `%s_curves.csv`." % (prefix, prefix, prefix)]
    return L


def write_outputs(base, prefix, meta, runs):
    S = summarise(meta, runs)
    h.write_csv(base + ".csv", runs, [
        "part", "cell", "compressor", "who", "config", "solver", "dataset", "binary", "model", "seed", "round",
        "status", "seconds", "epochs", "rounds", "updates", "updates_per_second", "samples_per_second", "fit_seconds",
        "test_accuracy", "objective", "batch_loss", "bits_sent", "bits_returned", "coords_sent", "bytes_sent",
        "bytes_returned", "parameters", "wall", "load1", "commit", "binary_version", "cpu", "cores", "date",
        "command"])
    pts_rows = []
    for r in runs:
        for i, p in enumerate(r.get("curve") or []):
            pts_rows.append(dict(part=r.get("part"), cell=r.get("cell") or ("mnist-mlp" if r.get("part") == "sklearn"
                                                                            else None),
                                 who=r.get("who") or "asyncopt", compressor=r.get("compressor") or r.get("config"),
                                 seed=r.get("seed"), point=i, **p))
    h.write_csv(base + "_curves.csv", pts_rows, ["part", "cell", "who", "compressor", "seed", "point", "rounds",
                                                 "epoch", "seconds", "bits_sent", "test_accuracy", "batch_loss",
                                                 "objective"])
    h.write_json(base + ".json", dict(meta=meta, summary=S, goals=S["goals"], runs=runs))
    plot(meta, S, runs, base + ".png")
    h.write_report(base, markdown(meta, S, runs, prefix), S["goals"])


# --------------------------------------------------------------------------- main
def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--sklearn-child":
        return sklearn_child_main(json.loads(sys.argv[2]))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.split("\n")[1:]))
    ap.add_argument("--binary", default=os.path.join(ROOT, "build/release/src/cli/asyncopt"))
    ap.add_argument("--base-binary", default="/work/base17/build/release/src/cli/asyncopt",
                    help="the asyncopt before issue 17 (part hotpath)")
    ap.add_argument("--parts", default="compress,sklearn,hotpath")
    ap.add_argument("--cells", default=",".join(CELLS))
    ap.add_argument("--compressors", default=",".join(COMPRESSORS), help="part compress: a subset of %s" %
                    ",".join(COMPRESSORS))
    ap.add_argument("--seeds", type=int, default=2, help="interleaved rounds of part compress, seed = round + 1")
    ap.add_argument("--epochs", help="epochs of every compress cell (default: 10; cell=N,... per cell)")
    ap.add_argument("--workers", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=32, help="rows per worker per round")
    ap.add_argument("--step", type=float, default=1e-3, help="AMSGrad's eta (and scikit-learn's learning_rate_init)")
    ap.add_argument("--l2", type=float, default=1e-4)
    ap.add_argument("--hidden", type=int, default=100)
    ap.add_argument("--trace-every", type=float, default=0.5, help="epochs between trace points in part compress")
    ap.add_argument("--sk-epochs", type=int, default=5, help="epochs of part sklearn (both sides)")
    ap.add_argument("--sk-repeats", type=int, default=3)
    ap.add_argument("--sk-trace-every", type=float, default=0.05)
    ap.add_argument("--hot-repeats", type=int, default=5)
    ap.add_argument("--openblas", help="a directory with libblas.so.3 for scikit-learn, or 'system'")
    ap.add_argument("--rows", type=int, help="train on the first ROWS rows (test: ROWS/2)")
    ap.add_argument("--smoke", action="store_true",
                    help="--rows 3000, 2 epochs, 1 seed, 1 round each of sklearn (1 epoch) and hotpath, prefix "
                         "spars_ams_smoke")
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds before a run is killed")
    ap.add_argument("--work", default=os.path.join(ROOT, "build/bench-work/spars"))
    ap.add_argument("--out", default=os.path.join(ROOT, "bench/results"))
    ap.add_argument("--prefix")
    ap.add_argument("--replot", action="store_true", help="no runs: redo the outputs from OUT/PREFIX.json")
    a = ap.parse_args()
    if a.smoke:
        a.rows = a.rows or 3000
        a.seeds, a.sk_repeats, a.hot_repeats, a.sk_epochs = 1, 1, 1, 1
        a.epochs = a.epochs or "2"
        a.sk_trace_every = 0.25
    a.prefix = a.prefix or ("spars_ams_smoke" if a.smoke else "spars_ams_goals")
    base = os.path.join(a.out, a.prefix)
    if a.replot:
        return h.replot(a, write_outputs)
    h.check_binary(ap, a)
    a.parts = h.listed(ap, "--parts", a.parts, ("compress", "sklearn", "hotpath"))
    a.cells = h.listed(ap, "--cells", a.cells, list(CELLS))
    a.compressors = h.listed(ap, "--compressors", a.compressors, list(COMPRESSORS))
    epochs = h.per_key(ap, "--epochs", a.epochs, list(CELLS), {c: 10 for c in CELLS}, int, "an integer")
    a.epochs = {c: epochs[c] for c in a.cells}
    if min([a.seeds, a.workers, a.batch_size, a.hidden, a.sk_epochs, a.sk_repeats, a.hot_repeats] +
           list(a.epochs.values())) < 1 or not (a.step > 0 and a.l2 >= 0 and a.trace_every > 0 and a.sk_trace_every > 0):
        ap.error("counts must be >= 1, --step, --trace-every, --sk-trace-every > 0, --l2 >= 0")
    if "hotpath" in a.parts:
        a.base_binary = os.path.abspath(a.base_binary)
        if not os.access(a.base_binary, os.X_OK):
            ap.error("--base-binary %s: not an executable file (build the commit before issue 17 there)"
                     % a.base_binary)
    a.work = os.path.abspath(a.work)
    os.makedirs(a.work, exist_ok=True)
    os.makedirs(a.out, exist_ok=True)
    command = "/usr/bin/python3 bench/spars_ams_goals.py " + " ".join(shlex.quote(x) for x in sys.argv[1:])
    old_runs, old_meta = [], {}
    if os.path.exists(base + ".json"):  # the parts not run now keep their runs
        with open(base + ".json") as f:
            old = json.load(f)
        old_meta = old["meta"]
        old_runs = [r for r in old["runs"] if r.get("part") not in a.parts]
    load_start, t0 = h.loadavg(), time.time()
    runs, sk_blas = [], None
    part_meta = dict(old_meta.get("part_meta") or {})

    def part(name, fn):
        load0, t_part = h.loadavg(), time.time()
        out = fn()
        part_meta[name] = dict(command=command, load_start=load0, load_end=h.loadavg(), date=h.utc_now(),
                               elapsed=time.time() - t_part, cpu=h.machine()["cpu"],
                               binary=h.binary_version(a.binary))
        return out
    if "compress" in a.parts:
        log("== compress: cells %s, %d seed(s), epochs %s" % (",".join(a.cells), a.seeds, a.epochs))
        runs += part("compress", lambda: compress_runs(a))
    if "sklearn" in a.parts:
        log("== sklearn: %d epochs, %d rounds" % (a.sk_epochs, a.sk_repeats))
        sk, sk_blas = part("sklearn", lambda: sklearn_runs(a))
        runs += sk
    if "hotpath" in a.parts:
        log("== hotpath: %d rounds, old %s" % (a.hot_repeats, a.base_binary))
        runs += part("hotpath", lambda: hotpath_runs(a))
    meta = dict(old_meta)
    meta.update(command=command, machine=h.machine(with_sklearn=True), git_commit=h.git_commit(),
                load_start=load_start, load_end=h.loadavg(), elapsed_seconds=time.time() - t0, part_meta=part_meta,
                binary=dict(path=a.binary, version=h.binary_version(a.binary)), smoke=a.smoke, rows=a.rows,
                workers=a.workers, batch_size=a.batch_size, step=a.step, l2=a.l2, hidden=a.hidden)
    if "compress" in a.parts:
        meta.update(cells=a.cells, seeds=a.seeds, epochs=a.epochs, trace_every=a.trace_every,
                    compressors={k: " ".join(COMPRESSORS[k]) for k in a.compressors})
    if "sklearn" in a.parts:
        meta.update(sk_epochs=a.sk_epochs, sk_repeats=a.sk_repeats, sk_trace_every=a.sk_trace_every,
                    sk_blas=("OpenBLAS from %s" % sk_blas) if sk_blas else "the system's BLAS")
    if "hotpath" in a.parts:
        meta.update(base_binary=dict(path=a.base_binary, version=h.binary_version(a.base_binary)), hot_epochs={
            "%s %s" % k: v for k, v in HOT.items()}, hot_repeats=a.hot_repeats)
    write_outputs(base, a.prefix, meta, old_runs + runs)


if __name__ == "__main__":
    main()
