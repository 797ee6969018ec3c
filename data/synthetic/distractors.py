"""Distractors: sentences with other states, years and head-counts that a reader must not take for the facts.

Subsidiaries incorporated elsewhere, acquisitions, founding years, a former parent, facilities and segment
head offices in other states, a large customer's headquarters, layoffs, segment and union head-counts,
contractors and hires. They never contain a truth value (the context refuses reserved numbers and states).
"""

from __future__ import annotations

from adapters.answers import STATE_CODES
from data.synthetic.context import FilingContext
from data.synthetic.vocabulary import MONTHS, NAME_ENDINGS, NAME_STEMS
from data.synthetic.wording import article, state_ref

# The distractor kinds of each fact group.
DISTRACTOR_FAMILY = {
    "inc": ("subsidiary_state", "acquisition", "founding_year", "former_parent"),
    "hq": ("facility_state", "subsidiary_hq", "customer_hq"),
    "emp": ("layoff", "segment_headcount", "union", "contractors", "hires"),
}
# Where each distractor kind is placed (section keys; "segment" = per-segment subsections).
DISTRACTOR_HOMES: dict[str, tuple[str, ...]] = {
    "subsidiary_state": ("history", "corp_info", "overview", "segment"),
    "acquisition": ("history", "overview", "strategy", "corp_info"),
    "founding_year": ("history", "corp_info", "overview"),
    "former_parent": ("history", "corp_info", "overview"),
    "facility_state": ("operations", "overview", "corp_info", "segment"),
    "subsidiary_hq": ("corp_info", "overview", "segment", "operations"),
    "customer_hq": ("customers", "sales", "overview"),
    "layoff": ("human_capital", "human_capital", "overview", "operations"),
    "segment_headcount": ("human_capital", "human_capital", "segment"),
    "union": ("human_capital",),
    "contractors": ("human_capital", "operations"),
    "hires": ("human_capital",),
}


def draw_distractors(ctx: FilingContext, count: int | None) -> list[tuple[str, str]]:
    """Several distractor paragraphs (no kind twice) as (kind, text), in the order they were drawn."""
    r = ctx.rng
    drawn: list[tuple[str, str]] = []
    n_inc = r.randint(1, 2) + (r.random() < 0.4)
    wanted = (("inc", n_inc), ("hq", r.randint(1, 2)), ("emp", r.randint(1, 3)))
    for family, n_wanted in wanted:
        for _ in range(6 * n_wanted):
            if sum(k in DISTRACTOR_FAMILY[family] for k, _ in drawn) >= n_wanted:
                break
            if family == "inc":
                kind, text = _distractor_inc(ctx)
            elif family == "hq":
                kind, text = _distractor_hq(ctx)
            else:
                kind, text = _distractor_emp(ctx, count)
            if kind not in (k for k, _ in drawn):
                drawn.append((kind, text))
    return drawn


def _distractor_inc(ctx: FilingContext) -> tuple[str, str]:
    """Another state or year near incorporation: a subsidiary, an acquisition, a founding, a former parent."""
    r = ctx.rng
    kind = r.choice(("subsidiary_state", "subsidiary_state", "acquisition", "founding_year", "former_parent"))
    s, y = ctx.other_state(), ctx.year(1950, ctx.fy - 1)
    sub = ctx.pick(NAME_STEMS) + ctx.pick(NAME_ENDINGS)
    if kind == "subsidiary_state":
        text = r.choice((
            f"Our principal operating subsidiary, {sub} LLC, is {article(s)} {s} limited liability company "
            f"formed in {y}.",
            f"{sub}, Inc., our wholly owned subsidiary, was incorporated in {state_ref(s, r, False)} in {y}.",
            f"Our {ctx.pick(ctx.ind.segments)} business is conducted through {sub} Corp., {article(s)} {s} "
            f"corporation organized in {y}.",
        ))
    elif kind == "acquisition":
        founded = ctx.year(1940, y - 1) if y > 1941 else y
        text = (f"In {y}, we acquired {ctx.other_company('Inc.')}, {article(s)} {s} company founded in "
                f"{founded}, which expanded our offering of {ctx.pick(ctx.ind.products)}.")
    elif kind == "founding_year":
        lo = 1880
        hi = (ctx.inc_year - 1) if ctx.inc_year else ctx.fy - 10
        fy0 = ctx.year(lo, max(hi, lo + 1))
        text = (f"Our history dates back to {fy0}, when {ctx.person()} opened a small "
                f"{ctx.pick(ctx.ind.facilities)} in {ctx.city(s)}, {s}.")
    else:
        text = (f"Before our initial public offering in {y}, we were a subsidiary of "
                f"{ctx.other_company('Corporation')}, {article(s)} {s} corporation.")
    return kind, text


def _distractor_hq(ctx: FilingContext) -> tuple[str, str]:
    """Offices in another state: a facility, a segment's head office, a large customer's headquarters."""
    r = ctx.rng
    kind = r.choice(("facility_state", "facility_state", "subsidiary_hq", "customer_hq"))
    s = ctx.other_state()
    city = ctx.city(s)
    if kind == "facility_state":
        text = r.choice((
            f"We also operate a {ctx.pick(ctx.ind.facilities)} in {city}, {s}, and a "
            f"{ctx.pick(ctx.ind.facilities)} in {ctx.other_city()}.",
            f"Our largest {ctx.pick(ctx.ind.facilities)} is located in {city}, {s}.",
            f"In fiscal {ctx.fy}, we opened a regional office in {city}, {STATE_CODES[s]} {ctx.zip_code(s)}.",
        ))
    elif kind == "subsidiary_hq":
        text = (f"Our {ctx.pick(ctx.ind.segments)} segment is managed from its own headquarters in {city}, "
                f"{s}, which it shares with our shared services center.")
    else:
        text = (f"We have a multi-year supply agreement with one of our largest customers, which is "
                f"headquartered in {city}, {s}.")
    return kind, text


def _distractor_emp(ctx: FilingContext, count: int | None) -> tuple[str, str]:
    """A head-count that is not the total: layoffs, a segment's or union's share, contractors, hires."""
    r = ctx.rng
    base = count or r.randint(300, 20000)
    kind = r.choice(("layoff", "segment_headcount", "union", "contractors", "hires"))
    if kind == "layoff":
        n = ctx.number(max(base // 40, 5), max(base // 8, 10))
        text = (f"In {ctx.pick(MONTHS)} {ctx.fy}, we reduced our workforce by approximately {n} positions "
                f"as part of a restructuring of our {ctx.pick(ctx.ind.segments)} operations.")
    elif kind == "segment_headcount":
        a = ctx.number(max(base // 5, 3), max(base // 3, 6))
        b = ctx.number(max(base // 8, 2), max(base // 5, 4))
        segs = list(ctx.ind.segments) + ["corporate"]
        s1, s2 = r.sample(segs[:-1], 2) if len(segs) > 2 else (segs[0], "corporate")
        text = (f"Of our employees, approximately {a} work in our {s1} segment and approximately {b} in our "
                f"{s2} segment, with the remainder in corporate and shared functions.")
    elif kind == "union":
        n = ctx.number(max(base // 20, 2), max(base // 4, 4))
        text = f"Approximately {n} of our employees are covered by collective bargaining agreements."
    elif kind == "contractors":
        n = ctx.number(max(base // 30, 5), max(base // 6, 10))
        text = (f"In addition to our employees, we engaged approximately {n} independent contractors and "
                "temporary workers.")
    else:
        n = ctx.number(max(base // 15, 5), max(base // 4, 10))
        text = f"We hired approximately {n} new employees during fiscal {ctx.fy}."
    return kind, text
