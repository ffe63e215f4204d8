import json
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from hgbench.datasets.splits import k_shot_split
from hgbench.datasets.synthetic import SyntheticConfig, generate
from hgbench.methods import zen as zen_module
from hgbench.methods.zen import (ZEN, hgnn_propagation, least_squares_weights, redundancy_aware_propagation, rsi,
                                 simplex_grid, tcs_weights)
from conftest import dense_incidence, random_hypergraph


def _inv(values):
    return torch.where(values > 0, 1 / values.clamp_min(1e-12), torch.zeros_like(values))


def dense_hat_operators(hg):
    """Dense A_hat_1, A_1*, A_hat_2, A_2* built literally from Eqs. (7)-(9)."""
    h = dense_incidence(hg)
    dv, de = h.sum(1), h.sum(0)
    dv_half = torch.diag(dv.pow(-0.5))
    a1_hat = dv_half @ h @ torch.diag(_inv(de - 1)) @ h.T @ dv_half
    a1 = a1_hat - torch.diag(torch.diagonal(a1_hat))
    a2_hat = a1 @ torch.diag(dv.sqrt() * _inv(dv - 1) * dv.sqrt()) @ a1
    a2 = a2_hat - torch.diag(torch.diagonal(a2_hat))
    return a1_hat, a1, a2_hat, a2


@pytest.mark.parametrize("seed", range(5))
def test_rsi_formulas_equal_the_diagonal_of_dense_operators(seed):
    """Eq. (10) always; Eq. (11) when no two nodes share more than one hyperedge (see next test)."""
    hg = random_hypergraph(seed, num_nodes=14 + seed, num_edges=6 + seed, max_size=4, linear=True)
    a1_hat, _, a2_hat, _ = dense_hat_operators(hg)
    rsi1, rsi2 = rsi(hg)
    torch.testing.assert_close(rsi1, torch.diagonal(a1_hat))  # Eq. (10)
    torch.testing.assert_close(rsi2, torch.diagonal(a2_hat))  # Eq. (11)


def test_eq11_omits_cross_terms_of_node_pairs_sharing_several_hyperedges():
    """Finding: diag(A_hat_2)_ii = d_i^-1 sum_k (d_k - 1)^-1 (sum_{e ni i,k} (d_e - 1)^-1)^2, while
    Eq. (11) (and the official code) sums the squares instead of squaring the sum. We keep Eq. (11)."""
    hg = random_hypergraph(0)
    h = dense_incidence(hg)
    _, _, a2_hat, _ = dense_hat_operators(hg)
    pair = h @ torch.diag(_inv(h.sum(0) - 1)) @ h.T
    pair.fill_diagonal_(0)
    exact = _inv(h.sum(1)) * (pair.square() @ _inv(h.sum(1) - 1))
    torch.testing.assert_close(exact, torch.diagonal(a2_hat))
    assert not torch.allclose(rsi(hg)[1], torch.diagonal(a2_hat))


@pytest.mark.parametrize("seed", range(3))
def test_redundancy_aware_propagation_matches_dense(seed):
    hg = random_hypergraph(seed, num_nodes=14, num_edges=7, max_size=4, linear=True)
    _, a1, _, a2 = dense_hat_operators(hg)
    x = torch.randn(hg.num_nodes, 5, dtype=torch.float64)
    ax, aax = redundancy_aware_propagation(hg, x)
    torch.testing.assert_close(ax, a1 @ x)
    torch.testing.assert_close(aax, a2 @ x)
    assert torch.diagonal(a1).abs().max() == 0 and torch.diagonal(a2).abs().max() == 0


def test_plain_propagation_is_the_hgnn_operator():
    hg = random_hypergraph(4)
    h = dense_incidence(hg)
    dv = torch.diag(h.sum(1).pow(-0.5))
    a = dv @ h @ torch.diag(1 / h.sum(0)) @ h.T @ dv
    x = torch.randn(hg.num_nodes, 3, dtype=torch.float64)
    ax, aax = hgnn_propagation(hg, x)
    torch.testing.assert_close(ax, a @ x)
    torch.testing.assert_close(aax, a @ a @ x)


def test_tcs_equals_exact_least_squares_when_assumption_2_holds():
    """Embeddings equal to orthonormal class vectors (Assumption 2 with epsilon = 0): Eq. (4) = Eq. (3)."""
    torch.manual_seed(0)
    classes, per_class, d = 4, 5, 16
    basis = torch.linalg.qr(torch.randn(d, classes, dtype=torch.float64))[0].T  # orthonormal rows
    y = torch.arange(classes).repeat_interleave(per_class)
    z = basis[y]
    torch.testing.assert_close(tcs_weights(z, y, classes), least_squares_weights(z, y, classes))
    queries = F.normalize(basis + 0.3 * torch.randn(classes, d, dtype=torch.float64), dim=-1)
    assert torch.equal((queries @ tcs_weights(z, y, classes).T).argmax(1), torch.arange(classes))


def test_simplex_grid_has_55_points_on_the_simplex():
    grid = simplex_grid(9)
    assert grid.shape == (55, 3)
    torch.testing.assert_close(grid.sum(1), torch.ones(55, dtype=torch.float64))
    assert (grid >= 0).all() and len({tuple(p.tolist()) for p in grid}) == 55
    assert grid[0].tolist() == [0.0, 0.0, 1.0]  # ZEN's order: a0 outer, a1 inner


def test_search_recombines_one_propagation(monkeypatch):
    data = generate(SyntheticConfig(num_nodes=200, num_edges=150, seed=3))
    method = ZEN()
    prepared = method.prepare(data, {})

    def forbidden(*args, **kwargs):
        raise AssertionError("fit must not propagate again")

    monkeypatch.setattr(zen_module, "redundancy_aware_propagation", forbidden)
    for seed in range(3):
        fitted = method.fit(data, k_shot_split(data.labels, 5, seed), {}, seed, prepared)
        assert fitted.predict().shape == (200, data.num_classes)
        assert fitted.diagnostics["grid_points"] == 55


def test_search_selects_on_validation_as_brute_force():
    """The vectorised search picks the grid point a per-point loop (the official code's way) picks."""
    data = generate(SyntheticConfig(num_nodes=300, num_edges=200, homophily=0.5, noise=3.0, seed=5))
    method = ZEN()
    prepared = method.prepare(data, {})
    split = k_shot_split(data.labels, 5, 0)
    fitted = method.fit(data, split, {}, 0, prepared)
    best, best_acc = None, -1.0
    for alpha in simplex_grid(9):
        z = F.normalize(torch.einsum("l,lnd->nd", alpha, prepared.hops), dim=-1)
        w = tcs_weights(z[split.train], data.labels[split.train], data.num_classes)
        acc = ((z[split.val] @ w.T).argmax(1) == data.labels[split.val]).double().mean().item()
        if acc > best_acc:
            best, best_acc = alpha, acc
    assert fitted.diagnostics["alpha"] == [round(float(a), 6) for a in best]


@pytest.mark.parametrize("variant", ["full", "no-tcs", "no-rap", "no-tcs-no-rap", "linearized-hgnn"])
def test_variants_beat_chance_on_an_easy_hypergraph(variant):
    data = generate(SyntheticConfig(num_nodes=300, num_edges=300, homophily=0.9, noise=1.0, seed=1))
    method = ZEN(variant=variant)
    split = k_shot_split(data.labels, 5, 0)
    scores = method.fit(data, split, {}, 0, method.prepare(data, {})).predict()
    accuracy = (scores[split.test].argmax(1) == data.labels[split.test]).float().mean()
    assert accuracy > 0.6  # chance is 0.25


def test_unknown_variant_is_an_error():
    with pytest.raises(ValueError, match="valid: full"):
        ZEN(variant="nope")


def _full_dimension_fit(method, data, split, prepared):
    """The search and prediction as ZEN's formulas read, in the d feature dimensions (before the span
    coordinates and the Gram norms): G x R x d embeddings, the N x d matrix of the selected point."""
    config = method.hyperparameters({})
    solve = tcs_weights if config["variant"] in ("full", "no-rap") else least_squares_weights
    grid = method.coefficient_grid(config)
    rows = torch.cat([split.train, split.val])
    z = F.normalize(torch.einsum("gl,lrd->grd", grid, prepared.hops[:, rows]), dim=-1)
    n_train = split.train.numel()
    weights = solve(z[:, :n_train], data.labels[split.train], data.num_classes)
    val_acc = (torch.einsum("grd,gcd->grc", z[:, n_train:], weights).argmax(-1) == data.labels[split.val]).double()
    best = int(torch.argmax(val_acc.mean(-1)))
    z_all = F.normalize(torch.einsum("l,lnd->nd", grid[best], prepared.hops), dim=-1)
    return grid[best], (z_all @ weights[best].T).float()


@pytest.mark.parametrize("variant", ["full", "no-tcs", "no-rap"])
@pytest.mark.parametrize("features", [8, 600])  # d below and well above 3R: features as they are, span coordinates
def test_span_coordinates_and_gram_norms_give_the_full_dimension_predictions(variant, features):
    data = generate(SyntheticConfig(num_nodes=300, num_edges=200, num_features=features, homophily=0.6, noise=2.0,
                                    seed=7))
    method = ZEN(variant=variant)
    prepared = method.prepare(data, {})
    for seed in range(4):
        split = k_shot_split(data.labels, 5, seed)
        fitted = method.fit(data, split, {}, seed, prepared)
        alpha, expected = _full_dimension_fit(method, data, split, prepared)
        scores = fitted.predict()
        assert fitted.diagnostics["alpha"] == [round(float(a), 6) for a in alpha]
        assert torch.equal(scores.argmax(1), expected.argmax(1))
        torch.testing.assert_close(scores, expected, rtol=1e-5, atol=1e-6)


def test_span_coordinates_keep_every_inner_product():
    rows = torch.randn(3, 7, 90, dtype=torch.float64)
    coordinates, basis = zen_module.span_coordinates(rows)
    assert coordinates.shape == (3, 7, 21) and basis.shape == (90, 21)
    flat, flat_c = rows.reshape(21, 90), coordinates.reshape(21, 21)
    torch.testing.assert_close(flat_c @ flat_c.T, flat @ flat.T)
    torch.testing.assert_close(flat_c @ basis.T, flat)
    same, none = zen_module.span_coordinates(rows[:, :, :60])  # 3R not well below d: kept as they are
    assert none is None and same.shape == (3, 7, 60)


@pytest.mark.realdata
@pytest.mark.parametrize("dataset", ["senate", "house", "cora", "citeseer"])
def test_committed_zen_records_are_reproduced(dataset, real_data_dir):
    """The stored zen-5shot records (results/store, read only) of these datasets: the same selected point and
    the same train/val/test metrics from the current fit and predict on their stored splits."""
    from hgbench.benchmarks.run.metrics import evaluate
    from hgbench.datasets import catalog
    from hgbench.datasets.splits import Split

    store = Path(__file__).resolve().parents[1] / "results" / "store"
    records = [r for r in map(json.loads, map(Path.read_text, (store / "records" / "zen").glob("*.json")))
               if r["dataset"] == dataset and r["protocol"] == "5-shot" and r["status"] == "ok"
               and r["params"] == ZEN.defaults]
    assert len(records) >= 3
    data = catalog.load(dataset, real_data_dir)
    method = ZEN()
    prepared = method.prepare(data, {})
    for record in sorted(records, key=lambda r: r["seed"])[:5]:
        stored = json.loads((store / "splits" / dataset / "5-shot" / f"seed{record['seed']}.json").read_text())
        split = Split.from_dict(stored, data.labels)
        fitted = method.fit(data, split, {}, record["seed"], prepared)
        scores = fitted.predict()
        assert fitted.diagnostics["alpha"] == record["diagnostics"]["alpha"]
        for part in ("train", "val", "test"):
            assert evaluate(scores, data.labels, getattr(split, part)) == pytest.approx(record[part], nan_ok=True)
