"""Attention-weighted pooling over memberships without a per-membership copy of the values.

AllSetTransformer's PMA pools ``out[t, h] = sum_{(s, t)} w(s, t) a(s, t, h) V[s, h]`` over the
memberships ``(s, t)`` of one direction (``ops.gather_*`` then ``ops.incidence_to_*``), which
materialises ``nnz x hidden`` gathered values, their products and their gradients: on Congress
(734k memberships) that is most of a multi-second epoch. Here each head is a product with a CSR
matrix whose values are the attention weights:

* forward: ``out[:, h] = A_h V[:, h]``;
* backward: ``dV[:, h] = A_h^T dOut[:, h]`` and ``da(s, t, h) = <dOut[t, h], V[s, h]>`` at the
  memberships only (``torch.sparse.sampled_addmm``).

The sums are those of the gather/scatter path in another order: equal to float32 rounding, not bit
for bit, so PMA uses it only on hypergraphs where the gather path's work, memberships x hidden, is
at least :data:`LARGE` (Congress, Walmart), whose committed AllSetTransformer runs mostly timed out;
smaller ones keep the path their records came from. Differentiable once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from ..datasets.hypergraph import Hypergraph, quiet_sparse_beta

LARGE = 1 << 24  # memberships x hidden above which PMA pools through this module


@dataclass(frozen=True)
class _Layout:
    """CSR layout of the memberships of one direction (targets x sources) and of its transpose."""

    shape: tuple[int, int]
    order: Tensor  # membership ids in CSR order of targets x sources
    crow: Tensor
    col: Tensor
    t_order: Tensor  # membership ids in CSR order of sources x targets
    t_crow: Tensor
    t_col: Tensor

    def matrix(self, sorted_values: Tensor) -> Tensor:
        """The targets x sources matrix with values already in CSR order."""
        with quiet_sparse_beta():
            return torch.sparse_csr_tensor(self.crow, self.col, sorted_values, self.shape, check_invariants=False)

    def transpose(self, sorted_values: Tensor) -> Tensor:
        """The sources x targets matrix with values already in its CSR order."""
        with quiet_sparse_beta():
            return torch.sparse_csr_tensor(self.t_crow, self.t_col, sorted_values, self.shape[::-1],
                                           check_invariants=False)


def _compressed(rows: Tensor, size: int) -> Tensor:
    return torch.cat([rows.new_zeros(1), torch.bincount(rows, minlength=size).cumsum(0)])


def _layout(hypergraph: Hypergraph, direction: str) -> _Layout:
    if direction == "v2e":
        return _layout_between(hypergraph.nodes, hypergraph.edges, (hypergraph.num_edges, hypergraph.num_nodes))
    return _layout_between(hypergraph.edges, hypergraph.nodes, (hypergraph.num_nodes, hypergraph.num_edges))


def _layout_between(source: Tensor, target: Tensor, shape: tuple[int, int]) -> _Layout:
    """The layout of the memberships ``(source[i], target[i])`` of a ``targets x sources`` matrix."""
    order = torch.argsort(target * shape[1] + source, stable=True)
    t_order = torch.argsort(source * shape[0] + target, stable=True)
    return _Layout(shape, order, _compressed(target[order], shape[0]), source[order], t_order,
                   _compressed(source[t_order], shape[1]), target[t_order])


def _product(matrix: Tensor, x: Tensor) -> Tensor:
    with quiet_sparse_beta():
        return torch.sparse.mm(matrix, x, "sum") if x.device.type == "cpu" else matrix @ x


def _per_head(memberships: Tensor, order: Tensor) -> Tensor:
    """``nnz x H`` membership values as ``H x nnz``, in the CSR order ``order``."""
    return memberships.index_select(0, order).t().contiguous()


class _AttentionPool(torch.autograd.Function):
    @staticmethod
    def forward(ctx, attention: Tensor, values: Tensor, layout: _Layout) -> Tensor:
        weights = _per_head(attention, layout.order)
        heads = values.transpose(0, 1).contiguous()  # H x S x D
        ctx.save_for_backward(attention, heads)
        ctx.layout = layout
        return torch.stack([_product(layout.matrix(w), v) for w, v in zip(weights, heads)], 1)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: Tensor):
        attention, heads = ctx.saved_tensors
        layout = ctx.layout
        grads = grad.transpose(0, 1).contiguous()  # H x T x D
        grad_attention = grad_values = None
        if ctx.needs_input_grad[0]:
            pattern = layout.matrix(attention.new_ones(attention.shape[0]))
            with quiet_sparse_beta():
                sampled = torch.stack([torch.sparse.sampled_addmm(pattern, g, v.t(), beta=0.0).values()
                                       for g, v in zip(grads, heads)], 1)  # nnz x H in CSR order
            grad_attention = torch.empty_like(attention).index_copy_(0, layout.order, sampled)
        if ctx.needs_input_grad[1]:
            weights = _per_head(attention, layout.t_order)
            grad_values = torch.stack([_product(layout.transpose(w), g) for w, g in zip(weights, grads)], 1)
        return grad_attention, grad_values, None


def usable(hypergraph: Hypergraph, hidden: int) -> bool:
    """True when PMA pools through :func:`attention_pool` (fixed weights, memberships x hidden >= LARGE)."""
    return hypergraph.fixed_weights and hypergraph.nnz * hidden >= LARGE


def attention_pool(hypergraph: Hypergraph, direction: str, attention: Tensor, values: Tensor) -> Tensor:
    """``out[t, h] = sum_{(s, t)} w(s, t) attention[(s, t), h] values[s, h]`` (``nnz x H``, ``S x H x D``)."""
    if hypergraph.weight is not None:
        attention = attention * hypergraph.weight.to(attention.dtype).unsqueeze(1)
    return pool(hypergraph, direction, attention, values)


def pool(hypergraph: Hypergraph, direction: str, coefficients: Tensor, values: Tensor) -> Tensor:
    """``out[t, h] = sum_{(s, t)} coefficients[(s, t), h] values[s, h]``, membership weights not applied;
    differentiable in both (the layout is cached per index, so weighted copies of one hypergraph share it)."""
    layout = hypergraph._structural(("attention-pool", direction), lambda: _layout(hypergraph, direction))
    return _AttentionPool.apply(coefficients, values, layout)


def pool_into(hypergraph: Hypergraph, name: str, source: Callable[[], Tensor], target: Callable[[], Tensor],
              shape: tuple[int, int], coefficients: Tensor, values: Tensor) -> Tensor:
    """:func:`pool` onto other targets: ``out[t, h] = sum_{i: target[i] = t} coefficients[i, h] values[source[i], h]``
    for per-membership ``source`` and ``target`` ids (``shape``: targets x sources) that depend on the structure
    alone, built once per index and cached under ``name`` (e.g. HHGSA's (node, context) groups)."""
    layout = hypergraph._structural(("attention-pool", name, shape),
                                    lambda: _layout_between(source(), target(), shape))
    return _AttentionPool.apply(coefficients, values, layout)
