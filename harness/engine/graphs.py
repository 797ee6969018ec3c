"""CUDA-graph capture of decode steps, with an eager fallback.

A *step* is a callable that reads and writes only static buffers (no host sync, no Python-side results, static
shapes) and is idempotent for a given state: running it twice writes the same values. :class:`StepGraph` runs
such a step eagerly, or captures it once (after a warm-up run on a side stream) and replays the graph.

Whether to capture: ``auto`` (the default: on CUDA devices, eager elsewhere), ``on`` (capture; an error when it
cannot) or ``off`` (always eager). Set it with :func:`set_graph_mode` or the environment variable
``SEC_HEADS_CUDA_GRAPHS``. In ``auto`` mode a failed capture is reported once, loudly (a warning naming the
error), and that step and every step created after it run eagerly.
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from collections.abc import Callable

import torch

GRAPH_MODES = ("auto", "on", "off")
GRAPHS_ENV = "SEC_HEADS_CUDA_GRAPHS"
log = logging.getLogger("harness.engine.graphs")

_mode: str | None = None  # set_graph_mode's choice (None: the environment's)
_pools: dict[str, tuple] = {}  # per device: (pool handle, anchor graph, its buffer), shared by every captured step
_failures: list[str] = []  # capture errors seen in auto mode (reported once each)
_stats = {"captures": 0, "seconds": 0.0}  # successful captures so far and their time (warm-up included)


def set_graph_mode(mode: str | None) -> None:
    """``auto`` / ``on`` / ``off``; None: back to ``$SEC_HEADS_CUDA_GRAPHS`` (default ``auto``)."""
    if mode is not None and mode not in GRAPH_MODES:
        raise ValueError(f"graph mode must be one of {', '.join(GRAPH_MODES)}, got {mode!r}")
    global _mode
    _mode = mode


def graph_mode() -> str:
    """The mode in force: :func:`set_graph_mode`'s, else the environment's, else ``auto``."""
    mode = _mode or os.environ.get(GRAPHS_ENV, "auto").strip().lower() or "auto"
    if mode not in GRAPH_MODES:
        raise ValueError(f"{GRAPHS_ENV} must be one of {', '.join(GRAPH_MODES)}, got {mode!r}")
    return mode


def wants_graphs(device: torch.device | str) -> bool:
    """Whether steps on ``device`` are captured (``on`` off CUDA is an error: nothing can be captured there)."""
    mode, is_cuda = graph_mode(), torch.device(device).type == "cuda"
    if mode == "on" and not is_cuda:
        raise RuntimeError(f"CUDA graphs requested ({GRAPHS_ENV}=on) but the model runs on {device}")
    # in auto mode one failed capture turns capture off for the process: torch can leave its allocator and
    # random generator mid-capture after a failed capture, and a second attempt would only fail the same way
    return mode != "off" and is_cuda and not (mode == "auto" and _failures)


def capture_failures() -> list[str]:
    """The capture errors met so far in ``auto`` mode (each fell back to eager)."""
    return list(_failures)


def capture_stats() -> dict[str, float]:
    """How many steps were captured so far and the seconds it took (warm-up runs included)."""
    return dict(_stats)


def _pool(device: torch.device):
    """The device's shared graph memory pool. The allocator forgets a pool once every graph captured into it is
    destroyed, and a later capture into the same handle then fails an internal assertion; so the pool's first
    graph is a one-kernel anchor kept for the process: the handle always has a live user, whatever workspaces
    are dropped."""
    key = str(device)
    if key not in _pools:
        handle = torch.cuda.graph_pool_handle()
        with torch.cuda.device(device):
            buf = torch.zeros(1, device=device)
            side = torch.cuda.Stream(device)
            side.wait_stream(torch.cuda.current_stream(device))
            with torch.cuda.stream(side):
                buf.add_(1)
            torch.cuda.current_stream(device).wait_stream(side)
            anchor = torch.cuda.CUDAGraph()
            with torch.cuda.graph(anchor, pool=handle):
                buf.add_(1)
        _pools[key] = (handle, anchor, buf)
    return _pools[key][0]


class StepGraph:
    """One step run eagerly or as a captured CUDA graph (captured on the first call when ``capture``)."""

    def __init__(self, step: Callable[[], None], device: torch.device | str, capture: bool, name: str = "step",
                 warmup: int = 1) -> None:
        self.step, self.device, self.name, self.warmup = step, torch.device(device), name, warmup
        self.capture = capture
        self.graph: torch.cuda.CUDAGraph | None = None

    @property
    def captured(self) -> bool:
        return self.graph is not None

    def __call__(self) -> None:
        if not (self.capture or self.graph is not None):
            self.step()
            return
        with torch.cuda.device(self.device):  # capture and replay on the step's device, whatever the current one
            if self.graph is None:
                self._capture()
            if self.graph is not None:
                self.graph.replay()
            # else: the capture failed and the warm-up already ran the step eagerly (the step is idempotent)

    def _capture(self) -> None:
        dev = self.device
        t0 = time.perf_counter()
        side = torch.cuda.Stream(dev)
        side.wait_stream(torch.cuda.current_stream(dev))
        with torch.cuda.stream(side):
            for _ in range(max(1, self.warmup)):
                self.step()
        torch.cuda.current_stream(dev).wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        try:
            with torch.cuda.graph(graph, pool=_pool(dev)):
                self.step()
        except Exception as e:
            self.capture = False
            if graph_mode() == "on":
                raise RuntimeError(f"CUDA graph capture of {self.name} failed: {type(e).__name__}: {e}") from e
            msg = f"CUDA graph capture of {self.name} failed, running it eagerly: {type(e).__name__}: {e}"
            if msg not in _failures:
                _failures.append(msg)
                warnings.warn(msg, RuntimeWarning, stacklevel=3)
                log.warning(msg)
            torch.cuda.synchronize(dev)
            return
        self.graph = graph
        _stats["captures"] += 1
        _stats["seconds"] += time.perf_counter() - t0
