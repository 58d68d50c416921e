"""Multiclass models from the command line (issue 17, section 1): spars-ams
trains softmax and mlp models on class ids; the softmax file is LIBLINEAR's
multiclass format (liblinear-predict agrees), the perceptron's is
asyncopt-mlp version 1; predict reports accuracy and the confusion matrix;
the trace records the train loss per round and the test accuracy; mistakes
get a usage error naming the option, file or line."""
import csv
import json
import os
import random
import subprocess
import unittest

from test_cli import BIN, Workdir, run


def write_blobs(path, rows, seed, labels=(3, 7, 9), dims=5):
    """Gaussian blobs, one per label (centre 3 on the label's own axis),
    written to PATH as a LIBSVM file with those labels; returns PATH."""
    rng = random.Random(seed)
    lines = []
    for i in range(rows):
        k = i % len(labels)
        x = [rng.gauss(3.0 if j == k else 0.0, 1.0) for j in range(dims)]
        lines.append("%d " % labels[k] + " ".join("%d:%.6f" % (j + 1, v) for j, v in enumerate(x)))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


class MulticlassTest(Workdir):
    LABELS = (3, 7, 9)

    def blobs(self, name, rows, seed, labels=LABELS):
        return write_blobs(self.path(name), rows, seed, labels)

    def train(self, *args, expect=0):
        summary, model = self.path("s.json"), self.path("m.model")
        p = run("train", "--solver", "spars-ams", "--threads", "3", "--batch-size", "16", "--step", "0.02",
                "--max-epochs", "8", "--summary", summary, "--model", model, "--quiet", *args)
        self.assertEqual(p.returncode, expect, p.stderr)
        return (json.load(open(summary)) if expect == 0 else None), model, p

    def predict(self, model, data):
        summary, values = self.path("p.json"), self.path("z.txt")
        p = run("predict", "--model", model, "--data", data, "--summary", summary, "--predictions", values)
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.load(open(summary)), open(values).read().split(), p.stdout

    def check_confusion(self, test):
        confusion = test["confusion"]
        self.assertEqual(test["classes"], [str(v) for v in self.LABELS])
        self.assertEqual(len(confusion), 3)
        self.assertEqual(sum(map(sum, confusion)), test["rows"])
        diagonal = sum(confusion[k][k] for k in range(3))
        self.assertAlmostEqual(diagonal / test["rows"], test["accuracy"], places=12)

    def test_softmax_model_is_liblinear_multiclass_and_liblinear_agrees(self):
        train, test = self.blobs("train.svm", 600, 1), self.blobs("test.svm", 300, 2)
        s, model, _ = self.train("--data", train, "--test", test, "--model-kind", "softmax",
                                 "--scale", "maxabs", "--bias", "1", "--l2", "1e-4")
        self.assertEqual(s["model_kind"], "softmax")
        self.assertEqual(s["parameters"], 6 * 3)  # 5 features + the bias column, 3 classes
        self.assertEqual(s["test"]["task"], "multiclass")
        self.assertGreater(s["test"]["accuracy"], 0.9)
        self.check_confusion(s["test"])
        text = open(model).read().splitlines()
        self.assertEqual(text[:5], ["solver_type L2R_LR", "nr_class 3", "label 3 7 9", "nr_feature 5", "bias 1"])
        self.assertEqual(len(text), 6 + 6)
        p, predicted, out = self.predict(model, test)
        self.assertEqual(p["accuracy"], s["test"]["accuracy"])  # the raw-space file predicts as trained
        self.assertEqual(p["confusion"], s["test"]["confusion"])
        self.assertIn("confusion (rows: true label, columns: predicted)", out)
        self.assertTrue(set(predicted) <= {"3", "7", "9"})
        ll = subprocess.run(["liblinear-predict", test, model, self.path("ll.txt")], capture_output=True,
                            text=True, timeout=60)
        self.assertEqual(ll.returncode, 0, ll.stderr)
        self.assertIn("Accuracy = %g%%" % round(100 * p["accuracy"], 4), ll.stdout)
        self.assertEqual(open(self.path("ll.txt")).read().split(), predicted)

    def test_two_class_softmax_is_a_binary_liblinear_model(self):
        train = self.blobs("train.svm", 400, 3, labels=(2, 5))
        s, model, _ = self.train("--data", train, "--test", train, "--model-kind", "softmax")
        self.assertIn("nr_class 2", open(model).read())
        ll = subprocess.run(["liblinear-predict", train, model, self.path("ll.txt")], capture_output=True,
                            text=True, timeout=60)
        self.assertIn("Accuracy = %g%%" % round(100 * s["test"]["accuracy"], 4), ll.stdout)

    def test_mlp_file_is_versioned_and_predicts_as_trained(self):
        train, test = self.blobs("train.svm", 600, 4), self.blobs("test.svm", 300, 5)
        s, model, _ = self.train("--data", train, "--test", test, "--model-kind", "mlp", "--hidden", "8",
                                 "--scale", "maxabs", "--bias", "1")
        self.assertEqual(s["parameters"], 6 * 8 + 8 + 8 * 3 + 3)
        self.assertGreater(s["test"]["accuracy"], 0.9)
        lines = open(model).read().splitlines()
        self.assertEqual(lines[:6], ["asyncopt-mlp 1", "nr_class 3", "label 3 7 9", "nr_feature 5", "hidden 8",
                                     "activation relu"])
        p, _, _ = self.predict(model, test)
        self.assertEqual(p["accuracy"], s["test"]["accuracy"])
        self.check_confusion(p)
        # A truncated file is refused by line, never read short.
        self.write("cut.mlp", "\n".join(lines[:10]) + "\n")
        bad = run("predict", "--model", self.path("cut.mlp"), "--data", test)
        self.assertNotEqual(bad.returncode, 0)
        self.assertRegex(bad.stderr, r"cut\.mlp:\d+: malformed model file")

    def test_trace_has_train_loss_per_round_and_test_accuracy(self):
        train, test = self.blobs("train.svm", 300, 6), self.blobs("test.svm", 150, 7)
        trace = self.path("t.csv")
        self.train("--data", train, "--test", test, "--model-kind", "softmax", "--trace", trace,
                   "--trace-every", "0.5")
        rows = list(csv.DictReader(open(trace)))
        self.assertGreater(len(rows), 10)
        self.assertEqual(rows[0]["batch_loss"], "")  # epoch 0: no round yet
        self.assertTrue(all(r["batch_loss"] != "" and r["test_accuracy"] != "" for r in rows[1:]))
        self.assertEqual(rows[0]["suboptimality"], "")  # no f* for the softmax model
        self.assertGreater(float(rows[-1]["test_accuracy"]), float(rows[0]["test_accuracy"]))

    def test_info_counts_the_rows_of_each_class(self):
        data = self.blobs("train.svm", 91, 10)  # 31, 30 and 30 rows of 3, 7 and 9
        summary = self.path("i.json")
        p = run("info", "--data", data, "--classes", "--summary", summary)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("classes         3 (label: rows)", p.stdout)
        self.assertIn("3: 31, 7: 30, 9: 30", p.stdout)
        with open(summary) as f:
            s = json.load(f)
        self.assertEqual((s["labels"], s["classes"], s["class_counts"]), ("class_ids", ["3", "7", "9"], [31, 30, 30]))
        self.assertIsNone(s["positives"])
        bad = run("info", "--data", data, "--classes", "--positive-labels", "3")
        self.assertEqual(bad.returncode, 2, bad.stderr)
        self.assertIn("--classes counts every label's rows", bad.stderr)

    def test_the_instruction_set_can_be_forced_and_a_bad_one_is_refused(self):
        """ASYNCOPT_ISA=baseline runs the perceptron's dense loops without AVX2:
        the same run twice gives the same model, and on a CPU with AVX2 and FMA
        (whose fused multiply-adds round differently) not the model of the
        default run; a name it does not know is a usage error naming the
        variable, before anything is trained."""
        train = self.blobs("train.svm", 300, 4)
        models = []
        for isa in ("baseline", "baseline", "auto"):
            summary, model = self.path("s.json"), self.path("m%d.model" % len(models))
            p = run("train", "--solver", "spars-ams", "--threads", "1", "--data", train, "--model-kind", "mlp",
                    "--hidden", "8", "--max-epochs", "3", "--summary", summary, "--model", model, "--quiet",
                    env={"ASYNCOPT_ISA": isa})
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertGreater(json.load(open(summary))["objective"], 0)
            models.append(open(model).read())
        self.assertEqual(models[0], models[1])
        flags = set()
        if os.path.exists("/proc/cpuinfo"):
            for line in open("/proc/cpuinfo"):
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    break
        if {"avx2", "fma"} <= flags:
            self.assertNotEqual(models[0], models[2])
        p = run("train", "--solver", "spars-ams", "--threads", "1", "--data", train, "--model-kind", "mlp",
                "--model", self.path("bad.model"), "--quiet", env={"ASYNCOPT_ISA": "avx9"})
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("ASYNCOPT_ISA=avx9", p.stderr)
        self.assertFalse(os.path.exists(self.path("bad.model")))

    def test_mistakes_are_usage_errors_that_name_the_cause(self):
        train = self.blobs("train.svm", 90, 8)
        _, _, p = self.train("--data", train, "--model-kind", "mlp", "--positive-labels", "3", expect=2)
        self.assertIn("--positive-labels maps the labels to two classes", p.stderr)
        _, _, p = self.train("--data", train, "--model-kind", "softmax", "--target-subopt", "1e-3", expect=2)
        self.assertIn("--target-subopt needs f*", p.stderr)
        other = self.blobs("other.svm", 30, 9, labels=(3, 7, 8))
        _, _, p = self.train("--data", train, "--test", other, "--model-kind", "softmax", expect=2)
        self.assertRegex(p.stderr, r"other\.svm:3:1: label '8' is not one of the expected labels")
        p = run("train", "--data", train, "--solver", "hogwild", "--model-kind", "softmax", "--quiet")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("model-kind", p.stderr)
        _, _, p = self.train("--data", train, "--model-kind", "softmax", "--l1", "0.1", expect=2)
        self.assertIn("l1 = 0.1 is not supported", p.stderr)


if __name__ == "__main__":
    unittest.main()
