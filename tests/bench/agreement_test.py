#!/usr/bin/python3
"""Verdicts of bench/agreement.py on hand-made configurations.

The verdict lines decide what the closing note of issue 18 claims about the
agreement kernel, so their conditions are tested: a run above the slides' q
is a FAIL explained by q being no per-round worst case only where q is below
the proven factor (elsewhere it is a bug), a run above the proven factor is
a BUG, Delta_cw has no proven factor for d > 1 and m > 2 (n/a, never PASS),
and the summary lines count what the configuration lines say.
"""
import importlib.util
import math
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.join(HERE, "..", "..", "bench")
SCRIPT = os.path.join(BENCH, "agreement.py")
sys.path.insert(0, BENCH)  # agreement.py imports bench/harness.py
spec = importlib.util.spec_from_file_location("agreement", SCRIPT)
agreement = importlib.util.module_from_spec(spec)
spec.loader.exec_module(agreement)

SQRT67 = math.sqrt(6 / 7)


def cell(m, d, l2_worst, cw_worst=None, mode="scheduled", rounds=1, trials=200, above_q=None,
         above_proven=None, cw_above_q=None):
    """One configuration as bench_agreement writes it; the run counts follow the worst factor unless given."""
    q = agreement.slides_q(m)
    proven_l2 = 0.5 if d == 1 or m == 2 else SQRT67
    proven_cw = 0.5 if d == 1 or m == 2 else None
    cw_worst = l2_worst if cw_worst is None else cw_worst
    return {"mode": mode, "members": m, "dim": d, "rounds": rounds, "trials": trials, "slides_q": q,
            "proven_l2": proven_l2, "proven_cw": proven_cw, "l2_worst": l2_worst, "cw_worst": cw_worst,
            "l2_above_q": int(l2_worst > q) if above_q is None else above_q,
            "l2_above_proven": int(l2_worst > proven_l2) if above_proven is None else above_proven,
            "cw_above_q": int(cw_worst > q) if cw_above_q is None else cw_above_q,
            "cw_above_proven": int(proven_cw is not None and cw_worst > proven_cw)}


class SlidesFactor(unittest.TestCase):
    def test_q_of_the_slides(self):
        self.assertEqual([agreement.slides_q(m) for m in (2, 3, 4, 8, 16)], [0.75, 0.75, 5 / 6, 0.9, 17 / 18])


class PerConfiguration(unittest.TestCase):
    def test_below_both_factors_passes(self):
        c = cell(3, 2, 0.6)
        self.assertEqual(agreement.verdict_q(c, "l2")[0], "PASS")
        self.assertEqual(agreement.verdict_proven(c, "l2")[0], "PASS")

    def test_above_q_below_the_proven_factor_fails_with_the_reason(self):
        c = cell(3, 1000, 0.8448)  # sqrt(3)/2-like: above q = 3/4, below sqrt(6/7)
        v, detail = agreement.verdict_q(c, "l2")
        self.assertEqual(v, "FAIL")
        self.assertIn("not a worst case for one agreement round", detail)
        self.assertIn("1 of 200 runs above q^R", detail)
        self.assertEqual(agreement.verdict_proven(c, "l2")[0], "PASS")

    def test_above_q_where_q_is_above_the_proven_factor_is_a_bug(self):
        c = cell(2, 50, 0.76)  # m = 2: proven 1/2 < q = 3/4
        v, detail = agreement.verdict_q(c, "l2")
        self.assertEqual(v, "FAIL")
        self.assertIn("a bug", detail)
        self.assertNotIn("not a worst case", detail)
        self.assertEqual(agreement.verdict_proven(c, "l2")[0], "BUG")

    def test_above_the_proven_factor_is_a_bug(self):
        c = cell(16, 1000, 0.93)  # q = 17/18 = 0.944 is above sqrt(6/7): PASS against q, BUG against proven
        self.assertEqual(agreement.verdict_q(c, "l2")[0], "PASS")
        v, detail = agreement.verdict_proven(c, "l2")
        self.assertEqual(v, "BUG")
        self.assertIn("1 of 200 runs above the proven 0.9258^R", detail)

    def test_the_verdict_follows_the_run_counts(self):
        # bench_agreement counts runs above f^R at full precision with a 1e-12 slack: a worst factor printed
        # as equal to the bound (m = 2, the bound attained) is judged by the counts.
        c = cell(2, 1, 0.5, above_proven=0)
        self.assertEqual(agreement.verdict_proven(c, "l2")[0], "PASS")
        self.assertEqual(agreement.verdict_proven(dict(c, l2_above_proven=1), "l2")[0], "BUG")

    def test_nothing_proven_for_the_coordinate_diameter_in_general(self):
        c = cell(4, 50, 0.5, cw_worst=0.99, cw_above_q=3)
        self.assertEqual(agreement.verdict_proven(c, "cw")[0], "n/a")
        v, detail = agreement.verdict_q(c, "cw")
        self.assertEqual(v, "FAIL")
        self.assertIn("not a worst case", detail)
        # ... but for d = 1 or m = 2 it halves, and above 1/2 is a bug
        self.assertEqual(agreement.verdict_proven(cell(2, 50, 0.5, cw_worst=0.6), "cw")[0], "BUG")
        self.assertEqual(agreement.verdict_proven(cell(8, 1, 0.5), "cw")[0], "PASS")

    def test_columns_are_added_to_a_copy(self):
        c = cell(3, 1000, 0.8448)
        out = agreement.with_verdicts([c])[0]
        self.assertEqual([out[k] for k in ("l2_vs_q", "l2_vs_proven", "cw_vs_q", "cw_vs_proven")],
                         ["FAIL", "PASS", "FAIL", "n/a"])
        self.assertNotIn("l2_vs_q", c)


class Goals(unittest.TestCase):
    def lines(self, cells):
        return agreement.goals(cells)

    def test_all_clean(self):
        gs = self.lines([cell(2, 1, 0.5), cell(3, 2, 0.6), cell(16, 1000, 0.8, mode="free")])
        self.assertEqual([v for _, v, _ in gs], ["PASS", "PASS", "PASS", "PASS"])
        self.assertIn("above it in 0 of 3 configurations", gs[0][2])
        self.assertIn("above it in 0 of 1 configurations", gs[1][2])  # cw: only d = 1 or m = 2 is judged
        self.assertIn("PASS in 3 of 3 configurations", gs[2][2])

    def test_one_fail_line_per_configuration_above_q(self):
        gs = self.lines([cell(3, 1000, 0.8448), cell(4, 2, 0.85), cell(8, 50, 0.5)])
        l2_q = [g for g in gs if g[0].startswith("Delta_2 <= q")]
        self.assertEqual([(g, v) for g, v, _ in l2_q], [("Delta_2 <= q: scheduled m=3 d=1000 R=1", "FAIL"),
                                                       ("Delta_2 <= q: scheduled m=4 d=2 R=1", "FAIL")])
        summary = [g for g in gs if g[0] == "Delta_2 per round <= the slides' q"][0]
        self.assertEqual(summary[1], "FAIL")
        self.assertIn("PASS in 1 of 3 configurations", summary[2])
        # no cell with d = 1 or m = 2: nothing to judge Delta_cw against
        self.assertEqual([v for g, v, _ in gs if "proven" in g], ["PASS", "n/a"])

    def test_a_bug_is_named_by_configuration(self):
        gs = self.lines([cell(3, 2, 0.6), cell(8, 1, 0.55, mode="free", rounds=5)])
        self.assertEqual(gs[0][1], "BUG")
        self.assertIn(("Delta_2 <= proven: free m=8 d=1 R=5", "BUG"), [(g, v) for g, v, _ in gs])

    def test_no_coordinate_verdict_without_a_proven_factor(self):
        gs = self.lines([cell(3, 2, 0.6)])
        self.assertEqual(gs[1][1], "n/a")


if __name__ == "__main__":
    unittest.main()
