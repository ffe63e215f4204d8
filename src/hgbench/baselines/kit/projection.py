"""BASELINES.md §0.7 ``projection.py``: the top-k weighted clique projection of a hypergraph (cards 13, 14).

DistillHGNN's TinyGCN and SHARP-Distill's CompactGCN run on a pairwise graph ``Â`` built once from the
B-union hypergraph (every context's hyperedges at once):

* weighted clique expansion ``A_uv = Σ_{e ∋ u, v} w_e / (δ_e − 1)`` for ``u ≠ v`` (``δ_e`` = number of
  members; ``w_e`` = 1 for the suite's unweighted hypergraphs; with membership weights ``a(v, e)`` a pair
  counts ``a(u, e) a(v, e)``); singleton hyperedges add nothing;
* each node keeps its ``k`` heaviest neighbours (``torch.topk`` per row; ties broken by the kernel's order);
* symmetrised as the union of the kept pairs (``A`` is symmetric, so a pair kept by either end keeps the
  same value), self loops of weight ``self_loop`` added, and ``Â = D^-1/2 (A + I) D^-1/2``.

Huge hyperedges (BASELINES.md §0.7: cities and categories on Yelp, venues on DBLP, users on Douban with
thousands of movies) would make the expansion quadratic in their size. A hyperedge with more than
``cap + 1`` members is therefore split, seeded, into ``ceil(δ_e / (cap + 1))`` random parts of near-equal
size (a random permutation of its members cut into consecutive blocks), so every node keeps **at most
``cap`` = 200 sampled co-members per hyperedge** (uniformly drawn: every other member is kept with the
same probability). A pair inside a part of size ``s`` counts ``w_e / (s − 1)``, so a node's total weight
from the hyperedge stays ``w_e`` as without the cap (the sampled expansion is unbiased up to the split's
rounding). Hyperedges of at most ``cap + 1`` members are expanded exactly, and the result is then the
formula above. All randomness comes from a ``torch.Generator`` seeded by ``seed``.

Cost: the expansion runs in row chunks: a chunk of rows of ``H_c diag(w / (s − 1)) H_cᵀ`` (``H_c`` the
node x part incidence) is one sparse-sparse product, densified to ``rows x n`` (at most
:data:`CHUNK_CELLS` cells) and reduced to its top ``k`` per row at once, so memory is ``O(rows · n)``
and never ``n x n``; the work is the number of capped pairs (≈ 182 M on Douban at cap 200, 3.3 M on
IMDB): about 3 s for Douban and 0.3 s for IMDB on one CPU thread. The result is a
:class:`~hgbench.datasets.hypergraph.SparseOperator` (CSR, ``nnz ≤ 2 k n + n``) whose ``@`` is
differentiable (twice) in the dense operand.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ...datasets.hypergraph import Hypergraph, SparseOperator, _csr, inverse_power, quiet_sparse_beta

CAP = 200  # at most this many sampled co-members per node per hyperedge
CHUNK_CELLS = 1 << 24  # cells of the dense rows x n accumulation buffer


def capped_parts(hypergraph: Hypergraph, cap: int = CAP, seed: int = 0) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Memberships of hyperedges with ≥ 2 members, huge ones split into random parts of ≤ ``cap + 1``.

    Returns ``(nodes, parts, membership_weight, part_size)``: one row per kept membership with the id
    of its part (``0 .. num_parts - 1``), and the size of every part.
    """
    if cap < 1:
        raise ValueError(f"cap must be at least 1, got {cap}")
    size = hypergraph.edge_size_count
    keep = size[hypergraph.edges] >= 2
    nodes, edges = hypergraph.nodes[keep], hypergraph.edges[keep]
    weight = hypergraph.membership_weight()[keep].float()
    generator = torch.Generator().manual_seed(int(seed))
    # a random order within each hyperedge: sort by (edge, random key)
    key = torch.rand(nodes.numel(), generator=generator, dtype=torch.float64)
    order = torch.argsort(edges.double() + key * 0.5, stable=True)  # key in [0, 0.5): edges stay apart
    nodes, edges, weight = nodes[order], edges[order], weight[order]
    starts = torch.zeros(hypergraph.num_edges + 1, dtype=torch.long)
    starts[1:] = torch.cumsum(torch.bincount(edges, minlength=hypergraph.num_edges), 0)
    position = torch.arange(nodes.numel()) - starts[edges]  # rank of the member in its random order
    members = size[edges]
    pieces = torch.div(members + cap, cap + 1, rounding_mode="floor")  # ceil(δ / (cap + 1)) per membership
    piece = torch.div(position * pieces, members, rounding_mode="floor")  # balanced blocks: sizes differ by ≤ 1
    edge_pieces = torch.div(size + cap, cap + 1, rounding_mode="floor") * (size >= 2)
    first_part = torch.cumsum(edge_pieces, 0) - edge_pieces
    parts = first_part[edges] + piece
    part_size = torch.bincount(parts, minlength=int(edge_pieces.sum()))
    return nodes, parts, weight, part_size


def clique_projection(hypergraph: Hypergraph, k: int = 32, cap: int = CAP, seed: int = 0,
                      self_loop: float = 1.0) -> SparseOperator:
    """``Â = D^-1/2 (A_k + self_loop · I) D^-1/2`` with ``A_k`` the symmetrised top-``k`` capped clique expansion.

    Built on the CPU (the seeded sampling uses a CPU generator) and returned on the hypergraph's device.
    """
    device = hypergraph.device
    rows, cols, values = topk_clique_edges(hypergraph.to("cpu"), k, cap, seed)
    n = hypergraph.num_nodes
    loops = torch.arange(n)
    rows, cols = torch.cat([rows, loops]), torch.cat([cols, loops])
    values = torch.cat([values, torch.full((n,), float(self_loop))])
    degree = torch.zeros(n).index_add_(0, rows, values)
    scale = inverse_power(degree, 0.5)
    values = values * scale[rows] * scale[cols]
    return SparseOperator.symmetric(rows.to(device), cols.to(device), values.to(device), n)


def topk_clique_edges(hypergraph: Hypergraph, k: int = 32, cap: int = CAP,
                      seed: int = 0) -> tuple[Tensor, Tensor, Tensor]:
    """The symmetrised top-``k`` pairs ``(rows, cols, A_uv)`` of the capped clique expansion (no self loops)."""
    n = hypergraph.num_nodes
    nodes, parts, weight, part_size = capped_parts(hypergraph, cap, seed)
    num_parts = part_size.numel()
    pair_value = 1.0 / (part_size.float() - 1.0)  # w_e / (s - 1) for a part of s members
    incidence = _csr(nodes, parts, weight, (n, num_parts))  # node x part, a(v, e)
    spread = _csr(parts, nodes, weight * pair_value[parts], (num_parts, n))  # part x node, a(v, e) / (s - 1)
    crow, col, val = incidence.crow_indices(), incidence.col_indices(), incidence.values()
    step = max(1, min(n, CHUNK_CELLS // max(n, 1)))
    out_rows, out_cols, out_values = [], [], []
    for start in range(0, n, step):
        stop = min(n, start + step)
        lo, hi = int(crow[start]), int(crow[stop])
        block = torch.sparse_csr_tensor(crow[start:stop + 1] - lo, col[lo:hi], val[lo:hi], (stop - start, num_parts),
                                        check_invariants=False)
        with quiet_sparse_beta():
            dense = (block @ spread).to_dense()  # rows x n: A[start:stop] with the diagonal
        local = torch.arange(stop - start)
        dense[local, local + start] = 0.0  # no self pairs
        top_values, top_cols = dense.topk(min(k, n), dim=1)
        keep = top_values > 0
        out_rows.append((local + start).unsqueeze(1).expand_as(top_cols)[keep])
        out_cols.append(top_cols[keep])
        out_values.append(top_values[keep])
    rows, cols, values = torch.cat(out_rows), torch.cat(out_cols), torch.cat(out_values)
    # union of both directions; A is symmetric, so a pair kept by both ends has one value (up to the order
    # of the float sums, which the maximum makes exactly symmetric)
    key = torch.cat([rows * n + cols, cols * n + rows])
    unique, inverse = torch.unique(key, return_inverse=True)
    values = torch.zeros(unique.numel()).scatter_reduce(0, inverse, torch.cat([values, values]), reduce="amax")
    return torch.div(unique, n, rounding_mode="floor"), unique % n, values
