"""The hypergraph structure shared by every dataset, method and baseline.

A hypergraph is stored as its incidence list: a ``2 x nnz`` index whose columns are
(node, hyperedge) memberships, an optional weight per membership (a soft mask in [0, 1]), and a
context label per hyperedge (TriPrune's K behavioural contexts; 0 everywhere for plain
hypergraphs). Degrees are weighted sums of memberships, so a soft mask renormalises every operator
built from it.

Aggregation has two paths with the same maths, both differentiable twice:

* fixed weights (none, or a mask that does not require grad): ``v2e`` / ``e2v`` and the
  degree-normalised :meth:`Hypergraph.propagate` are products with a :class:`SparseOperator`
  (the incidence matrix in CSR with the normalisation folded into its values), built once per
  normalisation and dtype and kept with its transpose for the backward pass. No ``nnz x d``
  tensor of per-membership rows is materialised and no scatter runs;
* learned weights or per-call ``membership`` scales: gather rows onto memberships, scale, and
  ``index_add`` them, so gradients reach the weights.

Cached tensors are derived from ``index`` and ``weight`` only and are dropped if either is
modified in place, so a hypergraph behaves as immutable.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Callable, Hashable, Iterator

import torch
from torch import Tensor

REDUCTIONS = ("sum", "mean")
DIRECTIONS = ("v2e", "e2v")
COLLAPSE_WORK = 32  # form H H^T to compare its size only when sum_e |e|^2 <= COLLAPSE_WORK * nnz


class Hypergraph:
    """Incidence structure of an (optionally weighted, optionally contextual) hypergraph.

    Args:
        index: ``2 x nnz`` integer tensor of (node, hyperedge) pairs.
        num_nodes: number of nodes; nodes without a hyperedge are allowed.
        num_edges: number of hyperedges; defaults to ``index[1].max() + 1``.
        weight: optional membership weights (``nnz``), e.g. a soft pruning mask.
        edge_context: optional context id per hyperedge (``num_edges``).
        context_names: names of the contexts, ``len = edge_context.max() + 1``.
        allow_empty_edges: accept hyperedges with no member (off by default).
    """

    def __init__(
        self,
        index: Tensor,
        num_nodes: int,
        num_edges: int | None = None,
        weight: Tensor | None = None,
        edge_context: Tensor | None = None,
        context_names: tuple[str, ...] | None = None,
        allow_empty_edges: bool = False,
    ) -> None:
        index = torch.as_tensor(index)
        if index.dim() != 2 or index.shape[0] != 2:
            raise ValueError(f"index must have shape (2, nnz), got {tuple(index.shape)}")
        if index.dtype not in (torch.int32, torch.int64):
            raise TypeError(f"index must be an integer tensor, got {index.dtype}")
        index = index.long()
        if num_edges is None:
            num_edges = int(index[1].max()) + 1 if index.numel() else 0
        if index.numel():
            if int(index.min()) < 0:
                raise ValueError("index contains negative ids")
            if int(index[0].max()) >= num_nodes:
                raise ValueError(f"node id {int(index[0].max())} out of range for {num_nodes} nodes")
            if int(index[1].max()) >= num_edges:
                raise ValueError(f"hyperedge id {int(index[1].max())} out of range for {num_edges} hyperedges")
        if weight is not None:
            weight = torch.as_tensor(weight, dtype=torch.float32) if not torch.is_tensor(weight) else weight
            if weight.shape != (index.shape[1],):
                raise ValueError(f"weight must have shape ({index.shape[1]},), got {tuple(weight.shape)}")
        if edge_context is None:
            edge_context = torch.zeros(num_edges, dtype=torch.long, device=index.device)
        edge_context = torch.as_tensor(edge_context).long()
        if edge_context.shape != (num_edges,):
            raise ValueError(f"edge_context must have shape ({num_edges},), got {tuple(edge_context.shape)}")
        num_contexts = int(edge_context.max()) + 1 if num_edges else 1
        if context_names is None:
            context_names = tuple(f"context{k}" for k in range(num_contexts))
        if len(context_names) < num_contexts:
            raise ValueError(f"{num_contexts} contexts used but {len(context_names)} names given")
        self.index = index
        self.num_nodes = int(num_nodes)
        self.num_edges = int(num_edges)
        self.weight = weight
        self.edge_context = edge_context
        self.context_names = tuple(context_names)
        self._cache: dict = {}
        self._cache_stamp: tuple | None = None
        self._structure_memo: dict = {}  # memos of the index alone, shared with with_weight copies
        if not allow_empty_edges and self.num_edges and bool((self.edge_size_count == 0).any()):
            empty = int((self.edge_size_count == 0).nonzero()[0])
            raise ValueError(f"hyperedge {empty} has no member (pass allow_empty_edges=True to accept)")

    # ----------------------------------------------------------------- basic facts
    @property
    def nodes(self) -> Tensor:
        return self.index[0]

    @property
    def edges(self) -> Tensor:
        return self.index[1]

    @property
    def nnz(self) -> int:
        return self.index.shape[1]

    @property
    def num_contexts(self) -> int:
        return len(self.context_names)

    @property
    def device(self) -> torch.device:
        return self.index.device

    def to(self, device: torch.device | str) -> "Hypergraph":
        """The same hypergraph with its tensors on ``device`` (cached operators are rebuilt there)."""
        device = torch.device(device)
        if device == self.device:
            return self
        weight = None if self.weight is None else self.weight.to(device)
        return Hypergraph(self.index.to(device), self.num_nodes, self.num_edges, weight,
                          self.edge_context.to(device), self.context_names, allow_empty_edges=True)

    def membership_weight(self) -> Tensor:
        """Weight of every membership (ones when unweighted)."""
        return self.weight if self.weight is not None else torch.ones(self.nnz, device=self.device)

    @property
    def fixed_weights(self) -> bool:
        """True when no membership weight takes part in autograd: derived tensors may be cached."""
        return self.weight is None or not self.weight.requires_grad

    def _cached(self, key, build):
        """``build()`` memoised under ``key``; the memo is emptied when ``index`` or ``weight`` change in place."""
        stamp = (self.index._version, None if self.weight is None else self.weight._version)
        if stamp != self._cache_stamp:
            self._cache.clear()
            self._cache_stamp = stamp
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def _structural(self, key, build):
        """``build()`` memoised under ``key`` for this index: shared by the :meth:`with_weight` copies (which
        keep the index), emptied when ``index`` changes in place. For what depends on the structure alone."""
        memo = self._structure_memo
        if memo.get("index-version") != self.index._version:
            memo.clear()
            memo["index-version"] = self.index._version
        if key not in memo:
            memo[key] = build()
        return memo[key]

    @cached_property
    def edge_size_count(self) -> Tensor:
        """Number of members of each hyperedge, ignoring weights."""
        return torch.bincount(self.edges, minlength=self.num_edges)

    def node_degree(self) -> Tensor:
        """Weighted node degree d_v = sum_e w(v, e)."""
        return self._degree("node_degree", self.nodes, self.num_nodes)

    def edge_degree(self) -> Tensor:
        """Weighted hyperedge size d_e = sum_v w(v, e)."""
        return self._degree("edge_degree", self.edges, self.num_edges)

    def _degree(self, key: str, target: Tensor, size: int) -> Tensor:
        if not self.fixed_weights:
            return _scatter_sum(self.weight, target, size)
        # a copy, so that a caller modifying it in place cannot change the cached one
        return self._cached(key, lambda: _scatter_sum(self.membership_weight(), target, size)).clone()

    # ----------------------------------------------------------------- aggregation
    def v2e(self, x: Tensor, reduce: str = "sum", membership: Tensor | None = None) -> Tensor:
        """Aggregate node rows into hyperedge rows: ``out[e] = reduce_{v in e} w(v,e) m(v,e) x[v]``.

        ``membership`` optionally scales each membership (e.g. attention scores).
        """
        return self._aggregate(x, "v2e", reduce, membership)

    def e2v(self, y: Tensor, reduce: str = "sum", membership: Tensor | None = None) -> Tensor:
        """Aggregate hyperedge rows into node rows: ``out[v] = reduce_{e ni v} w(v,e) m(v,e) y[e]``."""
        return self._aggregate(y, "e2v", reduce, membership)

    def propagate(self, x: Tensor, direction: str, key: Hashable,
                  scales: Callable[[], tuple[Tensor | None, Tensor | None]]) -> Tensor:
        """``diag(t) A diag(s) x`` with ``A = H^T`` (``v2e``) or ``H`` (``e2v``), ``(t, s) = scales()``.

        ``t`` scales the target rows and ``s`` the source rows (``None``: ones): a degree-normalised
        sum. With fixed weights the scaled matrix is built once per ``key`` (which must determine
        what ``scales`` returns), dtype and device; otherwise ``scales()`` is evaluated on every
        call and applied around the differentiable sum, so gradients reach the weights.
        """
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
        if self.fixed_weights and x.is_floating_point():
            return self._cached(("operator", direction, key, x.dtype),
                                lambda: self._scaled_operator(direction, scales(), x.dtype)) @ x
        target, source = scales()
        column = lambda v: v.view(-1, *([1] * (x.dim() - 1))).to(x.dtype)  # noqa: E731
        out = self._gather_reduce(x if source is None else x * column(source), direction, "sum", self.weight)
        return out if target is None else out * column(target)

    def smooth(self, x: Tensor, key: Hashable,
               scales: Callable[[], tuple[Tensor | None, Tensor | None, Tensor | None]]) -> Tensor:
        """``diag(a) H diag(b) H^T diag(c) x`` (nodes -> hyperedges -> nodes), ``(a, b, c) = scales()``.

        The two :meth:`propagate` steps; with fixed weights, when :attr:`collapses_smoothing`, one
        cached node x node operator instead (HGNN's ``G``), which has fewer entries.
        """
        scales = cache(scales)
        if self.fixed_weights and x.is_floating_point() and self.collapses_smoothing:
            return self._cached(("smooth", key, x.dtype), lambda: self._collapsed_operator(scales(), x.dtype)) @ x
        edges = self.propagate(x, "v2e", ("smooth", key), lambda: scales()[1:])
        return self.propagate(edges, "e2v", ("smooth", key), lambda: (scales()[0], None))

    @property
    def collapses_smoothing(self) -> bool:
        """True when ``H H^T`` has at most as many entries as ``H`` and ``H^T`` together.

        Decided once, forming ``H H^T`` only when its work bound ``sum_e |e|^2`` is at most
        :data:`COLLAPSE_WORK` times ``nnz``.
        """
        def decide() -> bool:
            if float(self.edge_size_count.double().square().sum()) > COLLAPSE_WORK * max(self.nnz, 1):
                return False
            h = self._scaled_operator("e2v", (None, None), torch.float32)
            return h.nnz > 0 and _sparse_product(h.matrix, h.transpose)._nnz() <= 2 * h.nnz
        return self._cached("collapses_smoothing", decide)

    def _collapsed_operator(self, scales: tuple[Tensor | None, ...], dtype: torch.dtype) -> SparseOperator:
        a, b, c = scales
        left = self._scaled_operator("e2v", (a, b), dtype)
        right = self._scaled_operator("v2e", (None, c), dtype)
        product = _sparse_product(left.matrix, right.matrix).to_sparse_coo().coalesce()
        rows, cols = product.indices()
        return SparseOperator.from_entries(rows, cols, product.values(), (self.num_nodes, self.num_nodes))

    def _aggregate(self, x, direction, reduce, membership):
        if reduce not in REDUCTIONS:
            raise ValueError(f"reduce must be one of {REDUCTIONS}, got {reduce!r}")
        if membership is None and self.fixed_weights and x.is_floating_point():
            def scales():  # a mean divides by the weighted degree of each target
                if reduce == "sum":
                    return None, None
                return inverse_power(self.edge_degree() if direction == "v2e" else self.node_degree(), 1.0), None
            return self.propagate(x, direction, ("reduce", reduce), scales)
        scale = self.weight
        if membership is not None:
            scale = membership if scale is None else scale * membership
        return self._gather_reduce(x, direction, reduce, scale)

    def _gather_reduce(self, x, direction, reduce, scale):
        """One row of ``x`` per membership, scaled and reduced onto the other side (differentiable in ``scale``)."""
        source, target, size = ((self.nodes, self.edges, self.num_edges) if direction == "v2e"
                                else (self.edges, self.nodes, self.num_nodes))
        return self._reduce_memberships(x.index_select(0, source), target, size, reduce, scale)

    def memberships_to_edges(self, messages: Tensor, reduce: str = "sum") -> Tensor:
        """``out[e] = reduce_{v in e} w(v,e) m(v,e)`` for one message per membership (``nnz x ...``)."""
        return self._reduce_memberships(messages, self.edges, self.num_edges, reduce, self.weight)

    def memberships_to_nodes(self, messages: Tensor, reduce: str = "sum") -> Tensor:
        """``out[v] = reduce_{e ni v} w(v,e) m(v,e)`` for one message per membership (``nnz x ...``)."""
        return self._reduce_memberships(messages, self.nodes, self.num_nodes, reduce, self.weight)

    def _reduce_memberships(self, messages, target, size, reduce, scale):
        """Sum (or mean, dividing by the summed ``scale``) of per-membership rows into ``target`` rows."""
        if reduce not in REDUCTIONS:
            raise ValueError(f"reduce must be one of {REDUCTIONS}, got {reduce!r}")
        if messages.shape[0] != self.nnz:
            raise ValueError(f"expected one message per membership ({self.nnz}), got {messages.shape[0]}")
        column = lambda v: v.view(-1, *([1] * (messages.dim() - 1))).to(messages.dtype)  # noqa: E731
        if scale is not None:
            messages = messages * column(scale)
        out = messages.new_zeros((size, *messages.shape[1:])).index_add(0, target, messages)
        if reduce == "mean":
            total = _scatter_sum(self.membership_weight() if scale is None else scale, target, size)
            out = out / column(total.clamp_min(1e-12))
        return out

    # ----------------------------------------------------------------- operators
    def _scaled_operator(self, direction: str, scales: tuple[Tensor | None, Tensor | None],
                         dtype: torch.dtype) -> SparseOperator:
        """``diag(t) A diag(s)`` of :meth:`propagate`."""
        rows, cols = (self.edges, self.nodes) if direction == "v2e" else (self.nodes, self.edges)
        shape = (self.num_edges, self.num_nodes) if direction == "v2e" else (self.num_nodes, self.num_edges)
        values = self.membership_weight().to(dtype)
        target, source = scales
        if target is not None:
            values = values * target.to(dtype)[rows]
        if source is not None:
            values = values * source.to(dtype)[cols]
        return SparseOperator.from_entries(rows, cols, values, shape)

    def incidence_matrix(self) -> Tensor:
        """Sparse ``num_nodes x num_edges`` incidence matrix H (weighted if a mask is set)."""
        return torch.sparse_coo_tensor(
            self.index, self.membership_weight(), (self.num_nodes, self.num_edges), check_invariants=False
        ).coalesce()

    def hgnn_operator(self) -> Tensor:
        """Sparse ``D_v^{-1/2} H W D_e^{-1} H^T D_v^{-1/2}`` (HGNN, Feng et al. 2019, Eq. 10)."""
        dv = inverse_power(self.node_degree(), 0.5)
        de = inverse_power(self.edge_degree(), 1.0)
        return self.clique_expansion(edge_scale=de, node_scale=dv)

    def clique_expansion(self, edge_scale: Tensor | None = None, node_scale: Tensor | None = None) -> Tensor:
        """Sparse node adjacency ``S H diag(edge_scale) H^T S`` with ``S = diag(node_scale)``.

        With no scales this is the weighted clique expansion ``H H^T`` used by graph baselines.
        """
        h = self.incidence_matrix()
        if edge_scale is not None:
            h_scaled = torch.sparse_coo_tensor(h.indices(), h.values() * edge_scale[h.indices()[1]], h.shape,
                                               check_invariants=False)
        else:
            h_scaled = h
        with quiet_sparse_beta():
            adjacency = torch.sparse.mm(h_scaled, h.t().coalesce()).coalesce()
        if node_scale is not None:
            rows, cols = adjacency.indices()
            adjacency = torch.sparse_coo_tensor(
                adjacency.indices(), adjacency.values() * node_scale[rows] * node_scale[cols], adjacency.shape,
                check_invariants=False).coalesce()
        return adjacency

    # ----------------------------------------------------------------- derived structures
    def with_self_loops(self) -> "Hypergraph":
        """Add a singleton hyperedge for every node that has none (AllSet/ED-HNN/ZEN preprocessing).

        New hyperedges get ids ``num_edges, num_edges + 1, ...`` in node order and context 0.
        """
        singleton = self.edge_size_count[self.edges] == 1
        has_loop = torch.zeros(self.num_nodes, dtype=torch.bool, device=self.device)
        has_loop[self.nodes[singleton]] = True
        missing = (~has_loop).nonzero().flatten()
        new_edges = torch.arange(self.num_edges, self.num_edges + missing.numel(), device=self.device)
        index = torch.cat([self.index, torch.stack([missing, new_edges])], dim=1)
        weight = None if self.weight is None else torch.cat([self.weight, self.weight.new_ones(missing.numel())])
        context = torch.cat([self.edge_context, self.edge_context.new_zeros(missing.numel())])
        return Hypergraph(index, self.num_nodes, self.num_edges + missing.numel(), weight, context, self.context_names)

    def deduplicated(self) -> "Hypergraph":
        """Drop repeated (node, hyperedge) memberships, keeping the first of each (H as a 0/1 matrix)."""
        key = self.edges * self.num_nodes + self.nodes
        order = torch.argsort(key, stable=True)
        first = torch.ones(self.nnz, dtype=torch.bool, device=self.device)
        first[1:] = key[order][1:] != key[order][:-1]
        keep = torch.zeros(self.nnz, dtype=torch.bool, device=self.device)
        keep[order[first]] = True
        return self.compact(keep_memberships=keep)

    def with_weight(self, weight: Tensor | None) -> "Hypergraph":
        """The same structure with membership weights ``weight`` (a soft mask; degrees follow)."""
        copy = Hypergraph(self.index, self.num_nodes, self.num_edges, weight, self.edge_context,
                          self.context_names, allow_empty_edges=True)
        copy._structure_memo = self._structure_memo  # the same index
        return copy

    def restrict_to_context(self, context: int) -> "Hypergraph":
        """The hyperedges of one context, with their ids compacted; nodes keep their ids."""
        return self.compact(keep_edges=self.edge_context == context)

    def compact(self, keep_edges: Tensor | None = None, keep_memberships: Tensor | None = None) -> "Hypergraph":
        """Hard removal: drop memberships and hyperedges, renumber the remaining hyperedges.

        Hyperedges left without any member are dropped as well, so the result is a smaller
        structure on which every operator is cheaper.
        """
        keep = (torch.ones(self.nnz, dtype=torch.bool, device=self.device) if keep_memberships is None
                else keep_memberships.bool())
        if keep_edges is not None:
            keep = keep & keep_edges.bool()[self.edges]
        surviving = torch.zeros(self.num_edges, dtype=torch.bool, device=self.device)
        surviving[self.edges[keep]] = True
        new_id = torch.cumsum(surviving.long(), 0) - 1
        index = torch.stack([self.nodes[keep], new_id[self.edges[keep]]])
        weight = None if self.weight is None else self.weight[keep]
        return Hypergraph(index, self.num_nodes, int(surviving.sum()), weight,
                          self.edge_context[surviving], self.context_names)

    def context_mean(self, per_context: list[Tensor]) -> Tensor:
        """Mean over contexts of per-context node representations (TriPrune's context-mean)."""
        return torch.stack(per_context).mean(0)

    def __repr__(self) -> str:
        return (f"Hypergraph(num_nodes={self.num_nodes}, num_edges={self.num_edges}, nnz={self.nnz}, "
                f"contexts={self.num_contexts}, weighted={self.weight is not None})")


@dataclass(frozen=True)
class SparseOperator:
    """A constant sparse CSR matrix kept with its transpose.

    ``operator @ x`` (``x``: ``m x ...``) is differentiable in ``x``, twice; the backward pass
    multiplies by the stored transpose instead of transposing the matrix at every step.
    """

    matrix: Tensor
    transpose: Tensor

    @classmethod
    def from_entries(cls, rows: Tensor, cols: Tensor, values: Tensor, shape: tuple[int, int]) -> "SparseOperator":
        """From COO entries (repeated ``(row, col)`` entries are summed)."""
        return cls(_csr(rows, cols, values, shape), _csr(cols, rows, values, (shape[1], shape[0])))

    @classmethod
    def symmetric(cls, rows: Tensor, cols: Tensor, values: Tensor, size: int) -> "SparseOperator":
        """A symmetric ``size x size`` matrix from COO entries, stored once as its own transpose."""
        matrix = _csr(rows, cols, values, (size, size))
        return cls(matrix, matrix)

    @property
    def T(self) -> "SparseOperator":  # noqa: N802 (as torch's ``Tensor.T``)
        return SparseOperator(self.transpose, self.matrix)

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.matrix.shape)

    @property
    def nnz(self) -> int:
        return int(self.matrix.values().numel())

    def __matmul__(self, x: Tensor) -> Tensor:
        out = _SparseProduct.apply(x.reshape(x.shape[0], -1), self)
        return out.reshape(self.shape[0], *x.shape[1:])


class _SparseProduct(torch.autograd.Function):
    """``operator.matrix @ x``; its backward is ``operator.T @ grad``, through this function again."""

    @staticmethod
    def forward(ctx, x: Tensor, operator: SparseOperator) -> Tensor:
        ctx.operator = operator
        if x.device.type == "cpu":  # the CPU reduction kernel writes its output once; ``@`` zero-fills and copies it
            return torch.sparse.mm(operator.matrix, x, "sum")
        return operator.matrix @ x

    @staticmethod
    def backward(ctx, grad: Tensor):
        return _SparseProduct.apply(grad, ctx.operator.T), None


@contextmanager
def quiet_sparse_beta() -> Iterator[None]:
    """Silence torch's "Sparse CSR tensor support is in beta" warning (sparse products raise it too)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta", category=UserWarning)
        yield


def _sparse_product(a: Tensor, b: Tensor) -> Tensor:
    """CSR ``a @ b`` of two CSR matrices."""
    with quiet_sparse_beta():
        return a @ b


def _csr(rows: Tensor, cols: Tensor, values: Tensor, shape: tuple[int, int]) -> Tensor:
    """Sparse CSR matrix with repeated (row, col) entries summed."""
    coo = torch.sparse_coo_tensor(torch.stack([rows, cols]), values, shape, check_invariants=False).coalesce()
    with quiet_sparse_beta():
        return coo.to_sparse_csr()


def _scatter_sum(values: Tensor, index: Tensor, size: int) -> Tensor:
    return values.new_zeros(size).index_add(0, index, values)


def inverse_power(values: Tensor, power: float) -> Tensor:
    """``values ** -power`` with 0 where ``values`` is 0 (isolated nodes, empty hyperedges)."""
    out = values.clamp_min(1e-12).pow(-power)
    return torch.where(values > 0, out, torch.zeros_like(out))
