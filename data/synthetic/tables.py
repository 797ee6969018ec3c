"""Structured pieces of a filing: tables and executive officers, one cell per line as in EDGAR extracts."""

from __future__ import annotations

from data.synthetic.context import FilingContext
from data.synthetic.vocabulary import OFFICER_TITLES
from data.synthetic.wording import with_commas


def facility_table(ctx: FilingContext) -> list[str]:
    """The properties table: location, use, square feet, owned or leased (3 to 6 rows)."""
    lines = ["Location", "Principal Use", "Approximate Square Feet", "Owned or Leased"]
    for _ in range(ctx.rng.randint(3, 6)):
        lines += [ctx.other_city(), ctx.pick(ctx.ind.facilities).capitalize(),
                  ctx.number(15, 600, lambda n: with_commas(n * 1000)), ctx.pick(("Owned", "Leased"))]
    return lines


def segment_table(ctx: FilingContext) -> list[str]:
    """Revenue by segment; the shares add up to 100%."""
    lines = ["Segment", f"Fiscal {ctx.fy} Revenue (in millions)", "Percent of Total"]
    segs = ctx.ind.segments
    for _ in range(200):
        weights = [ctx.rng.uniform(0.5, 3.0) for _ in segs]
        pcts = [round(100 * w / sum(weights)) for w in weights]
        pcts[0] += 100 - sum(pcts)
        cells = [(f"${ctx.revenue_m * p / 100:,.1f}", f"{p}%") for p in pcts]
        if all(p > 0 for p in pcts) and all(ctx.clean(a) and ctx.clean(b) for a, b in cells):
            break
    for seg, (revenue, pct) in zip(segs, cells, strict=True):
        lines += [seg, revenue, pct]
    return lines


def officer_lines(ctx: FilingContext) -> list[str]:
    """The executive officers table (name, age, position), then one biography line per officer."""
    lines = ["Name", "Age", "Position"]
    bios = []
    titles = ["President and Chief Executive Officer"] + ctx.rng.sample(OFFICER_TITLES, ctx.rng.randint(2, 5))
    for title in titles:
        name = ctx.person()
        lines += [name, ctx.number(38, 71, str), title]
        since = ctx.year(ctx.fy - 15, ctx.fy - 1)
        prior = ctx.year(since - 12, since - 2)
        bios.append(f"{name} has served as our {title} since {since}. Before joining {ctx.short}, "
                    f"{name.split()[0]} held senior positions at {ctx.other_company()} from {prior} to "
                    f"{since}.")
    return lines + bios
