"""`mpirun -np K asyncopt train --transport mpi`: SODA and DAve-PG across
processes (issue 15, section 4). Registered only when the build has MPI.

Each test starts mpirun with a bounded timeout; rank 0 writes the outputs,
every rank exits with rank 0's code. Ranks are oversubscribed on this
2-core machine (-np 5), which is legitimate: waits sleep, they do not spin.
"""

import csv
import json
import os
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from test_cli import BIN, HEART, Workdir, run  # noqa: E402
from test_multiclass import write_blobs  # noqa: E402

MPIRUN = os.environ.get("ASYNCOPT_MPIRUN", "mpirun")
MPI_FLAGS = ["--allow-run-as-root", "--oversubscribe", "--bind-to", "none"]
PROBLEM = ["--loss", "logistic", "--l1", "1e-3", "--l2", "1e-2"]


def mpirun(np, *args, timeout=180, mca=()):
    command = [MPIRUN, *MPI_FLAGS, *mca, "-np", str(np), BIN, "train", "--transport", "mpi", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def start_mpirun(np, *args, mca=(), new_group=False):
    command = [MPIRUN, *MPI_FLAGS, *mca, "-np", str(np), BIN, "train", "--transport", "mpi", *args]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=new_group)


def worker_pids(marker):
    """PIDs of the asyncopt ranks whose command line holds `marker`, ascending
    (PIDs, not ranks: after a wrap of the PID space rank 0 may have the
    largest; use pid_of_rank to pick a rank). Anchored at the start of the
    command line so that mpirun's own, which holds the rank's, is not one."""
    out = subprocess.run(["pgrep", "-f", "^[^ ]*asyncopt train --transport mpi .*" + marker],
                         capture_output=True, text=True).stdout.split()
    return sorted(int(p) for p in out)


def rank_of(pid):
    """The MPI rank of process `pid` (Open MPI's OMPI_COMM_WORLD_RANK in its
    environment), or None."""
    try:
        with open("/proc/%d/environ" % pid, "rb") as f:
            for entry in f.read().split(b"\0"):
                if entry.startswith(b"OMPI_COMM_WORLD_RANK="):
                    return int(entry.split(b"=", 1)[1])
    except (OSError, ValueError):
        pass
    return None


def pid_of_rank(marker, rank):
    for pid in worker_pids(marker):
        if rank_of(pid) == rank:
            return pid
    return None


def holding(pids, name):
    """Which of `pids` have a file whose path ends in `name` open (/proc/PID/fd)."""
    out = []
    for pid in pids:
        try:
            fds = os.listdir("/proc/%d/fd" % pid)
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink("/proc/%d/fd/%s" % (pid, fd)).endswith(name):
                    out.append(pid)
                    break
            except OSError:
                pass
    return out


class MpiBase(Workdir):
    """What the MPI tests share (no tests of its own)."""

    def summary(self, path):
        with open(path) as f:
            return json.load(f)

    def big_data(self, rows=50000, name="big.svm"):
        # Tests find their ranks by this file's whole path (worker_pids),
        # unique to the test's temp folder: ranks of another test (ctest -j),
        # or left over from a run that was killed, are never taken for its own.
        data = self.path(name)
        if not os.path.exists(data):
            p = run("generate", "--kind", "powerlaw", "--rows", str(rows), "--dim", "20000",
                    "--nnz-per-row", "40", "--out", data, "--quiet")
            self.assertEqual(p.returncode, 0, p.stderr)
        return data

    def ctrl_c(self, np, marker, *args):
        """Starts `mpirun -np NP ... ARGS` in its own process group, sends
        the group SIGINT (a terminal's Ctrl-C) once training runs, and
        returns (mpirun's exit code, its stderr)."""
        proc = start_mpirun(np, *args, new_group=True)
        try:
            self.wait_for_training(proc, marker, np)
            os.killpg(proc.pid, signal.SIGINT)
            _, err = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
        return proc.returncode, err

    def wait_for_training(self, proc, pids_marker, ranks, deadline=60):
        """Waits until the ranks exist and the worker ranks have read their
        parts and closed the data file (both reads: the shards are made), then
        a little more for some exchanges. A rank killed before that ends the
        job inside a start-up collective, not through the engine."""
        t0 = time.monotonic()
        seen_open = False
        while time.monotonic() - t0 < deadline:
            pids = worker_pids(pids_marker)
            if len(pids) >= ranks:
                open_now = holding(pids, pids_marker)
                seen_open = seen_open or bool(open_now)
                if (seen_open and not open_now) or time.monotonic() - t0 > 20:
                    time.sleep(1.5)  # a few exchanges
                    return
            if proc.poll() is not None:
                self.fail("mpirun ended before training: %s" % (proc.communicate()[1],))
            time.sleep(0.05)
        proc.kill()
        self.fail("the ranks never started")



class MpiTest(MpiBase):
    # ------------------------------------------------------------ results --

    def test_one_worker_rank_is_one_worker_thread_bit_for_bit(self):
        for solver in ("soda", "dave-pg"):
            common = ("--data", HEART, "--solver", solver, *PROBLEM, "--max-epochs", "40",
                      "--f-star", "skip", "--quiet")
            m_mpi, m_thr = self.path(solver + "_mpi.model"), self.path(solver + "_thr.model")
            p = mpirun(2, *common, "--model", m_mpi, "--summary", self.path("s.json"))
            self.assertEqual(p.returncode, 0, p.stderr)
            q = run("train", *common, "--threads", "1", "--model", m_thr)
            self.assertEqual(q.returncode, 0, q.stderr)
            with open(m_mpi, "rb") as a, open(m_thr, "rb") as b:
                self.assertEqual(a.read(), b.read(), solver)
            s = self.summary(self.path("s.json"))
            self.assertEqual((s["transport"], s["ranks"], s["threads"]), ("mpi", 2, 1))

    def test_several_worker_ranks_reach_the_target_with_the_threaded_f_star(self):
        # soda needs ~90 epochs here, close to the default --max-epochs 100:
        # the cap is the time limit.
        common = ("--data", HEART, *PROBLEM, "--target-subopt", "1e-6", "--max-seconds", "60",
                  "--max-epochs", "100000")
        t = run("train", *common, "--solver", "soda", "--threads", "2", "--quiet",
                "--summary", self.path("t.json"))
        self.assertEqual(t.returncode, 0, t.stderr)
        f_star = self.summary(self.path("t.json"))["f_star"]
        for np, solver in ((3, "soda"), (5, "dave-pg")):
            s_path, trace = self.path("s%d.json" % np), self.path("t%d.csv" % np)
            p = mpirun(np, *common, "--solver", solver, "--summary", s_path, "--trace", trace, "--quiet")
            self.assertEqual(p.returncode, 0, p.stderr)
            s = self.summary(s_path)
            self.assertEqual(s["status"], "target_reached", s["message"])
            self.assertEqual(s["f_star"], f_star)  # the same cache entry, the same data
            self.assertLessEqual(s["suboptimality"], 1e-6)
            self.assertEqual(s["ranks"], np)
            self.assertEqual(s["dataset"]["rows"], 270)
            self.assertEqual(s["dataset"]["nnz"], 3378)
            self.assertIsNone(s["dataset"]["content_hash"])  # no rank holds all rows
            self.assertGreater(s["bytes_sent"], 0)
            self.assertEqual(s["bytes_sent"], 80 * s["exchanges"] + 12 * s["coords_sent"])
            self.assertIn("mpi ranks 1..%d" % (np - 1), s["message"])
            with open(trace) as f:
                rows = [line.split(",") for line in f.read().splitlines()]
            self.assertEqual(rows[0][14:16], ["bytes_sent", "bytes_returned"])
            self.assertGreater(len(rows), 2)

    def test_compressed_input_and_scaling_agree_across_ranks(self):
        # A gzip file is streamed by every worker rank, each keeping its rows;
        # --scale maxabs needs the column maxima of all parts.
        import gzip
        data = self.path("heart.gz")
        with open(HEART, "rb") as src, gzip.open(data, "wb") as dst:
            dst.write(src.read())
        common = ("--data", data, *PROBLEM, "--scale", "maxabs", "--bias", "1", "--solver", "soda",
                  "--max-epochs", "30", "--f-star", "skip", "--quiet")
        p = mpirun(2, *common, "--model", self.path("mpi.model"))
        self.assertEqual(p.returncode, 0, p.stderr)
        q = run("train", *common, "--threads", "1", "--model", self.path("thr.model"))
        self.assertEqual(q.returncode, 0, q.stderr)
        with open(self.path("mpi.model")) as a, open(self.path("thr.model")) as b:
            self.assertEqual(a.read(), b.read())
        p = mpirun(4, *common, "--summary", self.path("s.json"))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.summary(self.path("s.json"))["dataset"]["rows"], 270)

    def test_real_targets_and_their_standardisation_across_ranks(self):
        # --loss squared keeps the targets on every rank (no label set to
        # agree on); --scale-target standard takes the mean and std of all
        # parts. One worker rank is one worker thread, bit for bit.
        data = self.path("y.svm")
        p = run("generate", "--kind", "regression", "--rows", "600", "--dim", "8", "--seed", "2",
                "--out", data, "--quiet")
        self.assertEqual(p.returncode, 0, p.stderr)
        problem = ("--data", data, "--loss", "squared", "--l2", "1e-2", "--solver", "soda")
        for extra in ((), ("--scale-target", "standard", "--bias", "1")):
            common = (*problem, *extra, "--max-epochs", "30", "--f-star", "skip", "--quiet")
            p = mpirun(2, *common, "--model", self.path("mpi.model"))
            self.assertEqual(p.returncode, 0, p.stderr)
            q = run("train", *common, "--threads", "1", "--model", self.path("thr.model"))
            self.assertEqual(q.returncode, 0, q.stderr)
            with open(self.path("mpi.model")) as a, open(self.path("thr.model")) as b:
                self.assertEqual(a.read(), b.read(), extra)
        common = (*problem, "--scale-target", "standard", "--target-subopt", "1e-6",
                  "--max-seconds", "60", "--max-epochs", "100000", "--quiet")
        t = run("train", *common, "--threads", "2", "--summary", self.path("t.json"))
        self.assertEqual(t.returncode, 0, t.stderr)
        threaded = self.summary(self.path("t.json"))
        p = mpirun(4, *common, "--summary", self.path("s.json"), "--trace", self.path("t.csv"))
        self.assertEqual(p.returncode, 0, p.stderr)
        s = self.summary(self.path("s.json"))
        self.assertEqual(s["status"], "target_reached", s["message"])
        self.assertEqual(s["f_star"], threaded["f_star"])
        d = s["dataset"]
        self.assertEqual((d["labels"], d["scale_target"]), ("targets", "standard"))
        self.assertAlmostEqual(d["target_mean"], threaded["dataset"]["target_mean"], places=12)
        self.assertAlmostEqual(d["target_std"] / threaded["dataset"]["target_std"], 1.0, places=12)
        constant = self.path("c.svm")
        with open(constant, "w") as f:
            f.write("3.5 1:1\n3.5 2:1\n3.5 1:2\n3.5 2:2\n")
        p = mpirun(3, "--data", constant, "--loss", "squared", "--solver", "soda", "--scale-target",
                   "standard", "--f-star", "skip", timeout=120)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("every target is 3.5 (standard deviation 0)", p.stderr)

    # ------------------------------------------------------------- errors --

    def test_bad_input_ends_every_rank_with_a_message_not_a_hang(self):
        bad = self.path("bad.svm")
        with open(HEART) as f:
            lines = f.read().splitlines()
        lines[200] = "+1 3:0.5 oops"
        with open(bad, "w") as f:
            f.write("\n".join(lines) + "\n")
        p = mpirun(3, "--data", bad, "--solver", "soda", *PROBLEM, "--f-star", "skip", timeout=120)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("bad.svm:201", p.stderr)  # the true line, from the rank that owns it
        p = mpirun(3, "--data", HEART, "--solver", "hogwild", *PROBLEM, timeout=120)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("soda, dave-pg", p.stderr)
        p = mpirun(3, "--data", HEART, "--solver", "soda", *PROBLEM, "--fault", "slow:3:2", timeout=120)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("rank 3 does not exist", p.stderr)

    def test_a_stopped_rank_is_named_within_the_peer_timeout(self):
        # SIGSTOP: MPI itself notices nothing; the master's deadline does.
        data = self.big_data()
        summary = self.path("s.json")
        proc = start_mpirun(3, "--data", data, "--solver", "soda", "--l1", "1e-6", "--l2", "1e-7",
                            "--max-epochs", "100000", "--f-star", "skip", "--peer-timeout", "3",
                            "--summary", summary, "--quiet")
        try:
            self.wait_for_training(proc, data, 3)
            victim = pid_of_rank(data, 2)  # a worker; PIDs need not follow ranks
            self.assertIsNotNone(victim)
            os.kill(victim, signal.SIGSTOP)
            t0 = time.monotonic()
            _, err = proc.communicate(timeout=120)
            self.assertLess(time.monotonic() - t0, 30)
        finally:
            if proc.poll() is None:
                proc.kill()
            for pid in worker_pids(data):
                os.kill(pid, signal.SIGKILL)
        self.assertEqual(proc.returncode, 6, err)
        s = self.summary(summary)
        self.assertEqual(s["status"], "peer_lost")
        self.assertRegex(s["message"], r"worker \d \(rank \d\) silent for over 3 s")
        self.assertNotIn("master (rank 0)", s["message"])

    def test_a_killed_rank_is_named_and_rank_0_writes_what_it_has(self):
        # Open MPI cannot survive a dead process: by default mpirun ends the
        # job at once and names the rank; with orte_abort_on_non_zero_status 0
        # it lets rank 0 find the silence, write its outputs and end the job.
        # Without single-copy (CMA) reads: killed while rank 0 read one of its
        # large messages out of its memory, the worker left Open MPI 4.1's
        # reader stuck inside MPI ("Read -1, expected 230096, errno = 3", once
        # in CI, 2026-12-08), and rank 0 silent (README, "A killed rank").
        data = self.big_data()
        summary = self.path("s.json")
        proc = start_mpirun(3, "--data", data, "--solver", "soda", "--l1", "1e-6", "--l2", "1e-7",
                            "--max-epochs", "100000", "--f-star", "skip", "--peer-timeout", "3",
                            "--summary", summary, "--quiet",
                            mca=("--mca", "orte_abort_on_non_zero_status", "0",
                                 "--mca", "btl_vader_single_copy_mechanism", "none"))
        try:
            self.wait_for_training(proc, data, 3)
            victim = pid_of_rank(data, 2)  # a worker; PIDs need not follow ranks
            self.assertIsNotNone(victim)
            os.kill(victim, signal.SIGKILL)
            _, err = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
        self.assertNotEqual(proc.returncode, 0, err)
        self.assertTrue(os.path.exists(summary), "rank 0 wrote no summary; mpirun said: %s" % err)
        s = self.summary(summary)
        self.assertEqual(s["status"], "peer_lost")
        self.assertRegex(s["message"], r"worker 2 \(rank 2\) silent")
        self.assertEqual(worker_pids(data), [])  # nothing left behind

    def test_ctrl_c_writes_everything(self):
        # A terminal's Ctrl-C reaches mpirun and every rank (one process
        # group): rank 0 writes the summary, trace and model of what it has.
        data = self.big_data()
        summary, trace, model = self.path("s.json"), self.path("t.csv"), self.path("m.model")
        code, err = self.ctrl_c(3, data, "--data", data, "--solver", "soda", "--l1", "1e-6", "--l2", "1e-7",
                                "--max-epochs", "100000", "--f-star", "skip", "--summary", summary,
                                "--trace", trace, "--model", model, "--quiet")
        s = self.summary(summary)
        self.assertEqual(s["status"], "interrupted", err)
        self.assertGreater(s["epochs"], 0)
        self.assertTrue(os.path.getsize(model) > 0)
        with open(trace) as f:
            self.assertGreater(len(f.read().splitlines()), 1)
        # mpirun, itself signalled, ends the job its own way (exit 1); the
        # ranks' code is 130 (see README).
        self.assertNotEqual(code, 0)


class SspMpiTest(MpiBase):
    """dissvrg and petuum-sgd under mpirun (issue 16): ranks 0..S-1 the
    servers, the rest the trainers; the same binary as on threads."""

    REG = ["--loss", "squared", "--l2", "1e-2"]

    def regression_data(self):
        data = self.path("reg.svm")
        if not os.path.exists(data):
            p = run("generate", "--kind", "regression", "--rows", "600", "--dim", "12", "--seed", "3",
                    "--out", data, "--quiet")
            self.assertEqual(p.returncode, 0, p.stderr)
        return data

    def test_one_trainer_rank_is_one_trainer_thread_bit_for_bit(self):
        # With one trainer, block servers split w without changing it: np 2
        # (one server) and np 3 (two) both give the threaded run's model.
        for solver in ("dissvrg", "petuum-sgd"):
            common = ("--data", self.regression_data(), "--solver", solver, *self.REG, "--max-epochs", "30",
                      "--f-star", "skip", "--quiet")
            m_thr = self.path(solver + "_thr.model")
            q = run("train", *common, "--threads", "1", "--model", m_thr)
            self.assertEqual(q.returncode, 0, q.stderr)
            for np, servers in ((2, 1), (3, 2)):
                m_mpi = self.path("%s_mpi%d.model" % (solver, np))
                p = mpirun(np, *common, "--servers", str(servers), "--model", m_mpi,
                           "--summary", self.path("s.json"))
                self.assertEqual(p.returncode, 0, p.stderr)
                with open(m_mpi, "rb") as a, open(m_thr, "rb") as b:
                    self.assertEqual(a.read(), b.read(), (solver, np))
                s = self.summary(self.path("s.json"))
                self.assertEqual((s["transport"], s["ranks"], s["threads"]), ("mpi", np, 1))

    def test_several_trainers_and_servers_reach_one_e_minus_eight(self):
        cases = (("squared", self.regression_data(), self.REG),
                 ("logistic", HEART, ["--loss", "logistic", "--l2", "1e-2"]))
        for name, data, problem in cases:
            common = ("--data", data, *problem, "--solver", "dissvrg", "--target-subopt", "1e-8",
                      "--max-seconds", "60", "--max-epochs", "100000", "--staleness", "2")
            t = run("train", *common, "--threads", "2", "--quiet", "--summary", self.path("t.json"))
            self.assertEqual(t.returncode, 0, t.stderr)
            f_star = self.summary(self.path("t.json"))["f_star"]
            # 1, 2 and 4 trainers; 1 and 2 servers.
            for np, servers in ((2, 1), (3, 1), (6, 2)):
                s_path = self.path("s%d.json" % np)
                p = mpirun(np, *common, "--servers", str(servers), "--summary", s_path, "--quiet")
                self.assertEqual(p.returncode, 0, p.stderr)
                s = self.summary(s_path)
                self.assertEqual(s["status"], "target_reached", (name, s["message"]))
                self.assertEqual(s["f_star"], f_star)
                self.assertLessEqual(s["suboptimality"], 1e-8)
                self.assertLessEqual(s["max_staleness"], 2)
                self.assertEqual([t["member"] for t in s["trainers"]], list(range(servers, np)))
                self.assertIn("mpi ranks %d..%d" % (servers, np - 1), s["message"])
                self.assertGreater(s["bytes_sent"], 0)

    def stop_rank_and_wait(self, rank):
        """Runs dissvrg on 4 ranks (2 servers, 2 trainers, --peer-timeout 3),
        SIGSTOPs `rank` once training runs, and returns (exit code, stderr,
        summary) after the job ended (within 40 s of the stop)."""
        data = self.big_data(name="trainers.svm")
        summary = self.path("s.json")
        proc = start_mpirun(4, "--data", data, "--solver", "dissvrg", "--servers", "2", "--l2", "1e-4",
                            "--inner-steps", "2000", "--max-epochs", "100000", "--f-star", "skip",
                            "--peer-timeout", "3", "--summary", summary, "--model", self.path("m.model"),
                            "--quiet")
        try:
            self.wait_for_training(proc, data, 4)
            victim = pid_of_rank(data, rank)
            self.assertIsNotNone(victim)
            os.kill(victim, signal.SIGSTOP)
            t0 = time.monotonic()
            _, err = proc.communicate(timeout=120)
            self.assertLess(time.monotonic() - t0, 40)
        finally:
            if proc.poll() is None:
                proc.kill()
            for pid in worker_pids(data):
                os.kill(pid, signal.SIGKILL)
        return proc.returncode, err, self.summary(summary)

    def test_a_stopped_trainer_rank_is_named_and_nothing_hangs(self):
        code, err, s = self.stop_rank_and_wait(3)  # a trainer
        self.assertEqual(code, 6, err)
        self.assertEqual(s["status"], "peer_lost")
        self.assertRegex(s["message"], r"trainer \d \(rank 3\) silent for over 3 s")

    def test_a_stopped_block_server_rank_is_named_not_the_trainers(self):
        code, err, s = self.stop_rank_and_wait(1)  # the block server
        self.assertEqual(code, 6, err)
        self.assertEqual(s["status"], "peer_lost")
        # Over the timeout, or over half of it when a trainer waiting for it
        # was overdue first (it is then the block server that is named).
        self.assertRegex(s["message"], r"block server 1 \(rank 1\) silent for over (3|1\.5) s")
        self.assertNotRegex(s["message"], r"trainer \d \(rank")
        self.assertTrue(os.path.getsize(self.path("m.model")) > 0)

    def test_ctrl_c_with_block_servers_writes_everything(self):
        data = self.big_data(name="trainers.svm")
        summary, model = self.path("s.json"), self.path("m.model")
        _, err = self.ctrl_c(4, data, "--data", data, "--solver", "petuum-sgd", "--servers", "2",
                             "--l2", "1e-4", "--max-epochs", "100000", "--f-star", "skip", "--summary", summary,
                             "--model", model, "--quiet")
        s = self.summary(summary)
        self.assertEqual(s["status"], "interrupted", err)
        self.assertGreater(s["epochs"], 0)
        self.assertTrue(os.path.getsize(model) > 0)
        self.assertEqual(worker_pids(data), [])

    def test_too_few_ranks_for_the_servers_is_a_usage_error(self):
        p = mpirun(2, "--data", HEART, "--solver", "dissvrg", "--servers", "2", "--l2", "1e-2",
                   "--f-star", "skip", "--quiet", timeout=60)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("--servers 2 needs at least 3 ranks", p.stderr)


class SparsAmsMpiTest(MpiBase):
    """spars-ams under mpirun (issue 17): rank 0 the server, ranks 1..N the
    workers with their parts; class ids agree across ranks."""

    def blobs(self, name, rows, seed):
        return write_blobs(self.path(name), rows, seed, dims=6)

    COMMON = ("--solver", "spars-ams", "--model-kind", "mlp", "--hidden", "8", "--batch-size", "16",
              "--step", "0.01", "--l2", "1e-4", "--quiet")

    def test_one_worker_rank_is_one_worker_thread_bit_for_bit(self):
        data = self.blobs("train.svm", 300, 1)
        for extra in ((), ("--sparsifier", "topk", "--rho", "0.1", "--error-feedback")):
            m_mpi, m_thr = self.path("mpi.mlp"), self.path("thr.mlp")
            p = mpirun(2, "--data", data, *self.COMMON, *extra, "--max-epochs", "5", "--model", m_mpi,
                       "--summary", self.path("s.json"))
            self.assertEqual(p.returncode, 0, p.stderr)
            q = run("train", "--data", data, *self.COMMON, *extra, "--max-epochs", "5", "--threads", "1",
                    "--model", m_thr)
            self.assertEqual(q.returncode, 0, q.stderr)
            with open(m_mpi, "rb") as a, open(m_thr, "rb") as b:
                self.assertEqual(a.read(), b.read(), extra)
            s = self.summary(self.path("s.json"))
            self.assertEqual((s["transport"], s["ranks"], s["model_kind"]), ("mpi", 2, "mlp"))

    def test_four_worker_ranks_learn_as_four_threads_do(self):
        # Classes 3, 7 and 9 lie in different parts of the file (sorted):
        # the ranks must still agree on the ids through the merged label set.
        train = self.blobs("train.svm", 1200, 2)
        with open(train) as f:
            rows = sorted(f.read().splitlines(), key=lambda line: int(line.split()[0]))
        self.write("sorted.svm", "\n".join(rows) + "\n")
        test = self.blobs("test.svm", 600, 3)
        args = ("--test", test, *self.COMMON, "--sparsifier", "topk", "--rho", "0.1", "--error-feedback",
                "--max-epochs", "15", "--shuffle-shards", "false")
        p = mpirun(5, "--data", self.path("sorted.svm"), *args, "--summary", self.path("m.json"))
        self.assertEqual(p.returncode, 0, p.stderr)
        q = run("train", "--data", self.path("sorted.svm"), *args, "--threads", "4", "--summary", self.path("t.json"))
        self.assertEqual(q.returncode, 0, q.stderr)
        m, t = self.summary(self.path("m.json")), self.summary(self.path("t.json"))
        self.assertEqual(m["test"]["classes"], ["3", "7", "9"])
        self.assertGreater(m["test"]["accuracy"], 0.9, m["message"])
        self.assertLess(abs(m["test"]["accuracy"] - t["test"]["accuracy"]), 0.05)
        self.assertEqual(m["exchanges"], t["exchanges"])  # the same rounds of 4 messages
        self.assertLess(m["bits_sent"], 0.2 * m["exchanges"] * m["parameters"] * 32)

    def test_ctrl_c_writes_everything(self):
        data = self.blobs("spars.svm", 4000, 4)
        summary, model = self.path("s.json"), self.path("m.mlp")
        _, err = self.ctrl_c(4, "spars.svm", "--data", data, *self.COMMON, "--max-epochs", "1000000",
                             "--summary", summary, "--model", model)
        s = self.summary(summary)
        self.assertEqual(s["status"], "interrupted", err)
        self.assertGreater(s["epochs"], 0)
        with open(model) as f:
            self.assertEqual(f.readline(), "asyncopt-mlp 1\n")
        self.assertEqual(worker_pids("spars.svm"), [])



class DecentralizedMpiTest(MpiBase):
    """decentralized and gossip under mpirun (issue 18): each rank is a
    cluster of --threads / K nodes (threads sharing its registers), ranks
    exchange models; rank 0 conducts the trace and the stop."""

    def data(self):
        return write_blobs(self.path("peers.svm"), 800, 3, labels=(-1, 1), dims=6)

    COMMON = ("--batch-size", "8", "--step", "0.2", "--l2", "1e-2", "--f-star", "skip", "--quiet")
    PEERS = ("--solver", "decentralized") + COMMON

    def test_one_rank_one_node_is_the_threaded_run_bit_for_bit(self):
        data = self.data()
        m_mpi, m_thr = self.path("mpi.model"), self.path("thr.model")
        p = mpirun(1, "--data", data, *self.PEERS, "--threads", "1", "--max-epochs", "5", "--model", m_mpi)
        self.assertEqual(p.returncode, 0, p.stderr)
        q = run("train", "--data", data, *self.PEERS, "--threads", "1", "--max-epochs", "5", "--model", m_thr)
        self.assertEqual(q.returncode, 0, q.stderr)
        with open(m_mpi, "rb") as a, open(m_thr, "rb") as b:
            self.assertEqual(a.read(), b.read())

    def test_two_ranks_of_two_nodes_learn_and_agree(self):
        summary, trace = self.path("s.json"), self.path("t.csv")
        p = mpirun(2, "--data", self.data(), *self.PEERS, "--threads", "4", "--max-epochs", "20",
                   "--step-power", "0.5", "--trace-every", "5", "--summary", summary, "--trace", trace)
        self.assertEqual(p.returncode, 0, p.stderr)
        s = self.summary(summary)
        self.assertEqual(s["status"], "max_epochs", s["message"])
        self.assertEqual(sorted(n["node"] for n in s["nodes"]), [0, 1, 2, 3])
        self.assertGreater(min(n["rounds"] for n in s["nodes"]), 0)
        self.assertIn("4 nodes in 2 clusters", s["message"])
        self.assertIn("2 mpi ranks", s["message"])
        self.assertLess(s["diameter"], 0.1)
        with open(trace) as f:
            rows = list(csv.DictReader(f))
        self.assertGreaterEqual(len(rows), 4)
        self.assertLess(float(rows[-1]["objective"]), 0.5 * float(rows[0]["objective"]))
        self.assertNotEqual(rows[-1]["diameter"], "")

    def test_a_killed_rank_ends_the_job_with_nothing_left_behind(self):
        # Open MPI 4.1 cannot survive a dead process: mpirun ends the job.
        data = self.big_data(rows=20000, name="peersbig.svm")
        proc = start_mpirun(2, "--data", data, *self.PEERS, "--threads", "4", "--max-epochs", "100000",
                            "--summary", self.path("s.json"))
        try:
            self.wait_for_training(proc, data, 2)
            victim = pid_of_rank(data, 1)
            self.assertIsNotNone(victim)
            os.kill(victim, signal.SIGKILL)
            _, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
        self.assertNotEqual(proc.returncode, 0, err)
        self.assertEqual(worker_pids(data), [])

    def test_gossip_is_refused_by_name(self):
        p = mpirun(2, "--data", self.data(), "--solver", "gossip", *self.COMMON, "--threads", "4")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("gossip runs on threads only", p.stderr)

    def test_a_crashed_majority_ends_every_rank_as_no_quorum(self):
        summary = self.path("s.json")
        t0 = time.monotonic()
        p = mpirun(2, "--data", self.data(), *self.PEERS, "--threads", "4", "--max-epochs", "100000",
                   "--quorum-timeout", "0.5", "--fault", "crash:1@5,crash:2@5,crash:3@5", "--summary", summary,
                   timeout=120)
        self.assertLess(time.monotonic() - t0, 60)
        self.assertEqual(p.returncode, 7, p.stderr)
        s = self.summary(summary)
        self.assertEqual(s["status"], "no_quorum")
        self.assertRegex(s["message"], r"waited 0\.5 s \(--quorum-timeout\) for round \d+")

    def test_bad_cluster_count_is_refused_on_every_rank(self):
        p = mpirun(2, "--data", self.data(), *self.PEERS, "--threads", "4", "--clusters", "3")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("each rank is one cluster", p.stderr)
        p = mpirun(2, "--data", self.data(), *self.PEERS, "--threads", "1")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("at least one per rank", p.stderr)


if __name__ == "__main__":
    unittest.main()
