"""The contract every TriPrune baseline of ``TRIPRUNE_BASELINES`` keeps (BASELINES.md §0.2-0.6): it runs on
the contexts' hypergraph, beats the majority class, repeats exactly per seed, never reads test labels,
and a distillation row reads its teacher from the store. A new baseline is tested without editing this file."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from hgbench.baselines import TRIPRUNE_BASELINES
from hgbench.baselines.kit.tuning import TUNING_POINTS, tuning_points
from hgbench.methods.base import MissingDependency

from triprune_support import data_and_split, fit, majority_mae, teacher_store, test_mae as mae

NAMES = list(TRIPRUNE_BASELINES)
pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return teacher_store(tmp_path_factory.mktemp("teacher"))


def test_tuning_points_hold_the_default_and_a_fixed_draw_of_the_rest():
    space = {"a": [1, 2, 3, 4], "b": [0.1, 0.2, 0.3], "lr": [1e-3, 1e-2]}
    points = tuning_points(space, {"a": 2, "b": 0.3, "lr": 1e-3}, "x")
    assert len(points) == min(TUNING_POINTS, 24) and points[0] == {"a": 2, "b": 0.3, "lr": 1e-3}
    assert len({tuple(sorted(p.items())) for p in points}) == len(points)
    assert points == tuning_points(space, {"a": 2, "b": 0.3, "lr": 1e-3}, "x")
    assert len(tuning_points({**space, "c": [0, 1]}, {"a": 2}, "x")) == TUNING_POINTS
    with pytest.raises(ValueError, match="not in the search space"):
        tuning_points(space, {"a": 9}, "x")


@pytest.mark.parametrize("name", NAMES)
def test_a_short_run_beats_the_majority_class_and_repeats_exactly(store, name):
    data, split = data_and_split()
    first = fit(name, store, data, split)
    scores = first.predict()
    assert scores.shape == (data.num_nodes, data.num_classes) and torch.isfinite(scores).all()
    assert mae(scores, data, split) < majority_mae(data, split)
    assert torch.equal(scores, fit(name, store, data, split).predict())


@pytest.mark.parametrize("name", NAMES)
def test_test_labels_are_never_read(store, name):
    data, split = data_and_split()
    labels = data.labels.clone()
    labels[split.test] = (labels[split.test] + 1) % data.num_classes
    poisoned = replace(data, labels=labels)
    assert torch.equal(fit(name, store, data, split).predict(), fit(name, store, poisoned, split).predict())


@pytest.mark.parametrize("name", [n for n in NAMES if getattr(TRIPRUNE_BASELINES[n], "reads_teacher", False)])
def test_a_distillation_row_reads_its_teacher_from_the_store(tmp_path, store, name):
    data, split = data_and_split()
    fitted = fit(name, store, data, split)
    teacher = fitted.diagnostics["teacher"]
    assert teacher["method"] == "tp-hgnn" and teacher["seconds"] > 0
    with pytest.raises(MissingDependency, match="tp-hgnn"):
        fit(name, type(store)(tmp_path), data, split)  # an empty store: no teacher, no run


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_every_triprune_baseline_runs_on_cuda(tmp_path):
    """The runner puts the data on the GPU; protocols build the model there; every row and its teacher run ok."""
    from hgbench.benchmarks.run.plan import schedule
    from hgbench.benchmarks.run.runner import Runner
    from hgbench.benchmarks.run.store import Store

    store = Store(tmp_path)
    runner = Runner(store, device="cuda")
    runner.run(schedule(store, "t", ["tp-hgnn"], ["synthetic-contexts"], "ratio-0.6-0.2", 1, budget="smoke"))
    jobs = schedule(store, "t", NAMES, ["synthetic-contexts"], "ratio-0.6-0.2", 1, budget="smoke")
    runner.run(jobs)
    records = [store.get(job.method, job.key) for job in jobs]
    assert [(r["method"], r["status"], r.get("reason")) for r in records if r["status"] != "ok"] == []
    assert {r["environment"]["device"] for r in records} == {"cuda"}


def test_a_distillation_row_reads_its_teacher_in_a_time_limited_worker(tmp_path):
    """With --time-limit a job runs in a worker process that never writes the store; it still reads the
    teacher's stored run (read-only), as it does in the parent."""
    from hgbench.benchmarks.run.plan import schedule
    from hgbench.benchmarks.run.runner import Runner

    store = teacher_store(tmp_path)
    name = next(n for n in NAMES if getattr(TRIPRUNE_BASELINES[n], "reads_teacher", False))
    jobs = schedule(store, "t", [name], ["synthetic-contexts"], "ratio-0.6-0.2", 1, budget="smoke")
    Runner(store, time_limit_s=300).run(jobs)
    record = store.get(name, jobs[0].key)
    assert record["status"] == "ok", record.get("reason")
    assert record["diagnostics"]["teacher"]["method"] == "tp-hgnn"
