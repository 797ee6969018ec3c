"""Detection on shared passes equals the same quantities from one-shot forwards of each full prompt."""

from __future__ import annotations

import numpy as np
import torch
from transformers import DynamicCache

from adapters.prompts import build_filing_prompts
from harness.engine import probe
from harness.methods.base import DetectionSettings
from harness.methods.registry import get_method
from harness.methods.shared_pass import detect_filing
from tests.helpers.filings import record, sample
from tests.helpers.tiny_lm import tiny_llama, tiny_tokenizer


def test_shared_pass_scores_equal_one_shot_forwards():
    model, tok = tiny_llama(), tiny_tokenizer()
    fp = build_filing_prompts(tok, sample(), ["inc_state", "inc_year"], context_tokens=10_000, chat=True)
    settings = DetectionSettings(max_new_tokens=4, wu24_copy="ids")  # ids: a score for any answer
    res = detect_filing(model, tok, fp, settings, chat=True)
    for q, qp in fp.prompts.items():
        n = len(qp.ids)
        cap = probe.CaptureRows()
        with torch.no_grad(), probe.probing(range(qp.query_start, n), [cap]):
            out = model(torch.tensor([qp.ids]), past_key_values=DynamicCache())
        rows = cap.stack()[:, 0]  # (L, H, R, N)
        last = rows[:, :, -1]
        s, e = qp.context_span
        np.testing.assert_allclose(res[q].summed_context, last[..., s:e].sum(-1).double().numpy(), atol=1e-5)
        ev = sum(last[..., a:b].sum(-1) for a, b in qp.evidence_spans)
        np.testing.assert_allclose(res[q].summed_evidence, ev.double().numpy(), atol=1e-5)
        assert res[q].generated_ids[0] == int(out.logits[0, -1].argmax())
        assert res[q].qrhead is not None and res[q].qrhead.shape == (4, 4)
        assert res[q].wu24 is not None and res[q].wu24.shape == (4, 4)
        # the secondary keys: QRHead's uncalibrated gold-paragraph mass, Wu24's top-1 mass on the evidence
        gold = sum(rows[..., a:b].mean(-2).sum(-1) for a, b in (qp.paragraph_spans[i] for i in qp.gold_paragraphs))
        np.testing.assert_allclose(res[q].qrhead_raw, gold.double().numpy(), atol=1e-5)
        mass = res[q].wu24_top1_mass
        assert mass is not None and mass.shape == (4, 4) and (mass >= 0).all() and (mass <= 1).all()


def test_unusable_question_is_excluded_with_reason():
    model, tok = tiny_llama(), tiny_tokenizer()
    rec = record()
    rec["usable"]["employees"] = False
    rec["answers"]["employees"] = None
    rec["excluded"] = {"employees": "NULL in employee_count_truth"}
    fp = build_filing_prompts(tok, sample(rec), ["employees"], context_tokens=10_000, chat=False)
    r = detect_filing(model, tok, fp, DetectionSettings(max_new_tokens=2), chat=False)["employees"]
    assert r.qrhead is None and r.wu24 is None
    assert "NULL" in r.reasons["qrhead"]
    assert get_method("summed_context").sample_score(r, "") is not None  # the context variant needs no truth
    assert get_method("summed_evidence").sample_score(r, "") is None
    assert get_method("wu24").sample_score(r, "") is None


def test_upstream_qrhead_layout_scores_through_its_own_prompt():
    """qrhead_layout=upstream scores via QRHead's prompt, giving other scores than the study's layout."""
    model, tok = tiny_llama(), tiny_tokenizer()
    fp = build_filing_prompts(tok, sample(), ["inc_state"], context_tokens=10_000, chat=True,
                              evidence="upstream_needle")
    study = detect_filing(model, tok, fp, DetectionSettings(max_new_tokens=2), chat=True)
    upstream = detect_filing(model, tok, fp, DetectionSettings(max_new_tokens=2, qrhead_layout="upstream"),
                             chat=True)
    q_study, q_up = study["inc_state"].qrhead, upstream["inc_state"].qrhead
    assert q_up is not None and q_up.shape == q_study.shape and not np.allclose(q_up, q_study)
