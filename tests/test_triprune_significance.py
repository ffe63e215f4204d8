"""TriPrune-HGNN's Table 3 from a hand-made store of Table 2's runs: the tests made, Bonferroni over exactly
those (not the paper's 65), Holm beside it, pending rows with the paper's values, and the 65/65 verdict."""

import numpy as np
import pytest
from scipy import stats as ss

from conftest import put_planned
from hgbench.benchmarks.suites import suite
from test_triprune_tables import load, record

SEEDS = range(5)
FULL = np.array([0.40, 0.42, 0.41, 0.39, 0.43])


@pytest.fixture
def significance(tmp_path):
    """TriPrune and HGNN on IMDB (HGNN worse on every seed) and DBLP (HGNN better on every seed, 4 seeds)."""
    from hgbench.benchmarks.run.store import Store
    store = Store(tmp_path / "store")
    for seed in SEEDS:
        put_planned(store, record("triprune-main", "triprune", "imdb", seed, FULL[seed], 0.8))
        put_planned(store, record("triprune-main", "tp-hgnn", "imdb", seed, FULL[seed] + 0.05 + seed / 1000, 0.7))
        put_planned(store, record("triprune-main", "triprune", "dblp", seed, FULL[seed], 0.8))
        if seed < 4:
            put_planned(store, record("triprune-main", "tp-hgnn", "dblp", seed, FULL[seed] - 0.02 - seed / 500, 0.9))
    return store


def test_table3_tests_the_baselines_against_triprune_and_corrects_over_the_tests_made(significance):
    chosen, data, board, latex, notes = load(significance, "triprune-significance")
    assert chosen.records_from == "triprune-main" and set(board.metric) == {"mae"}
    hgnn = board[board.method == "tp-hgnn"].set_index("dataset")
    p_imdb = ss.ttest_rel(FULL + 0.05 + np.arange(5) / 1000, FULL).pvalue
    p_dblp = ss.ttest_rel(FULL[:4] - 0.02 - np.arange(4) / 500, FULL[:4]).pvalue
    assert hgnn.loc["imdb"].p == pytest.approx(p_imdb) and hgnn.loc["dblp"].p == pytest.approx(p_dblp)
    assert hgnn.loc["imdb"].p_adj == pytest.approx(min(1.0, 2 * p_imdb))  # 2 tests made, not 65
    assert hgnn.loc["dblp"].n_pairs == 4 and hgnn.loc["dblp"].dropped_seeds == "4"
    assert "we correct over the 2 tests made" in latex and "13 baselines" in latex
    assert "lower MAE in 1 of the 2 tests made" in notes and "the paper claims 65/65" in notes


def test_table3_prints_unregistered_rows_as_pending_with_the_paper_values(significance, monkeypatch):
    from dataclasses import replace

    from hgbench.benchmarks.report import render
    from hgbench.benchmarks.suites import base as suites

    for name in ("triprune-main", "triprune-significance"):  # every paper row is registered now: pretend two are not
        monkeypatch.setitem(suites.SUITES._items, name, replace(suite(name), pending_rows=("HSC", "Shaver")))
    chosen, data, board, latex, notes = load(significance, "triprune-significance")
    pending = board[board.method == ""]  # rows of paper baselines with no registered method
    assert set(pending.label) == set(chosen.pending_rows) and len(pending) == 5 * len(chosen.pending_rows)
    row = pending[(pending.label == chosen.pending_rows[0]) & (pending.dataset == "imdb")].iloc[0]
    assert np.isfinite(row.paper_mean)  # the paper's value, printed beside "pending"
    assert latex.count("pending") >= 5 * len(chosen.pending_rows)
    assert set(suite("triprune-main").pending_rows) == set(chosen.pending_rows)
    assert "| triprune-significance |" in render.provenance({"triprune-significance": board})  # budgets of pending


def test_claims_name_the_paper_rows_of_marked_labels(significance):
    """A label with its fidelity mark ("DistillHGNN†") answers a claim naming the paper's row ("DistillHGNN");
    Table 3's 65/65 claim is settled by HGNN's win on DBLP while the other paper rows are still pending."""
    import pandas as pd

    from hgbench.benchmarks.report import claims

    rows = [{"label": label, "paper_dataset": "IMDB", "dataset": "imdb", "metric": "mae", "mean": mean, "std": std,
             "n_runs": 10, "status": "ok"}
            for label, mean, std in (("TriPrune-HGNN", 0.40, 0.006), ("LightHGNN", 0.45, 0.010),
                                     ("DistillHGNN†", 0.44, 0.008), ("SHARP-Distill‡", 0.43, 0.007))]
    _, _, board, _, _ = load(significance, "triprune-significance")
    verdicts = claims.evaluate({"triprune-main": pd.DataFrame(rows), "triprune-significance": board}).set_index(
        "claim_id")
    variance = verdicts.loc["tri_40pct_lower_variance"]
    assert "no rows" not in variance.measured and variance.verdict != "pending"
    every = verdicts.loc["tri_outperforms_65_of_65"]
    assert every.verdict == "not reproduced" and "wins 1 of 2 comparisons where both ran" in every.measured
    assert "already false" in every.measured


def test_the_trade_off_figure_draws_every_row_with_mae_and_inference_costs(tmp_path):
    import pandas as pd

    from hgbench.benchmarks.report import figures

    rows = [{"method": m, "label": label, "dataset": d, "paper_dataset": d.upper(), "metric": metric, "mean": value}
            for m, label in (("tp-hgnn", "HGNN"), ("triprune", "TriPrune-HGNN")) for d in ("imdb", "dblp")
            for metric, value in (("mae", 0.5), ("inference_seconds", 2.0), ("inference_peak_mb", 8.0))]
    board = pd.DataFrame(rows)
    assert figures.mae_vs_cost(board, tmp_path / "t.png").stat().st_size > 0
    assert figures.mae_vs_cost(board[board.metric == "mae"], tmp_path / "u.png") is None  # no cost: no figure
