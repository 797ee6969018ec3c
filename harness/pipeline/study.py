"""The study runner: detection and ablation for every (model, method, question) of a configuration.

Units of output are one JSON per (model, method, question) (DESIGN.md, "Runs that survive"); units of
computation are one filing, whose result is checkpointed atomically under a key of its full
configuration, so a killed run loses at most the filing in flight and a rerun skips what is done.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from adapters.answers import answer_matches, parse_answer
from adapters.prompts import build_filing_groups
from adapters.questions import get_question
from harness.analysis.metrics import bootstrap_ci, rouge1_recall
from harness.config import ExperimentConfig, effective_grid
from harness.engine import decoding, probe
from harness.methods import shared_pass as det
from harness.pipeline import conditions as abl
from harness.store.atomic import atomic_write_text
from harness.store.keys import config_key, data_hash
from harness.store.units import UnitStore, model_slug

log = logging.getLogger("harness.pipeline.study")


@dataclass(frozen=True)
class Shard:
    """This process's share of the samples in a data-parallel run (``rank`` of ``world``)."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0
    synchronized: bool = False  # started by a launcher (torchrun/accelerate): ranks can wait for each other

    @classmethod
    def from_env(cls) -> Shard:
        """From torchrun/accelerate variables (RANK, WORLD_SIZE, LOCAL_RANK); one process otherwise."""
        import os

        world = int(os.environ.get("WORLD_SIZE", "1"))
        return cls(int(os.environ.get("RANK", "0")), world, int(os.environ.get("LOCAL_RANK", "0")), world > 1)

    @property
    def merges(self) -> bool:
        """Whether this process writes the unit files (after every shard's checkpoints exist)."""
        return self.world == 1 or (self.synchronized and self.rank == 0)

    def take(self, items: list) -> list:
        """Every ``world``-th item starting at ``rank`` (a fixed, order-preserving partition)."""
        return items[self.rank :: self.world]

    def barrier(self) -> None:
        """Wait for every process (torch.distributed when the launcher started a process group)."""
        if self.world <= 1 or not self.synchronized:
            return
        import torch.distributed as dist

        if not dist.is_initialized():
            import torch

            backend = "nccl" if torch.cuda.is_available() else "gloo"
            if backend == "nccl":
                torch.cuda.set_device(self.local_rank)
            dist.init_process_group(backend)
        dist.barrier()


def load_split(prepared_dir: Path, split: str) -> list[dict[str, Any]]:
    """Records of ``train`` or ``test`` from a prepared data folder."""
    path = Path(prepared_dir) / f"{split}_samples.json"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: run `make prepare` (python -m harness prepare) first")
    return json.loads(path.read_text())["samples"]


def _sample_hash(rec: dict[str, Any], questions: Sequence[str]) -> str:
    return config_key({"text": rec["text"], "answers": {q: rec["answers"].get(q) for q in questions},
                       "evidence": {q: rec.get("evidence_chars", {}).get(q) for q in questions},
                       "usable": {q: rec.get("usable", {}).get(q) for q in questions}})


class StudyContext:
    """What the steps of one (config, dataset, model) share: paths, settings, loaded model (lazily)."""

    def __init__(self, cfg: ExperimentConfig, dataset, model_cfg, run_dir: Path, shard: Shard | None = None) -> None:
        self.cfg, self.dataset, self.model_cfg = cfg, dataset, model_cfg
        self.shard = shard or Shard()
        self.run_dir = Path(run_dir)
        self.store = UnitStore(self.run_dir)
        self.slug = model_slug(model_cfg.name)
        self._loaded = None

    @property
    def model_loaded(self) -> bool:
        """Whether the model has been loaded (a run that only merged finished units never loads it)."""
        return self._loaded is not None

    @property
    def loaded(self):
        """The model, tokenizer and info, loaded on first use."""
        if self._loaded is None:
            from harness.engine.models import load_model

            device = self.model_cfg.device
            if device == "cuda" and self.shard.world > 1:
                device = f"cuda:{self.shard.local_rank}"  # one GPU per process in a data-parallel run
            self._loaded = load_model(self.model_cfg.name, dtype=self.model_cfg.dtype, device=device,
                                      attn=self.model_cfg.attn)
        return self._loaded

    def det_settings(self) -> det.DetectionSettings:
        return det.DetectionSettings(max_new_tokens=self.cfg.max_new_tokens, stop=self.cfg.stop,
                                     wu24_gate=self.cfg.wu24_gate, qrhead_layout=self.cfg.qrhead_layout)

    def model_fingerprint(self) -> dict[str, Any]:
        """Identity of the model for result keys (id, weights hash or revision, shape, dtype)."""
        info = self.loaded.info
        return {"name": self.model_cfg.name, "id": info.id, "revision_or_hash": info.revision_or_hash,
                "n_layers": info.n_layers, "n_heads": info.n_heads, "dtype": info.dtype,
                "attn": info.attn_implementation}


# ------------------------------------------------------------------------------------------- detection


def _detection_checkpoint(ctx: StudyContext, rec: dict[str, Any], questions: Sequence[str]) -> dict[str, Any]:
    key = config_key({"kind": "detection-sample", "model": ctx.model_fingerprint(),
                      "settings": asdict(ctx.det_settings()), "context_tokens": ctx.cfg.context_tokens,
                      "evidence": ctx.cfg.evidence, "questions": list(questions), "sample": _sample_hash(rec, questions)})
    path = ctx.run_dir / "cache" / "detection" / ctx.slug / f"{rec['sample_id']}.json"
    if ctx.store.is_done(path, key):
        return json.loads(path.read_text())
    lm = ctx.loaded
    chat = bool(lm.info.is_instruct and lm.info.chat_template)
    groups = build_filing_groups(lm.tokenizer, rec, questions, ctx.cfg.context_tokens, chat, ctx.cfg.evidence)
    res: dict[str, det.QuestionScores] = {}
    for fp in groups:
        res.update(det.detect_filing(lm.model, lm.tokenizer, fp, ctx.det_settings()))
    payload = {"sample_id": rec["sample_id"], "prompts": [fp.summary() for fp in groups], "chat": chat,
               "questions": {q: res[q].to_json() for q in questions}}
    ctx.store.write(path, payload, key)
    return payload


def run_detection(ctx: StudyContext) -> list[Path]:
    """Write results/<run>/detection/<method>/<model>__<question>.json for every method and question."""
    cfg = ctx.cfg
    train = load_split(ctx.dataset.prepared_dir, "train")
    questions = list(cfg.questions)
    fingerprint = ctx.model_fingerprint()
    data_key = data_hash(train)
    unit_keys = {
        (m, q): config_key({"kind": "detection", "model": fingerprint, "method": m, "question": q,
                            "data": data_key, "settings": asdict(ctx.det_settings()),
                            "context_tokens": cfg.context_tokens, "summed_variant": cfg.summed_variant,
                            "evidence": cfg.evidence,
                            "top_n": _top_n(ctx)})
        for m in cfg.methods for q in questions
    }
    paths = {u: ctx.store.path_for("detection", u[0], ctx.slug, u[1]) for u in unit_keys}
    todo = [u for u in unit_keys if not ctx.store.is_done(paths[u], unit_keys[u])]
    if not todo:
        ctx.store.log("skipped", f"detection {ctx.slug}: all {len(unit_keys)} units done")
        return list(paths.values())
    for rec in tqdm(ctx.shard.take(train), desc=f"detect {ctx.slug} [{ctx.dataset.label}]", unit="filing",
                    disable=ctx.shard.rank > 0):
        _detection_checkpoint(ctx, rec, questions)
    ctx.shard.barrier()
    if not ctx.shard.merges:
        return []  # rank 0 (or a later run without --shard) merges every shard's checkpoints
    per_sample = [_detection_checkpoint(ctx, rec, questions) for rec in train]
    info = ctx.loaded.info
    for m, q in todo:
        payload = _detection_payload(ctx, info, m, q, per_sample)
        ctx.store.write(paths[(m, q)], payload, unit_keys[(m, q)])
        ctx.store.log("done", f"detection {m} {ctx.slug} {q}: {payload['n_samples_used']} samples")
    return list(paths.values())


def _top_n(ctx: StudyContext) -> int:
    return int(ctx.model_cfg.top_n or ctx.cfg.top_n)


def _detection_payload(ctx: StudyContext, info, method: str, q: str, per_sample: list[dict]) -> dict[str, Any]:
    used: dict[str, np.ndarray] = {}
    evid: dict[str, np.ndarray] = {}
    exclusions = []
    n_correct = 0
    for s in per_sample:
        qs = det.QuestionScores.from_json(s["questions"][q])
        n_correct += int(qs.correct)
        score = det.method_sample_score(qs, method, ctx.cfg.summed_variant)
        if score is None:
            exclusions.append({"sample_id": s["sample_id"],
                               "reason": det.exclusion_reason(qs, method, ctx.cfg.summed_variant)})
        else:
            used[s["sample_id"]] = score
        if method == "summed_attention" and qs.summed_evidence is not None:
            evid[s["sample_id"]] = qs.summed_evidence
    shape = (info.n_layers, info.n_heads)
    scores = det.aggregate(used) if used else np.zeros(shape)
    top_n = min(_top_n(ctx), shape[0] * shape[1])
    extra: dict[str, Any] = {"train_accuracy_unablated": n_correct / max(1, len(per_sample))}
    if method == "summed_attention":
        other = "evidence" if ctx.cfg.summed_variant == "context" else "context"
        extra["variant"] = ctx.cfg.summed_variant
        if other == "evidence" and evid:
            evidence_scores = det.aggregate(evid)
            extra["scores_evidence"] = det.scores_dict(evidence_scores)
            extra["top_heads_evidence"] = det.rank_heads(evidence_scores, top_n)
    if method == "wu24":
        extra["n_success"] = len(used)
        extra["gate"] = ctx.cfg.wu24_gate
    return {
        "kind": "detection", "model": ctx.model_cfg.name, "model_info": asdict(info), "method": method,
        "question": q, "dataset": ctx.dataset.label, "scores": det.scores_dict(scores),
        "top_heads": det.rank_heads(scores, top_n) if used else [], "top_n": top_n,
        "n_samples_used": len(used), "n_samples_excluded": len(exclusions), "exclusions": exclusions,
        "extra": extra, "settings": {**asdict(ctx.det_settings()), "context_tokens": ctx.cfg.context_tokens,
                                     "split": "train", "n_train": len(per_sample)},
    }


# -------------------------------------------------------------------------------------------- ablation


def _grid(ctx: StudyContext) -> tuple[list[int], int]:
    n_total = ctx.model_fingerprint()["n_layers"] * ctx.model_fingerprint()["n_heads"]
    grid, top_n, warning = effective_grid(ctx.model_cfg, n_total, ctx.cfg)
    if warning:
        ctx.store.log("note", warning)
        log.warning(warning)
    return list(grid), int(top_n)


def run_ablation(ctx: StudyContext) -> list[Path]:
    """Write results/<run>/ablation/<method>/<model>__<question>.json (+ answers CSV) for every unit."""
    cfg = ctx.cfg
    test = load_split(ctx.dataset.prepared_dir, "test")
    questions = list(cfg.questions)
    k_grid, top_n = _grid(ctx)
    det_files = {(m, q): ctx.store.path_for("detection", m, ctx.slug, q) for m in cfg.methods for q in questions}
    tops: dict[tuple[str, str], list[str]] = {}
    det_keys: dict[tuple[str, str], str] = {}
    for u, p in det_files.items():
        if not p.exists():
            raise FileNotFoundError(f"{p} missing: run detection (make detect-all) before ablation")
        d = json.loads(p.read_text())
        tops[u], det_keys[u] = d["top_heads"], d["config_key"]
    fp = ctx.model_fingerprint()
    settings = {"mask_mode": cfg.mask_mode, "mask_scope": cfg.mask_scope, "k_grid": k_grid, "top_n": top_n,
                "seeds": list(cfg.seeds), "max_new_tokens": cfg.max_new_tokens, "stop": cfg.stop,
                "context_tokens": cfg.context_tokens, "n_bootstrap": cfg.n_bootstrap}
    data_key = data_hash(test)
    unit_keys = {u: config_key({"kind": "ablation", "model": fp, "unit": list(u), "detection": det_keys[u],
                                "data": data_key, "settings": settings}) for u in det_files}
    paths = {u: ctx.store.path_for("ablation", u[0], ctx.slug, u[1]) for u in unit_keys}
    todo = [u for u in unit_keys if not ctx.store.is_done(paths[u], unit_keys[u])]
    if not todo:
        ctx.store.log("skipped", f"ablation {ctx.slug}: all {len(unit_keys)} units done")
        return list(paths.values())
    all_heads = abl.all_head_ids(fp["n_layers"], fp["n_heads"])
    conds_by_q: dict[str, list[abl.Condition]] = {}
    for q in questions:
        usable_tops = {m: tops[(m, q)] for m in cfg.methods if len(tops[(m, q)]) >= max(k_grid)}
        conds_by_q[q] = abl.build_conditions(usable_tops, all_heads, k_grid, cfg.seeds, top_n)
    for rec in tqdm(ctx.shard.take(test), desc=f"ablate {ctx.slug} [{ctx.dataset.label}]", unit="filing",
                    disable=ctx.shard.rank > 0):
        _ablation_checkpoint(ctx, rec, questions, conds_by_q, settings)
    ctx.shard.barrier()
    if not ctx.shard.merges:
        return []
    per_sample = [_ablation_checkpoint(ctx, rec, questions, conds_by_q, settings) for rec in test]
    info = ctx.loaded.info if ctx.model_loaded else None
    for m, q in todo:
        payload, rows = _ablation_payload(ctx, fp, info, m, q, conds_by_q[q], per_sample, test, settings)
        csv_path = paths[(m, q)].with_suffix(".answers.csv")
        atomic_write_text(csv_path, _csv_text(rows))
        payload["answers_csv"] = csv_path.name
        ctx.store.write(paths[(m, q)], payload, unit_keys[(m, q)])
        ctx.store.log("done", f"ablation {m} {ctx.slug} {q}: n_test={payload['n_test']}")
    return list(paths.values())


def _head_key(heads: Sequence[str]) -> str:
    """Canonical text key of a head set (layer-major order), as the answers of a checkpoint are keyed."""
    return ",".join(sorted(heads, key=probe.parse_head))


def _ablation_checkpoint(ctx: StudyContext, rec: dict[str, Any], questions: Sequence[str],
                         conds_by_q: dict[str, list[abl.Condition]], settings: dict[str, Any]) -> dict[str, Any]:
    wanted = {q: sorted({_head_key(c.heads) for c in conds_by_q[q]}) for q in questions if rec["usable"].get(q)}
    key = config_key({"kind": "ablation-sample", "model": ctx.model_fingerprint(), "settings": settings,
                      "sample": _sample_hash(rec, questions), "head_sets": wanted})
    path = ctx.run_dir / "cache" / "ablation" / ctx.slug / f"{rec['sample_id']}.json"
    if ctx.store.is_done(path, key):
        return json.loads(path.read_text())
    lm = ctx.loaded
    info = lm.info
    chat = bool(info.is_instruct and info.chat_template)
    stops = decoding.stop_ids(lm.tokenizer)
    out: dict[str, dict[str, str]] = {}
    groups = build_filing_groups(lm.tokenizer, rec, [q for q in questions if q in wanted], ctx.cfg.context_tokens,
                                 chat) if wanted else []
    for fpr in groups:
        cache = decoding.prefill(lm.model, fpr.prefix_ids)
        for q, qp in fpr.prompts.items():
            gens = abl.ablate_question(
                lm.model, lm.tokenizer, cache, len(fpr.prefix_ids), qp.ids, conds_by_q[q],
                info.n_layers, info.n_heads, ctx.cfg.mask_mode, ctx.cfg.mask_scope, ctx.cfg.max_new_tokens,
                stops, ctx.cfg.stop, ctx.cfg.condition_batch,
            )
            out[q] = {_head_key(h): lm.tokenizer.decode(ids, skip_special_tokens=True).strip()
                      for h, ids in gens.items()}
    payload = {"sample_id": rec["sample_id"], "answers": out, "prompts": [fp.summary() for fp in groups]}
    ctx.store.write(path, payload, key)
    return payload


def _ablation_payload(ctx, fp, info, method, q, conds, per_sample, test, settings):
    qdef = get_question(q)
    truth = {r["sample_id"]: r["answers"].get(q) for r in test if r["usable"].get(q)}
    rows: list[dict[str, Any]] = []
    results: dict[abl.Condition, list[bool]] = {}
    rouge: dict[abl.Condition, list[float]] = {}
    for c in (c for c in conds if c.method == method):
        hk = _head_key(c.heads)
        for s in per_sample:
            sid = s["sample_id"]
            if sid not in truth:
                continue
            text = s["answers"][q][hk]
            ok = answer_matches(qdef.kind, text, truth[sid])
            results.setdefault(c, []).append(ok)
            rouge.setdefault(c, []).append(rouge1_recall(truth[sid], text))
            rows.append({"sample_id": sid, "method": method, "question": q, "condition": c.label,
                         "k": c.k, "kind": c.kind, "seed": "" if c.seed is None else c.seed,
                         "generated_text": text, "parsed_answer": parse_answer(qdef.kind, text) or "",
                         "truth": truth[sid], "correct": ok})
    n_boot = ctx.cfg.n_bootstrap

    def point(c: abl.Condition) -> dict[str, Any]:
        vals = results.get(c, [])
        lo, hi = bootstrap_ci(vals, n_boot=n_boot, seed=ctx.cfg.seed)
        return {"k": c.k, "accuracy": float(np.mean(vals)) if vals else float("nan"), "ci_low": lo,
                "ci_high": hi, "rouge_recall": float(np.mean(rouge.get(c, [np.nan]))), "n": len(vals)}

    mconds = [c for c in conds if c.method == method]
    top = [point(c) for c in mconds if c.kind == "top"]
    random = [{**point(c), "seed": c.seed} for c in mconds if c.kind == "random"]
    summary = []
    for k in sorted({r["k"] for r in random}):
        accs = np.array([r["accuracy"] for r in random if r["k"] == k])
        summary.append({"k": k, "mean": float(accs.mean()), "std": float(accs.std(ddof=1)) if len(accs) > 1 else 0.0,
                        "min": float(accs.min()), "max": float(accs.max()), "n_seeds": len(accs)})
    payload = {
        "kind": "ablation", "model": ctx.model_cfg.name, "model_info": fp if info is None else asdict(info),
        "method": method, "question": q, "dataset": ctx.dataset.label,
        "mask_mode": ctx.cfg.mask_mode, "mask_scope": ctx.cfg.mask_scope,
        "k_grid": settings["k_grid"], "seeds": list(ctx.cfg.seeds), "n_test": len(truth),
        "top": top, "random": random, "random_summary": summary,
        "top_heads_used": [list(c.heads) for c in mconds if c.kind == "top"][-1] if mconds else [],
        "settings": settings,
    }
    if not mconds:
        payload["note"] = f"fewer than {max(settings['k_grid'])} top heads were detected; no curve"
    return payload, rows


def _csv_text(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    fields = ["sample_id", "method", "question", "condition", "k", "kind", "seed", "generated_text",
              "parsed_answer", "truth", "correct"]
    w = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()
