"""``hsl`` — HSL (Cai et al., IJCAI 2022, "Hypergraph Structure Learning for Hypergraph Neural Networks"),
BASELINES.md card 8; official code ``pkualpha/HSL`` (read, not copied). Native task (hypergraph node
classification), label ``HSL`` without mark.

What the row measures: an AllSetTransformer trained jointly with learned, sampled masks on its structure, then
deployed on the structure those masks keep (retained incidences and hyperedges are reported).

Mechanism (as in the paper and code):

* backbone: one AllSetTransformer layer (PMA node -> hyperedge, PMA hyperedge -> node; attention of each member
  against a learned seed, LeakyReLU 0.2, softmax within the set, 4 heads), input dropout 0.2, dropout 0.5, a
  2-layer classifier (HSL's configs), hidden 64 (BASELINES.md §0.3; HSL's 128-512 are out of this suite's width);
* stage 1 (hyperedges): one learnable logit per hyperedge, initialised to ``p1_init``; relaxed-Bernoulli
  straight-through sample ``m_e`` (temperature ``tau1``);
* stage 2 (incidences): logit of (v, e) = MLP([value projection of x_v || embedding of e by the first
  node -> hyperedge layer on the whole structure]) (2 layers, width ``hidden``), last bias initialised to
  ``p2_init``; relaxed-Bernoulli straight-through sample ``m_{v,e}`` (``tau2``);
* ``sampler = "hard_concrete"``: hard-concrete gates (beta 0.6, gamma -0.1, zeta 1.1) with the L0 term
  (mean expected gate over hyperedges plus over incidences, weight 1) added to the cross entropy, exactly as the
  released code: the hyperedges' log-alpha is their logit, the incidences' log-alpha is ``sigmoid(MLP)`` (so an
  incidence gate outside training is at least ``sigmoid(0) 1.2 - 0.1 = 0.5``: in this mode incidences are
  re-weighted, not removed, and only hyperedges are pruned), and the evaluation gate is
  ``clamp(sigmoid(log_alpha / beta) 1.2 - 0.1, 0, 1)``. (With the MLP output itself as log-alpha the L0 term
  empties the structure within a few steps, before the classifier learns anything: tried, every prediction
  constant.)

The mask of incidence (v, e) is ``m_e m_{v,e}``; masks come from :mod:`.kit.masks`, drawn from a generator
seeded by the run's seed. The masks are evaluated deterministically outside training (``sigmoid(logit) > 0.5``,
or the hard-concrete gate without noise) and the protocol selects the best validation epoch on them.

Departures (each to be read in the row's caption):

* **Mask inside the attention normaliser.** HSL multiplies the post-softmax attention weights by the mask, so a
  pruned member's share is lost rather than redistributed. Here the mask weights each member inside the
  softmax (``a ∝ m exp(score)``, the AllSet analogue of recomputing degrees from the masked incidence, §0.2),
  so a zero mask is exactly a removed incidence: the compacted deployed structure computes what was trained
  and selected. A fractional hard-concrete gate is folded into the deployed incidence as its weight.
* **m_e applied.** The released code computes the hyperedge-masked features and discards them (the stage-1 mask
  never reaches the output); hgbench applies it as the paper describes. ``code_faithful=True`` drops ``m_e``
  from the output as the code does (its logits still train nothing then, as in the code); the released code's
  re-sampling of masks at evaluation is not reproduced (a deployed model needs a fixed structure).
* **Candidate additions** (HSL's ``topk_add``): ``round(p_add nnz)`` non-incident pairs (v, e) with the highest
  mean over 4 heads of the cosine between ``w_k * value(x_v)`` and ``w_k * embedding(e)`` (``w`` a fixed random
  matrix: HSL computes it under ``no_grad``, so its ``cos_weight`` never trains) are appended before stage 2 and
  masked like the others. Departures: they are scored on at most 2,048 sampled nodes and 2,048 sampled hyperedges
  (HSL samples 1/26 of both only above 10^4 nodes; the full n x m similarity would not fit large datasets) and
  refreshed once per epoch (HSL: every forward), kept in a buffer so that the selected epoch's state holds the
  pairs it was evaluated with; the deployed structure keeps those whose masks are on
  (``retention["added"]``, a fraction of the original incidences).
* Self-loops are not added (isolated nodes already carry a singleton hyperedge, §0.2), so every incidence is
  prunable; HSL never masks its added self-loops.
* TriPrune's protocol (Adam, wd 5e-4, <= 200 epochs, 512-node batches, patience 20), not HSL's 700 epochs /
  patience 80 / per-dataset weight decay.

Defaults (HSL's argparse and most common config values): ``tau1`` 0.3, ``tau2`` 0.4, ``p1_init`` 3, ``p2_init``
2, ``p_add`` 0, sampler gumbel, lr 1e-3. Search space (card 8, the original ranges): ``tau1`` {0.3, 0.8, 1.6},
``tau2`` {0.1, 0.4, 1.5}, ``p1_init`` {0, 1, 3}, ``p2_init`` {1, 2, 3}, ``p_add`` {0, 0.01, 0.02}, sampler
{gumbel, hard_concrete}, lr {1e-3, 1e-2} (972 points, 25 drawn). The revision's "threshold / decay" do not
exist in HSL.

Efficiency columns: the deployed forward is the AllSetTransformer on the compacted incidences (removed ones
physically gone, hyperedges renumbered); the mask MLP and logits are training-time only and are not part of the
deployed model (``num_parameters`` counts the backbone). Attention and weighted sums cost O(nnz * hidden), so
time falls with the retained incidences; the per-node and per-hyperedge linear maps do not (hyperedges left
without a member are dropped, so their maps shrink with the kept hyperedges).
"""

from __future__ import annotations

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
from . import attention_pool
from .allset import PMA
from .kit.deployed import describe
from .kit.masks import hard_concrete, l0_expected, relaxed_bernoulli
from .kit.structure import retention_of, train_on
from .kit.tuning import TriPruneTuning
from .mlp import MLP

SAMPLERS = ("gumbel", "hard_concrete")
CANDIDATE_SIDE = 2048  # candidate additions are scored on at most this many sampled nodes and hyperedges


def weighted_softmax(scores: Tensor, segment: Tensor, size: int, weight: Tensor | None) -> Tensor:
    """``a_i = w_i exp(s_i) / sum_{j in segment(i)} w_j exp(s_j)`` (rows of ``scores``: nnz or nnz x heads).

    A zero weight is a removed entry: the maximum subtracted for stability is taken over positive weights.
    """
    column = None if weight is None else weight.view(-1, *([1] * (scores.dim() - 1)))
    detached = scores.detach()
    if column is not None:
        detached = detached.masked_fill(column == 0, float("-inf"))
    index = segment.view(-1, *([1] * (scores.dim() - 1))).expand_as(scores)
    shape = (size, *scores.shape[1:])
    maximum = scores.new_full(shape, float("-inf")).scatter_reduce(0, index, detached, reduce="amax",
                                                                   include_self=True)
    maximum = torch.where(torch.isfinite(maximum), maximum, torch.zeros_like(maximum))
    shifted = (scores - maximum.index_select(0, segment)).exp()
    if column is not None:
        shifted = shifted * column.to(shifted.dtype)
    total = scores.new_zeros(shape).index_add(0, segment, shifted)
    return shifted / total.index_select(0, segment).clamp_min(1e-30)


class MaskedPMA(PMA):
    """AllSet's PMA whose attention counts each membership with its weight inside the softmax."""

    def __init__(self, in_dim: int, hidden: int, direction: str, heads: int, mlp_layers: int = 1) -> None:
        super().__init__(in_dim, hidden, hidden, direction, heads, mlp_layers)
        self.direction = direction

    def forward(self, x: Tensor, hypergraph: Hypergraph) -> Tensor:
        source, target, size = ((hypergraph.nodes, hypergraph.edges, hypergraph.num_edges) if self.direction == "v2e"
                                else (hypergraph.edges, hypergraph.nodes, hypergraph.num_nodes))
        keys = self.key(x).view(-1, self.heads, self.head_dim)
        values = self.value(x).view(-1, self.heads, self.head_dim)
        scores = F.leaky_relu((keys * self.seed).sum(-1).index_select(0, source), 0.2)
        attention = weighted_softmax(scores, target, size, hypergraph.weight)
        pooled = attention_pool.pool(hypergraph, self.direction, attention, values)
        out = self.norm0((pooled + self.seed).flatten(1))
        return self.norm1(out + F.relu(self.feed_forward(out)))


class AllSetBackbone(nn.Module):
    """One AllSetTransformer layer (node -> hyperedge -> node, masked PMA) and a 2-layer classifier."""

    def __init__(self, in_dim: int, hidden: int, num_classes: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.v2e, self.e2v = MaskedPMA(in_dim, hidden, "v2e", heads), MaskedPMA(hidden, hidden, "e2v", heads)
        self.classifier = MLP(hidden, hidden, num_classes, 2, dropout, norm=True)
        self.dropout = dropout

    def forward(self, x: Tensor, hypergraph: Hypergraph) -> Tensor:
        x = F.dropout(x, 0.2, self.training)
        x = F.dropout(F.relu(self.v2e(x, hypergraph)), self.dropout, self.training)
        x = F.dropout(F.relu(self.e2v(x, hypergraph)), self.dropout, self.training)
        return self.classifier(x)


class HSLModel(nn.Module):
    """The backbone on its structure weighted by the learned masks ``m_e m_{v,e}`` (sampled while training)."""

    def __init__(self, data: NodeDataset, config: dict, seed: int) -> None:
        super().__init__()
        hidden, heads = int(config["hidden"]), int(config["heads"])
        self.backbone = AllSetBackbone(data.num_features, hidden, data.num_classes, heads, float(config["dropout"]))
        self.edge_logits = nn.Parameter(torch.full((data.hypergraph.num_edges,), float(config["p1_init"])))
        self.scorer = MLP(2 * hidden, hidden, 1, 2, float(config["dropout"]), norm=True)
        nn.init.constant_(self.scorer.linears[-1].bias, float(config["p2_init"]))
        self.sampler, self.code_faithful = str(config["sampler"]), bool(config["code_faithful"])
        if self.sampler not in SAMPLERS:
            raise ValueError(f"sampler must be one of {SAMPLERS}, got {self.sampler!r}")
        self.tau1, self.tau2, self.beta = float(config["tau1"]), float(config["tau2"]), float(config["hc_beta"])
        self.generator = torch.Generator().manual_seed(seed)
        self.l0: Tensor | None = None
        # candidate additions: a fixed number of (node, hyperedge) pairs, a buffer so that the selected epoch's
        # state carries the pairs it was evaluated with
        full = data.hypergraph
        pool = min(full.num_nodes, CANDIDATE_SIDE) * min(full.num_edges, CANDIDATE_SIDE)
        count = min(int(round(float(config["p_add"]) * full.nnz)), pool // 2)
        self.register_buffer("added", torch.zeros(2, count, dtype=torch.long))
        self.register_buffer("cos_weight", torch.empty(int(config["cos_heads"]), hidden))
        nn.init.xavier_uniform_(self.cos_weight)
        self._augmented: tuple | None = None
        if count:
            self.refresh(data.features, full)

    def augmented(self, hypergraph: Hypergraph) -> Hypergraph:
        """``hypergraph`` with the current candidate incidences appended (itself when there are none)."""
        if self.added.shape[1] == 0:
            return hypergraph
        stamp = (id(hypergraph), self.added._version, self.added.data_ptr())
        if self._augmented is None or self._augmented[0] != stamp:
            index = torch.cat([hypergraph.index, self.added.to(hypergraph.device)], 1)
            self._augmented = (stamp, Hypergraph(index, hypergraph.num_nodes, hypergraph.num_edges, None,
                                                 hypergraph.edge_context, hypergraph.context_names))
        return self._augmented[1]

    @torch.no_grad()
    def refresh(self, x: Tensor, hypergraph: Hypergraph) -> None:
        """HSL's ``topk_add``: the top pairs (v, e), v not in e, by the mean over ``cos_heads`` heads of the cosine
        between ``cos_weight_k * value(x_v)`` and ``cos_weight_k * embedding(e)`` (first node -> hyperedge layer
        on ``hypergraph``), over at most ``CANDIDATE_SIDE`` sampled nodes and hyperedges."""
        count = self.added.shape[1]
        n, m = hypergraph.num_nodes, hypergraph.num_edges
        nodes = self.backbone.v2e.value(x)
        edges = self.backbone.v2e(x, hypergraph)  # as HSL: the embedding on the given (unaugmented) structure
        rows = torch.randperm(n, generator=self.generator)[:CANDIDATE_SIDE] if n > CANDIDATE_SIDE else torch.arange(n)
        cols = torch.randperm(m, generator=self.generator)[:CANDIDATE_SIDE] if m > CANDIDATE_SIDE else torch.arange(m)
        rows, cols = rows.to(x.device), cols.to(x.device)
        a = F.normalize(nodes[rows].unsqueeze(0) * self.cos_weight.unsqueeze(1), dim=-1)  # heads x rows x h
        b = F.normalize(edges[cols].unsqueeze(0) * self.cos_weight.unsqueeze(1), dim=-1)
        similarity = (a @ b.transpose(1, 2)).mean(0)  # rows x cols
        keys = torch.sort(hypergraph.nodes * m + hypergraph.edges).values
        wanted = (rows.unsqueeze(1) * m + cols.unsqueeze(0)).flatten()
        position = torch.searchsorted(keys, wanted).clamp_max(max(keys.numel() - 1, 0))
        incident = (keys[position] == wanted).view_as(similarity)
        best = torch.topk(similarity.masked_fill(incident, float("-inf")).flatten(), count).indices
        self.added.copy_(torch.stack([rows[best // cols.numel()], cols[best % cols.numel()]]))

    def incidence_logits(self, x: Tensor, hypergraph: Hypergraph) -> Tensor:
        """One logit per incidence from [value projection of x_v || first-layer embedding of e]."""
        nodes = self.backbone.v2e.value(x)
        edges = self.backbone.v2e(x, hypergraph.with_weight(None) if hypergraph.weight is not None else hypergraph)
        return self.scorer.after_first(self.scorer.first_on_memberships(nodes, edges, hypergraph)).squeeze(-1)

    def weights(self, x: Tensor, hypergraph: Hypergraph) -> Tensor:
        """``m_e m_{v,e}`` per incidence: sampled in training, deterministic otherwise."""
        incidence = self.incidence_logits(x, hypergraph)
        if self.sampler == "gumbel":
            if self.training:
                m_e = relaxed_bernoulli(self.edge_logits, self.tau1, self.generator, hard=True)
                m_ve = relaxed_bernoulli(incidence, self.tau2, self.generator, hard=True)
            else:
                m_e = (self.edge_logits > 0).float()
                m_ve = (incidence > 0).float()
            self.l0 = None
        else:  # as HSL's code: the incidences' log-alpha is sigmoid(MLP), the hyperedges' their raw logits
            generator = self.generator if self.training else None
            incidence = torch.sigmoid(incidence)
            m_e = hard_concrete(self.edge_logits, generator, self.beta, eval_beta=True)
            m_ve = hard_concrete(incidence, generator, self.beta, eval_beta=True)
            self.l0 = (l0_expected(self.edge_logits, self.beta) / max(self.edge_logits.numel(), 1)
                       + l0_expected(incidence, self.beta) / max(incidence.numel(), 1))
        if self.code_faithful:
            return m_ve
        return m_e.index_select(0, hypergraph.edges) * m_ve

    def forward(self, x: Tensor, hypergraph: Hypergraph) -> Tensor:
        structure = self.augmented(hypergraph)
        return self.backbone(x, structure.with_weight(self.weights(x, structure)))


class _L0(Hooks):
    """The L0 term (hard-concrete sampler) and, after every epoch, new candidate additions for the next one."""

    def __init__(self, weight: float, data: NodeDataset) -> None:
        self.weight, self.data = weight, data

    def extra_loss(self, model: nn.Module, logits: Tensor, batch: Tensor, epoch: int) -> Tensor | None:
        return None if model.l0 is None else self.weight * model.l0

    def after_epoch(self, model: nn.Module, epoch: int) -> dict[str, float]:
        """The fraction of hyperedges whose stage-1 mask is on (deterministic)."""
        if model.added.shape[1]:
            model.refresh(self.data.features, self.data.hypergraph)
        return {"edge_mask_on": float((model.edge_logits.detach() > 0).double().mean())}


def deploy(weights: Tensor, full: Hypergraph) -> Hypergraph:
    """The incidences with a non-zero mask, compacted; fractional masks kept as weights, 0/1 masks dropped."""
    weights = weights.detach()
    keep = weights > 0
    deployed = full.with_weight(weights).compact(keep_memberships=keep)
    if bool((deployed.weight == 1).all()):
        deployed = Hypergraph(deployed.index, deployed.num_nodes, deployed.num_edges, None, deployed.edge_context,
                              deployed.context_names)
    return deployed


def allset_flops(backbone: AllSetBackbone, hypergraph: Hypergraph, in_dim: int) -> float:
    """One forward: the key/value maps of both PMAs on their source rows, one weighted sum per incidence and
    head channel per direction, the PMA feed-forward on the target rows, the classifier on every node."""
    n, m, nnz = hypergraph.num_nodes, hypergraph.num_edges, hypergraph.nnz
    h = backbone.v2e.heads * backbone.v2e.head_dim
    classifier = sum(layer.in_features * layer.out_features for layer in backbone.classifier.linears)
    return float(2 * (2 * n * in_dim * h + m * h * h) + 2 * (2 * m * h * h + n * h * h)
                 + 2 * (2 * nnz * h) + 2 * n * classifier)


class HSL(TriPruneTuning, Method):
    """HSL: AllSetTransformer with learned hyperedge and incidence masks, deployed on the kept structure."""

    name = "hsl"
    label = "HSL"
    paper_label = "HSL"
    description = ("HSL (Cai et al. 2022): AllSetTransformer with sampled hyperedge and incidence masks, "
                   "deployed on the kept incidences (BASELINES.md card 8)")
    defaults = {"profile_inference": True, "hidden": 64, "heads": 4, "dropout": 0.5, "hc_beta": 0.6,
                "l0_weight": 1.0, "code_faithful": False, "cos_heads": 4}
    search_space: ClassVar[dict[str, list]] = {
        "tau1": [0.3, 0.8, 1.6], "tau2": [0.1, 0.4, 1.5], "p1_init": [0.0, 1.0, 3.0], "p2_init": [1.0, 2.0, 3.0],
        "p_add": [0.0, 0.01, 0.02], "sampler": list(SAMPLERS), "lr": [1e-3, 1e-2]}
    default_point: ClassVar[dict[str, Any]] = {"tau1": 0.3, "tau2": 0.4, "p1_init": 3.0, "p2_init": 2.0,
                                               "p_add": 0.0, "sampler": "gumbel", "lr": 1e-3}

    def fit(self, data: NodeDataset, split: Split, config: dict, seed: int, prepared: Any = None) -> Fitted:
        config = self.hyperparameters(config)
        training = train_on(data.hypergraph, data, split, config, seed, "train",
                            build=lambda: HSLModel(data, config, seed), hooks=_L0(float(config["l0_weight"]), data))
        model = training.model
        full = data.hypergraph
        with torch.no_grad():
            structure = model.augmented(full)  # the selected epoch's candidate additions (a buffer of its state)
            weights = model.weights(data.features, structure)
        deployed = deploy(weights, structure)
        added = int((weights[full.nnz:] > 0).sum())
        backbone = model.backbone.eval()
        features = data.features

        def predict() -> Tensor:
            with torch.no_grad():
                return backbone(features, deployed).float()

        flops = allset_flops(backbone, deployed, data.num_features)
        diagnostics = {**training.diagnostics, **describe(backbone, deployed, flops).diagnostics(),
                       "num_parameters": sum(p.numel() for p in backbone.parameters()),
                       "training_parameters": sum(p.numel() for p in model.parameters()),
                       "retention": retention_of(full, deployed, added=added / max(full.nnz, 1))}
        return Fitted(predict, diagnostics, trace=training.trace, state=backbone.state_dict())
