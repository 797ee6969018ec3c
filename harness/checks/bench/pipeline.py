"""The bench's first section: the study's own detect and ablate steps, as the command line runs them, on a
prepared data set (edgar_sample) with rehearsal models, timed per step; the full study projected from them.

For each model (the rehearsal pair: instruct, then base) :func:`time_pipeline` loads it once (timed apart), runs
:func:`harness.pipeline.detect.run_detection` on the train split and :func:`harness.pipeline.ablate.run_ablation`
on the test split into a fresh results folder (no checkpoint is reused), and divides each step's wall time
by its filings. The configuration is the paper preset with the data set, models and context size replaced.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from harness.checks.bench.config import STUDY
from harness.checks.bench.timing import log, sync
from harness.engine import graphs


def pipeline_config(edgar: str | Path, models: dict[str, str], results_dir: Path, device: str, dtype: str,
                    context_tokens: int, max_new_tokens: int | None, condition_batch: int | None):
    """The paper preset over ``edgar`` (edgar_gt.csv + edgar_corpus.jsonl) with ``models`` (label -> folder)."""
    from harness.config import load_config

    edgar = Path(edgar).expanduser().resolve()
    for f in ("edgar_gt.csv", "edgar_corpus.jsonl"):
        if not (edgar / f).is_file():
            raise FileNotFoundError(f"{edgar / f} not found: --edgar must be a copy of the edgar_sample folder")
    overrides: dict[str, Any] = {
        "name": "bench-pipeline", "results_dir": str(results_dir), "context_tokens": context_tokens,
        "datasets": [{"label": "edgar_sample", "csv": str(edgar / "edgar_gt.csv"),
                      "corpus": str(edgar / "edgar_corpus.jsonl"), "join": "filename",
                      "prepared_dir": str(results_dir / "prepared")}
                     | ({"evidence_file": str(edgar / "evidence.jsonl")} if (edgar / "evidence.jsonl").is_file() else {})],
        "models": [{"name": path, "role": role, "dtype": dtype, "device": device, "attn": "sdpa"}
                   for role, path in models.items()],
    }
    if max_new_tokens:
        overrides["max_new_tokens"] = max_new_tokens
    if condition_batch:
        overrides["condition_batch"] = condition_batch
    return load_config("paper", overrides)


def _timed(device: str, fn) -> float:
    sync(device)
    t0 = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - t0


def time_pipeline(cfg, device: str) -> dict[str, Any]:
    """Prepare the data set, then per model: load, detect (train split), ablate (test split), each timed."""
    import gc

    import torch

    from harness.engine.batched_decode import release_workspaces
    from harness.pipeline.ablate import run_ablation
    from harness.pipeline.context import StudyContext, load_split
    from harness.pipeline.detect import run_detection
    from harness.pipeline.steps import prepare_datasets, run_dir_for

    results = Path(cfg.results_dir)
    if results.exists():
        shutil.rmtree(results)  # a fresh run: no checkpoint of an earlier one is reused
    t_prep = time.perf_counter()
    prepare_datasets(cfg)
    ds = cfg.datasets[0]
    n_train, n_test = len(load_split(ds.prepared_dir, "train")), len(load_split(ds.prepared_dir, "test"))
    out: dict[str, Any] = {"prepare_seconds": time.perf_counter() - t_prep, "train_filings": n_train,
                           "test_filings": n_test, "models": {}}
    for model_cfg in cfg.models:
        ctx = StudyContext(cfg, ds, model_cfg, run_dir_for(cfg, ds))
        t0 = time.perf_counter()
        info = ctx.loaded.info
        rec: dict[str, Any] = {"load_seconds": time.perf_counter() - t0, "is_instruct": info.is_instruct,
                               "model": info.id}
        log(f"pipeline: {info.id} loaded in {rec['load_seconds']:.1f} s (instruct={info.is_instruct})")
        captures = graphs.capture_stats()
        rec["detect_seconds"] = _timed(device, lambda c=ctx: run_detection(c))
        rec["detect_s_per_filing"] = rec["detect_seconds"] / max(1, n_train)
        rec["ablate_seconds"] = _timed(device, lambda c=ctx: run_ablation(c))
        rec["ablate_s_per_filing"] = rec["ablate_seconds"] / max(1, n_test)
        after = graphs.capture_stats()
        rec["graph_captures"] = after["captures"] - captures["captures"]
        rec["graph_capture_seconds"] = after["seconds"] - captures["seconds"]
        log(f"pipeline: detect {rec['detect_s_per_filing']:.3f} s/filing, ablate {rec['ablate_s_per_filing']:.3f} "
            f"s/filing ({rec['graph_captures']} graph captures, {rec['graph_capture_seconds']:.1f} s)")
        out["models"][model_cfg.name] = rec
        del ctx, info
        release_workspaces()  # the workspaces hold the model: let it go before the next one loads
        gc.collect()
        if device.startswith("cuda"):
            torch.cuda.empty_cache()
    out["capture_failures"] = graphs.capture_failures()
    out["projection"] = project_pipeline(out)
    return out


def project_pipeline(timings: dict[str, Any], study: dict[str, Any] | None = None) -> dict[str, Any]:
    """The full study (``STUDY``: filings, 80/20 split, models) from the measured seconds per filing per step.

    Every model of the study is costed at the mean of the measured models' rates; model loading is excluded.
    """
    s = dict(study or STUDY)
    n_train = round(s["filings"] * s["train_fraction"])
    n_test = s["filings"] - n_train
    models = list(timings.get("models", {}).values())
    if not models:
        return {"note": "no model measured"}
    det = sum(m["detect_s_per_filing"] for m in models) / len(models)
    abl = sum(m["ablate_s_per_filing"] for m in models) / len(models)
    det_s, abl_s = s["models"] * n_train * det, s["models"] * n_test * abl
    return {"filings": s["filings"], "train_filings": n_train, "test_filings": n_test, "models": s["models"],
            "detect_s_per_filing": det, "ablate_s_per_filing": abl, "detection_seconds": det_s,
            "ablation_seconds": abl_s, "total_seconds": det_s + abl_s, "total_minutes": (det_s + abl_s) / 60,
            "formula": "models x (train_filings x detect_s_per_filing + test_filings x ablate_s_per_filing), "
                       "rates = the mean over the measured models, from the CLI steps' wall times (loading excluded)"}


def run_pipeline_section(cfg) -> dict[str, Any]:
    """Build (or reuse) the rehearsal models, then :func:`time_pipeline` over ``cfg.edgar`` (a BenchConfig)."""
    import gc

    import torch

    from harness.checks.bench.rehearsal import build_rehearsal
    from harness.engine.batched_decode import release_workspaces

    missing = [f"--{n.replace('_', '-')}" for n in ("rehearsal_dir", "tokenizer_wheel", "chat_template", "edgar")
               if not getattr(cfg, n)]
    if missing:
        raise ValueError(f"the pipeline section needs {', '.join(missing)}")
    log(f"pipeline: rehearsal models in {cfg.rehearsal_dir} ...")
    built = build_rehearsal(cfg.rehearsal_dir, cfg.tokenizer_wheel, cfg.chat_template, cfg.device, cfg.dtype,
                            cfg.seed)
    log(f"pipeline: rehearsal models {'reused' if built['reused'] else 'built'} "
        f"({built.get('total_seconds', 0):.1f} s)")
    gc.collect()
    if cfg.device.startswith("cuda"):
        torch.cuda.empty_cache()
    run_dir = Path(cfg.rehearsal_dir).expanduser().resolve() / "pipeline_run"
    pcfg = pipeline_config(cfg.edgar, built["paths"], run_dir, cfg.device, cfg.dtype, cfg.pipeline_context,
                           cfg.pipeline_max_new_tokens, cfg.pipeline_condition_batch)
    out: dict[str, Any] = {"rehearsal": built, "config": {
        "preset": "paper", "context_tokens": pcfg.context_tokens, "max_new_tokens": pcfg.max_new_tokens,
        "condition_batch": pcfg.condition_batch, "k_grid": list(pcfg.k_grid) if pcfg.k_grid is not None else None,
        "k_fractions": list(pcfg.k_fractions), "seeds": list(pcfg.seeds),
        "methods": list(pcfg.methods), "questions": list(pcfg.questions), "results_dir": str(run_dir)},
        "measure": "wall time of run_detection / run_ablation per model (time.perf_counter around CUDA syncs), "
                   "divided by the split's filings; models loaded before, timed apart",
        "early_stop": "random weights: answers never stop early (max_new_tokens steps)"}
    try:
        out.update(time_pipeline(pcfg, cfg.device))
    finally:
        release_workspaces()
        gc.collect()
        if cfg.device.startswith("cuda"):
            torch.cuda.empty_cache()
    return out
