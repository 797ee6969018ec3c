"""Wu24 with an oracle copying head on the real 10-K sample: the character rule credits every verbatim copy
with exactly 1.0, for the Llama-3, SmolLM2 and Gemma 3 tokenizers, chat and base prompts, all four questions.

The oracle head's top-1 key is, for each generated token, the prompt token holding its first non-space
character inside the evidence (``tests/helpers/wu24_oracle.py``). Upstream's id rule (``wu24_copy: ids``)
misses the state answers of chat prompts, whose first word has no leading space.
"""

from __future__ import annotations

import pytest

from adapters.questions import QUESTION_KEYS
from harness.pipeline.context import load_split
from tests.helpers.llama3 import llama3_tokenizer
from tests.helpers.wu24_oracle import oracle_filing


@pytest.fixture(scope="module")
def filings(shared_dir, tmp_path_factory):
    """Every edgar_sample filing (train and test splits), prepared as the study prepares them."""
    from harness.pipeline.prepare import prepare
    from tests.helpers.edgar_sample import CORPUS, GT

    out = tmp_path_factory.mktemp("edgar_prepared")
    prepare(GT, out, corpus=CORPUS, join="filename")
    return load_split(out, "train") + load_split(out, "test")


def _oracle(tokenizer, filings, chat: bool, copy: str):
    return [r for rec in filings for r in oracle_filing(tokenizer, rec, chat, copy)]


def _assert_every_copy_scores_one(results) -> None:
    assert {r.question for r in results} == set(QUESTION_KEYS)
    for q in QUESTION_KEYS:
        assert sum(r.question == q for r in results) >= 40, q  # (almost) every filing has evidence in its window
    wrong = [r for r in results if r.score != 1.0]
    assert not wrong, wrong[:5]


@pytest.mark.parametrize("chat", [True, False], ids=["chat", "base"])
def test_llama3_oracle_scores_one_on_every_verbatim_copy(filings, chat):
    _assert_every_copy_scores_one(_oracle(llama3_tokenizer(instruct=chat), filings, chat, "chars"))


def test_llama3_id_rule_misses_chat_state_answers(filings):
    """Upstream's rule (kept as ``wu24_copy: ids``): the chat answer ``Delaware`` is ``Del``,``aware`` while the
    filing holds ``" Delaware"`` (one token), so a perfect copying head mostly scores 0 on states."""
    results = _oracle(llama3_tokenizer(instruct=True), filings[:12], True, "ids")
    states = [r.score for r in results if r.question == "inc_state"]
    assert states and sum(states) / len(states) < 0.5
    assert all(r.score == 1.0 for r in results if r.question == "inc_year")  # digits tokenize alike


@pytest.mark.integration
@pytest.mark.parametrize("alias", ["smollm2-135m-instruct", "gemma3-270m"])
@pytest.mark.parametrize("chat", [True, False], ids=["chat", "base"])
def test_demo_tokenizers_oracle_scores_one_on_every_verbatim_copy(filings, alias, chat):
    from tests.helpers.demo_tokenizers import demo_tokenizer

    _assert_every_copy_scores_one(_oracle(demo_tokenizer(alias, chat), filings, chat, "chars"))
