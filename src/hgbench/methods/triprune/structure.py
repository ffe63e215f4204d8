"""The K components of a master hypergraph (SPEC §1.1), as the pruning modules see them.

Component k holds the incidence ``H_k`` (``n x m_k``) as a list of memberships ``(node, edge)``:
``nodes[t]`` is a master node id (``0..n-1``) and ``edges[t]`` a hyperedge id local to the component
(``0..m_k-1``). A pruned incidence is the same list with a mask (``bool``, one entry per
membership) or a soft weight (``float``, ``H~_k[i, e]``). Nothing of size ``n x n`` is built.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import torch
from torch import Tensor

from ...datasets.hypergraph import Hypergraph


@dataclass(frozen=True, eq=False)
class Component:
    """Context ``k``: its memberships, ``n`` master nodes and ``m_k`` hyperedges."""

    name: str
    nodes: Tensor  # (nnz_k,) long, master node ids
    edges: Tensor  # (nnz_k,) long, local hyperedge ids
    num_nodes: int
    num_edges: int

    @property
    def nnz(self) -> int:
        return self.nodes.numel()

    @cached_property
    def members(self) -> Tensor:
        """``V_k`` as a mask over the ``n`` master nodes (nodes with at least one membership)."""
        mask = torch.zeros(self.num_nodes, dtype=torch.bool, device=self.nodes.device)
        mask[self.nodes] = True
        return mask


def components(hypergraph: Hypergraph) -> list[Component]:
    """One :class:`Component` per context of ``hypergraph``, in context order (empty contexts kept)."""
    parts = []
    for k, name in enumerate(hypergraph.context_names):
        part = hypergraph.restrict_to_context(k)
        parts.append(Component(name, part.nodes.clone(), part.edges.clone(), hypergraph.num_nodes, part.num_edges))
    return parts
