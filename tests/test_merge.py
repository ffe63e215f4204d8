"""``bench merge``: two stores' runs in one, reruns replacing older records, conflicting splits refused."""

import json

import pytest

from hgbench.benchmarks.cli import main
from hgbench.benchmarks.run.plan import schedule
from hgbench.benchmarks.run.runner import Runner
from hgbench.benchmarks.run.store import Store

pytestmark = pytest.mark.usefixtures("one_thread")


def _run(root, methods, seeds):
    store = Store(root / "store")
    Runner(store).run(schedule(store, "t", methods, ["synthetic"], "5-shot", seeds, budget="smoke"))
    return store


def test_two_stores_become_one_with_every_plan_entry_and_record(tmp_path):
    first, second = _run(tmp_path / "a", ["zen"], 2), _run(tmp_path / "b", ["zen", "hgnn"], 3)
    assert main(["merge", str(tmp_path / "b"), "--out", str(tmp_path / "a")]) == 0
    keys = lambda store: {r["key"] for r in store.all_records()}  # noqa: E731
    assert keys(first) == keys(second) and {e["key"] for e in first.plan("t")} == {e["key"] for e in second.plan("t")}
    assert len(first.records("t")) == len(second.records("t"))
    assert main(["merge", str(tmp_path / "b"), "--out", str(tmp_path / "a")]) == 0  # again: nothing changes


def test_a_later_rerun_replaces_and_an_older_copy_does_not(tmp_path):
    target, source = _run(tmp_path / "a", ["zen"], 1), _run(tmp_path / "b", ["zen"], 1)
    record = next(source.all_records())
    source.put({**record, "finished_at": "2999-01-01T00:00:00+00:00", "fit_seconds": 123.0})
    main(["merge", str(tmp_path / "b"), "--out", str(tmp_path / "a")])
    assert target.get("zen", record["key"])["fit_seconds"] == 123.0
    source.put({**record, "finished_at": "2000-01-01T00:00:00+00:00", "fit_seconds": 7.0})
    main(["merge", str(tmp_path / "b"), "--out", str(tmp_path / "a")])
    assert target.get("zen", record["key"])["fit_seconds"] == 123.0


def test_different_splits_under_one_name_stop_the_merge_before_any_write(tmp_path):
    target, source = _run(tmp_path / "a", ["zen"], 1), _run(tmp_path / "b", ["zen", "hgnn"], 1)
    split = next(source.iter_split_files())
    payload = json.loads(split.read_text())
    payload["train"] = payload["train"][::-1]
    split.write_text(json.dumps(payload))
    before = sorted(p.name for p in (target.root / "records").rglob("*.json"))
    assert main(["merge", str(tmp_path / "b"), "--out", str(tmp_path / "a")]) == 2
    assert sorted(p.name for p in (target.root / "records").rglob("*.json")) == before


def test_a_folder_without_a_store_is_a_usage_error(tmp_path):
    assert main(["merge", str(tmp_path / "nothing"), "--out", str(tmp_path / "a")]) == 2


def test_verification_rows_travel_with_the_records(tmp_path):
    _run(tmp_path / "a", ["zen"], 1)
    _run(tmp_path / "b", ["zen"], 1)
    assert main(["verify", "--out", str(tmp_path / "b")]) == 0
    for _ in range(2):  # the second merge appends nothing
        assert main(["merge", str(tmp_path / "b"), "--out", str(tmp_path / "a")]) == 0
    assert (tmp_path / "a" / "verify.csv").read_text() == (tmp_path / "b" / "verify.csv").read_text()
