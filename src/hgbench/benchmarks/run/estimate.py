"""The cost of a run before it starts: jobs, how many are stored, and hours projected from stored costs.

Each job still to run is priced from the ok runs of the same method on the same dataset already in the
store (any suite, split or seed): the mean seconds (prepare + fit + predict) of those whose grid point
agrees with the job's on the most keys — the job's own configuration on other splits when stored, so a
width the store holds is priced at that width's cost, not at the method's median over narrower runs. A
configuration wider than every stored one is priced at the narrower runs' cost: a lower bound. With no
run of the method on the dataset the cell is ``unknown`` (NaN): no scaling from other datasets, whose
hypergraphs differ too much. A job whose stored run timed out (rerun by ``--retry timeout``) costs at least
the limit it passed, so it is priced at no less than that limit, and at that limit where nothing else prices
it. The estimate is what ``bench run --dry-run`` prints and what ``--max-hours`` compares.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import defaultdict
from typing import Any

import pandas as pd

from .plan import Job
from .store import Store

COLUMNS = ["method", "dataset", "jobs", "stored", "to_run", "seconds_each", "based_on", "priced_exactly",
           "at_time_limit", "hours"]

Run = tuple[dict[str, Any], float]  # a stored run's parameters and its seconds
_LIMIT_IN_REASON = re.compile(r"time limit exceeded \(([0-9.]+) s\)")


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


def timed_out_after(record: dict[str, Any] | None) -> float | None:
    """The time limit a ``timeout`` record's run passed (``time_limit_s``; older records name it only in their
    reason), a lower bound on that run's seconds; None for any other record."""
    if record is None or record.get("status") != "timeout":
        return None
    if record.get("time_limit_s") is not None:
        return float(record["time_limit_s"])
    found = _LIMIT_IN_REASON.search(record.get("reason") or "")
    return float(found.group(1)) if found else None


def _price(job: Job, runs: list[Run], record: dict[str, Any] | None) -> tuple[float, bool, bool]:
    """A job's seconds (NaN when nothing prices it), whether its own configuration priced it, and whether the
    limit its stored run timed out at did (more than the stored runs' price)."""
    seconds, exact = nearest_seconds(job.config_dict, runs) if runs else (math.nan, False)
    limit = timed_out_after(record)
    if limit is not None and not limit <= seconds:  # NaN compares False: the limit prices it alone
        return limit, False, True
    return seconds, exact, False


def estimate(store: Store, jobs: list[Job], retry: tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per (method, dataset) of ``jobs``: planned, stored, still to run, and projected hours."""
    costs = stored_costs(store)
    cells: dict[tuple[str, str], tuple[list[Job], list[tuple[Job, dict | None]]]] = {}  # (planned, still to run)
    for job in jobs:
        record = store.get(job.method, job.key)
        done = record is not None and record["status"] not in retry and not record.get("rerun_on_resume")
        planned, to_run = cells.setdefault((job.method, job.dataset), ([], []))
        planned.append(job)
        if not done:
            to_run.append((job, record))
    rows = []
    for (method, dataset), (planned, to_run) in cells.items():
        runs = costs.get((method, dataset), [])
        priced = [_price(job, runs, record) for job, record in to_run]
        known = all(seconds == seconds for seconds, _, _ in priced)
        each = (statistics.mean(seconds for seconds, _, _ in priced) if priced and known
                else statistics.median(seconds for _, seconds in runs) if runs and not priced else math.nan)
        rows.append({"method": method, "dataset": dataset, "jobs": len(planned), "stored": len(planned) - len(to_run),
                     "to_run": len(to_run), "seconds_each": each, "based_on": len(runs),
                     "priced_exactly": sum(exact for _, exact, _ in priced),
                     "at_time_limit": sum(limited for _, _, limited in priced),
                     "hours": sum(seconds for seconds, _, _ in priced) / 3600 if known else math.nan})
    return pd.DataFrame(rows, columns=COLUMNS)


def total_hours(table: pd.DataFrame) -> float:
    """The projected hours of every job still to run; NaN when any of them has no stored cost."""
    return float(table.hours.sum()) if table.hours.notna().all() else math.nan
