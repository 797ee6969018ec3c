"""The smoke run: a configuration on a few filings and one question, through every step, timed.

``python -m harness smoke --config paper`` (``make smoke CONFIG=paper``) answers "does everything work on
this machine, and how long will the full run take?" in minutes: it runs prepare, detect, ablate, figures and
report as a limited run (:class:`harness.pipeline.steps.RunLimit`, tag ``smoke``: ``results/<run>-smoke/``,
``data/prepared/<label>-smoke/``, both cleared first; a full run's files are never touched) on the first N
usable filings of each split (default 3) and one question (the configuration's first, or ``--question``),
then prints what ran, each step's time and the full run's projected time (also written to
``results/<run>-smoke/smoke.json``).

Projection (:meth:`SmokeStep.projected`): detection and ablation take the seconds per filing per question
measured here (model loading apart) times the full run's split size and question count, plus one model load;
figures and reports scale with the questions; preparation is already the full one (the smoke run prepares
the whole data set, then keeps N filings per split).
"""

from __future__ import annotations

import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from adapters.questions import QUESTION_KEYS
from harness.config import ConfigError, ExperimentConfig, ModelConfig
from harness.pipeline import steps
from harness.pipeline.prepare import DataError
from harness.pipeline.prepare.corpus_hf import hf_name
from harness.store.atomic import atomic_write_json

SMOKE_TAG = "smoke"
DEFAULT_FILINGS = 3
PER_FILING_STEPS = {"detect": "train", "ablate": "test"}  # the split each model step runs on
SUMMARY_FILE = "smoke.json"


@dataclass(frozen=True)
class SmokeStep:
    """One timed step of the smoke run on one data set (and model, for detection and ablation)."""

    step: str
    dataset: str
    model: str = ""
    seconds: float = 0.0
    load_seconds: float = 0.0  # of ``seconds``, loading the model
    n_filings: int = 0  # filings of the split the step ran on (detect: train, ablate: test)
    full_filings: int = 0  # the same split in the full run

    def projected(self, n_questions: int) -> float:
        """Seconds this step would take in the full run, which asks ``n_questions`` questions."""
        if self.step in PER_FILING_STEPS:
            per_filing_question = (self.seconds - self.load_seconds) / max(1, self.n_filings)
            return self.load_seconds + per_filing_question * self.full_filings * n_questions
        if self.step == "prepare":
            return self.seconds
        return self.seconds * n_questions


@dataclass
class SmokeReport:
    """What the smoke run did: its configuration and the full one's, the sizes, every step's time."""

    config: ExperimentConfig  # the smoke run's (limited to N filings and one question)
    full: ExperimentConfig  # the configuration as given
    question: str
    limit: int
    models: list[ModelConfig]
    sizes: dict[str, dict[str, int]]  # data set -> train, test, full_train, full_test
    steps: list[SmokeStep] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def projected(self) -> dict[str, float]:
        """The full run's projected seconds per step (summed over data sets and models)."""
        out: dict[str, float] = {}
        for s in self.steps:
            out[s.step] = out.get(s.step, 0.0) + s.projected(len(self.full.questions))
        return out

    def summary(self) -> str:
        """The one-screen summary: what ran, each step's time, the full run's projected time."""
        proj = self.projected()
        sizes = "; ".join(f"{k}: train {v['train']} of {v['full_train']}, test {v['test']} of {v['full_test']}"
                          for k, v in self.sizes.items())
        lines = [
            f"Smoke run of '{self.full.name}': {len(self.models)} model(s) x {len(self.sizes)} data set(s) x "
            f"{len(self.config.methods)} methods x 1 question, at most {self.limit} filing(s) per split: "
            f"{duration(self.seconds)}",
            "  models     " + ", ".join(f"{m.name} ({m.dtype}, {m.device})" for m in self.models),
            "  data sets  " + sizes + "".join(f"; {s}" for s in self.skipped),
            "  methods    " + ", ".join(self.config.methods),
            f"  question   {self.question} (the full run asks {len(self.full.questions)}: "
            f"{', '.join(self.full.questions)})",
            f"  results    {self.config.results_dir} (the full run's {self.full.results_dir} is not touched)",
            "",
            f"  {'step':8s} {'data set':16s} {'model':24s} {'time':>9s} {'loading':>9s} {'full run':>10s}",
        ]
        for s in self.steps:
            load = duration(s.load_seconds) if s.model else ""
            lines.append(f"  {s.step:8s} {s.dataset:16s} {s.model or '-':24s} {duration(s.seconds):>9s} "
                         f"{load:>9s} {duration(s.projected(len(self.full.questions))):>10s}")
        n_q = len(self.full.questions)
        lines += ["", f"  Full run projected: {duration(sum(proj.values()))} ("
                  + ", ".join(f"{k} {duration(v)}" for k, v in proj.items()) + ")",
                  f"  (detect, ablate: seconds per filing per question measured here x the full splits x {n_q} "
                  "questions, plus a model load; detection shares a filing's prefill among its questions, so "
                  "its projection is an upper estimate)"]
        return "\n".join(lines)

    def to_json(self) -> dict:
        """The report as plain JSON (``smoke.json``)."""
        return {"config": self.full.name, "source": self.full.source, "question": self.question,
                "limit": self.limit, "models": [m.name for m in self.models], "sizes": self.sizes,
                "skipped": self.skipped, "seconds": self.seconds, "steps": [asdict(s) for s in self.steps],
                "projected_seconds": self.projected(), "summary": self.summary()}


def duration(seconds: float) -> str:
    """``12.3 s``, ``4.2 min`` or ``1.5 h``."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.1f} min" if seconds < 3600 else f"{seconds / 3600:.1f} h"


def check_inputs(cfg: ExperimentConfig, only: str | None = None) -> list[str]:
    """Raise :class:`DataError` naming the file when a data set's input file is missing (an optional data set
    is skipped instead: the notes are returned). Runs in a moment, before anything else."""
    notes = []
    for d in steps.select_datasets(cfg, only):
        if d.generate:
            continue
        files = [("ground-truth CSV", d.csv)]
        if d.corpus and hf_name(d.corpus) is None:
            files.append(("Item 1 corpus", d.corpus))
        missing = [(what, path) for what, path in files if not Path(path).exists()]
        if missing and d.optional:
            notes.append(f"{d.label}: skipped ({missing[0][1]} not found; an optional data set)")
        elif missing:
            what, path = missing[0]
            raise DataError(f"not found: the {what} of data set {d.label!r}. Put the file there, point the "
                            f"config at it (--set datasets.{d.label}.csv=PATH), or smoke another data set "
                            "with --dataset", file=path)
    return notes


def check_devices(cfg: ExperimentConfig, only: str | None = None) -> None:
    """Raise :class:`ConfigError` when a model is set to a CUDA device and torch sees no CUDA GPU."""
    wanted = [m for m in steps.select_models(cfg, only) if m.device.startswith("cuda")]
    if not wanted:
        return
    import torch

    if not torch.cuda.is_available():
        built = f"built for CUDA {torch.version.cuda}" if torch.version.cuda else "a CPU build"
        raise ConfigError(f"model {wanted[0].name!r} is set to device {wanted[0].device}, but torch "
                          f"{torch.__version__} ({built}) sees no CUDA GPU: run on the GPU machine, or "
                          "--set models.*.device=cpu")


def clear_smoke_folders(cfg: ExperimentConfig, limit: steps.RunLimit, only: str | None = None) -> None:
    """Remove the smoke run's own folders of the selected data sets (results, prepared data, generated corpus),
    so that every step runs (and is timed) afresh; folders not named ``*<suffix>`` are never touched."""
    for d in steps.select_datasets(cfg, only):
        run_dir = steps.run_dir_for(cfg, d)
        for path, owner in ((run_dir, run_dir.parent), (Path(d.prepared_dir), Path(d.prepared_dir)),
                            (steps.generated_dir_for(d, limit), steps.generated_dir_for(d, limit))):
            if not owner.name.endswith(limit.suffix):
                raise RuntimeError(f"refusing to clear {path}: not a {limit.suffix} folder")
            if path.exists():
                shutil.rmtree(path)


def _prepare_timed(cfg: ExperimentConfig, limit: steps.RunLimit, question: str, only: str | None,
                   report: SmokeReport) -> None:
    for d in steps.select_datasets(cfg, only):
        t = time.time()
        got = steps.prepare_datasets(cfg, d.label, limit)
        if d.label not in got:
            continue
        for part in steps.SPLITS:
            if not got[d.label][part]:
                raise DataError(f"no filing of the {part} split of data set {d.label!r} has a usable answer to "
                                f"{question}: smoke another question (--question)", file=d.csv)
        report.sizes.update(got)
        report.steps.append(SmokeStep("prepare", d.label, seconds=time.time() - t))


def run_smoke(cfg: ExperimentConfig, n: int = DEFAULT_FILINGS, question: str | None = None,
              model: str | None = None, dataset: str | None = None) -> SmokeReport:
    """Every step of ``cfg`` on the first ``n`` usable filings of each split and one question, timed."""
    t0 = time.time()
    question = question or cfg.questions[0]
    if question not in QUESTION_KEYS:
        raise ConfigError(f"--question {question!r}: expected one of {', '.join(QUESTION_KEYS)}")
    limit = steps.RunLimit(n, SMOKE_TAG)
    scfg = steps.limited_config(cfg, limit, [question])
    report = SmokeReport(scfg, cfg, question, n, steps.select_models(cfg, model), sizes={},
                         skipped=check_inputs(scfg, dataset))
    check_devices(scfg, model)
    clear_smoke_folders(scfg, limit, dataset)
    _prepare_timed(scfg, limit, question, dataset, report)
    if not report.sizes:
        raise ConfigError(f"configuration {cfg.name!r}: no data set to smoke (every one was skipped)")
    for step, part in PER_FILING_STEPS.items():
        for st in steps.run_model_step(scfg, step, model, dataset, limit=limit, preload=True):
            size = report.sizes[st.dataset]
            report.steps.append(SmokeStep(step, st.dataset, st.model, st.seconds, st.load_seconds, size[part],
                                          size[f"full_{part}"]))
    for step, draw in (("figures", steps.draw_figures), ("report", steps.write_report)):
        for d, rd in steps.finished_runs(scfg, step, dataset):
            t = time.time()
            draw(rd)
            report.steps.append(SmokeStep(step, d.label, seconds=time.time() - t))
    report.seconds = time.time() - t0
    atomic_write_json(Path(scfg.results_dir) / SUMMARY_FILE, report.to_json())
    return report
