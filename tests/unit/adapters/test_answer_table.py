"""Answers as an instruct model writes them (full sentences, dates, postal codes) parse as a person reads them."""

from __future__ import annotations

import pytest

from adapters.answers import answer_matches, parse_answer

# (kind, answer as a chat model might write it, canonical reading)
INSTRUCT_ANSWERS = [
    # employee counts
    ("count", "As of December 31, 2022, we had approximately 12,500 employees.", "12500"),
    ("count", "As of 2022, 12,500", "12500"),
    ("count", "Approximately 12,500 employees", "12500"),
    ("count", "The company has approximately 12,500 full-time employees.", "12500"),
    ("count", "As of September 30, 2022, the Company had approximately 4,200 employees.", "4200"),
    ("count", "At December 10, 2022, the company employed 1,901 persons.", "1901"),
    ("count", "The company had 339 full-time and 1,562 part-time employees, for a total of 1,901.", "1901"),
    ("count", "The company has 39 offices in 20 countries with 11,203 employees.", "11203"),
    ("count", "Employees: 964 (as of October 1, 2022)", "964"),
    ("count", "12/31/2022: 26,420 associates", "26420"),
    ("count", "The company employs approximately 2.3 million associates worldwide.", "2300000"),
    ("count", "In fiscal 2023, total headcount was 11,000.", "11000"),
    ("count", "As of June 30, 2022, the Group had 58 employees.", "58"),
    ("count", "The company has seven employees.", "7"),
    ("count", "1035", "1035"),
    ("count", "About 3,700 employees as of December 31, 2015, of whom 3,500 were full-time.", "3700"),
    ("count", "As of 2023, there were 1,993 people working for the company.", "1993"),
    # incorporation years
    ("year", "Founded in 1882, incorporated in 1960", "1960"),
    ("year", "The company was incorporated in 1994.", "1994"),
    ("year", "It was incorporated on February 26, 1996, in the state of Washington.", "1996"),
    ("year", "The business was founded in 1882 and incorporated in the State of Delaware in 1960.", "1960"),
    ("year", "In 1986, EMCORE was established as a New Jersey corporation.", "1986"),
    ("year", "The company was organized under the laws of Nevada in 2004.", "2004"),
    ("year", "1979", "1979"),
    ("year", "It was formed in 1983 as a New York corporation; it opened its first restaurant in 1985.", "1983"),
    # incorporation states
    ("state", "The company was incorporated in Delaware.", "Delaware"),
    ("state", "Delaware", "Delaware"),
    ("state", "State of New York", "New York"),
    ("state", "The Commonwealth of Virginia.", "Virginia"),
    ("state", "It is a Nevada corporation.", "Nevada"),
    ("state", "NC", "North Carolina"),
    ("state", "The company is incorporated in the state of Washington.", "Washington"),
    # headquarters states
    ("state", "The company's headquarters are located in Boston, Massachusetts.", "Massachusetts"),
    ("state", "Milpitas, CA 95035", "California"),
    ("state", "Its principal executive offices are at 85 Fifth Avenue, New York, NY 10003.", "New York"),
    ("state", "Indianapolis, IN", "Indiana"),
    ("state", "Washington, D.C.", "District of Columbia"),
    ("state", "The headquarters are in Mount Airy, North Carolina.", "North Carolina"),
]


def test_the_table_is_large_and_holds_the_issue_cases():
    assert len(INSTRUCT_ANSWERS) >= 30
    got = {text: parse_answer(kind, text) for kind, text, _ in INSTRUCT_ANSWERS}
    assert got["As of December 31, 2022, we had approximately 12,500 employees."] == "12500"
    assert got["As of 2022, 12,500"] == "12500"
    assert got["Founded in 1882, incorporated in 1960"] == "1960"


@pytest.mark.parametrize(("kind", "answer", "expected"), INSTRUCT_ANSWERS)
def test_instruct_answer_parses_as_a_person_reads_it(kind, answer, expected):
    assert parse_answer(kind, answer) == expected
    assert answer_matches(kind, answer, expected)


@pytest.mark.parametrize(("answer", "question", "want"), [
    ("Although incorporated in Delaware, it is headquartered in California.", "hq_state", "California"),
    ("Although incorporated in Delaware, it is headquartered in California.", "inc_state", "Delaware"),
    ("The company is incorporated in Delaware and headquartered in California.", "hq_state", "California"),
    ("Our headquarters are in Austin, Texas; we were incorporated in Nevada.", "inc_state", "Nevada"),
    ("Delaware", "hq_state", "Delaware"),
    ("Texas or Oklahoma", "hq_state", "Texas"),  # no cue: the first state
])
def test_a_state_answer_is_read_for_its_question(answer, question, want):
    """Several states in one line: the one the line states for the question (without it: the first)."""
    assert parse_answer("state", answer, question) == want
    assert answer_matches("state", answer, want, question=question)


def test_without_a_question_the_first_state_wins():
    assert parse_answer("state", "Although incorporated in Delaware, it is headquartered in California.") == "Delaware"
