"""Mean cosine similarity of a node to its neighbours in the edge-pruned component (SPEC §2.6, §2.9).

With ``B = H_k`` restricted to the retained hyperedges and ``b_i = sum_e B[i, e]``:

* ``num_i = x^_i . (B (B^T X^))_i - b_i ||x^_i||^2``
* ``den_i = (B (B^T 1))_i - b_i``

``den_i`` counts i's neighbours, each weighted by the number of retained hyperedges it shares with i, and
``num_i`` sums their cosines with the same weights; the subtractions remove the self-pairs. Both are sums over
memberships of per-membership terms computed once (:class:`NeighbourSimilarity`), without the ``n x n``
clique expansion.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .structure import Component


CHUNK = 1 << 16  # memberships per block when gathering feature rows


class NeighbourSimilarity:
    """The static parts of §2.6 for one component, so that each gating step costs ``O(nnz)``.

    ``B`` keeps whole hyperedges (a column mask of ``H_k``), so with ``S_e = sum_{u in e} x^_u`` every
    membership ``(i, e)`` contributes ``x^_i . S_e - ||x^_i||^2`` to ``num_i`` and ``|e| - 1`` to ``den_i``
    whenever ``e`` is retained: both are computed once per dataset (``O(nnz d)``, in blocks).
    """

    def __init__(self, component: Component, x_hat: Tensor) -> None:
        self.component = component
        nodes, edges = component.nodes, component.edges
        edge_sum = x_hat.new_zeros(component.num_edges, x_hat.shape[1])
        for start in range(0, component.nnz, CHUNK):
            block = slice(start, start + CHUNK)
            edge_sum.index_add_(0, edges[block], x_hat[nodes[block]])
        dots = torch.cat([(x_hat[nodes[start:start + CHUNK]] * edge_sum[edges[start:start + CHUNK]]).sum(1)
                          for start in range(0, component.nnz, CHUNK)]) if component.nnz else x_hat.new_zeros(0)
        size = torch.bincount(edges, minlength=component.num_edges).to(x_hat.dtype)
        self.pair_sum = dots - x_hat.square().sum(1)[nodes]
        self.others = size[edges] - 1

    def __call__(self, edge_keep: Tensor) -> tuple[Tensor, Tensor]:
        """``(num, den)``, each ``(n,)``, for the hyperedges where ``edge_keep`` is True."""
        c = self.component
        kept = edge_keep[c.edges]
        nodes = c.nodes[kept]
        num = self.pair_sum.new_zeros(c.num_nodes).index_add_(0, nodes, self.pair_sum[kept])
        den = self.others.new_zeros(c.num_nodes).index_add_(0, nodes, self.others[kept])
        return num, den


def neighbour_sums(component: Component, edge_keep: Tensor, x_hat: Tensor) -> tuple[Tensor, Tensor]:
    """``(num, den)``, each ``(n,)`` in ``x_hat``'s dtype, for the hyperedges where ``edge_keep`` is True.

    Args:
        component: the component ``k`` (its full incidence ``H_k``).
        edge_keep: ``(m_k,)`` bool, the binarised hyperedge gates of ``k``.
        x_hat: ``(n, d)`` row-normalised raw features (zero rows allowed), SPEC §1.1.
    """
    return NeighbourSimilarity(component, x_hat)(edge_keep)


def mean_similarity(num: Tensor, den: Tensor) -> Tensor:
    """``s_i = num_i / den_i`` where ``den_i > 0``, else 0 (SPEC §2.6; pooled sums give §2.9's ``s_i``)."""
    positive = den > 0
    return torch.where(positive, num / torch.where(positive, den, torch.ones_like(den)), torch.zeros_like(num))
