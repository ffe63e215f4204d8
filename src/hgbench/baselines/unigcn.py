"""UniGCN and UniGCNII (Huang & Yang, "UniGNN", IJCAI 2021).

UniGCN (Huang & Yang's GCN instance of UniGNN; official code ``OneForward/UniGNN``, ``UniGCNConv``)::

    h_e = mean_{u in e} W x_u,     x_v' = (1 / sqrt(d_v)) sum_{e ni v} (1 / sqrt(d~_e)) h_e,
    d~_e = mean_{u in e} d_u  (the average degree of the members of e).

No bias, no row normalisation (``--use-norm`` off, the default). The network is UniGNN's: input
dropout 0.6, convolutions ``d -> h``, ``(L - 2) x (h -> h)``, ``h -> c`` with ReLU and dropout 0.6
between them (UniGNN's defaults for ``--input-drop`` / ``--dropout``; UniGCN is not in ED-HNN's
codebase, so its own code is the reference). UniGNN splits ``h`` as ``nhid x nhead`` (8 x 8 = 64);
the heads of UniGCN only widen the linear map, so ``hidden`` is the total width.

UniGCNII (Huang & Yang's deep variant with GCNII's initial residual and identity mapping; ED-HNN's
``models/unigcn2.py``)::

    X0 = relu(Linear(dropout(X))),
    X_{l} = relu( (1 - beta_l) Xi + beta_l Xi W_l ),  Xi = (1 - a) P X_{l-1} + a X0,
    beta_l = log(lambda / l + 1),  lambda = 0.5,  a = 0.5,   logits = Linear(dropout(X_L)),

with dropout 0.2 before every layer (ED-HNN hard-codes 0.2) and ``P X = mean_{e ni v} mean_{u in e} x_u``
(ED-HNN's UniGCNII uses mean/mean aggregation, i.e. ``Dv^-1 H De^-1 H^T``, matching ZEN's Table 1
linearisation; ``a = 0.5`` is ED-HNN's ``--restart_alpha`` default, UniGNN's own code uses 0.1 and
UniGCN's ``1/sqrt`` degree normalisation). ``layers = L`` is the number of ``UniGCNIIConv`` layers.

Deviations / decisions:
  * UniGCN: ``layers = L`` builds ``max(L, 2)`` convolutions, like the official ``UniGNN`` class
    (its first and output convolutions always exist), so layers 1 and 2 coincide and the grid drops
    ``layers`` (``architecture = ("hidden",)``, as HGNN's); a configuration may still set it.
  * Degrees are membership-weighted under a soft mask; UniGNN sets ``1/sqrt(d_v) = 1`` for isolated
    nodes (only without self-loops), we use 0 (no message reaches them anyway).
  * No weight decay (ZEN's protocol), whereas UniGNN's scripts use 5e-4 (0.01 for UniGCNII's convs).
  * Bag-of-words features (at most 5% non-zero: Cora, Cora-CA, Citeseer, 20News) enter UniGCN's first
    convolution and UniGCNII's input layer as a sparse matrix, input dropout drawn for the non-zero values
    only (:mod:`~hgbench.baselines.sparse_features`; docs/baselines.md, "Speed"). A UniGCN convolution
    narrower at its input than its output (features of Congress, House, Senate, Walmart) propagates, then
    projects.
"""

from __future__ import annotations

import math

import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ..datasets.base import NodeDataset
from ..datasets.hypergraph import Hypergraph, inverse_power
from ..methods.trainer import TrainedMethod, grid
from .dropout import dropout
from .sparse_features import SparseFeatures, SparseInput, linear


class UniGCNConv(nn.Module):
    def __init__(self, in_dim: int, out_dim: int) -> None:
        super().__init__()
        self.linear = nn.Linear(in_dim, out_dim, bias=False)

    def forward(self, x: Tensor | SparseFeatures, hypergraph: Hypergraph) -> Tensor:
        if isinstance(x, Tensor) and x.shape[-1] < self.linear.out_features:  # propagate the narrow side
            return self.linear(self.propagate(x, hypergraph))
        return self.propagate(linear(self.linear, x), hypergraph)

    def propagate(self, x: Tensor, hypergraph: Hypergraph) -> Tensor:
        """``x_v' = d_v^-1/2 sum_{e ni v} d~_e^-1/2 mean_{u in e} x_u``."""
        def scales():  # d_v^-1/2, d~_e^-1/2 / d_e (the mean over members, then 1 / sqrt(d~_e)), none
            de_tilde = hypergraph.v2e(hypergraph.node_degree(), "mean")  # average member degree of each hyperedge
            return (inverse_power(hypergraph.node_degree(), 0.5),
                    inverse_power(de_tilde, 0.5) * inverse_power(hypergraph.edge_degree(), 1.0), None)

        return hypergraph.smooth(x, "unigcn", scales)


class UniGCNNet(nn.Module):
    def __init__(self, in_dim: int, hidden: int, num_classes: int, layers: int, input_dropout: float = 0.6,
                 dropout: float = 0.6, min_convs: int = 2) -> None:
        super().__init__()
        n = max(layers, min_convs)
        dims = [in_dim] + [hidden] * (n - 1) + [num_classes]
        self.convs = nn.ModuleList(UniGCNConv(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.input_dropout, self.dropout = input_dropout, dropout
        self.input = SparseInput()

    def forward(self, x: Tensor, hypergraph: Hypergraph) -> Tensor:
        x = self.input(x, self.input_dropout, self.training)
        for conv in self.convs[:-1]:
            x = dropout(F.relu(conv(x, hypergraph)), self.dropout, self.training)
        return self.convs[-1](x, hypergraph)


class UniGCNIIConv(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.linear = nn.Linear(dim, dim, bias=False)

    def forward(self, x: Tensor, x0: Tensor, hypergraph: Hypergraph, alpha: float, beta: float) -> Tensor:
        propagated = hypergraph.smooth(x, "mean-mean", lambda: (inverse_power(hypergraph.node_degree(), 1.0),
                                                                inverse_power(hypergraph.edge_degree(), 1.0), None))
        mixed = (1 - alpha) * propagated + alpha * x0
        return (1 - beta) * mixed + beta * self.linear(mixed)


class UniGCNIINet(nn.Module):
    def __init__(self, in_dim: int, hidden: int, num_classes: int, layers: int, alpha: float = 0.5,
                 lamda: float = 0.5, dropout: float = 0.2) -> None:
        super().__init__()
        self.lin_in = nn.Linear(in_dim, hidden)
        self.convs = nn.ModuleList(UniGCNIIConv(hidden) for _ in range(layers))
        self.lin_out = nn.Linear(hidden, num_classes)
        self.alpha, self.dropout = alpha, dropout
        self.betas = [math.log(lamda / (i + 1) + 1) for i in range(layers)]
        self.input = SparseInput()

    def forward(self, x: Tensor, hypergraph: Hypergraph) -> Tensor:
        x = F.relu(linear(self.lin_in, self.input(x, self.dropout, self.training)))
        x0 = x
        for conv, beta in zip(self.convs, self.betas):
            x = F.relu(conv(dropout(x, self.dropout, self.training), x0, hypergraph, self.alpha, beta))
        return self.lin_out(dropout(x, self.dropout, self.training))


class UniGCN(TrainedMethod):
    """UniGCN: ``x_v = d_v^-1/2 sum_e d~_e^-1/2 mean_{u in e} W x_u`` (see module doc)."""

    name = "unigcn"
    description = "UniGCN (Huang & Yang 2021): GCN-style normalised two-stage hypergraph message passing"
    defaults = {"input_dropout": 0.6, "dropout": 0.6, "min_convs": 2}
    architecture = ("hidden",)  # layers 1 and 2 build the same network (module doc)
    search_space = grid("full", architecture)

    def build(self, data: NodeDataset, config: dict) -> nn.Module:
        min_convs = int(config["min_convs"])
        layers = int(config.get("layers", min_convs))  # not a grid key (module doc)
        return UniGCNNet(data.num_features, int(config["hidden"]), data.num_classes, layers,
                         float(config["input_dropout"]), float(config["dropout"]), min_convs)


class UniGCNII(TrainedMethod):
    """UniGCNII: UniGNN propagation with GCNII's initial residual and identity mapping (see module doc)."""

    name = "unigcnii"
    description = "UniGCNII (Huang & Yang 2021): deep UniGNN with initial residual and identity mapping"
    defaults = {"alpha": 0.5, "lamda": 0.5, "dropout": 0.2}

    def build(self, data: NodeDataset, config: dict) -> nn.Module:
        return UniGCNIINet(data.num_features, int(config["hidden"]), data.num_classes, int(config["layers"]),
                           float(config["alpha"]), float(config["lamda"]), float(config["dropout"]))
