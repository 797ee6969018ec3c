"""Numbers in model answers, read as a person would: the employee count and the incorporation year.

``parse_count`` reads the number that counts employees. Candidates are the numbers of the answer that are not
part of a date ("December 31, 2022", "31 December 2022", "12/31/2022", "2022-12-31", "June 2023"), a
percentage, a form name ("10-K") or a plan name ("401(k)"), and that do not count something else ("12
offices", "30 years"). The count is, in this order:

1. a number marked as the total ("a total of 1,901", "1,901 in total", "totaling 1,901");
2. the first number next to an employee word: followed within three words by "employees", "people",
   "persons", "associates", "staff", "workers", "team members", "personnel", "full-time" ..., or preceded in
   its clause by "employ(s/ed)", "workforce", "headcount", "employees" ("Employees: 12,500");
3. the first number that is not a year (a plain 4-digit 1600-2099 number: "As of 2022, 12,500" -> 12500);
4. a year-like number not introduced as a date ("2000" alone, but not "as of 2022", "in fiscal 2022");
5. number words ("seven", "twelve thousand five hundred") when no number is left.

Thousands commas and multipliers (k/K, thousand, M, million, billion) are understood; a decimal without a
multiplier is rounded.

``parse_year`` reads the year of incorporation: the first year after the first incorporation verb
("incorporated", "incorporation", "organized", "formed") in its sentence, else the nearest year before that
verb in the sentence, else the first year of the answer ("Founded in 1882, incorporated in 1960" -> 1960). A
year is 1600-2099 and not part of a longer number, a decimal or a decade ("1990s").
"""

from __future__ import annotations

import math
import re

MULTIPLIERS: dict[str, int] = {
    "k": 1_000,
    "thousand": 1_000,
    "m": 1_000_000,
    "mn": 1_000_000,
    "mil": 1_000_000,
    "million": 1_000_000,
    "bn": 1_000_000_000,
    "billion": 1_000_000_000,
}

# ---------------------------------------------------------------------------------------------------------
# parse_year
# ---------------------------------------------------------------------------------------------------------
# Not preceded by a digit or by "<digit>," / "<digit>." (a longer number); not followed by a digit,
# ",<digit>" / ".<digit>" (a longer number or a decimal), or a decade suffix ("1990s", "1990's").
_YEAR_RE = re.compile(r"(?<!\d)(?<!\d[.,])(1[6-9]\d\d|20\d\d)(?!\d)(?![.,]\d)(?![’']?s(?![A-Za-z]))")
_INC_VERB_RE = re.compile(r"\b(?:incorporat(?:ed|ion)|organi[sz]ed|formed)\b", re.IGNORECASE)
_SENTENCE_END_RE = re.compile(r"[.;!?](?=\s|$)|\n")


def parse_year(answer: str) -> str | None:
    """The incorporation year in ``answer`` (rules in the module docstring) as a string, or None."""
    if not isinstance(answer, str):
        return None
    years = list(_YEAR_RE.finditer(answer))
    if not years:
        return None
    verb = _INC_VERB_RE.search(answer)
    if verb is not None:
        ends = [m.start() for m in _SENTENCE_END_RE.finditer(answer)]
        stop = next((e for e in ends if e >= verb.end()), len(answer))
        begin = max((e + 1 for e in ends if e < verb.start()), default=0)
        after = [m for m in years if verb.end() <= m.start() < stop]
        before = [m for m in years if begin <= m.start() and m.end() <= verb.start()]
        if after:
            return after[0].group(1)
        if before:
            return before[-1].group(1)
    return years[0].group(1)


# ---------------------------------------------------------------------------------------------------------
# parse_count
# ---------------------------------------------------------------------------------------------------------
# A number: thousands-grouped ("12,500") or plain digits, optional decimals, optional multiplier.
# "M"/"k" must not be followed by a letter ("5 Main St", "3 kilometres"); "thousand(s)", "million(s)".
_NUMBER_RE = re.compile(
    r"(?<![\w.,])(?P<int>\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.(?P<frac>\d+))?"
    r"(?:\s*(?P<mult>(?-i:[kK]|M|mn|bn))(?![A-Za-z])"
    r"|\s*(?P<word>thousand|million|mil|billion)s?(?![A-Za-z]))?"
    r"(?P<form>-[KQ](?![A-Za-z]))?",
    re.IGNORECASE,
)
_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
          r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
_DATE_RE = re.compile(
    rf"\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+\d{{4}}\b)?"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?:,?\s+\d{{4}}\b)?"
    rf"|\b{_MONTH},?\s+\d{{4}}\b"
    r"|\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b\d{4}-\d{1,2}-\d{1,2}\b"
)
_NOT_A_COUNT_AFTER = re.compile(r"\s*(?:%|percent\b|\([a-z]\))", re.IGNORECASE)
_PEOPLE = (r"(?:employees?|people|persons|associates|staff(?:ers)?|workers|team\s+members|personnel|"
           r"colleagues|FTEs?|individuals|full[- ]time|part[- ]time|headcount)\b")
_CUE_AFTER = re.compile(rf"\s*(?:(?:[A-Za-z][\w-]*,?)\s+){{0,3}}?{_PEOPLE}", re.IGNORECASE)
_CUE_BEFORE = re.compile(r"\b(?:employ(?:s|ed|ing)?|employees?|workforce|head[- ]?count|staff|personnel)\b"
                         r"[^\d.;!?]{0,40}$", re.IGNORECASE)
_OTHER_NOUN_AFTER = re.compile(
    r"\s*(?:[A-Za-z-]+\s+)?(?:countries|offices|states|locations|stores|facilities|years|months|weeks|days|"
    r"hours|segments|subsidiaries|plants|sites|cities|markets|customers|clients|products|patents|restaurants|"
    r"branches|shares|dollars)\b",
    re.IGNORECASE,
)
_TOTAL_BEFORE = re.compile(
    r"\b(?:total(?:ing|ling)?(?:\s+of)?|in\s+total|altogether|overall|combined)\s*[:,]?\s*"
    r"(?:(?:approximately|about|around|roughly|over|nearly|some|more\s+than|~)\s*)?$",
    re.IGNORECASE,
)
_TOTAL_AFTER = re.compile(r"\s*(?:[A-Za-z-]+\s+){0,2}?(?:in\s+total|total|altogether|overall)\b", re.IGNORECASE)
_DATE_LEAD = re.compile(
    r"\b(?:as\s+of|in|since|during|for|by|until|through|from|end\s+of|fiscal(?:\s+year)?|FY|year)\s*$",
    re.IGNORECASE,
)
_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90,
}  # fmt: skip
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000}
_WORD_RE = re.compile(r"[a-z]+", re.IGNORECASE)


def _value_to_int(value: float) -> int | None:
    if not math.isfinite(value) or value < 0:
        return None
    return int(round(value))


def _words_to_count(text: str) -> int | None:
    """First run of English number words ("seven", "twelve thousand five hundred"); None if none.

    A lone "one" is skipped: it is far more often a pronoun ("one of the largest") than a count.
    """
    words = [(m.group(0).lower(), m.start()) for m in _WORD_RE.finditer(text)]
    i = 0
    while i < len(words):
        w = words[i][0]
        if w in _UNITS or w in _TENS:
            total, current, j, used = 0, 0, i, []
            while j < len(words):
                w = words[j][0]
                if w in _UNITS:
                    current += _UNITS[w]
                elif w in _TENS:
                    current += _TENS[w]
                elif w == "hundred":
                    current = max(current, 1) * 100
                elif w in ("thousand", "million"):
                    total += max(current, 1) * _SCALES[w]
                    current = 0
                elif (
                    w == "and"
                    and used
                    and j + 1 < len(words)
                    and (words[j + 1][0] in _UNITS or words[j + 1][0] in _TENS)
                ):
                    pass
                else:
                    break
                used.append(w)
                j += 1
            if used != ["one"]:
                return total + current
            i = j
        else:
            i += 1
    return None


def _value(m: re.Match[str]) -> int | None:
    digits = m.group("int").replace(",", "")
    frac = m.group("frac")
    scale = MULTIPLIERS.get((m.group("mult") or m.group("word") or "").lower(), 1)
    if not frac:
        return int(digits) * scale
    return _value_to_int(float(f"{digits}.{frac}") * scale)


def _year_like(m: re.Match[str]) -> bool:
    digits = m.group("int")
    return (len(digits) == 4 and digits.isdigit() and 1600 <= int(digits) <= 2099
            and not (m.group("frac") or m.group("mult") or m.group("word")))


def _candidates(answer: str) -> list[re.Match[str]]:
    """The numbers of ``answer`` that may be a count: no date, percentage, form or plan name."""
    dates = [(d.start(), d.end()) for d in _DATE_RE.finditer(answer)]
    out = []
    for m in _NUMBER_RE.finditer(answer):
        if m.group("form") or _NOT_A_COUNT_AFTER.match(answer, m.end()):
            continue
        if any(a <= m.start() and m.end() <= b for a, b in dates):
            continue
        out.append(m)
    return out


def _clause_start(answer: str, at: int) -> int:
    return max((e.end() for e in _SENTENCE_END_RE.finditer(answer, 0, at)), default=0)


def parse_count(answer: str) -> int | None:
    """The employee count in ``answer`` as an int (rules in the module docstring), or None.

    "As of December 31, 2022, we had approximately 12,500 employees." -> 12500, "As of 2022, 12,500" ->
    12500, "approx. 12.5 thousand" -> 12500, "2.3 million" -> 2300000, "about 3k" -> 3000.
    """
    if not isinstance(answer, str):
        return None
    found = _candidates(answer)
    people = [m for m in found if not _OTHER_NOUN_AFTER.match(answer, m.end())]
    for m in people:
        head = answer[_clause_start(answer, m.start()) : m.start()]
        if _TOTAL_BEFORE.search(head) or _TOTAL_AFTER.match(answer, m.end()):
            return _value(m)
    for m in people:
        head = answer[_clause_start(answer, m.start()) : m.start()]
        if _CUE_AFTER.match(answer, m.end()) or _CUE_BEFORE.search(head):
            return _value(m)
    for m in people:
        if not _year_like(m):
            return _value(m)
    for m in found:
        if not (_year_like(m) and _DATE_LEAD.search(answer, 0, m.start())):
            return _value(m)
    return _words_to_count(_DATE_RE.sub(" ", answer))
