"""What the structure-pruning rows share (BASELINES.md cards 6B, 8-10 and §0.6): the B-union HGNN they prune,
training it on a given structure under TriPrune's protocol, per-context top-fraction hyperedge selection, and
the deployed artefact (the compacted hypergraph, built once) with its diagnostics.

A hard 0/1 incidence mask enters the HGNN as membership weights (``Hypergraph.with_weight``), so degrees are
recomputed from what is kept; the deployed structure removes the zero-weight incidences physically and
renumbers the hyperedges (``Hypergraph.compact``): both give the same predictions, and only the second is
timed (§0.6.1).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable

import torch
import torch.nn as nn
from torch import Tensor

from ...datasets.base import NodeDataset
from ...datasets.hypergraph import Hypergraph
from ...datasets.splits import Split
from ...methods.base import Fitted
from ...methods.protocol import TRIPRUNE_PROTOCOL, Hooks, Training
from ..triprune_plain import TriPruneHGNN
from .deployed import describe, hgnn_flops


def hgnn(data: NodeDataset, config: dict) -> nn.Module:
    """The B-union HGNN of ``tp-hgnn`` (two symmetric convolutions ``d -> hidden -> C``, ReLU, dropout)."""
    return TriPruneHGNN().build(data, config)


def on_structure(data: NodeDataset, hypergraph: Hypergraph) -> NodeDataset:
    """``data`` with its hypergraph replaced (features, labels and name unchanged)."""
    return replace(data, hypergraph=hypergraph)


def train_on(hypergraph: Hypergraph, data: NodeDataset, split: Split, config: dict, seed: int, phase: str,
             build: Callable[[], nn.Module] | None = None, hooks: Hooks | None = None) -> Training:
    """One phase of TriPrune's protocol with the HGNN (or ``build()``) on ``hypergraph``."""
    target = on_structure(data, hypergraph)
    return TRIPRUNE_PROTOCOL.train(build or (lambda: hgnn(target, config)), target, split, config, seed, hooks, phase)


def top_fraction_per_context(scores: Tensor, edge_context: Tensor, retention: float) -> Tensor:
    """A boolean keep-mask over hyperedges: in every context the ``ceil(retention * m_k)`` best-scored hyperedges
    (at least one, so no context is emptied); ties broken by the lower hyperedge id."""
    if not 0.0 < retention <= 1.0:
        raise ValueError(f"retention must be in (0, 1], got {retention}")
    keep = torch.zeros(scores.numel(), dtype=torch.bool)
    scores, edge_context = scores.detach().cpu().double(), edge_context.cpu()
    # one sort for all contexts: by context, then by descending score, then by id
    order = torch.argsort(-scores, stable=True)
    order = order[torch.argsort(edge_context[order], stable=True)]
    counts = torch.bincount(edge_context, minlength=int(edge_context.max()) + 1 if edge_context.numel() else 1)
    starts = torch.cumsum(counts, 0) - counts
    rank = torch.arange(scores.numel()) - starts[edge_context[order]]
    quota = torch.clamp(torch.ceil(counts.double() * retention - 1e-9).long(), min=1)
    keep[order[rank < quota[edge_context[order]]]] = True
    return keep


def retention_of(full: Hypergraph, deployed: Hypergraph, **extra: float) -> dict[str, float]:
    """Kept fractions of incidences and hyperedges (and whatever else the row prunes)."""
    return {"nnz": deployed.nnz / max(full.nnz, 1), "edges": deployed.num_edges / max(full.num_edges, 1), **extra}


def structure_diagnostics(model: nn.Module, data: NodeDataset, deployed: Hypergraph,
                          widths: tuple[int, ...] | None = None) -> dict[str, Any]:
    """``describe(...)`` of the deployed HGNN on ``deployed``, its parameter count and retention."""
    if widths is None:
        widths = (data.num_features, model.first.weight.shape[1], data.num_classes)
    return {**describe(model, deployed, hgnn_flops(deployed.nnz, data.num_nodes, widths)).diagnostics(),
            "num_parameters": sum(p.numel() for p in model.parameters()),
            "retention": retention_of(data.hypergraph, deployed)}


def deployed_fit(model: nn.Module, data: NodeDataset, deployed: Hypergraph, diagnostics: dict[str, Any],
                 trace: list[dict[str, Any]], retention_extra: dict[str, float] | None = None) -> Fitted:
    """A :class:`Fitted` whose ``predict`` is ``model`` on the compacted ``deployed`` structure only."""
    model.eval()
    info = structure_diagnostics(model, data, deployed)
    info["retention"].update(retention_extra or {})
    features = data.features

    def predict() -> Tensor:
        with torch.no_grad():
            return model(features, deployed).float()

    return Fitted(predict, {**diagnostics, **info}, trace=trace, state=model.state_dict())
