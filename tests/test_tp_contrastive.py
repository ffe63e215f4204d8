"""The contrastive rows of TriPrune's Table 2 (BASELINES.md cards 3 and 5) and their shared kit
(``baselines/kit/contrastive.py``): the losses against direct loops on tiny examples, the augmentations'
shapes, determinism and rates, the adaptive temperature against its formula, and that each row's ``predict``
is the deployed encoder + classifier on the clean hypergraph. tests/test_triprune_baselines.py runs the
generic contract (beats the majority class, repeats per seed, never reads test labels) on both."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from hgbench.baselines.allset import SetGNN
from hgbench.baselines.hygcl_adt import HyGCLAdT
from hgbench.baselines.kit.contrastive import (AdaptiveTemperature, BilinearDiscriminator, drop_hyperedges,
                                               drop_incidence, drop_nodes, info_nce, mask_feature_columns,
                                               membership_loss, nonempty_edges, sample_anchors)
from hgbench.baselines.tricl import LinearProbe, TriCL, TriCLClassifier, TriCLEncoder, with_node_loops
from hgbench.datasets.hypergraph import Hypergraph

from conftest import random_hypergraph
from triprune_support import data_and_split, smoke_params

pytestmark = pytest.mark.usefixtures("one_thread")


def _cos(a, b):
    return float(a @ b / (a.norm() * b.norm()))


def _info_nce_loop(z1, z2, tau, anchors, intra):
    def one_way(a, b, i):
        positive = math.exp(_cos(a[i], b[i]) / tau)
        total = sum(math.exp(_cos(a[i], b[j]) / tau) for j in range(len(a)))
        if intra:
            total += sum(math.exp(_cos(a[i], a[j]) / tau) for j in range(len(a)) if j != i)
        return -math.log(positive / total)
    return sum(0.5 * (one_way(z1, z2, i) + one_way(z2, z1, i)) for i in anchors) / len(anchors)


@pytest.mark.parametrize("intra", [True, False])
@pytest.mark.parametrize("anchors", [None, [0, 2, 4], [3]])
def test_info_nce_equals_a_loop_over_a_five_node_example(intra, anchors):
    g = torch.Generator().manual_seed(3)
    z1, z2 = torch.randn(5, 4, generator=g, dtype=torch.float64), torch.randn(5, 4, generator=g, dtype=torch.float64)
    index = None if anchors is None else torch.tensor(anchors)
    got = float(info_nce(z1, z2, 0.7, index, intra_view=intra))
    assert got == pytest.approx(_info_nce_loop(z1, z2, 0.7, anchors or range(5), intra), rel=1e-10)


def test_info_nce_anchor_batches_cost_b_by_n_and_are_drawn_from_the_generator():
    assert torch.equal(sample_anchors(300, torch.Generator()), torch.arange(300))
    first = sample_anchors(5000, torch.Generator().manual_seed(1))
    assert first.numel() == 512 and first.unique().numel() == 512 and int(first.max()) < 5000
    assert torch.equal(first, sample_anchors(5000, torch.Generator().manual_seed(1)))
    z = torch.randn(2000, 8, requires_grad=True)
    info_nce(z, z.detach() + 0.1, 0.5, first[first < 2000]).backward()  # B x n blocks only; gradients flow
    assert torch.isfinite(z.grad).all()


def test_bilinear_discriminator_is_nn_bilinear_and_membership_loss_equals_a_loop():
    g = torch.Generator().manual_seed(0)
    nodes = torch.randn(5, 3, generator=g, dtype=torch.float64)
    edges = torch.randn(4, 2, generator=g, dtype=torch.float64)
    disc = BilinearDiscriminator(3, 2).double()
    reference = F.bilinear(nodes[[0, 1, 4]], edges[[3, 0, 0]], disc.weight.unsqueeze(0), disc.bias).flatten()
    assert torch.allclose(disc(nodes, edges, torch.tensor([0, 1, 4]), torch.tensor([3, 0, 0])), reference)

    index = torch.tensor([[0, 1, 1, 2, 4], [0, 0, 3, 1, 2]])
    tau = 0.6
    got = float(membership_loss(disc, nodes, edges, index, tau, torch.Generator().manual_seed(7)).detach())
    replay = torch.Generator().manual_seed(7)  # the same permutations, drawn in the same order
    edge_perm, node_perm = torch.randperm(4, generator=replay), torch.randperm(5, generator=replay)
    f = lambda v, e: math.exp(torch.sigmoid(nodes[v] @ disc.weight @ edges[e] + disc.bias).item() / tau)  # noqa: E731
    total = 0.0
    for v, e in index.T.tolist():
        positive = f(v, e)
        total += -math.log(positive / (positive + f(v, int(edge_perm[e])))) \
                 - math.log(positive / (positive + f(int(node_perm[v]), e)))
    assert got == pytest.approx(total / index.shape[1], rel=1e-10)


def _big_hypergraph() -> Hypergraph:
    g = torch.Generator().manual_seed(0)
    index = torch.stack([torch.randint(0, 2000, (20000,), generator=g), torch.arange(20000) % 3000])
    return Hypergraph(index, 2000, 3000, edge_context=torch.arange(3000) % 3, context_names=("a", "b", "c"))


def test_augmentations_keep_ids_and_shapes_repeat_per_seed_and_drop_about_the_asked_fraction():
    hg = _big_hypergraph()
    views = {name: fn(hg, 0.3, torch.Generator().manual_seed(5)) for name, fn in
             (("incidence", drop_incidence), ("hyperedges", drop_hyperedges))}
    for name, view in views.items():
        assert (view.num_nodes, view.num_edges, view.context_names) == (hg.num_nodes, hg.num_edges, hg.context_names)
        assert torch.equal(view.edge_context, hg.edge_context)
        assert view.nnz / hg.nnz == pytest.approx(0.7, abs=0.05), name
        again = (drop_incidence if name == "incidence" else drop_hyperedges)(hg, 0.3, torch.Generator().manual_seed(5))
        assert torch.equal(view.index, again.index)
    other = drop_incidence(hg, 0.3, torch.Generator().manual_seed(6))
    assert not torch.equal(other.index, views["incidence"].index)
    # hyperedge dropping removes whole hyperedges; about 30% of them
    dropped = ~nonempty_edges(views["hyperedges"])
    assert dropped.double().mean() == pytest.approx(0.3, abs=0.03)
    assert not dropped[views["hyperedges"].edges].any()
    # protected memberships are never dropped
    protect = hg.edges < 100
    kept = drop_incidence(hg, 0.9, torch.Generator().manual_seed(1), protect=protect)
    assert int((kept.edges < 100).sum()) == int(protect.sum())
    # node dropping removes every membership of the dropped nodes
    view, keep = drop_nodes(hg, 0.25, torch.Generator().manual_seed(2))
    assert keep.shape == (2000,) and (~keep).double().mean() == pytest.approx(0.25, abs=0.03)
    assert keep[view.nodes].all() and view.num_nodes == hg.num_nodes
    assert drop_incidence(hg, 0.0, torch.Generator()).nnz == hg.nnz
    with pytest.raises(ValueError, match="drop rate"):
        drop_incidence(hg, 1.5, torch.Generator())


def test_feature_masking_zeroes_whole_columns_at_the_asked_rate_and_repeats():
    x = torch.rand(50, 2000) + 0.1
    masked = mask_feature_columns(x, 0.4, torch.Generator().manual_seed(0))
    zero = (masked == 0).all(0)
    assert masked.shape == x.shape and torch.equal(masked[:, ~zero], x[:, ~zero])
    assert zero.double().mean() == pytest.approx(0.4, abs=0.03)
    assert torch.equal(masked, mask_feature_columns(x, 0.4, torch.Generator().manual_seed(0)))


def test_the_adaptive_temperature_follows_its_formula():
    def uniformity(z):
        pairs = [(i, j) for i in range(len(z)) for j in range(i + 1, len(z))]
        return math.log(sum(math.exp(-2 * float((z[i] - z[j]).pow(2).sum())) for i, j in pairs) / len(pairs))

    za = torch.tensor([[0.0, 0.0], [0.3, 0.4], [0.1, -0.2]])
    zb = torch.tensor([[0.2, 0.1], [0.0, 0.5], [-0.3, 0.0], [0.1, 0.1]])
    temperature = AdaptiveTemperature(tau=1.0, floor=0.5, eta=0.1, rho=0.7)
    ua, ub = uniformity(za), uniformity(zb)
    assert AdaptiveTemperature.uniformity_of(za) == pytest.approx(ua, rel=1e-6)
    g1 = 1 / -ua
    assert temperature.step(za) == pytest.approx(1.0 - 0.1 * g1, rel=1e-6)
    g2 = 0.7 * g1 + 1 / -ub
    assert temperature.step(zb) == pytest.approx(1.0 - 0.1 * g1 - 0.1 * g2, rel=1e-6)
    assert temperature.grad == pytest.approx(g2, rel=1e-6) and temperature.updates == 2
    # below the floor it stops moving
    temperature.tau = 0.49
    assert temperature.step(za) == 0.49 and temperature.updates == 2
    # a single row (no pair) adds nothing to g
    single = AdaptiveTemperature(tau=1.0, eta=0.1)
    assert single.step(za[:1]) == 1.0 and single.grad == 0.0


def test_tricl_predict_is_the_encoder_and_probe_on_the_clean_hypergraph():
    data, split = data_and_split()
    method = TriCL()
    params = smoke_params("tricl", epochs=4)
    fitted = method.fit(data, split, params, 0, method.prepare(data, params))
    hidden = int(params["hidden"])
    deployed = TriCLClassifier(TriCLEncoder(data.num_features, hidden, int(params["layers"])),
                               LinearProbe(hidden, data.num_classes))
    deployed.load_state_dict(fitted.state)
    deployed.eval()
    loops = with_node_loops(data.hypergraph)
    assert loops.num_edges == data.hypergraph.num_edges + data.num_nodes
    with torch.no_grad():
        expected = deployed(data.features, loops)
    scores = fitted.predict()
    assert torch.equal(scores, expected) and torch.equal(scores, fitted.predict())
    assert fitted.diagnostics["num_parameters"] == sum(p.numel() for p in deployed.parameters())
    phases = [row["phase"] for row in fitted.trace]
    assert phases[:4] == ["pretrain"] * 4 and set(phases[4:]) == {"probe"}
    assert {"loss_node", "loss_group", "loss_membership"} <= set(fitted.trace[0])


def test_hygcl_predict_is_the_classifier_on_the_clean_hypergraph_and_logs_the_temperature():
    data, split = data_and_split()
    method = HyGCLAdT()
    params = smoke_params("hygcl-adt", epochs=6, patience=6)
    fitted = method.fit(data, split, params, 0, method.prepare(data, params))
    net = SetGNN(data.num_features, int(params["hidden"]), data.num_classes, 1, False, int(params["heads"]),
                 float(params["dropout"]), float(params["input_dropout"]), int(params["mlp_layers"]),
                 int(params["classifier_layers"]))
    net.load_state_dict(fitted.state)
    net.eval()
    with torch.no_grad():
        expected = net(data.features, data.hypergraph.with_self_loops())
    assert torch.equal(fitted.predict(), expected)
    taus = [row["tau"] for row in fitted.trace]
    assert len(taus) == 6 and all(a > b for a, b in zip(taus, taus[1:])) and taus[0] < float(params["t0"])
    assert all(row["uniformity"] < 0 and row["loss_node"] > 0 and row["loss_comm"] > 0 for row in fitted.trace)
    steps = fitted.diagnostics["steps_per_epoch"]
    assert fitted.diagnostics["tau_updates"] == 4 * steps * 6  # four directed InfoNCE calls per step


def test_self_loops_are_protected_by_both_rows():
    hg = random_hypergraph(0)
    loops = with_node_loops(hg)
    view = drop_incidence(loops, 1.0, torch.Generator(), protect=loops.edges >= hg.num_edges)
    assert view.nnz == hg.num_nodes and bool((view.node_degree() == 1).all())


def test_allset_deepsets_mean_reduction_against_a_dense_computation():
    from hgbench.baselines.allset import DeepSetsHalf
    from conftest import dense_incidence

    hg = random_hypergraph(1)
    x = torch.randn(hg.num_nodes, 5, generator=torch.Generator().manual_seed(0))
    half = DeepSetsHalf(5, 8, 8, "v2e", mlp_layers=1, dropout=0.0, reduce="mean").eval()
    h = dense_incidence(hg).float()
    with torch.no_grad():
        expected = F.relu(half.decoder((h.T @ F.relu(half.encoder(x))) / h.sum(0, keepdim=True).T))
        assert torch.allclose(half(x, hg), expected, atol=1e-5)
        half.reduce = "sum"
        assert torch.allclose(half(x, hg), F.relu(half.decoder(h.T @ F.relu(half.encoder(x)))), atol=1e-5)
