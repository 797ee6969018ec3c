"""Wu et al. (2024) needle localisation: the upstream set-overlap rule.

Port of ``LLMNeedleHaystackTester.find_needle_idx`` (Retrieval_Head ``retrieval_head_detection.py``),
reproducing upstream's behaviour exactly (PROVENANCE.md lists it; the golden vectors check it). The study's default
evidence spans come from ``adapters/evidence.py``; this rule is the ``evidence: upstream_needle`` option.
"""

from __future__ import annotations

from collections.abc import Sequence

NOT_FOUND: tuple[int, int] = (-1, -1)
OVERLAP_THRESHOLD = 0.9


def find_needle_idx(prompt_ids: Sequence[int], needle_ids: Sequence[int]) -> tuple[int, int]:
    """Return the half-open span ``(i, i + len(needle_ids))`` of the first window that matches the needle.

    A window ``prompt_ids[i:i + len(needle_ids)]`` (truncated near the end of the prompt) matches when the
    share of the needle's *unique* ids that also occur in the window is strictly greater than 0.9. Order
    and repeats are ignored, so the span may start up to ``floor(0.1 * #unique)`` tokens early, and its end
    may exceed ``len(prompt_ids)``. Returns ``(-1, -1)`` when no window matches. An empty needle raises
    ``ZeroDivisionError`` (as upstream does) as soon as one window is tested.
    """
    prompt = [int(t) for t in prompt_ids]
    needle = [int(t) for t in needle_ids]
    span_len = len(needle)
    needle_set = set(needle)
    for i in range(len(prompt)):
        window = set(prompt[i : i + span_len])
        overlap = len(window & needle_set) / len(needle_set)  # ZeroDivisionError on an empty needle
        if overlap > OVERLAP_THRESHOLD:
            return i, i + span_len
    return NOT_FOUND
