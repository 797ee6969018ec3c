"""What the steps of one (configuration, data set, model) share: the run folder, settings, the model.

The model is loaded on first use, so a rerun whose units are all done only reads files; the prepared splits
are read as :class:`adapters.sample.Sample` records. The prompt layout follows the model's role (``chat``),
and the stop rule and BOS rule of its tokenizer are built once (a stop rule that cannot fire on the
vocabulary is logged as a warning when it is first built).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from adapters.sample import Sample
from harness.config import DatasetConfig, ExperimentConfig, ModelConfig
from harness.methods.base import DetectionSettings
from harness.pipeline.conditions import AblationSettings
from harness.pipeline.shards import Shard
from harness.store.keys import config_key
from harness.store.records import validate_record
from harness.store.units import UnitStore, model_slug

log = logging.getLogger("harness.context")


def load_split(prepared_dir: str | Path, split: str) -> list[Sample]:
    """The ``train`` or ``test`` samples of a prepared data folder."""
    path = Path(prepared_dir) / f"{split}_samples.json"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: run `make prepare` (python -m harness prepare) first")
    rows = json.loads(path.read_text())["samples"]
    return [validate_record(Sample, r, f"{path} sample {i}") for i, r in enumerate(rows)]


def sample_hash(rec: Sample, questions: Sequence[str]) -> str:
    """Key of what a sample contributes to the given questions (text, answers, evidence, usability)."""
    key = {"text": rec.text, "answers": {q: rec.answers.get(q) for q in questions},
           "evidence": {q: _spans(rec.evidence_chars.get(q)) for q in questions},
           "usable": {q: rec.usable.get(q) for q in questions}}
    sentences = {q: rec.evidence_sentences.get(q) for q in questions if rec.evidence_sentences.get(q)}
    if sentences:  # the windows hold these sentences (absent from older prepared splits: keys unchanged there)
        key["evidence_sentences"] = sentences
    return config_key(key)


def _spans(spans: list | None) -> list | None:
    return None if spans is None else [list(s) for s in spans]


class StudyContext:
    """Paths, settings and the (lazily loaded) model of one (configuration, data set, model)."""

    def __init__(self, cfg: ExperimentConfig, dataset: DatasetConfig, model_cfg: ModelConfig, run_dir: Path,
                 shard: Shard | None = None) -> None:
        self.cfg, self.dataset, self.model_cfg = cfg, dataset, model_cfg
        self.shard = shard or Shard()
        self.run_dir = Path(run_dir)
        self.store = UnitStore(self.run_dir)
        self.slug = model_slug(model_cfg.name)
        self._loaded = None
        self._stop = None

    @property
    def model_loaded(self) -> bool:
        """Whether the model has been loaded (a run that only merged finished units never loads it)."""
        return self._loaded is not None

    @property
    def loaded(self):
        """The model, tokenizer and info, loaded on first use."""
        if self._loaded is None:
            from harness.engine.models import load_model

            device = self.model_cfg.device
            if device == "cuda" and self.shard.world > 1:
                device = f"cuda:{self.shard.local_rank}"  # one GPU per process in a data-parallel run
            self._loaded = load_model(self.model_cfg.name, dtype=self.model_cfg.dtype, device=device,
                                      attn=self.model_cfg.attn, role=self.model_cfg.role)
        return self._loaded

    @property
    def chat(self) -> bool:
        """Whether prompts use the chat layout: the model's role is ``instruct``."""
        return bool(self.loaded.info.is_instruct)

    def stop_rule(self):
        """The run's stop rule for this model's tokenizer (built once; a rule that never fires is warned about)."""
        if self._stop is None:
            from harness.engine.decoding import StopRule

            self._stop = StopRule.for_tokenizer(self.loaded.tokenizer, self.cfg.stop)
            why = self._stop.never_fires()
            if why:
                self.store.log("warning", f"{self.model_cfg.name}: {why}")
                log.warning("%s: %s", self.model_cfg.name, why)
        return self._stop

    def bos_rule(self):
        """How prompts of this model must start (:class:`harness.engine.decoding.BosRule`)."""
        from harness.engine.decoding import BosRule

        return BosRule.for_tokenizer(self.loaded.tokenizer, self.chat)

    @property
    def top_n(self) -> int:
        """How many top heads a detection lists (the model's own setting, else the run's)."""
        return int(self.model_cfg.top_n or self.cfg.top_n)

    def detection_settings(self) -> DetectionSettings:
        """What changes the per-sample detection scores."""
        return DetectionSettings(max_new_tokens=self.cfg.max_new_tokens, stop=self.cfg.stop,
                                 wu24_gate=self.cfg.wu24_gate, wu24_copy=self.cfg.wu24_copy,
                                 qrhead_layout=self.cfg.qrhead_layout)

    def detection_batch(self) -> int:
        """Filings whose context windows detection decodes as one batch: the configured number, else 8 on a CUDA
        device (small batches are launch-bound there) and 1 elsewhere (the CPU's eager steps compute only the
        rows still running, which a batch of one prefix allows)."""
        if self.cfg.detection_batch is not None:
            return self.cfg.detection_batch
        return 8 if self.loaded.model.device.type == "cuda" else 1

    def ablation_settings(self) -> AblationSettings:
        """How the ablation conditions are decoded."""
        return AblationSettings(mask_mode=self.cfg.mask_mode, mask_scope=self.cfg.mask_scope,
                                max_new_tokens=self.cfg.max_new_tokens, condition_batch=self.cfg.condition_batch)

    def model_fingerprint(self) -> dict[str, Any]:
        """Identity of the model for result keys (id, weights hash or revision, shape, dtype)."""
        info = self.loaded.info
        return {"name": self.model_cfg.name, "id": info.id, "revision_or_hash": info.revision_or_hash,
                "n_layers": info.n_layers, "n_heads": info.n_heads, "dtype": info.dtype,
                "attn": info.attn_implementation}
