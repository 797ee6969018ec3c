"""Head detection's shared forward passes: every method's signals for one filing, one pass each.

Per filing: one prefill of the shared context prefix; then per question one suffix call whose probe
rows feed every method (the last prompt row -> summed attention and Wu24's step 0; the question span
rows -> QRHead), a greedy decode whose per-step top-1 rows feed Wu24, and a null-query suffix call for
QRHead's calibration. The context cache is cropped back after each question, never recomputed. Each
method of :mod:`harness.methods.registry` then turns the :class:`Signals` into its per-sample score. Every
prompt is checked to start with the tokenizer's BOS exactly as often as it should
(:class:`harness.engine.decoding.BosRule`) before the model sees it.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from transformers import DynamicCache

from adapters.answers import answer_matches
from adapters.prompts import FilingPrompts, QuestionPrompt
from harness.engine import probe
from harness.engine.decoding import BosRule, StopRule, forward, prefill
from harness.engine.kvcache import crop_to
from harness.methods.base import DetectionSettings, PassContext, QuestionScores, Signals
from harness.methods.batched_pass import measure_groups
from harness.methods.registry import METHOD_NAMES, get_method


@torch.no_grad()
def measure_question(model, tokenizer, cache: DynamicCache, prefix_len: int, qp: QuestionPrompt,
                     settings: DetectionSettings, stop: StopRule) -> Signals:
    """Run one question's passes on ``cache`` (holding the shared prefix; cropped back after) and collect
    the probe's reductions."""
    n = len(qp.ids)
    ctx_end = qp.context_span[1]
    dev = model.device  # consumers keep results where they are computed; one copy to the host per question
    sums = probe.RegionSums([qp.context_span] + list(qp.evidence_spans), dev)
    top1_steps: list[torch.Tensor] = []
    step0 = probe.Top1(dev)
    qr = probe.RowSum(ctx_end, dev)
    with probe.probing([n - 1], [sums, step0]), probe.probing(range(qp.query_start, n), [qr]):
        logits = forward(model, qp.ids[prefix_len:], cache)
    top1_steps.append(step0.stack()[:, 0, :, 0])  # (L, H)
    top1_values = [step0.stack_values()[:, 0, :, 0]]  # the probability of that top-1 key (Wu24's tie-break)
    generated = [int(torch.argmax(logits))]
    while len(generated) < settings.max_new_tokens and not stop.done(generated):
        t1 = probe.Top1(dev)
        with probe.probing("last", [t1]):
            logits = forward(model, [generated[-1]], cache)
        top1_steps.append(t1.stack()[:, 0, :, 0])
        top1_values.append(t1.stack_values()[:, 0, :, 0])
        generated.append(int(torch.argmax(logits)))
    crop_to(cache, prefix_len)

    nul = probe.RowSum(ctx_end, dev)
    with probe.probing(range(qp.null_query_start, len(qp.null_ids)), [nul]):
        forward(model, qp.null_ids[prefix_len:], cache)
    crop_to(cache, prefix_len)
    answer_text = tokenizer.decode(generated, skip_special_tokens=True).strip() if tokenizer else ""
    region = sums.stack()[:, 0, :, 0, :].double().cpu().numpy()  # (L, H, regions)
    return Signals(region, top1_steps, generated, answer_text, qr, nul,
                   hit_max_tokens=stop.hit_max_tokens(generated, settings.max_new_tokens), top1_values=top1_values)


@torch.no_grad()
def detect_question(model, tokenizer, cache: DynamicCache | None, prefix_len: int, qp: QuestionPrompt,
                    settings: DetectionSettings, stop: StopRule, chat: bool | None = None,
                    sig: Signals | None = None) -> QuestionScores:
    """Every method's per-sample scores for one question (``chat``: the prompt's layout; from ``sig`` when it
    was measured already)."""
    sig = sig or measure_question(model, tokenizer, cache, prefix_len, qp, settings, stop)
    correct = bool(qp.answer is not None and answer_matches(qp.kind, sig.answer_text, qp.answer,
                                                           settings.count_tolerance, question=qp.question))
    res = QuestionScores(qp.question, sig.answer_text, sig.generated, correct, hit_max_tokens=sig.hit_max_tokens)
    res.summed_context = sig.region_sums[..., 0]
    if not qp.usable:
        why = qp.reason or "no usable ground truth"
        res.reasons = {m: why for m in ("summed_evidence", "wu24", "qrhead")}
        return res
    ctx = PassContext(model, tokenizer, settings, chat)
    for name in METHOD_NAMES:
        get_method(name).fill(res, sig, qp, ctx)
    return res


@torch.no_grad()
def detect_groups(model, tokenizer, fps: Sequence[FilingPrompts], settings: DetectionSettings,
                  chat: bool | None = None) -> list[dict[str, QuestionScores]]:
    """Scores of every question of each filing group of ``fps`` (the windows of one or more filings), every
    group's questions decoded as rows of one batch, each group over its own prefix prefilled once
    (:mod:`harness.methods.batched_pass`).

    ``chat``: whether the prompts have the chat layout (required with a tokenizer: the BOS check and Wu24's
    character copy rule depend on it); without a tokenizer (timing, plumbing) neither runs.
    """
    if tokenizer is not None:
        if chat is None:
            raise ValueError("detect_groups: say whether the prompts have the chat layout (chat=True/False)")
        rule = BosRule.for_tokenizer(tokenizer, chat)
        for fp in fps:
            check_prompts_bos(rule, fp)
    stop = StopRule.for_tokenizer(tokenizer, settings.stop)
    sigs = measure_groups(model, tokenizer, fps, settings, stop)
    return [{q: detect_question(model, tokenizer, None, len(fp.prefix_ids), qp, settings, stop, chat, sig[q])
             for q, qp in fp.prompts.items()} for fp, sig in zip(fps, sigs, strict=True)]


@torch.no_grad()
def detect_filing(model, tokenizer, fp: FilingPrompts, settings: DetectionSettings,
                  chat: bool | None = None, batched: bool = True) -> dict[str, QuestionScores]:
    """Scores of every question of one filing group, sharing one prefill of the context prefix: the questions
    decoded as rows of one batch (:func:`detect_groups`), or with ``batched=False`` one after the other.

    ``chat``: as for :func:`detect_groups`.
    """
    if batched:
        return detect_groups(model, tokenizer, [fp], settings, chat)[0]
    if tokenizer is not None:
        if chat is None:
            raise ValueError("detect_filing: say whether the prompts have the chat layout (chat=True/False)")
        check_prompts_bos(BosRule.for_tokenizer(tokenizer, chat), fp)
    stop = StopRule.for_tokenizer(tokenizer, settings.stop)
    prefix_len = len(fp.prefix_ids)
    cache = prefill(model, fp.prefix_ids)
    return {q: detect_question(model, tokenizer, cache, prefix_len, qp, settings, stop, chat)
            for q, qp in fp.prompts.items()}


def check_prompts_bos(rule: BosRule, fp: FilingPrompts) -> None:
    """Every prompt of a filing (and its null-query twin) starts with the BOS exactly as ``rule`` expects."""
    for q, qp in fp.prompts.items():
        rule.check(qp.ids, f"{fp.sample_id} {q} prompt")
        rule.check(qp.null_ids, f"{fp.sample_id} {q} null-query prompt")
