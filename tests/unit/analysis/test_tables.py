"""Tests of harness/analysis/tables.py on FAKE result files (tests/helpers/fake_results.py), checked against hand
computation."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

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
    run = write_fake_run(tmp_path, models=(GEMMA_BASE,), questions=("hq_state",))
    heads = [f"{layer}-{h}" for layer in range(18) for h in range(4)]
    tops = {"summed_attention": heads[:20], "wu24": heads[10:30], "qrhead": heads[15:35]}
    for m, t in tops.items():
        _edit(_det(run, "fake-gemma-base", m, "hq_state"), top_heads=t)
    an = analyze(run)
    cm = an.cross_method.set_index(["method_a", "method_b"])
    assert cm.loc[("summed_attention", "wu24"), "intersection"] == 10
    assert cm.loc[("summed_attention", "wu24"), "jaccard"] == pytest.approx(10 / 30)
    assert cm.loc[("summed_attention", "qrhead"), "intersection"] == 5
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
    abl = json.loads(_abl(run, "fake-llama-instruct", "summed_attention", "employees").read_text())
    top = {r["k"]: r for r in abl["top"]}
    base, last = top[0]["accuracy"], top[50]["accuracy"]
    rand = [r["accuracy"] for r in abl["random"] if r["k"] == 50]
    row = an.sensitivity.set_index(["model", "method", "question"]).loc[
        ("fake-llama-instruct", "summed_attention", "employees")]
    assert row["k_max"] == 50 and row["n_test"] == 40
    assert row["baseline_pct"] == pytest.approx(100 * base)
    assert row["top_drop_pp"] == pytest.approx(100 * (base - last))
    drops = 100 * (base - np.array(rand))
    assert row["random_drop_mean_pp"] == pytest.approx(drops.mean())
    assert row["random_drop_sd_pp"] == pytest.approx(drops.std(ddof=1))
    assert row["random_drop_max_pp"] == pytest.approx(drops.max())
    assert row["excess_drop_pp"] == pytest.approx(100 * (base - last) - drops.mean())
    lo = 100 * (base - last) - 100 * math.hypot(base - top[0]["ci_low"], top[50]["ci_high"] - last)
    assert row["top_drop_ci_low_pp"] == pytest.approx(lo)
    assert bool(row["top_beyond_random"]) == (lo > drops.max())
    # the by-type table is the mean over the type's questions
    bt = an.sensitivity_by_type
    sel = bt[(bt["model"] == "fake-llama-instruct") & (bt["method"] == "summed_attention") & (bt["qtype"] == "numerical")]
    s = an.sensitivity
    nums = s[(s["model"] == "fake-llama-instruct") & (s["method"] == "summed_attention") & (s["qtype"] == "numerical")]
    assert sel.iloc[0]["mean_top_drop_pp"] == pytest.approx(nums["top_drop_pp"].mean())
    assert set(nums["question"]) == {"inc_year", "employees"}


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
