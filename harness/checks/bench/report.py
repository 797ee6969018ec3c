"""The plain-text summary table of a bench result (printed at the end of ``python -m harness bench``).

One line per measure: its value, the target it has (if any) and the verdict; a target that does not apply
to this run (not a Llama-3-8B-shape bfloat16 run on CUDA) shows its verdict in parentheses, "n/a here".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.checks.bench.projection import nested

TableRow = tuple[str, str, str, str]  # measure, value, target, result
Verdict = Callable[[str], tuple[str, str]]


def _fmt(v: Any, spec: str = ".3g") -> str:
    if v is None:
        return "-"
    if isinstance(v, (int, float)):
        return format(v, spec)
    return str(v)


def verdicts(results: dict[str, Any]) -> Verdict:
    """``verdict(target_id) -> (target, result)`` over the result's ``targets`` (empty strings: no target)."""
    tmap = {t["id"]: t for t in results.get("targets", [])}

    def verdict(tid: str) -> tuple[str, str]:
        t = tmap.get(tid)
        if t is None:
            return "", ""
        ok = "-" if t["pass"] is None else ("PASS" if t["pass"] else "FAIL")
        return t["target"], ok if t["applicable"] else f"({ok}, n/a here)"

    return verdict


def throughput_rows(dt: dict[str, Any], verdict: Verdict) -> list[TableRow]:
    """Context tokens/s of each detection path, the ratios, and the per-call breakdown."""
    n = dt.get("context_tokens")
    rows: list[TableRow] = []
    for name in ("detection", "plain_sdpa", "plain_prefill", "reference"):
        rec = dt.get(name) or {}
        val = _fmt(rec.get("context_tokens_per_s"), ",.0f") if "context_tokens_per_s" in rec \
            else rec.get("status", "-")
        rows.append((f"{name} @ {n} (context tok/s)", val, "", ""))
    ratios = dt.get("ratios", {})
    rows.append(("detection / plain SDPA (same calls)", _fmt(ratios.get("detection_over_plain_sdpa"), ".2f") + "x",
                 *verdict("detection_overhead")))
    rows.append(("detection / plain prefill (prompt only)",
                 _fmt(ratios.get("detection_over_plain_prefill"), ".2f") + "x", *verdict("detection_over_prefill")))
    rows.append(("reference / detection", _fmt(ratios.get("reference_over_detection"), ".1f") + "x", "", ""))
    bd = dt.get("breakdown") or {}
    for part, label in (("decode_step", "decode step"), ("question_suffix", "question suffix")):
        if isinstance(bd.get(part), dict):
            rows.append((f"{label} ms, plain -> probed",
                         f"{bd[part]['plain_ms']:.1f} -> {bd[part]['probed_ms']:.1f}", "", ""))
    return rows


def memory_rows(mem: dict[str, Any], verdict: Verdict) -> list[TableRow]:
    """Peak memory (and seconds) of each path at each context size, or its status."""
    unit = mem.get("unit", "")
    rows: list[TableRow] = []
    for path in ("detection", "plain_sdpa", "reference"):
        for ctx, rec in (mem.get(path) or {}).items():
            if rec.get("status") == "ok":
                v = rec.get("peak_gib", rec.get("rss_peak_mib"))
                val = f"{_fmt(v, '.2f')} {unit}, {_fmt(rec.get('seconds'), '.2f')} s"
            else:
                val = str(rec.get("status"))
            tgt = verdict("memory_32k") if path == "detection" and ctx == "32768" else ("", "")
            rows.append((f"memory {path} @ {ctx}", val, *tgt))
    return rows


def ablation_and_projection_rows(ab: dict[str, Any], pr: dict[str, Any], verdict: Verdict) -> list[TableRow]:
    """Ablation rates and speedup, the projected study time and the end-to-end speedup."""
    return [
        (f"ablation batched (cond/s, {ab.get('unique_head_sets')} sets x {ab.get('questions')} q, "
         f"batch {ab.get('condition_batch')})", _fmt(nested(ab, "batched", "conditions_per_s"), ",.1f"),
         *verdict("ablation_rate")),
        ("ablation per condition (cond/s)", _fmt(nested(ab, "per_condition", "conditions_per_s"), ",.2f"), "", ""),
        ("ablation speedup", _fmt(ab.get("speedup_batched_over_per_condition"), ".1f") + "x", "", ""),
        ("study projection, ours (min)", _fmt(nested(pr, "ours", "total_minutes"), ".1f"),
         *verdict("study_minutes")),
        ("study projection, reference (min)", _fmt(nested(pr, "reference", "total_minutes"), ".1f"), "", ""),
        ("end-to-end speedup", _fmt(pr.get("end_to_end_speedup"), ".1f") + "x", *verdict("end_to_end_speedup")),
    ]


def pipeline_rows(pl: dict[str, Any], verdict: Verdict) -> list[TableRow]:
    """The CLI steps per model (load, detect and ablate seconds per filing) and the study projection."""
    rows: list[TableRow] = []
    if not pl:
        return rows
    rows.append((f"filings: train / test (context {nested(pl, 'config', 'context_tokens')}, "
                 f"{nested(pl, 'config', 'max_new_tokens')} new tokens)",
                 f"{pl.get('train_filings')} / {pl.get('test_filings')}", "", ""))
    for rec in (pl.get("models") or {}).values():
        label = "instruct" if rec.get("is_instruct") else "base"
        rows.append((f"{label}: load (s)", _fmt(rec.get("load_seconds"), ".1f"), "", ""))
        for step in ("detect", "ablate"):
            rows.append((f"{label}: {step} (s per filing)", _fmt(rec.get(f"{step}_s_per_filing"), ".3f"),
                         *verdict(f"pipeline_{step}_{label}")))
        rows.append((f"{label}: graph captures (s)", f"{rec.get('graph_captures')} "
                     f"({_fmt(rec.get('graph_capture_seconds'), '.1f')})", "", ""))
    rows.append(("study projection, 250 filings x 2 models (min)",
                 _fmt(nested(pl, "projection", "total_minutes"), ".1f"), *verdict("pipeline_study_minutes")))
    return rows


def decode_step_rows(dt: dict[str, Any]) -> list[TableRow]:
    """The engine's decode step in ms (plain / probed / masked) per batch size."""
    rows: list[TableRow] = []
    for b, rec in (nested(dt, "decode_steps", "batches") or {}).items():
        vals = " / ".join(_fmt(rec.get(f"{k}_ms"), ".1f") for k in ("plain", "probed", "masked"))
        rows.append((f"decode step @ batch {b}, ms plain / probed / masked", vals, "", ""))
    return rows


def _lines(rows: list[TableRow]) -> list[str]:
    if not rows:
        return []
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    return [f"{'measure':<{w0}}  {'value':>{w1}}  {'target':<8}  result"] + \
        [f"{a:<{w0}}  {b:>{w1}}  {c:<8}  {d}" for a, b, c, d in rows]


def format_table(results: dict[str, Any]) -> str:
    """A plain-text summary of a bench result: the pipeline section first, then the micro-benchmarks."""
    m = results.get("meta", {})
    lines = [f"bench: {m.get('shape')} {m.get('dtype')} on {m.get('device')} ({m.get('device_name')}), "
             f"random weights={m.get('random_weights')}, torch {m.get('torch')}, "
             f"transformers {m.get('transformers')}, graphs {m.get('graph_mode')}, {m.get('date')}"]
    verdict = verdicts(results)
    pipeline = pipeline_rows(results.get("pipeline") or {}, verdict)
    if pipeline:
        lines += ["", "pipeline: the CLI's detect / ablate steps (paper preset, edgar_sample, rehearsal models)"]
        lines += _lines(pipeline)
    dt = results.get("detection_throughput", {})
    micro = (throughput_rows(dt, verdict) + decode_step_rows(dt) + memory_rows(results.get("memory", {}), verdict)
             + ablation_and_projection_rows(results.get("ablation", {}), results.get("projection", {}), verdict))
    if dt or results.get("memory") or results.get("ablation") or not pipeline:
        lines += ["", "micro-benchmarks (synthetic filing, random-weight model)"] + _lines(micro)
    for msg in m.get("graph_capture_failures") or []:
        lines.append(f"graph capture failed (ran eagerly): {msg[:300]}")
    errs = results.get("errors") or {}
    if errs:
        lines.append(f"errors ({len(errs)}):")
        lines += [f"  {k}: {v[:160]}" for k, v in errs.items()]
    return "\n".join(lines)
