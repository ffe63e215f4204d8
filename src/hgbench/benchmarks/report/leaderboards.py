"""Leaderboards from stored records: per suite (long and wide) and across suites (global).

Configurations are selected per split on validation only; the test value reported for a split is
the one of the selected configuration. The long leaderboard is the contract every later step reads
(tables, claims, the Markdown summary): one row per (method, dataset) with ``method, label, dataset,
paper_dataset, metric, setting, mean, std, n_runs, status`` and whatever columns a layout adds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...datasets import catalog
from ...methods.base import BUDGETS
from . import stats
from ..run.metrics import HIGHER_IS_BETTER, METRICS
from .paper import paper_value
from ..run.registry import method_entry
from ..suites import Suite

PERCENT_METRICS = {"accuracy"}
STD_DDOF = 0  # population std over splits, as numpy.std in ZEN's official code
_FIELDS = ("method", "dataset", "protocol", "seed", "budget", "status", "reason", "fit_seconds", "predict_seconds",
           "prepare_seconds", "peak_memory_mb", "code_version", "task", "executor", "environment",
           "inference_seconds", "inference_peak_mb", "tuned_on")
_CELL = ["method", "dataset", "protocol", "seed"]
PARTIAL_GRID = "partial-grid"  # a cell with a split whose grid ran only partly (cell_statuses)


def records_frame(records: list[dict]) -> pd.DataFrame:
    """One row per record, metrics flattened to ``val_<metric>`` / ``test_<metric>``, sorted."""
    columns = {name: [r.get(name) for r in records] for name in _FIELDS}
    columns["config"] = [json.dumps(r.get("config", {}), sort_keys=True) for r in records]
    columns["grid_index"] = [r.get("grid_index", 0) for r in records]
    columns["num_parameters"] = [(r.get("diagnostics") or {}).get("num_parameters") for r in records]
    # seconds of earlier runs this one needed (a distillation row's teacher): part of its time to a deployed model
    columns["upstream_seconds"] = [float((r.get("diagnostics") or {}).get("upstream_seconds") or 0.0) for r in records]
    for part in ("val", "test"):
        scores = [r.get(part) or {} for r in records]
        for metric in METRICS:
            columns[f"{part}_{metric}"] = np.array([s.get(metric, np.nan) for s in scores], dtype=float)
    frame = pd.DataFrame(columns)
    return frame.sort_values(_CELL + ["config"], kind="stable").reset_index(drop=True)


def planned_frame(entries: list[dict]) -> pd.DataFrame:
    """A suite's plan entries as a frame (``config`` as sorted JSON, as in :func:`records_frame`)."""
    columns = ["key", "method", "dataset", "protocol", "seed", "budget", "grid_index", "full_grid_size", "config"]
    frame = pd.DataFrame(entries, columns=[c for c in columns if c != "config"] + ["config"])
    frame["config"] = [json.dumps(c, sort_keys=True) for c in frame.config]
    return frame


def largest_budget_per_split(frame: pd.DataFrame) -> pd.DataFrame:
    """Per (method, dataset, protocol, seed): only the records of the largest budget stored for it.

    A split rerun under a larger budget (``reduced`` then ``full``) keeps both sets of records in the
    store; its cell reports the larger grid alone, so selection, run counts and costs are the larger
    budget's (BUDGETS is ordered largest first).
    """
    if frame.empty:
        return frame
    rank = frame.budget.map({name: i for i, name in enumerate(BUDGETS)})
    best = rank.groupby([frame[c] for c in _CELL]).transform("min")
    return frame[rank == best].reset_index(drop=True)


def complete_grids(frame: pd.DataFrame, planned: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The records of splits that hold every configuration their plan lists, and a list of the others.

    ``planned`` is the suite's plan (one row per entry: method, dataset, protocol, seed, budget, config).
    A split that holds some of its planned grid but not all (an interrupted run) would select from a
    cut grid, so its records under that budget are left out of every leaderboard until a rerun
    completes them (the split's records under another budget are judged on their own). The list has
    one row per left-out split: ``method, dataset, protocol, seed, budget, n_configs, n_grid``.
    """
    keys = _CELL + ["budget"]
    columns = keys + ["n_configs", "n_grid"]
    if frame.empty:
        return frame, pd.DataFrame(columns=columns)
    stored = frame.groupby(keys, sort=True).config.agg(frozenset)
    grids = planned.groupby(keys, sort=True).config.agg(frozenset)
    rows = [(*key, len(configs), len(grids[key])) for key, configs in stored.items()
            if key in grids.index and not grids[key] <= configs]
    incomplete = pd.DataFrame(rows, columns=columns)
    cut = pd.MultiIndex.from_frame(frame[keys]).isin(list(incomplete[keys].itertuples(index=False, name=None)))
    return frame[~cut].reset_index(drop=True), incomplete


def select_on_validation(frame: pd.DataFrame, metric: str = "accuracy") -> pd.DataFrame:
    """Per (method, dataset, protocol, seed): the ok configuration with the best validation metric.

    Ties go to the configuration the plan's grid enumerates first (``grid_index``, the order ``plan``
    runs them in: the grid's first maximum, as the trainer's epoch checkpoints assume).
    """
    ok = frame[frame.status == "ok"].copy()
    ok["_rank"] = ok[f"val_{metric}"] * (1 if HIGHER_IS_BETTER[metric] else -1)
    ok = ok.sort_values(_CELL + ["_rank", "grid_index", "config"], ascending=[True] * 4 + [False, True, True],
                        kind="stable")
    return ok.groupby(_CELL, sort=True).head(1).drop(columns=["_rank"])


def long_frame(selected: pd.DataFrame, suite: Suite, metric: str) -> pd.DataFrame:
    """Selected runs in the statistics layer's long format (accuracy in percent, as the papers)."""
    scale = 100.0 if metric in PERCENT_METRICS else 1.0
    return pd.DataFrame({
        "method": selected.method, "dataset": selected.dataset, "setting": suite.setting, "seed": selected.seed,
        "metric": metric, "value": selected[f"test_{metric}"] * scale, "status": selected.status,
    })


@dataclass(frozen=True)
class Cell:
    mean: float
    std: float
    n_runs: int
    status: str
    budget: str  # the budgets its runs had ("-" without runs)


def cells(frame: pd.DataFrame, long: pd.DataFrame, suite: Suite) -> dict[tuple[str, str], Cell]:
    """(method, dataset) -> mean and std over splits of the selected test values, with a status and budget."""
    summary = stats.summarise(long, ddof=STD_DDOF).set_index(["method", "dataset"])
    statuses = cell_statuses(frame, summary.n_runs)
    budgets = frame.groupby(["method", "dataset"]).budget.agg(lambda b: ",".join(sorted(set(b))))
    out = {}
    for key in ((m, d) for m in suite.methods for d in suite.datasets):
        found = key in summary.index
        out[key] = Cell(float(summary.at[key, "mean"]) if found else np.nan,
                        float(summary.at[key, "std"]) if found else np.nan,
                        int(summary.at[key, "n_runs"]) if found else 0, statuses.get(key) or absent_status(key[1]),
                        budgets.get(key, "-"))
    return out


def cut_grids(frame: pd.DataFrame) -> pd.DataFrame:
    """Splits whose grid ran partly: some configurations ok, others not (timeout, oom, failed).

    One row per such split: ``method, dataset, protocol, seed, n_ok, n_configs, failures`` (the non-ok
    statuses, sorted and comma-separated). Selection there chose among the ok configurations only.
    """
    ok = frame.status == "ok"
    counts = ok.groupby([frame[c] for c in _CELL], sort=True).agg(n_ok="sum", n_configs="size").reset_index()
    failures = frame[~ok].groupby(_CELL, sort=True).status.agg(lambda s: ",".join(sorted(set(s)))).rename("failures")
    cut = counts[(counts.n_ok > 0) & (counts.n_ok < counts.n_configs)]
    return cut.merge(failures.reset_index(), on=_CELL, how="left").astype({"n_ok": int, "n_configs": int})


def cell_statuses(frame: pd.DataFrame, n_ok: pd.Series) -> dict[tuple[str, str], str]:
    """The status of each (method, dataset) cell with stored runs, by the first rule that applies:

    * ``partial-grid`` (:data:`PARTIAL_GRID`): some split selected from part of its grid, the other
      configurations of that split having failed (:func:`cut_grids`); its mean is shown, marked, but is
      never bold or underlined and its dataset is left out of Avg. Rank and rank claims;
    * ``ok``: every stored split has a selected ok run;
    * the commonest failure (``timeout``, ``oom``, ``failed``) when no split has one;
    * ``partial``: some splits have a selected ok run, the others failed on every configuration.
    """
    seeds = frame.groupby(["method", "dataset"]).seed.nunique()
    failed = frame[frame.status != "ok"].groupby(["method", "dataset"]).status
    commonest = failed.agg(lambda s: s.value_counts().sort_index().idxmax())
    cut = set(cut_grids(frame)[["method", "dataset"]].itertuples(index=False, name=None))
    out = {}
    for key, n_seeds in seeds.items():
        ok = int(n_ok.get(key, 0))
        out[key] = PARTIAL_GRID if key in cut else "ok" if ok == n_seeds else \
            commonest[key] if ok == 0 and key in commonest.index else "partial"
    return out


def ranked(board: pd.DataFrame) -> pd.Series:
    """Rows whose means are compared (bold, underline, Avg. Rank): a value not selected from a cut grid."""
    return board["mean"].notna() & (board.status != PARTIAL_GRID)


def absent_status(dataset: str) -> str:
    """Status of a cell without runs: its data cannot be had here, or it has not run yet."""
    return "data unavailable" if catalog.unavailable_reason(dataset) else "pending"


def leaderboard(cells: dict[tuple[str, str], Cell], suite: Suite, metric: str) -> pd.DataFrame:
    """The long leaderboard: ours beside the paper, with the verdict against the paper's value."""
    rows = []
    for (method, dataset), cell in cells.items():
        paper = _paper(suite, method, dataset, metric)
        rows.append({
            "method": method, "label": method_entry(method).label, "dataset": dataset,
            "paper_dataset": catalog.spec(dataset).paper or dataset, "metric": metric, "setting": suite.setting,
            "mean": _round(cell.mean), "std": _round(cell.std), "std_convention": f"ddof={STD_DDOF}",
            "n_runs": cell.n_runs, "status": cell.status, "budget": cell.budget,
            "paper_mean": paper[0] if paper else np.nan, "paper_std": paper[1] if paper else np.nan,
            "within_tolerance": _within(cell, paper),
        })
    return pd.DataFrame(rows)


def _paper(suite: Suite, method: str, dataset: str, metric: str):
    if suite.table is None:
        return None
    return paper_value(suite.table.csv, method_entry(method).paper_row, catalog.spec(dataset).paper or dataset,
                       suite.table.setting, metric)


def _within(cell: Cell, paper) -> str:
    """Verdict against the paper: |ours - paper| <= max(paper std, 2 points)."""
    if paper is None or cell.status != "ok":
        return ""
    tolerance = max(paper[1] if np.isfinite(paper[1]) else 0.0, 2.0)
    return "yes" if abs(cell.mean - paper[0]) <= tolerance else "no"


def _round(value: float) -> float:
    return round(value, 4) if np.isfinite(value) else np.nan


def usual_splits(board: pd.DataFrame) -> pd.Series:
    """Per row, the commonest ``n_runs`` among the cells with a value in its (dataset, metric) column (on a
    tie the largest), or 0 where the column has no value."""
    valued = board[board["mean"].notna()]
    commonest = valued.groupby(["dataset", "metric"]).n_runs.agg(lambda n: max(n.mode()))
    keys = pd.MultiIndex.from_frame(board[["dataset", "metric"]])
    return pd.Series(commonest.reindex(keys).fillna(0).astype(int).to_numpy(), index=board.index)


def other_splits(board: pd.DataFrame) -> pd.Series:
    """Rows with a value over another number of splits than their column's usual one (:func:`usual_splits`):
    their mean, bold/underline and rank compare averages over different splits, which tables mark."""
    return board["mean"].notna() & (board.n_runs != usual_splits(board))


def complete_datasets(board: pd.DataFrame) -> pd.DataFrame:
    """The rows of the datasets where every method has a ranked value (:func:`ranked`: not from a cut grid)."""
    return board[board.assign(_ranked=ranked(board)).groupby("dataset")._ranked.transform("all")]


def average_ranks(board: pd.DataFrame) -> dict[str, float]:
    """Avg. Rank per method over the datasets where every method has a ranked value (:func:`complete_datasets`),
    with min-rank ties as ZEN Tables 3 and 6."""
    if board.method.nunique() < 2:  # e.g. a metric only one method reports (TriPrune's dyn_* rows): no ranks
        return {}
    complete = complete_datasets(board)
    if complete.empty:
        return {}
    frame = complete.rename(columns={"mean": "value"}).assign(seed=0)
    return stats.average_ranks(frame, complete.metric.iloc[0], ties="min", decimals=1).to_dict()


# ----------------------------------------------------------------------------- wide and global
def wide(board: pd.DataFrame) -> pd.DataFrame:
    """Methods x datasets: one row per (method, metric), numeric ``<dataset>_mean`` / ``<dataset>_std`` pairs.

    An empty mean means no ok run (the long leaderboard's ``status`` says why); ``avg_rank`` is the
    table's Avg. Rank (over the datasets every method ran), empty with a single method.
    """
    rows = []
    for metric, part in board.groupby("metric", sort=False):
        ranks = average_ranks(part)
        for method, runs in part.groupby("method", sort=False):
            row = {"method": method, "label": runs.label.iloc[0], "metric": metric}
            for dataset, mean, std in zip(runs.dataset, runs["mean"], runs["std"]):
                row[f"{dataset}_mean"], row[f"{dataset}_std"] = mean, std
            rows.append({**row, "avg_rank": ranks.get(method, np.nan)})
    return pd.DataFrame(rows)


def combined(boards: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every suite's long leaderboard stacked, with a leading ``suite`` column (suites in the given order)."""
    frames = [board.assign(suite=name)[["suite", *board.columns]] for name, board in boards.items()]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["suite"])


def write_csv(frame: pd.DataFrame, path) -> None:
    """CSV with fixed float formatting (4 decimals; p-values in 3 significant digits) and ``\\n`` line ends."""
    frame = frame.copy()
    for column in ("p", "p_adj"):
        if column in frame:
            frame[column] = [f"{p:.3g}" if np.isfinite(p) else "" for p in frame[column].astype(float)]
    frame.to_csv(path, index=False, float_format="%.4f", lineterminator="\n")
