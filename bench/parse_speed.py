#!/usr/bin/python3
"""LIBSVM parse speed: asyncopt's reader (bench_parse) vs scikit-learn.

Each dataset is decompressed once to a temporary plain-text file so both
parsers read the same uncompressed bytes from the page cache. Per dataset:

* bench_parse FILE --threads N --repeats K: one load recording the growth of
  the peak RSS (VmHWM after resetting it), then the best of K loads with 1 thread and with N threads;
* sklearn.datasets.load_svmlight_file in a fresh interpreter: one warm-up load
  recording peak-RSS growth, then the best of K loads.

Throughput is MB/s (10^6 bytes) of uncompressed text. Results go to
RESULTS/parse_speed.{csv,json,png,md}.

Usage (always with /usr/bin/python3, which has scikit-learn):
  /usr/bin/python3 bench/parse_speed.py [BENCH_PARSE] [--repeats K]
      [--threads N] [--datasets a9a,w8a,...] [--data-dir DIR] [--out DIR]
"""

import argparse
import json
import os
import sys
import tempfile

import harness as h
from harness import ROOT
DEFAULT_DATASETS = ["a9a", "w8a", "rcv1-vw-small", "sector.scale", "fashion-mnist"]

# Runs in a fresh interpreter so that its peak RSS belongs to one dataset.
SKLEARN_SNIPPET = r"""
import json, resource, sys, time
import numpy, sklearn
from sklearn.datasets import load_svmlight_file
path, repeats = sys.argv[1], int(sys.argv[2])

def status_bytes(key):  # "VmHWM:   1234 kB" from /proc/self/status
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(key)

# Same measure as bench_parse: VmHWM reset through clear_refs (ru_maxrss
# would carry the parent's peak across exec).
try:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    before, peak = status_bytes("VmRSS"), lambda: status_bytes("VmHWM")
except OSError:
    peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    before = peak()
X, y = load_svmlight_file(path)            # warm-up, and the memory figure
growth = peak() - before
csr = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes + y.nbytes
rows, cols, nnz = X.shape[0], X.shape[1], X.nnz
del X, y
best = float("inf")
for _ in range(repeats):
    start = time.perf_counter()
    X, y = load_svmlight_file(path)
    best = min(best, time.perf_counter() - start)
    del X, y
print(json.dumps({"seconds": best, "peak_rss_growth_bytes": growth, "csr_bytes": csr,
                  "rows": rows, "cols": cols, "nnz": nnz,
                  "sklearn": sklearn.__version__, "numpy": numpy.__version__}))
"""


def find_bench_parse(explicit):
    candidates = [explicit] if explicit else [
        os.path.join(ROOT, "build", "release", "bench", "bench_parse"),
        os.path.join(ROOT, "build", "io", "bench", "bench_parse"),
    ]
    for path in candidates:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return os.path.abspath(path)
    sys.exit("parse_speed.py: bench_parse not found (tried %s); pass its path" %
             ", ".join(c for c in candidates if c))


def run_ours(binary, path, threads, repeats):
    return json.loads(h.run([binary, path, "--threads", str(threads), "--repeats", str(repeats)])[0].stdout)


def run_sklearn(path, repeats):
    return json.loads(h.run([sys.executable, "-c", SKLEARN_SNIPPET, path, str(repeats)])[0].stdout)


def write_plot(rows, threads, path):
    plt = h.pyplot()
    names = [r["dataset"] for r in rows]
    series = [("scikit-learn", "sklearn_mbps", "#999999"),
              ("asyncopt, 1 thread", "ours_mbps_1", "#1f77b4"),
              ("asyncopt, %d threads" % threads, "ours_mbps_n", "#ff7f0e")]
    width = 0.27
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(rows)), 4))
    for k, (label, key, color) in enumerate(series):
        xs = [i + (k - 1) * width for i in range(len(rows))]
        ax.bar(xs, [r[key] for r in rows], width, label=label, color=color)
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels(names)
    ax.set_ylabel("MB/s of uncompressed text")
    ax.set_title("LIBSVM parse throughput (best of runs)")
    ax.legend()
    ax.grid(axis="y", alpha=0.3)
    h.save_figure(fig, path, dpi=120)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bench_parse", nargs="?", help="path of the bench_parse binary")
    parser.add_argument("--datasets", default=",".join(DEFAULT_DATASETS))
    parser.add_argument("--data-dir", default="/work/shared/data")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
    args = parser.parse_args()

    binary = find_bench_parse(args.bench_parse)
    os.makedirs(args.out, exist_ok=True)
    started = h.machine(with_sklearn=True)
    load_before = h.loadavg()
    rows = []
    meta = {}
    with tempfile.TemporaryDirectory(prefix="asyncopt_parse_speed_") as tmp:
        for name in [d for d in args.datasets.split(",") if d]:
            # The exact bytes of the file (blank lines kept): MB/s counts them.
            text = h.plain_copy(name, tmp, drop_blank_lines=False, data_dir=args.data_dir)
            ours = run_ours(binary, text, args.threads, args.repeats)
            theirs = run_sklearn(text, args.repeats)
            os.remove(text)
            if (ours["rows"], ours["nnz"]) != (theirs["rows"], theirs["nnz"]):
                # sklearn keeps explicit zeros; we drop them. Only rows must agree.
                if ours["rows"] != theirs["rows"]:
                    sys.exit("row counts differ on %s: %r vs %r" % (name, ours, theirs))
            meta = {"compiler": ours["compiler"]}
            mb = ours["text_bytes"] / 1e6
            sk_mbps = mb / theirs["seconds"]
            row = {
                "dataset": name,
                "text_mb": round(mb, 3),
                "rows": ours["rows"],
                "nnz": ours["nnz"],
                "sklearn_mbps": round(sk_mbps, 2),
                "ours_mbps_1": round(ours["mbps_1"], 2),
                "ours_mbps_n": round(ours["mbps_n"], 2),
                "threads": ours["threads"],
                "speedup_1": round(ours["mbps_1"] / sk_mbps, 2),
                "speedup_n": round(ours["mbps_n"] / sk_mbps, 2),
                "ours_csr_mb": round(ours["csr_bytes"] / 1e6, 3),
                "ours_peak_rss_growth_mb": round(ours["peak_rss_growth_bytes"] / 1e6, 3),
                "ours_peak_over_csr": round(ours["peak_rss_growth_over_csr"], 2),
                "sklearn_csr_mb": round(theirs["csr_bytes"] / 1e6, 3),
                "sklearn_peak_rss_growth_mb": round(theirs["peak_rss_growth_bytes"] / 1e6, 3),
                "sklearn_peak_over_csr": round(
                    theirs["peak_rss_growth_bytes"] / theirs["csr_bytes"], 2),
            }
            rows.append(row)
            print("%-14s sklearn %7.1f MB/s | ours 1T %7.1f (%.1fx) | %dT %7.1f (%.1fx) | "
                  "peak/CSR %.2f" % (name, row["sklearn_mbps"], row["ours_mbps_1"],
                                     row["speedup_1"], row["threads"], row["ours_mbps_n"],
                                     row["speedup_n"], row["ours_peak_over_csr"]), flush=True)

    machine = dict(started, compiler=meta.get("compiler", "?"),
                   load_average_before=[round(x, 2) for x in load_before],
                   load_average_after=[round(x, 2) for x in h.loadavg()],
                   repeats=args.repeats, bench_parse=binary)
    base = os.path.join(args.out, "parse_speed")
    h.write_json(base + ".json", {"machine": machine, "results": rows})
    h.write_csv(base + ".csv", rows, float_format="%r")
    write_plot(rows, args.threads, base + ".png")

    n = rows[0]["threads"]
    lines = [
        "# LIBSVM parse speed: asyncopt vs scikit-learn",
        "",
        "MB/s of uncompressed text (best of %d runs after a warm-up), same plain-text file "
        "for both parsers. Peak = growth of peak RSS during one load, divided by the bytes "
        "of the resulting CSR (row pointers + indices + values + labels)." % args.repeats,
        "",
        "| dataset | text MB | rows | nnz | sklearn MB/s | ours 1T MB/s | ours %dT MB/s "
        "| 1T / sklearn | %dT / sklearn | ours peak / CSR | sklearn peak / CSR |" % (n, n),
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            "| %s | %.1f | %d | %d | %.1f | %.1f | %.1f | %.1fx | %.1fx | %.2f | %.2f |" %
            (r["dataset"], r["text_mb"], r["rows"], r["nnz"], r["sklearn_mbps"],
             r["ours_mbps_1"], r["ours_mbps_n"], r["speedup_1"], r["speedup_n"],
             r["ours_peak_over_csr"], r["sklearn_peak_over_csr"]))
    lines += [
        "",
        "Machine: %s, %d cores; compiler %s; scikit-learn %s, numpy %s, Python %s; %s. "
        "Load average before/after: %s / %s." %
        (machine["cpu"], machine["cores"], machine["compiler"], machine["sklearn"],
         machine["numpy"], machine["python"], machine["date"],
         machine["load_average_before"], machine["load_average_after"]),
        "",
        "Command: `/usr/bin/python3 bench/parse_speed.py %s --repeats %d --threads %d "
        "--datasets %s`" % (os.path.relpath(binary, ROOT), args.repeats, args.threads,
                            args.datasets),
        "",
    ]
    h.write_markdown(base + ".md", lines)
    print("wrote %s.{csv,json,png,md}" % base)


if __name__ == "__main__":
    main()
