"""Table 2's constant floor (``tp-constant``), the count of runs that scored as it does, and the extra rows
(controls beside the paper's rows) that the claims leave out."""

import dataclasses

import pandas as pd
import pytest
import torch

from conftest import put_planned
from hgbench.baselines.constant import Constant, constant_class
from hgbench.benchmarks.report import claims, one_class, render
from hgbench.benchmarks.run.plan import schedule
from hgbench.benchmarks.run.runner import Runner
from hgbench.benchmarks.run.store import Store
from hgbench.benchmarks.suites import suite
from hgbench.datasets import catalog
from hgbench.datasets.base import Task
from hgbench.datasets.splits import make_split
from test_protocols import _scored


def test_the_constant_is_the_training_median_or_mode_and_reads_no_other_label():
    labels = torch.tensor([0, 4, 4, 1, 3, 3, 2])
    assert constant_class(labels, 5, Task.ORDINAL) == 3  # median of 0 1 2 3 3 4 4
    assert constant_class(torch.tensor([0, 1, 1, 3, 3]), 4, Task.CLASSIFICATION) == 1  # tie: the lower class
    assert constant_class(torch.tensor([0, 1, 2, 3]), 4, Task.ORDINAL) == 1  # even count: the lower median
    data = catalog.load("synthetic-contexts")
    split = make_split(data.labels, "ratio-0.6-0.2", 0)
    flipped = data.labels.clone()
    flipped[split.test] = (flipped[split.test] + 1) % data.num_classes  # test (and validation) labels changed
    flipped[split.val] = 0
    scores = [Constant().fit(dataclasses.replace(data, labels=y), split, {}, 0).predict() for y in (data.labels, flipped)]
    assert torch.equal(scores[0], scores[1])
    expected = constant_class(data.labels[split.train], data.num_classes, data.task)
    assert scores[0].shape == (data.num_nodes, data.num_classes) and (scores[0].argmax(1) == expected).all()


def test_a_stored_constant_run_scores_the_constant(tmp_path):
    store = Store(tmp_path)
    (job,) = schedule(store, "t", ["tp-constant"], ["synthetic-contexts"], "ratio-0.6-0.2", 1)
    Runner(store).run([job])
    record = store.get("tp-constant", job.key)
    data = catalog.load("synthetic-contexts")
    split = make_split(data.labels, "ratio-0.6-0.2", 0)
    chosen = record["diagnostics"]["constant_class"]
    assert record["status"] == "ok"
    assert record["test"]["accuracy"] == pytest.approx(float((data.labels[split.test] == chosen).double().mean()))


def _selected(rows):
    return pd.DataFrame([{"method": m, "dataset": d, "seed": s, "status": "ok", "test_mae": mae,
                          "test_rmse": rmse, "test_accuracy": acc} for m, d, s, mae, rmse, acc in rows])


def test_runs_equal_to_the_constant_on_their_split_are_counted_per_cell():
    selected = _selected([("tp-constant", "imdb", 0, 0.5, 0.8, 0.4), ("tp-constant", "imdb", 1, 0.6, 0.9, 0.3),
                          ("heal", "imdb", 0, 0.5, 0.8, 0.4),  # the constant's three numbers: one class
                          ("heal", "imdb", 1, 0.5, 0.8, 0.4),  # seed 0's constant numbers, not seed 1's
                          ("tricl", "imdb", 0, 0.5, 0.7, 0.4),  # same MAE and accuracy, another RMSE
                          ("tricl", "dblp", 0, 0.5, 0.8, 0.4)])  # no constant run on DBLP: not counted
    counts = one_class.one_class_counts(selected).set_index(["method", "dataset"])
    assert counts.to_dict("index") == {("heal", "imdb"): {"runs": 2, "one_class": 1},
                                       ("tricl", "imdb"): {"runs": 1, "one_class": 0}}
    text = "\n".join(one_class.section(selected, ("tricl", "heal"), ("imdb", "dblp")))
    assert "| HEAL†‡ | IMDB | 1 / 2 |" in text and text.count("\n|") == 3  # header, rule and HEAL's row only
    assert one_class.section(selected[selected.method != "tp-constant"], ("heal",), ("imdb",)) == []


def test_table2_notes_count_one_class_runs(tmp_path):
    store = Store(tmp_path / "store")
    chosen = suite("triprune-main")
    assert set(chosen.extra_rows) == {"tp-mlp", "tp-constant", "randhe", "lighthgnn-plus"} < set(chosen.methods)
    for dataset in chosen.datasets:
        put_planned(store, _scored("tp-constant", dataset, 0, 0.40, 0.6))
        put_planned(store, _scored("tp-hgnn", dataset, 0, 0.40, 0.6))
        put_planned(store, _scored("triprune", dataset, 0, 0.30, 0.7))
    paths = render.render(store, chosen, tmp_path / "out")
    notes = paths["notes"].read_text()
    assert "## Runs that predict one class" in notes and "| HGNN | IMDB | 1 / 1 |" in notes


def test_claims_about_table2_leave_its_extra_rows_out():
    rows = {"tp-mlp": ("MLP", 0.10, 0.001), "tp-constant": ("Constant", 0.40, 0.0),
            "tp-hgnn": ("HGNN", 0.40, 0.010), "triprune": ("TriPrune-HGNN", 0.30, 0.005)}
    board = pd.DataFrame([{"method": method, "label": label, "dataset": d.lower(), "paper_dataset": d,
                           "metric": metric, "mean": mean, "std": std, "status": "ok"}
                          for method, (label, mean, std) in rows.items() for d in ("IMDB", "DBLP")
                          for metric in ("mae", "rmse")])
    verdicts = claims.evaluate({"triprune-main": board}).set_index("claim_id")
    assert "best on 4 of 4 cells" in verdicts.at["tri_sota_all_15_metrics", "measured"]  # MLP's cells left out
    assert "0.01..0.01" in verdicts.at["tri_baseline_std_0_008_0_016", "measured"]  # HGNN's only, not 0.0 or 0.001
