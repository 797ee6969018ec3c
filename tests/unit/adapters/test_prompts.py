"""Prompts of one filing: a shared prefix, context windows that hold the evidence, token spans."""

from __future__ import annotations

import pytest

from adapters.prompts import build_filing_groups, build_filing_prompts, choose_window, needle_sentence
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


def _long_record(tail: str, question: str, value: str, filler_lines: int = 300) -> dict:
    """A long text whose only evidence of ``question`` is ``value`` in ``tail``, its last line."""
    rec = record()
    text = "Filler sentence about nothing in particular.\n" * filler_lines + TEXT + tail
    rec["text"] = text
    for q, s in (("inc_state", "Delaware"), ("inc_year", "1998"), ("employees", "12,500"), ("hq_state", "Texas")):
        i = text.index(s)
        rec["evidence_chars"][q] = [[i, i + len(s)]]
    i = text.rindex(value)
    rec["evidence_chars"][question] = [[i, i + len(value)]]
    rec["evidence_sentences"] = {question: [[text.rindex(tail.strip()), len(text.rstrip())]]}
    return rec


def test_evidence_in_the_last_tokens_of_a_text_gets_a_window():
    tok = tiny_tokenizer()
    rec = _long_record("As of today we had 15 employees", "employees", "15")  # ends right after the span
    rec["answers"]["employees"] = "15"
    groups = build_filing_groups(tok, sample(rec), ["inc_state", "employees"], 200, chat=False)
    g = next(g for g in groups if "employees" in g.prompts)
    qp = g.prompts["employees"]
    assert g.cut["char_end"] == len(rec["text"]) and qp.evidence_spans and qp.reason is None
    assert tok.decode(qp.ids[slice(*qp.evidence_spans[0])]).strip() == "15"


def test_the_window_holds_the_whole_evidence_sentence_where_it_fits():
    tok = tiny_tokenizer()
    tail = "At the end of the year we had a total of 4,321 employees working in many plants and offices.\n"
    rec = _long_record(tail, "employees", "4,321", filler_lines=100)
    s0, s1 = rec["evidence_sentences"]["employees"][0]
    for budget in (60, 120, 400):
        for q in ("employees",):
            fp = build_filing_prompts(tok, sample(rec), [q], budget, chat=False)
            assert fp.cut["window_tokens"] <= budget
            assert fp.cut["char_start"] <= s0 and s1 <= fp.cut["char_end"], budget
    tiny = build_filing_prompts(tok, sample(rec), ["employees"], 8, chat=False)  # the sentence cannot fit
    a, b = rec["evidence_chars"]["employees"][0]
    assert tiny.cut["char_start"] <= a and b <= tiny.cut["char_end"] and tiny.prompts["employees"].evidence_spans


def test_choose_window_needs_the_region_whole():
    offsets = [(i, i + 1) for i in range(100)]  # one token per char
    assert choose_window(offsets, {"q": [(95, 100)]}, 10)[:2] == (90, 100)
    start, end, covered = choose_window(offsets, {"a": [(10, 18)], "b": [(40, 45)], "c": [(17, 30)]}, 20)
    assert covered == ["a", "c"] and start <= 10 and end >= 30
    assert choose_window(offsets, {"q": [(0, 50)]}, 20)[2] == []  # longer than the window: never covered


def test_upstream_needle_uses_the_recorded_sentence():
    tok = tiny_tokenizer()
    rec = record()
    s = TEXT.index("Harbor Tools")
    e = TEXT.index("farms.") + len("farms.")
    rec["evidence_sentences"] = {"inc_state": [[s, e]]}
    recorded = len(tok(TEXT[s:e], add_special_tokens=False)["input_ids"])
    default = len(tok(needle_sentence(TEXT, tuple(rec["evidence_chars"]["inc_state"][0])),
                      add_special_tokens=False)["input_ids"])
    assert recorded != default  # the heuristic cuts the sentence at "Inc. "
    for rec_, n in ((rec, recorded), (record(), default)):
        fp = build_filing_prompts(tok, sample(rec_), ["inc_state"], 10_000, chat=False, evidence="upstream_needle")
        (span,) = fp.prompts["inc_state"].wu24_spans
        assert span[1] - span[0] == n
