"""`asyncopt plot` and `asyncopt contention` (issue 19): the files they write,
checked by content (CSV columns and rows, JSON cells, a PNG decoded to its
size and the colours of its lines), their errors by name, a stopped sweep
that keeps its runs, and both commands from an installed prefix."""
import csv
import json
import os
import signal
import struct
import subprocess
import sys
import time
import unittest
import zlib

from test_cli import BIN, HEART, Workdir, run

# The figure's palette (src/cli/figure.cpp): the first two series' colours.
BLUE, ORANGE = (31, 119, 180), (255, 127, 14)


def read_png(path):
    """(width, height, rows of (r, g, b) tuples) of an 8-bit RGB or RGBA PNG."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise AssertionError("%s is not a PNG" % path)
    pos, idat, width, height, colour = 8, b"", 0, 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            if depth != 8 or colour not in (2, 6):
                raise AssertionError("unexpected PNG format depth %d colour %d" % (depth, colour))
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    bpp = 3 if colour == 2 else 4
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 255
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(width)])
        prev = line
    return width, height, rows


def count_colour(rows, colour, x0=0, x1=None):
    return sum(1 for row in rows for px in row[x0:x1] if px == colour)


class FigureWorkdir(Workdir):
    """A temp folder as Workdir's, and fontconfig's cache (written the first
    time the cairo driver lays out text) inside it, not in the user's home."""

    def setUp(self):
        super().setUp()
        self.saved_env = {k: os.environ.get(k) for k in ("XDG_CACHE_HOME", "TMPDIR")}
        os.environ["XDG_CACHE_HOME"] = self.path("xdg-cache")
        os.makedirs(self.path("tmp"))
        os.environ["TMPDIR"] = self.path("tmp")  # the figure's temporary file

    def tearDown(self):
        for k, v in self.saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        super().tearDown()


def write_trace(workdir, name, *args):
    path = workdir.path(name)
    p = run("train", "--data", HEART, "--trace", path, "--quiet", *args)
    workdir.assertEqual(p.returncode, 0, p.stderr)
    return path


class PlotTest(FigureWorkdir):
    def traces(self):
        a = write_trace(self, "a.csv", "--solver", "hogwild", "--threads", "2", "--max-epochs", "20")
        b = write_trace(self, "b.csv", "--solver", "svrg", "--threads", "2", "--max-epochs", "20")
        return a, b

    def test_two_traces_draw_two_panels_of_the_asked_size(self):
        a, b = self.traces()
        out = self.path("fig.png")
        p = run("plot", a, b, "-o", out, "--width", "900", "--height", "400")
        self.assertEqual(p.returncode, 0, p.stderr)
        width, height, rows = read_png(out)
        self.assertEqual((width, height), (900, 400))
        # The runs differ in their solver: the legend names them, the report too.
        self.assertIn("hogwild: " + a, p.stderr)
        self.assertIn("svrg: " + b, p.stderr)
        # Both lines are drawn in both panels (seconds left, epochs right).
        for x0, x1 in ((0, width // 2), (width // 2, width)):
            self.assertGreater(count_colour(rows, BLUE, x0, x1), 50)
            self.assertGreater(count_colour(rows, ORANGE, x0, x1), 50)

    def test_one_axis_gives_one_panel(self):
        a, _ = self.traces()
        out = self.path("fig.png")
        p = run("plot", a, "-o", out, "--x", "epochs", "--quiet")
        self.assertEqual(p.returncode, 0, p.stderr)
        width, height, rows = read_png(out)
        self.assertEqual((width, height), (1200, 500))
        self.assertGreater(count_colour(rows, BLUE), 100)
        self.assertEqual(count_colour(rows, ORANGE), 0)  # one trace: one colour

    def test_a_trace_without_f_star_draws_the_objective_and_says_so(self):
        a = write_trace(self, "a.csv", "--solver", "svrg", "--max-epochs", "5", "--f-star", "skip")
        out = self.path("fig.png")
        p = run("plot", a, "-o", out)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("drawing the objective instead", p.stderr)
        self.assertEqual(read_png(out)[:2], (1200, 500))

    def test_bad_input_is_named_and_nothing_is_written(self):
        a, _ = self.traces()
        out = self.path("fig.png")
        cases = []
        self.write("other.csv", "a,b\n1,2\n")
        cases.append(([self.path("other.csv")], "other.csv:1: not a trace"))
        lines = open(a).read().splitlines()
        lines[3] = lines[3].replace(lines[3].split(",")[0], "zero", 1)
        self.write("bad.csv", "\n".join(lines) + "\n")
        cases.append(([self.path("bad.csv")], "bad.csv:4: column 'seconds': 'zero' is not a number"))
        lines = open(a).read().splitlines()
        self.write("short.csv", "\n".join(lines[:3] + ["1,2,3"]) + "\n")
        cases.append(([self.path("short.csv")], "short.csv:4: 3 fields where the header has"))
        self.write("empty.csv", "")
        cases.append(([self.path("empty.csv")], "empty.csv: empty file"))
        cases.append(([self.path("missing.csv")], "missing.csv: cannot open"))
        cases.append(([], "no trace given"))
        for paths, message in cases:
            p = run("plot", *paths, "-o", out)
            self.assertEqual(p.returncode, 2, (paths, p.stderr))
            self.assertIn(message, p.stderr)
            self.assertFalse(os.path.exists(out), paths)
        p = run("plot", a)
        self.assertEqual(p.returncode, 2)
        self.assertIn("out", p.stderr)
        p = run("plot", a, "-o", self.path("no/such/dir/fig.png"))
        self.assertEqual(p.returncode, 2)
        self.assertIn("no/such/dir/fig.png", p.stderr)
        p = run("plot", a, "-o", out, "--x", "rounds")
        self.assertEqual(p.returncode, 2)
        self.assertIn("invalid value for 'x': 'rounds'", p.stderr)
        # An abbreviated option is not taken for a trace file, nor guessed.
        p = run("plot", a, "-o", out, "--tit", "My run")
        self.assertEqual(p.returncode, 2)
        self.assertIn("unrecognised option '--tit'", p.stderr)
        # The figure may not replace a trace it reads, however the path is spelled.
        before = open(a).read()
        p = run("plot", a, "-o", os.path.join(self.dir, ".", os.path.basename(a)))
        self.assertEqual(p.returncode, 2)
        self.assertIn("would overwrite an input", p.stderr)
        self.assertEqual(open(a).read(), before)
        self.assertEqual(os.listdir(self.path("tmp")), [])  # no temporary file left behind

    def test_text_is_drawn_literally(self):
        a, _ = self.traces()
        out = self.path("fig.png")
        p = run("plot", a, "-o", out, "--title", "run #(123) #u", "--height", "150", "--quiet")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(read_png(out)[:2], (1200, 150))


SMALL_SWEEP = ["--generate", "svm-wangni", "--rows", "3000", "--loss", "hinge", "--l2", "0.1",
               "--step", "1e-3", "--threads", "1,2", "--write", "wild,atomic", "--sparsifier",
               "none", "--repeats", "2", "--epochs", "1", "--target", "1e-2",
               "--ttt-max-seconds", "1", "--ttt-trace-every", "0.1"]


class ContentionTest(FigureWorkdir):
    def test_a_sweep_writes_its_table_csv_json_and_figure(self):
        out = self.path("res")
        p = run("contention", *SMALL_SWEEP, "--out", out)
        self.assertEqual(p.returncode, 0, p.stderr)
        base = os.path.join(out, "contention_svm-wangni")
        rows = list(csv.DictReader(open(base + ".csv")))
        # The ceiling, the naive loop, then threads x write policies.
        self.assertEqual([(r["solver"], r["threads"], r["policy"]) for r in rows],
                         [("plain-sgd", "1", "plain"), ("naive-sgd", "1", "plain"),
                          ("hogwild", "1", "wild"), ("hogwild", "2", "wild"),
                          ("hogwild", "1", "atomic"), ("hogwild", "2", "atomic")])
        for r in rows:
            self.assertGreater(float(r["nnz_per_s"]), 0.0, r)
            self.assertEqual(r["repeats"], "2")
            self.assertEqual(r["rows"], "3000")
        self.assertEqual(float(rows[0]["ratio_to_ceiling"]), 1.0)
        self.assertEqual(float(rows[2]["ratio_to_1thread"]), 1.0)
        self.assertEqual(rows[0]["conflicts_per_1000_updates"], "")  # the ceiling has none
        self.assertGreaterEqual(float(rows[3]["conflicts_per_1000_updates"]), 0.0)
        j = json.load(open(base + ".json"))
        self.assertEqual(len(j["cells"]), 6)
        self.assertFalse(j["context"]["interrupted"])
        self.assertTrue(j["context"]["command"].startswith("asyncopt contention --generate"))
        self.assertEqual(j["settings"]["repeats"], 2)
        for c in j["cells"]:
            self.assertEqual(len(c["runs_seconds"]), 2)
        # The table: one line per cell after the header.
        table = [l for l in p.stdout.splitlines() if l.startswith(("plain-sgd", "naive-sgd", "hogwild"))]
        self.assertEqual(len(table), 6)
        # Throughput, time to target and conflicts: three panels of 520 x 520.
        width, height, pixels = read_png(base + ".png")
        self.assertEqual((width, height), (3 * 520, 520))
        self.assertGreater(count_colour(pixels, BLUE), 100)    # the ceiling
        self.assertGreater(count_colour(pixels, ORANGE), 100)  # wild
        self.assertIn("figure: " + base + ".png", p.stdout)

    def test_a_data_file_names_the_outputs(self):
        out = self.path("res")
        p = run("contention", "--data", HEART, "--threads", "1", "--write", "wild",
                "--sparsifier", "none,gspar", "--repeats", "1", "--epochs", "2", "--target", "0",
                "--out", out, "--quiet")
        self.assertEqual(p.returncode, 0, p.stderr)
        rows = list(csv.DictReader(open(os.path.join(out, "contention_heart_scale.csv"))))
        self.assertEqual([r["sparsifier"] for r in rows], ["none", "none", "none", "gspar"])
        # No time-to-target runs: two panels.
        self.assertEqual(read_png(os.path.join(out, "contention_heart_scale.png"))[:2], (2 * 520, 520))

    def test_the_shipped_config_is_read_with_the_flags_names(self):
        config = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "configs",
                              "contention-svm-wangni.ini")
        out = self.path("res")
        # The command line overrides the file: a small sweep of its settings.
        p = run("contention", "--config", config, "--rows", "2000", "--threads", "1,2",
                "--write", "wild", "--repeats", "1", "--epochs", "1", "--out", out, "--quiet")
        self.assertEqual(p.returncode, 0, p.stderr)
        j = json.load(open(os.path.join(out, "contention_svm-wangni.json")))
        self.assertEqual(j["problem"]["loss"], "hinge")
        self.assertEqual(j["problem"]["l2"], 0.1)
        self.assertEqual(j["settings"]["step"], 1e-3)
        self.assertEqual(j["settings"]["target_subopt"], 1e-2)
        self.assertEqual(j["dataset"]["rows"], 2000)
        cells = [(c["solver"], c["threads"], c["policy"], c["sparsifier"]) for c in j["cells"]]
        self.assertEqual(cells[2:], [("hogwild", 1, "wild", "none"), ("hogwild", 2, "wild", "none"),
                                     ("hogwild", 1, "wild", "gspar"), ("hogwild", 2, "wild", "gspar")])

    def test_bad_options_are_named_before_the_data_is_read(self):
        missing = self.path("missing.svm")  # a check made after reading would name this file
        for extra, message in [
                (["--threads", "1,2048"], "--threads: '2048' is not an integer in [1, 1024]"),
                (["--loss", "huber"], "--loss huber: unknown loss"),
                (["--l2", "-1"], "l2"),
                (["--scale", "minmax"], "--scale minmax: expected none or maxabs"),
                (["--target", "-1"], "--target -1: must be >= 0"),
                (["--step", "-0.1"], "--step -0.1: must be > 0"),
                (["--name", "a/b"], "--name 'a/b': a file name part"),
                (["--epochs", "4294967297"], "invalid value for 'epochs'")]:
            p = run("contention", "--data", missing, *extra, "--out", self.path("res"))
            self.assertEqual(p.returncode, 2, (extra, p.stderr))
            self.assertIn(message, p.stderr)
            self.assertNotIn("missing.svm", p.stderr, extra)

    def test_bad_options_and_data_are_named_before_any_run(self):
        bad = self.write("bad.svm", "+1 1:0.5\n-1 2:x\n")
        cases = [
            (["--threads", "1,x"], "--threads: 'x' is not an integer"),
            (["--threads", "0"], "--threads: '0' is not an integer in [1,"),
            (["--write", "wild,fast"], "--write: unknown 'fast'"),
            (["--sparsifier", "none,topq"], "--sparsifier: unknown 'topq'"),
            (["--repeats", "2", "--ttt-repeats", "5"], "--ttt-repeats 5 exceeds --repeats 2"),
            (["--scaling-rounds", "-1"], "--scaling-rounds -1: must be >= 0"),
            (["--scaling-gap", "1e9"], "--scaling-gap 1e9: must be between 0 and 600 seconds"),
            (["--rho", "2"], "--rho 2: must be in (0, 1]"),
            (["--epochs", "ten"], "invalid value for 'epochs': 'ten'"),
        ]
        for extra, message in cases:
            out = self.path("res")
            p = run("contention", "--generate", "svm-wangni", "--rows", "500", *extra, "--out", out)
            self.assertEqual(p.returncode, 2, (extra, p.stderr))
            self.assertIn(message, p.stderr)
            self.assertFalse(os.path.exists(out), extra)  # not even the folder
        p = run("contention", "--data", bad, "--out", self.path("res"))
        self.assertEqual(p.returncode, 2)
        self.assertIn("bad.svm:2", p.stderr)
        p = run("contention", "--data", bad, "--generate", "powerlaw", "--out", self.path("res"))
        self.assertEqual(p.returncode, 2)
        self.assertIn("exactly one of --data FILE and --generate KIND", p.stderr)
        p = run("contention", "--generate", "svm-wangni")
        self.assertEqual(p.returncode, 2)
        self.assertIn("out", p.stderr)
        self.write("file", "x")
        p = run("contention", "--generate", "svm-wangni", "--out", self.path("file"))
        self.assertEqual(p.returncode, 2)
        self.assertIn("cannot be used as the output folder", p.stderr)

    def test_a_stopped_sweep_writes_the_runs_it_made(self):
        out = self.path("res")
        proc = subprocess.Popen(
            [BIN, "contention", "--generate", "svm-wangni", "--rows", "20000", "--threads", "1,2",
             "--write", "wild", "--sparsifier", "none", "--repeats", "50", "--epochs", "5",
             "--target", "0", "--out", out],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            # Wait for the second round: the first holds a run of every cell.
            deadline = time.time() + 120
            seen = ""
            while "round 2/50" not in seen:
                line = proc.stderr.readline()
                if not line or time.time() > deadline:
                    self.fail("the sweep never reached round 2: " + seen[-2000:])
                seen += line
            proc.send_signal(signal.SIGINT)
            stdout, stderr = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.assertEqual(proc.returncode, 130, stderr)
        self.assertIn("stopped by a signal", stderr)
        j = json.load(open(os.path.join(out, "contention_svm-wangni.json")))
        self.assertTrue(j["context"]["interrupted"])
        runs = [len(c["runs_seconds"]) for c in j["cells"]]
        self.assertEqual(len(runs), 4)
        self.assertTrue(all(1 <= n < 50 for n in runs), runs)
        rows = list(csv.DictReader(open(os.path.join(out, "contention_svm-wangni.csv"))))
        self.assertEqual(len(rows), 4)
        self.assertIn("hogwild", stdout)


class NoDriverTest(FigureWorkdir):
    """PLplot without its cairo driver (PLPLOT_DRV_DIR at an empty folder):
    plot refuses with the advice, contention writes its CSV and JSON and says
    how to get the figure. Neither may end inside PLplot (it exits the
    process when it finds no driver)."""

    def test_without_the_driver_the_files_are_written_and_the_advice_given(self):
        empty = self.path("drivers")
        os.mkdir(empty)
        trace = write_trace(self, "a.csv", "--solver", "svrg", "--max-epochs", "5")
        env = {"PLPLOT_DRV_DIR": empty}
        p = run("plot", trace, "-o", self.path("fig.png"), env=env)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("plplot-driver-cairo", p.stderr)
        self.assertFalse(os.path.exists(self.path("fig.png")))
        out = self.path("res")
        p = run("contention", *SMALL_SWEEP, "--out", out, "--quiet", env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("figure: not drawn", p.stdout)
        self.assertIn("plplot-driver-cairo", p.stdout)
        self.assertEqual(sorted(os.listdir(out)),
                         ["contention_svm-wangni.csv", "contention_svm-wangni.json"])


class InstalledTest(FigureWorkdir):
    """Both commands from an install prefix, run outside the source tree."""

    def test_an_installed_asyncopt_sweeps_and_plots(self):
        build = os.environ.get("ASYNCOPT_BUILD_DIR")
        cmake = os.environ.get("ASYNCOPT_CMAKE", "cmake")
        if not build:
            self.skipTest("ASYNCOPT_BUILD_DIR not set")
        prefix = self.path("prefix")
        p = subprocess.run([cmake, "--install", build, "--prefix", prefix],
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr)
        exe = os.path.join(prefix, "bin", "asyncopt")
        work = self.path("work")
        os.mkdir(work)

        def installed(*args):
            return subprocess.run([exe, *args], capture_output=True, text=True, timeout=300,
                                  cwd=work)

        p = installed("contention", "--generate", "svm-wangni", "--rows", "2000", "--threads", "1,2",
                      "--write", "wild", "--sparsifier", "none", "--repeats", "1", "--epochs", "1",
                      "--target", "0", "--out", "res", "--quiet")
        self.assertEqual(p.returncode, 0, p.stderr)
        for ext in ("csv", "json", "png"):
            self.assertTrue(os.path.getsize(os.path.join(work, "res", "contention_svm-wangni." + ext)) > 0)
        self.assertEqual(read_png(os.path.join(work, "res", "contention_svm-wangni.png"))[:2],
                         (2 * 520, 520))
        p = installed("generate", "--kind", "svm-wangni", "--rows", "500", "--out", "d.svm")
        self.assertEqual(p.returncode, 0, p.stderr)
        p = installed("train", "--data", "d.svm", "--solver", "svrg", "--max-epochs", "5",
                      "--trace", "t.csv", "--quiet")
        self.assertEqual(p.returncode, 0, p.stderr)
        p = installed("plot", "t.csv", "-o", "t.png", "--quiet")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(read_png(os.path.join(work, "t.png"))[:2], (1200, 500))


if __name__ == "__main__":
    unittest.main()
