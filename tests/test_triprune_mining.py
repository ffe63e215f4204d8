"""TriPrune-HGNN context embeddings, contrastive loss and negative mining (SPEC §2.10-2.13) against dense,
loop-written references on small random components."""

from __future__ import annotations

import math

import pytest
import torch

from hgbench.methods.triprune.contrastive import context_embeddings, contrastive_loss
from hgbench.methods.triprune.mining import (
    FalseNegativeAttention,
    HardNegativeAttention,
    Pairs,
    Selection,
    co_members,
    false_negative_candidates,
    false_negative_loss,
    hard_candidates,
    hard_negative_loss,
    mining_statistics,
    pair_similarity,
    retained_neighbours,
    select_by_attention,
    select_false_negatives_fixed,
    select_hard_negatives_fixed,
)
from hgbench.methods.triprune.structure import Component

pytestmark = pytest.mark.usefixtures("one_thread")


def random_component(seed: int, n: int = 30, m: int = 14, max_size: int = 6, isolated: int = 4) -> Component:
    """Hyperedges of 2..max_size distinct members over the first ``n - isolated`` nodes (the rest lie outside V_k)."""
    g = torch.Generator().manual_seed(seed)
    nodes, edges = [], []
    for e in range(m):
        size = int(torch.randint(2, max_size + 1, (1,), generator=g))
        nodes.append(torch.randperm(n - isolated, generator=g)[:size])
        edges.append(torch.full((size,), e))
    return Component("c", torch.cat(nodes), torch.cat(edges), n, m)


def random_keep(component: Component, seed: int, p: float = 0.6) -> torch.Tensor:
    return torch.rand(component.nnz, generator=torch.Generator().manual_seed(seed)) < p


def dense_c(component: Component, keep: torch.Tensor | None = None) -> torch.Tensor:
    """The co-occurrence matrix ``H Hᵀ`` with zero diagonal (tests only)."""
    h = torch.zeros(component.num_nodes, component.num_edges)
    mask = torch.ones(component.nnz, dtype=torch.bool) if keep is None else keep
    h[component.nodes[mask], component.edges[mask]] = 1.0
    c = h @ h.T
    c.fill_diagonal_(0)
    return c


def cos(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(torch.nn.functional.cosine_similarity(a.detach(), b.detach(), dim=0, eps=1e-12))


def test_context_embeddings_match_dense_computation():
    comp = random_component(0)
    keep = random_keep(comp, 1)
    weight = (torch.rand(comp.nnz, generator=torch.Generator().manual_seed(2)) * keep).double().requires_grad_()
    z = torch.randn(comp.num_nodes, 5, dtype=torch.float64, requires_grad=True)
    context, defined = context_embeddings(comp, weight, z)

    h = torch.zeros(comp.num_nodes, comp.num_edges, dtype=torch.float64)
    h[comp.nodes, comp.edges] = weight.detach()
    col, row = h.sum(0), h.sum(1)
    edge = (h.T @ z.detach()) / col.clamp(min=1e-300).unsqueeze(1)
    expected = (h @ edge) / row.clamp(min=1e-300).unsqueeze(1)
    assert torch.equal(defined, row > 0)
    assert 0 < int(defined.sum()) < comp.num_nodes
    torch.testing.assert_close(context[defined], expected[defined])
    assert torch.all(context[~defined] == 0)

    # one hyperedge per node: ē_i is that hyperedge's mean member embedding
    single = Component("s", torch.tensor([0, 1, 2, 3, 4]), torch.tensor([0, 0, 0, 1, 1]), 6, 2)
    zs = torch.randn(6, 3, dtype=torch.float64)
    ctx, ok = context_embeddings(single, torch.ones(5, dtype=torch.float64), zs)
    torch.testing.assert_close(ctx[1], zs[:3].mean(0))
    torch.testing.assert_close(ctx[4], zs[3:5].mean(0))
    assert ok.tolist() == [True] * 5 + [False]

    (context * torch.randn_like(context)).sum().backward()
    assert torch.isfinite(weight.grad).all() and weight.grad.abs().sum() > 0
    assert torch.isfinite(z.grad).all() and z.grad.abs().sum() > 0


def test_contrastive_loss_matches_loops_and_is_zero_without_anchors():
    g = torch.Generator().manual_seed(3)
    n, d = 12, 4
    z = torch.randn(n, d, generator=g, dtype=torch.float64, requires_grad=True)
    context = torch.randn(n, d, generator=g, dtype=torch.float64)
    defined = torch.rand(n, generator=g) < 0.7
    tau = 0.3 + torch.rand(n, generator=g, dtype=torch.float64)
    anchors = torch.tensor([7, 2, 9, 0, 5, 11, 3])
    loss = contrastive_loss(z, context, defined, anchors, tau)

    batch = [int(i) for i in anchors if defined[i]]
    terms = []
    for i in batch:
        denominator = sum(math.exp(cos(z[i], context[j]) / float(tau[i])) for j in batch)
        terms.append(-math.log(math.exp(cos(z[i], context[i]) / float(tau[i])) / denominator))
    assert loss.item() == pytest.approx(sum(terms) / len(terms), rel=1e-10)
    loss.backward()
    assert z.grad.abs().sum() > 0

    empty = contrastive_loss(z, context, torch.zeros(n, dtype=torch.bool), anchors, tau)
    assert empty.item() == 0.0 and empty.requires_grad


@pytest.mark.parametrize("seed", range(4))
def test_co_members_match_dense_c(seed):
    comp = random_component(seed, n=25, m=12)
    keep = random_keep(comp, seed + 10)
    i, j = torch.meshgrid(torch.arange(comp.num_nodes), torch.arange(comp.num_nodes), indexing="ij")
    i, j = i.flatten(), j.flatten()
    for mask in (torch.ones(comp.nnz, dtype=torch.bool), keep):
        expected = dense_c(comp, mask)[i, j] > 0
        assert torch.equal(co_members(comp, mask, i, j), expected)
    nothing = co_members(comp, torch.zeros(comp.nnz, dtype=torch.bool), i, j)
    assert not nothing.any()


def test_false_negative_candidates_satisfy_their_contracts():
    comp = random_component(5, n=40, m=16)
    keep = random_keep(comp, 6, p=0.5)
    anchors = torch.randperm(comp.num_nodes, generator=torch.Generator().manual_seed(7))[:30]
    cands = false_negative_candidates(comp, keep, anchors, torch.Generator().manual_seed(8))
    c, c_pruned = dense_c(comp), dense_c(comp, keep)
    h = torch.zeros(comp.num_nodes, comp.num_edges, dtype=torch.bool)
    h[comp.nodes, comp.edges] = True

    assert len(cands) > 0 and cands.by_pruning.any() and (~cands.by_pruning).any()
    assert torch.equal(cands.anchor, anchors[cands.slot])
    assert comp.members[cands.anchor].all()
    assert (cands.anchor != cands.other).all()
    assert (c_pruned[cands.anchor, cands.other] == 0).all()
    assert torch.equal(cands.delta_a, (c[cands.anchor, cands.other] > 0).float())
    a = cands.by_pruning
    assert (h[cands.anchor[a]] & h[cands.other[a]]).any(1).all()  # type (a) shares an original hyperedge
    assert (cands.delta_a[a] == 1).all()
    pairs = set(zip(cands.slot.tolist(), cands.other.tolist()))
    assert len(pairs) == len(cands)
    for slot in cands.slot.unique():
        here = cands.slot == slot
        assert int((here & a).sum()) <= 2 and int((here & ~a).sum()) <= 2


def test_candidates_and_neighbours_are_deterministic_per_seed():
    comp = random_component(9, n=40, m=16)
    keep = random_keep(comp, 10)
    anchors = torch.arange(0, 40, 2)

    def draw(seed: int) -> list[list[int]]:
        f = false_negative_candidates(comp, keep, anchors, torch.Generator().manual_seed(seed))
        r = retained_neighbours(comp, keep, anchors, torch.Generator().manual_seed(seed))
        return [f.slot.tolist(), f.other.tolist(), r.slot.tolist(), r.other.tolist()]

    assert draw(1) == draw(1)
    assert draw(1) != draw(2)


def test_retained_neighbours_are_retained_co_members():
    comp = random_component(11, n=30, m=20)
    keep = random_keep(comp, 12)
    anchors = torch.arange(comp.num_nodes)
    neighbours = retained_neighbours(comp, keep, anchors, torch.Generator().manual_seed(0), count=16)
    c_pruned = dense_c(comp, keep)
    assert len(neighbours) > 0
    assert torch.equal(neighbours.anchor, anchors[neighbours.slot])
    assert (c_pruned[neighbours.anchor, neighbours.other] > 0).all()
    assert len(set(zip(neighbours.slot.tolist(), neighbours.other.tolist()))) == len(neighbours)
    assert torch.bincount(neighbours.slot).max() <= 16
    # with many draws every retained co-member of a low-degree anchor shows up
    many = retained_neighbours(comp, keep, anchors, torch.Generator().manual_seed(0), count=400)
    for i in range(comp.num_nodes):
        expected = set(torch.nonzero(c_pruned[i]).flatten().tolist())
        assert set(many.other[many.slot == i].tolist()) == expected


def test_hard_candidates_match_brute_force():
    comp = random_component(13, n=40, m=18, max_size=4)
    keep = random_keep(comp, 14)
    anchors = torch.randperm(comp.num_nodes, generator=torch.Generator().manual_seed(15))[:32]
    z = torch.randn(comp.num_nodes, 6, generator=torch.Generator().manual_seed(16))
    c_pruned = dense_c(comp, keep)
    defined = torch.zeros(comp.num_nodes, dtype=torch.bool)
    defined[comp.nodes[keep]] = True
    batch = [int(i) for i in anchors if defined[i]]
    assert any(c_pruned[i, j] > 0 for i in batch for j in batch)
    for k in (8, 20):  # k = 20 exceeds the unlinked anchors of some rows
        pairs = hard_candidates(comp, keep, anchors, z, k=k)
        expected = set()
        for i in batch:
            others = [j for j in batch if j != i and c_pruned[i, j] == 0]
            others.sort(key=lambda j: -cos(z[i], z[j]))
            expected |= {(i, j) for j in others[:k]}
        assert set(zip(pairs.anchor.tolist(), pairs.other.tolist())) == expected
        assert len(pairs) == len(expected) and torch.equal(pairs.anchor, anchors[pairs.slot])
    with pytest.raises(ValueError):
        hard_candidates(comp, keep, torch.tensor([1, 1, 2]), z)


def manual_pairs(slot: list[int], other: list[int], anchors: torch.Tensor) -> Pairs:
    s = torch.tensor(slot, dtype=torch.long)
    return Pairs(s, anchors[s], torch.tensor(other, dtype=torch.long))


def test_false_negative_loss_matches_loops():
    g = torch.Generator().manual_seed(17)
    n = 10
    z = torch.randn(n, 4, generator=g, dtype=torch.float64, requires_grad=True)
    tau = 0.3 + torch.rand(n, generator=g, dtype=torch.float64)
    anchors = torch.tensor([0, 3, 6])
    cands = manual_pairs([0, 0, 1, 2, 2], [5, 7, 8, 1, 9], anchors)
    alpha = torch.tensor([0.9, 0.7, 0.2, 0.6, 0.51], dtype=torch.float64, requires_grad=True)
    neighbours = manual_pairs([0, 0, 1, 2], [2, 4, 5, 8], anchors)
    loss = false_negative_loss(z, cands, select_by_attention(alpha), neighbours, tau, num_anchors=4)

    total = 0.0
    for p in range(len(cands)):
        if alpha[p] <= 0.5:
            continue
        s, i, j = int(cands.slot[p]), int(cands.anchor[p]), int(cands.other[p])
        chosen = [int(cands.other[q]) for q in range(len(cands)) if cands.slot[q] == s and alpha[q] > 0.5]
        augmented = [int(neighbours.other[q]) for q in range(len(neighbours)) if neighbours.slot[q] == s] + chosen
        denominator = sum(math.exp(cos(z[i], z[l]) / float(tau[i])) for l in augmented)
        total += float(alpha.detach()[p]) * -math.log(math.exp(cos(z[i], z[j]) / float(tau[i])) / denominator)
    assert loss.item() == pytest.approx(total / 4, rel=1e-10)
    loss.backward()
    assert alpha.grad[alpha > 0.5].abs().min() > 0 and alpha.grad[alpha <= 0.5].abs().max() == 0
    assert z.grad.abs().sum() > 0

    low = torch.full((len(cands),), 0.4, dtype=torch.float64, requires_grad=True)
    empty = false_negative_loss(z, cands, select_by_attention(low), neighbours, tau, num_anchors=4)
    assert empty.item() == 0.0 and empty.requires_grad
    empty.backward()


def test_hard_negative_loss_matches_loops_and_hinge():
    g = torch.Generator().manual_seed(18)
    n = 10
    z = torch.randn(n, 4, generator=g, dtype=torch.float64, requires_grad=True)
    tau = 0.3 + torch.rand(n, generator=g, dtype=torch.float64)
    anchors = torch.tensor([1, 4, 7, 9])
    pairs = manual_pairs([0, 0, 0, 1, 1, 2, 3], [4, 7, 9, 1, 7, 1, 4], anchors)
    alpha = torch.tensor([0.8, 0.6, 0.3, 0.9, 0.55, 0.7, 0.2], dtype=torch.float64, requires_grad=True)
    selection = select_by_attention(alpha)
    loss = hard_negative_loss(z, pairs, selection, tau, num_anchors=5)

    total, hinge = 0.0, 0.0
    for p in range(len(pairs)):
        if alpha[p] <= 0.5:
            continue
        s, i, j = int(pairs.slot[p]), int(pairs.anchor[p]), int(pairs.other[p])
        hard = [int(pairs.other[q]) for q in range(len(pairs)) if pairs.slot[q] == s and alpha[q] > 0.5]
        denominator = sum(math.exp(-cos(z[i], z[l]) / float(tau[i])) for l in hard)
        total += float(alpha.detach()[p]) * -math.log(math.exp(-cos(z[i], z[j]) / float(tau[i])) / denominator)
        hinge += float(alpha.detach()[p]) * max(0.0, cos(z[i], z[j]))
    assert loss.item() == pytest.approx(total / 5, rel=1e-10)
    assert hard_negative_loss(z, pairs, selection, tau, 5, form="hinge").item() == pytest.approx(hinge / 5)
    loss.backward()
    assert z.grad.abs().sum() > 0

    single = manual_pairs([0, 1], [4, 1], anchors)  # |H_i| = 1 for both anchors
    one = hard_negative_loss(z, single, select_by_attention(torch.tensor([0.9, 0.8])), tau, num_anchors=2)
    assert one.item() == 0.0
    none = hard_negative_loss(z, pairs, select_by_attention(torch.zeros(len(pairs))), tau, num_anchors=5)
    assert none.item() == 0.0 and none.requires_grad
    with pytest.raises(ValueError):
        hard_negative_loss(z, pairs, selection, tau, 5, form="other")


def confident(module: torch.nn.Module) -> None:
    """Make every α > 0.5 (positive pre-activations and output weights) while keeping all gradients non-zero."""
    with torch.no_grad():
        module.project.weight.mul_(0.01)
        module.project.bias.fill_(1.0)
        module.score.weight.abs_()


def test_gradients_reach_attention_parameters_and_embeddings():
    torch.manual_seed(0)
    comp = random_component(19, n=40, m=16)
    keep = random_keep(comp, 20, p=0.5)
    anchors = torch.randperm(comp.num_nodes, generator=torch.Generator().manual_seed(21))[:30]
    z = torch.randn(comp.num_nodes, 8, requires_grad=True)
    tau = torch.full((comp.num_nodes,), 0.5)
    context, _ = context_embeddings(comp, keep.float(), z)

    fn_attention, hn_attention = FalseNegativeAttention(8, num_components=2), HardNegativeAttention(8)
    assert fn_attention.project.in_features == 3 * 8 + 1 and hn_attention.project.in_features == 4 * 8
    assert fn_attention.context.shape == (2, 8)
    confident(fn_attention)
    confident(hn_attention)
    generator = torch.Generator().manual_seed(22)
    cands = false_negative_candidates(comp, keep, anchors, generator)
    neighbours = retained_neighbours(comp, keep, anchors, generator)
    alpha_fn = fn_attention(z[cands.anchor], z[cands.other], cands.delta_a, 1)
    fn_loss = false_negative_loss(z, cands, select_by_attention(alpha_fn), neighbours, tau,
                                  int(comp.members[anchors].sum()))
    hard = hard_candidates(comp, keep, anchors, z)
    alpha_hn = hn_attention(z[hard.anchor], z[hard.other], context[hard.anchor], context[hard.other])
    hn_loss = hard_negative_loss(z, hard, select_by_attention(alpha_hn), tau, int(hard.slot.unique().numel()))
    assert fn_loss.item() > 0 and hn_loss.item() > 0
    (fn_loss + hn_loss).backward()
    for module in (fn_attention, hn_attention):
        for name, parameter in module.named_parameters():
            if name == "context":
                assert parameter.grad[1].abs().sum() > 0 and parameter.grad[0].abs().sum() == 0
            else:
                assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name
    assert z.grad.abs().sum() > 0


def test_fixed_mining_thresholds_and_statistics():
    g = torch.Generator().manual_seed(23)
    z = torch.randn(30, 3, generator=g)
    anchors = torch.arange(10)
    slot = torch.arange(10).repeat_interleave(3)
    others = torch.randint(10, 30, (30,), generator=g)
    delta = (torch.rand(30, generator=g) < 0.5).float()
    from hgbench.methods.triprune.mining import FalseNegativeCandidates

    cands = FalseNegativeCandidates(slot, anchors[slot], others, delta, delta > 0)
    similarity = pair_similarity(z, cands)
    fn = select_false_negatives_fixed(z, cands)
    assert torch.equal(fn.selected, (delta == 1) & (similarity > 0.7)) and (fn.weight == 1).all()
    hn = select_hard_negatives_fixed(z, cands)
    assert torch.equal(hn.selected, similarity > 0.6) and (hn.weight == 1).all()
    assert fn.selected.any() and hn.selected.any()

    a = Selection(torch.tensor([0.2, 0.8, 0.6]), torch.tensor([False, True, True]))
    b = Selection(torch.tensor([0.9]), torch.tensor([True]))
    stats = mining_statistics([(a, 2), (b, 3)], [(Selection(torch.zeros(0), torch.zeros(0, dtype=torch.bool)), 0)])
    assert stats["fn_alpha_mean"] == pytest.approx(2.5 / 4)
    assert stats["fn_set_per_anchor"] == pytest.approx(3 / 5)
    assert stats["fn_selected_fraction"] == pytest.approx(3 / 4)
    assert all(math.isnan(stats[f"hn_{key}"]) for key in ("alpha_mean", "set_per_anchor", "selected_fraction"))
