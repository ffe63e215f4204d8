"""Render stored records: per suite ``leaderboard.csv``, ``leaderboard_wide.csv``, ``table.tex`` and
``notes.md``; across suites ``leaderboard.csv`` and the claims report (``claims.md``, ``claims.csv``).

Pure function of the store: no run is started, and the same store gives byte-identical files.
:func:`render` is the single entry point per suite. How a suite kind turns its records into a long
leaderboard, a table and notes is a :class:`Layout` registered under the kind; layouts reuse the
shared pieces (``leaderboards``: selection, summaries, wide/global boards; ``tables``: LaTeX cells,
captions, best/second marks; ``significance``: marks against the suite's reference).
"""

from __future__ import annotations

import functools
import gc
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ...datasets import catalog
from ...datasets.splits import protocol_shots
from . import ablation
from . import claims
from . import dataset_stats
from . import figures
from .freshness import planned_suites
from . import multimetric
from . import probes
from . import runtime
from . import significance
from . import tables
from . import triprune_cost
from . import triprune_significance
from . import triprune_dynamics
from . import triprune_tables_7_8_10 as triprune_t7_t8_t10
from . import weights
from . import zen_tables_2_8
from .leaderboards import cells, combined, complete_grids, cut_grids, largest_budget_per_split, leaderboard, \
    long_frame, other_splits, planned_frame, records_frame, select_on_validation, wide, write_csv
from ..run.registry import method_entry
from ..run.store import VERIFY_FILE, Store
from ..suites import ACCURACY_AND_TIME, SHOT_SERIES, Suite, suite, suite_names

STD_CONVENTION = "population std over splits (ddof=0, as numpy.std in ZEN's official code)"


@contextmanager
def _collector_paused():
    """Bulk-loading records (acyclic JSON trees): the cyclic garbage collector only costs time (~20%) here."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass(frozen=True)
class SuiteData:
    """A suite with the frame of its stored records (``records_from`` when it renders another suite's runs)
    and of its plan (the jobs ``bench run`` planned for it, run or not).

    The raw records are not kept (a paper-sized suite holds ~10^4 of them); a layout that needs them (e.g.
    stored diagnostics) reads them again from ``store``.
    """

    suite: Suite
    store: Store
    frame: pd.DataFrame
    planned: pd.DataFrame  # the plan's entries (``leaderboards.planned_frame``)
    incomplete: pd.DataFrame  # splits left out because their grid is cut (``complete_grids``)
    _selected: dict[str, pd.DataFrame] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def load(cls, store: Store, chosen: Suite) -> "SuiteData":
        source = chosen.records_from or chosen.name
        with _collector_paused():
            planned = planned_frame(store.plan(source))
            complete, incomplete = complete_grids(records_frame(store.records(source)), planned)
            return cls(chosen, store, largest_budget_per_split(complete), planned, incomplete)

    def selected(self, metric: str = "accuracy") -> pd.DataFrame:
        """``select_on_validation`` of the frame, computed once per metric (board and notes both read it)."""
        if metric not in self._selected:
            self._selected[metric] = select_on_validation(self.frame, metric)
        return self._selected[metric]

    def provenance(self) -> str:
        """Caption sentence: suite, budgets, seeds, code versions and the std convention."""
        budgets = ", ".join(sorted(set(self.frame.budget))) or "-"
        versions = ", ".join(sorted(set(self.frame.code_version))) or "-"
        tuned = sorted(set(self.frame.tuned_on.dropna())) if "tuned_on" in self.frame else []
        tuning = (f" (configurations selected on {', '.join(catalog.spec(d).paper or d for d in tuned)}'s validation "
                  "splits and reused on the other datasets)") if tuned else ""
        return (f"Reproduced by hgbench suite \\texttt{{{tables.latex_escape(self.suite.name)}}}, budget {budgets}"
                f"{tuning}, {self.splits()}, code {tables.latex_escape(versions)}; std over splits with ddof=0.")

    def splits(self) -> str:
        """``10 splits`` or, when cells have different numbers of ok splits, ``3-10 splits per cell``."""
        ok = self.frame[self.frame.status == "ok"]
        counts = ok.groupby(["method", "dataset"]).seed.nunique()
        if counts.empty or counts.min() == counts.max():
            return f"{counts.max() if not counts.empty else self.suite.seeds} splits"
        return f"{counts.min()}-{counts.max()} splits per cell (n\\_runs in leaderboard.csv)"


@dataclass(frozen=True)
class Layout:
    """How one suite kind renders: the long leaderboard, its LaTeX table and its notes."""

    board: Callable[[SuiteData], pd.DataFrame]
    latex: Callable[[pd.DataFrame, SuiteData], str]
    notes: Callable[[pd.DataFrame, SuiteData], str]
    figures: Callable[[pd.DataFrame, SuiteData, Path], dict[str, Path]] | None = None  # PNGs beside the table
    metrics: Callable[[Suite], tuple[str, ...]] = lambda chosen: ()  # the metrics its board carries
    labels: Callable[[Suite], tuple[str, ...]] | None = None  # its board's row labels, when not the methods' own


def board_metrics(chosen: Suite) -> tuple[str, ...]:
    """The metrics of a suite's leaderboard (what a claim check may name), without rendering it."""
    return LAYOUTS[chosen.kind].metrics(chosen)


def board_labels(chosen: Suite) -> tuple[str, ...]:
    """The row labels of a suite's leaderboard (what a claim check may name as a method), without rendering it:
    each method's label in this table (``Suite.row_label``), unless the layout labels its rows otherwise."""
    layout = LAYOUTS.get(chosen.kind)
    if layout is not None and layout.labels is not None:
        return layout.labels(chosen)
    return tuple(chosen.row_label(m) or method_entry(m).label for m in chosen.methods)


LAYOUTS: dict[str, Layout] = {}


def register_layout(kind: str, layout: Layout) -> None:
    LAYOUTS[kind] = layout


# ----------------------------------------------------------------------------- the score layout
def score_metric(chosen: Suite) -> str:
    return chosen.table.metric if chosen.table else "accuracy"


def scores_board(data: SuiteData) -> pd.DataFrame:
    """Test metric of the configuration selected on validation, per (method, dataset), with marks."""
    chosen = data.suite
    metric = score_metric(chosen)
    long = long_frame(data.selected(metric), chosen, metric)
    board = leaderboard(cells(data.frame, long, chosen), chosen, metric)
    return significance.attach(board, significance.compare(long, chosen, metric))


def scores_latex(board: pd.DataFrame, data: SuiteData) -> str:
    return tables.scores_table(board, data.suite, data.provenance())


def two_std_summary(board: pd.DataFrame) -> list[str]:
    """Per method: on how many datasets with a paper value and a result ours is within 2 paper std."""
    lines = ["", "## Within two paper standard deviations, per method", "",
             "| method | within 2 std | datasets outside | datasets with a paper value but no result here |",
             "|---|---|---|---|"]
    for label, rows in board.groupby("label", sort=False):
        has_paper = rows[np.isfinite(rows.paper_mean) & np.isfinite(rows.paper_std)]
        compared = has_paper[np.isfinite(has_paper["mean"])]
        inside = (compared["mean"] - compared.paper_mean).abs() <= 2 * compared.paper_std
        outside = ", ".join(compared.paper_dataset[~inside]) or "-"
        missing = ", ".join(f"{r.paper_dataset} ({r.status})" for r in has_paper.itertuples()
                            if not np.isfinite(r.mean)) or "-"
        lines.append(f"| {label} | {int(inside.sum())} of {len(compared)} | {outside} | {missing} |")
    return lines


def saturation_summary(selected: pd.DataFrame) -> list[str]:
    """Per dataset: how many selected runs score 100% validation accuracy (selection then rests on ties)."""
    if selected.empty or selected.val_accuracy.isna().all():
        return []
    saturated = (selected.val_accuracy == 1.0).groupby(selected.dataset)
    lines = ["", "## Saturated validation", "",
             "Selected runs (method x split) whose validation accuracy is 100%: there, every later epoch or "
             "configuration that also scores 100% ties, and the tie rule (the first maximum, methods/trainer.py) "
             "decides what is reported.", "", "| dataset | selected runs at 100% validation accuracy |", "|---|---|"]
    lines += [f"| {catalog.spec(d).paper or d} | {int(hits.sum())} of {len(hits)} |" for d, hits in saturated]
    return lines


def scores_notes(board: pd.DataFrame, data: SuiteData) -> str:
    chosen, frame = data.suite, data.frame
    lines = [f"# {chosen.name}: notes", "", chosen.description, "",
             f"Protocol: {chosen.protocol}, {chosen.seeds} splits (split i uses seed i). "
             f"Reported: mean and {STD_CONVENTION} of the test metric of the configuration selected on "
             "validation per split.", ""]
    if chosen.table is not None:
        lines += ["Verdict rule: reproduced when |ours - paper| <= max(paper std, 2 points); the last but one "
                  "column applies the looser |ours - paper| <= 2 paper std.", ""]
    lines += ["| method | dataset | ours | paper | within tolerance | within 2 std | status | runs | budget | "
              "fit+predict s/run |", "|---|---|---|---|---|---|---|---|---|---|"]
    ok = frame[frame.status == "ok"]
    seconds = (ok.fit_seconds + ok.predict_seconds).groupby([ok.method, ok.dataset]).mean()
    for row in board.itertuples():
        ours = f"{row.mean:.1f} ± {row.std:.1f}" if np.isfinite(row.mean) else "-"
        paper = f"{row.paper_mean:.1f} ± {row.paper_std:.1f}" if np.isfinite(row.paper_mean) else "-"
        two_std = ("yes" if abs(row.mean - row.paper_mean) <= 2 * row.paper_std else "no") \
            if np.isfinite(row.mean) and np.isfinite(row.paper_std) else "-"
        cost = seconds.get((row.method, row.dataset), np.nan)
        lines.append(f"| {row.label} | {row.paper_dataset} | {ours} | {paper} | {row.within_tolerance or '-'} | "
                     f"{two_std} | {row.status} | {row.n_runs} | {row.budget} | "
                     f"{f'{cost:.4f}' if np.isfinite(cost) else '-'} |")
    if chosen.table is not None:
        lines += two_std_summary(board)
    lines += saturation_summary(data.selected())
    if chosen.reference is not None:
        lines += significance.notes(board, method_entry(chosen.reference).label, chosen.correction)
    lines += runtime.budget_and_cost(frame, data.planned, chosen)
    if not data.planned.empty and (data.planned.full_grid_size > 1).any():  # a suite with tuning grids
        lines += runtime.full_protocol_coverage(board, chosen)
    return "\n".join(lines + not_run(data) + list(chosen.notes)) + "\n"


def not_run(data: SuiteData) -> list[str]:
    """Markdown sections on datasets that cannot run here and on failed runs."""
    lines = []
    unavailable = {d: catalog.unavailable_reason(d) for d in data.suite.datasets if catalog.unavailable_reason(d)}
    if unavailable:
        lines += ["", "## Datasets not run", ""] + [f"- {d}: {reason}" for d, reason in unavailable.items()]
    if not data.incomplete.empty:
        lines += ["", "## Splits left out: incomplete grid", "",
                  "These splits hold only part of their method's grid under the budget named (an interrupted run). "
                  "No configuration is selected from a cut grid: the split is reported under a smaller budget whose "
                  "grid it holds entirely, if any, and otherwise counts nowhere until `bench run` completes it.", ""]
        lines += [f"- {r.method} on {r.dataset}, seed {r.seed}, budget {r.budget}: {r.n_configs} of {r.n_grid} "
                  "configurations" for r in data.incomplete.itertuples()]
    cut = cut_grids(data.frame)
    if not cut.empty:
        lines += ["", "## Cells selected from part of their grid (partial-grid)", "",
                  "On these splits some configurations of the grid did not finish, so the configuration was "
                  "selected among the others only. Their cells are marked (status `partial-grid`, $^{\\ddagger}$ "
                  "in the table), never bold or underlined, and their datasets are left out of Avg. Rank and of the "
                  "rank-based claims, until a rerun (`bench run --retry timeout` with a larger `--time-limit`) "
                  "completes them.", ""]
        lines += [f"- {r.method} on {r.dataset}, seed {r.seed}: {r.n_ok} of {r.n_configs} configurations ok "
                  f"(the others: {r.failures})" for r in cut.itertuples()]
    failed = data.frame[data.frame.status != "ok"]
    if not failed.empty:
        lines += ["", "## Failed runs", ""]
        counts = failed.groupby(["method", "dataset", "seed", "status", "reason"], sort=True, dropna=False).size()
        for (method, dataset, seed, status, reason), n in counts.items():
            lines.append(f"- {method} on {dataset}, seed {seed}: {status} ({reason})"
                         + (f", {n} configurations" if n > 1 else ""))
    if triprune_cost.FULL in data.suite.methods:
        lines += triprune_cost.cost_section(data)
    return lines


def _with_not_run(notes: Callable[[pd.DataFrame, SuiteData], str]) -> Callable[[pd.DataFrame, SuiteData], str]:
    """A layout's notes followed by :func:`not_run`'s sections."""
    return lambda board, data: notes(board, data).rstrip("\n") + "\n" + "\n".join(not_run(data)) + "\n"


register_layout("accuracy", Layout(
    scores_board, scores_latex, scores_notes,
    lambda board, data, folder: {"scores": p} if (p := figures.scores_bars(board, folder / "scores.png")) else {},
    metrics=lambda chosen: (score_metric(chosen),)))
register_layout("runtime", Layout(runtime.board, runtime.latex, runtime.notes, metrics=lambda chosen: runtime.METRICS))
register_layout("weights", Layout(weights.board, weights.latex, weights.notes, weights.figures))
# ZEN Table 2 (dataset statistics, measured when rendering) and Table 8 (the TCS error, from zen-tcs-error runs)
register_layout("dataset-stats", Layout(
    zen_tables_2_8.stats_board, zen_tables_2_8.stats_latex, zen_tables_2_8.stats_notes,
    metrics=lambda chosen: zen_tables_2_8.METRICS, labels=lambda chosen: ()))
register_layout("tcs-error", Layout(zen_tables_2_8.tcs_board, zen_tables_2_8.tcs_latex,
                                    _with_not_run(zen_tables_2_8.tcs_notes), metrics=zen_tables_2_8.tcs_metrics))
# TriPrune Table 2, with the full model's dynamics rows (dyn_*) for the figure claims, and Figures 2-5 and 8
register_layout("multimetric", Layout(
    triprune_dynamics.main_board, triprune_dynamics.main_latex,
    lambda board, data: triprune_dynamics.main_notes(board, data, not_run(data)), triprune_dynamics.main_figures,
    metrics=triprune_dynamics.main_metrics))
register_layout("triprune-transfer", Layout(
    triprune_t7_t8_t10.transfer_board, triprune_t7_t8_t10.transfer_latex,
    _with_not_run(triprune_t7_t8_t10.transfer_notes),
    metrics=lambda chosen: ("mae", "delta_pct")))
register_layout("triprune-efficiency", Layout(
    triprune_t7_t8_t10.efficiency_board, triprune_t7_t8_t10.efficiency_latex,
    _with_not_run(triprune_t7_t8_t10.efficiency_notes),
    metrics=lambda chosen: triprune_t7_t8_t10.EFFICIENCY + triprune_t7_t8_t10.TRAINING))
register_layout("triprune-meta-gradient", Layout(
    triprune_t7_t8_t10.meta_gradient_board, triprune_t7_t8_t10.meta_gradient_latex,
    _with_not_run(triprune_t7_t8_t10.meta_gradient_notes), metrics=lambda chosen: triprune_t7_t8_t10.META_GRADIENT))
register_layout("triprune-schedules", Layout(
    triprune_dynamics.schedules_board, triprune_dynamics.schedules_latex,
    _with_not_run(triprune_dynamics.schedules_notes),
    triprune_dynamics.schedules_figures, metrics=lambda chosen: ("mae",)))
register_layout("triprune-ablation", Layout(
    ablation.ablation_board, ablation.ablation_latex,
    lambda board, data: ablation.ablation_notes(board, data, not_run(data)),
    metrics=lambda chosen: tuple(column.metric for column in multimetric.SCORES + multimetric.VALIDATION)))
register_layout("triprune-significance", Layout(
    triprune_significance.board, triprune_significance.latex,
    lambda board, data: triprune_significance.notes(board, data, not_run(data)), metrics=lambda chosen: ("mae",)))
register_layout("triprune-architecture", Layout(
    ablation.architecture_board, ablation.architecture_latex,
    lambda board, data: ablation.architecture_notes(board, data, not_run(data)),
    metrics=lambda chosen: ablation.ARCHITECTURE_METRICS, labels=ablation.architecture_labels))
register_layout("triprune-sensitivity", Layout(
    ablation.sensitivity_board, ablation.sensitivity_latex,
    lambda board, data: ablation.sensitivity_notes(board, data, not_run(data)),
    metrics=lambda chosen: ("mae",), labels=ablation.sensitivity_labels))


# ----------------------------------------------------------------------------- entry points
def render(store: Store, chosen: Suite, out: Path) -> dict[str, Path]:
    """Write ``<out>/<suite>/{leaderboard.csv, leaderboard_wide.csv, table.tex, notes.md}`` from the store."""
    paths, board = _render(store, Path(out), chosen)
    probe_suites = {c.probe_suite for c in chosen.comparisons} & set(store.plans())
    others = {name: LAYOUTS[suite(name).kind].board(SuiteData.load(store, suite(name))) for name in probe_suites}
    _append_probes(chosen, paths["notes"], {chosen.name: board} | others)
    return paths


def _append_probes(chosen: Suite, notes: Path, boards: dict[str, pd.DataFrame]) -> None:
    """The suite's probes beside their baselines (``probes.section``), after its notes."""
    lines = probes.section(chosen, boards)
    if lines:
        with notes.open("a") as handle:
            handle.write("\n".join(lines) + "\n")


def _render(store: Store, out: Path, chosen: Suite) -> tuple[dict[str, Path], pd.DataFrame]:
    if chosen.kind not in LAYOUTS:
        raise KeyError(f"suite {chosen.name!r}: no layout for kind {chosen.kind!r}; known: {', '.join(LAYOUTS)}")
    layout = LAYOUTS[chosen.kind]
    data = SuiteData.load(store, chosen)
    board = layout.board(data)
    folder = out / chosen.name
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"leaderboard": folder / "leaderboard.csv", "leaderboard_wide": folder / "leaderboard_wide.csv",
             "latex": folder / "table.tex", "notes": folder / "notes.md"}
    write_csv(board, paths["leaderboard"])
    write_csv(wide(board), paths["leaderboard_wide"])
    paths["latex"].write_text(layout.latex(board, data))
    paths["notes"].write_text(layout.notes(board, data))
    if layout.figures is not None:
        paths |= layout.figures(board, data, folder)
    return paths, board


def _render_unless_kept(store: Store, out: Path, kept: dict[str, dict[str, Path]],
                        chosen: Suite) -> tuple[dict[str, Path], pd.DataFrame]:
    """``_render``, or for a suite in ``kept`` only its board, with the paths its files already have."""
    if chosen.name in kept:
        return kept[chosen.name], LAYOUTS[chosen.kind].board(SuiteData.load(store, chosen))
    return _render(store, out, chosen)


@dataclass(frozen=True)
class Report:
    """What :func:`render_all` wrote, the boards it computed and the claims' verdicts."""

    suites: dict[str, dict[str, Path]]
    boards: dict[str, pd.DataFrame]
    skipped: dict[str, str]
    claims: pd.DataFrame
    files: dict[str, Path]


def renderable(store: Store) -> tuple[list[Suite], dict[str, str]]:
    """Registered suites whose plans are in the store (registration order), and what is skipped and why."""
    found = planned_suites(store)
    skipped = {name: "not a registered suite" for name in sorted(set(store.plans()) - set(suite_names()))}
    skipped |= {s.name: f"no layout for suite kind {s.kind!r} yet" for s in found if s.kind not in LAYOUTS}
    return [s for s in found if s.kind in LAYOUTS], skipped


def render_all(store: Store, out: Path, kept: dict[str, dict[str, Path]] | None = None) -> Report:
    """Every suite in the store, the global ``<out>/leaderboard.csv`` and ``<out>/claims.{md,csv}``.

    ``kept``: suites whose files in ``out`` are up to date (``freshness.check``), with their paths; their
    boards are computed (the cross-suite files read them) and their files left as they are."""
    out = Path(out)
    kept = kept or {}
    chosen, skipped = renderable(store)
    # the dataset statistics (data, not runs: the claims and Table 2's layout read them), loaded here, before the
    # forked workers, which inherit them: there torch's thread pool inherited from a parent that already used it
    # can deadlock
    statistics = dataset_stats.board()
    if any(s.kind == "dataset-stats" for s in chosen):
        dataset_stats.table2_board()
    rendered = _map(functools.partial(_render_unless_kept, store, out, kept), chosen)
    boards = {s.name: board for s, (_, board) in zip(chosen, rendered)}
    for s, (paths, _) in zip(chosen, rendered):
        if s.name not in kept:
            _append_probes(s, paths["notes"], boards)
    out.mkdir(parents=True, exist_ok=True)
    files = {"leaderboard": out / "leaderboard.csv"}
    write_csv(combined(boards), files["leaderboard"])
    files |= plots(boards, out / "figures")
    files["provenance"] = out / "provenance.md"
    files["provenance"].write_text(provenance(boards) + verifications(out / VERIFY_FILE))
    verdicts = claims.evaluate(boards | {dataset_stats.SUITE: statistics})
    files |= claims.write(verdicts, out)
    return Report({s.name: paths for s, (paths, _) in zip(chosen, rendered)}, boards, skipped, verdicts, files)


def provenance(boards: dict[str, pd.DataFrame]) -> str:
    """What the store holds per suite and dataset: budgets, splits behind the means, cell statuses."""
    lines = ["# What the store holds", "", "Generated by `bench report` from the leaderboards: per suite and dataset, "
             "the budgets of its runs, the range of splits behind each method's mean (n_runs) and the status of "
             "the method cells.", "", "| suite | dataset | budgets in the suite | splits per method | cells |",
             "|---|---|---|---|---|"]
    for name, board in boards.items():
        for dataset, cells_ in board.drop_duplicates(["method", "dataset"]).groupby("dataset", sort=False):
            ran = cells_[cells_.n_runs > 0]
            splits = f"{ran.n_runs.min()}-{ran.n_runs.max()}" if not ran.empty else "-"
            statuses = ", ".join(f"{n} {status}" for status, n in cells_.status.value_counts().sort_index().items())
            budgets = sorted({b for cell in cells_.budget for b in cell.split(",") if b != "-"}) or ["-"]
            lines.append(f"| {name} | {dataset} | {', '.join(budgets)} | {splits} | {statuses} |")
    return "\n".join(lines) + "\n"


def verifications(path: Path) -> str:
    """Markdown: per method and dataset, the stored runs ``bench verify`` reran (``path``: its verify.csv),
    how many kept every metric, how many changed, how many reruns replaced their record; "" without reruns."""
    if not path.exists():
        return ""
    rows = pd.read_csv(path)
    if rows.empty:
        return ""
    lines = ["", "# Stored runs rerun with later code (`bench verify`)", "",
             f"From `{path.name}`: each row a rerun of a stored run (same job, same stored split) compared metric by "
             "metric with its record; a replaced record holds the rerun since. Code versions are the commits "
             "the reruns ran (`current_code`). Other CPU: reruns whose CPU (vendor, model, vector instructions) is "
             "not the one their record names, or whose record names none (written before runs recorded it); "
             "there float rounding differs and training amplifies it, so a change there does not by itself "
             "point at the code. Largest difference: over every metric of every rerun (accuracy in %).", "",
             "| method | dataset | reruns | same metrics | changed | other CPU | largest difference | replaced | "
             "code | last rerun |", "|---|---|---|---|---|---|---|---|---|---|"]
    for column in ("stored_cpu", "current_cpu"):  # rows of an earlier verify.csv have neither
        rows[column] = rows[column].fillna("unknown") if column in rows else "unknown"
    for (method, dataset), runs in rows.groupby(["method", "dataset"], sort=True):
        same = int(runs.same.astype(str).eq("True").sum())
        replaced = int(runs.replaced.astype(str).eq("True").sum())
        other_cpu = int(((runs.stored_cpu != runs.current_cpu) | runs.stored_cpu.eq("unknown")).sum())
        codes = ", ".join(sorted(set(runs.current_code.astype(str))))
        lines.append(f"| {method} | {dataset} | {len(runs)} | {same} | {len(runs) - same} | {other_cpu} | "
                     f"{runs.max_abs_diff.max():.3g} | {replaced} | {codes} | {runs.verified_at.max()} |")
    return "\n".join(lines) + "\n"


def plots(boards: dict[str, pd.DataFrame], folder: Path) -> dict[str, Path]:
    """Accuracy against shots (SHOT_SERIES) and against run time (ACCURACY_AND_TIME), and TriPrune's MAE against
    inference cost (Table 2), where rendered."""
    folder.mkdir(parents=True, exist_ok=True)
    drawn = {"accuracy_vs_shots": figures.accuracy_vs_shots(
        {protocol_shots(suite(name).protocol): boards[name] for name in SHOT_SERIES if name in boards},
        folder / "accuracy_vs_shots.png")}
    scores, times = ACCURACY_AND_TIME
    if scores in boards and times in boards:
        costs = boards[times].pivot_table(index=["method", "dataset"], columns="metric", values="mean")
        costs = costs.reindex(columns=list(runtime.METRICS)).reset_index()  # no timed cell at all: NaN columns
        drawn["accuracy_vs_time"] = figures.accuracy_vs_time(boards[scores], costs, folder / "accuracy_vs_time.png")
    if "triprune-main" in boards:  # TriPrune's accuracy-efficiency trade-off over Table 2's rows
        drawn["triprune_mae_vs_cost"] = figures.mae_vs_cost(boards["triprune-main"],
                                                            folder / "triprune_mae_vs_cost.png")
    return {name: path for name, path in drawn.items() if path is not None}


def _map(function: Callable, items: list) -> list:
    """``function`` over ``items`` in order; in forked worker processes when there are several cores."""
    workers = min(len(items), os.cpu_count() or 1)
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [function(item) for item in items]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"), initializer=_forked) as pool:
        return list(pool.map(function, items))


def _forked() -> None:
    """Set-up of a forked worker of :func:`_map`. The inherited heap is frozen (never collected again: statsmodels'
    Holm calls gc.collect). Torch runs single-threaded there: libgomp's thread pool does not survive a fork, so a
    parallel kernel in a child whose parent had run one waits forever (`bench report` hung in a worker running a
    torch reduction, with the parent at 2 threads); the workers are the parallelism."""
    gc.freeze()
    torch = sys.modules.get("torch")  # imported only where the parent had it: the report itself needs no torch
    if torch is not None:
        torch.set_num_threads(1)


# ----------------------------------------------------------------------------- Markdown summary
def markdown(report: Report) -> str:
    """Per suite a methods x datasets table of our means (with marks and non-ok statuses), then the claims."""
    lines = ["# hgbench report", ""]
    for name, board in report.boards.items():
        lines += [f"## {name}", "", suite(name).description, ""] + _summary_table(board) + [""]
    lines += [f"- {name}: skipped, {reason}" for name, reason in report.skipped.items()]
    counts = report.claims.verdict.value_counts()
    lines += ["", "## Claims", "", ", ".join(f"{counts.get(v, 0)} {v}" for v in claims.VERDICTS)
              + f" (of {len(report.claims)}; claims.md)"]
    return "\n".join(lines) + "\n"


def _summary_table(board: pd.DataFrame) -> list[str]:
    datasets = list(dict.fromkeys(board.paper_dataset))
    lines = ["| method | " + " | ".join(datasets) + " |", "|---" * (len(datasets) + 1) + "|"]
    several = board.metric.nunique() > 1
    board = board.assign(other_splits=other_splits(board))
    for (_, metric), runs in board.groupby(["method", "metric"], sort=False):
        shown = {row.paper_dataset: _summary_cell(row) for row in runs.itertuples()}
        name = f"{runs.label.iloc[0]} ({metric})" if several else runs.label.iloc[0]
        lines.append(f"| {name} | " + " | ".join(shown.get(d, "") for d in datasets) + " |")
    statuses = board.status.value_counts().sort_index()
    lines += ["", "cells: " + ", ".join(f"{n} {status}" for status, n in statuses.items())]
    if board.other_splits.any():
        lines += ["", "[n=k]: a mean over k splits, not the commonest number of splits in its column; comparing "
                  "it with the column compares means over different splits."]
    return lines


def _summary_cell(row) -> str:
    """``48.3\\*\\*`` (escaped marks), ``[n=3]`` where the mean is over another number of splits than the
    column's usual one, with the status when it is not ok (``n/a``, ``pending``, ``O.O.M``...)."""
    mark = getattr(row, "mark", "")
    value = f"{row.mean:.3g}" + (mark.replace("*", "\\*") if isinstance(mark, str) else "")
    value += f" [n={row.n_runs}]" if row.other_splits else ""
    status = tables.FAILURE_LABELS.get(row.status, row.status)
    return value if row.status == "ok" else f"{value if np.isfinite(row.mean) else ''} ({status})".lstrip()
