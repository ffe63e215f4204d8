"""Significance of every method against a suite's reference method, in the style of TriPrune Table 3.

Per dataset, each method's selected test values are paired with the reference's on the same split
seeds (two-sided paired t-test, ``scipy.stats.ttest_rel``). Splits that only one of the two has are
dropped; with fewer than 2 pairs left (or no variation in the differences) no test is made. All tests
of one table form one family, corrected with the suite's ``correction``; marks follow the corrected
p-value: ``***`` p < 0.001, ``**`` p < 0.01, ``*`` p < 0.05.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from . import stats
from ..suites import Suite

ALPHA = 0.05
TEST = "two-sided paired t-test (scipy.stats.ttest_rel) on the same splits"
COLUMNS = ["reference", "n_pairs", "dropped_seeds", "p", "p_adj", "correction", "mark"]


def compare(long: pd.DataFrame, suite: Suite, metric: str) -> pd.DataFrame:
    """One row per (method, dataset) tested against ``suite.reference`` (empty without a reference).

    The same tests as :func:`stats.paired_ttests` (``family="all"``), with the pairing done once on a
    dataset x seed by method matrix instead of per pair, so a paper-sized store renders in seconds.
    """
    if suite.reference is None or long.empty:
        return pd.DataFrame(columns=["method", "dataset", *COLUMNS])
    if suite.reference not in suite.methods:
        raise ValueError(f"suite {suite.name!r}: reference {suite.reference!r} is not one of its methods")
    values = long[long.metric == metric].set_index(["dataset", "seed", "method"]).value.unstack("method")
    values = values.reindex(columns=list(suite.methods))
    reference = values.columns.get_loc(suite.reference)
    rows = []
    for dataset, block in values.groupby(level="dataset", sort=True):
        seeds, matrix = block.index.get_level_values("seed").to_numpy(), block.to_numpy(float)
        rows += [{"method": method, "dataset": dataset, **_test(seeds, matrix[:, i], matrix[:, reference])}
                 for i, method in enumerate(values.columns) if i != reference and np.isfinite(matrix[:, i]).any()]
    tests = pd.DataFrame(rows, columns=["method", "dataset", "n_pairs", "dropped_seeds", "p"])
    _, tests["p_adj"] = stats.adjust_pvalues(tests.p.to_numpy(float), correction=suite.correction, alpha=ALPHA)
    tests["mark"] = [stats.significance_mark(p) for p in tests.p_adj]
    return tests.assign(reference=suite.reference, correction=suite.correction)[["method", "dataset", *COLUMNS]]


def _test(seeds: np.ndarray, values: np.ndarray, reference: np.ndarray) -> dict:
    """Paired t-test of ``values`` against ``reference`` on the seeds both have; the seeds only one has."""
    from scipy import stats as ss  # here: a suite without a pair to test needs no scipy.stats (0.8 CPU s to import)

    has, has_reference = np.isfinite(values), np.isfinite(reference)
    both = has & has_reference
    with warnings.catch_warnings():  # identical values give NaN (no test), which the table reports
        warnings.simplefilter("ignore", RuntimeWarning)
        p = ss.ttest_rel(values[both], reference[both]).pvalue if both.sum() >= 2 else np.nan
    return {"n_pairs": int(both.sum()), "dropped_seeds": " ".join(map(str, sorted(seeds[has ^ has_reference]))),
            "p": float(p)}


def attach(board: pd.DataFrame, tests: pd.DataFrame) -> pd.DataFrame:
    """The long leaderboard with the test columns (empty on the reference's rows and untested cells)."""
    board = board.merge(tests, on=["method", "dataset"], how="left")
    return board.assign(n_pairs=board.n_pairs.astype("Int64"))


def untested(board: pd.DataFrame) -> pd.Series:
    """Cells with a value of ours but no test against the reference (fewer than 2 pairs, or no variation)."""
    if "reference" not in board or board.reference.isna().all():
        return pd.Series(False, index=board.index)
    reference = board.reference.dropna().iloc[0]
    return board["mean"].notna() & (board.method != reference) & ~np.isfinite(board.p.astype(float))


def caption(board: pd.DataFrame, reference_label: str, correction: str) -> str:
    """The caption sentence: test, correction, family size, alpha, the marks' meaning and what was not tested."""
    n_tests = int(np.isfinite(board.p.astype(float)).sum())
    text = (f"Marks on our rows: {TEST} of each method against {reference_label}, per dataset; "
            f"p-values corrected with {correction} over the {n_tests} tests of this table (alpha = {ALPHA}); "
            r"$^{*}$ p < 0.05, $^{**}$ p < 0.01, $^{***}$ p < 0.001 after correction, no mark: not significant.")
    n_untested = int(untested(board).sum())
    if n_untested:
        text += (rf" $^{{\dagger}}$ no test ({n_untested} cell(s)): fewer than 2 splits paired with "
                 f"{reference_label}, or identical values.")
    n_short = int((board.dropped_seeds.fillna("") != "").sum())
    if n_short:
        text += f" {n_short} comparison(s) dropped splits that only one side has (notes.md lists them)."
    return text


def notes(board: pd.DataFrame, reference_label: str, correction: str) -> list[str]:
    """Markdown section: every comparison with its pairs, dropped splits, p-values and mark."""
    tested = board[board.reference.notna()]
    if tested.empty:
        return []
    lines = ["", "## Significance against " + reference_label, "",
             f"{TEST}; {correction} correction over the {int(np.isfinite(tested.p.astype(float)).sum())} tests "
             f"of the table, alpha = {ALPHA}. Splits that only one side has are dropped; with fewer than 2 pairs "
             "left no test is made.", "",
             "| method | dataset | pairs | dropped splits (seeds) | p | p corrected | mark |",
             "|---|---|---|---|---|---|---|"]
    for row in tested.itertuples():
        p, p_adj = (f"{v:.3g}" if np.isfinite(v) else "no test" for v in (float(row.p), float(row.p_adj)))
        lines.append(f"| {row.label} | {row.paper_dataset} | {int(row.n_pairs)} | {row.dropped_seeds or '-'} | "
                     f"{p} | {p_adj} | {row.mark or '-'} |")
    return lines
