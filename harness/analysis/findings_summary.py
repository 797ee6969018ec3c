"""The summary that opens FINDINGS.md: one line per research question (and for the method and model
comparisons), each with its answer, its strongest supporting number and a link to the figure that shows it.

The answers are the ones the sections below reach (the same tables, thresholds and verdict rules); this
module only picks the strongest number and words one line each.
"""

from __future__ import annotations

from harness.analysis.figure_paths import (
    cross_method_path,
    jaccard_path,
    model_comparison_path,
    sensitivity_curves_path,
    top_vs_random_path,
)
from harness.analysis.findings_comparisons import METHODS_WORDS
from harness.analysis.findings_curves import excess_text, q1_answer, q3_comparisons, strongest_text
from harness.analysis.findings_questions import Q2_WORDS
from harness.analysis.format import Links, chance_ratio, method_name, p_value, pp, question_name, ratio
from harness.analysis.tables import Analysis
from harness.analysis.verdicts import (
    Agreement,
    CategoryEffect,
    agreement,
    bonferroni_threshold,
    compare_within_across,
    count_beyond_chance,
    same_arch_sharing,
    tally_categories,
    tally_similarities,
    tally_spreads,
)

MAX_LINES = 10
Q1_WORDS = {Agreement.MOST: "Mostly not: the questions are affected unequally",
            Agreement.SOME: "Unequal effects in some combinations only",
            Agreement.NONE: "No difference between questions shown"}


def _overlap(r) -> str:
    """'12 shared, J = 0.40 vs 0.103 by chance, p < 0.001' of an overlap row."""
    return (f"{r.intersection} shared, J = {ratio(r.jaccard)} vs {chance_ratio(r.expected_jaccard)} by chance, "
            f"{p_value(r.p_value)}")


def _q1_lines(an: Analysis, links: Links) -> list[str]:
    a = q1_answer(an)
    if not a.tally.total:
        return ["- **Q1. Same number of heads, same effect on every question?** No paired ablation results "
                "(answers CSVs)."]
    spread = tally_spreads(s for _, _, s in a.spreads)
    verdict = Q1_WORDS[agreement(spread.unequal, spread.total)]
    line = (f"- **Q1. Same number of heads, same effect on every question?** {verdict}: the most and least "
            f"affected questions' whole-grid gaps are separated in {spread.unequal} of {spread.total} (model, method) "
            "combinations")
    if a.spreads:
        model, method, s = max(a.spreads, key=lambda x: (x[2].unequal, x[2].gap_pp))
        line += (f"; largest: {model} {method_name(method)}, top-k ablation cost "
                 f"{excess_text(s.largest.question, s.largest.drop_pp)} over the grid, "
                 f"{excess_text(s.smallest.question, s.smallest.drop_pp)} "
                 f"({links.link(top_vs_random_path(links.fig_dir, model), 'top minus random')})")
    lines = [line + "."]
    best = a.strongest
    link = f" ({links.link(top_vs_random_path(links.fig_dir, best['model']), 'top minus random')})" \
        if best is not None else ""
    lines.append(f"- **Top vs random heads.** Top-k ablation costs more accuracy than random-k beyond chance at some "
                 f"k in {a.tally.at_some_k} of {a.tally.total} cells (at the largest k only: {a.tally.at_kmax}; "
                 f"earlier rule: {a.old_rule})" + (f"; strongest: {strongest_text(best)}" if best is not None
                                                   else "") + f"{link}.")
    return lines


def _q2_line(an: Analysis, links: Links) -> str:
    cq = an.cross_question
    across = cq[cq["relation"] == "across types"] if not cq.empty else cq
    if across.empty:
        return "- **Q2. Numerical and state heads alike?** No cross-type pair of detections."
    thr = bonferroni_threshold(len(cq))
    sig = count_beyond_chance(across["p_value"], thr)
    r = across.sort_values(["p_value", "jaccard"], ascending=[True, False], kind="stable").iloc[0]
    return (f"- **Q2. Numerical and state heads alike?** They {Q2_WORDS[agreement(sig, len(across))]} ({sig} of "
            f"{len(across)} cross-type overlaps); strongest: {r.model} {method_name(r.method)} "
            f"{question_name(r.question_a)} / {question_name(r.question_b)}: {_overlap(r)}"
            f" ({links.link(jaccard_path(links.fig_dir, r.model, r.method), 'Jaccard heatmap')}).")


def _q3_line(an: Analysis, links: Links) -> str:
    comparisons = q3_comparisons(an)
    if not comparisons:
        return "- **Q3. Ablation equally effective on both categories?** No paired comparison of the two types."
    t = tally_categories(c for _, _, c, _ in comparisons)
    model, method, cmp, diff = max(comparisons, key=lambda c: abs(c[3]))
    return (f"- **Q3. Ablation equally effective on both categories?** No difference shown in "
            f"{t[CategoryEffect.NONE]} of {len(comparisons)} (model, method) combinations (numerical more affected "
            f"{t[CategoryEffect.NUMERICAL]}, categorical {t[CategoryEffect.CATEGORICAL]}, mixed "
            f"{t[CategoryEffect.MIXED]}); largest type difference: {model} {method_name(method)}, numerical minus "
            f"categorical gap {pp(diff)} pp (per-question verdict: {cmp.effect.value}) "
            f"({links.link(sensitivity_curves_path(links.fig_dir, model), 'drop vs k by type')}).")


def _q4_line(an: Analysis, links: Links) -> str:
    cq = an.cross_question
    within = cq[cq["relation"] == "within type"] if not cq.empty else cq
    if within.empty:
        return "- **Q4. Same-type questions alike?** No same-type pair of detections."
    sims = []
    for _, g in cq.groupby(["model", "method"], sort=False):
        w, a = g[g["relation"] == "within type"], g[g["relation"] == "across types"]
        if len(w) and len(a):
            sims.append(compare_within_across(list(w["jaccard"]), list(a["jaccard"])))
    t = tally_similarities(sims)
    r = within.sort_values(["p_value", "jaccard"], ascending=[True, False], kind="stable").iloc[0]
    return (f"- **Q4. Same-type questions alike?** Same-type questions share more top heads than cross-type ones in "
            f"{t.higher} of {t.total} (model, method) combinations; strongest: {r.model} {method_name(r.method)} "
            f"{question_name(r.question_a)} / {question_name(r.question_b)}: {_overlap(r)}"
            f" ({links.link(jaccard_path(links.fig_dir, r.model, r.method), 'Jaccard heatmap')}).")


def _methods_line(an: Analysis, links: Links) -> str | None:
    cm = an.cross_method
    if cm.empty:
        return None
    sig = count_beyond_chance(cm["p_value"], bonferroni_threshold(len(cm)))
    r = cm.sort_values(["p_value", "jaccard"], ascending=[True, False], kind="stable").iloc[0]
    return (f"- **Do the methods find the same heads?** They {METHODS_WORDS[agreement(sig, len(cm))]} ({sig} of "
            f"{len(cm)} pairs); strongest: {r.model} {question_name(r.question)} {method_name(r.method_a)} / "
            f"{method_name(r.method_b)}: {_overlap(r)} "
            f"({links.link(cross_method_path(links.fig_dir, r.model), 'method overlap')}).")


def _models_line(an: Analysis, links: Links) -> str | None:
    pairs = an.model_pairs
    if pairs.empty:
        return None
    parts = []
    msa = an.model_same_arch
    for p in pairs.itertuples():
        link = links.link(model_comparison_path(links.fig_dir, p.model_a, p.model_b), "comparison")
        sa = msa[(msa["model_a"] == p.model_a) & (msa["model_b"] == p.model_b)] if not msa.empty else msa
        if p.same_arch and len(sa):
            v = same_arch_sharing(list(sa["spearman"]), list(sa["p_value"]), bonferroni_threshold(len(msa)))
            parts.append(f"{p.model_a} vs {p.model_b}: {v.sharing.value} (median Spearman "
                         f"{ratio(v.median_spearman)}) ({link})")
        else:
            parts.append(f"{p.model_a} vs {p.model_b}: different architectures, heads not compared ({link})")
    return "- **Instruct vs base models.** " + "; ".join(parts) + "."


def section_summary(an: Analysis, links: Links) -> list[str]:
    """'## Summary' and at most MAX_LINES - 2 answer lines."""
    lines = _q1_lines(an, links) + [_q2_line(an, links), _q3_line(an, links), _q4_line(an, links)]
    lines += [x for x in (_methods_line(an, links), _models_line(an, links)) if x]
    return ["## Summary", ""] + lines[: MAX_LINES - 2]


def summary_lines(text: str) -> list[str]:
    """The summary's answer lines of a rendered FINDINGS.md (what ``harness report`` can print)."""
    if "## Summary" not in text:
        return []
    block = text.split("## Summary", 1)[1].split("\n## ", 1)[0]
    return [ln for ln in block.splitlines() if ln.startswith("- ")]

