"""The cost of a run before it starts: jobs, how many are stored, and hours projected from stored costs.

Each job still to run is priced from the ok runs of the same method on the same dataset already in the
store (any suite, split or seed): the mean seconds (prepare + fit + predict) of those whose grid point
agrees with the job's on the most keys — the job's own configuration on other splits when stored, so a
width the store holds is priced at that width's cost, not at the method's median over narrower runs. A run
of another width (``hidden``) is scaled by the method's cost ratio between the two widths where the store
has one (:func:`width_ratios`: the median over the datasets holding both widths): where the full grid ran,
widths 128 and 256 cost about 2 and 4-7 times 64 for the set-based models and UniGCNII, so the narrower
runs' cost alone would be a lower bound, as it still is where no dataset holds both widths. With no run of
the method on the dataset the cell is ``unknown`` (NaN): the level itself is never carried over from other
datasets, whose hypergraphs differ too much. A job whose stored run timed out (rerun by ``--retry
timeout``) costs at least the limit it passed, so it is priced at no less than that limit, and at that
limit where nothing else prices it. The estimate is what ``bench run --dry-run`` prints and what
``--max-hours`` compares.
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
Ratios = dict[tuple[Any, Any], float]  # (width a, width b) -> seconds of a width-b run / of a width-a run
WIDTH = "hidden"  # the grid key whose value scales a run's cost (every trained baseline's width)
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


def nearest_seconds(point: dict[str, Any], runs: list[Run], ratios: Ratios | None = None) -> tuple[float, bool]:
    """The mean seconds of the ``runs`` whose parameters agree with the grid ``point`` on the most keys, each run of
    another width scaled by ``ratios[(its width, the point's)]`` where given, and whether they agree on all keys
    (the point's own configuration, run on other splits)."""
    agreement = [sum(params.get(key) == value for key, value in point.items()) for params, _ in runs]
    best = max(agreement)
    width = point.get(WIDTH)
    scale = ratios or {}
    return statistics.fmean(seconds * scale.get((params.get(WIDTH), width), 1.0)
                            for (params, seconds), agree in zip(runs, agreement) if agree == best), \
        best == len(point)


def width_ratios(costs: dict[tuple[str, str], list[Run]]) -> dict[str, Ratios]:
    """Per method, ``(a, b) -> `` how many times a run of width ``b`` costs one of width ``a``: the median over the
    datasets whose stored runs hold both widths of the ratio of their mean seconds (the other grid keys averaged in
    both). Widths never stored together on one dataset have no ratio."""
    per_dataset: dict[str, dict[tuple[Any, Any], list[float]]] = defaultdict(lambda: defaultdict(list))
    for (method, _), runs in costs.items():
        by_width: dict[Any, list[float]] = defaultdict(list)
        for params, seconds in runs:
            if params.get(WIDTH) is not None:
                by_width[params[WIDTH]].append(seconds)
        means = {width: statistics.fmean(seconds) for width, seconds in by_width.items()}
        for a, mean_a in means.items():
            for b, mean_b in means.items():
                if a != b and mean_a > 0:
                    per_dataset[method][(a, b)].append(mean_b / mean_a)
    return {method: {pair: statistics.median(values) for pair, values in pairs.items()}
            for method, pairs in per_dataset.items()}


def timed_out_after(record: dict[str, Any] | None) -> float | None:
    """The time limit a ``timeout`` record's run passed (``time_limit_s``; older records name it only in their
    reason), a lower bound on that run's seconds; None for any other record."""
    if record is None or record.get("status") != "timeout":
        return None
    if record.get("time_limit_s") is not None:
        return float(record["time_limit_s"])
    found = _LIMIT_IN_REASON.search(record.get("reason") or "")
    return float(found.group(1)) if found else None


def _price(job: Job, runs: list[Run], record: dict[str, Any] | None, ratios: Ratios) -> tuple[float, bool, bool]:
    """A job's seconds (NaN when nothing prices it), whether its own configuration priced it, and whether the
    limit its stored run timed out at did (more than the stored runs' price)."""
    seconds, exact = nearest_seconds(job.config_dict, runs, ratios) if runs else (math.nan, False)
    limit = timed_out_after(record)
    if limit is not None and not limit <= seconds:  # NaN compares False: the limit prices it alone
        return limit, False, True
    return seconds, exact, False


def estimate(store: Store, jobs: list[Job], retry: tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per (method, dataset) of ``jobs``: planned, stored, still to run, and projected hours."""
    costs = stored_costs(store)
    ratios = width_ratios(costs)
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
        priced = [_price(job, runs, record, ratios.get(method, {})) for job, record in to_run]
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
