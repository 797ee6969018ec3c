"""Timers and memory measurement: wall times synchronised on CUDA, peak CUDA memory or peak RSS, OOM records.

:func:`time_call` times a call after warm-up calls (median over repeats, peak CUDA memory over the timed
calls); :func:`measure_memory` records one call's peak memory and turns an out-of-memory error into a
record with status ``OOM``. On the CPU the peak is the process's peak RSS (``VmHWM``), reset per
measurement where the kernel allows it.
"""

from __future__ import annotations

import gc
import statistics
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

GIB = 1024**3


def log(msg: str) -> None:
    """A timestamped progress line on stdout."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def sync(device: str) -> None:
    """Wait for the device's queued work (CUDA); a no-op on the CPU."""
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()


def is_oom(exc: BaseException) -> bool:
    """Whether ``exc`` is an out-of-memory error (CUDA, or the CPU allocator's)."""
    if isinstance(exc, torch.OutOfMemoryError):
        return True
    msg = str(exc).lower()
    return isinstance(exc, (RuntimeError, MemoryError)) and (
        "out of memory" in msg or "can't allocate memory" in msg or isinstance(exc, MemoryError))


def free_memory(device: str) -> None:
    """Collect garbage and, on CUDA, hand cached blocks back."""
    gc.collect()
    if str(device).startswith("cuda"):
        torch.cuda.empty_cache()


def proc_status_kib(field_name: str) -> int | None:
    """A ``/proc/self/status`` field in KiB (``VmHWM``, ``VmRSS``); None where unavailable."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def reset_rss_peak() -> bool:
    """Reset the process's peak RSS (VmHWM) where the kernel allows (``/proc/self/clear_refs`` <- 5)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


@dataclass
class Timing:
    """Wall times of the timed calls, the last call's result, and the peak CUDA memory over them."""

    seconds: list[float]
    result: Any
    peak_bytes: int | None = None

    @property
    def median(self) -> float:
        """The median wall time (s)."""
        return float(statistics.median(self.seconds))


def time_call(fn: Callable[[], Any], device: str, warmup: int, repeats: int) -> Timing:
    """Median-able wall times of ``fn`` (synchronised on CUDA) after ``warmup`` untimed calls; on CUDA also the
    peak memory allocated over the timed calls."""
    for _ in range(warmup):
        fn()
    cuda = str(device).startswith("cuda")
    free_memory(device)
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    times, result = [], None
    for _ in range(max(1, repeats)):
        result = None
        sync(device)
        t0 = time.perf_counter()
        result = fn()
        sync(device)
        times.append(time.perf_counter() - t0)
    peak = int(torch.cuda.max_memory_allocated()) if cuda else None
    return Timing(times, result, peak)


def measure_memory(fn: Callable[[], Any], device: str) -> dict[str, Any]:
    """Peak memory of one call of ``fn``: CUDA ``max_memory_allocated`` (weights included), or on CPU the
    process's peak RSS. Out-of-memory is caught and recorded as status ``OOM``."""
    cuda = str(device).startswith("cuda")
    free_memory(device)
    rec: dict[str, Any] = {}
    if cuda:
        torch.cuda.reset_peak_memory_stats()
        rec["allocated_before_gib"] = torch.cuda.memory_allocated() / GIB
    else:
        rec["rss_peak_reset"] = reset_rss_peak()
    oom = None
    t0 = time.perf_counter()
    try:
        fn()
        sync(device)
    except (RuntimeError, MemoryError) as e:  # torch.OutOfMemoryError is a RuntimeError
        if not is_oom(e):
            raise
        oom = str(e).strip().splitlines()[0][:300]
    rec["seconds"] = time.perf_counter() - t0
    if cuda:
        peak = int(torch.cuda.max_memory_allocated())
        rec.update(peak_bytes=peak, peak_gib=peak / GIB, peak_gb=peak / 1e9)
    else:
        hwm, rss = proc_status_kib("VmHWM"), proc_status_kib("VmRSS")
        rec.update(rss_peak_mib=None if hwm is None else hwm / 1024, rss_now_mib=None if rss is None else rss / 1024)
    if oom is not None:
        rec.update(status="OOM", error=oom)
        free_memory(device)
    else:
        rec["status"] = "ok"
    return rec


def reference_bytes_estimate(n_layers: int, n_heads: int, n: int, itemsize: int) -> int:
    """Memory the reference path's maps take on one full forward (kept maps + one float32 softmax transient)."""
    return n_layers * n_heads * n * n * itemsize + 2 * n_heads * n * n * 4


def mem_available_bytes() -> int | None:
    """``MemAvailable`` of ``/proc/meminfo`` in bytes; None where unavailable."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def error_record(e: BaseException) -> dict[str, Any]:
    """A failed measurement's record (status ``OOM`` or ``error``, the message); the traceback is printed."""
    traceback.print_exc()
    return {"status": "OOM" if is_oom(e) else "error", "error": f"{type(e).__name__}: {e}"[:1000]}


def rate_record(n_tokens: int, t: Timing) -> dict[str, Any]:
    """A timing as context tokens/s (median), with the raw times and the CUDA peak when measured."""
    rec: dict[str, Any] = {"seconds_median": t.median, "seconds": t.seconds,
                           "context_tokens_per_s": n_tokens / t.median if t.median > 0 else None}
    if t.peak_bytes is not None:
        rec["peak_gib"] = t.peak_bytes / GIB
    return rec
