"""Known-answer tests for hgbench.benchmarks.report.stats (fast: no training, small data)."""

from __future__ import annotations

import ast
import math
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


# --------------------------------------------------------------------------- corrections and marks

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
    with pytest.raises(ValueError):
        st.adjust_pvalues(p, correction="bogus")
    reject, adj = st.adjust_pvalues([0.01, np.nan, 0.02], correction="bonferroni")  # NaN left out
    np.testing.assert_allclose(adj, [0.02, np.nan, 0.04])
    assert reject.tolist() == [True, False, True]


def test_marks_follow_triprune_levels():
    assert [st.significance_mark(p) for p in (0.0005, 0.005, 0.03, 0.05, 0.2, np.nan)] == \
        ["***", "**", "*", "", "", ""]


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


# --------------------------------------------------------------------------- marks

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
