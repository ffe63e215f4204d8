"""HNHN: hypergraph networks with hyperedge neurons (Dong, Sawin & Bengio, 2020).

One HNHN convolution has a node -> hyperedge and a hyperedge -> node half, each with its own
weights and a degree normalisation with exponents ``beta`` (node side) and ``alpha`` (hyperedge
side) (Dong et al. §3, "normalization")::

    x_e = sigma( W_e * (1 / D_{e,beta}) sum_{v in e} d_v^beta x_v + b_e ),   D_{e,beta} = sum_{v in e} d_v^beta
    x_v' =       W_v * (1 / D_{v,alpha}) sum_{e ni v} d_e^alpha x_e + b_v,   D_{v,alpha} = sum_{e ni v} d_e^alpha

(in ED-HNN's implementation the linear maps act before each aggregation:
``x_e = relu(D_{e,beta}^-1 H^T D_v^beta (X W1 + b1))`` and ``X' = D_{v,alpha}^-1 H D_e^alpha (x_e W2 + b2)``,
which is what we do). ``alpha = -1.5``, ``beta = -0.5`` (ED-HNN's defaults).

Architecture (ED-HNN ``models/hnhn.py``): ``layers = 1`` is one convolution ``d -> h -> c`` (the
hyperedge neurons have width ``h``); ``layers = L > 1`` is ``d -> h -> h``, ``(L - 2) x (h -> h -> h)``,
``h -> h -> c`` with ReLU and dropout (0.5) between convolutions; the ReLU inside the convolution
(``HNHN_nonlinear_inbetween``) is on; no input dropout; PyTorch's default Linear initialisation.

Deviations / decisions:
  * ``D_{v,alpha}`` and ``D_{e,beta}`` are the sums of *powered* degrees as in the HNHN paper and
    AllSet's preprocessing. ED-HNN's ``HNHN.generate_norm`` (the code ZEN ran) sums the raw degrees
    instead (``D_{v,alpha} = sum d_e``, ``D_{e,beta} = sum d_v``), which makes the aggregation no
    longer a weighted mean; ``HNHN(edhnn_degree_sums=True)`` reproduces that variant.
  * With a soft mask, degrees are weighted sums and every membership is scaled by its weight.
  * Bag-of-words features (at most 5% non-zero: Cora, Cora-CA, Citeseer, 20News) enter the first
    convolution's ``v2e_linear`` as a sparse matrix (:mod:`~hgbench.baselines.sparse_features`; HNHN has
    no input dropout). Same sums in another order: the committed HNHN records on those datasets were
    rerun with ``bench verify --replace`` (docs/baselines.md, "Speed").
"""

from __future__ import annotations

import functools

import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ..datasets.base import NodeDataset
from ..datasets.hypergraph import Hypergraph, inverse_power
from ..methods.trainer import TrainedMethod
from .dropout import dropout
from .sparse_features import SparseFeatures, SparseInput, linear


def hnhn_normalisation(hypergraph: Hypergraph, alpha: float, beta: float, raw_sums: bool = False):
    """``(d_v^beta, 1 / D_{e,beta}, d_e^alpha, 1 / D_{v,alpha})`` as column vectors."""
    dv, de = hypergraph.node_degree(), hypergraph.edge_degree()
    dv_beta, de_alpha = inverse_power(dv, -beta), inverse_power(de, -alpha)  # d^p with 0 for d = 0
    d_e_beta = hypergraph.v2e(dv if raw_sums else dv_beta)
    d_v_alpha = hypergraph.e2v(de if raw_sums else de_alpha)
    return tuple(t.unsqueeze(1) for t in (dv_beta, inverse_power(d_e_beta, 1.0), de_alpha,
                                          inverse_power(d_v_alpha, 1.0)))


class HNHNConv(nn.Module):
    def __init__(self, in_dim: int, hidden: int, out_dim: int, alpha: float = -1.5, beta: float = -0.5,
                 raw_sums: bool = False, nonlinear_inbetween: bool = True) -> None:
        super().__init__()
        self.v2e_linear = nn.Linear(in_dim, hidden)
        self.e2v_linear = nn.Linear(hidden, out_dim)
        self.alpha, self.beta, self.raw_sums = alpha, beta, raw_sums
        self.nonlinear_inbetween = nonlinear_inbetween

    def forward(self, x: Tensor | SparseFeatures, hypergraph: Hypergraph) -> Tensor:
        # The normalisations are folded into operators cached per key; computed only to build them.
        key = (self.alpha, self.beta, self.raw_sums)
        norms = functools.cache(lambda: [t.flatten() for t in hnhn_normalisation(hypergraph, *key)])
        edges = hypergraph.propagate(linear(self.v2e_linear, x), "v2e", ("hnhn", *key),
                                     lambda: (norms()[1], norms()[0]))
        if self.nonlinear_inbetween:
            edges = F.relu(edges)
        return hypergraph.propagate(self.e2v_linear(edges), "e2v", ("hnhn", *key), lambda: (norms()[3], norms()[2]))


class HNHNNet(nn.Module):
    def __init__(self, in_dim: int, hidden: int, num_classes: int, layers: int, alpha: float = -1.5,
                 beta: float = -0.5, dropout: float = 0.5, edhnn_degree_sums: bool = False) -> None:
        super().__init__()
        norm = (alpha, beta, edhnn_degree_sums)
        if layers == 1:
            self.convs = nn.ModuleList([HNHNConv(in_dim, hidden, num_classes, *norm)])
        else:
            dims = [in_dim] + [hidden] * (layers - 1) + [num_classes]
            self.convs = nn.ModuleList(HNHNConv(a, hidden, b, *norm) for a, b in zip(dims[:-1], dims[1:]))
        self.dropout = dropout
        self.input = SparseInput()

    def forward(self, x: Tensor, hypergraph: Hypergraph) -> Tensor:
        x = self.input(x, 0.0, self.training)  # no input dropout: bag-of-words features as a sparse matrix
        for conv in self.convs[:-1]:
            x = dropout(F.relu(conv(x, hypergraph)), self.dropout, self.training)
        return self.convs[-1](x, hypergraph)


class HNHN(TrainedMethod):
    """HNHN with (alpha, beta) = (-1.5, -0.5) degree normalisation (see module doc)."""

    name = "hnhn"
    description = "HNHN (Dong et al. 2020): hyperedge neurons with alpha/beta degree normalisation"
    defaults = {"alpha": -1.5, "beta": -0.5, "dropout": 0.5, "edhnn_degree_sums": False}

    def build(self, data: NodeDataset, config: dict) -> nn.Module:
        return HNHNNet(data.num_features, int(config["hidden"]), data.num_classes, int(config["layers"]),
                       float(config["alpha"]), float(config["beta"]), float(config["dropout"]),
                       bool(config["edhnn_degree_sums"]))
