"""The cost of a run before it starts: jobs, how many are stored, and hours projected from stored costs.

Per (method, dataset), the jobs still to run are priced at the median seconds (prepare + fit + predict)
of the ok runs of the same method on the same dataset already in the store, whatever their
hyperparameters and suite. With none the cell is ``unknown`` (NaN): no scaling from other datasets,
whose hypergraphs differ too much. The estimate is what ``bench run --dry-run`` prints and what
``--max-hours`` compares.
"""

from __future__ import annotations

import math
from collections import defaultdict

import pandas as pd

from .plan import Job
from .store import Store

COLUMNS = ["method", "dataset", "jobs", "stored", "to_run", "seconds_each", "based_on", "hours"]


def stored_costs(store: Store) -> dict[tuple[str, str], list[float]]:
    """(method, dataset) -> seconds of every ok run in the store (prepare + fit + predict)."""
    costs: dict[tuple[str, str], list[float]] = defaultdict(list)
    for record in store.all_records():
        if record.get("status") == "ok" and record.get("fit_seconds") is not None:
            seconds = sum(float(record.get(part) or 0.0) for part in ("prepare_seconds", "fit_seconds",
                                                                      "predict_seconds"))
            costs[(record["method"], record["dataset"])].append(seconds)
    return costs


def estimate(store: Store, jobs: list[Job], retry: tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per (method, dataset) of ``jobs``: planned, stored, still to run, and projected hours."""
    costs = stored_costs(store)
    cells: dict[tuple[str, str], list[int]] = {}
    for job in jobs:
        record = store.get(job.method, job.key)
        done = record is not None and record["status"] not in retry and not record.get("rerun_on_resume")
        counts = cells.setdefault((job.method, job.dataset), [0, 0])
        counts[0] += 1
        counts[1] += int(done)
    rows = []
    for (method, dataset), (planned, stored) in cells.items():
        seen = sorted(costs.get((method, dataset), []))
        each = seen[len(seen) // 2] if seen else math.nan
        rows.append({"method": method, "dataset": dataset, "jobs": planned, "stored": stored,
                     "to_run": planned - stored, "seconds_each": each, "based_on": len(seen),
                     "hours": (planned - stored) * each / 3600 if seen else (0.0 if planned == stored else math.nan)})
    return pd.DataFrame(rows, columns=COLUMNS)


def total_hours(table: pd.DataFrame) -> float:
    """The projected hours of every job still to run; NaN when any of them has no stored cost."""
    return float(table.hours.sum()) if table.hours.notna().all() else math.nan
