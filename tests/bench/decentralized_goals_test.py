#!/usr/bin/python3
"""Goal verdicts of bench/decentralized_goals.py (issue 18), on hand-made runs.

The verdict lines decide what issue 18's closing note claims, so their
conditions are tested: a time is the summary's seconds of a target_reached run
only; a run that did not reach the target counts as "more than its cap", which
decides a verdict only when that bound does (FAIL for <= 1.2x once the cap is
beyond 1.2x, PASS for >= 3x once the cap is beyond 3x, else INCONCLUSIVE);
the no_quorum line needs the status, exit code 7, node 7 named and both time
bounds in every run; internal convergence judges the largest diameter of the
last 10% of the points (not a lucky exact 0) against the early maximum, which
includes the start run's points, and leaves out the row written after the
nodes stopped. No binary is run.
"""
import importlib.util
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.join(HERE, "..", "..", "bench")
sys.path.insert(0, BENCH)  # decentralized_goals.py imports bench/harness.py
spec = importlib.util.spec_from_file_location("decentralized_goals", os.path.join(BENCH, "decentralized_goals.py"))
goals = importlib.util.module_from_spec(spec)
spec.loader.exec_module(goals)

META = dict(datasets=["d"], problems=["p"], target=1e-3, quorum_timeout=5.0)


def run(config, rnd, seconds, reached=True, **kw):
    """A part-faults run: reached at `seconds`, or stopped at the cap `seconds` without reaching."""
    r = dict(part="faults", dataset="d", config=config, round=rnd, seconds=seconds, cap=seconds,
             status="target_reached" if reached else "time_limit", rc=0, wall=seconds + 0.5)
    r.update(kw)
    r.update(goals.reached_fields(r, 1e-3))
    return r


def lines(runs, prefix, meta=META):
    return [g for g in goals.summarise(meta, runs)["goals"] if g.split(" ", 1)[1].startswith(prefix)]


def faulty_line(runs):
    (line,) = lines(runs, "(a) d: majority")
    return line


def slow_line(runs):
    (line,) = lines(runs, "(a) d: --quorum all with node 2")
    return line


class FaultyMajority(unittest.TestCase):
    def test_within_and_beyond_the_factor(self):
        base = [run("none", i, t) for i, t in enumerate([10.0, 11.0, 12.0])]
        line = faulty_line(base + [run("faulty", i, t) for i, t in enumerate([12.0, 13.0, 30.0])])
        self.assertTrue(line.startswith("PASS"), line)  # median 13 / 11 = 1.18
        self.assertIn("1.18x", line)
        line = faulty_line(base + [run("faulty", i, t) for i, t in enumerate([14.0, 14.0, 9.0])])
        self.assertTrue(line.startswith("FAIL"), line)  # median 14 / 11 = 1.27
        self.assertIn("per-round ratios 0.75-1.40", line)  # 9/12, 14/10, 14/11

    def test_a_run_that_never_reaches_the_target_counts_as_more_than_its_cap(self):
        base = [run("none", i, t) for i, t in enumerate([10.0, 11.0, 12.0])]
        # two of three runs stop at the cap (45 s > 1.2 x 11): the median is above the cap -> FAIL
        line = faulty_line(base + [run("faulty", 0, 12.0), run("faulty", 1, 45.0, reached=False),
                                   run("faulty", 2, 45.0, reached=False)])
        self.assertTrue(line.startswith("FAIL"), line)
        self.assertIn("not reached within the cap", line)
        # a cap shorter than 1.2 x the fault-free time decides nothing
        line = faulty_line(base + [run("faulty", i, 12.5, reached=False) for i in range(3)])
        self.assertTrue(line.startswith("INCONCLUSIVE"), line)
        # one of three at the cap: the median is still a measured time
        line = faulty_line(base + [run("faulty", 0, 12.0), run("faulty", 1, 45.0, reached=False),
                                   run("faulty", 2, 12.5)])
        self.assertTrue(line.startswith("PASS"), line)  # median 12.5 / 11

    def test_a_target_hit_in_the_trace_without_the_status_is_not_a_time(self):
        # status time_limit, although a trace point dipped below the target: never counted as reached
        r = run("faulty", 0, 45.0, reached=False, curve=[dict(epoch=1.0, seconds=5.0, suboptimality=5e-4,
                                                              bytes_sent=10.0)])
        self.assertFalse(r["reached"])
        self.assertIsNone(r["time"])
        self.assertEqual(r["trace_hit_seconds"], 5.0)

    def test_no_fault_free_time_is_inconclusive(self):
        line = faulty_line([run("none", 0, 45.0, reached=False), run("faulty", 0, 10.0)])
        self.assertTrue(line.startswith("INCONCLUSIVE"), line)


class AllWithTheSlowNode(unittest.TestCase):
    def test_three_times_slower(self):
        base = [run("none", i, t) for i, t in enumerate([10.0, 11.0, 12.0])]
        line = slow_line(base + [run("all-slow", i, t) for i, t in enumerate([33.0, 34.0, 20.0])])
        self.assertTrue(line.startswith("PASS"), line)  # 33 / 11 = 3.0
        line = slow_line(base + [run("all-slow", i, t) for i, t in enumerate([32.0, 34.0, 20.0])])
        self.assertTrue(line.startswith("FAIL"), line)  # 32 / 11 = 2.9
        self.assertIn("2.91x", line)

    def test_not_reaching_within_a_cap_beyond_three_times_passes(self):
        base = [run("none", i, t) for i, t in enumerate([10.0, 11.0, 12.0])]
        line = slow_line(base + [run("all-slow", i, 45.0, reached=False) for i in range(3)])
        self.assertTrue(line.startswith("PASS"), line)
        self.assertIn(">= 4.09x", line)
        line = slow_line(base + [run("all-slow", i, 30.0, reached=False) for i in range(3)])
        self.assertTrue(line.startswith("INCONCLUSIVE"), line)  # the cap is 2.7x


class NoQuorum(unittest.TestCase):
    def crash(self, rnd, **kw):
        r = dict(part="faults", dataset="d", config="all-crash", round=rnd, status="no_quorum", rc=7, seconds=5.2,
                 wall=6.0, message="no quorum: node 1 waited 5 s (--quorum-timeout) for round 49: it heard from 7 "
                                   "of 8 nodes (0-6), the quorum is 8; missing nodes 7")
        r.update(kw)
        return r

    def line(self, runs):
        (line,) = lines(runs, "(a) d: --quorum all with node 7 crashed")
        return line

    def test_every_run_must_end_as_no_quorum_in_time(self):
        self.assertTrue(self.line([self.crash(0), self.crash(1)]).startswith("PASS"))
        for bad in (dict(status="time_limit", rc=0), dict(rc=0), dict(seconds=8.5), dict(wall=70.0),
                    dict(message="missing nodes 3"), dict(status="killed", rc=None, seconds=None)):
            line = self.line([self.crash(0), self.crash(1, **bad)])
            self.assertTrue(line.startswith("FAIL"), (bad, line))
            self.assertIn("1/2 runs", line)


def internal_run(diameters, last=0.0):
    """A part-internal run: one trace point per round 10, 20, ...; the row after the stop holds `last`."""
    curve = [dict(epoch=0.0, rounds=0.0, diameter=None)]
    curve += [dict(epoch=float(i + 1), rounds=10.0 * (i + 1), diameter=d) for i, d in enumerate(diameters)]
    curve.append(dict(epoch=len(diameters) + 0.5, rounds=10.0 * len(diameters) + 5, diameter=last))
    return dict(part="internal", problem="p", curve=curve, status="time_limit", step=1.0, step_power=1.0,
                seconds=60.0)


class InternalConvergence(unittest.TestCase):
    def line(self, run_):
        (line,) = lines([run_], "(c) p")
        return line

    def test_the_largest_of_the_last_tenth_is_judged(self):
        # early max 2.0; the last 10 of 100 points at 1e-6 x 2 and below: PASS
        ds = [2.0] + [1.0] * 89 + [2e-6, 1e-6, 0.0, 0.0, 1e-7, 0.0, 1e-6, 2e-6, 0.0, 1e-6]
        line = self.line(internal_run(ds, last=5.0))  # the row after the stop does not count
        self.assertTrue(line.startswith("PASS"), line)
        # one point of the last 10 above the threshold fails it, however many zeros there are
        ds[-3] = 3e-6
        line = self.line(internal_run(ds))
        self.assertTrue(line.startswith("FAIL"), line)
        self.assertIn("1.50e-06 of its early maximum 2", line)

    def test_an_early_exact_zero_is_reported_not_judged(self):
        ds = [2.0, 0.0] + [0.1] * 98
        line = self.line(internal_run(ds, last=0.0))
        self.assertTrue(line.startswith("FAIL"), line)
        self.assertIn("first at or below the threshold at round 20", line)

    def test_the_start_run_sets_the_early_maximum(self):
        # the long run's first points come late (small); the start run saw 2e6 x its final values
        ds = [1e-3] * 90 + [1e-6] * 10
        start = internal_run([0.5, 2.0, 1.0])
        start.update(phase="early")
        long_ = internal_run(ds)
        long_.update(phase="long")
        (line,) = lines([start, long_], "(c) p")
        self.assertTrue(line.startswith("PASS"), line)  # 1e-6 / 2.0
        self.assertIn("early maximum 2 ", line)
        (line,) = lines([long_], "(c) p")
        self.assertTrue(line.startswith("FAIL"), line)  # 1e-6 / 1e-3 without the start run

    def test_the_line_extrapolates_a_power_law(self):
        # d = 1000 / rounds: slope -1; 1e-6 of the early max (100 at round 10) = 1e-4 -> 1e7 rounds
        ds = [1000.0 / (10.0 * (i + 1)) for i in range(100)]
        st = goals.internal_stats(internal_run(ds))
        self.assertAlmostEqual(st["slope"], -1.0, places=6)
        self.assertAlmostEqual(st["rounds_needed"] / 1e7, 1.0, places=6)
        self.assertEqual(st["window"], 10)


if __name__ == "__main__":
    unittest.main()
