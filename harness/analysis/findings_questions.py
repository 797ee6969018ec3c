"""The four research questions of FINDINGS.md (Q1 to Q4), rendered from the tables and the verdicts.

Every section returns its Markdown lines. Which statement is made is decided in
harness/analysis/verdicts.py; here it is only worded.
"""

from __future__ import annotations

import pandas as pd

from harness.analysis.figure_paths import (
    fig8_grid_path,
    jaccard_path,
    layers_path,
    sensitivity_bars_path,
    sensitivity_curves_path,
)
from harness.analysis.findings_caveats import not_supported
from harness.analysis.format import (
    Links,
    cap,
    chance_ratio,
    drop_phrase,
    join_words,
    md_table,
    method_name,
    model_heading,
    p_value,
    pct,
    pp,
    question_name,
    ratio,
    tenths,
    threshold,
)
from harness.analysis.tables import QTYPE_ORDER, Analysis
from harness.analysis.verdicts import (
    ALPHA,
    Agreement,
    CategoryComparison,
    CategoryEffect,
    DepthRelation,
    QuestionDrop,
    QuestionSpread,
    agreement,
    beyond_chance,
    bonferroni_threshold,
    compare_categories,
    compare_depth,
    compare_within_across,
    count_beyond_chance,
    intervals_overlap,
    question_spread,
    tally_categories,
    tally_similarities,
    tally_spreads,
)


def question_drops(rows: pd.DataFrame) -> list[QuestionDrop]:
    """The top-k drops at the largest k of rows of the sensitivity table, in table order."""
    return [QuestionDrop(r.question, r.top_drop_pp, r.top_drop_ci_low_pp, r.top_drop_ci_high_pp)
            for r in rows.itertuples()]


# ---------------------------------------------------------------------------------------------- Q1


def _drop_sentence(r) -> str:
    return (f"{cap(question_name(r.question))}: top-k ablation of k = {r.k_max} heads {drop_phrase(r.top_drop_pp)} "
            f"(from {pct(r.baseline_pct)}% to {pct(r.top_acc_pct)}%; approx. 95% CI of the drop "
            f"{pp(r.top_drop_ci_low_pp)} to {pp(r.top_drop_ci_high_pp)} pp) versus "
            f"{pp(r.random_drop_mean_pp)} ± {pp(r.random_drop_sd_pp)} pp for random heads "
            f"(mean ± sd over {r.n_seeds} seeds, range {pp(r.random_drop_min_pp)} to {pp(r.random_drop_max_pp)})")


def _spread_text(spread: QuestionSpread | None) -> str:
    if spread is None:
        return ""
    hi, lo = spread.largest, spread.smallest
    if spread.unequal:
        return (f"The questions are not affected equally: {question_name(hi.question)} lost {pp(hi.drop_pp)} pp and "
                f"{question_name(lo.question)} {pp(lo.drop_pp)} pp, a gap of {pp(spread.gap_pp)} pp with "
                "non-overlapping intervals.")
    return (f"The largest drop ({question_name(hi.question)}, {pp(hi.drop_pp)} pp) and the smallest "
            f"({question_name(lo.question)}, {pp(lo.drop_pp)} pp) differ by {pp(spread.gap_pp)} pp, but their "
            "intervals overlap, so the evidence does not show that the same number of heads affects these "
            "questions differently.")


def _q1_method(method: str, g: pd.DataFrame) -> tuple[list[str], QuestionSpread | None]:
    """The paragraph of one (model, method) and its verdict."""
    out = [f"**{method_name(method)}.**", ""] + [f"- {_drop_sentence(r)}." for r in g.itertuples()] + [""]
    spread = question_spread(question_drops(g))
    beyond = list(g.loc[g["top_beyond_random"], "question"])
    text = _spread_text(spread) + (
        f" The lower end of the top-k drop interval exceeds the largest random-seed drop on {len(beyond)} of "
        f"{len(g)} question(s)" + (f" ({join_words([question_name(q) for q in beyond])})" if beyond else "") + ".")
    return out + [text.strip(), ""], spread


def _q1_table(sm: pd.DataFrame) -> str:
    return md_table(
        ["method", "question", "k", "n_test", "baseline %", "top-k drop pp [approx. 95% CI]",
         "random-k drop pp (mean ± sd) [min, max]", "excess over random pp"],
        [[method_name(r.method), question_name(r.question), r.k_max, r.n_test, pct(r.baseline_pct),
          f"{pp(r.top_drop_pp)} [{pp(r.top_drop_ci_low_pp)}, {pp(r.top_drop_ci_high_pp)}]",
          f"{pp(r.random_drop_mean_pp)} ± {pp(r.random_drop_sd_pp)} [{pp(r.random_drop_min_pp)}, "
          f"{pp(r.random_drop_max_pp)}]", pp(r.excess_drop_pp)] for r in sm.itertuples()])


def section_q1(an: Analysis, links: Links) -> list[str]:
    """Do the same number of ablated heads affect different questions equally?"""
    out = ["## Q1. Do the same number of ablated heads affect different questions equally?", "",
           "Measure: the accuracy drop from the unablated baseline (k = 0) to the largest k of the grid, per "
           "question, for the top-k heads of each method and for random heads (docs/ARCHITECTURE.md, Ablation)."]
    s = an.sensitivity
    if s.empty:
        return out + ["", "No ablation results in this run: this question cannot be answered."]
    res = an.results
    spreads = []
    for model in res.model_names():
        sm = s[s["model"] == model]
        if sm.empty:
            continue
        out += ["", model_heading(model, an.results.models[model]), ""]
        for method in [m for m in res.methods() if m in set(sm["method"])]:
            lines, spread = _q1_method(method, sm[sm["method"] == method])
            out += lines
            spreads.append(spread)
        out.append(_q1_table(sm))
        fd = links.fig_dir
        out += ["", "Figures: " + ", ".join([links.link(fig8_grid_path(fd, model), "accuracy vs k (grid)"),
                                              links.link(sensitivity_bars_path(fd, model), "drop at the largest k"),
                                              links.link(sensitivity_curves_path(fd, model), "drop vs k")]) + "."]
    tally = tally_spreads(spreads)
    out += ["", f"**Answer.** In {tally.unequal} of {tally.total} (model, method) combination(s) the questions' drops "
            f"have non-overlapping intervals at the largest k; in the other {tally.equal} the differences between "
            "questions are within the uncertainty."]
    items = [f"Claims that one question is more sensitive than another where intervals overlap ({tally.equal} of "
             f"{tally.total} combinations)." if tally.equal else "",
             "A ranking of the questions beyond the largest-versus-smallest comparison: the other pairs were not "
             "tested.",
             "The drop intervals combine the two endpoint intervals as if independent, which is conservative for "
             "the paired test samples; a paired bootstrap over the answers CSV would be tighter."]
    return out + not_supported([i for i in items if i], an)


# ---------------------------------------------------------------------------------------------- Q2


def _layer_row(an: Analysis, model: str, method: str, qtype: str):
    ls = an.layer_summary
    sel = ls[(ls["model"] == model) & (ls["method"] == method) & (ls["level"] == "qtype") & (ls["group"] == qtype)]
    return None if sel.empty else sel.iloc[0]


def _depth_text(an: Analysis, model: str, method: str) -> str:
    num, cat = _layer_row(an, model, method, "numerical"), _layer_row(an, model, method, "categorical")
    if num is None or cat is None:
        return ""
    cmp = compare_depth(num["mean_depth"], num["sd_depth"], cat["mean_depth"], cat["sd_depth"])
    size = (f" by {ratio(abs(cmp.difference))} of the depth range (standardised difference d = "
            f"{ratio(cmp.standardised)})" if cmp.relation is not DepthRelation.SAME else "")
    return (f" Numerical top heads sit at mean depth {ratio(num['mean_depth'])} (mean layer "
            f"{tenths(num['mean_layer'])}), categorical ones at {ratio(cat['mean_depth'])} (layer "
            f"{tenths(cat['mean_layer'])}): numerical heads are {cmp.relation.value}{size}.")


def _q2_method(an: Analysis, model: str, method: str, g: pd.DataFrame, alpha_b: float) -> tuple[str, int]:
    """The paragraph of one (model, method) and how many of its cross-type pairs beat chance."""
    sig = count_beyond_chance(g["p_value"], alpha_b)
    pairs = "; ".join(f"{question_name(r.question_a)} / {question_name(r.question_b)}: {r.intersection} shared, "
                      f"J = {ratio(r.jaccard)}, {p_value(r.p_value)}" for r in g.itertuples())
    text = (f"**{method_name(method)}.** Across types the top-{'/'.join(map(str, sorted(set(g['n_a']))))} sets "
            f"share a mean Jaccard of {ratio(g['jaccard'].mean())} (range {ratio(g['jaccard'].min())} to "
            f"{ratio(g['jaccard'].max())}) against {chance_ratio(g['expected_jaccard'].mean())} for random sets, "
            f"{tenths(g['ratio_to_expected'].mean())} times chance; {sig} of {len(g)} cross-type pairs overlap "
            f"beyond chance ({pairs}).")
    return text + _depth_text(an, model, method), sig


Q2_WORDS = {Agreement.MOST: "mostly share heads beyond chance",
            Agreement.SOME: "share heads beyond chance in some pairs only",
            Agreement.NONE: "do not share more heads than chance would give"}


def section_q2(an: Analysis, links: Links) -> list[str]:
    """Are there similarities between numerical and state heads? (across question types)"""
    out = ["## Q2. Are there similarities between numerical and state heads?", "",
           "Read as: do the top heads of the numerical questions (incorporation year, employee count) overlap with "
           "those of the state questions (incorporation state, headquarters state), and do they sit in the same "
           "layers? Measures: Jaccard index of top-n sets for every cross-type pair against the Jaccard two random "
           "sets of the same sizes would have, and the depth (layer / (n_layers - 1)) of the top heads."]
    cq = an.cross_question
    if cq.empty:
        return out + ["", "No pair of questions has detection results for the same model and method: this "
                      "question cannot be answered."]
    alpha_b = bonferroni_threshold(len(cq))
    out += ["", f"Significance: {len(cq)} question pairs are tested in this run, so an overlap counts as beyond "
            f"chance at p < {threshold(alpha_b)} (Bonferroni, alpha = {ALPHA})."]
    res = an.results
    n_sig, n_all = 0, 0
    for model in res.model_names():
        cm = cq[(cq["model"] == model) & (cq["relation"] == "across types")]
        if cm.empty:
            continue
        out += ["", model_heading(model, an.results.models[model]), ""]
        for method in [m for m in res.methods() if m in set(cm["method"])]:
            g = cm[cm["method"] == method]
            text, sig = _q2_method(an, model, method, g, alpha_b)
            n_sig, n_all = n_sig + sig, n_all + len(g)
            out += [text, ""]
        fd = links.fig_dir
        out.append("Figures: " + ", ".join(
            [links.link(jaccard_path(fd, model, m), f"Jaccard heatmap, {method_name(m)}") for m in res.methods()
             if (cq["model"].eq(model) & cq["method"].eq(m)).any()]
            + [links.link(layers_path(fd, model, m), f"layers, {method_name(m)}") for m in res.methods()
               if (an.layers["model"].eq(model) & an.layers["method"].eq(m)).any()]) + ".")
    if n_all:
        out += ["", f"**Answer.** Numerical and state questions {Q2_WORDS[agreement(n_sig, n_all)]}: {n_sig} of "
                f"{n_all} cross-type (model, method, pair) overlaps pass the corrected threshold."]
    items = ["That shared heads do the same job for both kinds of question: overlap of top lists is "
             "correlational; only ablating the shared heads alone would test it.",
             "The p-values treat the top sets as uniformly random sets of heads, a weak null: heads in some layers "
             "score high for every question, so beating it shows shared heads, not question-specific sharing.",
             "The layer comparison is descriptive: the top heads of two questions are not independent samples, "
             "so no test is reported for the depth difference."]
    return out + not_supported(items, an)


# ---------------------------------------------------------------------------------------------- Q3


def _category_text(cmp: CategoryComparison) -> str:
    if cmp.effect is CategoryEffect.NONE:
        return ("every numerical question's interval overlaps every categorical question's, so the evidence does "
                "not show that ablation works differently on the two categories")
    if cmp.effect is CategoryEffect.MIXED:
        pairs = join_words([f"{question_name(n.question)} vs {question_name(c.question)}" for n, c in cmp.separated])
        return (f"only {len(cmp.separated)} of {cmp.n_pairs} cross-type pairs have non-overlapping intervals "
                f"({pairs}), so there is no consistent difference by category")
    return (f"ablation is more effective on the {cmp.effect.value} questions: all {cmp.n_pairs} cross-type pairs "
            "have non-overlapping intervals")


def _q3_method(an: Analysis, model: str, method: str, g: pd.DataFrame) -> tuple[list[str], CategoryComparison | None]:
    """The paragraph of one (model, method) (``g``: its rows of sensitivity_by_type) and its verdict."""
    g = g.set_index("qtype")
    if not all(t in g.index for t in QTYPE_ORDER):
        return [f"**{method_name(method)}.** Only {join_words(list(g.index))} questions have ablation results; no "
                "comparison.", ""], None
    n, c = g.loc["numerical"], g.loc["categorical"]
    diff = n["mean_top_drop_pp"] - c["mean_top_drop_pp"]
    s = an.sensitivity
    sm = s[(s["model"] == model) & (s["method"] == method)]
    cmp = compare_categories(question_drops(sm[sm["qtype"] == "numerical"]),
                             question_drops(sm[sm["qtype"] == "categorical"]))
    return [f"**{method_name(method)}** (k = {n['k_max']}). Numerical questions lost {pp(n['mean_top_drop_pp'])} pp "
            f"on average (range {pp(n['min_top_drop_pp'])} to {pp(n['max_top_drop_pp'])}; random heads "
            f"{pp(n['mean_random_drop_pp'])} pp, excess {pp(n['mean_excess_drop_pp'])} pp), categorical "
            f"questions {pp(c['mean_top_drop_pp'])} pp (range {pp(c['min_top_drop_pp'])} to "
            f"{pp(c['max_top_drop_pp'])}; random {pp(c['mean_random_drop_pp'])} pp, excess "
            f"{pp(c['mean_excess_drop_pp'])} pp); difference {pp(diff)} pp (numerical minus categorical). "
            f"Per question, {_category_text(cmp)}.", ""], cmp


def section_q3(an: Analysis, links: Links) -> list[str]:
    """Are ablations equally effective on each category (numerical vs categorical)?"""
    out = ["## Q3. Are ablations equally effective on each category?", "",
           "Measure: the mean accuracy drop at the largest k over the questions of each type (numerical: "
           "incorporation year, employee count; categorical: incorporation state, headquarters state), for top-k "
           "and random-k heads, and whether the per-question intervals of the two types overlap."]
    bt = an.sensitivity_by_type
    if bt.empty:
        return out + ["", "No ablation results in this run: this question cannot be answered."]
    res = an.results
    verdicts = []
    for model in res.model_names():
        bm = bt[bt["model"] == model]
        if bm.empty:
            continue
        out += ["", model_heading(model, an.results.models[model]), ""]
        for method in [m for m in res.methods() if m in set(bm["method"])]:
            lines, cmp = _q3_method(an, model, method, bm[bm["method"] == method])
            out += lines
            if cmp is not None:
                verdicts.append(cmp)
        fd = links.fig_dir
        out.append("Figures: " + ", ".join([links.link(sensitivity_curves_path(fd, model), "drop vs k by type"),
                                            links.link(sensitivity_bars_path(fd, model), "drop at the largest k")])
                   + ".")
    tally = tally_categories(verdicts)
    out += ["", f"**Answer.** Over the (model, method) combinations: no difference shown in "
            f"{tally[CategoryEffect.NONE]}, numerical more affected in {tally[CategoryEffect.NUMERICAL]}, "
            f"categorical more affected in {tally[CategoryEffect.CATEGORICAL]}, mixed in {tally[CategoryEffect.MIXED]}."]
    items = ["A difference between categories from two questions each: a category effect cannot be told apart "
             "from a question effect with two questions per category.",
             "Comparisons of drops from different baselines as 'effectiveness' in a relative sense: drops are "
             "absolute (pp); a question with a low baseline has less accuracy to lose."]
    return out + not_supported(items, an)


# ---------------------------------------------------------------------------------------------- Q4


def _within_pair_text(r, sa: pd.DataFrame, alpha_b: float) -> str:
    """One same-type pair: its overlap against chance and whether the two questions' drops differ."""
    text = (f"{question_name(r.question_a)} / {question_name(r.question_b)} ({r.qtype_a}): {r.intersection} shared "
            f"heads, J = {ratio(r.jaccard)} vs {chance_ratio(r.expected_jaccard)} by chance, {p_value(r.p_value)}"
            + (" (beyond chance after correction)" if beyond_chance(r.p_value, alpha_b)
               else " (not beyond chance after correction)"))
    if r.question_a in sa.index and r.question_b in sa.index:
        ra, rb = sa.loc[r.question_a], sa.loc[r.question_b]
        ov = intervals_overlap(ra["top_drop_ci_low_pp"], ra["top_drop_ci_high_pp"], rb["top_drop_ci_low_pp"],
                               rb["top_drop_ci_high_pp"])
        text += (f"; their top-k drops ({pp(ra['top_drop_pp'])} and {pp(rb['top_drop_pp'])} pp) differ by "
                 f"{pp(abs(ra['top_drop_pp'] - rb['top_drop_pp']))} pp, "
                 + ("within the uncertainty" if ov else "with non-overlapping intervals"))
    return text


def _q4_method(an: Analysis, model: str, method: str, cm: pd.DataFrame, alpha_b: float):
    """The paragraph of one (model, method) (``cm``: the model's question pairs) and its verdict (or None)."""
    w = cm[(cm["method"] == method) & (cm["relation"] == "within type")]
    a = cm[(cm["method"] == method) & (cm["relation"] == "across types")]
    s = an.sensitivity
    sa = s[(s["model"] == model) & (s["method"] == method)].set_index("question")
    text = (f"**{method_name(method)}.** " + "; ".join(cap(_within_pair_text(r, sa, alpha_b)) for r in w.itertuples())
            + ".")
    if a.empty:
        return text, None
    sim = compare_within_across(list(w["jaccard"]), list(a["jaccard"]))
    text += (f" Mean within-type Jaccard {ratio(sim.within)} is {sim.relation.value} the mean cross-type Jaccard "
             f"{ratio(sim.across)} (difference {ratio(sim.difference)}).")
    return text, sim


def section_q4(an: Analysis, links: Links) -> list[str]:
    """Similarities among the numerical questions and among the state questions (within type)."""
    out = ["## Q4. Do we see similarities among the numerical and among the state questions?", "",
           "Read as: are the two numerical questions (incorporation year, employee count) alike, and the two state "
           "questions (incorporation state, headquarters state) alike, more than questions of different types are? "
           "Measures: within-type Jaccard of top-n sets against cross-type Jaccard and chance, and the difference "
           "of the two questions' accuracy drops at the largest k."]
    cq = an.cross_question
    if cq.empty:
        return out + ["", "No pair of questions has detection results: this question cannot be answered."]
    alpha_b = bonferroni_threshold(len(cq))
    res = an.results
    s = an.sensitivity
    verdicts = []
    for model in res.model_names():
        cm = cq[cq["model"] == model]
        within = cm[cm["relation"] == "within type"]
        if within.empty:
            continue
        out += ["", model_heading(model, an.results.models[model]), ""]
        for method in [m for m in res.methods() if m in set(within["method"])]:
            text, sim = _q4_method(an, model, method, cm, alpha_b)
            if sim is not None:
                verdicts.append(sim)
            out += [text, ""]
        fd = links.fig_dir
        out.append("Figures: " + ", ".join(
            [links.link(jaccard_path(fd, model, m), f"Jaccard heatmap, {method_name(m)}") for m in res.methods()
             if (cm["method"] == m).any()]
            + ([links.link(sensitivity_curves_path(fd, model), "drop vs k by question type")]
               if (s["model"] == model).any() else [])) + ".")
    tally = tally_similarities(verdicts)
    if tally.total:
        out += ["", f"**Answer.** Questions of the same type share more top heads than questions of different "
                f"types in {tally.higher} of {tally.total} (model, method) combination(s)"
                + (", so same-type questions look alike in their heads more often than not." if tally.types_alike
                   else ", so the type of answer does not predict which questions share heads.")]
    items = ["A general claim from two questions per type: each type has only two members, so 'within type' is "
             "a single pair per model and method.",
             "That the within/cross difference is significant: no test is made of the difference of Jaccard "
             "indices, whose pairs share questions and are not independent."]
    return out + not_supported(items, an)
