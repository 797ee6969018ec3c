"""The study projection and the targets (harness/checks/bench/projection.py)."""

from __future__ import annotations

import numpy as np
import pytest

from harness.checks.bench import config, projection
from harness.checks.bench.pipeline import project_pipeline
from harness.heads import all_head_ids
from harness.pipeline import conditions as abl


def test_unique_conditions_counts_the_distinct_head_sets():
    heads = all_head_ids(32, 32)
    rng = np.random.default_rng(0)
    tops = {m: [heads[i] for i in rng.permutation(len(heads))] for m in ("a", "b", "c")}
    conds = abl.build_conditions(tops, heads, config.STUDY_K_GRID, range(5), 50)
    distinct = {tuple(sorted(c.heads)) for c in conds}
    assert len(conds) == 93
    assert len(distinct) == projection.unique_conditions(3, config.STUDY_K_GRID, 5) == 91


def test_projection_formula():
    results = {"detection_throughput": {"detection": {"context_tokens_per_s": 4096.0},
                                        "reference": {"context_tokens_per_s": 409.6}},
               "ablation": {"batched": {"conditions_per_s": 121.0}, "per_condition": {"conditions_per_s": 12.1}}}
    pr = projection.project_study(results, 4096)
    # ours: 2 models x (200 filings x 1 s + 50 filings x 4 questions x 121 / 121 s) = 2 x (200 + 200) s, where
    # 121 = 4 methods x 5 nonzero k x (top + 5 seeds) + the k = 0 baseline
    assert pr["train_filings"] == 200 and pr["test_filings"] == 50 and pr["conditions_per_question"] == 121
    assert pr["ours"]["total_seconds"] == pytest.approx(800.0)
    assert pr["reference"]["total_seconds"] == pytest.approx(8000.0)
    assert pr["end_to_end_speedup"] == pytest.approx(10.0)
    assert pr["note"] == ""
    missing = projection.project_study({}, 256)
    assert missing["ours"] is None and missing["end_to_end_speedup"] is None and missing["note"]


def test_nested():
    assert projection.nested({"a": {"b": 3}}, "a", "b") == 3
    assert projection.nested({"a": {"b": 3}}, "a", "c") is None and projection.nested({"a": 1}, "a", "b") is None


def test_targets_apply_only_at_scale():
    results = {"detection_throughput": {"ratios": {"detection_over_plain_sdpa": 1.2,
                                                   "detection_over_plain_prefill": 2.5}},
               "memory": {"detection": {"32768": {"status": "ok", "peak_bytes": 70e9, "peak_gb": 70.0}}},
               "projection": {"ours": {"total_minutes": 25.0}, "end_to_end_speedup": 6.0}}
    cpu = config.make_config(quick=True)
    rows = {t["id"]: t for t in projection.evaluate_targets(results, cpu)}
    assert not any(t["applicable"] for t in rows.values())
    assert rows["detection_overhead"]["pass"] is True and rows["detection_over_prefill"]["pass"] is False
    assert rows["memory_32k"]["pass"] is True and rows["study_minutes"]["pass"] is False
    assert rows["end_to_end_speedup"]["pass"] is True and rows["reference_oom"]["pass"] is None
    at_scale = config.BenchConfig(device="cuda", shape="llama3-8b", dtype="bfloat16", contexts=[32768],
                                  throughput_context=config.STUDY["context_tokens"])
    rows = {t["id"]: t for t in projection.evaluate_targets(results, at_scale)}
    assert all(rows[t]["applicable"] for t in ("detection_overhead", "memory_32k", "study_minutes",
                                               "end_to_end_speedup", "reference_oom"))
    rows = {t["id"]: t for t in projection.evaluate_targets({}, at_scale)}
    assert rows["memory_32k"]["note"] == "32768 not measured" and rows["detection_overhead"]["pass"] is None


def test_pipeline_projection_and_targets():
    timings = {"models": {"a": {"detect_s_per_filing": 0.5, "ablate_s_per_filing": 1.0, "is_instruct": True},
                          "b": {"detect_s_per_filing": 0.7, "ablate_s_per_filing": 2.0, "is_instruct": False}}}
    pr = project_pipeline(timings)
    assert pr["train_filings"] == 200 and pr["test_filings"] == 50
    assert pr["total_seconds"] == pytest.approx(2 * (200 * 0.6 + 50 * 1.5))
    at_scale = config.BenchConfig(device="cuda", shape="llama3-8b", dtype="bfloat16", contexts=[4096],
                                  throughput_context=4096)
    rows = {t["id"]: t for t in projection.evaluate_targets({"pipeline": {**timings, "projection": pr}}, at_scale)}
    assert rows["pipeline_detect_instruct"]["pass"] is True and rows["pipeline_ablate_base"]["pass"] is False
    assert rows["pipeline_study_minutes"]["value"] == pytest.approx(pr["total_minutes"])
    assert rows["pipeline_study_minutes"]["pass"] is True and rows["pipeline_study_minutes"]["applicable"]
