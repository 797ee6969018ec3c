"""The rules that decide what FINDINGS.md says, apart from its wording.

Each rule is a small pure function of numbers taken from the tables (harness/analysis/tables.py) and
returns a structured result (a dataclass or an enum, with the numbers it was decided on). The Markdown in
harness/analysis/findings*.py only renders these results; changing a threshold or a rule happens here.

Conventions: drops are in percentage points (baseline minus ablated accuracy, positive = accuracy lost);
intervals are approximate 95% intervals; overlap p-values are hypergeometric P[overlap >= observed].
Means and medians skip missing values (NaN), as pandas does.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

import numpy as np
import pandas as pd

from harness.methods.registry import METHODS

ALPHA = 0.05  # family-wise significance level of the overlap tests (Bonferroni-corrected per family)
UNCHANGED_PP = 0.05  # a drop smaller than this (in pp) reads as "unchanged": it rounds to 0.0
SAME_DEPTH = 0.005  # mean depths closer than this (share of the depth range) read as "the same depth"
LARGELY_SPEARMAN = 0.7  # median Spearman at or above this (and most overlaps beyond chance): largely the same
PARTLY_SPEARMAN = 0.3  # median Spearman at or above this (or any overlap beyond chance): partly the same
SMALL_N = 100  # fewer test samples than this: intervals are wide, say so
FEW_HEADS = 512  # fewer heads than this: a small model, far from the 8B models of the study's target
FEW_SUCCESSES = 10  # Wu24 scores resting on fewer successful samples than this are noisy
GATED_METHOD = METHODS["wu24"].name  # the method whose scores rest on samples that pass a success gate


def mean(values: Iterable[float]) -> float:
    """Mean skipping NaN (NaN when nothing is left), computed exactly as pandas does."""
    return float(pd.Series(list(values), dtype=float).mean())


def median(values: Iterable[float]) -> float:
    """Median skipping NaN (NaN when nothing is left), computed exactly as pandas does."""
    return float(pd.Series(list(values), dtype=float).median())


# -------------------------------------------------------------------------------------- single drops


class Effect(Enum):
    """What ablating heads did to accuracy."""

    LOWERED = "lowered"
    RAISED = "raised"
    UNCHANGED = "unchanged"
    UNDETERMINED = "undetermined"


def drop_effect(drop_pp: float) -> Effect:
    """LOWERED / RAISED when the drop is at least UNCHANGED_PP either way, else UNCHANGED; UNDETERMINED when
    it is not finite.
    """
    if not np.isfinite(drop_pp):
        return Effect.UNDETERMINED
    if abs(drop_pp) < UNCHANGED_PP:
        return Effect.UNCHANGED
    return Effect.LOWERED if drop_pp > 0 else Effect.RAISED


def intervals_overlap(lo1: float, hi1: float, lo2: float, hi2: float) -> bool:
    """Whether the intervals [lo1, hi1] and [lo2, hi2] overlap (touching counts as overlapping)."""
    return not (lo1 > hi2 or lo2 > hi1)


def top_beyond_random(top_drop_ci_low_pp: float, random_drop_max_pp: float) -> bool:
    """True when the top-k drop interval's lower end exceeds the largest random-seed drop (NaN: no seeds)."""
    return bool(not np.isnan(random_drop_max_pp) and top_drop_ci_low_pp > random_drop_max_pp)


@dataclass(frozen=True)
class QuestionDrop:
    """One question's top-k accuracy drop at the largest k, with its interval (pp)."""

    question: str
    drop_pp: float
    ci_low_pp: float
    ci_high_pp: float


def drops_separated(a: QuestionDrop, b: QuestionDrop) -> bool:
    """True when the drop intervals of two questions do not overlap."""
    return not intervals_overlap(a.ci_low_pp, a.ci_high_pp, b.ci_low_pp, b.ci_high_pp)


# ------------------------------------------------------------------------------------ top vs random


class Separation(Enum):
    """Top-k against random-k ablation at one k (or over the whole grid), by a paired test."""

    TOP_LOWER = "top-k ablation lowers accuracy more than random-k"
    TOP_HIGHER = "random-k ablation lowers accuracy more than top-k"
    NOT_SHOWN = "not separated"
    UNTESTED = "not tested"


def separation(diff_pp: float, p_value: float, threshold: float) -> Separation:
    """TOP_LOWER / TOP_HIGHER when the paired p-value is below the (corrected) threshold, by the sign of the
    difference top minus random; NOT_SHOWN otherwise; UNTESTED without a finite p-value."""
    if not (np.isfinite(p_value) and np.isfinite(diff_pp)):
        return Separation.UNTESTED
    if p_value < threshold and diff_pp != 0:
        return Separation.TOP_LOWER if diff_pp < 0 else Separation.TOP_HIGHER
    return Separation.NOT_SHOWN


@dataclass(frozen=True)
class KTest:
    """The paired test at one k of one (model, method, question): difference top minus random (pp)."""

    k: int
    pct_heads: float
    diff_pp: float
    p_value: float


@dataclass(frozen=True)
class CellVerdict:
    """Where along the grid top-k beats random-k in one (model, method, question) cell."""

    ks_beyond: tuple[int, ...]  # TOP_LOWER at these k
    ks_reversed: tuple[int, ...]  # TOP_HIGHER at these k
    strongest: KTest | None  # the k with the smallest p-value (ties: the larger |difference|, then smaller k)
    at_kmax: Separation


def cell_verdict(tests: Sequence[KTest], threshold: float) -> CellVerdict:
    """Classify every k > 0 of a cell (``tests`` in grid order) and pick its strongest test."""
    tested = [t for t in tests if t.k > 0 and np.isfinite(t.p_value)]
    beyond = tuple(t.k for t in tested if separation(t.diff_pp, t.p_value, threshold) is Separation.TOP_LOWER)
    rev = tuple(t.k for t in tested if separation(t.diff_pp, t.p_value, threshold) is Separation.TOP_HIGHER)
    strongest = min(tested, key=lambda t: (t.p_value, -abs(t.diff_pp), t.k)) if tested else None
    last = max((t for t in tests if t.k > 0), key=lambda t: t.k, default=None)
    at_kmax = Separation.UNTESTED if last is None else separation(last.diff_pp, last.p_value, threshold)
    return CellVerdict(beyond, rev, strongest, at_kmax)


@dataclass(frozen=True)
class SeparationTally:
    """Over the cells: how many separate top from random at some k, at the largest k, and reversed."""

    at_some_k: int
    at_kmax: int
    reversed_some_k: int
    total: int


# ---------------------------------------------------------------------------------------------- Q1


@dataclass(frozen=True)
class QuestionSpread:
    """Q1 for one (model, method): the largest and the smallest drop and whether they are told apart."""

    largest: QuestionDrop
    smallest: QuestionDrop
    gap_pp: float
    unequal: bool  # the largest drop's interval lies wholly above the smallest drop's


def question_spread(drops: Sequence[QuestionDrop]) -> QuestionSpread | None:
    """Compare the largest with the smallest drop (first one listed on ties); None for fewer than 2 questions.

    The questions are affected unequally when the lower end of the largest drop's interval exceeds the
    upper end of the smallest drop's interval.
    """
    if len(drops) < 2:
        return None
    finite = [d for d in drops if not math.isnan(d.drop_pp)]
    largest = max(finite, key=lambda d: d.drop_pp)
    smallest = min(finite, key=lambda d: d.drop_pp)
    return QuestionSpread(largest, smallest, largest.drop_pp - smallest.drop_pp,
                          bool(largest.ci_low_pp > smallest.ci_high_pp))


@dataclass(frozen=True)
class SpreadTally:
    """Q1 over the (model, method) combinations: how many have unequal and how many equal drops."""

    unequal: int
    equal: int

    @property
    def total(self) -> int:
        """Combinations compared."""
        return self.unequal + self.equal


def tally_spreads(spreads: Iterable[QuestionSpread | None]) -> SpreadTally:
    """Count the compared combinations (None: fewer than two questions, not counted)."""
    done = [s for s in spreads if s is not None]
    unequal = sum(1 for s in done if s.unequal)
    return SpreadTally(unequal, len(done) - unequal)


# ---------------------------------------------------------------------------------- overlap vs chance


def bonferroni_threshold(n_tests: int, alpha: float = ALPHA) -> float:
    """Per-test p-value threshold for ``n_tests`` tests at family-wise level ``alpha`` (at least one test)."""
    return alpha / max(1, n_tests)


def beyond_chance(p_value: float, threshold: float) -> bool:
    """True when an overlap's p-value is below the (corrected) threshold."""
    return bool(p_value < threshold)


def count_beyond_chance(p_values: Iterable[float], threshold: float) -> int:
    """How many overlaps pass the threshold."""
    return sum(1 for p in p_values if beyond_chance(p, threshold))


class Agreement(Enum):
    """How many of a set of overlaps beat chance."""

    MOST = "most"  # more than half
    SOME = "some"  # at least one, at most half
    NONE = "none"


def agreement(n_beyond: int, n_tested: int) -> Agreement:
    """MOST when more than half of ``n_tested`` overlaps beat chance, SOME when any does, else NONE."""
    if n_beyond > n_tested / 2:
        return Agreement.MOST
    return Agreement.SOME if n_beyond else Agreement.NONE


# ---------------------------------------------------------------------------------------------- Q2


class DepthRelation(Enum):
    """Where numerical top heads sit relative to categorical ones."""

    DEEPER = "deeper"
    SHALLOWER = "shallower"
    SAME = "at the same depth"


@dataclass(frozen=True)
class DepthComparison:
    """Mean depth of the numerical minus the categorical top heads, and its standardised size."""

    difference: float
    pooled_sd: float
    standardised: float  # difference / pooled sd (NaN when the pooled sd is 0)
    relation: DepthRelation


def compare_depth(numerical_mean: float, numerical_sd: float, categorical_mean: float,
                  categorical_sd: float) -> DepthComparison:
    """DEEPER / SHALLOWER when the mean depths differ by at least SAME_DEPTH, else SAME.

    The pooled sd is sqrt((sd_n^2 + sd_c^2) / 2); the comparison is descriptive (no test).
    """
    diff = numerical_mean - categorical_mean
    pooled = float(np.sqrt((numerical_sd ** 2 + categorical_sd ** 2) / 2))
    d = diff / pooled if pooled > 0 else float("nan")
    if abs(diff) >= SAME_DEPTH:
        relation = DepthRelation.DEEPER if diff > 0 else DepthRelation.SHALLOWER
    else:
        relation = DepthRelation.SAME
    return DepthComparison(diff, pooled, d, relation)


# ---------------------------------------------------------------------------------------------- Q4


class JaccardRelation(Enum):
    """Mean within-type Jaccard compared with the mean cross-type Jaccard."""

    HIGHER = "higher than"
    LOWER = "lower than"
    EQUAL = "equal to"


@dataclass(frozen=True)
class TypeSimilarity:
    """Q4 for one (model, method): within-type against cross-type overlap of the top sets."""

    within: float
    across: float
    relation: JaccardRelation

    @property
    def difference(self) -> float:
        """Within minus across."""
        return self.within - self.across


def compare_within_across(within: Sequence[float], across: Sequence[float]) -> TypeSimilarity:
    """Mean within-type Jaccard HIGHER / LOWER / EQUAL to the mean cross-type Jaccard."""
    wj, aj = mean(within), mean(across)
    relation = (JaccardRelation.HIGHER if wj > aj else JaccardRelation.LOWER if wj < aj
                else JaccardRelation.EQUAL)
    return TypeSimilarity(wj, aj, relation)


@dataclass(frozen=True)
class SimilarityTally:
    """Q4 over the (model, method) combinations: how often same-type questions share more heads."""

    higher: int
    total: int

    @property
    def types_alike(self) -> bool:
        """True when within-type overlap is higher in more than half of the combinations."""
        return self.higher > self.total / 2


def tally_similarities(results: Iterable[TypeSimilarity]) -> SimilarityTally:
    """Count the combinations whose within-type Jaccard is higher than the cross-type one."""
    done = list(results)
    return SimilarityTally(sum(1 for r in done if r.relation is JaccardRelation.HIGHER), len(done))


# ---------------------------------------------------------------------------------------------- Q3


class CategoryEffect(Enum):
    """Q3 for one (model, method): on which category ablation is more effective."""

    NONE = "none"  # every cross-type pair of intervals overlaps
    NUMERICAL = "numerical"  # every cross-type pair is separated, numerical drops larger
    CATEGORICAL = "categorical"  # every cross-type pair is separated, categorical drops larger
    MIXED = "mixed"  # some pairs separated, or in both directions


@dataclass(frozen=True)
class CategoryComparison:
    """The cross-type pairs of questions whose drop intervals do not overlap, and the verdict."""

    effect: CategoryEffect
    separated: tuple[tuple[QuestionDrop, QuestionDrop], ...]  # (numerical, categorical)
    n_pairs: int


def compare_categories(numerical: Sequence[QuestionDrop],
                       categorical: Sequence[QuestionDrop]) -> CategoryComparison:
    """Compare every numerical with every categorical question's drop interval.

    NONE when no pair is separated; NUMERICAL / CATEGORICAL when every pair is separated in the same
    direction (a tie counts as categorical); MIXED otherwise.
    """
    sep = tuple((n, c) for n in numerical for c in categorical if drops_separated(n, c))
    n_pairs = len(numerical) * len(categorical)
    if not sep:
        return CategoryComparison(CategoryEffect.NONE, sep, n_pairs)
    dirs = {CategoryEffect.NUMERICAL if n.drop_pp > c.drop_pp else CategoryEffect.CATEGORICAL for n, c in sep}
    if len(dirs) == 1 and len(sep) == n_pairs:
        return CategoryComparison(dirs.pop(), sep, n_pairs)
    return CategoryComparison(CategoryEffect.MIXED, sep, n_pairs)


def tally_categories(results: Iterable[CategoryComparison]) -> dict[CategoryEffect, int]:
    """How many (model, method) combinations reached each verdict (every verdict listed, zeros included)."""
    tally = dict.fromkeys(CategoryEffect, 0)
    for r in results:
        tally[r.effect] += 1
    return tally


# ------------------------------------------------------------------------------------------- models


class HeadSharing(Enum):
    """Whether two models of the same architecture use the same heads."""

    LARGELY = "largely the same heads"
    PARTLY = "partly the same heads"
    DIFFERENT = "different heads"


@dataclass(frozen=True)
class SameArchVerdict:
    """Head-by-head comparison of two same-architecture models over their (method, question) cells."""

    median_spearman: float
    n_beyond: int
    n_cells: int
    sharing: HeadSharing


def same_arch_sharing(spearmans: Sequence[float], p_values: Sequence[float],
                      threshold: float) -> SameArchVerdict:
    """LARGELY: median Spearman >= LARGELY_SPEARMAN and most top-n overlaps beyond chance; PARTLY: median
    >= PARTLY_SPEARMAN or any overlap beyond chance; otherwise DIFFERENT.
    """
    med = median(spearmans)
    sig = count_beyond_chance(p_values, threshold)
    n = len(p_values)
    if med >= LARGELY_SPEARMAN and sig > n / 2:
        sharing = HeadSharing.LARGELY
    elif med >= PARTLY_SPEARMAN or sig:
        sharing = HeadSharing.PARTLY
    else:
        sharing = HeadSharing.DIFFERENT
    return SameArchVerdict(med, sig, n, sharing)


@dataclass(frozen=True)
class ModelPair:
    """What the caveats of a model comparison depend on."""

    kind_a: str
    kind_b: str
    same_arch: bool

    @property
    def same_kind(self) -> bool:
        """Both instruct or both base: the pair does not isolate instruction tuning."""
        return self.kind_a == self.kind_b


class ModelCaveat(Enum):
    """Statements about the model comparison that the run's pairs do not support."""

    HEADS_ACROSS_ARCHITECTURES = "heads_across_architectures"
    TUNING_CONFOUNDED = "tuning_confounded"
    NO_TUNING_CONTRAST = "no_tuning_contrast"
    SENSITIVITY_ACROSS_MODELS = "sensitivity_across_models"
    SAME_ID_SAME_JOB = "same_id_same_job"


def model_caveats(pairs: Sequence[ModelPair], n_distinct_k_max: int) -> list[ModelCaveat]:
    """Which model-comparison caveats apply, in reading order.

    ``n_distinct_k_max``: how many different largest k the models were ablated at.
    """
    out = []
    if any(not p.same_arch for p in pairs):
        out.append(ModelCaveat.HEADS_ACROSS_ARCHITECTURES)
    if any(not p.same_kind and not p.same_arch for p in pairs):
        out.append(ModelCaveat.TUNING_CONFOUNDED)
    if all(p.same_kind for p in pairs):
        out.append(ModelCaveat.NO_TUNING_CONTRAST)
    if any(not p.same_arch for p in pairs) or n_distinct_k_max > 1:
        out.append(ModelCaveat.SENSITIVITY_ACROSS_MODELS)
    if any(p.same_arch for p in pairs):
        out.append(ModelCaveat.SAME_ID_SAME_JOB)
    return out


# ------------------------------------------------------------------------------------- run caveats


@dataclass(frozen=True)
class ModelFacts:
    """What the run-wide caveats need to know about one model."""

    name: str
    n_total: int
    random_weights: bool


@dataclass(frozen=True)
class DetectionFacts:
    """What the run-wide caveats need to know about one detection (a row of score_concentration)."""

    model: str
    method: str
    question: str
    degenerate: bool
    ties_at_cutoff: int  # heads beyond the list tied with its last head on the primary score
    n_success: float  # NaN for methods without a success gate
    ties_both_keys: int = 0  # of those, tied on the secondary key too (layer order decided)
    n_top_positive: int = 0  # heads of the top list with a positive primary score
    top_n: int = 0
    first_tied_rank: int = 0  # where layer order took over in the list (0: never)
    k_max: int = 0  # the largest k its ablation reached (0: not ablated)


@dataclass(frozen=True)
class FewTestSamples:
    """Test samples per question (min, max) and the median half-width of a baseline interval (pp)."""

    n_min: int
    n_max: int
    median_halfwidth_pp: float


@dataclass(frozen=True)
class RunCaveats:
    """The run-wide limitations the numbers trigger (each empty / None / False when it does not apply)."""

    synthetic: bool
    random_weight_models: tuple[str, ...]
    small_models: tuple[ModelFacts, ...]
    few_test_samples: FewTestSamples | None
    no_signal: tuple[DetectionFacts, ...]
    ties: tuple[DetectionFacts, ...]
    few_successes: tuple[DetectionFacts, ...]
    n_units_without_numbers: int
    unbroken_ties: tuple[DetectionFacts, ...] = ()
    ranked_by_secondary: tuple[DetectionFacts, ...] = ()


def few_successes(detections: Iterable[DetectionFacts]) -> tuple[DetectionFacts, ...]:
    """Detections of the gated method whose scores rest on fewer than FEW_SUCCESSES successful samples."""
    return tuple(d for d in detections if d.method == GATED_METHOD and d.n_success < FEW_SUCCESSES)


def run_caveats(synthetic: bool, models: Sequence[ModelFacts], n_tests: Sequence[int],
                baseline_halfwidths_pp: Sequence[float], detections: Sequence[DetectionFacts],
                n_units_without_numbers: int) -> RunCaveats:
    """Decide which run-wide caveats apply.

    Small models: fewer than FEW_HEADS heads. Few test samples: the smallest n_test below SMALL_N (the
    half-width reported is the median over the ablation units). No signal: degenerate score distributions.
    Ties: top lists cut through tied primary scores (degenerate ones aside); unbroken ties: through heads
    tied on the secondary key too. Ranked by the secondary key: top lists that hold heads without a positive
    primary score (degenerate ones aside).
    """
    few_test = None
    if len(n_tests) and min(n_tests) < SMALL_N:
        few_test = FewTestSamples(int(min(n_tests)), int(max(n_tests)),
                                  float(np.median(np.asarray(baseline_halfwidths_pp, dtype=float))))
    return RunCaveats(
        synthetic=bool(synthetic),
        random_weight_models=tuple(m.name for m in models if m.random_weights),
        small_models=tuple(m for m in models if m.n_total < FEW_HEADS),
        few_test_samples=few_test,
        no_signal=tuple(d for d in detections if d.degenerate),
        ties=tuple(d for d in detections if d.ties_at_cutoff > 0 and not d.degenerate),
        few_successes=few_successes(detections),
        n_units_without_numbers=int(n_units_without_numbers),
        unbroken_ties=tuple(d for d in detections if d.ties_both_keys > 0 and not d.degenerate),
        ranked_by_secondary=tuple(d for d in detections if d.top_n > 0 and d.n_top_positive < d.top_n
                                  and not d.degenerate),
    )
