"""The first layer's ``X W`` as a sparse-dense product when the node features are mostly zeros.

Cora's, Cora-CA's, Citeseer's and 20News' features are bags of words with 1-4% non-zero entries; multiplying
them densely (forward, and ``X^T G`` for the weight's gradient) is most of an HGNN epoch there. A
network asks its :class:`SparseInput` for its input: a plain tensor (dense features, or any input
it cannot represent), or the :class:`SparseFeatures` of the non-zero entries, with input dropout
applied to the stored values only. Dropout of a zero is zero, so drawing a keep/drop decision for the
non-zero entries alone is the same distribution as dropout on the dense matrix; the draws are
``F.dropout``'s (:func:`~hgbench.baselines.dropout.dropout` on the values: one double uniform per
value, kept below ``1 - p``, scaled by ``1 / (1 - p)``), but fewer of them, so the generator is left
elsewhere than after a dense dropout and a network's later draws differ from the dense path's
(UniGCN's and UniGCNII's committed records on these datasets were rerun, docs/baselines.md "Speed"). The first layer
then calls :func:`project` or :func:`linear`, which take either form.

The products are the same sums as the dense ones, in another order: results agree to float32
rounding (``tests/test_sparse_features.py``), not bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import torch
import torch.nn as nn
from torch import Tensor

from ..datasets.hypergraph import SparseOperator, quiet_sparse_beta
from .dropout import dropout
from .memo import LastValue

MAX_DENSITY = 0.05  # the sparse path only when at most this share of the entries is non-zero


@dataclass(frozen=True, eq=False)
class SparseFeatures:
    """The non-zero entries of an ``N x d`` feature matrix in row-major order, with given ``values``.

    ``crow``/``col`` are the CSR layout of ``X``,
    ``t_crow``/``t_col``/``t_order`` that of ``X^T`` (``t_order`` picks its values from ``values``).
    """

    shape: tuple[int, int]
    values: Tensor
    crow: Tensor
    col: Tensor
    t_crow: Tensor
    t_col: Tensor
    t_order: Tensor

    @classmethod
    def of(cls, x: Tensor) -> "SparseFeatures":
        """The non-zero entries of the dense 2-D tensor ``x``."""
        if x.dim() != 2:
            raise ValueError(f"features must be 2-D, got shape {tuple(x.shape)}")
        positions = x.reshape(-1).nonzero().flatten()
        n, d = x.shape
        rows, cols = positions // d, positions % d
        t_order = torch.argsort(cols * n + rows)
        crow = _compressed(rows, n)
        t_crow = _compressed(cols, d)
        return cls((n, d), x.reshape(-1)[positions], crow, cols, t_crow, rows[t_order], t_order)

    @property
    def dtype(self) -> torch.dtype:
        return self.values.dtype

    def dropped(self, p: float) -> "SparseFeatures":
        """Dropout ``p`` on the non-zero entries (the zeros stay zero): one draw per stored value."""
        return replace(self, values=dropout(self.values, p, True))

    def row_moments(self) -> tuple[Tensor, Tensor]:
        """Per row, the mean of the entries and of their squares, over all ``d`` columns (zeros included)."""
        n, d = self.shape
        rows = torch.repeat_interleave(torch.arange(n, device=self.values.device), self.crow.diff())
        sums = self.values.new_zeros(2, n).index_add_(1, rows, torch.stack([self.values, self.values.square()]))
        return sums[0] / d, sums[1] / d

    @cached_property
    def operator(self) -> SparseOperator:
        """``X`` as a CSR :class:`SparseOperator` (its transpose for the backward pass)."""
        n, d = self.shape
        with quiet_sparse_beta():
            matrix = torch.sparse_csr_tensor(self.crow, self.col, self.values, (n, d), check_invariants=False)
            transpose = torch.sparse_csr_tensor(self.t_crow, self.t_col, self.values[self.t_order], (d, n),
                                                check_invariants=False)
        return SparseOperator(matrix, transpose)


def _compressed(sorted_rows: Tensor, size: int) -> Tensor:
    """CSR row pointers of entries whose row ids are sorted."""
    counts = torch.bincount(sorted_rows, minlength=size)
    return torch.cat([counts.new_zeros(1), counts.cumsum(0)])


class SparseInput(LastValue):
    """A network's input: its features, as :class:`SparseFeatures` when sparse enough, after input dropout.

    It converts a feature tensor once, while it is the same tensor unchanged (:class:`~.memo.LastValue`).
    """

    def __call__(self, x: Tensor, p: float, training: bool) -> Tensor | SparseFeatures:
        """``dropout(x, p, training)`` in whichever form the first layer multiplies faster."""
        sparse = self._sparse_form(x)
        if sparse is None:
            return dropout(x, p, training)
        return sparse.dropped(p) if training and p > 0 else sparse

    def _sparse_form(self, x: Tensor) -> SparseFeatures | None:
        if x.requires_grad:  # a gradient for the features themselves: the dense path
            return None

        def convert() -> SparseFeatures | None:
            eligible = (x.dim() == 2 and x.is_floating_point() and x.is_contiguous()
                        and x.layout == torch.strided and x.numel() > 0)
            dense = not eligible or int(torch.count_nonzero(x)) > MAX_DENSITY * x.numel()
            return None if dense else SparseFeatures.of(x)

        return self.get((x,), x._version, convert)


def project(x: Tensor | SparseFeatures, weight: Tensor) -> Tensor:
    """``x @ weight`` for a dense or sparse input."""
    if isinstance(x, SparseFeatures):
        return x.operator @ weight
    return x @ weight


def linear(layer: nn.Linear, x: Tensor | SparseFeatures) -> Tensor:
    """``layer(x)`` for a dense or sparse input."""
    if isinstance(x, SparseFeatures):
        out = project(x, layer.weight.t())
        return out if layer.bias is None else out + layer.bias
    return layer(x)


def normalised_linear(norm: nn.LayerNorm, layer: nn.Linear, x: Tensor | SparseFeatures) -> Tensor:
    """``layer(norm(x))`` for a dense or sparse input (AllSet's input LayerNorm, then its first linear map).

    For a sparse ``x`` the normalised matrix is never formed: with row mean ``mu``, ``s = sqrt(var + eps)``
    (biased variance over all ``d`` columns, zeros included, as ``nn.LayerNorm``), ``G = diag(gamma) W^T``::

        layer(norm(x)) = (x G) / s - (mu / s) (gamma^T W^T) + (beta^T W^T + b)

    a sparse product and two rank-one terms. The variance is ``E[x^2] - mu^2`` where LayerNorm subtracts the
    mean first: equal to float32 rounding for bag-of-words rows (``tests/test_sparse_features.py``).
    """
    if not isinstance(x, SparseFeatures):
        return layer(norm(x))
    if tuple(norm.normalized_shape) != (x.shape[1],) or not norm.elementwise_affine:
        raise ValueError(f"normalised_linear needs an affine LayerNorm over the {x.shape[1]} feature columns")
    mean, mean_square = x.row_moments()
    inverse_std = torch.rsqrt((mean_square - mean * mean).clamp_min(0.0) + norm.eps).unsqueeze(1)
    weight = layer.weight.t()
    out = project(x, norm.weight.unsqueeze(1) * weight) * inverse_std
    out = out - (mean.unsqueeze(1) * inverse_std) * (norm.weight @ weight) + norm.bias @ weight
    return out if layer.bias is None else out + layer.bias
