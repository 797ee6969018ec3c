"""Q2 and Q4 of FINDINGS.md (which heads the questions share), rendered from the tables and the verdicts;
Q1 and Q3 (what the ablation curves show) are in harness/analysis/findings_curves.py.

Every section returns its Markdown lines. Which statement is made is decided in
harness/analysis/verdicts.py; here it is only worded.
"""

from __future__ import annotations

import pandas as pd

from harness.analysis.figure_paths import (
    jaccard_path,
    layers_path,
    sensitivity_curves_path,
)
from harness.analysis.findings_caveats import not_supported
from harness.analysis.format import (
    Links,
    cap,
    chance_ratio,
    method_name,
    model_heading,
    p_value,
    pp,
    question_name,
    ratio,
    tenths,
    threshold,
)
from harness.analysis.tables import Analysis
from harness.analysis.verdicts import (
    ALPHA,
    Agreement,
    DepthRelation,
    agreement,
    beyond_chance,
    bonferroni_threshold,
    compare_depth,
    compare_within_across,
    count_beyond_chance,
    intervals_overlap,
    tally_similarities,
)

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
