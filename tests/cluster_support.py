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
        deaths = int(os.environ.get("HGBENCH_TEST_DEATHS", "1"))
        markers = [Path(f"{os.environ['HGBENCH_TEST_MARKER']}.{n}") for n in range(deaths)]
        if seed == 1 and not all(marker.exists() for marker in markers):
            next(marker for marker in markers if not marker.exists()).touch()
            os.kill(os.getpid(), getattr(signal, os.environ["HGBENCH_TEST_SIGNAL"]))
            time.sleep(30)  # SIGTERM is delivered asynchronously
        return _labels(data)


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
        if "HGBENCH_TEST_PIDFILE" in os.environ:  # tells a test which process runs it
            Path(os.environ["HGBENCH_TEST_PIDFILE"]).write_text(str(os.getpid()))
        time.sleep(30)
        return _labels(data)


class StopsParent(Method):
    """Stops the run that handed it to a worker (``SIGSTOP`` to ``$HGBENCH_TEST_RUN_PID``; the worker's own parent
    may be a fork server) and returns: its result reaches the pipe while the run cannot read it; ok."""

    name = "stops-parent"
    search_space = {"x": [0]}

    def fit(self, data, split, config, seed, prepared):
        os.kill(int(os.environ["HGBENCH_TEST_RUN_PID"]), signal.SIGSTOP)
        return _labels(data)


NAMES = {"dies": Dies, "slow-a": Slow, "slow-b": Slow, "stuck": Stuck, "stops-parent": StopsParent}


def register() -> None:
    """Register the methods of :data:`NAMES` (``slow-a`` and ``slow-b``: two chunks that run side by side)."""
    registry.method_names()  # the built-ins first
    for name, cls in NAMES.items():
        registry.METHODS._items[name] = registry.MethodEntry(name, cls, name)
