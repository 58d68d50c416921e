#!/usr/bin/python3
"""Goal verdicts and the step search of bench/dissvrg_goals.py, on hand-made runs.

The verdict lines decide what issue 16's closing note claims, so their
conditions are tested: the ratio is taken against the faster petuum schedule
that reached 1e-3 in every round, the 1e-6 line fails when a petuum long run
reached 1e-6, the passes bound line says when 1/4 is out of reach, the
straggler goal is judged per adaptive variant, at x4 on the judged system only,
on the run to 1e-3, and needs both the wait and the time condition, the
others' wait is read from the trainer trace up to a time, the step search finds
the fastest step of a unimodal profile without walking the whole grid and picks
m by seconds, and the aggregation line. No binary is run.
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


def straggler(slow, adaptive, others_wait, t3, rnd, wait6=None, t6=None, system=(4, 2)):
    T, S = system
    return dict(part="straggler", dataset="d", transport="threads", variant="dissvrg", slow=slow, n_trainers=T,
                n_servers=S, trainers=[dict(member=S + i) for i in range(T)], adaptive=adaptive, round=rnd, others_wait_1e3=others_wait, t_1e3=t3,
                others_wait_1e6=wait6, t_1e6=t6, trainer_m=[10] * T, trainer_epochs=[1] + [2] * (T - 1),
                m_1e3=[10] * T)


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
    META = dict(META, straggler_systems=[(4, 2, True), (2, 1, False)])

    def runs(self, fixed_wait, adaptive_wait, fixed_t, adaptive_t, slow=4, variant="5%", system=(4, 2),
             fixed_wait6=None, adaptive_wait6=None):
        out = []
        for rnd in range(3):
            out += [straggler(slow, "fixed", fixed_wait, fixed_t, rnd, fixed_wait6, 5.0, system),
                    straggler(slow, variant, adaptive_wait, adaptive_t[rnd], rnd, adaptive_wait6, 5.0, system)]
        return out

    def line(self, runs, label="x1.05"):
        (line,) = [g for g in goals.summarise(self.META, runs)["goals"] if " (b) " in g and label in g]
        return line

    def test_needs_half_the_wait_and_no_worse_time(self):
        line = self.line(self.runs(1.0, 0.5, 2.0, [1.9, 2.0, 2.1]))
        self.assertTrue(line.startswith("PASS"), line)
        self.assertTrue(self.line(self.runs(1.0, 0.51, 2.0, [1.9, 2.0, 2.1])).startswith("FAIL"))
        self.assertTrue(self.line(self.runs(1.0, 0.4, 2.0, [2.1, 2.1, 2.0])).startswith("FAIL"))

    def test_each_adaptive_variant_is_judged_against_fixed_m(self):
        runs = self.runs(1.0, 0.9, 2.0, [2.0, 2.0, 2.0]) + [
            straggler(4, "n_p", 0.4, 1.8, rnd, None, None) for rnd in range(3)]
        self.assertTrue(self.line(runs, "x1.05").startswith("FAIL"))
        line = self.line(runs, "+n_p")
        self.assertTrue(line.startswith("PASS"), line)
        self.assertIn("= 2.50x", line)

    def test_the_run_to_1e6_is_reported_not_judged(self):
        # half the waiting over the run to 1e-6, not over the run to 1e-3: still a FAIL
        line = self.line(self.runs(1.0, 0.9, 2.0, [2.0, 2.0, 2.0], fixed_wait6=4.0, adaptive_wait6=1.0))
        self.assertTrue(line.startswith("FAIL"), line)
        self.assertIn("over the run to 1e-6: wait 4.000 / 1.000 s = 4.00x", line)

    def test_x8_and_the_second_system_are_reported_not_judged(self):
        self.assertTrue(self.line(self.runs(1.0, 0.9, 2.0, [3.0, 3.0, 3.0], slow=8)).startswith("info"))
        line = self.line(self.runs(1.0, 0.1, 2.0, [1.0, 1.0, 1.0], system=(2, 1)))
        self.assertTrue(line.startswith("info"), line)
        self.assertIn("T=2 S=1", line)
        self.assertIn("not the goal's system", line)

    def test_a_run_that_missed_the_target_is_not_a_verdict(self):
        self.assertTrue(self.line(self.runs(1.0, 0.1, 2.0, [1.0, None, 1.0])).startswith("n/a"))


class TrainerTraceWaits(unittest.TestCase):
    def test_waits_at_takes_each_members_last_sample_up_to_t(self):
        samples = [(0.1, 2, 0, 10, 0.01), (0.1, 3, 0, 10, 0.02), (0.5, 2, 1, 10, 0.2), (0.6, 3, 1, 12, 0.3),
                   (0.9, 2, 2, 10, 0.5)]
        self.assertEqual(goals.waits_at(samples, 0.55), {2: (0.2, 10), 3: (0.02, 10)})
        self.assertEqual(goals.waits_at(samples, 1.0), {2: (0.5, 10), 3: (0.3, 12)})
        self.assertEqual(goals.waits_at(samples, 0.05), {})


class PassesBound(unittest.TestCase):
    def row(self, petuum_epochs, dissvrg_epochs):
        return {"better_petuum": "petuum-sqrt", "petuum-sqrt": dict(epochs_1e3=petuum_epochs),
                "dissvrg": dict(epochs_1e3=dissvrg_epochs)}

    def test_bound_is_the_first_epochs_passes_over_petuums(self):
        meta = dict(META, m_factor={"d": 0.25})
        row = self.row(2.0, 2.5)
        line = goals.passes_line(meta, "d", "threads", row)
        self.assertAlmostEqual(row["passes_bound"], 0.75)
        self.assertAlmostEqual(row["dissvrg_passes"], 3.0)  # 2.5 trace epochs of n_p + m rows, 1.5 passes each
        self.assertIn("unreachable", line)
        row = self.row(8.0, 2.5)
        line = goals.passes_line(meta, "d", "threads", row)
        self.assertAlmostEqual(row["passes_bound"], 1.5 / 8.0)
        self.assertNotIn("unreachable", line)
        self.assertIsNone(goals.passes_line(meta, "d", "threads", {"better_petuum": None}))


class ChosenAcrossM(unittest.TestCase):
    def test_fewest_epochs_per_m_then_fewest_seconds_across_m(self):
        runs = [dict(k=-6, step=1.0, m_factor=1.0, epochs_1e3=4.0, t_1e3=0.40),
                dict(k=-5, step=2.0, m_factor=1.0, epochs_1e3=6.0, t_1e3=0.35),  # faster, more epochs: not m=1's
                dict(k=-4, step=4.0, m_factor=0.25, epochs_1e3=3.0, t_1e3=0.30),
                dict(k=-3, step=8.0, m_factor=0.25, epochs_1e3=2.5, t_1e3=0.31),
                dict(k=-2, step=16.0, m_factor=0.25, epochs_1e3=None, t_1e3=None)]
        c = goals.chosen(dict(default=1.0, runs=runs))
        self.assertEqual((c["step"], c["m_factor"]), (8.0, 0.25))
        self.assertEqual(c["per_m"]["1"]["step"], 1.0)
        runs[3]["t_1e3"] = 0.45
        self.assertEqual(goals.chosen(dict(default=1.0, runs=runs))["m_factor"], 1.0)


class AggregateLine(unittest.TestCase):
    def test_line_and_rows_per_tau_solver_rule(self):
        runs = [dict(part="aggregate", dataset="d", transport="threads", variant=v, aggregate=g, tau=t, round=r,
                     t_1e3=0.1 if g == "delta" else 0.2, t_1e6=0.3 if v == "dissvrg" else None,
                     suboptimality=1e-7 if v == "dissvrg" else 2e-4)
                for t in ("0", "4") for v in ("dissvrg", "petuum-sqrt") for g in ("delta", "average")
                for r in range(3)]
        rows, line = goals.aggregate_rows(META, runs, "d", "threads")
        self.assertEqual(len(rows), 8)
        self.assertTrue(line.startswith("info (agg) d threads"), line)
        self.assertIn("tau 0: dissvrg 0.100|0.300 (1.0e-07) vs 0.200|0.300 (1.0e-07)", line)
        self.assertIn("petuum-sqrt 0.100|- (2.0e-04) vs 0.200|-", line)


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
