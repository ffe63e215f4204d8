"""TriPrune-HGNN Table 3 (kind ``triprune-significance``): is TriPrune-HGNN's MAE lower than each baseline's?

The suite renders Table 2's runs (``records_from="triprune-main"``). Per dataset, every baseline is tested
against TriPrune-HGNN on the splits both have (two-sided paired t-test on the selected runs' test MAE,
:func:`.ablation.paired_tests`); the tests actually made form one family, corrected with Bonferroni (the
paper's choice) and Holm beside it. The paper says "13 baselines x 5 datasets = 65 tests" but tabulates 14
baselines (70 cells): the family here is the tests made, and the caption gives its size. The paper shades
cells by p < 0.001 / 0.01 / 0.05 without saying whether before or after the correction; our marks are after
it, and notes.md lists raw p beside the corrected ones. Rows of baselines not registered yet print the
paper's value and ``pending``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...datasets import catalog
from . import ablation
from .ablation import _cell, _ours, _styler, paper_cell, row_label, tests_caption, tests_section, runs_section
from .tables import latex_escape

METRIC = "mae"


def board(data) -> pd.DataFrame:
    """Table 3's long board: the MAE rows of Table 2's methods with their tests, then the pending paper rows."""
    chosen = data.suite
    found = ablation.ablation_board(data)
    found = found[found.metric == METRIC].reset_index(drop=True)
    pending = [{"method": "", "label": label, "dataset": dataset, "paper_dataset": _paper(dataset), "metric": METRIC,
                "status": "pending", "n_runs": 0, "mean": np.nan, "std": np.nan, "paper_row": label, "budget": "-",
                **_paper_values(chosen, label, dataset)}
               for label in chosen.pending_rows for dataset in chosen.datasets]
    return pd.concat([found, pd.DataFrame(pending)], ignore_index=True) if pending else found


def _paper(dataset: str) -> str:
    return catalog.spec(dataset).paper or dataset


def _paper_values(chosen, label: str, dataset: str) -> dict[str, float]:
    value = paper_cell(chosen.table.csv, label, _paper(dataset), "MAE")
    return {"paper_mean": value[0] if value else np.nan, "paper_std": value[1] if value else np.nan}


def latex(board: pd.DataFrame, data) -> str:
    """Rows: per method a paper line and our line (MAE mean_{±std} with the corrected marks); columns: datasets."""
    chosen = data.suite
    header = pd.MultiIndex.from_tuples([("", "Method"), ("", "Source")] + [("MAE", _paper(d)) for d in chosen.datasets])
    rows = []
    by_label = {label: group.set_index("dataset") for label, group in board.groupby("label", sort=False)}
    for label, cells in by_label.items():
        method = cells.method.iloc[0]
        paper = [_cell(cells.loc[d].paper_mean, cells.loc[d].paper_std, 3) for d in chosen.datasets]
        ours = ([_ours(cells.loc[d], method, 3) for d in chosen.datasets] if method else ["pending"] * len(paper))
        rows += [[latex_escape(label), "paper", *paper], ["", "ours", *ours]]
    return _styler(rows, header, _caption(board, data), chosen.name, "table*")


def _caption(board: pd.DataFrame, data) -> str:
    chosen = data.suite
    reference = latex_escape(row_label(chosen, chosen.reference))
    tested = int(np.isfinite(board.p.astype(float)).sum()) if "p" in board else 0
    text = (f"{latex_escape(chosen.table.title)}. {data.provenance()} Test MAE, mean$_{{\\pm\\text{{std}}}}$ over "
            f"splits, lower is better. The paper corrects for 65 tests (13 baselines x 5 datasets) but tabulates 14 "
            f"baselines; we correct over the {tested} tests made.")
    pending = ", ".join(chosen.pending_rows)
    text += tests_caption(board[board.status != "pending"], reference, chosen.correction, "MAE")
    return text + (f" Not run yet (pending): {latex_escape(pending)}." if pending else "")


def notes(board: pd.DataFrame, data, not_run: list[str] = ()) -> str:
    chosen = data.suite
    reference = row_label(chosen, chosen.reference)
    ran = board[board.status != "pending"]
    lines = [f"# {chosen.name}: notes", "", chosen.description, "",
             f"Runs: those of `{chosen.records_from}` (Table 2), selected per split on validation MAE (accuracy on "
             "DBLP). The paper's '13 baselines x 5 datasets = 65 tests' (it tabulates 14 baselines, 70 cells) becomes "
             "the tests made here; its cell shading (p < 0.001 / 0.01 / 0.05) does not say whether before or after "
             "Bonferroni, so both raw and corrected p are listed.", ""]
    lines += _verdict(ran, chosen.reference, reference)
    lines += runs_section(data, {m: row_label(chosen, m) for m in chosen.methods})
    lines += tests_section(ran, reference, chosen.correction)
    if chosen.pending_rows:
        lines += ["", "Paper rows not run yet (their methods are not registered): " + ", ".join(chosen.pending_rows)
                  + "."]
    return "\n".join(lines + list(not_run) + list(chosen.notes)) + "\n"


def _verdict(ran: pd.DataFrame, method: str, reference: str) -> list[str]:
    """Markdown: how many tests favour the reference, and how many of those are significant after correction."""
    tested = ran[np.isfinite(ran.p.astype(float))] if "p" in ran else ran.iloc[:0]
    if tested.empty:
        return ["No paired test yet: no baseline shares 2 splits with " + reference + "."]
    reference_means = ran[ran.method == method].set_index("dataset")["mean"]
    lower = tested["mean"].to_numpy() > reference_means.reindex(tested.dataset).to_numpy()
    significant = tested.p_adj.astype(float).to_numpy() < 0.05
    return [f"{reference} has the lower MAE in {int(lower.sum())} of the {len(tested)} tests made, and is "
            f"significantly lower after Bonferroni (p_adj < 0.05) in {int((lower & significant).sum())}; the paper "
            "claims 65/65."]
