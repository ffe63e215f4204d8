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


@lru_cache(maxsize=None)
def _cells(csv_name: str) -> dict[tuple[str, str, str, str], tuple[float, float]]:
    """(method, dataset, setting, metric) -> (mean, std) of the table's first row for it (NaN std when blank)."""
    cells: dict[tuple[str, str, str, str], tuple[float, float]] = {}
    for row in paper_table(csv_name).itertuples(index=False):
        key = (row.method, row.dataset, row.setting, row.metric)
        if key not in cells:
            cells[key] = (float(row.mean), float(row.std) if pd.notna(row.std) else float("nan"))
    return cells


def paper_value(csv_name: str, method: str, dataset: str, setting: str, metric: str) -> tuple[float, float] | None:
    """(mean, std) printed by the paper, or ``None`` if the cell does not exist (a dict lookup: a report asks
    for hundreds of cells)."""
    return _cells(csv_name).get((method, dataset, setting, metric))


@lru_cache(maxsize=None)
def _cells_any_setting(csv_name: str) -> dict[tuple[str, str, str], tuple[float, float]]:
    """(method, dataset, metric) -> (mean, std) of the table's first row for it, whatever its setting (``_cells``
    keeps the table's order, so its first key for a (method, dataset, metric) is that row's)."""
    cells: dict[tuple[str, str, str], tuple[float, float]] = {}
    for (method, dataset, _, metric), value in _cells(csv_name).items():
        cells.setdefault((method, dataset, metric), value)
    return cells


def paper_value_any_setting(csv_name: str, method: str, dataset: str, metric: str) -> tuple[float, float] | None:
    """:func:`paper_value` of the first row for (method, dataset, metric) in any setting (Tables 4 and 6 name in
    the setting what a row replaces or its block, not a condition of the cell)."""
    return _cells_any_setting(csv_name).get((method, dataset, metric))
