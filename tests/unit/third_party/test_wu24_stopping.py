"""Tests of the Wu24 upstream stop rule (third_party/wu24/stopping.py)."""

from __future__ import annotations

from third_party.wu24.stopping import upstream_decode_length, upstream_should_stop


def test_stop_tokens():
    assert upstream_should_stop("<0x0A>", 13)
    assert upstream_should_stop("Å", 144)
    assert not upstream_should_stop("\u010a", 198)  # GPT-2 style newline does not stop upstream
    assert not upstream_should_stop("<|im_end|>", 2)  # nor does EOS


def test_decode_length_keeps_the_stop_token():
    tokens = ["a", "b", "<0x0A>", "c"]
    assert upstream_decode_length(tokens, [1, 2, 10, 3], max_new_tokens=20) == 3
    assert upstream_decode_length(tokens, [1, 2, 11, 3], max_new_tokens=20) == 3  # string decides
    assert upstream_decode_length(["a", "b", "x", "c"], [1, 2, 11, 3], max_new_tokens=20) == 4
    assert upstream_decode_length(["a", "b", "x", "c"], [1, 144, 11, 3], max_new_tokens=20) == 2
    assert upstream_decode_length(tokens, [1, 2, 10, 3], max_new_tokens=2) == 2
