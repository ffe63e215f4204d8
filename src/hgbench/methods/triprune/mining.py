"""False- and hard-negative mining of one component (SPEC §2.12-2.13, Eqs. 21-27; [OD-14, OD-15, OD-16]).

Everything works on the membership list of a :class:`~.structure.Component`. ``keep`` (``nnz``,) bool is the
binarised pruned incidence ``H~_k^bin``; ``C = H Hᵀ`` and ``C~ = H~^bin H~^binᵀ`` (zero diagonal) are never built:
pair tests intersect hyperedge-id lists, samples walk the incidence, and hard candidates use one
``|A| x |A|`` product among the anchors. Costs are ``O(B * (deg + 8) * d)``. All sampling draws from an explicit
``torch.Generator`` (on the component's device).

Pair sets are :class:`Pairs`: master ids ``anchor`` and ``other`` plus ``slot``, the anchor's position in the
``anchors`` tensor the set was drawn for, which groups the pairs per anchor. A :class:`Selection` says which pairs
enter a loss and with which weight: ``α`` and ``α > 0.5`` (attention mining) or ``1`` and a similarity threshold
(``mining=fixed``, §3 T4 "w/o Attention Mining").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .structure import Component

FN_THRESHOLD = 0.7  # γ of mining=fixed (§3 T4)
HN_THRESHOLD = 0.6  # δ_hn of mining=fixed (§3 T4)


@dataclass(frozen=True, eq=False)
class Pairs:
    """Pairs ``(anchor, other)`` of master ids; ``slot`` (long) is the anchor's position in ``anchors``."""

    slot: Tensor
    anchor: Tensor
    other: Tensor

    def __len__(self) -> int:
        return self.slot.numel()


@dataclass(frozen=True, eq=False)
class FalseNegativeCandidates(Pairs):
    """False-negative candidates (§2.12): every pair has ``C~[i,j] = 0``.

    ``delta_a`` (float) is ``ΔA_ij = 1[C[i,j] > 0 and C~[i,j] = 0]``; ``by_pruning`` (bool) marks type (a),
    candidates drawn from an original hyperedge of the anchor (type (b) are uniform nodes).
    """

    delta_a: Tensor
    by_pruning: Tensor


@dataclass(frozen=True, eq=False)
class Selection:
    """The pairs that enter a mining loss (``selected``, bool) and their weights (``weight``: ``α`` or 1)."""

    weight: Tensor
    selected: Tensor


@dataclass(frozen=True, eq=False)
class _Incidence:
    """The memberships picked by a mask, indexed both ways (CSR by node and by hyperedge)."""

    edges: Tensor  # (nnz',) local hyperedge id of each picked membership
    node_ptr: Tensor  # (n+1,) row pointers into by_node
    by_node: Tensor  # (nnz',) membership indices sorted by (node, hyperedge)
    edge_ptr: Tensor  # (m+1,) row pointers into edge_members
    edge_members: Tensor  # (nnz',) node ids sorted by (hyperedge, node)
    rank: Tensor  # (nnz',) position of each membership within its hyperedge's member list


def _pointers(index: Tensor, size: int) -> Tensor:
    ptr = torch.zeros(size + 1, dtype=torch.long, device=index.device)
    ptr[1:] = torch.cumsum(torch.bincount(index, minlength=size), 0)
    return ptr


def _incidence(component: Component, keep: Tensor) -> _Incidence:
    nodes, edges = component.nodes[keep], component.edges[keep]
    n, m = component.num_nodes, component.num_edges
    by_node = torch.argsort(nodes * max(m, 1) + edges)
    by_edge = torch.argsort(edges * n + nodes)
    edge_ptr = _pointers(edges, m)
    rank = torch.empty_like(by_edge)
    rank[by_edge] = torch.arange(by_edge.numel(), device=by_edge.device) - edge_ptr[edges[by_edge]]
    return _Incidence(edges, _pointers(nodes, n), by_node, edge_ptr, nodes[by_edge], rank)


def _expand(ptr: Tensor, rows: Tensor) -> tuple[Tensor, Tensor]:
    """For each query row: (query index, position in the CSR array), one entry per stored element."""
    start = ptr[rows]
    count = ptr[rows + 1] - start
    owner = torch.repeat_interleave(torch.arange(rows.numel(), device=rows.device), count)
    offset = torch.arange(owner.numel(), device=rows.device) - (torch.cumsum(count, 0) - count)[owner]
    return owner, start[owner] + offset


def _co_members(incidence: _Incidence, num_edges: int, i: Tensor, j: Tensor) -> Tensor:
    """``C[i,j] > 0`` per pair: intersect the sorted (pair, hyperedge) keys of ``i`` with those of ``j``."""
    result = torch.zeros(i.numel(), dtype=torch.bool, device=i.device)
    owner_i, at_i = _expand(incidence.node_ptr, i)
    owner_j, at_j = _expand(incidence.node_ptr, j)
    if owner_i.numel() == 0 or owner_j.numel() == 0:
        return result
    width = max(num_edges, 1)
    keys_i = owner_i * width + incidence.edges[incidence.by_node[at_i]]  # sorted: by pair, then hyperedge
    keys_j = owner_j * width + incidence.edges[incidence.by_node[at_j]]
    found = keys_i[torch.searchsorted(keys_i, keys_j).clamp(max=keys_i.numel() - 1)] == keys_j
    result[owner_j[found]] = True
    return result & (i != j)


def co_members(component: Component, keep: Tensor, i: Tensor, j: Tensor) -> Tensor:
    """``C[i,j] > 0`` (pairs,) bool in the incidence restricted to ``keep`` (§2.12 "Pair tests").

    Pass an all-True ``keep`` for the original ``C``. ``C`` has a zero diagonal, so ``i = j`` gives False.
    Cost ``O(#pairs * average degree * log)``.
    """
    return _co_members(_incidence(component, keep), component.num_edges, i, j)


def _draw_co_member(incidence: _Incidence, i: Tensor, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """One draw per query: a uniform incident hyperedge ``e ∋ i``, then a uniform member ``j ≠ i`` of ``e``.

    Returns ``(j, ok)``; ``ok`` is False where ``i`` has no membership or ``e`` has no other member.
    """
    draws = torch.rand(i.numel(), 2, generator=generator, device=i.device)
    if incidence.by_node.numel() == 0:
        return i, torch.zeros(i.numel(), dtype=torch.bool, device=i.device)
    start = incidence.node_ptr[i]
    degree = incidence.node_ptr[i + 1] - start
    pick = torch.minimum((draws[:, 0] * degree).long(), (degree - 1).clamp(min=0))
    membership = incidence.by_node[(start + pick).clamp(max=incidence.by_node.numel() - 1)]
    edge = incidence.edges[membership]
    edge_start = incidence.edge_ptr[edge]
    size = incidence.edge_ptr[edge + 1] - edge_start
    ok = (degree > 0) & (size >= 2)
    other = torch.minimum((draws[:, 1] * (size - 1)).long(), (size - 2).clamp(min=0))
    other = other + (other >= incidence.rank[membership]).long()
    j = incidence.edge_members[torch.where(ok, edge_start + other, torch.zeros_like(other))]
    return torch.where(ok, j, i), ok


def _first_success(ok: Tensor) -> tuple[Tensor, Tensor]:
    """Per row of ``ok`` (rows, tries): index of the first True and whether there is one."""
    failures = (ok.long().cumsum(1) == 0).sum(1)
    found = failures < ok.shape[1]
    return failures.clamp(max=ok.shape[1] - 1), found


def _first_occurrence(slot: Tensor, other: Tensor, num_nodes: int) -> Tensor:
    """Mask keeping the first occurrence of each ``(slot, other)`` pair, so that pair sets are sets."""
    _, inverse = torch.unique(slot * num_nodes + other, return_inverse=True)
    position = torch.arange(slot.numel(), device=slot.device)
    first = torch.full((int(inverse.max()) + 1 if slot.numel() else 0,), slot.numel(), device=slot.device)
    first = first.scatter_reduce(0, inverse, position, reduce="amin")
    return first[inverse] == position


def false_negative_candidates(component: Component, keep: Tensor, anchors: Tensor, generator: torch.Generator, *,
                              per_type: int = 2, retries: int = 4) -> FalseNegativeCandidates:
    """Up to ``2 * per_type`` false-negative candidates per anchor in ``V_k`` (§2.12, [OD-16]).

    (a) ``per_type`` slots: draw an original hyperedge ``e ∋ i`` uniformly, then a member ``j ≠ i`` of ``e``;
    accept if ``C~[i,j] = 0``; up to ``retries`` tries per slot. (b) ``per_type`` slots: a uniform master node
    ``j ≠ i``, accepted if ``C~[i,j] = 0``, with the same number of tries. Anchors outside ``V_k`` get none;
    anchors pruned from ``k`` are included. Repeated ``(i, j)`` pairs are dropped (first kept, type (a) first).
    """
    n = component.num_nodes
    original = _incidence(component, torch.ones_like(keep))
    pruned = _incidence(component, keep)
    slots = torch.nonzero(component.members[anchors]).flatten()
    tries = per_type * retries
    node = anchors[slots].repeat_interleave(tries)

    linked, found_linked = _draw_co_member(original, node, generator)
    found_linked &= ~_co_members(pruned, component.num_edges, node, linked)
    uniform = torch.randint(max(n - 1, 1), (node.numel(),), generator=generator, device=node.device)
    uniform = (uniform + (uniform >= node).long()).clamp(max=n - 1)
    found_uniform = (uniform != node) & ~_co_members(pruned, component.num_edges, node, uniform)

    slot_rows = slots.repeat_interleave(per_type)
    offsets = torch.arange(slot_rows.numel(), device=node.device) * retries
    picked_slots, picked_others, by_pruning = [], [], []
    for drawn, ok, typed in ((linked, found_linked, True), (uniform, found_uniform, False)):
        first, found = _first_success(ok.view(-1, retries))
        picked_slots.append(slot_rows[found])
        picked_others.append(drawn[(offsets + first)[found]])
        by_pruning.append(torch.full((int(found.sum()),), typed, dtype=torch.bool, device=node.device))
    slot, other, typed_a = torch.cat(picked_slots), torch.cat(picked_others), torch.cat(by_pruning)
    unique = _first_occurrence(slot, other, n)
    slot, other, typed_a = slot[unique], other[unique], typed_a[unique]
    anchor = anchors[slot]
    delta_a = _co_members(original, component.num_edges, anchor, other).to(torch.get_default_dtype())
    return FalseNegativeCandidates(slot, anchor, other, delta_a, typed_a)


def retained_neighbours(component: Component, keep: Tensor, anchors: Tensor, generator: torch.Generator,
                        count: int = 16) -> Pairs:
    """``R_i^k``: up to ``count`` distinct retained co-members per anchor (§2.12).

    Each of ``count`` draws takes a retained incident hyperedge of ``i`` uniformly, then a retained member
    ``j ≠ i`` of it, so every neighbour has ``C~[i,j] > 0``; repeats are dropped.
    """
    slot = torch.arange(anchors.numel(), device=anchors.device).repeat_interleave(count)
    other, ok = _draw_co_member(_incidence(component, keep), anchors[slot], generator)
    slot, other = slot[ok], other[ok]
    unique = _first_occurrence(slot, other, component.num_nodes)
    return Pairs(slot[unique], anchors[slot[unique]], other[unique])


def hard_candidates(component: Component, keep: Tensor, anchors: Tensor, z: Tensor, k: int = 8) -> Pairs:
    """``Q_i^k`` (§2.13): for each anchor with a defined context, the up-to-``k`` other such anchors ``j`` with
    ``C~[i,j] = 0`` and the largest detached ``s(z_i, z_j)``.

    A node's context is defined iff it has a retained membership (``keep``). ``C~`` among those anchors is the
    ``|A| x |A|`` product ``H~^bin[A] H~^bin[A]ᵀ``, filled from the anchor pairs of each retained hyperedge
    (cost: the sum over hyperedges of their anchor count squared). ``anchors`` must be distinct.
    """
    if torch.unique(anchors).numel() != anchors.numel():
        raise ValueError("hard_candidates needs distinct anchors")
    n, m = component.num_nodes, component.num_edges
    defined = torch.zeros(n, dtype=torch.bool, device=anchors.device)
    defined[component.nodes[keep]] = True
    slots = torch.nonzero(defined[anchors]).flatten()
    size = slots.numel()
    if size < 2:
        empty = slots[:0]
        return Pairs(empty, empty, empty)
    batch = anchors[slots]
    row_of = torch.full((n,), -1, dtype=torch.long, device=anchors.device)
    row_of[batch] = torch.arange(size, device=anchors.device)
    among = _incidence(component, keep & (row_of[component.nodes] >= 0))
    member_edge = torch.repeat_interleave(torch.arange(m, device=anchors.device), among.edge_ptr.diff())
    first, second = _expand(among.edge_ptr, member_edge)  # every ordered pair of anchors sharing a hyperedge
    linked = torch.eye(size, dtype=torch.bool, device=anchors.device)
    linked[row_of[among.edge_members[first]], row_of[among.edge_members[second]]] = True
    unit = F.normalize(z[batch].detach(), dim=1)
    similarity = (unit @ unit.T).masked_fill(linked, float("-inf"))
    values, columns = similarity.topk(min(k, size - 1), dim=1)
    rows = torch.arange(size, device=anchors.device).unsqueeze(1).expand_as(columns)
    valid = torch.isfinite(values)
    return Pairs(slots[rows[valid]], batch[rows[valid]], batch[columns[valid]])


def pair_similarity(z: Tensor, pairs: Pairs) -> Tensor:
    """Cosine ``s(z_i, z_j)`` (pairs,) per pair, differentiable in ``z``."""
    return (F.normalize(z[pairs.anchor], dim=1) * F.normalize(z[pairs.other], dim=1)).sum(1)


class FalseNegativeAttention(nn.Module):
    """``Attn_fn`` (Eq. 22): ``α = sigmoid(w_fnᵀ tanh(W_fn [z_i ‖ z_j ‖ ΔA_ij ‖ c_k] + b_fn))``.

    Owns one learnable context vector ``c_k`` per component (``context``, initialised ``N(0, 0.1²)``), kept apart
    from ``W_fn, b_fn`` (``project``) and ``w_fn`` (``score``) because transfer re-initialises it (§3 T7).
    """

    def __init__(self, dim: int, num_components: int, hidden: int = 64) -> None:
        super().__init__()
        self.project = nn.Linear(3 * dim + 1, hidden)
        self.score = nn.Linear(hidden, 1, bias=False)
        self.context = nn.Parameter(torch.empty(num_components, dim))
        nn.init.normal_(self.context, std=0.1)

    def forward(self, z_i: Tensor, z_j: Tensor, delta_a: Tensor, component: int) -> Tensor:
        """``α^fn`` (pairs,) for pair embeddings ``z_i, z_j`` (pairs, d) and ``ΔA`` (pairs,) in component ``k``."""
        context = self.context[component].expand(z_i.shape[0], -1)
        features = torch.cat([z_i, z_j, delta_a.to(z_i.dtype).unsqueeze(1), context], dim=1)
        return torch.sigmoid(self.score(torch.tanh(self.project(features)))).squeeze(1)


class HardNegativeAttention(nn.Module):
    """``Attn_hn`` (Eq. 25): ``α = sigmoid(w_hnᵀ tanh(W_hn [z_i ‖ z_j ‖ ē_i ‖ ē_j] + b_hn))``."""

    def __init__(self, dim: int, hidden: int = 64) -> None:
        super().__init__()
        self.project = nn.Linear(4 * dim, hidden)
        self.score = nn.Linear(hidden, 1, bias=False)

    def forward(self, z_i: Tensor, z_j: Tensor, e_i: Tensor, e_j: Tensor) -> Tensor:
        """``α^hn`` (pairs,) from the pair's embeddings and context embeddings, each (pairs, d)."""
        features = torch.cat([z_i, z_j, e_i, e_j], dim=1)
        return torch.sigmoid(self.score(torch.tanh(self.project(features)))).squeeze(1)


def select_by_attention(alpha: Tensor) -> Selection:
    """Attention mining: pairs with ``α > 0.5`` (Eqs. 23, 26), weighted by ``α`` (not detached)."""
    return Selection(alpha, alpha > 0.5)


def select_false_negatives_fixed(z: Tensor, candidates: FalseNegativeCandidates,
                                 gamma: float = FN_THRESHOLD) -> Selection:
    """``mining=fixed`` FN set (§3 T4): ``ΔA_ij = 1`` and ``s(z_i, z_j) > γ``, weight 1."""
    similarity = pair_similarity(z.detach(), candidates)
    selected = (candidates.delta_a > 0) & (similarity > gamma)
    return Selection(torch.ones_like(similarity), selected)


def select_hard_negatives_fixed(z: Tensor, pairs: Pairs, delta: float = HN_THRESHOLD) -> Selection:
    """``mining=fixed`` HN set (§3 T4): ``s(z_i, z_j) > δ_hn``, weight 1."""
    similarity = pair_similarity(z.detach(), pairs)
    return Selection(torch.ones_like(similarity), similarity > delta)


def _segment_logsumexp(values: Tensor, segment: Tensor) -> tuple[Tensor, Tensor]:
    """``logsumexp`` of ``values`` per ``segment`` id; returns it per segment and each value's segment row."""
    _, inverse = torch.unique(segment, return_inverse=True)
    size = int(inverse.max()) + 1 if inverse.numel() else 0
    peak = values.new_full((size,), float("-inf")).scatter_reduce(0, inverse, values.detach(), reduce="amax")
    total = values.new_zeros(size).index_add(0, inverse, torch.exp(values - peak[inverse]))
    return peak + torch.log(total), inverse


def false_negative_loss(z: Tensor, candidates: Pairs, selection: Selection, neighbours: Pairs, tau: Tensor,
                        num_anchors: int) -> Tensor:
    """``L_fn`` of one component (§2.12, Eq. 24, [OD-2]).

    ``mean over i ∈ B_a ∩ V_k of sum_{j ∈ F_i} w_ij · -log[exp(s_ij/τ_i) / sum_{l ∈ N_i^aug} exp(s_il/τ_i)]``
    (cosine ``s``) with ``F_i`` the selected candidates of anchor ``i``, ``w`` the selection's weights (``α``,
    not detached), ``N_i^aug = R_i ∪ F_i`` (``neighbours`` from :func:`retained_neighbours` on the same
    ``anchors``) and ``tau`` (``n``,). ``num_anchors = |B_a ∩ V_k|``. Returns a scalar keeping the graph
    (0 when ``F`` is empty).
    """
    chosen = selection.selected
    weight, slot, anchor = selection.weight[chosen], candidates.slot[chosen], candidates.anchor[chosen]
    positive = pair_similarity(z, Pairs(slot, anchor, candidates.other[chosen])) / tau[anchor]
    negative = pair_similarity(z, neighbours) / tau[neighbours.anchor]
    lse, row = _segment_logsumexp(torch.cat([positive, negative]), torch.cat([slot, neighbours.slot]))
    terms = weight * (lse[row[: slot.numel()]] - positive)
    return terms.sum() / max(num_anchors, 1)


def hard_negative_loss(z: Tensor, pairs: Pairs, selection: Selection, tau: Tensor, num_anchors: int,
                       form: Literal["softmax", "hinge"] = "softmax") -> Tensor:
    """``L_hard`` of one component (§2.13, Eq. 27, [OD-2, OD-15]); the caller weights it by ``π_k^retain``.

    ``softmax`` (literal Eq. 27): ``mean over i ∈ A_k of sum_{j ∈ H_i} w_ij · -log[exp(-s_ij/τ_i) /
    sum_{l ∈ H_i} exp(-s_il/τ_i)]``, 0 for an anchor with ``|H_i| = 1``. ``hinge`` (opt-in): ``w_ij · max(0, s_ij)``
    over the same ``H_i``. ``num_anchors = |A_k|``; ``tau`` is (``n``,). Returns a scalar keeping the graph.
    """
    chosen = selection.selected
    weight, slot, anchor = selection.weight[chosen], pairs.slot[chosen], pairs.anchor[chosen]
    similarity = pair_similarity(z, Pairs(slot, anchor, pairs.other[chosen]))
    if form == "hinge":
        terms = weight * similarity.clamp(min=0)
    elif form == "softmax":
        logits = -similarity / tau[anchor]
        lse, row = _segment_logsumexp(logits, slot)
        terms = weight * (lse[row] - logits)
    else:
        raise ValueError(f"unknown hard-negative loss form {form!r}")
    return terms.sum() / max(num_anchors, 1)


def mining_statistics(false_negatives: Sequence[tuple[Selection, int]],
                      hard_negatives: Sequence[tuple[Selection, int]]) -> dict[str, float]:
    """Mining summaries pooled over components (SPEC §4.2 "Mining"), each entry ``(selection, anchors)``.

    ``anchors`` is the component's anchor count (``|B_a ∩ V_k|`` for FN, ``|A_k|`` for HN). Per prefix ``fn``/``hn``:
    ``alpha_mean`` (mean weight over candidates: ``α``, or 1 under ``mining=fixed``), ``set_per_anchor``
    (selected pairs per anchor: ``|F_k|`` resp. ``|H_i^k|``) and ``selected_fraction``; NaN where undefined.
    """
    stats = {}
    for prefix, parts in (("fn", false_negatives), ("hn", hard_negatives)):
        candidates = sum(part.weight.numel() for part, _ in parts)
        selected = sum(int(part.selected.sum()) for part, _ in parts)
        anchors = sum(count for _, count in parts)
        weight = sum(float(part.weight.detach().sum()) for part, _ in parts)
        stats[f"{prefix}_alpha_mean"] = weight / candidates if candidates else float("nan")
        stats[f"{prefix}_set_per_anchor"] = selected / anchors if anchors else float("nan")
        stats[f"{prefix}_selected_fraction"] = selected / candidates if candidates else float("nan")
    return stats
