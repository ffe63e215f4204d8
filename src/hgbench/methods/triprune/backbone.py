"""The network pruning acts on (SPEC §1.2, [OD-3]): per-component HGNN, semantic attention, self path.

Layer ``l``: for each retained component ``k`` the message ``U_k = g_k P~_k(X Theta_k)`` with
``P~_k = Dv^-1/2 H~_k De^-1 H~_k^T Dv^-1/2`` on the (soft or compacted) incidence ``H~_k``
(Eq. 2 with ``W = I``; degrees from the soft incidence, ``0^-1 = 0``), two sparse products at cost
``O(nnz d)``; node-level attention ``a_ik = softmax_k q^T tanh(W_s U_k[i] + b_s)`` over the
components where ``i`` has positive degree; output ``phi(sum_k a_ik U_k[i] + X[i] Theta_self)``
(ReLU between layers, identity after the last); dropout on every layer input while training.
``S_att(k)`` is the mean last-layer attention of component ``k`` over the nodes that attend to it
(Eq. 11). With every gate 1 this is the unpruned backbone, the reference of every speed-up.

Decision: ``Theta_k`` and the attention's ``W_s`` follow SPEC §1.2; the self path carries the
layer's bias (SPEC writes none; a bias per layer is the usual linear layer).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from .structure import Component


@dataclass(frozen=True, eq=False)
class Incidence:
    """One component's incidence as the backbone reads it: memberships, their weights (``None``: all 1)
    and the component gate ``g_k`` (a scalar tensor, or ``None`` for 1)."""

    component: Component
    weight: Tensor | None = None
    gate: Tensor | None = None

    @cached_property
    def rows(self) -> tuple[Tensor, Tensor]:
        """(the nodes with a membership, each membership's position among them): messages are computed for
        these rows only, so the cost follows the retained incidence (Eq. 17), not ``n``."""
        return torch.unique(self.component.nodes, return_inverse=True)


@dataclass(frozen=True, eq=False)
class SparseFeatures:
    """Node features stored as their non-zero entries (the datasets' features are 1-13% dense)."""

    matrix: Tensor  # sparse COO, n x d_in, coalesced

    @classmethod
    def of(cls, dense: Tensor) -> "SparseFeatures":
        return cls(dense.to_sparse().coalesce())

    @property
    def shape(self) -> torch.Size:
        return self.matrix.shape

    @property
    def dtype(self) -> torch.dtype:
        return self.matrix.dtype

    def dropped(self, p: float, training: bool) -> Tensor:
        """Dropout on the non-zero entries (the zeros stay zero either way)."""
        if not training or p == 0:
            return self.matrix
        values = self.matrix.values()
        keep = torch.rand_like(values) >= p
        return torch.sparse_coo_tensor(self.matrix.indices(), values * keep / (1 - p), self.matrix.shape,
                                       is_coalesced=True, check_invariants=False)


def _inverse(x: Tensor, power: float) -> Tensor:
    """``x^-power`` with ``0^-power = 0`` (and no infinite gradient at 0)."""
    positive = x > 0
    return torch.where(positive, x.clamp_min(1e-30).pow(-power), torch.zeros_like(x))


def propagate(incidence: Incidence, y: Tensor) -> Tensor:
    """``P~_k y`` on the incidence's rows (``y``: ``x Theta_k`` of those rows, ``rows x d``), times ``g_k``."""
    c = incidence.component
    members, local = incidence.rows
    weight = incidence.weight if incidence.weight is not None else y.new_ones(c.nnz)
    node_scale = _inverse(weight.new_zeros(members.numel()).index_add(0, local, weight), 0.5).to(y.dtype)
    edge_scale = _inverse(weight.new_zeros(c.num_edges).index_add(0, c.edges, weight), 1.0).to(y.dtype)
    weight = weight.to(y.dtype)[:, None]
    messages = (y * node_scale[:, None]).index_select(0, local) * weight
    hyperedges = y.new_zeros(c.num_edges, y.shape[1]).index_add(0, c.edges, messages) * edge_scale[:, None]
    out = y.new_zeros(y.shape).index_add(0, local, hyperedges.index_select(0, c.edges) * weight)
    out = out * node_scale[:, None]
    return out if incidence.gate is None else out * incidence.gate


class Backbone(nn.Module):
    """SPEC §1.2: ``layers`` layers of width ``hidden`` over ``num_components`` components, then a classifier."""

    def __init__(self, in_features: int, hidden: int, num_classes: int, num_components: int, layers: int = 2,
                 dropout: float = 0.3, attention_width: int = 64) -> None:
        super().__init__()
        sizes = [in_features, *([hidden] * layers)]
        # Theta_k^(l) of every component in one (K, in, out) tensor: one matrix product per layer for all k,
        # initialised as nn.Linear initialises its weight
        self.components = nn.ParameterList(
            nn.Parameter(torch.empty(num_components, a, b).uniform_(-a ** -0.5, a ** -0.5))
            for a, b in zip(sizes, sizes[1:])
        )
        self.self_path = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))
        self.attention = nn.ModuleList(nn.Linear(hidden, attention_width) for _ in range(layers))
        self.query = nn.ParameterList(nn.Parameter(torch.randn(attention_width) / attention_width ** 0.5)
                                      for _ in range(layers))
        self.classifier = nn.Linear(hidden, num_classes)
        self.dropout = dropout

    @property
    def num_layers(self) -> int:
        return len(self.self_path)

    def final_weight_norms(self) -> Tensor:
        """``w_k = ||Theta_k^(L)||_F`` for every component (Eq. 11's ``W_k``; not detached)."""
        return self.components[-1].flatten(1).norm(dim=1)

    def transform(self, depth: int, x: Tensor | SparseFeatures) -> Tensor:
        """``x Theta_k^(depth)`` for every component at once: ``n x K x out`` (``x`` dense or sparse)."""
        weight = self.components[depth]
        num, inputs, outputs = weight.shape
        stacked = weight.permute(1, 0, 2).reshape(inputs, num * outputs)
        product = torch.sparse.mm(x.matrix, stacked) if isinstance(x, SparseFeatures) else x @ stacked
        return product.view(x.shape[0], num, outputs)

    def _first_layer(self, x: Tensor | SparseFeatures) -> tuple[Tensor, Tensor]:
        """Layer 1's (self path, ``x Theta_k`` for every k) on the dropped-out input; sparse features drop only
        their non-zero entries (the same distribution as dropout on the dense matrix, at a fraction of the cost)."""
        if isinstance(x, SparseFeatures):
            h = x.dropped(self.dropout, self.training)
            weight = self.components[0]
            num, inputs, outputs = weight.shape
            both = torch.sparse.mm(h, torch.cat([self.self_path[0].weight.T,
                                                 weight.permute(1, 0, 2).reshape(inputs, num * outputs)], dim=1))
            self_out = both[:, :outputs] + self.self_path[0].bias
            return self_out, both[:, outputs:].view(-1, num, outputs)
        h = F.dropout(x, self.dropout, self.training)
        return self.self_path[0](h), self.transform(0, h)

    def forward(self, x: Tensor | SparseFeatures,
                incidences: list[Incidence | None]) -> tuple[Tensor, Tensor, Tensor]:
        """(embeddings ``z``, logits, ``S_att`` (K,), detached); ``incidences[k] is None`` skips component k.

        Messages, attention scores and their softmax are computed on the rows of each component's
        incidence (the nodes with positive degree); the other nodes attend to no component.
        """
        num_nodes = x.shape[0]
        dtype = x.dtype
        attention_mean = torch.zeros(len(incidences), dtype=dtype)
        used = [k for k, incidence in enumerate(incidences) if incidence is not None]
        lowest = torch.finfo(dtype).min
        for depth in range(self.num_layers):
            if depth == 0:
                out, transformed = self._first_layer(x)
            else:
                h = F.dropout(x, self.dropout, self.training)
                out, transformed = self.self_path[depth](h), None
            if used:
                rows, messages, logits, present = [], [], [], []
                for k in used:
                    incidence = incidences[k]
                    members = incidence.rows[0]
                    inputs = (transformed[:, k].index_select(0, members) if transformed is not None
                              else h.index_select(0, members) @ self.components[depth][k])
                    message = propagate(incidence, inputs)
                    score = torch.tanh(self.attention[depth](message)) @ self.query[depth]
                    rows.append(members), messages.append(message)
                    logits.append(message.new_full((num_nodes,), lowest).index_put((members,), score))
                    present.append(torch.zeros(num_nodes, dtype=torch.bool, device=message.device).index_fill(
                        0, members, True))
                mask = torch.stack(present, dim=1)
                weights = torch.softmax(torch.stack(logits, dim=1), dim=1) * mask  # masked entries: exactly 0
                for j, (members, message) in enumerate(zip(rows, messages)):
                    out = out.index_add(0, members, weights[members, j, None] * message)
                if depth == self.num_layers - 1:
                    attention_mean[used] = (weights.detach().sum(dim=0) / mask.sum(dim=0).clamp_min(1)).to(dtype)
            x = F.relu(out) if depth < self.num_layers - 1 else out
        return x, self.classifier(x), attention_mean
