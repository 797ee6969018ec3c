"""Lay out one filing: the opening, the sections that carry the facts, distractors, filler up to a length.

The steps of :func:`build_filing` run in a fixed order and draw from the filing's one random source, so
the same context and plan always give the same lines:

1. the facts (truth values and their sentences);
2. the opening: the Item 1 heading, a preamble, the overview (with the facts placed "early");
3. carrier sections for the "middle" and "late" facts, and the human capital section;
4. distractor paragraphs;
5. closing sections: executive officers, available information;
6. filler sections (one paragraph each, a facility table) and then more paragraphs and per-segment
   subsections until the target length is reached;
7. assembly: distractors go into sections where such a sentence belongs, carriers are inserted at the
   section boundary nearest their target depth.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from data.synthetic.context import FilingContext, Line
from data.synthetic.distractors import DISTRACTOR_HOMES, draw_distractors
from data.synthetic.facts import Facts, draw_facts
from data.synthetic.plan import FilingPlan
from data.synthetic.tables import facility_table, officer_lines, segment_table
from data.synthetic.templates import FILLER_ORDER, HC_SUBHEADINGS, HEADINGS, LARGE_POOLS, SEGMENT_TOPICS

NO_TAGS: frozenset[str] = frozenset()


@dataclass(frozen=True)
class BuiltFiling:
    """The lines of one filing with its truth values and the kinds of distractors it contains."""

    lines: list[Line]
    truth: dict[str, str | None]
    distractors: list[str]


@dataclass
class _Section:
    lines: list[Line]

    @property
    def size(self) -> int:
        return sum(len(t) + 1 for t, _ in self.lines)


@dataclass
class _Draft:
    """A filing being laid out; ``total`` is the running length estimate the filler steps compare."""

    ctx: FilingContext
    target: int
    opening: list[Line] = field(default_factory=list)
    overview: list[Line] = field(default_factory=list)
    carriers: list[tuple[float, _Section]] = field(default_factory=list)  # (target depth, section)
    human_capital: _Section = field(default_factory=lambda: _Section([]))
    hq_in_available_info: bool = False
    distractors: list[tuple[str, str]] = field(default_factory=list)  # (kind, text)
    closing: list[_Section] = field(default_factory=list)
    filler_names: list[str] = field(default_factory=list)
    filler: dict[str, _Section] = field(default_factory=dict)
    segments: dict[str, _Section] = field(default_factory=dict)  # per-segment subsection blocks
    segment_topics: dict[str, list[str]] = field(default_factory=dict)  # topics a segment has left
    total: int = 0


def build_filing(ctx: FilingContext, plan: FilingPlan, target_chars: int) -> BuiltFiling:
    """Lay out one filing's lines for ``plan``, about ``target_chars`` characters long."""
    facts = draw_facts(ctx, plan)
    draft = _Draft(ctx, target_chars)
    _write_opening(draft, plan, facts)
    _add_fact_carriers(draft, plan, facts)
    _add_human_capital(draft, plan, facts)
    draft.distractors = draw_distractors(ctx, facts.count)
    _add_closing(draft)
    _start_filler(draft)
    _grow_to_target(draft)
    lines = _assemble(draft)
    return BuiltFiling(lines, facts.truth, [kind for kind, _ in draft.distractors])


def _untagged(texts: Sequence[str]) -> list[Line]:
    return [(t, NO_TAGS) for t in texts]


def _length(lines: Sequence[Line]) -> int:
    return sum(len(t) + 1 for t, _ in lines)


def _write_opening(draft: _Draft, plan: FilingPlan, facts: Facts) -> None:
    """Item heading, preamble and overview; the overview carries the facts placed "early"."""
    ctx, r, ind = draft.ctx, draft.ctx.rng, draft.ctx.ind
    head = r.choice((["Item 1.", "Business"], ["Item 1. Business"], ["ITEM 1. BUSINESS"],
                     ["Item 1. Business."]))
    draft.opening = _untagged(head)
    if r.random() < 0.6:
        preamble = (f"Unless the context requires otherwise, the terms \"{ctx.short},\" \"the Company,\" "
                    f"\"we,\" \"us\" and \"our\" refer to {ctx.company} and its consolidated subsidiaries.")
        draft.opening.append((preamble, NO_TAGS))
    overview: list[Line] = [(ctx.pick(HEADINGS["overview"]), NO_TAGS)]
    descriptor = facts.descriptor
    intro = r.choice((  # all three are drawn, then one is chosen
        f"{ctx.company} (\"{ctx.short}\" or the \"Company\") is {descriptor}.",
        f"{ctx.short} is {descriptor} serving {' and '.join(r.sample(ind.customers, 2))}.",
        f"We are {descriptor}. We {ctx.pick(ind.verbs)} {ctx.pick(ind.products)} for "
        f"{ctx.pick(ind.customers)}.",
    ))
    overview.append((intro + " " + ctx.paragraph("overview", 1, 3), NO_TAGS))
    for group in ("inc", "hq", "emp"):
        if plan.depth(group) == "early":
            overview.extend(facts.lines[group])
    overview.append((ctx.paragraph("overview", 2, 4), NO_TAGS))
    draft.overview = overview


def _depth_fraction(r: random.Random, depth: str) -> float:
    """Where in the text a "middle" or "late" section should start (fraction of the length)."""
    return r.uniform(0.3, 0.62) if depth == "middle" else r.uniform(0.72, 0.98)


def _carrier(draft: _Draft, heading_key: str, lines: list[Line], extra_pool: str | None) -> _Section:
    """A section under a ``heading_key`` heading holding fact lines (and, in long filings, a paragraph)."""
    ctx = draft.ctx
    body: list[Line] = [(ctx.pick(HEADINGS[heading_key]), NO_TAGS)]
    body.extend(lines)
    if extra_pool and draft.target > 12000:
        body.append((ctx.paragraph(extra_pool, 2, 4), NO_TAGS))
    return _Section(body)


def _add_fact_carriers(draft: _Draft, plan: FilingPlan, facts: Facts) -> None:
    """Sections for incorporation and headquarters facts that are not "early" (one section when merged)."""
    r = draft.ctx.rng
    inc_depth, hq_depth = plan.depth("inc"), plan.depth("hq")
    if inc_depth == hq_depth != "early" and r.random() < 0.5:
        at = _depth_fraction(r, inc_depth)
        both = facts.lines["inc"] + facts.lines["hq"]
        draft.carriers.append((at, _carrier(draft, "corp_info", both, None)))
        return
    if inc_depth != "early":
        at = _depth_fraction(r, inc_depth)
        draft.carriers.append((at, _carrier(draft, "history", facts.lines["inc"], None)))
    if hq_depth != "early":
        draft.hq_in_available_info = r.random() < 0.5
        key = "available_info" if draft.hq_in_available_info else "corp_info"
        at = _depth_fraction(r, hq_depth)
        extra = key if draft.hq_in_available_info else None
        draft.carriers.append((at, _carrier(draft, key, facts.lines["hq"], extra)))


def _add_human_capital(draft: _Draft, plan: FilingPlan, facts: Facts) -> None:
    """The human capital section always exists; it states the count only when the count is not early."""
    ctx, r = draft.ctx, draft.ctx.rng
    emp_depth = plan.depth("emp")
    hc = _Section([(ctx.pick(HEADINGS["human_capital"]), NO_TAGS)])
    if emp_depth != "early":
        hc.lines.extend(facts.lines["emp"])
    hc.lines.append((ctx.paragraph("human_capital", 2, 4), NO_TAGS))
    at = _depth_fraction(r, emp_depth) if emp_depth != "early" else r.uniform(0.5, 0.95)
    draft.carriers.append((at, hc))
    draft.human_capital = hc


def _add_closing(draft: _Draft) -> None:
    """Executive officers (longer filings) and available information (unless it carries the address)."""
    ctx, r = draft.ctx, draft.ctx.rng
    if draft.target > 9000 or r.random() < 0.3:
        draft.closing.append(_Section(_untagged([ctx.pick(HEADINGS["execs"])] + officer_lines(ctx))))
    if not draft.hq_in_available_info:
        draft.closing.append(_Section(_untagged([ctx.pick(HEADINGS["available_info"]),
                                                 ctx.paragraph("available_info", 2, 4)])))


def _start_filler(draft: _Draft) -> None:
    """Pick the filler sections and give them one paragraph each (in random order) while text is short."""
    ctx, r = draft.ctx, draft.ctx.rng
    draft.total = (_length(draft.opening + draft.overview) + sum(s.size for _, s in draft.carriers)
                   + sum(len(t) + 1 for _, t in draft.distractors) + sum(s.size for s in draft.closing))
    names = [n for n in FILLER_ORDER if r.random() < 0.75] or ["products"]
    sections = {n: _Section([(ctx.pick(HEADINGS[n]), NO_TAGS)]) for n in names}
    order = list(names)
    r.shuffle(order)
    for n in order:
        if draft.total >= draft.target:
            break
        sections[n].lines.append((ctx.paragraph(n), NO_TAGS))
        draft.total += sections[n].size  # heading + first paragraph (sections left empty are dropped)
    if "operations" in sections and draft.total < draft.target and r.random() < 0.7:
        table = _untagged(facility_table(ctx))
        sections["operations"].lines.extend(table)
        draft.total += _length(table)
    draft.filler_names, draft.filler = names, sections


def _grow_to_target(draft: _Draft) -> None:
    """Add per-segment subsections and paragraphs until the text reaches its target length."""
    ctx, r = draft.ctx, draft.ctx.rng
    growable = dict(draft.filler)
    growable["human_capital"] = draft.human_capital
    while draft.total < draft.target:
        open_segments = [sg for sg in ctx.ind.segments if draft.segment_topics.get(sg, SEGMENT_TOPICS)]
        if open_segments and r.random() < 0.3:
            _add_segment_topic(draft, r.choice(open_segments))
            continue
        # Sections whose pool still has unused sentences first; once every pool is used up (the longest
        # filings), the large pools take more paragraphs with fresh fills.
        fresh = [n for n in sorted(growable) if ctx.fresh(n) >= 3]
        n = r.choice(fresh or [n for n in LARGE_POOLS if n in growable] or sorted(growable))
        if n == "human_capital" and r.random() < 0.5 and ctx.fresh(n) >= 3:
            subheading = r.choice(HC_SUBHEADINGS)
            draft.human_capital.lines.append((subheading, NO_TAGS))
            draft.total += len(subheading) + 1
        para = ctx.paragraph(n, 3, 6)
        growable[n].lines.append((para, NO_TAGS))
        draft.total += len(para) + 1


def _add_segment_topic(draft: _Draft, seg: str) -> None:
    """One more subsection (a topic the segment has not had yet) in segment ``seg``'s block."""
    ctx, r = draft.ctx, draft.ctx.rng
    if seg not in draft.segments:
        draft.segments[seg] = _Section([(seg, NO_TAGS)])
        draft.segment_topics[seg] = list(SEGMENT_TOPICS)
    topics = draft.segment_topics[seg]
    topic = topics.pop(r.randrange(len(topics)))
    ctx.segment = seg  # "{segment}" in the templates now names this segment
    added = [(ctx.pick(HEADINGS[topic]), NO_TAGS), (ctx.paragraph(topic, 3, 6), NO_TAGS)]
    ctx.segment = None
    draft.segments[seg].lines.extend(added)
    draft.total += _length(added)


def _assemble(draft: _Draft) -> list[Line]:
    """The filing's lines: opening, body, closing; distractors and carriers put in place."""
    body = _body(draft)
    first = _Section(draft.opening + draft.overview)
    _place_distractors(draft, first)
    ordered = _insert_carriers([first] + body + draft.closing, draft.carriers)
    return [ln for s in ordered for ln in s.lines]


def _body(draft: _Draft) -> list[_Section]:
    """Reportable segments (table and subsections) when there are any, then the non-empty filler sections."""
    ctx = draft.ctx
    ind = ctx.ind
    body: list[_Section] = []
    if draft.segments:
        intro = (f"We manage our business through {len(ind.segments)} reportable segments: "
                 f"{', '.join(ind.segments[:-1])} and {ind.segments[-1]}.")
        body.append(_Section([("Reportable Segments", NO_TAGS), (intro, NO_TAGS)]
                             + _untagged(segment_table(ctx))))
        body.extend(draft.segments.values())
    body.extend(draft.filler[n] for n in draft.filler_names if len(draft.filler[n].lines) > 1)
    return body


def _place_distractors(draft: _Draft, first: _Section) -> None:
    """Put each distractor paragraph into a section where such a sentence belongs (after its heading)."""
    r = draft.ctx.rng
    named: dict[str, list[_Section]] = {"overview": [first], "human_capital": [draft.human_capital],
                                        "segment": list(draft.segments.values())}
    for n in draft.filler_names:
        if len(draft.filler[n].lines) > 1:
            named[n] = [draft.filler[n]]
    for _, sec in draft.carriers:
        heading = sec.lines[0][0]
        for key in ("history", "corp_info", "available_info"):
            if heading in HEADINGS[key]:
                named.setdefault(key, []).append(sec)
    for kind, text in draft.distractors:
        options = [sec for key in DISTRACTOR_HOMES[kind] for sec in named.get(key, [])]
        sec = r.choice(options or [first])
        # After the section heading; in the opening, after the overview heading and the intro paragraph.
        lo = len(draft.opening) + 2 if sec is first else 1
        sec.lines.insert(r.randint(min(lo, len(sec.lines)), len(sec.lines)), (text, NO_TAGS))


def _insert_carriers(ordered: list[_Section], carriers: list[tuple[float, _Section]]) -> list[_Section]:
    """Insert each carrier at the section boundary closest to its target depth (shallowest first)."""
    for target, sec in sorted(carriers, key=lambda c: c[0]):
        sizes = [s.size for s in ordered]
        grand = sum(sizes) + sec.size
        pos, cum = len(ordered), 0
        for i, size in enumerate(sizes):
            cum += size
            if cum / grand >= target:
                pos = i + 1
                break
        ordered.insert(pos, sec)
    return ordered
