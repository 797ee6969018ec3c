"""The self-check of a generated filing: every truth value is stated in its fact line and nowhere else.

The check is conservative (stricter than ``adapters.evidence.find_evidence_chars``): outside the lines
that state a value, it looks for the value in any case and any form (a state's postal code, a count with
or without commas, "2.3 million"), so the evidence spans of a kept filing point at the fact only.
"""

from __future__ import annotations

import re

from adapters.answers import STATE_CODES
from adapters.questions import QUESTION_KEYS, QUESTIONS
from data.synthetic.context import Line
from data.synthetic.wording import count_forms

Patterns = list[re.Pattern[str]]


def check_filing(lines: list[Line], truth: dict[str, str | None], company: str) -> str | None:
    """A problem description, or None when every truth value is stated in a fact line and nowhere else."""
    kinds = {k: QUESTIONS[k].kind for k in QUESTION_KEYS}
    for key in QUESTION_KEYS:
        value = truth[key]
        if value is None:
            continue
        kind = kinds[key]
        allowed = {k for k in QUESTION_KEYS if truth[k] == value and kinds[k] == kind}
        must, broad = _value_patterns(kind, value)
        stated = False
        for text, tags in lines:
            if tags & allowed:
                if key in tags and any(p.search(text) for p in must):
                    stated = True
                continue
            if any(p.search(text) for p in broad):
                return f"{key} value {value!r} also occurs outside its fact lines: {text[:120]!r}"
        if not stated:
            return f"{key} value {value!r} is not stated in its fact line"
    if any(s.lower() in company.lower() for s in STATE_CODES):
        return f"company name {company!r} contains a state name"
    return None


def _value_patterns(kind: str, value: str) -> tuple[Patterns, Patterns]:
    """(forms its fact line must contain, forms no other line may contain) of a truth value."""
    if kind == "state":
        code = STATE_CODES[value]
        must = [re.compile(rf"(?<!\w){re.escape(value)}(?!\w)"),
                re.compile(rf"(?<=[a-z], ){code}(?= \d{{5}}|[.,])")]
        west = r"(?<!West )(?<!WEST )" if value == "Virginia" else ""  # "West Virginia" is another state
        broad = [re.compile(rf"(?<![A-Za-z]){west}{re.escape(value)}(?![A-Za-z])", re.I),
                 re.compile(rf"(?<![A-Za-z]){code}(?![A-Za-z])")]
        return must, broad
    if kind == "year":
        must = [re.compile(rf"(?<!\d){value}(?!\d)")]
        return must, must
    n = int(value)
    must = [re.compile(_word_boundary(f) if " " not in f else rf"(?<![\d.]){re.escape(f)}")
            for f in count_forms(n)]
    broad = [re.compile(rf"(?<!\d){re.escape(f)}(?!\d)") if " " not in f
             else re.compile(rf"(?<![\d.]){re.escape(f.split()[0])}\s+{f.split()[1]}", re.I)
             for f in count_forms(n)]
    return must, broad


def _word_boundary(form: str) -> str:
    return rf"(?<![\w$.,]){re.escape(form)}(?![\w]|[.,]\d)"
