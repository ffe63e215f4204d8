"""Statistics layer of the benchmark: summaries, paired tests, ranks and CD diagrams.

Pure functions over pandas DataFrames / numpy arrays.  The only I/O is
:func:`critical_difference_diagram`, which writes a PNG.  This module does not
import anything else from ``hgbench`` so it can be used on its own.

Input format
------------
Records arrive in LONG format, one row per (run, metric)::

    method, dataset, setting, seed, metric, value   (+ any other columns, ignored)

``seed`` is the split id: the same seed on the same (dataset, setting) is the
same train/val/test split for every method, so methods are *paired* on
(dataset, setting, seed).  A ``value`` of NaN, or a ``status`` column with a
value outside :data:`OK_STATUSES` (the runner writes "failed", "oom",
"timeout"), marks a failed run: it is ignored in means and counts as missing
in pairs and ranks.

Conventions (see ``docs/statistics.md``)
----------------------------------------
* std: ``ddof`` is explicit; default ``ddof=0`` (population std, as ZEN's
  official code, ``np.std``).
* Multiple comparisons: statsmodels ``multipletests``; the method is an
  explicit argument (default ``"holm"``) and is written into every output row.
  TriPrune-HGNN (Table 3) uses ``"bonferroni"``.
* Significance marks (TriPrune Table 3 levels): ``"***"`` p < 0.001,
  ``"**"`` p < 0.01, ``"*"`` p < 0.05, ``""`` otherwise; applied to the
  adjusted p-value by default.
* Ranks: 1 = best; ties ``"average"`` (default) or ``"min"`` (reproduces ZEN's
  "Avg. Rank" in Tables 3, 6, 9 and 11); a method missing or failed on a
  dataset is ranked last (ZEN Table 11 ranks LEGCN's O.O.M last).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats as ss
from statsmodels.stats.multitest import multipletests

__all__ = [
    "HIGHER_IS_BETTER", "OK_STATUSES", "MARK_LEVELS", "CORRECTIONS", "RUN_KEY", "BLOCK_KEY",
    "UnreachableSignificanceWarning", "PairedSamples", "CorrectedTTestResult", "FriedmanResult",
    "EffectSize", "is_higher_better", "std_convention", "summarise", "paired", "adjust_pvalues",
    "significance_mark", "paired_ttests", "wilcoxon_tests", "wilcoxon_p_floor",
    "first_step_level", "nadeau_bengio_ttest", "score_matrix", "rank_matrix", "average_ranks",
    "nemenyi_q_alpha", "nemenyi_critical_difference", "friedman_nemenyi", "nemenyi_cliques",
    "paired_effect_size", "effect_sizes", "critical_difference_diagram", "best_and_second",
]

#: Direction of each known metric (looked up case-insensitively); override per call.
HIGHER_IS_BETTER: dict[str, bool] = {"accuracy": True, "mae": False, "rmse": False,
                                     # run-time costs (benchmarks/runtime.py): seconds and ratios over ZEN
                                     "one_config": False, "protocol": False, "ratio_one_config": False,
                                     "ratio_protocol": False}
#: Values of an optional ``status`` column that mark a successful run (the runner writes "ok").
OK_STATUSES: frozenset[str] = frozenset({"ok"})
#: (threshold, mark) pairs, strictest first: TriPrune Table 3's p < 0.001 / 0.01 / 0.05 levels.
MARK_LEVELS: tuple[tuple[float, str], ...] = ((0.001, "***"), (0.01, "**"), (0.05, "*"))
#: Accepted ``correction`` values: statsmodels ``multipletests`` names, plus "none".
CORRECTIONS: tuple[str, ...] = ("bonferroni", "holm", "sidak", "holm-sidak", "simes-hochberg",
                                "hommel", "fdr_bh", "fdr_by", "none")
RUN_KEY: tuple[str, ...] = ("dataset", "setting", "seed")
BLOCK_KEY: tuple[str, ...] = ("dataset", "setting")
_SUMMARY_KEY = ["method", "dataset", "setting", "metric"]
_REQUIRED = ("method", "dataset", "setting", "seed", "metric", "value")
_TIES = ("average", "min")


class UnreachableSignificanceWarning(UserWarning):
    """A test cannot reach the corrected significance level with this few pairs."""


# --------------------------------------------------------------------------- basics

def is_higher_better(metric: str, override: bool | None = None) -> bool:
    """Direction of ``metric``: ``override`` if given, else :data:`HIGHER_IS_BETTER` (case-insensitive)."""
    if override is not None:
        return bool(override)
    try:
        return HIGHER_IS_BETTER[metric.lower()]
    except KeyError:
        raise KeyError(f"unknown direction for metric {metric!r}; pass higher_is_better=True/False") from None


def std_convention(ddof: int) -> str:
    """Human-readable name of the std convention for ``ddof`` (0: population, as ZEN's ``np.std``)."""
    if ddof == 0:
        return "population (ddof=0), as ZEN's np.std"
    if ddof == 1:
        return "sample (ddof=1), Bessel-corrected"
    return f"ddof={ddof}"


def _clean(frame: pd.DataFrame, ok_statuses: Iterable[str] = OK_STATUSES) -> pd.DataFrame:
    """Check the long-format columns; return a copy with failed runs' ``value`` set to NaN."""
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        raise ValueError(f"frame lacks required columns {missing}; needs {list(_REQUIRED)}")
    out = frame.copy()
    out["value"] = pd.to_numeric(out["value"], errors="coerce").astype(float)
    if "status" in out.columns:
        failed = ~out["status"].isin(list(ok_statuses))
        out.loc[failed, "value"] = np.nan
    return out


def _metric_rows(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    rows = _clean(frame)
    return rows[rows["metric"] == metric]


# --------------------------------------------------------------------------- 1. summary

def summarise(frame: pd.DataFrame, ddof: int = 0, *, sem_ddof: int = 1) -> pd.DataFrame:
    """Mean, std, n_runs and SEM per (method, dataset, setting, metric).

    ``std`` uses ``ddof`` (default 0: population std, as ZEN's official code,
    ``np.std``; the papers print mean ± this std over 10 splits).  ``sem`` is
    ``std(ddof=sem_ddof) / sqrt(n_runs)`` (default ``sem_ddof=1``, the usual
    standard error of the mean, as ``scipy.stats.sem``).  Failed runs (NaN
    value or non-ok status) are excluded and counted in ``n_failed``.  The
    convention is recorded in the ``std_ddof`` / ``std_convention`` columns and
    in ``result.attrs["std_convention"]``.
    """
    rows = _clean(frame)
    grouped = rows.groupby(_SUMMARY_KEY, sort=True, dropna=False)["value"]
    out = grouped.agg(mean="mean", n_runs="count", n_total="size").reset_index()
    out["std"] = grouped.std(ddof=ddof).to_numpy()
    sem_std = grouped.std(ddof=sem_ddof).to_numpy()
    out["sem"] = sem_std / np.sqrt(out["n_runs"].to_numpy(dtype=float))
    out["n_failed"] = out.pop("n_total") - out["n_runs"]
    out["std_ddof"] = ddof
    out["std_convention"] = std_convention(ddof)
    out["sem_ddof"] = sem_ddof
    out = out[_SUMMARY_KEY + ["mean", "std", "n_runs", "n_failed", "sem", "std_ddof",
                              "std_convention", "sem_ddof"]]
    out.attrs["std_convention"] = std_convention(ddof)
    return out


# --------------------------------------------------------------------------- 2. pairing

@dataclass(frozen=True)
class PairedSamples:
    """Values of methods ``a`` and ``b`` aligned on (dataset, setting, seed).

    ``keys`` holds the kept pairs' keys (sorted); ``dropped`` the keys present
    for at least one method but lacking a finite value for one or both
    (column ``missing``: "a", "b" or "both").
    """

    a_label: str
    b_label: str
    metric: str
    keys: pd.DataFrame
    a: np.ndarray
    b: np.ndarray
    dropped: pd.DataFrame

    @property
    def n_pairs(self) -> int:
        return int(self.a.size)

    @property
    def n_dropped(self) -> int:
        return int(len(self.dropped))

    @property
    def diff(self) -> np.ndarray:
        """Paired differences ``a - b``."""
        return self.a - self.b


def _method_series(rows: pd.DataFrame, method: str) -> pd.Series:
    sub = rows[rows["method"] == method].set_index(list(RUN_KEY))["value"]
    if sub.index.has_duplicates:
        dup = sub.index[sub.index.duplicated()].unique().tolist()
        raise ValueError(f"method {method!r} has duplicate runs for keys {dup[:5]}")
    return sub


def paired(frame: pd.DataFrame, metric: str, a: str, b: str, *,
           dataset: str | None = None, setting: str | None = None) -> PairedSamples:
    """Align methods ``a`` and ``b`` on (dataset, setting, seed) for ``metric``.

    Unpaired keys (a run missing, or failed, for either method) are dropped and
    reported in ``.dropped`` / ``.n_dropped`` so tables can say so.  Optional
    ``dataset`` / ``setting`` restrict to one block.  Duplicate runs of a
    method on one key raise ``ValueError``.
    """
    if a == b:
        raise ValueError("paired() needs two different methods")
    rows = _metric_rows(frame, metric)
    if dataset is not None:
        rows = rows[rows["dataset"] == dataset]
    if setting is not None:
        rows = rows[rows["setting"] == setting]
    both = pd.concat({"a": _method_series(rows, a), "b": _method_series(rows, b)}, axis=1)
    both = both.sort_index()
    ok = both["a"].notna() & both["b"].notna()
    kept, lost = both[ok], both[~ok]
    dropped = lost.index.to_frame(index=False)
    dropped["missing"] = np.where(lost["a"].isna() & lost["b"].isna(), "both",
                                  np.where(lost["a"].isna(), "a", "b"))
    return PairedSamples(a, b, metric, kept.index.to_frame(index=False),
                         kept["a"].to_numpy(float), kept["b"].to_numpy(float), dropped)


# --------------------------------------------------------------------------- 3-4. corrections and marks

def adjust_pvalues(pvalues: Sequence[float], *, correction: str,
                   alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Multiple-comparison adjustment via statsmodels ``multipletests``.

    ``correction`` must be given explicitly (one of :data:`CORRECTIONS`;
    "bonferroni" as TriPrune-HGNN, "holm" = Holm 1979 step-down).  NaN p-values
    are left out of the family and stay NaN.  Returns ``(reject, p_adj)``.
    """
    if correction not in CORRECTIONS:
        raise ValueError(f"correction must be one of {CORRECTIONS}, got {correction!r}")
    p = np.asarray(pvalues, dtype=float)
    reject, p_adj = np.zeros(p.shape, bool), np.full(p.shape, np.nan)
    finite = np.isfinite(p)
    if finite.any():
        if correction == "none":
            reject[finite], p_adj[finite] = p[finite] <= alpha, p[finite]
        else:
            rej, adj, _, _ = multipletests(p[finite], alpha=alpha, method=correction)
            reject[finite], p_adj[finite] = rej, adj
    return reject, p_adj


def significance_mark(p: float, levels: Sequence[tuple[float, str]] = MARK_LEVELS) -> str:
    """Mark for p-value ``p``: first ``mark`` with ``p < threshold`` (TriPrune Table 3 levels); '' if none/NaN."""
    if p is None or not np.isfinite(p):
        return ""
    for threshold, mark in sorted(levels):
        if p < threshold:
            return mark
    return ""


def first_step_level(alpha: float, n_tests: int, correction: str) -> float:
    """Per-comparison level the smallest p of a family of ``n_tests`` must reach.

    Bonferroni / Holm / Hochberg / Hommel / BH: ``alpha / m``; Šidák and
    Holm-Šidák: ``1 - (1 - alpha)**(1/m)``; BY: ``alpha / (m * sum_i 1/i)``;
    "none": ``alpha``.  For Bonferroni/Šidák it is every test's level; for
    step-wise procedures nothing is rejected unless some p reaches it.
    """
    m = max(int(n_tests), 1)
    if correction == "none":
        return alpha
    if correction in ("sidak", "holm-sidak"):
        return 1.0 - (1.0 - alpha) ** (1.0 / m)
    if correction == "fdr_by":
        return alpha / (m * sum(1.0 / i for i in range(1, m + 1)))
    return alpha / m


# --------------------------------------------------------------------------- 3-4. paired tests vs a reference

def _favours(mean_diff: float, higher_is_better: bool) -> str:
    if not np.isfinite(mean_diff) or mean_diff == 0:
        return ""
    return "method" if (mean_diff > 0) == higher_is_better else "reference"


def _blocks(rows: pd.DataFrame) -> list[tuple[str, str]]:
    return sorted(rows[list(BLOCK_KEY)].drop_duplicates().itertuples(index=False, name=None))


def _pairs_with_reference(rows: pd.DataFrame, metric: str, reference: str, methods: Sequence[str] | None):
    """Yield (dataset, setting, method, PairedSamples vs ``reference``) for every block and method."""
    for dataset, setting in _blocks(rows):
        present = set(rows.loc[(rows["dataset"] == dataset) & (rows["setting"] == setting), "method"])
        chosen = sorted(present - {reference}) if methods is None else [m for m in methods if m in present]
        for method in chosen:
            yield dataset, setting, method, paired(rows, metric, method, reference, dataset=dataset, setting=setting)


def _compare(frame: pd.DataFrame, metric: str, reference: str, test: Callable[[PairedSamples], dict],
             *, methods: Sequence[str] | None, correction: str, alpha: float, family: str,
             mark_on: str, levels: Sequence[tuple[float, str]], higher_is_better: bool | None) -> pd.DataFrame:
    """Run ``test`` for every (block, method) vs ``reference``, then correct and mark."""
    if family not in ("all", "block"):
        raise ValueError("family must be 'all' (one family over all rows) or 'block' (per dataset/setting)")
    if mark_on not in ("p_adj", "p"):
        raise ValueError("mark_on must be 'p_adj' or 'p'")
    hib = is_higher_better(metric, higher_is_better)
    rows = _metric_rows(frame, metric)
    out = []
    for dataset, setting, method, pair in _pairs_with_reference(rows, metric, reference, methods):
        mean_diff = float(np.mean(pair.diff)) if pair.n_pairs else np.nan
        out.append({"method": method, "reference": reference, "dataset": dataset,
                    "setting": setting, "metric": metric, "n_pairs": pair.n_pairs,
                    "n_dropped": pair.n_dropped, "mean_diff": mean_diff,
                    "favours": _favours(mean_diff, hib), **test(pair)})
    table = pd.DataFrame(out)
    if table.empty:
        return table
    return _correct(table, correction=correction, alpha=alpha, family=family, mark_on=mark_on, levels=levels)


def _correct(table: pd.DataFrame, *, correction: str, alpha: float, family: str, mark_on: str,
             levels: Sequence[tuple[float, str]]) -> pd.DataFrame:
    """Add p_adj, correction, alpha, n_tests, significant and mark columns to ``table``."""
    table = table.copy()
    groups = [np.arange(len(table))] if family == "all" else \
        list(table.groupby(list(BLOCK_KEY), sort=False).indices.values())
    table["p_adj"], table["significant"], table["n_tests"] = np.nan, False, 0
    for idx in groups:
        reject, p_adj = adjust_pvalues(table["p"].to_numpy()[idx], correction=correction, alpha=alpha)
        table.iloc[idx, table.columns.get_loc("p_adj")] = p_adj
        table.iloc[idx, table.columns.get_loc("significant")] = reject
        table.iloc[idx, table.columns.get_loc("n_tests")] = int(np.isfinite(table["p"].to_numpy()[idx]).sum())
    table["correction"], table["alpha"] = correction, alpha
    table["mark"] = [significance_mark(p, levels) for p in table[mark_on]]
    return table


def _ttest(pair: PairedSamples, alternative: str) -> dict:
    if pair.n_pairs < 2:
        return {"t": np.nan, "p": np.nan}
    res = ss.ttest_rel(pair.a, pair.b, alternative=alternative)
    return {"t": float(res.statistic), "p": float(res.pvalue)}


_TTEST_COLUMNS = ["method", "reference", "dataset", "setting", "metric", "n_pairs", "n_dropped",
                  "mean_diff", "t", "p", "p_adj", "correction", "alpha", "n_tests", "significant",
                  "mark", "favours"]


def paired_ttests(frame: pd.DataFrame, metric: str, reference: str, *, correction: str = "holm",
                  alpha: float = 0.05, methods: Sequence[str] | None = None, family: str = "all",
                  alternative: str = "two-sided", mark_on: str = "p_adj",
                  levels: Sequence[tuple[float, str]] = MARK_LEVELS,
                  higher_is_better: bool | None = None) -> pd.DataFrame:
    """Paired t-test (``scipy.stats.ttest_rel``) of every method vs ``reference`` per (dataset, setting).

    Student's paired t-test on runs paired by seed (split); TriPrune-HGNN §4.1 /
    Table 3 uses it with Bonferroni over 65 tests (``correction="bonferroni"``).
    ``mean_diff`` and ``t`` are method minus reference; ``favours`` says which
    side is better given the metric direction.  The correction (default Holm,
    recorded in the ``correction`` column) is applied over all rows
    (``family="all"``, as TriPrune) or per block (``family="block"``).
    ``mark`` follows TriPrune Table 3's levels, on ``p_adj`` by default.
    """
    table = _compare(frame, metric, reference, lambda pair: _ttest(pair, alternative), methods=methods,
                     correction=correction, alpha=alpha, family=family, mark_on=mark_on,
                     levels=levels, higher_is_better=higher_is_better)
    return table[_TTEST_COLUMNS] if not table.empty else pd.DataFrame(columns=_TTEST_COLUMNS)


def wilcoxon_p_floor(n_nonzero: int, alternative: str = "two-sided") -> float:
    """Smallest attainable exact Wilcoxon signed-rank p with ``n`` non-zero, untied differences.

    All differences of one sign give ``P = 1/2**n`` one-sided, ``2/2**n``
    two-sided (e.g. n = 10 -> 0.00195).
    """
    if n_nonzero <= 0:
        return np.nan
    return min(1.0, (2.0 if alternative == "two-sided" else 1.0) / 2.0 ** n_nonzero)


def _wilcoxon(pair: PairedSamples, alternative: str, zero_method: str, method: str) -> dict:
    n_nonzero = int(np.count_nonzero(pair.diff))
    row = {"w": np.nan, "p": np.nan, "n_nonzero": n_nonzero,
           "p_floor": wilcoxon_p_floor(n_nonzero, alternative)}
    if n_nonzero == 0:
        return row
    res = ss.wilcoxon(pair.a, pair.b, zero_method=zero_method, alternative=alternative, method=method)
    row.update(w=float(res.statistic), p=float(res.pvalue))
    return row


_WILCOXON_COLUMNS = ["method", "reference", "dataset", "setting", "metric", "n_pairs", "n_dropped",
                     "n_nonzero", "mean_diff", "w", "p", "p_adj", "correction", "alpha", "n_tests",
                     "significant", "mark", "favours", "p_floor", "level", "floor_reachable"]


def wilcoxon_tests(frame: pd.DataFrame, metric: str, reference: str, *, correction: str = "holm",
                   alpha: float = 0.05, methods: Sequence[str] | None = None, family: str = "all",
                   alternative: str = "two-sided", zero_method: str = "wilcox", method: str = "auto",
                   mark_on: str = "p_adj", levels: Sequence[tuple[float, str]] = MARK_LEVELS,
                   higher_is_better: bool | None = None) -> pd.DataFrame:
    """Wilcoxon signed-rank test (``scipy.stats.wilcoxon``; Wilcoxon 1945; Demšar 2006 §3.1.3) vs ``reference``.

    Same output and correction machinery as :func:`paired_ttests`, plus
    ``p_floor`` (smallest attainable p, :func:`wilcoxon_p_floor`), ``level``
    (:func:`first_step_level` of the family) and ``floor_reachable``.  When
    some comparison cannot reach ``level`` (e.g. 10 pairs: 0.00195 > 0.05/70
    under Bonferroni) an :class:`UnreachableSignificanceWarning` is issued.
    """
    table = _compare(frame, metric, reference, lambda pair: _wilcoxon(pair, alternative, zero_method, method),
                     methods=methods, correction=correction, alpha=alpha, family=family,
                     mark_on=mark_on, levels=levels, higher_is_better=higher_is_better)
    if table.empty:
        return pd.DataFrame(columns=_WILCOXON_COLUMNS)
    table["level"] = [first_step_level(alpha, max(m, 1), correction) for m in table["n_tests"]]
    table["floor_reachable"] = table["p_floor"] <= table["level"]
    _warn_unreachable(table, correction)
    return table[_WILCOXON_COLUMNS]


def _warn_unreachable(table: pd.DataFrame, correction: str) -> None:
    bad = table[table["p_floor"].notna() & ~table["floor_reachable"]]
    if bad.empty:
        return
    worst = bad.loc[bad["n_nonzero"].idxmin()]
    warnings.warn(
        f"Wilcoxon: {len(bad)} of {len(table)} comparisons cannot reach the corrected level "
        f"({correction}, alpha={worst['alpha']}, {int(worst['n_tests'])} tests -> level "
        f"{worst['level']:.3g}); with {int(worst['n_nonzero'])} non-zero pairs the smallest "
        f"attainable p is {worst['p_floor']:.3g}. Use more pairs, fewer comparisons or a t-test.",
        UnreachableSignificanceWarning, stacklevel=3)


# --------------------------------------------------------------------------- 5. Nadeau-Bengio

@dataclass(frozen=True)
class CorrectedTTestResult:
    """Result of :func:`nadeau_bengio_ttest`."""

    t: float
    p: float
    df: int
    mean_diff: float
    variance: float
    corrected_variance: float
    n_splits: int
    n_train: float
    n_test: float


def nadeau_bengio_ttest(differences: Sequence[float], n_train: float, n_test: float, *,
                        alternative: str = "two-sided") -> CorrectedTTestResult:
    """Corrected resampled t-test for J overlapping random train/test splits.

    Nadeau & Bengio (2003), "Inference for the generalization error", Machine
    Learning 52; Bouckaert & Frank (2004), PAKDD.  With d_j the score
    differences on split j (j = 1..J), d̄ their mean and σ̂² their sample
    variance (ddof=1)::

        t = d̄ / sqrt((1/J + n_test/n_train) * σ̂²),   df = J - 1

    The plain paired t-test uses ``1/J`` only; the ``n_test/n_train`` term
    inflates the variance for the correlation caused by overlapping splits.
    """
    d = np.asarray(differences, dtype=float)
    J = int(d.size)
    if J < 2:
        raise ValueError("need at least two splits")
    mean, var = float(d.mean()), float(d.var(ddof=1))
    corrected = (1.0 / J + float(n_test) / float(n_train)) * var
    if corrected == 0.0:
        t = np.nan if mean == 0.0 else math.copysign(np.inf, mean)
    else:
        t = mean / math.sqrt(corrected)
    p = _t_pvalue(t, J - 1, alternative)
    return CorrectedTTestResult(t, p, J - 1, mean, var, corrected, J, n_train, n_test)


def _t_pvalue(t: float, df: int, alternative: str) -> float:
    if np.isnan(t):
        return np.nan
    if alternative == "two-sided":
        return float(2.0 * ss.t.sf(abs(t), df))
    if alternative == "greater":
        return float(ss.t.sf(t, df))
    if alternative == "less":
        return float(ss.t.cdf(t, df))
    raise ValueError("alternative must be 'two-sided', 'greater' or 'less'")


# --------------------------------------------------------------------------- 6-7. ranks, Friedman, Nemenyi

def score_matrix(frame: pd.DataFrame, metric: str, *, methods: Sequence[str] | None = None,
                 decimals: int | None = None) -> pd.DataFrame:
    """Blocks x methods matrix of mean scores (mean over seeds, failed runs skipped).

    Rows are (dataset, setting) blocks, columns methods (sorted, or ``methods``
    in that order).  NaN marks a method missing or failed on a block.
    ``decimals`` rounds means first (to rank printed, rounded numbers).
    """
    rows = _metric_rows(frame, metric)
    means = rows.groupby(list(BLOCK_KEY) + ["method"], sort=True)["value"].mean()
    mat = means.unstack("method")
    mat = mat.reindex(columns=sorted(mat.columns) if methods is None else list(methods))
    mat.columns.name = "method"
    return mat.round(decimals) if decimals is not None else mat


def _rank_row(values: np.ndarray, higher_is_better: bool, ties: str) -> np.ndarray:
    """Ranks of one block (1 = best); NaN entries share the last places."""
    present = np.isfinite(values)
    n_present, k = int(present.sum()), values.size
    out = np.empty(k)
    key = -values[present] if higher_is_better else values[present]
    out[present] = ss.rankdata(key, method=ties) if n_present else []
    out[~present] = (n_present + 1 + k) / 2.0 if ties == "average" else n_present + 1
    return out


def rank_matrix(scores: pd.DataFrame, higher_is_better: bool, ties: str = "average") -> pd.DataFrame:
    """Rank methods within each block (row) of ``scores``: 1 = best.

    ``ties="average"``: tied methods share the mean of their places (Friedman /
    Demšar 2006 convention).  ``ties="min"``: they all get the best place
    (reproduces ZEN's Avg. Rank, Tables 3, 6, 9, 11).  Missing / failed (NaN)
    methods are ranked last: they occupy the last places, sharing them under
    the same tie rule.
    """
    if ties not in _TIES:
        raise ValueError(f"ties must be one of {_TIES}, got {ties!r}")
    ranks = [_rank_row(row, higher_is_better, ties) for row in scores.to_numpy(dtype=float)]
    return pd.DataFrame(np.array(ranks).reshape(scores.shape), index=scores.index, columns=scores.columns)


def average_ranks(frame: pd.DataFrame, metric: str, ties: str = "average", *,
                  higher_is_better: bool | None = None, methods: Sequence[str] | None = None,
                  decimals: int | None = None) -> pd.Series:
    """Average rank of each method over (dataset, setting) blocks, like ZEN's "Avg. Rank" column.

    Methods are ranked per block by their mean over seeds (1 = best, direction
    from :data:`HIGHER_IS_BETTER` or ``higher_is_better``), then ranks are
    averaged over blocks.  A method missing or failed (NaN mean) on a block
    is ranked last there (ZEN Table 11: LEGCN's O.O.M).  ``ties="average"``
    (default) or ``"min"`` (reproduces ZEN Tables 3, 6, 9, 11).
    Sorted best first (ties by name).
    """
    scores = score_matrix(frame, metric, methods=methods, decimals=decimals)
    ranks = rank_matrix(scores, is_higher_better(metric, higher_is_better), ties).mean(axis=0)
    ranks.name = "avg_rank"
    order = sorted(ranks.index, key=lambda m: (ranks[m], str(m)))
    return ranks.reindex(order)


def nemenyi_q_alpha(k: int, alpha: float = 0.05) -> float:
    """Nemenyi critical value q_alpha = studentized range quantile(1 - alpha; k, inf) / sqrt(2).

    Demšar (2006) Table 5(a): k = 2, 3, 4, 5 -> 1.960, 2.343, 2.569, 2.728 at alpha = 0.05.
    """
    return float(ss.studentized_range.ppf(1.0 - alpha, k, np.inf) / math.sqrt(2.0))


def nemenyi_critical_difference(k: int, n_blocks: int, alpha: float = 0.05) -> float:
    """Nemenyi critical difference CD = q_alpha * sqrt(k (k+1) / (6 N)) (Demšar 2006, §3.2.2)."""
    return nemenyi_q_alpha(k, alpha) * math.sqrt(k * (k + 1) / (6.0 * n_blocks))


@dataclass(frozen=True)
class FriedmanResult:
    """Result of :func:`friedman_nemenyi` (Friedman test + Nemenyi post-hoc)."""

    statistic: float
    p: float
    iman_davenport: float
    iman_davenport_p: float
    tie_correction: bool
    k: int
    n_blocks: int
    average_ranks: pd.Series
    alpha: float
    q_alpha: float
    cd: float
    nemenyi: pd.DataFrame


def _friedman_statistic(ranks: pd.DataFrame, tie_correction: bool) -> float:
    if tie_correction:
        return float(ss.friedmanchisquare(*ranks.to_numpy().T).statistic)
    n, k = ranks.shape
    r = ranks.mean(axis=0).to_numpy()
    return float(12.0 * n / (k * (k + 1)) * (np.sum(r ** 2) - k * (k + 1) ** 2 / 4.0))


def friedman_nemenyi(scores: pd.DataFrame, higher_is_better: bool, *, alpha: float = 0.05,
                     tie_correction: bool = True) -> FriedmanResult:
    """Friedman test over blocks (datasets) x methods, Iman-Davenport F, Nemenyi post-hoc and CD.

    Demšar (2006), JMLR 7:1-30, §3.2.2.  ``scores`` is e.g. :func:`score_matrix`
    (mean score per dataset and method, k >= 3 methods).  Ranks use
    ``ties="average"``; NaN (missing/failed) is ranked last.
    ``tie_correction=True``: chi2 from ``scipy.stats.friedmanchisquare``
    (tie-corrected); ``False``: Demšar's formula
    ``chi2_F = 12N/(k(k+1)) [sum_j R_j^2 - k(k+1)^2/4]``.
    ``F_F = (N-1) chi2_F / (N(k-1) - chi2_F)`` with (k-1, (k-1)(N-1)) df.
    Pairwise Nemenyi p-values: ``scikit_posthocs.posthoc_nemenyi_friedman``;
    CD: :func:`nemenyi_critical_difference`.
    """
    import scikit_posthocs as sp

    ranks = rank_matrix(scores, higher_is_better, "average")
    n, k = ranks.shape
    chi2 = _friedman_statistic(ranks, tie_correction)
    p = float(ss.chi2.sf(chi2, k - 1))
    denom = n * (k - 1) - chi2
    ff = (n - 1) * chi2 / denom if denom > 0 else np.inf
    ff_p = float(ss.f.sf(ff, k - 1, (k - 1) * (n - 1))) if np.isfinite(ff) else 0.0
    nemenyi = sp.posthoc_nemenyi_friedman(pd.DataFrame(ranks.to_numpy(), columns=list(ranks.columns)))
    avg = ranks.mean(axis=0).rename("avg_rank")
    return FriedmanResult(chi2, p, float(ff), ff_p, tie_correction, k, n, avg, alpha,
                          nemenyi_q_alpha(k, alpha), nemenyi_critical_difference(k, n, alpha), nemenyi)


def nemenyi_cliques(ranks: pd.Series, cd: float) -> list[tuple[str, ...]]:
    """Maximal groups of methods (sorted by rank) whose rank span is < ``cd`` (not significantly different).

    Groups of one method are omitted.  Used for the bars of a CD diagram
    (Demšar 2006, Fig. 1).
    """
    order = ranks.sort_values(kind="mergesort")
    labels, values = list(order.index), order.to_numpy(float)
    groups: list[tuple[int, int]] = []
    for i in range(len(values)):
        j = i
        while j + 1 < len(values) and values[j + 1] - values[i] < cd:
            j += 1
        if j > i and not any(lo <= i and j <= hi for lo, hi in groups):
            groups.append((i, j))
    return [tuple(labels[lo:hi + 1]) for lo, hi in groups]


# --------------------------------------------------------------------------- 8. effect sizes

@dataclass(frozen=True)
class EffectSize:
    """Mean paired difference with bootstrap CI and Cohen's d_z (see :func:`paired_effect_size`)."""

    mean_diff: float
    ci_low: float
    ci_high: float
    confidence_level: float
    cohens_dz: float
    n_pairs: int
    sd_ddof: int


def paired_effect_size(a: Sequence[float], b: Sequence[float], *, confidence_level: float = 0.95,
                       n_resamples: int = 9999, seed: int = 0, method: str = "BCa",
                       ddof: int = 1) -> EffectSize:
    """Mean of ``a - b`` with a paired bootstrap CI, and Cohen's d_z.

    CI: ``scipy.stats.bootstrap`` resampling *pairs* (``paired=True``), seeded
    with ``numpy.random.default_rng(seed)`` (Efron & Tibshirani 1993; BCa by
    default).  d_z = mean(d) / sd(d, ddof) (Cohen 1988; Lakens 2013), NaN if
    sd is 0.  Constant differences give a zero-width CI.
    """
    x, y = np.asarray(a, float), np.asarray(b, float)
    d = x - y
    n = int(d.size)
    if n < 2:
        mean = float(d.mean()) if n else np.nan
        return EffectSize(mean, np.nan, np.nan, confidence_level, np.nan, n, ddof)
    mean, sd = float(d.mean()), float(d.std(ddof=ddof))
    if np.ptp(d) == 0:
        lo = hi = mean
    else:
        res = ss.bootstrap((x, y), lambda u, v, axis: np.mean(u - v, axis=axis), paired=True,
                           vectorized=True, n_resamples=n_resamples, confidence_level=confidence_level,
                           method=method, rng=np.random.default_rng(seed))
        lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
    dz = mean / sd if sd > 0 else np.nan
    return EffectSize(mean, lo, hi, confidence_level, dz, n, ddof)


def effect_sizes(frame: pd.DataFrame, metric: str, reference: str, *, methods: Sequence[str] | None = None,
                 confidence_level: float = 0.95, n_resamples: int = 9999, seed: int = 0,
                 method: str = "BCa", ddof: int = 1) -> pd.DataFrame:
    """:func:`paired_effect_size` of every method minus ``reference`` per (dataset, setting), tidy."""
    rows = _metric_rows(frame, metric)
    out = []
    for dataset, setting, name, pair in _pairs_with_reference(rows, metric, reference, methods):
        es = paired_effect_size(pair.a, pair.b, confidence_level=confidence_level,
                                n_resamples=n_resamples, seed=seed, method=method, ddof=ddof)
        out.append({"method": name, "reference": reference, "dataset": dataset, "setting": setting,
                    "metric": metric, "n_pairs": pair.n_pairs, "n_dropped": pair.n_dropped,
                    "mean_diff": es.mean_diff, "ci_low": es.ci_low, "ci_high": es.ci_high,
                    "confidence_level": confidence_level, "cohens_dz": es.cohens_dz})
    return pd.DataFrame(out)


# --------------------------------------------------------------------------- 9. CD diagram

def critical_difference_diagram(ranks: pd.Series, cd: float, path: str | Path, *,
                                title: str | None = None, width: float = 6.0, dpi: int = 150) -> Path:
    """Render a critical-difference diagram (Demšar 2006, Fig. 1) to a PNG at ``path``.

    ``ranks``: average rank per method (1 = best, drawn on the left); ``cd``:
    e.g. :func:`nemenyi_critical_difference`.  Thick bars join methods whose
    ranks differ by less than ``cd`` (:func:`nemenyi_cliques`).  Uses the Agg
    canvas directly (no pyplot state) and strips PNG metadata
    (``metadata={"Software": None}``), so the same input gives the same bytes.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    order = ranks.sort_values(kind="mergesort")
    k = len(order)
    lo, hi = 1.0, float(max(k, math.ceil(order.max())))
    n_left = (k + 1) // 2
    cliques = nemenyi_cliques(order, cd)
    height = 1.2 + 0.25 * (n_left + len(cliques))
    fig = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.22, 0.02, 0.56, 0.82 if title else 0.9))
    _draw_axis(ax, lo, hi, cd)
    _draw_methods(ax, order, n_left, lo, hi, len(cliques))
    _draw_cliques(ax, order, cliques)
    ax.set_xlim(lo, hi)
    ax.set_ylim(-(max(n_left, k - n_left) + len(cliques) + 1) * 0.25 - 0.1, 0.55)
    ax.set_axis_off()
    if title:
        fig.suptitle(title, fontsize=10)
    path = Path(path)
    fig.savefig(path, format="png", metadata={"Software": None})
    return path


def _draw_axis(ax, lo: float, hi: float, cd: float) -> None:
    ax.plot([lo, hi], [0, 0], color="black", lw=1)
    for tick in range(int(lo), int(hi) + 1):
        ax.plot([tick, tick], [0, 0.06], color="black", lw=1)
        ax.text(tick, 0.1, str(tick), ha="center", va="bottom", fontsize=8)
    ax.plot([lo, lo + cd], [0.42, 0.42], color="black", lw=1.5)
    for end in (lo, lo + cd):
        ax.plot([end, end], [0.38, 0.46], color="black", lw=1)
    ax.text(lo + cd / 2, 0.47, f"CD = {cd:.3g}", ha="center", va="bottom", fontsize=8)


def _draw_methods(ax, order: pd.Series, n_left: int, lo: float, hi: float, n_cliques: int) -> None:
    base = (n_cliques + 1) * 0.25
    for i, (label, rank) in enumerate(order.items()):
        left = i < n_left
        row = i if left else len(order) - 1 - i
        y = -base - row * 0.25
        x_end = lo - 0.05 * (hi - lo) if left else hi + 0.05 * (hi - lo)
        ax.plot([rank, rank, x_end], [0, y, y], color="black", lw=0.8, clip_on=False)
        text = f"{label} ({rank:.2f})" if left else f"({rank:.2f}) {label}"
        ax.text(x_end, y, text, ha="right" if left else "left", va="center", fontsize=8, clip_on=False)


def _draw_cliques(ax, order: pd.Series, cliques: list[tuple[str, ...]]) -> None:
    for j, group in enumerate(cliques):
        y = -0.15 - j * 0.25
        ax.plot([order[group[0]] - 0.03, order[group[-1]] + 0.03], [y, y], color="black", lw=3,
                solid_capstyle="butt")


# --------------------------------------------------------------------------- 10. best / second marks

def best_and_second(means: pd.Series | Mapping[str, float], higher_is_better: bool, *,
                    decimals: int | None = None, second_after_tied_best: bool = True) -> dict:
    """Table marks: {label: "best" | "second" | ""} (bold / underline in the papers).

    Every label whose value equals the best value is "best" (ties for best are
    all bold, as ZEN Tables 3 and 6).  Every label with the next distinct value
    is "second".  ZEN Table 6 underlines after a tie for best, Table 3 does not
    (its Senate tie): ``second_after_tied_best=False`` reproduces Table 3.
    NaN (missing/failed) is never marked; ``decimals`` compares rounded values
    (ties as printed).
    """
    values = pd.Series(means, dtype=float)
    if decimals is not None:
        values = values.round(decimals)
    distinct = sorted(set(values.dropna()), reverse=higher_is_better)
    marks = {label: "" for label in values.index}
    if not distinct:
        return marks
    n_best = int((values == distinct[0]).sum())
    second = distinct[1] if len(distinct) > 1 and (second_after_tied_best or n_best == 1) else None
    for label, value in values.items():
        if value == distinct[0]:
            marks[label] = "best"
        elif second is not None and value == second:
            marks[label] = "second"
    return marks
