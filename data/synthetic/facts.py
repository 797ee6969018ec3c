"""The four facts of one filing: their truth values and the sentences that state them.

The truth values are drawn first and reserved in the context (no other text may contain them); then
each fact is written in its planned phrasing style, or, in a row whose fact is absent, replaced by text
the ground truth does not accept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from adapters.answers import STATE_CODES
from data.synthetic.context import FilingContext, Line
from data.synthetic.plan import FilingPlan
from data.synthetic.vocabulary import COMMONWEALTHS, HQ_WEIGHTS, MONTHS, NAME_ENDINGS, NAME_STEMS, STATES
from data.synthetic.wording import article, state_ref, with_commas


@dataclass(frozen=True)
class Facts:
    """A filing's truth values (None = not stated) and the lines that state them, per fact group."""

    truth: dict[str, str | None]
    count: int  # the drawn head-count (drawn even when the row leaves it out)
    descriptor: str  # what the company is ("a medical technology company")
    lines: dict[str, list[Line]]  # "inc" / "hq" / "emp" -> the fact lines (or their absent replacements)


def draw_facts(ctx: FilingContext, plan: FilingPlan) -> Facts:
    """Draw the truth values, reserve them in ``ctx`` and write the sentences that state them."""
    inc_state, inc_year, count, hq_state = _draw_values(ctx, plan)
    truth: dict[str, str | None] = {
        "inc_state": inc_state, "inc_year": str(inc_year), "employees": str(count), "hq_state": hq_state,
    }
    if plan.absent == "reincorporated":
        truth["inc_state"] = truth["inc_year"] = None
    elif plan.absent != "none":
        truth[plan.absent] = None
    _reserve(ctx, truth, inc_year, count)
    ctx.revenue_m = count * ctx.rng.uniform(0.12, 0.45)
    descriptor = ctx.pick(ctx.ind.descriptors)
    absent = plan.absent
    if absent in ("inc_state", "inc_year", "reincorporated"):
        inc_lines = _absent_lines(ctx, absent, truth, descriptor)
    else:
        inc_lines = _inc_fact_lines(ctx, plan.inc, inc_state, inc_year, descriptor)
    hq_lines = (_absent_lines(ctx, "hq_state", truth, descriptor) if absent == "hq_state"
                else [_hq_fact_line(ctx, plan.hq, hq_state, descriptor)])
    emp_lines = (_absent_lines(ctx, "employees", truth, descriptor) if absent == "employees"
                 else [_emp_fact_line(ctx, plan.emp, count)])
    return Facts(truth, count, descriptor, {"inc": inc_lines, "hq": hq_lines, "emp": emp_lines})


def _draw_values(ctx: FilingContext, plan: FilingPlan) -> tuple[str, int, int, str]:
    """(state of incorporation, year of incorporation, head-count, headquarters state)."""
    r = ctx.rng
    hq_state = r.choices(list(HQ_WEIGHTS), list(HQ_WEIGHTS.values()))[0]
    cat = plan.inc_state_cat
    if cat == "delaware":
        inc_state = "Delaware"
    elif cat == "nevada":
        inc_state = "Nevada"
    elif cat == "home":
        inc_state = hq_state
    elif cat == "commonwealth":
        inc_state = r.choice(sorted(COMMONWEALTHS))
    else:
        inc_state = r.choice(STATES)
    inc_year = _choose_inc_year(ctx)
    count = _choose_count(ctx, plan.emp)
    return inc_state, inc_year, count, hq_state


def _reserve(ctx: FilingContext, truth: dict[str, str | None], inc_year: int, count: int) -> None:
    """Register the stated truth values in ``ctx`` so no other text uses them."""
    for key in ("inc_state", "hq_state"):
        state = truth[key]
        if state:
            ctx.truth_states.add(state)
    if truth["inc_year"]:
        ctx.reserve_year(inc_year)
    if truth["employees"]:
        ctx.reserve_count(count)


def _choose_count(ctx: FilingContext, style: str) -> int:
    """A head-count for ``style`` (never a plausible year, so it cannot be mistaken for one)."""
    rng = ctx.rng
    if style == "million":
        return rng.randint(11, 24) * 100_000
    if style == "no_comma":
        while True:
            n = rng.randint(1000, 9999)
            if not 1600 <= n <= 2099:
                return n
    while True:
        n = int(math.exp(rng.uniform(math.log(35), math.log(250_000))))
        if n >= 1000 and rng.random() < 0.6:  # real filings round larger head-counts
            n = round(n, -2 if n < 100_000 else -3)
        if not 1600 <= n <= 2099 and n not in (401,):
            return n


def _choose_inc_year(ctx: FilingContext) -> int:
    """A year of incorporation at least three years before the fiscal year (not 1933/1934)."""
    rng = ctx.rng
    decade = rng.choices((1900, 1920, 1950, 1970, 1980, 1990, 2000, 2010), (2, 2, 3, 5, 8, 9, 7, 4))[0]
    while True:
        y = rng.randint(decade, decade + 9)
        if y <= ctx.fy - 3 and y not in (1933, 1934):
            return y
        decade = rng.choice((1970, 1980, 1990))


def _inc_fact_lines(ctx: FilingContext, style: str, state: str, year: int, descriptor: str) -> list[Line]:
    """Sentence(s) stating the state and year of incorporation, in one of INC_STYLES."""
    r, co, month = ctx.rng, ctx.short, ctx.pick(MONTHS)
    day = r.randint(1, 28)
    both = frozenset({"inc_state", "inc_year"})
    if style == "incorporated_in_state_of":
        s = f"{co} was incorporated in {state_ref(state, r, True)} in {year}."
    elif style == "organized_under_laws":
        s = f"We were organized under the laws of {state_ref(state, r, False)} in {year}."
    elif style == "corporation_formed_in":
        s = f"{ctx.company}, {article(state)} {state} corporation formed in {year}, is {descriptor}."
    elif style == "incorporated_under_laws_on_date":
        where = state_ref(state, r, True)
        s = f"The Company was incorporated under the laws of {where} on {month} {day}, {year}."
    elif style == "established_as_corporation":
        s = (f"{co} was established in {year} as {article(state)} {state} corporation and has grown through "
             "internal development and acquisitions.")
    elif style == "founded_as_corporation":
        s = f"{co} was founded as {article(state)} {state} corporation in {year} by {ctx.person()}."
    elif style == "former_name":
        renamed = ctx.year(year + 1, ctx.fy - 1)
        old = ctx.pick(NAME_STEMS) + ctx.pick(NAME_ENDINGS)
        old += " " + ctx.pick(("Ventures", "Industries", "Enterprises"))
        s = (f"We were originally incorporated in {state} in {year} under the name {old}, Inc., and changed "
             f"our name to {ctx.company} in {renamed}.")
    elif style == "is_corporation_incorporated_month":
        s = f"{co} is {article(state)} {state} corporation that was incorporated in {month} {year}."
    elif style == "year_then_laws":
        s = f"The Company was incorporated in {year} under the laws of {state_ref(state, r, False)}."
    elif style == "formed_as_corporation_on":
        s = f"{co} was formed as {article(state)} {state} corporation on {month} {day}, {year}."
    elif style == "holding_company":
        s = f"{ctx.company} is a holding company incorporated in {state} in {year}."
    elif style == "split_sentences":
        return [
            (f"{ctx.company}, {article(state)} {state} corporation, is {descriptor}.",
             frozenset({"inc_state"})),
            (f"The Company was incorporated in {month} {year}.", frozenset({"inc_year"})),
        ]
    else:
        raise ValueError(f"unknown incorporation style {style!r}")
    return [(s, both)]


def _hq_fact_line(ctx: FilingContext, style: str, state: str, descriptor: str) -> Line:
    """A sentence stating where the principal executive offices are, in one of HQ_STYLES."""
    city, code, co = ctx.city(state), STATE_CODES[state], ctx.short
    tags = frozenset({"hq_state"})
    area = ctx.number(201, 989, str)
    phone = f"({area}) 555-{ctx.number(100, 199, lambda n: f'{n:04d}')}"
    if style == "address_full":
        s = (f"Our principal executive offices are located at {ctx.street()}, {city}, {state} "
             f"{ctx.zip_code(state)}, and our telephone number is {phone}.")
    elif style == "headquartered_in":
        s = f"We are headquartered in {city}, {state}."
    elif style == "hq_postal":
        s = f"Our corporate headquarters is located in {city}, {code} {ctx.zip_code(state)}."
    elif style == "address_postal":
        s = (f"Our principal executive offices are located at {ctx.street()}, Suite "
             f"{ctx.number(100, 990, str)}, {city}, {code} {ctx.zip_code(state)}.")
    elif style == "is_headquartered":
        s = f"{co} is {descriptor} headquartered in {city}, {state}."
    elif style == "principal_offices_lease":
        sqft = ctx.number(20, 400, lambda n: with_commas(n * 1000))
        s = (f"Our principal offices are located in {city}, {state}, where we lease approximately {sqft} "
             "square feet.")
    elif style == "corporate_office":
        s = f"Our corporate office is located at {ctx.street()} in {city}, {state}."
    elif style == "hq_and_executive_offices":
        s = f"The Company's headquarters and principal executive offices are located in {city}, {state}."
    else:
        raise ValueError(f"unknown headquarters style {style!r}")
    return (s, tags)


def _emp_fact_line(ctx: FilingContext, style: str, count: int) -> Line:
    """A sentence stating the total head-count, in one of EMP_STYLES (some carry subset/prior counts)."""
    r, tags = ctx.rng, frozenset({"employees"})
    asof = f"As of {ctx.date(ctx.fy)}"
    noun = ctx.pick(ctx.ind.workforce)
    if style == "full_time_only":
        s = f"{asof}, we had approximately {with_commas(count)} full-time {noun}."
    elif style == "total_then_split":
        ft = int(count * r.uniform(0.55, 0.85))
        while not (ctx.clean(with_commas(ft)) and ctx.clean(with_commas(count - ft))):
            ft -= 1
        s = (f"{asof}, we employed {with_commas(count)} persons, of whom {with_commas(ft)} were full-time "
             f"and {with_commas(count - ft)} were part-time.")
    elif style == "million":
        word = ctx.pick(("associates", "employees"))
        s = f"{asof}, we had approximately {count / 1_000_000:g} million {word} worldwide."
    elif style == "total_with_subset":
        us = ctx.number(int(count * 0.4) or 1, max(int(count * 0.8), 2))
        s = (f"At {ctx.date(ctx.fy)}, our workforce consisted of {with_commas(count)} {noun}, including {us} "
             "in the United States.")
    elif style == "no_comma":
        s = f"We had {count} {noun} as of {ctx.date(ctx.fy)}."
    elif style == "prior_year":
        prev = ctx.number(int(count * 0.8) or 1, max(int(count * 1.15), 2))
        s = (f"{asof}, {ctx.short} and its subsidiaries employed approximately {with_commas(count)} "
             f"people, compared with approximately {prev} a year earlier.")
    elif style == "headcount_fiscal":
        s = f"Our total headcount was {with_commas(count)} at the end of fiscal {ctx.fy}."
    elif style == "across_countries":
        s = f"We employ approximately {with_commas(count)} {noun} across {ctx.number(3, 40, str)} countries."
    elif style == "none_unionized":
        s = f"{asof}, we had {with_commas(count)} {noun}, none of whom are represented by a labor union."
    elif style == "workforce_noun":
        word = ctx.pick(("team members", "associates", "employees"))
        s = f"{asof}, our team consisted of approximately {with_commas(count)} {word}."
    else:
        raise ValueError(f"unknown employee style {style!r}")
    return (s, tags)


def _absent_lines(
    ctx: FilingContext, kind: str, truth: dict[str, str | None], descriptor: str
) -> list[Line]:
    """Text for a row whose fact is missing or stated in a way the ground truth does not accept."""
    none: frozenset[str] = frozenset({f"absent:{kind}"})
    if kind == "inc_state":  # year only
        return [(f"The Company was incorporated in {truth['inc_year']}.", frozenset({"inc_year"}))]
    if kind == "inc_year":  # state only, and a founding year (not an incorporation year)
        founded = ctx.year(1920, ctx.fy - 5)
        return [(f"{ctx.short} is {article(truth['inc_state'] or '')} {truth['inc_state']} corporation.",
                 frozenset({"inc_state"})),
                (f"The business was founded in {founded} by {ctx.person()}.", none)]
    if kind == "reincorporated":  # two states and years: the strict truth leaves both out
        s1, s2 = ctx.other_state(), ctx.other_state()
        while s2 == s1:
            s2 = ctx.other_state()
        y1 = ctx.year(1930, ctx.fy - 20)
        y2 = ctx.year(y1 + 2, ctx.fy - 3)
        return [(f"{ctx.short} was originally incorporated in {s1} in {y1} and reincorporated in {s2} in "
                 f"{y2}.", none)]
    if kind == "employees":
        if ctx.rng.random() < 0.5:
            return [(f"As of {ctx.date(ctx.fy)}, we had {ctx.number(200, 4000)} full-time employees and "
                     f"{ctx.number(40, 900)} part-time employees.", none)]
        return [(f"As of {ctx.date(ctx.fy)}, we had approximately {ctx.number(150, 9000)} full-time "
                 "equivalent employees.", none)]
    if kind == "hq_state":
        if ctx.rng.random() < 0.5:
            s = ctx.other_state()
            ctx.avoid_states.add(s)
            return [(f"We are based in {ctx.city(s)}, {s}.", none)]
        return [("We conduct our operations through offices and facilities described below.", none)]
    raise ValueError(f"unknown absent kind {kind!r}")


