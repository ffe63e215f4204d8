"""HHGSA† and HEAL†‡ (BASELINES.md cards 2 and 4): their attention, line graph and consistency loss against
direct small computations, the forward shapes, and HEAL's deployed prediction (both heads)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from hgbench.baselines.heal import HEAL, HEALNet, augmented_smooth, relational_consistency
from hgbench.baselines.hhgsa import HHGSA, ContextAttention, HHGSANet
from hgbench.baselines.kit.line_graph import SoftHyperedges, line_graph_propagate, overlap_matrix
from hgbench.datasets.hypergraph import Hypergraph

from conftest import dense_incidence, random_hypergraph
from triprune_support import data_and_split, fit, smoke_params

pytestmark = pytest.mark.usefixtures("one_thread")


def contextual(seed: int = 0, contexts: int = 3) -> Hypergraph:
    """A small random hypergraph (singletons added) whose hyperedges get random contexts."""
    hg = random_hypergraph(seed, num_nodes=10, num_edges=8, max_size=4)
    context = torch.randint(0, contexts, (hg.num_edges,), generator=torch.Generator().manual_seed(seed))
    context[:contexts] = torch.arange(contexts)  # every context used
    return Hypergraph(hg.index, hg.num_nodes, hg.num_edges, edge_context=context)


def soft_hyperedges(n: int, count: int = 3, seed: int = 0) -> SoftHyperedges:
    g = torch.Generator().manual_seed(seed)
    nodes = torch.cat([torch.randperm(n, generator=g)[:4] for _ in range(count)])
    edges = torch.arange(count).repeat_interleave(4)
    return SoftHyperedges(nodes, edges, torch.rand(nodes.numel(), generator=g, dtype=torch.float64), count)


def dense_soft(soft: SoftHyperedges, n: int) -> torch.Tensor:
    lam = torch.zeros(n, soft.count, dtype=torch.float64)
    lam.index_put_((soft.nodes, soft.edges), soft.values, accumulate=True)
    return lam


def inv_sqrt(d: torch.Tensor) -> torch.Tensor:
    return torch.where(d > 0, d.clamp_min(1e-300).rsqrt(), torch.zeros_like(d))


# ----------------------------------------------------------------------------------------------- HHGSA


def test_hhgsa_attention_is_normalised_within_every_group():
    hg = contextual()
    layer = ContextAttention(5, 8, heads=2, num_contexts=hg.num_contexts)
    out = layer(torch.randn(hg.num_nodes, 5), hg)
    alpha, beta, gamma = layer.last_attention
    assert out.shape == (hg.num_nodes, 8) and alpha.shape == beta.shape == (hg.nnz, 2)
    per_edge = torch.zeros(hg.num_edges, 2).index_add(0, hg.edges, alpha)
    assert torch.allclose(per_edge, torch.ones_like(per_edge), atol=1e-6)  # over the members of each hyperedge
    groups = hg.nodes * hg.num_contexts + hg.edge_context[hg.edges]
    per_group = torch.zeros(hg.num_nodes * hg.num_contexts, 2).index_add(0, groups, beta)[groups.unique()]
    assert torch.allclose(per_group, torch.ones_like(per_group), atol=1e-6)  # over a node's hyperedges of one context
    assert gamma.shape == (hg.num_contexts,) and torch.isclose(gamma.sum(), torch.tensor(1.0)) and (gamma > 0).all()


def test_hhgsa_layer_matches_a_loop_over_contexts_nodes_and_hyperedges():
    hg = contextual(1)
    heads, width, k = 2, 6, hg.num_contexts
    layer = ContextAttention(4, width, heads=heads, num_contexts=k).double()
    x = torch.randn(hg.num_nodes, 4, dtype=torch.float64)
    out = layer(x, hg)
    lrelu = lambda t: F.leaky_relu(t, 0.2)  # noqa: E731
    a = layer.project(x).view(hg.num_nodes, heads, -1)
    members = [hg.nodes[hg.edges == e].tolist() for e in range(hg.num_edges)]
    z = torch.zeros(hg.num_edges, heads, width // heads, dtype=torch.float64)
    for e, vs in enumerate(members):
        ctx = int(hg.edge_context[e])
        for h in range(heads):
            weights = torch.softmax(torch.stack([lrelu(layer.query[ctx, h] @ a[v, h]) for v in vs]), 0)
            z[e, h] = sum(w * a[v, h] for w, v in zip(weights, vs))
    per_context = torch.zeros(hg.num_nodes, k, width, dtype=torch.float64)
    for v in range(hg.num_nodes):
        for ctx in range(k):
            es = [e for e, vs in enumerate(members) if v in vs and int(hg.edge_context[e]) == ctx]
            if not es:
                continue
            heads_out = []
            for h in range(heads):
                scores = torch.stack([lrelu(layer.node_score[h] @ a[v, h] + layer.edge_score[h] @ z[e, h]) for e in es])
                weights = torch.softmax(scores, 0)
                heads_out.append(F.elu(sum(w * z[e, h] for w, e in zip(weights, es))))
            per_context[v, ctx] = torch.cat(heads_out)
    relevance = torch.stack([
        torch.stack([torch.tanh(layer.semantic(per_context[v, ctx])) @ layer.semantic_query
                     for v in range(hg.num_nodes)
                     if any(v in vs and int(hg.edge_context[e]) == ctx for e, vs in enumerate(members))]).mean()
        for ctx in range(k)])
    gamma = torch.softmax(relevance, 0)
    expected = (per_context * gamma.view(1, k, 1)).sum(1)
    assert torch.allclose(out, expected, atol=1e-10)


@pytest.mark.parametrize("weighted", [False, True])
def test_hhgsa_pools_through_csr_products_with_exact_gradients(weighted):
    """Both poolings are CSR products (attention_pool); their gradients in the features and every parameter pass
    a finite-difference check, with and without membership weights."""
    hg = contextual(2)
    if weighted:
        hg = hg.with_weight(torch.rand(hg.nnz, generator=torch.Generator().manual_seed(3), dtype=torch.float64))
    layer = ContextAttention(3, 4, heads=2, num_contexts=hg.num_contexts).double()
    x = torch.randn(hg.num_nodes, 3, dtype=torch.float64, requires_grad=True)
    names = [name for name, _ in layer.named_parameters()]
    weights = tuple(p.detach().clone().requires_grad_(True) for p in layer.parameters())
    assert torch.autograd.gradcheck(
        lambda features, *w: torch.func.functional_call(layer, dict(zip(names, w)), (features, hg)), (x, *weights))
    out = layer(x, hg)
    alpha, beta, _ = layer.last_attention  # the gather/scatter sums, membership weights scaling every message
    n, k = hg.num_nodes, hg.num_contexts
    a = layer.project(x).view(n, 2, 2)
    w = torch.ones(hg.nnz, 1, dtype=torch.float64) if hg.weight is None else hg.weight.unsqueeze(-1)
    z = torch.zeros(hg.num_edges, 2, 2, dtype=torch.float64).index_add(
        0, hg.edges, (alpha * w).unsqueeze(-1) * a[hg.nodes])
    groups = hg.nodes * k + hg.edge_context[hg.edges]
    per_context = F.elu(torch.zeros(n * k, 2, 2, dtype=torch.float64).index_add(
        0, groups, (beta * w).unsqueeze(-1) * z[hg.edges])).view(n, k, 4)
    present = torch.zeros(n * k, dtype=torch.float64).index_fill(0, groups, 1.0).view(n, k)
    relevance = ((torch.tanh(layer.semantic(per_context)) @ layer.semantic_query) * present).sum(0) / present.sum(0)
    expected = (per_context * torch.softmax(relevance, 0).view(1, k, 1)).sum(1)
    assert torch.allclose(out, expected, atol=1e-12)


def test_hhgsa_forward_shapes_and_registry_entry():
    hg = contextual(2)
    for layers in (1, 2):
        net = HHGSANet(5, 8, 3, heads=4, num_contexts=hg.num_contexts, layers=layers, dropout=0.5)
        assert net(torch.randn(hg.num_nodes, 5), hg).shape == (hg.num_nodes, 3)
    method = HHGSA()
    assert (method.name, method.label, method.paper_label) == ("hhgsa", "HHGSA†", "HHGSA")
    assert method.defaults["profile_inference"] is True and method.default_point["heads"] == 4
    with pytest.raises(ValueError, match="divisible"):
        ContextAttention(5, 10, heads=4, num_contexts=2)


# ----------------------------------------------------------------------------------------------- HEAL


def test_line_graph_is_the_overlap_matrix_of_a_dense_incidence():
    hg = contextual(3)
    h = dense_incidence(hg)
    assert torch.equal(overlap_matrix(hg).to_dense().double(), h.T @ h)  # |e ∩ e'|, sizes on the diagonal
    y = torch.randn(hg.num_edges, 3, dtype=torch.float64)
    a = h.T @ h
    scale = inv_sqrt(a.sum(1))
    given, learned = line_graph_propagate(hg, y)
    assert learned is None and torch.allclose(given, scale[:, None] * (a @ (scale[:, None] * y)), atol=1e-12)


def test_line_graph_with_learned_hyperedges_is_that_of_the_augmented_incidence():
    hg = contextual(4)
    soft = soft_hyperedges(hg.num_nodes)
    h_aug = torch.cat([dense_incidence(hg), dense_soft(soft, hg.num_nodes)], 1)  # H' = [H | Λ]
    a = h_aug.T @ h_aug
    scale = inv_sqrt(a.sum(1))
    y = torch.randn(hg.num_edges + soft.count, 3, dtype=torch.float64)
    given, learned = line_graph_propagate(hg, y[:hg.num_edges], y[hg.num_edges:], soft)
    assert torch.allclose(torch.cat([given, learned]), scale[:, None] * (a @ (scale[:, None] * y)), atol=1e-12)


def test_branch_h_is_hgnn_on_the_augmented_incidence():
    hg = contextual(5)
    soft = soft_hyperedges(hg.num_nodes, seed=1)
    h_aug = torch.cat([dense_incidence(hg), dense_soft(soft, hg.num_nodes)], 1)
    dv, de = inv_sqrt(h_aug.sum(1)), 1 / h_aug.sum(0)
    x = torch.randn(hg.num_nodes, 3, dtype=torch.float64)
    expected = dv[:, None] * (h_aug @ (de[:, None] * (h_aug.T @ (dv[:, None] * x))))
    assert torch.allclose(augmented_smooth(hg, soft, x), expected, atol=1e-12)


def test_relational_consistency_matches_the_formula():
    g = torch.Generator().manual_seed(0)
    hyper, line, anchors_h, anchors_l = (torch.randn(rows, 4, generator=g, dtype=torch.float64)
                                         for rows in (5, 5, 3, 3))
    tau, total = 0.3, 0.0
    for i in range(5):
        sim_p = [torch.dot(hyper[i], anchors_h[j]) / (hyper[i].norm() * anchors_h[j].norm()) / tau for j in range(3)]
        sim_q = [torch.dot(line[i], anchors_l[j]) / (line[i].norm() * anchors_l[j].norm()) / tau for j in range(3)]
        p, q = torch.softmax(torch.stack(sim_p), 0), torch.softmax(torch.stack(sim_q), 0)
        total += float((p * (p / q).log()).sum() + (q * (q / p).log()).sum())
    assert relational_consistency(hyper, line, anchors_h, anchors_l, tau).item() == pytest.approx(total / 5, rel=1e-10)
    assert relational_consistency(hyper, hyper, anchors_h, anchors_h, tau).item() == pytest.approx(0.0, abs=1e-12)


def test_heal_forward_shapes_learned_hyperedges_and_gradients():
    hg = contextual(6)
    net = HEALNet(5, 8, 3, learned=4, members=3, dropout=0.3)
    out = net(torch.randn(hg.num_nodes, 5), hg)
    logits_h, logits_l, hyper, line = net.branches
    assert out.shape == logits_h.shape == logits_l.shape == (hg.num_nodes, 3)
    assert hyper.shape == line.shape == (hg.num_nodes, 8)
    soft = net.learned_hyperedges(torch.randn(hg.num_nodes, 8))
    assert soft.count == 4 and soft.nodes.numel() == 12 and bool(((soft.values >= 0) & (soft.values <= 1)).all())
    assert torch.bincount(soft.edges).tolist() == [3, 3, 3, 3]
    (out.square().sum() + relational_consistency(hyper, line, hyper[:4], line[:4], 0.5)).backward()
    assert net.prototypes.grad is not None and net.prototypes.grad.abs().sum() > 0  # the learned structure learns
    net.eval()
    net(torch.randn(hg.num_nodes, 5), hg)
    assert net.branches is None


def test_heal_predicts_with_both_heads():
    data, split = data_and_split()
    fitted = fit("heal", None, data, split)
    assert fitted.diagnostics["inference_heads"] == "both"
    assert fitted.diagnostics["line_graph_pairs_if_explicit"] > data.hypergraph.nnz
    assert {"consistency", "ce_hyper", "ce_line"} <= set(fitted.trace[-1])
    method = HEAL()
    assert (method.name, method.label, method.paper_label) == ("heal", "HEAL†‡", "HEAL")
    model = method.build(data, smoke_params("heal"))
    model.load_state_dict(fitted.state)
    model.eval()
    with torch.no_grad():
        z = F.relu(model.encoder(data.features, data.hypergraph))
        soft = model.learned_hyperedges(z)
        hyper = F.relu(model.hyper(augmented_smooth(data.hypergraph, soft, z)))
        mean = model(data.features, data.hypergraph)
    assert torch.allclose(fitted.predict(), mean)
    assert not torch.allclose(mean, model.head_hyper(hyper))  # the line-graph head takes part


def test_heal_consistency_reads_only_nodes_outside_the_training_set():
    data, split = data_and_split()
    hooks = HEAL().hooks(data, split, {"tau": 0.5, "consistency_weight": 1.0})
    assert not set(hooks.unlabelled.tolist()) & set(split.train.tolist())
    assert hooks.unlabelled.numel() + split.train.numel() == data.num_nodes
