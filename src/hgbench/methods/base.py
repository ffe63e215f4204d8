"""The one contract every method and baseline implements (cf. scikit-learn's estimator API).

A method has a ``name``, a ``search_space`` (a dict of lists whose product is the grid of
configurations the runner enumerates), its fixed hyperparameters ``defaults`` and two steps:

* ``prepare(data, config)``: split-independent work (e.g. ZEN's propagation), done once per
  dataset and configuration and reused for every split;
* ``fit(data, split, config, seed, prepared)``: everything that sees labels, returning a
  :class:`Fitted` whose ``predict()`` scores every node (``num_nodes x num_classes``).

Methods never compute metrics, time themselves or touch the store: the runner does.

Hyperparameters have one channel: the run's ``config``. ``defaults`` declares the fixed ones (a
class-level mapping, merged along the MRO, so a subclass lists only what it adds or overrides; a
variant built with arguments, ``ZEN(variant="no-rap")``, stores them in the instance's copy). A job's
``params`` are the defaults overlaid by its grid point; the runner passes them to ``prepare`` and
``fit`` as ``config``, and :meth:`Method.hyperparameters` does the same merge for a direct call. Other
class attributes (``name``, ``label``, ``architecture``, ``protocol``, ...) describe the method and
are never hyperparameters.
"""

from __future__ import annotations

import itertools
import json
import time
from abc import ABC, abstractmethod
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Iterator, Protocol

from torch import Tensor

from ..datasets.base import NodeDataset
from ..datasets.splits import Split


BUDGETS = ("full", "reduced", "smoke")
Grid = dict[str, list] | list[dict[str, list]]


def grid_points(grid: Grid) -> list[dict[str, Any]]:
    """Every point of a search space (a dict of lists, or a list of them), in scikit-learn's ``ParameterGrid``
    order: keys sorted, the last one varying fastest (written out so listing a plan need not import
    scikit-learn, about a second of start-up; ``tests/test_tune_on.py`` checks the order against it)."""
    points = []
    for part in ([grid] if isinstance(grid, dict) else grid):
        keys = sorted(part)
        points += [dict(zip(keys, values)) for values in itertools.product(*(part[k] for k in keys))]
    return points


class Diverged(RuntimeError):
    """Training produced a non-finite loss; the run is recorded as ``failed`` with this reason."""


class TimedOut(RuntimeError):
    """The run passed its time limit; recorded as ``timeout``."""


_DEADLINE: ContextVar[float | None] = ContextVar("hgbench_deadline", default=None)


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Set a deadline that long-running methods poll with :func:`check_deadline` (the fast path: the
    executors also kill a run that is still going shortly after its limit, polled or not)."""
    token = _DEADLINE.set(None if seconds is None else time.monotonic() + seconds)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


class StoredRuns(Protocol):
    """What a method may read of earlier runs (set by the runner, :func:`stored_runs`): the record and
    artifacts of the job ``(method, params, dataset, protocol, seed)``, if it finished ``ok``."""

    def record(self, method: str, params: dict, dataset: str, protocol: str, seed: int) -> dict | None: ...

    def modules(self, method: str, params: dict, dataset: str, protocol: str, seed: int) -> dict | None: ...


class MissingDependency(RuntimeError):
    """A run needs another run's record or artifact that is not stored (yet); recorded ``failed``."""


_STORED: ContextVar[StoredRuns | None] = ContextVar("hgbench_stored_runs", default=None)


@contextmanager
def reading_runs(runs: StoredRuns | None) -> Iterator[None]:
    """Let the methods called inside read earlier runs through ``runs`` (the runner's store)."""
    token = _STORED.set(runs)
    try:
        yield
    finally:
        _STORED.reset(token)


def stored_runs() -> StoredRuns:
    """The earlier runs a method may read (a teacher, a source model); raises when no store is attached."""
    runs = _STORED.get()
    if runs is None:
        raise MissingDependency("this run reads earlier runs, but it is not run with a store (use bench run)")
    return runs


def check_deadline() -> None:
    """Raise :class:`TimedOut` if the current run's time limit has passed (call once per epoch)."""
    deadline = _DEADLINE.get()
    if deadline is not None and time.monotonic() > deadline:
        raise TimedOut("time limit exceeded")


@dataclass
class Fitted:
    """A fitted model: ``predict()`` returns scores for all nodes; ``diagnostics`` is stored with the run.

    Optional, stored as run artifacts: ``trace`` (one row per epoch: losses, validation metrics,
    whatever the protocol's hooks log), ``tables`` (other tidy tables), ``modules`` (small trained
    parts a later run reads, e.g. TriPrune's controllers for Table 7) and ``state`` (the trained
    ``state_dict``, stored when the run keeps models: ``bench run --keep-models``).
    ``predict_on(other)`` scores the nodes of another dataset with the same features and classes
    (transfer jobs). ``profiles`` names parts of the trained model (callables) that the runner times
    and measures as it does ``predict`` when the run profiles inference.
    """

    predict: Callable[[], Tensor]
    diagnostics: dict[str, Any] = field(default_factory=dict)
    trace: list[dict[str, Any]] | None = None
    state: dict[str, Tensor] | None = None
    predict_on: Callable[[Any], Tensor] | None = None
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # more tidy tables, as ``<name>.parquet``
    modules: dict[str, Tensor] | None = None  # small trained parts another run reuses (``modules.pt``, always kept)
    profiles: dict[str, Callable[[], Any]] = field(default_factory=dict)  # parts the runner times like ``predict``


class Method(ABC):
    name: ClassVar[str]
    search_space: ClassVar[dict[str, list]] = {}
    description: ClassVar[str] = ""
    # The fixed hyperparameters (JSON scalars): this class's own entries over those of its bases (an
    # instance built with overrides holds its own copy).
    defaults: dict[str, Any] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        merged: dict[str, Any] = {}
        for base in reversed(cls.__mro__):
            merged.update(vars(base).get("defaults", {}))
        cls.defaults = merged

    def __init__(self, **overrides: Any) -> None:
        """A variant: ``overrides`` replace declared defaults (an undeclared name is a mistake)."""
        unknown = sorted(set(overrides) - set(type(self).defaults))
        if unknown:
            raise TypeError(f"{type(self).__name__} declares no default {', '.join(map(repr, unknown))} "
                            f"(declared: {', '.join(sorted(type(self).defaults)) or 'none'})")
        self.defaults = {**type(self).defaults, **overrides}

    def configurations(self, budget: str = "full") -> dict[str, list]:
        """The grid for a tuning budget (``full`` = the paper's protocol); defaults to ``search_space``."""
        if budget not in BUDGETS:
            raise ValueError(f"unknown budget {budget!r}; valid: {', '.join(BUDGETS)}")
        return self.search_space

    def settings(self) -> dict[str, Any]:
        """The fixed hyperparameters, ``defaults`` (with a variant's overrides), sorted, as JSON values.

        A job's ``params`` (and so its key) are these overlaid by the grid point: editing a default
        gives new keys, and the stored records of the old default are no longer planned.
        """
        return json.loads(json.dumps(dict(sorted(self.defaults.items()))))

    def hyperparameters(self, config: dict) -> dict[str, Any]:
        """The run's hyperparameters: ``defaults`` overlaid by ``config`` (what the runner passes, a job's
        ``params``, already is; merging again changes nothing)."""
        return {**self.defaults, **config}

    def prepare(self, data: NodeDataset, config: dict) -> Any:
        """Split-independent precomputation; the runner caches it per (dataset, config)."""
        return None

    @abstractmethod
    def fit(self, data: NodeDataset, split: Split, config: dict, seed: int, prepared: Any) -> Fitted:
        """Fit on ``split.train`` (selecting anything internal on ``split.val`` only)."""
