"""Rows of one batch over a shared prefix: the attention the probe runs for batched detection and ablation.

Keys come in three levels, each stored once and read once per call by every row that shares it:

1. the shared prefix (a filing's context window), one copy per group of prompts: ``(H_kv, G, P_cap, d)``;
2. one segment per prompt (a question's suffix, right-padded), shared by that prompt's rows: ``(H_kv, Q, M_cap, d)``;
3. each row's own decode keys: ``(H_kv, B, T_cap, d)``, with B = Q x R rows (R rows per prompt, prompt-major).

Prompts are group-major, Q / G of them per group (G = 1: one prefix for the whole batch, as ablation uses it;
detection decodes the windows of several filings as G groups of one batch).

A *prompt call* feeds the Q prompt segments (one row per prompt, ``M_cap`` tokens each, levels 1-2); a *decode
call* feeds one token per row (levels 1-3). Every buffer is allocated once per shape and written in place, and
positions, lengths and key validity are device tensors, so a decode call can be captured in a CUDA graph.
A row never sees a pad key: prefix slots at or past its group's P, segment slots at or past its prompt's length
L_p, and decode slots not yet written (their positions lie ahead of the query). Positions are absolute: segment
slot m sits at P + m, decode slot t of a row of prompt p at P + L_p + t, so right padding changes no RoPE
position.
Keys and values are stored in the model's dtype. A float32 model computes everything in float32 (as
:func:`harness.engine.probe.prefix_attention`). A half-precision model multiplies in its dtype with float32
accumulation: a call whose softmax rows a probe reads gets float32 scores and probabilities (exact products of
the stored keys, as the one-question probe path has them); a call without probe consumers (ablation's masked
rows, the bench's plain rows) keeps scores and softmax in the model's dtype, as eager attention does, so the
largest matrices of a batch move at half the bytes. Outputs are summed in float32 and cast back.

Consumers receive each layer's softmax rows in the batch's native layout (see :meth:`SharedRows.attend`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from harness.engine.probe import batched_product

# A consumer gets (layer, probs (H_kv, B_c, G, q, N) float32, the SharedRows) after each layer's softmax.
BatchConsumer = Callable[[int, torch.Tensor, "SharedRows"], None]


@dataclass(frozen=True)
class RowsShape:
    """The static shape of a batch: layers, KV heads, head dim, query heads; Q prompts x R rows; capacities."""

    n_layers: int
    n_kv: int
    head_dim: int
    n_heads: int
    prompts: int  # Q
    rows_per_prompt: int  # R
    prefix_cap: int  # P_cap >= P
    segment_cap: int  # M_cap >= the longest prompt segment
    decode_cap: int  # T_cap: decode slots per row
    groups: int = 1  # G: prefixes (Q / G prompts each, group-major)

    def __post_init__(self) -> None:
        if self.groups < 1 or self.prompts % self.groups:
            raise ValueError(f"{self.prompts} prompts cannot form {self.groups} groups of equal size")

    @property
    def rows(self) -> int:
        return self.prompts * self.rows_per_prompt


class SharedRows:
    """Static key/value buffers and per-call state of one batch over a shared prefix (see the module doc)."""

    def __init__(self, shape: RowsShape, device: torch.device | str,
                 prefix: tuple[list[torch.Tensor], list[torch.Tensor]] | None = None,
                 layer_devices: Sequence[torch.device] | None = None, dtype: torch.dtype = torch.float32) -> None:
        s, dev = shape, torch.device(device)
        self.shape, self.device, self.dtype = s, dev, dtype
        f32 = torch.float32
        # a model split over devices (device_map): each layer's buffers live where the layer runs
        devs = [torch.device(d) for d in layer_devices] if layer_devices else [dev] * s.n_layers

        def zeros(*size: int) -> list[torch.Tensor]:
            return [torch.zeros(*size, dtype=dtype, device=d) for d in devs]

        # zeros, never empty: masked slots are multiplied by an exact 0 and must hold finite values
        self.pre_k, self.pre_v = prefix or prefix_buffers(shape, dev, devs, dtype)
        self.seg_k = zeros(s.n_kv, s.prompts, s.segment_cap, s.head_dim)
        self.seg_v = zeros(s.n_kv, s.prompts, s.segment_cap, s.head_dim)
        self.own_k = zeros(s.n_kv, s.rows, s.decode_cap, s.head_dim)
        self.own_v = zeros(s.n_kv, s.rows, s.decode_cap, s.head_dim)
        self.prefix_len = torch.zeros(s.groups, dtype=torch.long, device=dev)
        self.group_of_prompt = torch.arange(s.prompts, device=dev) // (s.prompts // s.groups)
        self.seg_len = torch.ones(s.prompts, dtype=torch.long, device=dev)
        self.pre_idx = torch.arange(s.prefix_cap, device=dev)
        self.seg_idx = torch.arange(s.segment_cap, device=dev)
        self.own_idx = torch.arange(s.decode_cap, device=dev)
        self.prompt_of_row = torch.arange(s.prompts, device=dev).repeat_interleave(s.rows_per_prompt)
        self.keep = torch.ones(s.n_layers, s.rows, s.n_heads, dtype=f32, device=dev)  # 0: head masked
        self.mask_mode: str | None = None  # None: no head mask; "uniform" / "zero"
        self.consumers: list[BatchConsumer] = []
        # per call (set by begin_prompt_call / begin_decode_call)
        self.phase = "prompt"
        self.q_pos = torch.zeros(1, 1, dtype=torch.long, device=dev)
        self.slot = torch.zeros(1, dtype=torch.long, device=dev)
        self.own_pos0 = torch.zeros(s.rows, dtype=torch.long, device=dev)
        # decode calls of a subset of the rows (eager CPU runs only: rows that stopped stop computing); None: all
        self.live: torch.Tensor | None = None
        self.call_prompts = self.prompt_of_row  # the prompt of each row of the current decode call
        self.call_groups = self.group_of_prompt  # the group of each row of the current call
        self._vis: dict[int | None, torch.Tensor] = {}
        self._bias: dict[str, torch.Tensor] = {}
        self._pos_table: torch.Tensor | None = None

    # -- loading
    def load_prefix(self, layers: Sequence[tuple[torch.Tensor, torch.Tensor]], length: int, group: int = 0) -> None:
        """Copy a prefix (per layer K, V of shape (1, H_kv, >= length, d)) into group ``group``'s static buffers."""
        if length > self.shape.prefix_cap:
            raise ValueError(f"prefix of {length} tokens exceeds the buffer's {self.shape.prefix_cap}")
        if not 0 <= group < self.shape.groups:
            raise ValueError(f"group {group} of a batch of {self.shape.groups}")
        for i, (k, v) in enumerate(layers):
            if length:
                self.pre_k[i][:, group, :length].copy_(k[0, :, :length])
                self.pre_v[i][:, group, :length].copy_(v[0, :, :length])
        self.prefix_len[group] = length

    def set_segment_lengths(self, lengths: Sequence[int]) -> None:
        """Real tokens of each prompt's segment (the rest of its ``segment_cap`` slots is padding)."""
        if len(lengths) != self.shape.prompts or max(lengths) > self.shape.segment_cap:
            raise ValueError(f"{len(lengths)} segment lengths (max {max(lengths)}) for {self.shape}")
        self.seg_len.copy_(torch.tensor(list(lengths), dtype=torch.long))

    def set_head_mask(self, mask: torch.Tensor | None, mode: str | None) -> None:
        """Per decode row (B, L, H) bool mask of heads to mask (None: none), applied in ``mode``."""
        if mask is None:
            self.keep.fill_(1.0)
            self.mask_mode = None
            return
        b = mask.shape[0]
        if b > self.shape.rows or tuple(mask.shape[1:]) != (self.shape.n_layers, self.shape.n_heads):
            raise ValueError(f"head mask of shape {tuple(mask.shape)} for {self.shape}")
        keep = torch.ones(self.shape.n_layers, self.shape.rows, self.shape.n_heads, dtype=torch.float32)
        keep[:, :b] = (~mask).permute(1, 0, 2).float()
        self.keep.copy_(keep)
        self.mask_mode = mode

    # -- per call
    def begin_prompt_call(self) -> torch.Tensor:
        """Set up a prompt call (one row per prompt, ``segment_cap`` tokens); returns its position ids (Q, M)."""
        self.phase = "prompt"
        self.call_groups = self.group_of_prompt
        self.q_pos = self.prefix_len[self.call_groups][:, None] + self.seg_idx[None, :]
        self._vis, self._bias, self._pos_table = {}, {}, None
        return self.q_pos

    def begin_decode_call(self, step: torch.Tensor) -> torch.Tensor:
        """Set up decode call ``step`` ((1,) long device tensor); returns its position ids (B, 1)."""
        self.phase = "decode"
        self.call_prompts = self.prompt_of_row if self.live is None else self.prompt_of_row[self.live]
        self.call_groups = self.group_of_prompt[self.call_prompts]
        self.own_pos0 = self.prefix_len[self.call_groups] + self.seg_len[self.call_prompts]  # (B_c,)
        self.slot = step
        self.q_pos = (self.own_pos0 + step)[:, None]
        self._vis, self._bias, self._pos_table = {}, {}, None
        return self.q_pos

    def positions(self) -> torch.Tensor:
        """(B_c, N) absolute position of every key slot of the current call (pad slots included)."""
        if self._pos_table is None:
            b = self.q_pos.shape[0]
            parts = [self.pre_idx[None].expand(b, -1), self._prefix_lens()[:, None] + self.seg_idx[None]]
            if self.phase == "decode":
                parts.append(self.own_pos0[:, None] + self.own_idx[None])
            self._pos_table = torch.cat(parts, dim=1)
        return self._pos_table

    def _hidden(self, window: int | None) -> torch.Tensor:
        """(B_c, q, N) bool: the keys each query of the current call may NOT see (computed once per call)."""
        if window in self._vis:
            return self._vis[window]
        qp = self.q_pos[..., None]  # (B_c, q, 1)
        b, q = self.q_pos.shape
        plen = self._prefix_lens()  # (B_c,)
        pre = (self.pre_idx[None] < plen[:, None])[:, None].expand(b, q, -1)
        seg_pos = (plen[:, None] + self.seg_idx[None])[:, None]  # (B_c, 1, M)
        seg_ok = self.seg_idx[None] < self.seg_len[:, None]  # (Q, M)
        if self.phase == "prompt":
            diag = torch.eye(q, self.shape.segment_cap, dtype=torch.bool, device=self.device)[None]
            seg = (seg_ok[:, None] & (seg_pos <= qp)) | diag  # a pad query sees itself: never an empty row
        else:
            seg = seg_ok[self.call_prompts][:, None].expand(b, q, -1)
        parts = [pre, seg]
        if window:
            parts[0] = pre & (self.pre_idx[None, None] > qp - window)
            parts[1] = seg & (seg_pos > qp - window)
        if self.phase == "decode":
            own_pos = (self.own_pos0[:, None] + self.own_idx[None])[:, None]  # (B, 1, T)
            own = own_pos <= qp
            parts.append(own & (own_pos > qp - window) if window else own)
        hidden = ~torch.cat(parts, dim=-1)
        self._vis[window] = hidden
        return hidden

    def _prefix_lens(self) -> torch.Tensor:
        """(B_c,) the prefix length of each row of the current call."""
        return self.prefix_len[self.call_groups]

    def _prefix_pad(self) -> torch.Tensor:
        """(G, P_cap) bool: True on each group's prefix pad slots, computed once per call."""
        if "pad" not in self._bias:
            self._bias["pad"] = self.pre_idx[None] >= self.prefix_len[:, None]
        return self._bias["pad"]

    def _prefix_bias(self) -> torch.Tensor:
        """(H_kv x G, 1, P_cap) float32: 0 on each group's prefix keys, -inf on its pad slots (the prefix mask of
        any query outside a sliding window), computed once per call."""
        if "bias" not in self._bias:
            zero = torch.zeros((), device=self.device)
            bias = torch.where(self._prefix_pad(), float("-inf"), zero)  # (G, P)
            s = self.shape
            self._bias["bias"] = bias[None, :, None].expand(s.n_kv, -1, -1, -1).reshape(s.n_kv * s.groups, 1, -1)
        return self._bias["bias"]

    # -- the attention
    def _write(self, layer: int, key: torch.Tensor, value: torch.Tensor) -> None:
        k, v = key.to(self.dtype).transpose(0, 1), value.to(self.dtype).transpose(0, 1)  # (H_kv, B_c, q, d)
        if self.phase == "prompt":
            self.seg_k[layer].copy_(k)
            self.seg_v[layer].copy_(v)
        elif self.live is not None:
            t = int(self.slot)
            self.own_k[layer][:, self.live, t] = k[:, :, 0]
            self.own_v[layer][:, self.live, t] = v[:, :, 0]
        else:
            slot = self.slot.to(key.device)
            self.own_k[layer].index_copy_(2, slot, k)
            self.own_v[layer].index_copy_(2, slot, v)

    def attend(self, module: torch.nn.Module, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
               scaling: float) -> torch.Tensor:
        """The attention of one layer for the current call: (B_c, q, H, d) in the query's dtype."""
        s = self.shape
        layer = int(module.layer_idx)
        window = getattr(module, "sliding_window", None)
        softcap = getattr(module, "attn_logit_softcapping", None)
        decode = self.phase == "decode"
        b, h, q, d = query.shape
        g, hk = h // s.n_kv, s.n_kv
        dev = query.device
        live = self.live if decode else None
        keep = self.keep[layer] if live is None else self.keep[layer][live]
        if decode and self.mask_mode == "uniform":
            query = query * keep[:, :, None, None].to(dev, query.dtype)
        self._write(layer, key, value)
        # float32 scores where a probe reads them (or the model is float32), else the model's dtype (see the doc)
        f32 = self.dtype == torch.float32 or bool(self.consumers)
        # the scale applied to the (small) queries, not to the scores
        qm = (query.float() * scaling).to(self.dtype)
        qm = qm.reshape(b, hk, g * q, d).transpose(0, 1).reshape(hk, b * g * q, d)
        r = s.rows_per_prompt if decode else 1
        p_cap, m_cap = s.prefix_cap, s.segment_cap
        # without a window (or softcap) the prefix mask is the same for every query: only its pad slots are masked
        bias = not window and not softcap
        n_g = s.groups  # the prefix level multiplies each group's rows with its own prefix
        if n_g > 1 and live is not None:
            raise ValueError("decode calls of a subset of the rows need a batch of one prefix group")
        pre_t = self.pre_k[layer].flatten(0, 1).transpose(1, 2)  # (H_kv x G, d, P_cap)
        seg_k, seg_v, own_k, own_v = self.seg_k[layer], self.seg_v[layer], self.own_k[layer], self.own_v[layer]
        seg_groups, seg_rows = s.prompts, r * g * q  # the segment level folds each prompt's rows together ...
        if live is not None:  # ... or, for a subset of the rows, gathers each row's segment
            seg_k, seg_v = seg_k[:, self.call_prompts], seg_v[:, self.call_prompts]
            own_k, own_v = own_k[:, live], own_v[:, live]
            seg_groups, seg_rows = b, g * q
        score_dtype = torch.float32 if f32 else self.dtype
        # float32 scores take the prefix's pad bias inside the product; half-precision ones are masked after it
        # (a product that reads a bias runs slower half-precision kernels)
        score_bias = self._prefix_bias().to(dev) if bias and f32 else None
        # every level's scores written in place into one (H_kv, B_c x G x q, N) matrix (no concatenation copy)
        n = p_cap + m_cap + (s.decode_cap if decode else 0)
        scores = torch.empty(hk, b * g * q, n, dtype=score_dtype, device=dev)
        batched_product(qm.view(hk * n_g, -1, d), pre_t, f32, score_bias,
                        out=scores[..., :p_cap].view(hk * n_g, -1, p_cap))
        batched_product(qm.reshape(hk * seg_groups, seg_rows, d), seg_k.flatten(0, 1).transpose(1, 2), f32,
                out=scores[..., p_cap : p_cap + m_cap].view(hk * seg_groups, seg_rows, m_cap))
        if decode:
            batched_product(qm.view(hk * b, g * q, d), own_k.flatten(0, 1).transpose(1, 2), f32,
                    out=scores[..., p_cap + m_cap :].view(hk * b, g * q, s.decode_cap))
        if bias:  # the prefix's pad slots: by the bias, or here
            if score_bias is None:
                pad = self._prefix_pad().to(dev)[None, :, None]  # (1, G, 1, P_cap)
                scores[..., :p_cap].view(hk, n_g, -1, p_cap).masked_fill_(pad, float("-inf"))
            hidden = self._hidden(window).to(dev)[:, :, p_cap:]
            scores[..., p_cap:].view(hk, b, g, q, -1).masked_fill_(hidden[None, :, None], float("-inf"))
        else:
            if softcap:
                scores = torch.tanh(scores / softcap) * softcap
            scores.view(hk, b, g, q, -1).masked_fill_(self._hidden(window).to(dev)[None, :, None], float("-inf"))
        probs = torch.softmax(scores.view(hk, b, g, q, n), dim=-1)
        flat = probs.view(hk, b * g * q, n).to(self.dtype)
        # each level's output in float32 (half-precision: float32 products where a probe reads the call, else
        # products in the model's dtype with float32 accumulation, upcast), summed in float32
        out = batched_product(flat[..., :p_cap].reshape(hk * n_g, -1, p_cap), self.pre_v[layer].flatten(0, 1), f32)
        out = out.view(hk, b * g * q, d).float()
        seg_p = flat[..., p_cap : p_cap + m_cap].reshape(hk * seg_groups, seg_rows, m_cap)
        out += batched_product(seg_p, seg_v.flatten(0, 1), f32).view(hk, b * g * q, d)
        if decode:
            own_p = flat[..., p_cap + m_cap :].reshape(hk * b, g * q, s.decode_cap)
            out += batched_product(own_p, own_v.flatten(0, 1), f32).view(hk, b * g * q, d)
        if self.consumers:
            probs = probs.to(self.device)  # consumers keep their results on the batch's device
            for consumer in self.consumers:
                consumer(layer, probs, self)
        out = out.view(hk, b, g, q, d).permute(1, 3, 0, 2, 4).reshape(b, q, h, d).to(query.dtype)
        if decode and self.mask_mode == "zero":
            out = out * keep[:, None, :, None].to(dev, out.dtype)
        return out


def prefix_buffers(shape: RowsShape, device: torch.device | str, layer_devices: Sequence[torch.device] | None = None,
                   dtype: torch.dtype = torch.float32) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Zeroed per-layer (H_kv, G, P_cap, d) K and V buffers of ``dtype`` for a shared prefix (several batches of the
    same capacity may share them: each use loads its prefix first), on each layer's device."""
    size = (shape.n_kv, shape.groups, shape.prefix_cap, shape.head_dim)
    devs = list(layer_devices) if layer_devices else [torch.device(device)] * shape.n_layers
    return ([torch.zeros(size, dtype=dtype, device=d) for d in devs],
            [torch.zeros(size, dtype=dtype, device=d) for d in devs])


def by_row(probs: torch.Tensor) -> torch.Tensor:
    """Native (H_kv, B_c, G, q, N) softmax rows as (B_c, H, q, N) (a copy)."""
    hk, b, g, q, n = probs.shape
    return probs.permute(1, 0, 2, 3, 4).reshape(b, hk * g, q, n)


def padded_index(positions: Sequence[int], prefix_len: int, prefix_cap: int) -> list[int]:
    """Key slots (prompt-call layout: [prefix_cap | segment]) of absolute positions below P + segment_cap."""
    return [p if p < prefix_len else prefix_cap + (p - prefix_len) for p in positions]
