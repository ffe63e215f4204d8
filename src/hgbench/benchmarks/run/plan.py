"""Jobs and plans: what a run computes, apart from which suite or table asks for it.

A :class:`Job` is (method, its parameters, dataset, split protocol, split seed) and, for a transfer
job, the dataset it is evaluated on. Its key is a content hash of exactly that: the same computation
asked for by three suites is one job, run and stored once. ``params`` holds every hyperparameter of
the run in one dictionary: the method's fixed settings (``Method.settings``) overlaid by the grid
point (``config``), so editing a default gives new keys and the old records are simply not planned.

A :class:`PlanEntry` is a suite's claim on a job: which budget's grid it belongs to and where the
grid enumerates it (selection breaks validation ties by that order). ``bench run`` writes a suite's
entries to the store (``plans/<suite>.json``); reports read them, never the current grids.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from ...methods.base import grid_points
from .registry import method_entry

if TYPE_CHECKING:
    from .store import Store

Config = tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Job:
    method: str
    params: Config  # every hyperparameter, sorted (name, value) pairs
    dataset: str
    protocol: str
    seed: int
    config: Config = ()  # the grid point: the part of ``params`` a grid varies (not part of the key)
    eval_dataset: str | None = None  # transfer: trained on ``dataset``, evaluated on this one

    @property
    def key(self) -> str:
        """Content hash of the computation: method, params, dataset(s), protocol and seed."""
        payload = {"method": self.method, "params": dict(self.params), "dataset": self.dataset,
                   "protocol": self.protocol, "seed": self.seed}
        if self.eval_dataset is not None:
            payload["eval_dataset"] = self.eval_dataset
        return job_key(payload)

    @property
    def config_dict(self) -> dict[str, Any]:
        return dict(self.config)

    @property
    def params_dict(self) -> dict[str, Any]:
        return dict(self.params)


class StoreRuns:
    """The store as :class:`~hgbench.methods.base.StoredRuns`: a method reads the finished job it names."""

    def __init__(self, store: "Store") -> None:
        self.store = store

    def _key(self, method: str, params: dict, dataset: str, protocol: str, seed: int) -> str:
        return Job(method, sorted_items(params), dataset, protocol, seed).key

    def record(self, method: str, params: dict, dataset: str, protocol: str, seed: int) -> dict | None:
        record = self.store.get(method, self._key(method, params, dataset, protocol, seed))
        return record if record is not None and record["status"] == "ok" else None

    def modules(self, method: str, params: dict, dataset: str, protocol: str, seed: int) -> dict | None:
        if self.record(method, params, dataset, protocol, seed) is None:
            return None
        return self.store.modules(self._key(method, params, dataset, protocol, seed))


def job_key(payload: dict[str, Any]) -> str:
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class PlanEntry:
    """One job as a suite plans it: the job's identity plus the budget and grid position it came from."""

    key: str
    method: str
    config: dict
    dataset: str
    protocol: str
    seed: int
    budget: str
    grid_index: int
    eval_dataset: str | None = None
    full_grid_size: int = 1  # points in the method's full grid (reports project the full protocol's cost)
    tuned_on: str | None = None  # the one configuration selected on this dataset's validation splits (--tune-on)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def expand_grid(grid: dict[str, list] | list[dict[str, list]]) -> list[Config]:
    """The product of a search space (scikit-learn's ParameterGrid order), as sorted (name, value) tuples."""
    return [tuple(sorted(point.items())) for point in grid_points(grid)] if grid else [()]


def sorted_items(mapping: dict[str, Any]) -> Config:
    return tuple(sorted(mapping.items()))


def plan(suite: str, methods: list[str], datasets: list[str], protocol: str, seeds: int | range,
         budget: str = "full", eval_datasets: dict[str, str] | None = None,
         method_major: bool = False, tuned: dict[str, Config] | None = None,
         tuned_on: str | None = None) -> tuple[list[Job], list[PlanEntry]]:
    """The jobs of a suite and its plan entries, split-major per (dataset, method).

    ``seeds`` is a count (seeds 0..n-1) or a range. ``eval_datasets`` maps a training dataset to
    the dataset its transfer jobs are evaluated on. A method whose grid ignores the budget (ZEN)
    plans its full protocol, and its entries say so. ``method_major`` orders the jobs method by
    method (every dataset of the first method first), for suites whose later methods read the
    earlier ones' runs on other datasets (TriPrune's Table 7). ``tuned`` maps a method to the one
    configuration of its grid to plan (selected on the dataset ``tuned_on``, :func:`tuned_configuration`).
    """
    jobs, entries = [], []
    pairs = ([(d, m) for m in methods for d in datasets] if method_major else
             [(d, m) for d in datasets for m in methods])
    for dataset, name in pairs:
        target = (eval_datasets or {}).get(dataset)
        method = method_entry(name).factory()
        grid = method.configurations(budget)
        effective = budget if grid != method.configurations("full") else "full"
        settings = method.settings()
        full_size = len(expand_grid(method.configurations("full")))
        for seed in (range(seeds) if isinstance(seeds, int) else seeds):
            for index, config in enumerate(expand_grid(grid)):
                if tuned and name in tuned and config != tuned[name]:
                    continue
                job = Job(name, sorted_items({**settings, **dict(config)}), dataset, protocol, seed, config,
                          target)
                jobs.append(job)
                entries.append(PlanEntry(job.key, name, dict(config), dataset, protocol, seed, effective, index,
                                         target, full_size, tuned_on if tuned and name in tuned else None))
    return jobs, entries


def schedule(store: "Store", suite: str, methods: list[str], datasets: list[str], protocol: str,
             seeds: int | range, budget: str = "full", eval_datasets: dict[str, str] | None = None,
             method_major: bool = False, tuned: dict[str, Config] | None = None,
             tuned_on: str | None = None) -> list[Job]:
    """:func:`plan` a suite and write its entries to ``store`` first (so reports and an interrupted run
    know what is pending); the jobs to hand to an executor."""
    jobs, entries = plan(suite, methods, datasets, protocol, seeds, budget, eval_datasets, method_major, tuned,
                         tuned_on)
    store.add_plan(suite, entries)
    return jobs


def tuned_configuration(store: "Store", jobs: list[Job]) -> dict[str, Config]:
    """Per method, the configuration with the best mean validation metric over the ok runs of ``jobs`` (one
    dataset's grid; MAE of the arg-max class for ordinal tasks, accuracy otherwise); ties go to the grid's
    first. The later revision of TriPrune's protocol: select on IMDB, reuse everywhere (BASELINES.md §0.4).
    A method with one configuration, or no ok run, is left out."""
    scores: dict[str, dict[Config, list[float]]] = {}
    for job in jobs:
        record = store.get(job.method, job.key)
        if record is None or record.get("status") != "ok":
            continue
        ordinal = record.get("task") == "ordinal"
        value = record["val"]["mae"] if ordinal else -record["val"]["accuracy"]
        scores.setdefault(job.method, {}).setdefault(job.config, []).append(float(value))
    chosen = {}
    for method, by_config in scores.items():
        grid = list(dict.fromkeys(job.config for job in jobs if job.method == method))
        if len(grid) > 1:
            chosen[method] = min(by_config, key=lambda c: (sum(by_config[c]) / len(by_config[c]), grid.index(c)))
    return chosen
