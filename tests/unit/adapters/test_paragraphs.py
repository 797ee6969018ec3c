"""Tests of the paragraph splitter and gold-paragraph finder (adapters/paragraphs.py)."""

from __future__ import annotations

import json

import pytest

from adapters.paragraphs import gold_paragraphs, split_paragraphs
from harness.paths import SHARED_DIR

SHARED = SHARED_DIR
LONG_A = "The Company was incorporated in the State of Delaware in 1998 and is based in Ohio."
LONG_B = "As of December 31, 2023, we had approximately 1,450 full-time employees worldwide."


def _pieces(text: str, **kwargs: int) -> list[str]:
    return [text[s:e] for s, e in split_paragraphs(text, **kwargs)]


def _check_invariants(text: str, spans: list[tuple[int, int]]) -> None:
    covered = [0] * len(text)
    previous_end = 0
    for s, e in spans:
        assert previous_end <= s < e <= len(text)
        assert not text[s].isspace() and not text[e - 1].isspace()
        for i in range(s, e):
            covered[i] += 1
        previous_end = e
    assert all(c == 1 for c, ch in zip(covered, text, strict=True) if not ch.isspace())


def test_headings_and_short_lines_merge_into_the_next_piece():
    text = f"Item 1. Business\nOverview\n{LONG_A}\nEmployees\n{LONG_B}\n"
    assert _pieces(text) == [f"Item 1. Business\nOverview\n{LONG_A}", f"Employees\n{LONG_B}"]
    _check_invariants(text, split_paragraphs(text))


def test_a_long_line_without_final_punctuation_also_merges():
    no_stop = LONG_A.rstrip(".") + " and operates the following segments:"
    assert _pieces(f"{no_stop}\n{LONG_B}") == [f"{no_stop}\n{LONG_B}"]
    assert _pieces(f"{LONG_A}\n{LONG_B}") == [LONG_A, LONG_B]  # both complete: two pieces
    assert len(_pieces(f"{LONG_A}\n{LONG_B}", min_chars=200)) == 1  # the threshold is a parameter


def test_trailing_fragments_join_the_previous_piece_and_blank_lines_vanish():
    text = f"\n\n  {LONG_A}\r\n\r\n{LONG_B}\n$\n1,940.4\n"
    assert _pieces(text) == [LONG_A, f"{LONG_B}\n$\n1,940.4"]
    assert _pieces("Heading only\nAnother\n") == ["Heading only\nAnother"]
    assert split_paragraphs("") == [] and split_paragraphs(" \n\t\n") == []


def test_text_without_line_breaks_falls_back_to_sentence_groups():
    sentences = [
        "Harborline Technologies, Inc. was incorporated in Delaware.",
        "It sells valves to U.S. Steel and others.",
        "Mr. J. Smith is the CEO.",
        "Sales rose 5% in 2023.",
        "We have 1,450 employees!",
        "Is that many?",
        "\"Yes,\" he said.",
    ]
    text = " ".join(sentences)
    assert _pieces(text) == [" ".join(sentences[0:3]), " ".join(sentences[3:6]), sentences[6]]
    assert _pieces(text, sentences_per_group=1) == sentences
    _check_invariants(text, split_paragraphs(text, sentences_per_group=2))


def test_gold_paragraphs_are_those_overlapping_evidence():
    text = f"{LONG_A}\n{LONG_B}"
    spans = split_paragraphs(text)
    start = text.index("1,450")
    assert gold_paragraphs(spans, [(start, start + 5)]) == [1]
    delaware = text.index("Delaware")
    assert gold_paragraphs(spans, [(start, start + 5), (delaware, delaware + 8)]) == [0, 1]
    assert gold_paragraphs(spans, [(len(LONG_A) - 1, len(LONG_A) + 3)]) == [0, 1]  # crosses the boundary
    assert gold_paragraphs(spans, [(len(LONG_A), len(LONG_A) + 1)]) == []  # the line break itself
    with pytest.raises(ValueError, match="empty"):
        gold_paragraphs(spans, [(3, 3)])


@pytest.mark.skipif(not (SHARED / "edgar_sample").is_dir(), reason="shared EDGAR sample not present")
def test_real_filings_split_into_reasonable_pieces():
    lines = (SHARED / "edgar_sample" / "edgar_corpus.jsonl").read_text(encoding="utf-8").splitlines()
    for line in lines[:6]:
        text = json.loads(line)["section_1"]
        spans = split_paragraphs(text)
        _check_invariants(text, spans)
        assert len(spans) >= 5
        assert sum(e - s < 60 for s, e in spans) <= 1  # short pieces were merged
