"""Tests for the parts of data/synthetic/ that one filing is made of: template filling, number forms, the
layout of one filing and its self-check."""

from __future__ import annotations

import random
import re

import pytest

from data.synthetic.builder import BuiltFiling, build_filing
from data.synthetic.check import check_filing
from data.synthetic.context import FilingContext
from data.synthetic.plan import FilingPlan
from data.synthetic.vocabulary import INDUSTRIES
from data.synthetic.wording import count_forms, state_ref

PLAN = FilingPlan(inc="incorporated_in_state_of", hq="address_full", emp="full_time_only",
                  inc_state_cat="delaware", inc_depth="early", hq_depth="middle", emp_depth="late",
                  absent="none")


def _context(seed: str, industry: int = 0) -> FilingContext:
    return FilingContext(random.Random(seed), INDUSTRIES[industry], "Norvant Materials Inc.", "Norvant", 2023)


def _checked_filing(plan: FilingPlan = PLAN, target_chars: int = 8000) -> BuiltFiling:
    """The first draw of a filing that passes the self-check (as the corpus draws them)."""
    for attempt in range(40):
        built = build_filing(_context(f"parts:{attempt}"), plan, target_chars)
        if check_filing(built.lines, built.truth, "Norvant Materials Inc.") is None:
            return built
    raise AssertionError("no draw passed the self-check")


def test_fill_uses_distinct_words_within_a_template() -> None:
    ctx = _context("fill")
    for _ in range(20):
        words = ctx.fill("{product}|{product}|{product}").split("|")
        assert len(set(words)) == 3 and set(words) <= set(ctx.ind.products)
    assert "{" not in ctx.fill("We serve {customer} from {n_sites} {sites} in fiscal {fy}.")


def test_fill_rejects_an_unknown_placeholder() -> None:
    with pytest.raises(KeyError, match="no_such_field"):
        _context("fill").fill("A {no_such_field} here.")


def test_count_forms_and_formal_state_names() -> None:
    assert count_forms(12_500) == ["12,500", "12500", "12.5 thousand"]
    assert count_forms(2_300_000) == ["2,300,000", "2300000", "2.3 million"]
    assert count_forms(1_035) == ["1,035", "1035"]
    assert state_ref("Virginia", random.Random(0), True) == "the Commonwealth of Virginia"
    assert state_ref("Ohio", random.Random(0), True) == "the State of Ohio"


def test_built_filing_states_each_fact_in_a_tagged_line() -> None:
    built = _checked_filing()
    assert all(v is not None for v in built.truth.values())
    assert built.truth["inc_state"] == "Delaware"
    assert re.match(r"item 1", built.lines[0][0], re.I)
    assert sum(len(t) + 1 for t, _ in built.lines) >= 8000 * 0.8
    tagged = {key: [t for t, tags in built.lines if key in tags] for key in built.truth}
    assert any(f"{built.truth['inc_year']}" in t for t in tagged["inc_year"])
    assert any("full-time" in t for t in tagged["employees"])
    assert len(built.distractors) >= 3 and len(set(built.distractors)) == len(built.distractors)


def test_self_check_catches_a_leaked_value_and_a_missing_statement() -> None:
    built = _checked_filing()
    lines, truth = list(built.lines), built.truth
    year = truth["inc_year"]
    leaked = lines + [(f"In {year}, we opened a warehouse.", frozenset())]
    problem = check_filing(leaked, truth, "Norvant Materials Inc.")
    assert problem is not None and "inc_year" in problem and "outside its fact lines" in problem
    without = [(t, tags) for t, tags in lines if "employees" not in tags]
    problem = check_filing(without, truth, "Norvant Materials Inc.")
    assert problem is not None and "employees" in problem and "not stated" in problem
    problem = check_filing(lines, truth, "Ohio Materials Inc.")
    assert problem == "company name 'Ohio Materials Inc.' contains a state name"
