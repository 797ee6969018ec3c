"""Wu24's character copy rule (harness/methods/copy_chars.py) and its place in the wu24 method."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from adapters.prompts import build_filing_prompts
from harness.methods.base import DetectionSettings, PassContext, QuestionScores, Signals
from harness.methods.copy_chars import (
    NOT_A_COPY,
    char_copy_scores,
    evidence_texts,
    find_copy,
    generated_char_ranges,
    prompt_offsets,
    span_credit,
)
from harness.methods.registry import get_method
from tests.helpers.filings import record, sample
from tests.helpers.llama3 import llama3_tokenizer


def test_find_copy_aligns_characters_flexibly_but_whole():
    assert find_copy("Delaware", "Delaware") == list(range(8))
    assert find_copy("The State of DELAWARE.", "Delaware") == list(range(13, 21))  # any case
    assert find_copy("North  Carolina", "North\nCarolina") == [0, 1, 2, 3, 4, -1, 7, 8, 9, 10, 11, 12, 13, 14]
    assert find_copy("Delaware", "DE") is None  # no letter may touch the copy
    assert find_copy("26420", "26,420") is None and find_copy("126,420", "26,420") is None
    assert find_copy("about 26,420 people", "26,420") == list(range(6, 12))
    assert find_copy("anything", "  ") is None


def _scores(tok, qp, gen_text: str, top1_of, chat: bool):
    ids = tok(gen_text, add_special_tokens=False)["input_ids"]
    top1 = np.array([[[top1_of(step, i)]] for step, i in enumerate(ids)])  # (S, 1, 1)
    return char_copy_scores(top1, ids, tok, qp, chat), ids


@pytest.fixture(scope="module")
def llama3_prompt():
    tok = llama3_tokenizer(instruct=True)
    fp = build_filing_prompts(tok, sample(), ["inc_state", "employees"], context_tokens=10_000, chat=True)
    return tok, fp


def test_instruct_answer_tokenized_apart_from_the_evidence_scores_one(llama3_prompt):
    tok, fp = llama3_prompt
    qp = fp.prompts["inc_state"]
    (s, e), = qp.wu24_spans
    assert tok.convert_ids_to_tokens(qp.ids[s:e]) == ["ĠDelaware"]
    # the answer starts a line: Del, aware; a head attending to " Delaware" at both steps is a perfect copier
    (score, why), ids = _scores(tok, qp, "Delaware\n", lambda step, i: s, chat=True)
    assert tok.convert_ids_to_tokens(ids)[:2] == ["Del", "aware"]
    assert why is None and score.tolist() == [[1.0]]
    # attending elsewhere earns nothing; the same token at one step only is already the whole copy
    (score, _), _ = _scores(tok, qp, "Delaware\n", lambda step, i: s - 1, chat=True)
    assert score.tolist() == [[0.0]]
    (score, _), _ = _scores(tok, qp, "Delaware\n", lambda step, i: s if step == 1 else 0, chat=True)
    assert score.tolist() == [[1.0]]


def test_each_evidence_token_counts_once_per_head(llama3_prompt):
    tok, fp = llama3_prompt
    qp = fp.prompts["employees"]
    (s, e), = qp.wu24_spans
    assert tok.convert_ids_to_tokens(qp.ids[s:e]) == ["12", ",", "500"]  # the space token is not evidence
    targets = [[s], [s + 1], [s + 2], [s + 2]]  # the last step copies the same token again
    top1 = np.array([[[s, s, s + 1]], [[s, s + 1, s + 1]], [[s + 2, s + 2, s + 2]], [[s + 2, s + 2, s + 2]]])
    credit = span_credit(top1, (s, e), targets)
    np.testing.assert_allclose(credit, [[2 / 3, 1.0, 2 / 3]])  # never above 1: each token once per head


def test_answer_that_is_no_copy_is_reported_not_zeroed(llama3_prompt):
    tok, fp = llama3_prompt
    qp = fp.prompts["employees"]
    (score, why), _ = _scores(tok, qp, "12500\n", lambda step, i: qp.wu24_spans[0][0] + 1, chat=True)
    assert score is None and why.startswith(NOT_A_COPY) and "'12,500'" in why

    method = get_method("wu24")
    ids = tok("12500", add_special_tokens=False)["input_ids"]
    sig = Signals(None, [torch.zeros(1, 1, dtype=torch.long) for _ in ids], ids, "12500", None, None)
    res = QuestionScores("employees", "12500", ids, correct=True)
    method.fill(res, sig, qp, PassContext(None, tok, DetectionSettings(), chat=True))
    assert method.sample_score(res, "context") is None
    assert method.exclusion_reason(res, "context").startswith(NOT_A_COPY)
    assert method.unit_extra([res], {}, 5, "context", "match")["n_not_copied"] == 1
    # upstream's id rule keeps it as a successful sample scored 0
    ids_res = QuestionScores("employees", "12500", ids, correct=True)
    method.fill(ids_res, sig, qp, PassContext(None, tok, DetectionSettings(wu24_copy="ids"), chat=True))
    assert method.sample_score(ids_res, "context").tolist() == [[0.0]]


def test_several_spans_score_the_best_one_never_the_sum():
    tok = llama3_tokenizer(instruct=False)
    rec = record()
    rec["text"] = rec["text"] + " Delaware law governs. Also Delaware."
    starts = [i for i in range(len(rec["text"])) if rec["text"].startswith("Delaware", i)]
    rec["evidence_chars"]["inc_state"] = [[a, a + 8] for a in starts]
    fp = build_filing_prompts(tok, sample(rec), ["inc_state"], context_tokens=10_000, chat=False)
    qp = fp.prompts["inc_state"]
    assert len(qp.wu24_spans) == 3
    first, second = qp.wu24_spans[0][0], qp.wu24_spans[1][0]
    ids = tok(" Delaware\n", add_special_tokens=False)["input_ids"]  # one token copied, then the newline
    top1 = np.array([[[first, second, 0]], [[second, first, 0]]])  # (2 steps, 1 layer, 3 heads)
    score, why = char_copy_scores(top1, ids, tok, qp, chat=False)
    assert why is None and score.tolist() == [[1.0, 1.0, 0.0]]


def test_prompt_offsets_reproduce_the_prompt_ids(llama3_prompt):
    tok, fp = llama3_prompt
    qp = fp.prompts["inc_state"]
    text, offsets = prompt_offsets(tok, qp, chat=True)
    assert len(offsets) == len(qp.ids) and text.startswith("<|begin_of_text|>")
    assert prompt_offsets(tok, qp, chat=None)[1] == offsets
    with pytest.raises(ValueError, match="does not reproduce"):
        prompt_offsets(tok, qp, chat=False)
    (ev,) = evidence_texts(text, offsets, qp.wu24_spans, "state", "Delaware")
    assert ev.text == "Delaware" and text[ev.chars[0]:ev.chars[-1] + 1] == "Delaware"


def test_generated_char_ranges_cover_the_decoded_text():
    tok = llama3_tokenizer(instruct=True)
    ids = tok("\n\nDelaware", add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
    text, ranges = generated_char_ranges(tok, ids)
    assert text == "\n\nDelaware" and ranges == [(0, 2), (2, 5), (5, 10), (10, 10)]
