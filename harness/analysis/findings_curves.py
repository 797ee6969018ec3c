"""Q1 and Q3 of FINDINGS.md: what the ablation curves show, from the paired top-k against random-k tests.

Both questions conclude from :mod:`harness.analysis.top_vs_random` (every k and the whole grid, paired over
the test samples, Bonferroni-corrected); the comparison at the largest k stays as a table. The verdicts are
in harness/analysis/verdicts.py; :func:`q1_answer` and :func:`q3_comparisons` are shared with the summary.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from harness.analysis.figure_paths import (
    fig8_grid_path,
    sensitivity_bars_path,
    sensitivity_curves_path,
    top_vs_random_path,
)
from harness.analysis.findings_caveats import not_supported
from harness.analysis.format import (
    Links,
    interval,
    join_words,
    k_heads,
    md_table,
    method_name,
    model_heading,
    p_value,
    pct,
    pp,
    question_name,
    share_of_heads,
    threshold,
)
from harness.analysis.paired import smallest_sign_flip_pvalue
from harness.analysis.tables import QTYPE_ORDER, Analysis
from harness.analysis.verdicts import (
    ALPHA,
    CategoryComparison,
    CategoryEffect,
    QuestionDrop,
    QuestionSpread,
    Separation,
    SeparationTally,
    compare_categories,
    question_spread,
    tally_categories,
    tally_spreads,
)

MEASURE = ("at every k of the grid (k heads, also given as a share of the model's heads) the accuracy under "
           "top-k ablation minus the accuracy under random-k ablation, paired over the same test samples (per "
           "sample: top-k correct minus the mean over the random seeds), with a 95% bootstrap interval "
           "(test samples and seeds resampled) and an exact two-sided sign-flip p-value; and the mean gap over "
           "the whole grid (the area between the two curves, k as a share of heads, divided by the grid's "
           "span) with its interval and p-value. A negative difference means ablating the top heads cost more "
           "accuracy than ablating random ones")


def gap_drops(rows: pd.DataFrame) -> list[QuestionDrop]:
    """Each question's whole-grid excess drop over random (pp, = minus the gap), with its interval."""
    return [QuestionDrop(r.question, -r.gap_pp, -r.gap_ci_high_pp, -r.gap_ci_low_pp) for r in rows.itertuples()]


def cell_separated_at_kmax_old(an: Analysis) -> int:
    """Cells separated by the earlier largest-k rule (the top-k drop interval above every random seed's)."""
    return int(an.sensitivity["top_beyond_random"].sum()) if not an.sensitivity.empty else 0


@dataclass(frozen=True)
class Q1Answer:
    """Q1 over the run: the top-vs-random tally, the question spreads and the strongest single test."""

    tally: SeparationTally
    gaps_beyond: int  # cells whose whole-grid gap is beyond chance (top lower)
    old_rule: int  # cells separated by the earlier rule at the largest k
    spreads: tuple[tuple[str, str, QuestionSpread], ...]  # (model, method, spread)
    strongest: pd.Series | None  # the row of top_vs_random_curves with the smallest best_p_value (top lower)
    k_threshold: float
    gap_threshold: float
    n_k_tests: int


def q1_answer(an: Analysis) -> Q1Answer:
    """The numbers Q1 (and the summary) conclude from."""
    cur, by_k = an.top_vs_random_curves, an.top_vs_random_by_k
    spreads = []
    for (model, method), g in cur.groupby(["model", "method"], sort=False):
        s = question_spread(gap_drops(g))
        if s is not None:
            spreads.append((model, method, s))
    lower = cur[cur["best_diff_pp"] < 0] if not cur.empty else cur
    strongest = lower.sort_values(["best_p_value", "best_diff_pp"], kind="stable").iloc[0] if len(lower) else None
    tally = SeparationTally(int(cur["beyond_at_some_k"].sum()), int(cur["beyond_at_kmax"].sum()),
                            int((cur["ks_reversed"] != "").sum()), len(cur)) if not cur.empty \
        else SeparationTally(0, 0, 0, 0)
    return Q1Answer(tally, int((cur["gap_verdict"] == Separation.TOP_LOWER.name.lower()).sum()) if len(cur) else 0,
                    cell_separated_at_kmax_old(an), tuple(spreads), strongest,
                    float(by_k["p_threshold"].iloc[0]) if len(by_k) else float("nan"),
                    float(cur["gap_threshold"].iloc[0]) if len(cur) else float("nan"),
                    int((by_k["k"] > 0).sum()) if len(by_k) else 0)


def strongest_text(r: pd.Series, with_cell: bool = True) -> str:
    """'<model> <method> <question> at k = 3 (1.1% of heads): top 0.0% vs random 66.7%, difference -66.7 pp
    [-88.9, -44.4], p = 0.004'."""
    cell = f"{r['model']} {method_name(r['method'])} {question_name(r['question'])} at " if with_cell else ""
    return (f"{cell}{k_heads(r['best_k'], r['best_pct_heads'])}: top {pct(r['best_top_pct'])}% vs random "
            f"{pct(r['best_random_pct'])}%, difference {pp(r['best_diff_pp'])} pp [{pp(r['best_ci_low_pp'])}, "
            f"{pp(r['best_ci_high_pp'])}], {p_value(r['best_p_value'])}")


def _ks_text(ks: str, by_k: pd.DataFrame) -> str:
    """'3 (1.1%), 5 (1.9%)' for the ks listed in ``ks`` ('none' when empty)."""
    if not ks:
        return "none"
    pcts = dict(zip(by_k["k"], by_k["pct_heads"], strict=True))
    return ", ".join(f"{k} ({share_of_heads(pcts[int(k)])})" for k in ks.split(";"))


def _cell_table(cur: pd.DataFrame, by_k: pd.DataFrame) -> str:
    rows = []
    for r in cur.itertuples():
        bk = by_k[(by_k["method"] == r.method) & (by_k["question"] == r.question)]
        best = "n/a" if pd.isna(r.best_k) else (f"{int(r.best_k)} ({share_of_heads(r.best_pct_heads)}): "
                                                f"{pct(r.best_top_pct)} vs {pct(r.best_random_pct)}")
        rows.append([method_name(r.method), question_name(r.question), r.n, _ks_text(r.ks_beyond, bk), best,
                     interval(r.best_diff_pp, r.best_ci_low_pp, r.best_ci_high_pp), p_value(r.best_p_value),
                     interval(r.gap_pp, r.gap_ci_low_pp, r.gap_ci_high_pp), p_value(r.gap_p_value)])
    return md_table(["method", "question", "n", "k where top-k < random-k beyond chance (share of heads)",
                     "strongest k: top % vs random %", "difference pp [95% CI]", "p", "mean gap over the grid pp "
                     "[95% CI]", "p (grid)"], rows)


def excess_text(question: str, excess_pp: float) -> str:
    """'incorporation year 38.9 pp more than random-k' / 'headquarters state 21.6 pp less than random-k'."""
    return (f"{question_name(question)} {pp(abs(excess_pp))} pp {'less' if excess_pp < 0 else 'more'} than "
            "random-k")


def _spread_text(spread: QuestionSpread | None) -> str:
    if spread is None:
        return ""
    hi, lo = spread.largest, spread.smallest
    if spread.unequal:
        return (f"The questions are not affected equally: over the grid, top-k ablation cost "
                f"{excess_text(hi.question, hi.drop_pp)} and {excess_text(lo.question, lo.drop_pp)}, a gap of "
                f"{pp(spread.gap_pp)} pp with non-overlapping intervals.")
    return (f"Over the grid, top-k ablation cost {excess_text(hi.question, hi.drop_pp)} (the most affected question) "
            f"and {excess_text(lo.question, lo.drop_pp)} (the least); the intervals overlap, so the evidence does not "
            "show that the same number of heads affects these questions differently.")


def _kmax_table(sm: pd.DataFrame) -> str:
    return md_table(
        ["method", "question", "k (share of heads)", "n_test", "baseline %", "top-k drop pp [95% CI]",
         "random-k drop pp (mean ± sd) [min, max]", "excess over random pp"],
        [[method_name(r.method), question_name(r.question), f"{r.k_max} ({share_of_heads(r.pct_heads_max)})",
          r.n_test, pct(r.baseline_pct), f"{interval(r.top_drop_pp, r.top_drop_ci_low_pp, r.top_drop_ci_high_pp)}"
          + ("" if r.drop_ci == "paired" else " (endpoint CIs combined)"),
          f"{pp(r.random_drop_mean_pp)} ± {pp(r.random_drop_sd_pp)} [{pp(r.random_drop_min_pp)}, "
          f"{pp(r.random_drop_max_pp)}]", pp(r.excess_drop_pp)] for r in sm.itertuples()])


def _q1_model(an: Analysis, links: Links, model: str) -> list[str]:
    cur = an.top_vs_random_curves
    cm = cur[cur["model"] == model] if not cur.empty else cur
    bk = an.top_vs_random_by_k
    out = ["", model_heading(model, an.results.models[model]), ""]
    if cm.empty:
        out.append("No answers CSV for this model's ablation units: top-k and random-k are not compared per sample.")
    else:
        out += [_cell_table(cm, bk[bk["model"] == model]), ""]
        for method in [m for m in an.results.methods() if m in set(cm["method"])]:
            text = _spread_text(question_spread(gap_drops(cm[cm["method"] == method])))
            if text:
                out += [f"**{method_name(method)}.** {text}", ""]
    sm = an.sensitivity[an.sensitivity["model"] == model]
    if not sm.empty:
        out += ["At the largest k (the earlier comparison, kept for reference; drop = baseline minus ablated "
                "accuracy, paired interval):", "", _kmax_table(sm), ""]
    fd = links.fig_dir
    out.append("Figures: " + ", ".join([links.link(top_vs_random_path(fd, model), "top minus random at every k"),
                                        links.link(fig8_grid_path(fd, model), "accuracy vs k (grid)"),
                                        links.link(sensitivity_curves_path(fd, model), "drop vs k"),
                                        links.link(sensitivity_bars_path(fd, model), "drop at the largest k")]) + ".")
    return out


def _power_note(an: Analysis, a: Q1Answer) -> str:
    """A sentence when too few paired samples make a test beyond chance impossible ('' otherwise)."""
    n_max = int(an.top_vs_random_curves["n"].max())
    floor = smallest_sign_flip_pvalue(n_max)
    if floor < a.k_threshold:
        return ""
    which = ("no test of this run" if floor >= a.gap_threshold else "no single k (only a whole-grid gap)")
    return (f" With at most {n_max} paired test samples per cell the smallest p-value a sign-flip test can give is "
            f"{threshold(floor)}, so {which} can be beyond chance, whatever the curves show; the intervals still "
            "show the size of the differences.")


def q1_answer_text(a: Q1Answer) -> str:
    """The **Answer.** paragraph of Q1."""
    t = a.tally
    spread = tally_spreads(s for _, _, s in a.spreads)
    rev = (f" In {t.reversed_some_k} cell(s) random-k ablation cost more than top-k at some k, beyond chance."
           if t.reversed_some_k else "")
    return (f"**Answer.** Top-k ablation lowers accuracy more than random-k ablation beyond chance at some k in "
            f"{t.at_some_k} of {t.total} (model, method, question) cells, and over the whole grid in {a.gaps_beyond}"
            f"; at the largest k alone in {t.at_kmax} (by the earlier rule there, the top-k drop interval above "
            f"every random seed's drop: {a.old_rule}).{rev} Between questions: in {spread.unequal} of "
            f"{spread.total} (model, method) combination(s) the most and least affected questions' whole-grid gaps "
            f"have non-overlapping intervals; in the other {spread.equal} the differences between questions are "
            "within the uncertainty.")


def section_q1(an: Analysis, links: Links) -> list[str]:
    """Do the same number of ablated heads affect different questions equally?"""
    out = ["## Q1. Do the same number of ablated heads affect different questions equally?", "",
           f"Measure: {MEASURE}."]
    if an.sensitivity.empty:
        return out + ["", "No ablation results in this run: this question cannot be answered."]
    a = q1_answer(an)
    if a.tally.total:
        out += ["", f"Significance: {a.n_k_tests} per-k tests in this run, beyond chance at p < "
                f"{threshold(a.k_threshold)}; {a.tally.total} whole-grid tests, p < {threshold(a.gap_threshold)} "
                f"(Bonferroni, alpha = {ALPHA}, as for the overlaps)." + _power_note(an, a)]
    for model in an.results.model_names():
        if (an.sensitivity["model"] == model).any():
            out += _q1_model(an, links, model)
    out += ["", q1_answer_text(a)]
    items = ["Claims that one question is more sensitive than another where the whole-grid intervals overlap.",
             "A ranking of the questions beyond the largest-versus-smallest comparison: the other pairs were not "
             "tested.",
             "Generalising the random-k comparison beyond the drawn head sets: the p-values condition on the "
             "random seeds of the run (the intervals resample them); random heads are drawn outside each "
             "method's top-n list.",
             "Reading a k that is not beyond chance as 'no effect': Bonferroni over every k of every cell is "
             "conservative, and few test samples bound how small a p-value can be."]
    return out + not_supported(items, an)


# ---------------------------------------------------------------------------------------------- Q3


def _type_numbers(g: pd.DataFrame) -> str:
    beyond = int(g["beyond_at_some_k"].sum())
    return (f"mean gap {pp(g['gap_pp'].mean())} pp (range {pp(g['gap_pp'].min())} to {pp(g['gap_pp'].max())}), "
            f"top-k beyond random at some k on {beyond} of {len(g)} question(s)")


def _category_text(cmp: CategoryComparison) -> str:
    if cmp.effect is CategoryEffect.NONE:
        return ("every numerical question's whole-grid interval overlaps every categorical question's, so the "
                "evidence does not show that ablation works differently on the two categories")
    if cmp.effect is CategoryEffect.MIXED:
        pairs = join_words([f"{question_name(n.question)} vs {question_name(c.question)}" for n, c in cmp.separated])
        return (f"only {len(cmp.separated)} of {cmp.n_pairs} cross-type pairs have non-overlapping intervals "
                f"({pairs}), so there is no consistent difference by category")
    return (f"top-k ablation is more effective (beyond random) on the {cmp.effect.value} questions: all "
            f"{cmp.n_pairs} cross-type pairs have non-overlapping intervals")


def q3_comparisons(an: Analysis) -> list[tuple[str, str, CategoryComparison, float]]:
    """(model, method, verdict, numerical minus categorical mean gap in pp) of every combination with both types."""
    cur = an.top_vs_random_curves
    out = []
    if cur.empty:
        return out
    for (model, method), g in cur.groupby(["model", "method"], sort=False):
        num, cat = g[g["qtype"] == "numerical"], g[g["qtype"] == "categorical"]
        if num.empty or cat.empty:
            continue
        cmp = compare_categories(gap_drops(num), gap_drops(cat))
        out.append((model, method, cmp, float(num["gap_pp"].mean() - cat["gap_pp"].mean())))
    return out


def _q3_kmax(an: Analysis, model: str, method: str) -> str:
    bt = an.sensitivity_by_type
    g = bt[(bt["model"] == model) & (bt["method"] == method)].set_index("qtype")
    if not all(t in g.index for t in QTYPE_ORDER):
        return ""
    n, c = g.loc["numerical"], g.loc["categorical"]
    return (f" At the largest k (k = {n['k_max']}) the top-k drop averages {pp(n['mean_top_drop_pp'])} pp on the "
            f"numerical and {pp(c['mean_top_drop_pp'])} pp on the categorical questions (excess over random "
            f"{pp(n['mean_excess_drop_pp'])} and {pp(c['mean_excess_drop_pp'])} pp).")


def section_q3(an: Analysis, links: Links) -> list[str]:
    """Are ablations equally effective on each category (numerical vs categorical)?"""
    out = ["## Q3. Are ablations equally effective on each category?", "",
           "Measure: the paired whole-grid gap of Q1 (top-k minus random-k accuracy, mean over the grid) per "
           "question, averaged over the questions of each type (numerical: incorporation year, employee count; "
           "categorical: incorporation state, headquarters state), how many questions of each type show top-k "
           "beyond random at some k, and whether the per-question intervals of the two types overlap."]
    cur = an.top_vs_random_curves
    if cur.empty:
        return out + ["", "No paired ablation results (answers CSVs) in this run: this question cannot be answered."]
    comparisons = q3_comparisons(an)
    for model in an.results.model_names():
        cm = cur[cur["model"] == model]
        if cm.empty:
            continue
        out += ["", model_heading(model, an.results.models[model]), ""]
        for model_, method, cmp, diff in comparisons:
            if model_ != model:
                continue
            g = cm[cm["method"] == method]
            out += [f"**{method_name(method)}.** Numerical questions: {_type_numbers(g[g['qtype'] == 'numerical'])}; "
                    f"categorical: {_type_numbers(g[g['qtype'] == 'categorical'])}; difference {pp(diff)} pp "
                    f"(numerical minus categorical). Per question, {_category_text(cmp)}."
                    + _q3_kmax(an, model, method), ""]
        fd = links.fig_dir
        out.append("Figures: " + ", ".join([links.link(top_vs_random_path(fd, model), "top minus random at every k"),
                                            links.link(sensitivity_curves_path(fd, model), "drop vs k by type")])
                   + ".")
    tally = tally_categories(c for _, _, c, _ in comparisons)
    out += ["", f"**Answer.** Over the (model, method) combinations: no difference shown in "
            f"{tally[CategoryEffect.NONE]}, numerical more affected in {tally[CategoryEffect.NUMERICAL]}, "
            f"categorical more affected in {tally[CategoryEffect.CATEGORICAL]}, mixed in {tally[CategoryEffect.MIXED]}."]
    items = ["A difference between categories from two questions each: a category effect cannot be told apart "
             "from a question effect with two questions per category.",
             "Comparisons of gaps from different baselines as 'effectiveness' in a relative sense: gaps are "
             "absolute (pp); a question with a low baseline has less accuracy to lose."]
    return out + not_supported(items, an)


def q3_strongest(an: Analysis) -> tuple[str, str, CategoryComparison, float] | None:
    """The combination with the largest absolute difference between the types' mean gaps."""
    comparisons = q3_comparisons(an)
    return max(comparisons, key=lambda c: abs(c[3])) if comparisons else None
