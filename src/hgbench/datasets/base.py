"""The dataset contract: a hypergraph with node features, labels and a task."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum

import torch
from torch import Tensor

from .files import DataError
from .hypergraph import Hypergraph


class InvalidDataset(DataError):
    """A dataset built from its files holds values no method can use; the message names the dataset and what."""


class Task(str, Enum):
    """What the labels mean and how predictions are scored."""

    CLASSIFICATION = "classification"  # nominal classes, scored by accuracy
    ORDINAL = "ordinal"  # ordinal classes (ratings), scored by MAE, RMSE and accuracy

    @property
    def metrics(self) -> tuple[str, ...]:
        return ("accuracy",) if self is Task.CLASSIFICATION else ("mae", "rmse", "accuracy")

    @property
    def selection_metric(self) -> str:
        """Metric on which configurations are selected on validation (higher is better after sign)."""
        return "accuracy" if self is Task.CLASSIFICATION else "mae"


@dataclass(frozen=True, eq=False)
class NodeDataset:
    """A node-level task on a hypergraph.

    ``labels`` is ``-1`` for nodes without a label (they are never in a split). ``sources`` maps
    each raw file the dataset was built from to its sha256, recorded in every run.
    """

    name: str
    hypergraph: Hypergraph
    features: Tensor
    labels: Tensor
    num_classes: int
    task: Task = Task.CLASSIFICATION
    sources: dict[str, str] = field(default_factory=dict)
    class_names: tuple[str, ...] | None = None
    feature_names: tuple[str, ...] | None = None
    # singleton hyperedges preprocessing added (``Hypergraph.with_self_loops``), numbered after the raw ones:
    # ZEN's Table 2 counts hyperedges without them (``table2_counts``)
    added_singletons: int = 0

    def __post_init__(self) -> None:
        n = self.hypergraph.num_nodes
        if self.features.dim() != 2 or self.features.shape[0] != n:
            raise ValueError(f"{self.name}: features must be ({n}, d), got {tuple(self.features.shape)}")
        if self.labels.shape != (n,):
            raise ValueError(f"{self.name}: labels must be ({n},), got {tuple(self.labels.shape)}")
        if int(self.labels.max()) >= self.num_classes:
            raise ValueError(f"{self.name}: label {int(self.labels.max())} >= num_classes {self.num_classes}")

    @property
    def num_nodes(self) -> int:
        return self.hypergraph.num_nodes

    @property
    def num_features(self) -> int:
        return self.features.shape[1]

    def to(self, device: torch.device | str) -> "NodeDataset":
        """The same dataset with its hypergraph, features and labels on ``device``."""
        if torch.device(device) == self.features.device:
            return self
        return replace(self, hypergraph=self.hypergraph.to(device), features=self.features.to(device),
                       labels=self.labels.to(device))

    @property
    def labelled(self) -> Tensor:
        return (self.labels >= 0).nonzero().flatten()

    def summary(self) -> dict[str, int]:
        return {
            "nodes": self.num_nodes,
            "hyperedges": self.hypergraph.num_edges,
            "classes": self.num_classes,
            "features": self.num_features,
            "contexts": self.hypergraph.num_contexts,
        }

    def table2_counts(self) -> dict[str, int]:
        """``summary()``'s counts as ZEN's Table 2 counts them: hyperedges without the added singletons
        (``raw_hyperedges``); ``hyperedges`` keeps them, as the models see the hypergraph."""
        return {**self.summary(), "raw_hyperedges": self.hypergraph.num_edges - self.added_singletons}


def as_float_features(array) -> Tensor:
    return torch.as_tensor(array, dtype=torch.float32)


def check_dataset(dataset: NodeDataset, files: str = "its files") -> NodeDataset:
    """``dataset`` if every method can use it, else :class:`InvalidDataset` naming it, ``files`` and the fault:
    non-finite features (NaN, inf), labels below -1 (-1 marks an unlabelled node), or, for a classification
    task, classes with no labelled node (labels with gaps, e.g. {0, 1, 3}: renumber them). An ordinal task
    keeps its empty levels (Amazon has no item rated below 1.5). Node ids out of range and empty hyperedges
    are refused when the :class:`~.hypergraph.Hypergraph` is built."""
    where = f"dataset {dataset.name} (from {files})"
    bad = ~torch.isfinite(dataset.features)
    if bool(bad.any()):
        node, feature = (int(v) for v in bad.nonzero()[0])
        raise InvalidDataset(f"{where}: {int(bad.sum())} feature values are NaN or infinite, the first at node {node}, "
                             f"feature {feature}")
    labels = dataset.labels
    if labels.numel() and int(labels.min()) < -1:
        raise InvalidDataset(f"{where}: label {int(labels.min())} is below -1 (-1 marks an unlabelled node)")
    if not bool((labels >= 0).any()):
        raise InvalidDataset(f"{where}: no node has a label")
    present = set(labels[labels >= 0].unique().tolist())
    empty = sorted(set(range(dataset.num_classes)) - present)
    if dataset.task is Task.CLASSIFICATION and empty:
        raise InvalidDataset(f"{where}: the labels have gaps: classes {sorted(present)} of "
                             f"0..{dataset.num_classes - 1}, none labelled {empty}; renumber the classes to "
                             f"0..{len(present) - 1}")
    return dataset
