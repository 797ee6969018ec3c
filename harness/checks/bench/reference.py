"""The upstream-style reference paths the study's engine is measured against (deliberately independent of it).

Detection the upstream way: eager attention with ``output_attentions`` full maps, one full forward per
question prompt and per null prompt (no prefix sharing), a per-(layer, head) Python top-1 loop on every
decode step, summed attention and QRHead read from the full maps. Ablation the upstream way: per condition
a fresh prefill of the prompt but its last token, then a masked batch-1 decode. Both reuse only the ports'
scoring functions, so agreeing with the study's detection is evidence that both compute the same scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from transformers import DynamicCache

from adapters.prompts import FilingPrompts, QuestionPrompt
from harness.engine import decoding, probe
from harness.methods.base import QuestionScores
from third_party.qrhead import per_doc_scores
from third_party.wu24 import retrieval_scores_from_top1


def per_head_top1(maps: Sequence[torch.Tensor]) -> np.ndarray:
    """Upstream style: a Python loop over (layer, head), the top-1 key of each head's last row, one index at a
    time."""
    n_layers, n_heads = len(maps), maps[0].shape[1]
    out = np.zeros((n_layers, n_heads), dtype=np.int64)
    for layer in range(n_layers):
        for head in range(n_heads):
            _, idx = maps[layer][0, head, -1].topk(1)
            out[layer, head] = int(idx)
    return out


@torch.no_grad()
def _reference_question(model, qp: QuestionPrompt, max_new_tokens: int) -> dict[str, Any]:
    """One question the upstream way (the model in eager attention): summed attention, Wu24, QRHead."""
    dev = model.device
    n = len(qp.ids)
    s, e = qp.context_span
    cache = DynamicCache()
    out = model(input_ids=torch.tensor([qp.ids], device=dev), past_key_values=cache, use_cache=True,
                output_attentions=True)
    maps = out.attentions  # L x (1, H, n, n)
    summed = torch.stack([a[0, :, -1, s:e].float().sum(-1) for a in maps]).double().cpu().numpy()
    pts = torch.stack([a[0, :, qp.query_start : n, :e].float().mean(1) for a in maps]).cpu()
    top1 = [per_head_top1(maps)]
    generated = [int(torch.argmax(out.logits[0, -1].float()))]
    del out, maps
    while len(generated) < max_new_tokens:
        out = model(input_ids=torch.tensor([[generated[-1]]], device=dev), past_key_values=cache,
                    use_cache=True, output_attentions=True)
        top1.append(per_head_top1(out.attentions))
        generated.append(int(torch.argmax(out.logits[0, -1].float())))
        del out
    del cache
    out = model(input_ids=torch.tensor([qp.null_ids], device=dev), use_cache=False, output_attentions=True)
    null = torch.stack([a[0, :, qp.null_query_start :, :e].float().mean(1) for a in out.attentions]).cpu()
    del out
    wu24 = retrieval_scores_from_top1(np.stack(top1), generated, qp.ids, qp.wu24_spans)
    per_doc = per_doc_scores(pts, null, [(a, b - 1) for a, b in qp.paragraph_spans])
    qrhead = sum(per_doc[i].double().numpy() for i in qp.gold_paragraphs)
    return {"summed_context": summed, "wu24": wu24, "qrhead": qrhead, "generated_ids": generated}


def reference_path(model, fp: FilingPrompts, max_new_tokens: int) -> dict[str, dict[str, Any]]:
    """Upstream-style detection: eager attention with ``output_attentions`` full maps, one full forward per
    question prompt and per null prompt (no prefix sharing), a per-head Python top-1 loop on each decode
    step, summed attention and QRHead read from the full maps. The model is switched back afterwards."""
    restore = model.config._attn_implementation
    model.set_attn_implementation("eager")
    try:
        return {q: _reference_question(model, qp, max_new_tokens) for q, qp in fp.prompts.items()}
    finally:
        model.set_attn_implementation(restore)


def compare_paths(ours: dict[str, QuestionScores], ref: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """How far the reference path's scores are from ours on the same filing (informational)."""
    d_sum, d_qr, d_wu, qr_scale, same = 0.0, 0.0, 0.0, 0.0, 0
    for q, r in ref.items():
        o = ours[q]
        d_sum = max(d_sum, float(np.abs(o.summed_context - r["summed_context"]).max()))
        if o.qrhead is not None:
            d_qr = max(d_qr, float(np.abs(o.qrhead - r["qrhead"]).max()))
            qr_scale = max(qr_scale, float(np.abs(r["qrhead"]).max()))
        if o.wu24 is not None:
            d_wu = max(d_wu, float(np.abs(o.wu24 - r["wu24"]).max()))
        same += int(list(o.generated_ids) == list(r["generated_ids"]))
    return {"summed_context_max_abs_diff": d_sum, "qrhead_max_abs_diff": d_qr, "qrhead_max_abs": qr_scale,
            "wu24_max_abs_diff": d_wu, "questions_with_equal_generated_ids": f"{same}/{len(ref)}",
            "note": "eager vs SDPA rounding differs (more so in bfloat16); a flipped greedy token changes "
                    "every later step, so wu24 diffs are meaningful only where the generated ids are equal"}


@torch.no_grad()
def ablation_one_condition(model, ids: Sequence[int], heads: Sequence[str], n_layers: int, n_heads: int,
                           mode: str, max_new_tokens: int) -> list[int]:
    """The upstream way, one condition: prefill ``ids[:-1]`` unmasked from scratch, then decode masked."""
    cache = decoding.prefill(model, ids[:-1])
    mask = probe.HeadMask.from_heads([list(heads)], n_layers, n_heads, mode)
    tok, out = int(ids[-1]), []
    with probe.masking(mask):
        for _ in range(max_new_tokens):
            tok = int(torch.argmax(decoding.forward(model, [tok], cache)))
            out.append(tok)
    return out
