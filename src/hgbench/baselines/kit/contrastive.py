"""BASELINES.md §0.7 ``contrastive.py``: the losses and augmentations of the contrastive rows (HyGCL-AdT, TriCL;
later HEAL, DistillHGNN, SHARP-Distill).

Losses
------
* :func:`info_nce` — GRACE-style InfoNCE between two aligned views ``z1``, ``z2`` (row ``i`` of both is the
  same node or hyperedge): for an anchor ``i``, the positive is ``z2[i]``; the negatives are every other row
  of the other view (inter-view) and, with ``intra_view=True``, every other row of its own view::

      l(i) = -log  exp(s(z1_i, z2_i)/τ) / ( Σ_j exp(s(z1_i, z2_j)/τ) + [intra] Σ_{j≠i} exp(s(z1_i, z1_j)/τ) )

  with cosine ``s``, symmetrised (``(l_12(i) + l_21(i)) / 2``) and averaged over the anchors. Anchors are a
  batch of at most 512 rows (BASELINES.md §0.4: the paper's "batch size 512" read as anchors) scored against
  *all* rows, so a call costs ``O(B·n·d)`` time and memory, never an ``n x n`` matrix.
  :func:`sample_anchors` draws them from a :class:`torch.Generator`.
* :class:`BilinearDiscriminator` and :func:`membership_loss` — TriCL's membership contrast: a bilinear score
  ``σ(n_vᵀ B e_e + b)`` for every membership ``(v, e)``, contrasted against one corrupted pair with a
  permuted hyperedge and one with a permuted node, at temperature ``τ_m``. Scores are computed as
  ``(n B)[v] · e[e]``: ``O(n·d² + nnz·d)`` instead of ``nn.Bilinear``'s ``O(nnz·d²)``.
* :class:`AdaptiveTemperature` — HyGCL-AdT's temperature schedule driven by the uniformity of the
  embeddings (see its docstring).

Augmentations (all on a :class:`~hgbench.datasets.hypergraph.Hypergraph`, all drawing from a generator)
---------------------------------------------------------------------------------------------------------
:func:`drop_incidence` (memberships), :func:`drop_hyperedges`, :func:`drop_nodes` (all memberships of the
dropped nodes) and :func:`mask_feature_columns`. The structural ones keep ``num_nodes``, ``num_edges``,
the contexts and the ids, so hyperedge ``e`` of one view is hyperedge ``e`` of the other (what the
hyperedge-level contrasts need); a hyperedge left with no member is simply empty
(``allow_empty_edges``): :func:`nonempty_edges` says which are kept. ``protect`` marks memberships that are
never dropped (the self loops HyGCL-AdT and TriCL keep). Each keeps an element independently with
probability ``1 - p`` (Bernoulli, as TriCL's code; HyGCL-AdT's code draws an exact count), ``O(nnz)``.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ...datasets.hypergraph import Hypergraph

ANCHORS = 512  # anchors per contrastive call (BASELINES.md §0.4)


# ----------------------------------------------------------------------------------------------- losses
def sample_anchors(count: int, generator: torch.Generator, size: int = ANCHORS) -> Tensor:
    """``min(size, count)`` distinct indices in ``[0, count)``, uniformly at random (sorted)."""
    if count <= size:
        return torch.arange(count)
    return torch.randperm(count, generator=generator)[:size].sort().values


def info_nce(z1: Tensor, z2: Tensor, tau: float, anchors: Tensor | None = None, intra_view: bool = True) -> Tensor:
    """Symmetrised InfoNCE of two aligned views (rows ``n x d``), averaged over ``anchors`` (all rows if None).

    ``(info_nce_directed(z1, z2) + info_nce_directed(z2, z1)) / 2`` with the same anchors and temperature.
    """
    return 0.5 * (info_nce_directed(z1, z2, tau, anchors, intra_view)
                  + info_nce_directed(z2, z1, tau, anchors, intra_view))


def info_nce_directed(z1: Tensor, z2: Tensor, tau: float, anchors: Tensor | None = None,
                      intra_view: bool = True) -> Tensor:
    """Mean over ``anchors`` of ``l_12(i)`` (module docstring): each anchor row of ``z1`` is scored against all
    ``n`` rows of ``z2`` (and of ``z1``, ``intra_view``), cosine similarities: ``O(|anchors|·n·d)``."""
    if z1.shape != z2.shape:
        raise ValueError(f"the two views must be aligned, got {tuple(z1.shape)} and {tuple(z2.shape)}")
    anchors = torch.arange(z1.shape[0]) if anchors is None else anchors
    anchors = anchors.to(z1.device)
    h1, h2 = F.normalize(z1, dim=1), F.normalize(z2, dim=1)
    query = h1.index_select(0, anchors)
    positive = (query * h2.index_select(0, anchors)).sum(-1) / tau
    total = torch.logsumexp(query @ h2.T / tau, dim=1)  # B x n similarities, reduced per anchor
    if intra_view:
        rows = torch.arange(anchors.numel(), device=anchors.device)
        self_pairs = torch.tensor(float("-inf"), dtype=h1.dtype, device=h1.device)
        within = (query @ h1.T / tau).index_put((rows, anchors), self_pairs)  # j = i is not a negative
        total = torch.logaddexp(total, torch.logsumexp(within, dim=1))
    return (total - positive).mean()


class BilinearDiscriminator(nn.Module):
    """``score(v, e) = n_vᵀ B e_e + b`` (as ``nn.Bilinear(d_n, d_e, 1)``, same initialisation)."""

    def __init__(self, node_dim: int, edge_dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(node_dim, edge_dim))
        self.bias = nn.Parameter(torch.empty(1))
        bound = 1.0 / math.sqrt(node_dim)
        nn.init.uniform_(self.weight, -bound, bound)
        nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, nodes: Tensor, edges: Tensor, node_ids: Tensor, edge_ids: Tensor) -> Tensor:
        """One score per pair ``(node_ids[t], edge_ids[t])``: ``O(n·d_n·d_e + pairs·d_e)``."""
        return self.score(nodes @ self.weight, edges, node_ids, edge_ids)

    def score(self, projected: Tensor, edges: Tensor, node_ids: Tensor, edge_ids: Tensor) -> Tensor:
        """:meth:`forward` given ``projected = nodes @ weight`` (shared by several calls)."""
        return (projected.index_select(0, node_ids) * edges.index_select(0, edge_ids)).sum(-1) + self.bias


def membership_loss(discriminator: BilinearDiscriminator, nodes: Tensor, edges: Tensor, index: Tensor, tau: float,
                    generator: torch.Generator) -> Tensor:
    """TriCL's membership contrast over the memberships ``index`` (``2 x k``: row ids of ``nodes``, of ``edges``).

    With ``f(s) = exp(σ(s)/τ)``, each membership ``(v, e)`` is contrasted with ``(v, π_E(e))`` and
    ``(π_V(v), e)`` for random permutations ``π_E`` of the rows of ``edges`` and ``π_V`` of ``nodes``::

        -log f(v,e)/(f(v,e) + f(v,π_E(e)))  -  log f(v,e)/(f(v,e) + f(π_V(v),e))

    (each term is ``softplus((σ(s_neg) - σ(s_pos))/τ)``), averaged over the memberships.
    """
    node_ids, edge_ids = index[0], index[1]
    if node_ids.numel() == 0:
        return nodes.sum() * 0.0
    edge_perm = torch.randperm(edges.shape[0], generator=generator).to(edges.device)
    node_perm = torch.randperm(nodes.shape[0], generator=generator).to(nodes.device)
    projected = nodes @ discriminator.weight
    positive = torch.sigmoid(discriminator.score(projected, edges, node_ids, edge_ids))
    corrupt_edge = torch.sigmoid(discriminator.score(projected, edges, node_ids, edge_perm[edge_ids]))
    corrupt_node = torch.sigmoid(discriminator.score(projected, edges, node_perm[node_ids], edge_ids))
    return (F.softplus((corrupt_edge - positive) / tau) + F.softplus((corrupt_node - positive) / tau)).mean()


class AdaptiveTemperature:
    """HyGCL-AdT's adaptive temperature (one state shared by every loss call of a run).

    Before each InfoNCE call on a batch of (projected) embeddings ``Z`` the temperature is updated::

        U = log mean_{i<j} exp(-t ‖z_i - z_j‖²)        (uniformity, t = 2; U <= 0)
        g <- ρ g + 1 / (-U)
        τ <- τ - η g

    and the updates stop once ``τ`` is below ``floor`` (so, as in the official code, ``τ`` may end one step
    below it). ``U`` is computed with a log-sum-exp (the code's ``exp().mean().log()`` underflows to ``-inf``
    for spread embeddings, where ``1/(-U)`` is then 0, the limit this value tends to). A batch of fewer than
    two rows, or ``U = 0`` (all rows equal, where the code divides by zero), adds nothing to ``g``. ``τ`` is
    never set below :attr:`MINIMUM` (a numerical guard the defaults never reach).
    """

    MINIMUM = 1e-2

    def __init__(self, tau: float = 1.0, floor: float = 0.1, eta: float = 1e-3, rho: float = 0.7, t: float = 2.0):
        self.tau, self.floor, self.eta, self.rho, self.t = float(tau), float(floor), float(eta), float(rho), float(t)
        self.grad = 0.0
        self.uniformity = float("nan")
        self.updates = 0

    @staticmethod
    def uniformity_of(z: Tensor, t: float = 2.0) -> float:
        """``log mean_{i<j} exp(-t ‖z_i - z_j‖²)`` over the rows of ``z`` (``O(B²·d)`` for a batch of ``B``)."""
        with torch.no_grad():
            distances = torch.pdist(z.detach().float(), p=2).pow(2).double()
            if distances.numel() == 0:
                return float("nan")
            return float(torch.logsumexp(-t * distances, dim=0) - math.log(distances.numel()))

    def step(self, z: Tensor) -> float:
        """Update the temperature from the uniformity of ``z``; returns the temperature to use now."""
        if self.tau < self.floor:
            return self.tau
        self.uniformity = self.uniformity_of(z, self.t)
        increment = 1.0 / -self.uniformity if self.uniformity < 0 else 0.0  # nan (one row) and 0 add nothing
        self.grad = self.grad * self.rho + increment
        self.tau = max(self.tau - self.eta * self.grad, self.MINIMUM)
        self.updates += 1
        return self.tau

    def state(self) -> dict[str, float]:
        return {"tau": self.tau, "tau_grad": self.grad, "uniformity": self.uniformity}


# ----------------------------------------------------------------------------------------------- augmentations
def _keep_memberships(hypergraph: Hypergraph, keep: Tensor) -> Hypergraph:
    """``hypergraph`` with the memberships where ``keep`` is False removed; ids, sizes and contexts unchanged."""
    weight = None if hypergraph.weight is None else hypergraph.weight[keep]
    return Hypergraph(hypergraph.index[:, keep], hypergraph.num_nodes, hypergraph.num_edges, weight,
                      hypergraph.edge_context, hypergraph.context_names, allow_empty_edges=True)


def _bernoulli_keep(count: int, p: float, generator: torch.Generator, device: torch.device) -> Tensor:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"a drop rate must lie in [0, 1], got {p}")
    return (torch.rand(count, generator=generator) >= p).to(device)


def drop_incidence(hypergraph: Hypergraph, p: float, generator: torch.Generator,
                   protect: Tensor | None = None) -> Hypergraph:
    """Drop each membership with probability ``p`` (never those where ``protect`` is True)."""
    keep = _bernoulli_keep(hypergraph.nnz, p, generator, hypergraph.device)
    if protect is not None:
        keep = keep | protect
    return _keep_memberships(hypergraph, keep)


def drop_hyperedges(hypergraph: Hypergraph, p: float, generator: torch.Generator,
                    protect: Tensor | None = None) -> Hypergraph:
    """Drop each hyperedge (all its memberships) with probability ``p``; ``protect``: hyperedges never dropped."""
    keep = _bernoulli_keep(hypergraph.num_edges, p, generator, hypergraph.device)
    if protect is not None:
        keep = keep | protect
    return _keep_memberships(hypergraph, keep[hypergraph.edges])


def drop_nodes(hypergraph: Hypergraph, p: float, generator: torch.Generator) -> tuple[Hypergraph, Tensor]:
    """Drop each node (all its memberships) with probability ``p``; returns the view and the kept-node mask."""
    keep = _bernoulli_keep(hypergraph.num_nodes, p, generator, hypergraph.device)
    return _keep_memberships(hypergraph, keep[hypergraph.nodes]), keep


def mask_feature_columns(x: Tensor, p: float, generator: torch.Generator) -> Tensor:
    """Zero each feature column with probability ``p`` (the same columns for every node)."""
    keep = _bernoulli_keep(x.shape[1], p, generator, x.device)
    return x * keep.to(x.dtype)


def nonempty_edges(hypergraph: Hypergraph) -> Tensor:
    """Bool mask of the hyperedges that still have a member."""
    return torch.bincount(hypergraph.edges, minlength=hypergraph.num_edges) > 0
