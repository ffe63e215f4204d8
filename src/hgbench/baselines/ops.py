"""Hypergraph operations the baselines need beyond :class:`~hgbench.datasets.hypergraph.Hypergraph`.

``Hypergraph.v2e`` / ``e2v`` aggregate node (hyperedge) *rows*. Three baselines need messages that
live on the memberships (incidences) themselves:

* ED-HNN applies an MLP to ``[x_v, m_e]`` for every membership ``(v, e)`` before summing at ``v``;
* AllSetTransformer's PMA weights every membership by an attention score normalised over the
  members of one hyperedge (node -> hyperedge) or over the hyperedges of one node
  (hyperedge -> node), with several heads.

The functions below gather rows onto memberships, aggregate membership rows back onto nodes or
hyperedges (through ``Hypergraph.memberships_to_nodes`` / ``memberships_to_edges``: a soft mask
scales every message and the ``mean`` divides by the summed weights), and take a softmax within
each group of memberships. Everything is written with ``index_select`` / ``index_add`` so that it
is differentiable twice, like the structure's own aggregation.
"""

from __future__ import annotations

from torch import Tensor

from ..datasets.hypergraph import Hypergraph


def gather_nodes(hypergraph: Hypergraph, x: Tensor) -> Tensor:
    """Row ``x[v]`` for every membership ``(v, e)``: ``nnz x ...``."""
    return x.index_select(0, hypergraph.nodes)


def gather_edges(hypergraph: Hypergraph, y: Tensor) -> Tensor:
    """Row ``y[e]`` for every membership ``(v, e)``: ``nnz x ...``."""
    return y.index_select(0, hypergraph.edges)


def incidence_to_edges(hypergraph: Hypergraph, messages: Tensor, reduce: str = "sum") -> Tensor:
    """``out[e] = reduce_{v in e} w(v, e) m(v, e)`` for per-membership messages ``m`` (nnz x ...)."""
    return hypergraph.memberships_to_edges(messages, reduce)


def incidence_to_nodes(hypergraph: Hypergraph, messages: Tensor, reduce: str = "sum") -> Tensor:
    """``out[v] = reduce_{e ni v} w(v, e) m(v, e)`` for per-membership messages ``m`` (nnz x ...)."""
    return hypergraph.memberships_to_nodes(messages, reduce)


def segment_softmax(scores: Tensor, segment: Tensor, num_segments: int) -> Tensor:
    """Softmax of ``scores`` (nnz or nnz x heads) within each group of equal ``segment`` id.

    The per-group maximum is subtracted for stability (detached: a constant shift does not change
    a softmax, so gradients are exact).
    """
    index = segment.view(-1, *([1] * (scores.dim() - 1))).expand_as(scores)
    shape = (num_segments, *scores.shape[1:])
    maximum = scores.new_full(shape, float("-inf")).scatter_reduce(
        0, index, scores.detach(), reduce="amax", include_self=True)
    shifted = (scores - maximum.index_select(0, segment)).exp()
    total = scores.new_zeros(shape).index_add(0, segment, shifted)
    return shifted / total.index_select(0, segment).clamp_min(1e-30)


def softmax_over_members(hypergraph: Hypergraph, scores: Tensor) -> Tensor:
    """Normalise membership scores over the members of each hyperedge (node -> hyperedge attention)."""
    return segment_softmax(scores, hypergraph.edges, hypergraph.num_edges)


def softmax_over_edges(hypergraph: Hypergraph, scores: Tensor) -> Tensor:
    """Normalise membership scores over the hyperedges of each node (hyperedge -> node attention)."""
    return segment_softmax(scores, hypergraph.nodes, hypergraph.num_nodes)
