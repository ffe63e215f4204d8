"""``bench ops`` on a tiny synthetic hypergraph: the CSV schema and the output check (no timing assertions)."""

import csv
import subprocess
import sys

import pytest

from hgbench.benchmarks import opsbench, opsepoch
from hgbench.datasets.hypergraph import inverse_power
from hgbench.datasets.synthetic import SyntheticConfig, generate


@pytest.fixture(scope="module")
def tiny():
    return generate(SyntheticConfig(num_nodes=60, num_edges=40, num_features=8, num_classes=3))


def test_writes_one_row_per_model_with_every_reference_agreeing(tiny, tmp_path):
    rows = opsbench.benchmark([tiny], repeats=1, threads=1)
    paths = opsbench.write(rows, tmp_path, skipped={"walmart": "not downloaded"})
    with open(paths["csv"]) as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames) == opsbench.COLUMNS
        written = list(reader)
    assert [row["model"] for row in written] == list(opsbench.MODELS)
    for row in written:
        assert row["allclose"] == "True" and float(row["max_rel_diff"]) < 1e-4
        assert row["repeats"] == "1" and row["threads"] == "1"
        assert float(row["ratio"]) == pytest.approx(float(row["ours_s"]) / float(row["reference_s"]))
        assert row["reference"] in opsbench.REFERENCES and float(row[f"{row['reference']}_s"]) > 0
    # HNHN's halves are separated by a ReLU: it has no collapsed reference
    assert {row["model"]: row["collapsed-csr_s"] == "" for row in written} == {"hgnn": False, "hnhn": True,
                                                                              "unigcn": False}
    notes = paths["notes"].read_text()
    assert "code version" in notes and "torch" in notes and "Skipped walmart: not downloaded" in notes
    for row in written:  # the epoch beside the plain network of the fastest layer reference
        assert row["epoch_plain_allclose"] == "True" and row["epoch_plain_form"] == row["reference"]
        assert float(row["ratio_plain"]) == pytest.approx(float(row["epoch_ours_s"]) / float(row["epoch_plain_s"]))
    assert "## Per training epoch" in notes


def test_epoch_beside_dhg(tiny):
    pytest.importorskip("dhg")
    rows = opsbench.benchmark([tiny], repeats=2, threads=1)
    for row in rows:
        assert row["ratio_dhg"] == pytest.approx(row["epoch_ours_s"] / row["epoch_dhg_s"])
        assert row["dhg"] == opsepoch.dhg_version() and row["epoch_dhg_iqr_s"] >= 0
    # DHG's HGNN and UniGCN compute our operators; its HNHN uses plain means (docs/crosscheck.md)
    assert {row["model"]: row["epoch_dhg_allclose"] for row in rows} == {"hgnn": True, "hnhn": "n/a", "unigcn": True}


def test_dhg_columns_say_not_installed_without_dhg(tiny, tmp_path, monkeypatch):
    monkeypatch.setattr(opsepoch, "dhg_version", lambda: None)
    rows = opsbench.benchmark([tiny], repeats=1, threads=1)
    paths = opsbench.write(rows, tmp_path)
    with open(paths["csv"]) as handle:
        written = list(csv.DictReader(handle))
    for row in written:
        assert {row[c] for c in ("epoch_dhg_s", "ratio_dhg", "epoch_dhg_allclose", "dhg")} == {"not installed"}
        assert float(row["epoch_ours_s"]) > 0 and row["epoch_plain_allclose"] == "True"
    assert "| not installed | " in paths["notes"].read_text()


def test_the_benchmark_modules_do_not_import_dhg():
    code = ("import sys, hgbench.benchmarks.opsbench, hgbench.benchmarks.cli, hgbench.datasets.interop; "
            "sys.exit('dhg' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_a_reference_that_differs_is_reported(tiny, monkeypatch):
    monkeypatch.setattr(opsbench, "inverse_power", lambda values, power: 1.01 * inverse_power(values, power))
    rows = opsbench.benchmark([tiny], repeats=1, threads=1)
    assert not any(row["allclose"] for row in rows) and min(row["max_rel_diff"] for row in rows) > 1e-3
    assert not any(row["epoch_plain_allclose"] for row in rows)


def test_bag_of_words_features_reach_every_network_in_its_form(tiny):
    """Ours takes sparse features (baselines/sparse_features.py); DHG's and the plain layers the dense matrix."""
    import dataclasses

    import torch

    wide = generate(SyntheticConfig(num_nodes=60, num_edges=40, num_features=400, num_classes=3))
    keep = torch.rand(wide.features.shape, generator=torch.Generator().manual_seed(0)) < 0.02
    sparse = dataclasses.replace(wide, features=wide.features * keep)
    rows = opsbench.benchmark([sparse], repeats=1, threads=1)
    assert [row["epoch_plain_allclose"] for row in rows] == [True] * len(rows)
    if opsepoch.dhg_version():
        assert {row["model"]: row["epoch_dhg_allclose"] for row in rows} == {"hgnn": True, "hnhn": "n/a",
                                                                            "unigcn": True}
