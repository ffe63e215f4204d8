"""``bench report --html``: one self-contained offline page (``<out>/report.html``) of everything a report wrote.

The page is a view of :func:`render.render_all`'s :class:`~.render.Report`: per suite the paper-style table (ours
beside the paper, the significance marks and bold/underline as its ``table.tex``, whose caption it shows), the
sortable wide leaderboard, the suite's figures (TriPrune's dynamics plots among them), the ranks across datasets
(:mod:`.ranks`: Friedman, Nemenyi, critical-difference diagram, bootstrap confidence intervals, from the boards'
means) and links to its files (notes, CSV, LaTeX); then the cross-suite figures, the claims with their verdicts
(filtered by paper and verdict) and the provenance. No record is read. CSS and JavaScript are inline (Jinja2
templates in ``templates/``); the images are the PNGs beside the page, referenced by relative paths, so the page
works offline wherever the output folder is copied.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd
from markdown_it import MarkdownIt
from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

from . import claims
from . import ranks
from . import significance
from . import stats
from . import tables
from .leaderboards import other_splits, ranked
from .render import Report
from ..suites import suite

PAGE = "report.html"


@dataclass(frozen=True)
class Cell:
    """One cell of a paper-style table: our value (or why there is none), its marks, emphasis and the paper's."""

    ours: str
    mark: str
    emphasis: str  # "best", "second" or ""
    paper: str
    status: bool = False  # ``ours`` names a status (pending, O.O.M, ...), not a value


@dataclass(frozen=True)
class Row:
    label: str
    metric: str
    cells: list[Cell]


@dataclass(frozen=True)
class Sortable:
    """A table whose columns the page sorts: ``rows`` of (text, sort key) pairs under ``headers``."""

    headers: list[str]
    rows: list[list[tuple[str, str]]]


@dataclass(frozen=True)
class SuiteView:
    name: str
    description: str
    captions: list[str]
    datasets: list[str]
    several_metrics: bool
    table: list[Row]
    leaderboard: Sortable
    figures: list[str]
    ranks: ranks.Ranks | None
    cd_diagram: str | None
    files: list[str]


# ----------------------------------------------------------------------------- text
def number(value: float) -> str:
    """A value as a table prints it: from 100 on without decimals, below with three significant digits."""
    if value is None or not np.isfinite(value):
        return "–"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:#.3g}".rstrip(".")


def with_std(mean: float, std: float) -> str:
    """``mean ± std``, the std with the mean's decimals (``0.482 ± 0.012``); the mean alone without a std."""
    text = number(mean)
    if not (np.isfinite(mean) and np.isfinite(std)):
        return text
    decimals = len(text.partition(".")[2])
    return f"{text} ± {std:,.{decimals}f}"


def text(value) -> str:
    """A label or name as text: empty where the frame has none (NaN)."""
    return "" if pd.isna(value) else str(value)


@functools.lru_cache(maxsize=1)
def _latex() -> LatexNodes2Text:
    context = get_default_latex_context_db()
    context.add_context_category("hgbench", prepend=True, macros=[
        MacroTextSpec("texttt", simplify_repl="%(1)s"), MacroTextSpec("dagger", simplify_repl="†"),
        MacroTextSpec("ddagger", simplify_repl="‡"), MacroTextSpec(",", simplify_repl="")])
    return LatexNodes2Text(latex_context=context, math_mode="text")


@functools.lru_cache(maxsize=None)  # a table repeats a few marks hundreds of times
def latex_text(latex: str) -> str:
    """LaTeX (a caption, a cell's marks) as plain text: ``$^{\\dagger}$`` becomes ``^†``."""
    return _latex().latex_to_text(latex).replace("\n", "")


def captions(table_tex: Path) -> list[str]:
    """The captions of a suite's ``table.tex`` as text: the table's title, provenance and the marks' meaning."""
    if not table_tex.exists():
        return []
    return [latex_text(c) for c in re.findall(r"\\caption\{(.*)\}", table_tex.read_text())]


_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")


def markdown(text: str) -> str:
    return _MARKDOWN.render(text)


# ----------------------------------------------------------------------------- per suite
def paper_table(board: pd.DataFrame) -> list[Row]:
    """Rows of (method, metric) beside the datasets: ours with the marks of ``table.tex`` (``tables.cell_mark``),
    bold/underline for the best/second of the ranked cells as printed (``stats.best_and_second``) and the paper's
    value where it prints one."""
    board = board.assign(mark=board.mark if "mark" in board else "", untested=significance.untested(board),
                         other_splits=other_splits(board))
    emphasis = pd.Series("", index=board.index)
    for (metric, _), column in board[ranked(board)].groupby(["metric", "dataset"], sort=False):
        higher = stats.HIGHER_IS_BETTER.get(str(metric).lower())
        if higher is not None:
            printed = pd.to_numeric(column["mean"].map(number).str.replace(",", ""))
            emphasis[column.index] = pd.Series(stats.best_and_second(printed, higher))
    datasets = list(dict.fromkeys(board.dataset))
    cells: dict[tuple, dict[str, Cell]] = {}
    for row in board.assign(emphasis=emphasis).itertuples():  # one pass: itertuples costs per call and column
        cells.setdefault((row.method, text(row.label), text(row.metric)), {})[row.dataset] = _cell(row)
    return [Row(label, metric, [found.get(d, Cell("", "", "", "")) for d in datasets])
            for (_, label, metric), found in cells.items()]


def _cell(row) -> Cell:
    paper_mean, paper_std = getattr(row, "paper_mean", np.nan), getattr(row, "paper_std", np.nan)
    paper = with_std(paper_mean, paper_std) if np.isfinite(paper_mean) else ""
    if row.status not in tables.VALUED:
        return Cell(tables.FAILURE_LABELS.get(row.status, row.status), "", "", paper, status=True)
    return Cell(with_std(row.mean, row.std), latex_text(tables.cell_mark(row)), row.emphasis, paper)


def leaderboard(board: pd.DataFrame, wide_csv: Path) -> Sortable:
    """The wide leaderboard the report wrote (``leaderboard_wide.csv``, ``leaderboards.wide``: one row per method
    and metric, a mean per dataset, Avg. Rank)."""
    names = dict(zip(board.dataset, board.paper_dataset))
    table = pd.read_csv(wide_csv, keep_default_na=False, na_values=[""], dtype={"label": str, "metric": str})
    datasets = [c.removesuffix("_mean") for c in table.columns if c.endswith("_mean")]
    several = board.metric.nunique() > 1
    headers = ["method", *(["metric"] if several else []), *(names[d] for d in datasets), "Avg. Rank"]
    rows = []
    for row in table.to_dict("records"):
        label, metric = text(row["label"]), text(row["metric"])
        cells = [(label, label)] + ([(metric, metric)] if several else [])
        for dataset in datasets:
            mean = row[f"{dataset}_mean"]
            cells.append((with_std(mean, row[f"{dataset}_std"]), _key(mean)))
        rows.append(cells + [(number(row["avg_rank"]), _key(row["avg_rank"]))])
    return Sortable(headers, rows)


def _key(value: float) -> str:
    """The sort key of a numeric cell: empty (sorted last) without a value."""
    return repr(float(value)) if np.isfinite(value) else ""


def suite_view(name: str, board: pd.DataFrame, paths: dict[str, Path], out: Path) -> SuiteView:
    folder = paths["latex"].parent
    ranked_ = ranks.cross_dataset(board)
    diagram = ranks.cd_diagram(ranked_, folder / "critical_difference.png") if ranked_ is not None else None
    return SuiteView(
        name, suite(name).description, captions(paths["latex"]), list(dict.fromkeys(board.paper_dataset)),
        board.metric.nunique() > 1, paper_table(board), leaderboard(board, paths["leaderboard_wide"]),
        [_relative(p, out) for p in paths.values() if p.suffix == ".png"], ranked_,
        _relative(diagram, out) if diagram else None,
        sorted(_relative(p, out) for p in paths.values() if p.suffix in (".csv", ".tex", ".md")))


def _relative(path: Path, out: Path) -> str:
    return Path(os.path.relpath(path, out)).as_posix()


# ----------------------------------------------------------------------------- the page
@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(loader=jinja2.PackageLoader("hgbench.benchmarks.report", "templates"),
                                     autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                                     lstrip_blocks=True)
    environment.filters["number"] = number
    return environment


def write(report: Report, out: Path) -> Path:
    """``<out>/report.html`` from what :func:`render.render_all` wrote into ``out``; returns its path."""
    out = Path(out)
    views = [suite_view(name, board, report.suites[name], out) for name, board in report.boards.items()]
    verdicts = report.claims.fillna("")
    counts = verdicts.verdict.value_counts()
    page = _environment().get_template("report.html.j2").render(
        suites=views, skipped=report.skipped,
        figures=[_relative(p, out) for p in report.files.values() if p.suffix == ".png"],
        claims=verdicts.to_dict("records"), papers=list(dict.fromkeys(verdicts.paper)),
        verdicts=[(v, int(counts.get(v, 0))) for v in claims.VERDICTS], rule=markdown(claims.RULE),
        provenance=markdown(report.files["provenance"].read_text()),
        confidence=ranks.CONFIDENCE, resamples=ranks.RESAMPLES)
    path = out / PAGE
    path.write_text(page)
    return path
