"""The four questions of the study: keys, ground-truth columns, answer types and prompt wording.

This is the one place that knows them; every other module imports from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

AnswerKind = Literal["state", "year", "count"]


@dataclass(frozen=True)
class Question:
    """One question of the study."""

    key: str  # "inc_state" | "inc_year" | "employees" | "hq_state"
    column: str  # default ground-truth column in the user's CSV
    kind: AnswerKind  # how answers are parsed and compared
    qtype: Literal["categorical", "numerical"]
    text: str  # the question as put to the model
    short: str  # label for figures and tables


QUESTIONS: dict[str, Question] = {
    q.key: q
    for q in (
        Question(
            "inc_state",
            "original_Inc_state_truth",
            "state",
            "categorical",
            "In which U.S. state was the company incorporated? Answer with the name of the state only.",
            "incorporation state",
        ),
        Question(
            "inc_year",
            "original_Inc_year_truth",
            "year",
            "numerical",
            "In which year was the company incorporated? Answer with the year only.",
            "incorporation year",
        ),
        Question(
            "employees",
            "employee_count_truth",
            "count",
            "numerical",
            "How many employees does the company have in total? Answer with the number only.",
            "employee count",
        ),
        Question(
            "hq_state",
            "headquarters_state_truth",
            "state",
            "categorical",
            "In which U.S. state are the company's headquarters (principal executive offices) located? "
            "Answer with the name of the state only.",
            "headquarters state",
        ),
    )
}

QUESTION_KEYS: tuple[str, ...] = tuple(QUESTIONS)

# The null query QRHead uses for calibration (Zhang et al. 2025).
NULL_QUERY = "N/A"


def get_question(key: str) -> Question:
    """Return the question for ``key`` or raise a ValueError listing the valid keys."""
    try:
        return QUESTIONS[key]
    except KeyError:
        raise ValueError(f"unknown question {key!r}; expected one of {', '.join(QUESTION_KEYS)}") from None
