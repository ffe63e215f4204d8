"""Faults tried on purpose: the disk full while a record is written, an out-of-memory run, a worker killed
by a signal (retried once in the same run). SIGKILL-and-resume, torn records, the store lock and the
pickle refusal are tried in test_runner.py, test_pool.py, test_executors.py and test_zen_datasets.py."""

import errno
import json
import multiprocessing
import os
import re

import pytest
import torch

from hgbench.benchmarks.cli import main
from hgbench.benchmarks.run.plan import plan
from hgbench.benchmarks.run.store import Store
StoreWriteError = OSError

DEMO = ["run", "--suite", "demo", "--methods", "zen", "--datasets", "synthetic", "--seeds", "3"]


def leftovers(root) -> list[str]:
    """Temporary files a write left behind under ``root``."""
    return sorted(str(path) for path in root.rglob("*.tmp"))


@pytest.mark.parametrize("jobs", [[], ["--jobs", "2"]], ids=["sequential", "pool"])
def test_a_full_disk_stops_the_run_cleanly_and_a_later_run_resumes(tmp_path, monkeypatch, capsys, jobs):
    out = tmp_path / "results"
    store = Store(out / "store")
    (seed1,) = [job for job in plan("demo", ["zen"], ["synthetic"], "5-shot", 3)[0] if job.seed == 1]
    real_dump = json.dump

    def disk_full_on_seed_1(payload, handle, **options):
        if isinstance(payload, dict) and payload.get("key") == seed1.key:
            handle.write(json.dumps(payload)[:60])  # part of the record reaches the disk, then the disk is full
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_dump(payload, handle, **options)

    monkeypatch.setattr(json, "dump", disk_full_on_seed_1)
    assert main(DEMO + jobs + ["--out", str(out)]) == 6
    err = capsys.readouterr().err
    path = store.record_path("zen", seed1.key)
    assert "error: could not write" in err and str(path) in err.replace("\n", "") and "No space left on device" in err
    assert "Traceback" not in err
    assert not path.exists() and leftovers(out) == [], "a half-written record or its temporary file was left"
    assert [r["seed"] for r in store.all_records()] == [0]  # the run stopped at the failed write
    assert not multiprocessing.active_children()

    monkeypatch.setattr(json, "dump", real_dump)  # space again: the next run resumes
    assert main(DEMO + jobs + ["--out", str(out)]) == 0
    assert "2 runs executed (0 not ok), 1 already in the store" in capsys.readouterr().err
    assert sorted((r["seed"], r["status"]) for r in store.all_records()) == [(0, "ok"), (1, "ok"), (2, "ok")]


def test_a_failed_artifact_write_keeps_the_old_file_and_names_the_new_one(tmp_path, monkeypatch):
    store = Store(tmp_path)
    old = {"w": torch.ones(3)}
    path = store.put_model("k", old)

    def disk_full(state, handle):
        handle.write(b"PK\x03\x04 half a zip")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(torch, "save", disk_full)
    with pytest.raises(StoreWriteError, match=re.escape(str(path)) + ".*No space left on device"):
        store.put_model("k", {"w": torch.zeros(3)})
    assert torch.equal(store.model("k")["w"], old["w"]) and leftovers(tmp_path) == []
