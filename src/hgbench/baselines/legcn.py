"""LEGCN: a GCN on the line expansion of the hypergraph (Yang et al., "Semi-supervised hypergraph
node classification on hypergraph line expansion", CIKM 2022; ZEN Appendix F.2, Table 11).

Line expansion (Yang et al. §3): every vertex-hyperedge pair ``(v, e)`` with ``v in e`` becomes a
node of a simple graph; two pairs are adjacent when they share their vertex ("vertex-similar") or
their hyperedge ("hyperedge-similar"). With ``L`` the ``P x (|V| + |E|)`` incidence of the ``P``
pairs to their vertex and hyperedge, the adjacency with the official self-loop weight 2 is exactly
``B = L L^T`` (``B_pp = 2``, ``B_pq = 1`` for distinct adjacent pairs), and the official code
(``ycq091044/LEGCN``, ``utils.load_data``) row-normalises it: ``A = D^-1 B``, ``D = diag(B 1)``
(``d_v + |e|`` for the pair ``(v, e)``). The model (official ``GCN`` in ``src/models.py``):

    X_pairs = P_v X                        (a pair starts with its vertex's features)
    H = dropout(relu(A X_pairs W1 + b1))   (one hidden GCN layer, dropout 0.5)
    Z = A H W2 + b2
    logits_v = mean_{e ni v} Z_(v, e)      (back-projection: the row-normalised P_v^T)

Decisions:
  * ``layers`` is the number of hidden GCN layers (official: one, i.e. two graph convolutions),
    ``hidden`` their width; ``layers = 1`` is the official network, and no two configurations of
    the grid build the same model. ED-HNN's port stacks ``All_num_layers`` convolutions with
    at least two, which would make ``layers`` 1 and 2 the same network.
  * The adjacency is materialised (a sparse CSR matrix with ``sum_v c_v^2 + sum_e |e|^2 - P``
    entries, ``c_v`` the number of hyperedges of ``v``), as in both the official code and ED-HNN's
    port: memory and time grow with it, which is what LEGCN costs. Because ``B`` is symmetric, only
    ``B`` and ``D^-1`` are stored (``A x = D^-1 (B x)``, ``A^T g = B (D^-1 g)``).
  * Memory guard: before anything is allocated, :func:`check_line_expansion_memory` estimates the
    peak memory from the number of pairs and adjacency entries (:class:`LineExpansionSize`) and
    raises :class:`MemoryError` (recorded by the runner as ``oom``) when it exceeds the cap:
    :data:`DEFAULT_MEMORY_CAP_GB` GiB, or ``$HGBENCH_MEMORY_CAP_GB``.

Deviations from the official code:
  * The exact line expansion: the official ``transform`` / ``lineExpansion`` sample at most a
    threshold of neighbours per vertex and per hyperedge (e.g. 10 on Cora, ``config/LE.conf``);
    ED-HNN's port (which ZEN's baselines come from) uses the exact expansion, as here.
  * The shared protocol (Adam, no weight decay, epochs as checkpoints selected on validation),
    where the official code trains 50 epochs at lr 0.02 with weight decay 5e-3 plus an L2 term 1.5e-3.
  * ``A X W`` is evaluated as ``(A X) W`` when ``X`` is narrower than ``W``'s output (same maths,
    fewer operations); weights and biases are drawn from ``U(-s, s)``, ``s = 2 / sqrt(in + out)``,
    as the official ``GraphConvolution``.
  * ED-HNN's port normalises the binary adjacency symmetrically (PyG ``GCNConv``); the official row
    normalisation of ``L L^T`` is kept here. Under a soft mask ``L`` is membership-weighted and the
    back-projection is a weighted mean.
  * The adjacency is built from the hypergraph on the model's first forward pass, once per run
    (:class:`~hgbench.baselines.precomputed.OperatorCache`), not in ``prepare``.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from functools import partial

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ..datasets.base import NodeDataset
from ..datasets.hypergraph import Hypergraph, SparseOperator, inverse_power, quiet_sparse_beta
from ..methods.trainer import TrainedMethod
from .precomputed import OperatorCache

MEMORY_CAP_ENV = "HGBENCH_MEMORY_CAP_GB"
DEFAULT_MEMORY_CAP_GB = 16.0  # two thirds of the 24 GiB development machine, leaving room for the rest
# Peak bytes per adjacency entry of a run, measured on 20news and walmart: building the adjacency
# peaks at ~21 (the coalesced COO product L L^T: two int64 indices and a float32 value), a training
# run at ~35 with the sparse products' workspace (walmart, hidden 64: 2.5 GiB, estimated 3.1 GiB).
ADJACENCY_BYTES_PER_ENTRY = 36
# Per pair and per activation column: the value, its gradient and a dropout / ReLU mask (float32).
ACTIVATION_BYTES = 12


@dataclass(frozen=True)
class LineExpansionSize:
    """Size of the line expansion: ``pairs`` vertex-hyperedge pairs and ``entries`` adjacency entries."""

    pairs: int
    entries: int

    @classmethod
    def of(cls, hypergraph: Hypergraph) -> "LineExpansionSize":
        """Counted from degrees alone (exact unless a vertex-hyperedge pair is listed twice)."""
        per_vertex = torch.bincount(hypergraph.nodes, minlength=hypergraph.num_nodes).double()
        per_edge = hypergraph.edge_size_count.double()
        entries = float((per_vertex ** 2).sum() + (per_edge ** 2).sum()) - hypergraph.nnz
        return cls(hypergraph.nnz, int(entries))

    def peak_bytes(self, activation_width: int) -> int:
        """Estimated peak: building the adjacency, plus the pairs' activations of ``activation_width`` columns."""
        return self.entries * ADJACENCY_BYTES_PER_ENTRY + self.pairs * activation_width * ACTIVATION_BYTES


def memory_cap_bytes() -> int:
    """``$HGBENCH_MEMORY_CAP_GB`` GiB, or :data:`DEFAULT_MEMORY_CAP_GB`."""
    configured = os.environ.get(MEMORY_CAP_ENV)
    try:
        gigabytes = float(configured) if configured else DEFAULT_MEMORY_CAP_GB
    except ValueError:
        raise ValueError(f"{MEMORY_CAP_ENV} must be a number of GiB, got {configured!r}") from None
    return int(gigabytes * 2**30)


def check_line_expansion_memory(hypergraph: Hypergraph, activation_width: int) -> LineExpansionSize:
    """Raise :class:`MemoryError` if the estimated peak memory of LEGCN exceeds the cap."""
    size = LineExpansionSize.of(hypergraph)
    estimate, cap = size.peak_bytes(activation_width), memory_cap_bytes()
    if estimate > cap:
        raise MemoryError(
            f"LEGCN line expansion: {size.pairs:,} vertex-hyperedge pairs and {size.entries:,} adjacency "
            f"entries, estimated peak {estimate / 2**30:.2f} GiB exceeds the cap of {cap / 2**30:.2f} GiB "
            f"(set {MEMORY_CAP_ENV} to change it)")
    return size


@dataclass(frozen=True)
class LineExpansion:
    """``A = D^-1 B`` of the line expansion, stored as the symmetric ``B`` and ``D^-1`` (``P x 1``)."""

    adjacency: SparseOperator
    inverse_degree: Tensor

    def propagate(self, x: Tensor) -> Tensor:
        return self.inverse_degree.to(x.dtype) * (self.adjacency @ x)


def line_expansion(hypergraph: Hypergraph, activation_width: int) -> LineExpansion:
    """The row-normalised line-expansion adjacency, after :func:`check_line_expansion_memory`."""
    check_line_expansion_memory(hypergraph, activation_width)
    # L: pair p = (v, e) is incident to column v (its vertex) and column |V| + e (its hyperedge)
    pairs = torch.arange(hypergraph.nnz)
    rows = torch.cat([pairs, pairs])
    cols = torch.cat([hypergraph.nodes, hypergraph.num_nodes + hypergraph.edges])
    weight = hypergraph.membership_weight().detach().float()
    incidence = torch.sparse_coo_tensor(torch.stack([rows, cols]), torch.cat([weight, weight]),
                                        (hypergraph.nnz, hypergraph.num_nodes + hypergraph.num_edges),
                                        check_invariants=False).coalesce()
    with quiet_sparse_beta():
        product = torch.sparse.mm(incidence, incidence.t().coalesce()).coalesce()
    degree = torch.zeros(hypergraph.nnz).index_add(0, product.indices()[0], product.values())
    adjacency = SparseOperator.symmetric(*product.indices(), product.values(), hypergraph.nnz)
    return LineExpansion(adjacency, inverse_power(degree, 1.0).unsqueeze(1))


class LineExpansionConv(nn.Module):
    """``A X W + b`` on the line expansion (official ``GraphConvolution`` initialisation)."""

    def __init__(self, in_dim: int, out_dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(in_dim, out_dim))
        self.bias = nn.Parameter(torch.empty(out_dim))
        bound = 2.0 / math.sqrt(in_dim + out_dim)
        nn.init.uniform_(self.weight, -bound, bound)
        nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Tensor, expansion: LineExpansion) -> Tensor:
        if x.shape[1] < self.weight.shape[1]:
            return expansion.propagate(x) @ self.weight + self.bias
        return expansion.propagate(x @ self.weight) + self.bias


class LEGCNNet(nn.Module):
    def __init__(self, in_dim: int, hidden: int, num_classes: int, hidden_layers: int, dropout: float = 0.5) -> None:
        super().__init__()
        if hidden_layers < 1:
            raise ValueError(f"LEGCN needs at least one hidden layer, got {hidden_layers}")
        dims = [in_dim] + [hidden] * hidden_layers + [num_classes]
        self.convs = nn.ModuleList(LineExpansionConv(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.dropout = dropout
        self.expansion = OperatorCache(partial(line_expansion, activation_width=sum(dims)))

    def forward(self, x: Tensor, hypergraph: Hypergraph) -> Tensor:
        expansion = self.expansion(hypergraph)
        h = x.index_select(0, hypergraph.nodes)  # each pair (v, e) starts with x_v
        for conv in self.convs[:-1]:
            h = F.dropout(F.relu(conv(h, expansion)), self.dropout, self.training)
        return hypergraph.memberships_to_nodes(self.convs[-1](h, expansion), "mean")


class LEGCN(TrainedMethod):
    """LEGCN: a GCN on the row-normalised line expansion, averaged back onto vertices (see module doc)."""

    name = "legcn"
    label = "LEGCN"
    description = "LEGCN (Yang et al. 2022): GCN on the hypergraph's line expansion (vertex-hyperedge pairs)"
    defaults = {"dropout": 0.5}

    def build(self, data: NodeDataset, config: dict) -> nn.Module:
        return LEGCNNet(data.num_features, int(config["hidden"]), data.num_classes, int(config["layers"]),
                        float(config["dropout"]))
