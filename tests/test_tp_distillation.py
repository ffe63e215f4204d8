"""The distillation rows of TriPrune's Table 2 (BASELINES.md cards 12-14) and their shared helpers (§0.7 ``kd.py``,
``projection.py``): every loss against its formula on a small example, the projection against a dense
computation, and what the cards require of the deployed student (no hypergraph, no teacher at inference)."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch
import torch.nn.functional as F

from conftest import random_hypergraph
from hgbench.baselines.distillhgnn import GCNStudent, StudentTraining
from hgbench.baselines.kit.kd import aligned_info_nce, annealed_temperature, kd_kl, kl_probabilities
from hgbench.baselines.kit.projection import capped_parts, clique_projection
from hgbench.baselines.kit.teacher import Teacher
from hgbench.baselines.lighthgnn import LightHGNN, _LightHooks, hyperedge_reliability
from hgbench.baselines.sharp_distill import mixed_similarity_nce, positional_cosine
from hgbench.baselines.triprune_plain import _TwoLayers
from hgbench.datasets.hypergraph import Hypergraph

from triprune_support import data_and_split, fit, teacher_store

pytestmark = pytest.mark.usefixtures("one_thread")
DISTILLERS = ["lighthgnn", "lighthgnn-plus", "distillhgnn", "sharp-distill"]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return teacher_store(tmp_path_factory.mktemp("teacher"))


# ----------------------------------------------------------------------------------------------- kd.py
def test_kd_kl_is_the_tempered_kl_with_its_t_squared_factor_and_the_released_variant():
    g = torch.Generator().manual_seed(0)
    student, teacher = torch.randn(4, 3, generator=g, dtype=torch.float64), torch.randn(4, 3, generator=g,
                                                                                        dtype=torch.float64)
    t = 2.5
    expected, faithful = 0.0, 0.0
    for i in range(4):
        p = [math.exp(teacher[i, c] / t) for c in range(3)]
        q = [math.exp(student[i, c] / t) for c in range(3)]
        p, q = [x / sum(p) for x in p], [x / sum(q) for x in q]
        expected += sum(p[c] * math.log(p[c] / q[c]) for c in range(3)) / 4
        faithful += sum(math.exp(p[c]) * (p[c] - math.log(q[c])) for c in range(3)) / 4
    assert float(kd_kl(student, teacher, t)) == pytest.approx(expected, rel=1e-9)
    assert float(kd_kl(student, teacher, t, t_squared=True)) == pytest.approx(expected * t * t, rel=1e-9)
    assert float(kd_kl(student, teacher, t, code_faithful=True)) == pytest.approx(faithful, rel=1e-9)
    assert float(kd_kl(teacher, teacher, t)) == pytest.approx(0.0, abs=1e-12)
    assert float(kd_kl(teacher, teacher, t, code_faithful=True)) > 0.5  # the released objective is no divergence


def test_kl_of_probabilities_and_the_annealed_temperature():
    p = torch.tensor([[0.2, 0.8], [0.5, 0.5]], dtype=torch.float64)
    q = torch.tensor([[0.4, 0.6], [0.9, 0.1]], dtype=torch.float64)
    expected = sum(p[i, c] * math.log(p[i, c] / q[i, c]) for i in range(2) for c in range(2)) / 2
    assert float(kl_probabilities(q, p)) == pytest.approx(float(expected), rel=1e-9)
    assert float(kl_probabilities(q[:0], p[:0])) == 0.0
    assert [annealed_temperature(e, 10, 1, 200) for e in (0, 100, 200, 300)] == [10.0, 5.5, 1.0, 1.0]


def test_aligned_info_nce_against_a_loop_over_five_nodes():
    g = torch.Generator().manual_seed(1)
    s, t = torch.randn(5, 3, generator=g, dtype=torch.float64), torch.randn(5, 3, generator=g, dtype=torch.float64)
    labels = torch.tensor([0, 1, 0, 2, 1])
    cos = lambda a, b: float(a @ b / (a.norm() * b.norm()))  # noqa: E731
    node, label = 0.0, 0.0
    for i in range(5):
        logits = [cos(s[i], t[j]) / 0.1 for j in range(5)]
        log_z = math.log(sum(math.exp(x) for x in logits))
        node += -(logits[i] - log_z) / 5
        positives = [j for j in range(5) if labels[j] == labels[i]]
        label += -sum(logits[j] - log_z for j in positives) / len(positives) / 5
    assert float(aligned_info_nce(s, t, 0.1)) == pytest.approx(node, rel=1e-9)
    assert float(aligned_info_nce(s, t, 0.1, labels)) == pytest.approx(label, rel=1e-9)


# ------------------------------------------------------------------------------------------ projection.py
def _dense_projection(hg: Hypergraph, k: int) -> torch.Tensor:
    """The card's formula, densely: A = Σ_e a_u a_v / (δ_e − 1), top-k per row, union, + I, sym. normalised."""
    n = hg.num_nodes
    a = torch.zeros(n, n, dtype=torch.float64)
    weight = hg.membership_weight().double()
    for e in range(hg.num_edges):
        members = (hg.edges == e).nonzero().flatten()
        if members.numel() < 2:
            continue
        for i in members.tolist():
            for j in members.tolist():
                if hg.nodes[i] != hg.nodes[j]:
                    a[hg.nodes[i], hg.nodes[j]] += weight[i] * weight[j] / (members.numel() - 1)
    kept = torch.zeros_like(a, dtype=torch.bool)
    for u in range(n):
        order = torch.argsort(a[u], descending=True)[:k]
        kept[u, order[a[u, order] > 0]] = True
    kept = kept | kept.T
    adjacency = torch.where(kept, a, torch.zeros_like(a)) + torch.eye(n, dtype=torch.float64)
    d = adjacency.sum(1).pow(-0.5)
    return d[:, None] * adjacency * d[None, :]


@pytest.mark.parametrize("k", [2, 3, 50])
def test_projection_matches_the_dense_formula_when_the_cap_does_not_bind(k):
    hg = random_hypergraph(3, num_nodes=12, num_edges=9, max_size=5)
    weight = 0.5 + torch.rand(hg.nnz, generator=torch.Generator().manual_seed(7))  # no ties in the top-k
    hg = hg.with_weight(weight)
    operator = clique_projection(hg, k=k, cap=200)
    dense = operator.matrix.to_dense().double()
    assert torch.allclose(dense, _dense_projection(hg, k), atol=1e-6)
    assert torch.allclose(dense, dense.T)
    x = torch.randn(12, 4, dtype=torch.float32, requires_grad=True)  # differentiable in the dense operand
    (operator @ x).sum().backward()
    assert torch.allclose(x.grad, dense.float().T @ torch.ones(12, 4), atol=1e-5)


def test_the_cap_keeps_at_most_cap_co_members_per_hyperedge_and_each_node_s_weight():
    n, cap = 50, 5
    hg = Hypergraph(torch.stack([torch.arange(n), torch.zeros(n, dtype=torch.long)]), n)  # one hyperedge of 50
    nodes, parts, _, part_size = capped_parts(hg, cap, seed=0)
    assert int(part_size.max()) <= cap + 1 and int(part_size.min()) >= 2 and int(part_size.sum()) == n
    operator = clique_projection(hg, k=n, cap=cap, seed=0)
    matrix = operator.matrix.to_dense()
    off_diagonal = matrix - torch.diag(matrix.diagonal())
    assert int((off_diagonal > 0).sum(1).max()) <= cap
    # before normalisation each node's pairs from the hyperedge weigh w_e = 1 in total, as without the cap:
    # Â_uv = 1/(s-1) / (1 + 1) for every kept pair, so a row sums to 1/2 off the diagonal, 1/2 on it
    assert torch.allclose(off_diagonal.sum(1), torch.full((n,), 0.5), atol=1e-6)
    assert torch.equal(matrix, clique_projection(hg, k=n, cap=cap, seed=0).matrix.to_dense())


def test_positional_cosines_against_the_dense_positional_encoding():
    hg = random_hypergraph(5, num_nodes=10, num_edges=6, max_size=4)
    theta = hg.hgnn_operator().to_dense().double()
    pi = torch.eye(10, dtype=torch.float64) + 0.5 * theta + 0.25 * theta @ theta
    anchors = torch.tensor([7, 2, 9, 0])
    rows = F.normalize(pi[anchors], dim=1)
    assert torch.allclose(positional_cosine(hg, anchors, 3, 0.5).double(), rows @ rows.T, atol=1e-5)


def test_mixed_similarity_nce_against_a_loop():
    g = torch.Generator().manual_seed(2)
    t, s = torch.randn(4, 3, generator=g, dtype=torch.float64), torch.randn(4, 3, generator=g, dtype=torch.float64)
    pos = torch.rand(4, 4, generator=g, dtype=torch.float64)
    cos = lambda a, b: float(a @ b / (a.norm() * b.norm()))  # noqa: E731
    expected = 0.0
    for i in range(4):
        row = [(0.3 * cos(t[i], s[j]) + 0.7 * float(pos[i, j])) / 0.1 for j in range(4)]
        expected += -(row[i] - math.log(sum(math.exp(x) for x in row))) / 4
    assert float(mixed_similarity_nce(t, s, pos, 0.3, 0.1)) == pytest.approx(expected, rel=1e-9)


# ------------------------------------------------------------------------------------------- students
def test_gcn_student_is_a_linear_propagation_and_interpolates_in_training_only():
    hg = random_hypergraph(1, num_nodes=12)
    operator = clique_projection(hg, k=4)
    torch.manual_seed(0)
    student = GCNStudent(operator, 6, 8, 3, dropout=0.0)
    x = torch.randn(12, 6)
    assert torch.allclose(student.embed(x), operator.matrix.to_dense() @ x @ student.weight.weight.T, atol=1e-5)
    teacher_hidden = torch.randn(12, 16)
    wrapper = StudentTraining(student, teacher_hidden, gamma=0.5)
    wrapper.eval()
    assert torch.equal(wrapper(x), student(x))
    wrapper.train()
    mixed = 0.5 * student.embed(x) + 0.5 * wrapper.teacher_in(teacher_hidden)
    assert torch.allclose(wrapper(x), student.head(mixed)) and wrapper.align(wrapper.embedding).shape == (12, 16)


def test_lighthgnn_step_total_is_the_card_objective(store):
    data, split = data_and_split()
    g = torch.Generator().manual_seed(0)
    teacher = Teacher(torch.randn(data.num_nodes, data.num_classes, generator=g), torch.zeros(data.num_nodes, 4),
                      {}, 0.0, 1.0)
    logits = torch.randn(data.num_nodes, data.num_classes, generator=g)
    batch = split.train[:50]
    ce = F.cross_entropy(logits[batch], data.labels[batch])
    for lam in (0.0, 0.5):
        config = {"lam": lam, "tau": 2.0, "code_faithful": False}
        hooks = _LightHooks(data, config, teacher, None, seed=0)
        total = ce + hooks.extra_loss(None, logits, batch, 1)  # what the protocol's step minimises
        assert float(total) == pytest.approx(float(lam * ce + (1 - lam) * kd_kl(logits, teacher.logits, 2.0)),
                                             rel=1e-5)


def test_hyperedge_reliability_is_one_minus_the_normalised_entropy_shift(store):
    data, split = data_and_split()
    method = LightHGNN()
    from hgbench.baselines.kit.teacher import hgnn_teacher
    from hgbench.benchmarks.run.plan import StoreRuns
    from hgbench.methods.base import reading_runs
    with reading_runs(StoreRuns(store)):
        teacher = hgnn_teacher(data, split, 0, "smoke")
    rho = hyperedge_reliability(data, teacher, 1.0, seed=0)
    assert rho.shape == (data.hypergraph.num_edges,) and float(rho.min()) == 0.0 and float(rho.max()) <= 1.0
    assert torch.equal(rho, hyperedge_reliability(data, teacher, 1.0, seed=0))
    assert method.reads_teacher


@pytest.mark.parametrize("name", DISTILLERS)
def test_predict_is_the_student_alone(store, monkeypatch, name):
    """Neither the hypergraph nor the teacher takes part in ``predict`` (BASELINES.md §0.6): both raise if used."""
    data, split = data_and_split()
    fitted = fit(name, store, data, split)
    expected = fitted.predict()
    assert fitted.diagnostics["teacher"]["method"] == "tp-hgnn"
    assert fitted.diagnostics["upstream_seconds"] == fitted.diagnostics["teacher"]["seconds"] > 0

    def forbidden(*args, **kwargs):
        raise AssertionError("predict touched the hypergraph or the teacher")
    for attribute in ("smooth", "propagate", "v2e", "e2v", "_aggregate", "hgnn_operator", "clique_expansion"):
        monkeypatch.setattr(Hypergraph, attribute, forbidden)
    monkeypatch.setattr(_TwoLayers, "forward", forbidden)
    monkeypatch.setattr(_TwoLayers, "embed", forbidden)
    assert torch.equal(fitted.predict(), expected)
    if name.startswith("lighthgnn"):  # the MLP: the same scores on another hypergraph, parameters of the MLP only
        other = random_hypergraph(0, num_nodes=data.num_nodes, num_edges=30, max_size=6)
        monkeypatch.undo()
        assert torch.equal(fitted.predict_on(replace(data, hypergraph=other)), expected)
        hidden, d, c = 128, data.num_features, data.num_classes
        assert fitted.diagnostics["num_parameters"] == d * hidden + hidden + hidden * c + c
    else:
        assert fitted.diagnostics["student_graph_nnz"] > 0
