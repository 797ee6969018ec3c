"""Test helper: write a small, clearly FAKE run directory in the result-file schema of the study runner.

Nothing here is a measurement. Scores and per-sample answers are drawn from a seeded random generator so
that analysis, figures and report can be exercised without a model; each ablation unit's accuracies are
computed from the answers written to its ``.answers.csv``, as the study does. Every file says ``"fake":
true`` in its provenance, model ids start with ``FAKE/`` and the data set label says FAKE; figures made from
it are test artefacts only.
"""

from __future__ import annotations

import csv
import json
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from adapters.questions import QUESTION_KEYS, QUESTIONS
from harness.methods.registry import METHOD_NAMES


@dataclass(frozen=True)
class FakeModel:
    """Shape and labels of one fake model."""

    name: str
    family: str
    n_layers: int
    n_heads: int
    n_kv_heads: int
    chat_template: bool
    top_n: int
    k_grid: tuple[int, ...]
    random_weights: bool = False


LLAMA_INSTRUCT = FakeModel("fake-llama-instruct", "llama", 30, 9, 3, True, 50, (0, 10, 20, 30, 40, 50))
GEMMA_BASE = FakeModel("fake-gemma-base", "gemma3_text", 18, 4, 1, False, 20, (0, 5, 10, 15, 20))
LLAMA_BASE = FakeModel("fake-llama-base", "llama", 30, 9, 3, False, 50, (0, 10, 20, 30, 40, 50))


def _model_info(m: FakeModel) -> dict:
    return {
        "id": f"FAKE/{m.name}",
        "revision_or_hash": f"fake-sha256-{zlib.crc32(m.name.encode()):08x}",
        "family": m.family,
        "n_layers": m.n_layers,
        "n_heads": m.n_heads,
        "n_kv_heads": m.n_kv_heads,
        "chat_template": m.chat_template,
        "attn_implementation": "probe",
        "random_weights": m.random_weights,
    }


def _write(path: Path, obj: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=1), encoding="utf-8")


def _scores(rng: np.random.Generator, m: FakeModel, shared: np.ndarray, by_type: dict[str, np.ndarray],
            qkey: str) -> np.ndarray:
    """Head scores with structure: a model-wide component, a question-type component and noise."""
    noise = rng.gamma(1.0, 1.0, size=shared.shape)
    return shared + by_type[QUESTIONS[qkey].qtype] + 0.8 * noise


def _ci(rng: np.random.Generator, acc: float, n: int) -> tuple[float, float]:
    """A bootstrap-like 95% interval for a proportion (resampled, so it looks like the real thing)."""
    draws = rng.binomial(n, acc, size=400) / n
    return float(np.quantile(draws, 0.025)), float(np.quantile(draws, 0.975))


def _detection(rng: np.random.Generator, m: FakeModel, method: str, qkey: str, scores: np.ndarray, n_train: int,
               settings: dict, provenance: dict) -> dict:
    """One FAKE detection unit: the given head scores, their top-n list (ties broken by a secondary key) and a
    few excluded samples."""
    n_total = m.n_layers * m.n_heads
    head_ids = [f"{layer}-{head}" for layer in range(m.n_layers) for head in range(m.n_heads)]
    second = rng.uniform(0.0, 1.0, size=n_total)
    order = sorted(range(n_total), key=lambda i: (-scores[i], -second[i], i))
    excluded = int(rng.integers(0, 5))
    top = [head_ids[i] for i in order[: m.top_n]]
    return {
        "kind": "detection",
        "model": m.name,
        "model_info": _model_info(m),
        "method": method,
        "question": qkey,
        "scores": {h: float(round(s, 6)) for h, s in zip(head_ids, scores, strict=True)},
        "top_heads": top,
        "top_n": m.top_n,
        "n_samples_used": n_train - excluded,
        "n_samples_excluded": excluded,
        "exclusions": [{"sample_id": f"fake{i}", "reason": "no evidence in context"} for i in range(excluded)],
        "extra": {**({"n_success": n_train - excluded - 3} if method == "wu24" else {}),
                  "n_top_positive": sum(1 for i in order[: m.top_n] if scores[i] > 0),
                  "tie_break": {"key": "FAKE secondary key", "n_samples": n_train - excluded,
                                "scores": {h: float(round(v, 6)) for h, v in zip(head_ids, second, strict=True)}}},
        "settings": settings,
        "provenance": provenance,
    }


def _answers(rng: np.random.Generator, m: FakeModel, n_test: int, seeds: tuple[int, ...]) -> dict:
    """FAKE per-sample correctness: {("top", k, None) or ("random", k, seed): bool array (n_test,)}.

    A sample answers correctly at the baseline with a drawn rate; top-k ablation breaks it once k passes the
    sample's drawn fragility (nested in k), random-k ablation with a much smaller rate per seed.
    """
    base = np.zeros(n_test, dtype=bool)
    base[rng.choice(n_test, size=int(rng.integers(int(0.55 * n_test), int(0.95 * n_test))), replace=False)] = True
    scale = 50 / max(m.k_grid)
    rate = float(rng.uniform(0.005, 0.04)) * scale
    frail = rng.uniform(0.0, 1.0, size=n_test)
    out = {}
    for k in m.k_grid:
        out[("top", k, None)] = base & (frail >= 1 - np.exp(-rate * k))
    for s in seeds:
        r_rate = float(rng.uniform(0.0, 0.004)) * scale
        fr = rng.uniform(0.0, 1.0, size=n_test)
        for k in m.k_grid[1:]:
            out[("random", k, s)] = base & (fr >= 1 - np.exp(-r_rate * k))
    return out


def _curves(rng: np.random.Generator, m: FakeModel, answers: dict, n_test: int,
            seeds: tuple[int, ...]) -> tuple[list, list, list]:
    """Top-k rows, random-k rows (one per seed) and their per-k summary, from the FAKE answers."""
    top_rows, rand_rows, summary = [], [], []
    for k in m.k_grid:
        acc = float(answers[("top", k, None)].mean())
        lo, hi = _ci(rng, acc, n_test)
        top_rows.append({"k": k, "accuracy": acc, "ci_low": lo, "ci_high": hi,
                         "rouge_recall": min(1.0, acc + 0.05), "n": n_test})
        if k == 0:
            continue
        accs = []
        for s in seeds:
            ra = float(answers[("random", k, s)].mean())
            rlo, rhi = _ci(rng, ra, n_test)
            accs.append(ra)
            rand_rows.append({"k": k, "seed": s, "accuracy": ra, "ci_low": rlo, "ci_high": rhi,
                              "rouge_recall": min(1.0, ra + 0.05), "n": n_test})
        a = np.array(accs)
        summary.append({"k": k, "mean": float(a.mean()), "std": float(a.std(ddof=1)) if len(a) > 1 else 0.0,
                        "min": float(a.min()), "max": float(a.max()), "n_seeds": len(seeds)})
    return top_rows, rand_rows, summary


ANSWER_FIELDS = ("sample_id", "method", "question", "condition", "k", "kind", "seed", "generated_text",
                 "parsed_answer", "truth", "correct")


def _write_answers(path: Path, method: str, qkey: str, answers: dict) -> None:
    """The unit's answers CSV, in the study's column layout."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=ANSWER_FIELDS)
        w.writeheader()
        for (kind, k, seed), correct in answers.items():
            label = f"{method}/{kind if seed is None else f'{kind}-s{seed}'}/k={k}"
            for i, ok in enumerate(correct):
                w.writerow({"sample_id": f"fake{i:03d}", "method": method, "question": qkey, "condition": label,
                            "k": k, "kind": kind, "seed": "" if seed is None else seed,
                            "generated_text": "FAKE", "parsed_answer": "FAKE" if ok else "", "truth": "FAKE",
                            "correct": bool(ok)})


def _ablation(rng: np.random.Generator, m: FakeModel, method: str, qkey: str, n_test: int, seeds: tuple[int, ...],
              settings: dict, provenance: dict) -> tuple[dict, dict]:
    """One FAKE ablation unit (a Figure-8 curve) and the answers it was computed from."""
    answers = _answers(rng, m, n_test, seeds)
    top_rows, rand_rows, summary = _curves(rng, m, answers, n_test, seeds)
    unit = {
        "kind": "ablation",
        "model": m.name,
        "model_info": _model_info(m),
        "method": method,
        "question": qkey,
        "mask_mode": "uniform",
        "mask_scope": "decode",
        "k_grid": list(m.k_grid),
        "seeds": list(seeds),
        "n_test": n_test,
        "top": top_rows,
        "random": rand_rows,
        "random_summary": summary,
        "answers_csv": f"{m.name}__{qkey}.answers.csv",
        "settings": {**settings, "n_bootstrap": 200},
        "provenance": provenance,
    }
    return unit, answers


def write_fake_run(
    run_dir: Path,
    models: tuple[FakeModel, ...] = (LLAMA_INSTRUCT, GEMMA_BASE),
    methods: tuple[str, ...] = METHOD_NAMES,
    questions: tuple[str, ...] = QUESTION_KEYS,
    n_test: int = 40,
    n_train: int = 60,
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4),
    synthetic: bool = True,
    seed: int = 0,
    with_answers: bool = True,
) -> Path:
    """Write detection, ablation (+ answers CSV unless ``with_answers`` is False) and manifest files of a FAKE
    run under ``run_dir``; return ``run_dir``."""
    run_dir = Path(run_dir)
    rng = np.random.default_rng(seed)
    settings = {"context_tokens": 512, "max_new_tokens": 16, "gate": "normalized_match", "fake": True}
    provenance = {"fake": True, "git_commit": "FAKE", "packages": {}, "data_hash": "FAKE"}
    for m in models:
        n_total = m.n_layers * m.n_heads
        depth = np.repeat(np.arange(m.n_layers) / (m.n_layers - 1), m.n_heads)
        for method in methods:
            shared = rng.gamma(0.5, 1.0, size=n_total) * (1.0 + depth)
            by_type = {
                "numerical": rng.gamma(0.5, 1.5, size=n_total) * depth,
                "categorical": rng.gamma(0.5, 1.5, size=n_total) * (1.0 - depth),
            }
            for qkey in questions:
                sc = _scores(rng, m, shared, by_type, qkey)
                det = _detection(rng, m, method, qkey, sc, n_train, settings, provenance)
                _write(run_dir / "detection" / method / f"{m.name}__{qkey}.json", det)
                abl, answers = _ablation(rng, m, method, qkey, n_test, seeds, settings, provenance)
                _write(run_dir / "ablation" / method / f"{m.name}__{qkey}.json", abl)
                if with_answers:
                    _write_answers(run_dir / "ablation" / method / f"{m.name}__{qkey}.answers.csv", method, qkey,
                                   answers)
    manifest = {
        "config": {"preset": "FAKE", "context_tokens": 512, "max_new_tokens": 16, "seeds": list(seeds),
                   "mask_mode": "uniform", "mask_scope": "decode", "gate": "normalized_match",
                   "methods": list(methods), "questions": list(questions)},
        "models": {m.name: _model_info(m) for m in models},
        "data": {"train": n_train, "test": n_test, "label": "FAKE test fixture (random numbers)",
                 "synthetic": synthetic},
    }
    _write(run_dir / "run_manifest.json", manifest)
    return run_dir
