"""The executor interface: what runs a list of planned jobs and stores one record per job.

It is implemented by :class:`.runner.Runner` (``"sequential"``, the only one whose timings are
reported), :class:`.pool.PoolRunner` (``"pool-N"``, accuracy sweeps) and the cluster executors of
:mod:`.cluster` (``"slurm"``, ``"ray"``; optional extras, imported only when used). An executor

* has a name, :attr:`Executor.executor`, written into every record it stores (``record["executor"]``);
* runs jobs with :meth:`Executor.run`, which holds the store's lock (:meth:`.store.Store.lock`) for the
  whole run, so two runs never execute the same job; skips the jobs the store already holds (unless
  their status is retried or their process died); stores every record as it finishes (the process
  that calls ``run`` is the only writer); and returns a :class:`RunSummary`;
* stops every run at its time limit, whether or not the method polls its deadline: a run that does
  not stop is killed and recorded ``timeout``; a run whose process dies (or whose cluster task is lost)
  is run once more in the same run, and when it dies again is recorded ``failed``, naming the signal,
  and is run again by the next ``bench run``; with a memory limit, a run that allocates past it is
  recorded ``oom``;
* sets torch's intra-op thread count for every run and records it (``environment["torch_threads"]``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .plan import Job


@dataclass
class RunSummary:
    """What one :meth:`Executor.run` did: jobs planned (distinct keys), skipped (already stored), executed,
    executed but not ``ok``; datasets left out (unavailable, with the reason); seconds spent per dataset."""

    planned: int = 0
    skipped: int = 0
    executed: int = 0
    failed: int = 0
    unavailable: dict[str, str] = field(default_factory=dict)
    seconds_per_dataset: dict[str, float] = field(default_factory=dict)


class Executor(ABC):
    """Runs planned jobs into a store (see the module's docstring for the contract)."""

    #: The name every record of this executor carries as ``executor``.
    executor: str

    @abstractmethod
    def run(self, jobs: list[Job]) -> RunSummary:
        """Run the jobs the store does not hold yet, store a record for each, and say what was done."""


@dataclass
class Result:
    """What executing one job gives: its record, and the artifacts to store beside it."""

    record: dict
    trace: list[dict] | None = None
    state: dict | None = None
    tables: dict[str, list[dict]] = field(default_factory=dict)
    modules: dict | None = None
