"""Timers and memory measurement (harness/checks/bench/timing.py)."""

from __future__ import annotations

import pytest
import torch

from harness.checks.bench import timing


def test_measure_memory_records_oom_and_reraises_other_errors():
    def oom():
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 64.00 GiB")

    rec = timing.measure_memory(oom, "cpu")
    assert rec["status"] == "OOM" and "out of memory" in rec["error"]

    def broken():
        raise RuntimeError("shape mismatch")

    with pytest.raises(RuntimeError, match="shape mismatch"):
        timing.measure_memory(broken, "cpu")


def test_measure_memory_ok_on_cpu():
    rec = timing.measure_memory(lambda: torch.ones(1000).sum(), "cpu")
    assert rec["status"] == "ok" and rec["seconds"] >= 0 and "rss_peak_reset" in rec


def test_time_call_warms_up_then_times_each_repeat():
    calls = []
    t = timing.time_call(lambda: calls.append(1) or len(calls), "cpu", warmup=2, repeats=3)
    assert len(calls) == 5 and len(t.seconds) == 3 and t.result == 5 and t.peak_bytes is None
    assert t.median == sorted(t.seconds)[1]
    rec = timing.rate_record(100, t)
    assert rec["seconds"] == t.seconds and rec["context_tokens_per_s"] == pytest.approx(100 / t.median)


def test_oom_detection_and_error_records():
    assert timing.is_oom(torch.OutOfMemoryError("x")) and timing.is_oom(MemoryError())
    assert timing.is_oom(RuntimeError("DefaultCPUAllocator: can't allocate memory"))
    assert not timing.is_oom(RuntimeError("shape mismatch")) and not timing.is_oom(ValueError("out of memory"))
    try:
        raise RuntimeError("CUDA out of memory")
    except RuntimeError as e:
        assert timing.error_record(e) == {"status": "OOM", "error": "RuntimeError: CUDA out of memory"}
    assert timing.reference_bytes_estimate(2, 4, 10, 2) == 2 * 4 * 100 * 2 + 2 * 4 * 100 * 4
