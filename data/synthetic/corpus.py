"""Many filings: company names, length strata, dealt phrasing plans, and the checked draw of each filing.

Everything is drawn from seeded random sources (one for the corpus, one per filing and attempt), so the
same arguments always give the same filings.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from adapters.answers import STATE_CODES
from adapters.questions import QUESTION_KEYS, QUESTIONS
from data.synthetic.builder import BuiltFiling, build_filing
from data.synthetic.check import check_filing
from data.synthetic.context import FilingContext
from data.synthetic.plan import (
    ABSENT_KINDS,
    DEPTHS,
    EMP_STYLES,
    HQ_STYLES,
    INC_STATE_DECK,
    INC_STYLES,
    FilingPlan,
)
from data.synthetic.vocabulary import COMPANY_SUFFIXES, INDUSTRIES, NAME_ENDINGS, NAME_STEMS

GENERATOR_VERSION = "1.0.0"
DEFAULT_SEED = 20251127
DEFAULT_N_FILINGS = 60
CHARS_PER_TOKEN = 4
MAX_ATTEMPTS = 40  # draws of one filing before generation gives up


@dataclass(frozen=True)
class SyntheticFiling:
    """One generated filing: its text, ground truth (None = not stated) and how it was built."""

    filename: str
    cik: str
    year: str
    company: str
    section_1: str
    truth: dict[str, str | None]  # question key -> canonical answer or None
    styles: dict[str, str]  # "inc" / "hq" / "emp" -> phrasing style; "absent" -> what is missing
    fact_lines: dict[str, tuple[int, ...]]  # question key -> 0-based indices of the lines that state it
    fact_depth: dict[str, float]  # question key -> relative char position of its first statement
    distractors: tuple[str, ...]  # kinds of distractor sentences present

    def csv_row(self) -> dict[str, str]:
        """The filing's row of ground_truth.csv (empty string where the fact is not stated)."""
        row = {"filename": self.filename, "cik": self.cik, "year": self.year, "company": self.company}
        for key in QUESTION_KEYS:
            row[QUESTIONS[key].column] = self.truth[key] or ""
        return row


@dataclass(frozen=True)
class _Slot:
    """What the corpus deals to one filing before its text is drawn."""

    company: str
    short: str
    industry: int  # index into INDUSTRIES
    cik: str
    year: int  # filing year; the fiscal year described is the year before
    target_chars: int
    plan: FilingPlan


def generate_filings(
    n_filings: int = DEFAULT_N_FILINGS,
    seed: int = DEFAULT_SEED,
    *,
    min_tokens: int = 1000,
    max_tokens: int = 20000,
    absent_rate: float = 0.12,
) -> list[SyntheticFiling]:
    """Generate the filings in memory (deterministic in all arguments).

    Lengths are spread log-uniformly over [min_tokens, max_tokens] (4 characters per token) with one
    filing per stratum, so every corpus covers the whole range. ``absent_rate`` is the share of filings
    with one fact absent or not derivable (empty CSV cell).
    """
    _check_arguments(n_filings, min_tokens, max_tokens, absent_rate)
    rng = random.Random(f"synthetic-10k:{GENERATOR_VERSION}:{seed}:{n_filings}")
    slots = _deal(rng, n_filings, min_tokens, max_tokens, absent_rate)
    return [_to_filing(slot, _draw_checked(seed, i, slot)) for i, slot in enumerate(slots)]


def _check_arguments(n_filings: int, min_tokens: int, max_tokens: int, absent_rate: float) -> None:
    if n_filings < 1:
        raise ValueError(f"n_filings must be at least 1, got {n_filings}")
    if not 200 <= min_tokens <= max_tokens:
        raise ValueError(f"need 200 <= min_tokens <= max_tokens, got {min_tokens}, {max_tokens}")
    if not 0.0 <= absent_rate <= 1.0:
        raise ValueError(f"absent_rate must lie in [0, 1], got {absent_rate}")


def _deal(rng: random.Random, n_filings: int, min_tokens: int, max_tokens: int,
          absent_rate: float) -> list[_Slot]:
    """Names, CIKs, years, lengths (one per log-uniform stratum) and phrasing plans of every filing."""
    lo, hi = math.log(min_tokens), math.log(max_tokens)
    lengths = [math.exp(lo + (hi - lo) * (i + rng.random()) / n_filings) for i in range(n_filings)]
    rng.shuffle(lengths)
    names = _company_names(rng, n_filings)
    ciks = rng.sample(range(9_000_001, 9_999_999), n_filings)  # above every real CIK in use today
    years = [rng.randint(2015, 2024) for _ in range(n_filings)]
    decks = {
        "inc": _deck(rng, INC_STYLES, n_filings), "hq": _deck(rng, HQ_STYLES, n_filings),
        "emp": _deck(rng, EMP_STYLES, n_filings), "inc_state_cat": _deck(rng, INC_STATE_DECK, n_filings),
        "inc_depth": _deck(rng, DEPTHS, n_filings), "hq_depth": _deck(rng, DEPTHS, n_filings),
        "emp_depth": _deck(rng, DEPTHS, n_filings),
    }
    n_absent = round(absent_rate * n_filings)
    absent_rows = set(rng.sample(range(n_filings), n_absent))
    absent_deck = iter(_deck(rng, ABSENT_KINDS, n_absent))
    absent_of = {i: next(absent_deck) for i in sorted(absent_rows)}
    slots = []
    for i in range(n_filings):
        company, short, industry = names[i]
        plan = FilingPlan(**{k: v[i] for k, v in decks.items()}, absent=absent_of.get(i, "none"))
        slots.append(_Slot(company, short, industry, str(ciks[i]), years[i],
                           int(lengths[i] * CHARS_PER_TOKEN), plan))
    return slots


def _company_names(rng: random.Random, n: int) -> list[tuple[str, str, int]]:
    """n distinct invented (full name, short name, industry index) triples."""
    out: list[tuple[str, str, int]] = []
    seen: set[str] = set()
    deck: list[int] = []
    while len(out) < n:
        if not deck:
            deck = list(range(len(INDUSTRIES)))
            rng.shuffle(deck)
        ind_i = deck[-1]
        short = rng.choice(NAME_STEMS) + rng.choice(NAME_ENDINGS)
        if short in seen or any(s.lower() in short.lower() for s in STATE_CODES):
            continue
        deck.pop()
        seen.add(short)
        word = rng.choice(INDUSTRIES[ind_i].name_words)
        out.append((f"{short} {word} {rng.choice(COMPANY_SUFFIXES)}", short, ind_i))
    return out


def _deck(rng: random.Random, items: Sequence[str], n: int) -> list[str]:
    """n items cycling through shuffled copies of ``items`` (every item appears once per cycle)."""
    out: list[str] = []
    while len(out) < n:
        cycle = list(items)
        rng.shuffle(cycle)
        out.extend(cycle)
    return out[:n]


def _draw_checked(seed: int, i: int, slot: _Slot) -> BuiltFiling:
    """Filing ``i`` drawn again (a fresh random source per attempt) until it passes the self-check."""
    problem = None
    for attempt in range(MAX_ATTEMPTS):
        frng = random.Random(f"filing:{seed}:{i}:{attempt}")
        ctx = FilingContext(frng, INDUSTRIES[slot.industry], slot.company, slot.short, slot.year - 1)
        built = build_filing(ctx, slot.plan, slot.target_chars)
        problem = check_filing(built.lines, built.truth, slot.company)
        if problem is None:
            return built
    raise RuntimeError(f"filing {i} ({slot.company}): no valid draw in {MAX_ATTEMPTS} attempts: {problem}")


def _to_filing(slot: _Slot, built: BuiltFiling) -> SyntheticFiling:
    """The filing record: the non-empty lines joined, where each fact is stated and how deep."""
    kept = [(t.strip(), tags) for t, tags in built.lines if t.strip()]
    texts = [t for t, _ in kept]
    section_1 = "\n".join(texts)
    offsets, pos = [], 0
    for t in texts:
        offsets.append(pos)
        pos += len(t) + 1
    fact_lines = {k: tuple(j for j, (_, tags) in enumerate(kept) if k in tags) for k in QUESTION_KEYS}
    depth_of = {k: offsets[v[0]] / max(len(section_1), 1) for k, v in fact_lines.items() if v}
    plan = slot.plan
    styles = {"inc": plan.inc, "hq": plan.hq, "emp": plan.emp, "absent": plan.absent}
    return SyntheticFiling(
        filename=f"{slot.cik}_{slot.year}.htm", cik=slot.cik, year=str(slot.year), company=slot.company,
        section_1=section_1, truth=built.truth, styles=styles, fact_lines=fact_lines, fact_depth=depth_of,
        distractors=tuple(built.distractors),
    )
