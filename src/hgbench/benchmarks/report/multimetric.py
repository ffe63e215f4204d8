"""Tables with several metrics per dataset (TriPrune Table 2): MAE, RMSE, ACC and efficiency columns.

Selection happens once per split: the configuration with the best validation metric of the
dataset's task (MAE of the arg-max class for ordinal datasets, accuracy for DBLP's unordered
areas; BASELINES.md §0.4 selects on validation MAE, meaningless on DBLP), and every column of the
table reads that one run. Each :class:`Column` says how it prints: the paper's name for it, its
scale and decimals, its direction. Averages over datasets are the mean of the per-dataset means
with the pooled std (root mean of the per-dataset variances), as the paper's "Avg" rows say.
Efficiency columns (inference seconds and peak MiB of one full forward of the trained model,
training seconds, parameters) come from the same selected records, and timing columns also as a
ratio to the suite's ``efficiency_reference`` on the same dataset (BASELINES.md §0.6: the paper's
absolute GPU seconds and GB cannot be matched, ratios can be compared).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...datasets import catalog
from . import one_class, runtime, stats
from .leaderboards import STD_DDOF, Cell, cells, select_on_validation
from .paper import paper_value
from .tables import latex_escape
from ..run.registry import method_entry

AVERAGE = "average"
AVERAGE_PAPER = "Average (5 datasets)"


@dataclass(frozen=True)
class Column:
    """One printed quantity: ``source`` is a column of the selected records' frame."""

    metric: str  # the name in leaderboard.csv
    source: str
    label: str  # LaTeX header
    paper: str | None  # the paper CSV's metric name (per dataset), None when the paper has no such column
    decimals: int = 3
    higher_is_better: bool = False
    scale: float = 1.0
    average_paper: str | None = None  # the paper CSV's metric name on its "Average" row
    ratio: bool = False  # also printed as a ratio to the suite's efficiency reference


SCORES = (
    Column("mae", "test_mae", "MAE", "MAE", average_paper="Avg MAE"),
    Column("rmse", "test_rmse", "RMSE", "RMSE", average_paper="Avg RMSE"),
    Column("accuracy", "test_accuracy", "ACC", "ACC", higher_is_better=True, average_paper="Avg ACC"),
)
EFFICIENCY = (
    Column("inference_seconds", "inference_seconds", "Inference (ms)", None, decimals=2, scale=1e3,
           average_paper=None, ratio=True),
    Column("inference_peak_mb", "inference_peak_mb", "Memory (MiB)", None, decimals=1, ratio=True),
    Column("train_seconds", "train_seconds", "Training (s)", None, decimals=1, ratio=True),
    Column("num_parameters", "num_parameters", "Parameters", None, decimals=0),
)
#: On the board (and in the notes) but not in the printed table: the selected run's validation MAE, which the
#: paper's validation claims read (Sections 4.2 and 4.6, Appendix A.5); biased low where a grid was searched on it.
VALIDATION = (Column("val_mae", "val_mae", "Validation MAE", None, average_paper=None),)


def selection_metric(task: str) -> str:
    return "mae" if task == "ordinal" else "accuracy"


def selected_runs(frame: pd.DataFrame) -> pd.DataFrame:
    """Per split, the configuration selected on the validation metric of its dataset's task."""
    parts = [select_on_validation(rows, selection_metric(task)) for task, rows in frame.groupby("task", sort=True)]
    selected = pd.concat(parts, ignore_index=True) if parts else frame.iloc[:0]
    upstream = selected.upstream_seconds if "upstream_seconds" in selected else 0.0  # a teacher's training
    return selected.assign(train_seconds=selected.fit_seconds + selected.prepare_seconds.fillna(0.0) + upstream)


def board(data) -> pd.DataFrame:
    """The long leaderboard: one row per (method, dataset or ``average``, metric), ours beside the paper.

    Each column's cells come from :func:`leaderboards.cells` (mean and std over splits, status, budget),
    the table builder every layout shares.
    """
    chosen = data.suite
    selected = selected_runs(data.frame)
    reference = chosen.efficiency_reference
    rows = []
    for column in SCORES + EFFICIENCY + VALIDATION:
        values = selected[column.source] if column.source in selected else pd.Series(np.nan, index=selected.index)
        long = pd.DataFrame({"method": selected.method, "dataset": selected.dataset, "setting": chosen.setting,
                             "seed": selected.seed, "metric": column.metric,
                             "value": pd.to_numeric(values, errors="coerce") * column.scale, "status": selected.status})
        found = cells(data.frame, long, chosen)
        for method in chosen.methods:
            per_dataset = []
            for dataset in chosen.datasets:
                cell = found[(method, dataset)]
                ratio = cell.mean / found[(reference, dataset)].mean if column.ratio and reference else np.nan
                rows.append(_row(chosen, method, dataset, column, cell, ratio))
                per_dataset.append(rows[-1])
            rows.append(_average(chosen, method, column, per_dataset))
    return pd.DataFrame(rows)


def _row(suite, method, dataset, column, cell: Cell, ratio: float) -> dict:
    paper_dataset = catalog.spec(dataset).paper or dataset
    paper = _paper(suite, method, paper_dataset, column.paper)
    return {"method": method, "label": method_entry(method).label, "dataset": dataset, "paper_dataset": paper_dataset,
            "metric": column.metric, "setting": suite.setting, "mean": cell.mean, "std": cell.std,
            "std_convention": f"ddof={STD_DDOF}", "n_runs": cell.n_runs, "status": cell.status, "budget": cell.budget,
            "paper_mean": paper[0] if paper else np.nan, "paper_std": paper[1] if paper else np.nan,
            "ratio_to_reference": ratio, "within_2_std": _within(cell.mean, paper)}


def _average(suite, method, column, per_dataset: list[dict]) -> dict:
    """Mean over the datasets of the per-dataset means, pooled std; only when every dataset has a value."""
    means = np.array([row["mean"] for row in per_dataset])
    stds = np.array([row["std"] for row in per_dataset])
    complete = bool(np.isfinite(means).all())
    mean = float(means.mean()) if complete else np.nan
    std = float(np.sqrt(np.mean(stds ** 2))) if complete else np.nan
    ratios = np.array([row["ratio_to_reference"] for row in per_dataset])
    paper = _paper(suite, method, AVERAGE_PAPER, column.average_paper)
    status = "ok" if complete else ("partial" if np.isfinite(means).any() else per_dataset[0]["status"])
    budgets = sorted({b for row in per_dataset for b in row["budget"].split(",") if b != "-"})
    return {**per_dataset[0], "dataset": AVERAGE, "paper_dataset": AVERAGE_PAPER, "mean": mean, "std": std,
            "budget": ",".join(budgets) or "-",
            "n_runs": min(row["n_runs"] for row in per_dataset), "status": status,
            "ratio_to_reference": float(ratios.mean()) if np.isfinite(ratios).all() else np.nan,
            "paper_mean": paper[0] if paper else np.nan, "paper_std": paper[1] if paper else np.nan,
            "within_2_std": _within(mean, paper)}


def _paper(suite, method: str, dataset: str, metric: str | None):
    if suite.table is None or metric is None:
        return None
    return paper_value(suite.table.csv, method_entry(method).paper_row, dataset, suite.table.setting, metric)


def _within(mean: float, paper) -> str:
    if paper is None or not np.isfinite(mean) or not np.isfinite(paper[1]):
        return ""
    return "yes" if abs(mean - paper[0]) <= 2 * paper[1] else "no"


# ----------------------------------------------------------------------------- LaTeX
def latex(board: pd.DataFrame, data) -> str:
    """Methods as rows (paper and ours), (dataset, metric) as columns; best bold, second underlined, per
    column in the column's direction, on our rows."""
    chosen = data.suite
    datasets = list(chosen.datasets) + [AVERAGE]
    header = pd.MultiIndex.from_tuples(
        [("", "Method"), ("", "Source")]
        + [(_dataset_label(d), c.label) for d in datasets for c in SCORES]
        + [("Efficiency", c.label) for c in EFFICIENCY])
    by_key = board.set_index(["method", "dataset", "metric"])
    emphasis = {(d, c.metric): stats.best_and_second(_comparable(by_key.xs((d, c.metric), level=("dataset", "metric")))
                                                     .round(c.decimals), c.higher_is_better)
                for d in datasets for c in SCORES}
    lines = []
    for method in chosen.methods:
        label = latex_escape(method_entry(method).label)
        paper_row = [_cell(by_key.loc[(method, d, c.metric)], c, "paper") for d in datasets for c in SCORES]
        if any(cell != "--" for cell in paper_row):
            lines.append([label, "paper", *paper_row, *(["--"] * len(EFFICIENCY))])
            label = ""
        ours = [_cell(by_key.loc[(method, d, c.metric)], c, "ours", emphasis[(d, c.metric)].get(method, ""))
                for d in datasets for c in SCORES]
        ours += [_efficiency(by_key.loc[(method, AVERAGE, c.metric)], c) for c in EFFICIENCY]
        lines.append([label, "ours", *ours])
    for row in chosen.pending_rows:  # paper rows whose methods are not registered yet: the paper's line, pending
        paper = [_paper_text(chosen, row, d, c) for d in datasets for c in SCORES]
        lines += [[latex_escape(row), "paper", *paper, *(["--"] * len(EFFICIENCY))],
                  ["", "ours", *(["pending"] * (len(paper) + len(EFFICIENCY)))]]
    table = pd.DataFrame(lines, columns=header)
    caption = _caption(board, data)
    return table.style.hide(axis="index").to_latex(
        hrules=True, multicol_align="c", caption=caption, label=f"tab:{chosen.name}", position="t",
        column_format="ll" + "c" * (len(header) - 2), environment="table*")


def _comparable(cells: pd.DataFrame) -> pd.Series:
    """The means that may be bold or underlined: not those of cells selected from a cut grid."""
    return cells["mean"].where(cells.status != "partial-grid")


def _dataset_label(dataset: str) -> str:
    return "Avg." if dataset == AVERAGE else catalog.spec(dataset).paper or dataset


def _cell(row: pd.Series, column: Column, source: str, emphasis: str = "") -> str:
    mean, std = (row.paper_mean, row.paper_std) if source == "paper" else (row["mean"], row["std"])
    if source == "ours" and row.status not in ("ok", "partial", "partial-grid"):
        return {"oom": "O.O.M", "timeout": "T.O.", "data unavailable": "n/a"}.get(row.status, "--")
    if not np.isfinite(mean):
        return "--"
    body = f"{mean:.{column.decimals}f}" + (f"_{{\\pm {std:.{column.decimals}f}}}" if np.isfinite(std) else "")
    body = {"best": rf"\mathbf{{{body}}}", "second": rf"\underline{{{body}}}"}.get(emphasis, body)
    mark = "^{\\ddagger}" if source == "ours" and row.status == "partial-grid" else ""
    return f"${body}{mark}$"


def _paper_text(suite, paper_row: str, dataset: str, column: Column) -> str:
    """The paper's cell for a row that is not registered (looked up by its paper name)."""
    paper_dataset = AVERAGE_PAPER if dataset == AVERAGE else catalog.spec(dataset).paper or dataset
    metric = column.average_paper if dataset == AVERAGE else column.paper
    value = paper_value(suite.table.csv, paper_row, paper_dataset, suite.table.setting, metric) if suite.table else None
    if value is None:
        return "--"
    std = f"_{{\\pm {value[1]:.{column.decimals}f}}}" if np.isfinite(value[1]) else ""
    return f"${value[0]:.{column.decimals}f}{std}$"


def _efficiency(row: pd.Series, column: Column) -> str:
    """Mean over datasets, and the mean ratio to the reference row when the column has one."""
    if not np.isfinite(row["mean"]):
        return "--"
    text = f"{row['mean']:,.{column.decimals}f}".replace(",", "{,}")
    return text + (f" ({row.ratio_to_reference:.2f}$\\times$)" if np.isfinite(row.ratio_to_reference) else "")


def _caption(board: pd.DataFrame, data) -> str:
    chosen = data.suite
    reference = chosen.efficiency_reference
    text = (f"{chosen.table.title}. {data.provenance()} Configuration selected per split on validation MAE "
            "(accuracy on DBLP); lower MAE/RMSE and higher ACC are better; bold: best of our rows per column, "
            "underline: second; $^{\\ddagger}$: selected from part of its grid (other configurations failed), "
            "never bold. Avg.: mean over the five datasets, pooled std. Efficiency: mean over the datasets "
            "of one full forward of the trained model (median of 20 after 3 warm-ups), its peak memory above "
            f"the memory held before it, training wall time and parameters, measured on {runtime.machine(data.frame)}")
    if reference:
        text += (f"; in brackets the mean per-dataset ratio to {method_entry(reference).label}'s mean "
                 "(separate runs on the same machine)")
    return text.replace("_", r"\_") + "."


# ----------------------------------------------------------------------------- notes
def notes(board: pd.DataFrame, data, not_run: list[str] = ()) -> str:
    """The board as a Markdown table, what has not run (``not_run``: the report's sections on unavailable
    datasets, left-out splits and failed runs) and the suite's prose."""
    chosen = data.suite
    lines = [f"# {chosen.name}: notes", "", chosen.description, "",
             f"Protocol: split {chosen.protocol} (stratified 60/20/20; the paper states no ratios), seeds "
             f"0-{chosen.seeds - 1}. Per split, the configuration with the best validation MAE (accuracy on DBLP) "
             "is selected once and every column reads that run. Std over splits with ddof=0; 'within 2 std' "
             "compares ours with the paper's mean +- 2 paper std.", "",
             "| method | dataset | metric | ours | paper | within 2 std | ratio to reference | runs | status |",
             "|---|---|---|---|---|---|---|---|---|"]
    columns = {c.metric: c for c in SCORES + EFFICIENCY + VALIDATION}
    for row in board.itertuples():
        column = columns[row.metric]
        ours = f"{row.mean:.{column.decimals}f} ± {row.std:.{column.decimals}f}" if np.isfinite(row.mean) else "-"
        paper = f"{row.paper_mean:.3f} ± {row.paper_std:.3f}" if np.isfinite(row.paper_mean) else "-"
        ratio = f"{row.ratio_to_reference:.2f}" if np.isfinite(row.ratio_to_reference) else "-"
        lines.append(f"| {row.label} | {row.paper_dataset} | {row.metric} | {ours} | {paper} | "
                     f"{row.within_2_std or '-'} | {ratio} | {row.n_runs} | {row.status} |")
    if chosen.pending_rows:
        lines += ["", f"Paper rows not run yet (their methods are not registered): {', '.join(chosen.pending_rows)}."]
    lines += ["", "Inference time is in milliseconds here (the paper prints seconds and GB on a GPU; "
              "BASELINES.md §0.6: compare ratios, not absolute values)."]
    lines += one_class.section(selected_runs(data.frame), chosen.methods, chosen.datasets)
    return "\n".join(lines + list(not_run) + list(chosen.notes)) + "\n"
