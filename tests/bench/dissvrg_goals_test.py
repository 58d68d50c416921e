#!/usr/bin/python3
"""Goal verdicts and the step search of bench/dissvrg_goals.py, on hand-made runs.

The verdict lines decide what issue 16's closing note claims, so their
conditions are tested: the ratio is taken against the faster petuum schedule
that reached 1e-3 in every round, the 1e-6 line fails when a petuum long run
reached 1e-6, the straggler goal is judged at x4 only and needs both the wait
and the time condition, and the step search finds the fastest step of a
unimodal profile without walking the whole grid. No binary is run.
"""
import importlib.util
import os
import sys
import types
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.join(HERE, "..", "..", "bench")
sys.path.insert(0, BENCH)  # dissvrg_goals.py imports bench/harness.py
spec = importlib.util.spec_from_file_location("dissvrg_goals", os.path.join(BENCH, "dissvrg_goals.py"))
goals = importlib.util.module_from_spec(spec)
spec.loader.exec_module(goals)

META = dict(datasets=["d"], transports=["threads"], trainers=4, servers=2, tau="4",
            steps={"d": {"dissvrg": 1e-5, "petuum-decay": 1e-3, "petuum-sqrt": 2e-3}})


def compare(variant, t3, rnd, t6=None):
    return dict(part="compare", dataset="d", transport="threads", variant=variant, round=rnd, t_1e3=t3, t_1e6=t6,
                cap_seconds=100.0)


def straggler(slow, adaptive, others_wait, t3, rnd):
    return dict(part="straggler", dataset="d", transport="threads", variant="dissvrg", slow=slow,
                adaptive=adaptive, round=rnd, others_wait=others_wait, t_1e3=t3, trainer_m=[10, 10, 10, 10],
                trainer_epochs=[1, 2, 2, 2])


def lines(runs, prefix):
    return [g for g in goals.summarise(META, runs)["goals"] if g.split(" ", 1)[1].startswith(prefix)]


class CompareGoal(unittest.TestCase):
    def runs(self, dissvrg, decay, sqrt):
        out = []
        for rnd in range(3):
            out += [compare("dissvrg", dissvrg[rnd], rnd, t6=2 * dissvrg[rnd] if dissvrg[rnd] else None),
                    compare("petuum-decay", decay[rnd], rnd), compare("petuum-sqrt", sqrt[rnd], rnd)]
        return out

    def test_ratio_is_against_the_faster_schedule(self):
        (line,) = lines(self.runs([1.0, 1.1, 0.9], [8.0, 8.0, 8.0], [4.0, 4.2, 3.9]), "(a) d threads: dissvrg /")
        self.assertTrue(line.startswith("PASS"), line)
        self.assertIn("(petuum-sqrt)", line)
        self.assertIn("= 0.250", line)
        (line,) = lines(self.runs([1.0, 1.1, 1.05], [8.0, 8.0, 8.0], [4.0, 4.2, 3.9]), "(a) d threads: dissvrg /")
        self.assertTrue(line.startswith("FAIL"), line)

    def test_a_schedule_that_missed_a_round_is_not_the_better_one(self):
        (line,) = lines(self.runs([1.0, 1.0, 1.0], [8.0, 8.0, 8.0], [2.0, None, 2.0]), "(a) d threads: dissvrg /")
        self.assertIn("(petuum-decay)", line)
        self.assertTrue(line.startswith("PASS"), line)

    def test_no_petuum_at_the_target_gives_a_bound_from_the_cap(self):
        (line,) = lines(self.runs([1.0, 1.0, 1.0], [None] * 3, [None] * 3), "(a) d threads: no petuum")
        self.assertIn("ratio < 0.01", line)
        self.assertTrue(line.startswith("PASS"), line)

    def test_deep_target_fails_when_a_long_petuum_run_reaches_it(self):
        runs = self.runs([1.0, 1.0, 1.0], [8.0, 8.0, 8.0], [4.0, 4.0, 4.0])
        long_ = [dict(part="long", dataset="d", transport="threads", variant=v, round=0, t_1e6=None,
                      cap_seconds=20.0, seconds=20.0, suboptimality=1e-4) for v in ("petuum-decay", "petuum-sqrt")]
        (line,) = lines(runs + long_, "(a) d threads: dissvrg reaches")
        self.assertTrue(line.startswith("PASS"), line)
        long_[1]["t_1e6"] = 15.0
        (line,) = lines(runs + long_, "(a) d threads: dissvrg reaches")
        self.assertTrue(line.startswith("FAIL"), line)
        self.assertIn("petuum-sqrt reached 1e-6 at 15.000 s", line)


class StragglerGoal(unittest.TestCase):
    def runs(self, fixed_wait, adaptive_wait, fixed_t, adaptive_t, slow=4):
        out = []
        for rnd in range(3):
            out += [straggler(slow, False, fixed_wait, fixed_t, rnd), straggler(slow, True, adaptive_wait,
                                                                                 adaptive_t[rnd], rnd)]
        return out

    def test_needs_half_the_wait_and_no_worse_time(self):
        (line,) = lines(self.runs(1.0, 0.5, 2.0, [1.9, 2.0, 2.1]), "(b)")
        self.assertTrue(line.startswith("PASS"), line)
        (line,) = lines(self.runs(1.0, 0.51, 2.0, [1.9, 2.0, 2.1]), "(b)")
        self.assertTrue(line.startswith("FAIL"), line)
        (line,) = lines(self.runs(1.0, 0.4, 2.0, [2.1, 2.1, 2.0]), "(b)")
        self.assertTrue(line.startswith("FAIL"), line)

    def test_x8_is_reported_not_judged(self):
        (line,) = lines(self.runs(1.0, 0.9, 2.0, [3.0, 3.0, 3.0], slow=8), "(b)")
        self.assertTrue(line.startswith("info"), line)

    def test_a_run_that_missed_the_target_is_not_a_verdict(self):
        (line,) = lines(self.runs(1.0, 0.1, 2.0, [1.0, None, 1.0]), "(b)")
        self.assertTrue(line.startswith("n/a"), line)


class StepSearch(unittest.TestCase):
    def search(self, best_k, start_rows=64 * 2 ** 6, fails_above=None, reach=None):
        """The search on a fake solver: epochs to 1e-3 = 1 + |k - best_k|; None above fails_above,
        farther than `reach` from best_k or beyond the run's epoch cap."""
        calls = []

        def fake_train(a, ds, transport, flags, target, cap, **kw):
            k = int(round(__import__("math").log2(float(flags[flags.index("--step") + 1]) / 0.5)))
            calls.append(k)
            t = 1.0 + abs(k - best_k)
            if (fails_above is not None and k > fails_above) or (reach is not None and abs(k - best_k) > reach) \
                    or t > kw["max_epochs"]:
                return dict(status="time_limit", t_1e3=None)
            return dict(status="target_reached", t_1e3=t / 10.0, epochs_1e3=t)

        saved = goals.train, goals.default_step
        goals.train, goals.default_step = fake_train, lambda a, ds, v: 0.5
        try:
            a = types.SimpleNamespace(shard_rows={"d": start_rows}, sweep_cap=100.0, sweep_epochs=100, trainers=4,
                                      servers=2, tau="4")
            res = goals.sweep(a, "d", "dissvrg")
        finally:
            goals.train, goals.default_step = saved
        return res, calls

    def test_finds_the_fastest_step(self):
        res, calls = self.search(best_k=-9)  # start at k0 = -6
        self.assertEqual(res["k"], -9)
        self.assertEqual(calls[0], -6)
        self.assertLessEqual(len(calls), 8)
        self.assertEqual(len(calls), len(set(calls)))  # no point run twice

    def test_walks_outwards_when_the_start_reaches_nothing(self):
        res, calls = self.search(best_k=-12, reach=3)  # k0 = -6: nothing within 2^3 of it reaches 1e-3
        self.assertEqual(res["k"], -12)
        self.assertEqual(calls[:5], [-6, -4, -8, -2, -10])

    def test_refines_next_to_a_failing_neighbour(self):
        res, calls = self.search(best_k=-3, fails_above=-5)  # every step above 2^-5 fails
        self.assertEqual(res["k"], -5)
        self.assertIn(-4, calls)


if __name__ == "__main__":
    unittest.main()
