"""Wu et al. (2024) success gate: ROUGE-1 recall of the response against the reference answer.

Port of the module-level ``RougeScorer(['rouge1', 'rougeL'], use_stemmer=True)`` and the gate
``score(real_needle, response)['rouge1'].recall * 100 > 50`` of Retrieval_Head
``retrieval_head_detection.py`` (golden README section 7, item 5). This is the ``wu24_gate: rouge`` option;
the study's default gate is the normalised answer match (``wu24_gate: match``).
"""

from __future__ import annotations

from functools import lru_cache

GATE_THRESHOLD = 50.0  # strict: exactly 50 fails


@lru_cache(maxsize=1)
def _scorer():
    """The upstream scorer (imported on first use: machines that never run the gate need no rouge-score)."""
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rouge1", "rougeL"], use_stemmer=True)


def rouge_scores(reference: str, response: str) -> dict[str, tuple[float, float, float]]:
    """ROUGE-1 and ROUGE-L ``(precision, recall, fmeasure)`` of ``response`` against ``reference``."""
    result = _scorer().score(reference, response)
    return {name: (s.precision, s.recall, s.fmeasure) for name, s in result.items()}


def rouge_tokens(text: str) -> list[str]:
    """The tokens ROUGE compares: lower-cased ``[a-z0-9]+`` runs, Porter-stemmed when longer than 3 chars."""
    return list(_scorer()._tokenizer.tokenize(text))


def rouge_gate(reference: str, response: str) -> tuple[float, bool]:
    """Return ``(score, passes)``: score = ROUGE-1 recall x 100, passes iff score > 50 (strict)."""
    score = _scorer().score(reference, response)["rouge1"].recall * 100
    return score, score > GATE_THRESHOLD
