"""decentralized and gossip from the command line (issue 18): the summary's
diameter, rounds_skipped and per-node record; the trace's disagreement
columns; a majority crashed ends as no_quorum with exit code 7 and the
outputs written; faults and quorums are checked by name."""
import csv
import json
import math
import os
import re
import unittest

from test_cli import Workdir, run
from test_multiclass import write_blobs


class DecentralizedTest(Workdir):
    def data(self):
        return write_blobs(self.path("blobs.svm"), 400, 5, labels=(-1, 1))

    def train(self, *args, expect=0):
        summary, trace = self.path("s.json"), self.path("t.csv")
        p = run("train", "--data", self.data(), "--solver", "decentralized", "--threads", "4",
                "--batch-size", "4", "--step", "0.2", "--l2", "1e-2", "--f-star", "skip",
                "--summary", summary, "--trace", trace, "--quiet", *args)
        self.assertEqual(p.returncode, expect, p.stderr)
        with open(summary) as f:
            s = json.load(f)
        with open(trace) as f:
            rows = list(csv.DictReader(f))
        return s, rows, p

    def test_summary_and_trace_record_the_nodes(self):
        s, rows, _ = self.train("--max-epochs", "30", "--clusters", "2", "--agreement-rounds", "2",
                                "--step-power", "0.5", "--trace-every", "10")
        self.assertEqual(s["status"], "max_epochs")
        self.assertEqual(len(s["nodes"]), 4)
        self.assertEqual(sum(n["rounds_skipped"] for n in s["nodes"]), s["rounds_skipped"])
        self.assertGreater(min(n["rounds"] for n in s["nodes"]), 0)
        self.assertGreaterEqual(s["diameter"], 0.0)
        self.assertIn("4 nodes in 2 clusters, quorum 3", s["message"])
        self.assertGreaterEqual(len(rows), 3)
        for key in ("diameter", "max_distance", "rounds_skipped"):
            self.assertNotEqual(rows[-1][key], "", key)
        self.assertEqual(rows[0]["diameter"], "")  # the start: one model, nothing measured
        self.assertLess(float(rows[-1]["objective"]), float(rows[0]["objective"]))

    def test_a_quorum_count_is_taken_and_all_waits_for_every_node(self):
        for quorum, want in (("2", "quorum 2"), ("all", "quorum 4"), ("majority", "quorum 3")):
            s, _, _ = self.train("--max-epochs", "5", "--quorum", quorum)
            self.assertEqual(s["status"], "max_epochs", s["message"])
            self.assertIn(want, s["message"])
        self.train("--max-epochs", "5", "--quorum", "all")
        s = json.load(open(self.path("s.json")))
        self.assertEqual(s["rounds_skipped"], 0)  # nobody is ever ahead of a quorum of all

    def test_a_crashed_majority_ends_as_no_quorum_with_exit_code_7(self):
        s, rows, p = self.train("--max-epochs", "100000", "--quorum-timeout", "0.5",
                                "--fault", "crash:0@5,crash:1@5,crash:3@5", expect=7)
        self.assertEqual(s["status"], "no_quorum")
        # The first node to give up names its round, whom it heard from and
        # whom it missed: every node the message says crashed is missing.
        m = re.search(r"waited 0\.5 s \(--quorum-timeout\) for round \d+: it heard from [12] of 4 nodes "
                      r"\([\d, ]+\), the quorum is 3; missing nodes ([\d, ]+);", s["message"])
        self.assertIsNotNone(m, s["message"])
        missing = {int(v) for v in m.group(1).split(", ")}
        crashed = {int(v) for v in re.findall(r"node (\d) crashed", s["message"])}
        self.assertGreaterEqual(len(crashed), 2, s["message"])
        self.assertLessEqual(crashed, missing, s["message"])
        self.assertGreater(len(rows), 0)

    def test_a_restarted_node_reads_its_checkpoint_from_checkpoint_dir(self):
        ckpt = self.path("ckpt")
        s, _, _ = self.train("--max-epochs", "400", "--checkpoint-every", "5", "--checkpoint-dir", ckpt,
                             "--fault", "restart:1@20:0.2")
        self.assertEqual(s["status"], "max_epochs", s["message"])
        self.assertIn("1 restart(s) from a checkpoint", s["message"])
        with open(os.path.join(ckpt, "node-1.ckpt")) as f:
            lines = f.read().split()
        self.assertEqual(lines[0:2], ["asyncopt-checkpoint", "1"])
        self.assertEqual(int(lines[3]), 5)  # the linear model's parameters: the blobs' 5 features
        self.assertEqual(len(lines), 4 + 5)
        self.assertTrue(all(math.isfinite(float(v)) for v in lines[4:]))
        self.assertGreater(s["nodes"][1]["rounds_skipped"], 0)
        p = run("train", "--data", self.data(), "--solver", "decentralized", "--checkpoint-dir", ckpt)
        self.assertEqual(p.returncode, 2)
        self.assertIn("--checkpoint-every", p.stderr)

    def test_bad_quorum_and_faults_are_named(self):
        p = run("train", "--data", self.data(), "--solver", "decentralized", "--threads", "4", "--quorum", "most")
        self.assertEqual(p.returncode, 2)
        self.assertIn("quorum", p.stderr)
        p = run("train", "--data", self.data(), "--solver", "decentralized", "--threads", "4", "--quorum", "5",
                "--f-star", "skip")
        self.assertEqual(p.returncode, 2)
        self.assertIn("quorum = 5", p.stderr)
        p = run("train", "--data", self.data(), "--solver", "decentralized", "--threads", "4",
                "--fault", "restart:1@3:0.1", "--f-star", "skip")
        self.assertEqual(p.returncode, 2)
        self.assertIn("--checkpoint-every", p.stderr)
        p = run("train", "--data", self.data(), "--solver", "hogwild", "--fault", "crash-sending:0@3",
                "--f-star", "skip")
        self.assertEqual(p.returncode, 2)
        self.assertIn("decentralized and gossip", p.stderr)


if __name__ == "__main__":
    unittest.main()
