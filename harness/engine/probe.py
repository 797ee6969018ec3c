"""The attention probe: one custom attention function for every head-finding method.

Registered through transformers' ``AttentionInterface``. It delegates the real attention to SDPA,
eager or flash-attention 2 and, on request, for the current forward call:

1. computes softmax attention rows only for the query positions a method needs, from the post-RoPE
   queries and the (full) key cache, with the causal mask, the sliding window of sliding-window layers
   and GQA handled: cost O(rows x N) per head, never the N x N maps of ``output_attentions``;
2. hands those rows to *consumers* that reduce them where they are produced (region sums, top-1,
   sum over a span of rows), so long contexts stay cheap;
3. applies a head mask per batch row (mode ``uniform``: zero the head's query, Wu et al. 2024;
   mode ``zero``: zero the head's output before ``o_proj``). The *scope* of a mask (prompt included or
   decode steps only) is decided by the caller, which sets the mask only around the calls it covers.

Assumptions, checked where cheap: batch rows are not padded, and the key cache holds every position
from 0 (use a plain ``DynamicCache()``, whose layers keep all keys; sliding windows are applied by the
mask), so key index == absolute position and query ``i`` of a call sits at ``kv_len - q_len + i``.

Batched rows (padded suffixes over one shared prefix, per-row positions, key validity, probe rows and head
masks, static buffers a CUDA graph can capture) are :mod:`harness.engine.batching`'s: within
:func:`batched`, the whole attention of a call is delegated to it.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

import torch

from harness.engine.options import ATTENTION_BACKENDS

MaskMode = Literal["uniform", "zero"]

# Probe rows are computed for at most this many (batch x heads x rows x keys) floats at once.
_ROW_CHUNK_ELEMENTS = 64 * 1024 * 1024


class BatchedAttention(Protocol):
    """What :func:`batched` installs: the whole attention of a call (e.g. ``harness.engine.batching.SharedRows``)."""

    def attend(self, module: torch.nn.Module, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
               scaling: float) -> torch.Tensor:
        """(B, q, H, d) attention output of one layer; head masks and probe rows are its own business."""


class RowConsumer(Protocol):
    """Receives the attention rows of one layer for the current call."""

    def __call__(self, layer: int, probs: torch.Tensor, q_pos: torch.Tensor) -> None:
        """``probs``: (B, H, R, N) float32 softmax rows; ``q_pos``: (R,) absolute query positions."""


@dataclass
class HeadMask:
    """Heads to mask, per batch row: ``mask[b, layer, head]`` is True where masked."""

    mask: torch.Tensor  # (B, L, H) bool
    mode: MaskMode = "uniform"

    def __post_init__(self) -> None:
        if self.mode not in ("uniform", "zero"):
            raise ValueError(f"head-mask mode must be 'uniform' or 'zero', got {self.mode!r}")
        if self.mask.dim() != 3 or self.mask.dtype != torch.bool:
            raise ValueError("head mask must be a (batch, layers, heads) bool tensor")

    @classmethod
    def from_heads(
        cls, heads_per_row: Sequence[Sequence[str | tuple[int, int]]], n_layers: int, n_heads: int,
        mode: MaskMode = "uniform",
    ) -> HeadMask:
        """Build a mask from one list of heads ("layer-head" or (layer, head)) per batch row."""
        mask = torch.zeros(len(heads_per_row), n_layers, n_heads, dtype=torch.bool)
        for b, heads in enumerate(heads_per_row):
            for h in heads:
                layer, head = parse_head(h) if isinstance(h, str) else h
                if not (0 <= layer < n_layers and 0 <= head < n_heads):
                    raise ValueError(f"head {h!r} outside a {n_layers} x {n_heads} model")
                mask[b, layer, head] = True
        return cls(mask, mode)


def parse_head(head_id: str) -> tuple[int, int]:
    """``"18-6"`` -> ``(18, 6)``."""
    try:
        layer, head = head_id.split("-")
        return int(layer), int(head)
    except ValueError:
        raise ValueError(f"head id must look like 'layer-head', got {head_id!r}") from None


def head_id(layer: int, head: int) -> str:
    """``(18, 6)`` -> ``"18-6"``."""
    return f"{layer}-{head}"


@dataclass
class Capture:
    """Tensors captured per layer by ``capturing`` (the last call's, on CPU)."""

    queries: dict[int, torch.Tensor] | None = None  # layer -> (B, H, q, d) post-RoPE (after masking)
    outputs: dict[int, torch.Tensor] | None = None  # layer -> (B, q, H, d) per-head outputs before o_proj


@dataclass
class _State:
    groups: list[tuple[Sequence[int] | str, list[RowConsumer]]] = field(default_factory=list)
    head_mask: HeadMask | None = None
    capture: Capture | None = None
    prefix: list[tuple[torch.Tensor, torch.Tensor]] | None = None  # shared (K, V) per layer, batch 1
    rows: BatchedAttention | None = None  # batched rows over a shared prefix (harness.engine.batching)
    plans: dict = field(default_factory=dict)  # row plans per call shape (see _plan)
    calls: int = 0  # attention calls that computed probe rows (for tests / accounting)


_STATE = _State()


@contextlib.contextmanager
def probing(rows: Sequence[int] | str, consumers: Sequence[RowConsumer]) -> Iterator[None]:
    """Within the block, every forward call hands the attention rows of ``rows`` to ``consumers``.

    ``rows``: absolute query positions (those falling inside a call are computed), or ``"last"``
    (the last query of each call), or ``"all"`` (every query of each call; for tests on short inputs).
    Blocks nest: each group gets its own rows, and rows wanted by several groups are computed once.
    """
    if not isinstance(rows, str):
        rows = [int(p) for p in rows]
    elif rows not in ("last", "all"):
        raise ValueError(f"rows must be positions, 'last' or 'all'; got {rows!r}")
    group = (rows, list(consumers))
    _STATE.groups.append(group)
    _STATE.plans.clear()
    try:
        yield
    finally:
        _STATE.groups.remove(group)
        _STATE.plans.clear()


@contextlib.contextmanager
def masking(head_mask: HeadMask | None) -> Iterator[None]:
    """Within the block, every forward call masks the heads of ``head_mask`` (``None``: no mask)."""
    old = _STATE.head_mask
    _STATE.head_mask = head_mask
    try:
        yield
    finally:
        _STATE.head_mask = old


@contextlib.contextmanager
def capturing(queries: bool = False, outputs: bool = False) -> Iterator[Capture]:
    """Capture post-RoPE queries and/or per-head attention outputs (before ``o_proj``) of the calls in the block.

    For tests and golden comparisons; the yielded ``Capture`` keeps the last call's tensors per layer (CPU).
    """
    old = _STATE.capture
    cap = Capture({} if queries else None, {} if outputs else None)
    _STATE.capture = cap
    try:
        yield cap
    finally:
        _STATE.capture = old


@contextlib.contextmanager
def shared_prefix(layers: Sequence[tuple[torch.Tensor, torch.Tensor]]) -> Iterator[None]:
    """Within the block, every batch row attends to one shared, uncopied prefix plus its own cache.

    ``layers``: per layer the prefix (K, V), each (1, H_kv, P, d). The model's own cache then holds only
    the rows' tokens after the prefix, and the caller passes ``position_ids`` offset by P. Attention over
    [prefix | own tokens] is computed exactly (one softmax over both parts), reading the prefix once for
    the whole batch instead of once per row. Probe rows are not available in this mode.
    """
    old = _STATE.prefix
    _STATE.prefix = list(layers)
    try:
        yield
    finally:
        _STATE.prefix = old


@contextlib.contextmanager
def batched(rows: BatchedAttention) -> Iterator[None]:
    """Within the block, every forward call's attention is ``rows.attend`` (rows of one batch over a shared
    prefix, per-row positions and key validity, per-row probe rows: :mod:`harness.engine.batching`). The model is
    called without a cache; the ``probing`` / ``masking`` / ``shared_prefix`` settings do not apply inside."""
    old = _STATE.rows
    _STATE.rows = rows
    try:
        yield
    finally:
        _STATE.rows = old


def prefix_attention(
    query: torch.Tensor, k_pre: torch.Tensor, v_pre: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
    scaling: float, sliding_window: int | None = None, softcap: float | None = None,
) -> torch.Tensor:
    """Attention of ``query`` (B, H, q, d) over a shared prefix (1, H_kv, P, d) followed by per-row keys.

    The per-row part ``key``/``value`` (B, H_kv, S, d) ends with the q query tokens (causal inside it).
    Returns (B, q, H, d) like the attention interface. Scores are float32; output in the query's dtype.
    """
    b, h, q, d = query.shape
    h_kv, p, s = k_pre.shape[1], k_pre.shape[2], key.shape[2]
    g = h // h_kv
    qf = query.float().reshape(b, h_kv, g * q, d)
    # prefix part: fold the batch into the rows so the prefix is read once, never broadcast-copied
    q_rows = qf.transpose(0, 1).reshape(1, h_kv, b * g * q, d)
    sp = torch.matmul(q_rows, k_pre.float().transpose(-1, -2)).mul_(scaling)  # (1, H_kv, B*G*q, P)
    sp = sp.view(h_kv, b, g * q, p).transpose(0, 1)  # (B, H_kv, G*q, P)
    ss = torch.matmul(qf, key.float().transpose(-1, -2)).mul_(scaling)  # (B, H_kv, G*q, S)
    scores = torch.cat([sp, ss], dim=-1).view(b, h, q, p + s)
    if softcap:
        scores = torch.tanh(scores / softcap) * softcap
    visible = _visible(list(range(p + s - q, p + s)), p + s, sliding_window, query.device)
    if visible is not None:
        scores = scores.masked_fill(~visible, float("-inf"))
    probs = torch.softmax(scores, dim=-1).view(b, h_kv, g * q, p + s)
    pp = probs[..., :p].transpose(0, 1).reshape(1, h_kv, b * g * q, p)
    out_p = torch.matmul(pp, v_pre.float()).view(h_kv, b, g * q, d).transpose(0, 1)
    out = out_p + torch.matmul(probs[..., p:], value.float())
    return out.reshape(b, h, q, d).transpose(1, 2).to(query.dtype)


def probe_calls() -> int:
    """How many attention-layer calls have computed probe rows so far (monotonic counter)."""
    return _STATE.calls


def _query_rows(rows: Sequence[int] | str, q_len: int, kv_len: int) -> list[int]:
    """Relative indices (within this call) of the requested query rows, as Python ints."""
    if rows == "last":
        return [q_len - 1]
    if rows == "all":
        return list(range(q_len))
    start = kv_len - q_len
    return [p - start for p in rows if start <= p < kv_len]


def _visible(q_pos: Sequence[int], n: int, window: int | None, device: torch.device) -> torch.Tensor | None:
    """(R, N) bool mask of the keys each row may see; None when every row sees every key (no kernel)."""
    if min(q_pos) >= n - 1 and not (window and window < n):
        return None
    k_pos = torch.arange(n, device=device)
    qp = torch.tensor(list(q_pos), device=device)
    visible = k_pos[None, :] <= qp[:, None]
    if window:
        visible &= k_pos[None, :] > qp[:, None] - window
    return visible


_BMM_OUT_DTYPE = True  # torch.bmm / baddbmm(..., out_dtype=float32) for half-precision inputs, where torch has it


def batched_product(a: torch.Tensor, b: torch.Tensor, f32: bool, bias: torch.Tensor | None = None,
                    out: torch.Tensor | None = None) -> torch.Tensor:
    """``bias + a @ b`` of 3-D tensors (written into ``out`` when given, which may be a strided view): float32
    when ``f32`` (half-precision inputs of one dtype multiplied as they are with float32 accumulation and output
    on CUDA, no float32 copy of the keys; upcast elsewhere), else in the inputs' dtype."""
    global _BMM_OUT_DTYPE

    def run(x: torch.Tensor, y: torch.Tensor, **kw) -> torch.Tensor:
        if out is not None:
            kw["out"] = out
        return torch.bmm(x, y, **kw) if bias is None else torch.baddbmm(bias, x, y, **kw)

    if not f32 or a.dtype == b.dtype == torch.float32:
        return run(a, b)
    if a.is_cuda and _BMM_OUT_DTYPE and a.dtype == b.dtype:
        try:
            return run(a, b, out_dtype=torch.float32)
        except (TypeError, RuntimeError):
            _BMM_OUT_DTYPE = False
    return run(a.float(), b.float())


def _float_scores(q: torch.Tensor, key: torch.Tensor) -> torch.Tensor:
    """q @ key^T as float32 (B, H_kv, R, N) (half-precision inputs: :func:`batched_product`)."""
    if q.dtype == torch.float32 and key.dtype == torch.float32:
        return torch.matmul(q, key.transpose(-1, -2))
    b, hk, r, d = q.shape
    n = key.shape[2]
    return batched_product(q.reshape(b * hk, r, d), key.reshape(b * hk, n, d).transpose(1, 2), True).view(b, hk, r, n)


def attention_rows(
    query: torch.Tensor,
    key: torch.Tensor,
    q_pos: torch.Tensor | Sequence[int],
    scaling: float,
    sliding_window: int | None = None,
    softcap: float | None = None,
    visible: torch.Tensor | None | str = "auto",
) -> torch.Tensor:
    """Softmax attention rows for selected queries, without building an N x N map.

    ``query``: (B, H, R, d) post-RoPE queries of the selected rows; ``key``: (B, H_kv, N, d) with key
    index == absolute position; ``q_pos``: (R,) absolute positions of the rows. Returns (B, H, R, N)
    float32 probabilities with the causal mask (and sliding window) applied; GQA: query head h uses KV
    head h // (H / H_kv). ``visible`` may pass a precomputed mask (None: all keys visible).
    """
    b, h, r, d = query.shape
    h_kv, n = key.shape[1], key.shape[2]
    group = h // h_kv
    q = query.reshape(b, h_kv, group * r, d)
    scores = _float_scores(q, key).mul_(scaling).view(b, h, r, n)
    if softcap:
        scores = torch.tanh(scores / softcap) * softcap
    if isinstance(visible, str):
        pos = q_pos.tolist() if isinstance(q_pos, torch.Tensor) else list(q_pos)
        visible = _visible(pos, n, sliding_window, key.device)
    if visible is not None:
        scores = scores.masked_fill(~visible, float("-inf"))
    return torch.softmax(scores, dim=-1)


@dataclass
class _Chunk:
    sel: torch.Tensor  # relative query indices of the rows computed together
    q_pos: list[int]  # their absolute positions
    visible: dict[int | None, torch.Tensor | None]  # sliding window -> mask (filled lazily per window)
    groups: list[tuple[list[RowConsumer], torch.Tensor | None, torch.Tensor]]  # consumers, rows idx, q_pos


def _plan(q_len: int, kv_len: int, per_row: int, device: torch.device) -> list[_Chunk]:
    """Which rows to compute and who gets which, once per call shape (cached: no per-layer host syncs)."""
    key = (q_len, kv_len, per_row, str(device))  # the cache is cleared whenever the groups change
    plan = _STATE.plans.get(key)
    if plan is not None:
        return plan
    start = kv_len - q_len
    wanted = [_query_rows(rows, q_len, kv_len) for rows, _ in _STATE.groups]
    union = sorted(set().union(*wanted))
    chunk = max(1, _ROW_CHUNK_ELEMENTS // max(1, per_row))
    plan = []
    for i in range(0, len(union), chunk):
        part = union[i : i + chunk]
        index = {r: j for j, r in enumerate(part)}
        groups = []
        for rel, (_, consumers) in zip(wanted, _STATE.groups, strict=True):
            mine = [r for r in rel if r in index]
            if not mine:
                continue
            idx = None if len(mine) == len(part) else torch.tensor([index[r] for r in mine], device=device)
            groups.append((consumers, idx, torch.tensor([r + start for r in mine], device=device)))
        plan.append(_Chunk(torch.tensor(part, device=device), [r + start for r in part], {}, groups))
    _STATE.plans[key] = plan
    return plan


def _emit_rows(module: torch.nn.Module, query: torch.Tensor, key: torch.Tensor, scaling: float) -> None:
    q_len, kv_len = query.shape[2], key.shape[2]
    plan = _plan(q_len, kv_len, query.shape[0] * query.shape[1] * kv_len, query.device)
    if not plan:
        return
    _STATE.calls += 1
    layer = int(module.layer_idx)
    window = getattr(module, "sliding_window", None)
    softcap = getattr(module, "attn_logit_softcapping", None)
    for ch in plan:
        if window not in ch.visible:
            ch.visible[window] = _visible(ch.q_pos, kv_len, window, key.device)
        probs = attention_rows(query[:, :, ch.sel], key, ch.q_pos, scaling, window, softcap, ch.visible[window])
        for consumers, idx, q_pos in ch.groups:
            part = probs if idx is None else probs[:, :, idx]
            for consumer in consumers:
                consumer(layer, part, q_pos)


def _delegate_fn(delegate: str, module: torch.nn.Module):
    if delegate == "sdpa":
        from transformers.integrations.sdpa_attention import sdpa_attention_forward

        return sdpa_attention_forward
    if delegate == "flash_attention_2":
        from transformers.integrations.flash_attention import flash_attention_forward

        return flash_attention_forward
    # eager: each model family has its own (softcapping, sliding window ...); use the module's.
    fn = getattr(sys.modules[type(module).__module__], "eager_attention_forward", None)
    if fn is None:
        raise RuntimeError(f"{type(module).__name__} has no eager_attention_forward to delegate to")
    return fn


def _make_probe_attention(delegate: str):
    def probe_attention(module, query, key, value, attention_mask, scaling=None, dropout=0.0, **kwargs):
        if scaling is None:
            scaling = query.shape[-1] ** -0.5
        if _STATE.rows is not None:
            return _STATE.rows.attend(module, query, key, value, scaling), None
        layer = int(module.layer_idx)
        hm = _STATE.head_mask
        head_sel = None
        if hm is not None:
            if hm.mask.shape[0] not in (1, query.shape[0]):
                raise ValueError(f"head mask has {hm.mask.shape[0]} rows, batch has {query.shape[0]}")
            head_sel = hm.mask[:, layer].to(query.device)  # (B or 1, H)
            if hm.mode == "uniform" and head_sel.any():
                query = query * (~head_sel)[:, :, None, None].to(query.dtype)
        cap = _STATE.capture
        if cap is not None and cap.queries is not None:
            cap.queries[layer] = query.detach().cpu()
        if _STATE.prefix is not None:
            if _STATE.groups:
                raise RuntimeError("probe rows are not available over a shared prefix")
            k_pre, v_pre = _STATE.prefix[layer]
            out = prefix_attention(query, k_pre.to(query.device), v_pre.to(query.device), key, value, scaling,
                                   getattr(module, "sliding_window", None),
                                   getattr(module, "attn_logit_softcapping", None))
            weights = None
        else:
            if _STATE.groups:
                with torch.no_grad():
                    _emit_rows(module, query, key, scaling)
            out, weights = _delegate_fn(delegate, module)(
                module, query, key, value, attention_mask, scaling=scaling, dropout=dropout, **kwargs
            )
        if hm is not None and hm.mode == "zero" and head_sel.any():
            out = out * (~head_sel)[:, None, :, None].to(out.dtype)  # out: (B, q, H, d)
        if cap is not None and cap.outputs is not None:
            cap.outputs[layer] = out.detach().cpu()
        return out, weights

    probe_attention.__name__ = f"probe_{delegate}"
    return probe_attention


def register_probe_attention(delegate: str = "sdpa") -> str:
    """Register the probe (delegating to ``delegate``) and return the name to pass as ``attn_implementation``."""
    if delegate not in ATTENTION_BACKENDS:
        raise ValueError(f"attention delegate must be one of {ATTENTION_BACKENDS}, got {delegate!r}")
    from transformers import AttentionInterface
    from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, AttentionMaskInterface

    name = f"probe_{delegate}"
    AttentionInterface.register(name, _make_probe_attention(delegate))
    AttentionMaskInterface.register(name, ALL_MASK_ATTENTION_FUNCTIONS[delegate])
    return name


# ---------------------------------------------------------------------------------------------
# Standard consumers. Each keeps its results per layer; ``stack()`` gives (L, ...) tensors.


class _PerLayer:
    def __init__(self, device: str | torch.device = "cpu") -> None:
        self.device = torch.device(device)
        self.by_layer: dict[int, torch.Tensor] = {}

    def stack(self) -> torch.Tensor:
        """Results of all layers seen, stacked on a new first axis in layer order."""
        return torch.stack([self.by_layer[k] for k in sorted(self.by_layer)])


class CaptureRows(_PerLayer):
    """Keep the full rows (B, H, R, N) per layer (tests and golden checks only: O(R x N) memory)."""

    def __call__(self, layer: int, probs: torch.Tensor, q_pos: torch.Tensor) -> None:
        rows = probs.to(self.device)
        prev = self.by_layer.get(layer)
        self.by_layer[layer] = rows if prev is None else torch.cat([prev, rows], dim=2)


class RegionSums(_PerLayer):
    """Sum of each row over token regions [start, end): result (B, H, R, n_regions) per layer."""

    def __init__(self, regions: Sequence[tuple[int, int]], device: str | torch.device = "cpu") -> None:
        super().__init__(device)
        self.regions = [(int(s), int(e)) for s, e in regions]

    def __call__(self, layer: int, probs: torch.Tensor, q_pos: torch.Tensor) -> None:
        # float64 running sums: a short region far into the row is a difference of two sums near 1
        csum = torch.nn.functional.pad(probs.double().cumsum(-1), (1, 0))  # (B,H,R,N+1), csum[..., j] = sum[:j]
        n = probs.shape[-1]
        cols = []
        for s, e in self.regions:
            s, e = max(0, min(s, n)), max(0, min(e, n))
            cols.append(csum[..., e] - csum[..., s] if e > s else torch.zeros_like(csum[..., 0]))
        out = torch.stack(cols, dim=-1).to(device=self.device, dtype=probs.dtype)
        prev = self.by_layer.get(layer)
        self.by_layer[layer] = out if prev is None else torch.cat([prev, out], dim=2)


class Top1(_PerLayer):
    """Top-1 key position and value of each row: ``idx`` and ``val`` (B, H, R) per layer.

    Ties resolve to the lowest index, as ``torch.argmax`` does.
    """

    def __init__(self, device: str | torch.device = "cpu") -> None:
        super().__init__(device)
        self.values: dict[int, torch.Tensor] = {}

    def __call__(self, layer: int, probs: torch.Tensor, q_pos: torch.Tensor) -> None:
        val, idx = probs.max(dim=-1)
        self.by_layer[layer] = idx.to(self.device)
        self.values[layer] = val.to(self.device)

    def stack_values(self) -> torch.Tensor:
        return torch.stack([self.values[k] for k in sorted(self.values)])


class RowSum(_PerLayer):
    """Running sum over rows (B, H, N_keep) per layer, across calls; ``count`` rows seen per layer.

    Keys beyond ``n_keep`` are dropped (keep the context region only); QRHead averages the rows of a
    query span with ``stack() / count``.
    """

    def __init__(self, n_keep: int, device: str | torch.device = "cpu") -> None:
        super().__init__(device)
        self.n_keep = int(n_keep)
        self.count: dict[int, int] = {}

    def __call__(self, layer: int, probs: torch.Tensor, q_pos: torch.Tensor) -> None:
        part = probs[..., : self.n_keep].sum(dim=2).to(self.device)
        if part.shape[-1] < self.n_keep:
            part = torch.nn.functional.pad(part, (0, self.n_keep - part.shape[-1]))
        prev = self.by_layer.get(layer)
        self.by_layer[layer] = part if prev is None else prev + part
        self.count[layer] = self.count.get(layer, 0) + probs.shape[2]

    def mean(self) -> torch.Tensor:
        """(L, B, H, N_keep) mean over all rows seen."""
        counts = torch.tensor([self.count[k] for k in sorted(self.count)], dtype=torch.float32)
        return self.stack() / counts.to(self.device)[:, None, None, None]
