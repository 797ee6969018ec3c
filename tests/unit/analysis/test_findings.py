"""Tests of harness/analysis/findings.py (and its findings_* sections) on FAKE result files: every section is
present, in reading order, and the numbers in the text are the numbers of the result JSON."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from harness.analysis import findings as report
from harness.analysis.findings_summary import summary_lines
from harness.analysis.format import method_name, pp, question_name, ratio
from harness.analysis.tables import analyze
from tests.helpers.fake_results import GEMMA_BASE, LLAMA_BASE, LLAMA_INSTRUCT, write_fake_run

SECTIONS = (
    "## Summary",
    "## Setup",
    "### Models",
    "### Data",
    "### Settings",
    "## Q1. Do the same number of ablated heads affect different questions equally?",
    "## Q2. Are there similarities between numerical and state heads?",
    "## Q3. Are ablations equally effective on each category?",
    "## Q4. Do we see similarities among the numerical and among the state questions?",
    "## Do the methods find the same heads?",
    "## Do instruct and base models use different heads?",
    "## What the evidence does not support (whole run)",
    "## Figures and tables",
)


@pytest.fixture(scope="module")
def run_and_text(tmp_path_factory) -> tuple[Path, str]:
    run = write_fake_run(tmp_path_factory.mktemp("fake_run"))
    path = report.write_findings(run)
    assert path == run / "FINDINGS.md"
    return run, path.read_text()


def _json(run: Path, kind: str, method: str, model: str, q: str) -> dict:
    return json.loads((run / kind / method / f"{model}__{q}.json").read_text())


def test_every_section_present(run_and_text) -> None:
    _, text = run_and_text
    for s in SECTIONS:
        assert s in text, s
    positions = [text.index(s) for s in SECTIONS]
    assert positions == sorted(positions)
    # one "does not support" paragraph per research answer (4 questions + methods + models) and one for the run
    assert text.count("**What the evidence does not support.**") == 6
    assert text.count("**Answer.**") >= 6


def test_setup_states_models_data_and_settings(run_and_text) -> None:
    run, text = run_and_text
    manifest = json.loads((run / "run_manifest.json").read_text())
    for name, info in manifest["models"].items():
        assert f"`{name}`" in text and f"`{info['id']}`" in text and f"`{info['revision_or_hash']}`" in text
    assert "| `fake-gemma-base` | `FAKE/fake-gemma-base` |" in text
    assert "18 x 4 (1 KV heads)" in text and "30 x 9 (3 KV heads)" in text
    assert f"train {manifest['data']['train']}, test {manifest['data']['test']}" in text
    assert "FAKE test fixture (random numbers); **synthetic**" in text
    assert "> **Synthetic data.**" in text
    assert "fake-llama-instruct: [0, 10, 20, 30, 40, 50]" in text and "fake-gemma-base: [0, 5, 10, 15, 20]" in text
    assert "Random-k seeds: [0, 1, 2, 3, 4]" in text
    assert "mask uniform (head's query zeroed), scope decode (prompt prefill unmasked)" in text
    assert "Context budget (tokens): `512`" in text and "Max new tokens: `16`" in text


def test_summary_answers_every_question_in_at_most_ten_lines(run_and_text) -> None:
    run, text = run_and_text
    block = text[text.index("## Summary"):text.index("## Setup")].strip().splitlines()
    assert len(block) <= 10
    lines = summary_lines(text)
    for lead in ("**Q1.", "**Top vs random heads.**", "**Q2.", "**Q3.", "**Q4.", "**Do the methods"):
        assert any(ln.startswith(f"- {lead}") for ln in lines), lead
    an = analyze(run)
    cur = an.top_vs_random_curves
    best = cur[cur["best_diff_pp"] < 0].sort_values(["best_p_value", "best_diff_pp"], kind="stable").iloc[0]
    top_line = next(ln for ln in lines if ln.startswith("- **Top vs random heads.**"))
    assert (f"at some k in {int(cur['beyond_at_some_k'].sum())} of {len(cur)} cells (at the largest k only: "
            f"{int(cur['beyond_at_kmax'].sum())}; earlier rule: {int(an.sensitivity['top_beyond_random'].sum())})"
            ) in top_line
    assert f"difference {pp(best['best_diff_pp'])} pp [{pp(best['best_ci_low_pp'])}, " in top_line
    assert "](figures/top_vs_random/" in top_line
    assert all("](figures/" in ln for ln in lines)  # every answer links its figure


def test_q1_table_numbers_equal_the_tables(run_and_text) -> None:
    run, text = run_and_text
    an = analyze(run)
    section = text[text.index("## Q1."):text.index("## Q2.")]
    for model, method, q in (("fake-llama-instruct", "wu24", "inc_state"), ("fake-gemma-base", "qrhead", "employees")):
        r = an.top_vs_random_curves.set_index(["model", "method", "question"]).loc[(model, method, q)]
        cells = (f"| {method_name(method)} | {question_name(q)} | {r['n']} | ")
        line = next(ln for ln in section[section.index(f"### {model}"):].splitlines() if ln.startswith(cells))
        assert f"| {pp(r['best_diff_pp'])} [{pp(r['best_ci_low_pp'])}, {pp(r['best_ci_high_pp'])}] |" in line
        assert f"| {pp(r['gap_pp'])} [{pp(r['gap_ci_low_pp'])}, {pp(r['gap_ci_high_pp'])}] |" in line
        assert f"{int(r['best_k'])} ({r['best_pct_heads']:.1f}%): {r['best_top_pct']:.1f} vs " in line
        # the largest-k table: from the ablation JSON
        abl = _json(run, "ablation", method, model, q)
        top = {p["k"]: p for p in abl["top"]}
        k = max(top)
        base = 100 * top[0]["accuracy"]
        kmax_row = (f"| {method_name(method)} | {question_name(q)} | {k} ({100 * k / an.results.n_total(model):.1f}%) "
                    f"| {abl['n_test']} | {base:.1f} | {pp(base - 100 * top[k]['accuracy'])} [")
        assert kmax_row in section
    assert "Significance: " in section and "per-k tests in this run" in section
    assert "**Answer.** Top-k ablation lowers accuracy more than random-k ablation beyond chance at some k in" in section


def test_jaccard_numbers_equal_the_json(run_and_text) -> None:
    run, text = run_and_text
    a = set(_json(run, "detection", "qrhead", "fake-llama-instruct", "inc_state")["top_heads"])
    b = set(_json(run, "detection", "qrhead", "fake-llama-instruct", "hq_state")["top_heads"])
    inter = len(a & b)
    j = inter / len(a | b)
    assert (f"Incorporation state / headquarters state (categorical): {inter} shared heads, J = {j:.2f} vs 0.103 "
            "by chance") in text
    c = set(_json(run, "detection", "wu24", "fake-gemma-base", "inc_year")["top_heads"])
    d = set(_json(run, "detection", "summed_context", "fake-gemma-base", "inc_year")["top_heads"])
    assert (f"summed attention (context) / Wu24 retrieval score: {len(c & d)} (J = {len(c & d) / len(c | d):.2f},"
            in text)


def test_q3_means_equal_the_tables(run_and_text) -> None:
    run, text = run_and_text
    cur = analyze(run).top_vs_random_curves
    g = cur[(cur["model"] == "fake-gemma-base") & (cur["method"] == "summed_context")].set_index("question")
    num = (g.loc["inc_year", "gap_pp"] + g.loc["employees", "gap_pp"]) / 2
    cat = (g.loc["inc_state", "gap_pp"] + g.loc["hq_state", "gap_pp"]) / 2
    drops = {}
    for q in ("inc_year", "employees", "inc_state", "hq_state"):
        top = {r["k"]: r["accuracy"] for r in _json(run, "ablation", "summed_context", "fake-gemma-base", q)["top"]}
        drops[q] = 100 * (top[0] - top[max(top)])
    section = text[text.index("## Q3."):text.index("## Q4.")]
    block = section[section.index("### fake-gemma-base"):]
    block = block[block.index("**summed attention (context).**"):].split("\n\n")[0]
    assert f"Numerical questions: mean gap {pp(num)} pp" in block
    assert f"categorical: mean gap {pp(cat)} pp" in block
    assert f"difference {pp(num - cat)} pp (numerical minus categorical)" in block
    assert (f"the top-k drop averages {pp((drops['inc_year'] + drops['employees']) / 2)} pp on the numerical and "
            f"{pp((drops['inc_state'] + drops['hq_state']) / 2)} pp on the categorical questions") in block


def test_different_architectures_compare_distributions_only(run_and_text) -> None:
    _, text = run_and_text
    section = text[text.index("## Do instruct and base models"):text.index("## What the evidence does not support (whole")]
    assert "Different architectures (llama 30x9 vs gemma3_text 18x4)" in section
    assert "are not compared" in section and "Spearman" not in section
    assert "Any claim about individual heads across different architectures." in section


def test_same_architecture_compares_head_ids(tmp_path: Path) -> None:
    run = write_fake_run(tmp_path, models=(LLAMA_INSTRUCT, LLAMA_BASE), methods=("qrhead",),
                         questions=("inc_state", "inc_year"), synthetic=False)
    text = report.write_findings(run).read_text()
    an = analyze(run)
    row = an.model_same_arch.iloc[0]
    assert "Same architecture (llama, 30x9): head ids are compared directly." in text
    assert (f"| QRHead | {question_name(row['question'])} | {ratio(row['spearman'])} | {row['intersection']} | "
            f"{ratio(row['jaccard'])} |") in text
    assert "Synthetic data" not in text and "real filings" in text


def test_links_are_relative_and_resolve(tmp_path: Path) -> None:
    run = write_fake_run(tmp_path, models=(GEMMA_BASE,), methods=("wu24",), questions=("inc_year", "hq_state"))
    text = report.write_findings(run).read_text()
    assert "(not drawn yet: run `python -m harness figures --run <run>`)" in text  # no figures yet
    assert "figures/fig8/fake-gemma-base__grid.png" in text
    assert "](/" not in text and "](figures/" in text  # links are relative
    out = tmp_path / "elsewhere" / "F.md"
    report.write_findings(run, out)
    assert "](../figures/fig8/fake-gemma-base__grid.png)" in out.read_text()
    assert not list(run.glob(".FINDINGS.md.*")) and not list(out.parent.glob(".F.md.*"))


def _answers_csv(path: Path, top: dict[int, list[int]], random: dict[int, list[list[int]]]) -> None:
    rows = [{"sample_id": f"s{i}", "kind": "top", "k": k, "seed": "", "correct": bool(ok)}
            for k, flags in top.items() for i, ok in enumerate(flags)]
    rows += [{"sample_id": f"s{i}", "kind": "random", "k": k, "seed": s, "correct": bool(ok)}
             for k, seeds in random.items() for s, flags in enumerate(seeds) for i, ok in enumerate(flags)]
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["sample_id", "kind", "k", "seed", "correct"])
        w.writeheader()
        w.writerows(rows)


def test_wording_follows_the_numbers(tmp_path: Path) -> None:
    """Incorporation year: top-k and random-k ablation give the same answers; incorporation state: top-k
    ablation breaks every answer at every k and random-k none. Q1 then reports unequal effects and Q3 a
    categorical effect, with the strongest k named."""
    run = write_fake_run(tmp_path, models=(GEMMA_BASE,), methods=("qrhead",), questions=("inc_year", "inc_state"),
                         n_test=40, seeds=(0, 1))
    ks = GEMMA_BASE.k_grid
    ok = [1] * 40
    _answers_csv(run / "ablation" / "qrhead" / "fake-gemma-base__inc_year.answers.csv", {k: ok for k in ks},
                 {k: [ok, ok] for k in ks[1:]})
    _answers_csv(run / "ablation" / "qrhead" / "fake-gemma-base__inc_state.answers.csv",
                 {k: ok if k == 0 else [0] * 40 for k in ks}, {k: [ok, ok] for k in ks[1:]})
    text = report.write_findings(run).read_text()
    # the gap is 0 at k = 0 and -100 pp from k = 5 on: the trapezoid mean over 0..20 heads is -87.5 pp
    assert ("The questions are not affected equally: over the grid, top-k ablation cost incorporation state "
            "87.5 pp more than random-k and incorporation year 0.0 pp more than random-k, a gap of 87.5 pp with "
            "non-overlapping intervals.") in text
    assert "| QRHead | incorporation state | 40 | 5 (6.9%), 10 (13.9%), 15 (20.8%), 20 (27.8%) |" in text
    assert "| QRHead | incorporation year | 40 | none |" in text
    assert "top-k ablation is more effective (beyond random) on the categorical questions" in text
    assert "at some k in 1 of 2 (model, method, question) cells, and over the whole grid in 1" in text


def test_main_writes_findings(tmp_path: Path, capsys) -> None:
    run = write_fake_run(tmp_path, models=(GEMMA_BASE,), methods=("wu24",), questions=("inc_year",))
    from harness.cli import main as cli_main

    assert cli_main(["report", "--run", str(run)]) == 0
    assert (run / "FINDINGS.md").exists() and "FINDINGS.md" in capsys.readouterr().out


def test_number_and_word_formats() -> None:
    from harness.analysis.format import (
        chance_ratio,
        drop_phrase,
        join_words,
        mask_semantics,
        n_range,
        p_value,
        pct,
        threshold,
    )

    assert pct(12.345) == "12.3" and pp(-0.04) == "0.0" and pp(float("nan")) == "n/a"  # never "-0.0"
    assert ratio(1 / 3) == "0.33" and chance_ratio(0.10349) == "0.103" and ratio(None) == "n/a"
    assert p_value(0.0004) == "p < 0.001" and p_value(0.001) == "p = 0.001" and p_value(0.0421) == "p = 0.042"
    assert p_value(float("nan")) == "p n/a" and threshold(0.05 / 12) == "0.0042"
    assert n_range([40, 40]) == "40" and n_range([30, 20, 40]) == "20 to 40"
    assert drop_phrase(12.5) == "lowered accuracy by 12.5 pp" and drop_phrase(-2.5) == "raised accuracy by 2.5 pp"
    assert drop_phrase(0.04) == "left accuracy unchanged (0.0 pp)"
    assert drop_phrase(float("nan")) == "had an undetermined effect on accuracy"
    assert join_words([]) == "" and join_words(["a"]) == "a" and join_words(["a", "b", "c"]) == "a, b and c"
    assert mask_semantics(["zero", "uniform", "zero"], ["all"]) == ("mask uniform (head's query zeroed)/zero (head "
                                                                    "output zeroed), scope all (every position "
                                                                    "masked)")
    assert question_name("hq_state") == "headquarters state"


def test_too_few_test_samples_for_any_test_to_pass_is_said(tmp_path: Path) -> None:
    run = write_fake_run(tmp_path, models=(GEMMA_BASE,), methods=("wu24",), questions=("inc_year",), n_test=6,
                         seeds=(0, 1))
    text = report.write_findings(run).read_text()
    # 4 per-k tests (threshold 0.0125) and 1 whole-grid test (0.05); six samples cannot go below 2 / 2^6 = 0.031
    assert ("With at most 6 paired test samples per cell the smallest p-value a sign-flip test can give is 0.031, "
            "so no single k (only a whole-grid gap) can be beyond chance") in text
    many = report.write_findings(write_fake_run(tmp_path / "many", models=(GEMMA_BASE,), methods=("wu24",),
                                                questions=("inc_year",))).read_text()
    assert "the smallest p-value a sign-flip test can give" not in many


def test_top_lists_completed_in_layer_order_are_named(tmp_path: Path) -> None:
    run = write_fake_run(tmp_path, models=(GEMMA_BASE,), methods=("wu24",), questions=("inc_year",))
    path = run / "detection" / "wu24" / "fake-gemma-base__inc_year.json"
    obj = json.loads(path.read_text())
    heads = list(obj["scores"])
    obj["scores"] = {h: 0.0 for h in heads} | {"3-1": 2.0, "5-2": 1.0}
    obj["extra"]["tie_break"]["scores"] = {h: 0.0 for h in heads} | {"7-0": 0.5}
    obj["top_heads"] = ["3-1", "5-2", "7-0"] + [h for h in heads if h not in ("3-1", "5-2", "7-0")][:17]
    path.write_text(json.dumps(obj))
    text = report.write_findings(run).read_text()
    assert ("fake-gemma-base Wu24 retrieval score incorporation year (layer order from rank 4 of 20, 52 tied heads "
            "left out; its top-k from k = 4 on hold heads chosen by layer order)") in text
    assert "fake-gemma-base Wu24 retrieval score incorporation year (2 / 20)" in text  # positive / listed
    assert "| fake-gemma-base | Wu24 retrieval score | incorporation year |" in text and "| 2 of 20 |" in text
