"""The channel/embedding-pruning rows of TriPrune's Table 2 (BASELINES.md cards 6, 7, 11 and §0.7's
``channel_prune.py``): slicing equals gating, the deployed artefacts get faster as they shrink, Taylor scores
and Hessian-vector products match finite differences (double backward through the shared hypergraph ops),
HSC's spectral step, SAViT's width search and Shaver's attribution against direct computations."""

from __future__ import annotations


import numpy as np
import pytest
import torch
import torch.nn.functional as F

from hgbench.benchmarks.run.store import Store
from hgbench.baselines.hsc import hypergraph_laplacian, knn_hypergraph, select_channels
from hgbench.baselines.kit.channel_prune import (GatedHGNN, gate_hessian_sums, gated_logits, pretrain, slice_channels,
                                                 taylor_scores, widths)
from hgbench.baselines.kit.deployed import hgnn_flops
from hgbench.baselines.savit import search_widths
from hgbench.baselines.shaver import (base_table, deploy, local_logits, masked_model, prune_mask, sage_values,
                                      self_weight)
from hgbench.baselines.triprune_plain import TriPruneHGNN
from hgbench.datasets.base import NodeDataset, Task
from hgbench.datasets.hypergraph import Hypergraph, inverse_power
from hgbench.datasets.synthetic import SyntheticConfig, generate

from triprune_support import data_and_split, fit, median_cpu_seconds, smoke_params

pytestmark = pytest.mark.usefixtures("one_thread")


def small(seed: int = 3, **kwargs) -> NodeDataset:
    config = dict(num_nodes=60, num_edges=40, num_features=8, num_classes=3, seed=seed)
    return generate(SyntheticConfig(**{**config, **kwargs}))


def backbone(data: NodeDataset, hidden: int = 16, seed: int = 0, dtype=torch.float32):
    torch.manual_seed(seed)
    model = TriPruneHGNN().build(data, {"hidden": hidden, "dropout": 0.5}).to(dtype)
    with torch.no_grad():  # non-zero biases, so that slicing them is tested
        model.first.bias.normal_()
        model.second.bias.normal_()
    return model.eval()


@pytest.fixture(scope="module")
def large():
    """A synthetic hypergraph large enough that a forward's cost is dominated by its widths."""
    return generate(SyntheticConfig(num_nodes=12000, num_edges=3000, num_features=256, num_classes=4, seed=5))


# ----------------------------------------------------------------------------------------- channel_prune.py
def test_the_sliced_model_predicts_as_the_gated_model_with_the_pruned_gates_at_zero():
    data = small()
    model = backbone(data)
    generator = torch.Generator().manual_seed(0)
    keep_hidden = torch.rand(16, generator=generator) < 0.5
    keep_input = torch.rand(8, generator=generator) < 0.6
    gated = GatedHGNN(model, keep_input.float(), keep_hidden.float()).eval()
    sliced = slice_channels(model, keep_hidden, keep_input).eval()
    assert widths(sliced) == (int(keep_input.sum()), int(keep_hidden.sum()), 3)
    with torch.no_grad():
        expected = gated(data.features, data.hypergraph)
        assert torch.allclose(sliced(data.features, data.hypergraph), expected, atol=1e-5)
        # all gates at 1: the unpruned model itself
        assert torch.allclose(GatedHGNN(model).eval()(data.features, data.hypergraph),
                              model(data.features, data.hypergraph), atol=1e-6)
    assert sum(p.numel() for p in sliced.parameters()) < sum(p.numel() for p in model.parameters())
    assert model.first.weight.shape == (8, 16)  # the original is untouched (weights copied)


def test_the_sliced_models_inference_time_falls_with_fewer_channels(large):
    model = backbone(large, hidden=64)
    wide = slice_channels(model, torch.arange(64)).eval()
    narrow = slice_channels(model, torch.arange(12), torch.arange(32)).eval()
    narrow_time, wide_time = median_cpu_seconds([lambda: narrow(large.features, large.hypergraph),
                                                 lambda: wide(large.features, large.hypergraph)])
    assert narrow_time < 0.8 * wide_time


def test_taylor_scores_are_gate_times_gradient_as_finite_differences_give_it():
    data = small()
    model = backbone(data, dtype=torch.float64)
    data = NodeDataset(data.name, data.hypergraph, data.features.double(), data.labels, data.num_classes, data.task)
    batch = torch.arange(0, 40)
    scores_in, scores_hidden = taylor_scores(model, data, [batch])
    assert scores_in.signed.shape == (8,) and scores_hidden.signed.shape == (16,)

    @torch.no_grad()
    def loss(input_gate, hidden_gate):
        logits = gated_logits(model, data.features, data.hypergraph, input_gate, hidden_gate)
        return float(F.cross_entropy(logits[batch], data.labels[batch]))

    eps = 1e-6
    ones_in, ones_hidden = torch.ones(8, dtype=torch.float64), torch.ones(16, dtype=torch.float64)
    for unit in (0, 5):
        step = torch.zeros(16, dtype=torch.float64)
        step[unit] = eps
        direct = (loss(ones_in, ones_hidden + step) - loss(ones_in, ones_hidden - step)) / (2 * eps)
        assert scores_hidden.signed[unit] == pytest.approx(direct, rel=1e-5, abs=1e-9)
        assert scores_hidden.squared[unit] == pytest.approx(direct ** 2, rel=1e-4, abs=1e-12)
    step = torch.zeros(8, dtype=torch.float64)
    step[3] = eps
    direct = (loss(ones_in + step, ones_hidden) - loss(ones_in - step, ones_hidden)) / (2 * eps)
    assert scores_in.signed[3] == pytest.approx(direct, rel=1e-5, abs=1e-9)


@pytest.mark.parametrize("learned_weights", [False, True])
def test_double_backward_through_the_shared_hypergraph_ops_matches_finite_differences(learned_weights):
    """SAViT's Hessian-vector products need second derivatives of ``smooth``, ``v2e`` and ``e2v`` (both the
    cached sparse-operator path and the gather/index_add path of learned membership weights)."""
    hypergraph = Hypergraph(torch.tensor([[0, 1, 2, 1, 3, 4, 0, 4], [0, 0, 0, 1, 1, 1, 2, 2]]), 5)
    generator = torch.Generator().manual_seed(1)
    if learned_weights:
        hypergraph = hypergraph.with_weight(torch.rand(8, generator=generator, dtype=torch.float64) + 0.5)
        hypergraph.weight.requires_grad_(True)
    x = torch.randn(5, 3, generator=generator, dtype=torch.float64)
    v = torch.randn(5, 3, generator=generator, dtype=torch.float64)
    scales = lambda: (inverse_power(hypergraph.node_degree(), 0.5), inverse_power(hypergraph.edge_degree(), 1.0),  # noqa: E731
                      inverse_power(hypergraph.node_degree(), 0.5))

    def f(z):
        smoothed = hypergraph.smooth(z, "hgnn", scales)
        edges = hypergraph.v2e(torch.tanh(smoothed), "mean")
        return torch.sin(hypergraph.e2v(edges * edges, "sum")).sum() + (smoothed ** 3).sum()

    def gradient(z, create_graph=False):
        z = z.clone().requires_grad_(True)
        return torch.autograd.grad(f(z), z, create_graph=create_graph)[0], z

    grad, leaf = gradient(x, create_graph=True)
    hvp = torch.autograd.grad(grad, leaf, grad_outputs=v)[0]
    eps = 1e-5
    finite = (gradient(x + eps * v)[0] - gradient(x - eps * v)[0]) / (2 * eps)
    assert torch.isfinite(hvp).all() and hvp.abs().max() > 1e-3
    assert torch.allclose(hvp, finite, rtol=1e-5, atol=1e-7)


def test_gate_hessian_sums_match_second_differences_of_the_loss():
    data = small()
    model = backbone(data, dtype=torch.float64)
    data = NodeDataset(data.name, data.hypergraph, data.features.double(), data.labels, data.num_classes, data.task)
    batch = torch.arange(10, 50)
    total = gate_hessian_sums(model, data, [batch])
    assert total.shape == (2, 2) and torch.isfinite(total).all() and total.abs().max() > 0
    assert total[0, 1] == pytest.approx(float(total[1, 0]), rel=1e-6)  # a Hessian is symmetric

    @torch.no_grad()
    def loss(s, t):
        logits = gated_logits(model, data.features, data.hypergraph, torch.full((8,), 1.0 + s, dtype=torch.float64),
                              torch.full((16,), 1.0 + t, dtype=torch.float64))
        return float(F.cross_entropy(logits[batch], data.labels[batch]))

    eps = 1e-4
    assert total[0, 0] == pytest.approx((loss(eps, 0) - 2 * loss(0, 0) + loss(-eps, 0)) / eps ** 2, rel=1e-3)
    assert total[1, 1] == pytest.approx((loss(0, eps) - 2 * loss(0, 0) + loss(0, -eps)) / eps ** 2, rel=1e-3)
    cross = (loss(eps, eps) - loss(eps, -eps) - loss(-eps, eps) + loss(-eps, -eps)) / (4 * eps ** 2)
    assert total[0, 1] == pytest.approx(cross, rel=1e-3)


# ----------------------------------------------------------------------------------------- HSC
def test_the_channel_knn_hypergraph_and_its_laplacian_against_a_dense_computation():
    generator = torch.Generator().manual_seed(2)
    descriptors = torch.randn(7, 4, generator=generator, dtype=torch.float64)
    hypergraph = knn_hypergraph(descriptors, 2)
    distances = torch.cdist(descriptors, descriptors).numpy()
    incidence = np.zeros((7, 7))
    incidence[hypergraph.nodes.numpy(), hypergraph.edges.numpy()] = 1
    for channel in range(7):  # hyperedge c = c and its 2 nearest channels
        members = set(np.flatnonzero(incidence[:, channel]))
        assert channel in members and len(members) == 3
        assert members - {channel} == set(np.argsort(distances[channel])[1:3])
    dv, de = incidence.sum(1), incidence.sum(0)
    dense = np.eye(7) - np.diag(dv ** -0.5) @ incidence @ np.diag(1 / de) @ incidence.T @ np.diag(dv ** -0.5)
    assert np.allclose(hypergraph_laplacian(hypergraph), dense)


def test_hsc_keeps_one_channel_per_group_of_similar_channels():
    generator = torch.Generator().manual_seed(4)
    centres = torch.randn(3, 10, generator=generator, dtype=torch.float64) * 5
    group = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2])
    descriptors = centres[group] + 0.01 * torch.randn(12, 10, generator=generator, dtype=torch.float64)
    descriptors = descriptors / descriptors.norm(dim=1, keepdim=True)
    keep, labels = select_channels(descriptors, retention=0.25, k=3, seed=0)
    assert keep.numel() == 3 and sorted(group[keep].tolist()) == [0, 1, 2]
    assert len(set(labels.tolist())) == 3
    assert torch.equal(keep, select_channels(descriptors, retention=0.25, k=3, seed=0)[0])


# ----------------------------------------------------------------------------------------- SAViT
def test_savit_width_search_hits_the_flops_target_at_the_smallest_predicted_increase():
    generator = torch.Generator().manual_seed(5)
    d, h, n, nnz, c = 10, 8, 50, 200, 3
    cost_in = torch.rand(d, generator=generator, dtype=torch.float64).sort().values
    cost_hid = torch.rand(h, generator=generator, dtype=torch.float64).sort().values
    interaction = torch.tensor([[0.5, -0.2], [-0.2, 0.3]], dtype=torch.float64)
    full = hgnn_flops(nnz, n, (d, h, c))
    for target in (0.3, 0.5, 0.7):
        kept_in, kept_hid, value = search_widths(cost_in, cost_hid, interaction, n, nnz, c, target)
        assert 1 - hgnn_flops(nnz, n, (kept_in, kept_hid, c)) / full >= target
        best = None  # brute force: per hidden width, the widest input width meeting the target
        for kh in range(1, h + 1):
            feasible = [kd for kd in range(1, d + 1) if hgnn_flops(nnz, n, (kd, kh, c)) <= (1 - target) * full]
            if not feasible:
                continue
            kd = max(feasible)
            x = np.array([(d - kd) / d, (h - kh) / h])
            objective = cost_in[:d - kd].sum() + cost_hid[:h - kh].sum() + 0.5 * x @ interaction.numpy() @ x
            if best is None or objective < best[2] - 1e-12:
                best = (kd, kh, float(objective))
        assert (kept_in, kept_hid) == best[:2] and value == pytest.approx(best[2])


# ----------------------------------------------------------------------------------------- Shaver
def test_self_weight_is_the_diagonal_of_the_hgnn_operator():
    data = small()
    weight = torch.rand(data.hypergraph.nnz, generator=torch.Generator().manual_seed(0))
    hypergraph = data.hypergraph.with_weight(weight)
    assert torch.allclose(self_weight(hypergraph), hypergraph.hgnn_operator().to_dense().diagonal(), atol=1e-6)


def test_the_local_value_is_exact_for_a_node_without_neighbours():
    """Node 4 lies only in its own singleton hyperedge: holding neighbours fixed is then no approximation."""
    hypergraph = Hypergraph(torch.tensor([[0, 1, 2, 2, 3, 4], [0, 0, 0, 1, 1, 2]]), 5)
    generator = torch.Generator().manual_seed(3)
    x = torch.randn(5, 6, generator=generator)
    data = NodeDataset("tiny", hypergraph, x, torch.tensor([0, 1, 2, 0, 1]), 3, Task.CLASSIFICATION)
    model = backbone(data, hidden=5)
    mask = torch.rand(6, 5, generator=generator) < 0.5
    base = base_table(model.first.weight.detach(), x, "codebook")
    with torch.no_grad():
        out1 = model.first(x, hypergraph)
        hidden = F.relu(out1)
        logits = model.second(hidden, hypergraph)
        masked = masked_model(model, mask, base)(x, hypergraph)
        s = self_weight(hypergraph)
        changed = out1[4] - s[4] * (x[4] @ torch.where(mask, torch.zeros_like(base), model.first.weight - base))
        local = local_logits(changed[None], hidden[4:5], logits[4:5], model.second.weight, s[4:5])
    assert float(s[4]) == pytest.approx(1.0)
    assert torch.allclose(local[0], masked[4], atol=1e-5)


def test_sage_values_of_one_pass_add_up_to_each_samples_loss_change():
    """Permutation sampling telescopes: per sample, its entries' attributions sum to loss(all) - loss(none)."""
    data = small(num_features=6)
    model = backbone(data, hidden=4)
    samples = torch.arange(0, 30)
    base = base_table(model.first.weight.detach(), data.features, "zero")
    values, estimate = sage_values(model, data, samples, base, seed=0, max_passes=1)
    assert estimate["passes"] == 1 and values.shape == (6, 4)
    with torch.no_grad():
        out1 = model.first(data.features, data.hypergraph)
        hidden, logits = F.relu(out1), model(data.features, data.hypergraph)
        s = self_weight(data.hypergraph)
        start = out1 - s[:, None] * (data.features @ model.first.weight)
        empty = local_logits(start[samples], hidden[samples], logits[samples], model.second.weight, s[samples])
    change = F.cross_entropy(logits[samples], data.labels[samples], reduction="sum") - \
        F.cross_entropy(empty, data.labels[samples], reduction="sum")
    assert float(values.sum() * samples.numel()) == pytest.approx(float(change), rel=1e-4, abs=1e-4)
    again, _ = sage_values(model, data, samples, base, seed=0, max_passes=1)
    assert torch.equal(values, again)


@pytest.mark.parametrize("base_kind", ["zero", "codebook"])
def test_shavers_deployed_artefact_predicts_as_the_masked_model(base_kind):
    data = small()
    model = backbone(data)
    values = torch.randn(8, 16, generator=torch.Generator().manual_seed(6))
    values[[1, 4, 6]] = 0.0  # rows never active: pruned first, whole
    mask = prune_mask(values, 0.5)
    assert int((~mask).sum()) == 64 and not mask[[1, 4, 6]].any()
    base = base_table(model.first.weight.detach(), data.features, base_kind)
    masked = masked_model(model, mask, base).eval()
    deployed = deploy(masked)
    with torch.no_grad():
        assert torch.allclose(deployed(data.features, data.hypergraph), masked(data.features, data.hypergraph),
                              atol=1e-5)
    dead = int((~mask.any(1)).sum())
    assert dead >= 3
    assert deployed.first.weight.shape[0] == 8 - dead + (1 if base_kind == "codebook" else 0)


def test_shavers_deployed_artefact_gets_faster_as_whole_rows_are_pruned(large):
    model = backbone(large, hidden=64)
    base = torch.zeros_like(model.first.weight)
    few = torch.ones(256, 64, dtype=torch.bool)
    few[:8] = False
    many = torch.zeros(256, 64, dtype=torch.bool)
    many[:16] = True
    kept_most, kept_few = deploy(masked_model(model, few, base)), deploy(masked_model(model, many, base))
    assert kept_few.first.weight.shape[0] == 16
    few_time, most_time = median_cpu_seconds([lambda: kept_few(large.features, large.hypergraph),
                                              lambda: kept_most(large.features, large.hypergraph)])
    assert few_time < 0.8 * most_time


# ----------------------------------------------------------------------------------------- the rows
@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return Store(tmp_path_factory.mktemp("store"))  # these rows read no earlier run


@pytest.mark.parametrize("name", ["hsc", "savit", "shaver"])
def test_a_rows_fit_deploys_its_pruned_model_and_records_what_it_kept(store, name):
    data, split = data_and_split()
    fitted = fit(name, store, data, split)
    diagnostics = fitted.diagnostics
    deployed = diagnostics["deployed"]
    assert deployed["nnz"] == data.hypergraph.nnz and deployed["parameters"] == diagnostics["num_parameters"]
    assert {row["phase"] for row in fitted.trace} >= {"pretrain"}
    full = hgnn_flops(data.hypergraph.nnz, data.num_nodes, (data.num_features, 64, data.num_classes))
    retention = diagnostics["retention"]
    if name == "hsc":
        assert retention["channels"] <= 0.5 and deployed["flops"] < full
        assert len(diagnostics["kept_channels"]) == round(retention["channels"] * 64)
    elif name == "savit":
        assert diagnostics["flops_removed"] >= 0.5 and deployed["flops"] <= 0.5 * full
        assert {row["phase"] for row in fitted.trace} == {"pretrain", "finetune"}
    else:
        assert diagnostics["table_entries_kept"] == round(0.2 * data.num_features * 64)
        assert deployed["nonzero_parameters"] < deployed["parameters"]


@pytest.mark.parametrize("name", ["hsc", "savit", "shaver"])
def test_without_fine_tuning_a_fit_deploys_exactly_the_masked_pretrained_model(store, name):
    """End to end: the fit's deployed artefact against the masked model rebuilt from the same (seeded) phases."""
    data, split = data_and_split()
    overrides = {"finetune_epochs": 0, **({"max_passes": 1} if name == "shaver" else {})}
    fitted = fit(name, store, data, split, **overrides)
    params = smoke_params(name, **overrides)
    pretrained = pretrain(data, split, params, 0).model
    d, h = data.num_features, 64
    if name == "shaver":
        base = base_table(pretrained.first.weight.detach(), data.features, params["base"])
        values, _ = sage_values(pretrained, data, torch.cat([split.train, split.val]), base, 0, max_passes=1)
        masked = masked_model(pretrained, prune_mask(values, params["sparsity"]), base).eval()
    else:
        hidden_gate = torch.zeros(h).index_fill(0, torch.tensor(fitted.diagnostics["kept_channels"]), 1.0)
        input_gate = torch.ones(d) if name == "hsc" else \
            torch.zeros(d).index_fill(0, torch.tensor(fitted.diagnostics["kept_features"]), 1.0)
        masked = GatedHGNN(pretrained, input_gate, hidden_gate).eval()
    with torch.no_grad():
        assert torch.allclose(fitted.predict(), masked(data.features, data.hypergraph), atol=1e-5)
