"""The study's steps over a whole configuration, in run order: prepare, detect, ablate, figures, report.

Each function takes the validated configuration and the user's restrictions (one model, one data set, a
data-parallel shard) and runs its step for every (data set, model) it covers; :func:`run_demo` runs them
all. The command line (``harness/cli.py``) only parses arguments and calls these.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from harness.config import ConfigError, DatasetConfig, ExperimentConfig, ModelConfig
from harness.store.atomic import atomic_write_json

STUDY_STEPS = ("prepare", "detect", "ablate", "figures", "report")


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


def prepare_datasets(cfg: ExperimentConfig, only: str | None = None, strict: bool | None = None) -> None:
    """Generate the synthetic corpus where configured, then validate and split every data set.

    ``strict``: override every data set's ``strict`` (a malformed corpus / evidence line is an error).
    """
    from harness.pipeline.prepare import prepare

    for d in select_datasets(cfg, only):
        csv_path, corpus = d.csv, d.corpus
        if d.generate:
            from harness.pipeline.generate import generate_corpus

            g = generate_corpus(d.generated_dir, n_filings=d.generate["n_filings"], seed=d.generate["seed"])
            csv_path, corpus = g.csv_path, g.corpus_path
        if (csv_path is None or not Path(csv_path).exists()) and d.optional:
            print(f"warning: data set {d.label!r} skipped: its CSV {csv_path} was not found (optional data set)",
                  file=sys.stderr)
            continue
        res = prepare(csv_path, d.prepared_dir, corpus=corpus, text_column=d.text_column,
                      columns=d.columns or None, join=d.join, evidence_file=d.evidence_file,
                      strict=d.strict if strict is None else strict)
        print(f"[prepare] {d.label}: {res.summary_line()}")


def _prepared(d: DatasetConfig) -> bool:
    ok = (Path(d.prepared_dir) / "train_samples.json").exists()
    if not ok and d.optional:
        print(f"[skip] {d.label}: not prepared (optional data set)")
        return False
    return True


def run_model_step(cfg: ExperimentConfig, step: str, model: str | None = None, dataset: str | None = None,
                   shard=None) -> None:
    """Detection or ablation for every (data set, model); the merging process writes the run manifest."""
    from harness.pipeline.ablate import run_ablation
    from harness.pipeline.context import StudyContext
    from harness.pipeline.detect import run_detection
    from harness.pipeline.shards import Shard

    runner = {"detect": run_detection, "ablate": run_ablation}[step]
    for d in select_datasets(cfg, dataset):
        if not _prepared(d):
            continue
        rd = run_dir_for(cfg, d)
        for m in select_models(cfg, model):
            t = time.time()
            ctx = StudyContext(cfg, d, m, rd, shard or Shard.from_env())
            runner(ctx)
            if not ctx.shard.merges:
                continue
            write_manifest(cfg, d, rd, ctx)
            print(f"[{step}] {d.label} {m.name}: {time.time() - t:.1f} s")


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


def run_demo(cfg: ExperimentConfig, model: str | None = None, dataset: str | None = None, shard=None) -> None:
    """Every step in order, then where FINDINGS.md and the figures are."""
    t0 = time.time()
    prepare_datasets(cfg, dataset)
    run_model_step(cfg, "detect", model, dataset, shard)
    run_model_step(cfg, "ablate", model, dataset, shard)
    for _, rd in finished_runs(cfg, "figures", dataset):
        draw_figures(rd)
    for _, rd in finished_runs(cfg, "report", dataset):
        write_report(rd)
    print(f"\nDone in {time.time() - t0:.0f} s.")
    for d in select_datasets(cfg, dataset):
        rd = run_dir_for(cfg, d)
        if (rd / "FINDINGS.md").exists():
            print(f"  {d.label}: FINDINGS {rd / 'FINDINGS.md'}  figures {rd / 'figures'}")
