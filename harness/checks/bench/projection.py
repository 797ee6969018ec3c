"""The full study's GPU time projected from the measured rates, and the performance targets with pass/fail.

:func:`project_study` records its formula next to the numbers; :func:`evaluate_targets` marks a target
``applicable`` only for a Llama-3-8B-shape bfloat16 run on CUDA (at the study's context size where the
target is about the study).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.checks.bench.config import STUDY, BenchConfig

# Targets (Llama-3-8B shape, bf16, one H100/H200): issue 6's, tightened by issue 13 (engine phase).
TARGETS = {"detection_over_plain_max": 1.3, "detection_over_prefill_max": 2.0, "memory_32k_max_bytes": 80e9,
           "study_max_seconds": 20 * 60, "end_to_end_speedup_min": 5.0, "ablation_conditions_per_s_min": 1000.0,
           "pipeline_detect_s_per_filing_max": 0.8, "pipeline_ablate_s_per_filing_max": 1.5,
           "pipeline_study_max_seconds": 10 * 60}


def unique_conditions(methods: int, k_grid: Sequence[int], seeds: int) -> int:
    """Distinct head sets decoded per (filing, question): top-k and ``seeds`` random-k per method and k > 0,
    plus one k = 0 baseline shared by every method."""
    nonzero = sum(1 for k in k_grid if k > 0)
    return methods * nonzero * (1 + seeds) + (1 if 0 in k_grid else 0)


def nested(d: Any, *keys: str) -> Any:
    """``d[k1][k2]...``, or None where a key is missing or a level is not a dict."""
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def project_study(results: dict[str, Any], context_tokens: int,
                  study: dict[str, Any] | None = None) -> dict[str, Any]:
    """The full study's GPU time from the measured rates, ours and the reference path's (formula recorded)."""
    s = dict(study or STUDY)
    n_train = round(s["filings"] * s["train_fraction"])
    n_test = s["filings"] - n_train
    conds = unique_conditions(s["methods"], s["k_grid"], s["random_seeds"])
    det_rate = nested(results, "detection_throughput", "detection", "context_tokens_per_s")
    ref_rate = nested(results, "detection_throughput", "reference", "context_tokens_per_s")
    abl_rate = nested(results, "ablation", "batched", "conditions_per_s")
    up_rate = nested(results, "ablation", "per_condition", "conditions_per_s")
    out: dict[str, Any] = {
        "study": s, "measured_at_context_tokens": context_tokens, "train_filings": n_train, "test_filings": n_test,
        "conditions_per_question": conds,
        "formula": ("T = models x (train_filings x t_detect + test_filings x t_ablate); "
                    "t_detect = context_tokens / detection_context_tokens_per_s (one filing, all questions, every "
                    "method in the same passes); t_ablate = questions x conditions_per_question / "
                    "ablation_conditions_per_s; conditions_per_question = methods x (nonzero k) x (1 + seeds) + 1 "
                    "(the k=0 baseline decoded once). Reference: the same with the reference path's detection "
                    "rate and the per-condition ablation rate."),
        "rates": {"detection_context_tokens_per_s": det_rate, "ablation_conditions_per_s": abl_rate,
                  "reference_context_tokens_per_s": ref_rate, "per_condition_conditions_per_s": up_rate},
        "ablation_measured_head_sets_per_question": nested(results, "ablation", "unique_head_sets"),
        "decode_steps": "fixed max_new_tokens (no early stop), as measured",
        "excludes": "model loading, tokenisation, data preparation, figures",
        "note": "" if context_tokens == s["context_tokens"] else
                f"rates measured at {context_tokens} context tokens, not the study's {s['context_tokens']}: "
                "the projection is not comparable to the target",
    }

    def total(d_rate: float | None, a_rate: float | None) -> dict[str, Any] | None:
        if not d_rate or not a_rate:
            return None
        t_det = context_tokens / d_rate
        t_abl = s["questions"] * conds / a_rate
        det_s = s["models"] * n_train * t_det
        abl_s = s["models"] * n_test * t_abl
        return {"t_detect_per_filing_s": t_det, "t_ablate_per_filing_s": t_abl, "detection_seconds": det_s,
                "ablation_seconds": abl_s, "total_seconds": det_s + abl_s, "total_minutes": (det_s + abl_s) / 60}

    out["ours"] = total(det_rate, abl_rate)
    out["reference"] = total(ref_rate, up_rate)
    if out["ours"] and out["reference"]:
        out["end_to_end_speedup"] = out["reference"]["total_seconds"] / out["ours"]["total_seconds"]
    else:
        out["end_to_end_speedup"] = None
    return out


def evaluate_targets(results: dict[str, Any], cfg: BenchConfig) -> list[dict[str, Any]]:
    """Issue 6's targets next to the measured numbers, with pass/fail."""
    at_scale = cfg.device.startswith("cuda") and cfg.shape == "llama3-8b" and cfg.dtype == "bfloat16"
    at_4k = at_scale and cfg.throughput_context == STUDY["context_tokens"]
    rows: list[dict[str, Any]] = []

    def row(tid: str, desc: str, target: str, value: Any, unit: str, ok: bool | None, applicable: bool,
            note: str = "") -> None:
        rows.append({"id": tid, "description": desc, "target": target, "value": value, "unit": unit,
                     "pass": ok, "applicable": applicable, "note": note})

    r = nested(results, "detection_throughput", "ratios", "detection_over_plain_sdpa")
    row("detection_overhead", "detection time / plain SDPA pass with the same forward calls", "<= 1.3",
        r, "x", None if r is None else r <= TARGETS["detection_over_plain_max"], at_4k)
    r = nested(results, "detection_throughput", "ratios", "detection_over_plain_prefill")
    row("detection_over_prefill", "detection time / plain prefill of the prompt tokens only (includes the "
        "decode steps only detection makes)", "<= 2", r, "x",
        None if r is None else r <= TARGETS["detection_over_prefill_max"], at_4k)
    r = nested(results, "ablation", "batched", "conditions_per_s")
    row("ablation_rate", "ablation, batched conditions per second", ">= 1000", r, "cond/s",
        None if r is None else r >= TARGETS["ablation_conditions_per_s_min"], at_4k)
    rec = nested(results, "memory", "detection", "32768")
    if rec is None:
        row("memory_32k", "detection peak GPU memory at 32k context", "fits in 80 GB", None, "GB", None, False,
            "32768 not measured")
    else:
        ok = rec.get("status") == "ok" and rec.get("peak_bytes") is not None and \
            rec["peak_bytes"] <= TARGETS["memory_32k_max_bytes"]
        row("memory_32k", "detection peak GPU memory at 32k context", "fits in 80 GB",
            rec.get("peak_gb", rec.get("status")), "GB", bool(ok), at_scale and "peak_bytes" in rec)
    t = nested(results, "projection", "ours", "total_minutes")
    row("study_minutes", "projected full study GPU time (ours)", "<= 20", t, "min",
        None if t is None else t * 60 <= TARGETS["study_max_seconds"], at_4k)
    sp = nested(results, "projection", "end_to_end_speedup")
    row("end_to_end_speedup", "projected full study: reference path time / ours", ">= 5", sp, "x",
        None if sp is None else sp >= TARGETS["end_to_end_speedup_min"], at_4k)
    pipeline_targets(results, cfg, row)
    ref_oom = nested(results, "memory", "reference_first_oom_context")
    row("reference_oom", "first context at which the reference path ran out of memory (issue: 8k on 141 GB)",
        "info", ref_oom, "tokens", None, at_scale)
    return rows


def pipeline_targets(results: dict[str, Any], cfg: BenchConfig, row) -> None:
    """Rows for the pipeline section: seconds per filing of each step (every model), the study projection."""
    pl = results.get("pipeline") or {}
    applicable = cfg.device.startswith("cuda") and cfg.dtype == "bfloat16" and cfg.pipeline_context == 4096
    steps = (("detect", "pipeline_detect_s_per_filing_max"), ("ablate", "pipeline_ablate_s_per_filing_max"))
    for rec in (pl.get("models") or {}).values():
        label = "instruct" if rec.get("is_instruct") else "base"
        for step, key in steps:
            v = rec.get(f"{step}_s_per_filing")
            row(f"pipeline_{step}_{label}", f"CLI {step} step, s per filing ({label} rehearsal model)",
                f"<= {TARGETS[key]}", v, "s", None if v is None else v <= TARGETS[key], applicable)
    t = nested(pl, "projection", "total_seconds")
    row("pipeline_study_minutes", "full study (250 filings x 2 models) from the CLI step timings", "<= 10",
        None if t is None else t / 60, "min", None if t is None else t <= TARGETS["pipeline_study_max_seconds"],
        applicable)
