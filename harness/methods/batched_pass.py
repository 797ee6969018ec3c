"""Head detection's shared passes with the questions of one or more filing groups decoded as rows of one batch.

A filing group is the questions sharing a context window. A batch holds one or more groups (the windows of one
filing, or of several: each group has its own prefix, :mod:`harness.engine.batching`). Per group one prefill of
its prefix; then one prompt call feeding every question's suffix and the null query's (right-padded rows over
their group's prefix; groups with fewer prompts are padded with one-token prompts nobody reads), whose probe
rows feed every method (each question's last prompt row -> summed attention and Wu24's step 0; its
question-span rows -> QRHead; the null query's span rows, once per group, -> QRHead's calibration); then greedy
decoding of all rows at once with a top-1 probe row per step (graph-captured on CUDA,
:mod:`harness.engine.batched_decode`), each row cut at its own stop. The result is the same
:class:`harness.methods.base.Signals` per question as :func:`harness.methods.shared_pass.measure_question`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from adapters.prompts import FilingPrompts
from harness.engine.batched_decode import (
    StepOptions,
    Workspace,
    batch_shape,
    prefix_layers,
    shape_buckets,
    workspace,
)
from harness.engine.batching import SharedRows, padded_index
from harness.engine.decoding import StopRule, prefill
from harness.methods.base import DetectionSettings, Signals


class SpanMean:
    """A row span's summed attention over the first keys, per layer: ``mean()`` is (L, 1, H, N_keep)."""

    def __init__(self, sums: torch.Tensor, count: int) -> None:
        self.sums, self.count = sums, count  # (L, H, N_keep)

    def mean(self) -> torch.Tensor:
        return (self.sums / max(1, self.count))[:, None]


class PromptProbes:
    """The probe rows of a detection prompt call, reduced per prompt row and layer.

    Per prompt row b (over a prefix of ``prefix_lens[b]`` tokens): ``regions[b]`` (absolute [start, end) key
    spans) summed over its last row, that row's top-1 key (absolute position), and the sum of its span rows
    ``spans[b]`` (slots [start, end) of the call) over the keys at the first ``n_keep`` positions.
    """

    def __init__(self, rows: SharedRows, prefix_lens: Sequence[int], lengths: Sequence[int],
                 regions: Sequence[Sequence[tuple[int, int]]], spans: Sequence[tuple[int, int]], n_keep: int) -> None:
        s, dev = rows.shape, rows.device
        q = s.prompts
        self.last = torch.tensor([max(0, n - 1) for n in lengths], device=dev)
        self.prompt = torch.arange(q, device=dev)
        n_reg = max(1, max(len(r) for r in regions))
        bounds = torch.zeros(q, 2, n_reg, dtype=torch.long)
        for b, (regs, n, p) in enumerate(zip(regions, lengths, prefix_lens, strict=True)):
            kv = p + n  # the keys this row's last query could see, as the one-question call has them
            for j, (a, e) in enumerate(regs):
                a, e = max(0, min(a, kv)), max(0, min(e, kv))
                if e > a:
                    bounds[b, :, j] = torch.tensor(padded_index([a, e], p, s.prefix_cap))
        self.bounds = bounds.to(dev)
        span = torch.zeros(q, s.segment_cap)
        for b, (a, e) in enumerate(spans):
            span[b, a:e] = 1.0
        self.span = span.to(dev)  # (Q, M): 1 on each row's span
        self.counts = [max(0, e - a) for a, e in spans]
        # (Q, N_keep) key slots; a row over a shorter prefix reads slot 0 past its own keys (cut off by the caller)
        n_keys = s.prefix_cap + s.segment_cap
        self.keep_cols = torch.tensor([[c if c < n_keys else 0 for c in padded_index(range(n_keep), p, s.prefix_cap)]
                                       for p in prefix_lens], dtype=torch.long, device=dev).view(q, n_keep)
        self.region_sums: dict[int, torch.Tensor] = {}
        self.top1: dict[int, torch.Tensor] = {}
        self.top1_values: dict[int, torch.Tensor] = {}
        self.span_sums: dict[int, torch.Tensor] = {}

    def __call__(self, layer: int, probs: torch.Tensor, rows: SharedRows) -> None:
        hk, q, g, _, n = probs.shape
        last = probs[:, self.prompt, :, self.last].reshape(q, hk * g, n)  # (Q, H, N): each row's last query
        best = last.max(dim=-1)
        self.top1[layer] = rows.positions().gather(1, best.indices)
        self.top1_values[layer] = best.values.float()
        csum = torch.nn.functional.pad(last.double().cumsum(-1), (1, 0))  # (Q, H, N + 1), float64 as RegionSums
        ends = csum.gather(2, self.bounds[:, 1][:, None].expand(-1, hk * g, -1))
        starts = csum.gather(2, self.bounds[:, 0][:, None].expand(-1, hk * g, -1))
        self.region_sums[layer] = (ends - starts).to(probs.dtype)
        summed = torch.einsum("qm,hqgmn->hqgn", self.span, probs)  # each row's span rows summed: (H_kv, Q, G, N)
        kept = summed.gather(-1, self.keep_cols[None, :, None].expand(hk, -1, g, -1))
        self.span_sums[layer] = kept.permute(1, 0, 2, 3).reshape(q, hk * g, -1)

    def stacked(self, what: dict[int, torch.Tensor]) -> torch.Tensor:
        """(L, ...) in layer order."""
        return torch.stack([what[k] for k in sorted(what)])


def group_segments(fp: FilingPrompts) -> tuple[list[list[int]], list[int]]:
    """The prompt rows of a group: each question's tokens after the shared prefix, then each distinct null
    prompt's (one per group for the study's prompts); and the null row of each question."""
    p = len(fp.prefix_ids)
    qps = list(fp.prompts.values())
    nulls: list[list[int]] = []
    for qp in qps:
        if qp.null_ids[p:] not in nulls:
            nulls.append(qp.null_ids[p:])
    segments = [qp.ids[p:] for qp in qps] + nulls
    if min(len(x) for x in segments) < 1:
        raise ValueError(f"{fp.sample_id}: a prompt has no token after the shared prefix")
    return segments, [len(qps) + nulls.index(qp.null_ids[p:]) for qp in qps]


class BatchLayout:
    """Where the prompts of several filing groups sit in one batch: ``segments`` (every prompt's tokens after its
    group's prefix, group-major, ``per_group`` each), each group's first prompt and its questions' null rows."""

    def __init__(self, fps: Sequence[FilingPrompts]) -> None:
        per = [group_segments(fp) for fp in fps]
        self.per_group = max(len(seg) for seg, _ in per)
        self.segments: list[list[int]] = []
        self.first: list[int] = []
        self.null_row: list[list[int]] = []  # per group, per question: the batch row of its null prompt
        self.prefix_lens: list[int] = []  # per prompt
        self.question_rows: list[int] = []  # the batch rows of every group's questions (what is decoded and read)
        for fp, (seg, nulls) in zip(fps, per, strict=True):
            first = len(self.segments)
            pad = [[seg[0][-1]]] * (self.per_group - len(seg))  # one-token prompts nobody reads
            self.segments += [list(x) for x in seg] + pad
            self.first.append(first)
            self.null_row.append([first + r for r in nulls])
            self.prefix_lens += [len(fp.prefix_ids)] * self.per_group
            self.question_rows += [first + j for j in range(len(fp.prompts))]


def _probes(ws: Workspace, fps: Sequence[FilingPrompts], layout: BatchLayout) -> PromptProbes:
    """The prompt call's probe requests for every group of the batch."""
    regions: list[list[tuple[int, int]]] = []
    spans: list[tuple[int, int]] = []
    for fp, nulls in zip(fps, layout.null_row, strict=True):
        p, qps = len(fp.prefix_ids), list(fp.prompts.values())
        null_of = {r: qp for qp, r in zip(qps, nulls, strict=True)}  # a question of each null row
        regions += [[qp.context_span, *qp.evidence_spans] for qp in qps] + [[]] * len(null_of)
        spans += [(qp.query_start - p, len(qp.ids) - p) for qp in qps]
        spans += [(null_of[r].null_query_start - p, len(layout.segments[r])) for r in sorted(null_of)]
        pad = layout.per_group - len(qps) - len(null_of)
        regions += [[]] * pad
        spans += [(0, 0)] * pad
    n_keep = max(qp.context_span[1] for fp in fps for qp in fp.prompts.values())
    lengths = [len(x) for x in layout.segments]
    return PromptProbes(ws.rows, layout.prefix_lens, lengths, regions, spans, n_keep)


@torch.no_grad()
def decode_groups(model, fps: Sequence[FilingPrompts], max_new_tokens: int, stop, probes: bool = True,
                  ) -> tuple[Workspace, PromptProbes | None, dict[int, list[int]], BatchLayout]:
    """The engine part of the passes of one batch of filing groups: a prefill per group, one prompt call for
    every row, batched greedy decoding.

    With ``probes`` the prompt call feeds a :class:`PromptProbes` and every decode step a top-1 row; without,
    the same calls run with no probe request (the bench's baseline). Returns the workspace, the probes, the
    generated ids of each question row (batch row -> ids, cut at ``stop``) and the batch layout."""
    if not fps:
        raise ValueError("a detection batch needs at least one filing group")
    layout = BatchLayout(fps)
    lengths = [len(x) for x in layout.segments]
    steps = max(0, max_new_tokens - 1)
    shape = batch_shape(model, max(layout.prefix_lens), max(lengths), len(layout.segments), 1, steps,
                        shape_buckets(model.device), groups=len(fps))
    ws = workspace(model, shape, StepOptions(top1=probes))
    for g, fp in enumerate(fps):
        cache = prefill(model, fp.prefix_ids)
        ws.rows.load_prefix(prefix_layers(cache), len(fp.prefix_ids), g)
        del cache
    pp = _probes(ws, fps, layout) if probes else None
    ws.ids[:, 0].copy_(ws.prompt_call(layout.segments, [pp] if pp else [], logits=True))
    return ws, pp, ws.decode(steps, stop, layout.question_rows, first_col=0), layout


@torch.no_grad()
def measure_groups(model, tokenizer, fps: Sequence[FilingPrompts], settings: DetectionSettings,
                   stop: StopRule) -> list[dict[str, Signals]]:
    """Every question's signals for each filing group of ``fps``, all decoded as one batch (see the module doc)."""
    ws, probes, gens, layout = decode_groups(model, fps, settings.max_new_tokens, stop)
    assert probes is not None and ws.top1 is not None and ws.top1_values is not None
    region = probes.stacked(probes.region_sums).double().cpu().numpy()  # (L, Q, H, regions)
    top0 = probes.stacked(probes.top1)  # (L, Q, H)
    val0 = probes.stacked(probes.top1_values)
    span_sums = probes.stacked(probes.span_sums)  # (L, Q, H, N_keep)
    results: list[dict[str, Signals]] = []
    for fp, first, nulls in zip(fps, layout.first, layout.null_row, strict=True):
        out: dict[str, Signals] = {}
        for j, qp in enumerate(fp.prompts.values()):
            b, nb = first + j, nulls[j]
            gen = gens[b]
            top1 = [top0[:, b], *ws.top1[:, : len(gen) - 1, b].clone().unbind(1)]  # a copy: the buffer is reused
            values = [val0[:, b], *ws.top1_values[:, : len(gen) - 1, b].clone().unbind(1)]
            keep = qp.context_span[1]
            answer = tokenizer.decode(gen, skip_special_tokens=True).strip() if tokenizer else ""
            out[qp.question] = Signals(
                np.ascontiguousarray(region[:, b, :, : 1 + len(qp.evidence_spans)]), top1, gen, answer,
                SpanMean(span_sums[:, b, :, :keep], probes.counts[b]),
                SpanMean(span_sums[:, nb, :, :keep], probes.counts[nb]),
                hit_max_tokens=stop.hit_max_tokens(gen, settings.max_new_tokens), top1_values=values)
        results.append(out)
    return results


def measure_filing(model, tokenizer, fp: FilingPrompts, settings: DetectionSettings,
                   stop: StopRule) -> dict[str, Signals]:
    """Every question's signals for one filing group, its questions decoded as one batch."""
    return measure_groups(model, tokenizer, [fp], settings, stop)[0]
