"""HyGCL-AdT (Qian, Ma, Zhang, Ye, WWW 2024 Companion) — TriPrune's Table 2 row "HyGCL-AdT",
../shared/triprune/BASELINES.md card 3.

What the row measures: an AllSet node classifier trained end to end with dual-level (node and community =
hyperedge) contrastive regularisation whose temperature adapts to the uniformity of the embeddings; the
original's own task (hypergraph node classification), on the union of the contexts (B-union, context ids
ignored).

Model (the official code's AllDeepSets path, :class:`~.allset.SetGNN` reused): input dropout 0.2, one
V2E + E2V DeepSets layer (1-layer LayerNorm MLPs, dropout 0.2), a 1-layer classifier; self loops added
(AllSet's preprocessing: a singleton hyperedge for every node that has none, once, in ``prepare``).
Contrastive parts: a projection head (``Linear hidden -> 128``), a community map
``Linear([V2E output of e ‖ Σ_{v∈e} projected z_v]) -> 128`` and the loss's projection
``Linear(128, 200) -> ELU -> Linear(200, hidden)``.

Training: ``TRIPRUNE_PROTOCOL.train`` (Adam ``lr``, weight decay 5e-4, ≤ 200 epochs of 512-node labelled
batches, early stopping on validation, patience 20) with :class:`HyGCLHooks`: every step adds
``m_l (L_node + L_comm)``, computed once per step on two fresh views — memberships dropped with rate
``drop_ratio`` (self loops kept) and additive ``U(0,1)`` noise on every feature — with GRACE-style InfoNCE
(negatives from both views, symmetrised) over nodes (all present in both views) and over the original
hyperedges non-empty in both views. The adaptive temperature (:class:`~.kit.contrastive.AdaptiveTemperature`,
one state for both levels, ``t₀`` → floor 0.1, ``η`` 1e-3, ``ρ`` 0.7) is updated before each of the four
directed InfoNCE calls of a step from the uniformity of that call's anchor batch (projected, as the code);
its state is logged per epoch (trace columns ``tau``, ``tau_grad``, ``uniformity``, ``loss_node``,
``loss_comm``).

Departures from the original, and why:

* Batching (BASELINES.md §0.4): each InfoNCE averages over 512 anchors (nodes; hyperedges kept in both
  views) drawn per step and scored against all nodes / all kept hyperedges (``O(512·n·d)``); the original
  takes every node and hyperedge as an anchor (``n x n``) and subsamples graphs above 20,000 nodes (not done
  here: anchors bound the cost). The uniformity is computed on the anchor batch (the code: all rows).
* The community pooling is a scatter sum (the code loops over hyperedges in Python); negatives of the
  community level are the hyperedges kept in both views (the code: all hyperedges of the other view).
* Membership dropping is Bernoulli per membership (the code draws an exact count); same rate.
* Steps: the protocol takes ``ceil(|train|/512)`` steps per epoch (the code: one full-batch step), so the
  temperature moves that many times faster per epoch; ≤ 200 epochs instead of 500.
* Aggregation: the official ``main.py`` sets ``aggregate = "add"`` for AllDeepSets, so the default
  ``aggregate`` is ``sum`` (BASELINES.md card 3 says "mean aggregation"; ``aggregate = "mean"`` gives it).

Defaults (``default_point``): ``t0`` 1.0, ``drop_ratio`` 0.3, ``m_l`` 1, AllDeepSets, hidden 64 (the suite
width; the original 64-512), lr 1e-3. Search space (card): ``t0`` {0.5, 1.0}, ``drop_ratio`` {0.2, 0.3, 0.4},
``m_l`` {0.5, 1}, encoder ``attention`` {False (AllDeepSets), True (AllSetTransformer, 4 heads)}, hidden
{64, 128}, lr {1e-3, 1e-2}; 25 of the 96 points (:mod:`.kit.tuning`).

Efficiency columns: inference (``predict``) is the encoder + classifier on the clean hypergraph (one AllSet
layer; the same order as HGNN). Training runs three encoder passes per step plus the ``512 x n`` similarity
blocks; the training peak memory column is where the paper's 14.2 GB could come from (its ``n x n``
similarities), which this batched version cannot show. Official code read: graphprojects/HyGCL-AdT.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ..datasets.base import NodeDataset
from ..datasets.hypergraph import Hypergraph
from ..datasets.splits import Split
from ..methods.base import Fitted, Method
from ..methods.protocol import Hooks
from .allset import SetGNN
from .kit.contrastive import AdaptiveTemperature, drop_incidence, info_nce_directed, nonempty_edges, sample_anchors
from .kit.tuning import TriPruneTuning
from .mlp import MLP

PROJECTION_WIDTH = 200  # the width of the loss's projection (a constant of the official code)


class HyGCLNet(nn.Module):
    """AllSet encoder + classifier (``forward``: the deployed model) and the contrastive parts (``view``)."""

    def __init__(self, in_dim: int, hidden: int, num_classes: int, config: dict) -> None:
        super().__init__()
        dropout, p_hidden = float(config["dropout"]), int(config["p_hidden"])
        self.net = SetGNN(in_dim, hidden, num_classes, 1, bool(config["attention"]), int(config["heads"]), dropout,
                          float(config["input_dropout"]), int(config["mlp_layers"]), int(config["classifier_layers"]),
                          reduce=str(config["aggregate"]))
        self.proj_head = MLP(hidden, p_hidden, p_hidden, int(config["classifier_layers"]), dropout, norm=True)
        self.community = nn.Linear(hidden + p_hidden, p_hidden)
        self.projection = nn.Sequential(nn.Linear(p_hidden, PROJECTION_WIDTH), nn.ELU(),
                                        nn.Linear(PROJECTION_WIDTH, hidden))

    def forward(self, x: Tensor, hypergraph: Hypergraph) -> Tensor:
        return self.net(x, hypergraph)

    def view(self, x: Tensor, hypergraph: Hypergraph, num_edges: int) -> tuple[Tensor, Tensor]:
        """(projected node embeddings ``n x p``, community embeddings of the first ``num_edges`` hyperedges —
        the original ones, not the self loops — ``num_edges x p``) of one augmented view."""
        net = self.net
        x = F.dropout(x, net.input_dropout, self.training)
        edges = F.relu(net.v2e[0](x, hypergraph))
        nodes = F.relu(net.e2v[0](F.dropout(edges, net.dropout, self.training), hypergraph))
        z = self.proj_head(F.dropout(nodes, net.dropout, self.training))
        pooled = hypergraph.v2e(z, "sum")[:num_edges]
        return z, self.community(torch.cat([edges[:num_edges], pooled], dim=1))


class HyGCLHooks(Hooks):
    """The contrastive term of every step and the temperature's trace columns (one instance per run)."""

    def __init__(self, hypergraph: Hypergraph, features: Tensor, num_edges: int, config: dict, seed: int) -> None:
        self.hypergraph, self.features, self.num_edges = hypergraph, features, num_edges
        self.loops = hypergraph.edges >= num_edges
        self.drop_ratio, self.weight = float(config["drop_ratio"]), float(config["m_l"])
        self.temperature = AdaptiveTemperature(float(config["t0"]), float(config["tau_floor"]),
                                               float(config["tau_eta"]), float(config["tau_rho"]))
        self.generator = torch.Generator().manual_seed(seed)
        self.sums: dict[str, float] = {}
        self.steps = 0

    def _contrast(self, first: Tensor, second: Tensor, anchors: Tensor, model: HyGCLNet) -> Tensor:
        """Both directed InfoNCE terms of one level, each after a temperature update on its anchor batch."""
        p1, p2 = model.projection(first), model.projection(second)
        losses = []
        for a, b in ((p1, p2), (p2, p1)):
            tau = self.temperature.step(a.index_select(0, anchors.to(a.device)))
            losses.append(info_nce_directed(a, b, tau, anchors, intra_view=True))
        return 0.5 * (losses[0] + losses[1])

    def extra_loss(self, model: nn.Module, logits: Tensor, batch: Tensor, epoch: int) -> Tensor:
        views = []
        for _ in range(2):
            view = drop_incidence(self.hypergraph, self.drop_ratio, self.generator, protect=self.loops)
            noise = torch.rand(self.features.shape, generator=self.generator).to(self.features)
            views.append((model.view(self.features + noise, view, self.num_edges),
                          nonempty_edges(view)[:self.num_edges]))
        (z1, c1), kept1 = views[0]
        (z2, c2), kept2 = views[1]
        loss_node = self._contrast(z1, z2, sample_anchors(z1.shape[0], self.generator), model)
        common = (kept1 & kept2).nonzero().flatten()
        loss_comm = (self._contrast(c1[common], c2[common], sample_anchors(common.numel(), self.generator), model)
                     if common.numel() > 1 else z1.sum() * 0.0)
        for key, value in (("loss_node", loss_node), ("loss_comm", loss_comm)):
            self.sums[key] = self.sums.get(key, 0.0) + float(value.detach())
        self.steps += 1
        return self.weight * (loss_node + loss_comm)

    def after_epoch(self, model: nn.Module, epoch: int) -> dict[str, float]:
        row = {**self.temperature.state(), **{key: value / max(self.steps, 1) for key, value in self.sums.items()}}
        self.sums, self.steps = {}, 0
        return row


class HyGCLAdT(TriPruneTuning, Method):
    """HyGCL-AdT: AllSet + classifier with node- and community-level InfoNCE at an adaptive temperature."""

    name = "hygcl-adt"
    label = "HyGCL-AdT"
    paper_label = "HyGCL-AdT"
    description = ("HyGCL-AdT (Qian et al. 2024): AllSet classifier trained jointly with node- and community-level "
                   "contrastive losses at an adaptive temperature, TriPrune's protocol")
    defaults = {
        "profile_inference": True, "tau_floor": 0.1, "tau_eta": 1e-3, "tau_rho": 0.7, "dropout": 0.2,
        "input_dropout": 0.2, "mlp_layers": 1, "classifier_layers": 1, "p_hidden": 128, "heads": 4,
        "aggregate": "sum",
    }
    search_space: ClassVar[dict[str, list]] = {
        "t0": [0.5, 1.0], "drop_ratio": [0.2, 0.3, 0.4], "m_l": [0.5, 1.0], "attention": [False, True],
        "hidden": [64, 128], "lr": [1e-3, 1e-2],
    }
    default_point: ClassVar[dict[str, Any]] = {
        "t0": 1.0, "drop_ratio": 0.3, "m_l": 1.0, "attention": False, "hidden": 64, "lr": 1e-3,
    }

    def prepare(self, data: NodeDataset, config: dict) -> tuple[Hypergraph, int]:
        """AllSet's self loops (one-off, timed as ``prepare_seconds``) and the number of original hyperedges."""
        return data.hypergraph.with_self_loops(), data.hypergraph.num_edges

    def build(self, data: NodeDataset, config: dict) -> HyGCLNet:
        return HyGCLNet(data.num_features, int(config["hidden"]), data.num_classes, config)

    def fit(self, data: NodeDataset, split: Split, config: dict, seed: int, prepared: Any = None) -> Fitted:
        config = self.hyperparameters(config)
        hypergraph, num_edges = prepared if prepared is not None else self.prepare(data, config)
        looped = replace(data, hypergraph=hypergraph)
        hooks = HyGCLHooks(hypergraph, data.features, num_edges, config, seed)
        training = self.protocol.train(lambda: self.build(looped, config), looped, split, config, seed, hooks)
        model = training.model

        def predict_on(other: NodeDataset, loops: Hypergraph | None = None) -> Tensor:
            with torch.no_grad():
                return model(other.features, loops if loops is not None else other.hypergraph.with_self_loops())

        diagnostics = {**training.diagnostics, "num_parameters": sum(p.numel() for p in model.net.parameters()),
                       "training_parameters": training.diagnostics["num_parameters"],
                       "final_tau": hooks.temperature.tau, "tau_updates": hooks.temperature.updates}
        return Fitted(lambda: predict_on(data, hypergraph), diagnostics, trace=training.trace,
                      state=model.net.state_dict(), predict_on=predict_on)
