"""A locality-preserving renumbering of a dataset's nodes and hyperedges, applied once and undone on the scores.

Sparse products gather the rows of the members of every hyperedge (and of the hyperedges of every
node); with ids in arbitrary order those rows are scattered over memory. Reverse Cuthill-McKee
(``scipy.sparse.csgraph.reverse_cuthill_mckee``) on the node-hyperedge bipartite graph numbers a
hyperedge's members, and a node's hyperedges, close to each other, so the gathered rows tend to
share cache lines and pages. Renumbering changes no result beyond floating-point summation order:
:meth:`Renumbering.dataset` and :meth:`Renumbering.split` map the inputs, :meth:`Renumbering.restore`
puts every score row back at its original node id. Randomness drawn per node row (dropout masks,
sampled anchors) follows the new ids, so trained models are equal in distribution, not draw by draw.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp
import torch
from scipy.sparse.csgraph import reverse_cuthill_mckee
from torch import Tensor

from .base import NodeDataset
from .hypergraph import Hypergraph
from .splits import Split


@dataclass(frozen=True)
class Renumbering:
    """New node ``i`` is old node ``nodes[i]``; new hyperedge ``j`` is old hyperedge ``edges[j]``."""

    nodes: Tensor
    edges: Tensor

    def __post_init__(self) -> None:
        for name, order in (("nodes", self.nodes), ("edges", self.edges)):
            if not torch.equal(torch.sort(order).values, torch.arange(order.numel())):
                raise ValueError(f"Renumbering.{name} must be a permutation of 0..{order.numel() - 1}")

    @staticmethod
    def _positions(order: Tensor) -> Tensor:
        """``position[old] = new``."""
        return torch.empty_like(order).scatter_(0, order, torch.arange(order.numel()))

    def hypergraph(self, hypergraph: Hypergraph) -> Hypergraph:
        """``hypergraph`` with its nodes and hyperedges renumbered (memberships keep their weights)."""
        if (hypergraph.num_nodes, hypergraph.num_edges) != (self.nodes.numel(), self.edges.numel()):
            raise ValueError(f"renumbering of {self.nodes.numel()} nodes and {self.edges.numel()} hyperedges "
                             f"applied to {hypergraph}")
        index = torch.stack([self._positions(self.nodes)[hypergraph.nodes],
                             self._positions(self.edges)[hypergraph.edges]])
        return Hypergraph(index, hypergraph.num_nodes, hypergraph.num_edges, hypergraph.weight,
                          hypergraph.edge_context[self.edges], hypergraph.context_names)

    def dataset(self, data: NodeDataset) -> NodeDataset:
        """``data`` with nodes (features, labels) and hyperedges renumbered."""
        return replace(data, hypergraph=self.hypergraph(data.hypergraph), features=data.features[self.nodes],
                       labels=data.labels[self.nodes])

    def split(self, split: Split) -> Split:
        """The same nodes, in the same order, under their new ids."""
        position = self._positions(self.nodes)
        return replace(split, train=position[split.train], val=position[split.val], test=position[split.test])

    def restore(self, scores: Tensor) -> Tensor:
        """Rows of per-node ``scores`` (new ids) back in the original node order."""
        return scores[self._positions(self.nodes)]


def locality_order(hypergraph: Hypergraph) -> Renumbering:
    """Reverse Cuthill-McKee order of the bipartite graph (nodes, hyperedges), split into its two sides."""
    n, m = hypergraph.num_nodes, hypergraph.num_edges
    nodes, edges = hypergraph.index.cpu().numpy()
    incidence = sp.csr_matrix((np.ones(nodes.size, dtype=np.int32), (nodes, edges)), shape=(n, m))
    order = torch.as_tensor(reverse_cuthill_mckee(sp.bmat([[None, incidence], [incidence.T, None]], format="csr"),
                                                  symmetric_mode=True).astype(np.int64))
    return Renumbering(order[order < n], order[order >= n] - n)
