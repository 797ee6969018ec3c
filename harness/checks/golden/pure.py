"""The golden checks that run no model: the ports' pure functions and recomputations from recorded outputs.

``A_wu24`` and ``A_qrhead`` feed the crafted inputs of case A to the Wu24 and QRHead ports (needle search,
retrieval score and head counter, ROUGE gate; per-doc outlier mask, document scores, head scores).
``B_wu24`` and ``D_qrhead`` recompute what cases B and D derive from the recorded model outputs (the
recorded top-1 positions and generated ids, the recorded per-token attention scores), so they check the
study's scoring without running a model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from harness.checks.golden.files import load_json, load_tensors
from harness.checks.golden.registry import register
from harness.checks.golden.rows import TOLERANCES, Row, close_row, exact_row, mismatches, ranking_rows

EXACT = TOLERANCES["exact_float"]


def counter_rows(case: str, quantity: str, got: dict[str, list[float]],
                 want: dict[str, list[float]]) -> list[Row]:
    """Rows comparing a Wu24 head counter (head -> per-sample scores) with the recorded one."""
    if list(got) != list(want) or any(len(got[k]) != len(want[k]) for k in want):
        return [exact_row(case, quantity + " keys", {k: len(v) for k, v in got.items()},
                          {k: len(v) for k, v in want.items()})]
    return [close_row(case, quantity, [got[k] for k in want], [want[k] for k in want], EXACT)]


# ---------------------------------------------------------------------------------------------- A: Wu24


@register("A_wu24")
def check_a_wu24(golden: Path) -> list[Row]:
    """Case A (Wu24 pure functions): find_needle_idx, retrieval_calculate + head counter, ROUGE gate."""
    data = load_json("A_wu24_pure.json", golden)
    rows = find_needle_rows(data["find_needle_idx"])
    for variant in ("with_span", "needle_not_found"):
        rows.extend(retrieval_calculate_rows(data["retrieval_calculate"], variant))
    rows.extend(rouge_gate_rows(data["rouge_gate"]))
    return rows


def find_needle_rows(cases: list[dict[str, Any]]) -> list[Row]:
    """One row per crafted ``find_needle_idx`` case: the span found, or the exception class raised."""
    from third_party.wu24 import find_needle_idx

    rows: list[Row] = []
    for case in cases:
        name = f"A_wu24/find_needle_idx/{case['name']}"
        try:
            got: Any = list(find_needle_idx(case["prompt_ids"], case["needle_ids"]))
            raised = None
        except Exception as err:  # the golden records upstream's exception class
            got, raised = None, type(err).__name__
        if case["raises"] is not None:
            rows.append(exact_row(name, "raises", raised, case["raises"]))
        else:
            rows.append(exact_row(name, "span", got, case["result"], note=f"raised {raised}" if raised else ""))
    return rows


def retrieval_calculate_rows(calc: dict[str, Any], variant: str) -> list[Row]:
    """The retrieval score and tokens after each recorded decode step, then the head counter."""
    from third_party.wu24 import HeadCounter, retrieval_step

    golden_v = calc[variant]
    name = f"A_wu24/retrieval_calculate/{variant}"
    n_layers, n_heads = calc["L"], calc["H"]
    span = (golden_v["needle_start"], golden_v["needle_end"])
    scores = np.zeros((n_layers, n_heads), dtype=np.float64)
    tokens = [["" for _ in range(n_heads)] for _ in range(n_layers)]
    rows: list[Row] = []
    for t, step in enumerate(calc["steps"]):
        top1 = np.array([[int(np.argmax(step["attention"][la][h])) for h in range(n_heads)]
                         for la in range(n_layers)])
        if variant == "with_span":
            rows.append(exact_row(name, f"step {t} top-1 index", top1.tolist(), step["argmax"]))
        retrieval_step(scores, top1, step["generated_id"], calc["prompt_ids"], [span],
                       tokens=tokens, step_token=step["step_token"])
        want = golden_v["retrieval_score_after_each_step"][t]
        rows.append(close_row(name, f"step {t} score", scores, [[c[0] for c in r] for r in want], EXACT))
        rows.append(exact_row(name, f"step {t} tokens", tokens, [[c[1] for c in r] for r in want]))
    counter = HeadCounter()
    key = "head_counter_after_2_accumulates" if variant == "with_span" else "head_counter"
    for _ in range(len(next(iter(golden_v[key].values())))):
        counter.accumulate(scores, passed=True)
    rows.extend(counter_rows(name, key, counter.counter, golden_v[key]))
    return rows


def rouge_gate_rows(pairs: list[dict[str, Any]]) -> list[Row]:
    """ROUGE-1/L P/R/F, gate score, pass flag and tokenisation over every recorded (needle, response) pair."""
    from third_party.wu24 import rouge_gate, rouge_scores, rouge_tokens

    name = f"A_wu24/rouge_gate[{len(pairs)} pairs]"
    diffs: dict[str, list[float]] = {q: [] for q in ("rouge1 P/R/F", "rougeL P/R/F", "score")}
    bad: dict[str, list[int]] = {q: [] for q in ("passes", "ref tokens", "response tokens")}
    for i, pair in enumerate(pairs):
        ref, resp = pair["real_needle"], pair["response"]
        prf = rouge_scores(ref, resp)
        score, passes = rouge_gate(ref, resp)
        diffs["rouge1 P/R/F"].append(float(np.max(np.abs(np.subtract(prf["rouge1"], pair["rouge1"])))))
        diffs["rougeL P/R/F"].append(float(np.max(np.abs(np.subtract(prf["rougeL"], pair["rougeL"])))))
        diffs["score"].append(abs(score - pair["score"]))
        for q, got_v, want_v in (("passes", passes, pair["passes"]),
                                 ("ref tokens", rouge_tokens(ref), pair["ref_tokens"]),
                                 ("response tokens", rouge_tokens(resp), pair["resp_tokens"])):
            if mismatches(got_v, want_v):
                bad[q].append(i)
    rows: list[Row] = []
    for q, values in diffs.items():
        failing = [i for i, v in enumerate(values) if not v <= EXACT]
        rows.append(Row(name, q, max(values), f"abs {EXACT:g}", not failing,
                        f"failing pairs {failing}" if failing else ""))
    for q, failing in bad.items():
        rows.append(Row(name, q, float(len(failing)), "exact", not failing,
                        f"failing pairs {failing}" if failing else ""))
    return rows


# ---------------------------------------------------------------------------------------------- A: QRHead


@register("A_qrhead")
def check_a_qrhead(golden: Path) -> list[Row]:
    """Case A (QRHead pure functions): per-doc outlier mask, score_docs, score_heads / lme_eval."""
    from third_party.qrhead import lme_eval, per_doc_scores, score_docs, score_heads

    data = load_json("A_qrhead_pure.json", golden)
    tensors = load_tensors("A_qrhead_pure.safetensors", golden)
    a1 = data["A1_per_doc_outlier_mask"]
    pts, null = tensors["A1/per_token_scores"], tensors["A1/null_per_token_scores"]
    rows: list[Row] = []
    for doc_id, got in zip(a1["doc_ids"], per_doc_scores(pts, null, a1["doc_spans_inclusive"]), strict=True):
        rows.append(close_row("A_qrhead/A1_per_doc_outlier_mask", f"per_doc {doc_id}", got.numpy(),
                              tensors[f"A1/per_doc/{doc_id}"], TOLERANCES["qrhead_A1_per_doc"]))
    tol = TOLERANCES["qrhead_A1b_A1c_score_docs"]
    full = score_docs(pts, null, a1["doc_spans_inclusive"])
    want = data["A1b_score_docs_full_heads"]
    rows.append(close_row("A_qrhead/A1b_score_docs_full_heads", "doc scores", full,
                          [want[d] for d in a1["doc_ids"]], tol))
    a1c = data["A1c_score_docs_head_subset"]
    subset = score_docs(pts, null, a1["doc_spans_inclusive"], a1c["attn_head_set"])
    rows.append(close_row("A_qrhead/A1c_score_docs_head_subset", "doc scores", subset,
                          [a1c["scores"][d] for d in a1["doc_ids"]], tol))

    a2 = data["A2_score_heads"]
    per_doc = {q: {d: np.asarray(v, dtype=np.float32) for d, v in docs.items()}
               for q, docs in a2["doc_scores_per_head"].items()}
    gt = {inst["idx"]: inst["gt_docs"] for inst in a2["data_instances"]}
    rows.extend(ranking_rows("A_qrhead/A2_score_heads", score_heads(per_doc, gt), a2["ranking"], EXACT, None))
    per_head = {}
    for hid in a2["lme_eval_per_head"]:
        layer, head = (int(x) for x in hid.split("-"))
        scores = {q: {d: float(v[layer, head]) for d, v in docs.items()} for q, docs in per_doc.items()}
        per_head[hid] = lme_eval(scores, gt)
    rows.append(close_row("A_qrhead/A2_score_heads", "lme_eval per head", list(per_head.values()),
                          list(a2["lme_eval_per_head"].values()), EXACT))
    return rows


# ---------------------------------------------------------------------------------------------- B: Wu24


@register("B_wu24")
def check_b_wu24(golden: Path) -> list[Row]:
    """Case B recomputed from the recorded decode (no model): needle span, retrieval score and tokens from
    ``top1_idx``/``generated_ids``, stop rule, ROUGE gate, head counter and ranking."""
    rows: list[Row] = []
    for model in ("tiny", "smol"):
        data = load_json(f"B_wu24_detect_{model}.json", golden)
        tensors = load_tensors(f"B_wu24_detect_{model}.safetensors", golden)
        for case_id, case in data["cases"].items():
            reference = case["real_needle_latin1"] if model == "tiny" else data["real_needle"]
            rows.extend(b_case_rows(f"B_wu24/{case_id}", case, tensors, case_id, data["decode_len"], reference))
    return rows


def b_case_rows(name: str, case: dict[str, Any], tensors: dict[str, np.ndarray], case_id: str,
                decode_len: int, reference: str) -> list[Row]:
    """Every recomputed quantity of one recorded Wu24 detection case."""
    from third_party.wu24 import (
        HeadCounter,
        find_needle_idx,
        retrieval_scores_from_top1,
        retrieval_tokens_from_top1,
        rouge_gate,
        rouge_scores,
        upstream_decode_length,
    )

    prompt_ids = case["prompt_ids"]
    rows = [exact_row(name, "needle_span (find_needle_idx)", list(find_needle_idx(prompt_ids, case["needle_ids"])),
                      case["needle_span"])]
    span = [tuple(case["needle_span"])]
    top1, generated = tensors[f"{case_id}/top1_idx"], tensors[f"{case_id}/generated_ids"]
    rows.append(exact_row(name, "generated_ids (json vs safetensors)", generated.tolist(), case["generated_ids"]))
    score = retrieval_scores_from_top1(top1, generated.tolist(), prompt_ids, span)
    rows.append(close_row(name, "retrieval_score", score, tensors[f"{case_id}/retrieval_score"], EXACT))
    tokens = retrieval_tokens_from_top1(top1, generated.tolist(), case["generated_tokens"], prompt_ids, span)
    rows.append(exact_row(name, "retrieval_tokens", tokens, case["retrieval_tokens"]))
    n_steps = upstream_decode_length(case["generated_tokens"], case["generated_ids"], decode_len)
    rows.append(exact_row(name, "decode_steps (upstream stop rule)", n_steps, case["decode_steps"]))
    gate_score, passes = rouge_gate(reference, case["response"])
    rows.append(close_row(name, "rouge1 P/R/F", rouge_scores(reference, case["response"])["rouge1"],
                          case["rouge1_prf"], EXACT))
    rows.append(close_row(name, "rouge_score", gate_score, case["rouge_score"], EXACT))
    rows.append(exact_row(name, "rouge_gate_passes", passes, case["rouge_gate_passes"]))
    counter = HeadCounter()
    counter.accumulate(score, passes)
    rows.extend(counter_rows(name, "head_counter_after_accumulate", counter.counter,
                             case["head_counter_after_accumulate"]))
    if case["head_ranking_by_mean"] or counter.ranking():
        rows.extend(ranking_rows(name, counter.ranking(), case["head_ranking_by_mean"], EXACT, None))
    else:
        rows.append(exact_row(name, "head_ranking_by_mean (empty: gate failed)", [], []))
    variants = case.get("find_needle_idx_variants")
    if variants:
        got = [list(find_needle_idx(prompt_ids, v["needle_ids"])) for v in variants]
        rows.append(exact_row(name, f"find_needle_idx_variants ({len(variants)})", got,
                              [v["result"] for v in variants]))
    return rows


# ---------------------------------------------------------------------------------------------- D: QRHead


@register("D_qrhead")
def check_d_qrhead(golden: Path) -> list[Row]:
    """Case D recomputed from the recorded per-token scores (no model): prompt composition and spans,
    per-doc calibrated + masked scores (fragile cells apart), QRScore ranking."""
    from third_party.qrhead import NULL_QUERY, score_heads

    rows: list[Row] = []
    for model in ("tiny", "smol"):
        data = load_json(f"D_qrhead_{model}.json", golden)
        tensors = load_tensors(f"D_qrhead_{model}.safetensors", golden)
        recorded: dict[str, dict[str, np.ndarray]] = {}
        recomputed: dict[str, dict[str, np.ndarray]] = {}
        gt: dict[str, list[str]] = {}
        for inst in data["instances"]:
            q = inst["idx"]
            gt[q] = inst["gt_docs"]
            null_query = data.get("null_query", NULL_QUERY)
            rows.extend(d_prompt_rows(f"D_qrhead/{model}/{q}", inst, null_query, model == "tiny"))
            per_doc_rows, recorded[q], recomputed[q] = d_per_doc(f"D_qrhead/{model}/{q}", inst, tensors)
            rows.extend(per_doc_rows)
        rows.extend(ranking_rows(f"D_qrhead/{model}/ranking from recorded per_doc", score_heads(recorded, gt),
                                 data["ranking"], EXACT, None))
        tol = TOLERANCES["qrhead_ranking"]
        rows.extend(ranking_rows(f"D_qrhead/{model}/ranking from recomputed per_doc", score_heads(recomputed, gt),
                                 data["ranking"], tol, tol))
    return rows


def d_prompt_rows(name: str, inst: dict[str, Any], null_query: str, byte_stub: bool) -> list[Row]:
    """Prompt and null prompt composition, token spans (and, for the byte stub, ids and offsets)."""
    from third_party.qrhead import compose_upstream_prompt, token_spans_inclusive, token_spans_inclusive_many

    docs = inst["paragraphs_after_strip"]
    prompt, doc_chars, query_chars = compose_upstream_prompt(docs, inst["question"])
    null_prompt, _, null_query_chars = compose_upstream_prompt(docs, null_query)
    rows = [exact_row(name, "prompt", prompt, inst["prompt"]),
            exact_row(name, "null_prompt", null_prompt, inst["null_prompt"])]
    offsets = inst["offset_mapping"]
    if byte_stub:  # id == latin-1 byte, offsets (i, i + 1)
        stub = (list(prompt.encode("latin-1")), [[i, i + 1] for i in range(len(prompt))])
        rows.append(exact_row(name, "byte-stub ids + offsets", list(stub), [inst["prompt_ids"], offsets]))
        null_offsets = [[i, i + 1] for i in range(len(null_prompt))]
        rows.append(exact_row(name, "null_query_span_inclusive",
                              list(token_spans_inclusive(null_offsets, null_query_chars)),
                              inst["null_query_span_inclusive"]))
    rows.append(exact_row(name, "doc_spans_inclusive",
                          [list(s) for s in token_spans_inclusive_many(offsets, doc_chars)],
                          inst["doc_spans_inclusive"]))
    rows.append(exact_row(name, "query_span_inclusive", list(token_spans_inclusive(offsets, query_chars)),
                          inst["query_span_inclusive"]))
    return rows


def d_per_doc(name: str, inst: dict[str, Any], tensors: dict[str, np.ndarray]
              ) -> tuple[list[Row], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Rows of the per-doc scores recomputed from the recorded per-token scores, and (recorded,
    recomputed) per-doc scores by document id for the ranking."""
    from third_party.qrhead import per_doc_scores

    q = inst["idx"]
    doc_ids = [d["idx"] for d in inst["paragraphs_after_strip"]]
    pts, null = tensors[f"{q}/per_token_scores"], tensors[f"{q}/null_per_token_scores"]
    rows = [exact_row(name, "min_length", min(pts.shape[-1], null.shape[-1]), inst["min_length"])]
    got_docs = [t.numpy() for t in per_doc_scores(pts, null, inst["doc_spans_inclusive"])]
    want_docs = [tensors[f"{q}/per_doc/{d}"] for d in doc_ids]
    fragile = tensors[f"{q}/fragile_mask_cells"]
    rows.append(close_row(name, f"per_doc ({len(doc_ids)} docs)", np.stack(got_docs), np.stack(want_docs),
                          TOLERANCES["qrhead_per_doc_abs"], TOLERANCES["qrhead_per_doc_rel"], skip=fragile))
    if fragile.any():
        rows.append(close_row(name, "per_doc fragile cells", np.stack(got_docs)[fragile],
                              np.stack(want_docs)[fragile], TOLERANCES["qrhead_per_doc_fragile_abs"],
                              note=f"{int(fragile.sum())} cells"))
    return (rows, dict(zip(doc_ids, want_docs, strict=True)), dict(zip(doc_ids, got_docs, strict=True)))
