"""Executors: one interface, hard time limits in every executor, thread counts recorded."""

import multiprocessing
import os
import time

import pytest
import torch

from hgbench.benchmarks.cli import main
from hgbench.benchmarks.run import registry
from hgbench.benchmarks.run.executors import Executor
from hgbench.benchmarks.run.plan import schedule
from hgbench.benchmarks.run.pool import PoolRunner
from hgbench.benchmarks.run.runner import Runner
from hgbench.benchmarks.run.store import Store
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
    monkeypatch.setitem(registry._METHODS, "sleepy", registry.MethodEntry("sleepy", Sleepy, "Sleepy"))


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
