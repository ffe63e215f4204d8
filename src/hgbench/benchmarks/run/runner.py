"""Plan a suite into jobs, skip the finished ones, run the rest and store one record per job.

A job is one (method, configuration, dataset, split). Jobs are grouped by dataset so a dataset
is loaded once and a method's split-independent ``prepare`` step runs once per dataset and
configuration. Every dataset of the plan is verified before the first job runs, so a corrupted
file stops the run before anything is written. Failures of a single run (divergence, out of
memory, time limit, any exception) become records with a status and a reason; the suite goes on.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import platform
import subprocess
import traceback
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np
import torch

import hgbench

from ...datasets import catalog
from ...datasets.base import NodeDataset
from ...datasets.files import DataUnavailable
from ...datasets.episodes import episode_view
from ...datasets.splits import Split, make_split, protocol_shots
from ...methods.base import Diverged, Method, TimedOut, time_limit
from .metrics import evaluate
from .profile import PeakMemory, timed
from .registry import method_entry
from .store import STATUSES, Store

FAILURE_STATUSES = tuple(s for s in STATUSES if s != "ok")


@dataclass(frozen=True)
class Job:
    suite: str
    method: str
    config: tuple[tuple[str, Any], ...]
    dataset: str
    protocol: str
    seed: int
    budget: str = "full"

    @property
    def key(self) -> str:
        """Content hash of the job: the store skips a job whose key it already holds."""
        payload = json.dumps(asdict(self), sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()[:24]

    @property
    def config_dict(self) -> dict[str, Any]:
        return dict(self.config)


@dataclass
class RunSummary:
    planned: int = 0
    skipped: int = 0
    executed: int = 0
    failed: int = 0
    stale: int = 0  # stored records made under other method settings, run again
    unavailable: dict[str, str] = field(default_factory=dict)
    seconds_per_dataset: dict[str, float] = field(default_factory=dict)


def expand_grid(grid: dict[str, list]) -> list[tuple[tuple[str, Any], ...]]:
    """The product of a search space, as sorted (name, value) tuples; ``{}`` gives one empty config."""
    names = sorted(grid)
    return [tuple(zip(names, values)) for values in itertools.product(*(grid[n] for n in names))]


def plan(suite: str, methods: list[str], datasets: list[str], protocol: str, seeds: int,
         budget: str = "full") -> list[Job]:
    jobs = []
    for dataset in datasets:
        for name in methods:
            method = method_entry(name).factory()
            grid = method.configurations(budget)
            # A method whose grid ignores the budget (ZEN) runs its full protocol, and says so.
            effective = budget if grid != method.configurations("full") else "full"
            # Split-major: an interrupted run leaves at most one split with part of the grid.
            jobs.extend(Job(suite, name, config, dataset, protocol, seed, effective)
                        for seed in range(seeds) for config in expand_grid(grid))
    return jobs


def code_version(root: Path = Path(__file__).resolve().parents[3]) -> str:
    """Package version plus the git commit of the checkout ``root``, with ``-dirty`` when the code
    (``src/``, ``pyproject.toml``) differs from it; results the runs write elsewhere do not count."""

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=5,
                              check=True).stdout.strip()

    try:
        commit = git("describe", "--always", "--abbrev=10")
        if git("status", "--porcelain", "--untracked-files=no", "--", "src", "pyproject.toml"):
            commit += "-dirty"
    except (OSError, subprocess.SubprocessError):
        commit = "unknown"
    return f"{hgbench.__version__}+{commit}"


def environment() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "platform": platform.platform(),
        "processor": platform.machine(),
        "torch_threads": torch.get_num_threads(),
        "device": "cpu",
    }


class Runner:
    """Executes jobs sequentially (the only executor whose timings are reported).

    Every record names its ``executor`` (``"sequential"`` here; :mod:`.pool` runs this class's
    :meth:`execute` in worker processes and names itself ``"pool-N"``).
    """

    executor = "sequential"

    def __init__(self, store: Store, time_limit_s: float | None = None,
                 on_record: Callable[[Job, dict], None] | None = None, retry: Iterable[str] = ()) -> None:
        unknown = set(retry) - set(FAILURE_STATUSES)
        if unknown:
            raise ValueError(f"retry takes failure statuses ({', '.join(FAILURE_STATUSES)}), got {sorted(unknown)}")
        self.store = store
        self.time_limit_s = time_limit_s
        self.retry = frozenset(retry)  # stored records with these statuses are run again and replaced
        self.on_record = on_record or (lambda job, record: None)
        self.version = code_version()
        self.environment = environment()

    def verify(self, datasets: list[str], summary: RunSummary) -> list[str]:
        """Load every dataset (checksums verified); unavailable ones are noted, corrupted ones raise."""
        usable = []
        for name in datasets:
            try:
                catalog.load(name)
            except DataUnavailable as exc:
                summary.unavailable[name] = str(exc)
                continue
            usable.append(name)
        return usable

    def pending(self, jobs: list[Job]) -> tuple[RunSummary, list[Job]]:
        """The summary so far and the jobs to run: datasets verified, jobs already in the store skipped
        unless their record's status is one to retry or it was made under other settings (stale; a record
        from before records carried settings counts as current)."""
        summary = RunSummary(planned=len(jobs))
        usable = set(self.verify(list(dict.fromkeys(job.dataset for job in jobs)), summary))
        settings = {name: method_entry(name).factory().settings() for name in {job.method for job in jobs}}
        pending = []
        for job in jobs:
            if job.dataset not in usable:
                continue
            stored = self.store.get(job.suite, job.key)
            stale = stored is not None and stored.get("settings", settings[job.method]) != settings[job.method]
            summary.stale += stale
            if stored is None or stale or stored["status"] in self.retry:
                pending.append(job)
            else:
                summary.skipped += 1
        return summary, pending

    def split(self, job: Job) -> Split:
        """The job's split from the store (created and stored on first use)."""
        labels = episode_view(catalog.load(job.dataset), job.protocol, job.seed).labels
        return self.store.split(job.dataset, job.protocol, job.seed, labels,
                                lambda: make_split(labels, job.protocol, job.seed))

    def record(self, summary: RunSummary, job: Job, record: dict) -> None:
        """Store a finished job's record, count it and report it."""
        self.store.put(record)
        summary.executed += 1
        summary.failed += record["status"] != "ok"
        self.on_record(job, record)

    def run(self, jobs: list[Job]) -> RunSummary:
        summary, pending = self.pending(jobs)
        for dataset, group in itertools.groupby(pending, key=lambda job: job.dataset):
            with timed() as clock:
                prepared: dict[tuple, tuple[Any, float]] = {}
                for job in group:
                    self.record(summary, job, self.execute(job, catalog.load(dataset), self.split(job), prepared))
            summary.seconds_per_dataset[dataset] = summary.seconds_per_dataset.get(dataset, 0.0) + clock.seconds
        return summary

    def execute(self, job: Job, data: NodeDataset, split: Split, prepared: dict) -> dict:
        """Run one job on ``split``; ``prepared`` caches ``prepare`` per (method, config) across calls.

        ``data`` is the catalog's dataset; an n-way episode's methods see only its classes (``episode_view``).
        """
        data = episode_view(data, job.protocol, job.seed)
        method = method_entry(job.method).factory()
        record = self._base_record(job, data, split.digest)
        memory = PeakMemory()
        memory.start()
        try:
            with time_limit(self.time_limit_s):
                state, record["prepare_seconds"] = self._prepare(method, job, data, prepared)
                with timed() as fit_clock:
                    fitted = method.fit(data, split, job.config_dict, job.seed, state)
                with timed() as predict_clock:
                    scores = fitted.predict()
            if not torch.isfinite(scores).all():
                raise Diverged("predictions contain non-finite values")
            record.update(
                status="ok",
                fit_seconds=fit_clock.seconds,
                predict_seconds=predict_clock.seconds,
                val=evaluate(scores, data.labels, split.val),
                test=evaluate(scores, data.labels, split.test),
                train=evaluate(scores, data.labels, split.train),
                diagnostics=_jsonable(fitted.diagnostics),
            )
        except (torch.OutOfMemoryError, MemoryError) as exc:
            record.update(status="oom", reason=f"{exc.__class__.__name__}: {str(exc)[:300]}")
        except TimedOut as exc:
            record.update(status="timeout", reason=f"{exc} ({self.time_limit_s} s)")
        except Exception as exc:  # any other failure of this run is recorded, the suite goes on
            record.update(status="failed", reason=f"{exc.__class__.__name__}: {str(exc)[:300]}",
                          traceback=traceback.format_exc(limit=-3))
        record["peak_memory_mb"] = memory.stop()
        record["memory_probe"] = memory.probe
        record["finished_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        return record

    @staticmethod
    def _prepare(method: Method, job: Job, data: NodeDataset, cache: dict) -> tuple[Any, float]:
        """Run (or reuse) the split-independent step; the seconds are those of the one shared run."""
        key = (job.method, job.config)
        if key not in cache:
            with timed() as clock:
                state = method.prepare(data, job.config_dict)
            cache[key] = (state, clock.seconds)
        return cache[key]

    def _base_record(self, job: Job, data: NodeDataset, split_digest: str) -> dict:
        return {
            "key": job.key, "suite": job.suite, "method": job.method, "config": job.config_dict,
            "dataset": job.dataset, "protocol": job.protocol, "shots": protocol_shots(job.protocol), "seed": job.seed,
            "split_id": job.seed, "split_digest": split_digest, "budget": job.budget, "task": data.task.value,
            "status": None, "reason": None, "val": None, "test": None, "train": None,
            "fit_seconds": None, "predict_seconds": None, "prepare_seconds": None, "diagnostics": {},
            "settings": method_entry(job.method).factory().settings(), "code_version": self.version,
            "environment": self.environment, "data_sha256": data.sources, "executor": self.executor,
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, torch.Tensor):
        return _jsonable(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (np.generic,)):
        return value.item()
    return value
