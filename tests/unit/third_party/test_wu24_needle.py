"""Tests of the Wu24 set-overlap needle finder (third_party/wu24/needle.py)."""

from __future__ import annotations

import json

import pytest

from harness.paths import SHARED_DIR
from third_party.wu24.needle import NOT_FOUND, find_needle_idx

GOLDEN = SHARED_DIR / "golden"

FILLER = list(range(100, 140))


def _prompt_with(needle: list[int], at: int = 20) -> list[int]:
    return FILLER[:at] + needle + FILLER[at:]


def test_exact_needle_is_found_at_its_position():
    needle = [1, 2, 3, 4, 5]
    assert find_needle_idx(_prompt_with(needle), needle) == (20, 25)


def test_span_starts_early_when_one_unique_id_may_be_missing():
    needle = list(range(1, 13))  # 12 unique ids: 11/12 > 0.9, so the window one to the left already matches
    assert find_needle_idx(_prompt_with(needle), needle) == (19, 31)


def test_threshold_is_strict():
    needle = list(range(1, 11))  # 10 unique ids
    prompt = _prompt_with(needle[:9] + [99])  # 9/10 == 0.9 is not > 0.9
    assert find_needle_idx(prompt, needle) == NOT_FOUND
    prompt = _prompt_with(needle)  # mutated back to the full needle: found
    assert find_needle_idx(prompt, needle) == (20, 30)


def test_first_occurrence_and_order_ignored():
    needle = [7, 8, 9]
    prompt = [50, 9, 8, 7, 50, 7, 8, 9]
    assert find_needle_idx(prompt, needle) == (1, 4)  # a permutation earlier wins


def test_truncated_window_can_end_past_the_prompt():
    assert find_needle_idx([1, 2, 3], [1, 2, 3, 1, 2, 3, 1, 2]) == (0, 8)


def test_empty_needle_raises_zero_division_but_not_on_an_empty_prompt():
    with pytest.raises(ZeroDivisionError):
        find_needle_idx([1, 2, 3], [])
    assert find_needle_idx([], []) == NOT_FOUND


@pytest.mark.skipif(not GOLDEN.is_dir(), reason=f"golden directory {GOLDEN} not present")
def test_golden_cases_match():
    cases = json.loads((GOLDEN / "A_wu24_pure.json").read_text())["find_needle_idx"]
    assert len(cases) == 12
    for case in cases:
        if case["raises"]:
            with pytest.raises(ZeroDivisionError):
                find_needle_idx(case["prompt_ids"], case["needle_ids"])
        else:
            assert list(find_needle_idx(case["prompt_ids"], case["needle_ids"])) == case["result"], case["name"]
