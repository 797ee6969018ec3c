"""Tests of QRHead's upstream prompt and span mapping (third_party/qrhead/prompt.py)."""

from __future__ import annotations

import pytest

from third_party.qrhead.prompt import (
    UncoveredCharError,
    compose_upstream_prompt,
    strip_docs,
    token_spans_inclusive,
    token_spans_inclusive_many,
)

DOCS = [{"text": "Alpha one."}, {"title": "Sites", "paragraph_text": "Plants in Ohio."}]


def test_prompt_layout_is_upstreams():
    prompt, docs, query = compose_upstream_prompt(DOCS, "Where?")
    assert prompt == (
        "<|start_header_id|>user<|end_header_id|> Here are some paragraphs: \n\n[1] Alpha one. \n\n"
        "[2] Sites\nPlants in Ohio. \n\nPlease find information that are relevant to the following query in the"
        " paragraphs above. \n\nQuery: Where?<|eot_id|><|start_header_id|>assistant<|end_header_id|>"
    )
    assert [prompt[s:e] for s, e in docs] == ["[1] Alpha one.", "[2] Sites\nPlants in Ohio."]
    assert prompt[query[0] :].startswith("Please find information") and query[1] == len(prompt)


def test_null_query_shares_the_query_start():
    _, docs, query = compose_upstream_prompt(DOCS, "Where are the plants?")
    _, null_docs, null_query = compose_upstream_prompt(DOCS, "N/A")
    assert docs == null_docs and query[0] == null_query[0] and null_query[1] < query[1]


def test_duplicate_content_maps_to_its_first_occurrence():
    _, spans, _ = compose_upstream_prompt([{"text": "Same."}, {"text": "Same."}], "q")
    assert spans[0] != spans[1]  # "[1] Same." vs "[2] Same." differ by their number
    prompt, spans, _ = compose_upstream_prompt([{"text": "x [2] y"}, {"text": "y"}], "q")
    assert prompt[spans[1][0] : spans[1][1]] == "[2] y" and spans[1][0] < spans[0][1]  # found inside doc 1


def test_strip_docs_copies():
    docs = [{"paragraph_text": "  padded \n"}]
    assert strip_docs(docs) == [{"paragraph_text": "padded"}]
    assert docs[0]["paragraph_text"] == "  padded \n"
    with pytest.raises(ValueError, match="text"):
        compose_upstream_prompt([{"body": "x"}], "q")


def test_token_spans_inclusive_on_bpe_like_offsets():
    # "ab cd" as tokens "ab", " cd" -> offsets (0,2), (2,5); a special token with (0, 0)
    offsets = [(0, 0), (0, 2), (2, 5)]
    assert token_spans_inclusive(offsets, (0, 5)) == (1, 2)
    assert token_spans_inclusive(offsets, (3, 5)) == (2, 2)
    assert token_spans_inclusive_many(offsets, [(0, 1), (2, 3)]) == [(1, 1), (2, 2)]


def test_uncovered_char_raises_key_error():
    offsets = [(0, 2), (3, 5)]  # char 2 (a space) is covered by no token
    with pytest.raises(UncoveredCharError):
        token_spans_inclusive(offsets, (2, 5))
    with pytest.raises(KeyError):
        token_spans_inclusive(offsets, (0, 3))
    assert token_spans_inclusive(offsets, (0, 4)) == (0, 1)
    with pytest.raises(ValueError, match="empty"):
        token_spans_inclusive(offsets, (3, 3))
