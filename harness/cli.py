"""Command line: ``python -m harness <step> --config <preset or file>``; the Make targets call the same code.

Steps: prepare, detect, ablate, figures, report, demo (all of them in order), diff-upstream, bench.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

from harness import runstore
from harness.config import ExperimentConfig, load_config

log = logging.getLogger("harness")
STEPS = ("prepare", "detect", "ablate", "figures", "report", "demo", "diff-upstream", "bench")
# The study steps each command runs (what harness.preflight checks the packages of, before any work).
STEPS_RUN: dict[str, tuple[str, ...]] = {s: (s,) for s in ("prepare", "detect", "ablate", "figures", "report")}
STEPS_RUN["demo"] = ("prepare", "detect", "ablate", "figures", "report")


def _parse_overrides(items: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise SystemExit(f"--set expects key=value, got {item!r}")
        k, v = item.split("=", 1)
        try:
            out[k] = json.loads(v)
        except json.JSONDecodeError:
            out[k] = v
    return out


def run_dir_for(cfg: ExperimentConfig, dataset) -> Path:
    """results/<run>/<dataset label>: one self-contained result tree per data set."""
    return Path(cfg.results_dir) / dataset.label


def _datasets(cfg: ExperimentConfig, only: str | None):
    ds = [d for d in cfg.datasets if only is None or d.label == only]
    if not ds:
        raise SystemExit(f"no dataset labelled {only!r} in the config ({[d.label for d in cfg.datasets]})")
    return ds


def _models(cfg: ExperimentConfig, only: str | None):
    ms = [m for m in cfg.models if only is None or m.name == only]
    if not ms:
        raise SystemExit(f"no model named {only!r} in the config ({[m.name for m in cfg.models]})")
    return ms


def step_prepare(cfg: ExperimentConfig, args) -> None:
    """Generate the synthetic corpus where configured, then validate and split every data set."""
    from harness.prepare import prepare

    for d in _datasets(cfg, args.dataset):
        csv_path, corpus = d.csv, d.corpus
        if d.generate:
            from data.synthetic import generate_corpus

            gen_dir = d.generated_dir
            g = generate_corpus(gen_dir, n_filings=d.generate["n_filings"], seed=d.generate["seed"])
            csv_path, corpus = g.csv_path, g.corpus_path
        if (csv_path is None or not Path(csv_path).exists()) and d.optional:
            print(f"[prepare] {d.label}: {csv_path} not found, skipped (optional data set)")
            continue
        res = prepare(csv_path, d.prepared_dir, corpus=corpus, text_column=d.text_column,
                      columns=d.columns or None, join=d.join)
        print(f"[prepare] {d.label}: {res.summary_line() if hasattr(res, 'summary_line') else res}")


def _available(d) -> bool:
    ok = (Path(d.prepared_dir) / "train_samples.json").exists()
    if not ok and d.optional:
        print(f"[skip] {d.label}: not prepared (optional data set)")
        return False
    return True


def _run_study_step(cfg: ExperimentConfig, args, step: str) -> None:
    """Detection or ablation for every (data set, model) of the run; the merging process writes the manifest."""
    from harness.study import StudyContext, run_ablation, run_detection

    runner = {"detect": run_detection, "ablate": run_ablation}[step]
    for d in _datasets(cfg, args.dataset):
        if not _available(d):
            continue
        rd = run_dir_for(cfg, d)
        for m in _models(cfg, args.model):
            t = time.time()
            ctx = StudyContext(cfg, d, m, rd, _shard(args))
            runner(ctx)
            if not ctx.shard.merges:
                continue
            _write_manifest(cfg, d, rd, ctx)
            print(f"[{step}] {d.label} {m.name}: {time.time() - t:.1f} s")


def step_detect(cfg: ExperimentConfig, args) -> None:
    _run_study_step(cfg, args, "detect")


def step_ablate(cfg: ExperimentConfig, args) -> None:
    _run_study_step(cfg, args, "ablate")


def _shard(args):
    """The data-parallel shard: ``--shard RANK/WORLD``, else the launcher's environment (torchrun)."""
    from harness.study import Shard

    if getattr(args, "shard", None):
        try:
            rank, world = (int(x) for x in args.shard.split("/"))
        except ValueError:
            raise SystemExit(f"--shard expects RANK/WORLD, e.g. 0/2; got {args.shard!r}") from None
        if not 0 <= rank < world:
            raise SystemExit(f"--shard {args.shard}: rank must be in [0, {world})")
        return Shard(rank, world, rank, synchronized=False)
    return Shard.from_env()


def _write_manifest(cfg: ExperimentConfig, d, rd: Path, ctx) -> None:
    from dataclasses import asdict

    from harness.study import load_split

    path = rd / "run_manifest.json"
    old = json.loads(path.read_text()) if path.exists() else {}
    models = dict(old.get("models", {}))
    if ctx._loaded is not None:
        models[ctx.model_cfg.name] = asdict(ctx.loaded.info)
    train, test = load_split(d.prepared_dir, "train"), load_split(d.prepared_dir, "test")
    manifest = {
        "config": cfg.to_dict(), "models": models,
        "data": {"label": d.label, "synthetic": bool(d.synthetic), "train": len(train), "test": len(test),
                 "prepared_dir": str(d.prepared_dir), "csv": str(d.csv) if d.csv else None},
    }
    runstore.atomic_write_json(path, manifest)


def _finished_runs(cfg: ExperimentConfig, args, step: str):
    """(data set, run folder) of every data set that has results; the others are reported and skipped."""
    for d in _datasets(cfg, args.dataset):
        rd = run_dir_for(cfg, d)
        if (rd / "run_manifest.json").exists():
            yield d, rd
        else:
            print(f"[{step}] {d.label}: no results in {rd}, skipped")


def step_figures(cfg: ExperimentConfig, args) -> None:
    from harness.figures import make_figures

    for d, rd in _finished_runs(cfg, args, "figures"):
        paths = make_figures(rd)
        print(f"[figures] {d.label}: {len(paths)} files in {rd / 'figures'}")


def step_report(cfg: ExperimentConfig, args) -> None:
    from harness.report import write_findings

    for d, rd in _finished_runs(cfg, args, "report"):
        print(f"[report] {d.label}: {write_findings(rd)}")


def step_demo(cfg: ExperimentConfig, args) -> None:
    t0 = time.time()
    for step in (step_prepare, step_detect, step_ablate, step_figures, step_report):
        step(cfg, args)
    print(f"\nDone in {time.time() - t0:.0f} s.")
    for d in _datasets(cfg, args.dataset):
        rd = run_dir_for(cfg, d)
        if (rd / "FINDINGS.md").exists():
            print(f"  {d.label}: FINDINGS {rd / 'FINDINGS.md'}  figures {rd / 'figures'}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m harness", description=__doc__)
    p.add_argument("step", choices=STEPS)
    p.add_argument("--config", default="demo", help="preset name (demo, quick, paper) or a JSON/YAML file")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config field (JSON value), e.g. --set context_tokens=2048")
    p.add_argument("--model", help="only this model (name as in the config)")
    p.add_argument("--dataset", help="only this data set (label as in the config)")
    p.add_argument("--shard", metavar="RANK/WORLD",
                   help="process every WORLD-th sample from RANK (data parallel; torchrun sets this itself). "
                        "With --shard and no launcher, ranks don't wait for each other: rerun without --shard "
                        "to merge the checkpoints into the result files")
    p.add_argument("-v", "--verbose", action="store_true")
    args, rest = p.parse_known_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    if args.step == "diff-upstream":
        from harness.upstream_diff import main as diff_main

        return diff_main(rest)
    if args.step == "bench":
        from harness.bench import main as bench_main

        return bench_main(rest)
    from harness.config import ConfigError
    from harness.models import ModelLoadError
    from harness.preflight import MissingPackageError, check_packages
    from harness.prepare import DataError

    try:
        cfg = load_config(args.config, _parse_overrides(args.set))
        check_packages(cfg, STEPS_RUN[args.step])
        _run_step(args, cfg)
    except (ConfigError, ModelLoadError, DataError, FileNotFoundError, MissingPackageError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted: finished units and per-filing checkpoints are kept; rerun the same command to resume",
              file=sys.stderr)
        return 130
    return 0


def _run_step(args, cfg: ExperimentConfig) -> None:
    {"prepare": step_prepare, "detect": step_detect, "ablate": step_ablate, "figures": step_figures,
     "report": step_report, "demo": step_demo}[args.step](cfg, args)


if __name__ == "__main__":
    sys.exit(main())
