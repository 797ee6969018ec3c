"""The state of one filing while it is written: its random source, words, truth values and template filling.

A :class:`FilingContext` draws every random value of a filing (numbers, years, other states, people,
amounts) so that no text outside the fact lines can contain a truth value, and fills the prose templates
from the filing's industry vocabulary.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable, Sequence

from data.synthetic.templates import DRIVERS, POOLS, STRATEGIES, STRENGTHS, VARIABLE_TEMPLATES
from data.synthetic.vocabulary import (
    CITIES,
    FIRST_NAMES,
    FISCAL_YEAR_ENDS,
    FOREIGN_CITIES,
    LAST_NAMES,
    MONTHS,
    NAME_ENDINGS,
    NAME_STEMS,
    SMALL_WORDS,
    STATES,
    STREET_KINDS,
    STREET_NAMES,
    Industry,
)
from data.synthetic.wording import count_forms, plural, with_commas

Line = tuple[str, frozenset[str]]  # (text, tags): tags name the facts the line states
WordPicker = Callable[[Sequence[str]], str]  # draws a word, not repeating one within a template fill


class FilingContext:
    """Per-filing state: random source, vocabulary, truth values and the numbers text may not use."""

    def __init__(self, rng: random.Random, industry: Industry, company: str, short: str, fy: int):
        self.rng = rng
        self.ind = industry
        self.company = company
        self.short = short
        self.fy = fy
        self.inc_year: int | None = None
        self.count: int | None = None
        self.truth_states: set[str] = set()
        self.avoid_states: set[str] = set()
        self.forbidden: list[re.Pattern[str]] = []
        self.segment: str | None = None
        self.revenue_m = 1.0  # annual revenue in $ millions; set from the head-count once it is drawn
        self.used: dict[str, int] = {}  # template -> times used in this filing
        self.brands = [self._brand() for _ in range(3)]
        self.domain = re.sub(r"[^a-z]", "", short.lower())
        self.ticker = (short[:3] + rng.choice("AEKLRSTX")).upper()

    # ----- truth registration: text outside fact lines must never contain these forms -----
    def reserve_year(self, year: int) -> None:
        """Make ``year`` the incorporation year: no other text may contain it."""
        self.inc_year = year
        self.forbidden.append(re.compile(rf"(?<!\d){year}(?!\d)"))

    def reserve_count(self, n: int) -> None:
        """Make ``n`` the head-count: no other text may contain any of its forms."""
        self.count = n
        for form in count_forms(n):
            if " " in form:
                number, word = form.split(" ")
                self.forbidden.append(re.compile(rf"(?<![\d.]){re.escape(number)}\s+{word}", re.I))
            else:
                self.forbidden.append(re.compile(rf"(?<!\d){re.escape(form)}(?!\d)"))

    def clean(self, text: str) -> bool:
        """True when ``text`` contains no reserved truth value."""
        return not any(p.search(text) for p in self.forbidden)

    # ----- random values -----
    def pick(self, seq: Sequence[str]) -> str:
        """One item of ``seq``."""
        return seq[self.rng.randrange(len(seq))]

    def number(self, lo: int, hi: int, fmt: Callable[[int], str] = with_commas) -> str:
        """A formatted number in [lo, hi] whose text contains no reserved value."""
        for _ in range(200):
            text = fmt(self.rng.randint(lo, hi))
            if self.clean(text):
                return text
        raise RuntimeError("could not draw a number that avoids the reserved values")

    def year(self, lo: int, hi: int) -> int:
        """A year in [lo, hi] (clipped to 1850 and the fiscal year) other than the reserved ones."""
        lo, hi = max(lo, 1850), max(min(hi, self.fy), max(lo, 1850))
        for _ in range(200):
            y = self.rng.randint(lo, hi)
            if y != self.inc_year and self.clean(str(y)):
                return y
        raise RuntimeError("could not draw a year that avoids the reserved values")

    def other_state(self) -> str:
        """A state that is neither a truth state nor confusable with one (Virginia / West Virginia)."""
        while True:
            s = self.pick(STATES)
            if s in self.truth_states or s in self.avoid_states:
                continue
            if any(s in t or t in s for t in self.truth_states):
                continue
            return s

    def city(self, state: str) -> str:
        """A city of ``state``."""
        return self.pick(CITIES[state][1])

    def other_city(self) -> str:
        """"City, State" in a state other than the truth states, or now and then a city abroad."""
        if self.rng.random() < 0.15:
            return self.pick(FOREIGN_CITIES)
        s = self.other_state()
        return f"{self.city(s)}, {s}"

    def zip_code(self, state: str) -> str:
        """An invented 5-digit ZIP code with the state's prefix."""
        return self.number(0, 99, lambda n: f"{CITIES[state][0]}{n:02d}")

    def street(self) -> str:
        """An invented street address ("1200 Harbor Drive")."""
        num = self.number(100, 9900, str)
        return f"{num} {self.pick(STREET_NAMES)} {self.pick(STREET_KINDS)}"

    def person(self) -> str:
        """An invented person's name."""
        return f"{self.pick(FIRST_NAMES)} {self.pick(LAST_NAMES)}"

    def other_company(self, suffix: str | None = None) -> str:
        """An invented name of another company."""
        name = self.pick(NAME_STEMS) + self.pick(NAME_ENDINGS)
        return f"{name} {suffix or self.pick(('Inc.', 'Corporation', 'LLC', 'Holdings, Inc.'))}"

    def _brand(self) -> str:
        stem = self.pick(NAME_STEMS) + self.pick(("a", "o", "ix", "era", "on", "is"))
        return stem + self.rng.choice(("", "®", "™"))

    def money(self, lo: float = 0.004, hi: float = 0.25) -> str:
        """A dollar amount between ``lo`` and ``hi`` times the company's revenue."""
        amount = self.revenue_m * math.exp(self.rng.uniform(math.log(lo), math.log(hi)))
        if amount >= 1000:
            tenths = int(amount / 100)
            return self.number(tenths, tenths + 2, lambda n: f"${n / 10:.1f} billion")
        if amount >= 1:
            tenths = int(amount * 10)
            return self.number(tenths, tenths + 9, lambda n: f"${n / 10:,.1f} million")
        thousands = max(int(amount * 1000), 10)
        return self.number(thousands, thousands + 9, lambda n: f"${n * 1000:,}")

    def date(self, year: int) -> str:
        """A date in ``year``, most often a common fiscal year end."""
        if self.rng.random() < 0.7:
            month, day = self.pick(FISCAL_YEAR_ENDS)
        else:
            month, day = self.pick(MONTHS), self.rng.randint(1, 28)
        return f"{month} {day}, {year}"

    def exchange(self) -> str:
        """The stock exchange the company is listed on (never "New York" when that is a truth state)."""
        if "New York" in self.truth_states:
            return self.pick(("Nasdaq Global Select Market", "Nasdaq Capital Market"))
        return self.pick(("New York Stock Exchange", "Nasdaq Global Select Market", "Nasdaq Capital Market"))

    # ----- template filling -----
    def fill(self, template: str) -> str:
        """``template`` with every ``{placeholder}`` filled; no word repeats within one template."""
        used: set[str] = set()

        def vocab(seq: Sequence[str]) -> str:
            options = [s for s in seq if s not in used] or list(seq)
            choice = self.pick(options)
            used.add(choice)
            return choice

        return re.sub(r"\{(\w+)\}", lambda m: self._resolve(m.group(1), vocab), template)

    def _resolve(self, key: str, vocab: WordPicker) -> str:
        if key in _NUMBER_RANGES:
            lo, hi = _NUMBER_RANGES[key]
            return self.number(lo, hi, str)
        if key not in _PLACEHOLDERS:
            raise KeyError(f"unknown template placeholder {{{key}}}")
        return _PLACEHOLDERS[key](self, vocab)

    def fresh(self, pool: str) -> int:
        """How many templates of ``pool`` this filing has not used yet."""
        return sum(t not in self.used for t in POOLS[pool])

    def paragraph(self, pool: str, lo: int = 2, hi: int = 5) -> str:
        """``lo``-``hi`` sentences from a pool, least-used templates first.

        Unused templates come first; once a pool is used up (only in the longest filings), templates with
        varying placeholders are reused before fixed sentences, so reused sentences mostly read differently.
        """
        templates = POOLS[pool]
        k = min(self.rng.randint(lo, hi), len(templates))

        def rank(t: str) -> float:
            n = self.used.get(t, 0)
            return n + (10.0 if n and t not in VARIABLE_TEMPLATES else 0.0) + self.rng.random() * 0.1

        chosen = sorted(templates, key=rank)[:k]
        self.rng.shuffle(chosen)
        for t in chosen:
            self.used[t] = self.used.get(t, 0) + 1
        return " ".join(self.fill(t) for t in chosen)


def _capitalized(text: str) -> str:
    return text[0].upper() + text[1:]


# Placeholders filled with a plain number in [lo, hi].
_NUMBER_RANGES: dict[str, tuple[int, int]] = {
    "pct": (12, 68), "pct_high": (62, 94), "pct_small": (4, 11), "n_small": (12, 60), "n_mid": (60, 900),
    "n_countries": (15, 110), "n_sites": (8, 240),
}
# Every other placeholder: how it is filled (``vocab`` draws a word not yet used in the same template).
_PLACEHOLDERS: dict[str, Callable[[FilingContext, WordPicker], str]] = {
    "product": lambda c, vocab: vocab(c.ind.products),
    "customer": lambda c, vocab: vocab(c.ind.customers),
    "market": lambda c, vocab: vocab(c.ind.markets),
    "input": lambda c, vocab: vocab(c.ind.inputs),
    "channel": lambda c, vocab: vocab(c.ind.channels),
    "facility": lambda c, vocab: vocab(c.ind.facilities),
    "regulator": lambda c, vocab: vocab(c.ind.regulators),
    "law": lambda c, vocab: vocab(c.ind.laws),
    "rival": lambda c, vocab: vocab(c.ind.rivals),
    "tech": lambda c, vocab: vocab(c.ind.tech),
    "verb": lambda c, vocab: vocab(c.ind.verbs),
    "driver": lambda c, vocab: vocab(DRIVERS),
    "season": lambda c, vocab: vocab(c.ind.seasonality),
    "regulator_cap": lambda c, vocab: _capitalized(vocab(c.ind.regulators)),
    "facilities": lambda c, vocab: plural(vocab(c.ind.facilities)),
    "segment": lambda c, vocab: c.segment or vocab(c.ind.segments),
    "strength": lambda c, vocab: c.fill(vocab(STRENGTHS)),
    "strategy": lambda c, vocab: c.fill(vocab(STRATEGIES)),
    "brand": lambda c, vocab: vocab(c.brands),
    "sites": lambda c, vocab: c.ind.sites,
    "work": lambda c, vocab: c.ind.workforce[0],
    "n_word": lambda c, vocab: SMALL_WORDS[c.rng.randint(2, 9)],
    "money": lambda c, vocab: c.money(),
    "backlog": lambda c, vocab: c.money(0.15, 0.3),
    "revenue": lambda c, vocab: c.money(0.95, 1.05),
    "fy": lambda c, vocab: str(c.fy),
    "fy_prev": lambda c, vocab: str(c.fy - 1),
    "future_year": lambda c, vocab: str(c.rng.randint(c.fy + 3, c.fy + 20)),
    "other_city": lambda c, vocab: c.other_city(),
    "co": lambda c, vocab: c.short,
    "domain": lambda c, vocab: c.domain,
    "ticker": lambda c, vocab: c.ticker,
    "exchange": lambda c, vocab: c.exchange(),
}
