"""The one timer and peak-memory probe every run goes through.

Peak memory on CPU is the process's resident-set high-water mark (``VmHWM``), reset before each
run through ``/proc/self/clear_refs`` where Linux allows it, so it is the peak of that run; where
it cannot be reset the lifetime peak is reported and ``memory_probe`` says so. On GPU it is
``torch.cuda.max_memory_allocated`` after a reset.
"""

from __future__ import annotations

import resource
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import torch

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


@dataclass
class Stopwatch:
    seconds: float = 0.0


@contextmanager
def timed() -> Iterator[Stopwatch]:
    """``with timed() as t: ...`` then ``t.seconds`` is the wall time of the block."""
    watch = Stopwatch()
    start = time.perf_counter()
    try:
        yield watch
    finally:
        watch.seconds = time.perf_counter() - start


def _hwm_mb() -> float | None:
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class PeakMemory:
    """Measures the peak memory of the code run between :meth:`start` and :meth:`stop`."""

    def __init__(self, device: str = "cpu") -> None:
        self.device = device
        self.probe = "cuda_max_allocated" if device.startswith("cuda") else "rss_hwm"

    def start(self) -> None:
        if self.device.startswith("cuda"):
            torch.cuda.reset_peak_memory_stats(self.device)
            return
        try:
            _CLEAR_REFS.write_text("5")
        except OSError:
            self.probe = "rss_lifetime_peak"

    def stop(self) -> float:
        if self.device.startswith("cuda"):
            return torch.cuda.max_memory_allocated(self.device) / 2**20
        hwm = _hwm_mb() if self.probe == "rss_hwm" else None
        if hwm is None:
            self.probe = "rss_lifetime_peak"
            scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20
        return hwm
