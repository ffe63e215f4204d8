"""Statistics layer of the benchmark: summaries, multiple-comparison corrections, marks and ranks.

Pure functions over pandas DataFrames / numpy arrays, no I/O.  This module does
not import anything else from ``hgbench`` so it can be used on its own.  It
holds what ``bench report`` uses; the paired tests themselves live in
``significance.py`` (``scipy.stats.ttest_rel``).

Input format
------------
Records arrive in LONG format, one row per (run, metric)::

    method, dataset, setting, seed, metric, value   (+ any other columns, ignored)

``seed`` is the split id.  A ``value`` of NaN, or a ``status`` column with a
value outside :data:`OK_STATUSES` (the runner writes "failed", "oom",
"timeout"), marks a failed run: it is ignored in means and ranked last.

Conventions (see ``docs/statistics.md``)
----------------------------------------
* std: ``ddof`` is explicit; default ``ddof=0`` (population std, as ZEN's
  official code, ``np.std``).
* Multiple comparisons: statsmodels ``multipletests``; the method is an
  explicit argument.  TriPrune-HGNN (Table 3) uses ``"bonferroni"``.
* Significance marks (TriPrune Table 3 levels): ``"***"`` p < 0.001,
  ``"**"`` p < 0.01, ``"*"`` p < 0.05, ``""`` otherwise.
* Ranks (``DataFrame.rank``): 1 = best; ties ``"average"`` (default) or
  ``"min"`` (reproduces ZEN's "Avg. Rank" in Tables 3, 6, 9 and 11); a method
  missing or failed on a dataset is ranked last (ZEN Table 11 ranks LEGCN's
  O.O.M last).
"""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "HIGHER_IS_BETTER", "OK_STATUSES", "MARK_LEVELS", "CORRECTIONS", "BLOCK_KEY",
    "is_higher_better", "std_convention", "summarise", "adjust_pvalues", "significance_mark",
    "score_matrix", "rank_matrix", "average_ranks", "best_and_second",
]

#: Direction of each known metric (looked up case-insensitively); override per call.
HIGHER_IS_BETTER: dict[str, bool] = {"accuracy": True, "mae": False, "rmse": False,
                                     # run-time costs (benchmarks/runtime.py): seconds and ratios over ZEN
                                     "one_config": False, "protocol": False, "ratio_one_config": False,
                                     "ratio_protocol": False,
                                     # efficiency columns of TriPrune's tables (report/multimetric.py)
                                     "inference_seconds": False, "inference_peak_mb": False, "train_seconds": False,
                                     "num_parameters": False, "val_mae": False,
                                     # TriPrune Tables 7 and 10 (report/triprune_tables_7_8_10.py)
                                     "delta_pct": False, "seconds": False, "seconds_float32": False,
                                     "seconds_float64": False, "rel_error_float32": False, "rel_error_float64": False,
                                     "seconds_per_epoch": False, "training_overhead_pct": False, "latency_ms": False,
                                     "adaptive_parameters": False, "speedup": True}
#: Values of an optional ``status`` column that mark a successful run (the runner writes "ok").
OK_STATUSES: frozenset[str] = frozenset({"ok"})
#: (threshold, mark) pairs, strictest first: TriPrune Table 3's p < 0.001 / 0.01 / 0.05 levels.
MARK_LEVELS: tuple[tuple[float, str], ...] = ((0.001, "***"), (0.01, "**"), (0.05, "*"))
#: Accepted ``correction`` values: statsmodels ``multipletests`` names, plus "none".
CORRECTIONS: tuple[str, ...] = ("bonferroni", "holm", "sidak", "holm-sidak", "simes-hochberg",
                                "hommel", "fdr_bh", "fdr_by", "none")
BLOCK_KEY: tuple[str, ...] = ("dataset", "setting")
_SUMMARY_KEY = ["method", "dataset", "setting", "metric"]
_REQUIRED = ("method", "dataset", "setting", "seed", "metric", "value")
_TIES = ("average", "min")


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


# --------------------------------------------------------------------------- 2. corrections and marks

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
            from statsmodels.stats.multitest import multipletests  # here: 1 CPU s to import, used by few reports

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


# --------------------------------------------------------------------------- 3. ranks

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


def rank_matrix(scores: pd.DataFrame, higher_is_better: bool, ties: str = "average") -> pd.DataFrame:
    """Rank methods within each block (row) of ``scores``: 1 = best (``DataFrame.rank`` along rows).

    ``ties="average"``: tied methods share the mean of their places (Friedman /
    Demšar 2006 convention).  ``ties="min"``: they all get the best place
    (reproduces ZEN's Avg. Rank, Tables 3, 6, 9, 11).  Missing / failed (NaN)
    methods are ranked last: they occupy the last places, sharing them under
    the same tie rule (``na_option="bottom"``).
    """
    if ties not in _TIES:
        raise ValueError(f"ties must be one of {_TIES}, got {ties!r}")
    return scores.astype(float).rank(axis=1, method=ties, ascending=not higher_is_better, na_option="bottom")


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


# --------------------------------------------------------------------------- 4. best / second marks

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
