#!/usr/bin/python3
"""Goal verdicts of bench/contention.py on hand-made results.

The verdict lines of the contention report decide what the closing notes
claim, so their conditions are tested: the 2-thread scaling goal is judged
only on data the sweep MEASURED as low-contention, and gspar's time to target
is judged under the paper's policies (`locked`, `atomic`), not under `wild`.
"""
import importlib.util
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "..", "..", "bench", "contention.py")
spec = importlib.util.spec_from_file_location("contention", SCRIPT)
contention = importlib.util.module_from_spec(spec)
spec.loader.exec_module(contention)


def hog(threads, policy, sparsifier, nnz_best, confl, ttt=None, ratio_1t=1.0):
    return {"solver": "hogwild", "threads": threads, "policy": policy, "sparsifier": sparsifier,
            "nnz_per_s": nnz_best, "nnz_per_s_max": nnz_best, "ratio_to_ceiling": 1.0,
            "ratio_to_1thread": ratio_1t, "conflicts_per_1000_updates": confl,
            "time_to_target_s": ttt}


def results(name, density, two_thread_nnz, two_thread_conflicts, extra=()):
    # `extra` first: contention.cell() takes the first match.
    cells = list(extra) + [{"solver": "plain-sgd", "nnz_per_s_max": 1e8, "time_to_target_s": None},
             hog(1, "wild", "none", 1e8, 0.0), hog(1, "atomic", "none", 1e8, 0.0),
             hog(2, "wild", "none", two_thread_nnz, two_thread_conflicts),
             hog(2, "atomic", "none", two_thread_nnz, two_thread_conflicts)]
    return {"dataset": {"name": name, "density": density}, "cells": cells,
            "settings": {"cas_floor_ratio_best": 0.6, "cas_floor_ratio_median": 0.58,
                         "independent_pair_ratio_best": 1.9,
                         "independent_pair_ratio_median": 1.8}}


def verdicts(d, prefix):
    return [(g, v) for g, v, _ in contention.goals(d) if g.startswith(prefix)]


class ScalingGoal(unittest.TestCase):
    def test_low_contention_data_is_judged_on_wild(self):
        fast = verdicts(results("flat", 0.002, 1.8e8, 40.0), "2 threads")
        self.assertEqual([v for _, v in fast], ["PASS", "info"])
        slow = verdicts(results("flat", 0.002, 1.5e8, 40.0), "2 threads")
        self.assertEqual([v for _, v in slow], ["FAIL", "info"])

    def test_atomic_line_states_its_cas_bound(self):
        details = [x for g, _, x in contention.goals(results("flat", 0.002, 1.1e8, 40.0))
                   if g.startswith("2 threads") and "`atomic`" in g]
        self.assertEqual(len(details), 1)
        self.assertIn("2 x the CAS floor = 1.20x", details[0])

    def test_hot_feature_data_is_information(self):
        hot = verdicts(results("sector", 0.003, 1.0e8, 11000.0), "2 threads")
        self.assertEqual([v for _, v in hot], ["info", "info"])
        detail = [x for g, _, x in contention.goals(results("sector", 0.003, 1.0e8, 11000.0))
                  if g.startswith("2 threads")][0]
        self.assertIn("not low-contention", detail)

    def test_threshold_is_the_measured_wild_contention(self):
        at = verdicts(results("edge", 0.002, 1.0e8, float(contention.LOW_CONTENTION)), "2 threads")
        below = verdicts(results("edge", 0.002, 1.0e8, contention.LOW_CONTENTION - 1.0),
                         "2 threads")
        self.assertEqual([v for _, v in at], ["info", "info"])
        self.assertEqual([v for _, v in below], ["FAIL", "info"])

    def test_missing_contention_measurement_is_not_a_verdict(self):
        d = results("flat", 0.002, 1.5e8, None)
        self.assertEqual([v for _, v in verdicts(d, "2 threads")], ["n/a", "n/a"])
        d["cells"] = [c for c in d["cells"]
                      if not (c["solver"] == "hogwild" and c["threads"] == 2
                              and c["policy"] == "wild")]
        self.assertEqual([v for _, v in verdicts(d, "2 threads")], ["n/a"])

    def test_dense_data_has_no_scaling_line(self):
        self.assertEqual(verdicts(results("dense", 1.0, 1.8e8, 5.0), "2 threads"), [])


class GsparGoal(unittest.TestCase):
    def svm(self, dense_ttt, gspar_ttt):
        extra = []
        for t in (2, 16):
            for pol in ("atomic", "locked", "wild"):
                extra.append(hog(t, pol, "none", 1e8, 6000.0, ttt=dense_ttt))
                extra.append(hog(t, pol, "gspar", 1e8, 200.0, ttt=gspar_ttt))
        return results("svm-wangni", 1.0, 1.8e8, 5.0, extra)

    def test_paper_policies_are_judged_and_wild_is_information(self):
        v = dict(verdicts(self.svm(0.016, 0.005), "SVM"))
        self.assertEqual(v["SVM, 2 threads, `atomic`: gspar reaches the target faster"], "PASS")
        self.assertEqual(v["SVM, 16 threads, `locked`: gspar reaches the target faster"], "PASS")
        self.assertEqual(v["SVM, 2 threads, `wild`: gspar reaches the target faster"], "info")
        self.assertEqual(v["SVM, 2 threads, `wild`: gspar cuts conflicts/update >= 5x"], "PASS")

    def test_slower_gspar_fails_under_the_paper_policies(self):
        v = dict(verdicts(self.svm(0.005, 0.016), "SVM"))
        self.assertEqual(v["SVM, 2 threads, `atomic`: gspar reaches the target faster"], "FAIL")
        self.assertEqual(v["SVM, 16 threads, `locked`: gspar reaches the target faster"], "FAIL")
        self.assertEqual(v["SVM, 16 threads, `wild`: gspar reaches the target faster"], "info")

    def test_gspar_that_never_reaches_the_target_fails(self):
        v = dict(verdicts(self.svm(0.005, None), "SVM"))
        self.assertEqual(v["SVM, 2 threads, `locked`: gspar reaches the target faster"], "FAIL")


if __name__ == "__main__":
    sys.exit(unittest.main())
