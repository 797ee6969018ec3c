"""Every verified evidence sentence of the shared sample lies inside its question's context window and holds
the chosen evidence span, with the Llama-3 tokenizer, at 512 and 4096 context tokens (train and test filings).

The windows are built with ``adapters.prompts.build_filing_groups`` as detection and ablation build them, from
the splits ``prepare`` writes with the sample's evidence file (as the demo preset configures it).
"""

from __future__ import annotations

import json

import pytest

from adapters.prompts import build_filing_groups
from adapters.questions import QUESTION_KEYS
from adapters.sample import Sample
from harness.pipeline.prepare import prepare
from tests.helpers.edgar_sample import COLUMN_OF, CORPUS, GT, SAMPLE
from tests.helpers.llama3 import llama3_tokenizer

EVIDENCE = SAMPLE / "evidence.jsonl"


@pytest.fixture(scope="module")
def samples(tmp_path_factory) -> dict[str, Sample]:
    result = prepare(GT, tmp_path_factory.mktemp("prepared"), corpus=CORPUS, evidence_file=EVIDENCE)
    docs = [json.loads(p.read_text(encoding="utf-8")) for p in (result.train_path, result.test_path)]
    return {s["filename"]: Sample.model_validate(s) for doc in docs for s in doc["samples"]}


def verified_facts() -> list[tuple[str, str, int, int]]:
    """(filename, question, sentence start, sentence end) of every verified sentence of the sample."""
    out = []
    with open(EVIDENCE, encoding="utf-8") as fh:
        for rec in map(json.loads, fh):
            for q, column in COLUMN_OF.items():
                fact = rec["facts"][column]
                start = fact["sentence_offset"]
                out.append((rec["filename"], q, start, start + len(fact["sentence"])))
    return out


def coverage(samples: dict[str, Sample], tokenizer, budget: int, chat: bool) -> tuple[int, list[str]]:
    """How many verified sentences lie inside their question's window and hold a chosen span; the misses."""
    groups = {fn: build_filing_groups(tokenizer, rec, list(QUESTION_KEYS), budget, chat=chat)
              for fn, rec in samples.items()}
    held, misses = 0, []
    for fn, q, s0, s1 in verified_facts():
        rec = samples.get(fn)
        group = next((g for g in groups.get(fn, []) if q in g.prompts), None)
        if rec is None or group is None or not rec.usable.get(q):
            misses.append(f"{fn} {q}: not usable")
            continue
        c0, c1 = group.cut["char_start"], group.cut["char_end"]
        spans = [(a, b) for a, b in rec.evidence_chars[q] if s0 <= a and b <= s1]
        if c0 <= s0 and s1 <= c1 and spans and group.prompts[q].evidence_spans:
            held += 1
        else:
            misses.append(f"{fn} {q}: window [{c0}, {c1}), sentence [{s0}, {s1}), spans in it {spans}")
    return held, misses


def test_the_sample_has_180_verified_sentences(samples):
    assert len(verified_facts()) == 180 and len(samples) == 45
    assert all(rec.evidence_rule == dict.fromkeys(QUESTION_KEYS, "verified_sentence") for rec in samples.values())


@pytest.mark.parametrize("budget", [512, 4096])
def test_every_verified_sentence_is_in_its_window_base_layout(samples, budget):
    held, misses = coverage(samples, llama3_tokenizer(instruct=False), budget, chat=False)
    assert (held, misses) == (180, [])


def test_every_verified_sentence_is_in_its_window_chat_layout(samples):
    tok = llama3_tokenizer(instruct=True)
    assert tok.chat_template and "<|start_header_id|>" in tok.chat_template
    held, misses = coverage(samples, tok, 512, chat=True)
    assert (held, misses) == (180, [])


@pytest.mark.slow
def test_every_verified_sentence_is_in_its_window_chat_layout_4096(samples):
    held, misses = coverage(samples, llama3_tokenizer(instruct=True), 4096, chat=True)
    assert (held, misses) == (180, [])
