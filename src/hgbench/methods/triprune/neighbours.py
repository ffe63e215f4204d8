"""Mean cosine similarity of a node to its neighbours in the edge-pruned component (SPEC §2.6, §2.9).

With ``B = H_k`` restricted to the retained hyperedges and ``b_i = sum_e B[i, e]``:

* ``num_i = x^_i . (B (B^T X^))_i - b_i ||x^_i||^2``
* ``den_i = (B (B^T 1))_i - b_i``

``den_i`` counts i's neighbours, each weighted by the number of retained hyperedges it shares with i, and
``num_i`` sums their cosines with the same weights; the subtractions remove the self-pairs. Both are computed
over memberships at cost O(nnz * d), without the ``n x n`` clique expansion.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .structure import Component


def neighbour_sums(component: Component, edge_keep: Tensor, x_hat: Tensor) -> tuple[Tensor, Tensor]:
    """``(num, den)``, each ``(n,)`` in ``x_hat``'s dtype, for the hyperedges where ``edge_keep`` is True.

    Args:
        component: the component ``k`` (its full incidence ``H_k``).
        edge_keep: ``(m_k,)`` bool, the binarised hyperedge gates of ``k``.
        x_hat: ``(n, d)`` row-normalised raw features (zero rows allowed), SPEC §1.1.
    """
    retained = edge_keep[component.edges]
    nodes, edges = component.nodes[retained], component.edges[retained]
    n, m = component.num_nodes, component.num_edges
    edge_sum = x_hat.new_zeros(m, x_hat.shape[1]).index_add_(0, edges, x_hat[nodes])  # B^T X^
    node_sum = torch.zeros_like(x_hat).index_add_(0, nodes, edge_sum[edges])  # B (B^T X^)
    ones = x_hat.new_ones(nodes.numel())
    size = x_hat.new_zeros(m).index_add_(0, edges, ones)  # B^T 1
    b = x_hat.new_zeros(n).index_add_(0, nodes, ones)
    num = (x_hat * node_sum).sum(1) - b * x_hat.square().sum(1)
    den = x_hat.new_zeros(n).index_add_(0, nodes, size[edges]) - b
    return num, den


def mean_similarity(num: Tensor, den: Tensor) -> Tensor:
    """``s_i = num_i / den_i`` where ``den_i > 0``, else 0 (SPEC §2.6; pooled sums give §2.9's ``s_i``)."""
    positive = den > 0
    return torch.where(positive, num / torch.where(positive, den, torch.ones_like(den)), torch.zeros_like(num))
