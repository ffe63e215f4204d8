"""The pruned incidence of one step (SPEC §2.0 steps 2-4, §2.4-2.8) and its deployment (§2.16).

:class:`Statics` holds what never changes during a run (components, normalised features, hyperedge
cohesion, per-component feature variance, overlap terms); :func:`prune` gates components, then
hyperedges, then nodes, applying the floors in that order, and returns a :class:`Pruning`: the
soft incidences the backbone trains on, their binarised masks, the retention ratios and what the
temperatures need. :func:`deploy` physically removes what the binarised gates prune.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import torch
from torch import Tensor

from .backbone import Incidence, SparseFeatures
from .gates import component_minimum, edge_scores, force_top, node_minimum, node_scores, soft_gate
from .neighbours import NeighbourSimilarity, mean_similarity
from .retention import Overlap
from .structure import Component


SPARSE_DENSITY = 0.25


@dataclass(eq=False)
class Statics:
    """Per-dataset constants of a run, in one floating dtype (:meth:`as_dtype` converts, cached)."""

    components: list[Component]
    features: Tensor

    @cached_property
    def inputs(self) -> Tensor | SparseFeatures:
        """The backbone's input: the features as their non-zero entries when at most a quarter is non-zero."""
        density = float((self.features != 0).double().mean()) if self.features.numel() else 1.0
        return SparseFeatures.of(self.features) if density <= SPARSE_DENSITY else self.features

    @cached_property
    def feature_norm(self) -> Tensor:
        return self.features.norm(dim=1)

    @cached_property
    def x_hat(self) -> Tensor:
        """``x_i/||x_i||`` (a zero row stays 0), SPEC §1.1."""
        return self.features / self.feature_norm.clamp_min(1e-12)[:, None]

    @cached_property
    def edge_scores(self) -> list[Tensor]:
        return [edge_scores(c, self.x_hat) for c in self.components]

    @cached_property
    def variance(self) -> Tensor:
        """``v_k``: mean over feature dimensions of the population variance of ``x_i``, ``i in V_k`` (§2.4)."""
        return torch.stack([self.features[c.members].var(dim=0, unbiased=False).mean() if c.nnz else
                            self.features.new_zeros(()) for c in self.components])

    @cached_property
    def connecting_edges(self) -> list[Tensor]:
        """Per component, the hyperedges with two or more members."""
        return [torch.bincount(c.edges, minlength=c.num_edges) >= 2 for c in self.components]

    @cached_property
    def membership_matrix(self) -> Tensor:
        """``n x K``: ``1/|V_k|`` where node ``i`` is in ``V_k``, else 0 (a mean over ``V_k`` as a product)."""
        columns = [c.members.to(self.features.dtype) / max(int(c.members.sum()), 1) for c in self.components]
        return torch.stack(columns, dim=1)

    @cached_property
    def overlaps(self) -> list[Overlap]:
        return [Overlap(c) for c in self.components]

    @cached_property
    def neighbour_similarity(self) -> list[NeighbourSimilarity]:
        return [NeighbourSimilarity(c, self.x_hat) for c in self.components]

    @cached_property
    def member_counts(self) -> list[int]:
        return [int(c.members.sum()) for c in self.components]

    _similarity: dict = field(default_factory=dict, repr=False)
    _converted: dict = field(default_factory=dict, repr=False)

    def similarity(self, k: int, edge_keep: Tensor) -> tuple[Tensor, Tensor]:
        """(num, den) of §2.6 for component ``k`` under ``edge_keep``, remembered for the last mask seen."""
        last = self._similarity.get(k)
        if last is None or not torch.equal(last[0], edge_keep):
            last = (edge_keep.clone(), *self.neighbour_similarity[k](edge_keep))
            self._similarity[k] = last
        return last[1], last[2]

    def as_dtype(self, dtype: torch.dtype) -> "Statics":
        if dtype == self.features.dtype:
            return self
        if dtype not in self._converted:
            self._converted[dtype] = Statics(self.components, self.features.to(dtype))
        return self._converted[dtype]


@dataclass(eq=False)
class Pruning:
    """One step's gates (after floors) and everything derived from them."""

    components: list[Component]  # the unpruned components, which ``keep`` indexes
    incidences: list[Incidence | None]  # soft, without their zero entries
    component_gate: Tensor  # (K,) soft
    component_score: Tensor  # (K,)
    beta: Tensor  # (K,)
    edge_gates: list[Tensor | None]
    node_gates: list[Tensor | None]
    keep: list[Tensor | None]  # binarised membership masks, None for pruned components
    similarity_num: Tensor  # (n,) pooled over retained components (§2.9's s_bar)
    similarity_den: Tensor
    band_fraction: float  # share of gated elements inside Eq. 10's band (where a gradient flows), [OD-7]

    @property
    def retained(self) -> list[int]:
        return [k for k, mask in enumerate(self.keep) if mask is not None]

    def degree(self) -> Tensor:
        """``deg_i``: memberships of node ``i`` in the binarised pruned graph (§2.9)."""
        degree = self.similarity_num.new_zeros(self.similarity_num.shape[0])
        for component, mask in zip(self.components, self.keep):
            if mask is not None:
                degree += torch.bincount(component.nodes[mask], minlength=degree.shape[0]).to(degree.dtype)
        return degree

    def similarity(self) -> Tensor:
        return mean_similarity(self.similarity_num, self.similarity_den)

    def retention(self, statics: Statics) -> dict[str, float]:
        """§2.8 (Eqs. 6, 17): r_comp, r_edge, r_node, r_overall, r_prod and rho_nnz from the binarised gates."""
        comps = statics.components
        retained = self.retained
        kept_edges = sum(int((self.edge_gates[k].detach() > 0.5).sum()) for k in retained)
        all_edges = sum(comps[k].num_edges for k in retained)
        kept_nodes = sum(int(((self.node_gates[k].detach() > 0.5) & comps[k].members).sum()) for k in retained)
        all_nodes = sum(statics.member_counts[k] for k in retained)
        r_comp = len(retained) / len(comps)
        r_edge = kept_edges / all_edges if all_edges else 0.0
        r_node = kept_nodes / all_nodes if all_nodes else 0.0
        kept = sum(int(self.keep[k].sum()) for k in retained)
        return {"r_comp": r_comp, "r_edge": r_edge, "r_node": r_node, "r_overall": r_comp * r_edge * r_node ** 2,
                "r_prod": r_comp * r_edge * r_node, "rho_nnz": kept / max(sum(c.nnz for c in comps), 1)}

    def retain_weights(self, statics: Statics, alpha: float) -> list[float]:
        """``pi_k^retain`` (Eq. 20) from the binarised masks; 0 for pruned components ([OD-25]: detached)."""
        return [0.0 if mask is None else overlap.weight(mask, alpha)
                for mask, overlap in zip(self.keep, statics.overlaps)]


def _band(gate: Tensor) -> tuple[int, int]:
    g = gate.detach()
    return int(((g > 0) & (g < 1)).sum()), g.numel()


def prune(statics: Statics, thetas: dict[str, Tensor], levels: frozenset[str], weight_norms: Tensor,
          activations: Tensor, attention: Tensor, scorer, eps: float) -> Pruning:
    """Gates comp -> edge -> node with the floors of §2.7, and the soft incidences ``H~_k`` (§2.6).

    A level absent from ``levels`` (Table 5's "w/o Comp/Edge/Node") has every gate 1 (node gates
    keep the isolation indicator); its scores are still computed for the state vectors.
    """
    comps = statics.components
    n = statics.features.shape[0]
    dtype = statics.features.dtype
    score, beta = scorer(weight_norms, activations, statics.variance, attention)
    if "comp" in levels:
        gate = force_top(soft_gate(score, thetas["comp"], eps), score, component_minimum(len(comps)))
    else:
        gate = torch.ones_like(score)
    in_band, total = _band(gate) if "comp" in levels else (0, 0)
    incidences: list[Incidence | None] = []
    edge_gates, node_gates, keeps = [], [], []
    num, den = statics.features.new_zeros(n), statics.features.new_zeros(n)
    for k, component in enumerate(comps):
        if gate[k].detach() <= 0.5 or component.nnz == 0:
            for part in (incidences, edge_gates, node_gates, keeps):
                part.append(None)
            continue
        edge_score = statics.edge_scores[k]
        if "edge" in levels:
            # the floor forces a hyperedge that can connect two nodes (a singleton would leave the node floor
            # nothing to keep; the loaders drop singletons, synthetic data may have them)
            edge_gate = force_top(soft_gate(edge_score, thetas["edge"], eps), edge_score, 1,
                                  statics.connecting_edges[k])
            band = _band(edge_gate)
            in_band, total = in_band + band[0], total + band[1]
        else:
            edge_gate = torch.ones_like(edge_score)
        edge_keep = edge_gate.detach() > 0.5
        num_k, den_k = statics.similarity(k, edge_keep)
        num, den = num + num_k, den + den_k
        connected = den_k > 0  # Eq. 16's isolation indicator
        if "node" in levels:
            node_score = node_scores(mean_similarity(num_k, den_k), statics.feature_norm, component.members)
            node_gate = soft_gate(node_score, thetas["node"], eps) * connected.to(dtype)
            node_gate = force_top(node_gate, node_score, node_minimum(statics.member_counts[k]), connected)
            band = _band(node_gate[component.members])
            in_band, total = in_band + band[0], total + band[1]
        else:
            node_gate = connected.to(dtype)
        weight = edge_gate[component.edges] * node_gate[component.nodes]
        keep = (edge_gate.detach() > 0.5)[component.edges] & (node_gate.detach() > 0.5)[component.nodes]
        for part, value in ((incidences, _nonzero(component, weight, gate[k])), (edge_gates, edge_gate),
                            (node_gates, node_gate), (keeps, keep)):
            part.append(value)
    return Pruning(comps, incidences, gate, score, beta, edge_gates, node_gates, keeps, num, den,
                   in_band / total if total else 0.0)


def _nonzero(component: Component, weight: Tensor, gate: Tensor) -> Incidence:
    """The soft incidence without its zero entries: they add nothing to any sum, and a clamped gate passes
    no gradient (Eq. 10), so dropping them changes neither forward nor backward, only the cost, which
    then follows the retained structure (Eq. 17)."""
    nonzero = weight.detach() != 0
    if bool(nonzero.all()):
        return Incidence(component, weight, gate)
    part = Component(component.name, component.nodes[nonzero], component.edges[nonzero], component.num_nodes,
                     component.num_edges)
    return Incidence(part, weight[nonzero], gate)


def deploy(pruning: Pruning) -> list[Incidence | None]:
    """§2.16: skip pruned components, delete pruned incidence entries, compact, weights 1."""
    deployed: list[Incidence | None] = []
    for c, keep in zip(pruning.components, pruning.keep):
        if keep is None:
            deployed.append(None)
            continue
        edges = c.edges[keep]
        surviving = torch.zeros(c.num_edges, dtype=torch.bool, device=edges.device)
        surviving[edges] = True
        renumber = torch.cumsum(surviving.long(), 0) - 1
        deployed.append(Incidence(Component(c.name, c.nodes[keep], renumber[edges], c.num_nodes,
                                            int(surviving.sum()))))
    return deployed
