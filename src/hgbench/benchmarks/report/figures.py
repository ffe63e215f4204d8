"""Cross-suite plots: accuracy against shots (ZEN Tables 3, 9, 10) and accuracy against run time.

Inputs are leaderboards the report already computed (``method, label, dataset, mean, std``), so a
plot never recomputes a number; a method/dataset without a value is left out of the plot.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import NullFormatter  # noqa: E402


def _colors(labels) -> dict[str, tuple]:
    """One colour per method label, the same in every panel."""
    names = sorted(set(labels))
    palette = plt.get_cmap("tab10" if len(names) <= 10 else "tab20").colors
    return {label: palette[i % len(palette)] for i, label in enumerate(names)}


def _panels(datasets: list[str]):
    columns = min(4, len(datasets))
    rows = math.ceil(len(datasets) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 2.6 * rows), squeeze=False)
    for ax in list(axes.flat)[len(datasets):]:
        ax.axis("off")
    return fig, list(zip(axes.flat, datasets))


def save_png(fig, path: Path, dpi: int) -> Path:
    """Write a figure already laid out (``tight_layout``) as a PNG without a timestamp, and close it.

    ``tight_layout`` leaves a placeholder layout engine on the figure, and with any engine ``savefig`` first
    draws the whole figure without rendering it (``FigureCanvasBase.print_figure``, for constrained layout)
    and then again into the file. The layout being final, the engine is dropped: one draw instead of two.
    """
    fig.set_layout_engine(None)
    fig.savefig(path, dpi=dpi, metadata={"Software": None})
    plt.close(fig)
    return path


def tight_layout_above(fig, bottom: float) -> None:
    """``fig.tight_layout(rect=(0, bottom, 1, 1))`` (the panels above a strip of height ``bottom``, in figure
    fractions, for the legend) with one measuring pass instead of two.

    With a ``rect``, matplotlib measures every panel's decorations twice (``_tight_layout.get_tight_layout_figure``)
    although nothing moved in between: the second pass keeps the first one's left, right and top margins and
    ``wspace``, raises the bottom margin by ``bottom`` and keeps the gap between rows (``hspace`` is relative to
    the shorter panels). Measuring is most of a figure's cost; this applies that second step to the first pass.
    """
    fig.tight_layout()
    params = fig.subplotpars
    rows = fig.axes[0].get_subplotspec().get_gridspec().nrows
    raised = params.bottom + bottom
    if rows == 1:
        fig.subplots_adjust(bottom=raised)
        return
    # the gap between two rows in figure fractions: hspace = gap / panel height
    gap = params.hspace * (params.top - params.bottom) / (rows + params.hspace * (rows - 1))
    fig.subplots_adjust(bottom=raised, hspace=gap * rows / (params.top - raised - gap * (rows - 1)))


def _save(fig, panels, path: Path) -> Path:
    legend = {}
    for ax, _ in panels:
        legend.update(zip(*reversed(ax.get_legend_handles_labels())))
    labels = sorted(legend)
    handles = [legend[label] for label in labels]
    columns = min(5, len(labels)) or 1
    if labels:
        fig.legend(handles, labels, loc="lower center", ncol=columns, fontsize=7, frameon=False)
    legend_rows = math.ceil(len(labels) / columns)
    tight_layout_above(fig, min(0.4, 0.02 + 0.2 * legend_rows / fig.get_size_inches()[1]))
    return save_png(fig, path, dpi=150)


def _title(board: pd.DataFrame, dataset: str) -> str:
    """The dataset's name as the paper prints it (leaderboard column ``paper_dataset``)."""
    return board.paper_dataset[board.dataset == dataset].iloc[0]


def accuracy_vs_shots(boards: dict[int, pd.DataFrame], path: Path) -> Path | None:
    """One panel per dataset: mean accuracy (± std) of each method against the shots per class; none until two
    shot settings have a value (one setting would plot no curve)."""
    frames = [board.assign(shots=shots) for shots, board in sorted(boards.items()) if not board.empty]
    data = pd.concat(frames) if frames else pd.DataFrame(columns=["mean", "shots"])
    data = data[data["mean"].notna()]
    if data.shots.nunique() < 2:
        return None
    fig, panels = _panels(list(dict.fromkeys(data.dataset)))
    colors = _colors(data.label)
    for ax, dataset in panels:
        for label, curve in data[data.dataset == dataset].groupby("label", sort=True):
            curve = curve.sort_values("shots")
            ax.errorbar(curve.shots, curve["mean"], yerr=curve["std"], marker="o", markersize=3, capsize=2,
                        linewidth=1, label=label, color=colors[label])
        ax.set_title(_title(data, dataset), fontsize=9)
        ax.set_xticks(sorted(boards))
        ax.set_xlabel("shots per class", fontsize=8)
        ax.set_ylabel("test accuracy (%)", fontsize=8)
    return _save(fig, panels, path)


def accuracy_vs_time(board: pd.DataFrame, costs: pd.DataFrame, path: Path, cost: str = "one_config") -> Path | None:
    """One panel per dataset: mean accuracy against mean seconds (log scale) of each method; none until a dataset
    has two methods with both (a single method shows no trade-off)."""
    data = board.merge(costs[["method", "dataset", cost]], on=["method", "dataset"])
    data = data[data["mean"].notna() & data[cost].notna()]
    if data.empty or data.groupby("dataset").method.nunique().max() < 2:
        return None
    fig, panels = _panels(list(dict.fromkeys(data.dataset)))
    colors = _colors(data.label)
    for ax, dataset in panels:
        for point in data[data.dataset == dataset].sort_values("label").itertuples():
            ax.scatter(getattr(point, cost), point.mean, s=14, label=point.label, color=colors[point.label])
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())  # minor labels collide on spans under a decade
        ax.set_title(_title(data, dataset), fontsize=9)
        ax.set_xlabel(f"seconds ({cost.replace('_', ' ')})", fontsize=8)
        ax.set_ylabel("test accuracy (%)", fontsize=8)
    return _save(fig, panels, path)


# the board's units (multimetric.EFFICIENCY)
TRADEOFF_COSTS = (("inference_seconds", "inference (ms, one forward)"), ("inference_peak_mb", "inference peak (MiB)"))


def mae_vs_cost(board: pd.DataFrame, path: Path) -> Path | None:
    """TriPrune's Table 2 trade-off: per dataset, each row's mean test MAE against the inference seconds (top)
    and the inference peak memory (bottom) of its deployed model, both axes from the Table 2 board."""
    cells = board[board.dataset != "average"].pivot_table(index=["label", "dataset"], columns="metric",
                                                          values="mean").reset_index()
    needed = ["mae", *(cost for cost, _ in TRADEOFF_COSTS)]
    if not set(needed) <= set(cells.columns):
        return None
    cells = cells.dropna(subset=needed)
    if cells.empty:
        return None
    datasets = [d for d in dict.fromkeys(board.dataset) if d in set(cells.dataset)]
    fig, axes = plt.subplots(2, len(datasets), figsize=(3.0 * len(datasets), 5.2), squeeze=False)
    colors = _colors(cells.label)
    for column, dataset in enumerate(datasets):
        for row, (cost, name) in enumerate(TRADEOFF_COSTS):
            ax = axes[row][column]
            for point in cells[cells.dataset == dataset].sort_values("label").itertuples():
                ax.scatter(getattr(point, cost), point.mae, s=14, label=point.label, color=colors[point.label])
            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(NullFormatter())
            ax.set_xlabel(name, fontsize=8)
            ax.set_ylabel("test MAE", fontsize=8)
            if row == 0:
                ax.set_title(_title(board, dataset), fontsize=9)
    return _save(fig, [(ax, None) for ax in axes.flat], path)


def scores_bars(board: pd.DataFrame, path: Path) -> Path | None:
    """One panel per dataset: each method's mean test score (± std over splits) as a horizontal bar, with the
    paper's mean as a tick where it prints one (an accuracy suite's board)."""
    data = board[board["mean"].notna()]
    if data.empty:
        return None
    fig, panels = _panels(list(dict.fromkeys(data.dataset)))
    colors = _colors(data.label)
    for ax, dataset in panels:
        rows = data[data.dataset == dataset].reset_index(drop=True)
        ax.barh(rows.index, rows["mean"], xerr=rows["std"], color=[colors[label] for label in rows.label],
                capsize=2, label=None)
        paper = rows["paper_mean"] if "paper_mean" in rows else pd.Series(dtype=float)
        if paper.notna().any():
            ax.scatter(paper, rows.index, marker="|", s=120, color="black", label="paper", zorder=3)
        ax.set_yticks(rows.index, rows.label, fontsize=7)
        ax.set_title(_title(data, dataset), fontsize=9)
        ax.set_xlabel(f"test {rows.metric.iloc[0]}" + (" (%)" if rows.metric.iloc[0] == "accuracy" else ""),
                      fontsize=8)
    return _save(fig, panels, path)
