"""ZEN Tables 2 and 8: the numbers come from the code (runs of zen-tcs-error, the datasets' statistics), never
from the paper's CSV, which only fills the paper columns."""

import numpy as np
import pandas as pd
import pytest
import torch

from hgbench.benchmarks.report import claims, dataset_stats, render, zen_tables_2_8
from hgbench.benchmarks.run.plan import schedule
from hgbench.benchmarks.run.runner import Runner
from hgbench.benchmarks.run.store import Store
from hgbench.benchmarks.suites import suite
from hgbench.datasets import catalog
from hgbench.datasets.splits import make_split
from hgbench.methods import zen_tcs
from hgbench.methods.zen_tcs import TCSError

PAPER_TABLE8 = {0.1: 1.14, 0.01: 0.10, 0.001: 0.01}  # the paper's printed values (only compared with, never used)


# ----------------------------------------------------------------------------- Table 8: the formula and our code
def _direct_eq43(eps: float, k: int, c: int) -> float:
    """Eq. (43) written out with numpy: G from Lemma 5, its inverse and square inverse by numpy.linalg."""
    n = k * c
    blocks = np.kron(np.eye(c), np.ones((k, k)))
    gram = (1 - 2 * eps) * blocks + eps * (np.eye(n) + np.ones((n, n)))
    inverse = np.linalg.inv(gram)
    exact = inverse @ inverse
    return np.linalg.norm(exact - inverse / eps) / np.linalg.norm(exact)


@pytest.mark.parametrize("k, c", [(5, 10), (2, 3), (1, 4)])
@pytest.mark.parametrize("eps", [0.1, 0.01, 0.001, 0.3])
def test_eq43_equals_a_direct_computation_from_the_inverse_of_lemma_5s_gram_matrix(eps, k, c):
    assert zen_tcs.eq43_error(eps, k, c) == pytest.approx(_direct_eq43(eps, k, c), rel=1e-9)


def test_spectral_parts_are_the_orthogonal_projections_of_lemma_6():
    m1, m2, m3 = zen_tcs.spectral_parts(3, 4)
    for i, a in enumerate((m1, m2, m3)):
        torch.testing.assert_close(a @ a, a)
        for b in (m1, m2, m3)[i + 1:]:
            torch.testing.assert_close(a @ b, torch.zeros_like(a))
    torch.testing.assert_close(m1 + m2 + m3, torch.eye(12, dtype=torch.float64))
    eps, gram = 0.07, zen_tcs.assumption_gram(torch.arange(4).repeat_interleave(3), 0.07)
    torch.testing.assert_close(gram, sum(lam * m for lam, m in zip(zen_tcs.eigenvalues(eps, 3, 4), (m1, m2, m3))))


def test_embeddings_satisfy_assumptions_1_and_2_exactly():
    labels = torch.tensor([2, 0, 1, 0, 2, 1])
    z = zen_tcs.assumption_embeddings(labels, 0.05, dimensions=9, seed=3)
    assert z.shape == (6, 9)
    torch.testing.assert_close(z @ z.T, zen_tcs.assumption_gram(labels, 0.05))  # unit rows, 1-eps within, eps across
    torch.testing.assert_close(torch.linalg.norm(z, dim=1), torch.ones(6, dtype=torch.float64))
    with pytest.raises(ValueError, match="at least the number of training nodes"):
        zen_tcs.assumption_embeddings(labels, 0.05, dimensions=5, seed=0)


def test_weight_errors_match_a_direct_pseudoinverse_on_a_tiny_case():
    """Our TCS weights (zen.tcs_weights) against W* = pinv(Z^T Z) Z^T Y computed here with numpy (d x d)."""
    labels, eps = torch.tensor([0, 0, 1, 1, 2, 2]), 0.05
    z = zen_tcs.assumption_embeddings(labels, eps, dimensions=8, seed=1).numpy()
    y = np.eye(3)[labels.numpy()]
    exact = np.linalg.pinv(z.T @ z) @ z.T @ y  # d x c, Eq. (3)
    tcs = z.T @ y
    unit = lambda w: w / np.linalg.norm(w, axis=0)  # noqa: E731  (g_col)
    measured = zen_tcs.errors(labels, 3, eps, dimensions=8, seed=1)
    direct = np.linalg.norm(unit(tcs) - unit(exact)) / np.linalg.norm(unit(exact))
    assert measured["tcs_weights"] == pytest.approx(direct, rel=1e-8)
    assert measured["scaled"] == pytest.approx(np.linalg.norm(tcs / eps - exact) / np.linalg.norm(exact), rel=1e-8)
    assert measured["eq43"] == pytest.approx(_direct_eq43(eps, 2, 3), rel=1e-9)
    assert measured["eq43_numeric"] == pytest.approx(measured["eq43"], rel=1e-6)


def test_fit_on_a_5_shot_split_of_10_classes_gives_decreasing_errors_and_the_papers_rounded_values():
    data = catalog.load("synthetic-tcs")
    split = make_split(data.labels, "5-shot", 0)
    method = TCSError()
    found = {}
    for eps in zen_tcs.EPSILONS:
        fitted = method.fit(data, split, {"epsilon": eps}, 0, None)
        assert (fitted.diagnostics["k"], fitted.diagnostics["c"]) == (5, 10)
        assert fitted.predict().shape == (data.num_nodes, data.num_classes)
        found[eps] = fitted.diagnostics
    for quantity in zen_tcs.QUANTITIES:  # every error shrinks as epsilon does (scaled grows: its 1/eps is wrong)
        values = [found[eps][f"{quantity}_error_pct"] for eps in zen_tcs.EPSILONS]
        assert (values == sorted(values, reverse=True)) is (quantity != "scaled"), quantity
    for eps, printed in PAPER_TABLE8.items():  # Eq. (43) computed by our code lands on the paper's rounding
        assert round(found[eps]["eq43_error_pct"], 2) == printed
        assert round(found[eps]["eq43_numeric_error_pct"], 2) == printed
        assert found[eps]["tcs_weights_error_pct"] > found[eps]["eq43_error_pct"]  # on W, the error is larger


def test_fit_needs_k_training_nodes_of_every_class():
    with pytest.raises(ValueError, match="k training nodes of every class"):
        zen_tcs.errors(torch.tensor([0, 0, 1]), 2, 0.1, 8, 0)


# ----------------------------------------------------------------------------- Table 8: suite, run, report
def test_the_zen_tcs_suite_runs_and_renders_the_stored_errors_beside_the_paper(tmp_path):
    store = Store(tmp_path / "store")
    empty = render.render(store, suite("zen-tcs"), tmp_path / "before")
    assert set(pd.read_csv(empty["leaderboard"]).status) == {"pending"}
    jobs = schedule(store, "zen-tcs", ["zen-tcs-error"], ["synthetic-tcs"], "5-shot", seeds=2)
    assert len(jobs) == 2 * len(zen_tcs.EPSILONS)
    Runner(store).run(jobs)
    records = store.records("zen-tcs")
    assert len(records) == len(jobs) and {r["status"] for r in records} == {"ok"}
    paths = render.render(store, suite("zen-tcs"), tmp_path / "out")
    board = pd.read_csv(paths["leaderboard"]).set_index("metric")
    for eps in zen_tcs.EPSILONS:
        stored = [r["diagnostics"] for r in records if r["params"]["epsilon"] == eps]
        for quantity in zen_tcs.QUANTITIES:
            row = board.loc[zen_tables_2_8.tcs_metric(quantity, eps)]
            stored_mean = np.mean([d[f"{quantity}_error_pct"] for d in stored])
            assert row["mean"] == pytest.approx(stored_mean, abs=5e-5)  # the CSV keeps 4 decimals
            assert row.n_runs == 2 and row.status == "ok"
        assert board.at[zen_tables_2_8.tcs_metric("eq43", eps), "paper_mean"] == PAPER_TABLE8[eps]
        assert np.isnan(board.at[zen_tables_2_8.tcs_metric("tcs_weights", eps), "paper_mean"])
    latex = paths["latex"].read_text()
    assert r"0.1 & 1.14\% & 1.1417\% & 1.1417\%" in latex and "k=5, c=10" in latex
    assert "Eq. (43), closed form | 1.1417 |" in paths["notes"].read_text()
    assert set(render.board_metrics(suite("zen-tcs"))) == set(board.index)
    # the Appendix C claim is checked against these runs: Eq. (43) as computed here, at each epsilon
    verdicts = claims.evaluate({"zen-tcs": pd.read_csv(paths["leaderboard"])}).set_index("claim_id")
    assert verdicts.at["zen_tcs_relative_error", "verdict"] == "reproduced"
    assert "zen-tcs: 1.142" in verdicts.at["zen_tcs_relative_error", "measured"]
    assert claims.evaluate({}).set_index("claim_id").at["zen_tcs_relative_error", "verdict"] == "pending"


# ----------------------------------------------------------------------------- Table 2
def test_table2_rows_equal_the_catalogs_counts(real_data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("HGBENCH_DATA", str(real_data_dir))
    paths = render.render(Store(tmp_path / "store"), suite("zen-datasets"), tmp_path / "out")
    board = pd.read_csv(paths["leaderboard"])
    assert list(dict.fromkeys(board.dataset)) == list(suite("zen-datasets").datasets)
    cells = board.set_index(["dataset", "metric"])
    checked = 0
    for name in ("zoo", "senate", "house", "cora"):
        if cells.at[(name, "nodes"), "status"] != "ok":
            continue
        data = catalog.load(name, real_data_dir)
        counts = data.summary()
        expected = {"nodes": counts["nodes"], "hyperedges": counts["hyperedges"], "classes": counts["classes"],
                    "features": counts["features"], "raw_hyperedges": counts["hyperedges"] - data.added_singletons,
                    "density": (counts["hyperedges"] - data.added_singletons) / counts["nodes"]}
        for metric, value in expected.items():
            assert cells.at[(name, metric), "mean"] == pytest.approx(value, abs=1e-4), (name, metric)
        assert data.added_singletons == int((data.hypergraph.edge_degree() == 1).sum()) - int(
            (data.hypergraph.edge_degree()[: data.hypergraph.num_edges - data.added_singletons] == 1).sum())
        checked += 1
    assert checked >= 2
    if cells.at[("zoo", "nodes"), "status"] == "ok":  # Table 2 counts raw hyperedges: Zoo's 43 (100 singletons added)
        assert cells.at[("zoo", "raw_hyperedges"), "mean"] == cells.at[("zoo", "raw_hyperedges"), "paper_mean"] == 43
    assert cells.at[("cora", "density"), "paper_mean"] == 0.5835  # the paper column is the paper's CSV
    latex = paths["latex"].read_text()
    assert r"\# nodes $|V|$ & paper & 2708" in latex and "ours" in latex
    assert "## The paper's printed densities against its own counts" in paths["notes"].read_text()


def test_table2_without_data_marks_every_dataset_and_renders(monkeypatch, tmp_path):
    monkeypatch.setenv("HGBENCH_DATA", str(tmp_path / "nothing"))
    paths = render.render(Store(tmp_path / "store"), suite("zen-datasets"), tmp_path / "out")
    board = pd.read_csv(paths["leaderboard"])
    assert set(board.status) <= {"pending", "data unavailable"} and board["mean"].isna().all()
    assert board.paper_mean.notna().sum() == 11 * 5  # every paper cell but the singleton row's
    assert "Not measured here" in paths["notes"].read_text()


def test_paper_density_checks_recompute_the_papers_own_ratio():
    checks = {d: (printed, computed) for d, printed, computed in
              zen_tables_2_8.paper_density_checks(dataset_stats.PAPER_TABLE)}
    assert set(checks) == {"Cora", "Pubmed", "Congress", "Walmart", "Senate"}
    assert checks["Cora"][1] == pytest.approx(1579 / 2708)


# ----------------------------------------------------------------------------- the group and bench report
def test_both_suites_are_in_the_paper_group_and_bench_report_renders_them(tmp_path, monkeypatch):
    monkeypatch.setenv("HGBENCH_DATA", str(tmp_path / "nothing"))  # Table 2 pending: fast
    assert {"zen-datasets", "zen-tcs"} <= set(suite("paper").includes)
    store = Store(tmp_path / "store")
    schedule(store, "zen-datasets", [], list(suite("zen-datasets").datasets), "5-shot", seeds=1)  # bench run: no job
    Runner(store).run(schedule(store, "zen-tcs", ["zen-tcs-error"], ["synthetic-tcs"], "5-shot", seeds=1))
    report = render.render_all(store, tmp_path / "out")
    assert list(report.suites) == ["zen-datasets", "zen-tcs"]
    assert (tmp_path / "out" / "zen-tcs" / "table.tex").exists()
    assert (tmp_path / "out" / "zen-datasets" / "table.tex").exists()
    assert "zen-tcs" in render.markdown(report)
