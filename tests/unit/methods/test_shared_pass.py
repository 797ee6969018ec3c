"""Detection on shared passes equals the same quantities from one-shot forwards of each full prompt."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import DynamicCache

from adapters.prompts import build_filing_prompts
from harness.engine import probe
from harness.methods import shared_pass as det
from tests.helpers.tiny_lm import tiny_llama, tiny_tokenizer

TEXT = (
    "Item 1. Business\n"
    "Overview\n"
    "Harbor Tools, Inc. was incorporated in the State of Delaware in 1998 and makes pumps for farms.\n"
    "Our principal executive offices are located in Austin, Texas, where we lease a small building.\n"
    "As of December 31, 2023, we had approximately 12,500 employees, most of them in our plants.\n"
    "We compete with many larger companies in Nevada and California on price and on service.\n"
)


def _record() -> dict:
    def span(s: str) -> list[list[int]]:
        i = TEXT.index(s)
        return [[i, i + len(s)]]

    return {
        "sample_id": "s1", "text": TEXT,
        "answers": {"inc_state": "Delaware", "inc_year": "1998", "employees": "12500", "hq_state": "Texas"},
        "usable": {"inc_state": True, "inc_year": True, "employees": True, "hq_state": True},
        "evidence_chars": {"inc_state": span("Delaware"), "inc_year": span("1998"),
                           "employees": span("12,500"), "hq_state": span("Texas")},
        "excluded": {},
    }


def test_prompts_share_a_prefix_and_locate_spans():
    tok = tiny_tokenizer()
    fp = build_filing_prompts(tok, _record(), ["inc_state", "employees"], context_tokens=10_000, chat=True)
    assert len(fp.prefix_ids) > 50
    for qp in fp.prompts.values():
        assert qp.ids[: len(fp.prefix_ids)] == fp.prefix_ids
        assert qp.null_ids[: len(fp.prefix_ids)] == fp.prefix_ids
        assert qp.context_span[0] < qp.context_span[1] <= qp.query_start < len(qp.ids)
        assert qp.evidence_spans and qp.gold_paragraphs
        s, e = qp.evidence_spans[0]
        assert qp.context_span[0] <= s < e <= qp.context_span[1]
    ev = tok.decode(fp.prompts["inc_state"].ids[slice(*fp.prompts["inc_state"].evidence_spans[0])])
    assert "Delaware" in ev


def test_context_window_keeps_evidence():
    tok = tiny_tokenizer()
    rec = _record()
    filler = "Filler sentence about nothing in particular.\n" * 200
    rec = {**rec, "text": filler + TEXT + filler}
    off = len(filler)
    rec["evidence_chars"] = {q: [[s + off, e + off] for s, e in v] for q, v in rec["evidence_chars"].items()}
    fp = build_filing_prompts(tok, rec, ["inc_state", "hq_state"], context_tokens=120, chat=False)
    assert fp.cut["truncated"] and fp.cut["window_tokens"] <= 120
    assert set(fp.cut["questions_with_evidence_in_window"]) == {"inc_state", "hq_state"}
    assert all(p.evidence_spans for p in fp.prompts.values())


def test_shared_pass_scores_equal_one_shot_forwards():
    model, tok = tiny_llama(), tiny_tokenizer()
    fp = build_filing_prompts(tok, _record(), ["inc_state", "inc_year"], context_tokens=10_000, chat=True)
    settings = det.DetectionSettings(max_new_tokens=4)
    res = det.detect_filing(model, tok, fp, settings)
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


def test_unusable_question_is_excluded_with_reason():
    model, tok = tiny_llama(), tiny_tokenizer()
    rec = _record()
    rec["usable"]["employees"] = False
    rec["answers"]["employees"] = None
    rec["excluded"] = {"employees": "NULL in employee_count_truth"}
    fp = build_filing_prompts(tok, rec, ["employees"], context_tokens=10_000, chat=False)
    r = det.detect_filing(model, tok, fp, det.DetectionSettings(max_new_tokens=2))["employees"]
    assert r.qrhead is None and r.wu24 is None
    assert "NULL" in r.reasons["qrhead"]
    assert det.method_sample_score(r, "summed_attention") is not None  # context variant needs no truth
    assert det.method_sample_score(r, "wu24") is None


def test_rank_heads_and_roundtrip():
    scores = np.array([[0.1, 0.5], [0.5, 0.0]])
    assert det.rank_heads(scores, 3) == ["0-1", "1-0", "0-0"]
    qs = det.QuestionScores("inc_state", "Delaware", [1, 2], True, summed_context=scores)
    back = det.QuestionScores.from_json(qs.to_json())
    np.testing.assert_array_equal(back.summed_context, scores)
    assert back.wu24 is None


def test_upstream_flags_restore_upstream_rules():
    """evidence=upstream_needle gives Wu24 one needle span; qrhead_layout=upstream scores via QRHead's prompt."""
    from adapters.prompts import needle_sentence

    model, tok = tiny_llama(), tiny_tokenizer()
    ctx = "Intro line\nHarbor was incorporated in Delaware in 1998. It sells pumps.\n"
    i = ctx.index("Delaware")
    assert needle_sentence(ctx, (i, i + 8)) == "Harbor was incorporated in Delaware in 1998."
    fp = build_filing_prompts(tok, _record(), ["inc_state"], context_tokens=10_000, chat=True,
                              evidence="upstream_needle")
    qp = fp.prompts["inc_state"]
    assert len(qp.wu24_spans) == 1 and qp.evidence_spans
    s, e = qp.wu24_spans[0]
    assert e - s > 5 and s <= qp.evidence_spans[0][0] < e  # the needle sentence holds the answer
    study = det.detect_filing(model, tok, fp, det.DetectionSettings(max_new_tokens=2))
    upstream = det.detect_filing(model, tok, fp, det.DetectionSettings(max_new_tokens=2, qrhead_layout="upstream"))
    q_study, q_up = study["inc_state"].qrhead, upstream["inc_state"].qrhead
    assert q_up is not None and q_up.shape == q_study.shape and not np.allclose(q_up, q_study)
    with pytest.raises(ValueError, match="evidence"):
        build_filing_prompts(tok, _record(), ["inc_state"], 100, True, evidence="sentence")


def test_groups_give_every_question_a_window_with_its_evidence():
    from adapters.prompts import build_filing_groups

    tok = tiny_tokenizer()
    filler = "Filler sentence about nothing in particular.\n" * 60
    lines = TEXT.splitlines(keepends=True)
    text = filler + "".join(lines[:3]) + filler + lines[3] + filler + lines[4] + filler
    rec = _record()
    rec["text"] = text
    for q, s in (("inc_state", "Delaware"), ("inc_year", "1998"), ("employees", "12,500"), ("hq_state", "Texas")):
        i = text.index(s)
        rec["evidence_chars"][q] = [[i, i + len(s)]]
    rec["usable"]["hq_state"] = False  # unusable: rides along in the first group
    groups = build_filing_groups(tok, rec, ["inc_state", "inc_year", "employees", "hq_state"], 80, chat=False)
    assert len(groups) == 2  # state+year share a window; employees needs its own
    seen = [q for g in groups for q in g.prompts]
    assert sorted(seen) == sorted(["inc_state", "inc_year", "employees", "hq_state"])
    for g in groups:
        for q, qp in g.prompts.items():
            if q != "hq_state":
                assert qp.evidence_spans, q
            assert qp.ids[: len(g.prefix_ids)] == g.prefix_ids
    assert set(groups[0].prompts) == {"inc_state", "inc_year", "hq_state"}
