"""The run-wide limitations of FINDINGS.md and the "what the evidence does not support" paragraphs.

Which limitations apply is decided by :func:`harness.analysis.verdicts.run_caveats`; this module collects
its inputs from the tables and words the result.
"""

from __future__ import annotations

from harness.analysis.format import join_words, method_name, n_range, pp, question_name
from harness.analysis.tables import Analysis
from harness.analysis.verdicts import DetectionFacts, ModelFacts, RunCaveats, run_caveats


def detection_facts(an: Analysis) -> list[DetectionFacts]:
    """One entry per row of the score-concentration table, in table order."""
    s = an.sensitivity
    k_max = {(r.model, r.method, r.question): int(r.k_max) for r in s.itertuples()} if not s.empty else {}
    return [DetectionFacts(r.model, r.method, r.question, bool(r.degenerate), int(r.ties_at_cutoff), r.n_success,
                           int(r.ties_both_keys), int(r.n_top_positive), int(r.top_n), int(r.first_tied_rank),
                           k_max.get((r.model, r.method, r.question), 0))
            for r in an.concentration.itertuples()]


def caveats_of(an: Analysis) -> RunCaveats:
    """The run-wide caveats that the numbers of ``an`` trigger."""
    res = an.results
    models = [ModelFacts(m, res.n_total(m), bool(res.models[m].get("random_weights"))) for m in res.model_names()]
    s = an.sensitivity
    halfwidths = ((s["baseline_ci_high_pct"] - s["baseline_ci_low_pct"]) / 2).to_numpy(float) if not s.empty else []
    n_tests = list(s["n_test"]) if not s.empty else []
    return run_caveats(res.synthetic, models, n_tests, halfwidths, detection_facts(an), len(res.skipped))


def _unit(d: DetectionFacts) -> str:
    return f"{d.model} {method_name(d.method)} {question_name(d.question)}"


def _tied_text(d: DetectionFacts) -> str:
    """Where layer order took over in one top list, and whether the ablated top-k reach it."""
    text = (f"{_unit(d)} (layer order from rank {d.first_tied_rank} of {d.top_n}, {d.ties_both_keys} tied heads "
            "left out")
    if d.k_max >= d.first_tied_rank:
        text += f"; its top-k from k = {d.first_tied_rank} on hold heads chosen by layer order"
    elif d.k_max:
        text += f"; the ablated top-k (k <= {d.k_max}) are all ranked by the two keys"
    return text + ")"


def caveat_sentences(c: RunCaveats) -> list[tuple[str, str]]:
    """Each applying caveat as (short name, full sentence), in reading order."""
    out = []
    if c.synthetic:
        out.append(("synthetic data", "The data are synthetic: the numbers describe how the models read generated "
                    "filings, and say nothing yet about real 10-K text."))
    rw = list(c.random_weight_models)
    if rw:
        out.append(("random-weight model", f"{join_words(rw)} ha{'s' if len(rw) == 1 else 've'} random weights: "
                    "no learned retrieval behaviour, so any structure found is an artefact of the method."))
    if c.small_models:
        small = [f"{m.name} ({m.n_total} heads)" for m in c.small_models]
        out.append(("small models", f"Small model(s): {join_words(small)}; whether the same heads, layers or "
                    "effect sizes hold for the study's 8B Llama models does not follow from these results."))
    few = c.few_test_samples
    if few is not None:
        n_txt = n_range([few.n_min, few.n_max])
        out.append((f"n_test = {n_txt}", f"Few test samples (n_test = {n_txt} per question): the median 95% "
                    f"interval of a single accuracy is ±{pp(few.median_halfwidth_pp)} pp, so smaller differences "
                    "are not resolved."))
    if c.no_signal:
        out.append(("detections without signal", "Detection without signal (all scores equal or no positive score "
                    "mass): " + "; ".join(_unit(d) for d in c.no_signal) + ". Their top lists follow the secondary "
                    "key where it is not tied, then layer order: read them as arbitrary."))
    if c.ranked_by_secondary:
        out.append(("top heads ranked by the secondary key", "Top lists hold heads without a positive primary "
                    "score, ranked by their method's secondary key (see Setup; positive / listed): " + "; ".join(
                        f"{_unit(d)} ({d.n_top_positive} / {d.top_n})" for d in c.ranked_by_secondary) + "."))
    if c.unbroken_ties:
        out.append(("ties at the top-n cut-off", "Top lists completed in layer order, their last heads tied on both "
                    "ranking keys with heads left out: " + "; ".join(_tied_text(d) for d in c.unbroken_ties) + "."))
    if c.few_successes:
        out.append(("few Wu24 successes", "Wu24 scores rest on few successful samples: " + "; ".join(
            f"{d.model} {question_name(d.question)} ({int(d.n_success)})" for d in c.few_successes) + "."))
    if c.n_units_without_numbers:
        out.append(("units without numbers", f"{c.n_units_without_numbers} result file(s) carry no usable numbers "
                    "(see Setup); the answers leave them out."))
    return out


def general_caveats(an: Analysis) -> list[tuple[str, str]]:
    """Limitations that apply to every answer: (short name, full sentence)."""
    return caveat_sentences(caveats_of(an))


def not_supported(items: list[str], an: Analysis) -> list[str]:
    """The "What the evidence does not support." paragraph of a section, naming the run-wide limits too."""
    text = "**What the evidence does not support.** " + " ".join(items)
    general = general_caveats(an)
    if general:
        text += (" The run-wide limits listed at the end (" + "; ".join(short for short, _ in general)
                 + ") apply here as well.")
    return ["", text]

