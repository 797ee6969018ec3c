"""FINDINGS.md of a run, generated entirely from its result files.

Every sentence is a template whose wording is chosen by the numbers (which drop is larger, whether two
intervals overlap, whether an overlap beats chance after a Bonferroni correction, whether two models share
an architecture). Nothing is written by hand for a particular run: rerun
``python -m harness report --run results/<run>`` after the results change.

Conventions used in the text: accuracies in %, differences in percentage points (pp); "interval" is the 95%
bootstrap interval of the result files, and for a drop (baseline minus ablated accuracy) the approximate 95%
interval of harness.analysis.tables.sensitivity (endpoint intervals combined in quadrature); Jaccard p-values are
hypergeometric P[overlap >= observed] for uniformly random head sets.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from adapters.questions import QUESTIONS
from harness.analysis import figures as F
from harness.analysis.tables import QTYPE_ORDER, Analysis, analyze, model_kind, tables_dir

ALPHA = 0.05
SMALL_N = 100  # fewer test samples than this: intervals are wide, say so
FEW_HEADS = 512  # fewer heads than this: a small model, far from the 8B models of the study's target
FEW_SUCCESSES = 10  # Wu24 scores resting on fewer successful samples than this are noisy


# ------------------------------------------------------------------------------------------- formatting


def _fmt(x: float | None, digits: int) -> str:
    if x is None or not np.isfinite(x):
        return "n/a"
    v = round(float(x), digits) + 0.0  # + 0.0 turns -0.0 into 0.0
    return f"{v:.{digits}f}"


def f1(x: float) -> str:
    """One decimal (percentages, pp)."""
    return _fmt(x, 1)


def f2(x: float) -> str:
    """Two decimals (Jaccard, depth, correlations)."""
    return _fmt(x, 2)


def f3(x: float) -> str:
    """Three decimals (random-expectation Jaccard)."""
    return _fmt(x, 3)


def fp(p: float) -> str:
    """p-value as text."""
    if p is None or not np.isfinite(p):
        return "p n/a"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def qname(q: str) -> str:
    """Readable question name."""
    return QUESTIONS[q].short


def mname(m: str) -> str:
    """Readable method name."""
    return F.method_label(m)


def drop_phrase(drop_pp: float) -> str:
    """'lowered accuracy by 12.5 pp' / 'raised accuracy by 2.5 pp' / 'left accuracy unchanged'."""
    if not np.isfinite(drop_pp):
        return "had an undetermined effect on accuracy"
    if abs(drop_pp) < 0.05:
        return "left accuracy unchanged (0.0 pp)"
    return f"{'lowered' if drop_pp > 0 else 'raised'} accuracy by {f1(abs(drop_pp))} pp"


def md_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A GitHub-flavoured Markdown table."""
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for r in rows:
        out.append("| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |")
    return "\n".join(out)


def overlaps(lo1: float, hi1: float, lo2: float, hi2: float) -> bool:
    """Whether two intervals overlap."""
    return not (lo1 > hi2 or lo2 > hi1)


def join_words(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# ------------------------------------------------------------------------------------------------ links


class Links:
    """Relative Markdown links from FINDINGS.md to figures (marked when a figure has not been drawn)."""

    def __init__(self, an: Analysis, out_path: Path) -> None:
        self.fig_dir = F.figures_dir(an.run_dir)
        self.base = out_path.parent

    def link(self, path: Path, text: str | None = None) -> str:
        rel = Path(os.path.relpath(path, self.base)).as_posix()
        label = text or path.name
        suffix = "" if path.exists() else " (not drawn yet: run `python -m harness figures --run <run>`)"
        return f"[{label}]({rel}){suffix}"


# ---------------------------------------------------------------------------------------------- setup


def _find_setting(an: Analysis, names: Sequence[str]) -> list[str]:
    """Distinct values of the first of ``names`` found in the manifest config or the result files' settings."""
    found: list[str] = []

    def add(v: object) -> None:
        s = json.dumps(v) if isinstance(v, (list, dict)) else str(v)
        if s not in found:
            found.append(s)

    cfg = an.results.manifest.get("config", {})
    for n in names:
        if n in cfg:
            add(cfg[n])
            return found
    for sub in cfg.values():
        if isinstance(sub, dict):
            for n in names:
                if n in sub:
                    add(sub[n])
    if found:
        return found
    for obj in list(an.results.ablations.values()) + list(an.results.detections.values()):
        for where in (obj.get("settings") or {}, obj):
            for n in names:
                if n in where:
                    add(where[n])
                    break
    return found


def _setting_text(an: Analysis, names: Sequence[str]) -> str:
    vals = _find_setting(an, names)
    return " / ".join(f"`{v}`" for v in vals) if vals else "not recorded"


def section_setup(an: Analysis) -> list[str]:
    """Models, data, split sizes, settings and which units exist."""
    res = an.results
    out = ["## Setup", "", "### Models", ""]
    rows = []
    for m in res.model_names():
        info = res.models[m]
        shape = f"{info['n_layers']} x {info['n_heads']}"
        if info.get("n_kv_heads"):
            shape += f" ({info['n_kv_heads']} KV heads)"
        rows.append([f"`{m}`", f"`{info.get('id', m)}`", f"`{info.get('revision_or_hash', 'not recorded')}`",
                     model_kind(info), info.get("family", "not recorded"), shape, info["n_layers"] * info["n_heads"],
                     info.get("attn_implementation", info.get("attn", "not recorded")),
                     "yes" if info.get("random_weights") else "no"])
    out.append(md_table(["name", "id", "revision / weights hash", "used as", "family", "layers x heads",
                         "heads", "attention", "random weights"], rows))
    data = res.manifest.get("data", {})
    label = data.get("label") or data.get("dataset") or data.get("dataset_label") or data.get("name")
    if not label:
        labels = sorted({str(o.get("dataset")) for o in list(res.detections.values()) + list(res.ablations.values())
                         if o.get("dataset")})
        label = " / ".join(labels) if labels else "not recorded"
    if "synthetic" in data:
        synth = ("**synthetic** (generated corpus; no statement here is about real filings)" if data["synthetic"]
                 else "real filings")
    else:
        synth = "not recorded (no `data.synthetic` in run_manifest.json)"
    out += ["", "### Data", "", f"- Data set: {label}; {synth}."]
    if "train" in data or "test" in data:
        out.append(f"- Split sizes (run manifest): train {data.get('train', 'not recorded')}, "
                   f"test {data.get('test', 'not recorded')}.")
    else:
        n_train = sorted({str(o.get("settings", {}).get("n_train")) for o in res.detections.values()
                          if o.get("settings", {}).get("n_train") is not None})
        out.append("- Split sizes: not in a run manifest; train split per detection settings: "
                   + (" / ".join(n_train) if n_train else "not recorded") + ".")
    for key in ("data_hash", "hash", "sha256"):
        if key in data:
            out.append(f"- Data hash: `{data[key]}`.")
    conc = an.concentration
    if not conc.empty:
        out += ["- Train samples behind each detection (used / excluded; Wu24: samples that passed the "
                "success gate):", ""]
        rows = []
        for r in conc.itertuples():
            rows.append([r.model, mname(r.method), qname(r.question), r.n_samples_used, r.n_samples_excluded,
                         "" if not np.isfinite(r.n_success) else int(r.n_success)])
        out.append(md_table(["model", "method", "question", "used", "excluded", "Wu24 successes"], rows))
    sens = an.sensitivity
    if not sens.empty:
        nt = sens.groupby(["model", "question"], sort=False)["n_test"].agg(lambda s: "/".join(map(str, sorted(set(s)))))
        out += ["", "- Test samples per question (usable for that question): "
                + "; ".join(f"{m} {qname(q)} {v}" for (m, q), v in nt.items()) + "."]
    out += ["", "### Settings", ""]
    kg = sorted({(m, json.dumps(o["k_grid"])) for (m, _, _), o in res.ablations.items()})
    seeds = sorted({json.dumps(o.get("seeds")) for o in res.ablations.values()})
    topn = sorted({(m, o["top_n"]) for (m, _, _), o in res.detections.items()})
    modes = sorted({(o["mask_mode"], o["mask_scope"]) for o in res.ablations.values()})
    out += [
        f"- Context budget (tokens): {_setting_text(an, ['context_tokens', 'context_token_budget'])}.",
        f"- Max new tokens: {_setting_text(an, ['max_new_tokens'])}; stop rule: {_setting_text(an, ['stop'])}.",
        f"- Wu24 success gate: {_setting_text(an, ['wu24_gate', 'gate'])}.",
        "- Top-n per model: " + ("; ".join(f"{m}: {n}" for m, n in topn) or "no detection results") + ".",
        "- k grid per model: " + ("; ".join(f"{m}: {g}" for m, g in kg) or "no ablation results") + ".",
        f"- Random-k seeds: {' / '.join(seeds) if seeds else 'no ablation results'}.",
        "- Head mask: " + ("; ".join(F.mask_semantics([a], [b]) for a, b in modes) or "no ablation results") + ".",
        f"- Bootstrap resamples: {_setting_text(an, ['n_bootstrap'])}.",
    ]
    cfg = res.manifest.get("config")
    if cfg:
        out += ["", "<details><summary>Full run configuration (run_manifest.json)</summary>", "", "```json",
                json.dumps(cfg, indent=1, sort_keys=True, default=str), "```", "", "</details>"]
    out += ["", "### What this run contains", ""]
    n_det, n_abl = len(res.detections), len(res.ablations)
    out.append(f"- {n_det} detection result(s) and {n_abl} ablation curve(s) over {len(res.model_names())} "
               f"model(s), {len(res.methods())} method(s) and {len(res.questions())} question(s).")
    expected = {(m, me, q) for m in res.model_names() for me in res.methods() for q in res.questions()}
    for kind, store in (("detection", res.detections), ("ablation", res.ablations)):
        missing = sorted(expected - set(store) - {k for kd, k, _ in res.skipped if kd == kind})
        if missing:
            out.append(f"- Missing {kind} results: " + "; ".join(f"{m} {mname(me)} {qname(q)}"
                                                                  for m, me, q in missing) + ".")
    for kind, (m, me, q), why in res.skipped:
        out.append(f"- {kind.capitalize()} {m} {mname(me)} {qname(q)} has no usable numbers: {why}.")
    return out


# ------------------------------------------------------------------------------------------- caveats


def _median_halfwidth(an: Analysis) -> float:
    s = an.sensitivity
    if s.empty:
        return float("nan")
    return float(np.median((s["baseline_ci_high_pct"] - s["baseline_ci_low_pct"]) / 2))


def _n_text(values: pd.Series) -> str:
    lo, hi = int(values.min()), int(values.max())
    return f"{lo}" if lo == hi else f"{lo} to {hi}"


def general_caveats(an: Analysis) -> list[tuple[str, str]]:
    """Limitations that apply to every answer, each triggered by the numbers: (short name, full sentence)."""
    res = an.results
    out = []
    if res.synthetic:
        out.append(("synthetic data", "The data are synthetic: the numbers describe how the models read generated "
                    "filings, and say nothing yet about real 10-K text."))
    rw = [m for m in res.model_names() if res.models[m].get("random_weights")]
    if rw:
        out.append(("random-weight model", f"{join_words(rw)} ha{'s' if len(rw) == 1 else 've'} random weights: "
                    "no learned retrieval behaviour, so any structure found is an artefact of the method."))
    small = [f"{m} ({res.n_total(m)} heads)" for m in res.model_names() if res.n_total(m) < FEW_HEADS]
    if small:
        out.append(("small models", f"Small model(s): {join_words(small)}; whether the same heads, layers or "
                    "effect sizes hold for the study's 8B Llama models does not follow from these results."))
    s = an.sensitivity
    if not s.empty and s["n_test"].min() < SMALL_N:
        out.append((f"n_test = {_n_text(s['n_test'])}", f"Few test samples (n_test = {_n_text(s['n_test'])} per "
                    f"question): the median 95% interval of a single accuracy is ±{f1(_median_halfwidth(an))} pp, "
                    "so smaller differences are not resolved."))
    c = an.concentration
    deg = c[c["degenerate"]]
    if not deg.empty:
        out.append(("detections without signal", "Detection without signal (all scores equal or no positive score "
                    "mass): " + "; ".join(f"{r.model} {mname(r.method)} {qname(r.question)}"
                                          for r in deg.itertuples()) + ". Their top lists are arbitrary."))
    ties = c[(c["ties_at_cutoff"] > 0) & ~c["degenerate"]]
    if not ties.empty:
        out.append(("ties at the top-n cut-off", "Top lists cut through ties (heads with the same score as the "
                    "last listed head were left out): " + "; ".join(
                        f"{r.model} {mname(r.method)} {qname(r.question)} ({int(r.ties_at_cutoff)})"
                        for r in ties.itertuples()) + "."))
    few = c[(c["method"] == "wu24") & (c["n_success"] < FEW_SUCCESSES)]
    if not few.empty:
        out.append(("few Wu24 successes", "Wu24 scores rest on few successful samples: " + "; ".join(
            f"{r.model} {qname(r.question)} ({int(r.n_success)})" for r in few.itertuples()) + "."))
    skipped = an.results.skipped
    if skipped:
        out.append(("units without numbers", f"{len(skipped)} result file(s) carry no usable numbers (see Setup); "
                    "the answers leave them out."))
    return out


def _not_supported(items: list[str], an: Analysis) -> list[str]:
    text = "**What the evidence does not support.** " + " ".join(items)
    general = general_caveats(an)
    if general:
        text += (" The run-wide limits listed at the end (" + "; ".join(short for short, _ in general)
                 + ") apply here as well.")
    return ["", text]


# --------------------------------------------------------------------------------------------- Q1


def cap(text: str) -> str:
    """First letter upper-case."""
    return text[:1].upper() + text[1:]


def _drop_sentence(r) -> str:
    return (f"{cap(qname(r.question))}: top-k ablation of k = {r.k_max} heads {drop_phrase(r.top_drop_pp)} "
            f"(from {f1(r.baseline_pct)}% to {f1(r.top_acc_pct)}%; approx. 95% CI of the drop "
            f"{f1(r.top_drop_ci_low_pp)} to {f1(r.top_drop_ci_high_pp)} pp) versus "
            f"{f1(r.random_drop_mean_pp)} ± {f1(r.random_drop_sd_pp)} pp for random heads "
            f"(mean ± sd over {r.n_seeds} seeds, range {f1(r.random_drop_min_pp)} to {f1(r.random_drop_max_pp)})")


def section_q1(an: Analysis, links: Links) -> list[str]:
    """Do the same number of ablated heads affect different questions equally?"""
    out = ["## Q1. Do the same number of ablated heads affect different questions equally?", "",
           "Measure: the accuracy drop from the unablated baseline (k = 0) to the largest k of the grid, per "
           "question, for the top-k heads of each method and for random heads (DESIGN.md, Ablation)."]
    s = an.sensitivity
    if s.empty:
        return out + ["", "No ablation results in this run: this question cannot be answered."]
    res = an.results
    unequal, equal = 0, 0
    for model in res.model_names():
        sm = s[s["model"] == model]
        if sm.empty:
            continue
        out += ["", f"### {model} ({model_kind(res.models[model])})", ""]
        for method in [m for m in res.methods() if m in set(sm["method"])]:
            g = sm[sm["method"] == method]
            out += [f"**{mname(method)}.**", ""] + [f"- {_drop_sentence(r)}." for r in g.itertuples()] + [""]
            text = ""
            if len(g) >= 2:
                hi = g.loc[g["top_drop_pp"].idxmax()]
                lo = g.loc[g["top_drop_pp"].idxmin()]
                gap = hi["top_drop_pp"] - lo["top_drop_pp"]
                if hi["top_drop_ci_low_pp"] > lo["top_drop_ci_high_pp"]:
                    unequal += 1
                    text += (f"The questions are not affected equally: {qname(hi['question'])} lost "
                             f"{f1(hi['top_drop_pp'])} pp and {qname(lo['question'])} {f1(lo['top_drop_pp'])} pp, "
                             f"a gap of {f1(gap)} pp with non-overlapping intervals.")
                else:
                    equal += 1
                    text += (f"The largest drop ({qname(hi['question'])}, {f1(hi['top_drop_pp'])} pp) and the "
                             f"smallest ({qname(lo['question'])}, {f1(lo['top_drop_pp'])} pp) differ by {f1(gap)} pp, "
                             "but their intervals overlap, so the evidence does not show that the same number of "
                             "heads affects these questions differently.")
            beyond = list(g.loc[g["top_beyond_random"], "question"])
            text += (f" The lower end of the top-k drop interval exceeds the largest random-seed drop on "
                     f"{len(beyond)} of {len(g)} question(s)" + (f" ({join_words([qname(q) for q in beyond])})"
                                                                  if beyond else "") + ".")
            out.append(text.strip())
            out.append("")
        out.append(md_table(
            ["method", "question", "k", "n_test", "baseline %", "top-k drop pp [approx. 95% CI]",
             "random-k drop pp (mean ± sd) [min, max]", "excess over random pp"],
            [[mname(r.method), qname(r.question), r.k_max, r.n_test, f1(r.baseline_pct),
              f"{f1(r.top_drop_pp)} [{f1(r.top_drop_ci_low_pp)}, {f1(r.top_drop_ci_high_pp)}]",
              f"{f1(r.random_drop_mean_pp)} ± {f1(r.random_drop_sd_pp)} [{f1(r.random_drop_min_pp)}, "
              f"{f1(r.random_drop_max_pp)}]", f1(r.excess_drop_pp)] for r in sm.itertuples()]))
        fd = links.fig_dir
        out += ["", "Figures: " + ", ".join([links.link(F.fig8_grid_path(fd, model), "accuracy vs k (grid)"),
                                              links.link(F.sensitivity_bars_path(fd, model), "drop at the largest k"),
                                              links.link(F.sensitivity_curves_path(fd, model), "drop vs k")]) + "."]
    total = unequal + equal
    out += ["", f"**Answer.** In {unequal} of {total} (model, method) combination(s) the questions' drops have "
            f"non-overlapping intervals at the largest k; in the other {equal} the differences between questions "
            "are within the uncertainty."]
    items = [f"Claims that one question is more sensitive than another where intervals overlap ({equal} of {total} "
             "combinations)." if equal else "",
             "A ranking of the questions beyond the largest-versus-smallest comparison: the other pairs were not "
             "tested.",
             "The drop intervals combine the two endpoint intervals as if independent, which is conservative for "
             "the paired test samples; a paired bootstrap over the answers CSV would be tighter."]
    return out + _not_supported([i for i in items if i], an)


# ---------------------------------------------------------------------------------------- Q2 and Q4


def _bonferroni(n_tests: int) -> float:
    return ALPHA / max(1, n_tests)


def _layer_row(an: Analysis, model: str, method: str, qtype: str):
    ls = an.layer_summary
    sel = ls[(ls["model"] == model) & (ls["method"] == method) & (ls["level"] == "qtype") & (ls["group"] == qtype)]
    return None if sel.empty else sel.iloc[0]


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
    alpha_b = _bonferroni(len(cq))
    out += ["", f"Significance: {len(cq)} question pairs are tested in this run, so an overlap counts as beyond "
            f"chance at p < {alpha_b:.2g} (Bonferroni, alpha = {ALPHA})."]
    res = an.results
    verdicts = []
    for model in res.model_names():
        cm = cq[(cq["model"] == model) & (cq["relation"] == "across types")]
        if cm.empty:
            continue
        out += ["", f"### {model} ({model_kind(res.models[model])})", ""]
        for method in [m for m in res.methods() if m in set(cm["method"])]:
            g = cm[cm["method"] == method]
            sig = int((g["p_value"] < alpha_b).sum())
            verdicts.append((sig, len(g)))
            text = (f"**{mname(method)}.** Across types the top-{'/'.join(map(str, sorted(set(g['n_a']))))} sets "
                    f"share a mean Jaccard of {f2(g['jaccard'].mean())} (range {f2(g['jaccard'].min())} to "
                    f"{f2(g['jaccard'].max())}) against {f3(g['expected_jaccard'].mean())} for random sets, "
                    f"{f1(g['ratio_to_expected'].mean())} times chance; {sig} of {len(g)} cross-type pairs overlap "
                    "beyond chance (" + "; ".join(f"{qname(r.question_a)} / {qname(r.question_b)}: "
                                                  f"{r.intersection} shared, J = {f2(r.jaccard)}, {fp(r.p_value)}"
                                                  for r in g.itertuples()) + ").")
            num, cat = _layer_row(an, model, method, "numerical"), _layer_row(an, model, method, "categorical")
            if num is not None and cat is not None:
                diff = num["mean_depth"] - cat["mean_depth"]
                pooled = float(np.sqrt((num["sd_depth"] ** 2 + cat["sd_depth"] ** 2) / 2))
                d = diff / pooled if pooled > 0 else float("nan")
                where = ("deeper" if diff > 0 else "shallower") if abs(diff) >= 0.005 else "at the same depth"
                text += (f" Numerical top heads sit at mean depth {f2(num['mean_depth'])} (mean layer "
                         f"{f1(num['mean_layer'])}), categorical ones at {f2(cat['mean_depth'])} (layer "
                         f"{f1(cat['mean_layer'])}): numerical heads are {where}"
                         + (f" by {f2(abs(diff))} of the depth range (standardised difference d = {f2(d)})"
                            if where != "at the same depth" else "") + ".")
            out += [text, ""]
        fd = links.fig_dir
        out.append("Figures: " + ", ".join(
            [links.link(F.jaccard_path(fd, model, m), f"Jaccard heatmap, {mname(m)}") for m in res.methods()
             if (cq["model"].eq(model) & cq["method"].eq(m)).any()]
            + [links.link(F.layers_path(fd, model, m), f"layers, {mname(m)}") for m in res.methods()
               if (an.layers["model"].eq(model) & an.layers["method"].eq(m)).any()]) + ".")
    n_sig = sum(v[0] for v in verdicts)
    n_all = sum(v[1] for v in verdicts)
    if n_all:
        share = n_sig / n_all
        word = ("mostly share heads beyond chance" if share > 0.5 else
                "share heads beyond chance in some pairs only" if n_sig else
                "do not share more heads than chance would give")
        out += ["", f"**Answer.** Numerical and state questions {word}: {n_sig} of {n_all} cross-type "
                "(model, method, pair) overlaps pass the corrected threshold."]
    items = ["That shared heads do the same job for both kinds of question: overlap of top lists is "
             "correlational; only ablating the shared heads alone would test it.",
             "The p-values treat the top sets as uniformly random sets of heads, a weak null: heads in some layers "
             "score high for every question, so beating it shows shared heads, not question-specific sharing.",
             "The layer comparison is descriptive: the top heads of two questions are not independent samples, "
             "so no test is reported for the depth difference."]
    return out + _not_supported(items, an)


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
    alpha_b = _bonferroni(len(cq))
    res = an.results
    s = an.sensitivity
    higher, total = 0, 0
    for model in res.model_names():
        cm = cq[cq["model"] == model]
        within = cm[cm["relation"] == "within type"]
        if within.empty:
            continue
        out += ["", f"### {model} ({model_kind(res.models[model])})", ""]
        for method in [m for m in res.methods() if m in set(within["method"])]:
            w = within[within["method"] == method]
            a = cm[(cm["method"] == method) & (cm["relation"] == "across types")]
            parts = []
            for r in w.itertuples():
                p = (f"{qname(r.question_a)} / {qname(r.question_b)} ({r.qtype_a}): {r.intersection} shared heads, "
                     f"J = {f2(r.jaccard)} vs {f3(r.expected_jaccard)} by chance, {fp(r.p_value)}"
                     + (" (beyond chance after correction)" if r.p_value < alpha_b else " (not beyond chance after "
                                                                                      "correction)"))
                sa = s[(s["model"] == model) & (s["method"] == method)].set_index("question")
                if r.question_a in sa.index and r.question_b in sa.index:
                    ra, rb = sa.loc[r.question_a], sa.loc[r.question_b]
                    ov = overlaps(ra["top_drop_ci_low_pp"], ra["top_drop_ci_high_pp"], rb["top_drop_ci_low_pp"],
                                  rb["top_drop_ci_high_pp"])
                    p += (f"; their top-k drops ({f1(ra['top_drop_pp'])} and {f1(rb['top_drop_pp'])} pp) differ by "
                          f"{f1(abs(ra['top_drop_pp'] - rb['top_drop_pp']))} pp, "
                          + ("within the uncertainty" if ov else "with non-overlapping intervals"))
                parts.append(p)
            text = f"**{mname(method)}.** " + "; ".join(cap(x) for x in parts) + "."
            if not a.empty:
                total += 1
                wj, aj = w["jaccard"].mean(), a["jaccard"].mean()
                if wj > aj:
                    higher += 1
                cmp_word = "higher than" if wj > aj else "lower than" if wj < aj else "equal to"
                text += (f" Mean within-type Jaccard {f2(wj)} is {cmp_word} the mean cross-type Jaccard {f2(aj)} "
                         f"(difference {f2(wj - aj)}).")
            out += [text, ""]
        fd = links.fig_dir
        out.append("Figures: " + ", ".join(
            [links.link(F.jaccard_path(fd, model, m), f"Jaccard heatmap, {mname(m)}") for m in res.methods()
             if (cm["method"] == m).any()]
            + ([links.link(F.sensitivity_curves_path(fd, model), "drop vs k by question type")]
               if (s["model"] == model).any() else [])) + ".")
    if total:
        out += ["", f"**Answer.** Questions of the same type share more top heads than questions of different "
                f"types in {higher} of {total} (model, method) combination(s)"
                + (", so same-type questions look alike in their heads more often than not." if higher > total / 2
                   else ", so the type of answer does not predict which questions share heads.")]
    items = ["A general claim from two questions per type: each type has only two members, so 'within type' is "
             "a single pair per model and method.",
             "That the within/cross difference is significant: no test is made of the difference of Jaccard "
             "indices, whose pairs share questions and are not independent."]
    return out + _not_supported(items, an)


# --------------------------------------------------------------------------------------------- Q3


def section_q3(an: Analysis, links: Links) -> list[str]:
    """Are ablations equally effective on each category (numerical vs categorical)?"""
    out = ["## Q3. Are ablations equally effective on each category?", "",
           "Measure: the mean accuracy drop at the largest k over the questions of each type (numerical: "
           "incorporation year, employee count; categorical: incorporation state, headquarters state), for top-k "
           "and random-k heads, and whether the per-question intervals of the two types overlap."]
    bt = an.sensitivity_by_type
    if bt.empty:
        return out + ["", "No ablation results in this run: this question cannot be answered."]
    s = an.sensitivity
    res = an.results
    tally = {"numerical": 0, "categorical": 0, "none": 0, "mixed": 0}
    for model in res.model_names():
        bm = bt[bt["model"] == model]
        if bm.empty:
            continue
        out += ["", f"### {model} ({model_kind(res.models[model])})", ""]
        for method in [m for m in res.methods() if m in set(bm["method"])]:
            g = bm[bm["method"] == method].set_index("qtype")
            if not all(t in g.index for t in QTYPE_ORDER):
                present = join_words(list(g.index))
                out += [f"**{mname(method)}.** Only {present} questions have ablation results; no comparison.", ""]
                continue
            n, c = g.loc["numerical"], g.loc["categorical"]
            diff = n["mean_top_drop_pp"] - c["mean_top_drop_pp"]
            sm = s[(s["model"] == model) & (s["method"] == method)]
            num_rows = sm[sm["qtype"] == "numerical"]
            cat_rows = sm[sm["qtype"] == "categorical"]
            sep = []
            for rn in num_rows.itertuples():
                for rc in cat_rows.itertuples():
                    if not overlaps(rn.top_drop_ci_low_pp, rn.top_drop_ci_high_pp, rc.top_drop_ci_low_pp,
                                    rc.top_drop_ci_high_pp):
                        sep.append((rn, rc))
            n_pairs = len(num_rows) * len(cat_rows)
            if not sep:
                verdict = ("every numerical question's interval overlaps every categorical question's, so the "
                           "evidence does not show that ablation works differently on the two categories")
                tally["none"] += 1
            else:
                dirs = {"numerical" if rn.top_drop_pp > rc.top_drop_pp else "categorical" for rn, rc in sep}
                pairs_txt = join_words([f"{qname(rn.question)} vs {qname(rc.question)}" for rn, rc in sep])
                if len(dirs) == 1 and len(sep) == n_pairs:
                    t = dirs.pop()
                    verdict = f"ablation is more effective on the {t} questions: all {n_pairs} cross-type pairs " \
                              "have non-overlapping intervals"
                    tally[t] += 1
                else:
                    verdict = (f"only {len(sep)} of {n_pairs} cross-type pairs have non-overlapping intervals "
                               f"({pairs_txt}), so there is no consistent difference by category")
                    tally["mixed"] += 1
            out += [f"**{mname(method)}** (k = {n['k_max']}). Numerical questions lost {f1(n['mean_top_drop_pp'])} pp "
                    f"on average (range {f1(n['min_top_drop_pp'])} to {f1(n['max_top_drop_pp'])}; random heads "
                    f"{f1(n['mean_random_drop_pp'])} pp, excess {f1(n['mean_excess_drop_pp'])} pp), categorical "
                    f"questions {f1(c['mean_top_drop_pp'])} pp (range {f1(c['min_top_drop_pp'])} to "
                    f"{f1(c['max_top_drop_pp'])}; random {f1(c['mean_random_drop_pp'])} pp, excess "
                    f"{f1(c['mean_excess_drop_pp'])} pp); difference {f1(diff)} pp (numerical minus categorical). "
                    f"Per question, {verdict}.", ""]
        fd = links.fig_dir
        out.append("Figures: " + ", ".join([links.link(F.sensitivity_curves_path(fd, model), "drop vs k by type"),
                                            links.link(F.sensitivity_bars_path(fd, model), "drop at the largest k")])
                   + ".")
    out += ["", f"**Answer.** Over the (model, method) combinations: no difference shown in {tally['none']}, "
            f"numerical more affected in {tally['numerical']}, categorical more affected in {tally['categorical']}, "
            f"mixed in {tally['mixed']}."]
    items = ["A difference between categories from two questions each: a category effect cannot be told apart "
             "from a question effect with two questions per category.",
             "Comparisons of drops from different baselines as 'effectiveness' in a relative sense: drops are "
             "absolute (pp); a question with a low baseline has less accuracy to lose."]
    return out + _not_supported(items, an)


# -------------------------------------------------------------------------------------------- methods


def section_methods(an: Analysis, links: Links) -> list[str]:
    """Do the three methods find the same heads?"""
    out = ["## Do the methods find the same heads?", "",
           "Measure: Jaccard index of the methods' top-n sets per (model, question), against chance, and the heads "
           "in every method's top set."]
    cm = an.cross_method
    if cm.empty:
        return out + ["", "Fewer than two methods have detection results for the same model and question."]
    alpha_b = _bonferroni(len(cm))
    out += ["", f"Significance: {len(cm)} method pairs are tested, threshold p < {alpha_b:.2g} (Bonferroni)."]
    res = an.results
    sig_total, n_total = 0, 0
    for model in res.model_names():
        g = cm[cm["model"] == model]
        if g.empty:
            continue
        out += ["", f"### {model} ({model_kind(res.models[model])})", ""]
        sig = int((g["p_value"] < alpha_b).sum())
        sig_total += sig
        n_total += len(g)
        out.append(f"Over all questions and method pairs the mean Jaccard is {f2(g['jaccard'].mean())} (range "
                   f"{f2(g['jaccard'].min())} to {f2(g['jaccard'].max())}) against {f3(g['expected_jaccard'].mean())}"
                   f" for random sets; {sig} of {len(g)} pairs overlap beyond chance after correction.")
        out.append("")
        rows = []
        sh = an.shared[an.shared["model"] == model].set_index("question")
        for q in [q for q in res.questions() if q in set(g["question"])]:
            gq = g[g["question"] == q]
            cells = "; ".join(f"{mname(r.method_a)} / {mname(r.method_b)}: {r.intersection} (J = {f2(r.jaccard)}, "
                              f"{fp(r.p_value)})" for r in gq.itertuples())
            if q in sh.index:
                heads = [h for h in str(sh.loc[q, "heads"]).split(";") if h and h != "nan"]
                shown = ", ".join(f"`{h}`" for h in heads[:12]) + (f" and {len(heads) - 12} more" if len(heads) > 12
                                                                    else "")
                all_txt = (f"{int(sh.loc[q, 'n_shared'])} (chance {f1(sh.loc[q, 'expected_shared'])})"
                           + (f": {shown}" if heads else ""))
            else:
                all_txt = "n/a"
            rows.append([qname(q), cells, all_txt])
        out.append(md_table(["question", "shared top heads per method pair", "in every method's top set"], rows))
        out += ["", "Figure: " + links.link(F.cross_method_path(links.fig_dir, model), "method overlap") + "."]
    word = ("mostly agree" if sig_total > n_total / 2 else "agree in some cases" if sig_total else
            "do not agree beyond chance")
    out += ["", f"**Answer.** The methods {word}: {sig_total} of {n_total} method pairs share more top heads than "
            "random sets would."]
    items = ["That heads found by several methods matter more for the answer: agreement of scores is not a causal "
             "test; compare the methods' ablation curves (Q1) for that."]
    c = an.concentration
    if ((c["method"] == "wu24") & (c["n_success"] < FEW_SUCCESSES)).any():
        items.append("Agreement or disagreement involving the Wu24 lists where fewer than "
                     f"{FEW_SUCCESSES} samples passed its success gate (see the setup table).")
    return out + _not_supported(items, an)


# --------------------------------------------------------------------------------------------- models


def section_models(an: Analysis, links: Links) -> list[str]:
    """Do instruct and base models use different heads?"""
    out = ["## Do instruct and base models use different heads?", ""]
    res = an.results
    pairs = an.model_pairs
    if pairs.empty:
        return out + ["Only one model in this run: no comparison."]
    prof = an.model_profiles
    for p in pairs.itertuples():
        out += [f"### {p.model_a} ({p.kind_a}) vs {p.model_b} ({p.kind_b})", ""]
        if p.kind_a == p.kind_b:
            out += [f"Both models are used as {p.kind_a} models, so this pair does not isolate instruction "
                    "tuning.", ""]
        if p.same_arch:
            sa = an.model_same_arch[(an.model_same_arch["model_a"] == p.model_a)
                                    & (an.model_same_arch["model_b"] == p.model_b)]
            alpha_b = _bonferroni(len(an.model_same_arch))
            out += [f"Same architecture ({p.family_a}, {p.shape_a}): head ids are compared directly.", ""]
            if not sa.empty:
                sig = int((sa["p_value"] < alpha_b).sum())
                out.append(f"Spearman correlation of all head scores: median {f2(sa['spearman'].median())} (range "
                           f"{f2(sa['spearman'].min())} to {f2(sa['spearman'].max())}) over {len(sa)} (method, "
                           f"question) cells; top-n Jaccard mean {f2(sa['jaccard'].mean())} against "
                           f"{f3(sa['expected_jaccard'].mean())} by chance, beyond chance (p < {alpha_b:.2g}) in "
                           f"{sig} of {len(sa)} cells.")
                out += ["", md_table(["method", "question", "Spearman", "shared top heads", "Jaccard", "p"],
                                     [[mname(r.method), qname(r.question), f2(r.spearman), r.intersection,
                                       f2(r.jaccard), fp(r.p_value)] for r in sa.itertuples()])]
                med = sa["spearman"].median()
                verdict = ("largely the same heads" if med >= 0.7 and sig > len(sa) / 2 else
                           "partly the same heads" if med >= 0.3 or sig else "different heads")
                out += ["", f"**Answer.** By these measures the two models use {verdict} (rule: median Spearman "
                        ">= 0.7 and most top-n overlaps beyond chance = largely the same; median >= 0.3 or any overlap "
                        "beyond chance = partly; otherwise different)."]
        else:
            out.append(f"Different architectures ({p.family_a} {p.shape_a} vs {p.family_b} {p.shape_b}): head ids "
                       "mean different things in the two models and are not compared. Only distributions are:")
        rows = []
        for method in res.methods():
            cells = [mname(method)]
            for m in (p.model_a, p.model_b):
                g = prof[(prof["model"] == m) & (prof["method"] == method)]
                if g.empty:
                    cells += ["n/a", "n/a", "n/a"]
                    continue
                drop = g["top_drop_pp"] if "top_drop_pp" in g else pd.Series(dtype=float)
                cells += [f2(g["mean_depth"].mean()), f2(g["share_top10pct"].mean()),
                          f1(drop.mean()) if drop.notna().any() else "n/a"]
            rows.append(cells)
        out += ["", md_table(["method", f"{p.model_a}: mean depth", f"{p.model_a}: top-10% mass",
                              f"{p.model_a}: top-k drop pp", f"{p.model_b}: mean depth", f"{p.model_b}: top-10% mass",
                              f"{p.model_b}: top-k drop pp"], rows)]
        out += ["", "Columns are means over questions: depth of the top heads (layer / (n_layers - 1)), share of "
                "the positive score mass held by the best 10% of heads, and the accuracy drop at each model's "
                "largest k."]
        pa, pb = prof[prof["model"] == p.model_a], prof[prof["model"] == p.model_b]
        da, db = pa["mean_depth"].mean(), pb["mean_depth"].mean()
        ca, cb = pa["share_top10pct"].mean(), pb["share_top10pct"].mean()
        parts = []
        if np.isfinite(da) and np.isfinite(db):
            parts.append(f"top heads sit at mean depth {f2(da)} in {p.model_a} and {f2(db)} in {p.model_b} "
                         f"(difference {f2(da - db)} of the depth range)")
        if np.isfinite(ca) and np.isfinite(cb):
            parts.append(f"the best 10% of heads hold {f2(ca)} and {f2(cb)} of the positive score mass")
        if "top_drop_pp" in prof and pa["top_drop_pp"].notna().any() and pb["top_drop_pp"].notna().any():
            parts.append(f"top-k ablation at the largest k lowers accuracy by {f1(pa['top_drop_pp'].mean())} and "
                         f"{f1(pb['top_drop_pp'].mean())} pp on average")
        if parts:
            lead = "**Answer.** " if not p.same_arch else ""
            out += ["", lead + cap("; ".join(parts)) + "."
                    + ("" if p.same_arch else " These are averages over methods and questions with no test of the "
                       "differences; they describe where and how concentrated each model's retrieval heads are, "
                       "not whether the two models use the same heads.")]
        out += ["", "Figure: " + links.link(F.model_comparison_path(links.fig_dir, p.model_a, p.model_b),
                                            "model comparison") + ".", ""]
    items = []
    if (~pairs["same_arch"]).any():
        items.append("Any claim about individual heads across different architectures.")
    if ((pairs["kind_a"] != pairs["kind_b"]) & ~pairs["same_arch"]).any():
        items.append("An effect of instruction tuning where the two models also differ in family or size: the "
                     "comparison confounds them.")
    if (pairs["kind_a"] == pairs["kind_b"]).all():
        items.append("Any statement about instruction tuning: no pair of this run differs only in it.")
    kmax = an.sensitivity.groupby("model")["k_max"].max() if not an.sensitivity.empty else pd.Series(dtype=int)
    if (~pairs["same_arch"]).any() or kmax.nunique() > 1:
        items.append("Sensitivity comparisons across models taken at face value: with different numbers of heads "
                     "or k grids, k heads are a different share of each model.")
    if pairs["same_arch"].any():
        items.append("That equal head ids do the same job in both models: rank correlation and overlap of scores "
                     "are correlational.")
    return out + _not_supported(items, an)


# --------------------------------------------------------------------------------------------- driver


def section_index(an: Analysis, links: Links) -> list[str]:
    """Every figure and table of the run, linked."""
    fig_dir = links.fig_dir
    pngs = sorted(fig_dir.glob("**/*.png")) if fig_dir.exists() else []
    out = ["## Figures and tables", ""]
    if not pngs:
        out.append("No figures drawn yet: run `python -m harness figures --run " + an.run_dir.as_posix() + "`.")
    else:
        by_dir: dict[str, list[Path]] = {}
        for pth in pngs:
            by_dir.setdefault(pth.parent.name, []).append(pth)
        for d, files in by_dir.items():
            out.append(f"- {d}: " + ", ".join(links.link(f, f.stem) for f in files))
    tdir = tables_dir(an.run_dir)
    tables = sorted(tdir.glob("*.csv")) if tdir.exists() else []
    if tables:
        out += ["", "Tables (CSV): " + ", ".join(links.link(t, t.name) for t in tables) + "."]
    return out


def render_findings(an: Analysis, out_path: Path) -> str:
    """The Markdown text of FINDINGS.md."""
    res = an.results
    links = Links(an, out_path)
    name = res.run_dir.resolve().name
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"# Findings: {name}{' (synthetic data)' if res.synthetic else ''}", "",
             f"_Generated by `harness/analysis/findings.py` from the result files in `{res.run_dir.as_posix()}` on {stamp}. "
             "Every sentence is a template filled and chosen by the numbers; regenerate with "
             f"`python -m harness report --run {res.run_dir.as_posix()}` instead of editing._"]
    banners = []
    if res.synthetic:
        banners.append("**Synthetic data.** The filings of this run were generated; nothing here is a finding "
                       "about real 10-K filings.")
    rw = [m for m in res.model_names() if res.models[m].get("random_weights")]
    if rw:
        banners.append(f"**Random-weight model(s):** {join_words(rw)}.")
    if banners:
        lines += [""] + ["> " + b for b in banners]
    lines += [""] + section_setup(an)
    for section in (section_q1, section_q2, section_q3, section_q4, section_methods, section_models):
        lines += [""] + section(an, links)
    caveats = general_caveats(an)
    lines += ["", "## What the evidence does not support (whole run)", ""]
    lines += [f"- {c}" for _, c in caveats] if caveats else ["- No run-wide limitation was triggered by the numbers; "
                                                          "the per-section paragraphs still apply."]
    lines += ["", *section_index(an, links), ""]
    return "\n".join(lines)


def write_text_atomic(path: Path, text: str) -> Path:
    """Write via a temporary file in the same directory and os.replace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_findings(run_dir: Path, out_path: Path | None = None, analysis: Analysis | None = None) -> Path:
    """Generate ``<run>/FINDINGS.md`` (or ``out_path``) from the run's result files; return its path."""
    run_dir = Path(run_dir)
    out_path = Path(out_path) if out_path is not None else run_dir / "FINDINGS.md"
    an = analysis if analysis is not None else analyze(run_dir)
    return write_text_atomic(out_path, render_findings(an, out_path))
