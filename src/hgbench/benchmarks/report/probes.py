"""Probes beside the baselines they vary (``Suite.comparisons``), computed from the two suites' boards.

A suite's notes are prose without measured numbers; what a probe changes is this table, rendered from
the stored runs each time the report is: per dataset where the probe has a result, the probe's cell, the
baseline's cell on the same splits and the paper's row of the baseline.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..suites import Suite


def _cell(row) -> str:
    return f"{row['mean']:.1f} ± {row['std']:.1f}" if row is not None and np.isfinite(row["mean"]) else "-"


def _within(row) -> str:
    if row is None or not (np.isfinite(row["mean"]) and np.isfinite(row["paper_std"])):
        return "-"
    return "yes" if abs(row["mean"] - row["paper_mean"]) <= 2 * row["paper_std"] else "no"


def section(chosen: Suite, boards: dict[str, pd.DataFrame]) -> list[str]:
    """Markdown lines: every comparison of ``chosen`` (``boards`` holds its own board and the probes')."""
    if not chosen.comparisons:
        return []
    lines = ["", "## Probes beside the baselines they vary", "",
             "Each probe beside the baseline it varies and the paper's row of that baseline, computed from the "
             "stored runs, on the datasets where the probe has a result. The probe runs on the baseline's split "
             "seeds; where it ran fewer (runs), the baseline's mean covers more splits than the probe's. Within 2 "
             "std: |ours - paper| <= 2 paper std.", "", "| probe | dataset | probe | baseline | paper (baseline's row) | probe within 2 std | "
             "baseline within 2 std | runs (probe / baseline) |", "|---|---|---|---|---|---|---|---|"]
    absent = []
    for comparison in chosen.comparisons:
        if comparison.probe_suite not in boards:
            absent.append(comparison.probe_suite)
            continue
        probes = boards[comparison.probe_suite]
        bases = boards[chosen.name]
        bases = bases[bases.method == comparison.base].set_index("dataset")
        for row in probes[(probes.method == comparison.probe) & (probes.status == "ok")].to_dict("records"):
            base = bases.loc[row["dataset"]].to_dict() if row["dataset"] in bases.index else None
            paper = (f"{base['paper_mean']:.1f} ± {base['paper_std']:.1f}"
                     if base is not None and np.isfinite(base["paper_mean"]) else "-")
            runs = f"{row['n_runs']} / {base['n_runs'] if base is not None else 0}"
            lines.append(f"| {row['label']} | {row['paper_dataset']} | {_cell(row)} | {_cell(base)} | {paper} | "
                         f"{_within(row)} | {_within(base)} | {runs} |")
    if absent:
        lines += ["", "Not in this store: " + ", ".join(sorted(set(absent))) + " (no probe rows to compare)."]
    return lines
