"""Question cues: the words that make a sentence state a fact, and the cue each answer occurrence belongs to.

A sentence states the incorporation state or year when the occurrence of the answer belongs to an
incorporation cue ("incorporated in", "organized under", "formed in", "a Delaware corporation", "founded as a
Delaware corporation", "established in 1986 as a New Jersey corporation"; "reincorporated in X" only for the
state X it names); the headquarters state when it belongs to a headquarters cue ("headquarters",
"headquartered", "principal executive offices", "principal offices", "corporate office(s)", "principal place
of business"); the employee count when it belongs to an employee cue ("employees", "employed", "employ",
"workforce", "headcount", "associates", "persons", "people", "full-time", "staff", "team members" ...).

Which cue an occurrence belongs to: the question's own cues and the ones that compete with them are found
in its sentence (for the incorporation questions: headquarters, other events such as "founded", "began",
"acquired", "as of", "fiscal"; for the headquarters: incorporation; for the count: things counted such as
"offices", "countries", "years", and dates). Where two cues overlap the longer wins. A state or year belongs
to the cue that holds it, else to the nearest cue before it in the same clause, else to the nearest cue after
it ("founded in 1882 and incorporated in 1960": 1882 belongs to "founded"; "incorporated in Delaware, and we
operate in Texas": Texas belongs to no cue). A count belongs to the nearest cue on either side in its clause
("39 offices across 20 countries with 11,203 employees": only 11,203 belongs to "employees"). A clause ends
at ";" or where a comma or "and" / "but" opens a new subject ("..., and we", "..., which").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from adapters.answers import STATE_CODES

Span = tuple[int, int]

# Which cue kinds state each question's fact, and which compete with them for an occurrence.
ACCEPTED_CUES: dict[str, frozenset[str]] = {
    "inc_state": frozenset({"incorporation", "reincorporation_state"}),
    "inc_year": frozenset({"incorporation"}),
    "employees": frozenset({"employees"}),
    "hq_state": frozenset({"headquarters"}),
}
_COMPETING_CUES: dict[str, frozenset[str]] = {
    "inc_state": frozenset({"headquarters", "event", "fiscal"}),
    "inc_year": frozenset({"headquarters", "employees", "event", "reincorporation_state", "fiscal"}),
    "employees": frozenset({"counted", "month_date", "year_lead", "fiscal"}),
    "hq_state": frozenset({"incorporation", "reincorporation_state", "other_site"}),
}
# A count belongs to the nearest cue on either side; states and years look backwards first.
_EITHER_SIDE = frozenset({"employees"})
_CLAUSE_BREAK = re.compile(
    r";|,\s+(?:(?:and|but|while|whereas|where)\s+)?(?:we|it|they|our|its|which|the\s+company)\b"
    r"|\s(?:and|but|while|whereas)\s+(?:we|it|they|our)\b",
    re.IGNORECASE,
)

_STATE = "(?:" + "|".join(r"\s+".join(n.split()) for n in sorted(STATE_CODES, key=len, reverse=True)) + ")"
_STATE_REF = rf"(?:the\s+)?(?:(?:State|Commonwealth)\s+of\s+)?{_STATE}"
_ENTITY = (r"(?:business\s+)?(?:corporations?|limited\s+liability\s+compan(?:y|ies)|limited\s+partnerships?|"
           r"general\s+partnerships?|statutory\s+trusts?|business\s+trusts?)\b")

_CUE_PATTERNS: dict[str, tuple[str, ...]] = {
    "incorporation": (
        # "incorporated" followed by a name is transitive ("the Company incorporated Rayont Malaysia")
        r"\bincorporated\b(?!\s+(?:by\s+reference|herein|into|within)\b)(?!\s+(?-i:[A-Z]))",
        r"\bincorporation\b",
        r"\borgani[sz]ed\s+(?:and\s+existing\s+)?(?:under|in|as|on|pursuant|during)\b",
        r"\bformed\s+(?:under|in|as|on|pursuant|during)\b",
        rf"\b(?:founded|established|organi[sz]ed|formed|created|chartered|incorporated)\b[^.;]{{0,40}}?"
        rf"\bas\s+an?\s+{_STATE}\s+{_ENTITY}",
        rf"(?<![\w-]){_STATE}\s+{_ENTITY}",
        rf"(?<![\w-]){_STATE}-chartered\b",
    ),
    "reincorporation_state": (
        rf"\breincorporat(?:ed|ion)\s+(?:in|into|under\s+the\s+laws\s+of|as\s+an?)\s+{_STATE_REF}",
    ),
    "headquarters": (
        r"\bheadquarter(?:s|ed)?\b",
        r"\bprincipal\s+(?:executive\s+|corporate\s+|business\s+)?offices?\b",
        r"\bexecutive\s+offices?\b",
        r"\bcorporate\s+offices?\b",
        r"\bprincipal\s+place\s+of\s+business\b",
        r"\b(?:home|head|main)\s+office\b",
    ),
    "employees": (
        r"\bemploy(?:s|ed|ees?|ing)?\b",
        r"\bworkforce\b",
        r"\bhead[- ]?count\b",
        r"\b(?:associates|persons|people|staff|personnel|workers|colleagues)\b",
        r"\bteam\s+members\b",
        r"\b(?:full|part)[- ]time\b",
    ),
    "event": (
        r"\b(?:founded|established|began|begun|commenced|started|opened|acquired|acquisition|launched|"
        r"introduced|completed|merged|merger|renamed|reorganized|listed|since)\b",
        r"\breincorporat\w*",
        r"\b(?:spun\s+off|went\s+public|initial\s+public\s+offering|as\s+of)\b",
        r"\b(?:changed\s+(?:its|our|the\s+company's)\s+name|name\s+changed)\b",
        r"\b(?:articles|certificate)\s+of\s+(?:incorporation|organi[sz]ation|formation)\b",
        r"\b(?:acqui(?:re|res|red|ring|sitions?)|consummated|entered\s+into|agreement)\b",
    ),
    # another site named beside the headquarters ("headquarters in Alhambra, CA, and at our facilities in Budd
    # Lake, NJ"; "headquarters in Seattle, WA and offices in Spokane, WA")
    "other_site": (
        r"\b(?:and|as\s+well\s+as|plus)\s+(?:(?:at|in)\s+)?(?:(?:our|its|the)\s+)?(?:\w+\s+)?"
        r"(?:facilit(?:y|ies)|offices|plants?|branch(?:es)?|stores?|sites?|locations?|warehouses?|"
        r"distribution\s+cent(?:er|re)s?)\b",
    ),
    # a date or period before a year ("September 30, 2022", "fiscal 2022", "since 2010"): not a head count
    "month_date": (
        r"\b(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|"
        r"Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?(?:\s+\d{1,2}(?:st|nd|rd|th)?,?)?(?=\s+(?:19|20)\d\d\b)",
    ),
    "year_lead": (r"\b(?:year|since|in|during|through|until)(?=\s+(?:19|20)\d\d\b)",),
    "fiscal": (r"\b(?:fiscal(?:\s+year)?|FY|calendar\s+year)\b",),
    "counted": (
        r"\b(?:offices|countries|stores|restaurants|locations|facilities|customers|clients|patents|products|"
        r"branches|states|cities|markets|segments|subsidiaries|years|months|weeks|days|hours|shares|acres|"
        r"units|sites|plants|warehouses|vehicles|beds|percent)\b",
        r"\bsquare\s+feet\b",
    ),
}
_CUE_RE = {kind: [re.compile(p, re.IGNORECASE) for p in pats] for kind, pats in _CUE_PATTERNS.items()}


@dataclass(frozen=True)
class Cue:
    """One cue found in a text: its kind (a key of the cue table) and half-open char span."""

    kind: str
    start: int
    end: int


def _in_a_name(text: str, at: int, sentence_start: int) -> bool:
    """"Incorporated" with a capital inside a sentence is part of a name ("McAfee Incorporated")."""
    return at > sentence_start and text.startswith("Incorporated", at)


def find_cues(text: str, start: int = 0, end: int | None = None) -> list[Cue]:
    """Every cue in ``text[start:end]`` (char offsets into ``text``), overlaps resolved: the longer one wins."""
    end = len(text) if end is None else end
    found = [Cue(kind, m.start(), m.end()) for kind, pats in _CUE_RE.items() for pat in pats
             for m in pat.finditer(text, start, end)
             if m.end() > m.start() and not (kind == "incorporation" and _in_a_name(text, m.start(), start))]
    found.sort(key=lambda c: (-(c.end - c.start), c.start))
    kept: list[Cue] = []
    for cue in found:
        if not any(cue.start < k.end and k.start < cue.end for k in kept):
            kept.append(cue)
    return sorted(kept, key=lambda c: c.start)


def _same_clause(text: str, a: int, b: int) -> bool:
    return a >= b or _CLAUSE_BREAK.search(text, a, b) is None


def owning_cue(text: str, cues: list[Cue], span: Span, question: str) -> Cue | None:
    """The cue (of ``question``'s own or competing kinds) an answer occurrence at ``span`` belongs to, or None.

    ``cues`` are :func:`find_cues` of the occurrence's sentence in ``text``; rules in the module docstring.
    """
    kinds = ACCEPTED_CUES[question] | _COMPETING_CUES[question]
    cues = [c for c in cues if c.kind in kinds]
    s, e = span
    holding = [c for c in cues if c.start <= s and e <= c.end]
    if holding:
        return holding[0]
    before = [c for c in cues if c.end <= s]
    after = [c for c in cues if c.start >= e]
    if question in _EITHER_SIDE:
        near = [(s - c.end, 1, c) for c in before if _same_clause(text, c.end, s)]
        near += [(c.start - e, 0, c) for c in after if _same_clause(text, e, c.start)]
        return min(near, key=lambda t: (t[0], t[1]))[2] if near else None
    if before and _same_clause(text, before[-1].end, s):
        return before[-1]
    return after[0] if after else None


def states_fact(text: str, sentence: Span, span: Span, question: str) -> bool:
    """Whether the answer occurrence ``span`` inside ``sentence`` (char spans of ``text``) is stated by
    a cue of ``question`` (``inc_state``, ``inc_year``, ``employees``, ``hq_state``)."""
    if question not in ACCEPTED_CUES:
        raise ValueError(f"unknown question {question!r}; expected one of {', '.join(ACCEPTED_CUES)}")
    cue = owning_cue(text, find_cues(text, *sentence), span, question)
    return cue is not None and cue.kind in ACCEPTED_CUES[question]


def cue_words(question: str) -> str:
    """A short human-readable list of the question's cues, for exclusion reasons."""
    return {
        "inc_state": "incorporated / organized / formed / 'a <State> corporation'",
        "inc_year": "incorporated / organized / formed",
        "employees": "employees / employed / workforce / associates / persons ...",
        "hq_state": "headquarters / principal executive offices / corporate office ...",
    }[question]
