"""``bench verify``: stored runs rerun with the current code, compared metric by metric, optionally replaced."""

import csv
import json

import pytest

from hgbench.benchmarks.cli import main
from hgbench.benchmarks.run.plan import schedule
from hgbench.benchmarks.run.runner import Runner
from hgbench.benchmarks.run.store import Store
from hgbench.benchmarks.run.verify import Selection, compare, job_of

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture
def store(tmp_path):
    """A store with ZEN and a short HGNN grid on ``synthetic`` (2 splits)."""
    store = Store(tmp_path / "store")
    Runner(store).run(schedule(store, "t", ["zen", "hgnn"], ["synthetic"], "5-shot", 2, budget="smoke"))
    return store


def _rows(out):
    with (out / "verify.csv").open() as handle:
        return list(csv.DictReader(handle))


def test_unchanged_code_reproduces_every_stored_run(store, tmp_path):
    assert main(["verify", "--out", str(tmp_path)]) == 0
    rows = _rows(tmp_path)
    assert len(rows) == len([r for r in store.all_records() if r["status"] == "ok"]) > 2
    assert all(row["same"] == "True" and row["replaced"] == "False" for row in rows)


def test_a_changed_metric_is_reported_then_replaced(store, tmp_path):
    record = next(r for r in store.all_records() if r["method"] == "zen" and r["seed"] == 1)
    truth = record["test"]["accuracy"]
    store.put({**record, "test": {**record["test"], "accuracy": truth + 0.25}})
    assert main(["verify", "--methods", "zen", "--out", str(tmp_path)]) == 7  # differs, nothing replaced
    changed = [row for row in _rows(tmp_path) if row["same"] == "False"]
    assert [(row["key"], row["changed"]) for row in changed] == [(record["key"], "test.accuracy")]
    assert store.get("zen", record["key"])["test"]["accuracy"] == truth + 0.25

    assert main(["verify", "--methods", "zen", "--sample", "5", "--replace", "--out", str(tmp_path)]) == 0
    assert store.get("zen", record["key"])["test"]["accuracy"] == truth


def test_a_record_of_another_split_is_reported(store, tmp_path):
    record = next(r for r in store.all_records() if r["method"] == "zen")
    store.put({**record, "split_digest": "0" * 16})
    assert main(["verify", "--methods", "zen", "--out", str(tmp_path)]) == 7
    assert [row["changed"] for row in _rows(tmp_path) if row["same"] == "False"] == ["split_digest"]


def test_selection_by_method_dataset_protocol_and_sample(store):
    records = list(store.all_records())
    hgnn = Selection(methods=frozenset({"hgnn"})).select(records)
    assert hgnn and {r["method"] for r in hgnn} == {"hgnn"}
    one_each = Selection(methods=frozenset({"hgnn"}), sample=1).select(records)
    assert len(one_each) == 1 and one_each[0]["seed"] == 0
    assert Selection(protocols=frozenset({"10-shot"})).select(records) == []


def test_a_record_that_is_not_its_own_job_is_refused(store):
    record = next(iter(store.all_records()))
    with pytest.raises(ValueError, match="does not hash to its own job"):
        job_of({**record, "seed": record["seed"] + 7})


def test_compare_reports_the_largest_difference_and_the_metrics_past_tolerance():
    stored = {"val": {"accuracy": 0.5}, "test": {"accuracy": 0.7, "mae": 0.3}, "train": None}
    gap, changed = compare(stored, {"val": {"accuracy": 0.5}, "test": {"accuracy": 0.7, "mae": 0.4}, "train": None},
                           1e-9)
    assert changed == ["test.mae"] and gap == pytest.approx(0.1)
    assert compare(stored, json.loads(json.dumps(stored)), 0.0) == (0.0, [])


def test_unknown_names_are_usage_errors(store, tmp_path):
    assert main(["verify", "--methods", "nosuch", "--out", str(tmp_path)]) == 2
    assert main(["verify", "--datasets", "nosuch", "--out", str(tmp_path)]) == 2


def test_the_report_lists_the_reruns_and_renders_again_when_they_change(store, tmp_path):
    from hgbench.benchmarks.report.freshness import check

    assert main(["report", "--out", str(tmp_path)]) == 0
    assert "bench verify" not in (tmp_path / "provenance.md").read_text()
    assert main(["verify", "--methods", "zen", "--out", str(tmp_path)]) == 0
    assert check(store, tmp_path).all_stale  # a new verify.csv: the cross-suite files are out of date
    assert main(["report", "--out", str(tmp_path)]) == 0
    text = (tmp_path / "provenance.md").read_text()
    assert "| zen | synthetic | 2 | 2 | 0 | 0 |" in text
    assert not check(store, tmp_path).all_stale


def test_each_rerun_names_the_cpu_of_its_record_and_its_own(store, tmp_path, capsys):
    """Same CPU for a run stored here; a changed record from another CPU says so, and provenance.md counts the
    reruns on another CPU (or on none named: records written before records named it)."""
    records = sorted((r for r in store.all_records() if r["method"] == "zen"), key=lambda r: r["seed"])
    here = records[0]["environment"]
    assert here["cpu"] and here["cpu_capability"]
    store.put({**records[1], "environment": {**here, "cpu": "OtherVendor Model 9", "cpu_capability": "AVX2"},
               "test": {**records[1]["test"], "accuracy": records[1]["test"]["accuracy"] + 0.5}})
    assert main(["verify", "--methods", "zen", "--out", str(tmp_path)]) == 7
    assert "the record's CPU: OtherVendor Model 9 (AVX2)" in " ".join(capsys.readouterr().err.split())
    rows = {row["seed"]: row for row in _rows(tmp_path)}
    assert rows["0"]["stored_cpu"] == rows["0"]["current_cpu"] == f"{here['cpu']} ({here['cpu_capability']})"
    assert rows["1"]["stored_cpu"] == "OtherVendor Model 9 (AVX2)" != rows["1"]["current_cpu"]
    assert main(["report", "--out", str(tmp_path)]) == 0
    assert "| zen | synthetic | 2 | 1 | 1 | 1 | 0.5 | 0 |" in (tmp_path / "provenance.md").read_text()


def test_a_verify_csv_of_an_earlier_hgbench_is_widened_before_rows_are_appended(store, tmp_path):
    from hgbench.benchmarks.run.verify import COLUMNS

    old = [c for c in COLUMNS if c not in ("stored_cpu", "current_cpu")]
    with (tmp_path / "verify.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=old)
        writer.writeheader()
        writer.writerow({c: "earlier" for c in old})
    assert main(["verify", "--methods", "zen", "--out", str(tmp_path)]) == 0
    rows = _rows(tmp_path)
    assert list(rows[0]) == list(COLUMNS) and rows[0]["key"] == "earlier" and rows[0]["stored_cpu"] == ""
    assert len(rows) == 3 and rows[-1]["current_cpu"] != ""


def test_cpu_model_reads_the_first_core_and_the_numbers_that_tell_alike_named_cpus_apart(tmp_path):
    from hgbench.benchmarks.run.runner import cpu_model

    core = "vendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: {}\nmodel name\t: Intel(R) Xeon(R) Processor\n"
    (tmp_path / "cpuinfo").write_text(core.format(167) + "stepping\t: 1\n\n" + core.format(143))
    assert cpu_model(tmp_path / "cpuinfo") == ("GenuineIntel Intel(R) Xeon(R) Processor "
                                               "(cpu family 6, model 167, stepping 1)")
