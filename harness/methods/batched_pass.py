"""Head detection's shared passes with the questions of a filing group decoded as rows of one batch.

Per group (questions sharing a context window): one prefill of the shared prefix; one prompt call feeding every
question's suffix and the null query's (right-padded rows over the shared prefix,
:mod:`harness.engine.batching`), whose probe rows feed every method (each question's last prompt row ->
summed attention and Wu24's step 0; its question-span rows -> QRHead; the null query's span rows, once per
group, -> QRHead's calibration); then greedy decoding of all rows at once with a top-1 probe row per step
(graph-captured on CUDA, :mod:`harness.engine.batched_decode`), each row cut at its own stop. The result is the
same :class:`harness.methods.base.Signals` per question as :func:`harness.methods.shared_pass.measure_question`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from adapters.prompts import FilingPrompts, QuestionPrompt
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

    Per prompt row b: ``regions[b]`` (absolute [start, end) key spans) summed over its last row, that row's top-1
    key (absolute position), and the sum of its span rows ``spans[b]`` (slots [start, end) of the call) over the
    first ``n_keep`` keys.
    """

    def __init__(self, rows: SharedRows, prefix_len: int, lengths: Sequence[int],
                 regions: Sequence[Sequence[tuple[int, int]]], spans: Sequence[tuple[int, int]], n_keep: int) -> None:
        s, dev = rows.shape, rows.device
        q = s.prompts
        self.last = torch.tensor([max(0, n - 1) for n in lengths], device=dev)
        self.prompt = torch.arange(q, device=dev)
        n_reg = max(1, max(len(r) for r in regions))
        bounds = torch.zeros(q, 2, n_reg, dtype=torch.long)
        for b, (regs, n) in enumerate(zip(regions, lengths, strict=True)):
            kv = prefix_len + n  # the keys this row's last query could see, as the one-question call has them
            for j, (a, e) in enumerate(regs):
                a, e = max(0, min(a, kv)), max(0, min(e, kv))
                if e > a:
                    bounds[b, :, j] = torch.tensor(padded_index([a, e], prefix_len, s.prefix_cap))
        self.bounds = bounds.to(dev)
        span = torch.zeros(q, s.segment_cap)
        for b, (a, e) in enumerate(spans):
            span[b, a:e] = 1.0
        self.span = span.to(dev)  # (Q, M): 1 on each row's span
        self.counts = [max(0, e - a) for a, e in spans]
        self.keep_cols = torch.tensor(padded_index(range(n_keep), prefix_len, s.prefix_cap), device=dev)
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
        self.span_sums[layer] = summed.index_select(-1, self.keep_cols).permute(1, 0, 2, 3).reshape(q, hk * g, -1)

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


@torch.no_grad()
def decode_group(model, fp: FilingPrompts, max_new_tokens: int, stop, probes: bool = True,
                 ) -> tuple[Workspace, PromptProbes | None, dict[int, list[int]]]:
    """The engine part of a group's passes: prefill, one prompt call for every row, batched greedy decoding.

    With ``probes`` the prompt call feeds a :class:`PromptProbes` and every decode step a top-1 row; without,
    the same calls run with no probe request (the bench's baseline). Returns the workspace, the probes and the
    generated ids of each question row, cut at ``stop``."""
    p, qps = len(fp.prefix_ids), list(fp.prompts.values())
    segments, null_row = group_segments(fp)
    lengths = [len(x) for x in segments]
    steps = max(0, max_new_tokens - 1)
    shape = batch_shape(model, p, max(lengths), len(segments), 1, steps, shape_buckets(model.device))
    ws = workspace(model, shape, StepOptions(top1=probes))
    cache = prefill(model, fp.prefix_ids)
    ws.rows.load_prefix(prefix_layers(cache), p)
    del cache
    pp = None
    if probes:
        nulls = {r: qp for qp, r in zip(qps, null_row, strict=True)}  # a question of each null row
        regions = [[qp.context_span, *qp.evidence_spans] for qp in qps] + [[]] * len(nulls)
        spans = [(qp.query_start - p, len(qp.ids) - p) for qp in qps] + \
            [(nulls[r].null_query_start - p, lengths[r]) for r in sorted(nulls)]
        pp = PromptProbes(ws.rows, p, lengths, regions, spans, max(qp.context_span[1] for qp in qps))
    ws.ids[:, 0].copy_(ws.prompt_call(segments, [pp] if pp else [], logits=True))
    return ws, pp, ws.decode(steps, stop, range(len(qps)), first_col=0)


@torch.no_grad()
def measure_filing(model, tokenizer, fp: FilingPrompts, settings: DetectionSettings,
                   stop: StopRule) -> dict[str, Signals]:
    """Every question's signals for one filing group, its questions decoded as one batch (see the module doc)."""
    qps: list[QuestionPrompt] = list(fp.prompts.values())
    ws, probes, gens = decode_group(model, fp, settings.max_new_tokens, stop)
    assert probes is not None
    region = probes.stacked(probes.region_sums).double().cpu().numpy()  # (L, Q, H, regions)
    top0 = probes.stacked(probes.top1)  # (L, Q, H)
    val0 = probes.stacked(probes.top1_values)
    span_sums = probes.stacked(probes.span_sums)  # (L, Q, H, N_keep)
    null_row = group_segments(fp)[1]
    out: dict[str, Signals] = {}
    assert ws.top1 is not None and ws.top1_values is not None
    for b, qp in enumerate(qps):
        gen = gens[b]
        top1 = [top0[:, b], *ws.top1[:, : len(gen) - 1, b].clone().unbind(1)]  # a copy: the buffer is reused
        values = [val0[:, b], *ws.top1_values[:, : len(gen) - 1, b].clone().unbind(1)]
        keep = qp.context_span[1]
        answer = tokenizer.decode(gen, skip_special_tokens=True).strip() if tokenizer else ""
        out[qp.question] = Signals(
            np.ascontiguousarray(region[:, b, :, : 1 + len(qp.evidence_spans)]), top1, gen, answer,
            SpanMean(span_sums[:, b, :, :keep], probes.counts[b]),
            SpanMean(span_sums[:, null_row[b], :, :keep], probes.counts[null_row[b]]),
            hit_max_tokens=stop.hit_max_tokens(gen, settings.max_new_tokens), top1_values=values)
    return out
