import pytest
import torch

from hgbench.datasets.hypergraph import Hypergraph, SparseOperator, inverse_power
from conftest import dense_incidence, random_hypergraph


@pytest.mark.parametrize("seed", range(3))
def test_aggregation_matches_dense_incidence(seed):
    hg = random_hypergraph(seed)
    h = dense_incidence(hg)
    x = torch.randn(hg.num_nodes, 4, dtype=torch.float64)
    y = torch.randn(hg.num_edges, 4, dtype=torch.float64)
    torch.testing.assert_close(hg.v2e(x), h.T @ x)
    torch.testing.assert_close(hg.e2v(y), h @ y)
    torch.testing.assert_close(hg.v2e(x, "mean"), (h.T @ x) / h.sum(0, keepdim=True).T)
    torch.testing.assert_close(hg.e2v(y, "mean"), (h @ y) / h.sum(1, keepdim=True))
    torch.testing.assert_close(hg.node_degree().double(), h.sum(1))
    torch.testing.assert_close(hg.edge_degree().double(), h.sum(0))


def test_hgnn_operator_and_clique_expansion_match_dense():
    hg = random_hypergraph(7)
    h = dense_incidence(hg)
    dv = torch.diag(h.sum(1).pow(-0.5))
    expected = dv @ h @ torch.diag(1 / h.sum(0)) @ h.T @ dv
    torch.testing.assert_close(hg.hgnn_operator().to_dense().double(), expected, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(hg.clique_expansion().to_dense().double(), h @ h.T)


def test_sparse_operators_multiply_and_differentiate_as_their_dense_matrices():
    rows, cols = torch.tensor([0, 1, 1, 2, 0]), torch.tensor([1, 0, 2, 1, 1])  # (0, 1) repeated: summed
    values = torch.tensor([1.0, 2.0, 3.0, 3.0, 1.0], dtype=torch.float64)
    general = SparseOperator.from_entries(rows, cols, values, (3, 4))
    symmetric = SparseOperator.symmetric(torch.cat([rows, cols]), torch.cat([cols, rows]), values.repeat(2), 3)
    for operator in (general, symmetric):
        dense = operator.matrix.to_dense()
        x = torch.randn(operator.shape[1], 2, dtype=torch.float64, requires_grad=True)
        torch.testing.assert_close(operator @ x, dense @ x)
        (grad,) = torch.autograd.grad((operator @ x).sin().sum(), x)
        torch.testing.assert_close(grad, dense.T @ (dense @ x).cos().detach())
    assert symmetric.transpose is symmetric.matrix  # stored once
    torch.testing.assert_close(symmetric.matrix.to_dense(), symmetric.matrix.to_dense().T)


def test_soft_mask_renormalises_degrees_and_is_twice_differentiable():
    hg = random_hypergraph(1)
    mask = torch.rand(hg.nnz, dtype=torch.float64, requires_grad=True)
    masked = hg.with_weight(mask)
    x = torch.randn(hg.num_nodes, 3, dtype=torch.float64)
    out = masked.e2v(masked.v2e(x, "mean"), "mean").square().sum()
    (grad,) = torch.autograd.grad(out, mask, create_graph=True)
    (second,) = torch.autograd.grad(grad.sum(), mask)
    assert torch.isfinite(second).all() and second.abs().sum() > 0
    h = dense_incidence(masked.with_weight(mask.detach()))
    torch.testing.assert_close(masked.node_degree().detach(), h.sum(1))
    torch.testing.assert_close(masked.edge_degree().detach(), h.sum(0))


def test_self_loops_added_only_where_missing():
    index = torch.tensor([[0, 1, 2, 2], [0, 0, 1, 2]])  # node 2 already has a singleton (edge 2)
    hg = Hypergraph(index, num_nodes=4, num_edges=3)
    looped = hg.with_self_loops()
    assert looped.num_edges == 3 + 3  # nodes 0, 1, 3 get one each
    assert looped.index[:, 4:].tolist() == [[0, 1, 3], [3, 4, 5]]


def test_deduplicate_compact_and_context_restriction():
    index = torch.tensor([[0, 0, 1, 2, 3, 1], [0, 0, 0, 1, 1, 2]])
    hg = Hypergraph(index, num_nodes=4, edge_context=torch.tensor([0, 1, 1]), context_names=("a", "b"))
    assert hg.deduplicated().nnz == 5
    only_b = hg.restrict_to_context(1)
    assert only_b.num_edges == 2 and only_b.num_nodes == 4 and only_b.edge_context.tolist() == [1, 1]
    pruned = hg.compact(keep_memberships=torch.tensor([True, True, True, False, False, True]))
    assert pruned.num_edges == 2 and pruned.nnz == 4  # hyperedge 1 lost all members and is gone


@pytest.mark.parametrize("index, num_nodes, message", [
    (torch.tensor([[0, 5], [0, 0]]), 3, "node id 5 out of range"),
    (torch.tensor([[0, -1], [0, 0]]), 3, "negative"),
    (torch.tensor([0, 1, 2]), 3, "shape"),
])
def test_invalid_input_is_rejected(index, num_nodes, message):
    with pytest.raises(ValueError, match=message):
        Hypergraph(index, num_nodes)


def test_empty_hyperedge_rejected_unless_allowed():
    with pytest.raises(ValueError, match="no member"):
        Hypergraph(torch.tensor([[0], [0]]), 2, num_edges=2)
    assert Hypergraph(torch.tensor([[0], [0]]), 2, num_edges=2, allow_empty_edges=True).num_edges == 2


def test_inverse_power_is_zero_on_zero():
    assert inverse_power(torch.tensor([0.0, 4.0]), 0.5).tolist() == [0.0, 0.5]


def _both_paths(hg: Hypergraph, weight: torch.Tensor) -> tuple[Hypergraph, Hypergraph]:
    """The same weighted hypergraph on the cached sparse path and on the differentiable-weight path."""
    return hg.with_weight(weight), hg.with_weight(weight.clone().requires_grad_())


@pytest.mark.parametrize("seed", range(2))
def test_cached_sparse_path_matches_the_differentiable_weight_path(seed):
    hg = random_hypergraph(seed)
    fixed, learned = _both_paths(hg, torch.rand(hg.nnz, dtype=torch.float64))
    assert fixed.fixed_weights and not learned.fixed_weights
    x = torch.randn(hg.num_nodes, 3, 2, dtype=torch.float64)  # any trailing shape
    y = torch.randn(hg.num_edges, 3, dtype=torch.float64)
    for reduce in ("sum", "mean"):
        torch.testing.assert_close(fixed.v2e(x, reduce), learned.v2e(x, reduce).detach())
        torch.testing.assert_close(fixed.e2v(y, reduce), learned.e2v(y, reduce).detach())
    scales = lambda g: (inverse_power(g.edge_degree(), 1.0), inverse_power(g.node_degree(), 0.5))  # noqa: E731
    torch.testing.assert_close(fixed.propagate(x, "v2e", "t", lambda: scales(fixed)),
                               learned.propagate(x, "v2e", "t", lambda: scales(learned)).detach())
    h = dense_incidence(fixed)
    expected = torch.diag(h.sum(1) ** -0.5) @ h @ y[:, 0]
    torch.testing.assert_close(fixed.propagate(y[:, 0], "e2v", "t", lambda: (inverse_power(fixed.node_degree(), 0.5),
                                                                              None)), expected)


def test_cached_sparse_path_is_twice_differentiable_in_the_features():
    hg = random_hypergraph(3)
    x = torch.randn(hg.num_nodes, 2, dtype=torch.float64, requires_grad=True)
    scales = lambda: (inverse_power(hg.edge_degree(), 1.0), inverse_power(hg.node_degree(), 0.5))  # noqa: E731
    f = lambda x: hg.e2v(hg.propagate(x, "v2e", "t", scales).tanh(), "mean")  # noqa: E731
    assert torch.autograd.gradcheck(f, (x,)) and torch.autograd.gradgradcheck(f, (x,))


def test_cache_follows_in_place_changes_of_the_weights():
    hg = random_hypergraph(4)
    weight = torch.rand(hg.nnz, dtype=torch.float64)
    masked = hg.with_weight(weight)
    x = torch.randn(hg.num_nodes, 2, dtype=torch.float64)
    before = masked.v2e(x, "mean")
    weight.mul_(torch.rand(hg.nnz, dtype=torch.float64))
    h = dense_incidence(masked)
    torch.testing.assert_close(masked.v2e(x, "mean"), (h.T @ x) / h.sum(0)[:, None])
    assert not torch.allclose(before, masked.v2e(x, "mean"))
    masked.node_degree().zero_()  # a returned degree is a copy
    torch.testing.assert_close(masked.node_degree(), dense_incidence(masked).sum(1))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_to_device_keeps_the_results():
    hg = random_hypergraph(5)
    hg = hg.with_weight(torch.rand(hg.nnz))
    x = torch.randn(hg.num_nodes, 4)
    moved = hg.to("cuda")
    assert hg.to("cpu") is hg and moved.device.type == "cuda"
    for reduce in ("sum", "mean"):
        torch.testing.assert_close(moved.e2v(moved.v2e(x.cuda(), reduce), reduce).cpu(),
                                   hg.e2v(hg.v2e(x, reduce), reduce))
    torch.testing.assert_close(moved.with_self_loops().index.cpu(), hg.with_self_loops().index)


@pytest.mark.parametrize("shape, collapses", [((6, 30, 5), True), ((40, 10, 8), False)])
def test_smooth_matches_dense_on_both_paths(shape, collapses):
    num_nodes, num_edges, max_size = shape
    hg = random_hypergraph(1, num_nodes=num_nodes, num_edges=num_edges, max_size=max_size)
    hg = hg.with_weight(torch.rand(hg.nnz, dtype=torch.float64))
    assert hg.collapses_smoothing is collapses  # H H^T has fewer entries than H and H^T (or not)
    h = dense_incidence(hg)
    a, b, c = torch.rand(hg.num_nodes, dtype=torch.float64), torch.rand(hg.num_edges, dtype=torch.float64), None
    x = torch.randn(hg.num_nodes, 3, dtype=torch.float64, requires_grad=True)
    expected = torch.diag(a) @ h @ torch.diag(b) @ h.T @ x
    torch.testing.assert_close(hg.smooth(x, "t", lambda: (a, b, c)), expected)
    assert torch.autograd.gradgradcheck(lambda x: hg.smooth(x, "t", lambda: (a, b, c)).sin(), (x,))
    learned = hg.with_weight(hg.weight.clone().requires_grad_())
    torch.testing.assert_close(learned.smooth(x, "t", lambda: (a, b, c)), expected)
