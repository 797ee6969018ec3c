"""A whole quick bench run on the CPU (harness/checks/bench/runner.py): every section written, no errors
(no timing assertions)."""

from __future__ import annotations

import json

import pytest

from harness.checks import bench


@pytest.mark.slow
def test_quick_run_writes_every_section(tmp_path, capsys):
    out = tmp_path / "bench.json"
    rc = bench.run(bench.make_config(quick=True, device="cpu", out=str(out)))
    d = json.loads(out.read_text())
    assert rc == 0 and d["errors"] == {}
    assert {"meta", "settings", "detection_throughput", "memory", "ablation", "projection", "targets"} <= set(d)
    meta = d["meta"]
    assert meta["random_weights"] is True and meta["shape"] == "tiny" and meta["torch"] and meta["transformers"]
    dt = d["detection_throughput"]
    for path in ("detection", "plain_sdpa", "plain_prefill", "reference"):
        assert dt[path]["context_tokens_per_s"] > 0 and len(dt[path]["seconds"]) == 2
    assert all(r > 0 for r in dt["ratios"].values()) and len(dt["ratios"]) == 3
    assert all(dt["breakdown"][part][k] > 0 for part in ("decode_step", "question_suffix")
               for k in ("plain_ms", "probed_ms"))
    steps = dt["decode_steps"]["batches"]
    assert set(steps) == {"1", "4", "16"} and all(v > 0 for rec in steps.values() for v in rec.values())
    for path in ("detection", "plain_sdpa", "reference"):
        assert set(d["memory"][path]) == {"128", "256"}
        assert all(r["status"] == "ok" and r["seconds"] > 0 for r in d["memory"][path].values())
    ab = d["ablation"]
    assert ab["batched"]["conditions_per_s"] > 0 and ab["per_condition"]["conditions_per_s"] > 0
    assert ab["unique_head_sets"] > 1 and ab["speedup_batched_over_per_condition"] > 0
    pr = d["projection"]
    assert pr["ours"]["total_seconds"] > 0 and pr["reference"]["total_seconds"] > 0 and pr["formula"]
    assert {t["id"] for t in d["targets"]} >= {"detection_overhead", "memory_32k", "study_minutes",
                                                 "end_to_end_speedup"}
    assert not any(t["applicable"] for t in d["targets"])  # tiny CPU run: targets are for Llama-3-8B on GPU
    printed = capsys.readouterr().out
    assert "end-to-end speedup" in printed and "detection / plain SDPA" in printed and "decode step @ batch 4" in printed


def test_a_failing_section_is_recorded_and_the_rest_still_run(tmp_path, monkeypatch):
    out = tmp_path / "bench.json"
    cfg = bench.make_config(quick=True, device="cpu", out=str(out))
    runner = bench.Bench(cfg)

    def no_model() -> None:
        raise RuntimeError("no model today")

    monkeypatch.setattr(runner, "load", no_model)
    results = runner.run()
    assert results["errors"] == {"load": "RuntimeError: no model today"}
    assert results["meta"]["status"] == "error" and results["meta"]["bench_seconds"] >= 0
    assert results["detection_throughput"] == {} and results["projection"]["ours"] is None
    assert {t["id"] for t in results["targets"]} >= {"detection_overhead", "study_minutes"}
    assert json.loads(out.read_text())["errors"] == results["errors"]
