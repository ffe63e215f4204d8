"""The MLP block of the AllSet / ED-HNN codebases (set functions, classifiers).

Structure (``layers`` linear maps)::

    [input LayerNorm] -> (Linear -> ReLU -> LayerNorm -> Dropout) x (layers - 1) -> Linear

``input_norm`` adds the LayerNorm on the input (AllSet's ``InputNorm``); ``norm=False`` drops all
LayerNorms (AllSet's ``Normalization='None'``, used inside PMA's feed-forward block). With one
layer it is a (normalised) linear map. The input may be :class:`~.sparse_features.SparseFeatures`: the
input LayerNorm and first linear map then go through :func:`~.sparse_features.normalised_linear`.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ..datasets.hypergraph import Hypergraph
from . import ops
from .dropout import dropout
from .sparse_features import SparseFeatures, linear, normalised_linear


class MLP(nn.Module):
    def __init__(self, in_dim: int, hidden: int, out_dim: int, layers: int, dropout: float = 0.0,
                 norm: bool = True, input_norm: bool = False) -> None:
        super().__init__()
        if layers < 1:
            raise ValueError(f"an MLP needs at least one layer, got {layers}")
        dims = [in_dim] + [hidden] * (layers - 1) + [out_dim]
        self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.input_norm = nn.LayerNorm(in_dim) if (norm and input_norm) else nn.Identity()
        self.norms = nn.ModuleList(nn.LayerNorm(hidden) if norm else nn.Identity() for _ in range(layers - 1))
        self.dropout = dropout

    def forward(self, x: Tensor | SparseFeatures) -> Tensor:
        return self.after_first(self.first(x))

    def first(self, x: Tensor | SparseFeatures) -> Tensor:
        """The input LayerNorm (if any) and the first linear map."""
        if isinstance(self.input_norm, nn.LayerNorm):
            return normalised_linear(self.input_norm, self.linears[0], x)
        return linear(self.linears[0], x)

    def first_on_memberships(self, nodes: Tensor, edges: Tensor, hypergraph: Hypergraph) -> Tensor:
        """:meth:`first` on every membership's ``[nodes[v], edges[e]]`` (``v in e``), the pairs never formed.

        The first linear map splits over the two halves, ``W = [W_v, W_e]``, so its products run once per
        node and per hyperedge and the memberships see gathers of output-wide rows. With the input LayerNorm,
        ``G = diag(gamma) W^T`` split the same way, and the pair's mean ``mu`` and ``s = sqrt(var + eps)``
        (biased, over its entries) from per-node and per-hyperedge sums of ``x`` and ``x^2``::

            first([x_v, m_e]) = (x_v G_v + m_e G_e) / s - (mu / s) (gamma^T W^T) + beta^T W^T + b

        The variance is ``E[p^2] - mu^2``: equal to LayerNorm's to float32 rounding (``tests/test_baselines.py``).
        """
        layer, width = self.linears[0], nodes.shape[1]
        weight = layer.weight.t()
        norm = self.input_norm if isinstance(self.input_norm, nn.LayerNorm) else None
        scaled = weight if norm is None else norm.weight.unsqueeze(1) * weight
        projected = (ops.gather_nodes(hypergraph, nodes @ scaled[:width])
                     + ops.gather_edges(hypergraph, edges @ scaled[width:]))
        if norm is None:
            return projected if layer.bias is None else projected + layer.bias

        mean, inverse_std = pair_moments(nodes, edges, hypergraph, norm.eps)
        return (projected - mean * (norm.weight @ weight)) * inverse_std + (norm.bias @ weight + layer.bias)

    def after_first(self, h: Tensor) -> Tensor:
        """The layers after the first linear map, on its output ``h``."""
        for layer, norm in zip(self.linears[1:], self.norms):
            h = layer(dropout(norm(F.relu(h)), self.dropout, self.training))
        return h


def pair_moments(nodes: Tensor, edges: Tensor, hypergraph: Hypergraph, eps: float) -> tuple[Tensor, Tensor]:
    """LayerNorm's mean and ``1 / sqrt(var + eps)`` of every membership's ``[nodes[v], edges[e]]`` (``nnz x 1`` each),
    from per-node and per-hyperedge sums of the entries and of their squares (variance ``E[p^2] - mu^2``)."""

    def sums(x: Tensor) -> Tensor:
        return torch.stack([x.sum(1), x.square().sum(1)], 1)

    moments = ((ops.gather_nodes(hypergraph, sums(nodes)) + ops.gather_edges(hypergraph, sums(edges)))
               / (nodes.shape[1] + edges.shape[1]))
    mean = moments[:, :1]
    return mean, torch.rsqrt((moments[:, 1:] - mean * mean).clamp_min(0.0) + eps)
