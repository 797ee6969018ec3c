"""Tests of harness/analysis/tables.py on FAKE result files (tests/helpers/fake_results.py), checked against hand
computation."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from harness.analysis.paired import paired_drop_interval
from harness.analysis.tables import analyze, gini, tables_dir, write_tables
from tests.helpers.fake_results import GEMMA_BASE, LLAMA_BASE, LLAMA_INSTRUCT, write_fake_run


def _edit(path: Path, **changes) -> None:
    obj = json.loads(path.read_text())
    obj.update(changes)
    path.write_text(json.dumps(obj))


def _det(run: Path, model: str, method: str, q: str) -> Path:
    return run / "detection" / method / f"{model}__{q}.json"


def _abl(run: Path, model: str, method: str, q: str) -> Path:
    return run / "ablation" / method / f"{model}__{q}.json"


def _hyper_pmf(n: int, k1: int, k2: int, i: int) -> float:
    return math.comb(k1, i) * math.comb(n - k1, k2 - i) / math.comb(n, k2)


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    return write_fake_run(tmp_path_factory.mktemp("fake_run"))


def test_cross_question_jaccard_matches_hand_computation(tmp_path: Path) -> None:
    run = write_fake_run(tmp_path, models=(LLAMA_INSTRUCT,), methods=("qrhead",), questions=("inc_state", "inc_year"))
    heads = [f"{layer}-{h}" for layer in range(30) for h in range(9)]
    a = heads[:50]
    b = heads[25:75]  # shares heads[25:50] with a: |A & B| = 25, |A | B| = 75
    _edit(_det(run, "fake-llama-instruct", "qrhead", "inc_state"), top_heads=a)
    _edit(_det(run, "fake-llama-instruct", "qrhead", "inc_year"), top_heads=b)
    row = analyze(run).cross_question.iloc[0]
    assert (row["question_a"], row["question_b"]) == ("inc_state", "inc_year")
    assert row["relation"] == "across types"
    assert row["intersection"] == 25
    assert row["jaccard"] == pytest.approx(25 / 75)
    expected = sum(_hyper_pmf(270, 50, 50, i) * i / (100 - i) for i in range(51))
    assert row["expected_jaccard"] == pytest.approx(expected, rel=1e-9)
    p = sum(_hyper_pmf(270, 50, 50, i) for i in range(25, 51))
    assert row["p_value"] == pytest.approx(p, rel=1e-6)
    assert row["ratio_to_expected"] == pytest.approx((25 / 75) / expected)


def test_cross_method_and_shared_heads(tmp_path: Path) -> None:
    run = write_fake_run(tmp_path, models=(GEMMA_BASE,), methods=("summed_context", "wu24", "qrhead"),
                         questions=("hq_state",))
    heads = [f"{layer}-{h}" for layer in range(18) for h in range(4)]
    tops = {"summed_context": heads[:20], "wu24": heads[10:30], "qrhead": heads[15:35]}
    for m, t in tops.items():
        _edit(_det(run, "fake-gemma-base", m, "hq_state"), top_heads=t)
    an = analyze(run)
    cm = an.cross_method.set_index(["method_a", "method_b"])
    assert cm.loc[("summed_context", "wu24"), "intersection"] == 10
    assert cm.loc[("summed_context", "wu24"), "jaccard"] == pytest.approx(10 / 30)
    assert cm.loc[("summed_context", "qrhead"), "intersection"] == 5
    assert cm.loc[("wu24", "qrhead"), "jaccard"] == pytest.approx(15 / 25)
    sh = an.shared.iloc[0]
    assert sh["n_shared"] == 5 and sh["n_methods"] == 3
    assert set(sh["heads"].split(";")) == set(heads[15:20])
    assert sh["expected_shared"] == pytest.approx(72 * (20 / 72) ** 3)


def test_layer_distribution_depth(run: Path) -> None:
    an = analyze(run)
    lay = an.layers
    det = json.loads(_det(run, "fake-gemma-base", "wu24", "inc_year").read_text())
    layers = [int(h.split("-")[0]) for h in det["top_heads"]]
    sub = lay[(lay["model"] == "fake-gemma-base") & (lay["method"] == "wu24") & (lay["question"] == "inc_year")]
    assert list(sub["layer"]) == layers
    assert sub["depth"].to_numpy() == pytest.approx(np.array(layers) / 17)
    ls = an.layer_summary
    row = ls[(ls["model"] == "fake-gemma-base") & (ls["method"] == "wu24") & (ls["group"] == "inc_year")].iloc[0]
    assert row["mean_layer"] == pytest.approx(np.mean(layers))
    assert row["mean_depth"] == pytest.approx(np.mean(layers) / 17)
    # pooled per type: numerical = inc_year + employees
    emp = json.loads(_det(run, "fake-gemma-base", "wu24", "employees").read_text())
    both = layers + [int(h.split("-")[0]) for h in emp["top_heads"]]
    num = ls[(ls["model"] == "fake-gemma-base") & (ls["method"] == "wu24") & (ls["group"] == "numerical")].iloc[0]
    assert num["n_heads"] == len(both) and num["mean_depth"] == pytest.approx(np.mean(both) / 17)


def test_sensitivity_matches_the_json(run: Path) -> None:
    an = analyze(run)
    abl = json.loads(_abl(run, "fake-llama-instruct", "summed_evidence", "employees").read_text())
    top = {r["k"]: r for r in abl["top"]}
    base, last = top[0]["accuracy"], top[50]["accuracy"]
    rand = [r["accuracy"] for r in abl["random"] if r["k"] == 50]
    row = an.sensitivity.set_index(["model", "method", "question"]).loc[
        ("fake-llama-instruct", "summed_evidence", "employees")]
    assert row["k_max"] == 50 and row["n_test"] == 40
    assert row["baseline_pct"] == pytest.approx(100 * base)
    assert row["top_drop_pp"] == pytest.approx(100 * (base - last))
    drops = 100 * (base - np.array(rand))
    assert row["random_drop_mean_pp"] == pytest.approx(drops.mean())
    assert row["random_drop_sd_pp"] == pytest.approx(drops.std(ddof=1))
    assert row["random_drop_max_pp"] == pytest.approx(drops.max())
    assert row["excess_drop_pp"] == pytest.approx(100 * (base - last) - drops.mean())
    # the drop's interval is paired over the answers CSV; the earlier rule keeps the endpoint-combined one
    ans = pd.read_csv(_abl(run, "fake-llama-instruct", "summed_evidence", "employees").with_suffix(".answers.csv"))
    top_ans = ans[ans["kind"] == "top"].pivot(index="sample_id", columns="k", values="correct").astype(float)
    lo_p, hi_p = paired_drop_interval(top_ans[0], top_ans[50], n_boot=abl["settings"]["n_bootstrap"])
    assert row["drop_ci"] == "paired"
    assert (row["top_drop_ci_low_pp"], row["top_drop_ci_high_pp"]) == pytest.approx((100 * lo_p, 100 * hi_p))
    lo = 100 * (base - last) - 100 * math.hypot(base - top[0]["ci_low"], top[50]["ci_high"] - last)
    assert bool(row["top_beyond_random"]) == (lo > drops.max())
    assert row["pct_heads_max"] == pytest.approx(100 * 50 / 270)
    # the by-type table is the mean over the type's questions
    bt = an.sensitivity_by_type
    sel = bt[(bt["model"] == "fake-llama-instruct") & (bt["method"] == "summed_evidence") & (bt["qtype"] == "numerical")]
    s = an.sensitivity
    nums = s[(s["model"] == "fake-llama-instruct") & (s["method"] == "summed_evidence") & (s["qtype"] == "numerical")]
    assert sel.iloc[0]["mean_top_drop_pp"] == pytest.approx(nums["top_drop_pp"].mean())
    assert set(nums["question"]) == {"inc_year", "employees"}


def test_without_answers_the_drop_interval_combines_the_endpoints(tmp_path: Path) -> None:
    run = write_fake_run(tmp_path, models=(GEMMA_BASE,), methods=("qrhead",), questions=("inc_year",),
                         with_answers=False)
    an = analyze(run)
    abl = json.loads(_abl(run, "fake-gemma-base", "qrhead", "inc_year").read_text())
    top = {r["k"]: r for r in abl["top"]}
    base, last = top[0]["accuracy"], top[20]["accuracy"]
    row = an.sensitivity.iloc[0]
    lo = 100 * (base - last) - 100 * math.hypot(base - top[0]["ci_low"], top[20]["ci_high"] - last)
    assert row["drop_ci"] == "endpoints" and row["top_drop_ci_low_pp"] == pytest.approx(lo)
    assert an.top_vs_random_by_k.empty and an.top_vs_random_curves.empty


def test_top_vs_random_tables_match_the_answers(run: Path) -> None:
    an = analyze(run)
    key = ("fake-gemma-base", "wu24", "hq_state")
    ans = pd.read_csv(_abl(run, *key).with_suffix(".answers.csv"))
    by_k = an.top_vs_random_by_k.set_index(["model", "method", "question", "k"]).sort_index().loc[key]
    for k in (5, 20):
        t = ans[(ans["kind"] == "top") & (ans["k"] == k)].set_index("sample_id")["correct"].astype(float)
        r = ans[(ans["kind"] == "random") & (ans["k"] == k)].groupby("sample_id")["correct"].mean()
        d = t - r.loc[t.index]
        assert by_k.loc[k, "diff_pp"] == pytest.approx(100 * d.mean())
        assert by_k.loc[k, "top_acc_pct"] == pytest.approx(100 * t.mean())
        assert by_k.loc[k, "diff_ci_low_pp"] <= by_k.loc[k, "diff_pp"] <= by_k.loc[k, "diff_ci_high_pp"]
        assert by_k.loc[k, "pct_heads"] == pytest.approx(100 * k / 72)
    n_tests = int((an.top_vs_random_by_k["k"] > 0).sum())
    assert n_tests == 16 * 5 + 16 * 4  # 16 cells per model; k > 0: five on the llama grid, four on gemma's
    assert (an.top_vs_random_by_k["p_threshold"] == 0.05 / n_tests).all()
    beyond = an.top_vs_random_by_k["beyond_chance"]
    assert beyond.equals((an.top_vs_random_by_k["p_value"] < 0.05 / n_tests) & (an.top_vs_random_by_k["diff_pp"] < 0))
    cur = an.top_vs_random_curves.set_index(["model", "method", "question"])
    assert len(cur) == 32 and (cur["gap_threshold"] == 0.05 / 32).all()
    row = cur.loc[key]
    ks = [int(k) for k in row["ks_beyond"].split(";")] if row["ks_beyond"] else []
    assert ks == [k for k in (5, 10, 15, 20) if bool(by_k.loc[k, "beyond_chance"])]
    assert bool(row["beyond_at_some_k"]) == bool(ks) and bool(row["beyond_at_kmax"]) == (20 in ks)
    assert row["best_p_value"] == pytest.approx(by_k.loc[1:, "p_value"].min())


def test_sensitivity_curve_starts_at_zero(run: Path) -> None:
    cur = analyze(run).sensitivity_curves
    at0 = cur[cur["k"] == 0]
    assert (at0["top_drop_pp"] == 0).all() and (at0["random_drop_mean_pp"] == 0).all()


def test_gini_known_values() -> None:
    assert gini(np.array([1.0, 1.0, 1.0, 1.0])) == pytest.approx(0.0)
    assert gini(np.array([0.0, 0.0, 0.0, 1.0])) == pytest.approx(0.75)
    assert math.isnan(gini(np.zeros(3)))


def test_score_concentration_and_degenerate(tmp_path: Path) -> None:
    run = write_fake_run(tmp_path, models=(GEMMA_BASE,), methods=("wu24",), questions=("inc_year",))
    path = _det(run, "fake-gemma-base", "wu24", "inc_year")
    obj = json.loads(path.read_text())
    scores = {h: 0.0 for h in obj["scores"]}
    scores["3-1"] = 3.0
    scores["5-2"] = 1.0
    _edit(path, scores=scores, top_heads=["3-1", "5-2", *[h for h in scores if h not in ("3-1", "5-2")][:18]])
    row = analyze(run).concentration.iloc[0]
    assert row["share_top_n"] == pytest.approx(1.0)
    assert row["share_top10pct"] == pytest.approx(1.0)  # 8 best heads hold all mass
    assert row["ties_at_cutoff"] == 72 - 20  # 52 zero-score heads left out of the list, tied with the last
    assert row["n_top_positive"] == 2
    assert row["ties_both_keys"] == 0  # the fake's secondary key (continuous) breaks them all
    obj = json.loads(path.read_text())
    obj["extra"]["tie_break"]["scores"] = {h: 0.0 for h in scores}
    path.write_text(json.dumps(obj))
    row2 = analyze(run).concentration.iloc[0]
    assert row2["ties_both_keys"] == 72 - 20 and row2["first_tied_rank"] == 3  # layer order from the third head
    assert not row["degenerate"]
    _edit(path, scores={h: 0.0 for h in scores})
    assert bool(analyze(run).concentration.iloc[0]["degenerate"])


def test_model_comparison_same_architecture(tmp_path: Path) -> None:
    run = write_fake_run(tmp_path, models=(LLAMA_INSTRUCT, LLAMA_BASE, GEMMA_BASE), methods=("qrhead",),
                         questions=("inc_state",))
    a = json.loads(_det(run, "fake-llama-instruct", "qrhead", "inc_state").read_text())
    # the base model's scores: a monotone transform of the instruct model's -> same ranking, same top list
    _edit(_det(run, "fake-llama-base", "qrhead", "inc_state"),
          scores={h: 2 * s + 1 for h, s in a["scores"].items()}, top_heads=a["top_heads"])
    an = analyze(run)
    pairs = an.model_pairs.set_index(["model_a", "model_b"])["same_arch"]
    assert bool(pairs[("fake-llama-instruct", "fake-llama-base")])
    assert not bool(pairs[("fake-llama-instruct", "fake-gemma-base")])
    sa = an.model_same_arch
    assert len(sa) == 1  # only the same-architecture pair is compared head by head
    assert sa.iloc[0]["spearman"] == pytest.approx(1.0)
    assert sa.iloc[0]["jaccard"] == pytest.approx(1.0) and sa.iloc[0]["intersection"] == 50
    prof = an.model_profiles
    assert set(prof["model"]) == {"fake-llama-instruct", "fake-llama-base", "fake-gemma-base"}
    assert prof["mean_depth"].between(0, 1).all()


def test_write_tables_round_trip(run: Path) -> None:
    an = analyze(run)
    written = write_tables(an)
    assert set(written) >= {"cross_question_jaccard", "cross_method_overlap", "sensitivity", "layer_summary",
                            "shared_heads", "model_profiles"}
    assert all(p.parent == tables_dir(run) and p.stat().st_size > 0 for p in written.values())
    back = pd.read_csv(written["sensitivity"])
    assert len(back) == len(an.sensitivity)
    assert back["top_drop_pp"].to_numpy() == pytest.approx(an.sensitivity["top_drop_pp"].to_numpy(), rel=1e-5)
    assert not list(tables_dir(run).glob(".*.tmp"))
