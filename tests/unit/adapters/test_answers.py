"""Tests for adapters.answers: states, years and counts in model answers and ground-truth cells."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest

from adapters.answers import (
    AMBIGUOUS_CODES,
    CODE_TO_STATE,
    STATE_CODES,
    answer_matches,
    canonical_state,
    canonical_truth,
    parse_answer,
    parse_count,
    parse_state,
    parse_year,
    state_surface_forms,
)
from harness.paths import SHARED_DIR

SHARED = SHARED_DIR
EDGAR = SHARED / "edgar_sample"


# --------------------------------------------------------------------------------------------- the table
def test_table_has_50_states_and_dc_with_unique_codes():
    assert len(STATE_CODES) == 51
    assert len(set(STATE_CODES.values())) == 51
    assert STATE_CODES["District of Columbia"] == "DC"
    assert all(len(c) == 2 and c.isupper() for c in STATE_CODES.values())
    assert set(CODE_TO_STATE) >= AMBIGUOUS_CODES


@pytest.mark.parametrize("name", sorted(STATE_CODES))
def test_every_state_round_trips_through_name_code_and_answers(name):
    code = STATE_CODES[name]
    assert canonical_state(name) == name
    assert canonical_state(name.upper()) == name
    assert canonical_state(name.lower()) == name
    assert canonical_state(code) == name
    assert canonical_state(code.lower()) == name
    assert state_surface_forms(name) == [name, code]
    assert state_surface_forms(code) == [name, code]
    assert parse_state(name) == name
    assert parse_state(code) == name  # whole line = the code, ambiguous codes included
    assert parse_state(f"The company is incorporated in {name}.") == name
    assert parse_state(f"Springfield, {code} 12345") == name


# --------------------------------------------------------------------------------------------- canonical_state
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DE", "Delaware"),
        ("delaware", "Delaware"),
        ("  Delaware.  ", "Delaware"),
        ('"Delaware"', "Delaware"),
        ("State of Delaware", "Delaware"),
        ("the State of Delaware", "Delaware"),
        ("Commonwealth of Virginia", "Virginia"),
        ("commonwealth of massachusetts", "Massachusetts"),
        ("State/Commonwealth of Pennsylvania", "Pennsylvania"),
        ("State or Commonwealth of Kentucky", "Kentucky"),
        ("State of New   York", "New York"),
        ("New York State", "New York"),
        ("Washington State", "Washington"),
        ("Washington", "Washington"),
        ("Washington, D.C.", "District of Columbia"),
        ("Washington DC", "District of Columbia"),
        ("D.C.", "District of Columbia"),
        ("dc", "District of Columbia"),
        ("the District of Columbia", "District of Columbia"),
        ("N.Y.", "New York"),
        ("n.c.", "North Carolina"),
        ("West Virginia", "West Virginia"),
        ("Virginia", "Virginia"),
        # not a state
        ("", None),
        ("   ", None),
        ("York", None),
        ("Jersey", None),
        ("Carolina", None),
        ("Mexico", None),
        ("Ontario", None),
        ("US", None),
        ("PR", None),  # Puerto Rico is a territory, not a state
        ("a Delaware corporation", None),  # free text: parse_state's job
        ("Milpitas, CA", None),
        ("Delawar", None),
    ],
)
def test_canonical_state(text, expected):
    assert canonical_state(text) == expected


def test_canonical_state_rejects_non_strings():
    assert canonical_state(None) is None  # type: ignore[arg-type]
    assert canonical_state(12) is None  # type: ignore[arg-type]


def test_state_surface_forms_dc_and_error():
    assert state_surface_forms("Washington, D.C.") == ["District of Columbia", "DC"]
    with pytest.raises(ValueError, match="not a US state"):
        state_surface_forms("Ontario")


# --------------------------------------------------------------------------------------------- parse_state
@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        # clean and near-clean answers
        ("Delaware", "Delaware"),
        ("Delaware.", "Delaware"),
        ("delaware", "Delaware"),
        ("DELAWARE", "Delaware"),
        ("DE", "Delaware"),
        ("DE.", "Delaware"),
        ("**Delaware**", "Delaware"),
        (" Delaware", "Delaware"),
        ("The State of Delaware", "Delaware"),
        ("the state of delaware", "Delaware"),
        ("State/Commonwealth of Virginia", "Virginia"),
        ("Commonwealth of Massachusetts", "Massachusetts"),
        ("Answer: Nevada", "Nevada"),
        # phrases
        ("a Delaware corporation", "Delaware"),
        ("The company is a Delaware corporation.", "Delaware"),
        ("incorporated in Nevada in 2004", "Nevada"),
        ("The company was incorporated under the laws of the State of New York.", "New York"),
        ("It was organized as a Minnesota corporation in 1979.", "Minnesota"),
        ("Delaware-incorporated holding company", "Delaware"),
        ("Nevada's corporate law applies", "Nevada"),
        ("INCORPORATED IN NEVADA", "Nevada"),
        # first state named wins
        ("Delaware, with headquarters in California", "Delaware"),
        ("California (incorporated in Delaware)", "California"),
        ("Boston, Massachusetts", "Massachusetts"),
        ("New York, New York", "New York"),
        # look-alikes
        ("New York", "New York"),
        ("New Jersey", "New Jersey"),
        ("York", None),
        ("Jersey City", None),
        ("West Virginia", "West Virginia"),
        ("west virginia", "West Virginia"),
        ("Charleston, West Virginia", "West Virginia"),
        ("Virginia", "Virginia"),
        ("Roanoke, Virginia", "Virginia"),
        ("North Carolina", "North Carolina"),
        ("Carolina", None),
        ("Arkansas", "Arkansas"),
        ("Kansas", "Kansas"),
        ("New Mexico", "New Mexico"),
        ("Mexico", None),
        ("Indianapolis", None),
        ("Kansas City, Missouri", "Missouri"),
        ("Kansas City, Kansas", "Kansas"),
        ("123 Delaware Avenue, Buffalo, New York", "New York"),
        # Washington vs DC
        ("Washington", "Washington"),
        ("Seattle, Washington", "Washington"),
        ("Washington State", "Washington"),
        ("Washington, D.C.", "District of Columbia"),
        ("Washington D.C.", "District of Columbia"),
        ("Washington, DC 20001", "District of Columbia"),
        ("Washington DC", "District of Columbia"),
        ("District of Columbia", "District of Columbia"),
        ("D.C.", "District of Columbia"),
        # postal codes
        ("Milpitas, CA", "California"),
        ("San Mateo, CA 94403", "California"),
        ("Las Vegas, NV", "Nevada"),
        ("Denver, CO", "Colorado"),
        ("Indianapolis, IN 46204", "Indiana"),
        ("Portland, OR", "Oregon"),
        ("IN", "Indiana"),
        ("OK", "Oklahoma"),
        ("HI", "Hawaii"),
        ("It is a DE corporation", "Delaware"),
        ("NY-based", "New York"),
        ("N.Y.", "New York"),
        ("Raleigh, N.C.", "North Carolina"),
        # ambiguous codes as ordinary words, and codes that are not standalone uppercase tokens
        ("I am not sure, it could be one OR another", None),
        ("Based IN the filing, unknown", None),
        ("OK, I cannot tell", None),
        ("Hi there", None),
        ("ME TOO", None),
        ("The ACME CO. annual report", None),
        ("de", None),
        ("ca", None),
        ("The ID is 12", None),
        ("Smith, P.A.", None),
        ("L.A. based", None),
        ("USA", None),
        ("U.S.", None),
        ("CEO", None),
        # only the first non-blank line counts
        ("Delaware\nThe headquarters are in California.", "Delaware"),
        ("\n\nNevada\nDelaware", "Nevada"),
        ("I don't know.\nDelaware", None),
        # nothing
        ("", None),
        ("   \n  ", None),
        ("N/A", None),
        ("Not stated in the document.", None),
        ("Ontario, Canada", None),
    ],
)
def test_parse_state(answer, expected):
    assert parse_state(answer) == expected


def test_parse_state_non_string():
    assert parse_state(None) is None  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------- parse_year
@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("1998", "1998"),
        ("1998.", "1998"),
        ("In 1998.", "1998"),
        ("The company was incorporated on June 5, 1998.", "1998"),
        ("incorporated in Nevada in 2004", "2004"),
        ("October 1969", "1969"),
        ("1969-10-31", "1969"),
        ("10/31/1969", "1969"),
        ("FY2023", "2023"),
        ("founded in 1882 and incorporated in 1960", "1960"),  # the year of the incorporation verb (issue 11)
        ("1600", "1600"),
        ("2099", "2099"),
        ("1599", None),
        ("2100", None),
        ("12,500", None),
        ("1,998", None),
        ("12,1998", None),
        ("19980", None),
        ("119980", None),
        ("1998.5", None),
        ("the 1990s", None),
        ("the 1990's", None),
        ("5 employees", None),
        ("", None),
        ("unknown", None),
        ("It was 3 years ago, in 1995", "1995"),
    ],
)
def test_parse_year(answer, expected):
    assert parse_year(answer) == expected


# --------------------------------------------------------------------------------------------- parse_count
@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("12500", 12500),
        ("12,500", 12500),
        ("12500.", 12500),
        ("12,500.", 12500),
        ("1,901", 1901),
        ("1035", 1035),
        ("approximately 4,200 employees", 4200),
        ("approx. 12.5 thousand", 12500),
        ("12.5 thousand", 12500),
        ("12 thousand", 12000),
        ("2.3 million", 2300000),
        ("approximately 2.3 million employees", 2300000),
        ("2.3M", 2300000),
        ("1.2 M employees", 1200000),
        ("about 3k", 3000),
        ("3K employees", 3000),
        ("12.5k", 12500),
        ("~26,420", 26420),
        ("We had 7 employees.", 7),
        ("1,000,000", 1000000),
        ("12500.0", 12500),
        ("The 10-K reports 1,480 employees", 1480),
        ("As of December 31, 2022, we had 12,500 employees", 12500),  # the date is skipped (issue 11)
        ("5 Main Street", 5),  # "M" only counts as a multiplier when not followed by a letter
        ("12 kilometres", 12),
        ("seven", 7),
        ("Seven employees", 7),
        ("twelve thousand five hundred", 12500),
        ("forty-six", 46),
        ("one hundred and twenty", 120),
        ("one of the largest firms", None),  # a lone "one" is a pronoun, not a count
        ("none", None),
        ("", None),
        ("I don't know", None),
    ],
)
def test_parse_count(answer, expected):
    assert parse_count(answer) == expected


# --------------------------------------------------------------------------------------------- canonical_truth
@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        ("state", "Delaware", "Delaware"),
        ("state", "DE", "Delaware"),
        ("state", " delaware ", "Delaware"),
        ("state", "Commonwealth of Virginia", "Virginia"),
        ("state", "State of New York", "New York"),
        ("state", "Atlantis", None),
        ("state", 5, None),
        ("year", "1998", "1998"),
        ("year", 1998, "1998"),
        ("year", 1998.0, "1998"),
        ("year", "1998.0", "1998"),
        ("year", np.int64(1998), "1998"),
        ("year", np.float64(1998.0), "1998"),
        ("year", 1998.5, None),
        ("year", "1500", None),
        ("year", "nineteen", None),
        ("year", True, None),
        ("count", "12500", "12500"),
        ("count", "12,500", "12500"),
        ("count", 12500, "12500"),
        ("count", 12500.0, "12500"),
        ("count", "12500.0", "12500"),
        ("count", np.int64(7), "7"),
        ("count", "2.3 million", "2300000"),
        ("count", 0, "0"),
        ("count", -5, None),
        ("count", "-5", None),
        ("count", 12.5, None),
        ("count", "12,50", None),
        ("count", "about 12", None),
        ("count", math.inf, None),
    ],
)
def test_canonical_truth(kind, raw, expected):
    assert canonical_truth(kind, raw) == expected


@pytest.mark.parametrize("kind", ["state", "year", "count"])
@pytest.mark.parametrize("raw", [None, "", "   ", float("nan"), np.nan])
def test_canonical_truth_missing_is_none(kind, raw):
    assert canonical_truth(kind, raw) is None


def test_canonical_truth_pandas_missing_values():
    pd = pytest.importorskip("pandas")
    assert canonical_truth("count", pd.NA) is None
    assert canonical_truth("year", pd.NaT) is None


def test_unknown_kind_is_rejected():
    with pytest.raises(ValueError, match="unknown answer kind"):
        canonical_truth("colour", "red")
    with pytest.raises(ValueError, match="unknown answer kind"):
        parse_answer("colour", "red")
    with pytest.raises(ValueError, match="unknown answer kind"):
        answer_matches("colour", "red", "red")


# --------------------------------------------------------------------------------------------- parse_answer / answer_matches
@pytest.mark.parametrize(
    ("kind", "answer", "expected"),
    [
        ("state", "a Delaware corporation", "Delaware"),
        ("year", "In 1998.", "1998"),
        ("count", "approx. 12.5 thousand", "12500"),
        ("count", "none", None),
    ],
)
def test_parse_answer(kind, answer, expected):
    assert parse_answer(kind, answer) == expected


@pytest.mark.parametrize(
    ("kind", "answer", "truth", "tolerance", "expected"),
    [
        ("state", "DE", "Delaware", 0.0, True),
        ("state", "The State of Delaware", "DE", 0.0, True),
        ("state", "Virginia", "West Virginia", 0.0, False),
        ("state", "West Virginia", "Virginia", 0.0, False),
        ("state", "Washington, D.C.", "Washington", 0.0, False),
        ("state", "Washington", "Washington", 0.0, True),
        ("state", "York", "New York", 0.0, False),
        ("state", "New Jersey", "New York", 0.0, False),
        ("state", "Delaware", "", 0.0, False),  # no truth never matches
        ("year", "1998", "1998", 0.0, True),
        ("year", "Incorporated on June 5, 1998.", 1998.0, 0.0, True),
        ("year", "1999", "1998", 0.5, False),  # tolerance is for counts only
        ("count", "12,500", "12500", 0.0, True),
        ("count", "12.5 thousand", 12500, 0.0, True),
        ("count", "12,400", "12500", 0.0, False),
        ("count", "12,400", "12500", 0.01, True),
        ("count", "12,374", "12500", 0.01, False),
        ("count", "12,375", "12500", 0.01, True),  # |diff| = 125 = 1% of 12500, inclusive
        ("count", "0", "0", 0.0, True),
        ("count", "no idea", "12500", 0.5, False),
    ],
)
def test_answer_matches(kind, answer, truth, tolerance, expected):
    assert answer_matches(kind, answer, truth, count_tolerance=tolerance) is expected


def test_answer_matches_rejects_negative_tolerance():
    with pytest.raises(ValueError, match="count_tolerance"):
        answer_matches("count", "1", "1", count_tolerance=-0.1)


# --------------------------------------------------------------------------------------------- real data
def test_every_ground_truth_cell_of_the_shared_sample_is_canonical():
    path = EDGAR / "edgar_gt.csv"
    if not path.exists():
        pytest.skip(f"{path} not available")
    kinds = {
        "original_Inc_state_truth": "state",
        "original_Inc_year_truth": "year",
        "employee_count_truth": "count",
        "headquarters_state_truth": "state",
    }
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows
    for row in rows:
        for column, kind in kinds.items():
            assert canonical_truth(kind, row[column]) == row[column], (row["filename"], column)


def test_evidence_surfaces_of_the_shared_sample_parse_to_their_answers():
    """Each hand-quoted evidence surface ("Commonwealth of Virginia", "San Mateo, CA", "12,500") read as a
    model answer gives the ground-truth answer."""
    path = EDGAR / "evidence.jsonl"
    if not path.exists():
        pytest.skip(f"{path} not available")
    kinds = {
        "original_Inc_state_truth": "state",
        "original_Inc_year_truth": "year",
        "employee_count_truth": "count",
        "headquarters_state_truth": "state",
    }
    n = 0
    for line in path.read_text().splitlines():
        facts = json.loads(line)["facts"]
        for column, kind in kinds.items():
            fact = facts[column]
            assert parse_answer(kind, fact["surface"]) == canonical_truth(kind, fact["answer"]), fact
            assert answer_matches(kind, fact["surface"], fact["answer"])
            n += 1
    assert n >= 4 * 40
