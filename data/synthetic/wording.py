"""Small wording helpers of the synthetic filings: plurals, articles, number forms, formal state names."""

from __future__ import annotations

import random

from data.synthetic.vocabulary import COMMONWEALTHS


def plural(noun: str) -> str:
    """The plural of a facility noun ("laboratory" -> "laboratories", "branch" -> "branches")."""
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    if noun.endswith(("s", "ch", "sh", "x")):
        return noun + "es"
    return noun + "s"


def article(word: str) -> str:
    """The indefinite article for ``word`` ("an Ohio", "a Utah", "a Delaware")."""
    return "an" if word and word[0] in "AEIO" else "a"


def with_commas(n: int) -> str:
    """``n`` with thousands separators ("12,500")."""
    return f"{n:,}"


def count_forms(n: int) -> list[str]:
    """Forms a count can take in text: "12,500", "12500" and, for round millions, "2.3 million"."""
    forms = [with_commas(n), str(n)]
    if n >= 1_000_000 and n % 100_000 == 0:
        forms.append(f"{n / 1_000_000:g} million")
    if 1000 <= n < 1_000_000 and n % 100 == 0:
        forms.append(f"{n / 1000:g} thousand")
    return list(dict.fromkeys(forms))


def state_ref(state: str, rng: random.Random, formal: bool) -> str:
    """'the State of X' / 'the Commonwealth of X' / 'X' (the formal name always when ``formal``)."""
    if formal or rng.random() < 0.5:
        return f"the {'Commonwealth' if state in COMMONWEALTHS else 'State'} of {state}"
    return state
