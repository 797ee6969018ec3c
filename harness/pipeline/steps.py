"""The study's steps over a whole configuration, in run order: prepare, detect, ablate, figures, report.

Each function takes the validated configuration and the user's restrictions (one model, one data set, a
data-parallel shard) and runs its step for every (data set, model) it covers; :func:`run_demo` runs them
all. The command line (``harness/cli.py``) only parses arguments and calls these.

A limited run (``--limit N``, :class:`RunLimit`) is the same configuration on the first N usable filings of
each split, in folders of its own (:func:`limited_config`: ``results/<run>-limitN``,
``data/prepared/<label>-limitN``, a generated corpus in ``data/generated/<label>-limitN``), so it never
touches a full run's files. Its preparation is the full one (into ``<prepared>/full/``, so the split is the
full run's), cut to N filings per split (:func:`cut_splits`).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.config import ConfigError, DatasetConfig, ExperimentConfig, ModelConfig, from_dict
from harness.store.atomic import atomic_write_json

STUDY_STEPS = ("prepare", "detect", "ablate", "figures", "report")
SPLITS = ("train", "test")
FULL_SPLIT_DIR = "full"  # where a limited run keeps its full preparation, inside its prepared folder


@dataclass(frozen=True)
class RunLimit:
    """A run on the first ``n`` usable filings of each split, in folders suffixed ``-<tag>`` (``-limit<n>``)."""

    n: int
    tag: str = ""

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ConfigError(f"--limit must be >= 1, got {self.n}")

    @property
    def suffix(self) -> str:
        """What the limited run's folder names end with (``-limit3``, ``-smoke``)."""
        return "-" + (self.tag or f"limit{self.n}")


@dataclass(frozen=True)
class StepTime:
    """Wall time of one step on one (data set, model); ``load_seconds`` of it spent loading the model."""

    step: str
    dataset: str
    model: str
    seconds: float
    load_seconds: float = 0.0


def limited_config(cfg: ExperimentConfig, limit: RunLimit,
                   questions: Sequence[str] | None = None) -> ExperimentConfig:
    """``cfg`` with its results and prepared-data folders moved to ``<folder><suffix>`` (and, when given,
    only ``questions``): a limited run never reads or writes a full run's files."""
    data = cfg.to_dict()
    data["results_dir"] = f"{cfg.results_dir}{limit.suffix}"
    for d in data["datasets"]:
        d["prepared_dir"] = f"{d['prepared_dir']}{limit.suffix}"
    if questions is not None:
        data["questions"] = list(questions)
    return from_dict(data, cfg.source or cfg.name)


def generated_dir_for(d: DatasetConfig, limit: RunLimit | None = None) -> Path:
    """Where the synthetic generator writes data set ``d`` (a limited run's copy beside the full run's)."""
    return d.generated_dir if limit is None else Path(f"{d.generated_dir}{limit.suffix}")


def cut_splits(full_dir: str | Path, out_dir: str | Path, n: int, questions: Sequence[str]) -> dict[str, int]:
    """Write the first ``n`` filings of each split of ``full_dir`` with a usable question among ``questions``
    into ``out_dir`` (same file names; ``meta.limit`` says what was kept of what). Returns the sizes: ``train``,
    ``test`` kept and ``full_train``, ``full_test``."""
    sizes: dict[str, int] = {}
    for part in SPLITS:
        src = json.loads((Path(full_dir) / f"{part}_samples.json").read_text())
        usable = [s for s in src["samples"] if any((s.get("usable") or {}).get(q) for q in questions)]
        kept = usable[:n]
        meta = {**src["meta"], "part": part, "n_samples": len(kept),
                "limit": {"n": n, "questions": list(questions), "kept": len(kept), "usable": len(usable),
                          "of": len(src["samples"]), "full_split": str(Path(full_dir) / f"{part}_samples.json")}}
        atomic_write_json(Path(out_dir) / f"{part}_samples.json", {"meta": meta, "samples": kept})
        sizes[part], sizes[f"full_{part}"] = len(kept), len(src["samples"])
    return sizes


def run_dir_for(cfg: ExperimentConfig, dataset: DatasetConfig) -> Path:
    """results/<run>/<dataset label>: one self-contained result tree per data set."""
    return Path(cfg.results_dir) / dataset.label


def select_datasets(cfg: ExperimentConfig, only: str | None) -> list[DatasetConfig]:
    """The configuration's data sets, or the one labelled ``only`` (ConfigError naming the labels if none)."""
    ds = [d for d in cfg.datasets if only is None or d.label == only]
    if not ds:
        raise ConfigError(f"no dataset labelled {only!r} in the config ({[d.label for d in cfg.datasets]})")
    return ds


def select_models(cfg: ExperimentConfig, only: str | None) -> list[ModelConfig]:
    """The configuration's models, or the one named ``only``."""
    ms = [m for m in cfg.models if only is None or m.name == only]
    if not ms:
        raise ConfigError(f"no model named {only!r} in the config ({[m.name for m in cfg.models]})")
    return ms


def prepare_datasets(cfg: ExperimentConfig, only: str | None = None, limit: RunLimit | None = None,
                     strict: bool | None = None) -> dict[str, dict[str, int]]:
    """Generate the synthetic corpus where configured, then validate and split every data set (for a limited
    run: the full preparation into ``<prepared>/full``, cut to ``limit.n`` filings per split). Returns the
    split sizes of every data set prepared (``train``, ``test``; for a limited run also ``full_train``,
    ``full_test``). ``strict``: override every data set's ``strict`` (a malformed corpus / evidence line is an
    error)."""
    from harness.pipeline.prepare import prepare

    sizes: dict[str, dict[str, int]] = {}
    for d in select_datasets(cfg, only):
        csv_path, corpus = d.csv, d.corpus
        if d.generate:
            from harness.pipeline.generate import generate_corpus

            g = generate_corpus(generated_dir_for(d, limit), n_filings=d.generate["n_filings"],
                                seed=d.generate["seed"])
            csv_path, corpus = g.csv_path, g.corpus_path
        if (csv_path is None or not Path(csv_path).exists()) and d.optional:
            print(f"warning: data set {d.label!r} skipped: its CSV {csv_path} was not found (optional data set)",
                  file=sys.stderr)
            continue
        out = Path(d.prepared_dir) if limit is None else Path(d.prepared_dir) / FULL_SPLIT_DIR
        res = prepare(csv_path, out, corpus=corpus, text_column=d.text_column, columns=d.columns or None,
                      join=d.join, evidence_file=d.evidence_file, strict=d.strict if strict is None else strict)
        print(f"[prepare] {d.label}: {res.summary_line()}")
        sizes[d.label] = {"train": res.n_train, "test": res.n_test}
        if limit is not None:
            sizes[d.label] = cut_splits(out, d.prepared_dir, limit.n, cfg.questions)
            print(f"[prepare] {d.label}: --limit {limit.n}: train {sizes[d.label]['train']}, test "
                  f"{sizes[d.label]['test']} filings in {d.prepared_dir}")
    return sizes


def _prepared(d: DatasetConfig, limit: RunLimit | None) -> bool:
    ok = (Path(d.prepared_dir) / "train_samples.json").exists()
    if not ok and d.optional:
        print(f"[skip] {d.label}: not prepared (optional data set)")
        return False
    if not ok and limit is not None:
        raise FileNotFoundError(f"{d.prepared_dir}/train_samples.json not found: a limited run has its own "
                                f"prepared data; run `python -m harness prepare --limit {limit.n}` with the same "
                                "--config first")
    return True


def run_model_step(cfg: ExperimentConfig, step: str, model: str | None = None, dataset: str | None = None,
                   shard=None, limit: RunLimit | None = None, preload: bool = False) -> list[StepTime]:
    """Detection or ablation for every (data set, model); the merging process writes the run manifest.
    ``preload``: load the model before the step (so its load time is measured apart). Returns the times."""
    from harness.pipeline.ablate import run_ablation
    from harness.pipeline.context import StudyContext
    from harness.pipeline.detect import run_detection
    from harness.pipeline.shards import Shard

    runner = {"detect": run_detection, "ablate": run_ablation}[step]
    times: list[StepTime] = []
    for d in select_datasets(cfg, dataset):
        if not _prepared(d, limit):
            continue
        rd = run_dir_for(cfg, d)
        for m in select_models(cfg, model):
            t = time.time()
            ctx = StudyContext(cfg, d, m, rd, shard or Shard.from_env())
            if preload:
                _ = ctx.loaded  # loaded now, so that its load time is measured apart
            load_s = time.time() - t
            runner(ctx)
            if not ctx.shard.merges:
                continue
            write_manifest(cfg, d, rd, ctx)
            times.append(StepTime(step, d.label, m.name, time.time() - t, load_s if preload else 0.0))
            print(f"[{step}] {d.label} {m.name}: {times[-1].seconds:.1f} s")
    return times


def write_manifest(cfg: ExperimentConfig, d: DatasetConfig, rd: Path, ctx) -> None:
    """results/<run>/<data set>/run_manifest.json: the configuration, the models seen, the split sizes."""
    from dataclasses import asdict

    from harness.pipeline.context import load_split

    path = rd / "run_manifest.json"
    old = json.loads(path.read_text()) if path.exists() else {}
    models = dict(old.get("models", {}))
    if ctx.model_loaded:
        models[ctx.model_cfg.name] = asdict(ctx.loaded.info)
    train, test = load_split(d.prepared_dir, "train"), load_split(d.prepared_dir, "test")
    manifest = {
        "config": cfg.to_dict(), "models": models,
        "data": {"label": d.label, "synthetic": bool(d.synthetic), "train": len(train), "test": len(test),
                 "prepared_dir": str(d.prepared_dir), "csv": str(d.csv) if d.csv else None},
    }
    atomic_write_json(path, manifest)


def finished_runs(cfg: ExperimentConfig, step: str, dataset: str | None = None):
    """(data set, run folder) of every data set that has results; the others are reported and skipped."""
    for d in select_datasets(cfg, dataset):
        rd = run_dir_for(cfg, d)
        if (rd / "run_manifest.json").exists():
            yield d, rd
        else:
            print(f"[{step}] {d.label}: no results in {rd}, skipped")


def draw_figures(run_dir: Path, pdf: bool = True) -> None:
    """Every figure and table of one run folder."""
    from harness.analysis.figures import figures_dir, make_figures

    paths = make_figures(run_dir, pdf=pdf)
    print(f"[figures] {run_dir.name}: {len(paths)} files in {figures_dir(run_dir)}")


def write_report(run_dir: Path, out: Path | None = None) -> None:
    """FINDINGS.md of one run folder."""
    from harness.analysis.findings import write_findings

    print(f"[report] {run_dir.name}: {write_findings(run_dir, out)}")


def run_demo(cfg: ExperimentConfig, model: str | None = None, dataset: str | None = None, shard=None,
             limit: RunLimit | None = None) -> None:
    """Every step in order, then where FINDINGS.md and the figures are."""
    t0 = time.time()
    prepare_datasets(cfg, dataset, limit)
    run_model_step(cfg, "detect", model, dataset, shard, limit)
    run_model_step(cfg, "ablate", model, dataset, shard, limit)
    for _, rd in finished_runs(cfg, "figures", dataset):
        draw_figures(rd)
    for _, rd in finished_runs(cfg, "report", dataset):
        write_report(rd)
    print(f"\nDone in {time.time() - t0:.0f} s.")
    for d in select_datasets(cfg, dataset):
        rd = run_dir_for(cfg, d)
        if (rd / "FINDINGS.md").exists():
            print(f"  {d.label}: FINDINGS {rd / 'FINDINGS.md'}  figures {rd / 'figures'}")
