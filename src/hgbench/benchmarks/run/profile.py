"""The one timer and peak-memory probe every run goes through.

Peak memory on CPU is the process's resident-set high-water mark (``VmHWM``), reset before each
run through ``/proc/self/clear_refs`` where Linux allows it, so it is the peak of that run; where
it cannot be reset the lifetime peak is reported and ``memory_probe`` says so. On GPU it is
``torch.cuda.max_memory_allocated`` after a reset.
"""

from __future__ import annotations

import ctypes
import resource
import statistics
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import torch
from torch import Tensor

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


def _status_mb(field: str) -> float | None:
    """A ``/proc/self/status`` memory field (``VmHWM``, ``VmRSS``) in MiB; None where there is none."""
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _return_free_heap() -> None:
    """glibc's ``malloc_trim(0)``: give the heap's free pages back, so the next allocations show in RSS."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the measurement may then undercount
        pass


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
        hwm = _status_mb("VmHWM") if self.probe == "rss_hwm" else None
        if hwm is None:
            self.probe = "rss_lifetime_peak"
            scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20
        return hwm


def inference_profile(predict: Callable[[], Tensor], device: str = "cpu", warmup: int = 3,
                      repeats: int = 20) -> dict[str, float | str]:
    """Time and memory of one full forward of a trained model (TriPrune's efficiency columns).

    ``warmup`` untimed forwards, then the median wall time of ``repeats`` forwards (the device
    synchronised around each: BASELINES.md §0.6); peak memory is that of one more forward above what
    the process held before it (RSS high-water mark on CPU, allocated bytes on GPU). On CPU the
    heap's free pages are first returned to the system: the warm-up forwards leave freed blocks in
    malloc's heap that the measured forward would reuse without its resident size growing.
    """
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    with torch.no_grad():
        for _ in range(warmup):
            predict()
        times = []
        for _ in range(repeats):
            sync()
            start = time.perf_counter()
            predict()
            sync()
            times.append(time.perf_counter() - start)
        if not device.startswith("cuda"):
            _return_free_heap()
        baseline = torch.cuda.memory_allocated(device) / 2**20 if device.startswith("cuda") else _status_mb("VmRSS")
        memory = PeakMemory(device)
        memory.start()
        predict()
        sync()
        peak = memory.stop()
    return {"inference_seconds": statistics.median(times), "inference_peak_mb": max(peak - (baseline or 0.0), 0.0),
            "inference_memory_probe": memory.probe}

