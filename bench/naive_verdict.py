#!/usr/bin/python3
"""Plot and tabulate one-thread hogwild against the naive Hogwild loop.

Reads `asyncopt contention` JSON results (each made with --threads 1 --write
wild --sparsifier none) and draws, for each, every repeat's nnz/s of the
naive loop, the ceiling and hogwild's lone `wild` worker side by side, with
the best-of ratio hogwild / naive and the issue's 0.95x goal. Writes
OUT.png and OUT.csv (one row per result: best-of and median ratios, the
paired median and range, the best nnz/s of each loop).

Usage (always /usr/bin/python3; the script runs nothing):
  bench/naive_verdict.py --out bench/results/naive_verdict \
      bench/results/contention_rcv1-vw-small-50ep.json ...
"""

import argparse
import json
import os
import statistics
import sys

import harness as h

GOAL = 0.95


def load(path):
    with open(path) as f:
        d = json.load(f)
    cells = {}
    for c in d["cells"]:
        if c["threads"] != 1:
            continue
        key = {"naive-sgd": "naive", "plain-sgd": "ceiling"}.get(c["solver"])
        if key is None and c["solver"] == "hogwild" and c["policy"] == "wild" \
                and c["sparsifier"] == "none":
            key = "hogwild"
        if key:
            cells[key] = [n / s for n, s in zip(c["runs_nnz"], c["runs_seconds"])]
    missing = {"naive", "ceiling", "hogwild"} - set(cells)
    if missing:
        sys.exit("%s: no %s cell (run asyncopt contention with --threads 1 --write wild "
                 "--sparsifier none)" % (path, ", ".join(sorted(missing))))
    return d, cells


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="output path without extension")
    ap.add_argument("results", nargs="+")
    a = ap.parse_args()
    rows = []
    loaded = [(p,) + load(p) for p in a.results]
    for path, d, cells in loaded:
        s = d["settings"]
        paired = s.get("naive_ratios") or []
        rows.append({
            "result": os.path.basename(path),
            "epochs": s["epochs"],
            "trace_every_epochs": s.get("trace_every_epochs"),
            "repeats": len(cells["hogwild"]),
            "best_of_ratio": max(cells["hogwild"]) / max(cells["naive"]),
            "median_ratio": statistics.median(cells["hogwild"]) / statistics.median(cells["naive"]),
            "paired_median": statistics.median(paired) if paired else None,
            "paired_min": min(paired) if paired else None,
            "paired_max": max(paired) if paired else None,
            "hogwild_best_nnz_per_s": max(cells["hogwild"]),
            "naive_best_nnz_per_s": max(cells["naive"]),
            "ceiling_best_nnz_per_s": max(cells["ceiling"]),
            "verdict": "PASS" if max(cells["hogwild"]) / max(cells["naive"]) >= GOAL else "FAIL",
            "machine": "%s, %s cores, %s" % (d["context"]["cpu"], d["context"]["cores"],
                                             d["context"]["compiler"]),
            "commit": d["context"]["git_commit"],
        })
    h.write_csv(a.out + ".csv", rows, float_format="%r")

    fig, ax = h.pyplot().subplots(figsize=(2.6 * len(loaded) + 1, 4.2))
    colors = {"naive": "tab:gray", "ceiling": "tab:blue", "hogwild": "k"}
    for i, (path, d, cells) in enumerate(loaded):
        for j, key in enumerate(("naive", "ceiling", "hogwild")):
            x = i * 4 + j
            ys = [v / 1e6 for v in cells[key]]
            ax.scatter([x] * len(ys), ys, s=10, color=colors[key], alpha=0.6,
                       label=key if i == 0 else None)
            ax.plot([x - 0.3, x + 0.3], [max(ys)] * 2, color=colors[key], linewidth=2)
        r = rows[i]
        ax.text(i * 4 + 1, 0.02, "best %.2fx\n%s" % (r["best_of_ratio"], r["verdict"]),
                ha="center", va="bottom", transform=ax.get_xaxis_transform(), fontsize=8)
    ax.set_xticks([i * 4 + 1 for i in range(len(loaded))])
    ax.set_xticklabels(["%d epochs%s" % (r["epochs"],
                                          ", traced every epoch" if r["trace_every_epochs"] == 1
                                          else "") for r in rows], fontsize=8)
    ax.set_ylabel("nonzeros per second (millions), each repeat; bar = best")
    ctx = loaded[0][1]["context"]
    ax.set_title("1-thread hogwild `wild` vs the naive loop (goal: best-of >= %.2fx)\n"
                 "%s, %d cores, %s, commit %s" % (GOAL, ctx["cpu"], ctx["cores"],
                                                 ctx["compiler"], ctx["git_commit"]), fontsize=9)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8, loc="lower right")
    h.save_figure(fig, a.out + ".png", dpi=110)
    print("wrote %s.csv and %s.png" % (a.out, a.out))
    for r in rows:
        print("%-45s best-of %.2fx %s, median %.2fx" % (r["result"], r["best_of_ratio"],
                                                        r["verdict"], r["median_ratio"]))


if __name__ == "__main__":
    main()
