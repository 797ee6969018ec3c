"""The record schemas: what every file the study writes holds, used by its writers and readers alike.

- :class:`adapters.sample.Sample`: one prepared filing (``data/prepared/<data set>/{train,test}_samples.json``).
- :class:`QuestionRecord` and :class:`DetectionCheckpoint`: one filing's raw per-question scores
  (``cache/detection/<model>/<sample>.json``); :class:`AblationCheckpoint`: its answers under every head set.
- :class:`DetectionUnit`: one (model, method, question) detection (``detection/<method>/<model>__<q>.json``).
- :class:`AblationUnit`: one Figure-8 curve (``ablation/<method>/<model>__<q>.json``) with its
  :class:`CurvePoint` rows.
- :class:`Manifest`: ``run_manifest.json`` of a data set's run folder.

Unit files also carry ``config_key`` and ``provenance`` (added by :class:`harness.store.units.UnitStore`).
Accuracies are shares in [0, 1]; an accuracy without test samples is written as null. Unknown extra fields
are kept (``extra="allow"``) so that files of newer runs still load; missing or mistyped fields fail with
the field's path (:func:`load_record`).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from adapters.sample import Sample  # noqa: F401 (the prepared-sample schema, re-exported)
from harness.heads import parse_head


class RecordError(ValueError):
    """A file that does not follow its schema; the message names the file and the field."""


class Record(BaseModel):
    """Base of every schema: extra fields kept, validation on assignment."""

    model_config = ConfigDict(extra="allow", validate_assignment=True)


# --------------------------------------------------------------------------------------- checkpoints


class QuestionRecord(Record):
    """One filing's answer to one question and the (L, H) per-sample score of every method (None: excluded)."""

    question: str
    answer_text: str
    generated_ids: list[int]
    correct: bool
    hit_max_tokens: bool = False  # decoded to max_new_tokens without the stop rule firing
    summed_context: list[list[float]] | None = None
    summed_evidence: list[list[float]] | None = None
    wu24: list[list[float]] | None = None
    wu24_success: bool = False
    qrhead: list[list[float]] | None = None
    reasons: dict[str, str] = Field(default_factory=dict)
    # the secondary ranking keys (tie-breaks of the primary scores; None: the sample has none)
    wu24_top1_mass: list[list[float]] | None = None  # Wu24: mean top-1 probability on the evidence over the answer
    qrhead_raw: list[list[float]] | None = None  # QRHead: uncalibrated query-span attention to the gold paragraphs


class DetectionCheckpoint(Record):
    """Every question of one filing, from one model's shared passes."""

    sample_id: str
    prompts: list[dict[str, Any]]
    chat: bool
    questions: dict[str, QuestionRecord]


class AblationCheckpoint(Record):
    """One filing's answer text per question and head set (key: the head set's canonical text key).

    ``excluded``: questions not decoded, with the reason (no evidence in the context window);
    ``max_tokens``: per question, the head sets whose decode ran to max_new_tokens without stopping.
    """

    sample_id: str
    answers: dict[str, dict[str, str]]
    prompts: list[dict[str, Any]]
    excluded: dict[str, str] = Field(default_factory=dict)
    max_tokens: dict[str, list[str]] = Field(default_factory=dict)


# --------------------------------------------------------------------------------------------- units


class ModelShape(Record):
    """What a unit file records of its model (the full ModelInfo; the shape is required)."""

    n_layers: int = Field(ge=1)
    n_heads: int = Field(ge=1)

    @property
    def n_total(self) -> int:
        """Number of attention heads."""
        return self.n_layers * self.n_heads


class UnitHeader(Record):
    """Fields every detection and ablation unit carries."""

    kind: str
    model: str
    model_info: ModelShape
    method: str
    question: str
    dataset: str | None = None
    settings: dict[str, Any] = Field(default_factory=dict)
    config_key: str | None = None
    provenance: dict[str, Any] | None = None

    @field_validator("question")
    @classmethod
    def _known_question(cls, q: str) -> str:
        from adapters.questions import QUESTION_KEYS

        if q not in QUESTION_KEYS:
            raise ValueError(f"{q!r} is not one of {', '.join(QUESTION_KEYS)}")
        return q


class DetectionUnit(UnitHeader):
    """Head scores of one (model, method, question) on the train split, and the top-n list."""

    kind: Literal["detection"]
    scores: dict[str, float]
    top_heads: list[str]
    top_n: int = Field(ge=0)
    n_samples_used: int = Field(ge=0)
    n_samples_excluded: int = Field(ge=0)
    exclusions: list[dict[str, Any]] = Field(default_factory=list)
    n_empty_answers: int | None = Field(None, ge=0)  # train answers that came back empty (all train samples)
    n_max_tokens: int | None = Field(None, ge=0)  # train answers cut off at max_new_tokens without stopping
    extra: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> DetectionUnit:
        info = self.model_info
        if len(self.scores) != info.n_total:
            raise ValueError(f"scores: expected one score per head ({info.n_total} = {info.n_layers} layers x "
                             f"{info.n_heads} heads), got {len(self.scores)}")
        for h in self.scores:
            layer, head = parse_head(h)
            if layer >= info.n_layers or head >= info.n_heads:
                raise ValueError(f"scores: head {h} outside {info.n_layers}x{info.n_heads}")
        if len(self.top_heads) > self.top_n:
            raise ValueError(f"top_heads: more than top_n = {self.top_n} head ids")
        unknown = [h for h in self.top_heads if h not in self.scores]
        if unknown:
            raise ValueError(f"top_heads: {unknown[:3]} not among the scored heads")
        if len(set(self.top_heads)) != len(self.top_heads):
            raise ValueError("top_heads contains duplicates")
        return self

    @field_validator("scores")
    @classmethod
    def _finite_scores(cls, scores: dict[str, float]) -> dict[str, float]:
        bad = [h for h, s in scores.items() if not math.isfinite(s)]
        if bad:
            raise ValueError(f"expected a finite number for every head, got {scores[bad[0]]!r} "
                             f"for head {bad[0]}")
        return scores


class CurvePoint(Record):
    """Accuracy at one k (a share in [0, 1]; None (NaN while computing) when no test sample could be scored)."""

    k: int = Field(ge=0)
    accuracy: float | None
    ci_low: float | None
    ci_high: float | None
    rouge_recall: float | None = None
    n: int = Field(default=0, ge=0)
    seed: int | None = None
    n_empty: int | None = Field(None, ge=0)  # answers of this condition that came back empty
    n_max_tokens: int | None = Field(None, ge=0)  # answers cut off at max_new_tokens without stopping

    @field_validator("accuracy", "ci_low", "ci_high")
    @classmethod
    def _share(cls, v: float | None) -> float | None:
        if v is None or math.isnan(v):
            return None
        if not 0.0 <= v <= 1.0:
            raise ValueError(f"expected a share in [0, 1], got {v!r}")
        return v


class RandomSummary(Record):
    """Random-k accuracy over the seeds at one k."""

    k: int
    mean: float
    std: float
    min: float
    max: float
    n_seeds: int


class AblationUnit(UnitHeader):
    """One Figure-8 curve: accuracy when the top-k heads are masked, and k random heads per seed."""

    kind: Literal["ablation"]
    mask_mode: str
    mask_scope: str
    k_grid: list[int]
    n_test: int = Field(ge=0)  # test samples scored for the question
    n_test_excluded: int | None = Field(None, ge=0)  # test samples left out (no usable truth, no evidence in window)
    test_exclusions: list[dict[str, Any]] = Field(default_factory=list)  # {"sample_id", "reason"}
    n_empty_answers: int | None = Field(None, ge=0)  # k = 0 baseline answers that came back empty
    n_max_tokens: int | None = Field(None, ge=0)  # k = 0 baseline answers cut off at max_new_tokens
    top: list[CurvePoint]
    random: list[CurvePoint] = Field(default_factory=list)
    random_summary: list[RandomSummary] = Field(default_factory=list)
    seeds: list[int] = Field(default_factory=list)
    top_heads_used: list[str] = Field(default_factory=list)
    answers_csv: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _has_baseline(self) -> AblationUnit:
        if self.top and not any(p.k == 0 for p in self.top):
            raise ValueError("top: no k = 0 row (the unablated baseline)")
        return self

    @model_validator(mode="after")
    def _random_rows_have_seeds(self) -> AblationUnit:
        unseeded = [i for i, p in enumerate(self.random) if p.seed is None]
        if unseeded:
            raise ValueError(f"random[{unseeded[0]}]: no seed (every random-k row names the seed of its draw)")
        return self


class Manifest(Record):
    """run_manifest.json: the configuration, the models' info by name, the data set and its split sizes."""

    config: dict[str, Any] = Field(default_factory=dict)
    models: dict[str, dict[str, Any]] = Field(default_factory=dict)
    data: dict[str, Any] = Field(default_factory=dict)


# ------------------------------------------------------------------------------------------- reading

R = TypeVar("R", bound=BaseModel)


def _where(err: dict[str, Any]) -> str:
    loc = ".".join(str(p) for p in err.get("loc", ()))
    return f"key {loc}: " if loc else ""


def _got(err: dict[str, Any]) -> str:
    """', got 75.0': the offending value when it is a plain scalar (a missing field has none)."""
    value = err.get("input")
    if err.get("type") == "missing" or not isinstance(value, (int, float, str)) or repr(value) in err["msg"]:
        return ""
    return f", got {value!r}"


def validate_record(schema: type[R], data: Any, where: str | Path) -> R:
    """``data`` as a ``schema`` record; RecordError naming ``where`` and the first bad field otherwise."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        more = f" (and {exc.error_count() - 1} more problem(s))" if exc.error_count() > 1 else ""
        msg = str(first["msg"]).removeprefix("Value error, ")
        raise RecordError(f"{where}: {_where(first)}{msg}{_got(first)}{more}") from None


def load_record(schema: type[R], path: str | Path) -> R:
    """Read and validate one JSON file; errors name the file, the line and column (bad JSON) or the field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RecordError(f"{path}: cannot read ({exc})") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecordError(f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from exc
    if not isinstance(data, dict):
        raise RecordError(f"{path}: line 1, column 1: expected a JSON object, got {type(data).__name__}")
    return validate_record(schema, data, path)


def dump_record(record: BaseModel) -> dict[str, Any]:
    """Plain-JSON form of a record: the fields it was given (schema order, extra fields after them)."""
    return record.model_dump(mode="json", exclude_unset=True)
