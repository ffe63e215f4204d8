"""Render a suite's stored records: leaderboard CSV, LaTeX table (paper beside reproduced), notes.

Pure function of the store: no run is started, and the same store gives byte-identical files.
Configurations are selected per split on validation only; the test value reported for a split
is the one of the selected configuration.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..datasets import catalog
from . import stats
from .metrics import HIGHER_IS_BETTER, METRICS
from .paper import paper_value
from .registry import method_entry
from .store import Store
from .suites import Suite

STD_CONVENTION = "population std over splits (ddof=0, as numpy.std in ZEN's official code)"
PERCENT_METRICS = {"accuracy"}
FAILURE_LABELS = {"oom": "O.O.M", "timeout": "T.O.", "failed": "failed", "data unavailable": "n/a"}


def records_frame(records: list[dict]) -> pd.DataFrame:
    """One row per record, metrics flattened to ``val_<metric>`` / ``test_<metric>``."""
    rows = []
    for r in records:
        row = {k: r.get(k) for k in ("method", "dataset", "protocol", "seed", "budget", "status", "reason",
                                     "fit_seconds", "predict_seconds", "prepare_seconds", "peak_memory_mb",
                                     "code_version", "task")}
        row["config"] = json.dumps(r.get("config", {}), sort_keys=True)
        for part in ("val", "test"):
            for metric in METRICS:
                row[f"{part}_{metric}"] = (r.get(part) or {}).get(metric, np.nan)
        rows.append(row)
    columns = ["method", "dataset", "protocol", "seed", "budget", "status", "reason", "config"]
    frame = pd.DataFrame(rows, columns=columns + [c for c in (rows[0] if rows else {}) if c not in columns])
    return frame.sort_values(["method", "dataset", "protocol", "seed", "config"], kind="stable").reset_index(drop=True)


def select_on_validation(frame: pd.DataFrame, metric: str = "accuracy") -> pd.DataFrame:
    """Per (method, dataset, protocol, seed): the ok configuration with the best validation metric.

    Ties go to the first configuration in sorted order, so the choice is deterministic.
    """
    ok = frame[frame.status == "ok"].copy()
    if ok.empty:
        return ok
    ok["_rank"] = ok[f"val_{metric}"] * (1 if HIGHER_IS_BETTER[metric] else -1)
    ok = ok.sort_values(["method", "dataset", "protocol", "seed", "_rank", "config"],
                        ascending=[True, True, True, True, False, True], kind="stable")
    return ok.groupby(["method", "dataset", "protocol", "seed"], sort=True).head(1).drop(columns="_rank")


@dataclass(frozen=True)
class Cell:
    mean: float
    std: float
    n_runs: int
    status: str


def long_frame(selected: pd.DataFrame, suite: Suite, metric: str) -> pd.DataFrame:
    """Selected runs in the statistics layer's long format (accuracy in percent, as the papers)."""
    scale = 100.0 if metric in PERCENT_METRICS else 1.0
    return pd.DataFrame({
        "method": selected.method, "dataset": selected.dataset, "setting": suite.setting, "seed": selected.seed,
        "metric": metric, "value": selected[f"test_{metric}"] * scale, "status": selected.status,
    })


def summarise(frame: pd.DataFrame, suite: Suite, metric: str) -> dict[tuple[str, str], Cell]:
    """(method, dataset) -> mean and std of the selected test metric over splits, with a status."""
    selected = select_on_validation(frame, metric) if not frame.empty else frame
    summary = stats.summarise(long_frame(selected, suite, metric), ddof=0) if not selected.empty else None
    cells = {}
    for method in suite.methods:
        for dataset in suite.datasets:
            row = None if summary is None else summary[(summary.method == method) & (summary.dataset == dataset)]
            found = row is not None and not row.empty
            n_ok = int(row.n_runs.iloc[0]) if found else 0
            cells[(method, dataset)] = Cell(float(row["mean"].iloc[0]) if found else np.nan,
                                            float(row["std"].iloc[0]) if found else np.nan,
                                            n_ok, _status(frame, method, dataset, n_ok))
    return cells


def _status(frame: pd.DataFrame, method: str, dataset: str, n_ok: int) -> str:
    """ok when every stored split has a selected ok run; otherwise why not."""
    runs = frame[(frame.method == method) & (frame.dataset == dataset)] if not frame.empty else frame
    if runs.empty:
        return "data unavailable" if catalog.unavailable_reason(dataset) else "pending"
    if n_ok == runs.seed.nunique():
        return "ok"
    failures = runs[runs.status != "ok"].status
    if n_ok == 0 and not failures.empty:
        return failures.value_counts().sort_index().idxmax()
    return "partial"


def leaderboard(cells: dict[tuple[str, str], Cell], suite: Suite, metric: str, budget: str) -> pd.DataFrame:
    rows = []
    for (method, dataset), cell in cells.items():
        paper = _paper(suite, method, dataset, metric)
        rows.append({
            "method": method, "label": method_entry(method).label, "dataset": dataset,
            "paper_dataset": catalog.spec(dataset).paper or dataset, "metric": metric, "setting": suite.setting,
            "mean": _round(cell.mean), "std": _round(cell.std), "std_convention": "ddof=0", "n_runs": cell.n_runs,
            "status": cell.status, "budget": budget,
            "paper_mean": paper[0] if paper else np.nan, "paper_std": paper[1] if paper else np.nan,
            "within_tolerance": _within(cell, paper),
        })
    return pd.DataFrame(rows)


def _paper(suite: Suite, method: str, dataset: str, metric: str):
    if suite.table is None:
        return None
    return paper_value(suite.table.csv, method_entry(method).label, catalog.spec(dataset).paper or dataset,
                       suite.table.setting, metric)


def _within(cell: Cell, paper) -> str:
    """Verdict against the paper: |ours - paper| <= max(paper std, 2 points)."""
    if paper is None or cell.status != "ok":
        return ""
    tolerance = max(paper[1] if np.isfinite(paper[1]) else 0.0, 2.0)
    return "yes" if abs(cell.mean - paper[0]) <= tolerance else "no"


def _round(value: float) -> float:
    return round(value, 4) if np.isfinite(value) else np.nan


# ----------------------------------------------------------------------------- LaTeX
def latex_table(board: pd.DataFrame, suite: Suite, caption_extra: str) -> str:
    """Booktabs table: methods as rows (a "paper" and an "ours" row each), datasets as columns.

    On "ours" rows the best value per dataset is bold and the second underlined (as the papers);
    with several methods an Avg. Rank column follows (ties share the better rank, as ZEN Table 3).
    """
    datasets = list(dict.fromkeys(board.dataset))
    methods = list(dict.fromkeys(board.method))
    higher = HIGHER_IS_BETTER[board.metric.iloc[0]]
    marks = {d: stats.best_and_second(board[board.dataset == d].set_index("method")["mean"], higher, decimals=1)
             for d in datasets}
    ranked = len(methods) > 1
    ours_rank = _average_rank(board, ranked)
    headers = [latex_escape(catalog.spec(d).paper or d) for d in datasets] + (["Avg. Rank"] if ranked else [])
    lines = [
        r"\begin{table}[t]", r"\centering", r"\small",
        rf"\caption{{{latex_escape(suite.table.title if suite.table else suite.description)}. {caption_extra}}}",
        rf"\label{{tab:{suite.name}}}",
        r"\begin{tabular}{ll" + "c" * len(headers) + "}", r"\toprule",
        "Method & Source & " + " & ".join(headers) + r" \\", r"\midrule",
    ]
    for method in methods:
        rows = board[board.method == method].set_index("dataset")
        label = latex_escape(rows.label.iloc[0])
        if suite.table is not None:
            paper_cells = [_fmt(rows.at[d, "paper_mean"], rows.at[d, "paper_std"]) for d in datasets]
            if ranked:
                paper_cells.append(_fmt(_paper_rank(suite, method), np.nan))
            lines.append(f"{label} & paper & " + " & ".join(paper_cells) + r" \\")
            label = ""
        ours = [_mark(_fmt(rows.at[d, "mean"], rows.at[d, "std"]), marks[d].get(method, ""))
                if rows.at[d, "status"] in ("ok", "partial") else FAILURE_LABELS.get(rows.at[d, "status"], "--")
                for d in datasets]
        if ranked:
            ours.append(_fmt(ours_rank.get(method, np.nan), np.nan))
        lines.append(f"{label} & ours & " + " & ".join(ours) + r" \\")
        if suite.table is not None:
            lines.append(r"\addlinespace")
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}", ""]
    return "\n".join(lines)


def _average_rank(board: pd.DataFrame, ranked: bool) -> dict[str, float]:
    """Our Avg. Rank over the datasets every method ran (min-rank ties, as ZEN Tables 3 and 6)."""
    complete = board.groupby("dataset").filter(lambda rows: rows["mean"].notna().all())
    if not ranked or complete.empty:
        return {}
    frame = complete.rename(columns={"mean": "value"}).assign(seed=0)
    return stats.average_ranks(frame, complete.metric.iloc[0], ties="min", decimals=1).to_dict()


def _paper_rank(suite: Suite, method: str) -> float:
    value = paper_value(suite.table.csv, method_entry(method).label, "all (10 datasets)", suite.table.setting,
                        "Avg. Rank")
    return value[0] if value else np.nan


def _mark(cell: str, mark: str) -> str:
    return {"best": rf"\textbf{{{cell}}}", "second": rf"\underline{{{cell}}}"}.get(mark, cell)


def _fmt(mean: float, std: float) -> str:
    if not np.isfinite(mean):
        return "--"
    return f"${mean:.1f}_{{\\pm {std:.1f}}}$" if np.isfinite(std) else f"${mean:.1f}$"


def latex_escape(text: str) -> str:
    return "".join({"_": r"\_", "&": r"\&", "%": r"\%", "#": r"\#"}.get(ch, ch) for ch in str(text))


# ----------------------------------------------------------------------------- notes and entry point
def notes(board: pd.DataFrame, frame: pd.DataFrame, suite: Suite) -> str:
    lines = [f"# {suite.name}: notes", "", suite.description, "",
             f"Protocol: {suite.protocol}, {suite.seeds} splits (split i uses seed i). "
             f"Reported: mean and {STD_CONVENTION} of the test metric of the configuration selected on "
             "validation per split.", ""]
    if suite.table is not None:
        lines += ["Verdict rule: reproduced when |ours - paper| <= max(paper std, 2 points).", ""]
    lines += ["| method | dataset | ours | paper | within tolerance | status | runs | fit+predict s/run |",
              "|---|---|---|---|---|---|---|---|"]
    for row in board.itertuples():
        runs = frame[(frame.method == row.method) & (frame.dataset == row.dataset) & (frame.status == "ok")]
        seconds = (runs.fit_seconds + runs.predict_seconds).mean() if not runs.empty else np.nan
        ours = f"{row.mean:.1f} ± {row.std:.1f}" if np.isfinite(row.mean) else "-"
        paper = f"{row.paper_mean:.1f} ± {row.paper_std:.1f}" if np.isfinite(row.paper_mean) else "-"
        lines.append(f"| {row.label} | {row.paper_dataset} | {ours} | {paper} | {row.within_tolerance or '-'} | "
                     f"{row.status} | {row.n_runs} | {seconds:.4f} |")
    unavailable = {d: catalog.unavailable_reason(d) for d in suite.datasets if catalog.unavailable_reason(d)}
    if unavailable:
        lines += ["", "## Datasets not run", ""]
        lines += [f"- {d}: {reason}" for d, reason in unavailable.items()]
    failed = frame[frame.status != "ok"] if not frame.empty else frame
    if not failed.empty:
        lines += ["", "## Failed runs", ""]
        lines += [f"- {r.method} on {r.dataset}, seed {r.seed}: {r.status} ({r.reason})" for r in failed.itertuples()]
    lines += list(suite.notes)
    return "\n".join(lines) + "\n"


def render(store: Store, suite: Suite, out: Path) -> dict[str, Path]:
    """Write ``<out>/<suite>/{leaderboard.csv, table.tex, notes.md}`` from the store."""
    frame = records_frame(store.records(suite.name))
    metric = suite.table.metric if suite.table else "accuracy"
    budgets = sorted(set(frame.budget)) if not frame.empty else ["-"]
    versions = sorted(set(frame.code_version)) if not frame.empty else ["-"]
    cells = summarise(frame, suite, metric)
    board = leaderboard(cells, suite, metric, ",".join(budgets))
    folder = out / suite.name
    folder.mkdir(parents=True, exist_ok=True)
    caption = (f"Reproduced by hgbench suite \\texttt{{{latex_escape(suite.name)}}}, budget {', '.join(budgets)}, "
               f"{suite.seeds} seeds, code {latex_escape(', '.join(versions))}; std over splits with ddof=0; "
               "our Avg. Rank is over the datasets every method ran.")
    paths = {"leaderboard": folder / "leaderboard.csv", "latex": folder / "table.tex", "notes": folder / "notes.md"}
    board.to_csv(paths["leaderboard"], index=False, float_format="%.4f", lineterminator="\n")
    paths["latex"].write_text(latex_table(board, suite, caption))
    paths["notes"].write_text(notes(board, frame, suite))
    return paths
