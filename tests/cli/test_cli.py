"""Contract tests for the asyncopt command-line tool.

They run the real binary (ASYNCOPT_BIN) and check exit codes, error messages,
the summary JSON and trace CSV schema, config-file handling, Ctrl-C handling
and interoperability with Debian's LIBLINEAR tools.
"""
import csv
import json
import math
import os
import queue
import random
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest

BIN = os.environ.get("ASYNCOPT_BIN", "asyncopt")
FIXTURES = os.environ.get("ASYNCOPT_FIXTURES", os.path.join(os.path.dirname(__file__), "..", "fixtures"))
HEART = os.path.join(FIXTURES, "heart_scale")

SUMMARY_KEYS = {
    "status", "advice", "solver", "loss", "l1", "l2", "threads", "seed", "objective", "f_star",
    "suboptimality", "epochs", "seconds", "updates", "nnz_w", "exchanges", "coords_sent",
    "bits_sent", "conflicts", "config", "dataset", "git_commit", "compiler", "cpu",
    # master/worker solvers (0 or null for the others)
    "coords_returned", "bits_returned", "max_delay", "dropped_messages", "master_busy",
    "step_used", "restarts", "identification_epoch", "reference_nnz", "mask_coords",
    "bytes_sent", "bytes_returned", "transport", "ranks",
}
TRACE_COLUMNS = ["seconds", "epoch", "updates", "objective", "suboptimality", "nnz_w",
                 "exchanges", "coords_sent", "bits_sent", "conflicts", "coords_returned",
                 "bits_returned", "max_delay", "master_busy", "bytes_sent", "bytes_returned",
                 "max_staleness", "wait_fraction", "batch_loss", "test_accuracy", "diameter",
                 "max_distance", "worst_suboptimality", "rounds_skipped", "run"]


def start_training(command, timeout=120):
    """Starts an `asyncopt train` command (not --quiet) and returns once it
    says its training began (the "training:" line on stderr)."""
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = queue.Queue()

    def read():  # the deadline holds even if the command neither says it nor ends
        for line in proc.stderr:
            lines.put(line)
            if line.startswith("training:"):
                return  # the caller's communicate() reads the rest
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + timeout
    seen = ""
    while True:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            break
        if line is None:
            break
        seen += line
        if line.startswith("training:"):
            return proc
    proc.kill()
    proc.wait()
    raise AssertionError("training never began: " + seen)


def start_training_until_progress(command, folder, timeout=120):
    """Starts an `asyncopt train` command with its trace going to a FIFO in
    FOLDER (`--trace-every 0.05 --f-star skip`) and returns once a trace
    point past epoch 0 arrived: the run has then done work a signal must not
    lose, however long its setup takes (soda's, under ThreadSanitizer, can
    take seconds). The rest of the trace is drained in the background."""
    fifo = os.path.join(folder, "progress.fifo")
    os.mkfifo(fifo)
    progressed = threading.Event()

    def drain():
        with open(fifo) as f:  # returns once the run opens its trace
            next(f, None)  # the header
            for line in f:  # read to the end, so the run never meets a closed FIFO
                fields = line.split(",")
                if len(fields) > 2 and fields[2].isdigit() and int(fields[2]) > 0:  # updates
                    progressed.set()
        progressed.set()  # the trace ended (the run failed or finished): do not wait

    threading.Thread(target=drain, daemon=True).start()
    proc = start_training(command + ["--trace", fifo, "--trace-every", "0.05", "--f-star", "skip"],
                          timeout)
    if not progressed.wait(timeout):
        proc.kill()
        proc.wait()
        raise AssertionError("no trace point past epoch 0 within %d s" % timeout)
    return proc


def run(*args, timeout=300, env=None):
    e = dict(os.environ)
    if env:
        e.update(env)
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout, env=e)


class Workdir(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="asyncopt_cli_")
        # Private f* cache so tests never see each other's or the user's.
        os.environ["ASYNCOPT_CACHE_DIR"] = os.path.join(self.dir, "cache")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, text):
        with open(self.path(name), "w") as f:
            f.write(text)
        return self.path(name)

    def assertUsageError(self, proc, *fragments):
        self.assertEqual(proc.returncode, 2, proc.stderr)
        for frag in fragments:
            self.assertIn(frag, proc.stderr)
        self.assertNotRegex(proc.stderr, r": internal error:")

    def interrupted_train(self, *args, sig=signal.SIGINT, code=130):
        """Starts `asyncopt train ARGS`, sends SIG once the run has made
        progress (a signal before that ends the process with nothing
        written), expects exit CODE and returns the summary it still wrote
        (ARGS must set --summary). Progress is a trace point on a FIFO; when
        ARGS set their own --trace, the signal comes 1 s after the run began
        (enough for hogwild, whose setup is short)."""
        if "--trace" in args:
            proc = start_training([BIN, "train", *args])
            time.sleep(1.0)
        else:
            proc = start_training_until_progress([BIN, "train", *args], self.dir)
        self.assertIsNone(proc.poll(), "the run finished before it could be interrupted")
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
        self.assertEqual(proc.returncode, code, err)
        s = json.load(open(args[args.index("--summary") + 1]))
        self.assertEqual(s["status"], "interrupted")
        self.assertIsNotNone(s["objective"])
        return s


class ErrorTest(Workdir):
    def test_no_command_is_usage_error(self):
        self.assertUsageError(run(), "usage")

    def test_unknown_command(self):
        self.assertUsageError(run("fly"), "unknown command 'fly'")

    def test_unknown_option(self):
        self.assertUsageError(run("train", "--data", HEART, "--colour", "red"), "colour")

    def test_threads_negative(self):
        p = run("train", "--data", HEART, "--threads", "-1")
        self.assertUsageError(p, "'threads'", "'-1'", "allowed: an integer in [0, 1024]", "command line")

    def test_negative_lambda(self):
        self.assertUsageError(run("train", "--data", HEART, "--l1", "-0.5"), "'l1'", "'-0.5'", ">= 0")

    def test_step_must_be_positive(self):
        self.assertUsageError(run("train", "--data", HEART, "--step", "-1"), "'step'", "'-1'")

    def test_lock_stripe_must_be_a_power_of_two(self):
        self.assertUsageError(run("train", "--data", HEART, "--solver", "hogwild", "--write", "locked",
                                  "--lock-stripe", "6"), "'lock-stripe'", "'6'", "a power of two")

    def test_conflict_sample_must_be_at_least_one(self):
        self.assertUsageError(run("train", "--data", HEART, "--solver", "hogwild", "--threads", "2",
                                  "--conflict-sample", "0"), "'conflict-sample'", "'0'", "[1, 1048576]")

    def test_pin_workers_must_be_a_boolean(self):
        self.assertUsageError(run("train", "--data", HEART, "--solver", "hogwild", "--threads", "2",
                                  "--pin-workers", "maybe"), "pin-workers", "'maybe'")

    def test_non_numeric_value(self):
        self.assertUsageError(run("train", "--data", HEART, "--l2", "abc"), "l2")

    def test_unknown_loss(self):
        self.assertUsageError(run("train", "--data", HEART, "--loss", "cubic"), "'loss'", "'cubic'",
                              "logistic | hinge | squared-hinge | squared")

    def test_missing_data_file_names_it(self):
        missing = self.path("nope.svm")
        self.assertUsageError(run("info", "--data", missing), missing)

    def test_malformed_data_names_file_line_column(self):
        bad = self.write("bad.svm", "+1 1:0.5 2:1\n-1 3:abc\n")
        self.assertUsageError(run("info", "--data", bad), bad + ":2:")

    def test_multiclass_needs_positive_labels(self):
        # A classification loss needs two classes; info (no loss) shows
        # more than two labels as real targets (see RegressionTest).
        multi = self.write("multi.svm", "1 1:1\n2 2:1\n3 1:1 2:1\n")
        self.assertUsageError(run("train", "--data", multi, "--loss", "logistic"), "positive-labels")
        self.assertUsageError(run("optimum", "--data", multi, "--loss", "hinge", "--l2", "1"),
                              "positive-labels")
        ok = run("info", "--data", multi, "--positive-labels", "3")
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertIn("+1 (was +1): 1, -1 (was -1): 2", ok.stdout)
        self.assertRegex(ok.stdout, r"\+1 \(was [^)]*\): 1,")

    def test_bad_positive_labels(self):
        self.assertUsageError(run("info", "--data", HEART, "--positive-labels", "1,x"),
                              "'positive-labels'")


class ConfigTest(Workdir):
    def test_unknown_key_names_file_and_line(self):
        cfg = self.write("x.ini", "# comment\nloss = logistic\nlearning_rate = 3\n")
        self.assertUsageError(run("train", "--data", HEART, "--config", cfg),
                              cfg + ":3", "unknown key 'learning_rate'")

    def test_out_of_range_value_names_file_and_line(self):
        cfg = self.write("x.ini", "l2 = 0.1\n\nthreads = 2000\n")
        self.assertUsageError(run("train", "--data", HEART, "--config", cfg),
                              "'threads'", "'2000'", cfg + ":3")

    def test_bad_value_names_file_and_line(self):
        cfg = self.write("x.ini", "max-epochs = many\n")
        self.assertUsageError(run("train", "--data", HEART, "--config", cfg), cfg + ":1", "max-epochs")

    def test_malformed_line(self):
        cfg = self.write("x.ini", "l2 0.1\n")
        self.assertUsageError(run("train", "--data", HEART, "--config", cfg), cfg + ":1", "key = value")

    def test_file_values_apply_and_command_line_overrides(self):
        cfg = self.write("x.ini", "loss = squared-hinge\nl2 = 0.05\nmax-epochs = 50\n")
        summary = self.path("s.json")
        p = run("train", "--data", HEART, "--config", cfg, "--l2", "0.2", "--summary", summary, "--quiet")
        self.assertEqual(p.returncode, 0, p.stderr)
        s = json.load(open(summary))
        self.assertEqual(s["loss"], "squared-hinge")
        self.assertEqual(s["l2"], 0.2)
        self.assertEqual(s["config"]["max-epochs"], "50")

    def test_shipped_configs_run(self):
        """Every configs/*.ini is accepted by its command (rows/data overridden to stay small)."""
        root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "configs")
        names = sorted(n for n in os.listdir(root) if n.endswith(".ini"))
        self.assertTrue(names)
        for name in names:
            cfg = os.path.join(root, name)
            if "generate" in name:
                p = run("generate", "--config", cfg, "--rows", "200", "--out", self.path("g.svm"), "--quiet")
            elif name.startswith("contention"):
                p = run("contention", "--config", cfg, "--rows", "1000", "--threads", "1",
                        "--write", "wild", "--sparsifier", "none", "--repeats", "1", "--epochs", "1",
                        "--target", "0", "--out", self.path("contention"), "--quiet")
            else:
                p = run("train", "--config", cfg, "--data", HEART, "--max-epochs", "3", "--quiet")
            # Every key is accepted (exit 2 would be a usage error); a config tuned for other
            # data may legitimately diverge on heart_scale (exit 3).
            self.assertIn(p.returncode, (0, 3), name + ": " + p.stderr)


class TrainTest(Workdir):
    def train(self, *extra):
        summary, trace, model = self.path("s.json"), self.path("t.csv"), self.path("m.model")
        p = run("train", "--data", HEART, "--solver", "reference", "--loss", "logistic",
                "--l2", "0.01", "--summary", summary, "--trace", trace, "--model", model,
                "--quiet", *extra)
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.load(open(summary)), list(csv.reader(open(trace))), model

    def test_summary_has_contract_fields(self):
        s, _, _ = self.train()
        self.assertTrue(SUMMARY_KEYS <= set(s), SUMMARY_KEYS - set(s))
        self.assertEqual(s["status"], "converged")
        self.assertEqual(s["solver"], "reference")
        self.assertEqual(s["dataset"]["rows"], 270)
        self.assertRegex(s["dataset"]["content_hash"], r"^[0-9a-f]{16}$")
        self.assertEqual(s["config"]["l2"], "0.01")
        self.assertLess(abs(s["suboptimality"]), 1e-9)
        self.assertGreater(s["updates"], 0)
        for key in ("exchanges", "coords_sent", "bits_sent", "conflicts", "coords_returned",
                    "bits_returned", "max_delay", "dropped_messages", "restarts", "mask_coords"):
            self.assertEqual(s[key], 0)
        for key in ("master_busy", "identification_epoch", "reference_nnz"):
            self.assertIsNone(s[key])

    def test_a_stalled_run_says_so_and_what_helps(self):
        # hogwild's constant step stops at a noise floor on heart_scale; the
        # default schedule (the step falling 1000x over --max-epochs) does not.
        runs = {}
        for decay in ("1", "0"):
            summary = self.path("h%s.json" % decay)
            p = run("train", "--data", HEART, "--solver", "hogwild", "--threads", "1", "--l2", "1e-3",
                    "--max-epochs", "300", "--step-decay", decay, "--trace", self.path("t.csv"),
                    "--summary", summary)
            self.assertEqual(p.returncode, 0, p.stderr)
            runs[decay] = (json.load(open(summary)), p.stderr)
        s, stderr = runs["1"]
        self.assertEqual(s["status"], "max_epochs")
        self.assertIn("stopped improving", s["advice"])
        self.assertIn("--step-decay 0", s["advice"])
        self.assertIn("--solver svrg", s["advice"])
        self.assertIn(s["advice"], s["message"])
        self.assertIn("stopped improving", stderr)
        s, _ = runs["0"]
        self.assertIsNone(s["advice"], s["message"])
        self.assertIn("decaying x", s["message"])
        self.assertLess(s["suboptimality"] * 10, runs["1"][0]["suboptimality"])

    def test_trace_has_contract_columns(self):
        _, rows, _ = self.train()
        self.assertEqual(rows[0], TRACE_COLUMNS)
        self.assertGreaterEqual(len(rows), 3)
        # spars-ams's two columns and the peers' three are empty for the
        # other solvers; rounds_skipped is 0; `run` names the solver, the
        # data file and the options given, on every row.
        self.assertTrue(all(r[-7:-1] == ["", "", "", "", "", "0"] for r in rows[1:]))
        self.assertTrue(all(r[-1] == "reference heart_scale --l2 0.01 --loss logistic"
                            for r in rows[1:]), rows[1][-1])
        values = [[float(x) for x in r[:-7]] for r in rows[1:]]
        self.assertEqual(values[0][1], 0.0)  # epoch 0 first
        self.assertAlmostEqual(values[0][3], math.log(2), places=12)  # F(0) for logistic
        times = [v[0] for v in values]
        self.assertEqual(times, sorted(times))
        objectives = [v[3] for v in values]
        self.assertLess(objectives[-1], objectives[0])
        self.assertLess(abs(values[-1][4]), 1e-9)

    def test_objective_matches_optimum_command(self):
        s, _, _ = self.train()
        p = run("optimum", "--data", HEART, "--loss", "logistic", "--l2", "0.01", "--no-cache")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertAlmostEqual(float(p.stdout), s["objective"], delta=1e-12 * abs(s["objective"]))

    def test_optimum_is_cached(self):
        summary = self.path("o.json")
        first = run("optimum", "--data", HEART, "--loss", "squared-hinge", "--l2", "0.1", "--summary", summary)
        self.assertEqual(first.returncode, 0, first.stderr)
        self.assertEqual(json.load(open(summary))["source"], "computed")
        second = run("optimum", "--data", HEART, "--loss", "squared-hinge", "--l2", "0.1", "--summary", summary)
        self.assertEqual(json.load(open(summary))["source"], "cache")
        self.assertEqual(first.stdout, second.stdout)
        other = run("optimum", "--data", HEART, "--loss", "squared-hinge", "--l2", "0.2", "--summary", summary)
        self.assertEqual(json.load(open(summary))["source"], "computed")
        self.assertNotEqual(first.stdout, other.stdout)

    def test_test_set_metrics(self):
        s, _, _ = self.train("--test", HEART)
        self.assertGreater(s["test"]["accuracy"], 0.8)
        self.assertGreater(s["test"]["auc"], 0.85)
        self.assertGreater(s["test"]["logloss"], 0.0)

    def test_preprocessing_is_recorded(self):
        s, _, _ = self.train("--scale", "maxabs", "--bias", "1")
        self.assertEqual(s["dataset"]["scale"], "maxabs")
        self.assertEqual(s["dataset"]["bias"], 1.0)
        self.assertEqual(s["dataset"]["cols"], 14)

    def test_target_subopt_stops_early(self):
        s, rows, _ = self.train("--target-subopt", "1e-3")
        self.assertEqual(s["status"], "target_reached")
        self.assertLessEqual(s["suboptimality"], 1e-3)


    def test_diverging_run_exits_3_without_nan(self):
        summary, trace, model = self.path("s.json"), self.path("t.csv"), self.path("m.model")
        p = run("train", "--data", HEART, "--solver", "hogwild", "--loss", "squared", "--step", "1e4",
                "--max-epochs", "50", "--trace-every", "0.5", "--summary", summary, "--trace", trace,
                "--model", model, "--quiet")
        self.assertEqual(p.returncode, 3, p.stderr)
        text = open(summary).read()
        self.assertNotIn("NaN", text)
        self.assertNotIn("nan", open(trace).read().lower())
        s = json.loads(text)
        self.assertEqual(s["status"], "diverged")
        weights = open(model).read().split("\nw\n")[1].split()
        self.assertTrue(all(math.isfinite(float(x)) for x in weights))

    def test_async_solvers_follow_the_contract(self):
        for solver in ("hogwild", "svrg"):
            summary, trace = self.path(solver + ".json"), self.path(solver + ".csv")
            p = run("train", "--data", HEART, "--solver", solver, "--loss", "logistic", "--l2", "0.01",
                    "--threads", "2", "--max-epochs", "30", "--summary", summary, "--trace", trace,
                    "--quiet")
            self.assertEqual(p.returncode, 0, p.stderr)
            s = json.load(open(summary))
            self.assertTrue(SUMMARY_KEYS <= set(s), SUMMARY_KEYS - set(s))
            self.assertEqual(s["solver"], solver)
            self.assertEqual(s["threads"], 2)
            self.assertGreater(s["updates"], 0)
            self.assertIsNotNone(s["f_star"])  # a trace asks for suboptimality
            rows = list(csv.reader(open(trace)))
            self.assertEqual(rows[0], TRACE_COLUMNS)
            self.assertGreater(int(rows[-1][2]), 0)  # updates
        self.assertLess(json.load(open(self.path("svrg.json")))["suboptimality"], 1e-8)


class PredictTest(Workdir):
    def check_against_liblinear(self, *train_args):
        model = self.path("m.model")
        p = run("train", "--data", HEART, "--model", model, "--quiet", *train_args)
        self.assertEqual(p.returncode, 0, p.stderr)
        ours = run("predict", "--model", model, "--data", HEART, "--summary", self.path("p.json"))
        self.assertEqual(ours.returncode, 0, ours.stderr)
        acc = json.load(open(self.path("p.json")))["accuracy"]
        ll = subprocess.run(["liblinear-predict", HEART, model, self.path("out.txt")],
                            capture_output=True, text=True)
        self.assertEqual(ll.returncode, 0, ll.stdout + ll.stderr)
        m = re.search(r"Accuracy = ([0-9.]+)% \((\d+)/(\d+)\)", ll.stdout)
        self.assertIsNotNone(m, ll.stdout)
        self.assertEqual(int(m.group(2)) / int(m.group(3)), acc)
        return acc

    def test_liblinear_predict_agrees_logistic(self):
        acc = self.check_against_liblinear("--loss", "logistic", "--l2", "0.01")
        self.assertGreater(acc, 0.8)

    def test_liblinear_predict_agrees_with_scaling_and_bias(self):
        self.check_against_liblinear("--loss", "logistic", "--l1", "0.01", "--l2", "0.001",
                                     "--scale", "maxabs", "--bias", "1")

    def test_liblinear_predict_agrees_hinge(self):
        self.check_against_liblinear("--loss", "hinge", "--l2", "0.05")

    def test_predict_reports_metrics(self):
        model = self.path("m.model")
        run("train", "--data", HEART, "--model", model, "--quiet", "--l2", "0.01")
        p = run("predict", "--model", model, "--data", HEART, "--predictions", self.path("z.txt"))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"accuracy 0\.\d+ \(270 rows\)")
        self.assertRegex(p.stdout, r"auc 0\.\d+")
        self.assertEqual(len(open(self.path("z.txt")).read().split()), 270)

    def test_malformed_model(self):
        bad = self.write("bad.model", "solver_type L2R_LR\nnonsense 1\n")
        self.assertUsageError(run("predict", "--model", bad, "--data", HEART), bad + ":2")


class GenerateInfoTest(Workdir):
    def test_generate_is_reproducible(self):
        a, b, c = self.path("a.svm"), self.path("b.svm"), self.path("c.svm")
        for out, seed in ((a, "3"), (b, "3"), (c, "4")):
            p = run("generate", "--kind", "powerlaw", "--rows", "500", "--dim", "300",
                    "--nnz-per-row", "10", "--seed", seed, "--out", out, "--quiet")
            self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(open(a).read(), open(b).read())
        self.assertNotEqual(open(a).read(), open(c).read())
        self.assertEqual(len(open(a).read().splitlines()), 500)

    def test_generate_wangni_svm_shape(self):
        out = self.path("w.svm")
        p = run("generate", "--kind", "svm-wangni", "--rows", "1000", "--out", out, "--quiet")
        self.assertEqual(p.returncode, 0, p.stderr)
        info = run("info", "--data", out, "--summary", self.path("i.json"))
        self.assertEqual(info.returncode, 0, info.stderr)
        s = json.load(open(self.path("i.json")))
        self.assertEqual(s["rows"], 1000)
        self.assertEqual(s["cols"], 256)
        self.assertEqual(s["positives"] + s["negatives"], 1000)

    def test_generate_rejects_bad_arguments(self):
        self.assertUsageError(run("generate", "--kind", "cubes", "--out", self.path("x")), "'kind'")
        self.assertUsageError(run("generate", "--kind", "svm-wangni", "--c1", "2", "--out", self.path("x")),
                              "'c1'", "[0, 1]")
        self.assertUsageError(run("generate", "--kind", "powerlaw", "--dim", "5", "--nnz-per-row", "6",
                                  "--out", self.path("x")), "'nnz-per-row'")

    def test_info_prints_hogwild_measures(self):
        p = run("info", "--data", HEART)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("Hogwild rho", p.stdout)
        self.assertIn("Hogwild Delta", p.stdout)
        self.assertIn("rows            270", p.stdout)


class SignalTest(Workdir):
    def test_ctrl_c_writes_results_and_exits_130(self):
        data = self.path("big.svm")
        p = run("generate", "--kind", "powerlaw", "--rows", "200000", "--dim", "50000",
                "--nnz-per-row", "40", "--out", data, "--quiet")
        self.assertEqual(p.returncode, 0, p.stderr)
        summary, trace, model = self.path("s.json"), self.path("t.csv"), self.path("m.model")
        # --f-star skip: the trace would otherwise wait for f* first (minutes under TSan).
        self.interrupted_train("--data", data, "--loss", "logistic", "--l2", "1e-7",
                               "--max-epochs", "100000", "--summary", summary, "--trace", trace,
                               "--model", model, "--f-star", "skip")
        self.assertEqual(next(csv.reader(open(trace))), TRACE_COLUMNS)
        self.assertTrue(os.path.exists(model))


class SodaTest(Workdir):
    """The master/worker solvers (soda, dave-pg) through the CLI."""

    PROBLEM = ("--loss", "logistic", "--scale", "maxabs", "--l1", "1e-3", "--l2", "1e-2")
    # ~100 epochs and well under a second on a quiet machine; on a loaded one
    # a descheduled worker's copy goes stale for hundreds of exchanges
    # (max_delay 700 measured) and the run needs thousands. The caps stop a
    # run that is stuck: a broken solver fails in seconds, not minutes (it
    # used to take 310 s with a cap of 120 s per run).
    CAPS = ("--max-epochs", "300000", "--max-seconds", "20")

    def train(self, *args, name="s"):
        summary, trace = self.path(name + ".json"), self.path(name + ".csv")
        p = run("train", "--summary", summary, "--trace", trace, "--quiet", *args)
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.load(open(summary)), list(csv.reader(open(trace)))

    def sparse_data(self):
        """Synthetic logistic data whose l1 = 1e-2 optimum is sparse (87 of 2000 features)."""
        data = self.path("lw.svm")
        p = run("generate", "--kind", "logistic-wangni", "--rows", "1000", "--dim", "2000",
                "--seed", "1", "--out", data, "--quiet")
        self.assertEqual(p.returncode, 0, p.stderr)
        return data

    def test_soda_reaches_target_and_reports_counters(self):
        s, rows = self.train("--data", HEART, *self.PROBLEM, "--solver", "soda", "--mask-p", "0.1",
                             "--threads", "2", "--target-subopt", "1e-6", *self.CAPS)
        self.assertTrue(SUMMARY_KEYS <= set(s), SUMMARY_KEYS - set(s))
        self.assertEqual(s["solver"], "soda")
        self.assertEqual(s["status"], "target_reached", s["message"])
        self.assertLessEqual(s["suboptimality"], 1e-6)
        self.assertGreater(s["exchanges"], 0)
        self.assertGreater(s["coords_sent"], 0)
        self.assertGreater(s["coords_returned"], 0)
        self.assertGreaterEqual(s["max_delay"], 0)
        self.assertGreaterEqual(s["restarts"], 0)
        self.assertGreaterEqual(s["dropped_messages"], 0)
        self.assertGreaterEqual(s["mask_coords"], s["coords_sent"])
        self.assertEqual(s["reference_nnz"], s["dataset"]["cols"])  # l1 = 1e-3 keeps all 13
        self.assertIsNotNone(s["identification_epoch"])
        self.assertGreaterEqual(s["identification_epoch"], 0.0)
        self.assertEqual(s["config"]["mask-p"], "0.1")
        self.assertEqual(rows[0], TRACE_COLUMNS)
        last = dict(zip(rows[0], rows[-1]))
        self.assertGreater(int(last["coords_returned"]), 0)
        self.assertGreater(int(last["bits_returned"]), 0)
        self.assertGreaterEqual(int(last["max_delay"]), 0)
        self.assertGreater(float(last["master_busy"]), 0.0)
        self.assertLessEqual(float(last["master_busy"]), 1.0)
        # Bytes counted by the transport: an 80-byte header per message and 12
        # per (index, value) pair of the workers' deltas.
        self.assertGreater(int(last["bytes_sent"]), 0)
        self.assertGreater(int(last["bytes_returned"]), 0)
        self.assertEqual(s["bytes_sent"], 80 * s["exchanges"] + 12 * s["coords_sent"])
        self.assertNotIn("nan", open(self.path("s.json")).read().lower())

    def test_dave_pg_sends_larger_messages_than_soda(self):
        data = self.sparse_data()
        common = ("--data", data, "--loss", "logistic", "--scale", "maxabs", "--l1", "1e-2",
                  "--l2", "1e-2", "--threads", "2", "--target-subopt", "1e-6", *self.CAPS)
        soda, _ = self.train(*common, "--solver", "soda", "--mask-p", "0.1", name="soda")
        dave, _ = self.train(*common, "--solver", "dave-pg", name="dave")
        for s in (soda, dave):
            self.assertEqual(s["status"], "target_reached", s["solver"] + ": " + s["message"])
            self.assertGreater(s["exchanges"], 0)
            self.assertLess(s["reference_nnz"], s["dataset"]["cols"])  # a sparse optimum
        self.assertEqual(dave["solver"], "dave-pg")
        # Per message: DAve-PG's mask is all d coordinates, SODA's is supp(w)
        # plus ~10% of the zeros. (Totals depend on how many exchanges the
        # asynchronous run needs, which varies with the machine's load.)
        d = dave["dataset"]["cols"]
        self.assertEqual(dave["mask_coords"] % d, 0)
        soda_mask = soda["mask_coords"] / soda["exchanges"]
        dave_mask = dave["mask_coords"] / dave["exchanges"]
        self.assertGreater(dave_mask, 3 * soda_mask)
        self.assertGreater(dave["coords_sent"] / dave["exchanges"],
                           2 * soda["coords_sent"] / soda["exchanges"])

    def test_bad_values_name_the_key(self):
        base = ("train", "--data", HEART, "--solver", "soda")
        self.assertUsageError(run(*base, "--mask-p", "0"), "'mask-p'", "'0'", "(0, 1]")
        self.assertUsageError(run(*base, "--mask-p", "1.5"), "'mask-p'", "'1.5'", "(0, 1]")
        self.assertUsageError(run(*base, "--local-steps", "0"), "'local-steps'", "[1, 2147483647]")
        self.assertUsageError(run(*base, "--fault", "slow:1:x"), "--fault", '"x"',
                              "not a number in [1, 1e9]")
        self.assertUsageError(run(*base, "--fault", "slow:1:0.5"), "--fault", '"0.5"', "[1, 1e9]")
        self.assertUsageError(run(*base, "--fault", "slow:1:2,,slow:2:2"), "--fault", 'fault ""')
        self.assertUsageError(run(*base, "--fault", "freeze:1@2"), "--fault", 'unknown kind "freeze"')
        self.assertUsageError(run(*base, "--fault", "slow:1:2", "--fault", "slow:1:3"), "--fault",
                              "a second slow fault for member 1")
        self.assertUsageError(run(*base, "--threads", "2", "--fault", "crash:3@5"), "member 3",
                              "0.." + "2 (0 = the master")
        self.assertUsageError(run(*base, "--peer-timeout", "0"), "'peer-timeout'", "'0'")
        self.assertUsageError(run(*base, "--max-restarts", "-1"), "'max-restarts'", "'-1'", "[0, 1000000]")
        self.assertUsageError(run(*base, "--shard-skew", "-0.5"), "'shard-skew'", ">= 0")
        self.assertUsageError(run(*base, "--mask-p", "often"), "mask-p")

    def test_config_file_keys(self):
        cfg = self.write("soda.ini", "solver = soda\nmask-p = 0.5\nlocal-steps = 2\n"
                                     "fault = slow:1:1, slow:2:2\nshard-skew = 0.5\n"
                                     "shuffle-shards = false\nmax-restarts = 3\n")
        s, _ = self.train("--data", HEART, "--config", cfg, "--threads", "2", "--max-epochs", "3")
        self.assertEqual(s["solver"], "soda")
        self.assertEqual(s["config"]["mask-p"], "0.5")
        self.assertEqual(s["config"]["local-steps"], "2")
        self.assertEqual(s["config"]["fault"], "slow:1:1, slow:2:2")
        self.assertEqual(s["config"]["shard-skew"], "0.5")
        self.assertEqual(s["config"]["shuffle-shards"], "false")
        self.assertEqual(s["config"]["max-restarts"], "3")
        self.assertIn(s["status"], ("max_epochs", "converged", "target_reached"), s["message"])
        bad = self.write("bad.ini", "solver = soda\n# p\nmask-p = 0\n")
        self.assertUsageError(run("train", "--data", HEART, "--config", bad), "'mask-p'",
                              bad + ":3")
        bad = self.write("bad2.ini", "fault = slow:1:x\n")
        self.assertUsageError(run("train", "--data", HEART, "--config", bad), "--fault",
                              '"x"', bad + ":1")
        bad = self.write("bad3.ini", "local-steps = two\n")
        self.assertUsageError(run("train", "--data", HEART, "--config", bad), bad + ":1",
                              "local-steps")

    def test_ctrl_c_writes_results_and_exits_130(self):
        data = self.path("big.svm")
        p = run("generate", "--kind", "powerlaw", "--rows", "50000", "--dim", "20000",
                "--nnz-per-row", "40", "--out", data, "--quiet")
        self.assertEqual(p.returncode, 0, p.stderr)
        summary, model = self.path("s.json"), self.path("m.model")
        # No --trace or --target-subopt: no f* first, so the signal reaches the soda run itself.
        s = self.interrupted_train("--data", data, "--solver", "soda", "--loss", "logistic",
                                   "--l1", "1e-6", "--l2", "1e-7", "--threads", "2",
                                   "--fault", "slow:2:4", "--max-epochs", "100000",
                                   "--summary", summary, "--model", model)
        self.assertEqual(s["solver"], "soda")
        self.assertEqual(s["config"]["fault"], "slow:2:4")
        self.assertTrue(os.path.exists(model))



REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
SHARED_DATA = os.environ.get("ASYNCOPT_SHARED_DATA", os.path.join(REPO, "..", "shared", "data"))


class RegressionTest(Workdir):
    """Real targets end to end (issue 16, section 1): targets kept as read
    for --loss squared, info's target statistics, predict's RMSE/MAE/R^2,
    --scale-target standard, LIBLINEAR's regression model format checked by
    liblinear-predict, the regression generator."""

    def regression_file(self, name="y.svm", rows=400, cols=6, offset=2.0e5, scale=5.0e4, seed=1):
        """cadata-like: targets around OFFSET, spread SCALE, columns of
        different scales; returns (path, targets)."""
        rng = random.Random(seed)
        w = [rng.gauss(0, 1) for _ in range(cols)]
        lines, ys = [], []
        for _ in range(rows):
            x = [rng.gauss(0, 1) * 10.0 ** (j % 3) for j in range(cols)]
            y = offset + scale * (sum(a * b / 10.0 ** (j % 3) for j, (a, b) in enumerate(zip(x, w)))
                                  + 0.3 * rng.gauss(0, 1))
            ys.append(float("%.17g" % y))
            lines.append("%.17g " % y + " ".join("%d:%.17g" % (j + 1, v) for j, v in enumerate(x)))
        return self.write(name, "\n".join(lines) + "\n"), ys

    def train(self, data, *args):
        summary, model = self.path("s.json"), self.path("m.model")
        l2 = [] if "--l2" in args else ["--l2", "1e-3"]
        p = run("train", "--data", data, "--loss", "squared", *l2, "--model", model,
                "--summary", summary, "--quiet", *args)
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.load(open(summary)), model

    def predict(self, model, data, *args):
        summary, values = self.path("p.json"), self.path("z.txt")
        p = run("predict", "--model", model, "--data", data, "--summary", summary,
                "--predictions", values, *args)
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.load(open(summary)), [float(v) for v in open(values).read().split()], p.stdout

    def test_info_shows_target_statistics(self):
        data, ys = self.regression_file()
        p = run("info", "--data", data, "--summary", self.path("i.json"))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"targets +min [-0-9.e+]+, max [-0-9.e+]+, mean [-0-9.e+]+, "
                                   r"std [-0-9.e+]+, 400 distinct")
        s = json.load(open(self.path("i.json")))
        self.assertEqual(s["labels"], "targets")
        self.assertIsNone(s["positives"])
        t = s["targets"]
        mean = sum(ys) / len(ys)
        std = math.sqrt(sum((y - mean) ** 2 for y in ys) / len(ys))
        self.assertEqual(t["min"], min(ys))
        self.assertEqual(t["max"], max(ys))
        self.assertAlmostEqual(t["mean"] / mean, 1.0, places=12)
        self.assertAlmostEqual(t["std"] / std, 1.0, places=10)
        self.assertEqual(t["distinct"], len(set(ys)))
        # A two-valued file is still shown as classes.
        run("info", "--data", HEART, "--summary", self.path("h.json"))
        h = json.load(open(self.path("h.json")))
        self.assertEqual((h["labels"], h["targets"], h["positives"]), ("classes", None, 120))

    def test_squared_loss_keeps_targets_and_predict_reports_rmse_mae_r2(self):
        data, ys = self.regression_file()
        # (Targets around 2e5 of features around 0 need an intercept: --bias.)
        s, model = self.train(data, "--solver", "reference", "--bias", "1")
        self.assertEqual(s["dataset"]["labels"], "targets")
        text = open(model).read()
        self.assertTrue(text.startswith("solver_type L2R_L2LOSS_SVR\nnr_class 2\nnr_feature 6\nbias 1\n"),
                        text[:80])
        self.assertNotIn("label", text)
        p, z, out = self.predict(model, data)
        self.assertEqual(p["task"], "regression")
        self.assertIsNone(p["accuracy"])
        n = len(ys)
        mse = sum((a - b) ** 2 for a, b in zip(z, ys)) / n
        mae = sum(abs(a - b) for a, b in zip(z, ys)) / n
        mean = sum(ys) / n
        r2 = 1 - mse * n / sum((y - mean) ** 2 for y in ys)
        self.assertAlmostEqual(p["mse"] / mse, 1.0, places=9)
        self.assertAlmostEqual(p["rmse"] / math.sqrt(mse), 1.0, places=9)
        self.assertAlmostEqual(p["mae"] / mae, 1.0, places=9)
        self.assertAlmostEqual(p["r2"], r2, places=9)
        self.assertGreater(r2, 0.9)
        self.assertRegex(out, r"rmse [0-9.e+]+ \(400 rows\)\nmae [0-9.e+]+\nmse [0-9.e+]+\nr2 0\.9\d+")

    def check_against_liblinear(self, data, *train_args):
        """liblinear-predict reads our regression model and reports the mean
        squared error asyncopt predict reports (its %g: 6 digits), from the
        same predictions."""
        _, model = self.train(data, "--solver", "reference", *train_args)
        p, z, _ = self.predict(model, data)
        ll = subprocess.run(["liblinear-predict", data, model, self.path("ll.txt")],
                            capture_output=True, text=True)
        self.assertEqual(ll.returncode, 0, ll.stdout + ll.stderr)
        m = re.search(r"Mean squared error = ([0-9.e+-]+) \(regression\)", ll.stdout)
        self.assertIsNotNone(m, ll.stdout)
        self.assertLessEqual(abs(float(m.group(1)) - p["mse"]), 5e-6 * p["mse"], ll.stdout)
        theirs = [float(v) for v in open(self.path("ll.txt")).read().split()]
        self.assertEqual(len(theirs), len(z))
        for a, b in zip(theirs, z):
            self.assertLessEqual(abs(a - b), 1e-9 * max(1.0, abs(b)))
        return p

    def test_liblinear_predict_reports_the_same_mse(self):
        data, _ = self.regression_file()
        # No intercept for targets around 2e5: a poor fit, but the same one.
        self.assertLess(self.check_against_liblinear(data)["r2"], 0.0)
        for args in (["--scale-target", "standard"], ["--bias", "2"],
                     ["--scale-target", "standard", "--bias", "1", "--scale", "maxabs"]):
            with self.subTest(args=args):
                # Standardising centres the targets (an intercept through
                # the bias term) or the bias feature fits it.
                self.assertGreater(self.check_against_liblinear(data, *args)["r2"], 0.9)

    def test_scale_target_standard_trains_the_standardised_problem(self):
        data, ys = self.regression_file()
        test = self.path("test.svm")
        shutil.copy(data, test)
        raw, _ = self.train(data, "--f-star", "auto", "--trace", self.path("t.csv"))
        s, model = self.train(data, "--scale-target", "standard", "--test", test,
                              "--trace", self.path("t.csv"))
        d = s["dataset"]
        mean = sum(ys) / len(ys)
        std = math.sqrt(sum((y - mean) ** 2 for y in ys) / len(ys))
        self.assertEqual((d["scale_target"], d["preprocessing"]), ("standard", "ystd"))
        self.assertAlmostEqual(d["target_mean"] / mean, 1.0, places=12)
        self.assertAlmostEqual(d["target_std"] / std, 1.0, places=10)
        self.assertEqual(raw["dataset"]["scale_target"], "none")
        self.assertIsNone(raw["dataset"]["target_mean"])
        # The objective is the standardised problem's, of unit scale.
        self.assertLess(s["f_star"], 1.0)
        self.assertGreater(raw["f_star"], 1e6)
        # Predictions in the original units: the test metrics of the
        # summary are predict's on the same file.
        p, z, _ = self.predict(model, test)
        self.assertAlmostEqual(sum(z) / len(z) / mean, 1.0, places=2)
        self.assertGreater(p["r2"], 0.9)
        for key in ("mse", "rmse", "mae", "r2"):
            self.assertAlmostEqual(s["test"][key] / p[key], 1.0, places=9, msg=key)
        self.assertEqual(s["test"]["task"], "regression")
        # A warm start from this model is the same point: the target is met at once.
        w = run("train", "--data", data, "--loss", "squared", "--l2", "1e-3", "--scale-target",
                "standard", "--solver", "svrg", "--initial-model", model, "--target-subopt", "1e-6",
                "--summary", self.path("w.json"), "--quiet")
        self.assertEqual(w.returncode, 0, w.stderr)
        ws = json.load(open(self.path("w.json")))
        self.assertEqual((ws["status"], ws["epochs"]), ("target_reached", 0), ws["message"])

    def test_scale_target_from_a_config_file(self):
        data, _ = self.regression_file()
        config = self.write("r.ini", "loss = squared\nscale-target = standard\nl2 = 1e-3\n")
        p = run("optimum", "--data", data, "--config", config, "--summary", self.path("o.json"))
        self.assertEqual(p.returncode, 0, p.stderr)
        o = json.load(open(self.path("o.json")))
        self.assertEqual(o["dataset"]["scale_target"], "standard")
        self.assertLess(o["f_star"], 1.0)

    def test_bad_regression_input_is_refused_by_name(self):
        data, _ = self.regression_file()
        self.assertUsageError(run("train", "--data", HEART, "--loss", "logistic", "--scale-target",
                                  "standard"), "--scale-target standard: the logistic loss")
        self.assertUsageError(run("train", "--data", data, "--loss", "squared", "--scale-target",
                                  "zscore"), "'scale-target'", "'zscore'", "none | standard")
        self.assertUsageError(run("train", "--data", HEART, "--loss", "squared", "--scale-target",
                                  "standard", "--positive-labels", "1"), "--positive-labels")
        constant = self.write("c.svm", "3.5 1:1\n3.5 2:1\n3.5 1:2\n")
        self.assertUsageError(run("train", "--data", constant, "--loss", "squared",
                                  "--scale-target", "standard"),
                              constant + ": cannot standardise the target: every target is 3.5 "
                                         "(standard deviation 0)")
        nan = self.write("n.svm", "1.5 1:1\nnan 1:1\n")
        self.assertUsageError(run("train", "--data", nan, "--loss", "squared"),
                              nan + ":2:1: expected finite label, found 'nan'")
        # A classification loss never silently fits real targets.
        self.assertUsageError(run("train", "--data", data, "--loss", "logistic"),
                              "multiclass data needs --positive-labels")
        _, model = self.train(data, "--solver", "reference")
        self.assertUsageError(run("predict", "--model", model, "--data", data, "--positive-labels", "1"),
                              "is a regression model")
        classifier = self.path("c.model")
        run("train", "--data", HEART, "--model", classifier, "--quiet", "--l2", "0.01")
        self.assertUsageError(run("train", "--data", data, "--loss", "squared", "--initial-model",
                                  classifier), "a classification model cannot start a run on real targets")

    def test_squared_loss_on_a_two_valued_file_fits_the_values_as_read(self):
        rng = random.Random(3)
        lines = []
        for _ in range(300):
            x = rng.gauss(0, 1)
            lines.append("%d 1:%.17g" % (1 if x + 0.5 * rng.gauss(0, 1) > 0 else 0, x))
        data = self.write("01.svm", "\n".join(lines) + "\n")
        _, model = self.train(data, "--bias", "1", "--solver", "reference", "--l2", "1e-6")
        p, z, _ = self.predict(model, data)
        ys = [float(line.split()[0]) for line in lines]
        # Fitted to 0/1 (as read), not to -1/+1: the mean prediction is the mean label.
        self.assertAlmostEqual(sum(z) / len(z), sum(ys) / len(ys), places=4)
        self.assertEqual(p["task"], "regression")
        # With --positive-labels it is the least-squares classifier of before.
        _, model = self.train(data, "--bias", "1", "--positive-labels", "1")
        self.assertIn("label 1 0\n", open(model).read())
        p, _, out = self.predict(model, data)
        self.assertEqual(p["task"], "classification")
        self.assertIn("accuracy", out)

    def test_generate_regression_is_deterministic_and_learnable(self):
        a, b, c = self.path("a.svm"), self.path("b.svm"), self.path("c.svm")
        for out, seed, threads in ((a, "4", "1"), (b, "4", "2"), (c, "5", "2")):
            p = run("generate", "--kind", "regression", "--rows", "500", "--dim", "10", "--seed", seed,
                    "--threads", threads, "--out", out, "--quiet")
            self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(open(a).read(), open(b).read())
        self.assertNotEqual(open(a).read(), open(c).read())
        s, model = self.train(a, "--solver", "svrg", "--target-subopt", "1e-8", "--max-epochs", "500")
        self.assertEqual(s["status"], "target_reached", s["message"])
        p, _, _ = self.predict(model, a)
        self.assertGreater(p["r2"], 0.9)  # noise 1 against ||w*||^2 ~ d = 10
        # The YearPredictionMSD-shaped config, with fewer rows.
        config = os.path.join(REPO, "configs", "yearpredictionmsd-generate.ini")
        p = run("generate", "--config", config, "--rows", "50", "--out", a, "--quiet")
        self.assertEqual(p.returncode, 0, p.stderr)
        run("info", "--data", a, "--summary", self.path("i.json"))
        i = json.load(open(self.path("i.json")))
        self.assertEqual((i["rows"], i["cols"], i["nnz"], i["labels"]), (50, 90, 4500, "targets"))
        self.assertUsageError(run("generate", "--kind", "regression", "--c1", "0.5", "--out", a), "'--c1'")
        self.assertUsageError(run("generate", "--kind", "regression", "--noise", "-1", "--out", a), "'noise'")

    def test_shared_regression_sets(self):
        names = ("cadata", "cpusmall_scale", "abalone_scale")
        if not all(os.path.exists(os.path.join(SHARED_DATA, n + ".xz")) for n in names):
            self.skipTest("the regression sets are not in " + SHARED_DATA)
        for name in names:
            with self.subTest(name=name):
                data = os.path.join(SHARED_DATA, name + ".xz")
                p = run("info", "--data", data, "--summary", self.path("i.json"), "--threads", "2")
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertEqual(json.load(open(self.path("i.json")))["labels"], "targets")
                s, model = self.train(data, "--solver", "svrg", "--scale", "maxabs", "--scale-target",
                                      "standard", "--l2", "1e-4", "--target-subopt", "1e-6",
                                      "--max-epochs", "1000", "--threads", "2")
                self.assertEqual(s["status"], "target_reached", s["message"])
                p, _, _ = self.predict(model, data)
                self.assertGreater(p["r2"], 0.4)


if __name__ == "__main__":
    unittest.main()
