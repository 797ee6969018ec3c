"""Stop rules on the Llama-3 vocabulary: a leading newline never ends an answer (issue 15), EOS does, a row that
only writes whitespace runs to max_new_tokens and comes back empty; ``stop: upstream`` cannot fire there."""

from __future__ import annotations

import pytest
import torch

from adapters.prompts import build_filing_prompts
from harness.engine.decoding import StopRule
from harness.methods.base import DetectionSettings
from harness.methods.shared_pass import detect_filing
from harness.pipeline.conditions import AblationSettings, Condition, ablate_question
from tests.helpers.filings import sample
from tests.helpers.llama3 import EOS_ID, llama3_tokenizer, tiny_llama3

NL = 198  # Llama-3's "\n" (Ċ)


class ScriptedLM(torch.nn.Module):
    """A tiny random Llama-3 whose greedy choice is scripted: the token generated at step t (counted from the
    prompt's end) is ``script[min(t, len(script) - 1)]``; attention and the probe run as usual."""

    def __init__(self, script: list[int], prompt_len: int) -> None:
        super().__init__()
        self.base = tiny_llama3(seed=1)
        self.config = self.base.config
        self.script, self.prompt_len = list(script), prompt_len

    @property
    def device(self) -> torch.device:
        return self.base.device

    def forward(self, input_ids, position_ids=None, past_key_values=None, **kwargs):
        if position_ids is not None:
            last = int(position_ids[0, -1])
        else:
            last = (past_key_values.get_seq_length() if past_key_values is not None else 0) + input_ids.shape[1] - 1
        out = self.base(input_ids=input_ids, position_ids=position_ids, past_key_values=past_key_values, **kwargs)
        step = last - (self.prompt_len - 1)
        logits = torch.full_like(out.logits, -1e4)
        logits[..., self.script[min(max(step, 0), len(self.script) - 1)]] = 1e4
        out.logits = logits
        return out


@pytest.fixture(scope="module")
def tok():
    return llama3_tokenizer(instruct=False)


@pytest.fixture(scope="module")
def prompt(tok):
    return build_filing_prompts(tok, sample(), ["inc_state"], context_tokens=10_000, chat=False)


def _ids(tok, text: str) -> list[int]:
    return tok(text, add_special_tokens=False)["input_ids"]


def test_newline_rule_skips_leading_whitespace(tok):
    stop = StopRule.for_tokenizer(tok)
    dela = _ids(tok, "Delaware")
    assert not stop.done([NL]) and not stop.done([NL, NL]) and not stop.done(_ids(tok, "  "))
    assert not stop.done([NL] + dela)
    assert stop.done([NL] + dela + [NL])
    assert stop.done(_ids(tok, " Delaware.\n"))  # a token holding content then the newline
    assert stop.done([NL, EOS_ID]) and stop.done([EOS_ID])  # EOS ends the text, answer or not
    assert not stop.hit_max_tokens([NL] + dela + [NL], 4) and stop.hit_max_tokens([NL] * 4, 4)
    assert not stop.hit_max_tokens([NL] * 3, 4)


def test_upstream_rule_cannot_fire_on_llama3(tok):
    up = StopRule.for_tokenizer(tok, "upstream")
    assert not up.done([NL]) and not up.done([EOS_ID])
    why = up.never_fires()
    assert why and "never fire" in why and "'<0x0A>'" in why and "144" in why and "'Ô'" in why
    assert StopRule.for_tokenizer(tok).never_fires() is None


def test_scripted_model_first_newline_then_answer(tok, prompt):
    qp = prompt.prompts["inc_state"]
    script = [NL] + _ids(tok, "Delaware") + [NL] + _ids(tok, " and more")
    model = ScriptedLM(script, len(qp.ids))
    res = detect_filing(model, tok, prompt, DetectionSettings(max_new_tokens=8), chat=False)["inc_state"]
    assert res.generated_ids == script[:4] and res.answer_text == "Delaware"
    assert res.correct and not res.hit_max_tokens

    conds = [Condition("m", 0, "top", None, ()), Condition("m", 1, "top", None, ("0-1",))]
    gens = ablate_question(model, _prefix(model, prompt), len(prompt.prefix_ids), qp.ids, conds,
                           AblationSettings(max_new_tokens=8), StopRule.for_tokenizer(tok))
    assert list(gens.values()) == [script[:4], script[:4]]


def test_scripted_model_that_only_writes_newlines_comes_back_empty(tok, prompt):
    qp = prompt.prompts["inc_state"]
    model = ScriptedLM([NL], len(qp.ids))
    res = detect_filing(model, tok, prompt, DetectionSettings(max_new_tokens=5), chat=False)["inc_state"]
    assert res.generated_ids == [NL] * 5 and res.answer_text == "" and res.hit_max_tokens and not res.correct
    stop = StopRule.for_tokenizer(tok)
    gens = ablate_question(model, _prefix(model, prompt), len(prompt.prefix_ids), qp.ids,
                           [Condition("m", 0, "top", None, ())], AblationSettings(max_new_tokens=5), stop)
    (ids,) = gens.values()
    assert ids == [NL] * 5 and stop.hit_max_tokens(ids, 5) and tok.decode(ids, skip_special_tokens=True).strip() == ""


def _prefix(model, fp):
    from harness.engine.decoding import prefill

    return prefill(model, fp.prefix_ids)
