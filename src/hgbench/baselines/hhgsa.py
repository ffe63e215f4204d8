"""``hhgsa`` — HHGSA† (Khan, Wu, Yang, Ma, ACM TORS 2023), ../shared/triprune/BASELINES.md card 2.

A re-implementation from the paper's description: **no official code exists** (only the author's
publication page is public), so every detail below is the card's reading of the paper, not a port.
The original is a social *recommender* (five motif hypergraphs, user/item embeddings, a preference
objective); TriPrune's Table 2 calls it "multi-head self-attention". The row measures a generic
multi-head, context-aware hypergraph attention network in HHGSA's style, used as a node classifier.

Network (one layer; ``layers`` of them, dropout after each, a linear head)::

    a_v^h   = A^h x_v                                            (one projection per head, shared by contexts)
    alpha   = softmax_{v in e}( LeakyReLU(q_{ctx(e)}^h . a_v^h) )  node -> hyperedge, a learned query per context
    z_e^h   = sum_{v in e} alpha_{v,e}^h a_v^h
    beta    = softmax_{e ni v, ctx(e) = k}( LeakyReLU(b^h . [a_v^h || z_e^h]) )   hyperedge -> node, per context
    x_v^(k) = ||_h ELU( sum_{e ni v, ctx(e) = k} beta_{e,v}^h z_e^h )          heads concatenated
    gamma_k = softmax_k( mean_{v in V_k} s . tanh(M x_v^(k) + c) )            semantic attention over contexts
    x_v'    = sum_k gamma_k x_v^(k)

All contexts are computed at once: the hyperedge -> node softmax runs over the groups
``(node, context)`` (one :func:`~.ops.segment_softmax` over ``n K`` segments) and the messages are
summed into ``n x K`` rows; no Python loop over contexts, hyperedges or nodes. Both weighted sums are CSR
products, one per head (:mod:`.attention_pool`: node -> hyperedge, and hyperedge -> (node, context) group), with
no per-membership copy of the messages. Cost per layer: ``O(nnz * hidden)`` (the card's "K attention passes over
nnz x heads"). The gather/scatter form gives the same sums in another order; one training step and evaluation
measured interleaved against it: Amazon 0.31x, DBLP 0.38x, Yelp 0.44x, IMDB 1.00x; the records were rerun
(docs/triprune_baselines/attention.md).

Adaptation and departures (card 2, "Adaptation"; all forced by the task or by the missing code):

* the five recommendation motifs become the suite's K contexts (hyperedge context ids); the
  preference objective becomes cross-entropy on master-node classes; the friend/stranger GNN is
  dropped (there are no user master nodes); a linear head gives the logits;
* ``V_k`` in the semantic attention is the set of nodes with at least one hyperedge of context
  ``k`` (a node without one has ``x_v^(k) = 0``, which would only add ``tanh(c)`` to the mean);
* head width ``hidden / heads`` so that the concatenation has width ``hidden`` (``heads`` must
  divide ``hidden``: 64 and 128 are divisible by 2, 4 and 8);
* dropout after every layer, none on the raw features (as the HGNN row, ``tp-hgnn``; input dropout
  on the dense features also cost 15 % of a training step on Yelp);
* the semantic attention's hidden width is the layer's width (HAN, where it comes from, uses 128);
* membership weights (soft masks), when a hypergraph has them, scale the messages after each softmax.

Defaults (the reduced budget's point): heads 4 (the later revision's selected value), hidden 64
(BASELINES.md §0.3), dropout 0.5, 1 layer (the original's single attentive vertex + hyperedge
aggregation), lr 1e-3 (TriPrune's shared protocol). Search (card 2 + §0.4): heads {2, 4, 8} x
hidden {64, 128} x dropout {0.3, 0.5} x layers {1, 2} x lr {1e-3, 1e-2} (48 points, 25 drawn).
Trained by :class:`~hgbench.methods.protocol.TriPruneProtocol` (a plain network).

Efficiency columns: no compression; the model is slower and heavier than HGNN (per-membership
messages of width ``hidden`` and attention scores per head instead of one sparse product), which is
what the paper's slowest row (66.8 s / 11.5 GB) suggests, but the absolute values say nothing
about the original code, which is not public.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ..datasets.base import NodeDataset
from ..datasets.hypergraph import Hypergraph
from ..methods.trainer import TrainedMethod
from . import attention_pool, ops
from .kit.tuning import TriPruneTuning


def context_groups(hypergraph: Hypergraph) -> Tensor:
    """The group ``node * K + context`` of every membership: one group per (node, context) pair."""
    return hypergraph.nodes * hypergraph.num_contexts + hypergraph.edge_context.index_select(0, hypergraph.edges)


def _weighted(hypergraph: Hypergraph, attention: Tensor) -> Tensor:
    """Attention (``nnz x heads``) scaled by the membership weights, when the hypergraph has them."""
    return attention if hypergraph.weight is None else attention * hypergraph.weight.unsqueeze(-1)


class ContextAttention(nn.Module):
    """One HHGSA layer: per-context two-step multi-head attention, then semantic attention over contexts.

    ``forward`` returns ``n x out_dim``; ``last_attention`` keeps the last call's
    ``(alpha, beta, gamma)`` (memberships x heads, memberships x heads, K) for inspection.
    """

    def __init__(self, in_dim: int, out_dim: int, heads: int, num_contexts: int, semantic_dim: int | None = None,
                 negative_slope: float = 0.2) -> None:
        super().__init__()
        if out_dim % heads:
            raise ValueError(f"hidden width {out_dim} is not divisible by {heads} heads")
        self.heads, self.head_dim, self.num_contexts = heads, out_dim // heads, num_contexts
        semantic_dim = semantic_dim or out_dim
        self.project = nn.Linear(in_dim, out_dim, bias=False)  # A^h for every head h
        self.query = nn.Parameter(torch.empty(num_contexts, heads, self.head_dim))  # q_k^h
        self.node_score = nn.Parameter(torch.empty(heads, self.head_dim))  # b^h, the node half
        self.edge_score = nn.Parameter(torch.empty(heads, self.head_dim))  # b^h, the hyperedge half
        self.semantic = nn.Linear(out_dim, semantic_dim)  # M, c
        self.semantic_query = nn.Parameter(torch.empty(semantic_dim))  # s
        self.negative_slope = negative_slope
        self.last_attention: tuple[Tensor, Tensor, Tensor] | None = None
        for p in (self.query, self.node_score, self.edge_score):
            nn.init.xavier_uniform_(p)
        nn.init.xavier_uniform_(self.project.weight)
        nn.init.normal_(self.semantic_query, std=semantic_dim ** -0.5)

    def forward(self, x: Tensor, hypergraph: Hypergraph) -> Tensor:
        n, k, heads = hypergraph.num_nodes, self.num_contexts, self.heads
        a = self.project(x).view(n, heads, self.head_dim)  # a_v^h
        groups = context_groups(hypergraph)  # (node, context of the hyperedge) per membership

        # node -> hyperedge: the query of the hyperedge's context scores each member (scored once per
        # node and context, then gathered; the sum onto the hyperedges applies the membership weights)
        scores = torch.einsum("nhd,khd->nkh", a, self.query).reshape(n * k, heads).index_select(0, groups)
        alpha = ops.softmax_over_members(hypergraph, F.leaky_relu(scores, self.negative_slope))
        z = attention_pool.attention_pool(hypergraph, "v2e", alpha, a)  # m x heads x head_dim

        # hyperedge -> node, softmax over the node's hyperedges of one context: groups (node, context)
        node_part = (a * self.node_score).sum(-1)  # n x heads
        edge_part = (z * self.edge_score).sum(-1)  # m x heads
        scores = ops.gather_nodes(hypergraph, node_part) + ops.gather_edges(hypergraph, edge_part)
        beta = ops.segment_softmax(F.leaky_relu(scores, self.negative_slope), groups, n * k)
        per_context = attention_pool.pool_into(hypergraph, "hhgsa-contexts", lambda: hypergraph.edges,
                                               lambda: groups, (n * k, hypergraph.num_edges),
                                               _weighted(hypergraph, beta), z)
        per_context = F.elu(per_context).view(n, k, heads * self.head_dim)  # x_v^(k), heads concatenated

        # semantic attention: mean over the nodes that have a hyperedge of context k
        present = torch.zeros(n * k, dtype=x.dtype, device=x.device).index_fill(0, groups, 1.0).view(n, k)
        relevance = torch.tanh(self.semantic(per_context)) @ self.semantic_query  # n x K
        relevance = (relevance * present).sum(0) / present.sum(0).clamp_min(1.0)
        relevance = relevance.masked_fill(present.sum(0) == 0, float("-inf"))  # an empty context gets no weight
        gamma = torch.softmax(relevance, 0)
        self.last_attention = (alpha.detach(), beta.detach(), gamma.detach())
        return (per_context * gamma.view(1, k, 1)).sum(1)


class HHGSANet(nn.Module):
    """``layers`` x (:class:`ContextAttention` -> dropout), then a linear head (no dropout on the raw features)."""

    def __init__(self, in_dim: int, hidden: int, num_classes: int, heads: int, num_contexts: int, layers: int,
                 dropout: float) -> None:
        super().__init__()
        dims = [in_dim] + [hidden] * layers
        self.layers = nn.ModuleList(ContextAttention(a, b, heads, num_contexts) for a, b in zip(dims[:-1], dims[1:]))
        self.head = nn.Linear(hidden, num_classes)
        self.dropout = dropout

    def forward(self, x: Tensor, hypergraph: Hypergraph) -> Tensor:
        for layer in self.layers:
            x = F.dropout(layer(x, hypergraph), self.dropout, self.training)
        return self.head(x)


class HHGSA(TriPruneTuning, TrainedMethod):
    """HHGSA† (card 2): per-context two-step multi-head hypergraph attention fused by semantic attention."""

    name = "hhgsa"
    label = "HHGSA†"
    paper_label = "HHGSA"
    description = ("HHGSA (Khan et al. 2023) re-implemented from the paper: per-context node->hyperedge->node "
                   "multi-head attention, semantic attention over contexts (no official code)")
    defaults = {"profile_inference": True}
    architecture = ("hidden",)
    search_space: ClassVar[dict[str, list]] = {"heads": [2, 4, 8], "hidden": [64, 128], "dropout": [0.3, 0.5],
                                               "layers": [1, 2], "lr": [1e-3, 1e-2]}
    default_point: ClassVar[dict[str, Any]] = {"heads": 4, "hidden": 64, "dropout": 0.5, "layers": 1, "lr": 1e-3}

    def build(self, data: NodeDataset, config: dict) -> nn.Module:
        return HHGSANet(data.num_features, int(config["hidden"]), data.num_classes, int(config["heads"]),
                        data.hypergraph.num_contexts, int(config["layers"]), float(config["dropout"]))
