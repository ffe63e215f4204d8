"""``bench run --jobs N``: a local process pool for accuracy sweeps (its timings are never reported).

* Work is chunked: one chunk per (dataset, method, config) with all its seeds, so a worker loads
  the dataset (memoised per process) and runs the method's ``prepare`` once per chunk.
* ``N`` worker processes, forked by a fork server that has only imported this package (never
  forked from the parent: a fork after PyTorch's OpenMP threads have run can hang the child;
  spawned where there is no fork server), run ``torch.set_num_threads(1)`` and
  :meth:`Runner.execute`, the sequential executor's code, on the splits the parent passes them,
  sending each record as its job finishes.
* The parent is the only writer to the store: it creates the splits before dispatching and
  stores every record as it arrives, so an interrupted pool run resumes like a sequential one.
* A worker that dies (killed, e.g. by the out-of-memory killer, or crashed) turns the job it was
  running into a ``failed`` record naming the signal or exit code, marked ``rerun_on_resume``: a plain
  ``bench run`` runs it again (a death is not a property of the job); a new worker takes the rest of
  its chunk and the suite goes on.

Records say ``executor = "pool-N"``; ``seconds_per_dataset`` sums the workers' time per dataset.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from multiprocessing.connection import Connection, wait
from typing import Any, Callable, Iterable

import torch

from ...datasets import catalog
from ...datasets.splits import Split
from .profile import timed
from .plan import Job
from .runner import Result, Runner, RunSummary
from .store import Store

Chunk = list[tuple[Job, Split]]


def _work(conn: Connection, environ: dict[str, str], time_limit_s: float | None, executor: str, device: str) -> None:
    """Worker loop: for every chunk received, send ``(record, seconds)`` as each job finishes; stop on ``None``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the workers
    os.environ.clear()  # the parent's environment now (e.g. HGBENCH_DATA), not the fork server's
    os.environ.update(environ)
    runner = Runner(store=None, time_limit_s=time_limit_s, device=device)  # type: ignore[arg-type]  # never stores
    runner.executor = executor
    while (chunk := conn.recv()) is not None:
        prepared: dict[tuple, tuple[Any, float]] = {}
        for job, split in chunk:
            with timed() as clock:
                result = runner.execute(job, catalog.load(job.dataset), split, prepared)
            conn.send((result, clock.seconds))


def _context() -> multiprocessing.context.BaseContext:
    """Forkserver (a clean server process that has imported this module forks the workers), else spawn."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


@dataclass
class _Worker:
    process: multiprocessing.process.BaseProcess
    conn: Connection
    chunk: deque = field(default_factory=deque)  # its chunk's (job, split) pairs not yet recorded; [0] is running


class PoolRunner(Runner):
    """Runs jobs on ``workers`` processes; the same records as :class:`Runner` with ``executor = "pool-N"``."""

    def __init__(self, store: Store, workers: int, time_limit_s: float | None = None,
                 on_record: Callable[[Job, dict], None] | None = None, retry: Iterable[str] = (),
                 device: str = "cpu") -> None:
        if workers < 2:
            raise ValueError(f"a pool needs at least 2 workers, got {workers} (use Runner)")
        super().__init__(store, time_limit_s, on_record, retry, device)
        self.workers = workers
        self.executor = f"pool-{workers}"
        self.context = _context()

    def run(self, jobs: list[Job]) -> RunSummary:
        summary, pending = self.pending(jobs)
        by_chunk: dict[tuple, list[Job]] = {}
        for job in pending:
            by_chunk.setdefault((job.dataset, job.method, job.params), []).append(job)
        chunks = deque([(job, self.split(job)) for job in group] for group in by_chunk.values())
        workers: list[_Worker] = []
        try:
            while chunks or any(worker.chunk for worker in workers):
                for worker in workers:
                    if not worker.chunk and chunks:
                        self._dispatch(worker, chunks.popleft())
                while chunks and len(workers) < self.workers:
                    workers.append(self._spawn())
                    self._dispatch(workers[-1], chunks.popleft())
                for worker in self._ready(workers):
                    if not self._receive(worker, summary):  # the worker died
                        workers.remove(worker)
                        self._bury(worker, summary, chunks)
        finally:
            for worker in workers:
                if worker.chunk:  # interrupted: its running job has no record, a rerun does it
                    worker.process.kill()
                else:
                    with contextlib.suppress(OSError):  # it may have died idle
                        worker.conn.send(None)
                worker.process.join()
        return summary

    def _spawn(self) -> _Worker:
        parent, child = self.context.Pipe()
        args = (child, dict(os.environ), self.time_limit_s, self.executor, self.device)
        process = self.context.Process(target=_work, args=args, daemon=True)
        process.start()
        child.close()  # the worker holds the only copy: its death closes the pipe
        return _Worker(process, parent)

    @staticmethod
    def _dispatch(worker: _Worker, chunk: Chunk) -> None:
        worker.chunk = deque(chunk)
        worker.conn.send(chunk)

    @staticmethod
    def _ready(workers: list[_Worker]) -> list[_Worker]:
        ready = set(wait([w.conn for w in workers] + [w.process.sentinel for w in workers]))
        return [w for w in workers if w.conn in ready or w.process.sentinel in ready]

    def _receive(self, worker: _Worker, summary: RunSummary) -> bool:
        """Store the records the worker has sent; False when it has died."""
        try:
            while worker.conn.poll():
                result, seconds = worker.conn.recv()
                job, _ = worker.chunk.popleft()
                summary.seconds_per_dataset[job.dataset] = summary.seconds_per_dataset.get(job.dataset, 0.0) + seconds
                self.record(summary, job, result)
        except (EOFError, OSError):  # the pipe closed: the worker is gone
            worker.process.join()
        return worker.process.exitcode is None

    def _bury(self, worker: _Worker, summary: RunSummary, chunks: deque) -> None:
        """Record the dead worker's running job as ``failed`` (rerun on resume); queue the rest of its chunk."""
        if not worker.chunk:
            return
        job, split = worker.chunk.popleft()
        self.record(summary, job, Result(died_record(self, job, split, worker.process.exitcode)))
        if worker.chunk:
            chunks.appendleft(list(worker.chunk))


def died_record(runner: Runner, job: Job, split: Split, exitcode: int | None) -> dict:
    """The record of a job whose process died: ``failed``, naming the signal or exit code."""
    record = runner._base_record(job, catalog.load(job.dataset), split.digest)
    code = exitcode if exitcode is not None else 0
    cause = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
    hint = " (SIGKILL: often the kernel's out-of-memory killer)" if code == -signal.SIGKILL else ""
    record.update(status="failed", reason=f"worker process died ({cause}{hint}) while running this job",
                  rerun_on_resume=True, peak_memory_mb=None, memory_probe="worker died",
                  finished_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    return record
