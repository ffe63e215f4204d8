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
* :class:`SymmetricSparseOperator`: such an operator, a constant symmetric sparse CSR matrix
  whose product ``operator @ x`` is its own transpose in the backward pass (torch would transpose
  a CSR matrix at every backward step).
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any, Callable, Generic, TypeVar

import torch
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
    bias = True  # SGC's logistic regression has one; the linearised HNNs' ``W`` has none

    def transformed_features(self, data: NodeDataset, split: Split, config: dict, prepared: Any) -> Tensor:
        """The features the classifier sees: :meth:`prepare`'s result, unless a model needs the split."""
        return prepared

    def training_data(self, data: NodeDataset, split: Split, config: dict, prepared: Any) -> NodeDataset:
        return dataclasses.replace(data, features=self.transformed_features(data, split, config, prepared))

    def build(self, data: NodeDataset, config: dict) -> nn.Module:
        return LinearClassifier(data.num_features, data.num_classes, self.bias)


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


class _SymmetricSparseProduct(torch.autograd.Function):
    """``matrix @ x`` with a constant symmetric sparse ``matrix``; the gradient is ``matrix @ grad``."""

    @staticmethod
    def forward(ctx, matrix: Tensor, x: Tensor) -> Tensor:
        ctx.matrix = matrix
        return matrix @ x

    @staticmethod
    def backward(ctx, grad: Tensor):
        return None, ctx.matrix @ grad


@dataclasses.dataclass(frozen=True)
class SymmetricSparseOperator:
    """A constant symmetric ``n x n`` sparse CSR matrix; ``operator @ x`` is differentiable in ``x``."""

    matrix: Tensor

    @classmethod
    def from_entries(cls, rows: Tensor, cols: Tensor, values: Tensor, size: int) -> "SymmetricSparseOperator":
        """From symmetric COO entries (repeated ``(row, col)`` entries are summed)."""
        coo = torch.sparse_coo_tensor(torch.stack([rows, cols]), values, (size, size), check_invariants=False)
        return cls.from_coo(coo)

    @classmethod
    def from_coo(cls, coo: Tensor) -> "SymmetricSparseOperator":
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta", category=UserWarning)
            return cls(coo.coalesce().to_sparse_csr())

    @property
    def nnz(self) -> int:
        return int(self.matrix.values().numel())

    def __matmul__(self, x: Tensor) -> Tensor:
        return _SymmetricSparseProduct.apply(self.matrix, x)
