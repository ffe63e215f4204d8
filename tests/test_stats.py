"""Known-answer tests for hgbench.benchmarks.report.stats (fast: no training, small data)."""

from __future__ import annotations

import ast
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as ss

from hgbench.benchmarks.report import stats as st

PAPER_TABLES = Path(__file__).resolve().parents[1] / "src" / "hgbench" / "paper_tables"


# --------------------------------------------------------------------------- helpers

def long_frame(values: dict[tuple[str, str], list[float]], metric: str = "accuracy",
               setting: str = "shots=5") -> pd.DataFrame:
    """{(method, dataset): [value per seed]} -> long frame; None entries are skipped (missing run)."""
    rows = []
    for (method, dataset), vals in values.items():
        for seed, value in enumerate(vals):
            if value is not None:
                rows.append({"method": method, "dataset": dataset, "setting": setting, "seed": seed,
                             "metric": metric, "value": value, "extra": "ignored"})
    return pd.DataFrame(rows)


def synthetic(n_methods: int = 3, datasets=("d1", "d2"), n_seeds: int = 10, seed: int = 0) -> pd.DataFrame:
    """Reference R plus methods M0..; method i is worse than R by 0.01 * (i + 1) on average."""
    rng = np.random.default_rng(seed)
    values = {}
    for dataset in datasets:
        base = rng.normal(0.7, 0.05, n_seeds)
        values[("R", dataset)] = list(base + 0.05)
        for i in range(n_methods):
            values[(f"M{i}", dataset)] = list(base + 0.05 - 0.01 * (i + 1) + rng.normal(0, 0.01, n_seeds))
    return long_frame(values)


def half_up(x: float, decimals: int = 1) -> float:
    return math.floor(x * 10 ** decimals + 0.5 + 1e-9) / 10 ** decimals


# --------------------------------------------------------------------------- basics and summary

def test_higher_is_better_table_and_override():
    assert {k: st.HIGHER_IS_BETTER[k] for k in ("accuracy", "mae", "rmse")} == {"accuracy": True, "mae": False,
                                                                                "rmse": False}
    assert not any(st.is_higher_better(cost) for cost in ("one_config", "protocol", "ratio_one_config"))
    assert st.is_higher_better("accuracy") and not st.is_higher_better("MAE")
    assert st.is_higher_better("mae", override=True)
    with pytest.raises(KeyError):
        st.is_higher_better("f1")


def test_summarise_population_std_and_sem():
    vals = [0.5, 0.6, 0.9, 0.7]
    frame = long_frame({("A", "d"): vals, ("B", "d"): [0.1, 0.2, 0.3, 0.4]})
    frame.loc[len(frame)] = ["A", "d", "shots=5", 4, "accuracy", 0.99, "x"]
    frame["status"] = "ok"
    frame.loc[frame.index[-1], "status"] = "oom"  # failed run: excluded, counted
    out = st.summarise(frame).set_index("method")
    assert out.loc["A", "mean"] == pytest.approx(np.mean(vals))
    assert out.loc["A", "std"] == pytest.approx(np.std(vals))  # ZEN: np.std, ddof=0
    assert out.loc["A", "sem"] == pytest.approx(ss.sem(vals))  # sem_ddof=1
    assert out.loc["A", "n_runs"] == 4 and out.loc["A", "n_failed"] == 1
    assert out.loc["A", "std_convention"] == "population (ddof=0), as ZEN's np.std"
    assert out.attrs["std_convention"].startswith("population")
    sample = st.summarise(frame, ddof=1).set_index("method")
    assert sample.loc["A", "std"] == pytest.approx(np.std(vals, ddof=1))
    assert (sample["std_ddof"] == 1).all()


def test_missing_columns_rejected():
    with pytest.raises(ValueError, match="seed"):
        st.summarise(pd.DataFrame({"method": [], "dataset": [], "setting": [], "metric": [], "value": []}))


# --------------------------------------------------------------------------- pairing

def test_missing_pair_dropped_and_reported():
    frame = long_frame({("A", "d"): [1.0, 2.0, 3.0, None, 5.0],
                        ("R", "d"): [1.5, 2.5, 3.0, 4.0, 5.5, 6.0]})
    pair = st.paired(frame, "accuracy", "A", "R")
    assert pair.n_pairs == 4 and pair.n_dropped == 2
    assert pair.dropped["seed"].tolist() == [3, 5]
    assert pair.dropped["missing"].tolist() == ["a", "a"]
    assert pair.keys["seed"].tolist() == [0, 1, 2, 4]
    np.testing.assert_allclose(pair.diff, [-0.5, -0.5, 0.0, -0.5])
    table = st.paired_ttests(frame, "accuracy", "R", correction="bonferroni")
    assert table.loc[0, "n_pairs"] == 4 and table.loc[0, "n_dropped"] == 2


def test_failed_status_counts_as_missing_pair():
    frame = long_frame({("A", "d"): [1.0, 2.0, 3.0], ("R", "d"): [1.0, 2.5, 3.5]})
    frame["status"] = ["ok", "ok", "failed", "ok", "ok", "ok"]
    pair = st.paired(frame, "accuracy", "A", "R")
    assert pair.n_pairs == 2 and pair.dropped["seed"].tolist() == [2]


def test_duplicate_runs_rejected():
    frame = long_frame({("A", "d"): [1.0, 2.0], ("R", "d"): [1.0, 2.0]})
    frame = pd.concat([frame, frame.iloc[[0]]], ignore_index=True)
    with pytest.raises(ValueError, match="duplicate"):
        st.paired(frame, "accuracy", "A", "R")


# --------------------------------------------------------------------------- t-test and corrections

def test_ttest_matches_scipy_and_hand_value():
    a = [3.0, 5.0, 7.0, 9.0, 11.0]
    b = [2.0, 3.0, 4.0, 5.0, 6.0]  # d = 1..5: mean 3, sd sqrt(2.5) -> t = 3 / (sqrt(2.5)/sqrt(5)) = 3*sqrt(2)
    frame = long_frame({("A", "d"): a, ("R", "d"): b})
    row = st.paired_ttests(frame, "accuracy", "R", correction="holm").iloc[0]
    assert row["t"] == pytest.approx(3 * math.sqrt(2))
    ref = ss.ttest_rel(a, b)
    assert row["t"] == pytest.approx(ref.statistic) and row["p"] == pytest.approx(ref.pvalue, rel=1e-12)
    assert row["p"] == pytest.approx(2 * ss.t.sf(3 * math.sqrt(2), 4))
    assert row["mean_diff"] == pytest.approx(3.0) and row["favours"] == "method"


def test_ttest_table_columns_and_scipy_on_synthetic():
    frame = synthetic()
    table = st.paired_ttests(frame, "accuracy", "R", correction="bonferroni")
    expected_cols = ["method", "reference", "dataset", "setting", "metric", "n_pairs", "n_dropped",
                     "mean_diff", "t", "p", "p_adj", "correction", "significant", "mark"]
    assert all(c in table.columns for c in expected_cols)
    assert len(table) == 6 and (table["correction"] == "bonferroni").all() and (table["n_tests"] == 6).all()
    for _, row in table.iterrows():
        pair = st.paired(frame, "accuracy", row["method"], "R", dataset=row["dataset"])
        assert row["p"] == pytest.approx(ss.ttest_rel(pair.a, pair.b).pvalue, rel=1e-12)
        assert row["p_adj"] == pytest.approx(min(1.0, 6 * row["p"]))
        assert row["significant"] == (row["p_adj"] <= 0.05)
        assert row["mark"] == st.significance_mark(row["p_adj"])
    assert (table["favours"] == "reference").all()
    pd.testing.assert_frame_equal(table, st.paired_ttests(frame, "accuracy", "R", correction="bonferroni"))


def test_default_correction_is_holm_and_recorded():
    table = st.paired_ttests(synthetic(), "accuracy", "R")
    assert (table["correction"] == "holm").all()
    with pytest.raises(ValueError):
        st.paired_ttests(synthetic(), "accuracy", "R", correction="bogus")


def test_bonferroni_and_holm_by_hand():
    p = np.array([0.01, 0.04, 0.03, 0.005])
    _, bonf = st.adjust_pvalues(p, correction="bonferroni")
    np.testing.assert_allclose(bonf, np.minimum(1.0, 4 * p))
    # Holm step-down: sorted 0.005*4=0.02, 0.01*3=0.03, 0.03*2=0.06, 0.04*1=0.04 -> max(0.06, 0.04)=0.06
    reject, holm = st.adjust_pvalues(p, correction="holm")
    np.testing.assert_allclose(holm, [0.03, 0.06, 0.06, 0.02])
    assert reject.tolist() == [True, False, False, True]
    with pytest.raises(TypeError):
        st.adjust_pvalues(p)  # correction must be explicit
    reject, adj = st.adjust_pvalues([0.01, np.nan, 0.02], correction="bonferroni")  # NaN left out
    np.testing.assert_allclose(adj, [0.02, np.nan, 0.04])
    assert reject.tolist() == [True, False, True]


def test_family_per_block():
    table = st.paired_ttests(synthetic(), "accuracy", "R", correction="bonferroni", family="block")
    assert (table["n_tests"] == 3).all()
    np.testing.assert_allclose(table["p_adj"], np.minimum(1.0, 3 * table["p"]))


def test_marks_follow_triprune_levels():
    assert [st.significance_mark(p) for p in (0.0005, 0.005, 0.03, 0.05, 0.2, np.nan)] == \
        ["***", "**", "*", "", "", ""]


# --------------------------------------------------------------------------- Wilcoxon

def test_wilcoxon_matches_scipy():
    frame = synthetic()
    with warnings.catch_warnings():
        warnings.simplefilter("error", st.UnreachableSignificanceWarning)  # 0.05/6 is reachable
        table = st.wilcoxon_tests(frame, "accuracy", "R", correction="holm")
    for _, row in table.iterrows():
        pair = st.paired(frame, "accuracy", row["method"], "R", dataset=row["dataset"])
        ref = ss.wilcoxon(pair.a, pair.b)
        assert row["p"] == pytest.approx(ref.pvalue) and row["w"] == pytest.approx(ref.statistic)
    assert table["floor_reachable"].all()


def test_wilcoxon_warns_when_corrected_level_unreachable():
    frame = synthetic(n_methods=14, datasets=("d1", "d2", "d3", "d4", "d5"))  # 70 comparisons, 10 pairs
    with pytest.warns(st.UnreachableSignificanceWarning, match="cannot reach"):
        table = st.wilcoxon_tests(frame, "accuracy", "R", correction="bonferroni")
    assert len(table) == 70 and (table["n_tests"] == 70).all()
    assert table["p_floor"].iloc[0] == pytest.approx(2 / 1024)
    assert table["level"].iloc[0] == pytest.approx(0.05 / 70)
    assert not table["floor_reachable"].any() and not table["significant"].any()
    assert table["p"].min() >= 2 / 1024 - 1e-15


# --------------------------------------------------------------------------- Nadeau-Bengio

def test_nadeau_bengio_by_hand():
    d = [1.0, 2.0, 3.0, 4.0, 5.0]  # mean 3, var 2.5; factor 1/5 + 20/80 = 0.45 -> var 1.125
    res = st.nadeau_bengio_ttest(d, n_train=80, n_test=20)
    assert res.corrected_variance == pytest.approx(1.125)
    assert res.t == pytest.approx(2 * math.sqrt(2)) and res.df == 4
    assert res.p == pytest.approx(2 * ss.t.sf(2 * math.sqrt(2), 4))
    plain = ss.ttest_1samp(d, 0.0)  # the uncorrected test is less conservative
    assert res.p > plain.pvalue
    assert st.nadeau_bengio_ttest(d, 80, 20, alternative="greater").p == pytest.approx(res.p / 2)


# --------------------------------------------------------------------------- ranks

def rank_example(metric="accuracy"):
    return long_frame({("A", "D1"): [0.9], ("B", "D1"): [0.9], ("C", "D1"): [0.8], ("D", "D1"): [0.7],
                       ("A", "D2"): [0.5], ("B", "D2"): [0.6], ("C", "D2"): [0.6]}, metric=metric)


def test_average_ranks_ties_and_missing_last():
    frame = rank_example()
    avg = st.average_ranks(frame, "accuracy")  # D1: 1.5 1.5 3 4 ; D2: 3 1.5 1.5 (D missing -> 4)
    assert avg.to_dict() == pytest.approx({"A": 2.25, "B": 1.5, "C": 2.25, "D": 4.0})
    assert list(avg.index) == ["B", "A", "C", "D"]
    low = st.average_ranks(frame, "accuracy", ties="min")  # D1: 1 1 3 4 ; D2: 3 1 1 4
    assert low.to_dict() == pytest.approx({"A": 2.0, "B": 1.0, "C": 2.0, "D": 4.0})
    # lower is better: D1: D=1, C=2, A=B=3 (min) ; D2: A=1, B=C=2, D missing -> 4
    flipped = st.average_ranks(rank_example("mae"), "mae", ties="min")
    assert flipped.to_dict() == pytest.approx({"A": 2.0, "B": 2.5, "C": 2.0, "D": 2.5})
    with pytest.raises(ValueError):
        st.average_ranks(frame, "accuracy", ties="dense")


def test_two_missing_methods_share_last_places():
    scores = pd.DataFrame([[0.9, np.nan, 0.5, np.nan]], columns=list("ABCD"))
    assert st.rank_matrix(scores, True, "average").iloc[0].tolist() == [1.0, 3.5, 2.0, 3.5]
    assert st.rank_matrix(scores, True, "min").iloc[0].tolist() == [1.0, 3.0, 2.0, 3.0]


def test_failed_runs_ranked_last():
    frame = long_frame({("A", "D1"): [0.9, 0.8], ("B", "D1"): [0.5, 0.5]})
    frame["status"] = ["oom", "oom", "ok", "ok"]
    assert st.average_ranks(frame, "accuracy").to_dict() == {"B": 1.0, "A": 2.0}


@pytest.mark.parametrize("table, ties", [
    ("zen_table3_5shot_accuracy", "min"), ("zen_table6_ablation", "min"),
    ("zen_table9_10shot", "min"), ("zen_table11_extra_baselines", "min"),
    ("zen_table10_20shot", "average"),
])
def test_reproduces_zen_avg_rank(table, ties):
    path = PAPER_TABLES / f"{table}.csv"
    if not path.exists():
        pytest.skip(f"{path} not available")
    df = pd.read_csv(path)
    acc = df[df["metric"] == "accuracy"].assign(seed=0, value=lambda d: d["mean"])
    printed = df[df["metric"] == "Avg. Rank"].set_index("method")["mean"]
    ranks = st.average_ranks(acc, "accuracy", ties=ties)  # Table 11: LEGCN O.O.M ranked last
    assert {m: half_up(ranks[m]) for m in printed.index} == pytest.approx(printed.to_dict())


# --------------------------------------------------------------------------- Friedman / Nemenyi

# Demšar (2006) Table 6: AUC of C4.5 variants on 14 data sets.  The printed values are rounded
# to 3 decimals; on "voting" the paper's ranks treat C4.5+cf (0.975) as better than C4.5+m+cf
# (0.975), so that cell is nudged to 0.97501 to reproduce the published ranks.
DEMSAR_AUC = np.array([
    [0.763, 0.768, 0.771, 0.798], [0.599, 0.591, 0.590, 0.569], [0.954, 0.971, 0.968, 0.967],
    [0.628, 0.661, 0.654, 0.657], [0.882, 0.888, 0.886, 0.898], [0.936, 0.931, 0.916, 0.931],
    [0.661, 0.668, 0.609, 0.685], [0.583, 0.583, 0.563, 0.625], [0.775, 0.838, 0.866, 0.875],
    [1.000, 1.000, 1.000, 1.000], [0.940, 0.962, 0.965, 0.962], [0.619, 0.666, 0.614, 0.669],
    [0.972, 0.981, 0.97501, 0.975], [0.957, 0.978, 0.946, 0.970]])
DEMSAR_NAMES = ["C4.5", "C4.5+m", "C4.5+cf", "C4.5+m+cf"]


def test_friedman_demsar_worked_example():
    scores = pd.DataFrame(DEMSAR_AUC, columns=DEMSAR_NAMES)
    res = st.friedman_nemenyi(scores, higher_is_better=True, tie_correction=False)
    np.testing.assert_allclose(res.average_ranks.to_numpy(), [3.143, 2.000, 2.893, 1.964], atol=5e-4)
    assert res.statistic == pytest.approx(9.28, abs=5e-3)
    assert res.iman_davenport == pytest.approx(3.69, abs=5e-3)
    assert res.cd == pytest.approx(1.25, abs=5e-3)  # Demšar §3.2.2: CD = 2.569 sqrt(4*5/(6*14))
    corrected = st.friedman_nemenyi(scores, higher_is_better=True)
    assert corrected.statistic == pytest.approx(ss.friedmanchisquare(*DEMSAR_AUC.T).statistic)
    q = (res.average_ranks["C4.5"] - res.average_ranks["C4.5+m+cf"]) / math.sqrt(4 * 5 / (6 * 14))
    assert res.nemenyi.loc["C4.5", "C4.5+m+cf"] == pytest.approx(
        ss.studentized_range.sf(q * math.sqrt(2), 4, np.inf))
    assert np.allclose(res.nemenyi.to_numpy(), res.nemenyi.to_numpy().T)


def test_friedman_hand_formula_without_ties():
    scores = np.array([[0.9, 0.8, 0.7, 0.6], [0.85, 0.86, 0.7, 0.5], [0.7, 0.8, 0.9, 0.6],
                       [0.95, 0.9, 0.6, 0.7], [0.8, 0.7, 0.75, 0.65]])
    n, k = scores.shape
    ranks = np.array([ss.rankdata(-row) for row in scores]).mean(axis=0)
    chi2 = 12 * n / (k * (k + 1)) * (np.sum(ranks ** 2) - k * (k + 1) ** 2 / 4)
    res = st.friedman_nemenyi(pd.DataFrame(scores, columns=list("ABCD")), higher_is_better=True)
    assert res.statistic == pytest.approx(chi2)
    assert res.statistic == pytest.approx(ss.friedmanchisquare(*scores.T).statistic)
    assert res.p == pytest.approx(ss.friedmanchisquare(*scores.T).pvalue)
    assert res.iman_davenport == pytest.approx((n - 1) * chi2 / (n * (k - 1) - chi2))


@pytest.mark.parametrize("k, q", [(2, 1.960), (3, 2.343), (4, 2.569), (5, 2.728), (10, 3.164)])
def test_nemenyi_q_alpha_demsar_table5(k, q):
    assert st.nemenyi_q_alpha(k, 0.05) == pytest.approx(q, abs=1e-3)


def test_nemenyi_cliques():
    ranks = pd.Series({"a": 1.0, "b": 1.5, "c": 2.4, "d": 3.9})
    assert st.nemenyi_cliques(ranks, 1.0) == [("a", "b"), ("b", "c")]
    assert st.nemenyi_cliques(ranks, 0.1) == []


# --------------------------------------------------------------------------- effect sizes

def test_paired_effect_size_bootstrap_and_dz():
    a = np.array([0.71, 0.74, 0.69, 0.75, 0.72, 0.70, 0.73, 0.76, 0.71, 0.74])
    b = a - np.array([0.02, 0.01, 0.03, 0.02, 0.00, 0.04, 0.02, 0.01, 0.03, 0.02])
    es = st.paired_effect_size(a, b, seed=7)
    d = a - b
    assert es.mean_diff == pytest.approx(d.mean())
    assert es.cohens_dz == pytest.approx(d.mean() / d.std(ddof=1))
    assert es.ci_low < es.mean_diff < es.ci_high
    ref = ss.bootstrap((a, b), lambda u, v, axis: np.mean(u - v, axis=axis), paired=True,
                       vectorized=True, rng=np.random.default_rng(7))
    assert (es.ci_low, es.ci_high) == pytest.approx((ref.confidence_interval.low, ref.confidence_interval.high))
    assert st.paired_effect_size(a, b, seed=7) == es  # deterministic
    const = st.paired_effect_size([1.0, 2.0], [0.5, 1.5])
    assert (const.ci_low, const.ci_high) == (0.5, 0.5) and math.isnan(const.cohens_dz)


def test_effect_sizes_table():
    table = st.effect_sizes(synthetic(), "accuracy", "R", n_resamples=999)
    assert len(table) == 6 and (table["ci_high"] < 0).all()


# --------------------------------------------------------------------------- CD diagram and marks

def test_critical_difference_diagram_png(tmp_path):
    scores = pd.DataFrame(DEMSAR_AUC, columns=DEMSAR_NAMES)
    res = st.friedman_nemenyi(scores, higher_is_better=True)
    first = st.critical_difference_diagram(res.average_ranks, res.cd, tmp_path / "cd.png", title="Demšar")
    data = first.read_bytes()
    assert first.exists() and data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    assert b"Software" not in data and b"matplotlib" not in data
    second = st.critical_difference_diagram(res.average_ranks, res.cd, tmp_path / "cd2.png", title="Demšar")
    assert second.read_bytes() == data  # deterministic


def test_best_and_second():
    means = pd.Series({"A": 70.4, "B": 70.4, "C": 69.0, "D": 69.0, "E": 50.0, "F": np.nan})
    assert st.best_and_second(means, True) == {"A": "best", "B": "best", "C": "second", "D": "second",
                                               "E": "", "F": ""}
    table3_style = st.best_and_second(means, True, second_after_tied_best=False)
    assert [k for k, v in table3_style.items() if v] == ["A", "B"]
    assert st.best_and_second({"x": 0.40, "y": 0.38, "z": 0.45}, higher_is_better=False) == \
        {"x": "second", "y": "best", "z": ""}
    assert st.best_and_second({"x": 0.4001, "y": 0.3999}, True, decimals=3) == {"x": "best", "y": "best"}


def test_module_has_no_hgbench_dependency():
    tree = ast.parse(Path(st.__file__).read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0 and not (node.module or "").startswith("hgbench")
        elif isinstance(node, ast.Import):
            assert not any(alias.name.startswith("hgbench") for alias in node.names)
