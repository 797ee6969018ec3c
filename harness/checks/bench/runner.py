"""One bench run: the sections in order, each failure recorded, the JSON rewritten after every measurement.

Sections: ``meta`` (versions, device, the model), ``detection_throughput``, ``memory``, ``ablation``,
``projection`` and ``targets``; what each measures is written into its section of the JSON (``paths``,
``unit``, ``measure``).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import torch

from adapters.prompts import FilingPrompts
from harness.checks.bench.config import BenchConfig
from harness.checks.bench.inputs import load_bench_model, synthetic_filing
from harness.checks.bench.pipeline import run_pipeline_section
from harness.checks.bench.projection import evaluate_targets, project_study
from harness.checks.bench.reference import ablation_one_condition, compare_paths, reference_path
from harness.checks.bench.report import format_table
from harness.checks.bench.timing import (
    GIB,
    Timing,
    error_record,
    free_memory,
    log,
    measure_memory,
    mem_available_bytes,
    rate_record,
    reference_bytes_estimate,
    time_call,
)
from harness.checks.bench.workloads import (
    ablation_batched,
    decode_step_ms,
    detection_path,
    forward_breakdown,
    plain_pass,
    plain_prefill,
    timing_conditions,
)
from harness.engine import graphs
from harness.engine.batched_decode import release_workspaces, set_stop_check_every, stop_check_every
from harness.engine.models import LoadedModel
from harness.methods.registry import METHOD_NAMES
from harness.pipeline.conditions import Condition, distinct_head_sets
from harness.store.atomic import atomic_write_json
from harness.store.provenance import provenance

DETECTION_PATHS = {
    "detection": "detect_filing: prefix prefill once; per question: suffix with every method's "
                 "probe rows, greedy decode with per-step top-1 rows, null-query suffix",
    "plain_sdpa": "the same forward calls, no probe requests (probe attention delegating to SDPA)",
    "plain_prefill": "prefix prefill + each question suffix only (no decoding, no null query)",
    "reference": "eager attention, output_attentions full maps, one full forward per question and per "
                 "null prompt (no prefix sharing), per-(layer, head) Python top-1 loop per decode "
                 "step, summed attention and QRHead from the full maps",
}
ABLATION_PATHS = {
    "batched": "ours: prefix prefill once per filing, per question the suffix once, then every head "
               "set decoded as batches of condition_batch rows over copies of that cache",
    "per_condition": "upstream way: per condition a fresh prefill of the whole prompt but its last "
                     "token, then a masked batch-1 decode (same SDPA + head-mask attention; only "
                     "the sharing and batching differ), timed on a subset and extrapolated",
}


def throughput_ratios(timings: dict[str, Timing]) -> dict[str, float]:
    """Detection's median time over each baseline's, and the reference path's over detection's."""
    det_t = timings.get("detection")
    ratios: dict[str, float] = {}
    if det_t is not None:
        if "plain_sdpa" in timings:
            ratios["detection_over_plain_sdpa"] = det_t.median / timings["plain_sdpa"].median
        if "plain_prefill" in timings:
            ratios["detection_over_plain_prefill"] = det_t.median / timings["plain_prefill"].median
        if "reference" in timings:
            ratios["reference_over_detection"] = timings["reference"].median / det_t.median
    return ratios


def memory_text(rec: dict[str, Any]) -> str:
    """One memory record as a log line."""
    if rec.get("status") != "ok":
        return f"{rec.get('status')}: {rec.get('error', rec.get('reason', ''))[:120]}"
    if "peak_gib" in rec:
        return f"peak {rec['peak_gib']:.2f} GiB, {rec['seconds']:.2f} s"
    return f"peak RSS {rec.get('rss_peak_mib') or float('nan'):.0f} MiB, {rec['seconds']:.2f} s"


class Bench:
    """One bench run: the model, the results dict, and a JSON write after every measurement."""

    def __init__(self, cfg: BenchConfig) -> None:
        self.cfg = cfg
        self.out = Path(cfg.out)
        self.results: dict[str, Any] = {"meta": {}, "settings": asdict(cfg), "detection_throughput": {},
                                        "memory": {}, "ablation": {}, "projection": {}, "targets": [],
                                        "errors": {}}
        self.lm: LoadedModel | None = None

    # -- bookkeeping
    def save(self) -> None:
        """Write the results so far (atomically)."""
        atomic_write_json(self.out, self.results)

    def record_error(self, where: str, e: BaseException) -> dict[str, Any]:
        """Record a failed measurement under ``errors`` and return its record (status ``OOM`` or ``error``)."""
        rec = error_record(e)
        self.results["errors"][where] = rec["error"]
        log(f"{where}: {rec['status']}: {rec['error'][:200]}")
        return rec

    @property
    def model(self):
        """The loaded torch model (after ``meta``)."""
        assert self.lm is not None
        return self.lm.model

    def filing(self, n_context: int) -> FilingPrompts:
        """The synthetic filing of ``n_context`` context tokens for this run's model and settings."""
        cfg = self.cfg
        return synthetic_filing(n_context, self.model.config.vocab_size, cfg.n_questions, cfg.question_tokens,
                                cfg.seed)

    # -- meta
    def meta(self) -> None:
        """Versions, device, graph mode."""
        cfg = self.cfg
        prov = provenance()
        cuda = cfg.device.startswith("cuda")
        dev_name = torch.cuda.get_device_name(torch.device(cfg.device)) if cuda else prov["device"].get("cpu")
        import transformers

        meta: dict[str, Any] = {
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "device": cfg.device,
            "device_name": dev_name, "torch": torch.__version__, "transformers": transformers.__version__,
            "numpy": np.__version__, "python": sys.version.split()[0], "dtype": cfg.dtype, "shape": cfg.shape,
            "random_weights": True, "argv": sys.argv[1:], "git": prov.get("git"),
            "platform": prov.get("platform"), "torch_threads": torch.get_num_threads(),
        }
        if cuda:
            props = torch.cuda.get_device_properties(torch.device(cfg.device))
            meta["gpu_total_memory_gib"] = props.total_memory / GIB
            meta["cuda"] = torch.version.cuda
        meta["graph_mode"], meta["stop_check_every"] = graphs.graph_mode(), stop_check_every(cfg.device)
        self.results["meta"] = meta
        self.save()

    def load(self) -> None:
        """The random-weight model of the micro-benchmarks."""
        cfg, meta = self.cfg, self.results["meta"]
        cuda = cfg.device.startswith("cuda")
        log(f"loading random-weight {cfg.shape} ({cfg.dtype}) on {cfg.device} [{meta.get('device_name')}]")
        t0 = time.perf_counter()
        self.lm = load_bench_model(cfg)
        meta["model_info"] = self.lm.info.to_dict()
        meta["random_weights"] = bool(self.lm.info.random_weights)
        meta["model_init_seconds"] = time.perf_counter() - t0
        n_params = sum(p.numel() for p in self.model.parameters())
        meta["parameters"] = n_params
        if cuda:
            meta["weights_gib"] = torch.cuda.memory_allocated() / GIB
        info = self.lm.info
        log(f"model ready: {info.n_layers} layers x {info.n_heads} heads ({info.n_kv_heads} KV), "
            f"{n_params / 1e9:.3f} B parameters, {meta['model_init_seconds']:.1f} s")
        self.save()

    # -- 1. detection throughput
    def detection_throughput(self) -> None:
        """Context tokens/s of detection, the two plain baselines and the reference path; per-call breakdown."""
        cfg, model = self.cfg, self.model
        n = cfg.throughput_context
        fp = self.filing(n)
        sec: dict[str, Any] = {
            "context_tokens": n, "questions": cfg.n_questions, "question_tokens": cfg.question_tokens,
            "prefix_tokens": len(fp.prefix_ids),
            "paragraphs": len(next(iter(fp.prompts.values())).paragraph_spans),
            "max_new_tokens": cfg.max_new_tokens, "early_stop": False, "warmup": cfg.warmup,
            "repeats": cfg.repeats,
            "timer": "time.perf_counter around torch.cuda.synchronize()" if cfg.device.startswith("cuda")
            else "time.perf_counter", "unit": "context tokens/s = context_tokens / seconds per filing",
            "paths": dict(DETECTION_PATHS),
        }
        self.results["detection_throughput"] = sec
        timings = self._time_detection_paths(sec, fp, [
            ("detection", lambda: detection_path(model, fp, cfg.max_new_tokens)),
            ("plain_sdpa", lambda: plain_pass(model, fp, cfg.max_new_tokens)),
            ("plain_prefill", lambda: plain_prefill(model, fp)),
            ("reference", lambda: reference_path(model, fp, cfg.max_new_tokens)),
        ])
        sec["ratios"] = ratios = throughput_ratios(timings)
        sec["breakdown"] = self._breakdown(fp)
        sec["decode_steps"] = self._decode_steps(fp)
        sec["probe_overhead"] = ratios.get("detection_over_plain_sdpa")
        if "detection" in timings and "reference" in timings:
            try:
                sec["agreement_with_reference"] = compare_paths(timings["detection"].result,
                                                                timings["reference"].result)
            except Exception as e:
                sec["agreement_with_reference"] = self.record_error("detection_throughput.agreement", e)
        self.save()

    def _time_detection_paths(self, sec: dict[str, Any], fp: FilingPrompts,
                              paths: Sequence[tuple[str, Callable[[], Any]]]) -> dict[str, Timing]:
        cfg, n = self.cfg, self.cfg.throughput_context
        timings: dict[str, Timing] = {}
        for name, fn in paths:
            log(f"throughput @ {n} tokens: {name} ...")
            try:
                timings[name] = t = time_call(fn, cfg.device, cfg.warmup, cfg.repeats)
                sec[name] = rate_record(n, t)
                log(f"  {name}: {t.median:.3f} s/filing, {n / t.median:,.0f} context tokens/s")
            except Exception as e:  # one failure must not lose the rest
                sec[name] = self.record_error(f"detection_throughput.{name}", e)
            finally:
                free_memory(cfg.device)
            self.save()
        return timings

    def _breakdown(self, fp: FilingPrompts) -> dict[str, Any]:
        cfg = self.cfg
        log(f"throughput @ {cfg.throughput_context} tokens: per-call breakdown ...")
        try:
            bd = forward_breakdown(self.model, fp, cfg.device, 5 if cfg.quick else 20)
            dec, suf = bd["decode_step"], bd["question_suffix"]
            log(f"  decode step {dec['plain_ms']:.1f} -> {dec['probed_ms']:.1f} ms, question suffix "
                f"{suf['plain_ms']:.1f} -> {suf['probed_ms']:.1f} ms (plain -> probed)")
            return bd
        except Exception as e:
            return self.record_error("detection_throughput.breakdown", e)
        finally:
            free_memory(cfg.device)

    def _decode_steps(self, fp: FilingPrompts) -> dict[str, Any]:
        """The engine's decode step (graph-captured on CUDA): ms per step, plain / probed / masked, per batch."""
        cfg = self.cfg
        out: dict[str, Any] = {"unit": "ms per decode step (mean)", "steps": 16, "batches": {}}
        for b in cfg.step_batches:
            rec = out["batches"][str(b)] = {}
            for kind in ("plain", "probed", "masked"):
                try:
                    rec[f"{kind}_ms"] = decode_step_ms(self.model, fp, b, kind, steps=4 if cfg.quick else 16,
                                                       reps=1 if cfg.quick else 3)
                except Exception as e:
                    rec[kind] = self.record_error(f"detection_throughput.decode_steps.{b}.{kind}", e)
            log(f"  decode step @ batch {b}: " + ", ".join(f"{k} {v:.1f} ms" for k, v in rec.items()
                                                           if isinstance(v, float)))
            free_memory(cfg.device)
        return out

    # -- 0. the study's own steps
    def pipeline(self) -> None:
        """The CLI's detect and ablate steps on the prepared data set with the rehearsal models."""
        self.results["pipeline"] = run_pipeline_section(self.cfg)
        self.save()

    # -- 2. memory
    def memory(self) -> None:
        """Peak memory of detection and the plain pass per context size, and of the reference path until it
        runs out of memory (on the CPU: skipped where its maps would not fit in half the available RAM)."""
        cfg, model = self.cfg, self.model
        cuda = cfg.device.startswith("cuda")
        sec: dict[str, Any] = {
            "measure": "torch.cuda.max_memory_allocated after reset_peak_memory_stats, one run, weights included"
            if cuda else "process peak RSS (VmHWM; reset per measurement where rss_peak_reset is true)",
            "unit": "GiB" if cuda else "MiB", "detection": {}, "plain_sdpa": {}, "reference": {},
            "reference_first_oom_context": None,
        }
        self.results["memory"] = sec
        ref_stop: str | None = None
        for n in cfg.contexts:
            fp = self.filing(n)
            for name, fn in (("detection", lambda fp=fp: detection_path(model, fp, cfg.max_new_tokens)),
                             ("plain_sdpa", lambda fp=fp: plain_pass(model, fp, cfg.max_new_tokens))):
                sec[name][str(n)] = self._memory_record(name, n, fn)
                self.save()
            det_rec, plain_rec = sec["detection"].get(str(n), {}), sec["plain_sdpa"].get(str(n), {})
            if det_rec.get("status") == "ok" and plain_rec.get("status") == "ok":
                det_rec["over_plain_sdpa_single_run"] = det_rec["seconds"] / plain_rec["seconds"]
            ref_stop = self._memory_reference(sec, n, fp, ref_stop)

    def _memory_record(self, name: str, n: int, fn: Callable[[], Any]) -> dict[str, Any]:
        log(f"memory @ {n}: {name} ...")
        release_workspaces()  # the earlier sizes' buffers and graphs would count in this peak
        try:
            rec = measure_memory(fn, self.cfg.device)
            rec["context_tokens_per_s"] = n / rec["seconds"] if rec["status"] == "ok" else None
        except Exception as e:
            return self.record_error(f"memory.{name}.{n}", e)
        log(f"  {name} @ {n}: {memory_text(rec)}")
        return rec

    def _memory_reference(self, sec: dict[str, Any], n: int, fp: FilingPrompts,
                          ref_stop: str | None) -> str | None:
        """The reference path's memory at ``n`` (or why it was skipped); returns why later sizes are skipped."""
        key, info = str(n), self.lm.info
        if ref_stop is not None:
            sec["reference"][key] = {"status": "skipped", "reason": ref_stop}
            return ref_stop
        if not self.cfg.device.startswith("cuda"):
            itemsize = torch.finfo(getattr(torch, info.dtype)).bits // 8
            est = reference_bytes_estimate(info.n_layers, info.n_heads, n + 64, itemsize)
            avail = mem_available_bytes()
            if avail is not None and est > 0.5 * avail:
                sec["reference"][key] = {"status": "skipped", "estimated_bytes": est, "reason":
                                         f"full maps need ~{est / GIB:.1f} GiB, over half the "
                                         f"{avail / GIB:.1f} GiB RAM available (the kernel would kill us)"}
                self.save()
                return f"skipped at {n} (RAM)"
        log(f"memory @ {n}: reference ...")
        try:
            rec = measure_memory(lambda: reference_path(self.model, fp, self.cfg.max_new_tokens), self.cfg.device)
            if rec["status"] == "ok":
                rec["context_tokens_per_s"] = n / rec["seconds"]
        except Exception as e:
            rec = self.record_error(f"memory.reference.{n}", e)
        sec["reference"][key] = rec
        log(f"  reference @ {n}: {memory_text(rec)}")
        if rec.get("status") == "OOM":
            sec["reference_first_oom_context"] = n
            ref_stop = f"not run: OOM at {n} tokens"
        elif rec.get("status") != "ok":
            ref_stop = f"not run: failed at {n} tokens"
        free_memory(self.cfg.device)
        self.save()
        return ref_stop

    # -- 3. ablation
    def ablation(self) -> None:
        """Conditions/s of the study's batched ablation against one prefill + decode per condition."""
        cfg, info = self.cfg, self.lm.info
        n = cfg.throughput_context
        fp = self.filing(n)
        conds = timing_conditions(info.n_layers, info.n_heads, cfg.k_grid, cfg.n_seeds, cfg.exclude_top_n)
        unique = distinct_head_sets(conds)
        sec: dict[str, Any] = {
            "context_tokens": n, "questions": len(fp.prompts), "methods": len(METHOD_NAMES),
            "k_grid": cfg.k_grid, "random_seeds": cfg.n_seeds, "exclude_top_n": cfg.exclude_top_n,
            "conditions": len(conds), "unique_head_sets": len(unique), "condition_batch": cfg.condition_batch,
            "mask_mode": cfg.mask_mode, "mask_scope": "decode", "max_new_tokens": cfg.max_new_tokens,
            "early_stop": False, "top_heads": "random rankings (timing only)",
            "unit": "conditions/s = distinct head sets decoded / seconds (the k=0 baseline is decoded once)",
            "paths": dict(ABLATION_PATHS),
        }
        self.results["ablation"] = sec
        self.save()
        n_dec = len(unique) * len(fp.prompts)
        log(f"ablation @ {n}: {len(fp.prompts)} questions x {len(unique)} head sets, batch {cfg.condition_batch} ...")
        batched = self._ablation_batched(sec, fp, conds, n_dec)
        self._ablation_per_condition(sec, fp, unique, batched, n_dec)
        if isinstance(sec.get("batched"), dict) and isinstance(sec.get("per_condition"), dict):
            b, p = sec["batched"].get("conditions_per_s"), sec["per_condition"].get("conditions_per_s")
            if b and p:
                sec["speedup_batched_over_per_condition"] = b / p
        self.save()

    def _ablation_batched(self, sec: dict[str, Any], fp: FilingPrompts, conds: Sequence[Condition],
                          n_dec: int) -> Timing | None:
        cfg, info = self.cfg, self.lm.info
        t = None
        try:
            t = time_call(lambda: ablation_batched(self.model, fp, conds, info.n_layers, info.n_heads,
                                                   cfg.mask_mode, cfg.max_new_tokens, cfg.condition_batch),
                          cfg.device, cfg.warmup, cfg.repeats)
            rec = {"seconds_median": t.median, "seconds": t.seconds, "decoded_conditions": n_dec,
                   "conditions_per_s": n_dec / t.median}
            if t.peak_bytes is not None:
                rec["peak_gib"] = t.peak_bytes / GIB
            sec["batched"] = rec
            log(f"  batched: {t.median:.3f} s/filing, {n_dec / t.median:,.1f} conditions/s")
        except Exception as e:
            sec["batched"] = self.record_error("ablation.batched", e)
        finally:
            free_memory(cfg.device)
        self.save()
        return t

    def _ablation_per_condition(self, sec: dict[str, Any], fp: FilingPrompts, unique: list[tuple[str, ...]],
                                batched: Timing | None, n_dec: int) -> None:
        cfg, info = self.cfg, self.lm.info
        qp = next(iter(fp.prompts.values()))
        n_sub = max(1, min(cfg.upstream_conditions, len(unique)))
        subset = [unique[i] for i in sorted({int(i) for i in np.linspace(0, len(unique) - 1, n_sub).round()})]
        log(f"ablation @ {cfg.throughput_context}: per-condition path on {len(subset)} conditions ...")

        def run_one(heads: Sequence[str]) -> list[int]:
            return ablation_one_condition(self.model, qp.ids, heads, info.n_layers, info.n_heads, cfg.mask_mode,
                                          cfg.max_new_tokens)

        try:
            for _ in range(cfg.warmup):
                run_one(subset[0])
            timed = [time_call(lambda h=heads: run_one(h), cfg.device, 0, 1) for heads in subset]
            times, gens = [t.median for t in timed], [t.result for t in timed]
            per = float(statistics.median(times))
            sec["per_condition"] = {"conditions_timed": len(subset), "seconds_per_condition_median": per,
                                    "seconds": times, "conditions_per_s": 1.0 / per,
                                    "extrapolated_seconds_per_filing": per * n_dec}
            log(f"  per condition: {per:.3f} s, {1 / per:,.2f} conditions/s")
            if batched is not None:
                got = batched.result[qp.question]
                equal = sum(int(got[h] == g) for h, g in zip(subset, gens, strict=True))
                sec["agreement_generated_ids"] = {
                    "equal": f"{equal}/{len(subset)}",
                    "note": "batched vs batch-1 decoding may round differently (bfloat16); informational"}
        except Exception as e:
            sec["per_condition"] = self.record_error("ablation.per_condition", e)
        finally:
            free_memory(cfg.device)

    # -- 4. projection and targets
    def projection(self) -> None:
        """The full study's projected GPU time from the measured rates."""
        self.results["projection"] = project_study(self.results, self.cfg.throughput_context)
        self.save()

    def targets(self) -> None:
        """The performance targets next to the measured numbers."""
        self.results["targets"] = evaluate_targets(self.results, self.cfg)
        self.save()

    def run(self) -> dict[str, Any]:
        """Every section in order (each failure recorded, the rest still run); torch's thread count restored."""
        threads = torch.get_num_threads()
        if self.cfg.threads:
            torch.set_num_threads(self.cfg.threads)
        try:
            return self._run_sections()
        finally:
            torch.set_num_threads(threads)

    def _run_sections(self) -> dict[str, Any]:
        t0 = time.perf_counter()
        steps = [("meta", self.meta)] + ([("pipeline", self.pipeline)] if self.cfg.pipeline else [])
        if not self.cfg.pipeline_only:
            steps += [("load", self.load), ("detection_throughput", self.detection_throughput),
                      ("memory", self.memory), ("ablation", self.ablation), ("projection", self.projection)]
        steps.append(("targets", self.targets))
        for name, step in steps:
            if name not in ("meta", "pipeline", "load") and self.lm is None:
                if name in ("projection", "targets"):
                    step()
                continue
            log(f"== {name}")
            try:
                step()
            except Exception as e:
                key = "meta" if name == "load" else name
                self.results[key] = {**(self.results.get(key) or {}), **self.record_error(name, e)}
                self.save()
        self.results["meta"]["bench_seconds"] = time.perf_counter() - t0
        self.results["meta"]["graph_captures"] = graphs.capture_stats()
        self.results["meta"]["graph_capture_failures"] = graphs.capture_failures()  # each one ran eagerly
        self.save()
        return self.results


def run(cfg: BenchConfig) -> int:
    """Run the bench; prints progress and a table, writes the JSON. 1 when any measurement failed."""
    log(f"settings: {asdict(cfg)}")
    graphs.set_graph_mode(cfg.graphs)
    set_stop_check_every(cfg.stop_check_every)
    try:
        results = Bench(cfg).run()
    finally:
        graphs.set_graph_mode(None)
        set_stop_check_every(None)
    print(format_table(results), flush=True)
    log(f"wrote {cfg.out}")
    return 1 if results.get("errors") else 0
