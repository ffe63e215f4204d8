"""ZEN's class-by-feature weights W* on Zoo (ZEN paper, §4.4 and Table 5), from stored records.

Each ``zen-weights`` run stores W* (d x c, Eq. 4: unit-norm class columns) of its split in its
diagnostics. The table reports the mean over splits, beside the paper's single matrix. The paper
does not say which split its Table 5 shows, so entry-wise equality is not expected; what can be
compared is the pattern: the correlation of the two matrices over all entries, and, per feature,
the class with the largest weight (the paper colours each feature row relative to the classes).

The paper's feature names are matched to the dataset's by position (UCI zoo order); the paper
prints "Predetor" and "Capsize" for Predator and Catsize.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from . import tables  # noqa: E402
from .figures import save_png  # noqa: E402
from .paper import paper_table  # noqa: E402

DIAGNOSTIC = "class_feature_weights"
HEATMAP = "weights.png"
HIGHLIGHT = 0.8  # the paper boxes cells at >= 80% of the row's colour scale


def stored_weights(records: list[dict]) -> np.ndarray:
    """Splits x d x c array of W* from the ok records, in seed order."""
    runs = sorted((r for r in records if r.get("status") == "ok" and DIAGNOSTIC in (r.get("diagnostics") or {})),
                  key=lambda r: r["seed"])
    if not runs:
        return np.empty((0, 0, 0))
    return np.asarray([r["diagnostics"][DIAGNOSTIC] for r in runs], dtype=float)


def paper_weights(csv: str) -> pd.DataFrame:
    """The paper's W* as a features x classes frame, in the paper's row and column order."""
    table = paper_table(csv)
    parts = table.setting.str.extract(r"feature=(?P<feature>[^;]+); class=(?P<klass>.+)$")
    frame = pd.concat([parts, table["mean"]], axis=1)
    features = list(dict.fromkeys(frame.feature))
    classes = list(dict.fromkeys(frame.klass))
    return frame.pivot(index="feature", columns="klass", values="mean").loc[features, classes]


def comparison(ours: np.ndarray, paper: pd.DataFrame) -> dict[str, float]:
    """Pattern agreement of our mean W* (d x c) with the paper's: Pearson r and row-argmax agreement."""
    theirs = paper.to_numpy()
    rows = min(ours.shape[0], theirs.shape[0])
    a, b = ours[:rows], theirs[:rows]
    return {
        "pearson_r": float(np.corrcoef(a.ravel(), b.ravel())[0, 1]),
        "same_top_class": int((a.argmax(1) == b.argmax(1)).sum()),
        "features": rows,
    }


def row_relative(matrix: np.ndarray) -> np.ndarray:
    """Each row rescaled to [0, 1] across classes (the paper's "relative to other classes" shading)."""
    low, high = matrix.min(1, keepdims=True), matrix.max(1, keepdims=True)
    return (matrix - low) / np.where(high > low, high - low, 1.0)


def heatmap(panels: dict[str, np.ndarray], features: list[str], classes: list[str], path: Path) -> Path:
    """Side-by-side heatmaps, shaded per row as Table 5, cells >= 80% of the row boxed."""
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 0.32 * len(features) + 1.6), squeeze=False)
    for ax, (title, matrix) in zip(axes[0], panels.items()):
        shade = row_relative(matrix)
        ax.imshow(shade, cmap="Reds", vmin=0, vmax=1, aspect="auto")
        for (i, j), value in np.ndenumerate(matrix):
            ax.text(j, i, f"{value:.3f}", ha="center", va="center", fontsize=6,
                    color="white" if shade[i, j] > 0.6 else "black")
            if shade[i, j] >= HIGHLIGHT:
                ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="black", linewidth=1.2))
        ax.set_xticks(range(len(classes)), classes, rotation=45, ha="right", fontsize=7)
        ax.set_yticks(range(len(features)), features, fontsize=7)
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return save_png(fig, path, dpi=150)


# ----------------------------------------------------------------------------- report layout
def board(data) -> pd.DataFrame:
    """Long leaderboard: one row per W* entry (metric ``W*:<feature>:<class>``), plus the two agreement rows."""
    suite = data.suite
    ours = stored_weights(data.store.records(suite.name))
    paper = paper_weights(suite.table.csv)
    found = ours.size > 0
    mean = ours.mean(0) if found else np.full(paper.shape, np.nan)
    std = ours.std(0) if found else np.full(paper.shape, np.nan)  # ddof=0, as every table here
    base = {"method": suite.methods[0], "label": "ZEN", "dataset": suite.datasets[0],
            "paper_dataset": "Zoo", "setting": suite.setting, "n_runs": len(ours), "status": "ok" if found else "pending",
            "budget": ",".join(sorted(set(data.frame.budget))) or "-"}
    rows = [{**base, "metric": f"W*:{feature}:{klass}", "mean": round(float(mean[i, j]), 6),
             "std": round(float(std[i, j]), 6), "paper_mean": float(paper.iat[i, j]), "paper_std": np.nan}
            for i, feature in enumerate(paper.index) for j, klass in enumerate(paper.columns)]
    agreement = comparison(mean, paper) if found else {"pearson_r": np.nan, "same_top_class": np.nan}
    rows += [{**base, "metric": "pearson_r_vs_paper", "mean": round(agreement["pearson_r"], 6), "std": np.nan,
              "paper_mean": 1.0, "paper_std": np.nan},
             {**base, "metric": "features_with_same_top_class", "mean": agreement["same_top_class"], "std": np.nan,
              "paper_mean": float(len(paper)), "paper_std": np.nan}]
    return pd.DataFrame(rows)


def _matrix(board_: pd.DataFrame, column: str, shape: tuple[int, int]) -> np.ndarray:
    entries = board_[board_.metric.str.startswith("W*:")]
    return entries[column].to_numpy(dtype=float).reshape(shape)


def latex(board_: pd.DataFrame, data) -> str:
    """Twin tables: the paper's W* and our mean over splits (same layout as Table 5)."""
    paper = paper_weights(data.suite.table.csv)
    features = [tables.latex_escape(f) for f in paper.index]
    headers = ["Feature", "Source"] + [tables.latex_escape(c) for c in paper.columns]
    parts = []
    for source, column in (("paper", "paper_mean"), ("ours (mean over splits)", "mean")):
        matrix = _matrix(board_, column, paper.shape)
        rows = [[feature, source] + [f"{v:.4f}" if np.isfinite(v) else "--" for v in values]
                for feature, values in zip(features, matrix)]
        caption = (f"{tables.latex_escape(data.suite.table.title)}: {source}. {data.provenance()}")
        parts.append(tables.table(headers, rows, caption, f"{data.suite.name}-{column}", [False] * len(rows)))
    return "\n".join(parts)


def notes(board_: pd.DataFrame, data) -> str:
    """Agreement with the paper's matrix and the heatmap (written beside the notes)."""
    paper = paper_weights(data.suite.table.csv)
    summary = board_.set_index("metric")
    lines = [f"# {data.suite.name}: notes", "", data.suite.description, "", __doc__.strip(), ""]
    if summary.at["pearson_r_vs_paper", "status"] != "ok":
        return "\n".join(lines + ["No run in the store yet."]) + "\n"
    ours = _matrix(board_, "mean", paper.shape)
    lines += [f"Splits: {int(summary.at['pearson_r_vs_paper', 'n_runs'])}.",
              f"Pearson r between our mean W* and the paper's (112 entries): "
              f"{summary.at['pearson_r_vs_paper', 'mean']:.3f}.",
              f"Features whose largest weight is on the same class as in the paper: "
              f"{int(summary.at['features_with_same_top_class', 'mean'])} of {len(paper)}.",
              "", "| feature | top class (ours) | top class (paper) |", "|---|---|---|"]
    lines += [f"| {feature} | {paper.columns[ours[i].argmax()]} | {paper.columns[paper.iloc[i].to_numpy().argmax()]} |"
              for i, feature in enumerate(paper.index)]
    lines += ["", f"Heatmap: `{HEATMAP}` (rows shaded relative to the classes, >= 80% boxed, as Table 5)."]
    return "\n".join(lines) + "\n"


def figures(board_: pd.DataFrame, data, folder: Path) -> dict[str, Path]:
    """The heatmap of our mean W* beside the paper's."""
    paper = paper_weights(data.suite.table.csv)
    if board_.status.iloc[0] != "ok":
        return {}
    panels = {"ours (mean over splits)": _matrix(board_, "mean", paper.shape), "paper (Table 5)": paper.to_numpy()}
    return {"heatmap": heatmap(panels, list(paper.index), list(paper.columns), folder / HEATMAP)}
