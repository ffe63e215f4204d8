import pytest
import torch

from hgbench.datasets.hypergraph import Hypergraph, inverse_power
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
