"""What the bench feeds the model: a synthetic filing of random token ids, and the random-weight model.

Random weights are honest for timing (the work per token does not depend on the values) and meaningless for
anything else; the synthetic filing has the layout of a real one (a shared context prefix, per question a
question and a tail, evidence spans in gold paragraphs, a null query) so every method has work to do.
"""

from __future__ import annotations

import numpy as np

from adapters.prompts import FilingPrompts, QuestionPrompt
from adapters.questions import QUESTION_KEYS, get_question
from harness.checks.bench.config import SHAPES, SMOLLM2_OVERRIDES, BenchConfig
from harness.engine.models import LoadedModel
from harness.engine.models.random_weights import RANDOM_SHAPES, random_llama

SYNTHETIC_ANSWERS = {"inc_state": "Delaware", "inc_year": "1998", "employees": "12500", "hq_state": "Texas"}


def synthetic_filing(
    n_context: int, vocab_size: int, n_questions: int = 4, question_tokens: int = 25, seed: int = 0
) -> FilingPrompts:
    """FilingPrompts of random token ids: a shared prefix holding ``n_context`` context tokens, then per question
    ``question_tokens`` question tokens and a 4-token tail; two evidence spans per question in two of the
    ~``n_context / 100`` equal paragraphs (its gold paragraphs); a 3-token null query. Every question usable."""
    if n_context < 16:
        raise ValueError(f"context must hold at least 16 tokens, got {n_context}")
    if not 1 <= n_questions <= len(QUESTION_KEYS):
        raise ValueError(f"n_questions must be 1..{len(QUESTION_KEYS)}, got {n_questions}")
    rng = np.random.default_rng(seed)
    lo, hi = (3, vocab_size) if vocab_size < 2000 else (1000, vocab_size - 1000)  # clear of special ids

    def rand(n: int) -> list[int]:
        return rng.integers(lo, hi, size=n).tolist()

    header = rand(4)  # stands for BOS + "Document:\n"
    c0, c1 = len(header), len(header) + n_context
    prefix = header + rand(n_context) + rand(2)  # the context, then "\n\n"
    n_par = max(1, n_context // 100)
    bounds = np.linspace(c0, c1, n_par + 1).round().astype(int)
    paragraphs = [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    prompts: dict[str, QuestionPrompt] = {}
    tail = rand(4)  # stands for "\nAnswer:" (the same in every prompt of the filing)
    null = rand(3)  # the null query: one prompt for the whole filing, as the study's prompts have it
    for key in QUESTION_KEYS[:n_questions]:
        gold = sorted(int(p) for p in rng.choice(n_par, size=min(2, n_par), replace=False))
        spans = []
        for p in gold:
            s, e = paragraphs[p]
            length = min(int(rng.integers(1, 4)), e - s)
            start = int(rng.integers(s, e - length + 1))
            spans.append((start, start + length))
        prompts[key] = QuestionPrompt(
            question=key, ids=prefix + rand(question_tokens) + tail, query_start=len(prefix),
            context_span=(c0, c1), evidence_spans=spans, paragraph_spans=list(paragraphs), gold_paragraphs=gold,
            null_ids=prefix + null + tail, null_query_start=len(prefix), wu24_spans=list(spans), context="",
            paragraph_chars=[], answer=SYNTHETIC_ANSWERS[key], kind=get_question(key).kind, usable=True,
        )
    return FilingPrompts(f"synthetic-{n_context}", prefix, prompts,
                         cut={"synthetic": True, "context_tokens": n_context, "paragraphs": n_par})


def load_bench_model(cfg: BenchConfig) -> LoadedModel:
    """The random-weight model of ``cfg.shape`` with the probe attention (delegating to SDPA)."""
    need = max([*cfg.contexts, cfg.throughput_context]) + 256
    if cfg.shape == "smollm2":
        overrides = dict(SMOLLM2_OVERRIDES)
        overrides["max_position_embeddings"] = max(overrides["max_position_embeddings"], need)
        lm = random_llama("tiny", dtype=cfg.dtype, device=cfg.device, seed=cfg.seed, probe=True,
                          overrides=overrides)
        lm.info.name, lm.info.id = "random-smollm2", "random:smollm2"
        return lm
    if cfg.shape not in RANDOM_SHAPES:
        raise ValueError(f"shape must be one of {', '.join(SHAPES)}, got {cfg.shape!r}")
    overrides = {}
    if RANDOM_SHAPES[cfg.shape]["max_position_embeddings"] < need:
        overrides["max_position_embeddings"] = need
    return random_llama(cfg.shape, dtype=cfg.dtype, device=cfg.device, seed=cfg.seed, probe=True,
                        overrides=overrides or None)
