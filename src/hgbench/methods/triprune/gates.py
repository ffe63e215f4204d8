"""Importance scores, soft gates and the minimum-retention floors (SPEC §2.3-2.7, Eqs. 10-16).

Every score is min-max normalised over its set ([OD-4]: the only normalisation under which a
threshold in (0, 1) selects a fraction); the gate is Eq. 10 read literally ([OD-7]): forward
``clamp((pi - theta)/eps + 0.5, 0, 1)``, backward its autograd derivative, so the gradient reaches
``pi`` and ``theta`` only inside the band ``|pi - theta| < eps/2``. An element is retained when its
gate exceeds 0.5; a gate forced open by a floor is the constant 1 (no gradient, [OD-19]).
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
from torch import Tensor

from .structure import Component

EPSILON = 0.01  # Eq. 10's band width (paper §4)


def soft_gate(score: Tensor, theta: Tensor, eps: float = EPSILON) -> Tensor:
    """Eq. 10: ``clamp((score - theta)/eps + 0.5, 0, 1)``."""
    return ((score - theta) / eps + 0.5).clamp(0.0, 1.0)


def minmax(scores: Tensor, within: Tensor | None = None) -> Tensor:
    """``(s - min)/(max - min)`` over ``scores[within]`` (all by default); ones if the range is below 1e-8.

    Entries outside ``within`` are 0.
    """
    mask = torch.ones_like(scores, dtype=torch.bool) if within is None else within
    if not bool(mask.any()):
        return torch.zeros_like(scores)
    chosen = scores[mask]
    low, high = chosen.min(), chosen.max()
    if float((high - low).detach()) < 1e-8:
        normalised = torch.ones_like(scores)
    else:
        normalised = (scores - low) / (high - low)
    return torch.where(mask, normalised, torch.zeros_like(normalised))


def force_top(gate: Tensor, score: Tensor, minimum: int, eligible: Tensor | None = None) -> Tensor:
    """§2.7: open the highest-scoring ``eligible`` closed elements until ``minimum`` are retained.

    Forced entries become the constant 1 (no gradient); the others keep their gate.
    """
    eligible = torch.ones_like(gate, dtype=torch.bool) if eligible is None else eligible
    kept = gate.detach() > 0.5
    missing = minimum - int(kept.sum())
    if missing <= 0:
        return gate
    candidates = (~kept) & eligible
    ranked = torch.where(candidates, score.detach(), torch.full_like(score.detach(), -math.inf))
    count = min(missing, int(candidates.sum()))
    if count == 0:
        return gate
    forced = torch.zeros_like(kept)
    forced[ranked.topk(count).indices] = True
    return torch.where(forced, torch.ones_like(gate), gate)


def component_minimum(num_components: int) -> int:
    """§3.1: ``K_min = max(1, floor(0.1 K))``."""
    return max(1, num_components // 10)


def node_minimum(members: int) -> int:
    """§3.1: every retained component keeps at least ``max(2, floor(0.05 |V_k|))`` nodes."""
    return max(2, members // 20)


class MLP(nn.Module):
    """``depth`` linear layers of width ``width`` with ReLU between (Eq. 9 is depth 2; [OD-26])."""

    def __init__(self, inputs: int, width: int, depth: int, outputs: int = 1) -> None:
        super().__init__()
        if depth < 1:
            raise ValueError(f"an MLP needs at least one linear layer, got depth {depth}")
        sizes = [inputs, *([width] * (depth - 1)), outputs]
        layers: list[nn.Module] = []
        for index, (a, b) in enumerate(zip(sizes, sizes[1:])):
            layers.append(nn.Linear(a, b))
            if index < depth - 1:
                layers.append(nn.ReLU())
        self.net = nn.Sequential(*layers)

    @property
    def output(self) -> nn.Linear:
        return self.net[-1]

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


class ComponentScorer(nn.Module):
    """§2.4 (Eqs. 11-12): ``beta_k = sigmoid(MLP_beta([w_k, S_att(k), v_k]))`` and the component score.

    ``raw_k = beta_k (w_k act_k)/max_k'(w_k' act_k') + (1 - beta_k) S_att(k)``, min-max normalised over
    the K components.
    """

    def __init__(self, width: int = 32, depth: int = 2) -> None:
        super().__init__()
        self.beta = MLP(3, width, depth)

    def forward(self, weight_norm: Tensor, activation: Tensor, variance: Tensor,
                attention: Tensor) -> tuple[Tensor, Tensor]:
        """(pi_comp, beta), each ``(K,)``."""
        beta = torch.sigmoid(self.beta(torch.stack([weight_norm, attention, variance], dim=1))).squeeze(1)
        product = weight_norm * activation
        raw = beta * product / product.max().clamp_min(1e-12) + (1 - beta) * attention
        return minmax(raw), beta


def edge_scores(component: Component, x_hat: Tensor) -> Tensor:
    """§2.5: hyperedge cohesion ``coh_e = ||mean_{u in e} x^_u||``, min-max normalised within the component.

    Static (raw features): computed once per dataset, ``O(nnz d_in)``.
    """
    sums = x_hat.new_zeros(component.num_edges, x_hat.shape[1]).index_add_(0, component.edges,
                                                                           x_hat[component.nodes])
    size = torch.bincount(component.edges, minlength=component.num_edges).clamp_min(1).to(x_hat.dtype)
    return minmax((sums / size[:, None]).norm(dim=1))


def node_scores(similarity: Tensor, feature_norm: Tensor, members: Tensor) -> Tensor:
    """§2.6 (Eq. 15): ``raw_i = s_bar_i ||x_i||``, min-max normalised over ``V_k`` (0 elsewhere)."""
    return minmax(similarity * feature_norm, members)
