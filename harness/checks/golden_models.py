"""Golden checks that run a model through the study's own probe (cases B, C, D, E of ../shared/golden).

Each check drives the same code paths the study uses (probe rows, Top1/RowSum/RegionSums consumers,
head masks, KV-cache reuse) on the recorded prompt ids, and compares with what the upstream code
recorded, at the tolerances of the golden README (section 6). Rows are
``(case, quantity, max_abs_diff, tolerance, passed)``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache

import numpy as np
import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM, DynamicCache

from harness.checks.golden import MODEL_TOLERANCES as TOL
from harness.checks.golden import TOLERANCES, Row, abs_row, close_row
from harness.engine import probe
from harness.paths import golden_dir
from third_party.qrhead import per_doc_scores, score_heads
from third_party.wu24 import retrieval_scores_from_top1, upstream_should_stop


@lru_cache(maxsize=4)
def load_golden_model(size: str):
    """(model, tokenizer or None) for ``tiny`` (golden tiny_llama) or ``smol`` (SmolLM2 alias), float32 CPU."""
    torch.manual_seed(0)
    if size == "tiny":
        name = probe.register_probe_attention("sdpa")
        m = AutoModelForCausalLM.from_pretrained(golden_dir() / "tiny_llama", attn_implementation=name,
                                                 dtype=torch.float32)
        return m.eval(), None
    from harness.engine.models import load_model

    lm = load_model("smollm2-135m-instruct", dtype="float32", device="cpu", attn="sdpa")
    return lm.model.eval(), lm.tokenizer


def _row(case: str, qty: str, diff: float, tol: float, exact: bool = False) -> Row:
    return abs_row(case, qty, diff, 0.0 if exact else tol)


def _load(name: str):
    g = golden_dir()
    return json.loads((g / f"{name}.json").read_text()), load_file(str(g / f"{name}.safetensors"))


def _stop(tokenizer, tok_id: int) -> bool:
    if tokenizer is None:  # byte stub: id 10 is '<0x0A>'
        return upstream_should_stop("<0x0A>" if tok_id == 10 else f"<0x{tok_id:02X}>", tok_id)
    return upstream_should_stop(tokenizer.convert_ids_to_tokens(tok_id), tok_id)


@torch.no_grad()
def wu24_decode(model, tokenizer, prompt_ids: list[int], decode_len: int, head_mask: probe.HeadMask | None = None):
    """Upstream-style decode: prefill ``prompt_ids[:-1]``, then feed the last prompt token and greedy steps.

    Returns generated ids, per-step top-1 (idx, val) (S, L, H), per-step logits (S, V) and step-0 captures.
    The head mask (if any) applies to the decode steps only (Wu24 scope).
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


def check_B(size: str) -> list[Row]:
    """Wu24 detection: generated ids, top-1 positions/values, retrieval scores."""
    js, st = _load(f"B_wu24_detect_{size}")
    model, tok = load_golden_model(size)
    tol = TOL[size]
    rows: list[Row] = []
    for case, c in js["cases"].items():
        gen, idx, val, logits, _, _ = wu24_decode(model, tok, c["prompt_ids"], js["decode_len"])
        g_ids = st[f"{case}/generated_ids"].tolist()
        rows.append(_row(case, "generated_ids", float(gen != g_ids), 0, exact=True))
        fragile = st[f"{case}/fragile_top1"]
        same = idx == st[f"{case}/top1_idx"]
        rows.append(_row(case, "top1_idx (non-fragile)", float((~same & ~fragile).sum()), 0, exact=True))
        rows.append(_row(case, "top1_val", float((val - st[f"{case}/top1_val"]).abs().max()), tol["attn"]))
        span = c["needle_span"]
        spans = [tuple(span)] if span[0] >= 0 else []
        ours = retrieval_scores_from_top1(idx.numpy(), gen, c["prompt_ids"], spans)
        ref = st[f"{case}/retrieval_score"].numpy()
        rows.append(_row(case, "retrieval_score", float(np.abs(ours - ref).max()), TOLERANCES["exact_float"]))
        if size == "tiny":
            rows.append(_row(case, "step_logits", float((logits - st[f"{case}/step_logits"]).abs().max()),
                             tol["logits"]))
        else:
            rows.append(_row(case, "step_logits_top20", _top20_diff(logits, st, case), tol["logits"]))
    return rows


def _top20_diff(logits: torch.Tensor, st: dict, prefix: str) -> float:
    idx = st[f"{prefix}/step_logits_top20_idx"]
    ref = st[f"{prefix}/step_logits_top20_val"]
    n = min(len(idx), len(logits))
    ours = torch.gather(logits[:n], 1, idx[:n])
    return float((ours - ref[:n]).abs().max())


def check_C(size: str) -> list[Row]:
    """Wu24 ablation (uniform mask, decode scope): generated ids, step-0 query/head outputs, logits."""
    js, st = _load(f"C_wu24_ablation_{size}")
    model, tok = load_golden_model(size)
    tol = TOL[size]
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
            rows.append(_row(name, "step0_head_out", float((head_out - st[f"{key}/step0_head_out"]).abs().max()),
                             tol["head_out"]))
            q = torch.stack([queries[i][0, :, 0] for i in range(n_layers)])
            rows.append(_row(name, "step0_query", float((q - st[f"{key}/step0_query"]).abs().max()),
                             tol["head_out"]))
            if heads:
                vmean = st[f"{key}/step0_value_mean"]
                group = n_heads // vmean.shape[1]
                d = max(float((head_out[l_, h] - vmean[l_, h // group]).abs().max()) for l_, h in heads)
                rows.append(_row(name, "blocked head == mean V", d, TOLERANCES["C_blocked_equals_mean_v"]))
                rows.append(_row(name, "blocked query == 0", float(max(q[l_, h].abs().max() for l_, h in heads)),
                                 0, True))
            if size == "tiny":
                rows.append(_row(name, "step_logits", float((logits - st[f"{key}/step_logits"]).abs().max()),
                                 tol["logits"]))
            else:
                rows.append(_row(name, "step_logits_top20", _top20_diff(logits, st, key), tol["logits"]))
    return rows


@torch.no_grad()
def qrhead_per_token(model, prompt_ids: list[int], q_span: tuple[int, int], null_ids: list[int],
                     null_span: tuple[int, int], reuse_at: int) -> tuple[torch.Tensor, torch.Tensor]:
    """QRHead per-token scores (L, H, N) and null scores (L, H, N_null) via the probe, reusing the cache."""
    from harness.engine.kvcache import crop_to

    cache = DynamicCache()
    n = len(prompt_ids)
    acc = probe.RowSum(n)
    with probe.probing(range(q_span[0], q_span[1] + 1), [acc]):
        model(input_ids=torch.tensor([prompt_ids]), past_key_values=cache, use_cache=True)
    crop_to(cache, reuse_at)
    nul = probe.RowSum(len(null_ids))
    with probe.probing(range(null_span[0], null_span[1] + 1), [nul]):
        model(input_ids=torch.tensor([null_ids[reuse_at:]]), past_key_values=cache, use_cache=True)
    return acc.mean()[:, 0], nul.mean()[:, 0]


def check_D(size: str) -> list[Row]:
    """QRHead detection: per-token scores, null scores (KV reuse), per-doc scores, ranking."""
    js, st = _load(f"D_qrhead_{size}")
    model, _ = load_golden_model(size)
    tol = TOL[size]
    rows: list[Row] = []
    per_doc_all = []
    for _k, inst in enumerate(js["instances"]):
        qid = pre = str(inst["idx"])
        pts, null = qrhead_per_token(model, inst["prompt_ids"], tuple(inst["query_span_inclusive"]),
                                     inst["null_prompt_ids"], tuple(inst["null_query_span_inclusive"]),
                                     inst["null_call_start_idx"])
        rows.append(_row(str(qid), "per_token_scores", float((pts - st[f"{pre}/per_token_scores"]).abs().max()),
                         tol["pts"]))
        rows.append(_row(str(qid), "null_per_token_scores",
                         float((null - st[f"{pre}/null_per_token_scores"]).abs().max()), tol["pts"]))
        docs = per_doc_scores(pts, null, [tuple(s) for s in inst["doc_spans_inclusive"]])
        fragile = st[f"{pre}/fragile_mask_cells"]
        keys = [p["idx"] for p in inst["paragraphs_after_strip"]]
        rows.append(close_row(str(qid), "per_doc (fragile skipped)", torch.stack(list(docs[:len(keys)])).numpy(),
                              np.stack([st[f"{pre}/per_doc/{dk}"].numpy() for dk in keys]),
                              TOLERANCES["qrhead_per_doc_abs"], TOLERANCES["qrhead_per_doc_rel"],
                              skip=fragile[:len(keys)].numpy()))
        per_doc_all.append((pre, {p["idx"]: d for p, d in zip(inst["paragraphs_after_strip"], docs, strict=False)},
                            list(inst["gt_docs"])))
    ours = dict(score_heads({i: d for i, d, _ in per_doc_all}, {i: g for i, _, g in per_doc_all}))
    ref = dict((h, s) for h, s in js["ranking"])
    gap = TOLERANCES["qrhead_ranking"]
    rows.append(_row("ranking", "QRScore per head", max(abs(ours[h] - ref[h]) for h in ref), gap))
    order_ref = [h for h, _ in js["ranking"]]
    gaps_ok = [abs(ref[a] - ref[b]) > gap for a, b in zip(order_ref, order_ref[1:], strict=False)]
    ours_order = sorted(ours, key=lambda h: -ours[h])
    pos = {h: i for i, h in enumerate(ours_order)}
    bad = sum(1 for (a, b), ok in zip(zip(order_ref, order_ref[1:], strict=False), gaps_ok, strict=True) if ok and pos[a] > pos[b])
    rows.append(_row("ranking", "order where adjacent gap > 1e-5", float(bad), 0, True))
    return rows


def check_E(size: str) -> list[Row]:
    """Summed attention: last-row attention and region sums."""
    js, st = _load(f"E_summed_attention_{size}")
    model, _ = load_golden_model(size)
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
        rows.append(_row(case, "last_row_attn", float((cap.stack()[:, 0, :, 0] - st[f"{pre}last_row_attn"]).abs().max()),
                         tol))
        s = sums.stack()[:, 0, :, 0]
        for i, (name, _) in enumerate(regions):
            rows.append(_row(case, f"sum/{name}", float((s[..., i] - st[f"{pre}sum/{name}"]).abs().max()), tol))
    return rows


CHECKS: dict[str, Callable[[], list[Row]]] = {
    f"{case}_{size}": (lambda f=fn, s=size: f(s))
    for case, fn in (("B_wu24_detect", check_B), ("C_wu24_ablation", check_C), ("D_qrhead", check_D),
                     ("E_summed_attention", check_E))
    for size in ("tiny", "smol")
}



def register_checks(register, row_cls) -> None:
    """Register every model check with the golden-diff registry (``harness.checks.golden``)."""
    for name, fn in CHECKS.items():
        register(
            name,
            lambda golden, f=fn: f(),
            needs_model=True,
        )
