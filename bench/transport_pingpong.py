#!/usr/bin/python3
"""Transport ping-pong: one message's cost on each transport of the engine.

The question: what does a message cost through MpiTransport, against the
ThreadTransport the engine uses inside one process and against the floor --
the same exchange written directly in MPI calls? Between two ranks, for
payloads of --sizes bytes (a dense block of floor(P / 8) doubles; every
message also carries the packet's 80-byte header, and raw MPI sends the same
number of bytes), bench_transport_pingpong measures:

  ping-pong  one message out, its echo back: round-trip time p50 / p99 (us)
             and messages per second (two per round trip);
  stream     --window messages back to back, then a one-message ack:
             messages per second and MB/s one way.

Transports (cells): thread = ThreadTransport between two threads of one
process; mpi = MpiTransport between ranks 0 and 1 under mpirun (its waits
poll for 200 us, then sleep 20 us .. 1 ms); mpi-spin = the same with a 10 s
spin (its waits poll without pause, like Open MPI's blocking calls: the
cost of not spinning); raw = MPI_Send / MPI_Recv ping-pong and MPI_Isend +
MPI_Waitall windows. Every transport runs once per round, in --repeats
interleaved rounds (every other round reversed); tables give the medians
over the rounds, the best round's p50 (the machine's quietest moment) and
the ratios mpi / raw, mpi-spin / raw and mpi / thread.

Usage (always /usr/bin/python3; build with the release preset first):
  /usr/bin/python3 bench/transport_pingpong.py [--build build/release]
      [--sizes 0,100,10000,1000000] [--seconds 0.5] [--window 64] [--repeats 3]
      [--mpiexec-flags '--allow-run-as-root --oversubscribe --bind-to none']
      [--out bench/results] [--prefix transport_pingpong]
  /usr/bin/python3 bench/transport_pingpong.py --replot
Outputs: OUT/PREFIX.{csv,json,md,png}.
"""

import argparse
import json
import os
import shlex
import sys
import time

import harness as h
from harness import ROOT, log

TRANSPORTS = ("thread", "mpi", "mpi-spin", "raw")
FIELDS = ("rtt_p50_us", "rtt_p99_us", "rtt_mean_us", "rtt_min_us", "pingpong_msgs_per_s", "stream_msgs_per_s",
          "stream_mb_per_s", "round_trips", "stream_messages")


def run_cell(a, transport):
    """One run of the program for one transport: a record per payload size."""
    args = [a.binary, "--transport", transport, "--sizes", a.sizes, "--seconds", str(a.seconds),
            "--window", str(a.window)]
    if transport != "thread":
        args = [a.mpiexec] + a.mpiexec_flags + ["-np", "2"] + args
    load = h.loadavg()[0]
    p, wall = h.run(args, timeout=120 + 4 * a.seconds * len(a.sizes.split(",")))
    out = json.loads(p.stdout)
    return [dict(transport=transport, payload=s["payload"], wire_bytes=s["wire_bytes"], load1=load, wall=wall,
                 host=out.get("host"), command=" ".join(shlex.quote(x) for x in args),
                 **{k: s[k] for k in FIELDS}) for s in out["sizes"]]


def cells_of(runs):
    """Per (payload, transport): the medians over the rounds and their range."""
    out = []
    for payload in sorted({r["payload"] for r in runs}):
        row = dict(payload=payload)
        for t in TRANSPORTS:
            rs = [r for r in runs if r["payload"] == payload and r["transport"] == t]
            if not rs:
                continue
            row["wire_bytes"] = rs[0]["wire_bytes"]
            for k in FIELDS:
                row["%s_%s" % (t, k)] = h.median([r[k] for r in rs])
            row["%s_rtt_p50_best" % t] = min(r["rtt_p50_us"] for r in rs)
            row["%s_rtt_p50_range" % t] = [min(r["rtt_p50_us"] for r in rs), max(r["rtt_p50_us"] for r in rs)]
        for mine, other in (("mpi", "raw"), ("mpi-spin", "raw"), ("mpi", "thread")):
            key = "%s_over_%s_" % (mine, other)
            row[key + "rtt_p50"] = h.ratio(row.get("%s_rtt_p50_us" % mine), row.get("%s_rtt_p50_us" % other))
            row[key + "rtt_p50_best"] = h.ratio(row.get("%s_rtt_p50_best" % mine),
                                                row.get("%s_rtt_p50_best" % other))
            row[key + "stream_rate"] = h.ratio(row.get("%s_stream_msgs_per_s" % mine),
                                               row.get("%s_stream_msgs_per_s" % other))
        out.append(row)
    return out


fmt = h.fmt


def size_text(b):
    return "%g MB" % (b / 1e6) if b >= 1e6 else "%g kB" % (b / 1e3) if b >= 1e3 else "%d B" % b


def plot(cells, meta, path):
    fig, (ax1, ax2) = h.panels(2, 2, 5.5, 4.0)
    xs = [max(c["wire_bytes"], 1) for c in cells]
    colours = {"thread": "tab:green", "mpi": "tab:blue", "mpi-spin": "tab:orange", "raw": "tab:grey"}
    for t in TRANSPORTS:
        p50 = [c.get("%s_rtt_p50_us" % t) for c in cells]
        if all(v is None for v in p50):
            continue
        ax1.plot(xs, p50, "o-", color=colours[t], label="%s p50" % t)
        ax1.plot(xs, [c.get("%s_rtt_p99_us" % t) for c in cells], "x--", color=colours[t], alpha=0.6,
                 label="%s p99" % t)
        ax2.plot(xs, [c.get("%s_stream_msgs_per_s" % t) for c in cells], "o-", color=colours[t], label=t)
    ax1.set(xscale="log", yscale="log", xlabel="bytes on the wire per message", ylabel="round trip (us)",
            title="ping-pong round trip")
    ax2.set(xscale="log", yscale="log", xlabel="bytes on the wire per message", ylabel="messages / s (one way)",
            title="stream, window %d" % meta["window"])
    for ax in (ax1, ax2):
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("Transports between two ranks (%s, %s cores; medians of %d rounds)" % (
        meta["machine"]["cpu"], meta["machine"]["cores"], meta["repeats"]), fontsize=9)
    h.save_figure(fig, path)


def markdown(meta, cells, prefix):
    m = meta["machine"]
    L = ["# Transport ping-pong: ThreadTransport, MpiTransport, raw MPI", "",
         "Machine: %s. %s. Load average %s at the start, %s at the end; %s." % (
             h.machine_text(m), meta["mpi_version"], " ".join("%.2f" % x for x in meta["load_start"]),
             " ".join("%.2f" % x for x in meta["load_end"]), meta["note"]),
         "Commit %s. `%s` (%d interleaved rounds, %.0f s in all)." % (
             meta["git_commit"], meta["command"], meta["repeats"], meta["elapsed_seconds"]),
         "MPI runs: `%s -np 2 ...`." % " ".join([meta["mpiexec"]] + meta["mpiexec_flags"]), "",
         "Each message carries an 80-byte header plus the payload (a dense block of doubles); raw MPI sends "
         "the same bytes. Round trips: one message out, its echo back, timed on rank 0; medians over the "
         "rounds of each run's p50 / p99. Stream: %d messages back to back, then a one-message ack." % meta[
             "window"], "",
         "## Round trip (us)", "",
         "p50 / p99: medians over the rounds; best p50: the lowest of the rounds' p50s.", ""]
    rows = []
    for c in cells:
        rows.append([size_text(c["payload"]), c["wire_bytes"]] +
                    ["%s / %s" % (fmt(c.get("%s_rtt_p50_us" % t)), fmt(c.get("%s_rtt_p99_us" % t)))
                     for t in TRANSPORTS] +
                    [fmt(c.get("%s_rtt_p50_best" % t)) for t in TRANSPORTS])
    L += h.md_table(["payload", "wire bytes"] + ["%s p50 / p99" % t for t in TRANSPORTS] +
                    ["best p50 %s" % t for t in TRANSPORTS], rows)
    L += ["", "## Ratios", "", "Round trip p50 (median of the rounds, and best round) and stream rate.", ""]
    rows = []
    for c in cells:
        rows.append([size_text(c["payload"])] +
                    ["%s (%s)" % (fmt(c.get(k + "rtt_p50"), "%.2f"), fmt(c.get(k + "rtt_p50_best"), "%.2f"))
                     for k in ("mpi_over_raw_", "mpi-spin_over_raw_", "mpi_over_thread_")] +
                    [fmt(c.get(k + "stream_rate"), "%.2f") for k in ("mpi_over_raw_", "mpi-spin_over_raw_")])
    L += h.md_table(["payload", "RTT mpi / raw", "RTT mpi-spin / raw", "RTT mpi / thread", "stream rate mpi / raw",
                     "stream rate mpi-spin / raw"], rows)
    L += ["", "## Messages per second", "",
          "Ping-pong: two messages per round trip. Stream: one way, window of %d, MB/s of wire bytes." % meta[
              "window"], ""]
    rows = []
    for c in cells:
        rows.append([size_text(c["payload"])] +
                    [fmt(c.get("%s_pingpong_msgs_per_s" % t), "%.3g") for t in TRANSPORTS] +
                    ["%s (%s MB/s)" % (fmt(c.get("%s_stream_msgs_per_s" % t), "%.3g"),
                                       fmt(c.get("%s_stream_mb_per_s" % t), "%.3g")) for t in TRANSPORTS])
    L += h.md_table(["payload"] + ["ping-pong %s" % t for t in TRANSPORTS] + ["stream %s" % t for t in TRANSPORTS],
                    rows)
    L += ["", "Every run, with its command: `%s.csv`, `%s.json`; figure `%s.png`." % (prefix, prefix, prefix)]
    return L


def write_outputs(base, prefix, meta, runs):
    cells = cells_of(runs)
    h.write_csv(base + ".csv", runs, ["transport", "round", "payload", "wire_bytes"] + list(FIELDS) +
                ["load1", "wall", "host", "command"])
    h.write_json(base + ".json", dict(meta=meta, cells=cells, runs=runs))
    plot(cells, meta, base + ".png")
    L = markdown(meta, cells, prefix)
    h.write_markdown(base + ".md", L)
    print("\n".join(L))
    print("wrote %s.{csv,json,md,png}" % base)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.split("\n")[1:]))
    ap.add_argument("--build", default=os.path.join(ROOT, "build/release"), help="the CMake build dir")
    ap.add_argument("--binary", help="bench_transport_pingpong (default: BUILD/bench/...)")
    ap.add_argument("--mpiexec", help="default: MPIEXEC_EXECUTABLE of BUILD's cache")
    ap.add_argument("--mpiexec-flags", help="default: ASYNCOPT_MPIEXEC_FLAGS of BUILD's cache")
    ap.add_argument("--sizes", default="0,100,10000,1000000", help="payload bytes")
    ap.add_argument("--seconds", type=float, default=0.5, help="per size, ping-pong and stream each")
    ap.add_argument("--window", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=3, help="interleaved rounds (default 3)")
    ap.add_argument("--transports", default=",".join(TRANSPORTS))
    ap.add_argument("--note", default="other builds and tests may be running on this machine",
                    help="what else the machine was doing, for the report")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench/results"))
    ap.add_argument("--prefix", default="transport_pingpong")
    ap.add_argument("--replot", action="store_true", help="no runs: redo the tables and figure from OUT/PREFIX.json")
    a = ap.parse_args()
    base = os.path.join(a.out, a.prefix)
    if a.replot:
        with open(base + ".json") as f:
            old = json.load(f)
        return write_outputs(base, a.prefix, old["meta"], old["runs"])
    a.binary = os.path.abspath(a.binary or os.path.join(a.build, "bench", "bench_transport_pingpong"))
    if not os.access(a.binary, os.X_OK):
        ap.error("%s: not an executable file (cmake --build --preset release --target bench_transport_pingpong)"
                 % a.binary)
    transports = [t for t in a.transports.split(",") if t]
    for t in transports:
        if t not in TRANSPORTS:
            ap.error("--transports: unknown %r (have %s)" % (t, ",".join(TRANSPORTS)))
    a.mpiexec, a.mpiexec_flags = h.mpi_launcher(a.build, a.mpiexec, a.mpiexec_flags)
    if not a.mpiexec and set(transports) - {"thread"}:
        ap.error("no MPI: %s has no MPIEXEC_EXECUTABLE (pass --mpiexec or --transports thread)" % a.build)
    if a.repeats < 1 or not a.seconds > 0 or a.window < 1:
        ap.error("--repeats and --window must be >= 1, --seconds > 0")
    os.makedirs(a.out, exist_ok=True)
    mpi_version = "no MPI"
    if a.mpiexec:
        p, _ = h.run([a.mpiexec, "--version"], check=False)
        mpi_version = (p.stdout.strip().splitlines() or ["?"])[0]
    command = "/usr/bin/python3 bench/transport_pingpong.py " + " ".join(shlex.quote(x) for x in sys.argv[1:])
    load_start, t0 = h.loadavg(), time.time()

    def one(cell, rnd):
        log("round %d: %s" % (rnd + 1, cell["transport"]))
        return dict(sizes=run_cell(a, cell["transport"]))

    rounds = h.interleaved(h.grid(transport=transports), a.repeats, one)
    runs = [dict(s, round=r["round"]) for r in rounds for s in r["sizes"]]
    meta = dict(command=command, machine=h.machine(), git_commit=h.git_commit(), load_start=load_start,
                load_end=h.loadavg(), elapsed_seconds=time.time() - t0, repeats=a.repeats, window=a.window,
                seconds=a.seconds, sizes=a.sizes, mpiexec=a.mpiexec, mpiexec_flags=a.mpiexec_flags,
                mpi_version=mpi_version, binary=a.binary, note=a.note)
    write_outputs(base, a.prefix, meta, runs)


if __name__ == "__main__":
    main()
