"""Context embeddings and the pruning-aware contrastive loss of one component (SPEC §2.10-2.11, Eq. 18).

Both work on the membership list of a :class:`~.structure.Component` with the soft pruned incidence
``H~_k[i, e]`` as one weight per membership; the cost is ``O(nnz * d)`` plus one ``|A| x |A|`` similarity
matrix among the anchors (``|A| <= 512``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from .structure import Component


def _weighted_mean(index: Tensor, weight: Tensor, values: Tensor, size: int) -> tuple[Tensor, Tensor]:
    """``sum_t w_t v_t / sum_t w_t`` grouped by ``index`` (rows without positive mass are 0), and that mask."""
    mass = weight.new_zeros(size).index_add(0, index, weight)
    total = values.new_zeros(size, values.shape[1]).index_add(0, index, weight.unsqueeze(1) * values)
    defined = mass > 0
    safe = torch.where(defined, mass, torch.ones_like(mass))
    return torch.where(defined.unsqueeze(1), total / safe.unsqueeze(1), torch.zeros_like(total)), defined


def context_embeddings(component: Component, weight: Tensor, z: Tensor) -> tuple[Tensor, Tensor]:
    """Context embedding ``ē_i^k`` of every master node in ``component`` (§2.10, [OD-17]).

    ``h~_e = sum_j H~[j,e] z_j / sum_j H~[j,e]`` and ``ē_i = sum_e H~[i,e] h~_e / sum_e H~[i,e]``, with
    ``weight`` (``nnz``,) the soft ``H~_k`` and ``z`` (``n``, ``d``) the node embeddings. Returns ``(ē, defined)``:
    ``ē`` is (``n``, ``d``), differentiable in ``weight`` and ``z``; ``defined`` (``n``,) bool marks nodes with
    positive retained incidence. Undefined rows (and hyperedges without retained mass) are zero.
    """
    w = weight.to(z.dtype)
    edge_embedding, _ = _weighted_mean(component.edges, w, z[component.nodes], component.num_edges)
    return _weighted_mean(component.nodes, w, edge_embedding[component.edges], component.num_nodes)


def contrastive_loss(z: Tensor, context: Tensor, defined: Tensor, anchors: Tensor, tau: Tensor) -> Tensor:
    """Eq. 18 for one component: mean over ``A = anchors ∩ defined`` of the InfoNCE term (§2.11, [OD-2]).

    ``-log[exp(s(z_i, ē_i)/τ_i) / sum_{j∈A} exp(s(z_i, ē_j)/τ_i)]`` with cosine ``s``; the in-batch context
    embeddings are the negatives and ``j = i`` is in the denominator. ``anchors`` are distinct master ids, ``tau``
    is (``n``,). Returns a scalar that keeps the autograd graph (0 when ``A`` is empty); the caller weights it by
    ``π_k^retain`` and sums over components.
    """
    batch = anchors[defined[anchors]]
    if batch.numel() == 0:
        return z[batch].sum()
    similarity = F.normalize(z[batch], dim=1) @ F.normalize(context[batch], dim=1).T
    logits = similarity / tau[batch].unsqueeze(1)
    return F.cross_entropy(logits, torch.arange(batch.numel(), device=batch.device))
