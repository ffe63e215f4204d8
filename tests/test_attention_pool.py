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
