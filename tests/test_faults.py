"""Faults tried on purpose: the disk full while a record is written, an out-of-memory run, a worker killed
by a signal (retried once in the same run). SIGKILL-and-resume, torn records, the store lock and the
pickle refusal are tried in test_runner.py, test_pool.py, test_executors.py and test_zen_datasets.py."""

import errno
import json
import multiprocessing
import os
import re
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

import cluster_support
from hgbench.benchmarks.cli import main
from hgbench.benchmarks.run import registry
from hgbench.benchmarks.run.cluster import ClusterRunner
from hgbench.benchmarks.run.plan import plan
from hgbench.benchmarks.run.pool import PoolRunner
from hgbench.benchmarks.run.runner import Runner
from hgbench.benchmarks.run.store import Store, StoreWriteError
from hgbench.datasets import catalog
from hgbench.methods.base import Fitted, Method

DEMO = ["run", "--suite", "demo", "--methods", "zen", "--datasets", "synthetic", "--seeds", "3"]


def leftovers(root) -> list[str]:
    """Temporary files a write left behind under ``root``."""
    return sorted(str(path) for path in root.rglob("*.tmp"))


SEED_1 = next(job for job in plan("demo", ["zen"], ["synthetic"], "5-shot", 3)[0] if job.seed == 1)


@pytest.fixture
def disk_full_on_seed_1(monkeypatch):
    """json.dump writes part of seed 1's record, then the disk is full (ENOSPC); the fixture's value frees it."""
    real_dump = json.dump

    def dump(payload, handle, **options):
        if isinstance(payload, dict) and payload.get("key") == SEED_1.key:
            handle.write(json.dumps(payload)[:60])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_dump(payload, handle, **options)

    monkeypatch.setattr(json, "dump", dump)
    return lambda: monkeypatch.setattr(json, "dump", real_dump)


def test_a_full_disk_stops_the_run_cleanly_and_a_later_run_resumes(tmp_path, capsys, disk_full_on_seed_1):
    out = tmp_path / "results"
    store = Store(out / "store")
    assert main(DEMO + ["--out", str(out)]) == 6
    err = capsys.readouterr().err
    path = store.record_path("zen", SEED_1.key)
    assert "error: could not write" in err and str(path) in err.replace("\n", "") and "No space left on device" in err
    assert "Traceback" not in err
    assert not path.exists() and leftovers(out) == [], "a half-written record or its temporary file was left"
    assert [r["seed"] for r in store.all_records()] == [0]  # the run stopped at the failed write

    disk_full_on_seed_1()  # space again: the next run resumes
    assert main(DEMO + ["--out", str(out)]) == 0
    assert "2 runs executed (0 not ok), 1 already in the store" in capsys.readouterr().err
    assert sorted((r["seed"], r["status"]) for r in store.all_records()) == [(0, "ok"), (1, "ok"), (2, "ok")]


def test_a_full_disk_stops_the_pool_and_its_workers(tmp_path, disk_full_on_seed_1):
    store = Store(tmp_path)
    jobs = plan("demo", ["zen"], ["synthetic"], "5-shot", 3)[0]
    with pytest.raises(StoreWriteError, match=re.escape(str(store.record_path("zen", SEED_1.key)))):
        PoolRunner(store, 2).run(jobs)
    assert leftovers(tmp_path) == [] and not multiprocessing.active_children()
    assert [r["seed"] for r in store.all_records()] == [0]
    disk_full_on_seed_1()
    summary = PoolRunner(store, 2).run(jobs)
    assert (summary.executed, summary.skipped) == (2, 1)


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


# ----------------------------------------------------------------------------- out of memory
LIMIT_MB = 1024  # beyond what the worker maps as the run starts


class Hog(Method):
    """Reserves 4 GiB (never touched: without a limit the kernel grants it) through torch or numpy, or nothing."""

    name = "hog"
    search_space = {"through": ["torch", "numpy", "nothing"]}

    def fit(self, data, split, config, seed, prepared):
        if config["through"] == "torch":
            torch.empty(2**30, dtype=torch.float32)
        elif config["through"] == "numpy":
            np.empty(2**29, dtype=np.float64)
        return Fitted(lambda: torch.nn.functional.one_hot(data.labels, data.num_classes).float())


@pytest.fixture
def test_methods(monkeypatch):
    registry.method_names()
    for name, cls in {"hog": Hog, **cluster_support.NAMES}.items():
        monkeypatch.setitem(registry.METHODS._items, name, registry.MethodEntry(name, cls, name))


EXECUTORS = {  # with a time or memory limit the sequential executor runs its jobs in one worker process
    "sequential": lambda store, **options: Runner(store, **options),
    "pool-2": lambda store, **options: PoolRunner(store, 2, **options),
}


@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_run_past_the_memory_limit_is_recorded_oom_and_the_suite_goes_on(tmp_path, test_methods, executor):
    limits = resource.getrlimit(resource.RLIMIT_AS)
    store = Store(tmp_path)
    jobs, _ = plan("t", ["hog", "zen"], ["synthetic"], "5-shot", 1)
    summary = EXECUTORS[executor](store, memory_limit_mb=LIMIT_MB).run(jobs)
    status = {(r["method"], r["config"].get("through")): r for r in store.all_records()}
    assert {k: r["status"] for k, r in status.items()} == {
        ("hog", "torch"): "oom", ("hog", "numpy"): "oom", ("hog", "nothing"): "ok", ("zen", None): "ok"}
    assert "DefaultCPUAllocator" in status[("hog", "torch")]["reason"]
    assert "MemoryError: Unable to allocate 4.00 GiB" in status[("hog", "numpy")]["reason"]
    assert all(f"--memory-limit {LIMIT_MB} MB" in status[("hog", k)]["reason"] for k in ("torch", "numpy"))
    assert summary.executed == 4 and summary.failed == 2 and not multiprocessing.active_children()
    assert resource.getrlimit(resource.RLIMIT_AS) == limits  # only the workers are limited


def test_cli_memory_limit_reaches_the_workers(tmp_path, capsys):
    out = tmp_path / "results"
    args = ["run", "--suite", "demo", "--methods", "zen,zen-no-rap", "--datasets", "synthetic", "--seeds", "1",
            "--out", str(out)]
    assert main(args + ["--memory-limit", "1"]) == 0  # 1 MB: zen's first tensors do not fit
    assert {(r["status"], r["reason"].endswith("(--memory-limit 1 MB)")) for r in Store(out / "store").all_records()} \
        == {("oom", True)}
    assert "oom: zen on synthetic seed 0" in capsys.readouterr().err
    assert main(args + ["--memory-limit", "1024", "--retry", "oom"]) == 0
    assert {r["status"] for r in Store(out / "store").all_records()} == {"ok"}


# ----------------------------------------------------------------------------- a worker killed by a signal
@pytest.mark.parametrize("executor, sig", [("pool-2", "SIGKILL"), ("sequential", "SIGTERM")])
def test_a_job_whose_worker_dies_twice_is_failed_naming_the_signal_and_run_again_later(
        tmp_path, monkeypatch, test_methods, executor, sig):
    monkeypatch.setenv("HGBENCH_TEST_MARKER", str(tmp_path / "killed"))
    monkeypatch.setenv("HGBENCH_TEST_SIGNAL", sig)
    monkeypatch.setenv("HGBENCH_TEST_DEATHS", "2")
    jobs, _ = plan("t", ["dies"], ["synthetic"], "5-shot", 3)  # one chunk: seeds 0, 1 (killed twice), 2
    store = Store(tmp_path / "store")
    summary = EXECUTORS[executor](store, time_limit_s=600).run(jobs)
    by_seed = {record["seed"]: record for record in store.all_records()}
    assert by_seed[1]["status"] == "failed" and by_seed[1]["rerun_on_resume"]
    assert by_seed[1]["reason"].count(f"signal {sig}") == 2 and "it died again" in by_seed[1]["reason"]
    assert by_seed[0]["status"] == by_seed[2]["status"] == "ok"  # a new worker ran the rest of the chunk
    assert summary.executed == 3 and summary.failed == 1 and not multiprocessing.active_children()
    assert sorted(p.name for p in tmp_path.glob("killed.*")) == ["killed.0", "killed.1"]  # tried twice, no more
    again = EXECUTORS[executor](store, time_limit_s=600).run(jobs)  # a plain rerun runs the killed job, and only it
    assert (again.executed, again.skipped) == (1, 2)
    assert {r["seed"]: r["status"] for r in store.all_records()} == {0: "ok", 1: "ok", 2: "ok"}


# ----------------------------------------------------------------------------- the run itself terminated
def _terminate(tmp_path: Path, methods: list[str], prelude: str = "") -> Store:
    """Run ``methods`` on one split, each in a worker (a run with a time limit), in a process of its own that first
    runs ``prelude``; SIGTERM it (then SIGCONT, in case it was stopped) once ``$HGBENCH_TEST_PIDFILE`` exists; its
    exit code must be SIGTERM's."""
    root, marker = tmp_path / "store", tmp_path / "marker"
    driver = ("import os, cluster_support\n"
              "os.environ['HGBENCH_TEST_RUN_PID'] = str(os.getpid())\n"
              "from hgbench.benchmarks.run.plan import plan\n"
              "from hgbench.benchmarks.run.runner import Runner\n"
              "from hgbench.benchmarks.run.store import Store\n"
              f"{prelude}"
              "cluster_support.register()\n"
              f"jobs, _ = plan('t', {methods!r}, ['synthetic'], '5-shot', 1)\n"
              f"Runner(Store({str(root)!r}), time_limit_s=600).run(jobs)\n")
    tests = Path(__file__).parent
    env = dict(os.environ, HGBENCH_TEST_PIDFILE=str(marker),
               PYTHONPATH=os.pathsep.join([str(tests.parent / "src"), str(tests), os.environ.get("PYTHONPATH", "")]))
    run = subprocess.Popen([sys.executable, "-c", driver], env=env)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert run.poll() is None and marker.exists(), "the run did not reach the point where it is terminated"
        run.send_signal(signal.SIGTERM)
        run.send_signal(signal.SIGCONT)
        assert run.wait(timeout=60) == 128 + signal.SIGTERM
    finally:
        run.kill()
    return Store(root)


def test_a_terminated_run_kills_its_worker_and_resumes_where_it_stopped(tmp_path):
    """SIGTERM (kill, SLURM's cancellation) to a run with a time limit (its jobs run in a worker process) kills
    the worker with it, not after the worker's job ends; the next run keeps the finished record."""
    store = _terminate(tmp_path, ["zen", "stuck"])  # the marker is the PID of the worker running ``stuck``
    with pytest.raises(ProcessLookupError):
        os.kill(int((tmp_path / "marker").read_text()), 0)  # killed and reaped by the run, not left sleeping
    assert [r["method"] for r in store.all_records()] == ["zen"]  # the stuck job has no record: rerun later


def test_a_terminated_run_stores_the_results_its_worker_had_already_sent(tmp_path):
    """A result that reached the pipe before SIGTERM is stored on the way out, however late the run reads it:
    here the run is stopped from inside the first job, so the result waits in the pipe while the next job
    starts, and SIGTERM arrives before the run has read anything."""
    store = _terminate(tmp_path, ["stops-parent", "stuck"])
    assert [r["method"] for r in store.all_records()] == ["stops-parent"]


def test_a_record_being_stored_when_sigterm_arrives_is_stored_whole(tmp_path):
    """SIGTERM while the run writes a record (here a slow write: it marks its start, then waits) stops the run
    once that record is stored, not halfway through it."""
    prelude = ("import time\n"
               "original = Store.put\n"
               "def slow_put(self, record):\n"
               "    open(os.environ['HGBENCH_TEST_PIDFILE'], 'w').write('storing')\n"
               "    time.sleep(2)\n"
               "    original(self, record)\n"
               "Store.put = slow_put\n")
    store = _terminate(tmp_path, ["zen"], prelude)
    assert [r["method"] for r in store.all_records()] == ["zen"]


# ----------------------------------------------------------------------------- a cluster task lost as a whole
class LosingCluster(ClusterRunner):
    """A cluster whose tasks run their jobs in this process, and whose task running seed ``lose_on`` is lost
    (its node dies) the first ``losses`` times: the loss handling Ray and SLURM share, without either."""

    executor = "losing-cluster"

    def __init__(self, store: Store, losses: int, lose_on: int = 1) -> None:
        super().__init__(store)
        self.losses_left, self.lose_on = losses, lose_on

    def drive(self, waiting, settings, summary) -> None:
        while waiting:
            task = waiting.popleft()
            while task.remaining:
                job = task.remaining[0]
                if job.seed == self.lose_on and self.losses_left:
                    self.losses_left -= 1
                    self.lost(task, summary, f"node died, {self.losses_left} more to come", waiting)
                    break
                result = self.execute(job, catalog.load(job.dataset), task.splits[job.key], {})
                self.receive(task, summary, job.key, result, 0.0)


@pytest.mark.parametrize("losses", [1, 2])
def test_a_lost_cluster_task_is_submitted_once_more(tmp_path, losses):
    jobs, _ = plan("t", ["zen"], ["synthetic"], "5-shot", 3)  # one chunk: seeds 0, 1 (its task lost), 2
    store = Store(tmp_path)
    summary = LosingCluster(store, losses).run(jobs)
    by_seed = {record["seed"]: record for record in store.all_records()}
    assert by_seed[0]["status"] == by_seed[2]["status"] == "ok" and summary.executed == 3
    assert "retried_after" not in by_seed[0] and "retried_after" not in by_seed[2]
    if losses == 1:  # submitted again with the rest of its chunk
        assert by_seed[1]["status"] == "ok" and summary.failed == 0
        assert by_seed[1]["retried_after"] == "cluster task lost (node died, 0 more to come)"
    else:  # lost twice: failed, naming both losses, and run again by the next bench run
        assert by_seed[1]["status"] == "failed" and by_seed[1]["rerun_on_resume"] and summary.failed == 1
        assert by_seed[1]["reason"] == ("cluster task lost (node died, 0 more to come) while running this job; "
                                        "submitted once more after the first loss (cluster task lost (node died, "
                                        "1 more to come)), it was lost again")
        again = LosingCluster(store, 0).run(jobs)
        assert (again.executed, again.skipped) == (1, 2) and store.get("zen", jobs[1].key)["status"] == "ok"
