"""Shared pieces of the TriPrune-HGNN report layouts (Tables 7, 8, 10, Figure 6, the dynamics figures).

These layouts read more than a record's test metrics: diagnostics, profiles and the per-run artifacts
(``trace``, ``meta_steps``, ``temperatures``, ``mined_pairs``, ``meta_gradient_probe``). :func:`runs`
loads the suite's records once with their keys; :func:`row` builds one long-leaderboard row in the
shape every layout shares (``method, label, dataset, paper_dataset, metric, mean, std, n_runs, status``),
so the claims can read these boards like any other.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd

from ...datasets import catalog
from ...methods.base import BUDGETS
from .leaderboards import STD_DDOF, absent_status
from ..run.registry import method_entry

RUN_COLUMNS = ["method", "dataset", "seed", "budget", "status", "reason", "key", "record"]


def label(chosen, method: str) -> str:
    """The row's label in this suite's table (``Suite.row_labels``), else the method's own label."""
    return chosen.row_label(method) or method_entry(method).label


def paper_name(dataset: str) -> str:
    return catalog.spec(dataset).paper or dataset if dataset in catalog.names() else dataset


def runs(data) -> pd.DataFrame:
    """The suite's stored records (its plan's jobs with a record), one per (method, dataset, seed): the
    largest budget stored for the split, as the leaderboards report it."""
    records = data.store.records(data.suite.records_from or data.suite.name)
    frame = pd.DataFrame([{"method": r["method"], "dataset": r["dataset"], "seed": int(r["seed"]),
                           "budget": r.get("budget", "full"), "status": r.get("status", "ok"),
                           "reason": r.get("reason") or "", "key": r["key"], "record": r} for r in records],
                         columns=RUN_COLUMNS)
    if frame.empty:
        return frame
    frame["_rank"] = frame.budget.map({name: i for i, name in enumerate(BUDGETS)}).fillna(len(BUDGETS))
    frame = frame.sort_values(["method", "dataset", "seed", "_rank"], kind="stable")
    return frame.groupby(["method", "dataset", "seed"], sort=True).head(1).drop(columns="_rank").reset_index(drop=True)


def ok_runs(frame: pd.DataFrame, method: str, dataset: str | None = None) -> pd.DataFrame:
    rows = frame[(frame.method == method) & (frame.status == "ok")]
    return rows if dataset is None else rows[rows.dataset == dataset]


def cell_status(frame: pd.DataFrame, method: str, dataset: str) -> tuple[str, str, str]:
    """(status, reason, budgets) of a (method, dataset) cell: ``ok`` when every stored split is ok,
    ``partial`` when some are, the commonest failure when none is, ``pending``/``data unavailable``
    without records. ``reason`` lists the failures' distinct reasons."""
    rows = frame[(frame.method == method) & (frame.dataset == dataset)]
    if rows.empty:
        return absent_status(dataset), "", "-"
    budgets = ",".join(sorted(set(rows.budget)))
    failed = rows[rows.status != "ok"]
    reason = "; ".join(dict.fromkeys(r for r in failed.reason if r))
    if failed.empty:
        return "ok", "", budgets
    if len(failed) < len(rows):
        return "partial", reason, budgets
    return failed.status.value_counts().sort_index().idxmax(), reason, budgets


def row(chosen, method: str, dataset: str, metric: str, values: Iterable[float], status: str = "ok",
        paper: tuple[float, float] | None = None, budget: str = "-", label_: str | None = None, **extra) -> dict:
    """One long-leaderboard row: mean and population std (ddof=0) of the finite ``values``."""
    values = np.asarray([v for v in values if v is not None and np.isfinite(v)], dtype=float)
    return {"method": method, "label": label_ or label(chosen, method), "dataset": dataset,
            "paper_dataset": paper_name(dataset), "metric": metric, "setting": chosen.setting,
            "mean": float(values.mean()) if len(values) else np.nan,
            "std": float(values.std(ddof=STD_DDOF)) if len(values) else np.nan,
            "std_convention": f"ddof={STD_DDOF}", "n_runs": int(len(values)),
            "status": status if len(values) or status != "ok" else "no value", "budget": budget,
            "paper_mean": paper[0] if paper else np.nan, "paper_std": paper[1] if paper else np.nan, **extra}


def fmt(value: float, decimals: int = 3, std: float = np.nan) -> str:
    if value is None or not np.isfinite(value):
        return "-"
    return f"{value:.{decimals}f}" + (f" ± {std:.{decimals}f}" if np.isfinite(std) else "")


def markdown_table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(h.replace("|", "\\|") for h in header) + " |", "|" + "---|" * len(header)] + \
        ["| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |" for r in rows]
