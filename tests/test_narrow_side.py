"""First convolutions on features narrower than them: ``(N X) Theta`` equals ``N (X Theta)`` (HGNN, UniGCN)."""

from __future__ import annotations

import pytest
import torch

from hgbench.baselines.hgnn import HGNNNet
from hgbench.baselines.unigcn import UniGCNConv
from hgbench.datasets.synthetic import SyntheticConfig, generate

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize("symmetric", [True, False])
def test_narrow_order_matches_the_projection_first_order(symmetric):
    data = generate(SyntheticConfig(num_nodes=80, num_edges=40, num_features=3, num_classes=3, seed=6))
    torch.manual_seed(0)
    net = HGNNNet(3, 16, 3, 2, symmetric).eval()
    first = net.convs[0]
    narrow = net(data.features, data.hypergraph)
    wide = net.convs[1](torch.nn.functional.elu(first(data.features, data.hypergraph)), data.hypergraph)
    torch.testing.assert_close(narrow, wide)
    cotangent = torch.randn_like(narrow)
    grads = [torch.autograd.grad(out, (first.weight, first.bias), cotangent) for out in
             (net(data.features, data.hypergraph),
              net.convs[1](torch.nn.functional.elu(first(data.features, data.hypergraph)), data.hypergraph))]
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b)


def test_propagated_features_follow_changes_of_features_and_weights():
    data = generate(SyntheticConfig(num_nodes=60, num_edges=30, num_features=2, num_classes=2, seed=7))
    torch.manual_seed(0)
    net = HGNNNet(2, 8, 2, 2, True).eval()
    x = data.features.clone()
    before = net(x, data.hypergraph)
    x.mul_(2.0)  # in place: the memo must notice
    assert not torch.allclose(net(x, data.hypergraph), before)
    weighted = data.hypergraph.with_weight(torch.rand(data.hypergraph.nnz))
    torch.testing.assert_close(net(x, weighted), net.convs[1](
        torch.nn.functional.elu(net.convs[0](x, weighted)), weighted))


def test_unigcn_propagates_the_narrow_side():
    data = generate(SyntheticConfig(num_nodes=70, num_edges=35, num_features=3, num_classes=3, seed=8))
    torch.manual_seed(0)
    conv = UniGCNConv(3, 12)
    x = data.features.clone().requires_grad_()
    narrow = conv(x, data.hypergraph)
    wide = conv.propagate(conv.linear(x), data.hypergraph)
    torch.testing.assert_close(narrow, wide)
    cotangent = torch.randn_like(narrow)
    for a, b in zip(torch.autograd.grad(narrow, (x, conv.linear.weight), cotangent),
                    torch.autograd.grad(wide, (x, conv.linear.weight), cotangent)):
        torch.testing.assert_close(a, b)
