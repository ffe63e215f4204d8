"""Our hypergraph convolutions against DHG 0.9.7 and PyG 2.8.1 for the same weights and inputs (docs/crosscheck.md).

Needs the ``[crosscheck]`` extra (``tox -e crosscheck``); skipped without it. Outputs and the
gradients of the input and of the weights must agree to 1e-5 (float32). Where a definition differs
on purpose the test says so and compares on the common ground:

* DHG's ``HGNNConv`` adds its bias *before* the propagation (inside ``theta``), ours and PyG's
  after it: DHG's layers are built without bias;
* PyG's ``HypergraphConv`` is the random-walk ``D^-1 H W B^-1 H^T`` (our HCHA, DHG's HGNN+), not
  HGNN's symmetric operator, and PyG 2.8.1 uses ``hyperedge_weight`` in ``D`` only, never as ``W``
  (pyg-team/pytorch_geometric#6918): ours equals it on unweighted hypergraphs, and on weighted
  ones PyG equals that W-less formula, which ours is not;
* DHG's ``HNHNConv`` is HNHN with mean aggregations, i.e. ours with ``alpha = beta = 0``, and DHG
  multiplies hyperedge rows by ``W`` before the hyperedge-side bias: with weights, biases are zero.
"""

from __future__ import annotations

import pytest
import torch

from hgbench.baselines.hgnn import HypergraphConv
from hgbench.baselines.hnhn import HNHNConv
from hgbench.baselines.unigcn import UniGCNConv
from hgbench.datasets.hypergraph import Hypergraph, inverse_power
from hgbench.datasets.interop import hyperedge_weights, to_dhg, to_pyg

dhg = pytest.importorskip("dhg")
pyg_conv = pytest.importorskip("torch_geometric.nn")

TOL = {"rtol": 1e-5, "atol": 1e-5}
IN, OUT = 6, 4

pytestmark = pytest.mark.usefixtures("one_thread")


def generated(seed: int, weighted: bool, repeat: bool = True, num_nodes: int = 30, num_edges: int = 25) -> Hypergraph:
    """Random hyperedges of 1-6 members over all nodes but the last two (isolated), a node in several
    hyperedges, singletons, one hyperedge repeated (``repeat``; else one more singleton); optionally one
    random weight per hyperedge."""
    g = torch.Generator().manual_seed(seed)
    members = [torch.randperm(num_nodes - 2, generator=g)[:int(torch.randint(1, 7, (1,), generator=g))]
               for _ in range(num_edges - 2)]
    members = [torch.cat([m, torch.tensor([3])]).unique() if i % 3 == 0 else m for i, m in enumerate(members)]
    members += [torch.tensor([0]), members[1] if repeat else torch.tensor([num_nodes - 3])]
    index = torch.stack([torch.cat(members), torch.cat([torch.full((len(m),), e) for e, m in enumerate(members)])])
    weight = None
    if weighted:
        per_edge = 0.5 + 1.5 * torch.rand(num_edges, generator=g)
        weight = per_edge[index[1]]
    return Hypergraph(index, num_nodes, num_edges, weight)


def cases():
    return [pytest.param(seed, weighted, id=f"seed{seed}-{'weighted' if weighted else 'unweighted'}")
            for seed in range(3) for weighted in (False, True)]


def inputs(hypergraph: Hypergraph, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(100 + seed)
    return torch.randn(hypergraph.num_nodes, IN, generator=g), torch.randn(hypergraph.num_nodes, OUT, generator=g)


def run(layer, x: torch.Tensor, cotangent: torch.Tensor, *params: torch.Tensor) -> list[torch.Tensor]:
    """Output, then the gradients of ``x`` and of ``params`` for the loss ``<out, cotangent>``."""
    x = x.clone().requires_grad_(True)
    out = layer(x)
    grads = torch.autograd.grad((out * cotangent).sum(), [x, *params])
    return [out.detach(), *grads]


def assert_all_close(ours: list[torch.Tensor], theirs: list[torch.Tensor]) -> None:
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(b, a, **TOL)


# ----------------------------------------------------------------------------- converters
def test_converters_keep_structure_and_hyperedge_weights():
    hg = generated(0, weighted=True)
    index, weight = to_pyg(hg)
    assert torch.equal(index, hg.index) and torch.equal(weight[hg.edges], hg.weight)
    converted = to_dhg(hg)
    assert converted.num_v == hg.num_nodes
    order = torch.argsort(hg.edges, stable=True)
    distinct = {tuple(sorted(m.tolist())) for m in torch.split(hg.nodes[order], hg.edge_size_count.tolist())}
    assert converted.num_e == len(distinct) < hg.num_edges  # equal hyperedges merged, their weights summed
    degree = converted.D_v._values()
    torch.testing.assert_close(degree, hg.node_degree())  # sum of the weights of a node's hyperedges
    assert hyperedge_weights(generated(0, weighted=False)) is None


def test_converters_refuse_what_hyperedge_weights_cannot_hold():
    hg = generated(1, weighted=True)
    uneven = hg.weight.clone()
    uneven[0] += 0.25
    with pytest.raises(ValueError, match="hyperedge 0 has memberships of different weights"):
        to_pyg(hg.with_weight(uneven))
    repeated = Hypergraph(torch.tensor([[0, 0, 1], [0, 0, 0]]), 2)
    with pytest.raises(ValueError, match="repeats a \\(node, hyperedge\\) membership"):
        to_dhg(repeated)
    empty = Hypergraph(torch.tensor([[0, 1], [0, 0]]), 2, num_edges=2, allow_empty_edges=True)
    with pytest.raises(ValueError, match="hyperedge 1 has no member"):
        to_dhg(empty)


# ----------------------------------------------------------------------------- HGNN, HGNN+ / HCHA
def check_hypergraph_conv(seed: int, weighted: bool, symmetric: bool, dhg_layer: type):
    """Our ``HypergraphConv`` against a bias-free DHG layer with the same weights; the pieces for more checks."""
    hg = generated(seed, weighted)
    structure = to_dhg(hg)
    x, cotangent = inputs(hg, seed)
    torch.manual_seed(seed)
    ours = HypergraphConv(IN, OUT, symmetric=symmetric)
    theirs = dhg_layer(IN, OUT, bias=False, is_last=True)  # DHG's bias would precede the propagation
    theirs.theta.weight.data.copy_(ours.weight.data.T)
    got = run(lambda x: ours(x, hg), x, cotangent, ours.weight)
    expected = run(lambda x: theirs(x, structure), x, cotangent, theirs.theta.weight)
    assert_all_close(got, expected[:2] + [expected[2].T])
    return hg, structure, x @ ours.weight.detach(), got[0] - ours.bias.detach()


@pytest.mark.parametrize("seed, weighted", cases())
def test_hgnn_equals_dhg_hgnnconv_and_smoothing(seed, weighted):
    hg, structure, projected, propagated = check_hypergraph_conv(seed, weighted, True, dhg.nn.HGNNConv)
    # the bare propagation and the operator itself
    torch.testing.assert_close(structure.smoothing_with_HGNN(projected), propagated, **TOL)
    torch.testing.assert_close(structure.L_HGNN.to_dense(), hg.hgnn_operator().to_dense(), **TOL)


@pytest.mark.parametrize("seed, weighted", cases())
def test_mean_mean_equals_dhg_hgnnp_and_v2v_mean(seed, weighted):
    # HCHA: Dv^-1 H W De^-1 H^T X Theta
    hg, structure, projected, propagated = check_hypergraph_conv(seed, weighted, False, dhg.nn.HGNNPConv)
    two_stage = hg.e2v(hg.v2e(projected, "mean"), "mean")
    torch.testing.assert_close(structure.v2v(projected, aggr="mean"), two_stage, **TOL)
    torch.testing.assert_close(two_stage, propagated, **TOL)


@pytest.mark.parametrize("seed", range(3))
def test_hcha_equals_pyg_hypergraphconv_on_unweighted_hypergraphs(seed):
    hg = generated(seed, weighted=False)
    index, weight = to_pyg(hg)
    assert weight is None
    x, cotangent = inputs(hg, seed)
    torch.manual_seed(seed)
    ours = HypergraphConv(IN, OUT, symmetric=False)
    ours.bias.data.normal_()  # both add the bias after the propagation
    theirs = pyg_conv.HypergraphConv(IN, OUT, use_attention=False)
    theirs.lin.weight.data.copy_(ours.weight.data.T)
    theirs.bias.data.copy_(ours.bias.data)
    got = run(lambda x: ours(x, hg), x, cotangent, ours.weight, ours.bias)
    expected = run(lambda x: theirs(x, index, num_edges=hg.num_edges), x, cotangent, theirs.lin.weight, theirs.bias)
    assert_all_close(got, [expected[0], expected[1], expected[2].T, expected[3]])


@pytest.mark.parametrize("seed", range(3))
def test_pyg_uses_hyperedge_weights_in_the_degree_only(seed):
    """PyG 2.8.1 computes ``D^-1 H B^-1 H^T X`` with ``D = H W 1``: no ``W`` between the halves."""
    hg = generated(seed, weighted=True)
    index, weight = to_pyg(hg)
    x, _ = inputs(hg, seed)
    theirs = pyg_conv.HypergraphConv(IN, IN, use_attention=False, bias=False)
    theirs.lin.weight.data.copy_(torch.eye(IN))
    without_w = hg.with_weight(None).e2v(hg.with_weight(None).v2e(x, "mean")) * inverse_power(
        hg.node_degree(), 1.0).unsqueeze(1)
    with torch.no_grad():
        pyg_out = theirs(x, index, weight, num_edges=hg.num_edges)
    torch.testing.assert_close(pyg_out, without_w, **TOL)
    ours = hg.e2v(hg.v2e(x, "mean"), "mean")
    assert not torch.allclose(pyg_out, ours, **TOL)  # ours (and DHG's HGNN+) apply W


# ----------------------------------------------------------------------------- UniGCN
@pytest.mark.parametrize("seed, weighted", cases())
def test_unigcn_equals_dhg_unigcnconv(seed, weighted):
    hg = generated(seed, weighted)
    structure = to_dhg(hg)
    x, cotangent = inputs(hg, seed)
    torch.manual_seed(seed)
    ours = UniGCNConv(IN, OUT)  # no bias, as UniGNN's code
    theirs = dhg.nn.UniGCNConv(IN, OUT, bias=False, is_last=True)
    theirs.theta.weight.data.copy_(ours.linear.weight.data)
    got = run(lambda x: ours(x, hg), x, cotangent, ours.linear.weight)
    expected = run(lambda x: theirs(x, structure), x, cotangent, theirs.theta.weight)
    assert_all_close(got, expected)


# ----------------------------------------------------------------------------- HNHN
@pytest.mark.parametrize("seed, weighted", cases())
@pytest.mark.parametrize("repeat", [False, True], ids=["distinct", "repeated"])
def test_hnhn_without_degree_exponents_equals_dhg_hnhnconv(seed, weighted, repeat):
    hg = generated(seed, weighted, repeat)
    if not repeat:  # random singletons may coincide: keep the first of equal hyperedges
        order = torch.argsort(hg.edges, stable=True)
        groups = [tuple(sorted(m.tolist())) for m in torch.split(hg.nodes[order], hg.edge_size_count.tolist())]
        hg = hg.compact(keep_edges=torch.tensor([m not in groups[:e] for e, m in enumerate(groups)]))
    structure = to_dhg(hg)
    x, cotangent = inputs(hg, seed)
    torch.manual_seed(seed)
    ours = HNHNConv(IN, OUT, OUT, alpha=0.0, beta=0.0)  # mean aggregations on both halves
    theirs = dhg.nn.HNHNConv(IN, OUT, is_last=True)
    pairs = [(ours.v2e_linear, theirs.theta_v2e), (ours.e2v_linear, theirs.theta_e2v)]
    for mine, other in pairs:
        # DHG scales hyperedge rows by W (a merged repeat: their summed weights) before theta_e2v's bias
        if weighted or repeat:
            mine.bias.data.zero_()
        other.weight.data.copy_(mine.weight.data)
        other.bias.data.copy_(mine.bias.data)
    names = ("weight",) if weighted or repeat else ("weight", "bias")  # a bias's gradient follows W there too
    got = run(lambda x: ours(x, hg), x, cotangent, *[getattr(mine, n) for mine, _ in pairs for n in names])
    expected = run(lambda x: theirs(x, structure), x, cotangent,
                   *[getattr(other, n) for _, other in pairs for n in names])
    assert_all_close(got, expected)


# ----------------------------------------------------------------------------- one real dataset
@pytest.mark.realdata
def test_cora_hgnn_and_unigcn_equal_dhg(real_data_dir, monkeypatch):
    from hgbench.datasets import catalog

    monkeypatch.setenv("HGBENCH_DATA", str(real_data_dir))
    data = catalog.load("cora")
    hg, x = data.hypergraph.deduplicated(), data.features
    structure = to_dhg(hg)
    cotangent = torch.randn(hg.num_nodes, OUT, generator=torch.Generator().manual_seed(0))
    torch.manual_seed(0)
    hgnn, dhg_hgnn = HypergraphConv(x.shape[1], OUT, symmetric=True), dhg.nn.HGNNConv(x.shape[1], OUT, bias=False,
                                                                                      is_last=True)
    dhg_hgnn.theta.weight.data.copy_(hgnn.weight.data.T)
    got = run(lambda x: hgnn(x, hg), x, cotangent, hgnn.weight)
    expected = run(lambda x: dhg_hgnn(x, structure), x, cotangent, dhg_hgnn.theta.weight)
    assert_all_close(got, expected[:2] + [expected[2].T])
    unigcn, dhg_unigcn = UniGCNConv(x.shape[1], OUT), dhg.nn.UniGCNConv(x.shape[1], OUT, bias=False, is_last=True)
    dhg_unigcn.theta.weight.data.copy_(unigcn.linear.weight.data)
    assert_all_close(run(lambda x: unigcn(x, hg), x, cotangent, unigcn.linear.weight),
                     run(lambda x: dhg_unigcn(x, structure), x, cotangent, dhg_unigcn.theta.weight))
