"""LaTeX tables from a long leaderboard: shared cell formatting and the paper-beside-ours score table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...datasets import catalog
from . import significance
from . import stats
from .leaderboards import PARTIAL_GRID, average_ranks, other_splits, ranked, usual_splits
from ..run.metrics import HIGHER_IS_BETTER
from .paper import paper_value
from ..run.registry import method_entry
from ..suites import Suite

FAILURE_LABELS = {"oom": "O.O.M", "timeout": "T.O.", "failed": "failed", "data unavailable": "n/a",
                  "untimed": "untimed"}
VALUED = ("ok", "partial", PARTIAL_GRID)  # statuses whose cells show a mean
CUT_GRID_MARK = r"\ddagger"


LATEX_CHARACTERS = {"_": r"\_", "&": r"\&", "%": r"\%", "#": r"\#",
                    "†": r"\textsuperscript{\dag}", "‡": r"\textsuperscript{\ddag}"}  # fidelity marks of labels


def latex_escape(text: str) -> str:
    return "".join(LATEX_CHARACTERS.get(ch, ch) for ch in str(text))


def cell(mean: float, std: float = np.nan, emphasis: str = "", mark: str = "") -> str:
    """``$48.3_{\\pm 5.8}$``; bold (``best``) / underlined (``second``), with a superscript mark."""
    if not np.isfinite(mean):
        return "--"
    body = f"{mean:.1f}_{{\\pm {std:.1f}}}" if np.isfinite(std) else f"{mean:.1f}"
    body = {"best": rf"\mathbf{{{body}}}", "second": rf"\underline{{{body}}}"}.get(emphasis, body)
    return f"${body}^{{{mark}}}$" if mark else f"${body}$"


def cell_mark(row) -> str:
    """The stars of a cell's corrected p-value, a dagger where it has a value but no test; then a double
    dagger where the value was selected from a cut grid (status ``partial-grid``) and ``(n)`` where it is a
    mean over n splits, another number than its column's usual one (``other_splits``)."""
    marks = [row.mark if isinstance(row.mark, str) and row.mark else r"\dagger" if row.untested else ""]
    marks.append(CUT_GRID_MARK if row.status == PARTIAL_GRID else "")
    marks.append(f"({row.n_runs})" if getattr(row, "other_splits", False) else "")
    return r"\,".join(m for m in marks if m)


def splits_caption(board: pd.DataFrame) -> str:
    """The caption sentence on cells averaged over another number of splits than their column (empty without)."""
    marked = board[other_splits(board) & board.status.isin(VALUED)]
    if marked.empty:
        return ""
    usual = usual_splits(board)[marked.index]
    fewer = int((marked.n_runs < usual).sum())
    return (rf" $^{{(n)}}$ a mean over n splits, not the commonest number of splits in its column "
            f"({len(marked)} cell(s): {fewer} over fewer splits, {len(marked) - fewer} over more); bold, underline "
            "and Avg. Rank compare means over different splits there.")


def cut_grid_caption(board: pd.DataFrame) -> str:
    """The caption sentence on ``partial-grid`` cells (empty without any)."""
    n_cut = int((board.status == PARTIAL_GRID).sum())
    if not n_cut:
        return ""
    return (rf" $^{{{CUT_GRID_MARK}}}$ selected from part of its grid ({n_cut} cell(s)): on some split the other "
            "configurations timed out, ran out of memory or failed (notes.md lists them); never bold or underlined, "
            "and its dataset is left out of Avg. Rank.")


def table(headers: list[str], rows: list[list[str]], caption: str, label: str, spacing: list[bool]) -> str:
    """A booktabs table: ``rows`` of cells under ``headers``, ``\\addlinespace`` after rows flagged in ``spacing``."""
    lines = [r"\begin{table}[t]", r"\centering", r"\small", rf"\caption{{{caption}}}", rf"\label{{tab:{label}}}",
             r"\begin{tabular}{" + "l" * 2 + "c" * (len(headers) - 2) + "}", r"\toprule",
             " & ".join(headers) + r" \\", r"\midrule"]
    for cells, space in zip(rows, spacing):
        lines.append(" & ".join(cells) + r" \\")
        if space:
            lines.append(r"\addlinespace")
    return "\n".join(lines + [r"\bottomrule", r"\end{tabular}", r"\end{table}", ""])


def scores_table(board: pd.DataFrame, suite: Suite, provenance: str) -> str:
    """Methods as rows (a "paper" and an "ours" row each), datasets as columns.

    On "ours" rows the best value per dataset is bold and the second underlined (as the papers),
    followed by the significance mark against the suite's reference; with several methods an
    Avg. Rank column follows (ties share the better rank, as ZEN Table 3).
    """
    board = board.assign(untested=significance.untested(board), other_splits=other_splits(board))
    datasets = list(dict.fromkeys(board.dataset))
    methods = list(dict.fromkeys(board.method))
    higher = HIGHER_IS_BETTER[board.metric.iloc[0]]
    compared = board[ranked(board)]
    emphasis = {d: stats.best_and_second(compared[compared.dataset == d].set_index("method")["mean"], higher,
                                         decimals=1) for d in datasets}
    several = len(methods) > 1
    ranks = average_ranks(board)
    headers = ["Method", "Source", *(latex_escape(catalog.spec(d).paper or d) for d in datasets)]
    headers += ["Avg. Rank"] if several else []
    rows, spacing = [], []
    for method in methods:
        runs = board[board.method == method].set_index("dataset")
        label = latex_escape(runs.label.iloc[0])
        if suite.table is not None:
            paper = [cell(runs.at[d, "paper_mean"], runs.at[d, "paper_std"]) for d in datasets]
            rows.append([label, "paper", *paper, *([cell(_paper_rank(suite, method))] if several else [])])
            spacing.append(False)
            label = ""
        ours = [_ours(runs.loc[d], emphasis[d].get(method, "")) for d in datasets]
        rows.append([label, "ours", *ours, *([cell(ranks.get(method, np.nan))] if several else [])])
        spacing.append(suite.table is not None)
    return table(headers, rows, _caption(board, suite, provenance), suite.name, spacing)


def _ours(row: pd.Series, emphasis: str) -> str:
    if row.status not in VALUED:
        return FAILURE_LABELS.get(row.status, "--")
    return cell(row["mean"], row["std"], emphasis, cell_mark(row))


def _caption(board: pd.DataFrame, suite: Suite, provenance: str) -> str:
    title = latex_escape(suite.table.title if suite.table else suite.description)
    text = (f"{title}. {provenance} Bold: best of our rows per dataset, underline: second; "
            "our Avg. Rank is over the datasets every method ran." + cut_grid_caption(board) + splits_caption(board))
    if suite.reference is not None:
        text += " " + significance.caption(board, latex_escape(method_entry(suite.reference).label), suite.correction)
    return text


def _paper_rank(suite: Suite, method: str) -> float:
    value = paper_value(suite.table.csv, method_entry(method).label, "all (10 datasets)", suite.table.setting,
                        "Avg. Rank")
    return value[0] if value else np.nan
