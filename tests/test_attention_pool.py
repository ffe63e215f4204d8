"""PMA's CSR attention pooling equals the gather/scatter path, values and gradients."""

from __future__ import annotations

import pytest
import torch

from hgbench.baselines import attention_pool, ops
from hgbench.baselines.allset import PMA
from hgbench.datasets.hypergraph import Hypergraph
from hgbench.datasets.synthetic import SyntheticConfig, generate

pytestmark = pytest.mark.usefixtures("one_thread")
ROUTES = {"v2e": (ops.gather_nodes, ops.incidence_to_edges), "e2v": (ops.gather_edges, ops.incidence_to_nodes)}


@pytest.fixture(scope="module")
def hypergraph() -> Hypergraph:
    base = generate(SyntheticConfig(num_nodes=50, num_edges=25, num_features=4, num_classes=3, seed=2)).hypergraph
    repeated = torch.cat([base.index, base.index[:, :5]], dim=1)  # a few memberships twice
    return Hypergraph(repeated, base.num_nodes, base.num_edges)


@pytest.mark.parametrize("direction", ["v2e", "e2v"])
@pytest.mark.parametrize("weighted", [False, True])
def test_pooling_equals_gather_then_scatter(hypergraph, direction, weighted):
    hg = hypergraph.with_weight(torch.rand(hypergraph.nnz, dtype=torch.float64)) if weighted else hypergraph
    gather, scatter = ROUTES[direction]
    sources = hg.num_nodes if direction == "v2e" else hg.num_edges
    attention = torch.rand(hg.nnz, 3, dtype=torch.float64, requires_grad=True)
    values = torch.randn(sources, 3, 4, dtype=torch.float64, requires_grad=True)
    reference = scatter(hg, gather(hg, values) * attention.unsqueeze(-1), "sum")
    ours = attention_pool.attention_pool(hg, direction, attention, values)
    torch.testing.assert_close(ours, reference)
    cotangent = torch.randn_like(reference)
    for a, b in zip(torch.autograd.grad(ours, (attention, values), cotangent),
                    torch.autograd.grad(reference, (attention, values), cotangent)):
        torch.testing.assert_close(a, b)
    assert torch.autograd.gradcheck(lambda a, v: attention_pool.attention_pool(hg, direction, a, v),
                                    (attention, values))


def test_pma_takes_the_csr_path_only_on_large_hypergraphs(hypergraph, monkeypatch):
    assert not attention_pool.usable(hypergraph, 8)  # the committed small-dataset runs keep their path
    torch.manual_seed(0)
    layer = PMA(6, 8, 8, "v2e", heads=2, mlp_layers=1)
    x = torch.randn(hypergraph.num_nodes, 6)
    gathered = layer(x, hypergraph)
    monkeypatch.setattr(attention_pool, "LARGE", 0)
    assert attention_pool.usable(hypergraph, 8)
    torch.testing.assert_close(layer(x, hypergraph), gathered, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("direction", ["v2e", "e2v"])
def test_learned_weights_get_their_gradient_and_copies_share_one_layout(hypergraph, direction):
    """Membership weights in autograd (HSL's masks, AdaGLT's tickets): the weight's gradient too; the layout is
    built once per index, whichever weighted copy asks."""
    gather, scatter = ROUTES[direction]
    weight = torch.rand(hypergraph.nnz, dtype=torch.float64, requires_grad=True)
    sources = hypergraph.num_nodes if direction == "v2e" else hypergraph.num_edges
    attention = torch.rand(hypergraph.nnz, 2, dtype=torch.float64)
    values = torch.randn(sources, 2, 3, dtype=torch.float64)
    first, second = hypergraph.with_weight(weight), hypergraph.with_weight(weight * 2)
    ours = attention_pool.attention_pool(first, direction, attention, values)
    reference = scatter(first, gather(first, values) * attention.unsqueeze(-1), "sum")
    torch.testing.assert_close(ours, reference)
    cotangent = torch.randn_like(reference)
    torch.testing.assert_close(torch.autograd.grad(ours, weight, cotangent)[0],
                               torch.autograd.grad(reference, weight, cotangent)[0])
    attention_pool.attention_pool(second, direction, attention, values)
    key = ("attention-pool", direction)
    assert first._structural(key, lambda: None) is second._structural(key, lambda: None) is not None


def test_structure_memo_is_emptied_when_the_index_changes_in_place():
    hg = generate(SyntheticConfig(num_nodes=20, num_edges=10, num_features=2, num_classes=2, seed=3)).hypergraph
    index = hg.index.clone()
    hg = Hypergraph(index, hg.num_nodes, hg.num_edges)
    copy = hg.with_weight(torch.ones(hg.nnz))
    assert copy._structural("k", lambda: 1) == 1 and hg._structural("k", lambda: 2) == 1
    index[0, 0] = (int(index[0, 0]) + 1) % hg.num_nodes
    assert copy._structural("k", lambda: 3) == 3
