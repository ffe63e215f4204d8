"""The sparse first-layer path gives the dense path's outputs and gradients; its input dropout draws per non-zero."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from hgbench.baselines import BASELINES, sparse_features
from hgbench.baselines.sparse_features import SparseFeatures, SparseInput, linear, normalised_linear, project
from hgbench.datasets.base import NodeDataset
from hgbench.datasets.synthetic import SyntheticConfig, generate

pytestmark = pytest.mark.usefixtures("one_thread")


def _bag_of_words(n: int, d: int, density: float, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(n, d, generator=g) < density).float()


def test_sparse_features_hold_the_matrix_and_its_transpose():
    x = _bag_of_words(40, 25, 0.1, 0) * torch.arange(1, 26)
    sparse = SparseFeatures.of(x)
    assert torch.equal(sparse.operator.matrix.to_dense(), x)
    assert torch.equal(sparse.operator.transpose.to_dense(), x.t())


@pytest.mark.parametrize("p", [0.0, 0.6])
def test_sparse_products_equal_the_dense_products_of_the_same_dropped_matrix(p):
    x = _bag_of_words(300, 120, 0.03, 1)
    weight = torch.randn(120, 16, requires_grad=True)
    layer = torch.nn.Linear(120, 16)
    cotangent = torch.randn(300, 16)
    torch.manual_seed(7)
    sparse = SparseInput()(x, p, True)
    assert isinstance(sparse, SparseFeatures)
    results = []
    for source in (sparse, sparse.operator.matrix.to_dense()):
        out = project(source, weight) + linear(layer, source)
        results.append((out, torch.autograd.grad(out, (weight, layer.weight, layer.bias), cotangent)))
    (out_s, grads_s), (out_d, grads_d) = results
    torch.testing.assert_close(out_s, out_d, rtol=1e-6, atol=1e-6)
    for a, b in zip(grads_s, grads_d):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


def test_layer_norm_then_linear_on_sparse_rows_equals_the_dense_computation():
    x = _bag_of_words(200, 90, 0.04, 6) * torch.rand(200, 90, generator=torch.Generator().manual_seed(6))
    x[3] = 0.0  # an empty row: LayerNorm gives beta there
    torch.manual_seed(0)
    norm, layer = torch.nn.LayerNorm(90), torch.nn.Linear(90, 12)
    with torch.no_grad():
        norm.weight.uniform_(0.5, 1.5), norm.bias.uniform_(-0.5, 0.5)
    cotangent = torch.randn(200, 12)
    parameters = (norm.weight, norm.bias, layer.weight, layer.bias)
    results = []
    for source in (SparseInput()(x, 0.0, False), x):
        out = normalised_linear(norm, layer, source)
        results.append((out, torch.autograd.grad(out, parameters, cotangent)))
    (out_s, grads_s), (out_d, grads_d) = results
    torch.testing.assert_close(out_s, out_d, rtol=1e-5, atol=1e-5)
    for a, b in zip(grads_s, grads_d):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)


def test_input_dropout_draws_once_per_non_zero_and_keeps_zeros_zero():
    x = _bag_of_words(200, 50, 0.02, 2) * 3.0
    nonzero = x != 0
    with torch.random.fork_rng():
        torch.manual_seed(3)
        dropped = SparseInput()(x, 0.5, True).operator.matrix.to_dense()
        after = torch.rand(3)
        torch.manual_seed(3)
        expected = F.dropout(x[nonzero], 0.5, True)  # F.dropout on the non-zero values alone
        assert torch.equal(after, torch.rand(3))  # the same number of draws
    assert torch.equal(dropped[nonzero], expected) and not dropped[~nonzero].any()
    assert set(dropped[nonzero].unique().tolist()) == {0.0, 6.0}


def test_dense_or_unsuitable_features_stay_dense(monkeypatch):
    make = SparseInput()
    dense = torch.randn(50, 8)
    assert make(dense, 0.0, True) is dense
    sparse = _bag_of_words(50, 80, 0.02, 3)
    assert isinstance(make(sparse, 0.0, False), SparseFeatures)
    assert make(sparse.requires_grad_(), 0.0, False) is sparse  # a gradient for the features needs the dense path
    monkeypatch.setattr(sparse_features, "MAX_DENSITY", 0.0)
    assert SparseInput()(sparse.detach(), 0.0, False).layout == torch.strided


def test_a_changed_feature_tensor_is_converted_again():
    make = SparseInput()
    x = _bag_of_words(30, 40, 0.02, 4)
    first = make(x, 0.0, False)
    assert make(x, 0.0, False) is first
    x[0, 0] = 5.0
    assert make(x, 0.0, False).operator.matrix.to_dense()[0, 0] == 5.0


@pytest.mark.parametrize("name", ["hgnn", "hcha", "unigcn", "hnhn", "unigcnii", "alldeepsets", "allsettransformer",
                                  "edhnn"])
def test_networks_train_alike_on_sparse_and_dense_paths(name, monkeypatch):
    base = generate(SyntheticConfig(num_nodes=120, num_edges=60, num_features=8, num_classes=3, seed=5))
    data = NodeDataset("bag", base.hypergraph, _bag_of_words(120, 200, 0.03, 5), base.labels, base.num_classes)
    method = BASELINES[name]()
    # the two paths draw input-dropout masks apart: none here (UniGCNII's one dropout rate is its input's too)
    no_input_dropout = {"unigcn": {"input_dropout": 0.0}, "unigcnii": {"dropout": 0.0}, "edhnn": {"dropout": 0.0},
                        "alldeepsets": {"dropout": 0.0}, "allsettransformer": {"dropout": 0.0}}.get(name, {})
    config = method.hyperparameters({"lr": 1e-2, "layers": 2, "hidden": 16, **no_input_dropout})
    outputs = {}
    for density in (sparse_features.MAX_DENSITY, 0.0):  # sparse, then forced dense
        monkeypatch.setattr(sparse_features, "MAX_DENSITY", density)
        with torch.random.fork_rng():
            torch.manual_seed(0)
            model = method.build(data, config)
            if hasattr(model, "input_dropout"):  # AllSet's fixed input dropout (0.2) is not a configuration key
                model.input_dropout = 0.0
            optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
            for _ in range(3):
                optimiser.zero_grad()
                F.cross_entropy(model(data.features, data.hypergraph), data.labels).backward()
                optimiser.step()
            model.eval()
            outputs[density] = model(data.features, data.hypergraph).detach()
    sparse, dense = outputs.values()
    torch.testing.assert_close(sparse, dense, rtol=1e-4, atol=1e-5)
