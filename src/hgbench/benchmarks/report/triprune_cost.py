"""What a TriPrune suite has not run yet, and what it would cost on this machine.

A suite's design is its methods x datasets x seeds 0..seeds-1; a split is done for a method when the store
holds an ``ok`` record of it (any configuration, planned by this suite or another). The missing ones are
listed per (method, dataset) with the mean seconds (prepare + fit) of that method's stored runs on that
dataset. A TriPrune variant never run there is priced at the full model's (``triprune``: every variant
trains the same network by the same loop). A baseline never run there is priced from its own mean on the
dataset where it ran that is nearest in the HGNN row's (``tp-hgnn``) cost (the nearest, because a ratio says
little across a large gap), scaled two ways, given as a range: by the HGNN row's ratio of seconds between the
two datasets, and by their ratio of incidences nnz(H). Neither is right for every baseline: HGNN's epoch is
dominated by its dense feature products, so it prices models whose cost lies in per-membership work (attention
pools, membership masks and MLPs) far too low (HHGSA on Douban ran 4x its HGNN-scaled price, HSL passed 5x),
while the incidences overprice the lighter contrastive rows. A cell where a run of the method timed out is
priced at no less than the longest limit passed there (``run.estimate.timed_out_after``): that run is known
to cost more. Every projection comes from the store and the datasets, never from a typed number; a
baseline's "run" is one configuration (the reduced budget; the full budget runs up to 25 per split).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from ...datasets import catalog
from ...datasets.files import DataError, data_dir
from ...datasets.summaries import statistics
from ..run.estimate import timed_out_after

FULL = "triprune"
SCALE = "tp-hgnn"  # a baseline's cost on a new dataset follows the HGNN row's ratio between datasets


def _stored(store, methods: set[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ok runs of ``methods`` (any configuration), whichever suite planned them (method, dataset, seed,
    prepare + fit seconds), and their timed-out runs (method, dataset, seed, the limit passed)."""
    rows, timeouts = [], []
    for method in sorted(methods):
        folder = store.root / "records" / method
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else ():
            try:
                record = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
            if record.get("status") == "ok" and record.get("fit_seconds") is not None:
                seconds = float(record["fit_seconds"]) + float(record.get("prepare_seconds") or 0.0)
                rows.append((method, record["dataset"], int(record["seed"]), seconds))
            elif (limit := timed_out_after(record)) is not None:
                timeouts.append((method, record["dataset"], int(record["seed"]), limit))
    columns = ["method", "dataset", "seed", "seconds"]
    return pd.DataFrame(rows, columns=columns), pd.DataFrame(timeouts, columns=columns)


def cost_section(data) -> list[str]:
    """Markdown: the suite's runs without an ok record and their projected CPU hours (empty when complete)."""
    chosen = data.suite
    datasets = [d for d in chosen.datasets if catalog.unavailable_reason(d) is None]
    stored, timed_out = _stored(data.store, set(chosen.methods) | {FULL, SCALE})
    longest_limit = timed_out.groupby(["method", "dataset"]).seconds.max()
    done = set(stored[["method", "dataset", "seed"]].itertuples(index=False, name=None))
    missing = {(m, d): sum((m, d, s) not in done for s in range(chosen.seeds))
               for m in chosen.methods for d in datasets}
    missing = {cell: n for cell, n in missing.items() if n}
    if not missing:
        return []
    seconds = stored.groupby(["method", "dataset"]).seconds.agg(["mean", "size"])
    table, total = [], np.zeros(2)
    for (method, dataset), n in missing.items():
        if (method, dataset) in seconds.index:
            per_run, count = seconds.loc[(method, dataset)]
            per_run, source = np.array([per_run, per_run]), f"its {_runs(count)}"
        elif method.startswith(FULL) and (FULL, dataset) in seconds.index:
            per_run, count = seconds.loc[(FULL, dataset)]
            per_run, source = np.array([per_run, per_run]), f"the full model's {_runs(count)}"
        else:
            per_run, source = _scaled(seconds["mean"], method, dataset)
        limit = longest_limit.get((method, dataset), np.nan)
        if not np.isnan(limit) and not (per_run >= limit).all():  # NaN compares False: the limit prices it
            per_run = np.fmax(per_run, limit)
            source = f"at least: a run here passed a {limit:.0f} s limit; " + source
        hours = n * per_run / 3600
        total += np.nan_to_num(hours)
        table.append(f"| {method} | {dataset} | {n} | {_span(per_run, '.0f')} ({source}) | {_span(hours, '.2f')} |")
    return ["", "## Not run here, with its cost", "",
            f"Runs of this suite's design ({chosen.seeds} seeds) without an ok record, with the mean seconds "
            "(prepare + fit) of stored runs on this machine (one thread), never less than a time limit a run of the "
            "cell passed (a range where a baseline never ran on the dataset: its runs elsewhere scaled by the HGNN "
            "row's cost and by the incidences), and the projected CPU hours: "
            f"{_span(total, '.1f')} h in all (cells nothing prices not counted). "
            "`bench run --suite " + chosen.name + "` runs them; finished runs are skipped.", "",
            "| method | dataset | runs missing | seconds per run (from) | CPU hours |", "|---|---|---|---|---|",
            *table]


def _span(values: np.ndarray, spec: str) -> str:
    """``low-high`` (one value when they agree at the shown precision), ``-`` when unknown."""
    if np.isnan(values).all():
        return "-"
    low, high = (format(v, spec) for v in values)
    return low if low == high else f"{low}-{high}"


def _runs(count: float) -> str:
    return f"{int(count)} run" + ("" if count == 1 else "s")


def _scaled(means: pd.Series, method: str, dataset: str) -> tuple[np.ndarray, str]:
    """A baseline's seconds on ``dataset`` from its runs on the dataset nearest in the HGNN row's cost, times the
    HGNN row's ratio of the two and times their ratio of incidences (low, high); the HGNN ratio alone where a
    dataset's incidences cannot be read."""
    unknown = np.array([np.nan, np.nan]), "no run on this dataset yet"
    if (SCALE, dataset) not in means.index:
        return unknown
    ratios = {other: means[(SCALE, dataset)] / means[(SCALE, other)]
              for (name, other) in means.index if name == method and (SCALE, other) in means.index}
    if not ratios:
        return unknown
    nearest = min(ratios, key=lambda other: abs(np.log(ratios[other])))
    by_hgnn = means[(method, nearest)] * ratios[nearest]
    by_incidences = means[(method, nearest)] * _incidences(dataset) / _incidences(nearest)
    if np.isnan(by_incidences):
        return np.array([by_hgnn, by_hgnn]), f"its runs on {nearest}, scaled by HGNN's ratio"
    return (np.array(sorted([by_hgnn, by_incidences])),
            f"its runs on {nearest}, scaled by HGNN's ratio and by the incidences'")


def _incidences(dataset: str) -> float:
    """nnz(H) of ``dataset`` (the datasets' statistics cache), NaN when its files cannot be read here."""
    try:
        return float(statistics(dataset, "incidences", lambda data: {"nnz": data.hypergraph.nnz},
                                data_dir())["nnz"])
    except DataError:
        return np.nan
