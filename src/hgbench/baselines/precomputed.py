"""What the Table 11 baselines (ZEN Appendix F.2) share: precomputed features or operators.

* :class:`FeatureTransformMethod`: a classifier ``logits = X' W (+ b)`` trained by the shared
  trainer on node features ``X'`` computed once before training — SGC's and SSGC's propagated
  features and the linearised HNNs' ``P X`` (split-independent, so computed in ``prepare`` and
  cached by the runner per dataset and configuration), HyperND's diffused features and labels
  (which read the training labels, so computed per split). The model is :class:`LinearClassifier`.
* :class:`OperatorCache`: a model that needs a graph operator at every forward (APPNP's normalised
  clique expansion, LEGCN's line-expansion adjacency) derives it from the hypergraph it is called
  with, once: the operator is kept until the model is called with another hypergraph object. The
  trainer builds one model per run, so the operator is built once per run (the runner's
  ``prepare`` cache cannot reach a module; building it is a small part of a run, see
  docs/baselines.md).

Both operators are symmetric: they are the hypergraph ops' ``SparseOperator.symmetric``, a CSR
matrix stored once and used as its own transpose in the backward pass.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Generic, TypeVar

import torch.nn as nn
from torch import Tensor

from ..datasets.base import NodeDataset
from ..datasets.hypergraph import Hypergraph
from ..datasets.splits import Split
from ..methods.trainer import TrainedMethod

Operator = TypeVar("Operator")


class LinearClassifier(nn.Module):
    """``x W (+ b)``, called as ``model(features, hypergraph)`` like every baseline (the hypergraph is unused)."""

    def __init__(self, in_dim: int, num_classes: int, bias: bool) -> None:
        super().__init__()
        self.linear = nn.Linear(in_dim, num_classes, bias=bias)

    def forward(self, x: Tensor, hypergraph: Hypergraph) -> Tensor:
        return self.linear(x)


class FeatureTransformMethod(TrainedMethod):
    """A linear classifier trained (shared trainer) on features transformed once before training."""

    architecture = ()
    defaults = {"bias": True}  # SGC's logistic regression has a bias; the linearised HNNs' ``W`` has none

    def transformed_features(self, data: NodeDataset, split: Split, config: dict, prepared: Any) -> Tensor:
        """The features the classifier sees: :meth:`prepare`'s result, unless a model needs the split."""
        return prepared

    def training_data(self, data: NodeDataset, split: Split, config: dict, prepared: Any) -> NodeDataset:
        return dataclasses.replace(data, features=self.transformed_features(data, split, config, prepared))

    def build(self, data: NodeDataset, config: dict) -> nn.Module:
        return LinearClassifier(data.num_features, data.num_classes, bool(config["bias"]))


class OperatorCache(Generic[Operator]):
    """``cache(hypergraph)`` is ``derive(hypergraph)``, recomputed only for another hypergraph object."""

    def __init__(self, derive: Callable[[Hypergraph], Operator]) -> None:
        self.derive = derive
        self.source: Hypergraph | None = None
        self.operator: Operator | None = None

    def __call__(self, hypergraph: Hypergraph) -> Operator:
        if hypergraph is not self.source:
            self.operator = self.derive(hypergraph)
            self.source = hypergraph
        return self.operator
