"""Unit tests of the harness's own logic (no omni binary, no peers): `python3 -m unittest
discover benches/e2e`."""

import tempfile
import unittest
from pathlib import Path

import run
from metrics import evaluate


class Metrics(unittest.TestCase):
    def test_pairwise_and_bcubed_on_a_hand_example(self):
        truth = {("s", "1"): "A", ("s", "2"): "A", ("s", "3"): "A", ("s", "4"): "B"}
        # 1,2 together; 3 and 4 wrongly together; 9 unknown to the truth.
        pred = {("s", "1"): "x", ("s", "2"): "x", ("s", "3"): "y", ("s", "4"): "y",
                ("s", "9"): "z"}
        r = evaluate(pred, truth)
        self.assertEqual((r["true_pairs"], r["predicted_pairs"], r["correct_pairs"]), (3, 2, 1))
        self.assertAlmostEqual(r["pairwise"]["precision"], 0.5)
        self.assertAlmostEqual(r["pairwise"]["recall"], 1 / 3)
        self.assertAlmostEqual(r["pairwise"]["f1"], 0.4)
        self.assertEqual(r["only_in_prediction"], 1)
        # B-cubed precision: records 1,2 → 1; 3,4 → 1/2 each → 0.75.
        self.assertAlmostEqual(r["bcubed"]["precision"], 0.75)
        self.assertAlmostEqual(r["persons_resolved_whole"], 0.0)

    def test_perfect_clustering_scores_one(self):
        truth = {("s", str(i)): f"P{i // 3}" for i in range(9)}
        pred = {k: "c" + v for k, v in truth.items()}
        r = evaluate(pred, truth)
        self.assertEqual(r["pairwise"]["f1"], 1.0)
        self.assertEqual(r["persons_resolved_whole"], 1.0)


class Options(unittest.TestCase):
    def test_sizes(self):
        self.assertEqual(run.parse_size("100k"), ("100k", 100_000))
        self.assertEqual(run.parse_size("1M"), ("1m", 1_000_000))
        self.assertEqual(run.parse_size("250000"), ("250000", 250_000))
        with self.assertRaisesRegex(run.HarnessError, "expected a record count"):
            run.parse_size("lots")
        with self.assertRaisesRegex(run.HarnessError, "at least 1k"):
            run.parse_size("10")

    def test_generated_data_must_stay_outside_the_repo(self):
        with self.assertRaisesRegex(run.HarnessError, "inside the repository"):
            run.check_outside_repo(run.REPO / "data", "--work")
        run.check_outside_repo(Path(tempfile.gettempdir()) / "x", "--work")

    def test_pipeline_points_at_the_data_directory(self):
        with tempfile.TemporaryDirectory() as d:
            text = run.write_pipeline(Path(d)).read_text()
        self.assertIn('warehouse = "warehouse"', text)
        self.assertIn('path = "data/web_orders.csv"', text)
        self.assertNotIn("../", text)


class Results(unittest.TestCase):
    def test_query_results_compare_numbers_not_formatting(self):
        with tempfile.TemporaryDirectory() as d:
            a, b, c = Path(d, "a"), Path(d, "b"), Path(d, "c")
            a.write_text("k,v\nx,1.50\ny,2\n")
            b.write_text("k,v\nx,1.5\ny,2.0\n")
            c.write_text("k,v\nx,1.5\ny,3\n")
            self.assertTrue(run.same_result(a, b))
            self.assertFalse(run.same_result(a, c))


if __name__ == "__main__":
    unittest.main()
