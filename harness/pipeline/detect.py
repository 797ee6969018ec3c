"""The detection step: every (model, method, question) unit of a data set's train split.

Units of output are one JSON per (model, method, question); units of computation are one filing, whose
per-question scores are checkpointed atomically under a key of their full configuration
(``cache/detection/<model>/<sample>.json``), so a killed run loses at most the filings in flight (the
``detection_batch`` filings whose windows decode as one batch) and a rerun skips what is done. Every process of a data-parallel run checkpoints its shard; the merging process writes
the unit files. Each unit also counts the train answers that came back empty and those cut off at
``max_new_tokens`` without the stop rule firing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from adapters.prompts import build_filing_groups
from adapters.sample import Sample
from harness.config import model_grid
from harness.methods.base import SCORE_FIELDS, SECONDARY_FIELDS, QuestionScores
from harness.methods.registry import METHODS, get_method
from harness.methods.scores import aggregate, rank_heads, ranking_extra, scores_dict
from harness.methods.shared_pass import detect_groups
from harness.pipeline.context import StudyContext, load_split, sample_hash
from harness.store.keys import config_key, data_hash
from harness.store.records import DetectionCheckpoint, DetectionUnit, dump_record, load_record


def checkpoint_place(ctx: StudyContext, rec: Sample, questions: Sequence[str]) -> tuple[Path, str]:
    """Where one filing's detection checkpoint lives and the key of its full configuration."""
    key = config_key({"kind": "detection-sample", "model": ctx.model_fingerprint(),
                      "settings": asdict(ctx.detection_settings()), "context_tokens": ctx.cfg.context_tokens,
                      "evidence": ctx.cfg.evidence, "questions": list(questions),
                      "fields": [*SCORE_FIELDS, *SECONDARY_FIELDS], "sample": sample_hash(rec, questions)})
    return ctx.run_dir / "cache" / "detection" / ctx.slug / f"{rec.sample_id}.json", key


def detection_checkpoints(ctx: StudyContext, recs: Sequence[Sample],
                          questions: Sequence[str]) -> list[DetectionCheckpoint]:
    """Each filing's per-question scores: read when done under the same key, else computed (the context windows
    of every filing not done decoded as one batch, :func:`harness.methods.shared_pass.detect_groups`) and
    written, one checkpoint per filing."""
    out: dict[str, DetectionCheckpoint] = {}
    todo = []
    for rec in recs:
        path, key = checkpoint_place(ctx, rec, questions)
        if ctx.store.is_done(path, key):
            out[rec.sample_id] = load_record(DetectionCheckpoint, path)
        else:
            todo.append((rec, path, key))
    if todo:
        lm, chat = ctx.loaded, ctx.chat
        groups = [build_filing_groups(lm.tokenizer, rec, questions, ctx.cfg.context_tokens, chat, ctx.cfg.evidence)
                  for rec, _, _ in todo]
        scores = iter(detect_groups(lm.model, lm.tokenizer, [fp for g in groups for fp in g],
                                    ctx.detection_settings(), chat=chat))
        for (rec, path, key), rec_groups in zip(todo, groups, strict=True):
            res: dict[str, QuestionScores] = {}
            for _ in rec_groups:
                res.update(next(scores))
            checkpoint = DetectionCheckpoint(sample_id=rec.sample_id, prompts=[fp.summary() for fp in rec_groups],
                                             chat=chat, questions={q: res[q].to_json() for q in questions})
            ctx.store.write(path, dump_record(checkpoint), key)
            out[rec.sample_id] = checkpoint
    return [out[rec.sample_id] for rec in recs]


def detection_checkpoint(ctx: StudyContext, rec: Sample, questions: Sequence[str]) -> DetectionCheckpoint:
    """One filing's per-question scores: read when done under the same key, else computed and written."""
    return detection_checkpoints(ctx, [rec], questions)[0]


def listed_top_n(ctx: StudyContext) -> int:
    """How many top heads a detection lists: the configured top_n, fitted to the model's head count by the
    same rule as the ablation's grid (:func:`harness.config.model_grid`)."""
    fp = ctx.model_fingerprint()
    return model_grid(ctx.model_cfg, fp["n_layers"] * fp["n_heads"], ctx.cfg)[1]


def unit_key(ctx: StudyContext, method: str, question: str, data_key: str) -> str:
    """Key of one detection unit: model, method, question, train data and every setting that matters."""
    cfg = ctx.cfg
    return config_key({"kind": "detection", "model": ctx.model_fingerprint(), "method": method,
                       "question": question, "data": data_key, "settings": asdict(ctx.detection_settings()),
                       "context_tokens": cfg.context_tokens, "evidence": cfg.evidence, "top_n": listed_top_n(ctx),
                       "tie_break": METHODS[method].tie_break})


def run_detection(ctx: StudyContext) -> list[Path]:
    """Write results/<run>/detection/<method>/<model>__<question>.json for every method and question."""
    cfg = ctx.cfg
    train = load_split(ctx.dataset.prepared_dir, "train")
    questions = list(cfg.questions)
    data_key = data_hash([dump_sample(r) for r in train])
    unit_keys = {(m, q): unit_key(ctx, m, q, data_key) for m in cfg.methods for q in questions}
    paths = {u: ctx.store.path_for("detection", u[0], ctx.slug, u[1]) for u in unit_keys}
    todo = [u for u in unit_keys if not ctx.store.is_done(paths[u], unit_keys[u])]
    if not todo:
        ctx.store.log("skipped", f"detection {ctx.slug}: all {len(unit_keys)} units done")
        return list(paths.values())
    ctx.stop_rule()  # warns at the start when the stop rule cannot fire on this vocabulary
    mine, per_batch = ctx.shard.take(train), ctx.detection_batch()
    with tqdm(total=len(mine), desc=f"detect {ctx.slug} [{ctx.dataset.label}]", unit="filing",
              disable=ctx.shard.rank > 0) as bar:
        for i in range(0, len(mine), per_batch):
            detection_checkpoints(ctx, mine[i : i + per_batch], questions)
            bar.update(len(mine[i : i + per_batch]))
    ctx.shard.barrier()
    if not ctx.shard.merges:
        return []  # rank 0 (or a later run without --shard) merges every shard's checkpoints
    per_sample = [detection_checkpoint(ctx, rec, questions) for rec in train]
    for m, q in todo:
        unit = detection_unit(ctx, m, q, per_sample)
        ctx.store.write(paths[(m, q)], dump_record(unit), unit_keys[(m, q)])
        ctx.store.log("done", f"detection {m} {ctx.slug} {q}: {unit.n_samples_used} samples")
    return list(paths.values())


def dump_sample(rec: Sample) -> dict[str, Any]:
    """A sample as the prepared split file holds it (what the train/test data hashes are computed over)."""
    return rec.model_dump(mode="json", exclude_unset=True)


def detection_unit(ctx: StudyContext, method: str, q: str, per_sample: list[DetectionCheckpoint]) -> DetectionUnit:
    """The unit file of (model, ``method``, ``q``): mean of the samples that count, the top list (ties broken by
    the method's secondary key, averaged over the same samples), exclusions."""
    impl = get_method(method)
    variant = ""  # no method reads it since the summed variants became methods of their own
    used: dict[str, np.ndarray] = {}
    secondary: dict[str, np.ndarray] = {}
    exclusions = []
    records = [QuestionScores.from_json(s.questions[q].model_dump()) for s in per_sample]
    for s, qs in zip(per_sample, records, strict=True):
        score = impl.sample_score(qs, variant)
        if score is None:
            exclusions.append({"sample_id": s.sample_id, "reason": impl.exclusion_reason(qs, variant)})
            continue
        used[s.sample_id] = score
        second = impl.secondary_score(qs, variant)
        if second is not None:
            secondary[s.sample_id] = second
    info = ctx.loaded.info
    scores = aggregate(used) if used else np.zeros((info.n_layers, info.n_heads))
    second_scores = aggregate(secondary) if secondary else np.zeros_like(scores)
    top_n = min(listed_top_n(ctx), info.n_layers * info.n_heads)
    top = rank_heads(scores, top_n, second_scores) if used else []
    extra: dict[str, Any] = {"train_accuracy_unablated": sum(r.correct for r in records) / max(1, len(records))}
    extra.update(impl.unit_extra(records, used, top_n, variant, ctx.cfg.wu24_gate))
    extra.update(ranking_extra(scores, second_scores, top, METHODS[method].tie_break, len(secondary)))
    return DetectionUnit(
        kind="detection", model=ctx.model_cfg.name, model_info=asdict(info), method=method, question=q,
        dataset=ctx.dataset.label, scores=scores_dict(scores), top_heads=top,
        top_n=top_n, n_samples_used=len(used), n_samples_excluded=len(exclusions), exclusions=exclusions,
        n_empty_answers=sum(not r.answer_text for r in records), n_max_tokens=sum(r.hit_max_tokens for r in records),
        extra=extra, settings={**asdict(ctx.detection_settings()), "context_tokens": ctx.cfg.context_tokens,
                               "split": "train", "n_train": len(per_sample)},
    )
