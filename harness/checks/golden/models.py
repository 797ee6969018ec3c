"""The golden checks that run a model through the study's own probe (cases B, C, D and E).

Each check drives the code paths the study uses (probe rows, the Top1 / RowSum / RegionSums / CaptureRows
consumers, head masks, KV-cache reuse) on the recorded prompt ids of the golden tiny Llama (``tiny``) and of
SmolLM2-135M-Instruct (``smol``), and compares with what the upstream code recorded at the tolerances of
:data:`~harness.checks.golden.rows.MODEL_TOLERANCES`. Importing this module registers the eight checks
(``<case>_<size>``, ``needs_model=True``); :data:`CHECKS` holds them by name.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import AutoModelForCausalLM, DynamicCache

from harness.checks.golden.files import load_json, load_torch_tensors
from harness.checks.golden.registry import register
from harness.checks.golden.rows import MODEL_TOLERANCES as TOL
from harness.checks.golden.rows import TOLERANCES, Row, abs_row, close_row
from harness.engine import probe
from harness.engine.kvcache import crop_to
from harness.paths import golden_dir
from third_party.qrhead import per_doc_scores, score_heads
from third_party.wu24 import retrieval_scores_from_top1, upstream_should_stop


def load_golden_model(size: str, golden: Path | None = None):
    """(model, tokenizer or None) for ``tiny`` (the golden tiny Llama, no tokenizer) or ``smol`` (the
    SmolLM2 alias), float32 on the CPU, with the probe attention for ``tiny``; loaded once per process."""
    return _cached_model(size, str((golden or golden_dir()) / "tiny_llama") if size == "tiny" else "")


@lru_cache(maxsize=4)
def _cached_model(size: str, tiny_folder: str):
    torch.manual_seed(0)
    if size == "tiny":
        name = probe.register_probe_attention("sdpa")
        m = AutoModelForCausalLM.from_pretrained(tiny_folder, attn_implementation=name, dtype=torch.float32)
        return m.eval(), None
    from harness.engine.models import load_model

    lm = load_model("smollm2-135m-instruct", dtype="float32", device="cpu", attn="sdpa")
    return lm.model.eval(), lm.tokenizer


def _row(case: str, qty: str, diff: float, tol: float, exact: bool = False) -> Row:
    return abs_row(case, qty, diff, 0.0 if exact else tol)


def _load(name: str, golden: Path | None) -> tuple[Any, dict[str, torch.Tensor]]:
    return load_json(f"{name}.json", golden), load_torch_tensors(f"{name}.safetensors", golden)


def _stop(tokenizer, tok_id: int) -> bool:
    if tokenizer is None:  # byte stub: id 10 is '<0x0A>'
        return upstream_should_stop("<0x0A>" if tok_id == 10 else f"<0x{tok_id:02X}>", tok_id)
    return upstream_should_stop(tokenizer.convert_ids_to_tokens(tok_id), tok_id)


def _max_abs(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().max())


@torch.no_grad()
def wu24_decode(model, tokenizer, prompt_ids: list[int], decode_len: int,
                head_mask: probe.HeadMask | None = None):
    """Upstream-style decode: prefill ``prompt_ids[:-1]``, then feed the last prompt token and greedy steps.

    Returns generated ids, per-step top-1 (idx, val) (S, L, H), per-step logits (S, V), the step-0
    captures (queries, head outputs) and the cache. The head mask (if any) applies to the decode steps
    only (Wu24 scope).
    """
    cache = DynamicCache()
    model(input_ids=torch.tensor([prompt_ids[:-1]]), past_key_values=cache, use_cache=True)
    tok = prompt_ids[-1]
    gen, idxs, vals, logits_all = [], [], [], []
    captured = None
    with probe.masking(head_mask):
        for step in range(decode_len):
            t1 = probe.Top1()
            with probe.probing("last", [t1]), probe.capturing(queries=step == 0, outputs=step == 0) as st:
                out = model(input_ids=torch.tensor([[tok]]), past_key_values=cache, use_cache=True)
                if step == 0:
                    captured = (dict(st.queries), dict(st.outputs))
            logits = out.logits[0, -1].float()
            tok = int(torch.argmax(logits))
            gen.append(tok)
            idxs.append(t1.stack()[:, 0, :, 0])
            vals.append(t1.stack_values()[:, 0, :, 0])
            logits_all.append(logits)
            if _stop(tokenizer, tok):
                break
    return gen, torch.stack(idxs), torch.stack(vals), torch.stack(logits_all), captured, cache


def _logit_row(size: str, name: str, logits: torch.Tensor, st: dict, key: str) -> Row:
    """Full step logits (tiny) or the recorded top-20 ids' logits (smol), per decode step."""
    if size == "tiny":
        return _row(name, "step_logits", _max_abs(logits, st[f"{key}/step_logits"]), TOL[size]["logits"])
    return _row(name, "step_logits_top20", _top20_diff(logits, st, key), TOL[size]["logits"])


def _top20_diff(logits: torch.Tensor, st: dict, prefix: str) -> float:
    idx = st[f"{prefix}/step_logits_top20_idx"]
    ref = st[f"{prefix}/step_logits_top20_val"]
    n = min(len(idx), len(logits))
    ours = torch.gather(logits[:n], 1, idx[:n])
    return float((ours - ref[:n]).abs().max())


def check_B(size: str, golden: Path | None = None) -> list[Row]:
    """Wu24 detection: generated ids, top-1 positions/values, retrieval scores, step logits."""
    js, st = _load(f"B_wu24_detect_{size}", golden)
    model, tok = load_golden_model(size, golden)
    rows: list[Row] = []
    for case, c in js["cases"].items():
        gen, idx, val, logits, _, _ = wu24_decode(model, tok, c["prompt_ids"], js["decode_len"])
        rows.append(_row(case, "generated_ids", float(gen != st[f"{case}/generated_ids"].tolist()), 0, exact=True))
        fragile = st[f"{case}/fragile_top1"]
        same = idx == st[f"{case}/top1_idx"]
        rows.append(_row(case, "top1_idx (non-fragile)", float((~same & ~fragile).sum()), 0, exact=True))
        rows.append(_row(case, "top1_val", _max_abs(val, st[f"{case}/top1_val"]), TOL[size]["attn"]))
        span = c["needle_span"]
        spans = [tuple(span)] if span[0] >= 0 else []
        ours = retrieval_scores_from_top1(idx.numpy(), gen, c["prompt_ids"], spans)
        ref = st[f"{case}/retrieval_score"].numpy()
        rows.append(_row(case, "retrieval_score", float(np.abs(ours - ref).max()), TOLERANCES["exact_float"]))
        rows.append(_logit_row(size, case, logits, st, case))
    return rows


def check_C(size: str, golden: Path | None = None) -> list[Row]:
    """Wu24 ablation (uniform mask, decode scope): generated ids, step-0 query/head outputs, logits."""
    js, st = _load(f"C_wu24_ablation_{size}", golden)
    model, tok = load_golden_model(size, golden)
    tol = TOL[size]["head_out"]
    n_layers, n_heads = model.config.num_hidden_layers, model.config.num_attention_heads
    cases = {"tiny_a": {"runs": js["runs"], "prompt_ids": js["prompt_ids"]}} if size == "tiny" else js["cases"]
    rows: list[Row] = []
    for case, c in cases.items():
        for run, r in c["runs"].items():
            key = f"{run}" if size == "tiny" else f"{case}/{run}"
            heads = [(int(a), int(b)) for a, b in r["block_list"]]
            hm = probe.HeadMask.from_heads([heads], n_layers, n_heads, "uniform") if heads else None
            gen, _, _, logits, (queries, outs), _ = wu24_decode(model, tok, c["prompt_ids"], js["decode_len"], hm)
            name = f"{case}/{run}"
            rows.append(_row(name, "generated_ids", float(gen != st[f"{key}/generated_ids"].tolist()), 0, True))
            head_out = torch.stack([outs[i][0, 0] for i in range(n_layers)])  # (L, H, d)
            rows.append(_row(name, "step0_head_out", _max_abs(head_out, st[f"{key}/step0_head_out"]), tol))
            q = torch.stack([queries[i][0, :, 0] for i in range(n_layers)])
            rows.append(_row(name, "step0_query", _max_abs(q, st[f"{key}/step0_query"]), tol))
            if heads:
                vmean = st[f"{key}/step0_value_mean"]
                group = n_heads // vmean.shape[1]
                d = max(_max_abs(head_out[l_, h], vmean[l_, h // group]) for l_, h in heads)
                rows.append(_row(name, "blocked head == mean V", d, TOLERANCES["C_blocked_equals_mean_v"]))
                rows.append(_row(name, "blocked query == 0", float(max(q[l_, h].abs().max() for l_, h in heads)),
                                 0, True))
            rows.append(_logit_row(size, name, logits, st, key))
    return rows


@torch.no_grad()
def qrhead_per_token(model, prompt_ids: list[int], q_span: tuple[int, int], null_ids: list[int],
                     null_span: tuple[int, int], reuse_at: int) -> tuple[torch.Tensor, torch.Tensor]:
    """QRHead per-token scores (L, H, N) and null scores (L, H, N_null) via the probe, reusing the cache."""
    cache = DynamicCache()
    acc = probe.RowSum(len(prompt_ids))
    with probe.probing(range(q_span[0], q_span[1] + 1), [acc]):
        model(input_ids=torch.tensor([prompt_ids]), past_key_values=cache, use_cache=True)
    crop_to(cache, reuse_at)
    nul = probe.RowSum(len(null_ids))
    with probe.probing(range(null_span[0], null_span[1] + 1), [nul]):
        model(input_ids=torch.tensor([null_ids[reuse_at:]]), past_key_values=cache, use_cache=True)
    return acc.mean()[:, 0], nul.mean()[:, 0]


def check_D(size: str, golden: Path | None = None) -> list[Row]:
    """QRHead detection: per-token scores, null scores (KV reuse), per-doc scores, ranking."""
    js, st = _load(f"D_qrhead_{size}", golden)
    model, _ = load_golden_model(size, golden)
    rows: list[Row] = []
    per_doc_all, gt = {}, {}
    for inst in js["instances"]:
        qid = str(inst["idx"])
        pts, null = qrhead_per_token(model, inst["prompt_ids"], tuple(inst["query_span_inclusive"]),
                                     inst["null_prompt_ids"], tuple(inst["null_query_span_inclusive"]),
                                     inst["null_call_start_idx"])
        rows.append(_row(qid, "per_token_scores", _max_abs(pts, st[f"{qid}/per_token_scores"]), TOL[size]["pts"]))
        rows.append(_row(qid, "null_per_token_scores", _max_abs(null, st[f"{qid}/null_per_token_scores"]),
                         TOL[size]["pts"]))
        docs = per_doc_scores(pts, null, [tuple(s) for s in inst["doc_spans_inclusive"]])
        fragile = st[f"{qid}/fragile_mask_cells"]
        keys = [p["idx"] for p in inst["paragraphs_after_strip"]]
        rows.append(close_row(qid, "per_doc (fragile skipped)", torch.stack(list(docs[:len(keys)])).numpy(),
                              np.stack([st[f"{qid}/per_doc/{dk}"].numpy() for dk in keys]),
                              TOLERANCES["qrhead_per_doc_abs"], TOLERANCES["qrhead_per_doc_rel"],
                              skip=fragile[:len(keys)].numpy()))
        per_doc_all[qid] = {p["idx"]: d for p, d in zip(inst["paragraphs_after_strip"], docs, strict=False)}
        gt[qid] = list(inst["gt_docs"])
    return rows + _qrscore_rows(dict(score_heads(per_doc_all, gt)), js["ranking"])


def _qrscore_rows(ours: dict[str, float], ranking: list[list[Any]]) -> list[Row]:
    """Each head's QRScore, and the order of adjacent recorded heads whose score gap exceeds the tolerance."""
    ref = {h: s for h, s in ranking}
    gap = TOLERANCES["qrhead_ranking"]
    rows = [_row("ranking", "QRScore per head", max(abs(ours[h] - ref[h]) for h in ref), gap)]
    order_ref = [h for h, _ in ranking]
    pos = {h: i for i, h in enumerate(sorted(ours, key=lambda h: -ours[h]))}
    bad = sum(1 for a, b in zip(order_ref, order_ref[1:], strict=False)
              if abs(ref[a] - ref[b]) > gap and pos[a] > pos[b])
    rows.append(_row("ranking", "order where adjacent gap > 1e-5", float(bad), 0, True))
    return rows


def check_E(size: str, golden: Path | None = None) -> list[Row]:
    """Summed attention: last-row attention and region sums."""
    js, st = _load(f"E_summed_attention_{size}", golden)
    model, _ = load_golden_model(size, golden)
    tol = TOL[size]["attn"]
    cases = {"tiny": {"prompt_ids": js["prompt_ids"], "regions_half_open": js["regions_half_open"]}} \
        if size == "tiny" else js["cases"]
    rows: list[Row] = []
    for case, c in cases.items():
        pre = "" if size == "tiny" else f"{case}/"
        regions = list(c["regions_half_open"].items())
        cap, sums = probe.CaptureRows(), probe.RegionSums([tuple(v) for _, v in regions])
        with torch.no_grad(), probe.probing("last", [cap, sums]):
            model(input_ids=torch.tensor([c["prompt_ids"]]), past_key_values=DynamicCache(), use_cache=True)
        rows.append(_row(case, "last_row_attn", _max_abs(cap.stack()[:, 0, :, 0], st[f"{pre}last_row_attn"]), tol))
        s = sums.stack()[:, 0, :, 0]
        for i, (name, _) in enumerate(regions):
            rows.append(_row(case, f"sum/{name}", _max_abs(s[..., i], st[f"{pre}sum/{name}"]), tol))
    return rows


# name -> check(golden=None): ``B_wu24_detect_tiny``, ..., ``E_summed_attention_smol``.
CHECKS: dict[str, Callable[..., list[Row]]] = {
    f"{case}_{size}": partial(fn, size)
    for case, fn in (("B_wu24_detect", check_B), ("C_wu24_ablation", check_C), ("D_qrhead", check_D),
                     ("E_summed_attention", check_E))
    for size in ("tiny", "smol")
}

for _name, _check in CHECKS.items():
    register(_name, _check, needs_model=True)
del _name, _check
