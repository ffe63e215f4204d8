"""TriPrune-HGNN's ablation tables: Tables 4 and 5 (kind ``triprune-ablation``), Table 6
(``triprune-architecture``) and Table 9 (``triprune-sensitivity``).

Every row of these tables is a registered method run on the same splits as the full model
(``triprune``, the suite's ``reference``), printed under this table's label (``Suite.row_label``).
Per split the run selected on validation (``multimetric.selected_runs``: MAE of the arg-max class on
ordinal datasets, accuracy on DBLP) gives every column. Cells are mean and population std (ddof=0)
over splits; changes are ``100 (variant - full) / full`` of the means, as the paper's italic rows
of Table 4. Each variant is tested against the full model on the splits both have (two-sided paired
t-test, ``significance.compare``) for every metric the table prints; all those tests form one family,
corrected with the suite's correction (Bonferroni, as the paper) and, beside it, Holm.

The boards are long (one row per method or setting x dataset x metric) with ``mean, std, n_runs,
status`` and the paper's value, so claims (``claims.py``) read them; cells without runs stay as
``pending`` rows.
"""

from __future__ import annotations

import functools
import json

import numpy as np
import pandas as pd

from ...datasets import catalog
from ...methods.triprune.settings import DEFAULTS
from ...methods.triprune.variants import SAME_MODEL_ROWS, VARIANTS
from . import runtime, significance, stats
from .leaderboards import STD_DDOF, cells
from .multimetric import SCORES, VALIDATION, Column, selected_runs
from .paper import paper_table, paper_value, paper_value_any_setting
from .tables import FAILURE_LABELS, latex_escape
from ..run.registry import method_entry

TEST_COLUMNS = ["reference", "n_pairs", "dropped_seeds", "p", "p_adj", "p_holm", "correction", "mark", "mark_holm"]
PAPER_METRIC = {"mae": "MAE", "rmse": "RMSE", "accuracy": "ACC"}
VALUED = ("ok", "partial", "partial-grid")


# ----------------------------------------------------------------------------- shared pieces
def row_label(suite, method: str) -> str:
    """The label this table prints for ``method`` (the suite's row label, else the method's own)."""
    return suite.row_label(method) or method_entry(method).label


@functools.lru_cache(maxsize=None)
def _method_names(csv: str) -> tuple[str, ...]:
    """The paper table's row names, in its order (read once per table: a board asks for every cell's row)."""
    return tuple(dict.fromkeys(paper_table(csv).method))


def paper_method(csv: str, label: str) -> str | None:
    """The paper CSV's row for ``label``: the same name, or the one row name that starts with it
    (Table 4 prints "All Fixed Hyperparameters (baseline pruning w/o learning)" for our "All Fixed")."""
    names = _method_names(csv)
    if label in names:
        return label
    starts = [name for name in names if name.startswith(label)]
    return starts[0] if len(starts) == 1 else None


def paper_cell(csv: str, method: str | None, dataset: str, metric: str, setting: str | None = None):
    """(mean, std) the paper prints for (row, dataset, metric), any setting unless ``setting`` is named (the
    settings of Tables 4 and 6 only say what the row replaces or which block it is in); None if absent."""
    if method is None:
        return None
    if setting is None:
        return paper_value_any_setting(csv, method, dataset, metric)
    return paper_value(csv, method, dataset, setting, metric)


def paper_row_of(suite, method: str) -> str | None:
    """The paper CSV's row for ``method``: by this table's label, else by the method's ``paper_label`` (a label
    with a fidelity mark, "HHGSA†", names the paper row "HHGSA")."""
    if not suite.table:
        return None
    found = paper_method(suite.table.csv, row_label(suite, method))
    paper_label = method_entry(method).paper_label
    return found or (paper_method(suite.table.csv, paper_label) if paper_label else None)


def table_metrics(suite) -> tuple[str, ...]:
    """Our names of the score metrics the suite's paper table prints (Table 4: MAE and ACC)."""
    printed = set(paper_table(suite.table.csv).metric) if suite.table else set(PAPER_METRIC.values())
    return tuple(metric for metric, name in PAPER_METRIC.items() if name in printed)


def _within(mean: float, paper) -> str:
    if paper is None or not np.isfinite(mean) or not np.isfinite(paper[1]):
        return ""
    return "yes" if abs(mean - paper[0]) <= 2 * paper[1] else "no"


def _change(mean: float, reference: float) -> float:
    if not (np.isfinite(mean) and np.isfinite(reference) and reference):
        return np.nan
    return 100 * (mean - reference) / reference


def paired_change(long: pd.DataFrame, method: str, reference: str, dataset: str) -> float:
    """``100 (variant - full) / full`` of the two rows' means over the splits both ran (ok runs with a value), so
    that a row with fewer splits than the full model is compared with the full model on its own splits only."""
    rows = long[(long.dataset == dataset) & (long.status == "ok") & long.value.notna()]
    variant = rows[rows.method == method].set_index("seed").value
    full = rows[rows.method == reference].set_index("seed").value
    shared = variant.index.intersection(full.index)
    return _change(variant[shared].mean(), full[shared].mean()) if len(shared) else np.nan


def long_scores(selected: pd.DataFrame, suite, column: Column, scale: float = 1.0) -> pd.DataFrame:
    """Selected runs of one column in the statistics layer's long format."""
    values = selected[column.source] if column.source in selected else pd.Series(np.nan, index=selected.index)
    return pd.DataFrame({"method": selected.method, "dataset": selected.dataset, "setting": suite.setting,
                         "seed": selected.seed, "metric": column.metric,
                         "value": pd.to_numeric(values, errors="coerce") * scale, "status": selected.status})


def paired_tests(long: pd.DataFrame, suite, metrics: tuple[str, ...]) -> pd.DataFrame:
    """Every method against the suite's reference, per dataset and metric of ``metrics``: p from
    ``scipy.stats.ttest_rel`` on the shared splits; one family over every test made, corrected with the
    suite's correction (``p_adj``, marks) and with Holm (``p_holm``, ``mark_holm``)."""
    parts = [significance.compare(long, suite, metric).assign(metric=metric) for metric in metrics]
    tests = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if tests.empty:
        return pd.DataFrame(columns=["method", "dataset", "metric", *TEST_COLUMNS])
    p = tests.p.to_numpy(float)
    _, tests["p_adj"] = stats.adjust_pvalues(p, correction=suite.correction, alpha=significance.ALPHA)
    _, tests["p_holm"] = stats.adjust_pvalues(p, correction="holm", alpha=significance.ALPHA)
    tests["mark"] = [stats.significance_mark(v) for v in tests.p_adj]
    tests["mark_holm"] = [stats.significance_mark(v) for v in tests.p_holm]
    return tests[["method", "dataset", "metric", *TEST_COLUMNS]]


def _in_order(board: pd.DataFrame, suite) -> pd.DataFrame:
    """Rows by method (the suite's order), dataset, then metric (MAE, RMSE, ACC): as a reader scans the table."""
    keys = {"method": list(suite.methods), "dataset": list(suite.datasets),
            "metric": [*PAPER_METRIC, *(c.metric for c in VALIDATION)]}
    order = [board[k].map({v: i for i, v in enumerate(values)}) for k, values in keys.items()]
    return board.iloc[np.lexsort(order[::-1])].reset_index(drop=True)


def _attach(board: pd.DataFrame, tests: pd.DataFrame, reference: str) -> pd.DataFrame:
    """The board with its paired tests, and ``change_vs``: the method every ``change_pct`` is taken against."""
    board = board.merge(tests, on=["method", "dataset", "metric"], how="left")
    return board.assign(n_pairs=board.n_pairs.astype("Int64"), change_vs=reference)


def _mark(row: pd.Series, method: str) -> str:
    """The LaTeX superscript of an "ours" cell: the corrected mark, a dagger when no test could be made."""
    if isinstance(row.reference, str) and method != row.reference and np.isfinite(row["mean"]):
        if not np.isfinite(float(row.p)):
            return r"^{\dagger}"
        return f"^{{{row.mark}}}" if row.mark else ""
    return ""


def _number(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}" if np.isfinite(value) else "--"


def _cell(mean: float, std: float, decimals: int, mark: str = "", bold: bool = False) -> str:
    if not np.isfinite(mean):
        return "--"
    body = f"{mean:.{decimals}f}" + (f"_{{\\pm {std:.{decimals}f}}}" if np.isfinite(std) else "")
    body = "\\mathbf{" + body + "}" if bold else body
    return f"${body}{mark}$"


def _ours(row: pd.Series, method: str, decimals: int, bold: bool = False) -> str:
    if row.status not in VALUED:
        return FAILURE_LABELS.get(row.status, "--")
    return _cell(row["mean"], row["std"], decimals, _mark(row, method), bold)


def _pct(value: float) -> str:
    return f"{value:+.1f}\\%" if np.isfinite(value) else "--"


def _styler(rows: list[list[str]], header: pd.Index, caption: str, label: str, environment: str = "table") -> str:
    table = pd.DataFrame(rows, columns=header)
    return table.style.hide(axis="index").to_latex(
        hrules=True, multicol_align="c", caption=caption, label=f"tab:{label}", position="t",
        column_format="ll" + "c" * (len(header) - 2), environment=environment)


def pending_text(board: pd.DataFrame) -> str:
    """Caption sentence naming the cells not run yet, per dataset ("every row" when none of its rows ran)."""
    pending = board[board.status == "pending"]
    if pending.empty:
        return ""
    text = ""
    for dataset, rows in pending.groupby("paper_dataset", sort=False):
        labels = list(dict.fromkeys(rows.label))
        every = set(labels) == set(board[board.paper_dataset == dataset].label)
        text += f" Not run yet (pending) on {dataset}: " + ("every row" if every else "; ".join(labels)) + "."
    return latex_escape(text)


def tests_caption(board: pd.DataFrame, reference: str, correction: str, metrics: str) -> str:
    """Caption sentence on the marks: test, family size, corrections, and the cells with no test."""
    tested = board[board.reference.notna()].drop_duplicates(["method", "dataset", "metric"])
    n_tests = int(np.isfinite(tested.p.astype(float)).sum())
    if not n_tests:
        return f" Marks: no paired test against {reference} yet (no variant shares 2 splits with it)."
    text = (f" Marks: {latex_escape(significance.TEST)} against {reference} per dataset and metric ({metrics}); "
            f"{correction} over the {n_tests} tests made (Holm beside it in notes.md), alpha = {significance.ALPHA}; "
            "$^{*}$ p < 0.05, $^{**}$ p < 0.01, $^{***}$ p < 0.001 after correction.")
    untested = int((tested["mean"].notna() & ~np.isfinite(tested.p.astype(float))).sum())
    if untested:
        text += (rf" $^{{\dagger}}$ no test ({untested} cell(s)): fewer than 2 shared splits, or differences "
                 "without variation.")
    return text


def _p(value, n_pairs: int) -> str:
    value = float(value)
    if np.isfinite(value):
        return f"{value:.3g}"
    return "no test (constant differences)" if n_pairs >= 2 else "no test (< 2 pairs)"


def tests_section(board: pd.DataFrame, reference_label: str, correction: str) -> list[str]:
    """Markdown: every test with its pairs, dropped splits, raw p, corrected p (the suite's and Holm) and marks."""
    tested = board[board.reference.notna()].drop_duplicates(["method", "dataset", "metric"])
    if tested.empty:
        return ["", "## Paired tests against " + reference_label, "", "No test yet: no variant shares 2 splits with "
                "the reference."]
    n_tests = int(np.isfinite(tested.p.astype(float)).sum())
    lines = ["", "## Paired tests against " + reference_label, "",
             f"{significance.TEST}, per variant, dataset and metric the table prints. The {n_tests} tests made form "
             f"one family: {correction} correction (the paper's; the table's marks) and Holm beside it, alpha = "
             f"{significance.ALPHA}; marks *** p < 0.001, ** p < 0.01, * p < 0.05 after correction. Splits that "
             "only one side has are dropped; with fewer than 2 pairs left, or differences without variation, no "
             "test is made (dagger in the table).", "",
             f"| row | dataset | metric | pairs | dropped splits | p | p {correction} | mark | p Holm | mark Holm |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for row in tested.itertuples():
        lines.append(f"| {row.label} | {row.paper_dataset} | {row.metric} | {int(row.n_pairs)} | "
                     f"{row.dropped_seeds or '-'} | {_p(row.p, row.n_pairs)} | {_p(row.p_adj, row.n_pairs)} | "
                     f"{row.mark or '-'} | {_p(row.p_holm, row.n_pairs)} | {row.mark_holm or '-'} |")
    return lines


def runs_section(data, labels: dict[str, str]) -> list[str]:
    """Markdown: per row, the splits (seeds) with a selected run, and the rows not run yet."""
    selected = selected_runs(data.frame) if not data.frame.empty else data.frame
    lines = ["", "## What ran", "", "| row | method | dataset | splits (seeds) with a selected ok run | budget |",
             "|---|---|---|---|---|"]
    pending = []
    for method, label in labels.items():
        for dataset in data.suite.datasets:
            mine = selected[(selected.method == method) & (selected.dataset == dataset)] if len(selected) else selected
            if mine.empty:
                pending.append(f"{label} ({method}) on {catalog.spec(dataset).paper or dataset}")
                continue
            seeds = " ".join(str(s) for s in sorted(mine.seed.unique()))
            lines.append(f"| {label} | {method} | {catalog.spec(dataset).paper or dataset} | {len(mine)} ({seeds}) | "
                         f"{','.join(sorted(set(mine.budget)))} |")
    lines += ["", f"Planned splits per cell: {data.suite.seeds} (seeds 0-{data.suite.seeds - 1})."]
    if pending:
        lines += ["", "Pending (no run in the store yet; shown as pending, never dropped): " + "; ".join(pending) + "."]
    return lines


# ----------------------------------------------------------------------------- Tables 4 and 5
def ablation_board(data) -> pd.DataFrame:
    """One row per (method, dataset, metric) for MAE, RMSE and ACC (fractions, as the paper) and the validation MAE
    (``val_mae``: not printed, read by the validation claims), with the change vs the full model, the paper's value
    and change, and the paired tests of the printed metrics."""
    chosen = data.suite
    selected = selected_runs(data.frame)
    longs = {column.metric: long_scores(selected, chosen, column) for column in SCORES + VALIDATION}
    tests = paired_tests(pd.concat(longs.values(), ignore_index=True), chosen, table_metrics(chosen))
    reference = chosen.reference
    rows = []
    for column in SCORES + VALIDATION:
        found = cells(data.frame, longs[column.metric], chosen)
        in_paper = chosen.table is not None and column.metric in PAPER_METRIC  # no paper table prints validation
        for method in chosen.methods:
            label = row_label(chosen, method)
            paper_row = paper_row_of(chosen, method)
            for dataset in chosen.datasets:
                cell = found[(method, dataset)]
                paper_dataset = catalog.spec(dataset).paper or dataset
                paper = paper_cell(chosen.table.csv, paper_row, paper_dataset, PAPER_METRIC[column.metric]) \
                    if in_paper else None
                paper_full = paper_cell(chosen.table.csv, paper_method(chosen.table.csv, row_label(chosen, reference)),
                                        paper_dataset, PAPER_METRIC[column.metric]) if in_paper else None
                printed = paper_cell(chosen.table.csv, paper_row, paper_dataset,
                                     f"{PAPER_METRIC[column.metric]} % change vs Full") if in_paper else None
                if method == reference:
                    paper_change, source = np.nan, ""
                elif printed is not None:
                    paper_change, source = printed[0], "printed"
                else:
                    paper_change = _change(paper[0], paper_full[0]) if paper and paper_full else np.nan
                    source = "from the paper's means" if np.isfinite(paper_change) else ""
                rows.append({
                    "method": method, "label": label, "dataset": dataset, "paper_dataset": paper_dataset,
                    "metric": column.metric, "setting": chosen.setting, "mean": cell.mean, "std": cell.std,
                    "std_convention": f"ddof={STD_DDOF}", "n_runs": cell.n_runs, "status": cell.status,
                    "budget": cell.budget, "paper_row": paper_row or "",
                    "paper_mean": paper[0] if paper else np.nan, "paper_std": paper[1] if paper else np.nan,
                    "within_2_std": _within(cell.mean, paper),
                    "change_pct": paired_change(longs[column.metric], method, reference, dataset)
                    if method != reference else np.nan,
                    "paper_change_pct": paper_change, "paper_change_source": source})
    return _attach(_in_order(pd.DataFrame(rows), chosen), tests, reference)


def ablation_latex(board: pd.DataFrame, data) -> str:
    """Rows: per method a paper line, our line (mean_{±std}, marks) and, for variants, an italic line of the
    change vs the full model (ours, the paper's in brackets); columns: dataset x the metrics the paper prints."""
    chosen = data.suite
    metrics = table_metrics(chosen)
    columns = [c for c in SCORES if c.metric in metrics]
    datasets = list(chosen.datasets)
    header = pd.MultiIndex.from_tuples([("", "Variant"), ("", "Source")]
                                       + [(catalog.spec(d).paper or d, c.label) for d in datasets for c in columns])
    by_key = board.set_index(["method", "dataset", "metric"])
    rows = []
    for method in chosen.methods:
        label = latex_escape(row_label(chosen, method))
        lines = [[_cell(by_key.loc[(method, d, c.metric)].paper_mean, by_key.loc[(method, d, c.metric)].paper_std,
                        c.decimals) for d in datasets for c in columns]]
        sources = ["paper"]
        lines.append([_ours(by_key.loc[(method, d, c.metric)], method, c.decimals) for d in datasets for c in columns])
        sources.append("ours")
        if method != chosen.reference:
            lines.append([r"\textit{" + _pct(by_key.loc[(method, d, c.metric)].change_pct) + " ("
                          + _pct(by_key.loc[(method, d, c.metric)].paper_change_pct) + ")}"
                          for d in datasets for c in columns])
            sources.append(r"\textit{$\Delta$ vs full}")
        for i, (source, cells_) in enumerate(zip(sources, lines)):
            rows.append([label if i == 0 else "", source, *cells_])
    return _styler(rows, header, _ablation_caption(board, data), chosen.name, "table*")


def _ablation_caption(board: pd.DataFrame, data) -> str:
    chosen = data.suite
    full = latex_escape(row_label(chosen, chosen.reference))
    printed = "as printed in its italic rows" if "printed" in set(board.paper_change_source) else \
        "computed from its means: it prints no change"
    metrics = ", ".join(PAPER_METRIC[m] for m in table_metrics(chosen))
    text = (f"{latex_escape(chosen.table.title)}. {data.provenance()} Mean$_{{\\pm\\text{{std}}}}$ over splits; "
            "MAE, RMSE lower and ACC (a fraction, as the paper) higher is better. Italic rows: "
            f"$100\\,(\\text{{variant}} - \\text{{full}}) / \\text{{full}}$ of our means vs {full}, the paper's in "
            f"brackets ({printed}).")
    return text + tests_caption(board, full, chosen.correction, metrics) + pending_text(board)


def ablation_notes(board: pd.DataFrame, data, not_run: list[str] = ()) -> str:
    chosen = data.suite
    full = row_label(chosen, chosen.reference)
    lines = [f"# {chosen.name}: notes", "", chosen.description, "",
             f"Protocol: split {chosen.protocol} (stratified 60/20/20; the paper states no ratios), seeds "
             f"0-{chosen.seeds - 1}, every row on the same splits as {full} (method `{chosen.reference}`). Per split "
             "the run selected on validation MAE (accuracy on DBLP) gives every column. Mean and population std "
             "(ddof=0) over splits; ACC is a fraction, as the paper prints it. Change: 100 (variant - full) / full "
             "of the means over the splits both rows ran (a row with fewer splits is compared on its own); "
             "'within 2 std' compares ours with the paper's mean +- 2 paper std (blank where the "
             "paper prints no std). Our levels differ from the paper's where the label definitions differ "
             "(triprune-main's notes); the changes vs the full model and the paired tests compare runs on the same "
             "labels and splits.", "",
             "| row | dataset | metric | ours | paper | within 2 std | change % (ours) | change % (paper) | runs | "
             "status |", "|---|---|---|---|---|---|---|---|---|---|"]
    for row in board.itertuples():
        ours = f"{row.mean:.3f} ± {row.std:.3f}" if np.isfinite(row.mean) else "-"
        paper = (f"{row.paper_mean:.3f}" + (f" ± {row.paper_std:.3f}" if np.isfinite(row.paper_std) else "")) \
            if np.isfinite(row.paper_mean) else "-"
        change = f"{row.change_pct:+.2f}" if np.isfinite(row.change_pct) else "-"
        paper_change = f"{row.paper_change_pct:+.1f}" if np.isfinite(row.paper_change_pct) else "-"
        lines.append(f"| {row.label} | {row.paper_dataset} | {row.metric} | {ours} | {paper} | "
                     f"{row.within_2_std or '-'} | {change} | {paper_change} | {row.n_runs} | {row.status} |")
    sources = set(board.paper_change_source) - {""}
    if sources:
        lines += ["", "The paper's change is " + " and ".join(sorted(sources)) + "."]
    lines += replacements(chosen)
    lines += runs_section(data, {m: row_label(chosen, m) for m in chosen.methods})
    lines += tests_section(board, full, chosen.correction)
    return "\n".join(lines + list(not_run) + list(chosen.notes)) + "\n"


def replacements(chosen) -> list[str]:
    """Markdown: what each row replaces (the paper's setting text, and our switch)."""
    lines = ["", "## Rows", "", "| row | method | our switch (variants.py) | the paper's description |",
             "|---|---|---|---|"]
    table = paper_table(chosen.table.csv) if chosen.table else pd.DataFrame(columns=["method", "setting"])
    for method in chosen.methods:
        label = row_label(chosen, method)
        switch = ", ".join(f"{k}={v}" for k, v in VARIANTS[method][1].items()) if method in VARIANTS else "defaults"
        paper_row = paper_method(chosen.table.csv, label) if chosen.table else None
        settings = table[table.method == paper_row].setting if paper_row else pd.Series(dtype=str)
        lines.append(f"| {label} | {method} | {switch} | {paper_row or '-'}"
                     + (f": {settings.iloc[0]}" if len(settings) and settings.iloc[0] else "") + " |")
    return lines


# ----------------------------------------------------------------------------- Table 6
LATENCY = Column("latency_ms", "latency_ms", "Time (ms)", "Time", decimals=2)
PARAMETERS = Column("adaptive_parameters", "adaptive_parameters", "Params", "Params", decimals=0)
SPEEDUP = "speedup"
ARCHITECTURE_METRICS = ("mae", "rmse", "accuracy", LATENCY.metric, PARAMETERS.metric, SPEEDUP)
ARCHITECTURE_BLOCKS = ("Depth Ablation (fixed d_hidden = 32)", "Width Ablation (fixed 2-layer)",
                       "Extreme Configurations")  # the paper's blocks (its CSV's settings)


def record_extras(data) -> pd.DataFrame:
    """Per stored record: Table 6's latency (ms per call of the adaptive MLPs: 3 controllers, MLP_beta over K,
    MLP_tau over 512 nodes; median of 20, ``profiles.adaptive_mlps``) and their parameter count."""
    rows = []
    for record in data.store.records(data.suite.records_from or data.suite.name):
        profile = ((record.get("profiles") or {}).get("adaptive_mlps") or {})
        seconds = profile.get("inference_seconds")
        rows.append({"method": record["method"], "dataset": record["dataset"], "protocol": record["protocol"],
                     "seed": record["seed"], "budget": record["budget"],
                     "config": json.dumps(record.get("config", {}), sort_keys=True),
                     "latency_ms": 1e3 * seconds if seconds is not None else np.nan,
                     "adaptive_parameters": (record.get("diagnostics") or {}).get("adaptive_parameters", np.nan)})
    keys = ["method", "dataset", "protocol", "seed", "budget", "config"]
    return pd.DataFrame(rows, columns=keys + ["latency_ms", "adaptive_parameters"]).drop_duplicates(keys)


def architecture_selected(data) -> pd.DataFrame:
    selected = selected_runs(data.frame)
    keys = ["method", "dataset", "protocol", "seed", "budget", "config"]
    extras = record_extras(data) if not selected.empty else pd.DataFrame(columns=keys + ["latency_ms",
                                                                                          "adaptive_parameters"])
    merged = selected.merge(extras, on=keys, how="left")
    return merged.astype({"latency_ms": float, "adaptive_parameters": float})


def _block(method: str) -> str:
    """The paper's block of a Table 6 row (the default is in the depth and the width blocks)."""
    overrides = VARIANTS.get(method, (None, {}))[1]
    depth = overrides.get("controller_depth", DEFAULTS["controller_depth"])
    width = overrides.get("controller_width", DEFAULTS["controller_width"])
    if (depth, width) == (DEFAULTS["controller_depth"], DEFAULTS["controller_width"]):
        return "default"
    if width == DEFAULTS["controller_width"]:
        return ARCHITECTURE_BLOCKS[0]
    return ARCHITECTURE_BLOCKS[1] if depth == DEFAULTS["controller_depth"] else ARCHITECTURE_BLOCKS[2]


def _shape(method: str) -> tuple[int, int]:
    if method in ALIASES:
        return ALIASES[method][2]
    overrides = VARIANTS.get(method, (None, {}))[1]
    return (overrides.get("controller_depth", DEFAULTS["controller_depth"]),
            overrides.get("controller_width", DEFAULTS["controller_width"]))


#: Table 6 rows answered by another row's runs ([OD-26]): row name -> (label, the method run, (depth, width))
ALIASES = {"triprune-d1-w16": ("1-layer, d_h=16", SAME_MODEL_ROWS["1-layer, d_h=16"], (1, 16))}


def _table6_rows(chosen) -> list[str]:
    """The suite's methods, and the rows another row's runs answer (when that row is in the suite)."""
    return [*chosen.methods, *(alias for alias, (_, source, _) in ALIASES.items() if source in chosen.methods)]


def _table6_label(chosen, row: str) -> str:
    return ALIASES[row][0] if row in ALIASES else row_label(chosen, row)


def architecture_labels(chosen) -> tuple[str, ...]:
    """Table 6's row labels, with the rows another row's runs answer."""
    return tuple(_table6_label(chosen, row) for row in _table6_rows(chosen))


def architecture_board(data) -> pd.DataFrame:
    """One row per (method, metric): MAE, RMSE, ACC (in %, as the paper's Table 6), latency (ms per call of the
    adaptive MLPs), their parameters and the speed-up (the default's mean latency / the row's, same store)."""
    chosen = data.suite
    selected = architecture_selected(data)
    columns = [*SCORES, LATENCY, PARAMETERS]
    scale = {"accuracy": 100.0}
    longs = {c.metric: long_scores(selected, chosen, c, scale.get(c.metric, 1.0)) for c in columns}
    tests = paired_tests(pd.concat([longs[m] for m in PAPER_METRIC], ignore_index=True), chosen, table_metrics(chosen))
    found = {c.metric: cells(data.frame, longs[c.metric], chosen) for c in columns}
    reference = chosen.reference
    rows = []
    for method in _table6_rows(chosen):
        label, run = _table6_label(chosen, method), ALIASES[method][1] if method in ALIASES else method
        for dataset in chosen.datasets:
            paper_dataset = catalog.spec(dataset).paper or dataset
            base = {"method": method, "label": label, "dataset": dataset, "paper_dataset": paper_dataset,
                    "setting": chosen.setting, "runs_of": run, "std_convention": f"ddof={STD_DDOF}",
                    "block": ARCHITECTURE_BLOCKS[2] if method in ALIASES else _block(run)}
            for column in columns:
                cell = found[column.metric][(run, dataset)]
                paper = paper_cell(chosen.table.csv, label, paper_dataset, column.paper)
                rows.append({**base, "metric": column.metric, "mean": cell.mean, "std": cell.std,
                             "n_runs": cell.n_runs, "status": cell.status, "budget": cell.budget,
                             "paper_mean": paper[0] if paper else np.nan, "paper_std": paper[1] if paper else np.nan,
                             "within_2_std": _within(cell.mean, paper),
                             "change_pct": paired_change(longs[column.metric], run, reference, dataset)
                             if method != reference else np.nan})
            latency, default = found[LATENCY.metric][(run, dataset)], found[LATENCY.metric][(reference, dataset)]
            paper = paper_cell(chosen.table.csv, label, paper_dataset, "Speedup")
            speedup = default.mean / latency.mean if np.isfinite(latency.mean) and latency.mean > 0 else np.nan
            status = latency.status if latency.status != "ok" else default.status
            rows.append({**base, "metric": SPEEDUP, "mean": speedup, "std": np.nan,
                         "n_runs": min(latency.n_runs, default.n_runs), "status": status, "budget": latency.budget,
                         "paper_mean": paper[0] if paper else np.nan, "paper_std": np.nan, "within_2_std": "",
                         "change_pct": np.nan})
    return _attach(pd.DataFrame(rows), tests, reference)


def architecture_latex(board: pd.DataFrame, data) -> str:
    """The paper's three blocks (depth at d_h=32, width at 2 layers, extremes); the default row in the first two;
    a paper and an ours line per row; MAE, RMSE, ACC (%), Time (ms), Params, Speedup."""
    chosen = data.suite
    metrics = [("mae", 3), ("rmse", 3), ("accuracy", 1), (LATENCY.metric, 3), (PARAMETERS.metric, 0), (SPEEDUP, 2)]
    header = pd.Index(["Configuration", "Source", "MAE", "RMSE", "ACC (\\%)", "Time (ms)", "Params", "Speedup"])
    paper_decimals = {LATENCY.metric: 1}
    dataset = chosen.datasets[0]
    by_key = board[board.dataset == dataset].set_index(["method", "metric"])
    block_of = board[board.dataset == dataset].drop_duplicates("method").set_index("method").block
    rows6 = _table6_rows(chosen)
    blocks = {block: sorted([m for m in rows6 if block_of[m] in (block, "default")], key=_shape)
              for block in ARCHITECTURE_BLOCKS[:2]}
    blocks[ARCHITECTURE_BLOCKS[2]] = sorted([m for m in rows6 if block_of[m] == ARCHITECTURE_BLOCKS[2]], key=_shape)
    rows = []
    for block, methods in blocks.items():
        rows.append([rf"\textit{{{latex_escape(block)}}}", "", *([""] * len(metrics))])
        for method in methods:
            default = method == chosen.reference
            label = latex_escape(_table6_label(chosen, method))
            paper = [_plain(by_key.loc[(method, m)].paper_mean, by_key.loc[(method, m)].paper_std,
                            paper_decimals.get(m, d), default) for m, d in metrics]
            ours = [_ours(by_key.loc[(method, m)], method, d, default) if m in PAPER_METRIC else
                    _plain(by_key.loc[(method, m)]["mean"], by_key.loc[(method, m)]["std"], d, default,
                           by_key.loc[(method, m)].status) for m, d in metrics]
            rows += [[label, "paper", *paper], ["", "ours", *ours]]
    return _styler(rows, header, _architecture_caption(board, data), chosen.name)


def _plain(mean: float, std: float, decimals: int, bold: bool = False, status: str = "ok") -> str:
    if status not in VALUED:
        return FAILURE_LABELS.get(status, "--")
    if not np.isfinite(mean):
        return "--"
    if decimals == 0:
        body = f"{mean:,.0f}".replace(",", "{,}")
        return f"$\\mathbf{{{body}}}$" if bold else f"${body}$"
    return _cell(mean, std, decimals, bold=bold)


def _architecture_caption(board: pd.DataFrame, data) -> str:
    chosen = data.suite
    default = latex_escape(row_label(chosen, chosen.reference))
    text = (f"{latex_escape(chosen.table.title)}. {data.provenance()} Depth counts linear layers ([OD-26]); "
            "the two 1-layer rows are the same model (a single linear layer has no hidden width). Time: one "
            "forward of the adaptive MLPs (the 3 threshold controllers on their state vectors, MLP$_\\beta$ over "
            "the K components, MLP$_\\tau$ over 512 nodes), median of 20 calls per run, mean over runs, measured on "
            f"{latex_escape(runtime.machine(data.frame))}; the paper's times are on its GPU. Params: the parameters "
            "of exactly these modules (ours; the paper's counts fit no single formula). Speedup: the default's mean "
            f"time / the row's, in this store. ACC in \\%, as the paper's Table 6. Bold: the default ({default}).")
    return text + tests_caption(board, default, chosen.correction, "MAE, RMSE, ACC") + pending_text(board)


def architecture_notes(board: pd.DataFrame, data, not_run: list[str] = ()) -> str:
    chosen = data.suite
    default = row_label(chosen, chosen.reference)
    decimals = {"mae": 3, "rmse": 3, "accuracy": 1, LATENCY.metric: 4, PARAMETERS.metric: 0, SPEEDUP: 2}
    lines = [f"# {chosen.name}: notes", "", chosen.description, "",
             f"Protocol: split {chosen.protocol}, seeds 0-{chosen.seeds - 1}, on {', '.join(chosen.datasets)}; every "
             f"row on the same splits as the default ({default}, method `{chosen.reference}`). Mean and population "
             "std (ddof=0) over splits; ACC in percent as the paper's Table 6. latency_ms: milliseconds per call of "
             "the adaptive MLPs (3 controllers, MLP_beta over K, MLP_tau over 512 nodes; the runner's median of 20 "
             "calls, `profiles.adaptive_mlps`), adaptive_parameters: their parameter count "
             "(`diagnostics.adaptive_parameters`), speedup: the default's mean latency / the row's, from this store "
             f"({runtime.machine(data.frame)}).", "",
             "| row | block | metric | ours | paper | within 2 std | change % vs default | runs | status |",
             "|---|---|---|---|---|---|---|---|---|"]
    for row in board.itertuples():
        d = decimals[row.metric]
        ours = (f"{row.mean:.{d}f}" + (f" ± {row.std:.{d}f}" if np.isfinite(row.std) else "")) \
            if np.isfinite(row.mean) else "-"
        paper = (f"{row.paper_mean:g}" + (f" ± {row.paper_std:g}" if np.isfinite(row.paper_std) else "")) \
            if np.isfinite(row.paper_mean) else "-"
        change = f"{row.change_pct:+.2f}" if np.isfinite(row.change_pct) else "-"
        lines.append(f"| {row.label} | {row.block} | {row.metric} | {ours} | {paper} | {row.within_2_std or '-'} | "
                     f"{change} | {row.n_runs} | {row.status} |")
    lines += one_layer_section(board, data)
    lines += runs_section(data, {m: row_label(chosen, m) for m in chosen.methods})
    lines += tests_section(board, default, chosen.correction)
    return "\n".join(lines + list(not_run) + list(chosen.notes)) + "\n"


def one_layer_section(board: pd.DataFrame, data) -> list[str]:
    """[OD-26]: the two 1-layer rows are one model, run once."""
    pairs = [(label, source) for _, (label, source, _) in ALIASES.items() if source in data.suite.methods]
    return ["", "## The two 1-layer rows [OD-26]", "",
            "Depth counts linear layers (SPEC [OD-26]; Eq. 9's '2-layer' MLP has one hidden layer). A 1-layer "
            "controller, MLP_beta or MLP_tau is a single linear map from its inputs to its output "
            "(`gates.MLP`: sizes [inputs, outputs]); `controller_width` does not enter it. So the paper's rows "
            "'1-layer, d_h=32' and '1-layer, d_h=16' are one model here and run once, as SPEC [OD-26] says: "
            + "; ".join(f"the row '{label}' shows the runs of `{source}`" for label, source in pairs)
            + ". The paper's different values for the two rows (its MAE, time and parameters) cannot both come "
            "from this reading."]


# ----------------------------------------------------------------------------- Table 9
#: The paper's Table 9 factors: the setting name, the run parameter it varies
FACTORS = (("d_hidden", "controller_width"), ("eta_meta", "eta_meta"), ("Delta_meta", "meta_every"))


def _setting(method: str) -> tuple[str, float] | None:
    """(factor, value) a Table 9 method varies; None for the full model."""
    overrides = VARIANTS.get(method, (None, {}))[1]
    for factor, parameter in FACTORS:
        if parameter in overrides:
            return factor, overrides[parameter]
    return None


def sensitivity_rows(chosen) -> list[tuple[str, str, str, bool]]:
    """(setting as the paper prints it, factor, method, is the default) per row of Table 9, in the paper's order.
    The default setting of every factor is the full model; a setting no method of the suite runs has an empty
    ``method`` (its board row stays pending)."""
    settings = list(dict.fromkeys(paper_table(chosen.table.csv).setting)) if chosen.table else []
    by_setting = {}
    for method in chosen.methods:
        found = _setting(method)
        if found is not None:
            by_setting[f"{found[0]}={found[1]:g}"] = method
    rows = []
    for text in settings:
        factor, value = text.split("=", 1)
        parameter = dict(FACTORS)[factor]
        default = float(value) == float(DEFAULTS[parameter])
        rows.append((text, factor, chosen.reference if default else by_setting.get(text, ""), default))
    return rows


def sensitivity_labels(chosen) -> tuple[str, ...]:
    return tuple(text for text, *_ in sensitivity_rows(chosen))


def sensitivity_board(data) -> pd.DataFrame:
    """One row per paper setting: MAE mean and std, Δ vs the default in % (of the means), the paper's MAE and Δ;
    the default of each factor is the full model's run (the same cell three times, labelled per factor)."""
    chosen = data.suite
    selected = selected_runs(data.frame)
    column = SCORES[0]
    long = long_scores(selected, chosen, column)
    tests = paired_tests(long, chosen, ("mae",))
    found = cells(data.frame, long, chosen)
    rows = []
    for text, factor, method, default in sensitivity_rows(chosen):
        for dataset in chosen.datasets:
            paper_dataset = catalog.spec(dataset).paper or dataset
            cell = found.get((method, dataset)) if method else None
            paper = paper_cell(chosen.table.csv, "TriPrune-HGNN", paper_dataset, "MAE", text)
            paper_change = paper_cell(chosen.table.csv, "TriPrune-HGNN", paper_dataset, "Δ vs. Default", text)
            mean = cell.mean if cell else np.nan
            rows.append({"method": method or "not registered", "label": text, "dataset": dataset,
                         "paper_dataset": paper_dataset, "metric": "mae", "setting": text, "factor": factor,
                         "default": default, "mean": mean, "std": cell.std if cell else np.nan,
                         "std_convention": f"ddof={STD_DDOF}", "n_runs": cell.n_runs if cell else 0,
                         "status": cell.status if cell else "pending", "budget": cell.budget if cell else "-",
                         "paper_mean": paper[0] if paper else np.nan, "paper_std": paper[1] if paper else np.nan,
                         "within_2_std": _within(mean, paper),
                         "change_pct": 0.0 if default and np.isfinite(mean)
                         else paired_change(long, method, chosen.reference, dataset) if method else np.nan,
                         "paper_change_pct": 0.0 if default else (paper_change[0] if paper_change else np.nan)})
    return _attach(pd.DataFrame(rows), tests, chosen.reference)


def sensitivity_latex(board: pd.DataFrame, data) -> str:
    """Rows per setting grouped by factor, the default bold; MAE and Δ vs default, the paper's and ours."""
    chosen = data.suite
    header = pd.MultiIndex.from_tuples([("", "Hyperparameter"), ("", "Setting"), ("Paper", "MAE"),
                                        ("Paper", "$\\Delta$ vs. default"), ("Ours", "MAE"),
                                        ("Ours", "$\\Delta$ vs. default")])
    rows = []
    names = {"d_hidden": "$d_{hidden}$", "eta_meta": "$\\eta_{meta}$", "Delta_meta": "$\\Delta_{meta}$"}
    for factor, block in board[board.dataset == chosen.datasets[0]].groupby("factor", sort=False):
        for i, (_, row) in enumerate(block.iterrows()):
            value = row.setting.split("=", 1)[1]
            bold = bool(row.default)
            rows.append([names.get(factor, factor) if i == 0 else "",
                         rf"$\mathbf{{{value}}}$" if bold else f"${value}$",
                         _cell(row.paper_mean, row.paper_std, 3, bold=bold),
                         "--" if bold else _pct(row.paper_change_pct),
                         _ours(row, row.method, 3, bold), "--" if bold else _pct(row.change_pct)])
    return _styler(rows, header, _sensitivity_caption(board, data), chosen.name)


def _sensitivity_caption(board: pd.DataFrame, data) -> str:
    chosen = data.suite
    text = (f"{latex_escape(chosen.table.title)}. {data.provenance()} MAE mean$_{{\\pm\\text{{std}}}}$ over "
            "splits on IMDB, one factor at a time; bold: the default setting, which is the full model's run (the same "
            "run in the three blocks). $\\Delta$: $100\\,(\\text{setting} - \\text{default}) / \\text{default}$ of "
            "the means. "
            "The $d_{hidden}$ rows are Table 6's 2-layer width runs.")
    return text + tests_caption(board, "the default", chosen.correction, "MAE") + pending_text(board)


def sensitivity_notes(board: pd.DataFrame, data, not_run: list[str] = ()) -> str:
    chosen = data.suite
    lines = [f"# {chosen.name}: notes", "", chosen.description, "",
             f"Protocol: split {chosen.protocol}, seeds 0-{chosen.seeds - 1}; one factor at a time, every other "
             f"setting at its default (methods/triprune/settings.py). The default of each factor "
             f"(d_hidden={DEFAULTS['controller_width']}, eta_meta={DEFAULTS['eta_meta']:g}, "
             f"Delta_meta={DEFAULTS['meta_every']}) is the full model `{chosen.reference}`: one run per split, shown "
             "in the three blocks. d_hidden is the width of every adaptive MLP at 2 layers: the runs of Table 6's "
             "width block (`triprune-d2-w*`). Mean and population std (ddof=0) of test MAE over splits; Δ: 100 "
             "(setting - default) / default of the means.", "",
             "| setting | method | ours | Δ % (ours) | paper | Δ % (paper) | within 2 std | runs | status |",
             "|---|---|---|---|---|---|---|---|---|"]
    for row in board.itertuples():
        ours = f"{row.mean:.3f} ± {row.std:.3f}" if np.isfinite(row.mean) else "-"
        paper = f"{row.paper_mean:.3f}" if np.isfinite(row.paper_mean) else "-"
        change = "default" if row.default else (f"{row.change_pct:+.2f}" if np.isfinite(row.change_pct) else "-")
        paper_change = "default" if row.default else (f"{row.paper_change_pct:+.1f}"
                                                      if np.isfinite(row.paper_change_pct) else "-")
        setting = f"**{row.setting}**" if row.default else row.setting
        lines.append(f"| {setting} | {row.method} | {ours} | {change} | {paper} | {paper_change} | "
                     f"{row.within_2_std or '-'} | {row.n_runs} | {row.status} |")
    labels = {}
    for text, _, method, default in sensitivity_rows(chosen):
        if method and not default:
            labels[method] = text
    defaults = ", ".join(text for text, _, _, default in sensitivity_rows(chosen) if default)
    lines += runs_section(data, {chosen.reference: f"default ({defaults})", **labels})
    lines += tests_section(board[~board.default.astype(bool)], "the default", chosen.correction)
    return "\n".join(lines + list(not_run) + list(chosen.notes)) + "\n"
