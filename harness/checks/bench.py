"""``make bench``: speed and memory of the study's engine against plain SDPA and the upstream-style path.

``python -m harness bench [--device cuda|cpu] [--shape llama3-8b|tiny|smollm2] [--contexts 2048,4096,...]
[--quick] [--out results/bench.json]``. Default: CUDA with a random-weight Llama-3-8B-shape model in
bfloat16 when a GPU is there, else the CPU with the tiny shape (float32). Random weights are honest for
timing (the work per token does not depend on the values) and meaningless for anything else.

In one run, on one device, it measures and writes (atomically, after every measurement) a JSON file:

1. ``detection_throughput``: context tokens/s of ``detect_filing`` (all three methods' probes) on a
   synthetic filing of random token ids, against (a) a plain SDPA pass making the same forward calls with
   no probe requests, (b) a plain prefill of the prompt tokens only, (c) the upstream-style reference path
   (eager attention, ``output_attentions`` maps, one full forward per question, a per-head Python top-1 loop
   per decode step, QRHead from the full maps). Decoding is a fixed ``max_new_tokens`` (no early stop).
2. ``memory``: peak GPU memory of detection (and of the plain pass) per context size, and of the reference
   path until it runs out of memory. On CPU: the process's peak RSS, reset per measurement when the kernel
   allows it.
3. ``ablation``: conditions/s of ``ablate_question`` (shared prefix, conditions decoded as batches over
   copies of one cache) against one prefill + decode per condition on a subset, extrapolated.
4. ``projection``: the full study's GPU time from the measured rates (formula recorded in the JSON), ours
   and the reference path's.

Each number that the GPU-performance issue sets a target for carries the target and pass/fail
(``targets``); a target is marked ``applicable`` only for a Llama-3-8B-shape bfloat16 run on CUDA.
"""

from __future__ import annotations

import contextlib
import gc
import statistics
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import DynamicCache

from adapters.prompts import FilingPrompts, QuestionPrompt
from adapters.questions import QUESTION_KEYS, get_question
from harness.engine import decoding, probe
from harness.engine.kvcache import crop_to
from harness.engine.models import LoadedModel
from harness.engine.models.random_weights import RANDOM_SHAPES, random_llama
from harness.heads import all_head_ids
from harness.methods.base import DetectionSettings, QuestionScores
from harness.methods.registry import METHOD_NAMES
from harness.methods.shared_pass import detect_filing
from harness.pipeline import conditions as abl
from harness.store.atomic import atomic_write_json
from harness.store.provenance import provenance
from third_party.qrhead import per_doc_scores
from third_party.wu24 import retrieval_scores_from_top1

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
SYNTHETIC_ANSWERS = {"inc_state": "Delaware", "inc_year": "1998", "employees": "12500", "hq_state": "Texas"}

# The full study the projection is for (issue 6).
STUDY = {"filings": 250, "train_fraction": 0.8, "questions": 4, "models": 2, "methods": 3,
         "k_grid": list(STUDY_K_GRID), "random_seeds": 5, "context_tokens": 4096}
# Targets of issue 6 (Llama-3-8B shape, bf16, one H100).
TARGETS = {"detection_over_plain_max": 1.3, "memory_32k_max_bytes": 80e9, "study_max_seconds": 20 * 60,
           "end_to_end_speedup_min": 5.0}
GIB = 1024**3


def _log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ------------------------------------------------------------------------------------------ settings


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


def unique_conditions(methods: int, k_grid: Sequence[int], seeds: int) -> int:
    """Distinct head sets decoded per (filing, question): top-k and ``seeds`` random-k per method and k > 0,
    plus one k = 0 baseline shared by every method."""
    nonzero = sum(1 for k in k_grid if k > 0)
    return methods * nonzero * (1 + seeds) + (1 if 0 in k_grid else 0)


# ------------------------------------------------------------------------------------------ inputs


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
    for key in QUESTION_KEYS[:n_questions]:
        tail = rand(4)  # stands for "\nAnswer:"
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
            null_ids=prefix + rand(3) + tail, null_query_start=len(prefix), wu24_spans=list(spans), context="",
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


# ------------------------------------------------------------------------------------------ the paths


@torch.no_grad()
def detection_path(model, fp: FilingPrompts, max_new_tokens: int) -> dict[str, QuestionScores]:
    """Ours: ``detect_filing`` with all three methods' probes; no tokenizer, so no early stop."""
    settings = DetectionSettings(max_new_tokens=max_new_tokens)
    return detect_filing(model, None, fp, settings)


@torch.no_grad()
def plain_pass(model, fp: FilingPrompts, max_new_tokens: int) -> None:
    """The same forward calls as ``detection_path`` with no probe requests: prefix prefill; per question the
    question suffix, ``max_new_tokens - 1`` greedy decode steps and the null-query suffix."""
    cache = decoding.prefill(model, fp.prefix_ids)
    p = len(fp.prefix_ids)
    for qp in fp.prompts.values():
        tok = int(torch.argmax(decoding.forward(model, qp.ids[p:], cache)))
        for _ in range(max_new_tokens - 1):
            tok = int(torch.argmax(decoding.forward(model, [tok], cache)))
        crop_to(cache, p)
        decoding.forward(model, qp.null_ids[p:], cache)
        crop_to(cache, p)


@torch.no_grad()
def plain_prefill(model, fp: FilingPrompts) -> None:
    """A plain prefill of the prompt tokens only: the prefix once, then each question suffix (no decoding)."""
    cache = decoding.prefill(model, fp.prefix_ids)
    p = len(fp.prefix_ids)
    for qp in fp.prompts.values():
        decoding.forward(model, qp.ids[p:], cache)
        crop_to(cache, p)


def per_head_top1(maps: Sequence[torch.Tensor]) -> np.ndarray:
    """Upstream style: a Python loop over (layer, head), top-1 key of each head's last row, one index at a time."""
    n_layers, n_heads = len(maps), maps[0].shape[1]
    out = np.zeros((n_layers, n_heads), dtype=np.int64)
    for layer in range(n_layers):
        for head in range(n_heads):
            _, idx = maps[layer][0, head, -1].topk(1)
            out[layer, head] = int(idx)
    return out


@torch.no_grad()
def _reference_question(model, qp: QuestionPrompt, max_new_tokens: int) -> dict[str, Any]:
    dev = model.device
    n = len(qp.ids)
    s, e = qp.context_span
    cache = DynamicCache()
    out = model(input_ids=torch.tensor([qp.ids], device=dev), past_key_values=cache, use_cache=True,
                output_attentions=True)
    maps = out.attentions  # L x (1, H, n, n)
    summed = torch.stack([a[0, :, -1, s:e].float().sum(-1) for a in maps]).double().cpu().numpy()
    pts = torch.stack([a[0, :, qp.query_start : n, :e].float().mean(1) for a in maps]).cpu()
    top1 = [per_head_top1(maps)]
    generated = [int(torch.argmax(out.logits[0, -1].float()))]
    del out, maps
    while len(generated) < max_new_tokens:
        out = model(input_ids=torch.tensor([[generated[-1]]], device=dev), past_key_values=cache, use_cache=True,
                    output_attentions=True)
        top1.append(per_head_top1(out.attentions))
        generated.append(int(torch.argmax(out.logits[0, -1].float())))
        del out
    del cache
    out = model(input_ids=torch.tensor([qp.null_ids], device=dev), use_cache=False, output_attentions=True)
    null = torch.stack([a[0, :, qp.null_query_start :, :e].float().mean(1) for a in out.attentions]).cpu()
    del out
    wu24 = retrieval_scores_from_top1(np.stack(top1), generated, qp.ids, qp.wu24_spans)
    per_doc = per_doc_scores(pts, null, [(a, b - 1) for a, b in qp.paragraph_spans])
    qrhead = sum(per_doc[i].double().numpy() for i in qp.gold_paragraphs)
    return {"summed_context": summed, "wu24": wu24, "qrhead": qrhead, "generated_ids": generated}


def reference_path(model, fp: FilingPrompts, max_new_tokens: int) -> dict[str, dict[str, Any]]:
    """Upstream-style detection: eager attention with ``output_attentions`` full maps, one full forward per
    question prompt and per null prompt (no prefix sharing), a per-head Python top-1 loop on each decode
    step, summed attention and QRHead read from the full maps. The model is switched back afterwards."""
    restore = model.config._attn_implementation
    model.set_attn_implementation("eager")
    try:
        return {q: _reference_question(model, qp, max_new_tokens) for q, qp in fp.prompts.items()}
    finally:
        model.set_attn_implementation(restore)


def compare_paths(ours: dict[str, QuestionScores], ref: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """How far the reference path's scores are from ours on the same filing (informational)."""
    d_sum, d_qr, d_wu, qr_scale, same = 0.0, 0.0, 0.0, 0.0, 0
    for q, r in ref.items():
        o = ours[q]
        d_sum = max(d_sum, float(np.abs(o.summed_context - r["summed_context"]).max()))
        if o.qrhead is not None:
            d_qr = max(d_qr, float(np.abs(o.qrhead - r["qrhead"]).max()))
            qr_scale = max(qr_scale, float(np.abs(r["qrhead"]).max()))
        if o.wu24 is not None:
            d_wu = max(d_wu, float(np.abs(o.wu24 - r["wu24"]).max()))
        same += int(list(o.generated_ids) == list(r["generated_ids"]))
    return {"summed_context_max_abs_diff": d_sum, "qrhead_max_abs_diff": d_qr, "qrhead_max_abs": qr_scale,
            "wu24_max_abs_diff": d_wu, "questions_with_equal_generated_ids": f"{same}/{len(ref)}",
            "note": "eager vs SDPA rounding differs (more so in bfloat16); a flipped greedy token changes "
                    "every later step, so wu24 diffs are meaningful only where the generated ids are equal"}


@torch.no_grad()
def ablation_batched(model, fp: FilingPrompts, conds: Sequence[abl.Condition], n_layers: int, n_heads: int,
                     mode: str, max_new_tokens: int, condition_batch: int) -> dict[str, dict]:
    """Ours: one prefix prefill per filing, then ``ablate_question`` per question (scope ``decode``)."""
    cache = decoding.prefill(model, fp.prefix_ids)
    p = len(fp.prefix_ids)
    settings = abl.AblationSettings(mode, "decode", max_new_tokens, condition_batch)
    return {q: abl.ablate_question(model, cache, p, qp.ids, conds, settings, decoding.StopRule.for_tokenizer(None))
            for q, qp in fp.prompts.items()}


@torch.no_grad()
def ablation_one_condition(model, ids: Sequence[int], heads: Sequence[str], n_layers: int, n_heads: int,
                           mode: str, max_new_tokens: int) -> list[int]:
    """The upstream way, one condition: prefill ``ids[:-1]`` unmasked from scratch, then decode masked."""
    cache = DynamicCache()
    if len(ids) > 1:
        decoding.forward(model, ids[:-1], cache)
    mask = probe.HeadMask.from_heads([list(heads)], n_layers, n_heads, mode)
    tok, out = int(ids[-1]), []
    with probe.masking(mask):
        for _ in range(max_new_tokens):
            tok = int(torch.argmax(decoding.forward(model, [tok], cache)))
            out.append(tok)
    return out


@torch.no_grad()
def forward_breakdown(model, fp: FilingPrompts, device: str, reps: int) -> dict[str, Any]:
    """Mean wall time of single forward calls, plain vs with detection's probe requests (first question): a decode
    step (one token after the full prompt; Top1 of the last row) and the question suffix (RegionSums + Top1 of the
    last row, RowSum of the question rows). Two untimed calls first; the cache is cropped back after each call."""
    qp = next(iter(fp.prompts.values()))
    p, n = len(fp.prefix_ids), len(qp.ids)
    regions = [qp.context_span] + list(qp.evidence_spans)

    def mean_ms(ids: Sequence[int], keep: int, make_ctx: Callable[[], Any]) -> float:
        for i in range(reps + 2):
            if i == 2:
                _sync(device)
                t0 = time.perf_counter()
            with make_ctx():
                decoding.forward(model, ids, cache)
            crop_to(cache, keep)
        _sync(device)
        return 1000 * (time.perf_counter() - t0) / reps

    @contextlib.contextmanager
    def suffix_probes():
        with probe.probing([n - 1], [probe.RegionSums(regions), probe.Top1()]), \
                probe.probing(range(qp.query_start, n), [probe.RowSum(qp.context_span[1])]):
            yield

    cache = decoding.prefill(model, qp.ids)
    tok = [int(qp.ids[-1])]
    dec_plain = mean_ms(tok, n, contextlib.nullcontext)
    dec_probe = mean_ms(tok, n, lambda: probe.probing("last", [probe.Top1()]))
    crop_to(cache, p)
    suf_plain = mean_ms(qp.ids[p:], p, contextlib.nullcontext)
    suf_probe = mean_ms(qp.ids[p:], p, suffix_probes)
    return {"reps": reps, "unit": "ms per forward call (mean)",
            "decode_step": {"plain_ms": dec_plain, "probed_ms": dec_probe, "ratio": dec_probe / dec_plain},
            "question_suffix": {"tokens": n - p, "plain_ms": suf_plain, "probed_ms": suf_probe,
                                "ratio": suf_probe / suf_plain}}


# ------------------------------------------------------------------------------------------ measuring


def _sync(device: str) -> None:
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()


def _is_oom(exc: BaseException) -> bool:
    if isinstance(exc, torch.OutOfMemoryError):
        return True
    msg = str(exc).lower()
    return isinstance(exc, (RuntimeError, MemoryError)) and (
        "out of memory" in msg or "can't allocate memory" in msg or isinstance(exc, MemoryError))


def _free(device: str) -> None:
    gc.collect()
    if str(device).startswith("cuda"):
        torch.cuda.empty_cache()


def _proc_status_kib(field_name: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def _reset_rss_peak() -> bool:
    """Reset the process's peak RSS (VmHWM) where the kernel allows (``/proc/self/clear_refs`` <- 5)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


@dataclass
class Timing:
    seconds: list[float]
    result: Any
    peak_bytes: int | None = None

    @property
    def median(self) -> float:
        return float(statistics.median(self.seconds))


def time_call(fn: Callable[[], Any], device: str, warmup: int, repeats: int) -> Timing:
    """Median-able wall times of ``fn`` (synchronised on CUDA) after ``warmup`` untimed calls; on CUDA also the
    peak memory allocated over the timed calls."""
    for _ in range(warmup):
        fn()
    cuda = str(device).startswith("cuda")
    _free(device)
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    times, result = [], None
    for _ in range(max(1, repeats)):
        result = None
        _sync(device)
        t0 = time.perf_counter()
        result = fn()
        _sync(device)
        times.append(time.perf_counter() - t0)
    peak = int(torch.cuda.max_memory_allocated()) if cuda else None
    return Timing(times, result, peak)


def measure_memory(fn: Callable[[], Any], device: str) -> dict[str, Any]:
    """Peak memory of one call of ``fn``: CUDA ``max_memory_allocated`` (weights included), or on CPU the
    process's peak RSS. Out-of-memory is caught and recorded as status ``OOM``."""
    cuda = str(device).startswith("cuda")
    _free(device)
    rec: dict[str, Any] = {}
    if cuda:
        torch.cuda.reset_peak_memory_stats()
        rec["allocated_before_gib"] = torch.cuda.memory_allocated() / GIB
    else:
        rec["rss_peak_reset"] = _reset_rss_peak()
    oom = None
    t0 = time.perf_counter()
    try:
        fn()
        _sync(device)
    except (RuntimeError, MemoryError) as e:  # torch.OutOfMemoryError is a RuntimeError
        if not _is_oom(e):
            raise
        oom = str(e).strip().splitlines()[0][:300]
    rec["seconds"] = time.perf_counter() - t0
    if cuda:
        peak = int(torch.cuda.max_memory_allocated())
        rec.update(peak_bytes=peak, peak_gib=peak / GIB, peak_gb=peak / 1e9)
    else:
        hwm, rss = _proc_status_kib("VmHWM"), _proc_status_kib("VmRSS")
        rec.update(rss_peak_mib=None if hwm is None else hwm / 1024, rss_now_mib=None if rss is None else rss / 1024)
    if oom is not None:
        rec.update(status="OOM", error=oom)
        _free(device)
    else:
        rec["status"] = "ok"
    return rec


def _reference_bytes_estimate(n_layers: int, n_heads: int, n: int, itemsize: int) -> int:
    """Memory the reference path's maps take on one full forward (kept maps + one float32 softmax transient)."""
    return n_layers * n_heads * n * n * itemsize + 2 * n_heads * n * n * 4


def _mem_available_bytes() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _error(e: BaseException) -> dict[str, Any]:
    traceback.print_exc()
    return {"status": "OOM" if _is_oom(e) else "error", "error": f"{type(e).__name__}: {e}"[:1000]}


def _rate(n_tokens: int, t: Timing) -> dict[str, Any]:
    rec: dict[str, Any] = {"seconds_median": t.median, "seconds": t.seconds,
                           "context_tokens_per_s": n_tokens / t.median if t.median > 0 else None}
    if t.peak_bytes is not None:
        rec["peak_gib"] = t.peak_bytes / GIB
    return rec


# ------------------------------------------------------------------------------------------ sections


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
        atomic_write_json(self.out, self.results)

    def _record_error(self, where: str, e: BaseException) -> dict[str, Any]:
        rec = _error(e)
        self.results["errors"][where] = rec["error"]
        _log(f"{where}: {rec['status']}: {rec['error'][:200]}")
        return rec

    @property
    def model(self):
        assert self.lm is not None
        return self.lm.model

    # -- meta
    def meta(self) -> None:
        cfg = self.cfg
        prov = provenance()
        dev_name = (torch.cuda.get_device_name(torch.device(cfg.device)) if cfg.device.startswith("cuda")
                    else prov["device"].get("cpu"))
        import transformers

        meta: dict[str, Any] = {
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "device": cfg.device,
            "device_name": dev_name, "torch": torch.__version__, "transformers": transformers.__version__,
            "numpy": np.__version__, "python": sys.version.split()[0], "dtype": cfg.dtype, "shape": cfg.shape,
            "random_weights": True, "argv": sys.argv[1:], "git": prov.get("git"), "platform": prov.get("platform"),
            "torch_threads": torch.get_num_threads(),
        }
        if cfg.device.startswith("cuda"):
            props = torch.cuda.get_device_properties(torch.device(cfg.device))
            meta["gpu_total_memory_gib"] = props.total_memory / GIB
            meta["cuda"] = torch.version.cuda
        self.results["meta"] = meta
        _log(f"loading random-weight {cfg.shape} ({cfg.dtype}) on {cfg.device} [{dev_name}]")
        t0 = time.perf_counter()
        self.lm = load_bench_model(cfg)
        meta["model_info"] = self.lm.info.to_dict()
        meta["random_weights"] = bool(self.lm.info.random_weights)
        meta["model_init_seconds"] = time.perf_counter() - t0
        n_params = sum(p.numel() for p in self.model.parameters())
        meta["parameters"] = n_params
        if cfg.device.startswith("cuda"):
            meta["weights_gib"] = torch.cuda.memory_allocated() / GIB
        info = self.lm.info
        _log(f"model ready: {info.n_layers} layers x {info.n_heads} heads ({info.n_kv_heads} KV), "
             f"{n_params / 1e9:.3f} B parameters, {meta['model_init_seconds']:.1f} s")
        self.save()

    # -- 1. detection throughput
    def detection_throughput(self) -> None:
        cfg, model = self.cfg, self.model
        n = cfg.throughput_context
        fp = synthetic_filing(n, model.config.vocab_size, cfg.n_questions, cfg.question_tokens, cfg.seed)
        sec: dict[str, Any] = {
            "context_tokens": n, "questions": cfg.n_questions, "question_tokens": cfg.question_tokens,
            "prefix_tokens": len(fp.prefix_ids), "paragraphs": len(next(iter(fp.prompts.values())).paragraph_spans),
            "max_new_tokens": cfg.max_new_tokens, "early_stop": False, "warmup": cfg.warmup, "repeats": cfg.repeats,
            "timer": "time.perf_counter around torch.cuda.synchronize()" if cfg.device.startswith("cuda")
            else "time.perf_counter", "unit": "context tokens/s = context_tokens / seconds per filing",
            "paths": {
                "detection": "detect_filing: prefix prefill once; per question: suffix with all three methods' "
                             "probe rows, greedy decode with per-step top-1 rows, null-query suffix",
                "plain_sdpa": "the same forward calls, no probe requests (probe attention delegating to SDPA)",
                "plain_prefill": "prefix prefill + each question suffix only (no decoding, no null query)",
                "reference": "eager attention, output_attentions full maps, one full forward per question and per "
                             "null prompt (no prefix sharing), per-(layer, head) Python top-1 loop per decode "
                             "step, summed attention and QRHead from the full maps",
            },
        }
        self.results["detection_throughput"] = sec
        timings: dict[str, Timing] = {}
        paths: list[tuple[str, Callable[[], Any]]] = [
            ("detection", lambda: detection_path(model, fp, cfg.max_new_tokens)),
            ("plain_sdpa", lambda: plain_pass(model, fp, cfg.max_new_tokens)),
            ("plain_prefill", lambda: plain_prefill(model, fp)),
            ("reference", lambda: reference_path(model, fp, cfg.max_new_tokens)),
        ]
        for name, fn in paths:
            _log(f"throughput @ {n} tokens: {name} ...")
            try:
                timings[name] = t = time_call(fn, cfg.device, cfg.warmup, cfg.repeats)
                sec[name] = _rate(n, t)
                _log(f"  {name}: {t.median:.3f} s/filing, {n / t.median:,.0f} context tokens/s")
            except Exception as e:  # one failure must not lose the rest
                sec[name] = self._record_error(f"detection_throughput.{name}", e)
            finally:
                _free(cfg.device)
            self.save()
        det_t = timings.get("detection")
        ratios: dict[str, Any] = {}
        if det_t is not None:
            if "plain_sdpa" in timings:
                ratios["detection_over_plain_sdpa"] = det_t.median / timings["plain_sdpa"].median
            if "plain_prefill" in timings:
                ratios["detection_over_plain_prefill"] = det_t.median / timings["plain_prefill"].median
            if "reference" in timings:
                ratios["reference_over_detection"] = timings["reference"].median / det_t.median
        sec["ratios"] = ratios
        _log(f"throughput @ {n} tokens: per-call breakdown ...")
        try:
            sec["breakdown"] = bd = forward_breakdown(model, fp, cfg.device, 5 if cfg.quick else 20)
            _log(f"  decode step {bd['decode_step']['plain_ms']:.1f} -> {bd['decode_step']['probed_ms']:.1f} ms, "
                 f"question suffix {bd['question_suffix']['plain_ms']:.1f} -> {bd['question_suffix']['probed_ms']:.1f} "
                 f"ms (plain -> probed)")
        except Exception as e:
            sec["breakdown"] = self._record_error("detection_throughput.breakdown", e)
        finally:
            _free(cfg.device)
        sec["probe_overhead"] = ratios.get("detection_over_plain_sdpa")
        if det_t is not None and "reference" in timings:
            try:
                sec["agreement_with_reference"] = compare_paths(det_t.result, timings["reference"].result)
            except Exception as e:
                sec["agreement_with_reference"] = self._record_error("detection_throughput.agreement", e)
        self.save()

    # -- 2. memory
    def memory(self) -> None:
        cfg, model = self.cfg, self.model
        cuda = cfg.device.startswith("cuda")
        info = self.lm.info
        sec: dict[str, Any] = {
            "measure": "torch.cuda.max_memory_allocated after reset_peak_memory_stats, one run, weights included"
            if cuda else "process peak RSS (VmHWM; reset per measurement where rss_peak_reset is true)",
            "unit": "GiB" if cuda else "MiB", "detection": {}, "plain_sdpa": {}, "reference": {},
            "reference_first_oom_context": None,
        }
        self.results["memory"] = sec
        ref_stop: str | None = None
        itemsize = torch.finfo(getattr(torch, info.dtype)).bits // 8
        for n in cfg.contexts:
            key = str(n)
            fp = synthetic_filing(n, model.config.vocab_size, cfg.n_questions, cfg.question_tokens, cfg.seed)
            for name, fn in (("detection", lambda fp=fp: detection_path(model, fp, cfg.max_new_tokens)),
                             ("plain_sdpa", lambda fp=fp: plain_pass(model, fp, cfg.max_new_tokens))):
                _log(f"memory @ {n}: {name} ...")
                try:
                    rec = measure_memory(fn, cfg.device)
                    rec["context_tokens_per_s"] = n / rec["seconds"] if rec["status"] == "ok" else None
                    sec[name][key] = rec
                    _log(f"  {name} @ {n}: {self._mem_str(rec)}")
                except Exception as e:
                    sec[name][key] = self._record_error(f"memory.{name}.{n}", e)
                self.save()
            det_rec, plain_rec = sec["detection"].get(key, {}), sec["plain_sdpa"].get(key, {})
            if det_rec.get("status") == "ok" and plain_rec.get("status") == "ok":
                det_rec["over_plain_sdpa_single_run"] = det_rec["seconds"] / plain_rec["seconds"]
            if ref_stop is not None:
                sec["reference"][key] = {"status": "skipped", "reason": ref_stop}
                continue
            if not cuda:
                est = _reference_bytes_estimate(info.n_layers, info.n_heads, n + 64, itemsize)
                avail = _mem_available_bytes()
                if avail is not None and est > 0.5 * avail:
                    sec["reference"][key] = {"status": "skipped", "estimated_bytes": est, "reason":
                                             f"full maps need ~{est / GIB:.1f} GiB, over half the "
                                             f"{avail / GIB:.1f} GiB RAM available (the kernel would kill us)"}
                    ref_stop = f"skipped at {n} (RAM)"
                    self.save()
                    continue
            _log(f"memory @ {n}: reference ...")
            try:
                rec = measure_memory(lambda fp=fp: reference_path(model, fp, cfg.max_new_tokens), cfg.device)
                if rec["status"] == "ok":
                    rec["context_tokens_per_s"] = n / rec["seconds"]
            except Exception as e:
                rec = self._record_error(f"memory.reference.{n}", e)
            sec["reference"][key] = rec
            _log(f"  reference @ {n}: {self._mem_str(rec)}")
            if rec.get("status") == "OOM":
                sec["reference_first_oom_context"] = n
                ref_stop = f"not run: OOM at {n} tokens"
            elif rec.get("status") != "ok":
                ref_stop = f"not run: failed at {n} tokens"
            _free(cfg.device)
            self.save()

    @staticmethod
    def _mem_str(rec: dict[str, Any]) -> str:
        if rec.get("status") != "ok":
            return f"{rec.get('status')}: {rec.get('error', rec.get('reason', ''))[:120]}"
        if "peak_gib" in rec:
            return f"peak {rec['peak_gib']:.2f} GiB, {rec['seconds']:.2f} s"
        return f"peak RSS {rec.get('rss_peak_mib') or float('nan'):.0f} MiB, {rec['seconds']:.2f} s"

    # -- 3. ablation
    def ablation(self) -> None:
        cfg, model, info = self.cfg, self.model, self.lm.info
        n = cfg.throughput_context
        fp = synthetic_filing(n, model.config.vocab_size, cfg.n_questions, cfg.question_tokens, cfg.seed)
        all_heads = all_head_ids(info.n_layers, info.n_heads)
        seeds = list(range(cfg.n_seeds))
        top = {m: [all_heads[i] for i in np.random.default_rng(100 + j).permutation(len(all_heads))]
               for j, m in enumerate(METHOD_NAMES)}
        conds = abl.build_conditions(top, all_heads, cfg.k_grid, seeds, cfg.exclude_top_n)
        unique: list[tuple[str, ...]] = []
        for c in conds:
            key = tuple(sorted(c.heads, key=probe.parse_head))
            if key not in unique:
                unique.append(key)
        n_dec = len(unique) * len(fp.prompts)
        sec: dict[str, Any] = {
            "context_tokens": n, "questions": len(fp.prompts), "methods": len(METHOD_NAMES), "k_grid": cfg.k_grid,
            "random_seeds": cfg.n_seeds, "exclude_top_n": cfg.exclude_top_n, "conditions": len(conds),
            "unique_head_sets": len(unique), "condition_batch": cfg.condition_batch, "mask_mode": cfg.mask_mode,
            "mask_scope": "decode", "max_new_tokens": cfg.max_new_tokens, "early_stop": False,
            "top_heads": "random rankings (timing only)",
            "unit": "conditions/s = distinct head sets decoded / seconds (the k=0 baseline is decoded once)",
            "paths": {
                "batched": "ours: prefix prefill once per filing, per question the suffix once, then every head "
                           "set decoded as batches of condition_batch rows over copies of that cache",
                "per_condition": "upstream way: per condition a fresh prefill of the whole prompt but its last "
                                 "token, then a masked batch-1 decode (same SDPA + head-mask attention; only "
                                 "the sharing and batching differ), timed on a subset and extrapolated",
            },
        }
        self.results["ablation"] = sec
        self.save()
        _log(f"ablation @ {n}: {len(fp.prompts)} questions x {len(unique)} head sets, batch {cfg.condition_batch} ...")
        batched = None
        try:
            t = time_call(lambda: ablation_batched(model, fp, conds, info.n_layers, info.n_heads, cfg.mask_mode,
                                                   cfg.max_new_tokens, cfg.condition_batch),
                          cfg.device, cfg.warmup, cfg.repeats)
            batched = t
            rec = {"seconds_median": t.median, "seconds": t.seconds, "decoded_conditions": n_dec,
                   "conditions_per_s": n_dec / t.median}
            if t.peak_bytes is not None:
                rec["peak_gib"] = t.peak_bytes / GIB
            sec["batched"] = rec
            _log(f"  batched: {t.median:.3f} s/filing, {n_dec / t.median:,.1f} conditions/s")
        except Exception as e:
            sec["batched"] = self._record_error("ablation.batched", e)
        finally:
            _free(cfg.device)
        self.save()

        qp = next(iter(fp.prompts.values()))
        n_sub = max(1, min(cfg.upstream_conditions, len(unique)))
        pick = sorted({int(i) for i in np.linspace(0, len(unique) - 1, n_sub).round()})
        subset = [unique[i] for i in pick]
        _log(f"ablation @ {n}: per-condition path on {len(subset)} conditions ...")
        try:
            run_one = lambda heads: ablation_one_condition(  # noqa: E731
                model, qp.ids, heads, info.n_layers, info.n_heads, cfg.mask_mode, cfg.max_new_tokens)
            for _ in range(cfg.warmup):
                run_one(subset[0])
            times, gens = [], []
            for heads in subset:
                t = time_call(lambda h=heads: run_one(h), cfg.device, 0, 1)
                times.append(t.median)
                gens.append(t.result)
            per = float(statistics.median(times))
            rec = {"conditions_timed": len(subset), "seconds_per_condition_median": per, "seconds": times,
                   "conditions_per_s": 1.0 / per,
                   "extrapolated_seconds_per_filing": per * n_dec}
            sec["per_condition"] = rec
            _log(f"  per condition: {per:.3f} s, {1 / per:,.2f} conditions/s")
            if batched is not None:
                got = batched.result[qp.question]
                equal = sum(int(got[h] == g) for h, g in zip(subset, gens, strict=True))
                sec["agreement_generated_ids"] = {
                    "equal": f"{equal}/{len(subset)}",
                    "note": "batched vs batch-1 decoding may round differently (bfloat16); informational"}
        except Exception as e:
            sec["per_condition"] = self._record_error("ablation.per_condition", e)
        finally:
            _free(cfg.device)
        if isinstance(sec.get("batched"), dict) and isinstance(sec.get("per_condition"), dict):
            b, p = sec["batched"].get("conditions_per_s"), sec["per_condition"].get("conditions_per_s")
            if b and p:
                sec["speedup_batched_over_per_condition"] = b / p
        self.save()

    # -- 4. projection
    def projection(self) -> None:
        self.results["projection"] = project_study(self.results, self.cfg.throughput_context)
        self.save()

    # -- targets
    def targets(self) -> None:
        self.results["targets"] = evaluate_targets(self.results, self.cfg)
        self.save()

    def run(self) -> dict[str, Any]:
        """Every section in order (each failure recorded, the rest still run); torch's thread count restored."""
        threads = torch.get_num_threads()
        if self.cfg.threads:
            torch.set_num_threads(self.cfg.threads)
        try:
            return self._run()
        finally:
            torch.set_num_threads(threads)

    def _run(self) -> dict[str, Any]:
        t0 = time.perf_counter()
        steps = [("meta", self.meta), ("detection_throughput", self.detection_throughput), ("memory", self.memory),
                 ("ablation", self.ablation), ("projection", self.projection), ("targets", self.targets)]
        for name, step in steps:
            if name != "meta" and self.lm is None:
                if name in ("projection", "targets"):
                    step()
                continue
            _log(f"== {name}")
            try:
                step()
            except Exception as e:
                self.results[name] = {**(self.results.get(name) or {}), **self._record_error(name, e)}
                self.save()
        self.results["meta"]["bench_seconds"] = time.perf_counter() - t0
        self.save()
        return self.results


def _get(d: Any, *keys: str) -> Any:
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def project_study(results: dict[str, Any], context_tokens: int, study: dict[str, Any] | None = None) -> dict[str, Any]:
    """The full study's GPU time from the measured rates, ours and the reference path's (formula recorded)."""
    s = dict(study or STUDY)
    n_train = round(s["filings"] * s["train_fraction"])
    n_test = s["filings"] - n_train
    conds = unique_conditions(s["methods"], s["k_grid"], s["random_seeds"])
    det_rate = _get(results, "detection_throughput", "detection", "context_tokens_per_s")
    ref_rate = _get(results, "detection_throughput", "reference", "context_tokens_per_s")
    abl_rate = _get(results, "ablation", "batched", "conditions_per_s")
    up_rate = _get(results, "ablation", "per_condition", "conditions_per_s")
    out: dict[str, Any] = {
        "study": s, "measured_at_context_tokens": context_tokens, "train_filings": n_train, "test_filings": n_test,
        "conditions_per_question": conds,
        "formula": ("T = models x (train_filings x t_detect + test_filings x t_ablate); "
                    "t_detect = context_tokens / detection_context_tokens_per_s (one filing, all questions, all "
                    "three methods in the same passes); t_ablate = questions x conditions_per_question / "
                    "ablation_conditions_per_s; conditions_per_question = methods x (nonzero k) x (1 + seeds) + 1 "
                    "(the k=0 baseline decoded once). Reference: the same with the reference path's detection "
                    "rate and the per-condition ablation rate."),
        "rates": {"detection_context_tokens_per_s": det_rate, "ablation_conditions_per_s": abl_rate,
                  "reference_context_tokens_per_s": ref_rate, "per_condition_conditions_per_s": up_rate},
        "ablation_measured_head_sets_per_question": _get(results, "ablation", "unique_head_sets"),
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

    r = _get(results, "detection_throughput", "ratios", "detection_over_plain_sdpa")
    row("detection_overhead", "detection time / plain SDPA pass with the same forward calls", "<= 1.3",
        r, "x", None if r is None else r <= TARGETS["detection_over_plain_max"], at_4k)
    r = _get(results, "detection_throughput", "ratios", "detection_over_plain_prefill")
    row("detection_over_prefill", "detection time / plain prefill of the prompt tokens only (strict reading: "
        "includes the decode steps only detection makes)", "<= 1.3", r, "x",
        None if r is None else r <= TARGETS["detection_over_plain_max"], at_4k)
    rec = _get(results, "memory", "detection", "32768")
    if rec is None:
        row("memory_32k", "detection peak GPU memory at 32k context", "fits in 80 GB", None, "GB", None, False,
            "32768 not measured")
    else:
        ok = rec.get("status") == "ok" and rec.get("peak_bytes") is not None and \
            rec["peak_bytes"] <= TARGETS["memory_32k_max_bytes"]
        row("memory_32k", "detection peak GPU memory at 32k context", "fits in 80 GB",
            rec.get("peak_gb", rec.get("status")), "GB", bool(ok), at_scale and "peak_bytes" in rec)
    t = _get(results, "projection", "ours", "total_minutes")
    row("study_minutes", "projected full study GPU time (ours)", "<= 20", t, "min",
        None if t is None else t * 60 <= TARGETS["study_max_seconds"], at_4k)
    sp = _get(results, "projection", "end_to_end_speedup")
    row("end_to_end_speedup", "projected full study: reference path time / ours", ">= 5", sp, "x",
        None if sp is None else sp >= TARGETS["end_to_end_speedup_min"], at_4k)
    ref_oom = _get(results, "memory", "reference_first_oom_context")
    row("reference_oom", "first context at which the reference path ran out of memory (issue: 8k on 141 GB)",
        "info", ref_oom, "tokens", None, at_scale)
    return rows


# ------------------------------------------------------------------------------------------ table


def _fmt(v: Any, spec: str = ".3g") -> str:
    if v is None:
        return "-"
    if isinstance(v, (int, float)):
        return format(v, spec)
    return str(v)


def format_table(results: dict[str, Any]) -> str:
    """A plain-text summary of a bench result."""
    m = results.get("meta", {})
    lines = [f"bench: {m.get('shape')} {m.get('dtype')} on {m.get('device')} ({m.get('device_name')}), "
             f"random weights={m.get('random_weights')}, torch {m.get('torch')}, transformers {m.get('transformers')}, "
             f"{m.get('date')}"]
    rows: list[tuple[str, str, str, str]] = []
    dt = results.get("detection_throughput", {})
    n = dt.get("context_tokens")
    for name in ("detection", "plain_sdpa", "plain_prefill", "reference"):
        rec = dt.get(name) or {}
        val = _fmt(rec.get("context_tokens_per_s"), ",.0f") if "context_tokens_per_s" in rec else rec.get("status", "-")
        rows.append((f"{name} @ {n} (context tok/s)", val, "", ""))
    tmap = {t["id"]: t for t in results.get("targets", [])}

    def verdict(tid: str) -> tuple[str, str]:
        t = tmap.get(tid)
        if t is None:
            return "", ""
        ok = "-" if t["pass"] is None else ("PASS" if t["pass"] else "FAIL")
        return t["target"], ok if t["applicable"] else f"({ok}, n/a here)"

    ratios = dt.get("ratios", {})
    rows.append(("detection / plain SDPA (same calls)", _fmt(ratios.get("detection_over_plain_sdpa"), ".2f") + "x",
                 *verdict("detection_overhead")))
    rows.append(("detection / plain prefill (prompt only)",
                 _fmt(ratios.get("detection_over_plain_prefill"), ".2f") + "x", *verdict("detection_over_prefill")))
    rows.append(("reference / detection", _fmt(ratios.get("reference_over_detection"), ".1f") + "x", "", ""))
    bd = dt.get("breakdown") or {}
    for part, label in (("decode_step", "decode step"), ("question_suffix", "question suffix")):
        if isinstance(bd.get(part), dict):
            rows.append((f"{label} ms, plain -> probed", f"{bd[part]['plain_ms']:.1f} -> {bd[part]['probed_ms']:.1f}",
                         "", ""))
    mem = results.get("memory", {})
    unit = mem.get("unit", "")
    for path in ("detection", "plain_sdpa", "reference"):
        for ctx, rec in (mem.get(path) or {}).items():
            if rec.get("status") == "ok":
                v = rec.get("peak_gib", rec.get("rss_peak_mib"))
                val = f"{_fmt(v, '.2f')} {unit}, {_fmt(rec.get('seconds'), '.2f')} s"
            else:
                val = str(rec.get("status"))
            tgt = verdict("memory_32k") if path == "detection" and ctx == "32768" else ("", "")
            rows.append((f"memory {path} @ {ctx}", val, *tgt))
    ab = results.get("ablation", {})
    rows.append((f"ablation batched (cond/s, {ab.get('unique_head_sets')} sets x {ab.get('questions')} q)",
                 _fmt(_get(ab, "batched", "conditions_per_s"), ",.1f"), "", ""))
    rows.append(("ablation per condition (cond/s)", _fmt(_get(ab, "per_condition", "conditions_per_s"), ",.2f"), "", ""))
    rows.append(("ablation speedup", _fmt(ab.get("speedup_batched_over_per_condition"), ".1f") + "x", "", ""))
    pr = results.get("projection", {})
    rows.append(("study projection, ours (min)", _fmt(_get(pr, "ours", "total_minutes"), ".1f"),
                 *verdict("study_minutes")))
    rows.append(("study projection, reference (min)", _fmt(_get(pr, "reference", "total_minutes"), ".1f"), "", ""))
    rows.append(("end-to-end speedup", _fmt(pr.get("end_to_end_speedup"), ".1f") + "x",
                 *verdict("end_to_end_speedup")))
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    lines.append(f"{'measure':<{w0}}  {'value':>{w1}}  {'target':<8}  result")
    lines += [f"{a:<{w0}}  {b:>{w1}}  {c:<8}  {d}" for a, b, c, d in rows]
    errs = results.get("errors") or {}
    if errs:
        lines.append(f"errors ({len(errs)}):")
        lines += [f"  {k}: {v[:160]}" for k, v in errs.items()]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------ CLI


def make_config(device: str | None = None, shape: str | None = None, dtype: str | None = None,
                contexts: list[int] | None = None, throughput_context: int | None = None, quick: bool = False,
                repeats: int | None = None, warmup: int = 1, max_new_tokens: int | None = None,
                condition_batch: int = 32, k_grid: list[int] | None = None, seeds: int | None = None,
                exclude_top_n: int | None = None, upstream_conditions: int | None = None,
                mask_mode: str = "uniform", seed: int = 0, threads: int | None = None,
                out: str = "results/bench.json") -> BenchConfig:
    """A BenchConfig with the device-dependent defaults filled in; ValueError for settings that cannot run."""
    device = device or ("cuda" if torch.cuda.is_available() and not quick else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device cuda: no CUDA device is available here")
    shape = shape or ("llama3-8b" if device == "cuda" and not quick else "tiny")
    dtype = dtype or ("bfloat16" if device == "cuda" else "float32")
    contexts = contexts or list(QUICK_CONTEXTS if quick else GPU_CONTEXTS)
    throughput = throughput_context or (max(contexts) if quick else STUDY["context_tokens"])
    if shape == "llama3-8b":
        heads = RANDOM_SHAPES["llama3-8b"]["num_hidden_layers"] * RANDOM_SHAPES["llama3-8b"]["num_attention_heads"]
    elif shape == "smollm2":
        heads = SMOLLM2_OVERRIDES["num_hidden_layers"] * SMOLLM2_OVERRIDES["num_attention_heads"]
    else:
        heads = RANDOM_SHAPES[shape]["num_hidden_layers"] * RANDOM_SHAPES[shape]["num_attention_heads"]
    small = quick or heads < 150
    k_grid = k_grid or ([0, 1, 2] if small else list(STUDY_K_GRID))
    exclude = exclude_top_n if exclude_top_n is not None else (4 if small else 50)
    if max(k_grid) > heads - exclude:
        raise ValueError(f"k grid up to {max(k_grid)} needs more than the {heads - exclude} heads outside the top "
                 f"{exclude} of a {shape} model ({heads} heads)")
    cfg = BenchConfig(
        device=device, shape=shape, dtype=dtype, contexts=contexts, throughput_context=throughput,
        repeats=repeats or (2 if quick else 3), warmup=warmup,
        max_new_tokens=max_new_tokens or (4 if quick else 8), condition_batch=condition_batch,
        k_grid=k_grid, n_seeds=seeds if seeds is not None else (2 if small else 5), exclude_top_n=exclude,
        upstream_conditions=upstream_conditions or (3 if quick else 6), mask_mode=mask_mode, seed=seed,
        threads=threads if threads is not None else (1 if quick and device == "cpu" else None),
        quick=quick, out=out,
    )
    for name in ("repeats", "max_new_tokens", "condition_batch", "throughput_context"):
        if getattr(cfg, name) < 1:
            raise ValueError(f"{name.replace('_', '-')} must be at least 1")
    if min(cfg.contexts + [cfg.throughput_context]) < 16:
        raise ValueError("context sizes must be at least 16 tokens")
    return cfg


def run(cfg: BenchConfig) -> int:
    """Run the bench; prints progress and a table, writes the JSON. 1 when any measurement failed."""
    _log(f"settings: {asdict(cfg)}")
    results = Bench(cfg).run()
    print(format_table(results), flush=True)
    _log(f"wrote {cfg.out}")
    return 1 if results.get("errors") else 0

