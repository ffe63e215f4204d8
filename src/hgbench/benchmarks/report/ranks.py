"""Ranks of a suite's methods across its datasets: Friedman test, Nemenyi post-hoc p-values, a critical-difference
diagram and bootstrap confidence intervals of the average ranks (Demšar 2006, JMLR 7:1-30).

Inputs are the long leaderboards the report already computed: the blocks are the datasets where every method has
a ranked value (``leaderboards.complete_datasets``), the scores their means over splits. Ranks are 1 = best with
average ties (``stats.rank_matrix``); the confidence intervals resample the datasets (``scipy.stats.bootstrap``,
percentile method, a fixed seed so the same store gives the same page).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import scikit_posthocs  # noqa: E402
from scipy import stats as ss  # noqa: E402

from . import stats  # noqa: E402
from .figures import save_png  # noqa: E402
from .leaderboards import complete_datasets  # noqa: E402
from .multimetric import AVERAGE  # noqa: E402

CONFIDENCE = 0.95
RESAMPLES = 2000
MIN_METHODS, MIN_DATASETS = 3, 2  # Friedman compares at least three methods


@dataclass(frozen=True)
class Ranks:
    """One metric's ranks over the complete datasets: ``table`` has one row per method label, best first
    (``avg_rank``, ``ci_low``, ``ci_high``); ``nemenyi`` holds the pairwise p-values, labels x labels."""

    metric: str
    datasets: list[str]
    table: pd.DataFrame
    friedman_p: float
    nemenyi: pd.DataFrame


def cross_dataset(board: pd.DataFrame, metric: str | None = None) -> Ranks | None:
    """The ranks of ``metric`` (default: the board's first) or ``None`` where they say nothing: fewer than three
    methods or two complete datasets, or a metric without a known direction."""
    metric = metric or (board.metric.iloc[0] if not board.empty else "")
    higher = stats.HIGHER_IS_BETTER.get(metric.lower())
    rows = board[(board.metric == metric) & (board.dataset != AVERAGE)]
    if higher is None or rows.label.nunique() < MIN_METHODS:
        return None
    complete = complete_datasets(rows)
    if complete.dataset.nunique() < MIN_DATASETS:
        return None
    # a cell's mean over its ok splits ranks it (a ``partial`` cell too), as in the paper-style table
    frame = complete.drop(columns="status").assign(method=complete.label, value=complete["mean"], seed=0,
                                                     setting="")  # one block per dataset
    scores = stats.score_matrix(frame, metric, methods=list(dict.fromkeys(complete.label)))
    ranks = stats.rank_matrix(scores, higher)
    with warnings.catch_warnings():  # identical scores on every dataset: no variation, NaN p-value
        warnings.simplefilter("ignore", RuntimeWarning)
        friedman = ss.friedmanchisquare(*scores.to_numpy(float).T).pvalue
        nemenyi = scikit_posthocs.posthoc_nemenyi_friedman(scores.to_numpy(float))
    nemenyi.index = nemenyi.columns = scores.columns
    interval = ss.bootstrap((ranks.to_numpy(float),), np.mean, axis=0, vectorized=True, method="percentile",
                            confidence_level=CONFIDENCE, n_resamples=RESAMPLES, rng=np.random.default_rng(0))
    table = pd.DataFrame({"label": scores.columns, "avg_rank": ranks.mean(axis=0).to_numpy(),
                          "ci_low": interval.confidence_interval.low, "ci_high": interval.confidence_interval.high})
    table = table.sort_values(["avg_rank", "label"], kind="stable").reset_index(drop=True)
    datasets = list(dict.fromkeys(complete.paper_dataset))
    return Ranks(metric, datasets, table, float(friedman), nemenyi)


def cd_diagram(ranks: Ranks, path: Path) -> Path:
    """The critical-difference diagram (``scikit_posthocs.critical_difference_diagram``): methods on the rank
    axis, joined by a bar where Nemenyi's test does not separate them (alpha 0.05)."""
    fig, ax = plt.subplots(figsize=(7, 0.6 + 0.28 * len(ranks.table)))
    artists = scikit_posthocs.critical_difference_diagram(ranks.table.set_index("label").avg_rank, ranks.nemenyi,
                                                          ax=ax, label_props={"fontsize": 8})
    for lines in artists["crossbars"]:
        _in_rank_order(lines)
    ax.set_title(f"{ranks.metric}: average rank over {len(ranks.datasets)} datasets (1 = best)", fontsize=9, pad=24)
    fig.tight_layout()
    return save_png(fig, path, dpi=130)


def _in_rank_order(lines) -> None:
    """Redraw a crossbar's points left to right. scikit-posthocs (0.17) plots a crossbar through the labels of a
    Python ``set`` in iteration order, which follows the string hash (``PYTHONHASHSEED``, random per process):
    the same line drawn back and forth antialiases differently, so two renders of one store differed in pixels."""
    for line in lines:
        x, y = line.get_data()
        order = np.argsort(np.asarray(x, float), kind="stable")
        line.set_data(np.asarray(x, float)[order], np.asarray(y, float)[order])
