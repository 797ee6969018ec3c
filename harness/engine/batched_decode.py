"""Batched greedy decoding over a shared prefix: prompt calls, graph-captured decode steps, lazy stop checks.

A :class:`Workspace` owns the static buffers of one batch shape (:class:`harness.engine.batching.SharedRows`,
the token ids, the per-step top-1 buffer) and its decode step, captured as a CUDA graph where
:func:`harness.engine.graphs.wants_graphs` says so (eager elsewhere). Workspaces are cached by shape, so a
run re-uses a handful of captured steps: on CUDA the prefix, segment and row counts are rounded up to buckets
(padding is masked, never seen), on the CPU they are exact.

A decode step reads the token of column t of ``ids`` and writes the greedy next token to column t + 1; the
host never reads a step's result. The stop rule is checked every :func:`stop_check_every` steps on a copy of
the ids (one sync), rows that stopped keep decoding into columns that are thrown away, and each row's result
is cut at its own stop. :func:`decode_over_prefix` is the ablation's entry point (rows = head sets of one or
more prompts over one prefix); the detection pass (:mod:`harness.methods.batched_pass`) uses the workspace
directly with its probe consumers.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from harness.engine import graphs, probe
from harness.engine.batching import BatchConsumer, RowsShape, SharedRows, prefix_buffers
from harness.engine.models import count_heads

PREFIX_BUCKET = 512  # graph shapes: prefix capacity rounded up to this many tokens
SEGMENT_BUCKET = 16  # ... prompt segment capacity
ROW_BUCKET = 8  # ... rows per prompt (above 1)
MAX_WORKSPACES = 24
_workspaces: OrderedDict[tuple, Workspace] = OrderedDict()
_prefixes: OrderedDict[tuple, tuple[list[torch.Tensor], list[torch.Tensor]]] = OrderedDict()
_check_every: int | None = None
_lagged: bool | None = None
_buckets: bool | None = None


def set_shape_buckets(on: bool | None) -> None:
    """Round batch shapes up to the graph buckets (True), never (False), or where steps are captured (None).
    With True on a CPU the eager steps run on exactly the padded shapes a captured step would."""
    global _buckets
    _buckets = on


def shape_buckets(device: torch.device | str) -> bool:
    """Whether batch shapes on ``device`` are rounded up to the graph buckets."""
    return graphs.wants_graphs(device) if _buckets is None else _buckets


def set_stop_check_every(steps: int | None, lagged: bool | None = None) -> None:
    """Check the stop rule every ``steps`` decode steps (None: the default, 4 on CUDA and 1 elsewhere); ``lagged``:
    check the copy made at the previous check (overlapping the decoding; None: on CUDA only)."""
    if steps is not None and steps < 1:
        raise ValueError(f"stop checks need a period of at least 1 step, got {steps}")
    global _check_every, _lagged
    _check_every, _lagged = steps, lagged


def stop_check_every(device: torch.device | str) -> int:
    """Decode steps between two stop checks (each one host sync) on ``device``."""
    return _check_every or (4 if torch.device(device).type == "cuda" else 1)


def release_workspaces() -> None:
    """Drop every cached workspace, captured graph and prefix buffer (frees their device memory)."""
    _workspaces.clear()
    _prefixes.clear()


def _round_up(n: int, bucket: int) -> int:
    return max(bucket, int(math.ceil(n / bucket)) * bucket)


def batch_shape(model, prefix_len: int, segment_len: int, prompts: int, rows_per_prompt: int, decode_steps: int,
                graphs_on: bool, groups: int = 1) -> RowsShape:
    """The workspace shape for a batch (rounded up to the graph buckets when ``graphs_on``); ``prompts`` in all,
    ``groups`` prefixes of ``prompts / groups`` prompts each."""
    n_layers, n_heads, n_kv, head_dim = count_heads(model.config)
    p, m, r = max(1, prefix_len), max(1, segment_len), rows_per_prompt
    if graphs_on:
        p, m = _round_up(p, PREFIX_BUCKET), _round_up(m, SEGMENT_BUCKET)
        r = r if r == 1 else _round_up(r, ROW_BUCKET)
    return RowsShape(n_layers, n_kv, head_dim, n_heads, prompts, r, p, m, max(1, decode_steps), groups)


class StopTracker:
    """Where each row's generation stops, from copies of the generated ids (``stop.done`` on each prefix)."""

    def __init__(self, stop, rows: Sequence[int]) -> None:
        self.stop, self.rows = stop, list(rows)
        self.end: dict[int, int] = {}  # row -> number of tokens kept (the stop token included)
        self.checked = 0

    def update(self, generated: list[list[int]]) -> bool:
        """``generated[b]``: row b's tokens so far (all rows the same length). True when every row stopped."""
        n = len(generated[self.rows[0]]) if self.rows else 0
        for b in self.rows:
            if b in self.end:
                continue
            for i in range(self.checked, n):
                if self.stop.done(generated[b][: i + 1]):
                    self.end[b] = i + 1
                    break
        self.checked = n
        return len(self.end) == len(self.rows)

    def cut(self, generated: list[list[int]], limit: int) -> dict[int, list[int]]:
        """Each tracked row's tokens up to its stop (or ``limit``)."""
        return {b: generated[b][: min(self.end.get(b, limit), limit)] for b in self.rows}


@dataclass(frozen=True)
class StepOptions:
    """What a workspace's decode step does besides decoding: head masks (mode) and per-step top-1 rows."""

    mask_mode: str | None = None
    top1: bool = False


class Workspace:
    """Static buffers and the (captured) decode step of one batch shape (see the module doc)."""

    def __init__(self, model, shape: RowsShape, opts: StepOptions, capture: bool) -> None:
        dev = model.device
        self.model, self.shape, self.opts = model, shape, opts
        devices = layer_devices(model)
        dtype = buffer_dtype(model)
        self.rows = SharedRows(shape, dev, _prefix_store(shape, dev, devices, dtype), devices, dtype)
        b = shape.rows
        self.ids = torch.zeros(b, shape.decode_cap + 1, dtype=torch.long, device=dev)
        self.step_t = torch.zeros(1, dtype=torch.long, device=dev)
        self.top1 = torch.zeros(shape.n_layers, shape.decode_cap, b, shape.n_heads, dtype=torch.long,
                                device=dev) if opts.top1 else None
        # the attention probability of each top-1 key (the Wu24 tie-break reads it)
        self.top1_values = torch.zeros(shape.n_layers, shape.decode_cap, b, shape.n_heads, dtype=torch.float32,
                                       device=dev) if opts.top1 else None
        self.dummy_mask = torch.ones(1, 1, 1, 1, dtype=torch.bool, device=dev)  # a 4-D mask: no mask creation
        self._pinned: list[torch.Tensor] | None = None  # host copies of ids for the stop checks (CUDA)
        self.graph = graphs.StepGraph(self._step, dev, capture, name=f"decode step {shape} {opts}")

    def _top1(self, layer: int, probs: torch.Tensor, rows: SharedRows) -> None:
        hk, b, g, _, _ = probs.shape
        best = probs.max(dim=-1)
        idx = best.indices.permute(1, 0, 2, 3).reshape(b, hk * g)  # (B, H)
        val = best.values.permute(1, 0, 2, 3).reshape(b, hk * g).float()
        assert self.top1 is not None and self.top1_values is not None
        top = rows.positions().gather(1, idx)
        if rows.live is None:
            self.top1[layer].index_copy_(0, rows.slot, top[None])
            self.top1_values[layer].index_copy_(0, rows.slot, val[None])
        else:
            self.top1[layer][int(rows.slot), rows.live] = top
            self.top1_values[layer][int(rows.slot), rows.live] = val

    def _step(self) -> None:
        """One decode step: column t of ``ids`` in, the greedy next token into column t + 1 (capturable)."""
        t = self.step_t
        pos = self.rows.begin_decode_call(t)
        self.rows.consumers = [self._top1] if self.opts.top1 else []
        self.rows.mask_mode = self.opts.mask_mode
        live = self.rows.live
        x = self.ids.index_select(1, t) if live is None else self.ids[live][:, t]
        out = self.model(input_ids=x, position_ids=pos, attention_mask=self.dummy_mask, use_cache=False,
                         logits_to_keep=1)
        nxt = out.logits[:, -1].float().argmax(-1, keepdim=True)
        if live is None:
            self.ids.index_copy_(1, t + 1, nxt)
        else:
            self.ids[live, int(t) + 1] = nxt[:, 0]

    def prompt_call(self, segments: Sequence[Sequence[int]], consumers: Sequence[BatchConsumer] = (),
                    logits: bool = False) -> torch.Tensor | None:
        """Feed each prompt's segment (right-padded), unmasked; with ``logits`` the greedy token after each one."""
        s = self.shape
        lengths = [len(x) for x in segments]
        self.rows.set_segment_lengths(lengths)
        ids = torch.tensor([list(x) + [x[-1] if x else 0] * (s.segment_cap - len(x)) for x in segments],
                           dtype=torch.long)
        keep_at = sorted({max(0, n - 1) for n in lengths})
        rows = self.rows
        rows.consumers, rows.mask_mode = list(consumers), None
        pos = rows.begin_prompt_call()
        with probe.batched(rows):
            out = self.model(input_ids=ids.to(rows.device), position_ids=pos, attention_mask=self.dummy_mask,
                             use_cache=False, logits_to_keep=torch.tensor(keep_at, device=rows.device))
        rows.consumers = []
        if not logits:
            return None
        col = torch.tensor([keep_at.index(max(0, n - 1)) for n in lengths], device=rows.device)
        return out.logits[torch.arange(s.prompts, device=rows.device), col].float().argmax(-1)

    def decode(self, steps: int, stop, tracked: Sequence[int], first_col: int) -> dict[int, list[int]]:
        """Run ``steps`` decode steps from column 0; the generated ids (from ``first_col``) of each tracked row,
        cut at its stop (checked every :func:`stop_check_every` steps and once at the end).

        On CUDA a check reads the ids copied at the previous check (asynchronously, into pinned memory) while
        the device runs the steps queued since: the host's stop rule overlaps the decoding, and a batch whose
        rows all stopped ends one period later than it could."""
        if steps > self.shape.decode_cap:
            raise ValueError(f"{steps} decode steps exceed the workspace's {self.shape.decode_cap}")
        tracker = StopTracker(stop, tracked)
        limit = steps + 1 - first_col

        def generated(n_cols: int) -> list[list[int]]:
            return self.ids[:, first_col:n_cols].tolist()

        if first_col == 0 and tracker.update(generated(1)):
            return tracker.cut(generated(1), limit)
        every = stop_check_every(self.rows.device)
        lagged = self.rows.device.type == "cuda" if _lagged is None else _lagged
        # on the CPU (eager, compute-bound) only the rows still running are computed (one prefix group)
        compact = self.rows.device.type == "cpu" and not self.graph.capture and self.shape.groups == 1
        pending: tuple[torch.Tensor, torch.cuda.Event | None, int] | None = None
        self.step_t.zero_()
        n_cols = 1
        try:
            with probe.batched(self.rows):
                for t in range(steps):
                    if compact:
                        self._keep_running(tracker)
                    self.graph()
                    self.step_t += 1
                    n_cols = t + 2
                    if (t + 1) % every or t + 1 == steps:
                        continue
                    if not lagged:
                        if tracker.update(generated(n_cols)):
                            break
                        continue
                    if pending is not None:
                        host, event, cols = pending
                        if event is not None:
                            event.synchronize()
                        if tracker.update(host[:, first_col:cols].tolist()):
                            break
                    pending = self._snapshot(n_cols, t // every % 2)
        finally:
            self.rows.live = None
        final = generated(n_cols)
        tracker.update(final)
        return tracker.cut(final, limit)

    def _keep_running(self, tracker: StopTracker) -> None:
        """Decode only the tracked rows that have not stopped (the others' columns are never read again)."""
        running = [b for b in tracker.rows if b not in tracker.end]
        current = self.shape.rows if self.rows.live is None else len(self.rows.live)
        if running and len(running) < current:
            self.rows.live = torch.tensor(running, dtype=torch.long, device=self.rows.device)

    def _snapshot(self, n_cols: int, which: int) -> tuple[torch.Tensor, torch.cuda.Event | None, int]:
        """An asynchronous copy of the first ``n_cols`` id columns into pinned buffer ``which`` (of two); on the
        CPU a plain copy (no event)."""
        if self.ids.device.type != "cuda":
            return self.ids.clone(), None, n_cols
        if self._pinned is None:
            self._pinned = [torch.empty(self.ids.shape, dtype=self.ids.dtype, pin_memory=True) for _ in range(2)]
        host = self._pinned[which]
        with torch.cuda.device(self.ids.device):
            host[:, :n_cols].copy_(self.ids[:, :n_cols], non_blocking=True)
            event = torch.cuda.Event()
            event.record()
        return host, event, n_cols


def buffer_dtype(model) -> torch.dtype:
    """The dtype a batch's key and value buffers are stored in: the model's (float32 for one that has none)."""
    dtype = getattr(model, "dtype", None)
    if isinstance(dtype, torch.dtype):
        return dtype
    p = next(iter(model.parameters()), None) if hasattr(model, "parameters") else None
    return p.dtype if p is not None and p.dtype.is_floating_point else torch.float32


def layer_devices(model) -> tuple[torch.device, ...]:
    """The device of each attention layer (by ``layer_idx``): one device, or several for a split model."""
    found: dict[int, torch.device] = {}
    for m in model.modules():
        idx = getattr(m, "layer_idx", None)
        if isinstance(idx, int) and idx not in found:
            p = next(m.parameters(), None)
            if p is not None:
                found[idx] = p.device
    n_layers = count_heads(model.config)[0]
    return tuple(found.get(i, model.device) for i in range(n_layers))


def _prefix_store(shape: RowsShape, device: torch.device, devices: tuple[torch.device, ...], dtype: torch.dtype,
                  ) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    key = (shape.n_layers, shape.n_kv, shape.groups, shape.prefix_cap, shape.head_dim, str(device), devices, dtype)
    if key not in _prefixes:
        _prefixes[key] = prefix_buffers(shape, device, devices, dtype)
        while len(_prefixes) > 2:
            _prefixes.popitem(last=False)
    _prefixes.move_to_end(key)
    return _prefixes[key]


def workspace(model, shape: RowsShape, opts: StepOptions) -> Workspace:
    """The cached workspace of ``shape`` (created, and its step captured on first use where graphs are on)."""
    devices = layer_devices(model)
    key = (id(model), shape, opts, str(model.device), devices)
    ws = _workspaces.get(key)
    if ws is None:  # a model split over devices runs eagerly (its hooks move tensors between devices)
        ws = Workspace(model, shape, opts, graphs.wants_graphs(model.device) and len(set(devices)) == 1)
        _workspaces[key] = ws
        while len(_workspaces) > MAX_WORKSPACES:
            _workspaces.popitem(last=False)
    _workspaces.move_to_end(key)
    return ws


def prefix_layers(cache) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Per layer (K, V) of a DynamicCache (batch row 0 is the shared prefix)."""
    return [(layer.keys, layer.values) for layer in cache.layers]


@torch.no_grad()
def decode_over_prefix(model, cache, prefix_len: int, prompts: Sequence[Sequence[int]],
                       head_sets: Sequence[Sequence[Sequence[str]]], mode: str, max_new_tokens: int, stop,
                       ) -> list[list[list[int]]]:
    """Greedy-decode, over the prefix in ``cache`` (its first ``prefix_len`` positions), one row per head set of
    each prompt: the prompt's tokens after the prefix but its last are fed unmasked (shared by its rows), the
    last one and every generated token with the row's heads masked (mode ``uniform`` / ``zero``). Returns per
    prompt, per head set, the generated ids cut at ``stop``."""
    n_layers, n_heads = count_heads(model.config)[:2]
    if any(len(p) < 1 for p in prompts):
        raise ValueError("every prompt needs at least one token after the prefix")
    segments = [list(p[:-1]) for p in prompts]
    r = max(len(h) for h in head_sets)
    shape = batch_shape(model, prefix_len, max(len(x) for x in segments), len(prompts), r, max_new_tokens,
                        shape_buckets(model.device))
    ws = workspace(model, shape, StepOptions(mask_mode=mode))
    ws.rows.load_prefix(prefix_layers(cache), prefix_len)
    if any(segments):
        ws.prompt_call(segments)
    else:
        ws.rows.set_segment_lengths([0] * len(prompts))
    rr = shape.rows_per_prompt
    mask = torch.zeros(shape.rows, n_layers, n_heads, dtype=torch.bool)
    tracked = []
    first = torch.zeros(shape.rows, dtype=torch.long)
    for p, (prompt, sets) in enumerate(zip(prompts, head_sets, strict=True)):
        rows = list(range(p * rr, p * rr + len(sets)))
        tracked += rows
        first[p * rr : (p + 1) * rr] = int(prompt[-1])
        if sets:
            mask[rows] = probe.HeadMask.from_heads(sets, n_layers, n_heads, mode).mask
    ws.rows.set_head_mask(mask, mode)
    ws.ids[:, 0].copy_(first)
    out = ws.decode(max_new_tokens, stop, tracked, first_col=1)
    return [[out[p * rr + i] for i in range(len(sets))] for p, sets in enumerate(head_sets)]


def row_chunks(set_counts: Sequence[int], max_rows: int) -> list[list[tuple[int, int, int]]]:
    """Batches of (prompt, first set, end set) pieces: whole prompts packed while their rows (prompts x the
    largest set count) fit in ``max_rows``; a prompt with more sets than that is split over several batches."""
    if max_rows < 1:
        raise ValueError(f"a batch needs at least one row, got {max_rows}")
    chunks: list[list[tuple[int, int, int]]] = []
    current: list[tuple[int, int, int]] = []
    for p, n in enumerate(set_counts):
        if n == 0:
            continue
        if n > max_rows:
            chunks += [[(p, i, min(n, i + max_rows))] for i in range(0, n, max_rows)]
            continue
        widest = max([n] + [e - s for _, s, e in current])
        if current and widest * (len(current) + 1) > max_rows:
            chunks.append(current)
            current = []
        current.append((p, 0, n))
    if current:
        chunks.append(current)
    return chunks


@torch.no_grad()
def decode_prompt_sets(model, cache, prefix_len: int, prompts: Sequence[Sequence[int]],
                       head_sets: Sequence[Sequence[Sequence[str]]], mode: str, max_new_tokens: int, stop,
                       max_rows: int) -> list[list[list[int]]]:
    """:func:`decode_over_prefix` in batches of at most ``max_rows`` rows (:func:`row_chunks`); same result."""
    out: list[list[list[int]]] = [[[] for _ in sets] for sets in head_sets]
    for chunk in row_chunks([len(s) for s in head_sets], max_rows):
        gens = decode_over_prefix(model, cache, prefix_len, [prompts[p] for p, _, _ in chunk],
                                  [list(head_sets[p][s:e]) for p, s, e in chunk], mode, max_new_tokens, stop)
        for (p, s, _), got in zip(chunk, gens, strict=True):
            out[p][s : s + len(got)] = got
    return out
