"""The Setup section of FINDINGS.md: models, data, split sizes, settings and which units the run holds."""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np

from harness.analysis.format import mask_semantics, md_table, method_name, question_name, share_of_heads
from harness.analysis.loading import RunResults, model_kind
from harness.analysis.tables import Analysis


def find_setting(res: RunResults, names: Sequence[str]) -> list[str]:
    """Distinct values of the first of ``names`` found in the manifest config or the result files' settings."""
    found: list[str] = []

    def add(v: object) -> None:
        s = json.dumps(v) if isinstance(v, (list, dict)) else str(v)
        if s not in found:
            found.append(s)

    cfg = res.manifest.get("config", {})
    for n in names:
        if n in cfg:
            add(cfg[n])
            return found
    for sub in cfg.values():
        if isinstance(sub, dict):
            for n in names:
                if n in sub:
                    add(sub[n])
    if found:
        return found
    for obj in list(res.ablations.values()) + list(res.detections.values()):
        for where in (obj.get("settings") or {}, obj):
            for n in names:
                if n in where:
                    add(where[n])
                    break
    return found


def setting_text(res: RunResults, names: Sequence[str]) -> str:
    """The values of a setting as inline code ('`512`' / '`a` / `b`'), or 'not recorded'."""
    vals = find_setting(res, names)
    return " / ".join(f"`{v}`" for v in vals) if vals else "not recorded"


def _models_lines(res: RunResults) -> list[str]:
    rows = []
    for m in res.model_names():
        info = res.models[m]
        shape = f"{info['n_layers']} x {info['n_heads']}"
        if info.get("n_kv_heads"):
            shape += f" ({info['n_kv_heads']} KV heads)"
        rows.append([f"`{m}`", f"`{info.get('id', m)}`", f"`{info.get('revision_or_hash', 'not recorded')}`",
                     model_kind(info), info.get("family", "not recorded"), shape, info["n_layers"] * info["n_heads"],
                     info.get("attn_implementation", info.get("attn", "not recorded")),
                     "yes" if info.get("random_weights") else "no"])
    return ["### Models", "", md_table(["name", "id", "revision / weights hash", "used as", "family",
                                        "layers x heads", "heads", "attention", "random weights"], rows)]


def _data_set_lines(res: RunResults) -> list[str]:
    """Label, synthetic or real, split sizes and hash of the data set."""
    data = res.manifest.get("data", {})
    label = data.get("label") or data.get("dataset") or data.get("dataset_label") or data.get("name")
    if not label:
        labels = sorted({str(o.get("dataset")) for o in list(res.detections.values()) + list(res.ablations.values())
                         if o.get("dataset")})
        label = " / ".join(labels) if labels else "not recorded"
    if "synthetic" in data:
        synth = ("**synthetic** (generated corpus; no statement here is about real filings)" if data["synthetic"]
                 else "real filings")
    else:
        synth = "not recorded (no `data.synthetic` in run_manifest.json)"
    out = ["### Data", "", f"- Data set: {label}; {synth}."]
    if "train" in data or "test" in data:
        out.append(f"- Split sizes (run manifest): train {data.get('train', 'not recorded')}, "
                   f"test {data.get('test', 'not recorded')}.")
    else:
        n_train = sorted({str(o.get("settings", {}).get("n_train")) for o in res.detections.values()
                          if o.get("settings", {}).get("n_train") is not None})
        out.append("- Split sizes: not in a run manifest; train split per detection settings: "
                   + (" / ".join(n_train) if n_train else "not recorded") + ".")
    for key in ("data_hash", "hash", "sha256"):
        if key in data:
            out.append(f"- Data hash: `{data[key]}`.")
    return out


def _sample_lines(an: Analysis) -> list[str]:
    """Train samples behind each detection and test samples per question."""
    out = []
    conc = an.concentration
    if not conc.empty:
        out += ["- Train samples behind each detection (used / excluded; Wu24: samples that passed the "
                "success gate), and how many of the listed top heads have a positive score (the rest are ranked "
                "by the method's secondary key alone):", ""]
        rows = [[r.model, method_name(r.method), question_name(r.question), r.n_samples_used, r.n_samples_excluded,
                 "" if not np.isfinite(r.n_success) else int(r.n_success), f"{r.n_top_positive} of {r.top_n}"]
                for r in conc.itertuples()]
        out.append(md_table(["model", "method", "question", "used", "excluded", "Wu24 successes",
                             "top heads with a positive score"], rows))
        out += ["", "- Ranking: heads by descending score; heads tied on it by the method's secondary key, then "
                "layer order: " + "; ".join(f"{method_name(m)}: {k or 'none recorded'}" for m, k in
                                            _tie_breaks(conc)) + "."]
    sens = an.sensitivity
    if not sens.empty:
        nt = sens.groupby(["model", "question"], sort=False)["n_test"].agg(lambda s: "/".join(map(str, sorted(set(s)))))
        out += ["", "- Test samples per question (usable for that question): "
                + "; ".join(f"{m} {question_name(q)} {v}" for (m, q), v in nt.items()) + "."]
    return out


def answer_counts_text(res: RunResults) -> str:
    """Per model and question: empty answers and answers cut off at max_new_tokens, as the unit files count them
    (detection: every train answer; ablation: the k = 0 test answers)."""
    parts = []
    for kind, store, total in (("detection, train answers", res.detections, "n_train"),
                               ("ablation, k = 0 test answers", res.ablations, "n_test")):
        seen: dict[tuple[str, str], str] = {}
        for (m, _, q), obj in store.items():
            if (m, q) in seen or obj.get("n_empty_answers") is None:
                continue
            n = obj.get(total, (obj.get("settings") or {}).get(total, "?"))
            seen[(m, q)] = f"{m} {question_name(q)} {obj['n_empty_answers']} / {obj.get('n_max_tokens', '?')} of {n}"
        if seen:
            parts.append(f"{kind}: " + "; ".join(seen.values()))
    return " — ".join(parts) if parts else "not recorded"


def _tie_breaks(conc) -> list[tuple[str, str]]:
    """(method, its secondary key as the detection files record it), in table order."""
    seen: dict[str, str] = {}
    for r in conc.itertuples():
        seen.setdefault(r.method, r.tie_break)
    return list(seen.items())


def _grid_text(res: RunResults, model: str, grid: list[int]) -> str:
    """'[0, 3, 5] (0 to 1.9% of the 270 heads)'."""
    n = res.n_total(model) if model in res.models else 0
    share = f" (0 to {share_of_heads(100 * max(grid) / n)} of the {n} heads)" if n and grid else ""
    return json.dumps(grid) + share


def _settings_lines(res: RunResults) -> list[str]:
    kg = sorted({(m, _grid_text(res, m, list(o["k_grid"]))) for (m, _, _), o in res.ablations.items()})
    seeds = sorted({json.dumps(o.get("seeds")) for o in res.ablations.values()})
    topn = sorted({(m, o["top_n"]) for (m, _, _), o in res.detections.items()})
    modes = sorted({(o["mask_mode"], o["mask_scope"]) for o in res.ablations.values()})
    out = ["### Settings", "",
           f"- Context budget (tokens): {setting_text(res, ['context_tokens', 'context_token_budget'])}.",
           f"- Max new tokens: {setting_text(res, ['max_new_tokens'])}; stop rule: {setting_text(res, ['stop'])}.",
           f"- Empty answers / answers cut off at max new tokens without stopping: {answer_counts_text(res)}.",
           f"- Wu24 success gate: {setting_text(res, ['wu24_gate', 'gate'])}.",
           "- Top-n per model: " + ("; ".join(f"{m}: {n}" for m, n in topn) or "no detection results") + ".",
           "- k grid per model: " + ("; ".join(f"{m}: {g}" for m, g in kg) or "no ablation results") + ".",
           f"- Random-k seeds: {' / '.join(seeds) if seeds else 'no ablation results'}.",
           "- Head mask: " + ("; ".join(mask_semantics([a], [b]) for a, b in modes) or "no ablation results") + ".",
           f"- Bootstrap resamples: {setting_text(res, ['n_bootstrap'])}."]
    cfg = res.manifest.get("config")
    if cfg:
        out += ["", "<details><summary>Full run configuration (run_manifest.json)</summary>", "", "```json",
                json.dumps(cfg, indent=1, sort_keys=True, default=str), "```", "", "</details>"]
    return out


def _contents_lines(res: RunResults) -> list[str]:
    """How many units the run holds, which are missing and which carry no numbers."""
    out = ["### What this run contains", "",
           f"- {len(res.detections)} detection result(s) and {len(res.ablations)} ablation curve(s) over "
           f"{len(res.model_names())} model(s), {len(res.methods())} method(s) and {len(res.questions())} "
           "question(s)."]
    expected = {(m, me, q) for m in res.model_names() for me in res.methods() for q in res.questions()}
    for kind, store in (("detection", res.detections), ("ablation", res.ablations)):
        missing = sorted(expected - set(store) - {k for kd, k, _ in res.skipped if kd == kind})
        if missing:
            out.append(f"- Missing {kind} results: " + "; ".join(f"{m} {method_name(me)} {question_name(q)}"
                                                                  for m, me, q in missing) + ".")
    for kind, (m, me, q), why in res.skipped:
        out.append(f"- {kind.capitalize()} {m} {method_name(me)} {question_name(q)} has no usable numbers: {why}.")
    return out


def section_setup(an: Analysis) -> list[str]:
    """Models, data, split sizes, settings and which units exist."""
    res = an.results
    return (["## Setup", ""] + _models_lines(res) + [""] + _data_set_lines(res) + _sample_lines(an) + [""]
            + _settings_lines(res) + [""] + _contents_lines(res))
