"""``bench run --executor slurm|ray``: the pool's chunks run as cluster tasks; the parent stores every record.

Work is chunked as in :mod:`.pool` (one chunk per (dataset, method, params) with all its seeds). The
parent creates every chunk's splits (the store's) before submitting it and sends them with it. Each
chunk runs as one cluster task (a SLURM job-array element through submitit, or a Ray task); the task
is a supervisor that runs the chunk with :func:`.workers.run_in_workers` in one child process, so a
run that passes its time limit is killed and recorded ``timeout``, and a run whose process dies (e.g.
the out-of-memory killer's SIGKILL) is recorded ``failed`` naming the signal and marked
``rerun_on_resume``, exactly as in the pool. The task hands each result back as its job finishes (Ray:
a streaming generator; SLURM: one pickle per job in a scratch folder beside the store); the parent
stores it, so it stays the only writer of the store and an interrupted run resumes like a sequential
one (keys are content hashes: a stored job is never run again).

SLURM tasks outlive their parent: when ``bench run`` is killed, its tasks go on and leave their
results in the scratch folder; the next run stores those (:meth:`SlurmRunner.harvest`) instead of
running their jobs again. (A Ray driver's tasks die with it; their unstored jobs run again.)

A task that is lost as a whole (its node or its Ray worker died, SLURM cancelled it or ended it at
``--slurm-time``) is submitted again once with its running job (the first it had not returned) and
the rest of its chunk; that job's record then names the loss (``retried_after``). Lost a second time,
the running job becomes a ``failed`` record naming both causes, marked ``rerun_on_resume``, and the
rest of its chunk is submitted again.

submitit and Ray are optional (``pip install hgbench[slurm]`` / ``hgbench[ray]``): this module
imports them only when a run starts (:func:`require`), and the core never imports this module.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import pickle
import queue
import shutil
import subprocess
import threading
import time
import uuid
from collections import deque
from pathlib import Path
from typing import Any, Callable

from ...datasets.splits import Split
from .executors import Result, RunSummary
from .plan import Job
from .pool import chunked
from .runner import Runner
from .store import Store
from .workers import _lost_record, _portable_factories, run_in_workers

EXTRAS = {"ray": ("ray", "ray"), "slurm": ("submitit", "slurm")}  # executor -> (module, pip extra)


class MissingExtra(ImportError):
    """The executor's optional dependency is not installed; the message names the extra to install."""


def require(executor: str) -> Any:
    """The module the executor needs (``ray``, ``submitit``), or :class:`MissingExtra` naming the extra."""
    module, extra = EXTRAS[executor]
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtra(f"--executor {executor} needs {module}, which is not installed ({exc}); "
                           f"install it with: pip install 'hgbench[{extra}]'") from None


# ----------------------------------------------------------------------------- in the cluster task
class _Relay(Runner):
    """Runs a chunk inside a cluster task: :func:`run_in_workers` executes it in one child process and
    every result (and every record of a child that died or was killed) goes to ``emit``, never a store."""

    def __init__(self, settings: dict, splits: dict[str, Split], emit: Callable[[str, Result, float], None]):
        super().__init__(None, **settings["options"])
        vars(self).update(settings["attributes"])
        self.splits, self.emit = splits, emit

    def split(self, job: Job) -> Split:
        return self.splits[job.key]

    def record(self, summary: RunSummary, job: Job, result: Result) -> None:
        seconds = summary.seconds_per_dataset.pop(job.dataset, 0.0)  # run_in_workers adds each job's seconds
        self.emit(job.key, result, seconds)


def supervise(jobs: list[Job], splits: dict[str, Split], settings: dict,
              emit: Callable[[str, Result, float], None]) -> None:
    """Run one chunk in this (cluster task's) process: ``emit(key, result, seconds)`` as each job finishes."""
    os.environ.update(settings["environ"])
    run_in_workers(_Relay(settings, splits, emit), [jobs], 1, RunSummary(), Runner)


_END = object()


def ray_chunk(jobs: list[Job], splits: dict[str, Split], settings: dict):
    """The Ray task (a streaming generator): yields ``(key, result, seconds)`` as each job of the chunk finishes."""
    events: queue.Queue = queue.Queue()

    def work() -> None:
        try:
            supervise(jobs, splits, settings, lambda *event: events.put(event))
            events.put(_END)
        except BaseException as exc:  # handed to the generator, which raises it into the parent
            events.put(exc)

    threading.Thread(target=work, daemon=True).start()
    while (event := events.get()) is not _END:
        if isinstance(event, BaseException):
            raise event
        yield event


def slurm_chunk(jobs: list[Job], splits: dict[str, Split], settings: dict, events: str) -> int:
    """The submitit task: writes ``(key, result, seconds)`` of each finished job to ``events/<n>.pkl``
    (atomically, numbered in order) for the parent to store; returns how many it wrote."""
    folder = Path(events)
    folder.mkdir(parents=True, exist_ok=True)
    written = 0

    def emit(key: str, result: Result, seconds: float) -> None:
        nonlocal written
        tmp = folder / f".{written:06d}.tmp"
        tmp.write_bytes(pickle.dumps((key, result, seconds)))
        os.replace(tmp, folder / f"{written:06d}.pkl")
        written += 1

    supervise(jobs, splits, settings, emit)
    return written


# ----------------------------------------------------------------------------- in the parent
class _Task:
    """A submitted chunk: its jobs not yet returned (``[0]`` is the one running) and their splits."""

    def __init__(self, jobs: list[Job], splits: dict[str, Split], handle: Any = None) -> None:
        self.remaining = deque(jobs)
        self.splits = splits
        self.handle = handle  # the Ray generator or the submitit job
        self.events: Path | None = None  # SLURM: the folder the task writes its results to
        self.returned = 0  # SLURM: results read from it so far


class ClusterRunner(Runner):
    """Runs chunks of jobs as cluster tasks (:meth:`drive`); the same records as :class:`Runner` but for
    ``executor``. Subclasses submit a chunk and collect what its task returned."""

    def settings(self, pending: list[Job]) -> dict:
        """What a task needs to build the parent's runner: options, record attributes, HGBENCH_* variables."""
        return {
            "options": dict(time_limit_s=self.time_limit_s, device=self.device, threads=self.threads,
                            keep_models=self.keep_models, memory_limit_mb=self.memory_limit_mb,
                            reads_from=self.reads_from),  # read-only: a shared FS
            "attributes": dict(executor=self.executor, version=self.version,
                               factories=_portable_factories({job.method for job in pending}, self.factories)),
            "environ": {name: value for name, value in os.environ.items() if name.startswith("HGBENCH_")},
        }

    def execute_pending(self, pending: list[Job], summary: RunSummary) -> None:
        waiting = deque(_Task(group, {job.key: self.split(job) for job in group}) for group in chunked(pending))
        self.losses: dict[str, str] = {}  # job key -> why the task running it was lost the first time
        self.drive(waiting, self.settings(pending), summary)

    def drive(self, waiting: deque[_Task], settings: dict, summary: RunSummary) -> None:
        raise NotImplementedError

    def receive(self, task: _Task, summary: RunSummary, key: str, result: Result, seconds: float) -> None:
        """Store a result a task returned (for the job at the head of its chunk)."""
        job = task.remaining.popleft()
        if job.key != key:
            raise RuntimeError(f"task returned job {key}, expected {job.key}")
        summary.seconds_per_dataset[job.dataset] = summary.seconds_per_dataset.get(job.dataset, 0.0) + seconds
        if job.key in self.losses:
            result.record["retried_after"] = self.losses[job.key]
        self.record(summary, job, result)

    def lost(self, task: _Task, summary: RunSummary, cause: str, waiting: deque[_Task]) -> None:
        """A task is gone: the first time, its running job and the rest of its chunk are queued again; the
        second time, its running job becomes ``failed`` (rerun on resume) and the rest is queued again."""
        if not task.remaining:
            return
        job = task.remaining[0]
        if job.key not in self.losses:
            self.losses[job.key] = f"cluster task lost ({cause})"
            waiting.appendleft(_Task(list(task.remaining), task.splits))
            return
        task.remaining.popleft()
        record = _lost_record(self, job, task.splits[job.key], status="failed", rerun_on_resume=True,
                              memory_probe="task lost",
                              reason=f"cluster task lost ({cause}) while running this job; submitted once more "
                                     f"after the first loss ({self.losses[job.key]}), it was lost again")
        self.record(summary, job, Result(record))
        if task.remaining:
            waiting.appendleft(_Task(list(task.remaining), task.splits))


class RayRunner(ClusterRunner):
    """Each chunk is a Ray task (``num_cpus = threads``) on the cluster at ``address`` (default: the Ray
    instance this process is connected to, else a local one started for the run and stopped after it)."""

    executor = "ray"

    def __init__(self, store: Store, address: str | None = None, **options: Any) -> None:
        super().__init__(store, **options)
        self.address = address

    def drive(self, waiting: deque[_Task], settings: dict, summary: RunSummary) -> None:
        ray = require("ray")
        started = not ray.is_initialized()
        if started:
            ray.init(address=self.address, include_dashboard=False, log_to_driver=False)
        remote = ray.remote(num_cpus=self.threads, max_retries=0)(ray_chunk)
        running: dict[Any, _Task] = {}
        try:
            while waiting or running:
                while waiting:
                    task = waiting.popleft()
                    task.handle = remote.remote(list(task.remaining), task.splits, settings)
                    running[task.handle] = task
                ready, _ = ray.wait(list(running), num_returns=1)
                for handle in ready:
                    task = running[handle]
                    try:
                        key, result, seconds = ray.get(next(handle))
                    except StopIteration:
                        del running[handle]
                        self.lost(task, summary, "its Ray task ended early", waiting)
                    except ray.exceptions.RayError as exc:
                        del running[handle]
                        self.lost(task, summary, f"{exc.__class__.__name__}: {str(exc).splitlines()[0]}", waiting)
                    else:
                        self.receive(task, summary, key, result, seconds)
        finally:
            for handle in running:  # interrupted: their running jobs have no record, a rerun does them
                with contextlib.suppress(Exception):
                    ray.cancel(handle, force=True)
            if started:
                ray.shutdown()


class SlurmRunner(ClusterRunner):
    """Chunks as SLURM job arrays through submitit (``cluster="local"``: submitit's local executor, for
    tests and for trying a setup on one machine). Logs and the tasks' returned results go to ``folder``
    (default: ``slurm/`` beside the store); it must be on a file system the cluster's nodes share."""

    executor = "slurm"

    def __init__(self, store: Store, folder: Path | str | None = None, cluster: str = "slurm",
                 partition: str | None = None, time_min: int | None = None, mem: str | None = None,
                 cpus_per_task: int | None = None, max_concurrent: int | None = None,
                 poll_s: float | None = None, **options: Any) -> None:
        super().__init__(store, **options)
        if cluster not in ("slurm", "local"):
            raise ValueError(f"cluster must be slurm or local, got {cluster!r}")
        self.folder = Path(folder) if folder is not None else Path(store.root).parent / "slurm"
        self.cluster = cluster
        self.partition, self.time_min, self.mem = partition, time_min, mem
        self.cpus_per_task = cpus_per_task or self.threads
        self.max_concurrent = max_concurrent
        self.poll_s = poll_s if poll_s is not None else 0.5  # a look for result files (sacct: rarely)

    def execute_pending(self, pending: list[Job], summary: RunSummary) -> None:
        pending = self.harvest(pending, summary)
        if pending:
            super().execute_pending(pending, summary)

    def harvest(self, pending: list[Job], summary: RunSummary) -> list[Job]:
        """Store the results that tasks of an earlier run returned after that run's parent was gone (they
        ran; nobody stored them) instead of running their jobs again; the jobs still to run."""
        by_key = {job.key: job for job in pending}
        for path in sorted((self.folder / "events").glob("*/*/*.pkl")):
            try:
                key, result, seconds = pickle.loads(path.read_bytes())
            except Exception:  # not one of ours, or unreadable: left alone
                continue
            record = result.record
            if key not in by_key or record["status"] in self.retry or record.get("rerun_on_resume"):
                continue
            job = by_key.pop(key)
            summary.seconds_per_dataset[job.dataset] = summary.seconds_per_dataset.get(job.dataset, 0.0) + seconds
            self.record(summary, job, result)
            path.unlink(missing_ok=True)
        return [job for job in pending if job.key in by_key]

    def executor_for(self, submitit: Any) -> Any:
        executor = submitit.AutoExecutor(folder=self.folder / "%j", cluster=self.cluster)
        parameters: dict[str, Any] = dict(name="hgbench", cpus_per_task=self.cpus_per_task)
        if self.time_min is not None:
            parameters["timeout_min"] = self.time_min
        if self.cluster == "slurm":
            parameters.update(slurm_partition=self.partition, slurm_mem=self.mem,
                              slurm_array_parallelism=self.max_concurrent)
        executor.update_parameters(**{k: v for k, v in parameters.items() if v is not None})
        return executor

    def drive(self, waiting: deque[_Task], settings: dict, summary: RunSummary) -> None:
        submitit = require("slurm")
        executor = self.executor_for(submitit)
        events = self.folder / "events" / uuid.uuid4().hex
        running: list[_Task] = []
        try:
            while waiting or running:
                room = len(waiting) if self.cluster == "slurm" else (self.max_concurrent or 2) - len(running)
                submitted = [waiting.popleft() for _ in range(min(room, len(waiting)))]
                with executor.batch() if submitted else contextlib.nullcontext():  # one job array on SLURM
                    for task in submitted:
                        task.events = events / uuid.uuid4().hex
                        task.handle = executor.submit(slurm_chunk, list(task.remaining), task.splits, settings,
                                                      str(task.events))
                running += submitted
                for task in list(running):
                    done = task.handle.done()  # before reading: a task that is done has written everything
                    self.collect(task, summary)
                    if done:
                        running.remove(task)
                        if task.remaining:
                            self.lost(task, summary, _slurm_cause(task.handle), waiting)
                        shutil.rmtree(task.events, ignore_errors=True)
                if running:
                    time.sleep(self.poll_s)
        finally:
            for task in running:  # interrupted: their running jobs have no record, a rerun does them
                with contextlib.suppress(Exception):
                    task.handle.cancel(check=False)
            shutil.rmtree(events, ignore_errors=True)

    def collect(self, task: _Task, summary: RunSummary) -> None:
        """Store the results the task has written since the last look, in order."""
        while (path := task.events / f"{task.returned:06d}.pkl").exists():
            key, result, seconds = pickle.loads(path.read_bytes())
            task.returned += 1
            self.receive(task, summary, key, result, seconds)


def _slurm_cause(job: Any) -> str:
    """Why a submitit job ended without returning all its results: its state, SLURM's exit code (the
    signal after the colon), the exception it raised."""
    parts = [f"job {job.job_id}", f"state {job.state}"]
    process = getattr(job, "_process", None)  # the local executor's task controller
    if process is not None and process.poll() is not None:
        parts.append(f"exit code {process.returncode}")
    else:
        with contextlib.suppress(OSError, subprocess.SubprocessError, ValueError):
            out = subprocess.run(["sacct", "-j", str(job.job_id), "-o", "ExitCode", "-n", "--parsable2"],
                                 capture_output=True, text=True, timeout=30).stdout.split()
            if out and ":" in out[0]:
                code, sig = (int(part) for part in out[0].split(":", 1))
                parts.append(f"signal {sig}" if sig else f"exit code {code}")
    with contextlib.suppress(Exception):
        exception = job.exception()
        if exception is not None:
            parts.append(str(exception).strip().splitlines()[-1][:200])
    return ", ".join(parts)


def make_cluster_runner(executor: str, store: Store, **options: Any) -> ClusterRunner:
    """The runner of ``--executor`` (``slurm`` or ``ray``); :class:`MissingExtra` if its package is absent."""
    require(executor)
    if executor == "ray":
        return RayRunner(store, **options)
    return SlurmRunner(store, **options)
