"""Results as one table: ``hgbench.load_results`` and ``bench export`` / ``bench show`` on a small real store."""

from pathlib import Path

import pandas as pd
import pytest

import hgbench
from hgbench.benchmarks.cli import main
from hgbench.benchmarks.report.export import export
from hgbench.benchmarks.run.store import Store


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    out = tmp_path_factory.mktemp("export")
    assert main(["run", "--suite", "demo", "--datasets", "synthetic", "--seeds", "2", "--out", str(out)]) == 0
    return out


def test_load_results_returns_every_record_with_flat_typed_columns(out):
    store = Store(out / "store")
    records = list(store.all_records())
    frame = hgbench.load_results(out / "store")
    assert len(frame) == len(records) > 0 and set(frame.key) == {r["key"] for r in records}
    assert {"method", "dataset", "seed", "status", "val_accuracy", "test_accuracy", "fit_seconds"} <= set(frame.columns)
    assert pd.api.types.is_float_dtype(frame.test_accuracy) and pd.api.types.is_integer_dtype(frame.seed)
    assert any(column.startswith("param_") for column in frame.columns)
    assert frame.env_cpu.notna().all() and frame.env_cpu_capability.notna().all()  # the machine behind each run
    assert len(hgbench.load_results(store, "demo")) == len(frame) and "budget" in frame.columns


@pytest.mark.parametrize("file_format", ["csv", "parquet"])
def test_bench_export_writes_the_same_table(out, file_format, tmp_path):
    path = tmp_path / f"r.{file_format}"
    assert main(["export", "--format", file_format, "--out", str(out), "--to", str(path)]) == 0
    written = pd.read_csv(path) if file_format == "csv" else pd.read_parquet(path)
    assert len(written) == len(hgbench.load_results(out / "store"))


def test_bench_show_prints_one_record_and_refuses_an_ambiguous_key(out, capsys):
    key = hgbench.load_results(out / "store").key.iloc[0]
    assert main(["show", key[:10], "--out", str(out)]) == 0
    assert key in capsys.readouterr().out
    assert main(["show", "", "--out", str(out)]) == 2
    assert main(["export", "--suite", "nope", "--out", str(out)]) == 2


def test_the_committed_store_loads_whole_and_exports_to_parquet(tmp_path):
    """Every record file of results/store is one row, each column holds one type, and Parquet accepts it."""
    committed = Path(__file__).resolve().parents[1] / "results" / "store"
    files = {path.stem for path in (committed / "records").glob("*/*.json")}
    frame = hgbench.load_results(committed)
    assert set(frame.key) == files and len(frame) == len(files) > 1000
    assert pd.api.types.is_integer_dtype(frame.seed) and pd.api.types.is_string_dtype(frame.status)
    assert all(pd.api.types.is_float_dtype(frame[c]) for c in frame.columns if c.startswith(("val_", "test_")))
    for column in frame.select_dtypes(include="object", exclude="str").columns:
        assert len({type(v) for v in frame[column].dropna()}) <= 1, column
    export(frame, tmp_path / "all.parquet", "parquet")
    assert len(pd.read_parquet(tmp_path / "all.parquet")) == len(frame)
