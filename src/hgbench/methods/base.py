"""The one contract every method and baseline implements (cf. scikit-learn's estimator API).

A method has a ``name``, a ``search_space`` (a dict of lists whose product is the grid of
configurations the runner enumerates) and two steps:

* ``prepare(data, config)``: split-independent work (e.g. ZEN's propagation), done once per
  dataset and configuration and reused for every split;
* ``fit(data, split, config, seed, prepared)``: everything that sees labels, returning a
  :class:`Fitted` whose ``predict()`` scores every node (``num_nodes x num_classes``).

Methods never compute metrics, time themselves or touch the store: the runner does.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar

from torch import Tensor

from ..datasets.base import NodeDataset
from ..datasets.splits import Split


@dataclass
class Fitted:
    """A fitted model: ``predict()`` returns scores for all nodes; ``diagnostics`` is stored with the run."""

    predict: Callable[[], Tensor]
    diagnostics: dict[str, Any] = field(default_factory=dict)


class Method(ABC):
    name: ClassVar[str]
    search_space: ClassVar[dict[str, list]] = {}
    description: ClassVar[str] = ""

    def prepare(self, data: NodeDataset, config: dict) -> Any:
        """Split-independent precomputation; the runner caches it per (dataset, config)."""
        return None

    @abstractmethod
    def fit(self, data: NodeDataset, split: Split, config: dict, seed: int, prepared: Any) -> Fitted:
        """Fit on ``split.train`` (selecting anything internal on ``split.val`` only)."""
