"""ZEN Tables 2 and 8, the paper's value beside ours: two layouts.

* ``dataset-stats`` (suite ``zen-datasets``, Table 2): the statistics of the datasets are data, not
  results, so they are measured when the report renders (``dataset_stats.table2_board``: each dataset's
  ``table2_counts()``, the counts of ``summary()`` that ``bench list datasets`` prints plus the hyperedges
  without the singletons preprocessing adds, which is what Table 2 counts; cached by
  ``datasets/summaries.py``), with the density |E|/|V| computed from them. No method runs; the suite's
  plan is empty.
* ``tcs-error`` (suite ``zen-tcs``, Table 8): the relative errors of the TCS approximation stored by the
  ``zen-tcs-error`` runs (``methods/zen_tcs.py``), one run per split and epsilon; mean and std over splits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...datasets import catalog
from ...methods import zen_tcs
from ...methods.zen_tcs import EPSILONS, QUANTITIES
from . import dataset_stats, tables
from .paper import paper_table
from ..run.registry import method_entry

# ----------------------------------------------------------------------------- Table 2
DENSITY = "density"
PAPER_DENSITY = "density |E|/|V|"
STATISTIC_NAMES = {"nodes": "# nodes $|V|$", "raw_hyperedges": "# edges $|E|$",
                   "hyperedges": "# edges with added singletons", "classes": "# classes $c$",
                   "features": "# features $d$", DENSITY: "density $|E|/|V|$"}
METRICS = tuple(STATISTIC_NAMES)


def stats_board(data) -> pd.DataFrame:
    """Long board: per dataset of the suite, nodes, hyperedges (without and with the added singletons), classes,
    features (``dataset_stats.table2_board``) and the density |E|/|V| (hyperedges without the added singletons
    over nodes, as Table 2), each beside the paper's Table 2 value (none for the hyperedges with singletons)."""
    chosen = data.suite
    measured = dataset_stats.table2_board()
    measured = measured[measured.dataset.isin(chosen.datasets)]
    paper = paper_table(chosen.table.csv).set_index(["dataset", "metric"])["mean"]
    rows = []
    for dataset in chosen.datasets:
        cells = measured[measured.dataset == dataset].set_index("metric")
        if cells.empty:
            continue  # not a dataset of the paper's Table 2
        paper_name = cells.paper_dataset.iloc[0]
        density = cells.at["raw_hyperedges", "mean"] / cells.at["nodes", "mean"]
        density_row = {"paper_mean": float(paper.get((paper_name, PAPER_DENSITY), np.nan)), "mean": density}
        parts = {**dict(cells.iterrows()), DENSITY: {**cells.loc["nodes"].to_dict(), **density_row}}
        for metric in METRICS:
            row = parts[metric]
            rows.append({"method": "", "label": "", "dataset": dataset, "paper_dataset": paper_name, "metric": metric,
                         "mean": float(row["mean"]), "std": np.nan, "paper_mean": float(row["paper_mean"]),
                         "paper_std": np.nan, "status": row["status"], "budget": "-", "n_runs": 0})
    return pd.DataFrame(rows, columns=["method", "label", "dataset", "paper_dataset", "metric", "mean", "std",
                                       "paper_mean", "paper_std", "status", "budget", "n_runs"])


def _count(value: float, metric: str) -> str:
    if not np.isfinite(value):
        return "--"
    return f"{value:.4f}" if metric == DENSITY else f"{value:.0f}"


def stats_latex(board: pd.DataFrame, data) -> str:
    """Statistics as rows (a "paper" and an "ours" row each), datasets as columns, as the paper's Table 2."""
    datasets = list(dict.fromkeys(board.dataset))
    headers = ["Statistic", "Source", *(tables.latex_escape(catalog.spec(d).paper or d) for d in datasets)]
    rows, spacing = [], []
    for metric, name in STATISTIC_NAMES.items():
        cells = board[board.metric == metric].set_index("dataset")
        rows.append([tables.latex_escape(name), "paper",
                     *(_count(cells.at[d, "paper_mean"], metric) for d in datasets)])
        rows.append(["", "ours", *(_count(cells.at[d, "mean"], metric) if cells.at[d, "status"] == "ok"
                                   else tables.FAILURE_LABELS.get(cells.at[d, "status"], cells.at[d, "status"])
                                   for d in datasets)])
        spacing += [False, True]
    caption = (f"{tables.latex_escape(data.suite.table.title)}. Ours: measured from the data directory when "
               "the report is rendered (the counts \\texttt{bench list datasets} prints); $|E|$ and the density "
               "count the raw hyperedges, as the paper, and the row below them adds the singleton hyperedges that "
               "preprocessing adds to every node without one (what the models see).")
    return tables.table(headers, rows, caption, data.suite.name, spacing)


def paper_density_checks(csv: str) -> list[tuple[str, float, float]]:
    """(dataset, printed density, |E|/|V| from the printed counts) where they differ at the printed 4 decimals."""
    table = paper_table(csv).pivot(index="dataset", columns="metric", values="mean")
    out = []
    for dataset, row in table.iterrows():
        computed = row["# edges |E|"] / row["# nodes |V|"]
        if round(computed, 4) != round(row[PAPER_DENSITY], 4):
            out.append((str(dataset), float(row[PAPER_DENSITY]), float(computed)))
    return out


NOTE_NAMES = {"nodes": "nodes |V|", "raw_hyperedges": "hyperedges |E|",
              "hyperedges": "hyperedges with added singletons", "classes": "classes c", "features": "features d",
              DENSITY: "density |E|/|V|"}


def stats_notes(board: pd.DataFrame, data) -> str:
    chosen = data.suite
    lines = [f"# {chosen.name}: notes", "", chosen.description, "", __doc__.strip().split("\n* ")[1], "",
             "| dataset | statistic | ours | paper | equal | status |", "|---|---|---|---|---|---|"]
    differ = []
    cells = board.set_index(["dataset", "metric"])
    for row in board.itertuples():
        ours, paper = _count(row.mean, row.metric), _count(row.paper_mean, row.metric)
        equal = "-" if row.status != "ok" or not np.isfinite(row.paper_mean) else "yes" if ours == paper else "no"
        if equal == "no":
            text = f"{row.paper_dataset}, {NOTE_NAMES[row.metric]}: ours {ours}, paper {paper}"
            if row.metric == "raw_hyperedges":  # the paper's count may be all hyperedges minus one singleton per node
                minus = cells.at[(row.dataset, "hyperedges"), "mean"] - cells.at[(row.dataset, "nodes"), "mean"]
                text += (f"; ours with added singletons minus |V| is {minus:.0f}"
                         + (", the paper's count" if f"{minus:.0f}" == paper else ""))
            differ.append(text)
        lines.append(f"| {row.paper_dataset} | {NOTE_NAMES[row.metric]} | {ours} | {paper} | {equal} | {row.status} |")
    lines += ["", "## Where ours differs from the paper", ""]
    lines += [f"- {text}" for text in differ] or ["None (among the datasets measured here)."]
    lines += ["", "The hyperedges with added singletons have no paper value: Table 2 counts the raw hyperedges "
              "(docs/datasets.md). Where the raw count differs, the paper's may be the count of all hyperedges less "
              "one singleton per node, which leaves out the raw singleton hyperedges of nodes that had one (the "
              "list above says where that gives the paper's number). The Cornell datasets (Congress, Walmart, "
              "Senate, House) have as many features as classes, ED-HNN's label-dependent Gaussian features that "
              "ZEN's own data files hold, not the features Table 2 prints (docs/datasets.md). A density differs "
              "wherever its hyperedge count differs, and where the paper's printed density is not its own "
              "|E|/|V| (below)."]
    checks = paper_density_checks(chosen.table.csv)
    if checks:
        lines += ["", "## The paper's printed densities against its own counts", "",
                  "| dataset | printed density | its # edges / # nodes |", "|---|---|---|"]
        lines += [f"| {dataset} | {printed:.4f} | {computed:.4f} |" for dataset, printed, computed in checks]
    pending = board[board.status != "ok"].drop_duplicates("dataset")
    if not pending.empty:
        lines += ["", "## Not measured here", ""]
        lines += [f"- {row.paper_dataset}: {row.status}" + (" (`bench run` downloads it)" if row.status == "pending"
                                                          else "") for row in pending.itertuples()]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- Table 8
QUANTITY_LABELS = {
    "eq43": "Eq. (43), closed form",
    "eq43_numeric": "Eq. (43), from synthetic embeddings",
    "tcs_weights": "TCS weights (Eq. 4) vs exact W*",
    "scaled": "(1/eps) Z^T Y vs exact W*",
}
QUANTITY_LATEX = {
    "eq43": "Eq.~(43), closed form",
    "eq43_numeric": "Eq.~(43), from embeddings",
    "tcs_weights": "TCS $W$ (Eq.~4) vs exact $W^*$",
    "scaled": "$\\frac{1}{\\epsilon} Z^\\top Y$ vs exact $W^*$",
}
PAPER_QUANTITIES = ("eq43", "eq43_numeric")  # what the paper's Table 8 reports (Eq. 43)


def tcs_metric(quantity: str, epsilon: float) -> str:
    return f"{quantity}_error_pct (epsilon={epsilon:g})"


def tcs_metrics(chosen=None) -> tuple[str, ...]:
    return tuple(tcs_metric(q, e) for e in EPSILONS for q in QUANTITIES)


def _paper_errors(csv: str) -> dict[float, float]:
    table = paper_table(csv)
    epsilons = table.setting.str.extract(r"epsilon=([0-9.]+)")[0].astype(float)
    return dict(zip(epsilons, table["mean"].astype(float)))


def tcs_board(data) -> pd.DataFrame:
    """Long board: per epsilon and quantity, mean and std (ddof=0) over splits of the stored error (%)."""
    chosen = data.suite
    method = chosen.methods[0]
    records = data.store.records(chosen.name)
    paper = _paper_errors(chosen.table.csv)
    paper_name = catalog.spec(chosen.datasets[0]).paper or chosen.datasets[0]  # the claims name this column
    rows = []
    for epsilon in EPSILONS:
        mine = [r for r in records if float((r.get("params") or {}).get("epsilon", np.nan)) == epsilon]
        ok = [r for r in mine if r.get("status") == "ok"]
        status = "ok" if ok else (mine[0]["status"] if mine else "pending")
        budget = ",".join(sorted({r["budget"] for r in ok})) or "-"
        for quantity in QUANTITIES:
            values = np.array([r["diagnostics"][f"{quantity}_error_pct"] for r in ok], dtype=float)
            rows.append({"method": method, "label": method_entry(method).label, "dataset": chosen.datasets[0],
                         "paper_dataset": paper_name, "setting": f"epsilon={epsilon:g}",
                         "metric": tcs_metric(quantity, epsilon),
                         "mean": float(values.mean()) if ok else np.nan, "std": float(values.std()) if ok else np.nan,
                         "paper_mean": paper.get(epsilon, np.nan) if quantity in PAPER_QUANTITIES else np.nan,
                         "paper_std": np.nan, "status": status, "budget": budget, "n_runs": len(ok)})
    return pd.DataFrame(rows)


def _percent(value: float) -> str:
    if not np.isfinite(value):
        return "--"
    return f"{value:.4f}\\%" if value < 100 else f"{value:.0f}\\%"


def tcs_latex(board: pd.DataFrame, data) -> str:
    """One row per epsilon: the paper's Table 8 value, then our four measured errors."""
    headers = ["$\\epsilon$", "Paper (Table 8)", *(f"Ours: {QUANTITY_LATEX[q]}" for q in QUANTITIES)]
    rows = []
    for epsilon in EPSILONS:
        cells = board[board.setting == f"epsilon={epsilon:g}"].set_index("metric")
        paper = cells.at[tcs_metric("eq43", epsilon), "paper_mean"]
        ours = [_percent(cells.at[tcs_metric(q, epsilon), "mean"]) if cells.at[tcs_metric(q, epsilon), "status"] == "ok"
                else "--" for q in QUANTITIES]
        rows.append([f"{epsilon:g}", f"{paper:.2f}\\%" if np.isfinite(paper) else "--", *ours])
    caption = (f"{tables.latex_escape(data.suite.table.title)}. Ours: k={_kc(data)}; the first two columns of ours "
               "are the paper's quantity (Eq. 43), the last two our TCS weights against the exact pseudoinverse "
               f"solution of Theorem 1 (notes.md). {data.provenance()}")
    return tables.table(headers, rows, caption, data.suite.name, [False] * len(rows))


def _kc(data) -> str:
    """``5, c=10`` from the stored runs (what the splits gave); ``? (no run stored)`` without any."""
    found = {(r["diagnostics"]["k"], r["diagnostics"]["c"]) for r in data.store.records(data.suite.name)
             if r.get("status") == "ok"}
    return ", ".join(f"{k}, c={c}" for k, c in sorted(found)) or "? (no run stored)"


def tcs_notes(board: pd.DataFrame, data) -> str:
    chosen = data.suite
    lines = [f"# {chosen.name}: notes", "", chosen.description, "", f"k and c of the stored runs: k={_kc(data)}.", "",
             "| epsilon | quantity | ours (%) | std over splits | paper (%) | runs | status |",
             "|---|---|---|---|---|---|---|"]
    for row in board.itertuples():
        ours = f"{row.mean:.4f}" if np.isfinite(row.mean) else "-"
        std = f"{row.std:.2g}" if np.isfinite(row.std) else "-"
        paper = f"{row.paper_mean:.2f}" if np.isfinite(row.paper_mean) else "-"
        lines.append(f"| {row.setting.split('=')[1]} | {QUANTITY_LABELS[row.metric.split('_error_pct')[0]]} | "
                     f"{ours} | {std} | {paper} | {row.n_runs} | {row.status} |")
    lines += ["", "## What is measured", "", zen_tcs.__doc__.strip(), ""]
    return "\n".join(lines + list(chosen.notes)) + "\n"
