"""Answer normalisation: US states, years and counts, for model answers and ground-truth CSV cells.

Three answer kinds (``adapters.questions.Question.kind``):

- ``"state"``: canonical form is the full state name ("Delaware", "North Carolina", "District of
  Columbia"). Model answers are read from their first non-blank line; the first state named there
  wins (full name in any case, "State/Commonwealth of X", "Washington, D.C." -> District of Columbia,
  postal codes as standalone UPPERCASE tokens). Postal codes that are also common words or
  abbreviations (see ``AMBIGUOUS_CODES``) count only when the whole line is the code or in address
  form (", IN", "Indianapolis, IN 46204").
- ``"year"``: canonical form is the 4-digit year string; the year next to the incorporation verb
  ("Founded in 1882, incorporated in 1960" -> "1960"), otherwise the first year 1600-2099 that is not part
  of a longer number, a decimal, or a decade ("1990s") (:func:`adapters.answer_numbers.parse_year`).
- ``"count"``: canonical form is the integer as a plain digit string ("12500"); the number that counts
  employees, dates and years skipped ("As of December 31, 2022, we had approximately 12,500 employees." ->
  "12500"), otherwise the first number that is not a date or a year
  (:func:`adapters.answer_numbers.parse_count`). Thousands commas and multipliers (k/K, thousand, M,
  million, billion) are understood; number words ("seven", "twelve thousand") are read when no number is.

Traditional abbreviations ("Calif.", "Del.", "Ind.") are deliberately not read: several collide with
ordinary words ("Ind." = Industries, "Miss.").
"""

from __future__ import annotations

import math
import numbers
import re

from adapters.answer_numbers import MULTIPLIERS, parse_count, parse_year

# ---------------------------------------------------------------------------------------------------------
# The table: 50 states + DC, full name -> USPS postal code.
# ---------------------------------------------------------------------------------------------------------
STATE_CODES: dict[str, str] = {
    "Alabama": "AL",
    "Alaska": "AK",
    "Arizona": "AZ",
    "Arkansas": "AR",
    "California": "CA",
    "Colorado": "CO",
    "Connecticut": "CT",
    "Delaware": "DE",
    "District of Columbia": "DC",
    "Florida": "FL",
    "Georgia": "GA",
    "Hawaii": "HI",
    "Idaho": "ID",
    "Illinois": "IL",
    "Indiana": "IN",
    "Iowa": "IA",
    "Kansas": "KS",
    "Kentucky": "KY",
    "Louisiana": "LA",
    "Maine": "ME",
    "Maryland": "MD",
    "Massachusetts": "MA",
    "Michigan": "MI",
    "Minnesota": "MN",
    "Mississippi": "MS",
    "Missouri": "MO",
    "Montana": "MT",
    "Nebraska": "NE",
    "Nevada": "NV",
    "New Hampshire": "NH",
    "New Jersey": "NJ",
    "New Mexico": "NM",
    "New York": "NY",
    "North Carolina": "NC",
    "North Dakota": "ND",
    "Ohio": "OH",
    "Oklahoma": "OK",
    "Oregon": "OR",
    "Pennsylvania": "PA",
    "Rhode Island": "RI",
    "South Carolina": "SC",
    "South Dakota": "SD",
    "Tennessee": "TN",
    "Texas": "TX",
    "Utah": "UT",
    "Vermont": "VT",
    "Virginia": "VA",
    "Washington": "WA",
    "West Virginia": "WV",
    "Wisconsin": "WI",
    "Wyoming": "WY",
}
CODE_TO_STATE: dict[str, str] = {code: name for name, code in STATE_CODES.items()}
DC = "District of Columbia"

# Postal codes that are also English words or everyday abbreviations ("IN", "OR", "ME", "OK", "HI",
# "OH", "ID", "CO" = company): in model answers only when the whole line is the code or in address form.
AMBIGUOUS_CODES: frozenset[str] = frozenset({"IN", "OR", "ME", "OK", "HI", "OH", "ID", "CO"})

# Dotted spellings of two-word states' codes. Kept to a whitelist: "P.A." (professional association) and
# "L.A." (Los Angeles) must not read as Pennsylvania / Louisiana.
_DOTTED_CODES: dict[str, str] = {
    "D.C.": DC,
    "N.Y.": "New York",
    "N.J.": "New Jersey",
    "N.C.": "North Carolina",
    "S.C.": "South Carolina",
    "N.D.": "North Dakota",
    "S.D.": "South Dakota",
    "N.H.": "New Hampshire",
    "N.M.": "New Mexico",
    "R.I.": "Rhode Island",
}

_KINDS = ("state", "year", "count")

# ---------------------------------------------------------------------------------------------------------
# canonical_state: a whole string that IS a state (CSV cells, evidence surfaces, clean answers).
# ---------------------------------------------------------------------------------------------------------
_LOWER_NAME_TO_STATE = {name.lower(): name for name in STATE_CODES}
_DC_ALIASES = {
    "dc",
    "d.c.",
    "d.c",
    "washington dc",
    "washington d.c.",
    "washington d.c",
    "washington, dc",
    "washington, d.c.",
    "washington, d.c",
    "washington district of columbia",
    "washington, district of columbia",
}
_THE_RE = re.compile(r"^the\s+", re.IGNORECASE)
_PREFIX_RE = re.compile(
    r"^(?:state|commonwealth)(?:\s*(?:/|or)\s*(?:state|commonwealth))?\s+of\s+(?:the\s+)?",
    re.IGNORECASE,
)
_STATE_SUFFIX_RE = re.compile(r"\s+state$", re.IGNORECASE)


def _check_kind(kind: str) -> None:
    if kind not in _KINDS:
        raise ValueError(f"unknown answer kind {kind!r}; expected one of {', '.join(_KINDS)}")


def canonical_state(text: str) -> str | None:
    """Canonical full name of the US state (or DC) that the whole of ``text`` names, else None.

    Accepts the full name in any case, the postal code in any case ("DE", "de"), dotted codes
    ("N.Y."), "State of X", "Commonwealth of X", "State/Commonwealth of X", "the State of X",
    "X State", and "Washington, D.C." / "DC" -> "District of Columbia". Surrounding whitespace,
    quotes and trailing punctuation are ignored. Anything more ("a Delaware corporation") -> None;
    use :func:`parse_state` for free text.
    """
    if not isinstance(text, str):
        return None
    s = " ".join(text.split()).strip(" \t\"'`*")
    s = s.rstrip(",;:!?")
    if s.endswith(".") and s.lower() not in _DC_ALIASES and s.upper() not in _DOTTED_CODES:
        s = s[:-1].rstrip()
    if not s:
        return None
    if s.lower() in _DC_ALIASES:
        return DC
    if s.upper() in _DOTTED_CODES:
        return _DOTTED_CODES[s.upper()]
    if len(s) == 2 and s.isalpha():
        return CODE_TO_STATE.get(s.upper())
    s = _PREFIX_RE.sub("", _THE_RE.sub("", s, count=1), count=1)
    name = _LOWER_NAME_TO_STATE.get(s.lower())
    if name is None:
        stripped = _STATE_SUFFIX_RE.sub("", s)
        if stripped != s:
            name = _LOWER_NAME_TO_STATE.get(stripped.lower())
    if name is None and s.lower() in _DC_ALIASES:
        name = DC
    return name


def state_surface_forms(state: str) -> list[str]:
    """``[full name, postal code]`` of a state given in any form :func:`canonical_state` accepts.

    Raises ValueError for a string that is not a US state or DC.
    """
    name = canonical_state(state)
    if name is None:
        raise ValueError(f"not a US state: {state!r}")
    return [name, STATE_CODES[name]]


# ---------------------------------------------------------------------------------------------------------
# parse_state: first state named in the first line of a free-text model answer.
# ---------------------------------------------------------------------------------------------------------
# "<state> Avenue" etc. names a street, "Kansas City" a city that may lie in another state.
_STREET_WORDS = r"(?:Avenue|Ave|Street|St|Boulevard|Blvd|Road|Rd|Drive|Dr|Parkway|Pkwy|Place|Pl)\b"
# Kansas City (MO), Nevada City (CA), Michigan City (IN), Virginia City (NV).
_CITY_NOT_IN_STATE = frozenset({"Kansas", "Nevada", "Michigan", "Virginia"})


def _name_pattern(name: str) -> str:
    words = r"\s+".join(re.escape(w) for w in name.split())
    not_after = _STREET_WORDS + (r"|City\b" if name in _CITY_NOT_IN_STATE else "")
    return rf"(?<![A-Za-z]){words}(?![A-Za-z])(?!\s+(?:{not_after}))"


# Longest names first so that at one position "West Virginia" is tried before anything shorter.
_NAMES_BY_LENGTH = sorted((n for n in STATE_CODES if n != DC), key=len, reverse=True)
_DC_PATTERN = (
    r"(?<![A-Za-z])(?:Washington\s*,?\s*(?:D\.\s?C\.?|DC(?![A-Za-z])|District\s+of\s+Columbia(?![A-Za-z]))"
    r"|District\s+of\s+Columbia(?![A-Za-z]))"
)
_NAME_RE = re.compile(
    "|".join(
        [f"(?P<dc>{_DC_PATTERN})"] + [f"(?P<s{i}>{_name_pattern(n)})" for i, n in enumerate(_NAMES_BY_LENGTH)]
    ),
    re.IGNORECASE,
)
_DOTTED_RE = re.compile(r"(?<![A-Za-z.])(" + "|".join(re.escape(d) for d in _DOTTED_CODES) + r")(?![A-Za-z])")
# A standalone uppercase two-letter token (case-sensitive on purpose).
_CODE_RE = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2})(?![A-Za-z0-9])")
# ", XX" after a word (a city): "Indianapolis, IN", "Portland, OR 97201".
_ADDRESS_CODE_RE = re.compile(r"(?<=[A-Za-z]),\s?([A-Z]{2})(?![A-Za-z0-9])")


def _first_line(answer: str) -> str:
    for line in answer.splitlines():
        if line.strip():
            return line.strip()
    return ""


def _state_mentions(line: str) -> list[tuple[int, int, str]]:
    """Every (start, end, state) mention in ``line`` by the rules of :func:`parse_state`."""
    found: list[tuple[int, int, str]] = []
    for m in _NAME_RE.finditer(line):
        if m.lastgroup == "dc":
            found.append((m.start(), m.end(), DC))
        else:
            found.append((m.start(), m.end(), _NAMES_BY_LENGTH[int(m.lastgroup[1:])]))
    for m in _DOTTED_RE.finditer(line):
        found.append((m.start(), m.end(), _DOTTED_CODES[m.group(1)]))
    for m in _CODE_RE.finditer(line):
        code = m.group(1)
        if code in CODE_TO_STATE and code not in AMBIGUOUS_CODES:
            found.append((m.start(), m.end(), CODE_TO_STATE[code]))
    for m in _ADDRESS_CODE_RE.finditer(line):
        code = m.group(1)
        if code in AMBIGUOUS_CODES:
            found.append((m.start(1), m.end(1), CODE_TO_STATE[code]))
    return found


def parse_state(answer: str, question: str | None = None) -> str | None:
    """First US state (or DC) named in the first non-blank line of a model answer, canonical name or None.

    Full names match in any case as whole words ("West Virginia" never yields "Virginia", "York" and
    "Jersey" alone name nothing); "Washington, D.C." / "Washington DC" -> District of Columbia while
    "Washington" -> Washington. Postal codes match only as standalone UPPERCASE tokens; the ambiguous
    ones (``AMBIGUOUS_CODES``) only as the whole line or in address form (", IN"). At one start
    position the longest mention wins. With ``question`` (``inc_state`` / ``hq_state``) and several states
    in the line, the first one the line states for that question wins ("Although incorporated in Delaware,
    it is headquartered in California." -> California for ``hq_state``), by the cues of
    :mod:`adapters.cues`; without such a cue, the first state.
    """
    if not isinstance(answer, str):
        return None
    line = _first_line(answer)
    if not line:
        return None
    whole = line.strip(" \t\"'`*").rstrip(".,;:!?")
    if whole in CODE_TO_STATE:  # the whole line is just a code, ambiguous ones included
        return CODE_TO_STATE[whole]
    mentions = sorted(_state_mentions(line), key=lambda m: (m[0], -(m[1] - m[0])))
    if not mentions:
        return None
    if question is not None and len({st for _, _, st in mentions}) > 1:
        from adapters.cues import states_fact  # cues read this module's state table

        stated = [st for a, b, st in mentions if states_fact(line, (0, len(line)), (a, b), question)]
        if stated:
            return stated[0]
    return mentions[0][2]


# ---------------------------------------------------------------------------------------------------------
# Ground truth and matching
# ---------------------------------------------------------------------------------------------------------
def _is_missing(raw: object) -> bool:
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    try:
        return bool(raw != raw)  # NaN, NaT
    except TypeError:  # pandas.NA refuses bool()
        return True


_TRUTH_NUMBER_RE = re.compile(
    r"(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<frac>\d+))?"
    r"(?:\s*(?P<mult>[kK]|M|mn|bn|thousand|million|mil|billion))?",
)


def _truth_number(raw: object) -> float | None:
    """A CSV cell holding one non-negative number (int, float, or a string like "12,500", "1998.0")."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, numbers.Integral):
        return float(raw) if raw >= 0 else None
    if isinstance(raw, numbers.Real):
        value = float(raw)
        return value if math.isfinite(value) and value >= 0 else None
    if not isinstance(raw, str):
        return None
    s = raw.strip().strip("\"'")
    m = _TRUTH_NUMBER_RE.fullmatch(s)
    if not m:
        return None
    value = float(m.group("int").replace(",", "") + ("." + m.group("frac") if m.group("frac") else ""))
    mult = m.group("mult")
    if mult:
        value *= MULTIPLIERS[mult.lower()]
    return value


def canonical_truth(kind: str, raw: object) -> str | None:
    """Canonical string for a ground-truth CSV cell, or None if empty, NaN or unparseable.

    ``state``: any form :func:`canonical_state` accepts -> full name. ``year``: an integral value
    1600-2099 given as int, float or string ("1998", 1998, "1998.0") -> "1998". ``count``: a
    non-negative whole number ("12500", "12,500", 12500.0, "2.3 million") -> "12500"; fractional
    counts (12.5) are unparseable.
    """
    _check_kind(kind)
    if _is_missing(raw):
        return None
    if kind == "state":
        return canonical_state(raw) if isinstance(raw, str) else None
    value = _truth_number(raw)
    if value is None or not value.is_integer():
        return None
    n = int(value)
    if kind == "year":
        return str(n) if 1600 <= n <= 2099 else None
    return str(n)


def parse_answer(kind: str, answer: str, question: str | None = None) -> str | None:
    """Model answer -> canonical string of the given kind ("Delaware", "1998", "12500"), or None.

    ``question`` (a question key) lets a state answer that names several states be read for that question.
    """
    _check_kind(kind)
    if kind == "state":
        return parse_state(answer, question)
    if kind == "year":
        return parse_year(answer)
    count = parse_count(answer)
    return None if count is None else str(count)


def answer_matches(kind: str, answer: str, truth: str, count_tolerance: float = 0.0,
                   question: str | None = None) -> bool:
    """Whether a model answer matches the ground truth after normalisation.

    ``truth`` may be in any form :func:`canonical_truth` accepts. States and years must be equal;
    counts must satisfy ``|parsed - truth| <= count_tolerance * |truth|`` (0 = exact, the default).
    An unparseable answer or truth never matches. ``question``: see :func:`parse_answer`.
    """
    _check_kind(kind)
    if not (isinstance(count_tolerance, numbers.Real) and count_tolerance >= 0):
        raise ValueError(f"count_tolerance must be a non-negative number, got {count_tolerance!r}")
    parsed = parse_answer(kind, answer, question)
    canon = canonical_truth(kind, truth)
    if parsed is None or canon is None:
        return False
    if kind == "count":
        t = int(canon)
        return abs(int(parsed) - t) <= count_tolerance * abs(t)
    return parsed == canon
