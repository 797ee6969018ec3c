"""The ablation step: one Figure-8 curve per (model, method, question) on a data set's test split.

For each test filing and question, every condition (method x k x top/random seed) is decoded as one batch
over the prompt's shared cache (:func:`harness.pipeline.conditions.ablate_question`); the answers are
checkpointed per filing (``cache/ablation/<model>/<sample>.json``, keyed by the head sets asked for), then
scored into the unit files: accuracy with a 95% bootstrap interval and ROUGE-1 recall per k, top-k and
random-k per seed, and every answer in ``<unit>.answers.csv``. Test samples without a usable truth or without
evidence in their context window are left out of the scoring, listed with the reason; every curve point
counts its empty answers and those cut off at ``max_new_tokens`` without the stop rule firing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from adapters.answers import answer_matches, parse_answer
from adapters.prompts import build_filing_groups
from adapters.questions import get_question
from adapters.sample import Sample
from harness.analysis.metrics import bootstrap_ci, rouge1_recall
from harness.config import model_grid
from harness.heads import all_head_ids, head_set_key
from harness.pipeline.conditions import Condition, ablate_group, build_conditions
from harness.pipeline.context import StudyContext, load_split, sample_hash
from harness.pipeline.detect import dump_sample
from harness.store.atomic import atomic_write_csv
from harness.store.keys import config_key, data_hash
from harness.store.records import AblationCheckpoint, AblationUnit, DetectionUnit, dump_record, load_record

log = logging.getLogger("harness.ablate")
ANSWER_FIELDS = ("sample_id", "method", "question", "condition", "k", "kind", "seed", "generated_text",
                 "parsed_answer", "truth", "correct", "hit_max_tokens")
NO_EVIDENCE_IN_WINDOW = "evidence outside the context window"
CHECKPOINT_FORMAT = 2  # 2: questions without evidence in the window excluded, cut-off decodes recorded


def k_grid_for(ctx: StudyContext) -> tuple[list[int], int]:
    """(k grid, top_n) for this model: the configured grid or the fraction rule, fitted to its head count
    (:func:`harness.config.model_grid`; a change is logged as a note)."""
    fp = ctx.model_fingerprint()
    grid, top_n, warning = model_grid(ctx.model_cfg, fp["n_layers"] * fp["n_heads"], ctx.cfg)
    if warning:
        ctx.store.log("note", warning)
        log.warning(warning)
    return list(grid), int(top_n)


def detected_tops(ctx: StudyContext) -> dict[tuple[str, str], DetectionUnit]:
    """The detection unit of every (method, question) of the run (FileNotFoundError when one is missing)."""
    out = {}
    for m in ctx.cfg.methods:
        for q in ctx.cfg.questions:
            p = ctx.store.path_for("detection", m, ctx.slug, q)
            if not p.exists():
                raise FileNotFoundError(f"{p} missing: run detection (make detect-all) before ablation")
            out[(m, q)] = load_record(DetectionUnit, p)
    return out


def run_ablation(ctx: StudyContext) -> list[Path]:
    """Write results/<run>/ablation/<method>/<model>__<question>.json (+ answers CSV) for every unit."""
    cfg = ctx.cfg
    test = load_split(ctx.dataset.prepared_dir, "test")
    questions = list(cfg.questions)
    k_grid, top_n = k_grid_for(ctx)
    dets = detected_tops(ctx)
    fp = ctx.model_fingerprint()
    settings = {"mask_mode": cfg.mask_mode, "mask_scope": cfg.mask_scope, "k_grid": k_grid, "top_n": top_n,
                "seeds": list(cfg.seeds), "max_new_tokens": cfg.max_new_tokens, "stop": cfg.stop,
                "context_tokens": cfg.context_tokens, "n_bootstrap": cfg.n_bootstrap}
    data_key = data_hash([dump_sample(r) for r in test])
    unit_keys = {u: config_key({"kind": "ablation", "model": fp, "unit": list(u), "detection": d.config_key,
                                "data": data_key, "settings": settings}) for u, d in dets.items()}
    paths = {u: ctx.store.path_for("ablation", u[0], ctx.slug, u[1]) for u in unit_keys}
    todo = [u for u in unit_keys if not ctx.store.is_done(paths[u], unit_keys[u])]
    if not todo:
        ctx.store.log("skipped", f"ablation {ctx.slug}: all {len(unit_keys)} units done")
        return list(paths.values())
    ctx.stop_rule()  # warns at the start when the stop rule cannot fire on this vocabulary
    all_heads = all_head_ids(fp["n_layers"], fp["n_heads"])
    conds_by_q: dict[str, list[Condition]] = {}
    for q in questions:
        usable_tops = {m: dets[(m, q)].top_heads for m in cfg.methods if len(dets[(m, q)].top_heads) >= max(k_grid)}
        conds_by_q[q] = build_conditions(usable_tops, all_heads, k_grid, cfg.seeds, top_n)
    for rec in tqdm(ctx.shard.take(test), desc=f"ablate {ctx.slug} [{ctx.dataset.label}]", unit="filing",
                    disable=ctx.shard.rank > 0):
        ablation_checkpoint(ctx, rec, questions, conds_by_q, settings)
    ctx.shard.barrier()
    if not ctx.shard.merges:
        return []
    per_sample = [ablation_checkpoint(ctx, rec, questions, conds_by_q, settings) for rec in test]
    for m, q in todo:
        unit, rows = ablation_unit(ctx, fp, m, q, conds_by_q[q], per_sample, test, settings)
        csv_path = paths[(m, q)].with_suffix(".answers.csv")
        atomic_write_csv(csv_path, rows, ANSWER_FIELDS)
        unit.answers_csv = csv_path.name
        ctx.store.write(paths[(m, q)], dump_record(unit), unit_keys[(m, q)])
        ctx.store.log("done", f"ablation {m} {ctx.slug} {q}: n_test={unit.n_test}")
    return list(paths.values())


def ablation_checkpoint(ctx: StudyContext, rec: Sample, questions: Sequence[str],
                        conds_by_q: dict[str, list[Condition]], settings: dict[str, Any]) -> AblationCheckpoint:
    """One filing's answers under every head set asked for (read when done under the same key)."""
    wanted = {q: sorted({head_set_key(c.heads) for c in conds_by_q[q]}) for q in questions if rec.usable.get(q)}
    key = config_key({"kind": "ablation-sample", "model": ctx.model_fingerprint(), "settings": settings,
                      "sample": sample_hash(rec, questions), "head_sets": wanted, "format": CHECKPOINT_FORMAT})
    path = ctx.run_dir / "cache" / "ablation" / ctx.slug / f"{rec.sample_id}.json"
    if ctx.store.is_done(path, key):
        return load_record(AblationCheckpoint, path)
    lm = ctx.loaded
    stop, bos = ctx.stop_rule(), ctx.bos_rule()
    out: dict[str, dict[str, str]] = {}
    excluded: dict[str, str] = {}
    cut: dict[str, list[str]] = {}
    groups = build_filing_groups(lm.tokenizer, rec, [q for q in questions if q in wanted], ctx.cfg.context_tokens,
                                 ctx.chat) if wanted else []
    for fpr in groups:
        todo = {}
        for q, qp in fpr.prompts.items():
            bos.check(qp.ids, f"{rec.sample_id} {q} prompt")
            if qp.evidence_spans:
                todo[q] = conds_by_q[q]
            else:
                excluded[q] = qp.reason or NO_EVIDENCE_IN_WINDOW
        group = ablate_group(lm.model, fpr, todo, ctx.ablation_settings(), stop) if todo else {}
        for q, gens in group.items():
            out[q] = {head_set_key(h): lm.tokenizer.decode(ids, skip_special_tokens=True).strip()
                      for h, ids in gens.items()}
            cut[q] = [head_set_key(h) for h, ids in gens.items() if stop.hit_max_tokens(ids, ctx.cfg.max_new_tokens)]
    checkpoint = AblationCheckpoint(sample_id=rec.sample_id, answers=out, prompts=[fp.summary() for fp in groups],
                                    excluded=excluded, max_tokens=cut)
    ctx.store.write(path, dump_record(checkpoint), key)
    return checkpoint


def score_answers(method: str, q: str, conds: Sequence[Condition], per_sample: Sequence[AblationCheckpoint],
                  truth: dict[str, str]) -> tuple[dict[Condition, list[bool]], dict[Condition, list[float]], list]:
    """Per condition of ``method``: correctness and ROUGE-1 recall of every test answer; the answers CSV rows."""
    kind = get_question(q).kind
    correct: dict[Condition, list[bool]] = {}
    rouge: dict[Condition, list[float]] = {}
    rows: list[dict[str, Any]] = []
    for c in (c for c in conds if c.method == method):
        hk = head_set_key(c.heads)
        for s in per_sample:
            if s.sample_id not in truth:
                continue
            text = s.answers[q][hk]
            ok = answer_matches(kind, text, truth[s.sample_id], question=q)
            correct.setdefault(c, []).append(ok)
            rouge.setdefault(c, []).append(rouge1_recall(truth[s.sample_id], text))
            rows.append({"sample_id": s.sample_id, "method": method, "question": q, "condition": c.label,
                         "k": c.k, "kind": c.kind, "seed": "" if c.seed is None else c.seed,
                         "generated_text": text, "parsed_answer": parse_answer(kind, text, q) or "",
                         "truth": truth[s.sample_id], "correct": ok,
                         "hit_max_tokens": hk in s.max_tokens.get(q, [])})
    return correct, rouge, rows


def excluded_test_samples(q: str, per_sample: Sequence[AblationCheckpoint],
                          test: Sequence[Sample]) -> list[dict[str, str]]:
    """The test samples left out of question ``q``'s scoring, with the reason (no usable truth, no evidence in
    the context window)."""
    by_id = {s.sample_id: s for s in per_sample}
    out = []
    for r in test:
        if not r.usable.get(q):
            out.append({"sample_id": r.sample_id, "reason": r.excluded.get(q) or "no usable ground truth"})
        elif q in by_id[r.sample_id].excluded:
            out.append({"sample_id": r.sample_id, "reason": by_id[r.sample_id].excluded[q]})
    return out


def random_summary(random: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Random-k accuracy over the seeds at each k: mean, sd (ddof 1), min, max."""
    out = []
    for k in sorted({r["k"] for r in random}):
        accs = np.array([r["accuracy"] for r in random if r["k"] == k])
        out.append({"k": k, "mean": float(accs.mean()), "std": float(accs.std(ddof=1)) if len(accs) > 1 else 0.0,
                    "min": float(accs.min()), "max": float(accs.max()), "n_seeds": len(accs)})
    return out


def ablation_unit(ctx: StudyContext, fp: dict[str, Any], method: str, q: str, conds: Sequence[Condition],
                  per_sample: Sequence[AblationCheckpoint], test: Sequence[Sample],
                  settings: dict[str, Any]) -> tuple[AblationUnit, list[dict[str, Any]]]:
    """The unit file of (model, ``method``, ``q``) and its answers CSV rows."""
    exclusions = excluded_test_samples(q, per_sample, test)
    left_out = {e["sample_id"] for e in exclusions}
    truth = {r.sample_id: r.answers.get(q) for r in test if r.sample_id not in left_out}
    correct, rouge, rows = score_answers(method, q, conds, per_sample, truth)
    rows_of: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        rows_of.setdefault(row["condition"], []).append(row)

    def point(c: Condition) -> dict[str, Any]:
        vals = correct.get(c, [])
        lo, hi = bootstrap_ci(vals, n_boot=ctx.cfg.n_bootstrap, seed=ctx.cfg.seed)
        mine = rows_of.get(c.label, [])
        return {"k": c.k, "accuracy": float(np.mean(vals)) if vals else float("nan"), "ci_low": lo,
                "ci_high": hi, "rouge_recall": float(np.mean(rouge.get(c, [np.nan]))), "n": len(vals),
                "n_empty": sum(not r["generated_text"] for r in mine),
                "n_max_tokens": sum(bool(r["hit_max_tokens"]) for r in mine)}

    mconds = [c for c in conds if c.method == method]
    random = [{**point(c), "seed": c.seed} for c in mconds if c.kind == "random"]
    top = [point(c) for c in mconds if c.kind == "top"]
    base = next((p for p in top if p["k"] == 0), None)
    info = asdict(ctx.loaded.info) if ctx.model_loaded else fp
    unit = AblationUnit(
        kind="ablation", model=ctx.model_cfg.name, model_info=info, method=method, question=q,
        dataset=ctx.dataset.label, mask_mode=ctx.cfg.mask_mode, mask_scope=ctx.cfg.mask_scope,
        k_grid=settings["k_grid"], seeds=list(ctx.cfg.seeds), n_test=len(truth),
        n_test_excluded=len(exclusions), test_exclusions=exclusions,
        n_empty_answers=base["n_empty"] if base else None, n_max_tokens=base["n_max_tokens"] if base else None,
        top=top, random=random, random_summary=random_summary(random),
        top_heads_used=[list(c.heads) for c in mconds if c.kind == "top"][-1] if mconds else [],
        settings=settings,
    )
    if not mconds:
        unit.note = f"fewer than {max(settings['k_grid'])} top heads were detected; no curve"
    return unit, rows
