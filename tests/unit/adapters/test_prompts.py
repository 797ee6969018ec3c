"""Prompts of one filing: a shared prefix, context windows that hold the evidence, token spans."""

from __future__ import annotations

import pytest

from adapters.prompts import build_filing_groups, build_filing_prompts, needle_sentence
from tests.helpers.filings import TEXT, record, sample
from tests.helpers.tiny_lm import tiny_tokenizer


def test_prompts_share_a_prefix_and_locate_spans():
    tok = tiny_tokenizer()
    fp = build_filing_prompts(tok, sample(), ["inc_state", "employees"], context_tokens=10_000, chat=True)
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
    rec = record()
    filler = "Filler sentence about nothing in particular.\n" * 200
    rec = {**rec, "text": filler + TEXT + filler}
    off = len(filler)
    rec["evidence_chars"] = {q: [[s + off, e + off] for s, e in v] for q, v in rec["evidence_chars"].items()}
    fp = build_filing_prompts(tok, sample(rec), ["inc_state", "hq_state"], context_tokens=120, chat=False)
    assert fp.cut["truncated"] and fp.cut["window_tokens"] <= 120
    assert set(fp.cut["questions_with_evidence_in_window"]) == {"inc_state", "hq_state"}
    assert all(p.evidence_spans for p in fp.prompts.values())


def test_groups_give_every_question_a_window_with_its_evidence():
    tok = tiny_tokenizer()
    filler = "Filler sentence about nothing in particular.\n" * 60
    lines = TEXT.splitlines(keepends=True)
    text = filler + "".join(lines[:3]) + filler + lines[3] + filler + lines[4] + filler
    rec = record()
    rec["text"] = text
    for q, s in (("inc_state", "Delaware"), ("inc_year", "1998"), ("employees", "12,500"), ("hq_state", "Texas")):
        i = text.index(s)
        rec["evidence_chars"][q] = [[i, i + len(s)]]
    rec["usable"]["hq_state"] = False  # unusable: rides along in the first group
    groups = build_filing_groups(tok, sample(rec), ["inc_state", "inc_year", "employees", "hq_state"], 80, chat=False)
    assert len(groups) == 2  # state+year share a window; employees needs its own
    seen = [q for g in groups for q in g.prompts]
    assert sorted(seen) == sorted(["inc_state", "inc_year", "employees", "hq_state"])
    for g in groups:
        for q, qp in g.prompts.items():
            if q != "hq_state":
                assert qp.evidence_spans, q
            assert qp.ids[: len(g.prefix_ids)] == g.prefix_ids
    assert set(groups[0].prompts) == {"inc_state", "inc_year", "hq_state"}


def test_needle_sentence_and_evidence_rules():
    ctx = "Intro line\nHarbor was incorporated in Delaware in 1998. It sells pumps.\n"
    i = ctx.index("Delaware")
    assert needle_sentence(ctx, (i, i + 8)) == "Harbor was incorporated in Delaware in 1998."
    tok = tiny_tokenizer()
    fp = build_filing_prompts(tok, sample(), ["inc_state"], context_tokens=10_000, chat=True,
                              evidence="upstream_needle")
    qp = fp.prompts["inc_state"]
    assert len(qp.wu24_spans) == 1 and qp.evidence_spans
    s, e = qp.wu24_spans[0]
    assert e - s > 5 and s <= qp.evidence_spans[0][0] < e  # the needle sentence holds the answer
    with pytest.raises(ValueError, match="evidence"):
        build_filing_prompts(tok, sample(), ["inc_state"], 100, True, evidence="sentence")
