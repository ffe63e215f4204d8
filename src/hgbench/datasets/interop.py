"""Our :class:`~.hypergraph.Hypergraph` in the structures of DHG and PyTorch Geometric (the ``[crosscheck]`` extra).

Both libraries weight *hyperedges* (a diagonal ``W``), we weight *memberships* ``w(v, e)``. A
hypergraph whose memberships carry one weight per hyperedge is the same operator in both
(``H_w = H W``: see docs/crosscheck.md), so the converters accept exactly those and refuse the
rest with a clear error:

* :func:`to_dhg`: a ``dhg.Hypergraph``; DHG keys a hyperedge by its sorted member tuple and merges
  equal ones, which we ask it to do by summing their weights (``merge_op="sum"``, the same operator
  for every propagation compared); repeated (node, hyperedge) memberships and empty hyperedges,
  which a member tuple cannot carry faithfully, are refused;
* :func:`to_pyg`: PyG's ``hyperedge_index`` (``2 x nnz``, nodes then hyperedges: our ``index``)
  with one weight per hyperedge, or ``None`` when unweighted.

``dhg`` is imported inside :func:`to_dhg` only: nothing in hgbench imports it at module import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import Tensor

from .hypergraph import Hypergraph

if TYPE_CHECKING:  # pragma: no cover
    import dhg


def hyperedge_weights(hypergraph: Hypergraph) -> Tensor | None:
    """One weight per hyperedge (``None`` when unweighted); raises when a hyperedge's memberships differ."""
    if hypergraph.weight is None:
        return None
    weight = hypergraph.weight.detach()
    per_edge, lowest = (weight.new_zeros(hypergraph.num_edges).scatter_reduce(0, hypergraph.edges, weight, reduce,
                                                                              include_self=False)
                        for reduce in ("amax", "amin"))
    uneven = (per_edge != lowest).nonzero().flatten()
    if uneven.numel():
        e = int(uneven[0])
        raise ValueError(f"hyperedge {e} has memberships of different weights ({float(lowest[e])} to "
                         f"{float(per_edge[e])}); DHG and PyG weight whole hyperedges only")
    return per_edge


def to_pyg(hypergraph: Hypergraph) -> tuple[Tensor, Tensor | None]:
    """``(hyperedge_index, hyperedge_weight)`` for PyG's hypergraph layers (pass ``num_edges`` too)."""
    return hypergraph.index.clone(), hyperedge_weights(hypergraph)


def to_dhg(hypergraph: Hypergraph) -> "dhg.Hypergraph":
    """The same hypergraph as a ``dhg.Hypergraph`` (equal hyperedges merged, weights summed)."""
    import dhg

    weights = hyperedge_weights(hypergraph)
    if hypergraph.num_edges and bool((hypergraph.edge_size_count == 0).any()):
        empty = int((hypergraph.edge_size_count == 0).nonzero()[0])
        raise ValueError(f"hyperedge {empty} has no member; DHG cannot hold an empty hyperedge")
    key = hypergraph.edges * hypergraph.num_nodes + hypergraph.nodes
    if torch.unique(key).numel() != hypergraph.nnz:
        raise ValueError("the hypergraph repeats a (node, hyperedge) membership, which DHG would count once "
                         "in some degrees and twice in others; Hypergraph.deduplicated() drops the repeats")
    order = torch.argsort(hypergraph.edges, stable=True)
    members = torch.split(hypergraph.nodes[order], hypergraph.edge_size_count.tolist())
    e_list = [m.tolist() for m in members]
    e_weight = None if weights is None else weights.tolist()
    return dhg.Hypergraph(hypergraph.num_nodes, e_list, e_weight, merge_op="sum")
