"""Tests for adapters/evidence.py: surface forms, evidence spans in real phrasings, token mapping."""

from __future__ import annotations

import json
import random

import pytest

from adapters.evidence import char_spans_to_token_spans, find_evidence_chars, surface_forms
from harness.paths import SHARED_DIR

SHARED = SHARED_DIR
SAMPLE = SHARED / "edgar_sample"


def found(text: str, kind: str, truth: str) -> list[str]:
    return [text[a:b] for a, b in find_evidence_chars(text, kind, truth)]


# ------------------------------------------------------------------------------------------ surface forms
def test_surface_forms_examples():
    assert surface_forms("state", "Delaware")[0] == "Delaware"
    assert "DE" in surface_forms("state", "Delaware")
    assert surface_forms("state", "DE")[0] == "Delaware"  # any form canonical_state accepts
    assert surface_forms("year", "1998") == ["1998"]
    assert surface_forms("count", "12500")[:2] == ["12,500", "12500"]
    assert surface_forms("count", "7") == ["7"]
    assert "2.3 million" in surface_forms("count", "2300000")
    assert "2,300,000" in surface_forms("count", "2300000")
    assert "12.5 thousand" in surface_forms("count", "12500")
    assert not any("million" in f for f in surface_forms("count", "2300001"))


@pytest.mark.parametrize(
    ("kind", "truth"),
    [("state", "Atlantis"), ("year", "98"), ("year", "nineteen"), ("count", "abc"), ("count", "-5"),
     ("date", "1998")],
)
def test_invalid_truth_raises(kind, truth):
    with pytest.raises(ValueError):
        find_evidence_chars("Delaware 1998 abc", kind, truth)


# ------------------------------------------------------------------------------------------------ states
@pytest.mark.parametrize(
    ("text", "truth", "expected"),
    [
        ("The Company was incorporated in the State of Delaware in 1998.", "Delaware", ["Delaware"]),
        ("XYZ, Inc., a Delaware corporation, designs chips.", "Delaware", ["Delaware"]),
        ("Optical Cable Corporation was incorporated in the Commonwealth of Virginia in 1983.", "Virginia",
         ["Virginia"]),
        ("organized under the laws of the State of New York", "New York", ["New York"]),
        ("INCORPORATED IN DELAWARE", "Delaware", ["DELAWARE"]),
        ("incorporated in North\nCarolina in 1965", "North Carolina", ["North\nCarolina"]),
        ("Delaware's franchise tax", "Delaware", ["Delaware"]),
        ("offices in Boston, Massachusetts and Austin, Texas", "Texas", ["Texas"]),
        ("a Nevada corporation formed on May 3, 2011; Nevada law applies", "Nevada", ["Nevada", "Nevada"]),
    ],
)
def test_state_full_name(text, truth, expected):
    assert found(text, "state", truth) == expected


@pytest.mark.parametrize(
    ("text", "truth"),
    [
        ("We operate a plant in West Virginia.", "Virginia"),
        ("WEST VIRGINIA facility", "Virginia"),
        ("Our lobbying office is in Washington, D.C.", "Washington"),
        ("an office in Washington DC", "Washington"),
        ("stores in Kansas City and St. Louis", "Kansas"),
        ("a distribution center in Arkansas", "Kansas"),
        ("the delaware river", "Delaware"),  # lower case is not a state mention
        ("Delawarean", "Delaware"),
        ("New Yorker magazine", "New York"),
    ],
)
def test_state_name_traps(text, truth):
    assert found(text, "state", truth) == []


def test_west_virginia_itself_and_virginia_next_to_it():
    text = "offices in West Virginia and in Richmond, Virginia"
    assert found(text, "state", "West Virginia") == ["West Virginia"]
    spans = find_evidence_chars(text, "state", "Virginia")
    assert [text[a:b] for a, b in spans] == ["Virginia"] and spans[0][0] == text.rindex("Virginia")


@pytest.mark.parametrize(
    ("text", "truth", "expected"),
    [
        ("principal executive offices at 777 Mariners Island Blvd, Suite 300, San Mateo, CA 94404, and our",
         "California", ["CA"]),
        ("located at 1 Main St., Austin, TX 78701.", "Texas", ["TX"]),
        ("Denver, CO 80202", "Colorado", ["CO"]),
        ("headquarters in Seattle, WA and offices in Spokane, WA.", "Washington", ["WA", "WA"]),
        ("the Hotel and Casino in Las Vegas, NV through December", "Nevada", ["NV"]),
        ("facilities in Budd Lake, NJ, Concord, CA, and Tinley Park", "California", ["CA"]),
        ("Milpitas, CA", "California", ["CA"]),
        ("Milpitas, CA\nPhone", "California", ["CA"]),
        ("Indianapolis, IN 46204", "Indiana", ["IN"]),
        ("Portland, OR 97201-1234", "Oregon", ["OR"]),
        ("Washington, DC 20001", "District of Columbia", ["DC"]),
        ("an office in Washington, D.C.", "District of Columbia", ["D.C."]),
    ],
)
def test_postal_code_in_address(text, truth, expected):
    assert found(text, "state", truth) == expected


@pytest.mark.parametrize(
    ("text", "truth"),
    [
        ("We acquired CA Technologies in 2018.", "California"),
        ("prices in CAD and USD", "California"),
        ("the CA (certificate authority) market", "California"),
        ("Broadcom acquired CA, Inc.", "California"),
        ("our products, CA Series switches", "California"),  # upper-case word after: not an address
        ("ITEM 1. BUSINESS, IN GENERAL", "Indiana"),
        ("WE MAKE PRODUCTS, IN the US", "Indiana"),  # ambiguous code after an ALL-CAPS word
        ("employees, or contractors", "Oregon"),
        ("a TX-based firm", "Texas"),
    ],
)
def test_postal_code_elsewhere_is_not_evidence(text, truth):
    assert found(text, "state", truth) == []


def test_state_name_and_postal_code_together_sorted():
    text = "Milpitas, CA 95035. We are a California corporation; California law governs."
    spans = find_evidence_chars(text, "state", "California")
    assert [text[a:b] for a, b in spans] == ["CA", "California", "California"]
    assert spans == sorted(spans)


# ------------------------------------------------------------------------------------------------- years
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("incorporated in the State of Delaware in 1998.", ["1998"]),
        ("In 1998, we reincorporated.", ["1998"]),
        ("fiscal 1998-1999", ["1998"]),
        ("founded 1997; incorporated 1998 (as XYZ)", ["1998"]),
        ("the years 1997,1998 and 1999", ["1998"]),
        ("patent 19981 and 21998", []),
        ("a ratio of 1998.5", []),
        ("1,998 stores", []),
    ],
)
def test_year(text, expected):
    assert found(text, "year", "1998") == expected


# ------------------------------------------------------------------------------------------------ counts
@pytest.mark.parametrize(
    ("text", "truth", "expected"),
    [
        ("we had approximately 12,500 full-time employees", "12500", ["12,500"]),
        ("we employed 12500 people", "12500", ["12500"]),
        ("we had 1035 employees worldwide, 600 of whom are in the US", "1035", ["1035"]),
        ("a total of 72 employees, of which 72 are full-time", "72", ["72", "72"]),
        ("approximately 2.3 million associates", "2300000", ["2.3 million"]),
        ("approximately 2.3 Million associates", "2300000", ["2.3 Million"]),
        ("2,300,000 associates", "2300000", ["2,300,000"]),
        ("about 12.5 thousand employees", "12500", ["12.5 thousand"]),
        ("58 employees of which:", "58", ["58"]),
        ("we had 8 employees.", "8", ["8"]),
        ("(12,500)", "12500", ["12,500"]),
    ],
)
def test_count_found(text, truth, expected):
    assert found(text, "count", truth) == expected


@pytest.mark.parametrize(
    ("text", "truth"),
    [
        ("we have 1,500 employees", "500"),  # part of a longer number
        ("revenue of $12,500", "12500"),
        ("revenue of $ 12,500", "12500"),
        ("$2.3 million of revenue", "2300000"),
        ("12,500,000 shares", "12500"),
        ("a rate of 12,500.75", "12500"),
        ("12% of our staff", "12"),
        ("12 percent of our staff", "12"),
        ("this Annual Report on Form 10-K", "10"),
        ("registration statement on Form S-8", "8"),
        ("telephone number is (408) 540-3700.", "3700"),
        ("see Note 8 to the financial statements", "8"),
        ("Suite 300, San Mateo", "300"),
        ("On June 15, 2022, we announced", "15"),
        ("Airbus A320 aircraft", "320"),
        ("our 58th store", "58"),
        ("15-20 contractors", "15"),
    ],
)
def test_count_not_found(text, truth):
    assert found(text, "count", truth) == []


def test_spans_are_half_open_sorted_and_non_overlapping():
    text = "In 1998 we had 1998 employees; 1998 again"
    spans = find_evidence_chars(text, "year", "1998")
    assert spans == [(3, 7), (15, 19), (31, 35)]
    assert all(text[a:b] == "1998" for a, b in spans)
    assert find_evidence_chars("", "year", "1998") == []


def test_real_filings_every_fact_found_in_its_sentence():
    """evidence.jsonl: each fact's surface string lies in its quoted sentence; a span must be there."""
    kinds = {"original_Inc_state_truth": "state", "original_Inc_year_truth": "year",
             "employee_count_truth": "count", "headquarters_state_truth": "state"}
    texts = {}
    with open(SAMPLE / "edgar_corpus.jsonl", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            texts[rec["filename"]] = rec["section_1"]
    checked = 0
    with open(SAMPLE / "evidence.jsonl", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            text = texts[rec["filename"]]
            for column, fact in rec["facts"].items():
                start = fact["sentence_offset"]
                end = start + len(fact["sentence"])
                assert text[start:end] == fact["sentence"]
                spans = find_evidence_chars(text, kinds[column], str(fact["answer"]))
                inside = [(a, b) for a, b in spans if start <= a and b <= end]
                assert any(text[a:b] in fact["surface"] for a, b in inside), (rec["filename"], column, fact)
                checked += 1
    assert checked == 45 * 4


# ------------------------------------------------------------------------------------------ token mapping
# "Incorporated in Delaware in 1998." with a BOS token and GPT-2 style leading-space tokens.
TEXT = "Incorporated in Delaware in 1998."
OFFSETS = [(0, 0), (0, 12), (12, 15), (15, 24), (24, 27), (27, 30), (30, 32), (32, 33)]


def test_token_spans_by_hand():
    assert TEXT[16:24] == "Delaware" and TEXT[28:32] == "1998"
    assert char_spans_to_token_spans(OFFSETS, [(16, 24)]) == [(3, 4)]
    assert char_spans_to_token_spans(OFFSETS, [(28, 32)]) == [(5, 7)]  # " 19" + "98"
    assert char_spans_to_token_spans(OFFSETS, [(16, 24), (28, 32)]) == [(3, 4), (5, 7)]
    assert char_spans_to_token_spans(OFFSETS, [(29, 30)]) == [(5, 6)]  # one char inside a token
    assert char_spans_to_token_spans(OFFSETS, [(0, 1)]) == [(1, 2)]  # BOS (0, 0) is not char 0
    # no token covers these: an empty token span keeps the result parallel to the input
    assert char_spans_to_token_spans(OFFSETS, [(24, 24)]) == [(4, 4)]  # empty char span
    assert char_spans_to_token_spans(OFFSETS, [(40, 45), (16, 24)]) == [(8, 8), (3, 4)]  # past the end
    with_eos = [*OFFSETS, (0, 0)]
    assert char_spans_to_token_spans(with_eos, [(16, 24), (32, 33)]) == [(3, 4), (7, 8)]
    assert char_spans_to_token_spans([tuple(o) for o in OFFSETS], [[16, 24]]) == [(3, 4)]


def brute_force(offsets, spans):
    out = []
    for s, e in spans:
        hits = [i for i, (a, b) in enumerate(offsets) if b > a and a < e and b > s]
        after = min((i for i, (a, b) in enumerate(offsets) if b > a and b > s), default=len(offsets))
        out.append((min(hits), max(hits) + 1) if hits else (after, after))
    return out


def test_token_spans_match_brute_force():
    rng = random.Random(0)
    for _ in range(200):
        offsets, pos = [(0, 0)], 0
        for _ in range(rng.randint(1, 30)):
            width = rng.randint(1, 5)
            offsets.append((pos, pos + width))
            pos += width + rng.choice([0, 0, 1])  # gaps as with dropped whitespace
        spans = []
        for _ in range(rng.randint(1, 4)):
            a = rng.randint(0, pos + 2)
            spans.append((a, a + rng.randint(1, 6)))
        assert char_spans_to_token_spans(offsets, spans) == brute_force(offsets, spans)
        shuffled = offsets[:1] + offsets[1:][::-1]  # not monotone: the linear path
        assert char_spans_to_token_spans(shuffled, spans) == brute_force(shuffled, spans)

