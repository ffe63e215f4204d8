"""``bench run --tune-on DATASET``: every grid runs on DATASET first, then each method runs on the other datasets
at the configuration with the best mean validation metric on DATASET (TriPrune's later revision, BASELINES.md
§0.4); the plan says so and the tables' captions too."""

import pytest

from hgbench.benchmarks.cli import main
from hgbench.benchmarks.run.plan import plan, tuned_configuration
from hgbench.benchmarks.run.store import Store
from hgbench.benchmarks.suites import base as suites
from hgbench.benchmarks.suites.base import Suite

from conftest import put_planned


def test_the_configuration_with_the_best_mean_validation_mae_is_reused(tmp_path):
    store = Store(tmp_path)
    jobs, _ = plan("t", ["tp-hgnn"], ["synthetic-contexts"], "ratio-0.6-0.2", 2, budget="full")
    grid = list(dict.fromkeys(job.config for job in jobs))
    assert len(grid) == 8
    for job in jobs:  # the fourth configuration has the lowest mean validation MAE; seed 1 alone would pick the first
        mae = 0.3 if job.config == grid[3] else (0.2 if job.config == grid[0] and job.seed == 1 else 0.5)
        put_planned(store, {"key": job.key, "suite": "t", "method": job.method, "dataset": job.dataset,
                            "protocol": job.protocol, "seed": job.seed, "status": "ok", "config": job.config_dict,
                            "params": job.params_dict, "task": "ordinal", "val": {"mae": mae, "accuracy": 0.5},
                            "test": {"mae": 0.5, "accuracy": 0.5}})
    tuned = tuned_configuration(store, jobs)
    assert tuned == {"tp-hgnn": grid[3]}
    later, entries = plan("t", ["tp-hgnn", "tp-mlp"], ["imdb"], "ratio-0.6-0.2", 2, budget="full", tuned=tuned,
                          tuned_on="synthetic-contexts")
    hgnn = [job for job in later if job.method == "tp-hgnn"]
    assert {job.config for job in hgnn} == {grid[3]} and len(hgnn) == 2
    assert len([job for job in later if job.method == "tp-mlp"]) == 16  # no tuning result: its whole grid
    assert {e.tuned_on for e in entries if e.method == "tp-hgnn"} == {"synthetic-contexts"}
    assert {e.grid_index for e in entries if e.method == "tp-hgnn"} == {3}


def test_bench_run_tune_on_runs_the_other_datasets_at_the_selected_configuration(tmp_path, monkeypatch):
    chosen = Suite(name="tune-on-test", description="", methods=("tp-hgnn",),
                   datasets=("synthetic-contexts", "synthetic"), protocol="ratio-0.6-0.2", seeds=1)
    monkeypatch.setitem(suites.SUITES._items, chosen.name, chosen)
    monkeypatch.setattr("hgbench.baselines.triprune_plain.TriPruneTrained.search_space",
                        {"hidden": [64], "dropout": [0.3, 0.5], "lr": [1e-2], "epochs": [5], "patience": [5]})
    monkeypatch.setattr("hgbench.baselines.triprune_plain.TriPruneTrained.default_point",
                        {"hidden": 64, "dropout": 0.5, "lr": 1e-2, "epochs": 5, "patience": 5})
    assert main(["run", "--suite", chosen.name, "--tune-on", "nope", "--out", str(tmp_path)]) == 2
    assert main(["run", "--suite", chosen.name, "--tune-on", "synthetic-contexts", "--out", str(tmp_path)]) == 0
    entries = Store(tmp_path / "store").plan(chosen.name)
    assert len([e for e in entries if e["dataset"] == "synthetic-contexts"]) == 2
    other = [e for e in entries if e["dataset"] == "synthetic"]
    assert len(other) == 1 and other[0]["tuned_on"] == "synthetic-contexts"
    assert "selected on synthetic-contexts's validation splits" in (tmp_path / chosen.name / "table.tex").read_text()


@pytest.mark.parametrize("budget", ["reduced", "smoke"])
def test_a_single_configuration_is_never_tuned(tmp_path, budget):
    jobs, _ = plan("t", ["tp-hgnn"], ["synthetic-contexts"], "ratio-0.6-0.2", 1, budget=budget)
    assert tuned_configuration(Store(tmp_path), jobs) == {}


@pytest.mark.parametrize("grid", [{"b": [1, 2], "a": [0.1, 0.2, 0.3], "c": ["x"]},
                                  [{"lr": [1e-2], "hidden": [64, 128]}, {"lr": [1e-3], "dropout": [0.3, 0.5]}], {}])
def test_grid_points_enumerate_as_scikit_learns_parameter_grid(grid):
    from sklearn.model_selection import ParameterGrid

    from hgbench.methods.base import grid_points

    assert grid_points(grid) == list(ParameterGrid(grid))
