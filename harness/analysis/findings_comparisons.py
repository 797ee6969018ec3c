"""The method and model comparisons of FINDINGS.md, rendered from the tables and the verdicts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from harness.analysis.figure_paths import cross_method_path, model_comparison_path
from harness.analysis.findings_caveats import detection_facts, not_supported
from harness.analysis.format import (
    Links,
    cap,
    chance_ratio,
    md_table,
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
    FEW_SUCCESSES,
    Agreement,
    ModelCaveat,
    ModelPair,
    agreement,
    bonferroni_threshold,
    count_beyond_chance,
    few_successes,
    model_caveats,
    same_arch_sharing,
)

# -------------------------------------------------------------------------------------------- methods

METHODS_WORDS = {Agreement.MOST: "mostly agree", Agreement.SOME: "agree in some cases",
                 Agreement.NONE: "do not agree beyond chance"}


def _shared_text(sh: pd.DataFrame, q: str) -> str:
    """The heads in every method's top set for question ``q`` (at most 12 named)."""
    if q not in sh.index:
        return "n/a"
    heads = [h for h in str(sh.loc[q, "heads"]).split(";") if h and h != "nan"]
    shown = ", ".join(f"`{h}`" for h in heads[:12]) + (f" and {len(heads) - 12} more" if len(heads) > 12 else "")
    return (f"{int(sh.loc[q, 'n_shared'])} (chance {tenths(sh.loc[q, 'expected_shared'])})"
            + (f": {shown}" if heads else ""))


def _methods_model(an: Analysis, model: str, g: pd.DataFrame, sig: int) -> list[str]:
    """The block of one model (``g``: its rows of cross_method_overlap)."""
    out = [f"Over all questions and method pairs the mean Jaccard is {ratio(g['jaccard'].mean())} (range "
           f"{ratio(g['jaccard'].min())} to {ratio(g['jaccard'].max())}) against "
           f"{chance_ratio(g['expected_jaccard'].mean())} for random sets; {sig} of {len(g)} pairs overlap beyond "
           "chance after correction.", ""]
    rows = []
    sh = an.shared[an.shared["model"] == model].set_index("question")
    for q in [q for q in an.results.questions() if q in set(g["question"])]:
        cells = "; ".join(f"{method_name(r.method_a)} / {method_name(r.method_b)}: {r.intersection} (J = "
                          f"{ratio(r.jaccard)}, {p_value(r.p_value)})" for r in g[g["question"] == q].itertuples())
        rows.append([question_name(q), cells, _shared_text(sh, q)])
    out.append(md_table(["question", "shared top heads per method pair", "in every method's top set"], rows))
    return out


def section_methods(an: Analysis, links: Links) -> list[str]:
    """Do the three methods find the same heads?"""
    out = ["## Do the methods find the same heads?", "",
           "Measure: Jaccard index of the methods' top-n sets per (model, question), against chance, and the heads "
           "in every method's top set."]
    cm = an.cross_method
    if cm.empty:
        return out + ["", "Fewer than two methods have detection results for the same model and question."]
    alpha_b = bonferroni_threshold(len(cm))
    out += ["", f"Significance: {len(cm)} method pairs are tested, threshold p < {threshold(alpha_b)} (Bonferroni)."]
    sig_total, n_total = 0, 0
    for model in an.results.model_names():
        g = cm[cm["model"] == model]
        if g.empty:
            continue
        sig = count_beyond_chance(g["p_value"], alpha_b)
        sig_total, n_total = sig_total + sig, n_total + len(g)
        out += ["", model_heading(model, an.results.models[model]), ""] + _methods_model(an, model, g, sig)
        out += ["", "Figure: " + links.link(cross_method_path(links.fig_dir, model), "method overlap") + "."]
    out += ["", f"**Answer.** The methods {METHODS_WORDS[agreement(sig_total, n_total)]}: {sig_total} of {n_total} "
            "method pairs share more top heads than random sets would."]
    items = ["That heads found by several methods matter more for the answer: agreement of scores is not a causal "
             "test; compare the methods' ablation curves (Q1) for that."]
    if few_successes(detection_facts(an)):
        items.append("Agreement or disagreement involving the Wu24 lists where fewer than "
                     f"{FEW_SUCCESSES} samples passed its success gate (see the setup table).")
    return out + not_supported(items, an)


# --------------------------------------------------------------------------------------------- models

MODEL_CAVEAT_TEXT = {
    ModelCaveat.HEADS_ACROSS_ARCHITECTURES: "Any claim about individual heads across different architectures.",
    ModelCaveat.TUNING_CONFOUNDED: "An effect of instruction tuning where the two models also differ in family or "
                                   "size: the comparison confounds them.",
    ModelCaveat.NO_TUNING_CONTRAST: "Any statement about instruction tuning: no pair of this run differs only in it.",
    ModelCaveat.SENSITIVITY_ACROSS_MODELS: "Sensitivity comparisons across models taken at face value: with "
                                           "different numbers of heads or k grids, k heads are a different share of "
                                           "each model.",
    ModelCaveat.SAME_ID_SAME_JOB: "That equal head ids do the same job in both models: rank correlation and overlap "
                                  "of scores are correlational.",
}


def _same_arch_block(an: Analysis, p) -> list[str]:
    """Head-by-head comparison of a same-architecture pair (a row of model_pairs)."""
    msa = an.model_same_arch
    sa = msa[(msa["model_a"] == p.model_a) & (msa["model_b"] == p.model_b)]
    alpha_b = bonferroni_threshold(len(msa))
    out = [f"Same architecture ({p.family_a}, {p.shape_a}): head ids are compared directly.", ""]
    if sa.empty:
        return out
    v = same_arch_sharing(list(sa["spearman"]), list(sa["p_value"]), alpha_b)
    out.append(f"Spearman correlation of all head scores: median {ratio(v.median_spearman)} (range "
               f"{ratio(sa['spearman'].min())} to {ratio(sa['spearman'].max())}) over {len(sa)} (method, "
               f"question) cells; top-n Jaccard mean {ratio(sa['jaccard'].mean())} against "
               f"{chance_ratio(sa['expected_jaccard'].mean())} by chance, beyond chance (p < {threshold(alpha_b)}) "
               f"in {v.n_beyond} of {len(sa)} cells.")
    out += ["", md_table(["method", "question", "Spearman", "shared top heads", "Jaccard", "p"],
                         [[method_name(r.method), question_name(r.question), ratio(r.spearman), r.intersection,
                           ratio(r.jaccard), p_value(r.p_value)] for r in sa.itertuples()])]
    out += ["", f"**Answer.** By these measures the two models use {v.sharing.value} (rule: median Spearman "
            ">= 0.7 and most top-n overlaps beyond chance = largely the same; median >= 0.3 or any overlap "
            "beyond chance = partly; otherwise different)."]
    return out


def _profile_table(an: Analysis, p) -> str:
    prof = an.model_profiles
    rows = []
    for method in an.results.methods():
        cells = [method_name(method)]
        for m in (p.model_a, p.model_b):
            g = prof[(prof["model"] == m) & (prof["method"] == method)]
            if g.empty:
                cells += ["n/a", "n/a", "n/a"]
                continue
            drop = g["top_drop_pp"] if "top_drop_pp" in g else pd.Series(dtype=float)
            cells += [ratio(g["mean_depth"].mean()), ratio(g["share_top10pct"].mean()),
                      pp(drop.mean()) if drop.notna().any() else "n/a"]
        rows.append(cells)
    return md_table(["method", f"{p.model_a}: mean depth", f"{p.model_a}: top-10% mass",
                     f"{p.model_a}: top-k drop pp", f"{p.model_b}: mean depth", f"{p.model_b}: top-10% mass",
                     f"{p.model_b}: top-k drop pp"], rows)


def _profile_summary(an: Analysis, p) -> list[str]:
    """Where and how concentrated each model's top heads are, and how much ablating them costs (means)."""
    prof = an.model_profiles
    pa, pb = prof[prof["model"] == p.model_a], prof[prof["model"] == p.model_b]
    da, db = pa["mean_depth"].mean(), pb["mean_depth"].mean()
    ca, cb = pa["share_top10pct"].mean(), pb["share_top10pct"].mean()
    parts = []
    if np.isfinite(da) and np.isfinite(db):
        parts.append(f"top heads sit at mean depth {ratio(da)} in {p.model_a} and {ratio(db)} in {p.model_b} "
                     f"(difference {ratio(da - db)} of the depth range)")
    if np.isfinite(ca) and np.isfinite(cb):
        parts.append(f"the best 10% of heads hold {ratio(ca)} and {ratio(cb)} of the positive score mass")
    if "top_drop_pp" in prof and pa["top_drop_pp"].notna().any() and pb["top_drop_pp"].notna().any():
        parts.append(f"top-k ablation at the largest k lowers accuracy by {pp(pa['top_drop_pp'].mean())} and "
                     f"{pp(pb['top_drop_pp'].mean())} pp on average")
    if not parts:
        return []
    lead = "**Answer.** " if not p.same_arch else ""
    return ["", lead + cap("; ".join(parts)) + "."
            + ("" if p.same_arch else " These are averages over methods and questions with no test of the "
               "differences; they describe where and how concentrated each model's retrieval heads are, "
               "not whether the two models use the same heads.")]


def _pair_block(an: Analysis, links: Links, p) -> list[str]:
    """Everything said about one pair of models (a row of model_pairs)."""
    out = [f"### {p.model_a} ({p.kind_a}) vs {p.model_b} ({p.kind_b})", ""]
    if ModelPair(p.kind_a, p.kind_b, bool(p.same_arch)).same_kind:
        out += [f"Both models are used as {p.kind_a} models, so this pair does not isolate instruction "
                "tuning.", ""]
    if p.same_arch:
        out += _same_arch_block(an, p)
    else:
        out.append(f"Different architectures ({p.family_a} {p.shape_a} vs {p.family_b} {p.shape_b}): head ids "
                   "mean different things in the two models and are not compared. Only distributions are:")
    out += ["", _profile_table(an, p)]
    out += ["", "Columns are means over questions: depth of the top heads (layer / (n_layers - 1)), share of "
            "the positive score mass held by the best 10% of heads, and the accuracy drop at each model's "
            "largest k."]
    out += _profile_summary(an, p)
    out += ["", "Figure: " + links.link(model_comparison_path(links.fig_dir, p.model_a, p.model_b),
                                        "model comparison") + ".", ""]
    return out


def section_models(an: Analysis, links: Links) -> list[str]:
    """Do instruct and base models use different heads?"""
    out = ["## Do instruct and base models use different heads?", ""]
    pairs = an.model_pairs
    if pairs.empty:
        return out + ["Only one model in this run: no comparison."]
    for p in pairs.itertuples():
        out += _pair_block(an, links, p)
    kmax = an.sensitivity.groupby("model")["k_max"].max() if not an.sensitivity.empty else pd.Series(dtype=int)
    caveats = model_caveats([ModelPair(p.kind_a, p.kind_b, bool(p.same_arch)) for p in pairs.itertuples()],
                            int(kmax.nunique()))
    return out + not_supported([MODEL_CAVEAT_TEXT[c] for c in caveats], an)
