"""The run's tables: one pandas table per comparison of the study, written as CSV under ``figures/tables``.

:func:`analyze` loads a run (:func:`harness.analysis.loading.load_run`) and returns an :class:`Analysis`
with every table; :func:`write_tables` writes them as CSV under ``<run>/figures/tables``. Figures
(harness/analysis/figures.py) and FINDINGS.md (harness/analysis/findings.py) read only these tables, so
every number they show can be traced to a CSV row and from there to a result file.

Conventions: accuracies are shares (0-1) as in the result files; every column ending in ``_pp`` is in
percentage points. Depth = layer / (n_layers - 1), so 0 is the first layer and 1 the last, whatever the
model's size. Score-mass measures use scores clipped at zero (QRHead's calibrated scores can be negative).
The paired top-k against random-k tables come from :mod:`harness.analysis.top_vs_random`.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from adapters.questions import QUESTION_KEYS, QUESTIONS
from harness.analysis.loading import RunResults, load_run, model_kind, same_architecture
from harness.analysis.metrics import jaccard, overlap_pvalue, random_jaccard_expectation, spearman
from harness.analysis.top_vs_random import paired_drop_intervals, top_vs_random
from harness.analysis.verdicts import top_beyond_random
from harness.heads import parse_head
from harness.store.atomic import atomic_write_text

QTYPE_ORDER: tuple[str, ...] = ("numerical", "categorical")


# ------------------------------------------------------------------------------------------ small helpers


def depth_of(layer: int, n_layers: int) -> float:
    """Depth-normalised layer position in [0, 1]."""
    return layer / (n_layers - 1) if n_layers > 1 else 0.0


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 = all equal, ->1 = all mass in one head); nan if no mass."""
    x = np.sort(np.asarray(values, dtype=float))
    n = len(x)
    total = x.sum()
    if n == 0 or total <= 0:
        return float("nan")
    i = np.arange(1, n + 1)
    return float(2.0 * np.sum(i * x) / (n * total) - (n + 1) / n)


def _ordered(df: pd.DataFrame, res: RunResults) -> pd.DataFrame:
    """Sort rows by the study's model/method/question order."""
    if df.empty:
        return df.reset_index(drop=True)
    order = {"model": res.model_names(), "method": res.methods(), "question": list(QUESTION_KEYS),
             "qtype": list(QTYPE_ORDER)}
    keys = [c for c in ("model", "model_a", "method", "qtype", "question") if c in df.columns]
    tmp = df.copy()
    sort_cols = []
    for c in keys:
        ref = order.get(c, order["model"] if c.startswith("model") else [])
        tmp[f"_{c}"] = tmp[c].map(lambda v, ref=ref: ref.index(v) if v in ref else len(ref))
        sort_cols.append(f"_{c}")
    tmp = tmp.sort_values(sort_cols, kind="stable").drop(columns=sort_cols)
    return tmp.reset_index(drop=True)


# ------------------------------------------------------------------------------------------- tidy tables

DETECTION_COLS = ["model", "method", "question", "qtype", "head", "layer", "head_index", "n_layers", "depth",
                  "score", "top_rank"]
ABLATION_COLS = ["model", "method", "question", "qtype", "condition", "k", "seed", "accuracy", "ci_low",
                 "ci_high", "rouge_recall", "n", "mask_mode", "mask_scope"]
RANDOM_SUMMARY_COLS = ["model", "method", "question", "k", "mean", "std", "min", "max", "n_seeds"]


def detection_table(res: RunResults) -> pd.DataFrame:
    """One row per (model, method, question, head): score, position and rank in the top list (1-based)."""
    rows = []
    for (model, method, q), det in res.detections.items():
        n_layers = int(res.models[model]["n_layers"])
        rank = {h: i + 1 for i, h in enumerate(det["top_heads"])}
        for h, s in det["scores"].items():
            layer, head = parse_head(h)
            rows.append((model, method, q, QUESTIONS[q].qtype, h, layer, head, n_layers, depth_of(layer, n_layers),
                         float(s), rank.get(h, np.nan)))
    return _ordered(pd.DataFrame(rows, columns=DETECTION_COLS), res)


def ablation_table(res: RunResults) -> pd.DataFrame:
    """Long table of every accuracy point: condition 'top' (seed NaN) or 'random' (one row per seed)."""
    rows = []
    for (model, method, q), abl in res.ablations.items():
        for cond in ("top", "random"):
            for r in abl.get(cond, []):
                rows.append((model, method, q, QUESTIONS[q].qtype, cond, int(r["k"]),
                             r.get("seed", np.nan) if cond == "random" else np.nan, float(r["accuracy"]),
                             float(r["ci_low"]), float(r["ci_high"]), r.get("rouge_recall", np.nan),
                             r.get("n", abl["n_test"]), abl["mask_mode"], abl["mask_scope"]))
    df = pd.DataFrame(rows, columns=ABLATION_COLS)
    return _ordered(df.sort_values(["condition", "k", "seed"], kind="stable"), res)


def random_summary_table(res: RunResults) -> pd.DataFrame:
    """Seed summary of random-k accuracy per k (from the file; recomputed from the seeds if absent)."""
    rows = []
    for (model, method, q), abl in res.ablations.items():
        summary = abl.get("random_summary")
        if not summary and abl.get("random"):
            by_k: dict[int, list[float]] = {}
            for r in abl["random"]:
                by_k.setdefault(int(r["k"]), []).append(float(r["accuracy"]))
            summary = [{"k": k, "mean": float(np.mean(v)), "std": float(np.std(v, ddof=1)) if len(v) > 1 else 0.0,
                        "min": float(np.min(v)), "max": float(np.max(v)), "n_seeds": len(v)}
                       for k, v in sorted(by_k.items())]
        for r in summary or []:
            rows.append((model, method, q, int(r["k"]), float(r["mean"]), float(r["std"]), float(r["min"]),
                         float(r["max"]), int(r["n_seeds"])))
    return _ordered(pd.DataFrame(rows, columns=RANDOM_SUMMARY_COLS), res)


# ------------------------------------------------------------------------------------------ comparisons

OVERLAP_COLS = ["n_total", "n_a", "n_b", "intersection", "jaccard", "expected_jaccard", "ratio_to_expected",
                "p_value"]


def _overlap_row(a: list[str], b: list[str], n_total: int) -> list:
    sa, sb = set(a), set(b)
    inter = len(sa & sb)
    j = float(jaccard(sa, sb))
    e = float(random_jaccard_expectation(n_total, len(sa), len(sb)))
    p = float(overlap_pvalue(n_total, len(sa), len(sb), inter))
    return [n_total, len(sa), len(sb), inter, j, e, j / e if e > 0 else np.nan, p]


def cross_question_jaccard(res: RunResults) -> pd.DataFrame:
    """Jaccard of top-n sets for every pair of questions, per (model, method), with random reference."""
    rows = []
    for model in res.model_names():
        for method in res.methods():
            qs = [q for q in res.questions() if (model, method, q) in res.detections]
            for qa, qb in itertools.combinations(qs, 2):
                ta, tb = QUESTIONS[qa].qtype, QUESTIONS[qb].qtype
                rows.append([model, method, qa, qb, ta, tb, "within type" if ta == tb else "across types"]
                            + _overlap_row(res.detections[(model, method, qa)]["top_heads"],
                                           res.detections[(model, method, qb)]["top_heads"], res.n_total(model)))
    cols = ["model", "method", "question_a", "question_b", "qtype_a", "qtype_b", "relation"] + OVERLAP_COLS
    return _ordered(pd.DataFrame(rows, columns=cols), res)


def cross_method_overlap(res: RunResults) -> pd.DataFrame:
    """Jaccard of top-n sets for every pair of methods, per (model, question), with random reference."""
    rows = []
    for model in res.model_names():
        for q in res.questions():
            ms = [m for m in res.methods() if (model, m, q) in res.detections]
            for ma, mb in itertools.combinations(ms, 2):
                rows.append([model, q, QUESTIONS[q].qtype, ma, mb]
                            + _overlap_row(res.detections[(model, ma, q)]["top_heads"],
                                           res.detections[(model, mb, q)]["top_heads"], res.n_total(model)))
    cols = ["model", "question", "qtype", "method_a", "method_b"] + OVERLAP_COLS
    return _ordered(pd.DataFrame(rows, columns=cols), res)


def shared_heads(res: RunResults) -> pd.DataFrame:
    """Heads in the top-n set of every method, per (model, question), vs the count expected by chance.

    Expected size of the intersection of independent random sets of sizes k_1..k_m out of N heads is
    N * prod(k_i / N). Heads are listed by their mean rank over the methods.
    """
    rows = []
    for model in res.model_names():
        n_total = res.n_total(model)
        for q in res.questions():
            ms = [m for m in res.methods() if (model, m, q) in res.detections]
            if len(ms) < 2:
                continue
            tops = [res.detections[(model, m, q)]["top_heads"] for m in ms]
            common = set(tops[0]).intersection(*map(set, tops[1:]))
            mean_rank = {h: float(np.mean([t.index(h) + 1 for t in tops])) for h in common}
            heads = sorted(common, key=lambda h: (mean_rank[h], parse_head(h)))
            expected = n_total * float(np.prod([len(t) / n_total for t in tops]))
            rows.append([model, q, QUESTIONS[q].qtype, ";".join(ms), len(ms), n_total,
                         ";".join(str(len(t)) for t in tops), len(common), expected, ";".join(heads)])
    cols = ["model", "question", "qtype", "methods", "n_methods", "n_total", "top_n", "n_shared",
            "expected_shared", "heads"]
    return _ordered(pd.DataFrame(rows, columns=cols), res)


def layer_distribution(res: RunResults) -> pd.DataFrame:
    """One row per top head: its rank, layer, head index and depth (layer / (n_layers - 1))."""
    rows = []
    for (model, method, q), det in res.detections.items():
        n_layers = int(res.models[model]["n_layers"])
        for rank, h in enumerate(det["top_heads"], start=1):
            layer, head = parse_head(h)
            rows.append((model, method, q, QUESTIONS[q].qtype, rank, h, layer, head, n_layers,
                         depth_of(layer, n_layers)))
    cols = ["model", "method", "question", "qtype", "rank", "head", "layer", "head_index", "n_layers", "depth"]
    return _ordered(pd.DataFrame(rows, columns=cols), res)


def layer_summary(layers: pd.DataFrame) -> pd.DataFrame:
    """Layer statistics of top heads per (model, method) and question, and pooled per question type."""
    cols = ["model", "method", "level", "group", "qtype", "n_heads", "mean_layer", "median_layer", "mean_depth",
            "median_depth", "sd_depth", "share_upper_half"]
    rows = []
    for (model, method), g in layers.groupby(["model", "method"], sort=False):
        parts = [("question", q, g[g["question"] == q]) for q in QUESTION_KEYS]
        parts += [("qtype", t, g[g["qtype"] == t]) for t in QTYPE_ORDER]
        for level, group, sub in parts:
            if sub.empty:
                continue
            d = sub["depth"].to_numpy(float)
            rows.append([model, method, level, group, sub["qtype"].iloc[0], len(sub),
                         float(sub["layer"].mean()), float(sub["layer"].median()), float(d.mean()),
                         float(np.median(d)), float(d.std(ddof=1)) if len(d) > 1 else 0.0, float(np.mean(d >= 0.5))])
    return pd.DataFrame(rows, columns=cols)


def score_concentration(res: RunResults) -> pd.DataFrame:
    """How concentrated each head-score distribution is, plus signs that the top list is degenerate.

    share_top_n / share_top10pct: share of the positive score mass held by the top-n heads / the best 10% of
    heads; gini: Gini coefficient of the clipped scores; n_top_positive: top heads with a positive score;
    ties_at_cutoff: heads beyond the list tied with the n-th best score (their order was decided by the
    method's secondary key, ``tie_break``); ties_both_keys: those also tied on the secondary key (layer order
    decided: the list's membership is then partly arbitrary; all of ties_at_cutoff when the file records no
    secondary key); first_tied_rank: the first rank (1-based) of the list's heads tied on both keys with those
    left out, i.e. where layer order took over (0 when it never did); degenerate: no positive score mass or all
    scores equal.
    """
    rows = []
    for (model, method, q), det in res.detections.items():
        s = np.array(list(det["scores"].values()), dtype=float)
        pos = np.clip(s, 0, None)
        total = pos.sum()
        n_total = len(s)
        desc = np.sort(pos)[::-1]
        top_n = int(det["top_n"])
        n10 = max(1, int(math.ceil(0.1 * n_total)))
        cutoff = float(det["scores"][det["top_heads"][-1]]) if top_n else np.nan
        ties = int(np.sum(s == cutoff)) - int(sum(det["scores"][h] == cutoff for h in det["top_heads"]))
        extra = det.get("extra") or {}
        tie_break = extra.get("tie_break") or {}
        both = _ties_both_keys(det, tie_break.get("scores")) if ties else 0
        first_tied = _first_tied_rank(det, tie_break.get("scores")) if both else 0
        n_pos = sum(1 for h in det["top_heads"] if det["scores"][h] > 0)
        rows.append([model, method, q, QUESTIONS[q].qtype, n_total, top_n, n_pos,
                     float(desc[:top_n].sum() / total) if total > 0 else np.nan,
                     float(desc[:n10].sum() / total) if total > 0 else np.nan, gini(pos), float(s.max()),
                     float(s.min()), ties, both, first_tied, str(tie_break.get("key", "")),
                     bool(total <= 0 or s.max() == s.min()),
                     int(det["n_samples_used"]), int(det["n_samples_excluded"]), extra.get("n_success", np.nan)])
    cols = ["model", "method", "question", "qtype", "n_total", "top_n", "n_top_positive", "share_top_n",
            "share_top10pct", "gini", "score_max", "score_min", "ties_at_cutoff", "ties_both_keys", "first_tied_rank",
            "tie_break",
            "degenerate", "n_samples_used", "n_samples_excluded", "n_success"]
    return _ordered(pd.DataFrame(rows, columns=cols), res)


def _first_tied_rank(det: dict, secondary: dict | None) -> int:
    """The rank of the first listed head tied on both keys with the list's last head (the tied block ends it)."""
    secondary = secondary or {}
    last = det["top_heads"][-1]
    key = (det["scores"][last], secondary.get(last, 0.0))
    tied = [i for i, h in enumerate(det["top_heads"], start=1) if (det["scores"][h], secondary.get(h, 0.0)) == key]
    return tied[0]


def _ties_both_keys(det: dict, secondary: dict | None) -> int:
    """Heads beyond the top list tied with its last head on the primary and the secondary score."""
    last = det["top_heads"][-1]
    if not secondary:
        secondary = dict.fromkeys(det["scores"], 0.0)
    key = (det["scores"][last], secondary.get(last, 0.0))
    listed = set(det["top_heads"])
    return sum(1 for h, v in det["scores"].items() if h not in listed and (v, secondary.get(h, 0.0)) == key)


SENSITIVITY_COLS = ["model", "method", "question", "qtype", "k_max", "pct_heads_max", "n_test", "mask_mode",
                    "mask_scope",
                    "baseline_pct", "baseline_ci_low_pct", "baseline_ci_high_pct", "top_acc_pct",
                    "top_ci_low_pct", "top_ci_high_pct", "top_drop_pp", "top_drop_ci_low_pp",
                    "top_drop_ci_high_pp", "random_acc_mean_pct", "random_drop_mean_pp", "random_drop_sd_pp",
                    "random_drop_min_pp", "random_drop_max_pp", "n_seeds", "excess_drop_pp", "drop_ci",
                    "top_beyond_random"]


def _drop_ci(base: dict, top: dict) -> tuple[float, float]:
    """Approximate 95% interval of (baseline - top) in pp from the two bootstrap intervals.

    Half-widths on each side are combined in quadrature, i.e. the two accuracies are treated as independent;
    for the same test samples under two conditions (positively correlated) this is conservative.
    """
    b, t = float(base["accuracy"]), float(top["accuracy"])
    d = b - t
    lo = d - math.hypot(b - float(base["ci_low"]), float(top["ci_high"]) - t)
    hi = d + math.hypot(float(base["ci_high"]) - b, t - float(top["ci_low"]))
    return 100 * lo, 100 * hi


def sensitivity(res: RunResults, paired: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Accuracy drop from k = 0 to each k, top-k vs random-k, per (model, method, question).

    Returns (summary at the largest k, curves at every k). Random-k drops are computed per seed against the
    shared k = 0 baseline and summarised by mean, sd (ddof=1), min and max over seeds. The top-k drop's
    interval is the paired bootstrap interval of ``paired`` (from the answers CSV; ``drop_ci`` "paired")
    where there is one, else the endpoint intervals combined (``drop_ci`` "endpoints"). ``top_beyond_random``
    is the earlier largest-k rule, kept for comparison: the lower end of the endpoint-combined drop interval
    exceeds the largest random-seed drop (the paired tests at every k are in the top_vs_random tables).
    """
    paired = paired or {}
    rows, curves = [], []
    for (model, method, q), abl in res.ablations.items():
        top = {int(r["k"]): r for r in abl["top"]}
        base = top[0]
        b = float(base["accuracy"])
        rand: dict[int, list[float]] = {}
        for r in abl.get("random", []):
            rand.setdefault(int(r["k"]), []).append(float(r["accuracy"]))
        summ = {int(r["k"]): r for r in abl.get("random_summary", [])}
        qtype = QUESTIONS[q].qtype
        for k in sorted(set(top) | set(rand) | set(summ)):
            rd = _random_drops(b, rand.get(k), summ.get(k), k)
            t = top.get(k)
            curves.append([model, method, q, qtype, k, 100 * k / res.n_total(model),
                           100 * (b - float(t["accuracy"])) if t else np.nan, *rd])
        k_max = max(top)
        t = top[k_max]
        lo_old, hi_old = _drop_ci(base, t)
        lo, hi = paired.get(((model, method, q), k_max), (lo_old, hi_old))
        rd = _random_drops(b, rand.get(k_max), summ.get(k_max), k_max)
        drop = 100 * (b - float(t["accuracy"]))
        rows.append([model, method, q, qtype, k_max, 100 * k_max / res.n_total(model), int(abl["n_test"]),
                     abl["mask_mode"], abl["mask_scope"],
                     100 * b, 100 * float(base["ci_low"]), 100 * float(base["ci_high"]), 100 * float(t["accuracy"]),
                     100 * float(t["ci_low"]), 100 * float(t["ci_high"]), drop, lo, hi,
                     100 * b - rd[0] if not np.isnan(rd[0]) else np.nan, *rd,
                     drop - rd[0] if not np.isnan(rd[0]) else np.nan,
                     "paired" if ((model, method, q), k_max) in paired else "endpoints",
                     top_beyond_random(lo_old, rd[3])])
    ccols = ["model", "method", "question", "qtype", "k", "pct_heads", "top_drop_pp", "random_drop_mean_pp",
             "random_drop_sd_pp", "random_drop_min_pp", "random_drop_max_pp", "n_seeds"]
    return (_ordered(pd.DataFrame(rows, columns=SENSITIVITY_COLS), res),
            _ordered(pd.DataFrame(curves, columns=ccols).sort_values("k", kind="stable"), res))


def _random_drops(b: float, accs: list[float] | None, summ: dict | None, k: int) -> list:
    """[mean, sd, min, max, n_seeds] of the random-k drop in pp (k = 0 is the baseline itself)."""
    if accs:
        d = 100 * (b - np.array(accs))
        return [float(d.mean()), float(d.std(ddof=1)) if len(d) > 1 else 0.0, float(d.min()), float(d.max()),
                len(d)]
    if summ:
        return [100 * (b - float(summ["mean"])), 100 * float(summ["std"]), 100 * (b - float(summ["max"])),
                100 * (b - float(summ["min"])), int(summ["n_seeds"])]
    if k == 0:
        return [0.0, 0.0, 0.0, 0.0, 0]
    return [np.nan, np.nan, np.nan, np.nan, 0]


def sensitivity_by_type(sens: pd.DataFrame) -> pd.DataFrame:
    """Mean drops at the largest k per (model, method, question type)."""
    cols = ["model", "method", "qtype", "n_questions", "questions", "k_max", "mean_top_drop_pp",
            "min_top_drop_pp", "max_top_drop_pp", "mean_random_drop_pp", "mean_excess_drop_pp"]
    rows = []
    for (model, method), gm in sens.groupby(["model", "method"], sort=False):
        for qtype in QTYPE_ORDER:
            g = gm[gm["qtype"] == qtype]
            if g.empty:
                continue
            rows.append([model, method, qtype, len(g), ";".join(g["question"]),
                         ";".join(map(str, sorted(set(g["k_max"])))), float(g["top_drop_pp"].mean()),
                         float(g["top_drop_pp"].min()), float(g["top_drop_pp"].max()),
                         float(g["random_drop_mean_pp"].mean()), float(g["excess_drop_pp"].mean())])
    return pd.DataFrame(rows, columns=cols)


def model_pairs(res: RunResults) -> pd.DataFrame:
    """Every unordered pair of models with whether their head ids are comparable (same architecture)."""
    rows = []
    for a, b in itertools.combinations(res.model_names(), 2):
        ia, ib = res.models[a], res.models[b]
        rows.append([a, b, model_kind(ia), model_kind(ib), str(ia.get("family")), str(ib.get("family")),
                     f"{ia['n_layers']}x{ia['n_heads']}", f"{ib['n_layers']}x{ib['n_heads']}",
                     same_architecture(ia, ib)])
    cols = ["model_a", "model_b", "kind_a", "kind_b", "family_a", "family_b", "shape_a", "shape_b", "same_arch"]
    return pd.DataFrame(rows, columns=cols)


def model_comparison_same_arch(res: RunResults, pairs: pd.DataFrame) -> pd.DataFrame:
    """For same-architecture pairs: Spearman of head scores and top-n overlap per (method, question)."""
    rows = []
    for pair in pairs[pairs["same_arch"]].itertuples():
        for method in res.methods():
            for q in res.questions():
                da, db = res.detections.get((pair.model_a, method, q)), res.detections.get((pair.model_b, method, q))
                if da is None or db is None:
                    continue
                rho = float(spearman(da["scores"], db["scores"]))
                rows.append([pair.model_a, pair.model_b, method, q, QUESTIONS[q].qtype, rho]
                            + _overlap_row(da["top_heads"], db["top_heads"], res.n_total(pair.model_a)))
    cols = ["model_a", "model_b", "method", "question", "qtype", "spearman"] + OVERLAP_COLS
    return _ordered(pd.DataFrame(rows, columns=cols), res)


def model_profiles(layers: pd.DataFrame, conc: pd.DataFrame, sens: pd.DataFrame) -> pd.DataFrame:
    """Architecture-free profile per (model, method, question): depth of top heads, concentration, sensitivity.

    These are the only quantities compared across models of different architectures.
    """
    keys = ["model", "method", "question", "qtype"]
    if layers.empty:
        return pd.DataFrame(columns=keys + ["mean_depth", "median_depth"])
    depth = layers.groupby(keys, sort=False)["depth"].agg(mean_depth="mean", median_depth="median").reset_index()
    out = depth.merge(conc[keys + ["share_top10pct", "gini", "degenerate"]], on=keys, how="outer")
    if not sens.empty:
        out = out.merge(sens[keys + ["k_max", "top_drop_pp", "random_drop_mean_pp", "excess_drop_pp"]],
                        on=keys, how="left")
    return out


# --------------------------------------------------------------------------------------------- bundle


@dataclass
class Analysis:
    """All tables of one run (see the module docstring for units)."""

    results: RunResults
    detection: pd.DataFrame
    ablation: pd.DataFrame
    random_summary: pd.DataFrame
    cross_question: pd.DataFrame
    cross_method: pd.DataFrame
    shared: pd.DataFrame
    layers: pd.DataFrame
    layer_summary: pd.DataFrame
    concentration: pd.DataFrame
    sensitivity: pd.DataFrame
    sensitivity_curves: pd.DataFrame
    sensitivity_by_type: pd.DataFrame
    model_pairs: pd.DataFrame
    model_same_arch: pd.DataFrame
    model_profiles: pd.DataFrame
    top_vs_random_by_k: pd.DataFrame
    top_vs_random_curves: pd.DataFrame

    @property
    def run_dir(self) -> Path:
        """The run directory analysed."""
        return self.results.run_dir


def analyze(run_dir: Path | RunResults) -> Analysis:
    """Load a run and compute every table."""
    res = run_dir if isinstance(run_dir, RunResults) else load_run(Path(run_dir))
    layers = layer_distribution(res)
    conc = score_concentration(res)
    sens, curves = sensitivity(res, paired_drop_intervals(res))
    by_k, gaps = top_vs_random(res)
    pairs = model_pairs(res)
    return Analysis(
        results=res,
        detection=detection_table(res),
        ablation=ablation_table(res),
        random_summary=random_summary_table(res),
        cross_question=cross_question_jaccard(res),
        cross_method=cross_method_overlap(res),
        shared=shared_heads(res),
        layers=layers,
        layer_summary=layer_summary(layers),
        concentration=conc,
        sensitivity=sens,
        sensitivity_curves=curves,
        sensitivity_by_type=sensitivity_by_type(sens),
        model_pairs=pairs,
        model_same_arch=model_comparison_same_arch(res, pairs),
        model_profiles=_ordered(model_profiles(layers, conc, sens), res),
        top_vs_random_by_k=_ordered(by_k, res),
        top_vs_random_curves=_ordered(gaps, res),
    )


# Table name (CSV file stem) -> Analysis attribute. The per-head score table is not written (it is the
# detection JSON again); everything else is.
TABLE_FILES: dict[str, str] = {
    "ablation_curves": "ablation",
    "random_summary": "random_summary",
    "cross_question_jaccard": "cross_question",
    "cross_method_overlap": "cross_method",
    "shared_heads": "shared",
    "top_head_layers": "layers",
    "layer_summary": "layer_summary",
    "score_concentration": "concentration",
    "sensitivity": "sensitivity",
    "sensitivity_curves": "sensitivity_curves",
    "sensitivity_by_type": "sensitivity_by_type",
    "model_pairs": "model_pairs",
    "model_comparison_same_arch": "model_same_arch",
    "model_profiles": "model_profiles",
    "top_vs_random_by_k": "top_vs_random_by_k",
    "top_vs_random_curves": "top_vs_random_curves",
}


def tables_dir(run_dir: Path) -> Path:
    """Where the summary CSVs of a run go."""
    return Path(run_dir) / "figures" / "tables"


def write_tables(analysis: Analysis, out_dir: Path | None = None) -> dict[str, Path]:
    """Write every summary table as ``<out_dir>/<name>.csv`` (default ``<run>/figures/tables``)."""
    out_dir = Path(out_dir) if out_dir is not None else tables_dir(analysis.run_dir)
    written = {}
    for name, attr in TABLE_FILES.items():
        text = getattr(analysis, attr).to_csv(index=False, float_format="%.6g")
        written[name] = atomic_write_text(out_dir / f"{name}.csv", text)
    return written
