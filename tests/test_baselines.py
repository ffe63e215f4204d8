"""The shared trainer and the contract every baseline keeps (fast: small synthetic hypergraphs).

The contract tests run on every baseline in :data:`hgbench.baselines.BASELINES`, so a new one is
tested as soon as it is registered; a few tests check one model's maths or the trainer's rules.
"""

from __future__ import annotations

import dataclasses
import itertools

import pytest
import torch

from hgbench.baselines import BASELINES, PROBES, ops
from hgbench.benchmarks.run.registry import method_entry
from hgbench.benchmarks.suites.zen import TABLE3_BASELINES, TABLE11_BASELINES
from hgbench.baselines.hgnn import HypergraphConv
from hgbench.baselines.hnhn import hnhn_normalisation
from hgbench.datasets.base import NodeDataset
from hgbench.datasets.hypergraph import Hypergraph
from hgbench.datasets.splits import Split, k_shot_split
from hgbench.datasets.synthetic import SyntheticConfig, generate
from hgbench.methods.base import Diverged, TimedOut, time_limit
from hgbench.methods.protocol import ZEN_PROTOCOL, checkpoint_epochs
from hgbench.methods.trainer import TrainedMethod

NAMES = list(BASELINES)  # every registered baseline: a new one is tested without editing this file
QUICK = {"lr": 1e-2, "layers": 2, "hidden": 16, "epochs": 30, "epoch_step": 10}


def config(name: str, **values) -> dict:
    """The first configuration of ``name``'s smoke grid (its protocol's keys too), overridden by ``values``,
    over its defaults (what the trainer passes to ``build``)."""
    method = BASELINES[name]()
    return method.hyperparameters({**{key: grid[0] for key, grid in method.configurations("smoke").items()}, **values})


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def hard() -> NodeDataset:
    """Hard enough at lr 1e-3 that validation accuracy still moves after epoch 25 (for some models)."""
    return generate(SyntheticConfig(num_nodes=300, num_edges=150, num_features=16, num_classes=4,
                                    homophily=0.8, noise=1.0, seed=3))


def test_registry_is_a_flat_name_to_class_dict():
    assert set(TABLE3_BASELINES) | set(TABLE11_BASELINES) <= set(BASELINES)  # the paper suites' baselines
    for name, cls in BASELINES.items():
        assert issubclass(cls, TrainedMethod) and cls.name == name
        assert cls.__doc__ and cls.description
        assert method_entry(name).factory is cls


def test_budgets():
    method = BASELINES["hnhn"]()
    count = lambda grid: len(list(itertools.product(*grid.values())))  # noqa: E731
    full = method.configurations("full")
    assert full == method.search_space
    assert full["lr"] == [1e-2, 1e-3, 1e-4] and full["layers"] == [1, 2] and full["hidden"] == [64, 128, 256]
    assert count(full) == 18 and checkpoint_epochs(full["epochs"][0], full["epoch_step"][0]) == [50, 100, 150, 200]
    assert count(method.configurations("reduced")) == 4
    smoke = method.configurations("smoke")
    assert count(smoke) == 1 and smoke["epochs"] == [20]
    with pytest.raises(ValueError):
        method.configurations("huge")
    assert checkpoint_epochs(45, 20) == [20, 40, 45]


def _base_of(probe: type) -> type:
    return next(cls for cls in BASELINES.values() if issubclass(probe, cls))


@pytest.mark.parametrize("name", PROBES)
def test_a_probe_is_compared_with_its_baselines_paper_row(name):
    entry = method_entry(name)
    assert entry.paper_row == method_entry(_base_of(PROBES[name]).name).label != entry.label


SELECTION_ONLY = {"selection_ties", "stop_on"}  # probes changing only these select differently (tests below)


def _changed(probe: type) -> set[str]:
    base = _base_of(probe)
    return {key for key, value in probe.defaults.items() if base.defaults.get(key) != value}


@pytest.mark.parametrize("name", [name for name, probe in PROBES.items() if not _changed(probe) <= SELECTION_ONLY])
def test_a_probe_changes_its_baselines_network(name, small):
    outputs = []
    for cls in (_base_of(PROBES[name]), PROBES[name]):
        torch.manual_seed(0)
        method = cls()
        outputs.append(method.build(small, method.hyperparameters({"layers": 2, "hidden": 16})).train()(
            small.features, small.hypergraph))
    assert outputs[1].shape == (small.num_nodes, small.num_classes) and not torch.allclose(*outputs)


def test_last_tie_rule_keeps_the_last_epoch_at_the_best_validation_score(easy):
    split = k_shot_split(easy.labels, 5, seed=0)  # 15 validation nodes: the score saturates
    config = {"lr": 1e-2, "hidden": 16, "epochs": 60, "epoch_step": 20}
    first, last = (BASELINES["hgnn"]().fit(easy, split, {**config, "selection_ties": ties}, seed=0).diagnostics
                   for ties in ("first", "last"))
    assert first["val_selected"] == last["val_selected"]
    assert first["selected_epoch"] < last["selected_epoch"] and last["selected_checkpoint"] == 60
    assert last["epoch_by_checkpoint"]["60"] == last["selected_epoch"]
    with pytest.raises(ValueError, match="selection_ties"):
        BASELINES["hgnn"]().fit(easy, split, {**config, "selection_ties": "middle"}, seed=0)


@pytest.mark.parametrize("name", ["hgnn", "hcha", "unigcn"])
def test_grids_drop_layers_where_layers_one_and_two_build_the_same_network(name, small):
    method = BASELINES[name]()
    assert "layers" not in method.configurations("full") and method.configurations("full")["hidden"] == [64, 128, 256]
    assert len(list(itertools.product(*method.configurations("full").values()))) == 9
    outputs = []
    for config in ({"hidden": 16}, {"hidden": 16, "layers": 1}, {"hidden": 16, "layers": 2}):
        torch.manual_seed(0)
        outputs.append(method.build(small, method.hyperparameters(config)).eval()(small.features, small.hypergraph))
    assert all(torch.equal(outputs[0], out) for out in outputs[1:])


# ----------------------------------------------------------------------------- models
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("layers", [1, 2])
def test_forward_shape(name, layers, small):
    torch.manual_seed(0)
    model = BASELINES[name]().build(small, config(name, lr=1e-2, layers=layers, hidden=16))
    out = model(small.features, small.hypergraph)
    assert out.shape == (small.num_nodes, small.num_classes)
    assert torch.isfinite(out).all()
    out.sum().backward()  # every parameter is reachable
    assert all(p.grad is not None for p in model.parameters())


@pytest.mark.parametrize("name", NAMES)
def test_forward_with_soft_mask(name, small):
    weight = torch.rand(small.hypergraph.nnz, generator=torch.Generator().manual_seed(0))
    masked = dataclasses.replace(small, hypergraph=small.hypergraph.with_weight(weight))
    torch.manual_seed(0)
    model = BASELINES[name]().build(masked, config(name, lr=1e-2, layers=2, hidden=16)).eval()
    out = model(masked.features, masked.hypergraph)
    assert out.shape == (small.num_nodes, small.num_classes) and torch.isfinite(out).all()


def test_hgnn_and_hcha_convolutions_match_their_matrices(small):
    hg = small.hypergraph
    torch.manual_seed(0)
    x = torch.randn(hg.num_nodes, 5)
    h = hg.incidence_matrix().to_dense()
    dv, de = h.sum(1), h.sum(0)
    for symmetric, operator in [
        (True, torch.diag(dv ** -0.5) @ h @ torch.diag(1 / de) @ h.T @ torch.diag(dv ** -0.5)),
        (False, torch.diag(1 / dv) @ h @ torch.diag(1 / de) @ h.T),
    ]:
        conv = HypergraphConv(5, 3, symmetric)
        with torch.no_grad():
            conv.bias.normal_()
        expected = operator @ x @ conv.weight + conv.bias
        torch.testing.assert_close(conv(x, hg), expected, rtol=1e-4, atol=1e-5)
    sparse = hg.hgnn_operator().to_dense()
    torch.testing.assert_close(sparse, torch.diag(dv ** -0.5) @ h @ torch.diag(1 / de) @ h.T @ torch.diag(dv ** -0.5))


def test_hnhn_normalisation_is_a_weighted_mean(small):
    hg = small.hypergraph
    h = hg.incidence_matrix().to_dense()
    dv, de = h.sum(1), h.sum(0)
    alpha, beta = -1.5, -0.5
    dv_beta, inv_d_e_beta, de_alpha, inv_d_v_alpha = hnhn_normalisation(hg, alpha, beta)
    torch.testing.assert_close(inv_d_e_beta.flatten(), 1 / (h.T @ dv ** beta))
    torch.testing.assert_close(inv_d_v_alpha.flatten(), 1 / (h @ de ** alpha))
    # v -> e then e -> v with these factors: rows of both operators sum to one
    v2e = torch.diag(inv_d_e_beta.flatten()) @ h.T @ torch.diag(dv_beta.flatten())
    e2v = torch.diag(inv_d_v_alpha.flatten()) @ h @ torch.diag(de_alpha.flatten())
    torch.testing.assert_close(v2e.sum(1), torch.ones(hg.num_edges))
    torch.testing.assert_close(e2v.sum(1), torch.ones(hg.num_nodes))
    _, raw_e, _, raw_v = hnhn_normalisation(hg, alpha, beta, raw_sums=True)  # ED-HNN's variant
    torch.testing.assert_close(raw_e.flatten(), 1 / (h.T @ dv))
    torch.testing.assert_close(raw_v.flatten(), 1 / (h @ de))


def test_ops_agree_with_hypergraph_aggregation(small):
    weight = torch.rand(small.hypergraph.nnz, generator=torch.Generator().manual_seed(1))
    for hg in (small.hypergraph, small.hypergraph.with_weight(weight)):
        x = torch.randn(hg.num_nodes, 4)
        y = torch.randn(hg.num_edges, 4)
        for reduce in ("sum", "mean"):
            torch.testing.assert_close(ops.incidence_to_edges(hg, ops.gather_nodes(hg, x), reduce), hg.v2e(x, reduce))
            torch.testing.assert_close(ops.incidence_to_nodes(hg, ops.gather_edges(hg, y), reduce), hg.e2v(y, reduce))


def test_segment_softmax():
    segment = torch.tensor([0, 0, 2, 2, 2, 3])
    scores = torch.tensor([[1.0, 0.0], [2.0, 0.0], [0.5, 1e4], [0.5, 0.0], [-1.0, 0.0], [7.0, 7.0]],
                          dtype=torch.float64, requires_grad=True)
    out = ops.segment_softmax(scores, segment, 4)
    for s in (0, 2, 3):
        torch.testing.assert_close(out[segment == s], torch.softmax(scores[segment == s], 0))
    assert torch.isfinite(out).all()
    assert torch.autograd.gradcheck(lambda z: ops.segment_softmax(z, segment, 4), (scores.detach().requires_grad_(),))


# ----------------------------------------------------------------------------- training protocol
def _accuracy(scores: torch.Tensor, labels: torch.Tensor, nodes: torch.Tensor) -> float:
    return float((scores.argmax(1)[nodes] == labels[nodes]).double().mean())


@pytest.mark.parametrize("name", NAMES)
def test_training_beats_majority_class(name, easy):
    split = k_shot_split(easy.labels, 5, seed=0)
    majority = _accuracy(torch.nn.functional.one_hot(torch.bincount(easy.labels[split.train]).argmax(), 3)
                         .float().expand(easy.num_nodes, 3), easy.labels, split.test)
    fitted = BASELINES[name]().fit(easy, split, config(name, lr=1e-2, layers=2, hidden=32, epochs=60, epoch_step=20,
                                                       patience=60), seed=0, prepared=None)
    scores = fitted.predict()
    assert scores.shape == (easy.num_nodes, easy.num_classes) and scores.dtype == torch.float32
    assert _accuracy(scores, easy.labels, split.test) > majority + 0.2
    d = fitted.diagnostics
    assert d["val_metric"] == "accuracy" and 1 <= d["selected_epoch"] <= 60
    if BASELINES[name].protocol is ZEN_PROTOCOL:
        assert set(d["val_by_checkpoint"]) == {"20", "40", "60"} and d["selected_epoch"] <= d["selected_checkpoint"]
        assert d["val_selected"] == max(d["val_by_checkpoint"].values())


@pytest.mark.parametrize("name", NAMES)
def test_selection_never_reads_test_labels(name, small):
    split = k_shot_split(small.labels, 5, seed=1)
    hidden_labels = small.labels.clone()
    hidden_labels[split.test] = -1
    shuffled_labels = small.labels.clone()
    shuffled_labels[split.test] = small.labels[split.test][torch.randperm(split.test.numel())]
    shuffled_labels[split.test[:5]] = (small.labels[split.test[:5]] + 1) % small.num_classes
    runs = []
    for labels in (small.labels, hidden_labels, shuffled_labels):
        data = dataclasses.replace(small, labels=labels)
        fitted = BASELINES[name]().fit(data, split, config(name, **QUICK), seed=3, prepared=None)
        runs.append((fitted.diagnostics, fitted.predict()))
    for diagnostics, scores in runs[1:]:
        assert diagnostics == runs[0][0]
        assert torch.equal(scores, runs[0][1])


@pytest.mark.parametrize("name", NAMES)
def test_non_finite_loss_raises_diverged(name, small):
    split = k_shot_split(small.labels, 5, seed=0)
    features = small.features.clone()
    features[split.train[0], 0] = float("inf")
    features[split.train[1], 0] = float("-inf")
    broken = dataclasses.replace(small, features=features)
    with pytest.raises(Diverged, match="at epoch 1"):
        BASELINES[name]().fit(broken, split, config(name, **QUICK), seed=0, prepared=None)


# A network with hidden layers overflows at a huge learning rate; a linear classifier on fixed features need not.
@pytest.mark.parametrize("name", [name for name, cls in BASELINES.items() if "hidden" in cls.architecture])
def test_huge_learning_rate_raises_diverged(name, small):
    split = k_shot_split(small.labels, 5, seed=0)
    with pytest.raises(Diverged, match=r"loss became nan at epoch \d+"):
        BASELINES[name]().fit(small, split, config(name, **{**QUICK, "lr": 1e20, "patience": 30}), seed=0,
                              prepared=None)


def test_time_limit_raises_timed_out(small):
    split = k_shot_split(small.labels, 5, seed=0)
    with time_limit(0), pytest.raises(TimedOut):
        BASELINES["hgnn"]().fit(small, split, QUICK, seed=0, prepared=None)


def test_seed_determines_the_run(small):
    split = k_shot_split(small.labels, 5, seed=0)
    method = BASELINES["edhnn"]()
    a, b, c = (method.fit(small, split, QUICK, seed=s, prepared=None) for s in (4, 4, 5))
    assert torch.equal(a.predict(), b.predict()) and a.diagnostics == b.diagnostics
    assert not torch.equal(a.predict(), c.predict())


@pytest.mark.parametrize("name", ["hgnn", "hnhn", "edhnn", "allsettransformer"])
def test_checkpoints_equal_separate_runs(name, hard):
    """Epochs as checkpoints == the grid with epochs in {25, 50} as a hyperparameter (brute force).

    With this data and seed, HGNN, ED-HNN and AllSetTransformer select a later epoch at 50 than at
    25 and HNHN ties (same epoch at both checkpoints), so both branches of the rule are exercised.
    """
    split = k_shot_split(hard.labels, 10, seed=2)
    method = BASELINES[name]()
    base = {"lr": 1e-3, "layers": 2, "hidden": 16}
    checkpointed = method.fit(hard, split, {**base, "epochs": 50, "epoch_step": 25}, seed=7, prepared=None)
    separate = {e: method.fit(hard, split, {**base, "epochs": e, "epoch_step": e}, seed=7, prepared=None)
                for e in (25, 50)}
    d = checkpointed.diagnostics
    for e, run in separate.items():
        assert d["epoch_by_checkpoint"][str(e)] == run.diagnostics["selected_epoch"]
        assert d["val_by_checkpoint"][str(e)] == run.diagnostics["val_selected"]
    # the grid's choice: best validation, ties to the smaller number of epochs
    best = max((25, 50), key=lambda e: separate[e].diagnostics["val_selected"])
    assert d["selected_checkpoint"] == best
    assert d["selected_epoch"] == separate[best].diagnostics["selected_epoch"]
    assert torch.equal(checkpointed.predict(), separate[best].predict())


def test_without_validation_nodes_the_last_epoch_is_kept(small):
    split = k_shot_split(small.labels, 5, seed=0)
    no_val = Split(split.protocol, split.seed, split.train, torch.empty(0, dtype=torch.long), split.test)
    d = BASELINES["hgnn"]().fit(small, no_val, QUICK, seed=0, prepared=None).diagnostics
    assert d["selected_epoch"] == QUICK["epochs"] and d["val_metric"] is None


def test_ordinal_task_selects_on_mae():
    data = generate(SyntheticConfig(num_nodes=120, num_edges=80, num_features=8, num_classes=4, task="ordinal"))
    split = k_shot_split(data.labels, 5, seed=0)
    d = BASELINES["unigcnii"]().fit(data, split, QUICK, seed=0, prepared=None).diagnostics
    assert d["val_metric"] == "mae"
    assert d["val_selected"] == min(d["val_by_checkpoint"].values())


def test_missing_configuration_key_is_a_clear_error(small):
    split = k_shot_split(small.labels, 5, seed=0)
    with pytest.raises(KeyError, match="hidden"):
        BASELINES["hgnn"]().fit(small, split, {"lr": 1e-2, "layers": 2}, seed=0, prepared=None)


def test_hypergraph_without_self_loops_is_accepted():
    index = torch.tensor([[0, 1, 2, 2, 3], [0, 0, 0, 1, 1]])
    hg = Hypergraph(index, num_nodes=5)  # node 4 is isolated
    data = NodeDataset("tiny", hg, torch.randn(5, 3), torch.tensor([0, 1, 0, 1, 0]), 2)
    for name, cls in BASELINES.items():
        torch.manual_seed(0)
        out = cls().build(data, config(name, lr=1e-2, layers=2, hidden=8)).eval()(data.features, hg)
        assert torch.isfinite(out).all(), name


@pytest.mark.parametrize("mlp_layers, input_norm", [(1, True), (2, True), (2, False)])
def test_first_layer_on_memberships_equals_the_layer_on_formed_pairs(small, mlp_layers, input_norm):
    """ED-HNN's rho (input LayerNorm) and HSL's incidence scorer (none): per-node and per-hyperedge products ==
    the MLP's first layer on every membership's [x_v, m_e]."""
    from hgbench.baselines.mlp import MLP

    torch.manual_seed(0)
    mlp = MLP(16, 8, 8, mlp_layers, 0.5, norm=True, input_norm=input_norm)
    if input_norm:
        with torch.no_grad():
            mlp.input_norm.weight.uniform_(0.5, 1.5), mlp.input_norm.bias.uniform_(-0.5, 0.5)
    hypergraph = small.hypergraph
    nodes = (torch.randn(hypergraph.num_nodes, 8) + 0.5).requires_grad_()
    edges = torch.randn(hypergraph.num_edges, 8).requires_grad_()
    inputs = (nodes, edges, *mlp.parameters())
    pairs = torch.cat([ops.gather_nodes(hypergraph, nodes), ops.gather_edges(hypergraph, edges)], dim=-1)
    direct = mlp.first(pairs)
    factorised = mlp.first_on_memberships(nodes, edges, hypergraph)
    torch.testing.assert_close(factorised, direct, rtol=1e-5, atol=1e-5)
    cotangent = torch.randn_like(direct)
    for a, b in zip(torch.autograd.grad(factorised, inputs, cotangent, allow_unused=True),
                    torch.autograd.grad(direct, inputs, cotangent, allow_unused=True)):
        assert (a is None) == (b is None)
        if a is not None:
            torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("weighted", [False, True])
def test_mean_of_a_one_layer_rho_equals_the_mean_of_its_messages(small, weighted):
    """ED-HNN's hyperedge -> node step with a one-layer rho: three per-membership scalars and a CSR product ==
    the (weighted) mean over each node's memberships of rho on the formed pairs, values and gradients; a node
    without memberships gets 0 either way."""
    from hgbench.baselines.edhnn import mean_of_affine_rho
    from hgbench.baselines.mlp import MLP
    from hgbench.datasets.hypergraph import Hypergraph

    torch.manual_seed(0)
    rho = MLP(16, 8, 8, 1, 0.5, norm=True, input_norm=True)
    with torch.no_grad():
        rho.input_norm.weight.uniform_(0.5, 1.5), rho.input_norm.bias.uniform_(-0.5, 0.5)
    base = small.hypergraph
    hypergraph = Hypergraph(base.index, base.num_nodes + 1, base.num_edges)  # the last node has no membership
    if weighted:
        hypergraph = hypergraph.with_weight(torch.rand(hypergraph.nnz, generator=torch.Generator().manual_seed(1)))
    nodes = (torch.randn(hypergraph.num_nodes, 8) + 0.5).requires_grad_()
    edges = torch.randn(hypergraph.num_edges, 8).requires_grad_()
    inputs = (nodes, edges, *rho.parameters())
    pairs = torch.cat([ops.gather_nodes(hypergraph, nodes), ops.gather_edges(hypergraph, edges)], dim=-1)
    direct = ops.incidence_to_nodes(hypergraph, rho(pairs), "mean")
    folded = mean_of_affine_rho(rho, nodes, edges, hypergraph)
    torch.testing.assert_close(folded, direct, rtol=1e-5, atol=1e-5)
    assert folded[-1].abs().max() == 0
    cotangent = torch.randn_like(direct)
    for a, b in zip(torch.autograd.grad(folded, inputs, cotangent), torch.autograd.grad(direct, inputs, cotangent)):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("mlp_layers", [1, 2])  # rho folded into the mean (one layer), or formed per membership
def test_edhnn_trains_alike_with_and_without_the_pair_factorisation(small, monkeypatch, mlp_layers):
    from hgbench.baselines import edhnn

    method = BASELINES["edhnn"]()
    config = method.hyperparameters({"lr": 1e-2, "layers": 2, "hidden": 16, "dropout": 0.0,
                                     "mlp_layers": mlp_layers})
    outputs = []
    for threshold in (0, 1 << 62):  # factorised everywhere, then nowhere
        monkeypatch.setattr(edhnn, "FACTORISED_FROM", threshold)
        torch.manual_seed(0)
        model = method.build(small, config)
        optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
        for _ in range(3):
            optimiser.zero_grad()
            torch.nn.functional.cross_entropy(model(small.features, small.hypergraph), small.labels).backward()
            optimiser.step()
        outputs.append(model.eval()(small.features, small.hypergraph).detach())
    torch.testing.assert_close(*outputs, rtol=1e-4, atol=1e-5)
