"""TriCL (Lee & Shin, AAAI 2023) — TriPrune's Table 2 row "TriCL", ../shared/triprune/BASELINES.md card 5.

What the row measures: self-supervised hypergraph representation learning with three contrasts (node,
group = hyperedge, membership), evaluated as the original is, by a linear probe on frozen embeddings. The
card's recommended label is "TriCL (SSL + linear probe)": the table shows ``label = "TriCL"`` and this
docstring and docs/triprune_baselines/contrastive.md carry the "(SSL + linear probe)" part — the encoder
never sees a label; only the probe does.

Two phases, each bounded by the protocol's ``epochs`` (BASELINES.md §0.4: 200 epochs per phase):

1. **Pre-training** (own loop: :func:`seeded`, :func:`check_finite`, :func:`check_deadline`; no labels, all
   nodes — transductive, as the original). Exactly ``epochs`` steps of AdamW (``pretrain_lr``,
   ``pretrain_weight_decay``) on ``L = L_n + w_g L_g + w_m L_m``, one step per epoch (the original trains
   full batch, one step per epoch). Per step two views: memberships dropped with rate ``p_inc`` (the
   self loops never), feature columns zeroed with rate ``p_feat``; node and hyperedge projection heads
   (``Linear -> ELU -> Linear``); node level: InfoNCE between the two views of a node with the other view's
   nodes as negatives (``τ_n``, symmetrised); group level: the same over the hyperedges non-empty in both
   views (``τ_g``); membership level: bilinear discriminator on the clean memberships of the hyperedges
   kept in the other view, against a permuted hyperedge and a permuted node (``τ_m``), both directions
   averaged. Nothing is selected: the encoder after the last step is kept (as the original).
2. **Linear probe** on the frozen clean-hypergraph embeddings: ``TRIPRUNE_PROTOCOL.train`` (Adam ``lr``,
   weight decay 5e-4, 512-node labelled batches, at most ``epochs`` epochs, early stopping on validation
   with patience 20; trains on ``split.train``, selects on ``split.val``).

Encoder (1 layer, the original default): ``e = PReLU(mean_{v∈e} x_v Θ₁ + b₁)``, ``n_v = PReLU(mean_{e∋v}
e Θ₂ + b₂)`` on the union of the contexts (B-union, context ids ignored) with one singleton self-loop
hyperedge added for every node (as the original, whatever loops the data already has). One PReLU (one
slope) serves both places, as in the original code where the same module is passed to both.

Departures from the original, and why:

* Batching (BASELINES.md §0.4, "batch 512" as anchors): per step, the node-level loss averages over 512
  anchor nodes drawn at random and scored against all nodes (``O(512·n·d)``), and the group-level loss over
  at most 512 anchor hyperedges against all hyperedges kept in both views (not ``O(m²)``); the original
  uses every node/hyperedge as an anchor (full ``n x n``) or, on large data, sequential batches of them.
  The membership loss runs over the clean memberships of the step's 512 anchor nodes (``O(512·deg·d)``,
  scored as ``(nB)[v]·e[e]``); over every membership each step it cost more than the rest of the step on IMDB
  (the original scores every membership, in sequential batches on large data).
* Pre-training epochs: ``epochs`` (200, the shared per-phase budget; smoke: 20) instead of the original
  100-1000 per dataset; the probe's epochs too (original: 100-300 full-batch epochs of AdamW without weight
  decay, on 20 random splits, lr 0.005-0.01); here the shared protocol on the stored splits.
* Width: hidden = projection = 128 by default (original 128-512; §0.3's suite width is 64-128).
* Membership dropping is Bernoulli per membership (as the original). Feature-column masking too.

Defaults (``default_point``): the original's Cora configuration at width 128 — ``pretrain_lr`` 5e-4,
``p_feat`` 0.4, ``p_inc`` 0.4, ``τ_n`` 0.5, ``τ_g`` 0.5, ``τ_m`` 1.0, ``w_g`` 4, ``w_m`` 1 — and probe ``lr``
1e-2 (the original probe's). Search space (the original ranges): hidden {128, 256}, pretrain_lr {1e-4,
5e-4, 1e-3}, p_feat {0, 0.2, 0.4}, p_inc {0.2, 0.3, 0.4}, τ_n {0.3, 0.5, 1.0}, τ_g {0.2, 0.5, 1.0}, τ_m
{0.5, 1.0}, w_g {0.25, 1, 4}, w_m {0.25, 1, 2}, lr {1e-3, 1e-2}; 25 points drawn (:mod:`.kit.tuning`).
The revision's single "λ_tri" does not exist in TriCL (it would be ``w_g = w_m``).

Efficiency columns: inference (``predict``) is the deployed model only — one encoder layer plus the linear
probe on the clean hypergraph with its self loops (added once, in ``prepare``): cheaper than a 2-layer
HGNN. Training time covers both phases; training peak memory is dominated by the two views' ``512 x n``
and ``512 x m`` similarity blocks and the per-membership scores, so the paper's 15.6 GB (a full ``n x n``
model) cannot be reproduced and is not what these columns measure.
Official code read: wooner49/TriCL.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any, ClassVar

import torch
import torch.nn as nn
from torch import Tensor

from ..datasets.base import NodeDataset
from ..datasets.hypergraph import Hypergraph
from ..datasets.splits import Split
from ..methods.base import Fitted, Method, check_deadline
from ..methods.protocol import TRIPRUNE_PROTOCOL, check_finite, seeded
from .kit.contrastive import (BilinearDiscriminator, drop_incidence, info_nce, mask_feature_columns, membership_loss,
                              nonempty_edges, sample_anchors)
from .kit.tuning import TriPruneTuning


def with_node_loops(hypergraph: Hypergraph) -> Hypergraph:
    """``hypergraph`` plus one singleton hyperedge per node, numbered ``m .. m + n - 1`` (context 0)."""
    n, m = hypergraph.num_nodes, hypergraph.num_edges
    nodes = torch.arange(n, device=hypergraph.device)
    index = torch.cat([hypergraph.index, torch.stack([nodes, nodes + m])], dim=1)
    weight = None if hypergraph.weight is None else torch.cat([hypergraph.weight, hypergraph.weight.new_ones(n)])
    context = torch.cat([hypergraph.edge_context, hypergraph.edge_context.new_zeros(n)])
    return Hypergraph(index, n, m + n, weight, context, hypergraph.context_names, allow_empty_edges=True)


class TriCLConv(nn.Module):
    """One TriCL layer: ``e = act(mean_{v∈e} x Θ₁ + b₁)``, ``n = mean_{e∋v} e Θ₂ + b₂`` (``n`` before activation)."""

    def __init__(self, in_dim: int, edge_dim: int, node_dim: int, act: nn.Module) -> None:
        super().__init__()
        self.to_edge = nn.Linear(in_dim, edge_dim, bias=False)
        self.to_node = nn.Linear(edge_dim, node_dim, bias=False)
        self.edge_bias = nn.Parameter(torch.zeros(edge_dim))
        self.node_bias = nn.Parameter(torch.zeros(node_dim))
        self.act = act
        nn.init.xavier_uniform_(self.to_edge.weight)
        nn.init.xavier_uniform_(self.to_node.weight)

    def forward(self, x: Tensor, hypergraph: Hypergraph) -> tuple[Tensor, Tensor]:
        edges = self.act(hypergraph.v2e(self.to_edge(x), "mean") + self.edge_bias)
        return hypergraph.e2v(self.to_node(edges), "mean") + self.node_bias, edges


class TriCLEncoder(nn.Module):
    """``layers`` TriCL layers, each followed by the shared PReLU; returns (node, hyperedge) embeddings."""

    def __init__(self, in_dim: int, hidden: int, layers: int = 1) -> None:
        super().__init__()
        self.act = nn.PReLU()
        self.convs = nn.ModuleList(TriCLConv(in_dim if i == 0 else hidden, hidden, hidden, self.act)
                                   for i in range(layers))

    def forward(self, x: Tensor, hypergraph: Hypergraph) -> tuple[Tensor, Tensor]:
        for conv in self.convs:
            x, edges = conv(x, hypergraph)
            x = self.act(x)
        return x, edges


def _head(dim: int, proj: int) -> nn.Module:
    return nn.Sequential(nn.Linear(dim, proj), nn.ELU(), nn.Linear(proj, dim))


class TriCLModel(nn.Module):
    """Encoder, node and hyperedge projection heads, and the membership discriminator."""

    def __init__(self, in_dim: int, hidden: int, proj: int, layers: int = 1) -> None:
        super().__init__()
        self.encoder = TriCLEncoder(in_dim, hidden, layers)
        self.node_head, self.edge_head = _head(hidden, proj), _head(hidden, proj)
        self.discriminator = BilinearDiscriminator(hidden, hidden)

    def losses(self, x: Tensor, hypergraph: Hypergraph, num_edges: int, config: dict,
               generator: torch.Generator) -> dict[str, Tensor]:
        """The three contrasts of one step on two fresh views (``num_edges``: the hyperedges before the loops)."""
        loops = hypergraph.edges >= num_edges
        p_inc, p_feat = float(config["p_inc"]), float(config["p_feat"])
        views = [(drop_incidence(hypergraph, p_inc, generator, protect=loops),
                  mask_feature_columns(x, p_feat, generator)) for _ in range(2)]
        nodes, edges, kept = [], [], []
        for view, features in views:
            n, e = self.encoder(features, view)
            nodes.append(self.node_head(n))
            edges.append(self.edge_head(e[:num_edges]))
            kept.append(nonempty_edges(view)[:num_edges])
        anchors = sample_anchors(hypergraph.num_nodes, generator)
        loss_node = info_nce(nodes[0], nodes[1], float(config["tau_n"]), anchors, intra_view=False)
        common = (kept[0] & kept[1]).nonzero().flatten()
        loss_group = (info_nce(edges[0][common], edges[1][common], float(config["tau_g"]),
                               sample_anchors(common.numel(), generator), intra_view=False)
                      if common.numel() else edges[0].sum() * 0.0)
        is_anchor = torch.zeros(hypergraph.num_nodes, dtype=torch.bool, device=x.device)
        is_anchor[anchors.to(x.device)] = True
        clean = hypergraph.index[:, ~loops]
        clean = clean[:, is_anchor[clean[0]]]  # the memberships of the anchor nodes
        membership = []
        for source, target in ((0, 1), (1, 0)):  # nodes of one view against the hyperedges kept in the other
            keep = kept[target]
            renumber = torch.cumsum(keep.long(), 0) - 1
            index = clean[:, keep[clean[1]]]
            membership.append(membership_loss(self.discriminator, nodes[source], edges[target][keep],
                                              torch.stack([index[0], renumber[index[1]]]), float(config["tau_m"]),
                                              generator))
        return {"loss_node": loss_node, "loss_group": loss_group, "loss_membership": 0.5 * sum(membership)}


class LinearProbe(nn.Linear):
    """Logistic regression on the frozen embeddings (``xavier_uniform`` weights, zero bias, as the original)."""

    def __init__(self, in_dim: int, num_classes: int) -> None:
        super().__init__(in_dim, num_classes)
        nn.init.xavier_uniform_(self.weight)
        nn.init.zeros_(self.bias)

    def forward(self, x: Tensor, hypergraph: Hypergraph | None = None) -> Tensor:
        return super().forward(x)


class TriCLClassifier(nn.Module):
    """The deployed model: the pre-trained encoder's node embeddings, then the linear probe."""

    def __init__(self, encoder: TriCLEncoder, probe: LinearProbe) -> None:
        super().__init__()
        self.encoder, self.probe = encoder, probe

    def forward(self, x: Tensor, hypergraph: Hypergraph) -> Tensor:
        return self.probe(self.encoder(x, hypergraph)[0])


class TriCL(TriPruneTuning, Method):
    """TriCL: tri-directional contrastive pre-training, then a linear probe (see the module docstring)."""

    name = "tricl"
    label = "TriCL"
    paper_label = "TriCL"
    description = ("TriCL (Lee & Shin 2023): node/group/membership contrastive pre-training on all nodes, then a "
                   "linear probe on the frozen embeddings (SSL + linear probe), TriPrune's protocol")
    defaults = {"profile_inference": True, "layers": 1, "pretrain_weight_decay": 1e-5}
    search_space: ClassVar[dict[str, list]] = {
        "hidden": [128, 256], "pretrain_lr": [1e-4, 5e-4, 1e-3], "p_feat": [0.0, 0.2, 0.4], "p_inc": [0.2, 0.3, 0.4],
        "tau_n": [0.3, 0.5, 1.0], "tau_g": [0.2, 0.5, 1.0], "tau_m": [0.5, 1.0], "w_g": [0.25, 1.0, 4.0],
        "w_m": [0.25, 1.0, 2.0], "lr": [1e-3, 1e-2],
    }
    default_point: ClassVar[dict[str, Any]] = {
        "hidden": 128, "pretrain_lr": 5e-4, "p_feat": 0.4, "p_inc": 0.4, "tau_n": 0.5, "tau_g": 0.5, "tau_m": 1.0,
        "w_g": 4.0, "w_m": 1.0, "lr": 1e-2,
    }

    def prepare(self, data: NodeDataset, config: dict) -> tuple[Hypergraph, int]:
        """The clean hypergraph with a self loop for every node (one-off, timed as ``prepare_seconds``)."""
        return with_node_loops(data.hypergraph), data.hypergraph.num_edges

    def fit(self, data: NodeDataset, split: Split, config: dict, seed: int, prepared: Any = None) -> Fitted:
        config = self.hyperparameters(config)
        hypergraph, num_edges = prepared if prepared is not None else self.prepare(data, config)
        epochs, hidden = int(config["epochs"]), int(config["hidden"])
        x = data.features
        trace: list[dict[str, Any]] = []
        started = time.perf_counter()
        generator = torch.Generator().manual_seed(seed)
        with seeded(seed):
            model = TriCLModel(data.num_features, hidden, hidden, int(config["layers"])).to(x.device)
            optimizer = torch.optim.AdamW(model.parameters(), lr=float(config["pretrain_lr"]),
                                          weight_decay=float(config["pretrain_weight_decay"]))
            model.train()
            for epoch in range(1, epochs + 1):
                check_deadline()
                optimizer.zero_grad(set_to_none=True)
                parts = model.losses(x, hypergraph, num_edges, config, generator)
                loss = (parts["loss_node"] + float(config["w_g"]) * parts["loss_group"]
                        + float(config["w_m"]) * parts["loss_membership"])
                check_finite(loss, epoch)
                loss.backward()
                optimizer.step()
                trace.append({"phase": "pretrain", "epoch": epoch, "train_loss": float(loss.detach()),
                              **{key: float(value.detach()) for key, value in parts.items()}})
        model.eval()
        with torch.no_grad():
            embedding = model.encoder(x, hypergraph)[0]
        pretrain_seconds = time.perf_counter() - started
        training = TRIPRUNE_PROTOCOL.train(lambda: LinearProbe(hidden, data.num_classes),
                                           replace(data, features=embedding), split, config, seed, phase="probe")
        deployed = TriCLClassifier(model.encoder, training.model).eval()

        def predict_on(other: NodeDataset, loops: Hypergraph | None = None) -> Tensor:
            with torch.no_grad():
                return deployed(other.features, loops if loops is not None else with_node_loops(other.hypergraph))

        diagnostics = {
            **training.diagnostics,
            "num_parameters": sum(p.numel() for p in deployed.parameters()),
            "pretrain_parameters": sum(p.numel() for p in model.parameters()),
            "pretrain_epochs": epochs, "pretrain_seconds": pretrain_seconds,
            "pretrain_final_loss": trace[-1]["train_loss"] if trace else None,
            "phase_budget": {"pretrain": epochs, "probe": epochs},
        }
        return Fitted(lambda: predict_on(data, hypergraph), diagnostics, trace=trace + training.trace,
                      state=deployed.state_dict(), predict_on=predict_on)
