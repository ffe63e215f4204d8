"""Scores of a prediction: accuracy, and MAE/RMSE on class indices (ratings when classes are ordinal)."""

from __future__ import annotations

import math

from torch import Tensor

METRICS = ("accuracy", "mae", "rmse")
HIGHER_IS_BETTER = {"accuracy": True, "mae": False, "rmse": False}


def evaluate(scores: Tensor, labels: Tensor, nodes: Tensor) -> dict[str, float]:
    """Metrics of ``argmax(scores)`` against ``labels`` on ``nodes`` (NaN when ``nodes`` is empty)."""
    if nodes.numel() == 0:
        return {name: math.nan for name in METRICS}
    predicted = scores[nodes].argmax(1)
    truth = labels[nodes]
    error = (predicted - truth).double()
    return {
        "accuracy": float((predicted == truth).double().mean()),
        "mae": float(error.abs().mean()),
        "rmse": float(error.square().mean().sqrt()),
    }
