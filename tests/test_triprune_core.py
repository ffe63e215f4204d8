"""TriPrune-HGNN core functions against independent computations (SPEC §6): overlap identities (§2.8),
neighbour similarity (§2.6), simplex projection and meta-gradients (§2.14)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.optimize import minimize

from hgbench.datasets.hypergraph import Hypergraph
from hgbench.methods.triprune.meta import (
    autograd_meta_gradient,
    exact_meta_gradient,
    fd_meta_gradient,
    inner_step,
    meta_update,
    project_simplex,
)
from hgbench.methods.triprune.neighbours import mean_similarity, neighbour_sums
from hgbench.methods.triprune.retention import Overlap
from hgbench.methods.triprune.structure import Component, components


def random_component(seed: int, n: int = 14, m: int = 9, density: float = 0.3) -> Component:
    """A random 0/1 incidence with unique memberships; some hyperedges may be singletons or empty."""
    g = torch.Generator().manual_seed(seed)
    dense = torch.rand(n, m, generator=g) < density
    nodes, edges = dense.nonzero(as_tuple=True)
    return Component("ctx", nodes, edges, n, m)


def dense(component: Component, keep: torch.Tensor | None = None) -> torch.Tensor:
    h = torch.zeros(component.num_nodes, component.num_edges, dtype=torch.float64)
    keep = torch.ones(component.nnz, dtype=torch.bool) if keep is None else keep
    h[component.nodes[keep], component.edges[keep]] = 1.0
    return h


def cooccurrence(h: torch.Tensor) -> torch.Tensor:
    c = h @ h.T
    c.fill_diagonal_(0)
    return c


def brute_change(component: Component, keep: torch.Tensor) -> float:
    c, c_kept = cooccurrence(dense(component)), cooccurrence(dense(component, keep))
    return float(torch.linalg.norm(c - c_kept) / torch.linalg.norm(c))


# --- retention (§2.8) ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_overlap_change_matches_dense_cooccurrence(seed):
    comp = random_component(seed, n=10 + seed, m=5 + seed)
    overlap = Overlap(comp)
    g = torch.Generator().manual_seed(100 + seed)
    masks = [torch.rand(comp.nnz, generator=g) < p for p in (0.2, 0.5, 0.8, 0.95)]
    masks.append(torch.isin(comp.edges, torch.tensor([0, 2])))  # whole hyperedges removed
    masks.append(~torch.isin(comp.nodes, torch.tensor([1, 3, 4])))  # whole node rows removed
    for keep in masks:
        assert overlap.change(keep) == pytest.approx(brute_change(comp, keep), abs=1e-9, rel=1e-9)
    assert overlap.change(torch.ones(comp.nnz, dtype=torch.bool)) == 0.0
    assert overlap.change(torch.zeros(comp.nnz, dtype=torch.bool)) == pytest.approx(1.0, abs=1e-12)


def test_overlap_weight():
    comp = random_component(7)
    overlap = Overlap(comp)
    keep = torch.rand(comp.nnz, generator=torch.Generator().manual_seed(1)) < 0.6
    ratio = int(keep.sum()) / comp.nnz
    for alpha in (0.5, 1.0, 3.0):
        expected = ratio * math.exp(-alpha * brute_change(comp, keep))
        assert overlap.weight(keep, alpha=alpha) == pytest.approx(expected, rel=1e-12)
    assert overlap.weight(torch.ones(comp.nnz, dtype=torch.bool)) == 1.0
    assert overlap.weight(torch.zeros(comp.nnz, dtype=torch.bool)) == 0.0


def test_overlap_without_cooccurrence_and_duplicates():
    singletons = Component("s", torch.tensor([0, 1, 2]), torch.tensor([0, 1, 2]), 4, 3)  # C = 0
    overlap = Overlap(singletons)
    keep = torch.tensor([True, False, True])
    assert overlap.change(keep) == 0.0
    assert overlap.weight(keep) == pytest.approx(2 / 3)
    empty = Overlap(Component("e", torch.zeros(0, dtype=torch.long), torch.zeros(0, dtype=torch.long), 4, 0))
    assert empty.change(torch.zeros(0, dtype=torch.bool)) == empty.weight(torch.zeros(0, dtype=torch.bool)) == 0.0
    comp = random_component(3)
    twice = Component("d", comp.nodes.repeat(2), comp.edges.repeat(2), comp.num_nodes, comp.num_edges)
    keep = torch.rand(comp.nnz, generator=torch.Generator().manual_seed(0)) < 0.5
    assert Overlap(twice).change(keep.repeat(2)) == pytest.approx(brute_change(comp, keep), abs=1e-9)
    for bad in (torch.ones(3), torch.ones(4, dtype=torch.bool)):
        with pytest.raises(ValueError):
            overlap.weight(bad)


def test_overlap_on_hypergraph_components():
    g = torch.Generator().manual_seed(5)
    index = torch.stack([torch.randint(0, 20, (60,), generator=g), torch.arange(60) // 4])
    hg = Hypergraph(index, 20, edge_context=torch.arange(15) % 2, context_names=("a", "b")).deduplicated()
    for comp in components(hg):
        keep = torch.rand(comp.nnz, generator=g) < 0.6
        assert Overlap(comp).change(keep) == pytest.approx(brute_change(comp, keep), abs=1e-9)


# --- neighbour similarity (§2.6) ---------------------------------------------------------------------------


def clique_similarity(component: Component, edge_keep: torch.Tensor, x: torch.Tensor):
    """Mean cosine over neighbours in the clique expansion of the retained hyperedges, pair by pair."""
    h = dense(component) * edge_keep.double()
    shared = h @ h.T  # number of retained hyperedges containing both i and j
    n = component.num_nodes
    num, den = torch.zeros(n, dtype=torch.float64), torch.zeros(n, dtype=torch.float64)
    x = x.double()
    norms = x.norm(dim=1)
    for i in range(n):
        for j in range(n):
            if i == j or shared[i, j] == 0:
                continue
            cos = 0.0 if norms[i] == 0 or norms[j] == 0 else float(x[i] @ x[j] / (norms[i] * norms[j]))
            num[i] += shared[i, j] * cos
            den[i] += shared[i, j]
    mean = torch.where(den > 0, num / den.clamp_min(1), torch.zeros(n, dtype=torch.float64))
    return num, den, mean


def normalise(x: torch.Tensor) -> torch.Tensor:
    norms = x.norm(dim=1, keepdim=True)
    return torch.where(norms > 0, x / norms.clamp_min(1e-300), torch.zeros_like(x))


@pytest.mark.parametrize("seed", range(5))
def test_neighbour_sums_match_clique_expansion(seed):
    comp = random_component(seed, n=15, m=10, density=0.25)
    g = torch.Generator().manual_seed(50 + seed)
    x = torch.randn(comp.num_nodes, 6, generator=g, dtype=torch.float64)
    x[[0, 5]] = 0.0  # zero feature rows
    edge_keep = torch.rand(comp.num_edges, generator=g) < 0.6
    edge_keep[comp.edges[comp.nodes == 2]] = False  # node 2 keeps no hyperedge
    num, den = neighbour_sums(comp, edge_keep, normalise(x))
    ref_num, ref_den, ref_mean = clique_similarity(comp, edge_keep, x)
    torch.testing.assert_close(num, ref_num, rtol=0, atol=1e-12)
    torch.testing.assert_close(den, ref_den, rtol=0, atol=0)
    torch.testing.assert_close(mean_similarity(num, den), ref_mean, rtol=0, atol=1e-12)
    isolated = ~(dense(comp) * edge_keep.double()).bool().any(1)
    assert isolated.any() and (den[isolated] == 0).all()  # nodes with no retained hyperedge


def test_neighbour_sums_keep_dtype_and_handle_singletons():
    comp = Component("s", torch.tensor([0, 1, 1, 2, 3]), torch.tensor([0, 0, 1, 1, 2]), 5, 3)  # edge 2 = {3}
    x = normalise(torch.randn(5, 3, generator=torch.Generator().manual_seed(0)))
    num, den = neighbour_sums(comp, torch.tensor([True, True, True]), x)
    assert num.dtype == den.dtype == torch.float32
    torch.testing.assert_close(den, torch.tensor([1.0, 2.0, 1.0, 0.0, 0.0]))
    sim = mean_similarity(num, den)
    torch.testing.assert_close(sim[:3], torch.stack([x[0] @ x[1], (x[1] @ x[0] + x[1] @ x[2]) / 2, x[2] @ x[1]]))
    assert (sim[3:] == 0).all() and torch.isfinite(sim).all()
    num, den = neighbour_sums(comp, torch.tensor([False, True, False]), x)
    torch.testing.assert_close(den, torch.tensor([0.0, 1.0, 1.0, 0.0, 0.0]))


# --- simplex projection (§2.14, Eq. 34) ---------------------------------------------------------------------


def on_simplex(x: torch.Tensor, tol: float = 1e-12) -> bool:
    return bool((x >= 0).all()) and abs(float(x.sum()) - 1) < tol


def qp_projection(v: np.ndarray) -> np.ndarray:
    res = minimize(lambda z: 0.5 * np.sum((z - v) ** 2), np.full(v.size, 1 / v.size), jac=lambda z: z - v,
                   method="SLSQP", bounds=[(0, None)] * v.size,
                   constraints=[{"type": "eq", "fun": lambda z: z.sum() - 1, "jac": lambda z: np.ones_like(z)}],
                   options={"ftol": 1e-14, "maxiter": 500})
    assert res.success
    return res.x


def simplex_cases() -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    cases = [torch.randn(k, generator=g, dtype=torch.float64) * s for k in (1, 2, 4, 7) for s in (0.1, 1.0, 5.0)]
    cases += [-torch.rand(5, generator=g, dtype=torch.float64) - 1,  # all negative
              torch.tensor([0.25, 0.25, 0.25, 0.25], dtype=torch.float64),  # already on the simplex
              torch.distributions.Dirichlet(torch.ones(6, dtype=torch.float64)).sample(),
              torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64),  # a vertex
              torch.tensor([3.0, 3.0, -1.0, 3.0], dtype=torch.float64)]  # ties
    return cases


@pytest.mark.parametrize("v", simplex_cases())
def test_project_simplex(v):
    p = project_simplex(v)
    assert on_simplex(p)
    torch.testing.assert_close(project_simplex(p), p, rtol=0, atol=1e-15)
    np.testing.assert_allclose(p.numpy(), qp_projection(v.numpy()), atol=1e-6)
    # KKT: p = max(v - theta, 0) with one theta; v_i <= theta wherever p_i = 0
    theta = (v - p)[p > 0]
    assert float(theta.max() - theta.min()) < 1e-12
    assert bool((v[p == 0] <= theta.mean() + 1e-12).all())


def test_project_simplex_fixes_simplex_points():
    v = torch.distributions.Dirichlet(torch.ones(5, dtype=torch.float64)).sample()
    torch.testing.assert_close(project_simplex(v), v, rtol=0, atol=1e-15)
    with pytest.raises(ValueError):
        project_simplex(torch.ones(2, 2))


# --- meta-gradients (§2.14, Eqs. 29-33) ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def meta_problem():
    """A small float64 MLP, four distinct training losses with their gradients, and a validation CE."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)).double()
    params = {name: p.detach().clone() for name, p in net.named_parameters()}
    g = torch.Generator().manual_seed(1)
    x_tr, x_val = (torch.randn(k, 5, generator=g, dtype=torch.float64) for k in (40, 30))
    y_tr, y_val = torch.randint(0, 3, (40,), generator=g), torch.randint(0, 3, (30,), generator=g)
    target = torch.randn(40, 3, generator=g, dtype=torch.float64)

    def logits(p, x):
        return torch.func.functional_call(net, p, (x,))

    losses = [lambda p: torch.nn.functional.cross_entropy(logits(p, x_tr[:20]), y_tr[:20]),
              lambda p: torch.nn.functional.mse_loss(logits(p, x_tr), target),
              lambda p: logits(p, x_tr).logsumexp(1).square().mean(),
              lambda p: torch.nn.functional.cross_entropy(logits(p, x_tr[20:]), (y_tr[20:] + 1) % 3)]
    grads = []
    for loss in losses:
        leaf = {name: p.clone().requires_grad_() for name, p in params.items()}
        grads.append(dict(zip(leaf, torch.autograd.grad(loss(leaf), list(leaf.values())))))

    def val_loss(p):
        return torch.nn.functional.cross_entropy(logits(p, x_val), y_val)

    return params, grads, losses, val_loss


def rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).norm() / b.norm())


def test_inner_step_is_one_sgd_step_on_weighted_loss(meta_problem):
    params, grads, losses, _ = meta_problem
    lam = torch.tensor([0.1, 0.4, 0.2, 0.3], dtype=torch.float64)
    leaf = {name: p.clone().requires_grad_() for name, p in params.items()}
    total = sum(w * loss(leaf) for w, loss in zip(lam, losses))
    opt = torch.optim.SGD(list(leaf.values()), lr=0.05)
    opt.zero_grad()
    total.backward()
    opt.step()
    stepped = inner_step(params, grads, lam, 0.05)
    for name in params:
        torch.testing.assert_close(stepped[name], leaf[name].detach(), rtol=0, atol=1e-14)
    with pytest.raises(ValueError):
        inner_step(params, grads[:3], lam, 0.05)


@pytest.mark.parametrize("eta", [1e-3, 0.1])
@pytest.mark.parametrize("lam", [[0.25, 0.25, 0.25, 0.25], [0.7, 0.1, 0.0, 0.2]])
def test_meta_gradient_routes_agree_in_float64(meta_problem, eta, lam):
    params, grads, _, val_loss = meta_problem
    lam = torch.tensor(lam, dtype=torch.float64)
    exact = exact_meta_gradient(val_loss, params, grads, lam, eta)
    assert exact.shape == (4,) and exact.dtype == torch.float64
    assert float(exact.abs().min()) > 0  # distinct losses give distinct, non-zero components
    assert rel(fd_meta_gradient(val_loss, params, grads, lam, eta, 1e-5), exact) < 1e-6
    assert rel(autograd_meta_gradient(val_loss, params, grads, lam, eta), exact) < 1e-8
    # first-order check against the definition: a small step along -g lowers L_val by about |g|^2 h
    h = 1e-4
    before = val_loss(inner_step(params, grads, lam, eta))
    after = val_loss(inner_step(params, grads, lam - h * exact, eta))
    assert float(before - after) == pytest.approx(h * float(exact @ exact), rel=1e-3)


def test_exact_meta_gradient_ignores_unused_parameters(meta_problem):
    params, grads, _, val_loss = meta_problem
    extra = torch.ones(3, dtype=torch.float64)
    params = {**params, "head": extra}
    grads = [{**g, "head": extra * (j + 1)} for j, g in enumerate(grads)]
    lam = torch.full((4,), 0.25, dtype=torch.float64)
    exact = exact_meta_gradient(val_loss, params, grads, lam, 1e-3)
    torch.testing.assert_close(exact, autograd_meta_gradient(val_loss, params, grads, lam, 1e-3), rtol=1e-10, atol=0)


def test_meta_update_stays_on_simplex(meta_problem):
    params, grads, _, val_loss = meta_problem
    lam = torch.full((4,), 0.25, dtype=torch.float64)
    for _ in range(5):
        g = exact_meta_gradient(val_loss, params, grads, lam, 0.1)
        lam = meta_update(lam, g, 5.0)
        assert on_simplex(lam)
    g = torch.randn(4, generator=torch.Generator().manual_seed(3), dtype=torch.float64) * 100
    updated = meta_update(lam, g, 0.01)
    assert on_simplex(updated)
    torch.testing.assert_close(updated, project_simplex(lam - 0.01 * g))
