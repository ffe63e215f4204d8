"""``bench ops`` on a tiny synthetic hypergraph: the CSV schema and the output check (no timing assertions)."""

import csv

import pytest

from hgbench.benchmarks import opsbench
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


def test_a_reference_that_differs_is_reported(tiny, monkeypatch):
    monkeypatch.setattr(opsbench, "inverse_power", lambda values, power: 1.01 * inverse_power(values, power))
    rows = opsbench.benchmark([tiny], repeats=1, threads=1)
    assert not any(row["allclose"] for row in rows) and min(row["max_rel_diff"] for row in rows) > 1e-3
