"""The structure-pruning rows of TriPrune's Table 2 (BASELINES.md cards 6B, 8-10) and their shared helpers:
the mask samplers against their formulas, the structural scores against dense computations, RandHE reading
TriPrune's retention, every deployed (compacted) artefact against its masked model, and its inference time
falling with its retention. The generic contract (tests/test_triprune_baselines.py) runs them too."""

from __future__ import annotations

import math

import pytest
import torch
from sklearn.model_selection import ParameterGrid

from conftest import dense_incidence, random_hypergraph
from hgbench.baselines import TRIPRUNE_BASELINES
from hgbench.baselines.adaglt import LayerwiseHGNN, TicketSearch, fold_tickets, initial_threshold, selection_key
from hgbench.baselines.hgnn_struct import clustering_scores, shared_edges, spectral_energy
from hgbench.baselines.hsl import AllSetBackbone, HSLModel, deploy, weighted_softmax
from hgbench.baselines.kit import masks
from hgbench.baselines.kit.structure import hgnn, top_fraction_per_context
from hgbench.baselines.randhe import RandHE, random_hyperedges
from hgbench.datasets.hypergraph import Hypergraph
from hgbench.datasets.synthetic import SyntheticConfig, generate
from hgbench.methods.base import MissingDependency, reading_runs
from hgbench.methods.triprune.method import TriPrune

from hgbench.benchmarks.run.plan import StoreRuns, schedule
from hgbench.benchmarks.run.runner import Runner
from hgbench.benchmarks.run.store import Store
from triprune_support import DATASET, PROTOCOL, data_and_split, median_cpu_seconds, smoke_params

pytestmark = pytest.mark.usefixtures("one_thread")
FAST = {"epochs": 3, "patience": 3}


# ----------------------------------------------------------------------------- masks.py
def _uniform(seed: int, shape) -> torch.Tensor:
    return torch.rand(shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64).clamp(
        masks.EPS, 1 - masks.EPS).float()


def test_straight_through_and_binary_step_forward_and_gradients():
    soft = torch.tensor([0.2, 0.5, 0.7, 0.9], requires_grad=True)
    hard = masks.straight_through(soft)
    assert hard.tolist() == [0.0, 0.0, 1.0, 1.0]
    (hard * torch.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    assert soft.grad.tolist() == [1.0, 2.0, 3.0, 4.0]  # identity backward
    x = torch.tensor([-1.5, -0.6, -0.2, 0.0, 0.3, 0.5, 2.0], requires_grad=True)
    out = masks.binary_step(x)
    assert out.tolist() == [0, 0, 0, 0, 1, 1, 1]
    out.sum().backward()
    expected = [0.0, 0.4, 2 - 0.8, 2.0, 2 - 1.2, 0.4, 0.0]
    assert torch.allclose(x.grad, torch.tensor(expected))


def test_relaxed_bernoulli_is_the_binary_concrete_formula():
    logits = torch.tensor([-2.0, -0.5, 0.0, 1.0, 3.0], requires_grad=True)
    sample = masks.relaxed_bernoulli(logits, 0.5, torch.Generator().manual_seed(7))
    u = _uniform(7, (5,))
    expected = torch.sigmoid((logits.detach() + torch.log(u) - torch.log(1 - u)) / 0.5)
    assert torch.allclose(sample.detach(), expected, atol=1e-6)
    assert torch.equal(sample, masks.relaxed_bernoulli(logits, 0.5, torch.Generator().manual_seed(7)))
    hard = masks.relaxed_bernoulli(logits, 0.5, torch.Generator().manual_seed(7), hard=True)
    assert torch.equal(hard.detach(), (expected > 0.5).float())
    hard.sum().backward()  # the straight-through gradient is the soft sample's
    soft_grad = logits.grad.clone()
    logits.grad = None
    masks.relaxed_bernoulli(logits, 0.5, torch.Generator().manual_seed(7)).sum().backward()
    assert torch.allclose(soft_grad, logits.grad)


def test_hard_concrete_and_its_l0_term_follow_louizos_et_al():
    log_alpha = torch.linspace(-4, 4, 9)
    gate = masks.hard_concrete(log_alpha, torch.Generator().manual_seed(3), beta=0.6)
    u = _uniform(3, (9,))
    s = torch.sigmoid((torch.log(u) - torch.log(1 - u) + log_alpha) / 0.6)
    assert torch.allclose(gate, (s * 1.2 - 0.1).clamp(0, 1), atol=1e-6)
    deterministic = masks.hard_concrete(log_alpha, None)
    assert torch.allclose(deterministic, (torch.sigmoid(log_alpha) * 1.2 - 0.1).clamp(0, 1))
    assert deterministic[0] == 0 and deterministic[-1] == 1
    hsl_gate = masks.hard_concrete(log_alpha, None, beta=0.6, eval_beta=True)  # HSL's released evaluation gate
    assert torch.allclose(hsl_gate, (torch.sigmoid(log_alpha / 0.6) * 1.2 - 0.1).clamp(0, 1))
    l0 = masks.l0_expected(log_alpha, beta=0.6)
    assert math.isclose(float(l0), float(torch.sigmoid(log_alpha - 0.6 * math.log(0.1 / 1.1)).sum()), rel_tol=1e-6)
    # the L0 term is the expected number of non-zero gates (Monte Carlo, 20000 draws per entry)
    draws = masks.hard_concrete(log_alpha.repeat(20000, 1), torch.Generator().manual_seed(0), beta=0.6)
    assert torch.allclose((draws > 0).double().mean(0).sum(), l0.double(), atol=0.05)


# ----------------------------------------------------------------------------- kit/structure.py
def test_top_fraction_per_context_keeps_the_best_ceil_share_of_every_context():
    g = torch.Generator().manual_seed(1)
    scores, context = torch.rand(40, generator=g), torch.randint(0, 3, (40,), generator=g)
    for r in (0.05, 0.3, 0.75, 1.0):
        keep = top_fraction_per_context(scores, context, r)
        for k in range(3):
            members = (context == k).nonzero().flatten()
            quota = max(1, math.ceil(r * members.numel() - 1e-9))
            best = members[torch.argsort(-scores[members])][:quota]
            assert set(keep.nonzero().flatten().tolist()) & set(members.tolist()) == set(best.tolist())


# ----------------------------------------------------------------------------- hgnn-struct's scores
def test_shared_edges_is_the_co_occurrence_count_and_clustering_is_exact_on_small_hyperedges():
    hg = random_hypergraph(4, num_nodes=10, num_edges=12, max_size=5)
    co = dense_incidence(hg) @ dense_incidence(hg).T
    u, v = torch.triu_indices(10, 10, 1)
    assert torch.equal(shared_edges(hg, u, v), co[u, v].long())
    assert torch.equal(shared_edges(hg, u, v, block=3), co[u, v].long())  # in runs of a few searches
    index = torch.tensor([[0, 1, 2, 0, 1, 3, 4, 5], [0, 0, 0, 1, 1, 2, 2, 3]])
    small = Hypergraph(index, 6)  # e0 = {0,1,2}: 1 of 3 pairs elsewhere (0,1 in e1); e1: 1/1; e2 = {3,4}: 0; e3: 0
    scores = clustering_scores(small, torch.Generator().manual_seed(0))
    assert torch.allclose(scores, torch.tensor([1 / 3, 1.0, 0.0, 0.0], dtype=torch.float64))


@pytest.mark.parametrize("extra_singletons", [0, 12])
def test_spectral_energy_is_each_hyperedges_share_of_the_laplacian_form(extra_singletons):
    """Against a dense eigendecomposition of P: the eigenvalue-1 space (one vector per connected component,
    here up to 12 extra singleton components) is not among the k vectors."""
    base = random_hypergraph(2, num_nodes=14, num_edges=10, max_size=5)
    n = base.num_nodes + extra_singletons
    singles = torch.arange(base.num_nodes, n)
    index = torch.cat([base.index, torch.stack([singles, singles - base.num_nodes + base.num_edges])], 1)
    hg = Hypergraph(index, n)
    energy = spectral_energy(hg, torch.Generator().manual_seed(0), k=3)
    h = dense_incidence(hg)
    dv, de = h.sum(1), h.sum(0)
    p = torch.diag(dv.rsqrt()) @ h @ torch.diag(1 / de) @ h.T @ torch.diag(dv.rsqrt())
    values, vectors = torch.linalg.eigh(p)
    nontrivial = vectors[:, values < 1 - 1e-9]
    f = nontrivial[:, -3:]  # the 3 largest of P below 1
    assert torch.allclose(energy.sum(), torch.trace(f.T @ (torch.eye(n, dtype=torch.float64) - p) @ f), atol=1e-6)
    assert float(energy.sum()) > 1e-3
    g = f / dv.sqrt().unsqueeze(1)
    direct = torch.stack([(g[h[:, e] > 0] ** 2).sum() - g[h[:, e] > 0].sum(0).square().sum() / de[e]
                          for e in range(hg.num_edges)])
    assert torch.allclose(energy, direct, atol=1e-5)


# ----------------------------------------------------------------------------- RandHE@r
class _Runs:
    """A store holding TriPrune's smoke record with a given rho_nnz (or nothing)."""

    def __init__(self, rho: float | None) -> None:
        self.rho, self.asked = rho, []

    def record(self, method, params, dataset, protocol, seed):
        self.asked.append((method, params, dataset, protocol, seed))
        return None if self.rho is None else {"diagnostics": {"retention": {"rho_nnz": self.rho}}}

    def modules(self, *args):
        return None


def test_randhe_reads_triprunes_retention_and_needs_its_run():
    data, split = data_and_split()
    method = RandHE()
    params = smoke_params("randhe", retention="triprune", **FAST)
    runs = _Runs(0.45)
    with reading_runs(runs):
        fitted = method.fit(data, split, params, 1)
    expected = {**TriPrune().settings(), **next(iter(ParameterGrid(TriPrune().configurations("smoke"))))}
    assert runs.asked == [("triprune", expected, data.name, split.protocol, 1)]
    assert fitted.diagnostics["target_retention"] == 0.45
    kept = fitted.diagnostics["deployed"]["edges"]
    quota = sum(max(1, math.ceil(0.45 * int(c))) for c in torch.bincount(data.hypergraph.edge_context))
    assert kept <= quota and fitted.diagnostics["retention"]["edges"] == kept / data.hypergraph.num_edges
    with reading_runs(_Runs(None)), pytest.raises(MissingDependency, match="triprune"):
        method.fit(data, split, params, 1)
    assert smoke_params("randhe")["retention"] == 0.7 and RandHE().settings()["retention"] == "triprune"
    assert RandHE().configurations("reduced")["triprune_budget"] == ["reduced"]


def test_randhe_reads_the_retention_of_a_triprune_run_the_runner_stored(tmp_path):
    store = Store(tmp_path)
    Runner(store).run(schedule(store, "t", ["triprune"], [DATASET], PROTOCOL, 1, budget="smoke"))
    data, split = data_and_split()
    with reading_runs(StoreRuns(store)):
        fitted = RandHE().fit(data, split, smoke_params("randhe", retention="triprune", **FAST), 0)
    record = StoreRuns(store).record("triprune", smoke_params("triprune"), DATASET, PROTOCOL, 0)
    assert fitted.diagnostics["target_retention"] == record["diagnostics"]["retention"]["rho_nnz"]


# ----------------------------------------------------------------------------- deployed == masked
def test_randhe_and_hgnn_struct_deploy_exactly_their_masked_models():
    data, split = data_and_split()
    full = data.hypergraph
    for name in ("randhe", "hgnn-struct"):
        method = TRIPRUNE_BASELINES[name]()
        params = smoke_params(name, **FAST, **({"ramp_epochs": 2} if name == "hgnn-struct" else {}))
        prepared = method.prepare(data, params)
        fitted = method.fit(data, split, params, 0, prepared)
        if name == "randhe":
            keep = random_hyperedges(full, params["retention"], 0)
        else:
            scores = params["alpha1"] * prepared["clustering"] + params["alpha2"] * prepared["coherence"]
            keep = top_fraction_per_context(scores, full.edge_context, params["retention"])
        model = hgnn(data, params)
        model.load_state_dict(fitted.state)
        model.eval()
        with torch.no_grad():
            masked = model(data.features, full.with_weight(keep[full.edges].float()))
        assert torch.allclose(fitted.predict(), masked, atol=1e-5), name
        assert fitted.diagnostics["deployed"]["edges"] == int(keep.sum())
        assert fitted.diagnostics["deployed"]["nnz"] == int(keep[full.edges].sum())
        assert {row["phase"] for row in fitted.trace} == ({"train"} if name == "randhe" else {"ramp", "train"})


@pytest.mark.parametrize("sampler, p_add", [("gumbel", 0.0), ("hard_concrete", 0.0), ("gumbel", 0.02)])
def test_hsl_deploys_exactly_its_masked_model(sampler, p_add):
    data, _ = data_and_split()
    full = data.hypergraph
    params = smoke_params("hsl", sampler=sampler, p_add=p_add)
    torch.manual_seed(0)
    model = HSLModel(data, params, 0)
    with torch.no_grad():
        model.edge_logits.normal_(0, 2)
        model.scorer.linears[-1].bias.zero_()
    model.eval()
    with torch.no_grad():
        masked = model(data.features, full)
        structure = model.augmented(full)
        weights = model.weights(data.features, structure)
        deployed = deploy(weights, structure)
        out = model.backbone(data.features, deployed)
    assert 0 < deployed.nnz < structure.nnz
    assert (deployed.weight is None) == (sampler == "gumbel")
    assert torch.allclose(out, masked, atol=1e-5)
    added = model.added
    assert added.shape[1] == round(p_add * full.nnz) and structure.nnz == full.nnz + added.shape[1]
    if p_add:  # candidates are distinct pairs that are not incidences already
        existing = set((full.nodes * full.num_edges + full.edges).tolist())
        keys = (added[0] * full.num_edges + added[1]).tolist()
        assert len(set(keys)) == len(keys) and not existing & set(keys)
        model.refresh(data.features, full)  # a refresh rewrites the buffer: the augmented structure is rebuilt
        assert model.augmented(full).nnz == structure.nnz and model.augmented(full) is not structure


def test_weighted_softmax_treats_a_zero_weight_as_a_removed_entry():
    scores = torch.tensor([[1.0], [50.0], [0.5], [2.0]])
    segment = torch.tensor([0, 0, 0, 1])
    out = weighted_softmax(scores, segment, 2, torch.tensor([1.0, 0.0, 0.5, 0.0]))
    expected = torch.tensor([math.e, 0.0, 0.5 * math.exp(0.5), 0.0])
    expected[:3] /= math.e + 0.5 * math.exp(0.5)
    assert torch.allclose(out.flatten(), expected)


def test_adaglt_deploys_exactly_its_masked_model_and_its_masks_shrink_with_depth():
    data, _ = data_and_split()
    full = data.hypergraph
    params = smoke_params("adaglt")
    assert math.isclose(0.1 * (initial_threshold(0.1) ** 3 + 20 * initial_threshold(0.1)), -0.2, abs_tol=1e-9)
    torch.manual_seed(0)
    search = TicketSearch(data, params)
    with torch.no_grad():
        search.thresholds.normal_(0, 0.3)
        _, layer_masks = search.masks(data.features, full)
    first, second = (m > 0.5 for m in layer_masks)
    assert bool((second <= first).all()) and 0 < int(second.sum()) < int(first.sum()) < full.nnz
    network = LayerwiseHGNN(data.num_features, 16, data.num_classes, 0.5, learned_tickets=False)
    for conv in network.convs:
        conv.fixed = (torch.rand(conv.weight.shape) > 0.5).float()
    network.eval()
    with torch.no_grad():
        network.structures = [full.with_weight(first.float()), full.with_weight(second.float())]
        masked = network(data.features, full)
        fold_tickets(network)
        network.structures = [full.compact(keep_memberships=first), full.compact(keep_memberships=second)]
        deployed = network(data.features, full)
    assert torch.allclose(masked, deployed, atol=1e-5)
    assert network.convs[0].threshold is None and int((network.convs[0].weight == 0).sum()) > 0


def test_adaglt_selects_within_both_windows_then_the_incidence_one_then_the_closest():
    targets = (0.3, 0.93)
    both = selection_key(0.31, 0.92, targets, -1.2)
    incidence_only = selection_key(0.29, 0.5, targets, -0.9)
    close, far = selection_key(0.35, 0.93, targets, -0.8), selection_key(0.45, 0.93, targets, -0.1)
    assert both > incidence_only > close > far
    assert selection_key(0.3, 0.5, targets, -0.9) > selection_key(0.3, 0.5, targets, -1.0)
    assert selection_key(0.31, 0.0, (0.3, None), -2.0)[0]  # no weight tickets: the incidence window alone


def test_every_fit_reports_what_it_deployed():
    data, split = data_and_split()
    fitted = TRIPRUNE_BASELINES["adaglt"]().fit(data, split, smoke_params("adaglt", **FAST, search_epochs=3), 0)
    info = fitted.diagnostics
    assert info["deployed"]["nonzero_parameters"] < info["deployed"]["parameters"] == info["num_parameters"]
    assert len(info["retention"]["nnz_per_layer"]) == 2 and {r["phase"] for r in fitted.trace} == {"search", "retrain"}
    fitted = TRIPRUNE_BASELINES["hsl"]().fit(data, split, smoke_params("hsl", **FAST, p_add=0.02), 0)
    info = fitted.diagnostics
    assert info["num_parameters"] < info["training_parameters"] and 0 < info["retention"]["added"] <= 0.02


# ----------------------------------------------------------------------------- time falls with retention
def test_deployed_inference_time_falls_with_retention():
    # large hyperedges (nnz / n ~ 30), few features: propagation dominates a forward, as on the real datasets
    data = generate(SyntheticConfig(num_nodes=2000, num_edges=1500, num_features=16, num_contexts=2,
                                    edge_size=(10, 30)))
    full, x = data.hypergraph, data.features
    torch.manual_seed(0)
    net = hgnn(data, {"hidden": 64, "dropout": 0.5}).eval()
    backbone = AllSetBackbone(16, 64, data.num_classes, 4, 0.5).eval()
    structures = {}
    for r in (1.0, 0.2):
        edges = full.compact(keep_edges=random_hyperedges(full, r, 0))  # RandHE, HGNN-Struct: hyperedges removed
        keep = torch.rand(full.nnz, generator=torch.Generator().manual_seed(1)) < r  # HSL, AdaGLT: incidences
        incidences = full.compact(keep_memberships=keep)
        second = incidences.compact(keep_memberships=torch.rand(incidences.nnz) < 0.9)
        layerwise = LayerwiseHGNN(16, 64, data.num_classes, 0.5, learned_tickets=False).eval()
        layerwise.structures = [incidences, second]
        structures[r] = (lambda e=edges: net(x, e), lambda i=incidences: backbone(x, i), lambda m=layerwise: m(x, full))
    for name, high, low in zip(("hgnn", "allset", "layerwise"), structures[1.0], structures[0.2]):
        high_seconds, low_seconds = median_cpu_seconds([high, low])
        assert low_seconds < 0.8 * high_seconds, (name, low_seconds, high_seconds)


def test_registered_labels():
    expected = {"randhe": ("RandHE@r", None), "hgnn-struct": ("HGNN-Struct*", "HGNN-Struct"),
                "hsl": ("HSL", "HSL"), "adaglt": ("AdaGLT‡", "AdaGLT")}
    for name, (label, paper) in expected.items():
        cls = TRIPRUNE_BASELINES[name]
        assert (cls.label, cls.paper_label) == (label, paper) and cls.defaults["profile_inference"] is True
        assert all(isinstance(v, (str, int, float, bool, type(None))) for v in cls().settings().values())


def test_adaglt_blocked_incidence_scores_equal_the_direct_computation(monkeypatch):
    from hgbench.baselines import adaglt

    monkeypatch.setattr(adaglt, "BLOCK", 7)  # several blocks, the last one partial
    hypergraph = generate(SyntheticConfig(num_nodes=30, num_edges=20, num_features=4, num_classes=2)).hypergraph
    torch.manual_seed(0)
    nodes = torch.randn(hypergraph.num_nodes, 6, requires_grad=True)
    edges = torch.randn(hypergraph.num_edges, 6, requires_grad=True)
    score = torch.nn.Linear(6, 1)
    inputs = (nodes, edges, score.weight, score.bias)
    direct = score(torch.relu(nodes[hypergraph.nodes] + edges[hypergraph.edges])).squeeze(-1)
    blocked = adaglt.membership_scores(nodes, edges, score, hypergraph)
    torch.testing.assert_close(blocked, direct)
    cotangent = torch.randn_like(direct)
    for a, b in zip(torch.autograd.grad(blocked, inputs, cotangent), torch.autograd.grad(direct, inputs, cotangent)):
        torch.testing.assert_close(a, b)


def test_adaglt_learned_weight_propagation_equals_the_weighted_hypergraph_one():
    from hgbench.baselines.adaglt import LearnedWeights, _hgnn

    hypergraph = generate(SyntheticConfig(num_nodes=40, num_edges=25, num_features=4, num_classes=2)).hypergraph
    torch.manual_seed(1)
    x = torch.randn(hypergraph.num_nodes, 5, requires_grad=True)
    weight = (torch.rand(hypergraph.nnz) * (torch.rand(hypergraph.nnz) > 0.3)).requires_grad_()  # some zeros
    direct = _hgnn(x, hypergraph.with_weight(weight))
    csr = _hgnn(x, LearnedWeights(hypergraph, weight))
    torch.testing.assert_close(csr, direct)
    cotangent = torch.randn_like(direct)
    grads = [torch.autograd.grad(out, (x, weight), cotangent) for out in (csr, direct)]
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b)
