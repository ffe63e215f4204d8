"""Every stored run as one table (cf. benchopt's tidy results): ``hgbench.load_results(store)``.

One row per record: its identity (method, key, dataset, protocol, seed, evaluation dataset), status and
reason, timings and memory, the validation / test / train metrics flattened to ``val_<metric>`` ...,
every hyperparameter as ``param_<name>``, the scalar diagnostics as ``diag_<name>`` and what the run computed on
as ``env_<name>`` (versions, CPU and its vector instructions, threads, device). Nested values
(lists, dicts) are JSON text. ``suite=`` restricts to one suite's plan and adds the plan's ``budget``
and ``grid_index``. ``bench export --format csv|parquet`` writes the same table.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from ..run.store import Store

IDENTITY = ("method", "key", "dataset", "protocol", "seed", "eval_dataset", "status", "reason", "budget",
            "grid_index", "fit_seconds", "predict_seconds", "prepare_seconds", "peak_memory_mb", "inference_seconds",
            "inference_peak_mb", "task", "executor", "code_version", "finished_at")
METRIC_PARTS = ("val", "test", "train")


def _scalar(value: Any) -> Any:
    return value if value is None or isinstance(value, (bool, int, float, str)) else json.dumps(value, sort_keys=True)


def _row(record: dict) -> dict[str, Any]:
    row = {name: record.get(name) for name in IDENTITY}
    for part in METRIC_PARTS:
        row.update({f"{part}_{metric}": value for metric, value in (record.get(part) or {}).items()})
    row.update({f"param_{name}": _scalar(value) for name, value in (record.get("params") or {}).items()})
    for prefix, part in (("diag", "diagnostics"), ("env", "environment")):
        row.update({f"{prefix}_{name}": value for name, value in (record.get(part) or {}).items()
                    if value is None or isinstance(value, (bool, int, float, str))})
    return row


def _one_type_per_column(frame: pd.DataFrame) -> pd.DataFrame:
    """Make every column hold one type, as Parquet needs: where methods give one hyperparameter name values of
    different types (``temperature`` 0.5 here, ``"adaptive"`` there), the column becomes JSON text; numbers
    (int and float) stay numbers. The identity columns keep their types, empty or not."""
    for column in frame.select_dtypes(include="object", exclude="str").columns:
        kinds = {type(value) for value in frame[column] if value is not None and value == value}
        if len(kinds) > 1 and not kinds <= {int, float}:
            frame[column] = frame[column].map(lambda v: v if v is None or isinstance(v, str) else json.dumps(v))
    frame["seed"] = frame["seed"].astype("Int64")
    frame["grid_index"] = frame["grid_index"].astype("Int64")
    for column in ("eval_dataset", "budget", "reason", "task", "executor"):
        frame[column] = frame[column].astype("string")
    return frame


def load_results(store: Store | str | Path, suite: str | None = None) -> pd.DataFrame:
    """Every readable record of ``store`` (a :class:`Store` or its folder), or one suite's, as a DataFrame."""
    store = store if isinstance(store, Store) else Store(Path(store))
    records = store.records(suite) if suite else list(store.all_records())
    frame = pd.DataFrame([_row(record) for record in records]) if records else pd.DataFrame(columns=list(IDENTITY))
    frame = _one_type_per_column(frame)
    return frame.sort_values(["method", "dataset", "protocol", "seed", "key"], kind="stable").reset_index(drop=True)


def export(frame: pd.DataFrame, path: Path, file_format: str) -> Path:
    """Write ``frame`` as CSV or Parquet (pyarrow is a dependency: run traces are Parquet too)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if file_format == "parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)
    return path
