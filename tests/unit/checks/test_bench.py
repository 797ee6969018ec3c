"""The benchmark's inputs, reference path, projection and a whole quick CPU run (no timing assertions)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from harness.checks import bench
from harness.engine.models.random_weights import random_llama
from harness.heads import all_head_ids
from harness.pipeline import conditions as abl


@pytest.fixture(scope="module")
def tiny():
    return random_llama("tiny", dtype="float32", device="cpu", probe=True)


def test_synthetic_filing_layout():
    fp = bench.synthetic_filing(300, vocab_size=256, n_questions=4, question_tokens=25, seed=1)
    assert len(fp.prompts) == 4
    p = len(fp.prefix_ids)
    for qp in fp.prompts.values():
        c0, c1 = qp.context_span
        assert c1 - c0 == 300 and c1 <= p
        assert qp.ids[:p] == fp.prefix_ids and qp.null_ids[:p] == fp.prefix_ids
        assert len(qp.ids) - p == 25 + 4 and qp.query_start == p
        assert all(3 <= t < 256 for t in qp.ids)
        # paragraphs tile the context; each evidence span sits in a gold paragraph
        assert qp.paragraph_spans[0][0] == c0 and qp.paragraph_spans[-1][1] == c1
        assert all(a[1] == b[0] for a, b in zip(qp.paragraph_spans[:-1], qp.paragraph_spans[1:], strict=True))
        assert len(qp.paragraph_spans) == 3 and len(qp.evidence_spans) == 2
        for (s, e), g in zip(qp.evidence_spans, qp.gold_paragraphs, strict=True):
            ps, pe = qp.paragraph_spans[g]
            assert ps <= s < e <= pe
        assert qp.wu24_spans == qp.evidence_spans and qp.usable
    with pytest.raises(ValueError, match="at least 16"):
        bench.synthetic_filing(8, vocab_size=256)


def test_reference_path_computes_what_detection_computes(tiny):
    """The upstream-style path (eager, full maps, per-head loop, no prefix sharing) gives our scores."""
    model = tiny.model
    fp = bench.synthetic_filing(120, model.config.vocab_size, n_questions=2, question_tokens=10, seed=3)
    impl = model.config._attn_implementation
    ours = bench.detection_path(model, fp, max_new_tokens=4)
    ref = bench.reference_path(model, fp, max_new_tokens=4)
    assert model.config._attn_implementation == impl  # switched back from eager
    for q, r in ref.items():
        o = ours[q]
        assert list(o.generated_ids) == r["generated_ids"] and len(r["generated_ids"]) == 4
        np.testing.assert_allclose(o.summed_context, r["summed_context"], atol=1e-5)
        np.testing.assert_allclose(o.qrhead, r["qrhead"], atol=1e-4)
        np.testing.assert_array_equal(o.wu24, r["wu24"])
    agree = bench.compare_paths(ours, ref)
    assert agree["questions_with_equal_generated_ids"] == "2/2" and agree["summed_context_max_abs_diff"] < 1e-5


def test_unique_conditions_counts_the_distinct_head_sets():
    heads = all_head_ids(32, 32)
    rng = np.random.default_rng(0)
    tops = {m: [heads[i] for i in rng.permutation(len(heads))] for m in ("a", "b", "c")}
    conds = abl.build_conditions(tops, heads, bench.STUDY_K_GRID, range(5), 50)
    distinct = {tuple(sorted(c.heads)) for c in conds}
    assert len(conds) == 93
    assert len(distinct) == bench.unique_conditions(3, bench.STUDY_K_GRID, 5) == 91


def test_projection_formula():
    results = {"detection_throughput": {"detection": {"context_tokens_per_s": 4096.0},
                                        "reference": {"context_tokens_per_s": 409.6}},
               "ablation": {"batched": {"conditions_per_s": 91.0}, "per_condition": {"conditions_per_s": 9.1}}}
    pr = bench.project_study(results, 4096)
    # ours: 2 models x (200 filings x 1 s + 50 filings x 4 questions x 91 / 91 s) = 2 x (200 + 200) s
    assert pr["train_filings"] == 200 and pr["test_filings"] == 50 and pr["conditions_per_question"] == 91
    assert pr["ours"]["total_seconds"] == pytest.approx(800.0)
    assert pr["reference"]["total_seconds"] == pytest.approx(8000.0)
    assert pr["end_to_end_speedup"] == pytest.approx(10.0)
    assert pr["note"] == ""
    missing = bench.project_study({}, 256)
    assert missing["ours"] is None and missing["end_to_end_speedup"] is None and missing["note"]


def test_measure_memory_records_oom_and_reraises_other_errors():
    def oom():
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 64.00 GiB")

    rec = bench.measure_memory(oom, "cpu")
    assert rec["status"] == "OOM" and "out of memory" in rec["error"]

    def broken():
        raise RuntimeError("shape mismatch")

    with pytest.raises(RuntimeError, match="shape mismatch"):
        bench.measure_memory(broken, "cpu")


def test_cli_defaults_and_bad_grid():
    from harness.cli import main as cli_main

    cfg = bench.make_config(quick=True)
    assert (cfg.device, cfg.shape, cfg.dtype, cfg.contexts, cfg.throughput_context) == (
        "cpu", "tiny", "float32", [128, 256], 256)
    assert cfg.threads == 1 and cfg.repeats == 2 and cfg.k_grid == [0, 1, 2]
    with pytest.raises(ValueError, match="k grid"):
        bench.make_config(quick=True, k_grid=[0, 20])  # 16 heads cannot give k = 20
    with pytest.raises(SystemExit):
        cli_main(["bench", "--quick", "--contexts", "8,abc"])


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
    assert "end-to-end speedup" in printed and "detection / plain SDPA" in printed
