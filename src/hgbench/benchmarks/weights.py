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

from .paper import paper_table  # noqa: E402

DIAGNOSTIC = "class_feature_weights"
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
    fig.savefig(path, dpi=150, metadata={"Software": None})
    plt.close(fig)
    return path
