"""Read a run folder through the record schemas into :class:`RunResults`, the input of every table.

A run folder holds ``detection/<method>/<model>__<question>.json``, ``ablation/<method>/...json`` (each
with its ``.answers.csv``: every test answer under every condition) and ``run_manifest.json``. Each file is validated by its schema in :mod:`harness.store.records`; a bad file
raises :class:`~harness.store.records.RecordError` naming the file and the field. What the tables read is
the validated content as plain dicts, holding exactly the fields the file holds (no defaults filled in).
Checks that span files (one result per unit, one shape per model) are made here.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from adapters.questions import QUESTION_KEYS
from harness.methods.registry import method_order
from harness.store.records import AblationUnit, DetectionUnit, Manifest, RecordError, UnitHeader, load_record

Key = tuple[str, str, str]  # (model, method, question)
ANSWER_COLUMNS = ("sample_id", "kind", "k", "seed", "correct")  # what the analysis reads of an answers CSV

UNIT_SCHEMAS: dict[str, type[UnitHeader]] = {"detection": DetectionUnit, "ablation": AblationUnit}


@dataclass
class RunResults:
    """Everything a run wrote, as validated plain dicts, keyed by (model, method, question)."""

    run_dir: Path
    manifest: dict
    models: dict[str, dict]
    detections: dict[Key, dict]
    ablations: dict[Key, dict]
    paths: dict[tuple[str, Key], Path]
    skipped: list[tuple[str, Key, str]]  # (kind, key, reason): units present but without usable numbers
    answers: dict[Key, pd.DataFrame] = field(default_factory=dict)  # per ablation unit: its answers CSV

    @property
    def synthetic(self) -> bool:
        """True when the run's data set is synthetic (run_manifest data.synthetic)."""
        return bool(self.manifest.get("data", {}).get("synthetic", False))

    def model_names(self) -> list[str]:
        """Models in manifest order, then any others found in result files."""
        names = list(self.manifest.get("models", {}))
        return names + sorted(m for m in self.models if m not in names)

    def methods(self) -> list[str]:
        """Methods present, in the registry's order."""
        return method_order({k[1] for k in itertools.chain(self.detections, self.ablations)})

    def questions(self) -> list[str]:
        """Questions present, in the study's order."""
        found = {k[2] for k in itertools.chain(self.detections, self.ablations)}
        return [q for q in QUESTION_KEYS if q in found]

    def n_total(self, model: str) -> int:
        """Number of attention heads of ``model``."""
        info = self.models[model]
        return int(info["n_layers"]) * int(info["n_heads"])


def model_kind(info: dict) -> str:
    """'instruct' or 'base': model_info is_instruct when recorded, else whether a chat template was used."""
    flag = info.get("is_instruct", info.get("chat_template"))
    return "instruct" if flag else "base"


def same_architecture(a: dict, b: dict) -> bool:
    """True when two models share family and n_layers x n_heads, so head ids can be compared."""
    return (str(a.get("family")) == str(b.get("family")) and int(a["n_layers"]) == int(b["n_layers"])
            and int(a["n_heads"]) == int(b["n_heads"]))


def read_unit(kind: str, path: Path) -> dict[str, Any]:
    """One detection or ablation file, validated by its schema, as the dict of the fields it holds."""
    return load_record(UNIT_SCHEMAS[kind], path).model_dump(exclude_unset=True)


def read_manifest(run_dir: Path) -> dict[str, Any]:
    """``run_manifest.json`` of ``run_dir``, validated; an empty dict when the run has none."""
    path = Path(run_dir) / "run_manifest.json"
    return load_record(Manifest, path).model_dump(exclude_unset=True) if path.exists() else {}


def unusable_reason(kind: str, unit: dict) -> str:
    """Why a well-formed unit carries no numbers to analyse ('' when it does)."""
    if kind == "detection":
        if not unit["top_heads"]:
            return (f"no top heads ({unit['n_samples_used']} samples used, "
                    f"{unit['n_samples_excluded']} excluded)")
        return ""
    if not unit["top"]:
        return str(unit.get("note") or "no top-k curve")
    if next(r for r in unit["top"] if int(r["k"]) == 0)["accuracy"] is None:
        return f"no usable test samples (n_test = {unit['n_test']})"
    return ""


def read_answers(path: Path) -> pd.DataFrame:
    """An ablation unit's answers CSV as (sample_id, kind, k, seed, correct): one row per test answer under
    one condition (kind 'top' or 'random'; seed -1 for top-k); RecordError naming the file when unusable."""
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise RecordError(f"{path}: cannot read the answers CSV ({exc})") from exc
    missing = [c for c in ANSWER_COLUMNS if c not in raw.columns]
    if missing:
        raise RecordError(f"{path}: answers CSV lacks column(s) {', '.join(missing)}")
    kinds = set(raw["kind"])
    if not kinds <= {"top", "random"}:
        raise RecordError(f"{path}: column kind: expected 'top' or 'random', got {sorted(kinds - {'top', 'random'})}")
    flags = raw["correct"].str.strip().str.lower()
    if not set(flags) <= {"true", "false", "1", "0"}:
        raise RecordError(f"{path}: column correct: expected True/False, got {sorted(set(flags))[:3]}")
    try:
        ks = raw["k"].astype(int)
        seeds = raw["seed"].replace("", "-1").astype(float).astype(int)
    except ValueError as exc:
        raise RecordError(f"{path}: columns k / seed: expected integers ({exc})") from exc
    return pd.DataFrame({"sample_id": raw["sample_id"], "kind": raw["kind"], "k": ks, "seed": seeds,
                         "correct": flags.isin(["true", "1"])})


def answers_path(unit_path: Path, unit: dict) -> Path:
    """Where an ablation unit's answers CSV lies: beside the unit file, under the name the unit records."""
    name = Path(str(unit.get("answers_csv") or "")).name
    return unit_path.parent / name if name else unit_path.with_suffix(".answers.csv")


def _merge_model_info(models: dict[str, dict], unit: dict, path: Path) -> None:
    """Add a unit's model_info to ``models``; its shape must agree with what the run recorded elsewhere."""
    info = unit["model_info"]
    known = models.setdefault(str(unit["model"]), dict(info))
    for name in ("n_layers", "n_heads"):
        if int(known.get(name, info[name])) != int(info[name]):
            raise RecordError(f"{path}: key model_info.{name} = {info[name]} disagrees with {known[name]} "
                              f"recorded for model {unit['model']!r} elsewhere in the run")
    for name, value in info.items():
        known.setdefault(name, value)


def load_run(run_dir: Path) -> RunResults:
    """Read ``run_manifest.json`` and every detection/ablation JSON of ``run_dir`` (recursively)."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RecordError(f"{run_dir}: run directory does not exist")
    manifest = read_manifest(run_dir)
    models = {name: dict(info) for name, info in manifest.get("models", {}).items()}
    stores: dict[str, dict[Key, dict]] = {"detection": {}, "ablation": {}}
    paths: dict[tuple[str, Key], Path] = {}
    skipped: list[tuple[str, Key, str]] = []
    for kind, store in stores.items():
        for path in sorted((run_dir / kind).glob("**/*.json")):
            if path.name.startswith("."):
                continue  # temporary file of an atomic write in progress
            unit = read_unit(kind, path)
            key = (str(unit["model"]), str(unit["method"]), str(unit["question"]))
            if (kind, key) in paths:
                raise RecordError(f"{path}: duplicate {kind} result for {key}; also in {paths[(kind, key)]}")
            paths[(kind, key)] = path
            reason = unusable_reason(kind, unit)
            if reason:
                skipped.append((kind, key, reason))
            else:
                store[key] = unit
            _merge_model_info(models, unit, path)
    if not paths:
        raise RecordError(f"{run_dir}: no result files under detection/ or ablation/")
    answers = {}
    for key in stores["ablation"]:
        csv_path = answers_path(paths[("ablation", key)], stores["ablation"][key])
        if csv_path.exists():
            answers[key] = read_answers(csv_path)
    return RunResults(run_dir, manifest, models, stores["detection"], stores["ablation"], paths, skipped, answers)
