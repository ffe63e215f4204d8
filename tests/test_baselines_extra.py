"""The eight extra baselines of ZEN's Table 11 (Appendix F.2): maths against dense formulas, LEGCN's
memory guard and a smoke run of each on Cora; and, for every registered baseline, grids without
duplicates and smoke training through its own ``prepare`` (the rest of the contract: test_baselines)."""

from __future__ import annotations

import csv
import itertools
from importlib import resources

import pytest
import torch

from conftest import dense_incidence, random_hypergraph
from hgbench.baselines import BASELINES, legcn
from hgbench.baselines.graph import normalized_clique_adjacency
from hgbench.baselines.hypernd import nonlinear_diffusion
from hgbench.benchmarks.run import registry
from hgbench.benchmarks.run.plan import expand_grid, schedule
from hgbench.benchmarks.run.runner import Runner
from hgbench.benchmarks.run.store import Store
from hgbench.datasets.base import NodeDataset
from hgbench.datasets.splits import k_shot_split
from hgbench.methods.base import BUDGETS
from hgbench.methods.protocol import ZEN_PROTOCOL, TriPruneProtocol
from hgbench.methods.trainer import TrainedMethod

LABELS = {"sgc": "SGC", "appnp": "APPNP", "ssgc": "SSGC", "lin-unigcnii": "lin UniGCNII",
          "lin-alldeepsets": "lin AllDeepSets", "lin-edhnn": "lin ED-HNN", "legcn": "LEGCN", "hypernd": "HyperND"}
TABLE11 = list(LABELS)
# change how a model is trained, not which model is built (dropout: not in eval mode)
TRAINING_KEYS = ("lr", "epochs", "epoch_step", "dropout", *TriPruneProtocol.defaults)


pytestmark = pytest.mark.usefixtures("one_thread")


def smoke_config(name: str) -> dict:
    """The smoke budget's one configuration over ``name``'s defaults (a smoke job's params)."""
    (config,) = expand_grid(BASELINES[name]().configurations("smoke"))
    return BASELINES[name]().hyperparameters(dict(config))


def with_defaults(name: str, **values) -> dict:
    """``values`` over ``name``'s defaults: the config ``prepare`` and ``build`` get from the runner or trainer."""
    return BASELINES[name]().hyperparameters(values)


def model_input(method: TrainedMethod, data: NodeDataset, split, config: dict) -> NodeDataset:
    """What the trainer builds and trains the model on (after ``prepare`` and ``training_data``)."""
    config = method.hyperparameters(config)
    return method.training_data(data, split, config, method.prepare(data, config))


def accuracy(scores: torch.Tensor, labels: torch.Tensor, nodes: torch.Tensor) -> float:
    return float((scores.argmax(1)[nodes] == labels[nodes]).double().mean())


# ----------------------------------------------------------------------------- registry
def test_registered_with_the_labels_of_table_11():
    table = resources.files("hgbench") / "paper_tables" / "zen_table11_extra_baselines.csv"
    with table.open() as handle:
        paper_labels = {row["method"] for row in csv.DictReader(handle)} - {"ZEN"}
    assert set(LABELS.values()) == paper_labels
    for name, label in LABELS.items():
        cls = BASELINES[name]
        assert issubclass(cls, TrainedMethod) and cls.name == name and cls.label == label
        assert cls.__doc__ and cls.description
        assert registry.method_entry(name).label == label


# ----------------------------------------------------------------------------- maths vs dense formulas
def augmented_clique(hg) -> torch.Tensor:
    h = dense_incidence(hg)
    adjacency = h @ h.T
    adjacency.fill_diagonal_(0)
    adjacency += torch.eye(hg.num_nodes, dtype=torch.float64)
    scale = torch.diag(adjacency.sum(1) ** -0.5)
    return scale @ adjacency @ scale


def test_clique_expansion_operator_is_the_augmented_normalised_adjacency():
    hg = random_hypergraph(0)
    operator = normalized_clique_adjacency(hg)
    torch.testing.assert_close(operator.matrix.to_dense().double(), augmented_clique(hg), rtol=1e-5, atol=1e-6)


def test_sgc_and_ssgc_features_match_their_filters():
    hg = random_hypergraph(1)
    x = torch.randn(hg.num_nodes, 4, dtype=torch.float64)
    data = NodeDataset("toy", hg, x.float(), torch.zeros(hg.num_nodes, dtype=torch.long), 2)
    s = augmented_clique(hg)
    sgc = BASELINES["sgc"]().prepare(data, with_defaults("sgc", layers=2))
    torch.testing.assert_close(sgc.double(), s @ s @ x, rtol=1e-4, atol=1e-5)
    steps, alpha = 16, 0.05  # the official SSGC defaults
    expected = alpha * x + (1 - alpha) / steps * sum(torch.linalg.matrix_power(s, k) @ x for k in range(1, steps + 1))
    torch.testing.assert_close(BASELINES["ssgc"]().prepare(data, with_defaults("ssgc")).double(), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("layers", [1, 2])
def test_linearized_propagations_match_table_1(layers):
    hg = random_hypergraph(2)
    x = torch.randn(hg.num_nodes, 3, dtype=torch.float64)
    data = NodeDataset("toy", hg, x.float(), torch.zeros(hg.num_nodes, dtype=torch.long), 2)
    h = dense_incidence(hg)
    dv, de = h.sum(1), h.sum(0)
    mean_member_degree = (h.T @ dv) / de
    a_mean = torch.diag(1 / dv) @ h @ torch.diag(1 / de) @ h.T
    a_uni = torch.diag(1 / dv) @ h @ torch.diag(1 / mean_member_degree) @ h.T
    alpha = 0.5

    def restart(a):
        power = lambda l: torch.linalg.matrix_power(a, l)  # noqa: E731
        return sum(alpha * (1 - alpha) ** l * power(l) for l in range(layers)) + (1 - alpha) ** layers * power(layers)

    expected = {"lin-unigcnii": restart(a_uni), "lin-alldeepsets": torch.linalg.matrix_power(a_mean, layers),
                "lin-edhnn": restart(a_mean)}
    for name, propagation in expected.items():
        prepared = BASELINES[name]().prepare(data, with_defaults(name, layers=layers))
        torch.testing.assert_close(prepared.double(), propagation @ x, rtol=1e-4, atol=1e-5)


def test_appnp_propagates_mlp_predictions_by_personalised_pagerank():
    hg = random_hypergraph(3)
    data = NodeDataset("toy", hg, torch.randn(hg.num_nodes, 5), torch.zeros(hg.num_nodes, dtype=torch.long), 3)
    torch.manual_seed(0)
    model = BASELINES["appnp"]().build(data, with_defaults("appnp", layers=2, hidden=6)).eval()
    local = data.features.double()
    for linear in model.linears[:-1]:
        local = torch.relu(local @ linear.weight.double().T)
    local = local @ model.linears[-1].weight.double().T
    s, z = augmented_clique(hg), local
    for _ in range(10):
        z = 0.9 * s @ z + 0.1 * local
    torch.testing.assert_close(model(data.features, hg).double(), z, rtol=1e-4, atol=1e-5)


def test_legcn_line_expansion_and_forward_match_dense():
    hg = random_hypergraph(4)
    vertex, edge = hg.nodes, hg.edges
    pairs = (vertex[:, None] == vertex[None, :]).double() + (edge[:, None] == edge[None, :]).double()
    expansion = legcn.line_expansion(hg, activation_width=0)
    torch.testing.assert_close(expansion.adjacency.matrix.to_dense().double(), pairs)
    assert legcn.LineExpansionSize.of(hg).entries == expansion.adjacency.nnz == int((pairs > 0).sum())
    data = NodeDataset("toy", hg, torch.randn(hg.num_nodes, 4), torch.zeros(hg.num_nodes, dtype=torch.long), 3)
    torch.manual_seed(0)
    model = BASELINES["legcn"]().build(data, with_defaults("legcn", layers=1, hidden=8)).eval()
    a = pairs / pairs.sum(1, keepdim=True)
    z = data.features.double()[vertex]
    first, last = model.convs
    z = torch.relu(a @ z @ first.weight.double() + first.bias.double())
    z = a @ z @ last.weight.double() + last.bias.double()
    per_vertex = torch.zeros(hg.num_nodes, z.shape[1], dtype=torch.float64).index_add(0, vertex, z)
    expected = per_vertex / torch.bincount(vertex, minlength=hg.num_nodes).double().unsqueeze(1)
    torch.testing.assert_close(model(data.features, hg).double(), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("p", [1.0, 2.0])
def test_hypernd_step_matches_the_official_operators(p):
    hg = random_hypergraph(5)
    u = torch.rand(hg.num_nodes, 4, dtype=torch.float64) + 0.1
    h = dense_incidence(hg)
    dv_half, de = torch.diag(h.sum(1) ** -0.5), h.sum(0)

    def edge_values(f):
        return 2 * ((h.T @ (dv_half @ f) ** p) / de[:, None]) ** (1 / p)

    def normalised(f):
        return f / (0.5 * (de[:, None] * edge_values(f) ** 2).sum().sqrt())

    alpha, restart = 0.3, normalised(u)
    expected = normalised(alpha * dv_half @ h @ edge_values(restart) + (1 - alpha) * restart)
    torch.testing.assert_close(nonlinear_diffusion(hg, u, alpha, p, steps=1, tolerance=0.0), expected)
    with pytest.raises(ValueError, match="non-negative"):
        nonlinear_diffusion(hg, u - 1, alpha, p=2.0, steps=1, tolerance=0.0)


# ----------------------------------------------------------------------------- grids
@pytest.mark.parametrize("name", BASELINES)
@pytest.mark.parametrize("budget", BUDGETS)
def test_no_two_configurations_build_the_same_model(name, budget, small):
    """Every grid key but the training ones changes the model: an unread ``hidden`` would fail this."""
    method = BASELINES[name]()
    grid = method.configurations(budget)
    assert set(grid) - set(TRAINING_KEYS) == set(method.architecture)
    split = k_shot_split(small.labels, 5, seed=0)
    outputs = {}
    for config in map(method.hyperparameters, map(dict, expand_grid(grid))):
        architecture = tuple((k, v) for k, v in sorted(config.items()) if k not in TRAINING_KEYS)
        if architecture not in outputs:
            data = model_input(method, small, split, config)
            torch.manual_seed(0)
            outputs[architecture] = method.build(data, config).eval()(data.features, data.hypergraph).detach()
    for (a, first), (b, second) in itertools.combinations(outputs.items(), 2):
        assert not torch.allclose(first, second), f"{name}: {a} and {b} build the same model"


# ----------------------------------------------------------------------------- training
@pytest.mark.parametrize("name", BASELINES)
def test_smoke_training_beats_the_majority_class(name, easy):
    split = k_shot_split(easy.labels, 5, seed=0)
    majority = float((easy.labels[split.test] == torch.bincount(easy.labels[split.train]).argmax()).double().mean())
    method, config = BASELINES[name](), smoke_config(name)
    data = model_input(method, easy, split, config)
    torch.manual_seed(0)
    assert method.build(data, config)(data.features, data.hypergraph).shape == (easy.num_nodes, easy.num_classes)
    fitted = method.fit(easy, split, config, seed=0, prepared=None)
    scores = fitted.predict()
    assert scores.shape == (easy.num_nodes, easy.num_classes) and scores.dtype == torch.float32
    assert accuracy(scores, easy.labels, split.test) > majority + 0.2
    if method.protocol is ZEN_PROTOCOL:
        assert set(fitted.diagnostics["val_by_checkpoint"]) == {"10", "20"}


@pytest.mark.parametrize("name", ["sgc", "lin-edhnn"])
def test_runner_prepared_features_give_the_same_run(name, small):
    split = k_shot_split(small.labels, 5, seed=0)
    method, config = BASELINES[name](), smoke_config(name)
    direct = method.fit(small, split, config, seed=1, prepared=None)
    cached = method.fit(small, split, config, seed=1, prepared=method.prepare(small, config))
    assert torch.equal(direct.predict(), cached.predict()) and direct.diagnostics == cached.diagnostics


# ----------------------------------------------------------------------------- LEGCN memory guard
def test_legcn_memory_guard_names_estimate_and_cap(monkeypatch):
    hg = random_hypergraph(6)
    monkeypatch.setenv(legcn.MEMORY_CAP_ENV, "1e-6")
    with pytest.raises(MemoryError, match=r"adjacency entries, estimated peak .* GiB exceeds the cap of 0\.00 GiB"):
        legcn.line_expansion(hg, activation_width=16)
    monkeypatch.setenv(legcn.MEMORY_CAP_ENV, "1")
    assert legcn.line_expansion(hg, activation_width=16).adjacency.nnz == legcn.LineExpansionSize.of(hg).entries


def test_legcn_over_the_cap_is_recorded_as_oom(tmp_path, monkeypatch):
    monkeypatch.setenv(legcn.MEMORY_CAP_ENV, "1e-6")
    store = Store(tmp_path)
    Runner(store).run(schedule(store, "t", ["legcn"], ["synthetic"], "5-shot", 1, budget="smoke"))
    (record,) = store.records("t")
    assert record["status"] == "oom" and "exceeds the cap" in record["reason"]


# ----------------------------------------------------------------------------- real data
@pytest.mark.realdata
def test_smoke_runs_on_cora(real_data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("HGBENCH_DATA", str(real_data_dir))
    store = Store(tmp_path)
    summary = Runner(store).run(schedule(store, "t", TABLE11, ["cora"], "5-shot", 1, budget="smoke"))
    records = store.records("t")
    assert summary.executed == len(TABLE11) == len(records)
    assert {r["method"]: r["status"] for r in records} == dict.fromkeys(TABLE11, "ok"), \
        [r["reason"] for r in records if r["status"] != "ok"]
