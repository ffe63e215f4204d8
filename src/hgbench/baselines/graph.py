"""SGC, APPNP and SSGC on the clique expansion of the hypergraph (ZEN Appendix F.2, Table 11).

ZEN: "For GNNs, we applied clique expansion to convert the hypergraph into a pairwise graph". The
graph is the weighted clique expansion ``A = H W H^T - diag(H W H^T)`` (``A_uv`` counts the
hyperedges ``u`` and ``v`` share, membership-weighted under a soft mask; no self-loops), as AllSet's
``ConstructV2V`` and HyperND's ``clique_adj`` build it; singleton hyperedges add nothing to it.
All three models use the augmented normalised adjacency of the original codes,
``S = (D + I)^-1/2 (A + I) (D + I)^-1/2`` (SGC's ``aug_normalized_adjacency``, APPNP's
``calc_A_hat``, SSGC's ``AugNormAdj``), with ``D`` the weighted degree of ``A``.

* SGC (Wu et al., "Simplifying Graph Convolutional Networks", ICML 2019, §2.2):
  ``Y = softmax(S^K X Theta)``; ``S^K X`` is computed once (``prepare``), then logistic regression
  (``nn.Linear`` with bias, as ``Tiiiger/SGC``'s ``SGC`` model).
* SSGC (Zhu & Koniusz, "Simple Spectral Graph Convolution", ICLR 2021, §3):
  ``X' = (1/K) sum_{k=1..K} ((1 - a) S^k X + a X)``, then logistic regression; computed as
  ``allenhaozhu/SSGC``'s ``sgc_precompute``: ``a X + (1 - a)/K sum_k S^k X``.
* APPNP (Gasteiger (formerly Klicpera), Bojchevski & Günnemann, "Predict then Propagate", ICLR 2019,
  §3):
  ``H = f(X)`` (an MLP), ``Z_0 = H``, ``Z_{k+1} = (1 - a) S Z_k + a H`` for ``K`` steps; the
  logits are ``Z_K``. As ``gasteigerjo/ppnp`` (PyTorch ``PPNP``): linear layers without bias,
  ReLU, dropout 0.5 on the input features and before the output layer.

Decisions (ZEN specifies none of these models' hyperparameters; the official defaults are used):
  * SGC: ``layers`` is ``K`` (the paper's "layers"; the official default is 2); ``hidden`` is not
    read (logistic regression), so the grids drop it.
  * SSGC: ``K = 16``, ``a = 0.05``, the official Cora / Citeseer / Pubmed settings
    (``args_cora.py`` etc.); neither ``layers`` nor ``hidden`` is read, so the grid is ``lr`` only.
  * APPNP: ``a = 0.1``, ``K = 10`` (the official settings for every dataset but MS Academic);
    ``layers`` is the number of hidden layers of the MLP (official: one, ``hiddenunits=[64]``),
    ``hidden`` their width, so ``layers = 1`` is the official network and no two configurations
    coincide.

Deviations from the official codes:
  * The shared protocol (Adam, no weight decay, epochs as checkpoints selected on validation),
    where SGC trains 100 epochs at lr 0.2 with tuned weight decay, SSGC the same with weight decay
    1e-5 and APPNP uses L2 5e-3 on the first layer and patience-based early stopping.
  * Features are used as the dataset provides them; SGC's and SSGC's citation loaders row-normalise
    them first (dataset preprocessing, identical for every method here).
  * APPNP without dropout on the adjacency (as the official PyTorch example).
  * APPNP's propagation matrix is built from the hypergraph on the model's first forward pass,
    once per run (:class:`~hgbench.baselines.precomputed.OperatorCache`), not in ``prepare``.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ..datasets.base import NodeDataset
from ..datasets.hypergraph import Hypergraph, SparseOperator, inverse_power
from ..methods.trainer import TrainedMethod, grid
from .precomputed import FeatureTransformMethod, OperatorCache


def normalized_clique_adjacency(hypergraph: Hypergraph) -> SparseOperator:
    """``(D + I)^-1/2 (A + I) (D + I)^-1/2`` of the weighted clique expansion ``A`` (no self-loops)."""
    expansion = hypergraph.clique_expansion()
    rows, cols = expansion.indices()
    between = rows != cols
    loops = torch.arange(hypergraph.num_nodes)
    rows = torch.cat([rows[between], loops])
    cols = torch.cat([cols[between], loops])
    values = torch.cat([expansion.values()[between].float(), torch.ones(hypergraph.num_nodes)])
    scale = inverse_power(torch.zeros(hypergraph.num_nodes).index_add(0, rows, values), 0.5)
    return SparseOperator.symmetric(rows, cols, values * scale[rows] * scale[cols], hypergraph.num_nodes)


class SGC(FeatureTransformMethod):
    """SGC: logistic regression on ``S^K X`` over the clique expansion, ``K = layers`` (see module doc)."""

    name = "sgc"
    label = "SGC"
    description = "SGC (Wu et al. 2019) on the clique expansion: logistic regression on S^K X"
    architecture = ("layers",)
    search_space = grid("full", architecture)

    def prepare(self, data: NodeDataset, config: dict) -> Tensor:
        steps = int(config["layers"])
        if steps < 1:
            raise ValueError(f"SGC needs K = layers >= 1, got {steps}")
        adjacency, x = normalized_clique_adjacency(data.hypergraph), data.features
        for _ in range(steps):
            x = adjacency @ x
        return x


class SSGC(FeatureTransformMethod):
    """SSGC: logistic regression on ``a X + (1 - a)/K sum_k S^k X``, K = 16, a = 0.05 (see module doc)."""

    name = "ssgc"
    label = "SSGC"
    description = "SSGC (Zhu & Koniusz 2021) on the clique expansion: logistic regression on the S2GC filter"
    architecture = ()
    search_space = grid("full", architecture)
    defaults = {"steps": 16, "alpha": 0.05}

    def prepare(self, data: NodeDataset, config: dict) -> Tensor:
        steps, alpha = int(config["steps"]), float(config["alpha"])
        adjacency, x, total = normalized_clique_adjacency(data.hypergraph), data.features, 0
        for _ in range(steps):
            x = adjacency @ x
            total = total + x
        return alpha * data.features + (1 - alpha) / steps * total


class APPNPNet(nn.Module):
    def __init__(self, in_dim: int, hidden: int, num_classes: int, hidden_layers: int, alpha: float = 0.1,
                 steps: int = 10, dropout: float = 0.5) -> None:
        super().__init__()
        if hidden_layers < 1:
            raise ValueError(f"APPNP's MLP needs at least one hidden layer, got {hidden_layers}")
        dims = [in_dim] + [hidden] * hidden_layers + [num_classes]
        self.linears = nn.ModuleList(nn.Linear(a, b, bias=False) for a, b in zip(dims[:-1], dims[1:]))
        self.alpha, self.steps, self.dropout = alpha, steps, dropout
        self.adjacency = OperatorCache(normalized_clique_adjacency)

    def forward(self, x: Tensor, hypergraph: Hypergraph) -> Tensor:
        h = F.relu(self.linears[0](F.dropout(x, self.dropout, self.training)))
        for linear in self.linears[1:-1]:
            h = F.relu(linear(h))
        local = self.linears[-1](F.dropout(h, self.dropout, self.training))
        adjacency, z = self.adjacency(hypergraph), local
        for _ in range(self.steps):
            z = (1 - self.alpha) * (adjacency @ z) + self.alpha * local
        return z


class APPNP(TrainedMethod):
    """APPNP: an MLP's predictions propagated by K = 10 steps of personalised PageRank (see module doc)."""

    name = "appnp"
    label = "APPNP"
    description = "APPNP (Klicpera et al. 2019) on the clique expansion: MLP, then personalised-PageRank steps"
    defaults = {"alpha": 0.1, "steps": 10, "dropout": 0.5}

    def build(self, data: NodeDataset, config: dict) -> nn.Module:
        return APPNPNet(data.num_features, int(config["hidden"]), data.num_classes, int(config["layers"]),
                        float(config["alpha"]), int(config["steps"]), float(config["dropout"]))
