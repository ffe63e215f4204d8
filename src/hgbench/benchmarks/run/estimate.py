"""The cost of a run before it starts: jobs, how many are stored, and hours projected from stored costs.

Each job still to run is priced from the ok runs of the same method on the same dataset already in the
store (any suite, split or seed): the mean seconds (prepare + fit + predict) of those whose grid point
agrees with the job's on the most keys — the job's own configuration on other splits when stored, so a
width the store holds is priced at that width's cost, not at the method's median over narrower runs. A
configuration wider than every stored one is priced at the narrower runs' cost: a lower bound. With no
run of the method on the dataset the cell is ``unknown`` (NaN): no scaling from other datasets, whose
hypergraphs differ too much. The estimate is what ``bench run --dry-run`` prints and what ``--max-hours``
compares.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from typing import Any

import pandas as pd

from .plan import Job
from .store import Store

COLUMNS = ["method", "dataset", "jobs", "stored", "to_run", "seconds_each", "based_on", "priced_exactly", "hours"]

Run = tuple[dict[str, Any], float]  # a stored run's parameters and its seconds


def stored_costs(store: Store) -> dict[tuple[str, str], list[Run]]:
    """(method, dataset) -> (params, seconds) of every ok run in the store (prepare + fit + predict)."""
    costs: dict[tuple[str, str], list[Run]] = defaultdict(list)
    for record in store.all_records():
        if record.get("status") == "ok" and record.get("fit_seconds") is not None:
            seconds = sum(float(record.get(part) or 0.0) for part in ("prepare_seconds", "fit_seconds",
                                                                      "predict_seconds"))
            costs[(record["method"], record["dataset"])].append((record.get("params") or {}, seconds))
    return costs


def nearest_seconds(point: dict[str, Any], runs: list[Run]) -> tuple[float, bool]:
    """The mean seconds of the ``runs`` whose parameters agree with the grid ``point`` on the most keys, and
    whether they agree on all of them (the point's own configuration, run on other splits)."""
    agreement = [sum(params.get(key) == value for key, value in point.items()) for params, _ in runs]
    best = max(agreement)
    return statistics.fmean(seconds for (_, seconds), agree in zip(runs, agreement) if agree == best), \
        best == len(point)


def estimate(store: Store, jobs: list[Job], retry: tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per (method, dataset) of ``jobs``: planned, stored, still to run, and projected hours."""
    costs = stored_costs(store)
    cells: dict[tuple[str, str], tuple[list[Job], list[Job]]] = {}  # (planned, still to run)
    for job in jobs:
        record = store.get(job.method, job.key)
        done = record is not None and record["status"] not in retry and not record.get("rerun_on_resume")
        planned, to_run = cells.setdefault((job.method, job.dataset), ([], []))
        planned.append(job)
        if not done:
            to_run.append(job)
    rows = []
    for (method, dataset), (planned, to_run) in cells.items():
        runs = costs.get((method, dataset), [])
        priced = [nearest_seconds(job.config_dict, runs) for job in to_run] if runs else []
        each = (statistics.mean(seconds for seconds, _ in priced) if priced
                else statistics.median(seconds for _, seconds in runs) if runs else math.nan)
        rows.append({"method": method, "dataset": dataset, "jobs": len(planned), "stored": len(planned) - len(to_run),
                     "to_run": len(to_run), "seconds_each": each, "based_on": len(runs),
                     "priced_exactly": sum(exact for _, exact in priced),
                     "hours": len(to_run) * each / 3600 if runs else (0.0 if not to_run else math.nan)})
    return pd.DataFrame(rows, columns=COLUMNS)


def total_hours(table: pd.DataFrame) -> float:
    """The projected hours of every job still to run; NaN when any of them has no stored cost."""
    return float(table.hours.sum()) if table.hours.notna().all() else math.nan
