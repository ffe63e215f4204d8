"""Methods for the cluster executors' tests, in a module the executors' task processes can import
(the tests put this folder on their PYTHONPATH)."""

import os
import signal
import time
from pathlib import Path

import torch

from hgbench.benchmarks.run import registry
from hgbench.methods.base import Fitted, Method


def _labels(data) -> Fitted:
    return Fitted(lambda: torch.nn.functional.one_hot(data.labels, data.num_classes).float())


class Dies(Method):
    """Kills its own process with ``$HGBENCH_TEST_SIGNAL`` on seed 1 the first ``$HGBENCH_TEST_DEATHS`` times
    (default 1; each leaves a file ``$HGBENCH_TEST_MARKER.<n>`` behind); ok otherwise."""

    name = "dies"
    search_space = {"x": [0]}

    def fit(self, data, split, config, seed, prepared):
        if seed == 1:
            _die_once_more(os.getpid())
        return _labels(data)


class KillsItsTask(Method):
    """On seed 1, the first ``$HGBENCH_TEST_DEATHS`` times, kills the process that supervises its worker (a
    cluster task: the worker's grandparent, the fork server between them) with ``$HGBENCH_TEST_SIGNAL``."""

    name = "kills-its-task"
    search_space = {"x": [0]}

    def fit(self, data, split, config, seed, prepared):
        if seed == 1:
            _die_once_more(_parent_of(os.getppid()))
        return _labels(data)


def _die_once_more(pid: int) -> None:
    """Send ``$HGBENCH_TEST_SIGNAL`` to ``pid`` unless it was sent ``$HGBENCH_TEST_DEATHS`` times already."""
    for n in range(int(os.environ.get("HGBENCH_TEST_DEATHS", "1"))):
        marker = Path(f"{os.environ['HGBENCH_TEST_MARKER']}.{n}")
        if not marker.exists():
            marker.touch()
            os.kill(pid, getattr(signal, os.environ["HGBENCH_TEST_SIGNAL"]))
            time.sleep(30)  # SIGTERM is delivered asynchronously; a killed task takes its worker with it
            return


def _parent_of(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[1])


class Slow(Method):
    """Sleeps 0.3 s per fit; ok."""

    name = "slow"
    search_space = {"x": [0]}

    def fit(self, data, split, config, seed, prepared):
        time.sleep(0.3)
        return _labels(data)


class Stuck(Method):
    """Sleeps 30 s in ``fit`` without polling its deadline."""

    name = "stuck"
    search_space = {"x": [0]}

    def fit(self, data, split, config, seed, prepared):
        time.sleep(30)
        return _labels(data)


NAMES = {"dies": Dies, "kills-its-task": KillsItsTask, "slow-a": Slow, "slow-b": Slow, "stuck": Stuck}


def register() -> None:
    """Register the methods of :data:`NAMES` (``slow-a`` and ``slow-b``: two chunks that run side by side)."""
    registry.method_names()  # the built-ins first
    for name, cls in NAMES.items():
        registry.METHODS._items[name] = registry.MethodEntry(name, cls, name)
