#!/usr/bin/python3
"""Scale: peak RSS of each MPI rank against its shard's CSR, and wall time beside the threaded run.

Issue 15's goal: on a generated power-law set of --nnz nonzeros (default 1e8) under `mpirun -np 5`
(rank 0 the master, ranks 1-4 the workers), each worker rank's peak RSS within --goal 1.5x of its
rows' CSR, rank 0 never holding the matrix (peak RSS under --rank0-share 25% of the whole CSR),
and the job's wall time beside `--transport threads --threads 4` on the same file.

Data: `asyncopt generate --kind powerlaw --rows nnz/K --dim D --nnz-per-row K --seed 1` (K = 50,
D = min(1e6, rows/2)), made once into --work; 1e8: 2e6 x 1e6, ~2.4 GB. Shards, counted here from
the file (io::ReadLibsvmPart): worker rank r reads the rows whose line starts in [L(b(r-1)), L(b(r))),
b(p) = floor(p S / 4) for S bytes, L(x) the first line start at or after x (x when x = 0 or byte x-1
is a newline). Rows = newlines, nonzeros = ':' (generated data: no blank or comment lines, no zero
values; checked against the MPI summary's totals). CSR bytes (asyncopt/dataset.hpp): 12 nnz +
16 rows + 8 (int32 index + double value; int64 row_ptr of rows + 1; double label).

Runs: `asyncopt train --solver soda PROBLEM --f-star skip --max-epochs E --seed 1`, PROBLEM by
--problem: `soda` (default) the SODA benchmark's power-law problem (configs/soda-powerlaw.ini:
--scale maxabs --loss logistic --l1 1e-4 --l2 1e-3 --mask-p 0.1: a sparse w, the problem SODA is
for), or `dense-l2` (--loss logistic --l2 1e-4: w dense, so every mask, message and reply is d
long: a worker's model state is then ~100 bytes per feature)
(no trace, no target: rank 0 never reads the data); mpi: `--transport mpi --threads 1` under the
MPIEXEC_EXECUTABLE and ASYNCOPT_MPIEXEC_FLAGS of --build's cache; threads: `--threads 4`. Each
process runs under this script's --rank-wrapper: a child in its own process group, INT/TERM/HUP/
QUIT/USR1/USR2 forwarded once, reaped by os.wait4; DIR/rank-R.json (R = OMPI_COMM_WORLD_RANK or the
given name) gets ru_maxrss (KiB) and the exit code or signal, which the wrapper then exits with.
Linux keeps a forked child's high-water RSS across exec, so ru_maxrss is at least the wrapper's RSS
(~14 MB); at or under that floor the child's VmHWM polled every 20 ms is used (peak_source). The
same runs on a tiny file (200 x 100, 1 solver second) give a process's fixed overhead. --repeats
interleaved rounds: the peak over rounds is judged, wall times are medians.

  /usr/bin/python3 bench/scale_rss.py [--nnz 1e8] [--nnz-per-row 50] [--dim D] [--epochs 3] [--repeats 1]
  /usr/bin/python3 bench/scale_rss.py --nnz 1e6 --out /tmp/rss   # smoke, ~10 s
  /usr/bin/python3 bench/scale_rss.py --replot                   # tables and figure again from the JSON
Outputs: OUT/PREFIX.{csv,json,md,png} (PREFIX = scale_rss).
"""

import argparse
import json
import math
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time

import harness as h
from harness import ROOT, log

WORKERS = 4
GOAL = 1.5  # worker rank peak RSS / its shard's CSR: at most this
RANK0_SHARE = 0.25  # rank 0 peak RSS / the whole CSR: below this
# The problem flags (--problem): see the docstring.
PROBLEMS = {
    "soda": ["--scale", "maxabs", "--loss", "logistic", "--l1", "1e-4", "--l2", "1e-3", "--mask-p", "0.1"],
    "dense-l2": ["--loss", "logistic", "--l2", "1e-4"],
}
TINY = dict(rows=200, dim=100, k=10)
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)
KINDS = ("mpi", "threads", "tiny-mpi", "tiny-threads")
MB = 1e6
KIB = 1024


def rank_wrapper(outdir, name, cmd, poll=0.02):
    """Runs cmd as a child, forwards signals to it, writes OUTDIR/rank-NAME.json, exits as it did.
    Linux carries a forked child's high-water RSS across exec, so ru_maxrss is at least this
    wrapper's own RSS at the fork (~14 MB); the child's VmHWM, polled every `poll` s, is its own."""
    import ctypes
    libc, parent, box, pending = ctypes.CDLL(None), os.getpid(), [], []

    def forward(sig, _frame):
        if not box:
            return pending.append(sig)
        try:
            os.kill(box[0], sig)
        except ProcessLookupError:
            pass

    def child_setup():
        os.setpgid(0, 0)  # a terminal's or orted's group signal reaches it once, through forward()
        libc.prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG: a SIGKILLed wrapper takes it along
        if os.getppid() != parent:
            os._exit(137)

    def hwm_kib(pid):  # 0 once the process is gone
        try:
            with open("/proc/%d/status" % pid) as f:
                return next((int(x.split()[1]) for x in f if x.startswith("VmHWM:")), 0)
        except OSError:
            return 0

    for s in FORWARDED:
        signal.signal(s, forward)
    t0 = time.perf_counter()
    try:
        child = subprocess.Popen(cmd, preexec_fn=child_setup)
    except OSError as e:
        sys.exit("rank wrapper: cannot run %s: %s" % (cmd[0], e))
    box.append(child.pid)
    floor = hwm_kib(os.getpid())  # >= this process's RSS when it forked
    for s in pending:
        forward(s, None)
    polled = 0
    while True:
        pid, status, ru = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        polled = max(polled, hwm_kib(child.pid))
        time.sleep(poll)
    name = name or os.environ.get("OMPI_COMM_WORLD_RANK") or os.environ.get("PMIX_RANK") or "unknown"
    sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
    # Above the floor ru_maxrss is the child's own peak; at or under it, the polled VmHWM is the estimate.
    exact = ru.ru_maxrss > floor
    rec = dict(rank=name, pid=child.pid, host=os.uname().nodename, peak_rss_kib=ru.ru_maxrss if exact else polled,
               peak_source="ru_maxrss" if exact else "polled VmHWM", ru_maxrss_kib=ru.ru_maxrss,
               polled_hwm_kib=polled, wrapper_rss_kib=floor, exit_code=None if sig else os.WEXITSTATUS(status),
               signal=sig, wall=time.perf_counter() - t0, user_seconds=ru.ru_utime, sys_seconds=ru.ru_stime)
    path = os.path.join(outdir, "rank-%s.json" % name)
    h.write_json(path + ".tmp", rec)
    os.replace(path + ".tmp", path)
    if sig:
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
        os._exit(128 + sig)
    os._exit(os.WEXITSTATUS(status))


# --------------------------------------------------------------------------- data and shards
def generated(a, rows, dim, k):
    """WORK/powerlaw-nROWS-dDIM-kK-s1.svm, generated once."""
    path = os.path.join(a.work, "powerlaw-n%d-d%d-k%d-s1.svm" % (rows, dim, k))
    if not os.path.exists(path):
        h.run([a.binary, "generate", "--kind", "powerlaw", "--rows", str(rows), "--dim", str(dim), "--nnz-per-row",
               str(k), "--seed", "1", "--threads", "2", "--quiet", "--out", path + ".tmp"], timeout=a.timeout, echo=True)
        os.replace(path + ".tmp", path)
    return path


def csr_bytes(rows, nnz):
    """A Dataset's CSR: int32 col_index + double values, int64 row_ptr (rows + 1), double labels."""
    return 12 * nnz + 8 * (rows + 1) + 8 * rows


def line_start(f, off, size):
    """io::PositionalFile::LineStartAtOrAfter: off when 0 or past the end, else after the next newline from off - 1."""
    if off == 0 or off >= size:
        return min(off, size)
    at = off - 1
    while at < size:
        f.seek(at)
        b = f.read(1 << 20)
        if b"\n" in b:
            return at + b.index(b"\n") + 1
        at += len(b)
    return size


def shards(path):
    """Each worker rank's byte range [begin, end), rows, nonzeros and CSR bytes."""
    size, out = os.path.getsize(path), []
    with open(path, "rb") as f:
        # io::PartBoundary: floor(p * size / parts) without overflow
        edge = [line_start(f, (size // WORKERS) * p + (size % WORKERS) * p // WORKERS, size)
                for p in range(WORKERS + 1)]
        for p in range(WORKERS):
            rows, nnz, last, left = 0, 0, b"", edge[p + 1] - edge[p]
            f.seek(edge[p])
            while left > 0:
                b = f.read(min(64 << 20, left))
                rows, nnz, left, last = rows + b.count(b"\n"), nnz + b.count(b":"), left - len(b), b[-1:]
            rows += last not in (b"", b"\n")  # an unterminated last line
            out.append(dict(rank=p + 1, begin=edge[p], end=edge[p + 1], rows=rows, nnz=nnz,
                            csr_bytes=csr_bytes(rows, nnz)))
    return out


# --------------------------------------------------------------------------- runs
def run_one(a, files, kind, rnd):
    """One run (kind in KINDS): wall, status, summary facts and every member's rank-R.json."""
    d = os.path.join(a.work, "runs", "%s-%d" % (kind, rnd))
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    tiny = kind.startswith("tiny")
    # A tiny run lasts 1 solver second, so that the polled VmHWM sees it (see the docstring).
    train = ["train", "--solver", "soda", "--data", files["tiny" if tiny else "main"]] + PROBLEMS[a.problem] + [
             "--f-star", "skip", "--seed", "1", "--quiet", "--max-epochs",
             "2147483647" if tiny else str(a.epochs)] + (["--max-seconds", "1"] if tiny else [])
    wrap = [sys.executable, os.path.abspath(__file__), "--rank-wrapper", d]
    if kind.endswith("mpi"):
        cmd = [a.mpiexec] + a.mpiexec_flags + ["-np", str(WORKERS + 1)] + wrap + ["--", a.binary] + train + [
            "--transport", "mpi", "--threads", "1"]
    else:
        cmd = wrap + ["threads", "--", a.binary] + train + ["--transport", "threads", "--threads", str(WORKERS)]
    r = h.run_cli(a.timeout_bin, ["--kill-after", "10", str(a.timeout)] + cmd, keep=os.path.join(d, "run"),
                  trace=False, timeout=a.timeout + 60, ok=None)
    s = r["summary"] or {}
    members = []
    for name in sorted(n for n in os.listdir(d) if n.startswith("rank-") and n.endswith(".json")):
        with open(os.path.join(d, name)) as f:
            members.append(json.load(f))
    ds = s.get("dataset") or {}
    out = dict(kind=kind, wall=r["wall"], rc=r["rc"], status=s.get("status", "error (exit %d)" % r["rc"]),
               seconds=s.get("seconds"), epochs=s.get("epochs"), data_rows=ds.get("rows"), data_nnz=ds.get("nnz"),
               members=members, load1=h.loadavg()[0], command=" ".join(shlex.quote(x) for x in r["command"]))
    out.update(r["provenance"])
    if not s:
        out["stderr"] = r["stderr"][-500:]
    log("   round %d %-12s %-10s wall %.2f s  solver %s s  peak RSS MB %s" % (
        rnd + 1, kind, out["status"], r["wall"], fmt(out["seconds"], "%.3f"),
        " ".join("%s:%.1f" % (m["rank"], m["peak_rss_kib"] * KIB / MB) for m in members)))
    return out


# --------------------------------------------------------------------------- analysis and reports
fmt = h.fmt


def mb(v):
    return fmt(h.ratio(v, MB), "%.1f")


def analyse(meta, runs):
    """One row per member of the main runs: peak RSS (largest over rounds), reference, ratio, verdict."""
    def peak(kind, rank):
        xs = [m["peak_rss_kib"] * KIB for r in runs if r["kind"] == kind for m in r["members"] if m["rank"] == rank]
        return max(xs) if xs else None
    rows = []
    for rank in ["0"] + [str(s["rank"]) for s in meta["shards"]] + ["threads"]:
        kind, worker = "threads" if rank == "threads" else "mpi", rank not in ("0", "threads")
        sh = meta["shards"][int(rank) - 1] if worker else {}
        rss, base, ref = peak(kind, rank), peak("tiny-" + kind, rank), sh.get("csr_bytes", meta["whole_csr_bytes"])
        limit, ratio = meta["goal"] if worker else meta["rank0_share"] if rank == "0" else None, h.ratio(rss, ref)
        ok = all(m.get("exit_code") == 0 for r in runs if r["kind"] == kind for m in r["members"] if m["rank"] == rank)
        verdict = "info" if limit is None else "n/a" if ratio is None or not ok else \
            "PASS" if (ratio <= limit if worker else ratio < limit) else "FAIL"
        rows.append(dict(rank=rank, role="worker" if worker else "master" if rank == "0" else "threaded process",
                         rows=sh.get("rows"), nnz=sh.get("nnz"), peak_rss_bytes=rss, reference_bytes=ref,
                         reference="shard CSR" if worker else "whole CSR", ratio=ratio, limit=limit, verdict=verdict,
                         baseline_rss_bytes=base, ratio_over_baseline=h.ratio(rss - base, ref) if rss and base else None))
    return rows


def goal_lines(meta, runs, rows):
    wk, r0, thr = [r for r in rows if r["role"] == "worker"], rows[0], rows[-1]
    good, ratios = [r for r in wk if r["verdict"] == "PASS"], [r["ratio"] for r in wk if r["ratio"] is not None]
    wall = {k: h.median([r["wall"] for r in runs if r["kind"] == k]) for k in KINDS}
    secs = {k: h.median([r["seconds"] for r in runs if r["kind"] == k]) for k in KINDS}
    mpi = [r for r in runs if r["kind"] == "mpi"]
    match = all((r["data_rows"], r["data_nnz"]) == (meta["rows"], meta["nnz"]) for r in mpi) if mpi else None
    return [
        "%s worker ranks' peak RSS within %.2fx of their shard's CSR: %d of %d (RSS / CSR %s-%s)" % (
            "PASS" if len(good) == len(wk) else "FAIL", meta["goal"], len(good), len(wk),
            fmt(min(ratios, default=None), "%.2fx"), fmt(max(ratios, default=None), "%.2fx")),
        "%s rank 0 never held the whole matrix: peak RSS %s MB = %s of the whole CSR %.1f MB (limit %.0f%%)" % (
            r0["verdict"], mb(r0["peak_rss_bytes"]), fmt(r0["ratio"] and 100 * r0["ratio"], "%.1f%%"),
            meta["whole_csr_bytes"] / MB, 100 * meta["rank0_share"]),
        "info wall: mpirun -np %d %s s vs --threads %d %s s (mpi / threads %s); solver seconds %s vs %s; threaded "
        "process peak RSS %s MB = %s x the whole CSR" % (
            WORKERS + 1, fmt(wall["mpi"], "%.2f"), WORKERS, fmt(wall["threads"], "%.2f"),
            fmt(h.ratio(wall["mpi"], wall["threads"]), "%.2fx"), fmt(secs["mpi"], "%.3f"),
            fmt(secs["threads"], "%.3f"), mb(thr["peak_rss_bytes"]), fmt(thr["ratio"], "%.2f")),
        "info fixed overhead (tiny file): rank 0 %s MB, worker ranks %s MB, threaded process %s MB" % (
            mb(r0["baseline_rss_bytes"]), "/".join(mb(r["baseline_rss_bytes"]) for r in wk),
            mb(thr["baseline_rss_bytes"])),
        "info shard rows and nonzeros counted here %s the MPI summary's (%d rows, %d nonzeros)" % (
            {True: "match", False: "DIFFER FROM", None: "were not checked against"}[match], meta["rows"], meta["nnz"])]


def plot(meta, rows, runs, path):
    fig, (ax0, ax1) = h.panels(2, 2, 5.5, 4.2)
    x = range(len(rows))
    for j, (key, label) in enumerate((("peak_rss_bytes", "peak RSS"), ("reference_bytes", "CSR: shard (workers), "
                                      "whole (0, threads)"), ("baseline_rss_bytes", "peak RSS on the tiny file"))):
        ax0.bar([i + (j - 1) * 0.27 for i in x], [(r[key] or 0) / MB for r in rows], 0.27, label=label)
    for i, r in enumerate(rows):
        if r["ratio"] is not None:
            ax0.text(i - 0.27, r["peak_rss_bytes"] / MB, "%.2fx" % r["ratio"], ha="center", va="bottom", fontsize=7)
    ax0.set_xticks(list(x))
    ax0.set_xticklabels(["rank " + r["rank"] if r["rank"] != "threads" else "threads" for r in rows], fontsize=8)
    ax0.set_yscale("log")
    ax0.set_ylabel("MB (label: peak RSS / CSR)")
    ax0.legend(fontsize=7)
    for j, key in enumerate(("wall", "seconds")):
        ax1.bar([j * 0.4, 1 + j * 0.4], [h.median([r[key] for r in runs if r["kind"] == k]) or 0
                                         for k in ("mpi", "threads")], 0.4,
                label="program wall" if key == "wall" else "solver seconds")
    ax1.set_xticks([0.2, 1.2])
    ax1.set_xticklabels(["mpirun -np %d" % (WORKERS + 1), "--threads %d" % WORKERS])
    ax1.set_ylabel("seconds (median)")
    ax1.legend(fontsize=7)
    fig.suptitle("%s: powerlaw %d x %d, %d nonzeros, %d epochs; %s, %d cores" % (
        meta["binary"]["version"], meta["rows"], meta["dim"], meta["nnz"], meta["epochs"], meta["machine"]["cpu"],
        meta["machine"]["cores"]), fontsize=8)
    h.save_figure(fig, path)


def markdown(meta, rows, runs, goals, prefix):
    la, lb = meta["load_start"], meta["load_end"]
    floor = max((m["wrapper_rss_kib"] for r in runs for m in r["members"]), default=0) * KIB
    L = ["# Scale: peak RSS per MPI rank against its shard's CSR, %d nonzeros" % meta["nnz"], "",
         "Generated by `%s` (repository at %s) in %.0f s." % (meta["command"], meta["git_commit"],
                                                              meta["elapsed_seconds"]), "",
         "Machine: %s. Load average (1 / 5 / 15 min) at start %s%s, at end %s." % (
             h.machine_text(meta["machine"]), " / ".join("%.2f" % v for v in la),
             " -- **HIGH (> 1.5): the cores were shared with other jobs; wall times are noisy**" if la[0] > 1.5
             else "", " / ".join("%.2f" % v for v in lb)), "",
         "* binary: `%s`: %s" % (meta["binary"]["path"], meta["binary"]["version"]),
         "* MPI launcher: `%s %s -np %d` (%s)" % (meta["mpiexec"], " ".join(meta["mpiexec_flags"]), WORKERS + 1,
                                                 meta.get("mpiexec_version") or "version unknown"),
         "* data: `%s` (%d bytes), `asyncopt generate --kind powerlaw --rows %d --dim %d --nnz-per-row %d --seed 1`"
         % (meta["data"], meta["data_bytes"], meta["rows"], meta["dim"], meta["k"]), "",
         "Every run: `asyncopt train --solver soda " + " ".join(PROBLEMS[meta.get("problem", "dense-l2")]) +
         " --f-star skip --max-epochs %d --seed 1` "
         "(rank 0 never reads the data); mpi: `--transport mpi --threads 1` under `-np %d`; threads: `--transport "
         "threads --threads %d`. Peak RSS: each process's `ru_maxrss` (from `os.wait4` in a wrapper), or its polled "
         "VmHWM where `ru_maxrss` is at the wrapper's floor (%.1f MB here: Linux keeps a forked child's high-water "
         "mark across exec); the largest over %d round(s). Worker rank r holds the rows whose line starts in "
         "[L(floor((r-1) S / %d)), L(floor(r S / %d))) of the S-byte file (L: the next line start), counted here; "
         "CSR bytes = 12 nnz + 16 rows + 8. The tiny-file runs (%d x %d, 1 solver second) give each process's "
         "fixed overhead; `(RSS - tiny) / ref` leaves it out." % (
             meta["epochs"], WORKERS + 1, WORKERS, floor / MB, meta["repeats"], WORKERS, WORKERS, TINY["rows"],
             TINY["dim"]), "", "## Goal", "", "```"] + goals + ["```", ""]
    if meta["whole_csr_bytes"] / WORKERS < 10 * (rows[1]["baseline_rss_bytes"] or 0):
        L += ["**Small scale**: a shard's CSR is under 10x a process's fixed overhead, so RSS / CSR measures the "
              "overhead, not the data; the goal is meant for --nnz 1e8.", ""]
    L += h.md_table(["member", "role", "rows", "nonzeros", "peak RSS MB", "reference", "ref MB", "RSS / ref",
                     "limit", "verdict", "tiny-file RSS MB", "(RSS - tiny) / ref"],
                    [[r["rank"], r["role"], r["rows"], r["nnz"], mb(r["peak_rss_bytes"]), r["reference"],
                      mb(r["reference_bytes"]), fmt(r["ratio"], "%.3f"), fmt(r["limit"], "%.2f"), r["verdict"],
                      mb(r["baseline_rss_bytes"]), fmt(r["ratio_over_baseline"], "%.3f")] for r in rows])
    L += ["", "Runs (wall: the whole program; for MPI mpirun's start of %d processes, the workers' reads, the "
          "solve):" % (WORKERS + 1), ""]
    L += h.md_table(["run", "round", "status", "exit", "wall s", "solver s", "epochs", "load", "peak RSS MB (source)"],
                    [[r["kind"], r["round"] + 1, r["status"], r["rc"], "%.2f" % r["wall"], fmt(r["seconds"], "%.3f"),
                      fmt(r["epochs"], "%.3g"), "%.2f" % r["load1"], ", ".join(
                          "%s: %s (%s)" % (m["rank"], mb(m["peak_rss_kib"] * KIB), m["peak_source"])
                          for m in r["members"])] for r in runs])
    return L + ["", "![](%s.png)" % prefix, "", "Every run and member, with its command: `%s.csv`, `%s.json`." % (
        prefix, prefix)]


def write_outputs(base, prefix, meta, runs):
    rows = analyse(meta, runs)
    goals = goal_lines(meta, runs, rows)
    flat = [dict(m, **{k: v for k, v in r.items() if k != "members"}) for r in runs for m in r["members"]]
    h.write_csv(base + ".csv", flat, [
        "kind", "round", "rank", "peak_rss_kib", "peak_source", "ru_maxrss_kib", "polled_hwm_kib", "wrapper_rss_kib",
        "exit_code", "signal", "status", "rc", "wall", "seconds", "epochs", "load1", "commit", "binary_version", "cpu",
        "cores", "date", "command"])
    h.write_json(base + ".json", dict(meta=meta, members=rows, goals=goals, runs=runs))
    plot(meta, rows, runs, base + ".png")
    h.write_report(base, markdown(meta, rows, runs, goals, prefix), goals)


def main():
    if sys.argv[1:2] == ["--rank-wrapper"]:  # OUTDIR [NAME] -- CMD ...
        i = sys.argv.index("--") if "--" in sys.argv else 0
        if i not in (3, 4) or i == len(sys.argv) - 1:
            sys.exit("usage: scale_rss.py --rank-wrapper OUTDIR [NAME] -- CMD ...")
        return rank_wrapper(sys.argv[2], sys.argv[3] if i == 4 else None, sys.argv[i + 1:])
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.split("\n")[1:]))
    ap.add_argument("--binary", default=os.path.join(ROOT, "build/release/src/cli/asyncopt"))
    ap.add_argument("--build", default=os.path.join(ROOT, "build/release"), help="the CMake build dir (mpiexec)")
    ap.add_argument("--mpiexec", help="default: MPIEXEC_EXECUTABLE of BUILD's cache")
    ap.add_argument("--mpiexec-flags", help="default: ASYNCOPT_MPIEXEC_FLAGS of BUILD's cache")
    ap.add_argument("--nnz", type=float, default=1e8, help="nonzeros of the generated set (default 1e8)")
    ap.add_argument("--nnz-per-row", type=int, default=50)
    ap.add_argument("--dim", type=int, help="features (default min(1e6, rows / 2))")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--problem", choices=sorted(PROBLEMS), default="soda",
                    help="soda: configs/soda-powerlaw.ini's problem (default); dense-l2: l2 only, w dense")
    ap.add_argument("--repeats", type=int, default=1, help="interleaved rounds of the two main runs (default 1)")
    ap.add_argument("--goal", type=float, default=GOAL, help="worker rank RSS / shard CSR allowed")
    ap.add_argument("--rank0-share", type=float, default=RANK0_SHARE, help="rank 0 RSS / whole CSR: below this")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds before a run (or generate) is ended")
    ap.add_argument("--work", default=os.path.join(ROOT, "build/bench-work/scale_rss"))
    ap.add_argument("--out", default=os.path.join(ROOT, "bench/results"))
    ap.add_argument("--prefix", default="scale_rss")
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
    k = a.nnz_per_row
    rows = int(math.ceil(a.nnz / k)) if a.nnz >= 1 and k >= 1 else 0
    dim = a.dim or min(10 ** 6, max(k, rows // 2))
    if not a.timeout_bin or rows < WORKERS or k > dim or min(a.epochs, a.repeats) < 1 or \
            min(a.goal, a.rank0_share, a.timeout) <= 0:
        ap.error("need coreutils `timeout`, --nnz / --nnz-per-row >= %d rows, --nnz-per-row <= --dim, --epochs "
                 "and --repeats >= 1, --goal, --rank0-share and --timeout > 0" % WORKERS)
    a.work = os.path.abspath(a.work)
    for d in (a.work, a.out):
        os.makedirs(d, exist_ok=True)
    command = "/usr/bin/python3 bench/scale_rss.py " + " ".join(shlex.quote(x) for x in sys.argv[1:])
    load_start, t0 = h.loadavg(), time.time()
    files = dict(main=generated(a, rows, dim, k), tiny=generated(a, TINY["rows"], TINY["dim"], TINY["k"]))
    t1, sh = time.time(), shards(files["main"])
    log("== shards counted in %.1f s: %s" % (time.time() - t1, "; ".join(
        "rank %d %d rows, %d nnz, CSR %.1f MB" % (s["rank"], s["rows"], s["nnz"], s["csr_bytes"] / MB) for s in sh)))
    one = lambda c, r: run_one(a, files, c["kind"], r)  # noqa: E731
    # The tiny runs first: the fixed overhead, and a broken launcher shows within seconds.
    runs = h.interleaved([dict(kind="tiny-mpi"), dict(kind="tiny-threads")], 1, one)
    runs += h.interleaved([dict(kind="mpi"), dict(kind="threads")], a.repeats, one)
    p = h.run([a.mpiexec, "--version"], check=False, timeout=30)[0]
    total_rows, total_nnz = sum(s["rows"] for s in sh), sum(s["nnz"] for s in sh)
    meta = dict(problem=a.problem, command=command, machine=h.machine(), git_commit=h.git_commit(), load_start=load_start,
                load_end=h.loadavg(), elapsed_seconds=time.time() - t0, repeats=a.repeats, epochs=a.epochs,
                goal=a.goal, rank0_share=a.rank0_share, workers=WORKERS, data=files["main"],
                data_bytes=os.path.getsize(files["main"]), rows=total_rows, nnz=total_nnz, dim=dim, k=k, shards=sh,
                whole_csr_bytes=csr_bytes(total_rows, total_nnz), mpiexec=a.mpiexec, mpiexec_flags=a.mpiexec_flags,
                binary=dict(path=a.binary, version=h.binary_version(a.binary)),
                mpiexec_version=(p.stdout.strip().splitlines() or ["unknown"])[0])
    write_outputs(base, a.prefix, meta, runs)


if __name__ == "__main__":
    main()
