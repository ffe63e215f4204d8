"""HGNN (Feng et al., AAAI 2019) and HCHA (Bai et al., Pattern Recognition 2021), as in ED-HNN's code.

Both are stacks of the hypergraph convolution ``X' = N(H) X Theta + b`` with ELU and dropout in
between; they differ in the normalisation ``N(H)``:

* HGNN (Feng et al., Eq. 10): symmetric, ``N = Dv^-1/2 H W De^-1 H^T Dv^-1/2``;
* HCHA (Bai et al.'s hypergraph convolution as implemented by PyG's ``HypergraphConv``, which
  ED-HNN's ``HCHA`` class is): random-walk, ``N = Dv^-1 H W De^-1 H^T``.

``W`` is the diagonal hyperedge-weight matrix; ED-HNN passes none, i.e. ``W = I``, and so do we.
HCHA's hypergraph *attention* is off in ED-HNN's code (``use_attention=False``)
and in ZEN's runs, so HCHA here is the hypergraph convolution without attention — the ED-HNN
codebase's ``HCHA`` with ``HCHA_symdegnorm=False``, while its ``HGNN`` is the same class with
``HCHA_symdegnorm=True``. Degrees are weighted by membership weights when the hypergraph has a soft
mask (``Dv`` sums them, ``De`` too); ED-HNN's ``De`` counts members.

Architecture (ED-HNN ``models/hcha.py``): convolutions ``d -> h``, ``(L - 2) x (h -> h)``,
``h -> c``; ELU then dropout (0.5, ED-HNN's ``--dropout`` default) after every convolution but the
last; no input dropout; Glorot-uniform weights, zero biases.

Deviations / decisions:
  * ``layers = L`` builds ``max(L, 2)`` convolutions, exactly as the official code (its first and
    last convolutions always exist), so ``layers = 1`` and ``layers = 2`` are the same network in
    ZEN's grid. The grid therefore drops ``layers`` (``architecture = ("hidden",)``): 9 runs stand
    for the 72 points instead of 18 runs of which half repeat the other half seed for seed. A
    configuration may still set ``layers``; a subclass with the default ``min_convs = 1`` (a single ``d -> c``
    layer for ``layers = 1``) puts ``layers`` back in its ``architecture``.
  * Aggregation uses the shared ``Hypergraph.smooth`` instead of PyG.
  * Bag-of-words features (at most 5% non-zero: Cora, Citeseer, 20News) enter the first convolution
    as a sparse matrix (:mod:`~hgbench.baselines.sparse_features`): the same sums in another order.
    The committed records checked against it were reproduced (docs/baselines.md, "Speed").
  * Features narrower than the first convolution (Congress and House 2, Walmart 11): it computes
    ``(N(H) X) Theta + b``, with ``N(H) X`` once per run (no input dropout), instead of ``N(H) (X Theta) + b``.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ..datasets.base import NodeDataset
from ..datasets.hypergraph import Hypergraph, inverse_power
from ..methods.trainer import TrainedMethod, grid
from .dropout import dropout
from .memo import LastValue
from .sparse_features import SparseFeatures, SparseInput, project


class HypergraphConv(nn.Module):
    """``N(H) X Theta + b`` with ``N`` symmetric (HGNN) or random-walk (HCHA) normalised."""

    def __init__(self, in_dim: int, out_dim: int, symmetric: bool) -> None:
        super().__init__()
        self.symmetric = symmetric
        self.weight = nn.Parameter(torch.empty(in_dim, out_dim))
        self.bias = nn.Parameter(torch.zeros(out_dim))
        nn.init.xavier_uniform_(self.weight)

    @property
    def narrow_first(self) -> bool:
        """Whether ``(N(H) X) Theta`` is the cheaper order: the input is narrower than the output."""
        return self.weight.shape[0] < self.weight.shape[1]

    def forward(self, x: Tensor | SparseFeatures, hypergraph: Hypergraph) -> Tensor:
        return self.propagate(project(x, self.weight), hypergraph) + self.bias

    def propagate(self, x: Tensor, hypergraph: Hypergraph) -> Tensor:
        """``N(H) x``."""
        if self.symmetric:  # Dv^-1/2 H De^-1 H^T Dv^-1/2
            out = hypergraph.smooth(x, "hgnn", lambda: (inverse_power(hypergraph.node_degree(), 0.5),
                                                        inverse_power(hypergraph.edge_degree(), 1.0),
                                                        inverse_power(hypergraph.node_degree(), 0.5)))
        else:  # Dv^-1 H De^-1 H^T: mean over members, then over hyperedges
            out = hypergraph.smooth(x, "mean-mean", lambda: (inverse_power(hypergraph.node_degree(), 1.0),
                                                             inverse_power(hypergraph.edge_degree(), 1.0), None))
        return out


class HGNNNet(nn.Module):
    def __init__(self, in_dim: int, hidden: int, num_classes: int, layers: int, symmetric: bool,
                 dropout: float = 0.5, min_convs: int = 2) -> None:
        super().__init__()
        n = max(layers, min_convs)
        dims = [in_dim] + [hidden] * (n - 1) + [num_classes]
        self.convs = nn.ModuleList(HypergraphConv(a, b, symmetric) for a, b in zip(dims[:-1], dims[1:]))
        self.dropout = dropout
        self.input = SparseInput()
        self.propagated_input = PropagatedInput()

    def forward(self, x: Tensor, hypergraph: Hypergraph) -> Tensor:
        first, *rest = self.convs
        # a capability, not a type: a layer without it (bench ops swaps in other libraries' layers) runs as is
        if getattr(first, "narrow_first", False) and isinstance(x, Tensor) and not x.requires_grad:
            x = self.propagated_input(x, hypergraph, first.propagate) @ first.weight + first.bias
        else:
            x = first(self.input(x, 0.0, self.training), hypergraph)
        for conv in rest:
            x = conv(dropout(F.elu(x), self.dropout, self.training), hypergraph)
        return x


class PropagatedInput(LastValue):
    """``N(H) X`` for the first convolution's input ``X``, computed once per features and hypergraph.

    Where the features are narrower than the first layer (Congress and House 2, Walmart 11), HGNN's
    first convolution is ``(N(H) X) Theta + b`` instead of ``N(H) (X Theta) + b``: the same product in
    the narrow order, and ``N(H) X`` is constant (the input has no dropout).
    """

    def __call__(self, x: Tensor, hypergraph: Hypergraph, propagate) -> Tensor:
        if not hypergraph.fixed_weights:  # gradients reach the membership weights: every call
            return propagate(x, hypergraph)
        weight = hypergraph.weight
        versions = (x._version, hypergraph.index._version, None if weight is None else weight._version)
        return self.get((x, hypergraph), versions, lambda: propagate(x, hypergraph))


class HGNN(TrainedMethod):
    """HGNN: symmetric hypergraph convolution ``Dv^-1/2 H De^-1 H^T Dv^-1/2 X Theta`` (see module doc)."""

    name = "hgnn"
    description = "HGNN (Feng et al. 2019): symmetric-normalised hypergraph convolution"
    defaults = {"symmetric": True, "dropout": 0.5, "min_convs": 2}
    architecture = ("hidden",)  # layers 1 and 2 build the same network (module doc)
    search_space = grid("full", architecture)

    def build(self, data: NodeDataset, config: dict) -> nn.Module:
        min_convs = int(config["min_convs"])
        layers = int(config.get("layers", min_convs))  # not a grid key (module doc)
        return HGNNNet(data.num_features, int(config["hidden"]), data.num_classes, layers,
                       bool(config["symmetric"]), float(config["dropout"]), min_convs)


class HCHA(HGNN):
    """HCHA without attention: random-walk hypergraph convolution ``Dv^-1 H De^-1 H^T X Theta``."""

    name = "hcha"
    description = "HCHA (Bai et al. 2021) without attention: random-walk hypergraph convolution (PyG/ED-HNN)"
    defaults = {"symmetric": False}
