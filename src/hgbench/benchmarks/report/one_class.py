"""Selected runs that predicted what the constant row predicts: Table 2's degenerate runs, counted per cell.

The constant row (``tp-constant``, :mod:`hgbench.baselines.constant`) gives every node the training labels'
median (or most frequent) class. A selected run whose test MAE, RMSE and accuracy all equal that row's on
the same split scored as a one-class predictor: on the selected epoch it put (practically) every test node
in the constant's class. The check reads records only (no predictions are stored).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...datasets import catalog
from ..run.registry import method_entry

CONSTANT = "tp-constant"
METRICS = ("test_mae", "test_rmse", "test_accuracy")
TOLERANCE = 1e-9  # metrics are stored as floats of counts over the same test nodes: equal, or far apart


def one_class_counts(selected: pd.DataFrame) -> pd.DataFrame:
    """Per (method, dataset) with a constant run on some of its splits: ``runs`` (selected ok runs on those
    splits) and ``one_class`` (those equal to the constant row on all three metrics)."""
    ok = selected[selected.status == "ok"]
    if CONSTANT not in set(ok.method) or not set(METRICS) <= set(ok.columns):
        return pd.DataFrame(columns=["method", "dataset", "runs", "one_class"])
    floor = ok.loc[ok.method == CONSTANT, ["dataset", "seed", *METRICS]]
    trained = ok[ok.method != CONSTANT].merge(floor, on=["dataset", "seed"], suffixes=("", "_constant"))
    same = np.logical_and.reduce([np.isclose(trained[m], trained[f"{m}_constant"], rtol=0, atol=TOLERANCE)
                                  for m in METRICS])
    counts = trained.assign(one_class=same).groupby(["method", "dataset"], sort=False).one_class.agg(["size", "sum"])
    return counts.rename(columns={"size": "runs", "sum": "one_class"}).astype(int).reset_index()


def section(selected: pd.DataFrame, methods: tuple[str, ...], datasets: tuple[str, ...]) -> list[str]:
    """Markdown: the cells (in table order) with one-class runs; nothing without a constant row's runs."""
    counts = one_class_counts(selected)
    if counts.empty:
        return []
    counts = counts[counts.one_class > 0].set_index(["method", "dataset"])
    lines = ["", "## Runs that predict one class", "",
             "Selected runs whose test MAE, RMSE and accuracy all equal those of the Constant row (the training "
             "labels' median class, most frequent on DBLP, for every node) on the same split: on their selected "
             "epoch they scored as a one-class predictor. Their cell's mean is partly the constant's. The baselines "
             "stop on validation MAE, which stays at the constant's while a model predicts one class; suite "
             "triprune-probes runs the HGNN row with TriPrune's rule (stop on validation cross-entropy) to test "
             "whether that rule is why (docs/triprune_baselines.md).", ""]
    if counts.empty:
        return lines + ["None."]
    lines += ["| method | dataset | one-class runs / selected runs |", "|---|---|---|"]
    for method in methods:
        for dataset in datasets:
            if (method, dataset) in counts.index:
                row = counts.loc[(method, dataset)]
                lines.append(f"| {method_entry(method).label} | {catalog.spec(dataset).paper or dataset} | "
                             f"{row.one_class} / {row.runs} |")
    return lines
