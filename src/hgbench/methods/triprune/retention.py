"""Retention weight of a component (SPEC §2.8, Eq. 20, [OD-25]).

``pi_k^retain = [nnz(H~_k) / nnz(H_k)] * exp(-alpha * Delta_k)`` with ``Delta_k = ||C_k - C~_k||_F / ||C_k||_F``,
where ``C = H H^T`` with zero diagonal (SPEC §1.1) and ``C~`` is built from the binarised pruned incidence.
``C`` is ``n x n`` and never formed: with ``H, H~`` binary, ``H~ <= H`` and node degrees ``d, d~``,

* ``||C||^2 = ||H^T H||_F^2 - sum_i d_i^2``
* ``||C - C~||^2 = ||H^T H||^2 - 2 ||H^T H~||^2 + ||H~^T H~||^2 - sum_i (d_i - d~_i)^2``

so only ``m_k x m_k`` overlap products are needed. Entries are integer counts, so every sum is computed exactly
in int64 (no cancellation error when ``C~`` is close to ``C``). The weight is a detached float [OD-25].
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import Tensor

from .structure import Component

if TYPE_CHECKING:  # imported where an overlap is built: registering TriPrune does not need scipy
    import scipy.sparse as sp


def _squared_norm(matrix: sp.csr_array) -> int:
    """``||matrix||_F^2`` of an integer sparse matrix, exactly."""
    return int(np.dot(matrix.data, matrix.data))


class Overlap:
    """The static overlap terms of one component, and ``Delta_k`` for any binary pruning of it (SPEC §2.8).

    Memberships listed twice count once (``H`` is the 0/1 incidence).
    """

    def __init__(self, component: Component) -> None:
        self.component = component
        self._incidence_t = self._transposed(torch.ones(component.nnz, dtype=torch.bool))
        self._gram = _squared_norm(self._incidence_t @ self._incidence_t.T)  # ||H^T H||_F^2
        self._degree = self._degrees(self._incidence_t)
        self._norm = math.sqrt(self._gram - int(np.dot(self._degree, self._degree)))  # ||C||_F

    def _transposed(self, keep: Tensor) -> sp.csr_array:
        """``H~^T`` (``m_k x n``, int64 0/1 entries) from the memberships where ``keep`` is True."""
        comp = self.component
        if keep.dtype != torch.bool or keep.shape != (comp.nnz,):
            raise ValueError(f"keep must be a bool tensor of shape ({comp.nnz},), got {keep.dtype} {tuple(keep.shape)}")
        import scipy.sparse as sp

        keep = keep.cpu()
        edges, nodes = comp.edges.cpu()[keep].numpy(), comp.nodes.cpu()[keep].numpy()
        matrix = sp.csr_array((np.ones(edges.size, dtype=np.int64), (edges, nodes)),
                              shape=(comp.num_edges, comp.num_nodes))
        matrix.data[:] = 1  # duplicates were summed on construction
        return matrix

    def _degrees(self, incidence_t: sp.csr_array) -> np.ndarray:
        return np.bincount(incidence_t.indices, minlength=self.component.num_nodes).astype(np.int64)

    def change(self, keep: Tensor) -> float:
        """``Delta_k = ||C - C~||_F / ||C||_F`` for the memberships where ``keep`` (``(nnz,)`` bool) is True.

        0 when ``C = 0`` (no two nodes share a hyperedge).
        """
        kept = self._transposed(keep)
        if self._norm == 0:
            return 0.0
        cross = _squared_norm(self._incidence_t @ kept.T)  # ||H^T H~||_F^2
        own = _squared_norm(kept @ kept.T)  # ||H~^T H~||_F^2
        lost = self._degree - self._degrees(kept)  # d - d~
        return math.sqrt(self._gram - 2 * cross + own - int(np.dot(lost, lost))) / self._norm

    def weight(self, keep: Tensor, alpha: float = 1.0) -> float:
        """``pi_k^retain = (kept nnz / nnz) * exp(-alpha * Delta_k)`` (Eq. 20); 0 when nothing is kept."""
        change = self.change(keep)
        kept = int(keep.sum())
        return kept / self.component.nnz * math.exp(-alpha * change) if kept else 0.0
