"""Executors: one interface, hard time limits in every executor, thread counts recorded, one run per store."""

import multiprocessing
import os
import threading
import time

import pytest
import torch

from hgbench.benchmarks.cli import main
from hgbench.benchmarks.run import registry
from hgbench.benchmarks.run.executors import Executor
from hgbench.benchmarks.run.plan import schedule
from hgbench.benchmarks.run.pool import PoolRunner
from hgbench.benchmarks.run.runner import Runner
from hgbench.benchmarks.run.store import Store, StoreLocked
from hgbench.benchmarks.suites import suite
from hgbench.methods.base import Fitted, Method


class Sleepy(Method):
    """Sleeps in ``prepare`` or ``fit`` as its config says, never polling its deadline; ok otherwise."""

    name = "sleepy"
    search_space = {"mode": ["ok", "prepare", "fit"]}

    def prepare(self, data, config):
        if config["mode"] == "prepare":
            time.sleep(30)

    def fit(self, data, split, config, seed, prepared):
        if config["mode"] == "fit":
            time.sleep(30)
        return Fitted(lambda: torch.nn.functional.one_hot(data.labels, data.num_classes).float())


@pytest.fixture
def sleepy_method(monkeypatch):
    registry.method_names()
    monkeypatch.setitem(registry.METHODS._items, "sleepy", registry.MethodEntry("sleepy", Sleepy, "Sleepy"))


EXECUTORS = {
    "sequential": lambda store, **options: Runner(store, **options),
    "pool-2": lambda store, **options: PoolRunner(store, 2, **options),
}


@pytest.mark.parametrize("name", EXECUTORS)
def test_a_run_that_never_polls_its_deadline_is_killed_at_the_limit(tmp_path, sleepy_method, name):
    store = Store(tmp_path)
    jobs = schedule(store, "t", ["sleepy", "zen"], ["synthetic"], "5-shot", 1)
    executor = EXECUTORS[name](store, time_limit_s=1)
    start = time.monotonic()
    summary = executor.run(jobs)
    seconds = time.monotonic() - start
    records = {(r["method"], r["config"].get("mode")): r for r in store.records("t")}
    assert {k: r["status"] for k, r in records.items()} == {
        ("sleepy", "ok"): "ok", ("sleepy", "prepare"): "timeout", ("sleepy", "fit"): "timeout", ("zen", None): "ok"}
    for mode in ("prepare", "fit"):
        record = records[("sleepy", mode)]
        assert "time limit exceeded (1 s)" in record["reason"] and "killed" in record["reason"]
        assert record["executor"] == name and record["environment"]["torch_threads"] == 1
        assert not record.get("rerun_on_resume")  # a timeout is the job's: only --retry timeout reruns it
    assert summary.executed == 4 and summary.failed == 2
    assert seconds < 20, f"two 30 s sleeps were not stopped at the 1 s limit ({seconds:.1f} s)"
    assert not multiprocessing.active_children()
    again = EXECUTORS[name](store, time_limit_s=1).run(jobs)
    assert (again.executed, again.skipped) == (0, 4)


@pytest.mark.parametrize("name, time_limit_s", [("sequential", None), ("sequential", 60), ("pool-2", None)])
def test_every_executor_records_the_thread_count_it_set(tmp_path, name, time_limit_s):
    store = Store(tmp_path)
    executor = EXECUTORS[name](store, time_limit_s=time_limit_s, threads=2)
    assert isinstance(executor, Executor) and executor.executor == name
    executor.run(schedule(store, "t", ["zen"], ["synthetic"], "5-shot", 2))
    records = store.records("t")
    assert len(records) == 2 and {r["status"] for r in records} == {"ok"}
    assert {r["environment"]["torch_threads"] for r in records} == {2} and {r["executor"] for r in records} == {name}


def test_cli_threads_option_is_recorded(tmp_path):
    out = tmp_path / "results"
    args = ["run", "--suite", "demo", "--methods", "zen", "--datasets", "synthetic", "--seeds", "1", "--out", str(out)]
    assert main(args + ["--threads", "2"]) == 0
    (record,) = Store(out / "store").all_records()
    assert record["environment"]["torch_threads"] == 2


def _hold_lock(root, ready) -> None:
    with Store(root).lock():
        ready.set()
        time.sleep(60)


def test_the_store_lock_names_its_holder_and_dies_with_it(tmp_path):
    context = multiprocessing.get_context("fork")  # the child only takes a file lock
    ready = context.Event()
    holder = context.Process(target=_hold_lock, args=(tmp_path, ready))
    holder.start()
    try:
        assert ready.wait(30)
        with pytest.raises(StoreLocked, match=f"{tmp_path}.*PID {holder.pid}"):
            with Store(tmp_path).lock():
                pass
    finally:
        holder.kill()  # SIGKILL: no cleanup runs, the kernel drops the lock
        holder.join()
    store = Store(tmp_path)
    with store.lock():  # a killed holder does not block
        assert (tmp_path / ".lock").read_text().strip() == str(os.getpid())
        with store.lock():  # re-entrant through the same object
            pass
        with pytest.raises(StoreLocked, match=f"PID {os.getpid()}"), Store(tmp_path).lock():
            pass  # another object is another run, even in this process


def test_a_second_run_on_a_busy_store_refuses_and_no_job_runs_twice(tmp_path, capsys):
    out = tmp_path / "results"
    store = Store(out / "store")
    demo = suite("demo")
    jobs = schedule(store, "demo", ["zen"], ["synthetic"], demo.protocol, 2)
    recorded, first_stored, tried = [], threading.Event(), threading.Event()

    def wait_for_the_second_run(job, record) -> None:
        recorded.append(job.key)
        first_stored.set()
        assert tried.wait(60)

    first = threading.Thread(target=lambda: Runner(store, on_record=wait_for_the_second_run).run(jobs))
    first.start()
    try:
        assert first_stored.wait(60)  # the first run is mid-run: one job stored, one to go
        code = main(["run", "--suite", "demo", "--methods", "zen", "--datasets", "synthetic", "--seeds", "2",
                     "--out", str(out)])
    finally:
        tried.set()
        first.join()
    assert code == 3
    err = capsys.readouterr().err
    assert "error:" in err and str(store.root) in err and f"PID {os.getpid()}" in err
    assert sorted(recorded) == sorted(job.key for job in jobs)  # each job ran once, by the first run
    assert sorted(r["key"] for r in store.all_records()) == sorted(job.key for job in jobs)
