"""Channel pruning of the B-union HGNN backbone (BASELINES.md §0.7 ``channel_prune.py``; cards 6, 7 and 11).

The backbone is ``tp-hgnn``'s network (:mod:`..triprune_plain`): ``second(dropout(relu(first(x))))`` with two
symmetric :class:`~hgbench.baselines.hgnn.HypergraphConv` layers ``d -> h -> C``. Its prunable units are the
``h`` hidden channels (columns of ``Θ1``, entries of ``b1``, rows of ``Θ2``) and the ``d`` input features
(rows of ``Θ1``). This module gives the pieces the channel-pruning rows share:

* :func:`gated_logits` / :class:`GatedHGNN`: the network with a multiplicative gate on every unit (input
  gate on the feature columns, hidden gate on the channels after the ReLU; 1 = kept, 0 = pruned). A gate
  at 0 only zeroes a unit: it is the *masked* model, never timed (BASELINES.md §0.6.1);
* :func:`taylor_scores`: first-order Taylor importance of the gates over mini-batches of training nodes,
  ``Σ_b (g_u ∂L_b/∂g_u)^2`` (SAViT's default score) with the per-batch signed terms beside;
* :func:`gate_hessian_sums`: Hessian-vector products of the loss in the gates (double backward through the
  shared hypergraph operators), summed per block of unit types (SAViT's interaction coefficients);
* :func:`slice_channels` -> :class:`SlicedHGNN`: the *deployed* artefact, a new and smaller network whose
  weight matrices have the pruned channels and features physically removed (it reads the kept feature
  columns of ``x`` once, then runs ``d' -> h' -> C``); same predictions as the gated model with the pruned
  gates at 0;
* :func:`pretrain` / :func:`fine_tune`: phases run by :data:`~hgbench.methods.protocol.TRIPRUNE_PROTOCOL`
  (``phase`` names them in the trace);
* :func:`deployed_diagnostics`: ``describe(...)`` of :mod:`.deployed` with the FLOPs of ``d' -> h' -> C``,
  ``num_parameters`` and the retention reached.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ...datasets.base import NodeDataset
from ...datasets.hypergraph import Hypergraph
from ...datasets.splits import Split
from ...methods.protocol import TRIPRUNE_PROTOCOL, Hooks, Training
from ..hgnn import HypergraphConv
from ..triprune_plain import TriPruneHGNN, _TwoLayers
from .deployed import describe, hgnn_flops


def gated_logits(model: _TwoLayers, x: Tensor, hypergraph: Hypergraph, input_gate: Tensor | None = None,
                 hidden_gate: Tensor | None = None) -> Tensor:
    """``model``'s logits with ``x``'s columns scaled by ``input_gate`` and the hidden channels (after the
    ReLU) by ``hidden_gate``; dropout follows ``model.training``."""
    if input_gate is not None:
        x = x * input_gate
    hidden = model.embed(x, hypergraph)
    if hidden_gate is not None:
        hidden = hidden * hidden_gate
    return model.second(F.dropout(hidden, model.dropout, model.training), hypergraph)


class GatedHGNN(nn.Module):
    """A trained backbone with fixed 0/1 gates (buffers): the masked model a deployed artefact must equal."""

    def __init__(self, model: _TwoLayers, input_gate: Tensor | None = None, hidden_gate: Tensor | None = None):
        super().__init__()
        self.model = model
        weight = model.first.weight
        self.register_buffer("input_gate", torch.ones(weight.shape[0], device=weight.device) if input_gate is None
                             else input_gate.detach().to(weight))
        self.register_buffer("hidden_gate", torch.ones(weight.shape[1], device=weight.device) if hidden_gate is None
                             else hidden_gate.detach().to(weight))

    def forward(self, x: Tensor, hypergraph: Hypergraph) -> Tensor:
        return gated_logits(self.model, x, hypergraph, self.input_gate, self.hidden_gate)


class SlicedHGNN(_TwoLayers):
    """The deployed pruned backbone: ``first`` maps the kept feature columns ``input_index`` to the kept
    channels, ``second`` maps those to the classes (all other rows and columns are gone).

    ``fold_index`` (Shaver's codebook): features whose rows of ``Θ1`` all equal one shared row; they enter as
    one extra input column, their sum, read by that row (the last of ``first``'s weight)."""

    def __init__(self, first: nn.Module, second: nn.Module, dropout: float, input_index: Tensor | None,
                 fold_index: Tensor | None = None) -> None:
        super().__init__(first, second, dropout)
        self.register_buffer("input_index", input_index)
        self.register_buffer("fold_index", fold_index)

    def embed(self, x: Tensor, hypergraph: Hypergraph) -> Tensor:
        columns = x if self.input_index is None else x.index_select(1, self.input_index)
        if self.fold_index is not None:
            columns = torch.cat([columns, x.index_select(1, self.fold_index).sum(1, keepdim=True)], 1)
        return super().embed(columns, hypergraph)


def slice_channels(model: _TwoLayers, keep_hidden: Tensor, keep_input: Tensor | None = None) -> SlicedHGNN:
    """A new network with only the hidden channels ``keep_hidden`` and the input features ``keep_input``
    (indices or boolean masks; None keeps every feature) of ``model`` (whose weights are copied, not shared)."""
    first, second = model.first, model.second
    device = first.weight.device
    keep_hidden = _indices(keep_hidden).to(device)
    keep_input = None if keep_input is None else _indices(keep_input).to(device)
    if keep_input is not None and keep_input.numel() == first.weight.shape[0]:
        keep_input = None  # every feature kept: read x as it is
    rows = first.weight if keep_input is None else first.weight.index_select(0, keep_input)
    new_first = HypergraphConv(rows.shape[0], keep_hidden.numel(), symmetric=first.symmetric).to(rows)
    new_second = HypergraphConv(keep_hidden.numel(), second.weight.shape[1], symmetric=second.symmetric).to(rows)
    with torch.no_grad():
        new_first.weight.copy_(rows.index_select(1, keep_hidden))
        new_first.bias.copy_(first.bias.index_select(0, keep_hidden))
        new_second.weight.copy_(second.weight.index_select(0, keep_hidden))
        new_second.bias.copy_(second.bias)
    sliced = SlicedHGNN(new_first, new_second, model.dropout, keep_input)
    sliced.train(model.training)
    return sliced


def _indices(keep: Tensor) -> Tensor:
    keep = torch.as_tensor(keep)
    return keep.nonzero().flatten() if keep.dtype == torch.bool else keep.long().sort().values


def widths(model: nn.Module) -> tuple[int, int, int]:
    """``(d', h', C)`` of a two-layer backbone (a :class:`SlicedHGNN` or ``tp-hgnn``'s network)."""
    return model.first.weight.shape[0], model.first.weight.shape[1], model.second.weight.shape[1]


# ----------------------------------------------------------------------------------------- importance
@dataclass(frozen=True)
class GateScores:
    """Per-unit Taylor terms over ``batches`` mini-batches: ``squared = Σ_b (g ∂L_b/∂g)^2`` and
    ``signed = Σ_b g ∂L_b/∂g`` (the first-order change of the loss when the unit is removed is ``-signed/batches``)."""

    squared: Tensor
    signed: Tensor
    batches: int

    @property
    def rms(self) -> Tensor:
        """``sqrt(mean_b (g ∂L_b/∂g)^2)``: the per-batch first-order loss change, in loss units."""
        return (self.squared / max(self.batches, 1)).sqrt()


def importance_batches(nodes: Tensor, fraction: float, batch_size: int, seed: int) -> list[Tensor]:
    """Shuffled mini-batches covering ``ceil(fraction * |nodes|)`` of ``nodes`` (at least one batch)."""
    order = nodes[torch.randperm(nodes.numel(), generator=torch.Generator().manual_seed(seed)).to(nodes.device)]
    take = max(1, math.ceil(fraction * nodes.numel()))
    return list(order[:take].split(batch_size))


def _gates(model: _TwoLayers) -> tuple[Tensor, Tensor]:
    d, h, _ = widths(model)
    weight = model.first.weight
    return (torch.ones(d, dtype=weight.dtype, device=weight.device, requires_grad=True),
            torch.ones(h, dtype=weight.dtype, device=weight.device, requires_grad=True))


def taylor_scores(model: _TwoLayers, data: NodeDataset, batches: list[Tensor]) -> tuple[GateScores, GateScores]:
    """First-order Taylor terms of the input and hidden gates (all at 1) of ``model`` in eval mode, one full
    forward per batch and the cross-entropy of the batch's labelled nodes. Returns (input, hidden)."""
    model.eval()
    gates = _gates(model)
    squared = [torch.zeros_like(g) for g in gates]
    signed = [torch.zeros_like(g) for g in gates]
    for batch in batches:
        logits = gated_logits(model, data.features, data.hypergraph, *gates)
        loss = F.cross_entropy(logits[batch], data.labels[batch])
        grads = torch.autograd.grad(loss, gates)
        for i, (gate, grad) in enumerate(zip(gates, grads)):
            term = (gate * grad).detach()
            squared[i] += term.square()
            signed[i] += term
    return tuple(GateScores(s, t, len(batches)) for s, t in zip(squared, signed))


def gate_hessian_sums(model: _TwoLayers, data: NodeDataset, batches: list[Tensor]) -> Tensor:
    """``A[i, j] = mean_b 1ᵀ H_ij g_j`` with ``H`` the Hessian of the batch loss in the gates (units 0 =
    input features, 1 = hidden channels), gates ``g = 1``: one Hessian-vector product per unit type and batch
    (double backward through :meth:`Hypergraph.smooth`). ``½ Σ_ij x_i x_j A_ij`` is the second-order loss change
    of removing a random fraction ``x_i`` of each type."""
    model.eval()
    gates = _gates(model)
    total = torch.zeros(2, 2, dtype=torch.float64)
    for batch in batches:
        logits = gated_logits(model, data.features, data.hypergraph, *gates)
        loss = F.cross_entropy(logits[batch], data.labels[batch])
        grads = torch.autograd.grad(loss, gates, create_graph=True)
        for i in range(2):
            hv = torch.autograd.grad(grads[i], gates, grad_outputs=gates[i].detach(), retain_graph=True,
                                     allow_unused=True)
            for j in range(2):
                total[i, j] += 0.0 if hv[j] is None else float((hv[j] * gates[j].detach()).sum())
    return total / max(len(batches), 1)


# ----------------------------------------------------------------------------------------- phases
def backbone_config(config: dict) -> dict:
    """The backbone's keys (hidden, dropout) of a pruning row's config."""
    return {"hidden": int(config["hidden"]), "dropout": float(config["dropout"])}


def pretrain(data: NodeDataset, split: Split, config: dict, seed: int) -> Training:
    """``tp-hgnn``'s network trained by TriPrune's protocol (phase ``pretrain``)."""
    backbone = backbone_config(config)
    return TRIPRUNE_PROTOCOL.train(lambda: TriPruneHGNN().build(data, backbone), data, split, config, seed,
                                   phase="pretrain")


def fine_tune(model: nn.Module, data: NodeDataset, split: Split, config: dict, seed: int, epochs: int,
              hooks: Hooks | None = None, phase: str = "finetune") -> Training:
    """A copy of ``model`` trained further by TriPrune's protocol for at most ``epochs`` epochs (and the run's
    own ``epochs``, e.g. the smoke budget's 20), selected on validation; ``epochs = 0`` returns ``model``."""
    if epochs <= 0:
        model.eval()
        return Training(model, {"epochs_trained": 0}, [])
    settings = {**config, "epochs": min(int(config.get("epochs", epochs)), int(epochs))}
    return TRIPRUNE_PROTOCOL.train(lambda: copy.deepcopy(model), data, split, settings, seed, hooks, phase)


def deployed_diagnostics(model: nn.Module, data: NodeDataset, retention: dict[str, float]) -> dict[str, Any]:
    """``describe`` of the deployed ``model`` on the (unpruned) hypergraph, ``num_parameters`` and ``retention``."""
    flops = hgnn_flops(data.hypergraph.nnz, data.num_nodes, widths(model))
    return {**describe(model, data.hypergraph, flops).diagnostics(),
            "num_parameters": sum(p.numel() for p in model.parameters()), "retention": retention}
