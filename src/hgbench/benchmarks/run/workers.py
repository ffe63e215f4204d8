"""Worker processes that execute jobs for an executor: the pool's workers, and the sequential
executor's one worker when its runs have a time limit.

* Workers are forked by a fork server that has only imported this package (never forked from the
  parent: a fork after PyTorch's OpenMP threads have run can hang the child; spawned where there is
  no fork server). Each builds a runner with the parent's settings and runs its
  :meth:`~.runner.Runner.execute` (its ``torch.set_num_threads`` and timers) on the splits the parent
  passes it, sending each result as its job finishes.
* The parent is the only writer to the store: it creates the splits before dispatching and stores
  every record as it arrives, so an interrupted run resumes like a sequential one.
* Hard time limits: a worker tells the parent when each job starts; a job still running
  :func:`hard_limit_s` after that (its time limit plus a grace in which the cooperative deadline,
  :func:`hgbench.methods.base.check_deadline`, fires first when the method polls it) has its worker
  killed and is recorded ``timeout``, naming the limit; a new worker takes the rest of its chunk.
* Memory limits (``--memory-limit MB``): as each run starts (its dataset loaded, its method's code
  imported), :meth:`~.runner.Runner.execute` caps the worker's address space at what it maps then plus
  ``MB`` (:func:`limited_memory`), so a run that allocates past it fails inside the worker (MemoryError,
  or torch's allocator error) and is recorded ``oom``; the worker goes on.
* A worker that dies (killed, e.g. by the out-of-memory killer, or crashed) is replaced by a new one
  that runs the job it was running once more, in the same run (the job's record then names the death
  in ``retried_after``). A job whose worker dies twice is a ``failed`` record naming the signal or exit
  code, marked ``rerun_on_resume``: a plain ``bench run`` runs it again (a death is not a property of
  the job); a new worker takes the rest of its chunk and the suite goes on.
* A SIGTERM to the parent (``kill``, SLURM's cancellation or time limit) stops it as Ctrl-C does: its workers
  are killed (their running jobs have no record; a rerun does them) instead of finishing their jobs as orphans,
  after the results they had already sent are stored; a SIGTERM that arrives while a record is being stored
  waits for it.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import signal
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any, Callable, Iterator

from ...datasets import catalog
from ...datasets.splits import Split
from .executors import Result, RunSummary
from .plan import Job
from .profile import timed
from .registry import method_entry

if TYPE_CHECKING:
    from .runner import Runner

Chunk = list[tuple[Job, Split]]


_STARTED = "started"  # a worker's message: the job at the head of its chunk starts now


def hard_limit_s(time_limit_s: float) -> float:
    """Seconds after which a run is killed: its limit plus 10 % (at least 1 s), so a method that polls its
    deadline stops by itself first and the scoring after ``predict`` has time to finish."""
    return time_limit_s + max(1.0, 0.1 * time_limit_s)


def _work(conn: Connection, environ: dict[str, str], make_runner: Callable[[], Any],
          attributes: dict[str, Any]) -> None:
    """Worker loop: for every chunk received, send ``_STARTED`` as each job starts and ``(result, seconds)``
    as it finishes; stop on ``None``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the workers
    os.environ.clear()  # the parent's environment now (e.g. HGBENCH_DATA), not the fork server's
    os.environ.update(environ)
    runner = make_runner()  # with store=None: a worker never stores
    vars(runner).update(attributes)
    while (chunk := conn.recv()) is not None:
        prepared: dict[tuple, tuple[Any, float]] = {}
        for job, split in chunk:
            with timed() as clock:
                data = catalog.load(job.dataset)
                conn.send(_STARTED)
                result = runner.execute(job, data, split, prepared)
            conn.send((result, clock.seconds))


@contextlib.contextmanager
def limited_memory(megabytes: int | None) -> Iterator[None]:
    """For the block, let this process map at most ``megabytes`` more than it maps now (the soft ``RLIMIT_AS``;
    what it maps now, torch's libraries and the loaded dataset, does not count): an allocation past it fails
    with MemoryError or torch's allocator error instead of meeting the kernel's OOM killer. None: no limit."""
    if megabytes is None:
        yield
        return
    import resource  # POSIX only, like the fork server

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = _mapped_bytes() + megabytes * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _mapped_bytes() -> int:
    """This process's address space (``VmSize``; 0 where there is no ``/proc``, the limit is then absolute)."""
    with contextlib.suppress(OSError):
        for line in open("/proc/self/status"):
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


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
    deadline: float | None = None  # time.monotonic() at which its running job is killed


def run_in_workers(runner: Runner, groups: list[list[Job]], size: int, summary: RunSummary,
                   worker_class: Callable[..., Runner]) -> None:
    """Execute each group of jobs, in order, on one of ``size`` worker processes, each running a
    ``worker_class`` built with ``runner``'s settings; ``runner`` records every result (and the jobs of
    workers that died or were killed)."""
    context = _context()
    attributes = dict(executor=runner.executor, version=runner.version,
                      factories=_portable_factories({job.method for group in groups for job in group},
                                                    runner.factories))
    chunks = deque([(job, runner.split(job)) for job in group] for group in groups)
    workers: list[_Worker] = []
    deaths: dict[str, str] = {}  # job key -> how its worker died the first time (the job is run once more)
    with _terminate_as_exit():
        try:
            while chunks or any(worker.chunk for worker in workers):
                for worker in workers:
                    if not worker.chunk and chunks:
                        _dispatch(worker, chunks.popleft())
                while chunks and len(workers) < size:
                    workers.append(_spawn(context, runner, worker_class, attributes))
                    _dispatch(workers[-1], chunks.popleft())
                for worker in _ready(workers):
                    if not _receive(runner, worker, summary, deaths):  # the worker died
                        workers.remove(worker)
                        _retry_or_bury(runner, worker, summary, chunks, deaths)
                for worker in [w for w in workers if _overdue(w)]:
                    if not _receive(runner, worker, summary, deaths) or not _overdue(worker):
                        continue  # it finished (or died) just now: its record is stored, or is on the next round
                    worker.process.kill()
                    worker.process.join()
                    workers.remove(worker)
                    _bury(runner, worker, summary, chunks, killed_record)
        except (KeyboardInterrupt, SystemExit):  # Ctrl-C, SIGTERM: store the results the workers already sent
            for worker in workers:
                if worker.chunk:
                    _receive(runner, worker, summary, deaths)
            raise
        finally:
            for worker in workers:
                if worker.chunk:  # interrupted: its running job has no record, a rerun does it
                    worker.process.kill()
                else:
                    with contextlib.suppress(OSError):  # it may have died idle
                        worker.conn.send(None)
                worker.process.join()


_SIGTERM_EXIT = 128 + signal.SIGTERM
_deferring = {"depth": 0, "pending": False}  # SIGTERMs that arrive while a record is being stored wait for it


@contextlib.contextmanager
def _terminate_as_exit() -> Iterator[None]:
    """While the workers run, SIGTERM raises ``SystemExit(143)`` in the parent (when it runs in the main thread), so
    that :func:`run_in_workers` kills its workers on the way out, as after Ctrl-C; inside :func:`_sigterm_deferred`
    it waits for the block to end."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def exit_on_sigterm(signum, frame):
        if _deferring["depth"]:
            _deferring["pending"] = True
            return
        raise SystemExit(_SIGTERM_EXIT)

    previous = signal.signal(signal.SIGTERM, exit_on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _sigterm_deferred() -> Iterator[None]:
    """A SIGTERM that arrives in the block stops the run when the block ends (a record is stored whole)."""
    _deferring["depth"] += 1
    try:
        yield
    finally:
        _deferring["depth"] -= 1
        if not _deferring["depth"] and _deferring["pending"]:
            _deferring["pending"] = False
            raise SystemExit(_SIGTERM_EXIT)


def _portable_factories(methods: set[str], known: dict[str, Callable] | None = None) -> dict[str, Callable]:
    """The parent's factories of ``methods`` that pickle (classes, module-level functions), so a method
    registered at run time (a plugin, a test) runs in the workers too; the others (the built-in
    lambdas) are looked up by name in the worker's own registry. ``known`` (a runner's own factories,
    e.g. those a cluster task received from its parent) come before the registry's."""
    portable = {}
    for name in sorted(methods):
        factory = (known or {}).get(name) or method_entry(name).factory
        with contextlib.suppress(pickle.PicklingError, AttributeError, TypeError):
            pickle.dumps(factory)
            portable[name] = factory
    return portable


def _overdue(worker: _Worker) -> bool:
    return worker.deadline is not None and time.monotonic() >= worker.deadline


def _spawn(context: multiprocessing.context.BaseContext, runner: Runner, worker_class: Callable[..., Runner],
           attributes: dict[str, Any]) -> _Worker:
    parent, child = context.Pipe()
    make_runner = partial(worker_class, store=None, time_limit_s=runner.time_limit_s, device=runner.device,
                          threads=runner.threads, keep_models=runner.keep_models,
                          reads_from=runner.reads_from, memory_limit_mb=runner.memory_limit_mb)
    args = (child, dict(os.environ), make_runner, attributes)
    process = context.Process(target=_work, args=args, daemon=True)
    process.start()
    child.close()  # the worker holds the only copy: its death closes the pipe
    return _Worker(process, parent)


def _dispatch(worker: _Worker, chunk: Chunk) -> None:
    worker.chunk = deque(chunk)
    worker.conn.send(chunk)


def _ready(workers: list[_Worker]) -> list[_Worker]:
    """The workers with messages or dead, waiting at most until the earliest deadline."""
    deadlines = [w.deadline for w in workers if w.deadline is not None]
    timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
    ready = set(wait([w.conn for w in workers] + [w.process.sentinel for w in workers], timeout))
    return [w for w in workers if w.conn in ready or w.process.sentinel in ready]


def _receive(runner: Runner, worker: _Worker, summary: RunSummary, deaths: dict[str, str]) -> bool:
    """Note the jobs the worker has started and store the records it has sent (a job run again after its
    worker died says how, ``retried_after``); False when the worker has died."""
    try:
        while worker.conn.poll():
            message = worker.conn.recv()
            if isinstance(message, str):  # _STARTED
                limit = runner.time_limit_s
                worker.deadline = None if limit is None else time.monotonic() + hard_limit_s(limit)
                continue
            result, seconds = message
            worker.deadline = None
            with _sigterm_deferred():  # a SIGTERM now stops the run once the record is stored
                job, _ = worker.chunk.popleft()
                if job.key in deaths:
                    result.record["retried_after"] = deaths[job.key]
                summary.seconds_per_dataset[job.dataset] = summary.seconds_per_dataset.get(job.dataset, 0.0) + seconds
                runner.record(summary, job, result)
    except (EOFError, OSError):  # the pipe closed: the worker is gone
        worker.process.join()
    return worker.process.exitcode is None


def _retry_or_bury(runner: Runner, worker: _Worker, summary: RunSummary, chunks: deque,
                   deaths: dict[str, str]) -> None:
    """A worker died: its running job goes first to a new worker the first time, with the rest of its chunk;
    the second time it is recorded ``failed`` (:func:`died_record`)."""
    if not worker.chunk:
        return
    job, _ = worker.chunk[0]
    if job.key not in deaths:
        deaths[job.key] = death_cause(worker.process.exitcode)
        chunks.appendleft(list(worker.chunk))
        return
    _bury(runner, worker, summary, chunks, partial(died_record, exitcode=worker.process.exitcode,
                                                   first=deaths[job.key]))


def _bury(runner: Runner, worker: _Worker, summary: RunSummary, chunks: deque,
          make_record: Callable[[Runner, Job, Split], dict]) -> None:
    """Store ``make_record``'s record of the gone worker's running job; queue the rest of its chunk."""
    if not worker.chunk:
        return
    job, split = worker.chunk.popleft()
    runner.record(summary, job, Result(make_record(runner, job, split)))
    if worker.chunk:
        chunks.appendleft(list(worker.chunk))


def _lost_record(runner: Runner, job: Job, split: Split, **outcome: Any) -> dict:
    """The record of a job whose worker is gone, made by the parent (which sets no thread count itself)."""
    record = runner._base_record(job, catalog.load(job.dataset), split.digest)
    record["environment"]["torch_threads"] = runner.threads  # the worker's, not this process's
    record.update(peak_memory_mb=None, finished_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                  **outcome)
    return record


def death_cause(exitcode: int | None) -> str:
    """How a worker process died: the signal's name or the exit code."""
    code = exitcode if exitcode is not None else 0
    cause = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
    hint = " (SIGKILL: often the kernel's out-of-memory killer)" if code == -signal.SIGKILL else ""
    return f"worker process died ({cause}{hint})"


def died_record(runner: Runner, job: Job, split: Split, exitcode: int | None, first: str | None = None) -> dict:
    """The record of a job whose process died: ``failed``, naming the signal or exit code (and ``first``, how
    its worker died the first time, when it was run once more)."""
    again = f"; run once more after the first death ({first}), it died again" if first else ""
    return _lost_record(runner, job, split, status="failed", rerun_on_resume=True, memory_probe="worker died",
                        reason=f"{death_cause(exitcode)} while running this job{again}")


def killed_record(runner: Runner, job: Job, split: Split) -> dict:
    """The record of a job whose worker was killed at its hard time limit: ``timeout``, naming the limit."""
    limit = runner.time_limit_s
    return _lost_record(runner, job, split, status="timeout", memory_probe="worker killed", time_limit_s=limit,
                        reason=f"time limit exceeded ({limit} s): the run never checked its deadline and its "
                               f"worker process was killed after {hard_limit_s(limit):.1f} s")
