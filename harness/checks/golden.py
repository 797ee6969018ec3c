"""``make diff-upstream``: compare the study's ports with the upstream golden vectors.

The golden files in ``../shared/golden`` (README there) record what the upstream research code computes on
fixed inputs. Each *check* here recomputes those quantities with the study's code and returns one
:class:`Row` per (case, quantity): the maximum absolute difference, the tolerance of golden README section 6
and whether it passed. Checks register themselves with :func:`register`; the ones in this module need no
model (pure functions, and recomputations from recorded model outputs). Model-based checks (the attention
probe on the tiny Llama and SmolLM2) are registered by their own modules with ``needs_model=True``.

Run ``python -m harness diff-upstream`` (``--list``, ``--check NAME``, ``--no-model``, ``--golden DIR``);
it prints the table and exits 1 when any row failed, 2 on bad usage. The golden directory is
``<repo>/../shared/golden`` unless the environment variable ``SEC_HEADS_GOLDEN`` names another.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from harness.paths import GOLDEN_ENV, golden_dir  # noqa: F401 (re-exported for the CLI and tests)

# Golden README section 6, verbatim numbers. Never loosen these.
TOLERANCES: dict[str, float] = {
    "exact_float": 1e-12,  # Wu24 retrieval_score, ROUGE P/R/F, head_counter, QRHead crafted A2
    "qrhead_A1_per_doc": 1e-7,
    "qrhead_A1b_A1c_score_docs": 1e-6,
    "tiny_attention": 2e-4,  # attention rows, top-k values, summed attention
    "tiny_logits": 1e-3,
    "smol_attention": 3e-5,
    "smol_logits": 5e-4,  # compare by id
    "C_head_out_tiny": 1e-4,  # C step0_head_out, step0_value_mean (and step0_query)
    "C_head_out_smol": 3e-5,
    "C_blocked_equals_mean_v": 1e-5,
    "qrhead_per_token_smol": 5e-6,
    "qrhead_per_token_tiny": 2e-5,
    "qrhead_per_doc_abs": 1e-5,
    "qrhead_per_doc_rel": 1e-4,
    "qrhead_per_doc_fragile_abs": 5e-3,
    "qrhead_ranking": 1e-5,  # QRScore abs; order checked only where the adjacent gap exceeds it
}
# The same numbers by model size, for the checks that run a model (cases B, C, D, E).
MODEL_TOLERANCES: dict[str, dict[str, float]] = {
    "tiny": {"attn": TOLERANCES["tiny_attention"], "logits": TOLERANCES["tiny_logits"],
             "head_out": TOLERANCES["C_head_out_tiny"], "pts": TOLERANCES["qrhead_per_token_tiny"]},
    "smol": {"attn": TOLERANCES["smol_attention"], "logits": TOLERANCES["smol_logits"],
             "head_out": TOLERANCES["C_head_out_smol"], "pts": TOLERANCES["qrhead_per_token_smol"]},
}


@dataclass(frozen=True)
class Row:
    """One compared quantity of one golden case.

    ``max_abs_diff`` is the largest absolute difference over the compared (not skipped) elements; for
    discrete quantities (ids, spans, strings, booleans, exception names, orders) it is the number of
    mismatching elements. ``tolerance`` is a human-readable rule ("exact", "abs 1e-07", ...). ``margin``
    is how much of the tolerance the worst element uses (its difference / its allowed difference): a row
    passes with a margin <= 1, and one near 1 passes by a hair. Exact rows have margin 0 (equal) or inf.
    """

    case: str
    quantity: str
    max_abs_diff: float
    tolerance: str
    passed: bool
    note: str = ""
    margin: float = math.nan


CheckFn = Callable[[Path], list[Row]]


@dataclass(frozen=True)
class _Check:
    fn: CheckFn
    needs_model: bool


_REGISTRY: dict[str, _Check] = {}


def register(name: str, fn: CheckFn | None = None, *, needs_model: bool = False) -> Any:
    """Register check ``name``: ``fn(golden_dir) -> list[Row]``. Usable directly or as a decorator."""

    def add(f: CheckFn) -> CheckFn:
        if name in _REGISTRY and _REGISTRY[name].fn is not f:
            raise ValueError(f"an upstream-diff check named {name!r} is already registered")
        _REGISTRY[name] = _Check(f, needs_model)
        return f

    return add(fn) if fn is not None else add


def needs_model(name: str) -> bool:
    """Whether check ``name`` runs a model."""
    return _REGISTRY[name].needs_model


def registered(include_model: bool = True) -> list[str]:
    """Names of the registered checks, in registration order."""
    return [n for n, c in _REGISTRY.items() if include_model or not c.needs_model]




def load_json(name: str, golden: Path | None = None) -> Any:
    """Parse golden file ``name`` (e.g. ``"A_wu24_pure.json"``)."""
    with open((golden or golden_dir()) / name, encoding="utf-8") as f:
        return json.load(f)


def load_tensors(name: str, golden: Path | None = None) -> dict[str, np.ndarray]:
    """Load golden safetensors file ``name`` as numpy arrays."""
    from safetensors.numpy import load_file

    return load_file(str((golden or golden_dir()) / name))


# ---------------------------------------------------------------------------------------------- comparators


def _mismatches(got: Any, want: Any) -> int:
    """Number of mismatching elements of two (nested) values compared exactly."""
    if isinstance(got, dict) and isinstance(want, dict):
        return sum(_mismatches(got.get(k), want.get(k)) if k in got and k in want else 1
                   for k in set(got) | set(want))
    seq = (list, tuple, np.ndarray)
    if isinstance(got, seq) and isinstance(want, seq):
        got_l, want_l = list(got), list(want)
        overlap = sum(_mismatches(g, w) for g, w in zip(got_l, want_l, strict=False))
        return overlap + abs(len(got_l) - len(want_l))
    if isinstance(got, (np.generic,)):
        got = got.item()
    if isinstance(want, (np.generic,)):
        want = want.item()
    return 0 if (type(got) is type(want) or _both_numbers(got, want)) and got == want else 1


def _both_numbers(a: Any, b: Any) -> bool:
    num = (int, float)
    return isinstance(a, num) and isinstance(b, num) and not isinstance(a, bool) and not isinstance(b, bool)


def exact_row(case: str, quantity: str, got: Any, want: Any, note: str = "") -> Row:
    """Exact comparison of ids, spans, strings, booleans or nested lists/dicts of them."""
    n = _mismatches(got, want)
    return Row(case, quantity, float(n), "exact", n == 0, note, 0.0 if n == 0 else math.inf)


def abs_row(case: str, quantity: str, diff: float, atol: float, note: str = "") -> Row:
    """A row for an already computed max abs difference against an absolute tolerance (``atol`` 0: exact)."""
    diff = float(diff)
    if atol == 0:
        return Row(case, quantity, diff, "exact", diff == 0, note, 0.0 if diff == 0 else math.inf)
    ok = bool(math.isfinite(diff) and diff <= atol)
    return Row(case, quantity, diff, f"abs {atol:g}", ok, note, diff / atol if math.isfinite(diff) else math.inf)


def close_row(
    case: str,
    quantity: str,
    got: Any,
    want: Any,
    atol: float,
    rtol: float = 0.0,
    skip: np.ndarray | None = None,
    note: str = "",
) -> Row:
    """Numeric comparison: passes where ``|got - want| <= atol + rtol * |want|`` on every non-skipped element."""
    tol = f"abs {atol:g}" + (f" + rel {rtol:g}" if rtol else "")
    g = np.asarray(got, dtype=np.float64)
    w = np.asarray(want, dtype=np.float64)
    if g.shape != w.shape:
        return Row(case, quantity, math.inf, tol, False, f"shape {g.shape} != golden {w.shape}", math.inf)
    keep = np.ones(w.shape, dtype=bool) if skip is None else ~np.asarray(skip, dtype=bool)
    both_nan = np.isnan(g) & np.isnan(w)
    diff = np.where(both_nan, 0.0, np.abs(g - w))
    diff = np.where(np.isnan(diff), np.inf, diff)
    allowed = atol + rtol * np.abs(w)
    ok = diff <= allowed
    passed = bool(np.all(ok | ~keep))
    max_diff = float(diff[keep].max()) if keep.any() else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        used = np.where(diff == 0, 0.0, diff / allowed)
    margin = float(used[keep].max()) if keep.any() else 0.0
    if skip is not None:
        n_skip = int((~keep).sum())
        note = (note + "; " if note else "") + f"{n_skip} fragile element(s) skipped"
    return Row(case, quantity, max_diff, tol, passed, note, margin)


def ranking_rows(
    case: str, got: Sequence[Sequence[Any]], want: Sequence[Sequence[Any]], atol: float, order_gap: float | None
) -> list[Row]:
    """Compare rankings ``[(head_id, score), ...]``: scores by head id (``atol``) and the order.

    ``order_gap=None`` demands the identical order; otherwise only adjacent golden pairs whose score gap
    exceeds ``order_gap`` must keep their relative order.
    """
    got_scores = {str(h): float(s) for h, s in got}
    want_scores = {str(h): float(s) for h, s in want}
    if set(got_scores) != set(want_scores):
        diff = len(set(got_scores) ^ set(want_scores))
        return [Row(case, "ranking heads", float(diff), "exact", False, "head sets differ", math.inf)]
    heads = [str(h) for h, _ in want]
    rows = [close_row(case, "ranking scores", [got_scores[h] for h in heads], [want_scores[h] for h in heads], atol)]
    if order_gap is None:
        rows.append(exact_row(case, "ranking order", [str(h) for h, _ in got], heads))
    else:
        pos = {str(h): i for i, (h, _) in enumerate(got)}
        checked = violations = 0
        for (h1, s1), (h2, s2) in zip(want, want[1:], strict=False):
            if float(s1) - float(s2) > order_gap:
                checked += 1
                violations += pos[str(h1)] > pos[str(h2)]
        rows.append(Row(case, "ranking order", float(violations), f"exact where gap > {order_gap:g}",
                        violations == 0, f"{checked} of {len(want) - 1} adjacent pairs checked",
                        0.0 if violations == 0 else math.inf))
    return rows


# ---------------------------------------------------------------------------------------------- running


def run_checks(names: Iterable[str] | None = None, golden: Path | None = None,
               include_model: bool = True) -> list[Row]:
    """Run the named checks (default: all registered) and return their rows; a check that raises
    yields one failed row carrying the exception."""
    golden = golden or golden_dir()
    selected = list(names) if names is not None else registered(include_model)
    unknown = [n for n in selected if n not in _REGISTRY]
    if unknown:
        raise KeyError(f"unknown upstream-diff check(s) {unknown}; registered: {registered()}")
    rows: list[Row] = []
    for name in selected:
        try:
            rows.extend(_REGISTRY[name].fn(golden))
        except Exception as err:  # report, never hide: the row fails
            rows.append(Row(name, "(check raised)", math.nan, "-", False, f"{type(err).__name__}: {err}",
                            math.inf))
    return rows


def tightest(rows: Sequence[Row], n: int = 3) -> list[Row]:
    """The ``n`` rows that use most of their tolerance (largest margin), tightest first."""
    scored = [r for r in rows if not math.isnan(r.margin)]
    return sorted(scored, key=lambda r: -r.margin)[:n]


def format_margin(margin: float) -> str:
    """A margin as text: ``0.34``, ``0`` or ``inf``."""
    if math.isnan(margin):
        return "-"
    return "0" if margin == 0 else f"{margin:.2g}"


def format_table(rows: Sequence[Row]) -> str:
    """Plain-text table, one line per row (margin = max abs diff / tolerance), with summary lines."""
    header = ("case", "quantity", "max_abs_diff", "tolerance", "margin", "result", "note")
    body = [(r.case, r.quantity, f"{r.max_abs_diff:.3g}", r.tolerance, format_margin(r.margin),
             "pass" if r.passed else "FAIL", r.note) for r in rows]
    widths = [max(len(x[i]) for x in [header, *body]) for i in range(6)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(line[:6], widths, strict=True)) + "  " + line[6]
             for line in [header, *body]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    n_fail = sum(not r.passed for r in rows)
    lines.append(f"{len(rows)} rows, {len(rows) - n_fail} passed, {n_fail} failed")
    close = tightest([r for r in rows if r.passed])
    if close:
        lines.append("closest to their tolerance (margin = max abs diff / tolerance): "
                     + "; ".join(f"{r.case} {r.quantity} {format_margin(r.margin)}" for r in close))
    return "\n".join(line.rstrip() for line in lines)



# Modules that register model-based checks; imported lazily by main() so that importing this module stays
# cheap. The lead adds entries here (e.g. "harness.upstream_diff_model").
MODEL_CHECK_MODULES: list[str] = ["harness.checks.golden_models"]


def load_model_checks() -> None:
    """Register the model-based checks (imported on demand: importing this module stays cheap)."""
    import importlib

    for module in MODEL_CHECK_MODULES:
        mod = importlib.import_module(module)
        if not any(_REGISTRY[n].needs_model for n in _REGISTRY):
            mod.register_checks(register, Row)


# ---------------------------------------------------------------------------------------------- A: Wu24


@register("A_wu24")
def check_a_wu24(golden: Path) -> list[Row]:
    """Case A (Wu24 pure functions): find_needle_idx, retrieval_calculate + head counter, ROUGE gate."""
    from third_party.wu24 import (
        HeadCounter,
        find_needle_idx,
        retrieval_step,
        rouge_gate,
        rouge_scores,
        rouge_tokens,
    )

    data = load_json("A_wu24_pure.json", golden)
    exact = TOLERANCES["exact_float"]
    rows: list[Row] = []
    for case in data["find_needle_idx"]:
        name = f"A_wu24/find_needle_idx/{case['name']}"
        try:
            got: Any = list(find_needle_idx(case["prompt_ids"], case["needle_ids"]))
            raised = None
        except Exception as err:  # the golden records upstream's exception class
            got, raised = None, type(err).__name__
        if case["raises"] is not None:
            rows.append(exact_row(name, "raises", raised, case["raises"]))
        else:
            rows.append(exact_row(name, "span", got, case["result"], note=f"raised {raised}" if raised else ""))

    calc = data["retrieval_calculate"]
    n_layers, n_heads = calc["L"], calc["H"]
    for variant in ("with_span", "needle_not_found"):
        golden_v = calc[variant]
        name = f"A_wu24/retrieval_calculate/{variant}"
        span = (golden_v["needle_start"], golden_v["needle_end"])
        scores = np.zeros((n_layers, n_heads), dtype=np.float64)
        tokens = [["" for _ in range(n_heads)] for _ in range(n_layers)]
        for t, step in enumerate(calc["steps"]):
            top1 = np.array([[int(np.argmax(step["attention"][la][h])) for h in range(n_heads)]
                             for la in range(n_layers)])
            if variant == "with_span":
                rows.append(exact_row(name, f"step {t} top-1 index", top1.tolist(), step["argmax"]))
            retrieval_step(scores, top1, step["generated_id"], calc["prompt_ids"], [span],
                           tokens=tokens, step_token=step["step_token"])
            want = golden_v["retrieval_score_after_each_step"][t]
            rows.append(close_row(name, f"step {t} score", scores, [[c[0] for c in r] for r in want], exact))
            rows.append(exact_row(name, f"step {t} tokens", tokens, [[c[1] for c in r] for r in want]))
        counter = HeadCounter()
        key = "head_counter_after_2_accumulates" if variant == "with_span" else "head_counter"
        for _ in range(len(next(iter(golden_v[key].values())))):
            counter.accumulate(scores, passed=True)
        rows.extend(_counter_rows(name, key, counter.counter, golden_v[key]))

    pairs = data["rouge_gate"]
    name = f"A_wu24/rouge_gate[{len(pairs)} pairs]"
    diffs: dict[str, list[float]] = {q: [] for q in ("rouge1 P/R/F", "rougeL P/R/F", "score")}
    bad: dict[str, list[int]] = {q: [] for q in ("passes", "ref tokens", "response tokens")}
    for i, pair in enumerate(pairs):
        ref, resp = pair["real_needle"], pair["response"]
        prf = rouge_scores(ref, resp)
        score, passes = rouge_gate(ref, resp)
        diffs["rouge1 P/R/F"].append(float(np.max(np.abs(np.subtract(prf["rouge1"], pair["rouge1"])))))
        diffs["rougeL P/R/F"].append(float(np.max(np.abs(np.subtract(prf["rougeL"], pair["rougeL"])))))
        diffs["score"].append(abs(score - pair["score"]))
        for q, got_v, want_v in (("passes", passes, pair["passes"]), ("ref tokens", rouge_tokens(ref),
                                 pair["ref_tokens"]), ("response tokens", rouge_tokens(resp), pair["resp_tokens"])):
            if _mismatches(got_v, want_v):
                bad[q].append(i)
    for q, values in diffs.items():
        worst = max(values)
        failing = [i for i, v in enumerate(values) if not v <= exact]
        rows.append(Row(name, q, worst, f"abs {exact:g}", not failing, f"failing pairs {failing}" if failing else ""))
    for q, failing in bad.items():
        rows.append(Row(name, q, float(len(failing)), "exact", not failing,
                        f"failing pairs {failing}" if failing else ""))
    return rows


def _counter_rows(case: str, quantity: str, got: dict[str, list[float]], want: dict[str, list[float]]) -> list[Row]:
    if list(got) != list(want) or any(len(got[k]) != len(want[k]) for k in want):
        return [exact_row(case, quantity + " keys", {k: len(v) for k, v in got.items()},
                          {k: len(v) for k, v in want.items()})]
    return [close_row(case, quantity, [got[k] for k in want], [want[k] for k in want], TOLERANCES["exact_float"])]


# ---------------------------------------------------------------------------------------------- A: QRHead


@register("A_qrhead")
def check_a_qrhead(golden: Path) -> list[Row]:
    """Case A (QRHead pure functions): per-doc outlier mask, score_docs, score_heads / lme_eval."""
    from third_party.qrhead import lme_eval, per_doc_scores, score_docs, score_heads

    data = load_json("A_qrhead_pure.json", golden)
    tensors = load_tensors("A_qrhead_pure.safetensors", golden)
    a1 = data["A1_per_doc_outlier_mask"]
    pts, null = tensors["A1/per_token_scores"], tensors["A1/null_per_token_scores"]
    rows: list[Row] = []
    for doc_id, got in zip(a1["doc_ids"], per_doc_scores(pts, null, a1["doc_spans_inclusive"]), strict=True):
        rows.append(close_row("A_qrhead/A1_per_doc_outlier_mask", f"per_doc {doc_id}", got.numpy(),
                              tensors[f"A1/per_doc/{doc_id}"], TOLERANCES["qrhead_A1_per_doc"]))
    tol = TOLERANCES["qrhead_A1b_A1c_score_docs"]
    full = score_docs(pts, null, a1["doc_spans_inclusive"])
    want = data["A1b_score_docs_full_heads"]
    rows.append(close_row("A_qrhead/A1b_score_docs_full_heads", "doc scores", full,
                          [want[d] for d in a1["doc_ids"]], tol))
    a1c = data["A1c_score_docs_head_subset"]
    subset = score_docs(pts, null, a1["doc_spans_inclusive"], a1c["attn_head_set"])
    rows.append(close_row("A_qrhead/A1c_score_docs_head_subset", "doc scores", subset,
                          [a1c["scores"][d] for d in a1["doc_ids"]], tol))

    a2 = data["A2_score_heads"]
    per_doc = {q: {d: np.asarray(v, dtype=np.float32) for d, v in docs.items()}
               for q, docs in a2["doc_scores_per_head"].items()}
    gt = {inst["idx"]: inst["gt_docs"] for inst in a2["data_instances"]}
    exact = TOLERANCES["exact_float"]
    rows.extend(ranking_rows("A_qrhead/A2_score_heads", score_heads(per_doc, gt), a2["ranking"], exact, None))
    per_head = {}
    for hid in a2["lme_eval_per_head"]:
        layer, head = (int(x) for x in hid.split("-"))
        scores = {q: {d: float(v[layer, head]) for d, v in docs.items()} for q, docs in per_doc.items()}
        per_head[hid] = lme_eval(scores, gt)
    rows.append(close_row("A_qrhead/A2_score_heads", "lme_eval per head", list(per_head.values()),
                          list(a2["lme_eval_per_head"].values()), exact))
    return rows


# ---------------------------------------------------------------------------------------------- B: Wu24


@register("B_wu24")
def check_b_wu24(golden: Path) -> list[Row]:
    """Case B recomputed from the recorded decode (no model): needle span, retrieval score and tokens from
    ``top1_idx``/``generated_ids``, stop rule, ROUGE gate, head counter and ranking."""
    from third_party.wu24 import (
        HeadCounter,
        find_needle_idx,
        retrieval_scores_from_top1,
        retrieval_tokens_from_top1,
        rouge_gate,
        rouge_scores,
        upstream_decode_length,
    )

    exact = TOLERANCES["exact_float"]
    rows: list[Row] = []
    for model in ("tiny", "smol"):
        data = load_json(f"B_wu24_detect_{model}.json", golden)
        tensors = load_tensors(f"B_wu24_detect_{model}.safetensors", golden)
        for case_id, case in data["cases"].items():
            name = f"B_wu24/{case_id}"
            prompt_ids = case["prompt_ids"]
            rows.append(exact_row(name, "needle_span (find_needle_idx)",
                                  list(find_needle_idx(prompt_ids, case["needle_ids"])), case["needle_span"]))
            span = [tuple(case["needle_span"])]
            top1, generated = tensors[f"{case_id}/top1_idx"], tensors[f"{case_id}/generated_ids"]
            rows.append(exact_row(name, "generated_ids (json vs safetensors)", generated.tolist(),
                                  case["generated_ids"]))
            score = retrieval_scores_from_top1(top1, generated.tolist(), prompt_ids, span)
            rows.append(close_row(name, "retrieval_score", score, tensors[f"{case_id}/retrieval_score"], exact))
            tokens = retrieval_tokens_from_top1(top1, generated.tolist(), case["generated_tokens"], prompt_ids, span)
            rows.append(exact_row(name, "retrieval_tokens", tokens, case["retrieval_tokens"]))
            n_steps = upstream_decode_length(case["generated_tokens"], case["generated_ids"], data["decode_len"])
            rows.append(exact_row(name, "decode_steps (upstream stop rule)", n_steps, case["decode_steps"]))
            reference = case["real_needle_latin1"] if model == "tiny" else data["real_needle"]
            gate_score, passes = rouge_gate(reference, case["response"])
            rows.append(close_row(name, "rouge1 P/R/F", rouge_scores(reference, case["response"])["rouge1"],
                                  case["rouge1_prf"], exact))
            rows.append(close_row(name, "rouge_score", gate_score, case["rouge_score"], exact))
            rows.append(exact_row(name, "rouge_gate_passes", passes, case["rouge_gate_passes"]))
            counter = HeadCounter()
            counter.accumulate(score, passes)
            rows.extend(_counter_rows(name, "head_counter_after_accumulate", counter.counter,
                                      case["head_counter_after_accumulate"]))
            if case["head_ranking_by_mean"] or counter.ranking():
                rows.extend(ranking_rows(name, counter.ranking(), case["head_ranking_by_mean"], exact, None))
            else:
                rows.append(exact_row(name, "head_ranking_by_mean (empty: gate failed)", [], []))
            variants = case.get("find_needle_idx_variants")
            if variants:
                got = [list(find_needle_idx(prompt_ids, v["needle_ids"])) for v in variants]
                rows.append(exact_row(name, f"find_needle_idx_variants ({len(variants)})", got,
                                      [v["result"] for v in variants]))
    return rows


# ---------------------------------------------------------------------------------------------- D: QRHead


@register("D_qrhead")
def check_d_qrhead(golden: Path) -> list[Row]:
    """Case D recomputed from the recorded per-token scores (no model): prompt composition and spans,
    per-doc calibrated + masked scores (fragile cells apart), QRScore ranking."""
    from third_party.qrhead import (
        NULL_QUERY,
        compose_upstream_prompt,
        per_doc_scores,
        score_heads,
        token_spans_inclusive,
        token_spans_inclusive_many,
    )

    rows: list[Row] = []
    for model in ("tiny", "smol"):
        data = load_json(f"D_qrhead_{model}.json", golden)
        tensors = load_tensors(f"D_qrhead_{model}.safetensors", golden)
        recorded: dict[str, dict[str, np.ndarray]] = {}
        recomputed: dict[str, dict[str, np.ndarray]] = {}
        gt: dict[str, list[str]] = {}
        for inst in data["instances"]:
            q = inst["idx"]
            name = f"D_qrhead/{model}/{q}"
            docs = inst["paragraphs_after_strip"]
            doc_ids = [d["idx"] for d in docs]
            gt[q] = inst["gt_docs"]
            prompt, doc_chars, query_chars = compose_upstream_prompt(docs, inst["question"])
            null_prompt, _, null_query_chars = compose_upstream_prompt(docs, data.get("null_query", NULL_QUERY))
            rows.append(exact_row(name, "prompt", prompt, inst["prompt"]))
            rows.append(exact_row(name, "null_prompt", null_prompt, inst["null_prompt"]))
            offsets = inst["offset_mapping"]
            if model == "tiny":  # byte stub: id == latin-1 byte, offsets (i, i + 1)
                stub = (list(prompt.encode("latin-1")), [[i, i + 1] for i in range(len(prompt))])
                rows.append(exact_row(name, "byte-stub ids + offsets", list(stub),
                                      [inst["prompt_ids"], offsets]))
                null_offsets = [[i, i + 1] for i in range(len(null_prompt))]
                rows.append(exact_row(name, "null_query_span_inclusive",
                                      list(token_spans_inclusive(null_offsets, null_query_chars)),
                                      inst["null_query_span_inclusive"]))
            rows.append(exact_row(name, "doc_spans_inclusive",
                                  [list(s) for s in token_spans_inclusive_many(offsets, doc_chars)],
                                  inst["doc_spans_inclusive"]))
            rows.append(exact_row(name, "query_span_inclusive", list(token_spans_inclusive(offsets, query_chars)),
                                  inst["query_span_inclusive"]))
            pts, null = tensors[f"{q}/per_token_scores"], tensors[f"{q}/null_per_token_scores"]
            rows.append(exact_row(name, "min_length", min(pts.shape[-1], null.shape[-1]), inst["min_length"]))
            got_docs = [t.numpy() for t in per_doc_scores(pts, null, inst["doc_spans_inclusive"])]
            want_docs = [tensors[f"{q}/per_doc/{d}"] for d in doc_ids]
            fragile = tensors[f"{q}/fragile_mask_cells"]
            rows.append(close_row(name, f"per_doc ({len(docs)} docs)", np.stack(got_docs), np.stack(want_docs),
                                  TOLERANCES["qrhead_per_doc_abs"], TOLERANCES["qrhead_per_doc_rel"], skip=fragile))
            if fragile.any():
                rows.append(close_row(name, "per_doc fragile cells", np.stack(got_docs)[fragile],
                                      np.stack(want_docs)[fragile], TOLERANCES["qrhead_per_doc_fragile_abs"],
                                      note=f"{int(fragile.sum())} cells"))
            recorded[q] = dict(zip(doc_ids, want_docs, strict=True))
            recomputed[q] = dict(zip(doc_ids, got_docs, strict=True))
        rows.extend(ranking_rows(f"D_qrhead/{model}/ranking from recorded per_doc", score_heads(recorded, gt),
                                 data["ranking"], TOLERANCES["exact_float"], None))
        tol = TOLERANCES["qrhead_ranking"]
        rows.extend(ranking_rows(f"D_qrhead/{model}/ranking from recomputed per_doc", score_heads(recomputed, gt),
                                 data["ranking"], tol, tol))
    return rows

