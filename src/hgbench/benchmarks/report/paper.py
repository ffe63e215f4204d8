"""The papers' published numbers, carried as data (src/hgbench/paper_tables, from shared/paper_tables).

These figures are only ever printed in columns labelled "paper"; reproduced numbers come from runs.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import pandas as pd


@lru_cache(maxsize=None)
def paper_table(csv_name: str) -> pd.DataFrame:
    """One paper table as a tidy frame (paper, table, method, dataset, metric, setting, mean, std, ...)."""
    with resources.files("hgbench").joinpath("paper_tables", csv_name).open() as handle:
        table = pd.read_csv(handle, dtype={"method": str, "setting": str, "note": str, "mark": str})
    return table.fillna({"setting": "", "method": ""})  # a table without settings (TriPrune's) or methods: empty


def paper_value(csv_name: str, method: str, dataset: str, setting: str, metric: str) -> tuple[float, float] | None:
    """(mean, std) printed by the paper, or ``None`` if the cell does not exist."""
    table = paper_table(csv_name)
    rows = table[(table.method == method) & (table.dataset == dataset) & (table.setting == setting)
                 & (table.metric == metric)]
    if rows.empty:
        return None
    row = rows.iloc[0]
    return float(row["mean"]), float(row["std"]) if pd.notna(row["std"]) else float("nan")
