"""Run planned jobs (:mod:`.plan`): skip the finished ones, run the rest, store one record per job.

A job is one (method, params, dataset, protocol, split seed), stored under its content hash. Jobs
are grouped by dataset so a dataset is loaded once and a method's split-independent ``prepare``
step runs once per dataset and configuration. Every dataset of the plan is verified before the
first job runs, so a corrupted file stops the run before anything is written. Failures of a single
run (divergence, out of memory, time limit, any exception) become records with a status and a
reason; the suite goes on.

Without a time limit or a memory limit the jobs run in this process. With one they run in a worker
process (:func:`.workers.run_in_workers`, one worker, the same :meth:`Runner.execute` and its timers),
so a run that never polls its deadline (a slow ``prepare``, a closed-form method) is killed at the
limit and recorded ``timeout``, and a run that allocates past the memory limit (the worker's address
space, ``RLIMIT_AS``) is recorded ``oom``; the worker's waiting parent adds nothing to the timed region.
"""

from __future__ import annotations

import itertools
import math
import platform
import subprocess
import traceback
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
from ...methods.base import Diverged, Method, TimedOut, reading_runs, time_limit
from .executors import Executor, Result, RunSummary
from .workers import limited_memory, run_in_workers
from .metrics import evaluate
from .plan import Job, StoreRuns
from .profile import PeakMemory, inference_profile, timed
from .registry import method_entry
from .store import STATUSES, Store

FAILURE_STATUSES = tuple(s for s in STATUSES if s != "ok")
#: How an allocation that failed reads in torch's CPU allocator (a RuntimeError, not a MemoryError).
OOM_MESSAGES = ("DefaultCPUAllocator", "not enough memory", "can't allocate memory")


def out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` is an allocation that failed: MemoryError, torch's OutOfMemoryError, or torch's CPU
    allocator refusing (a RuntimeError naming DefaultCPUAllocator, e.g. under ``--memory-limit``)."""
    return isinstance(exc, (MemoryError, torch.OutOfMemoryError)) or (
        isinstance(exc, RuntimeError) and any(message in str(exc) for message in OOM_MESSAGES))


def code_version(root: Path = Path(__file__).resolve().parents[4]) -> str:
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


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU as Linux reports its first core: vendor, model name, and the family / model / stepping numbers and
    cache size that tell apart CPUs a virtual machine names alike (``platform.processor()`` elsewhere)."""
    try:
        lines = cpuinfo.read_text().split("\n\n", 1)[0].splitlines()
    except OSError:
        return platform.processor() or "unknown"
    fields = {key.strip(): value.strip() for key, _, value in (line.partition(":") for line in lines)}
    named = " ".join(fields[key] for key in ("vendor_id", "model name") if fields.get(key))
    numbers = ", ".join(f"{key} {fields[key]}" for key in ("cpu family", "model", "stepping", "cache size")
                        if fields.get(key))
    return (f"{named} ({numbers})" if numbers else named) or platform.processor() or "unknown"


def environment(device: str = "cpu") -> dict[str, Any]:
    """What a run computed on. ``cpu`` and ``cpu_capability`` (the vector instructions torch dispatches to) matter
    beside the versions: the same code and seed can give float results that differ between CPUs, and training
    amplifies the difference (docs/architecture.md, "Reproducing a stored run")."""
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "platform": platform.platform(),
        "processor": platform.machine(),
        "cpu": cpu_model(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "torch_threads": torch.get_num_threads(),
        "device": device,
        "device_name": torch.cuda.get_device_name(device) if device.startswith("cuda") else platform.machine(),
    }


def check_device(device: str) -> str:
    """``device`` if this machine has it (``cpu``, ``cuda``, ``cuda:N``); ValueError naming it otherwise."""
    if device == "cpu":
        return device
    if not device.startswith("cuda"):
        raise ValueError(f"device must be cpu or cuda[:N], got {device!r}")
    if not torch.cuda.is_available():
        raise ValueError(f"device {device!r} requested but torch {torch.__version__} sees no CUDA device here")
    return device


def check_datasets(names: Iterable[str]) -> dict[str, str]:
    """Load every dataset (checksums verified, the built dataset checked: :func:`~hgbench.datasets.catalog.load`);
    the unavailable ones with the reason. A corrupted, unreadable or invalid one raises
    :class:`~hgbench.datasets.files.DataError` naming it, before anything is written."""
    unavailable = {}
    for name in names:
        try:
            catalog.load(name)
        except DataUnavailable as exc:
            unavailable[name] = str(exc)
    return unavailable


class Runner(Executor):
    """Executes jobs sequentially (the only executor whose timings are reported).

    Every run sets torch's thread count (``threads``, default 1: one run per core, and timings that do
    not depend on how busy the other cores are) and records it with the device. Every record names
    its ``executor`` (``"sequential"`` here; :mod:`.pool` runs this class's :meth:`execute` in worker
    processes and names itself ``"pool-N"``). With ``time_limit_s`` the jobs run in one worker process
    that is killed when a run passes the limit (see the module's docstring).
    """

    executor = "sequential"

    def __init__(self, store: Store, time_limit_s: float | None = None,
                 on_record: Callable[[Job, dict], None] | None = None, retry: Iterable[str] = (),
                 device: str = "cpu", threads: int = 1, keep_models: bool = False,
                 reads_from: Path | None = None, memory_limit_mb: int | None = None) -> None:
        """``store`` None (a worker process: the parent stores) with ``reads_from``, the store's folder: methods
        still read earlier runs (a teacher, TriPrune's thresholds) through it, read-only. ``memory_limit_mb``
        caps the address space of the worker processes the runs execute in (:func:`.workers.limited_memory`)."""
        unknown = set(retry) - set(FAILURE_STATUSES)
        if unknown:
            raise ValueError(f"retry takes failure statuses ({', '.join(FAILURE_STATUSES)}), got {sorted(unknown)}")
        if threads < 1:
            raise ValueError(f"threads must be positive, got {threads}")
        if memory_limit_mb is not None and memory_limit_mb < 1:
            raise ValueError(f"memory_limit_mb must be positive, got {memory_limit_mb}")
        self.store = store
        self.reads_from = store.root if store is not None else reads_from
        self.runs = StoreRuns(store if store is not None else Store(reads_from)) if self.reads_from else None
        self.time_limit_s = time_limit_s
        self.memory_limit_mb = memory_limit_mb
        self.retry = frozenset(retry)  # stored records with these statuses are run again and replaced
        self.on_record = on_record or (lambda job, record: None)
        self.device = check_device(device)
        self.threads = threads
        self.keep_models = keep_models  # store each trained model's state (artifacts/<key>/model.pt)
        self.version = code_version()
        self.factories: dict[str, Callable[[], Method]] = {}  # method name -> factory, before the registry's

    def verify(self, datasets: list[str], summary: RunSummary) -> list[str]:
        """Load every dataset (:func:`check_datasets`); unavailable ones are noted, corrupted ones raise."""
        unavailable = check_datasets(datasets)
        summary.unavailable.update(unavailable)
        return [name for name in datasets if name not in unavailable]

    def pending(self, jobs: list[Job], usable: set[str], summary: RunSummary) -> list[Job]:
        """The jobs to run: those on ``usable`` datasets the store does not hold, or holds with a status to
        retry or from a worker that died (``rerun_on_resume``); a bad record file counts as absent.
        The others are counted as skipped."""
        pending = []
        for job in jobs:
            if job.dataset not in usable or (job.eval_dataset is not None and job.eval_dataset not in usable):
                continue
            stored = self.store.get(job.method, job.key)
            if stored is None or stored["status"] in self.retry or stored.get("rerun_on_resume"):
                pending.append(job)
            else:
                summary.skipped += 1
        return pending

    def split(self, job: Job) -> Split:
        """The job's split from the store (created and stored on first use)."""
        labels = episode_view(catalog.load(job.dataset), job.protocol, job.seed).labels
        return self.store.split(job.dataset, job.protocol, job.seed, labels,
                                lambda: make_split(labels, job.protocol, job.seed))

    def record(self, summary: RunSummary, job: Job, result: Result) -> None:
        """Store a finished job's artifacts, then its record (a record implies its artifacts); count, report."""
        record = result.record
        if result.trace or result.tables:
            import pandas as pd  # here: most runs keep neither, and need not import pandas

            if result.trace:
                self.store.put_trace(job.key, pd.DataFrame(result.trace))
            for name, rows in result.tables.items():
                self.store.put_table(job.key, name, pd.DataFrame(rows))
        if result.modules is not None:
            self.store.put_modules(job.key, result.modules)
        if result.state is not None:
            self.store.put_model(job.key, result.state)
        self.store.put(record)
        summary.executed += 1
        summary.failed += record["status"] != "ok"
        self.on_record(job, record)

    def run(self, jobs: list[Job]) -> RunSummary:
        """Run each distinct job the store lacks (:meth:`pending`) and store its record.

        Every dataset is verified first, before the store is touched; then the store's lock is held
        until the last record is stored, so a second run on this store refuses (:class:`.store.StoreLocked`).
        """
        jobs = list({job.key: job for job in jobs}.values())
        summary = RunSummary(planned=len(jobs))
        names = dict.fromkeys(d for job in jobs for d in (job.dataset, job.eval_dataset) if d is not None)
        usable = set(self.verify(list(names), summary))
        with self.store.lock():
            pending = self.pending(jobs, usable, summary)
            if pending:
                self.execute_pending(pending, summary)
        return summary

    def execute_pending(self, pending: list[Job], summary: RunSummary) -> None:
        """Execute and record ``pending`` in order: in this process, or in a worker with a time or memory limit."""
        groups = [list(group) for _, group in itertools.groupby(pending, key=lambda job: job.dataset)]
        if self.time_limit_s is not None or self.memory_limit_mb is not None:
            run_in_workers(self, groups, 1, summary, Runner)
            return
        for group in groups:
            dataset = group[0].dataset
            with timed() as clock:
                prepared: dict[tuple, tuple[Any, float]] = {}
                for job in group:
                    self.record(summary, job, self.execute(job, catalog.load(dataset), self.split(job), prepared))
            summary.seconds_per_dataset[dataset] = summary.seconds_per_dataset.get(dataset, 0.0) + clock.seconds

    def execute(self, job: Job, data: NodeDataset, split: Split, prepared: dict) -> Result:
        """Run one job on ``split``; ``prepared`` caches ``prepare`` per (method, params) across calls.

        ``data`` is the catalog's dataset; an n-way episode's methods see only its classes (``episode_view``).
        A transfer job is trained on ``data`` and scored on every labelled node of ``job.eval_dataset``.
        """
        torch.set_num_threads(self.threads)
        data = episode_view(data, job.protocol, job.seed).to(self.device)
        method = (self.factories.get(job.method) or method_entry(job.method).factory)()
        record = self._base_record(job, data, split.digest)
        result = Result(record)
        memory = PeakMemory(self.device)
        memory.start()
        try:
            with time_limit(self.time_limit_s), limited_memory(self.memory_limit_mb), reading_runs(self.runs):
                state, record["prepare_seconds"] = self._prepare(method, job, data, prepared)
                with timed() as fit_clock:
                    fitted = method.fit(data, split, job.params_dict, job.seed, state)
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
            if job.eval_dataset is not None:
                record["test"] = self._transfer_scores(fitted, job)
            if job.params_dict.get("profile_inference", False):
                record.update(inference_profile(fitted.predict, self.device))
                record["profiles"] = {name: inference_profile(part, self.device)
                                      for name, part in fitted.profiles.items()}
            result.trace = _jsonable(fitted.trace)
            result.tables = {name: _jsonable(rows) for name, rows in fitted.tables.items() if rows}
            result.modules = fitted.modules
            result.state = fitted.state if self.keep_models else None
        except TimedOut as exc:
            record.update(status="timeout", reason=f"{exc} ({self.time_limit_s} s)", time_limit_s=self.time_limit_s)
        except Exception as exc:  # any other failure of this run is recorded, the suite goes on
            if out_of_memory(exc):
                limit = "" if self.memory_limit_mb is None else f" (--memory-limit {self.memory_limit_mb} MB)"
                record.update(status="oom", reason=f"{exc.__class__.__name__}: {str(exc)[:300]}{limit}")
            else:
                record.update(status="failed", reason=f"{exc.__class__.__name__}: {str(exc)[:300]}",
                              traceback=traceback.format_exc(limit=-3))
        record["peak_memory_mb"] = memory.stop()
        record["memory_probe"] = memory.probe
        record["finished_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        return result

    def _transfer_scores(self, fitted, job: Job) -> dict[str, float]:
        """Metrics on every labelled node of the evaluation dataset (nothing of it was seen in training)."""
        if fitted.predict_on is None:
            raise TypeError(f"{job.method} cannot predict on another dataset (its Fitted has no predict_on)")
        target = catalog.load(job.eval_dataset).to(self.device)
        return evaluate(fitted.predict_on(target), target.labels, target.labelled)

    @staticmethod
    def _prepare(method: Method, job: Job, data: NodeDataset, cache: dict) -> tuple[Any, float]:
        """Run (or reuse) the split-independent step; the seconds are those of the one shared run."""
        key = (job.method, job.params)
        if key not in cache:
            with timed() as clock:
                state = method.prepare(data, job.params_dict)
            cache[key] = (state, clock.seconds)
        return cache[key]

    def _base_record(self, job: Job, data: NodeDataset, split_digest: str) -> dict:
        return {
            "key": job.key, "method": job.method, "params": job.params_dict, "config": job.config_dict,
            "dataset": job.dataset, "eval_dataset": job.eval_dataset, "protocol": job.protocol,
            "shots": protocol_shots(job.protocol), "seed": job.seed, "split_id": job.seed,
            "split_digest": split_digest, "task": data.task.value,
            "status": None, "reason": None, "val": None, "test": None, "train": None,
            "fit_seconds": None, "predict_seconds": None, "prepare_seconds": None, "diagnostics": {},
            "code_version": self.version, "environment": environment(self.device), "data_sha256": data.sources,
            "executor": self.executor,
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
