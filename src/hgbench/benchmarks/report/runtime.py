"""Run time of methods and its ratio over ZEN's (ZEN paper, Tables 4 and 13), from stored records.

Two costs per (method, dataset), each the mean over splits of wall seconds measured by the runner:

* ``one_config``: training + inference of the configuration selected on validation for that split
  (``prepare + fit + predict``; for ZEN the whole method, its 55-point coefficient search included);
* ``protocol``: the whole tuning protocol of that split, summed over every configuration run
  (for the baselines all grid configurations of the budget; for ZEN the same single run).

``prepare`` is split-independent and computed once per dataset, but is charged to every split here,
which can only make ZEN (whose propagation is its ``prepare``) look slower. Ratios divide by ZEN's
time on the same dataset from the same store. Only records of the sequential executor count: pool
workers share the CPU, so their times are not comparable.

Which cost the paper compares: Table 13 lists 2-60 s per baseline on an RTX A6000, the cost of one
200-epoch training run, not of 72; ZEN's 0.003-0.8 s is its complete procedure. So the paper's
ratios (Table 4) are ``one_config`` for the baselines over ZEN's complete run, which is what the
``ratio_one_config`` column reproduces; ``ratio_protocol`` compares like with like.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from ...datasets import catalog
from . import tables
from .leaderboards import PARTIAL_GRID, absent_status, cell_statuses
from .paper import paper_value
from ..run.estimate import Ratios, nearest_seconds, width_ratios
from ..run.registry import method_entry

REFERENCE = "zen"
COSTS = ("one_config", "protocol")


def sequential_only(frame: pd.DataFrame) -> pd.DataFrame:
    """Ok records measured by the sequential executor (records without the field predate the pool)."""
    executor = frame["executor"].fillna("sequential") if "executor" in frame else "sequential"
    return frame[(frame.status == "ok") & (executor == "sequential")]


def run_seconds(frame: pd.DataFrame) -> pd.Series:
    return frame.prepare_seconds.fillna(0.0) + frame.fit_seconds + frame.predict_seconds


def cost_frame(frame: pd.DataFrame, selected: pd.DataFrame) -> pd.DataFrame:
    """Per (method, dataset): mean seconds of ``one_config`` and ``protocol`` over splits, and their ratios.

    ``frame`` holds every record, ``selected`` the configuration chosen on validation per split.
    """
    runs = sequential_only(frame).assign(seconds=run_seconds)
    keys = ["method", "dataset", "seed"]
    protocol = runs.groupby(keys).seconds.sum().rename("protocol")
    chosen = sequential_only(selected).assign(seconds=run_seconds).set_index(keys).seconds.rename("one_config")
    per_split = pd.concat([chosen, protocol], axis=1, join="inner").reset_index()
    costs = per_split.groupby(["method", "dataset"]).agg(
        one_config=("one_config", "mean"), protocol=("protocol", "mean"), n_runs=("seed", "nunique")).reset_index()
    reference = costs[costs.method == REFERENCE].set_index("dataset")
    for cost in COSTS:
        costs[f"ratio_{cost}"] = costs[cost] / costs.dataset.map(reference[cost]).astype(float)
    return costs.sort_values(["method", "dataset"]).reset_index(drop=True)


def fastest_competitor(costs: pd.DataFrame, cost: str = "ratio_one_config") -> pd.DataFrame:
    """Per dataset, the non-reference method with the lowest ratio (the paper's "best competitor")."""
    rivals = costs[(costs.method != REFERENCE) & np.isfinite(costs[cost])]
    if rivals.empty:
        return rivals
    return rivals.loc[rivals.groupby("dataset")[cost].idxmin()].reset_index(drop=True)


# ----------------------------------------------------------------------------- report layout
PAPER_COLUMNS = {  # our metric -> (paper CSV, the paper's metric name)
    "one_config": ("zen_table13_runtime_seconds.csv", "running time (training+inference)"),
    "ratio_one_config": ("zen_table4_runtime_ratio.csv", "running time (training+inference) relative to ZEN"),
}
METRICS = ("one_config", "protocol", "ratio_one_config", "ratio_protocol")
DESCRIBED = {"one_config": "s, selected configuration", "protocol": "s, whole tuning protocol",
             "ratio_one_config": "x ZEN, selected configuration", "ratio_protocol": "x ZEN, whole protocol"}


def board(data) -> pd.DataFrame:
    """Long leaderboard: per (method, dataset) one row per cost and ratio, beside Tables 13 and 4."""
    suite, frame = data.suite, data.frame
    costs = cost_frame(frame, data.selected()).set_index(["method", "dataset"])
    ok = frame[frame.status == "ok"]
    statuses = cell_statuses(frame, ok.groupby(["method", "dataset"]).seed.nunique())
    budget = ",".join(sorted(set(frame.budget))) or "-"
    rows = []
    for method in suite.methods:
        label = method_entry(method).label
        for dataset in suite.datasets:
            paper_dataset = catalog.spec(dataset).paper or dataset
            found = (method, dataset) in costs.index
            status = _timed(statuses.get((method, dataset))) if found else \
                _untimed(statuses.get((method, dataset)) or absent_status(dataset))
            for metric in METRICS:
                paper = (paper_value(PAPER_COLUMNS[metric][0], label, paper_dataset, "shots=5", PAPER_COLUMNS[metric][1])
                         if metric in PAPER_COLUMNS else None)
                mean = float(costs.at[(method, dataset), metric]) if found else np.nan
                rows.append({
                    "method": method, "label": label, "dataset": dataset, "paper_dataset": paper_dataset,
                    "metric": metric, "setting": suite.setting,
                    "mean": round(mean, 6) if np.isfinite(mean) else np.nan, "std": np.nan,
                    "n_runs": int(costs.at[(method, dataset), "n_runs"]) if found else 0,
                    "status": _reference_untimed(statuses, dataset) if found and not np.isfinite(mean) else status,
                    "budget": budget, "paper_mean": paper[0] if paper else np.nan, "paper_std": np.nan,
                })
    return pd.DataFrame(rows)


def _reference_untimed(statuses: dict, dataset: str) -> str:
    """Status of a ratio over ZEN where ZEN has no sequential time on the dataset: ``untimed`` when ZEN's ok
    runs there all came from the pool, ``pending`` otherwise (not run, or failed; the notes say which)."""
    return _untimed(statuses.get((REFERENCE, dataset), "pending"))


def _reference_status(board_: pd.DataFrame, dataset: str) -> str:
    zen = board_[(board_.method == REFERENCE) & (board_.dataset == dataset) & (board_.metric == "one_config")]
    return zen.status.iloc[0] if len(zen) else "not in the suite"


def _timed(status: str) -> str:
    """A timed cell is ``ok``, or ``partial-grid`` where some split's grid ran partly (its protocol time
    leaves out the configurations that did not finish, and the selected one came from the rest)."""
    return PARTIAL_GRID if status == PARTIAL_GRID else "ok"


def _untimed(status: str) -> str:
    """A cell with ok runs but no time (its selected runs came from the pool) is ``untimed``; failures and
    cells without runs keep the leaderboard's status."""
    return "untimed" if status in ("ok", "partial", PARTIAL_GRID) else status


def latex(board_: pd.DataFrame, data) -> str:
    """Two booktabs tables: seconds (Table 13) and ratios over ZEN (Table 4), paper rows beside ours."""
    parts = []
    for title, metrics, digits in (("Training + inference time (s)", ("one_config", "protocol"), 3),
                                   ("Time as a ratio over ZEN's", ("ratio_one_config", "ratio_protocol"), 2)):
        datasets = list(dict.fromkeys(board_.dataset))
        headers = ["Method", "Source"] + [tables.latex_escape(catalog.spec(d).paper or d) for d in datasets]
        rows, spacing = [], []
        for method, runs in board_.groupby("method", sort=False):
            cell = runs.set_index(["metric", "dataset"])[["mean", "status", "paper_mean"]].to_dict("index")
            label = tables.latex_escape(method_entry(method).label)
            if metrics[0] in PAPER_COLUMNS:
                rows.append([label, "paper"] + [_number(cell[metrics[0], d]["paper_mean"], digits) for d in datasets])
                spacing.append(False)
                label = ""
            for metric in metrics:
                rows.append([label, f"ours ({DESCRIBED[metric]})"] + [
                    _number(cell[metric, d]["mean"], digits, cell[metric, d]["status"]) for d in datasets])
                spacing.append(False)
                label = ""
            spacing[-1] = True
        caption = (f"{title} (ZEN paper, Tables 13 and 4: one baseline configuration against ZEN's complete run; "
                   f"paper on an RTX A6000, ours on {tables.latex_escape(machine(data.frame))}, sequential "
                   f"executor only). {data.provenance()}" + _cut_grid_caption(board_))
        parts.append(tables.table(headers, rows, caption, f"{data.suite.name}-{metrics[0]}", spacing))
    return "\n".join(parts)


def notes(board_: pd.DataFrame, data) -> str:
    frame = sequential_only(data.frame)
    lines = [f"# {data.suite.name}: notes", "", data.suite.description, "", __doc__.split("\n\n", 1)[1].strip(), "",
             f"Records: {len(frame)} sequential ok runs of suite `{data.suite.records_from}` on {machine(frame)}; "
             f"budgets {', '.join(sorted(set(frame.budget))) or '-'}; "
             f"{int((data.frame.get('executor', pd.Series(dtype=str)).fillna('sequential') != 'sequential').sum())} "
             "pool records ignored (a cell whose selected runs all came from the pool is ``untimed``: "
             "`bench run` without `--jobs` times it).", "",
             "| method | dataset | s (selected config) | s (protocol) | x ZEN (config) | paper x ZEN | x ZEN (protocol) |"
             " splits |", "|---|---|---|---|---|---|---|---|"]
    table = board_.pivot_table(index=["label", "paper_dataset"], columns="metric", values="mean", sort=False)
    table = table.reindex(columns=list(METRICS))  # a ratio column with no value at all (no timed ZEN) stays
    paper = board_[board_.metric == "ratio_one_config"].set_index(["label", "paper_dataset"]).paper_mean
    runs = board_[board_.metric == "one_config"].set_index(["label", "paper_dataset"]).n_runs
    for (label, dataset), row in table.iterrows():
        lines.append(f"| {label} | {dataset} | {_number(row.one_config, 3)} | {_number(row.protocol, 3)} | "
                     f"{_number(row.ratio_one_config, 2)} | {_number(paper.get((label, dataset), np.nan), 2)} | "
                     f"{_number(row.ratio_protocol, 2)} | {runs.get((label, dataset), 0)} |")
    unreferenced = board_[(board_.metric == "ratio_one_config") & board_["mean"].isna()
                          & board_.status.isin(["pending", "untimed"]) & (board_.n_runs > 0)]
    if not unreferenced.empty:
        lines += ["", "Ratios left empty where a method was timed but ZEN was not (its cell's status is given; "
                  "`bench run` without `--jobs` times ZEN there):", ""]
        lines += [f"- no ratio over ZEN on {catalog.spec(d).paper or d}: ZEN {_reference_status(board_, d)}"
                  for d in dict.fromkeys(unreferenced.dataset)]
    fastest = fastest_competitor(board_.pivot_table(index=["method", "dataset"], columns="metric", values="mean")
                                 .reindex(columns=list(METRICS)).reset_index())
    if not fastest.empty:
        lines += ["", "Fastest competitor per dataset (selected configuration over ZEN's run):", ""]
        lines += [f"- {r.dataset}: {method_entry(r.method).label}, {r.ratio_one_config:.1f}x" for r in fastest.itertuples()]
    return "\n".join(lines + list(data.suite.notes)) + "\n"


def _number(value: float, digits: int, status: str = "ok") -> str:
    """``1.234``, with ``$^{\\ddagger}$`` on a ``partial-grid`` cell; ``--`` without a value."""
    if not np.isfinite(value):
        return "--"
    return f"{value:.{digits}f}" + (rf"$^{{{tables.CUT_GRID_MARK}}}$" if status == PARTIAL_GRID else "")


def _cut_grid_caption(board_: pd.DataFrame) -> str:
    n_cut = board_[board_.status == PARTIAL_GRID].drop_duplicates(["method", "dataset"]).shape[0]
    if not n_cut:
        return ""
    return (rf" $^{{{tables.CUT_GRID_MARK}}}$ ({n_cut} cell(s)): on some split part of the grid timed out, ran out "
            "of memory or failed; the selected configuration came from the rest and the protocol time leaves the "
            "unfinished configurations out.")


def machine(frame: pd.DataFrame) -> str:
    """The device, platform and torch threads the records were measured with (several if they differ)."""
    if "environment" not in frame or frame.empty:
        return "this machine"
    seen = sorted({f"{e.get('device', 'cpu')} ({e.get('device_name') or e.get('platform', '?')}), "
                   f"{e.get('torch_threads', '?')} torch threads" for e in frame.environment if isinstance(e, dict)})
    return "; ".join(seen) or "this machine"


def budget_and_cost(frame: pd.DataFrame, planned: pd.DataFrame, suite) -> list[str]:
    """Markdown: per dataset the budgets and splits that ran, the seconds they took, the projected cost of the
    paper's full protocol (every full-grid configuration priced from the stored runs x the suite's splits;
    :func:`~hgbench.benchmarks.run.estimate.nearest_seconds`) and the part of it not stored yet.
    """
    ok = frame[frame.status == "ok"].assign(seconds=run_seconds)
    if ok.empty:
        return []
    full_runs = planned.groupby("method").full_grid_size.max().to_dict()
    ratios = width_ratios({key: list(zip(map(json.loads, rows.config), rows.seconds))
                           for key, rows in ok.groupby(["method", "dataset"])})
    full_points = {method: list(rows.config.unique())
                   for method, rows in planned[planned.budget == "full"].groupby("method")}
    lines = ["", "## Budget and cost per dataset", "",
             "Measured: wall seconds of the stored runs (prepare + fit + predict, all executors). Projected full "
             "protocol: every configuration of a method's full grid (18 for trained baselines, epochs as "
             "checkpoints) priced at the mean seconds of its stored runs on the dataset or, where it has none, of "
             f"the stored configurations nearest it, x {suite.seeds} splits, summed over the methods measured, on "
             "this machine with one thread per run. To finish: the same prices for the configurations and splits "
             "without an ok run (`bench run --budget full` on the dataset runs them). A stored run of another "
             "width prices a configuration scaled by the method's cost ratio between the two widths (the median "
             "over the datasets where this suite ran both); both columns are lower bounds where no dataset gives "
             "that ratio or when some of the suite's methods have no ok run there.",
             "", "| dataset | budgets | methods measured | splits per method | runs | measured s | "
             "projected full protocol (h) | to finish (h) |", "|---|---|---|---|---|---|---|---|"]
    total, left, measured = 0.0, 0.0, 0
    for dataset, runs in ok.groupby("dataset", sort=False):
        projected = missing = 0.0
        for method, rows in runs.groupby("method"):
            whole, not_run = _full_grid_seconds(rows, full_points.get(method), full_runs[method], suite.seeds,
                                                ratios.get(method, {}))
            projected, missing = projected + whole, missing + not_run
        splits = runs.groupby("method").seed.nunique()
        lines.append(f"| {dataset} | {', '.join(sorted(set(runs.budget)))} | {len(splits)} of "
                     f"{len(suite.methods)} | {splits.min()}-{splits.max()} | "
                     f"{len(runs)} | {runs.seconds.sum():.0f} | {projected / 3600:.1f} | {_hours(missing)} |")
        total, left, measured = total + projected, left + missing, measured + len(splits)
    cells = ok.dataset.nunique() * len(suite.methods)
    return lines + [f"| all | | {measured} of {cells} | | {len(ok)} | {ok.seconds.sum():.0f} | {total / 3600:.1f} | "
                    f"{_hours(left)} |"]


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f}" if np.isfinite(seconds) else "-"


def _full_grid_seconds(runs: pd.DataFrame, points: list[str] | None, grid_size: int, splits: int,
                       ratios: Ratios) -> tuple[float, float]:
    """Seconds of a method's full grid on ``splits`` splits of a dataset, and of its part without an ok run, from
    its stored ``runs`` there: each of the grid's ``points`` (sorted JSON) priced from the runs nearest it (another
    width scaled by ``ratios``); without the points (the full grid never planned), the runs' mean times the grid's
    size and the missing part unknown."""
    if not points:
        return float(runs.seconds.mean()) * grid_size * splits, np.nan
    stored = [(json.loads(config), seconds) for config, seconds in zip(runs.config, runs.seconds)]
    done = set(zip(runs.config, runs.seed))
    whole = missing = 0.0
    for point in points:
        price = nearest_seconds(json.loads(point), stored, ratios)[0]
        whole += price * splits
        missing += price * sum((point, seed) not in done for seed in range(splits))
    return whole, missing


def full_protocol_coverage(board_: pd.DataFrame, suite) -> list[str]:
    """Markdown: per dataset that ran, the methods whose cell holds every split of the suite, each selected from the
    full grid (the paper's protocol: budget ``full`` alone), what the others hold, and the datasets where every
    method does."""
    cells = board_.drop_duplicates(["method", "dataset"])
    cells = cells[cells.dataset.isin(cells.dataset[cells.n_runs > 0])]
    if cells.empty:
        return []
    cells = cells.assign(full=(cells.budget == "full") & (cells.n_runs >= suite.seeds))
    lines = ["", "## Full protocol coverage", "",
             f"A method covers a dataset when its cell holds all {suite.seeds} splits, each selected from the full "
             "grid (budget `full` alone).", "", "| dataset | methods covering it | the others (splits, budgets) |",
             "|---|---|---|"]
    for dataset, rows in cells.groupby("dataset", sort=False):
        others = ", ".join(f"{r.label} ({f'{r.n_runs}, {r.budget}' if r.n_runs else r.status})"
                           for r in rows[~rows.full].itertuples()) or "-"
        lines.append(f"| {rows.paper_dataset.iloc[0]} | {int(rows.full.sum())} of {len(rows)} | {others} |")
    covered = [rows.paper_dataset.iloc[0] for _, rows in cells.groupby("dataset", sort=False) if rows.full.all()]
    return lines + ["", f"Every method covers {len(covered)} dataset(s): {', '.join(covered) or '-'}."]
