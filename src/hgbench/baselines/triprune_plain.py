"""TriPrune's plain supervised rows, trained by its protocol (:class:`~hgbench.methods.protocol.TriPruneProtocol`).

* ``tp-hgnn`` — HGNN (Feng et al., AAAI 2019), ../shared/triprune/BASELINES.md card 1: backbone
  B-union, i.e. the HGNN operator ``Dv^-1/2 H De^-1 H^T Dv^-1/2`` (``W = I``) over the hyperedges of
  every context at once, context ids ignored (HGNN's own rule for fusing several hypergraphs);
  two convolutions ``d -> h -> C`` with ReLU and dropout between (the card; not the ELU of the
  ED-HNN code that ZEN's ``hgnn`` row follows). It is the unpruned reference of Table 2's
  efficiency ratios.
* ``tp-mlp`` — an MLP on the node features alone (``d -> h -> C``, ReLU, dropout): not a row of the
  paper; it shows what the hypergraph adds.

Search space (card 1, "suite search"): hidden {64, 128} x dropout {0.3, 0.5} x lr {1e-3, 1e-2}, the
``full`` budget (8 configurations). ``reduced`` runs the defaults only (hidden 64 as BASELINES.md
§0.3, dropout 0.5 as HGNN's released config, lr 1e-3 as TriPrune's shared protocol); ``smoke``
the defaults at lr 1e-2 (as ZEN's smoke budget) for at most 20 epochs (patience 5). Every record
times one full forward of the trained model (the default ``profile_inference``; BASELINES.md §0.6).
``tp-hgnn`` also stores its trained weights as ``modules.pt``: the distillation rows read it as their
teacher (:mod:`.kit.teacher`), never retraining it.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Callable, ClassVar

import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ..datasets.base import NodeDataset
from ..datasets.hypergraph import Hypergraph
from ..datasets.splits import Split
from ..methods.base import Fitted
from ..methods.trainer import TrainedMethod
from .hgnn import HypergraphConv
from .kit.tuning import TriPruneTuning


class TriPruneTrained(TriPruneTuning, TrainedMethod):
    """A supervised baseline under TriPrune's protocol, tuned as BASELINES.md §0.4 (:mod:`.kit.tuning`)."""

    defaults = {"profile_inference": True}  # the runner times one full forward of the trained model
    architecture = ("hidden",)
    layer: ClassVar[Callable[[int, int], nn.Module]]  # called as layer(in, out); both layers then take (x, H)
    search_space: ClassVar[dict[str, list]] = {"hidden": [64, 128], "dropout": [0.3, 0.5], "lr": [1e-3, 1e-2]}
    # the reduced budget's one configuration (grid keys, so part of every job's params either way)
    default_point: ClassVar[dict[str, Any]] = {"hidden": 64, "dropout": 0.5, "lr": 1e-3}
    keeps_modules: ClassVar[bool] = False  # store the trained weights as modules.pt (a teacher later runs read)

    def fit(self, data: NodeDataset, split: Split, config: dict, seed: int, prepared: Any = None) -> Fitted:
        fitted = super().fit(data, split, config, seed, prepared)
        if self.keeps_modules:
            fitted.modules = fitted.state
        return fitted

    def build(self, data: NodeDataset, config: dict) -> nn.Module:
        """``layer(d, hidden) -> ReLU -> dropout -> layer(hidden, C)``."""
        hidden = int(config["hidden"])
        return _TwoLayers(self.layer(data.num_features, hidden), self.layer(hidden, data.num_classes),
                          float(config["dropout"]))


class _TwoLayers(nn.Module):
    """``second(dropout(relu(first(x))))``, each layer called as ``layer(x, hypergraph)``."""

    def __init__(self, first: nn.Module, second: nn.Module, dropout: float) -> None:
        super().__init__()
        self.first, self.second, self.dropout = first, second, dropout

    def embed(self, x: Tensor, hypergraph: Hypergraph) -> Tensor:
        """The hidden representation ``relu(first(x))`` (a distillation teacher's embedding)."""
        return F.relu(self.first(x, hypergraph))

    def forward(self, x: Tensor, hypergraph: Hypergraph) -> Tensor:
        return self.second(F.dropout(self.embed(x, hypergraph), self.dropout, self.training), hypergraph)


class _NodeWise(nn.Linear):
    """A linear map of each node's features; the hypergraph is ignored."""

    def forward(self, x: Tensor, hypergraph: Hypergraph | None = None) -> Tensor:
        return super().forward(x)


class TriPruneHGNN(TriPruneTrained):
    """HGNN on the union of the contexts (BASELINES.md card 1, B-union), TriPrune's protocol."""

    name = "tp-hgnn"
    label = "HGNN"
    description = "HGNN (Feng et al. 2019) on the union of the contexts, TriPrune's protocol (Table 2 row)"

    layer = staticmethod(partial(HypergraphConv, symmetric=True))
    keeps_modules = True  # the distillation rows' teacher (kit/teacher.py)


class TriPruneMLP(TriPruneTrained):
    """An MLP on the node features (no hypergraph), TriPrune's protocol."""

    name = "tp-mlp"
    label = "MLP"
    description = "MLP on the node features alone, TriPrune's protocol (not a paper row)"

    layer = _NodeWise
