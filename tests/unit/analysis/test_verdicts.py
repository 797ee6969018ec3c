"""Tests of harness/analysis/verdicts.py: every rule that decides a statement of FINDINGS.md, at its
boundaries."""

from __future__ import annotations

import math

import pytest

from harness.analysis import verdicts as V
from harness.analysis.verdicts import (
    Agreement,
    CategoryEffect,
    DepthRelation,
    DetectionFacts,
    Effect,
    HeadSharing,
    JaccardRelation,
    ModelCaveat,
    ModelFacts,
    ModelPair,
    QuestionDrop,
)

NAN = float("nan")


def _drop(q: str, drop: float, lo: float, hi: float) -> QuestionDrop:
    return QuestionDrop(q, drop, lo, hi)


# ----------------------------------------------------------------------------------------- helpers


def test_mean_and_median_skip_missing_values() -> None:
    assert V.mean([1.0, NAN, 3.0]) == 2.0
    assert V.median([1.0, NAN, 3.0, 10.0]) == 3.0
    assert math.isnan(V.mean([])) and math.isnan(V.median([NAN]))


# --------------------------------------------------------------------------------------- one drop


@pytest.mark.parametrize(("drop", "effect"), [
    (12.5, Effect.LOWERED), (0.05, Effect.LOWERED), (0.0499, Effect.UNCHANGED), (0.0, Effect.UNCHANGED),
    (-0.0499, Effect.UNCHANGED), (-0.05, Effect.RAISED), (-2.5, Effect.RAISED), (NAN, Effect.UNDETERMINED),
    (float("inf"), Effect.UNDETERMINED)])
def test_drop_effect_boundaries(drop: float, effect: Effect) -> None:
    assert V.drop_effect(drop) is effect


def test_intervals_overlap_touching_counts() -> None:
    assert V.intervals_overlap(0, 1, 1, 2) and V.intervals_overlap(1, 2, 0, 1)
    assert V.intervals_overlap(0, 10, 2, 3)  # one inside the other
    assert not V.intervals_overlap(0, 1, 1.0001, 2) and not V.intervals_overlap(1.0001, 2, 0, 1)


def test_top_beyond_random_needs_seeds_and_a_strict_excess() -> None:
    assert V.top_beyond_random(10.0, 9.99)
    assert not V.top_beyond_random(10.0, 10.0)
    assert not V.top_beyond_random(10.0, NAN)  # no random seeds at that k


# ---------------------------------------------------------------------------------------------- Q1


def test_question_spread_separated_only_when_intervals_do_not_touch() -> None:
    a, b = _drop("inc_state", 30.0, 20.0, 40.0), _drop("inc_year", 5.0, 0.0, 19.9)
    spread = V.question_spread([b, a])
    assert spread.largest is a and spread.smallest is b
    assert spread.gap_pp == pytest.approx(25.0) and spread.unequal
    touching = V.question_spread([a, _drop("inc_year", 5.0, 0.0, 20.0)])
    assert not touching.unequal  # ci_low of the largest must exceed ci_high of the smallest


def test_question_spread_needs_two_questions_and_takes_the_first_on_ties() -> None:
    assert V.question_spread([_drop("inc_state", 1.0, 0.0, 2.0)]) is None
    assert V.question_spread([]) is None
    first, second = _drop("inc_state", 4.0, 3.0, 5.0), _drop("hq_state", 4.0, 3.0, 5.0)
    spread = V.question_spread([first, second])
    assert spread.largest is first and spread.smallest is first and not spread.unequal
    skip = V.question_spread([_drop("inc_year", NAN, NAN, NAN), first, _drop("employees", 1.0, 0.0, 2.0)])
    assert skip.largest is first and skip.smallest.question == "employees"  # NaN drops are passed over


def test_tally_spreads_counts_only_compared_combinations() -> None:
    sep = V.question_spread([_drop("a", 50, 40, 60), _drop("b", 0, -5, 5)])
    same = V.question_spread([_drop("a", 5, 0, 10), _drop("b", 4, 0, 9)])
    tally = V.tally_spreads([sep, same, same, None])
    assert (tally.unequal, tally.equal, tally.total) == (1, 2, 3)


# ---------------------------------------------------------------------------------- overlap vs chance


def test_bonferroni_threshold() -> None:
    assert V.bonferroni_threshold(10) == pytest.approx(0.005)
    assert V.bonferroni_threshold(0) == V.bonferroni_threshold(1) == V.ALPHA
    assert V.bonferroni_threshold(4, alpha=0.1) == pytest.approx(0.025)


def test_beyond_chance_is_strict() -> None:
    assert V.beyond_chance(0.0049, 0.005) and not V.beyond_chance(0.005, 0.005)
    assert not V.beyond_chance(NAN, 0.005)
    assert V.count_beyond_chance([0.001, 0.005, 0.02, 0.0], 0.005) == 2


@pytest.mark.parametrize(("n_beyond", "n_tested", "expected"), [
    (3, 5, Agreement.MOST), (2, 4, Agreement.SOME), (3, 6, Agreement.SOME), (4, 6, Agreement.MOST),
    (1, 10, Agreement.SOME), (0, 10, Agreement.NONE), (0, 0, Agreement.NONE)])
def test_agreement_more_than_half_is_most(n_beyond: int, n_tested: int, expected: Agreement) -> None:
    assert V.agreement(n_beyond, n_tested) is expected


# ---------------------------------------------------------------------------------------------- Q2


def test_compare_depth_threshold_and_standardised_difference() -> None:
    deeper = V.compare_depth(0.6, 0.1, 0.4, 0.1)
    assert deeper.relation is DepthRelation.DEEPER
    assert deeper.difference == pytest.approx(0.2) and deeper.pooled_sd == pytest.approx(0.1)
    assert deeper.standardised == pytest.approx(2.0)
    assert V.compare_depth(0.4, 0.3, 0.6, 0.4).relation is DepthRelation.SHALLOWER
    assert V.compare_depth(0.5051, 0.1, 0.5, 0.1).relation is DepthRelation.DEEPER  # 0.0051 >= 0.005
    assert V.compare_depth(0.5049, 0.1, 0.5, 0.1).relation is DepthRelation.SAME
    assert V.compare_depth(0.4951, 0.1, 0.5, 0.1).relation is DepthRelation.SAME
    flat = V.compare_depth(0.7, 0.0, 0.2, 0.0)
    assert flat.relation is DepthRelation.DEEPER and math.isnan(flat.standardised)  # no spread: no d


# ---------------------------------------------------------------------------------------------- Q4


def test_compare_within_across() -> None:
    higher = V.compare_within_across([0.4, 0.2], [0.1, 0.2, 0.3])
    assert higher.relation is JaccardRelation.HIGHER
    assert (higher.within, higher.across) == pytest.approx((0.3, 0.2))
    assert higher.difference == pytest.approx(0.1)
    assert V.compare_within_across([0.1], [0.2]).relation is JaccardRelation.LOWER
    assert V.compare_within_across([0.25], [0.25, 0.25]).relation is JaccardRelation.EQUAL


def test_tally_similarities_more_than_half_means_alike() -> None:
    hi, lo = V.compare_within_across([0.5], [0.1]), V.compare_within_across([0.1], [0.5])
    eq = V.compare_within_across([0.3], [0.3])
    assert V.tally_similarities([hi, hi, lo]).types_alike
    two_of_four = V.tally_similarities([hi, hi, lo, eq])
    assert (two_of_four.higher, two_of_four.total) == (2, 4) and not two_of_four.types_alike
    assert not V.tally_similarities([]).types_alike


# ---------------------------------------------------------------------------------------------- Q3


def test_compare_categories_every_verdict() -> None:
    num_hi = [_drop("inc_year", 50, 40, 60), _drop("employees", 45, 35, 55)]
    cat_lo = [_drop("inc_state", 5, 0, 10), _drop("hq_state", 10, 5, 15)]
    all_sep = V.compare_categories(num_hi, cat_lo)
    assert all_sep.effect is CategoryEffect.NUMERICAL and all_sep.n_pairs == 4 and len(all_sep.separated) == 4
    assert V.compare_categories(cat_lo, num_hi).effect is CategoryEffect.CATEGORICAL  # arguments swapped
    touching = [_drop("inc_state", 20, 10, 35), _drop("hq_state", 25, 15, 36)]  # 35 touches employees' 35
    none = V.compare_categories([_drop("employees", 45, 35, 55)], touching)
    assert none.effect is CategoryEffect.NONE and none.separated == () and none.n_pairs == 2
    some = V.compare_categories(num_hi, [_drop("inc_state", 5, 0, 10), _drop("hq_state", 40, 30, 50)])
    assert some.effect is CategoryEffect.MIXED and len(some.separated) == 2
    assert [(n.question, c.question) for n, c in some.separated] == [("inc_year", "inc_state"),
                                                                     ("employees", "inc_state")]
    both_ways = V.compare_categories([_drop("inc_year", 50, 45, 55), _drop("employees", 0, -5, 5)],
                                     [_drop("inc_state", 25, 20, 30)])
    # every pair separated, but in both directions
    assert both_ways.effect is CategoryEffect.MIXED and len(both_ways.separated) == 2


def test_compare_categories_equal_drops_with_separate_intervals_count_as_categorical() -> None:
    odd = V.compare_categories([_drop("inc_year", 10, 10, 10)], [_drop("inc_state", 10, 11, 11)])
    assert odd.effect is CategoryEffect.CATEGORICAL


def test_tally_categories_lists_every_verdict() -> None:
    none = V.compare_categories([_drop("inc_year", 5, 0, 10)], [_drop("inc_state", 5, 0, 10)])
    num = V.compare_categories([_drop("inc_year", 50, 40, 60)], [_drop("inc_state", 5, 0, 10)])
    tally = V.tally_categories([none, num, num])
    assert tally == {CategoryEffect.NONE: 1, CategoryEffect.NUMERICAL: 2, CategoryEffect.CATEGORICAL: 0,
                     CategoryEffect.MIXED: 0}
    assert list(V.tally_categories([])) == list(CategoryEffect)


# ------------------------------------------------------------------------------------------- models


def test_same_arch_sharing_boundaries() -> None:
    t = 0.01
    largely = V.same_arch_sharing([0.7, 0.8, 0.6], [0.001, 0.001, 0.5], t)
    assert largely.sharing is HeadSharing.LARGELY and largely.median_spearman == pytest.approx(0.7)
    assert (largely.n_beyond, largely.n_cells) == (2, 3)
    half = V.same_arch_sharing([0.9, 0.9], [0.001, 0.5], t)  # 1 of 2 is not "most"
    assert half.sharing is HeadSharing.PARTLY
    assert V.same_arch_sharing([0.69, 0.69], [0.001, 0.001], t).sharing is HeadSharing.PARTLY
    assert V.same_arch_sharing([0.3, 0.3], [0.5, 0.5], t).sharing is HeadSharing.PARTLY  # median >= 0.3
    assert V.same_arch_sharing([0.29, 0.29], [0.5, 0.009], t).sharing is HeadSharing.PARTLY  # one overlap
    assert V.same_arch_sharing([0.29, 0.29], [0.5, 0.01], t).sharing is HeadSharing.DIFFERENT
    nan_rho = V.same_arch_sharing([NAN, NAN], [0.5, 0.5], t)  # constant scores: no correlation
    assert nan_rho.sharing is HeadSharing.DIFFERENT and math.isnan(nan_rho.median_spearman)


def test_model_caveats() -> None:
    llama_pair = ModelPair("instruct", "base", True)
    cross = ModelPair("instruct", "base", False)
    same_kind_cross = ModelPair("base", "base", False)
    assert V.model_caveats([llama_pair], 1) == [ModelCaveat.SAME_ID_SAME_JOB]
    assert V.model_caveats([llama_pair], 2) == [ModelCaveat.SENSITIVITY_ACROSS_MODELS,
                                                ModelCaveat.SAME_ID_SAME_JOB]
    assert V.model_caveats([cross], 1) == [ModelCaveat.HEADS_ACROSS_ARCHITECTURES,
                                           ModelCaveat.TUNING_CONFOUNDED,
                                           ModelCaveat.SENSITIVITY_ACROSS_MODELS]
    assert V.model_caveats([same_kind_cross], 1) == [ModelCaveat.HEADS_ACROSS_ARCHITECTURES,
                                                     ModelCaveat.NO_TUNING_CONTRAST,
                                                     ModelCaveat.SENSITIVITY_ACROSS_MODELS]
    assert ModelCaveat.NO_TUNING_CONTRAST not in V.model_caveats([same_kind_cross, llama_pair], 1)
    assert same_kind_cross.same_kind and not cross.same_kind


# ------------------------------------------------------------------------------------- run caveats


def _det(method: str = "qrhead", degenerate: bool = False, ties: int = 0,
         n_success: float = NAN) -> DetectionFacts:
    return DetectionFacts("m", method, "inc_year", degenerate, ties, n_success)


def test_run_caveats_none_apply() -> None:
    c = V.run_caveats(False, [ModelFacts("big", V.FEW_HEADS, False)], [V.SMALL_N, 200], [3.0, 4.0],
                      [_det(), _det("wu24", n_success=V.FEW_SUCCESSES)], 0)
    assert c == V.RunCaveats(False, (), (), None, (), (), (), 0)


def test_run_caveats_each_trigger() -> None:
    models = [ModelFacts("big", 1024, False), ModelFacts("tiny", V.FEW_HEADS - 1, True)]
    dets = [_det(degenerate=True, ties=5), _det(ties=3), _det("wu24", n_success=V.FEW_SUCCESSES - 1),
            _det("summed_context", n_success=1)]  # only the gated method's successes count
    c = V.run_caveats(True, models, [V.SMALL_N - 1, 40, 120], [2.0, 10.0, 4.0], dets, 2)
    assert c.synthetic and c.random_weight_models == ("tiny",)
    assert [m.name for m in c.small_models] == ["tiny"]
    assert c.few_test_samples == V.FewTestSamples(40, 120, 4.0)
    assert c.no_signal == (dets[0],)
    assert c.ties == (dets[1],)  # a degenerate list's ties are not counted again
    assert c.few_successes == (dets[2],) and c.n_units_without_numbers == 2
    assert V.run_caveats(False, [], [], [], [], 0).few_test_samples is None  # no ablation results


def test_run_caveats_separate_broken_from_unbroken_ties() -> None:
    broken = DetectionFacts("m", "wu24", "inc_year", False, 220, 30.0, 0, 12, 50)  # tied at 0, secondary decided
    unbroken = DetectionFacts("m", "qrhead", "inc_year", False, 4, NAN, 2, 50, 50)
    c = V.run_caveats(False, [], [], [], [broken, unbroken], 0)
    assert c.ties == (broken, unbroken) and c.unbroken_ties == (unbroken,)
    assert c.ranked_by_secondary == (broken,)  # 12 of its 50 top heads have a positive score


# ------------------------------------------------------------------------------------ top vs random


def test_separation_needs_the_corrected_threshold_and_a_sign() -> None:
    assert V.separation(-20.0, 0.001, 0.01) is V.Separation.TOP_LOWER
    assert V.separation(15.0, 0.001, 0.01) is V.Separation.TOP_HIGHER
    assert V.separation(-20.0, 0.01, 0.01) is V.Separation.NOT_SHOWN  # p must be below the threshold
    assert V.separation(0.0, 0.0, 0.01) is V.Separation.NOT_SHOWN
    assert V.separation(-20.0, NAN, 0.01) is V.Separation.UNTESTED


def test_cell_verdict_lists_the_ks_and_picks_the_strongest() -> None:
    tests = [V.KTest(0, 0.0, 0.0, NAN), V.KTest(3, 1.1, -66.7, 0.004), V.KTest(5, 1.9, -40.0, 0.004),
             V.KTest(8, 3.0, 10.0, 0.0001), V.KTest(13, 4.8, -5.0, 0.5)]
    v = V.cell_verdict(tests, 0.005)
    assert v.ks_beyond == (3, 5) and v.ks_reversed == (8,)
    assert v.strongest == tests[3]  # the smallest p, whatever its sign
    assert v.at_kmax is V.Separation.NOT_SHOWN
    v = V.cell_verdict(tests[:3], 0.005)
    assert v.strongest == tests[1] and v.at_kmax is V.Separation.TOP_LOWER  # equal p: the larger difference
    assert V.cell_verdict([tests[0]], 0.005).strongest is None


def test_gated_method_is_in_the_registry() -> None:
    from harness.methods.registry import METHOD_NAMES

    assert V.GATED_METHOD in METHOD_NAMES
