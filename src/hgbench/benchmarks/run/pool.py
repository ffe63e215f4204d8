"""``bench run --jobs N``: a local process pool for accuracy sweeps (its timings are never reported).

Work is chunked: one chunk per (dataset, method, params) with all its seeds, so a worker loads the
dataset (memoised per process) and runs the method's ``prepare`` once per chunk. The chunks run on
``N`` worker processes (:mod:`.workers`: fork server, hard time limits, dead workers); records say
``executor = "pool-N"``, and ``seconds_per_dataset`` sums the workers' time per dataset.
"""

from __future__ import annotations

from typing import Callable, Iterable

from .executors import RunSummary
from .plan import Job
from .runner import Runner
from .store import Store
from .workers import run_in_workers


class PoolRunner(Runner):
    """Runs jobs on ``workers`` processes; the same records as :class:`Runner` with ``executor = "pool-N"``."""

    def __init__(self, store: Store, workers: int, time_limit_s: float | None = None,
                 on_record: Callable[[Job, dict], None] | None = None, retry: Iterable[str] = (),
                 device: str = "cpu", threads: int = 1, keep_models: bool = False,
                 memory_limit_mb: int | None = None) -> None:
        if workers < 2:
            raise ValueError(f"a pool needs at least 2 workers, got {workers} (use Runner)")
        super().__init__(store, time_limit_s, on_record, retry, device, threads, keep_models,
                         memory_limit_mb=memory_limit_mb)
        self.workers = workers
        self.executor = f"pool-{workers}"

    def execute_pending(self, pending: list[Job], summary: RunSummary) -> None:
        run_in_workers(self, chunked(pending), self.workers, summary, Runner)


def chunked(pending: list[Job]) -> list[list[Job]]:
    """One chunk per (dataset, method, params) with all its seeds, in the order the jobs come (the pool's
    and the cluster executors' unit of work: one dataset load and one ``prepare`` per chunk)."""
    chunks: dict[tuple, list[Job]] = {}
    for job in pending:
        chunks.setdefault((job.dataset, job.method, job.params), []).append(job)
    return list(chunks.values())
