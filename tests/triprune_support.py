"""Shared pieces of the TriPrune baseline tests: a store holding the HGNN teacher's short runs, a fit of
any registered method through that store (what ``bench run`` does, without the runner's timers), and the
timer of the tests that inference time falls with what a pruning method removes."""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Callable

import torch
from sklearn.model_selection import ParameterGrid
from torch import Tensor

from hgbench.benchmarks.run import registry
from hgbench.benchmarks.run.plan import StoreRuns, schedule
from hgbench.benchmarks.run.runner import Runner
from hgbench.benchmarks.run.store import Store
from hgbench.datasets import catalog
from hgbench.datasets.base import NodeDataset
from hgbench.datasets.splits import Split, make_split
from hgbench.methods.base import Fitted, reading_runs

DATASET, PROTOCOL, SEEDS = "synthetic-contexts", "ratio-0.6-0.2", 2


def median_cpu_seconds(calls: list[Callable[[], object]], runs: int = 9) -> list[float]:
    """Median seconds of each call, the calls timed in turn after two warm-ups each (cached operators built), in
    this process's CPU time on one thread: other processes on a loaded machine delay a call's wall time, not the
    CPU time it takes."""
    times: list[list[float]] = [[] for _ in calls]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.no_grad():
            for call in calls * 2:
                call()
            for _ in range(runs):
                for call, spent in zip(calls, times):
                    start = time.process_time()
                    call()
                    spent.append(time.process_time() - start)
    finally:
        torch.set_num_threads(threads)
    return [statistics.median(spent) for spent in times]


def teacher_store(root: Path) -> Store:
    """A store with ``tp-hgnn``'s smoke runs (the teacher) on synthetic-contexts, seeds 0 and 1."""
    store = Store(root)
    Runner(store).run(schedule(store, "teacher", ["tp-hgnn"], [DATASET], PROTOCOL, SEEDS, budget="smoke"))
    return store


def data_and_split(seed: int = 0) -> tuple[NodeDataset, Split]:
    data = catalog.load(DATASET)
    return data, make_split(data.labels, PROTOCOL, seed)


def smoke_params(name: str, **overrides) -> dict:
    """The job params of ``name``'s first smoke configuration (defaults overlaid by the grid point)."""
    method = registry.method_entry(name).factory()
    return {**method.settings(), **next(iter(ParameterGrid(method.configurations("smoke")))), **overrides}


def fit(name: str, store: Store, data: NodeDataset, split: Split, seed: int = 0, **overrides) -> Fitted:
    """``name`` fitted at its smoke configuration, reading earlier runs from ``store``."""
    method = registry.method_entry(name).factory()
    params = smoke_params(name, **overrides)
    with reading_runs(StoreRuns(store)):
        return method.fit(data, split, params, seed, method.prepare(data, params))


def majority_mae(data: NodeDataset, split: Split) -> float:
    """Test MAE of predicting the most frequent training class everywhere."""
    majority = torch.bincount(data.labels[split.train]).argmax()
    return float((data.labels[split.test] - majority).abs().double().mean())


def test_mae(scores: Tensor, data: NodeDataset, split: Split) -> float:
    return float((scores.argmax(-1)[split.test] - data.labels[split.test]).abs().double().mean())
