"""The experiment configuration: one JSON or YAML file (or a preset) describes a whole run.

``load_config("demo")`` loads the preset ``harness/configs/demo.json``; ``load_config("my.yaml",
{"context_tokens": 2048, "models.*.device": "cuda"})`` loads a file and applies overrides (dotted keys;
list items by index, by ``name``/``label``, or ``*`` for all). The schema is a set of pydantic models
(:class:`ExperimentConfig`, :class:`DatasetConfig`, :class:`ModelConfig`; ``ExperimentConfig.model_json_schema()``
is its JSON Schema); every problem raises :class:`ConfigError` naming the file and the field.

Relative paths in a configuration (``csv``, ``corpus``, ``evidence_file``, ``prepared_dir``,
``results_dir``) are resolved against the repository root (the folder holding ``harness/``), whatever the
current directory, so the presets' ``../shared/edgar_sample`` and ``data/ground_truth.csv`` mean the same
from anywhere.

The settings' vocabularies come from where they are used: attention backends, dtypes, mask modes and
stop rules from :mod:`harness.engine.options`, method names from :mod:`harness.methods.registry`, evidence
rules from :mod:`adapters.prompts`; the study-level ones (joins, gates, variants, layouts) are here.

Retired settings: the method ``summed_attention`` and its ``summed_variant`` ("context" / "evidence") are
now the two methods ``summed_context`` and ``summed_evidence``. A configuration that still lists
``summed_attention`` gets the method its ``summed_variant`` named (``summed_context`` when unset) with a
:class:`ConfigDeprecation` warning; a ``summed_variant`` without it is dropped with the same warning.

The k grid: unless a grid is given (``k_grid`` run-wide or per model), each model's grid is the fraction
rule of :func:`fraction_grid` (default: the paper's k/1024 for k = 0, 10, ..., 50, i.e. 0 to 4.9% of the
heads), and :func:`model_grid` fits it and ``top_n`` to the model's head count.
"""

from __future__ import annotations

import copy
import json
import math
import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from adapters.prompts import EVIDENCE_RULES
from adapters.questions import QUESTION_KEYS
from harness.engine.models.aliases import MODEL_ROLES, resolve_alias
from harness.engine.options import ATTENTION_BACKENDS, DTYPES, MASK_MODES, MASK_SCOPES, STOP_RULES
from harness.methods.registry import METHOD_NAMES, RETIRED_METHODS
from harness.paths import REPO_ROOT

PRESET_DIR = Path(__file__).resolve().parent / "configs"
JOINS = ("auto", "filename", "cik_year")
WU24_GATES = ("match", "rouge")
WU24_COPY_RULES = ("chars", "ids")  # chars: the answer's characters aligned to the evidence; ids: upstream's
SUMMED_VARIANTS = ("context", "evidence")  # the retired summed_variant's values
QRHEAD_LAYOUTS = ("study", "upstream")
RANDOM_POOLS = ("outside_top_n",)
DEFAULT_TOP_N = 50
# The paper's grid (Wu et al. 2024, Figure 8: k = 0, 10, ..., 50 of Llama-2-7B's 1,024 heads) as shares of heads.
PAPER_K_FRACTIONS: tuple[float, ...] = tuple(k / 1024 for k in range(0, 51, 10))
_LABEL = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
_DEVICE = r"^(cpu|cuda(:\d+)?|mps|auto|meta)$"


class ConfigError(ValueError):
    """An unusable configuration: the message names the file and the field."""


class ConfigDeprecation(FutureWarning):
    """A retired setting was translated to its replacement (shown by default, once per message)."""


def field_error(field: str, problem: str) -> PydanticCustomError:
    """An error about ``field`` (a dotted path below the model being validated), raised by model validators."""
    return PydanticCustomError("config_field", "{problem}", {"field": field, "problem": problem})


def show_value(value: Any) -> str:
    """A value as it appears in an error message (JSON, cut to 80 characters)."""
    text = json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def resolve_path(path: str | None) -> str | None:
    """An absolute path; relative paths are taken from the repository root."""
    if path is None:
        return None
    p = Path(path).expanduser()
    return str(p if p.is_absolute() else (REPO_ROOT / p).resolve())


def _int_list(values: list[int], *, nonempty: bool = True) -> list[int]:
    if nonempty and not values:
        raise ValueError("expected a non-empty list of integers, got []")
    if len(set(values)) != len(values):
        raise ValueError(f"repeated values in {values}")
    return values


def check_k_grid(grid: list[int] | None) -> list[int] | None:
    """A k grid: non-empty, distinct, non-negative, increasing, starting at 0 (the unablated baseline)."""
    if grid is None:
        return None
    _int_list(grid)
    if any(k < 0 for k in grid):
        raise ValueError(f"must be >= 0, got {grid}")
    if grid != sorted(grid):
        raise ValueError(f"must be increasing, got {grid}")
    if grid[0] != 0:
        raise ValueError(f"must start with 0 (k = 0 is the unablated baseline), got {grid}")
    return grid


def check_fractions(fractions: list[float]) -> list[float]:
    """k fractions: non-empty, starting at 0, strictly increasing, at most 0.5 (the top set and the random
    pool outside it must both hold the largest k)."""
    if not fractions:
        raise ValueError("expected a non-empty list of shares of heads, got []")
    if fractions[0] != 0:
        raise ValueError(f"must start with 0 (k = 0 is the unablated baseline), got {fractions}")
    if any(b <= a for a, b in zip(fractions, fractions[1:], strict=False)):
        raise ValueError(f"must be strictly increasing, got {fractions}")
    if fractions[-1] > 0.5:
        raise ValueError(f"shares of heads must be at most 0.5, got {fractions[-1]}")
    return fractions


def retire_summed_variant(data: Any) -> Any:
    """A copy of a configuration mapping with ``summed_attention`` / ``summed_variant`` translated (see the
    module docstring), warning once with :class:`ConfigDeprecation`."""
    if not isinstance(data, dict) or ("summed_variant" not in data and "summed_attention" not in
                                      (data.get("methods") or [])):
        return data
    out = dict(data)
    variant = out.pop("summed_variant", None)
    if variant is not None and variant not in SUMMED_VARIANTS:
        raise field_error("summed_variant", f"expected one of {', '.join(SUMMED_VARIANTS)}, got "
                                            f"{show_value(variant)} (retired: use the methods summed_context "
                                            "and summed_evidence)")
    new_names = " and ".join(f"'{m}'" for m in RETIRED_METHODS["summed_attention"])
    methods = out.get("methods")
    if isinstance(methods, list) and "summed_attention" in methods:
        chosen = f"summed_{variant or 'context'}"
        out["methods"] = [chosen if m == "summed_attention" else m for m in methods]
        warnings.warn(f"method 'summed_attention' (summed_variant={variant or 'context'!r}) is now the method "
                      f"'{chosen}'; the two variants are the methods {new_names}: list them in 'methods' "
                      "instead", ConfigDeprecation, stacklevel=2)
    else:
        warnings.warn(f"'summed_variant' ({variant!r}) no longer has an effect: the two variants are the "
                      f"methods {new_names}; list the one(s) to run in 'methods'", ConfigDeprecation,
                      stacklevel=2)
    return out


class Section(BaseModel):
    """Base of the configuration's sections: unknown fields are errors; values are validated on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ModelConfig(Section):
    """One model of the run. ``top_n`` / ``k_grid`` of None mean the run's defaults.

    ``role`` (``instruct``: chat layout; ``base``: plain layout) is required for anything but an alias, which
    knows its own (a given role must agree with it).
    """

    name: str = Field(min_length=1, description="an alias, hub id or local model folder")
    role: Literal[MODEL_ROLES] | None = None
    dtype: Literal[DTYPES] = "float32"
    device: str = Field("cpu", pattern=_DEVICE)
    attn: Literal[ATTENTION_BACKENDS] = "sdpa"
    top_n: int | None = Field(None, ge=1)
    k_grid: list[int] | None = None
    random_pool: Literal[RANDOM_POOLS] = "outside_top_n"  # where random-k heads come from

    _grid = field_validator("k_grid")(classmethod(lambda cls, v: check_k_grid(v)))

    @model_validator(mode="after")
    def _grid_within_top_n(self) -> ModelConfig:
        if self.k_grid is not None and self.top_n is not None and max(self.k_grid) > self.top_n:
            raise field_error("k_grid", f"largest k ({max(self.k_grid)}) exceeds this model's top_n ({self.top_n})")
        return self

    @model_validator(mode="after")
    def _role(self) -> ModelConfig:
        spec = resolve_alias(self.name)
        if spec is None:
            if self.role is None:
                raise field_error("role", f"missing: say whether {self.name!r} is used as 'instruct' (chat "
                                          "template) or 'base' (a local folder or hub id does not tell; base "
                                          "checkpoints can ship a chat template too)")
        elif self.role is None:
            object.__setattr__(self, "role", spec.role)
        elif self.role != spec.role:
            raise field_error("role", f"{self.role!r} contradicts the alias {spec.name!r}, a {spec.role} model")
        return self


class DatasetConfig(Section):
    """One data set: a ground-truth CSV plus the Item 1 texts, or a generated synthetic corpus."""

    label: str = Field(pattern=_LABEL, description="a short name used for folders, e.g. 'edgar_sample'")
    csv: str | None = Field(None, min_length=1)
    corpus: str | None = Field(None, min_length=1)  # EDGAR-CORPUS file/folder, "hf" / "hf:<dataset id>"
    text_column: str | None = Field(None, min_length=1)
    join: Literal[JOINS] = "auto"
    columns: dict[str, str] = Field(default_factory=dict)  # question key -> CSV column
    prepared_dir: str = ""  # default <repo>/data/prepared/<label>
    synthetic: bool = False
    generate: dict[str, int] | None = None  # {"n_filings", "seed"}: the synthetic corpus generator
    optional: bool = False  # skip (with a warning) when the CSV is absent
    evidence_file: str | None = Field(None, min_length=1)  # verified evidence sentences (JSON lines), optional
    strict: bool = False  # a malformed corpus / evidence line stops prepare (default: skipped and listed)

    @field_validator("columns")
    @classmethod
    def _question_columns(cls, cols: dict[str, str]) -> dict[str, str]:
        for k, v in cols.items():
            if k not in QUESTION_KEYS:
                raise ValueError(f"expected one of {', '.join(QUESTION_KEYS)}, got {show_value(k)}")
            if not v.strip():
                raise ValueError(f"{k}: expected a non-empty column name")
        return cols

    @field_validator("generate", mode="before")
    @classmethod
    def _generate(cls, gen: Any) -> Any:
        if gen is None:
            return None
        if not isinstance(gen, dict):
            raise ValueError(f"expected a mapping of fields, got {show_value(gen)}")
        for k in gen:
            if k not in ("n_filings", "seed"):
                raise field_error(k, "unknown field; valid fields: n_filings, seed")
        if "n_filings" not in gen:
            raise field_error("n_filings", "missing (how many synthetic filings to generate)")
        if not isinstance(gen["n_filings"], int) or isinstance(gen["n_filings"], bool) or gen["n_filings"] < 1:
            raise field_error("n_filings", f"must be an integer >= 1, got {show_value(gen['n_filings'])}")
        return {"n_filings": gen["n_filings"], "seed": gen.get("seed", 0)}

    @model_validator(mode="before")
    @classmethod
    def _generated_is_synthetic(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("generate") is not None and data.get("synthetic") is False:
            raise field_error("synthetic", "a generated data set is synthetic; drop 'synthetic: false'")
        return data

    @model_validator(mode="after")
    def _sources(self) -> DatasetConfig:
        if self.generate is not None:
            if self.csv or self.corpus or self.text_column or self.evidence_file:
                raise field_error("generate", "a generated data set takes no csv / corpus / text_column / "
                                              "evidence_file")
            object.__setattr__(self, "synthetic", True)
        else:
            if self.csv is None:
                raise field_error("csv", "missing: the ground-truth CSV (or give 'generate' for a synthetic corpus)")
            if (self.corpus is None) == (self.text_column is None):
                raise field_error("corpus", "give exactly one source of Item 1 text: 'corpus' (EDGAR-CORPUS file "
                                            "or folder, or \"hf\") or 'text_column' (a column of the CSV)")
        object.__setattr__(self, "csv", resolve_path(self.csv))
        object.__setattr__(self, "evidence_file", resolve_path(self.evidence_file))
        if self.corpus is not None and not (self.corpus == "hf" or self.corpus.startswith("hf:")):
            object.__setattr__(self, "corpus", resolve_path(self.corpus))
        object.__setattr__(self, "prepared_dir", resolve_path(self.prepared_dir or f"data/prepared/{self.label}"))
        return self

    @property
    def generated_dir(self) -> Path:
        """Where the synthetic generator writes this data set."""
        return REPO_ROOT / "data" / "generated" / self.label

    def available(self) -> bool:
        """False only for an optional data set whose CSV is missing."""
        return bool(self.generate) or (self.csv is not None and Path(self.csv).exists()) or not self.optional


class ExperimentConfig(Section):
    """A whole run: data sets x models x methods x questions, and every setting that changes results."""

    name: str = Field(pattern=_LABEL, description="the run's name; results go to results/<name>")
    results_dir: str = ""  # default <repo>/results/<name>
    datasets: list[DatasetConfig] = Field(min_length=1)
    models: list[ModelConfig] = Field(min_length=1)
    methods: list[Literal[METHOD_NAMES]] = Field(default_factory=lambda: list(METHOD_NAMES), min_length=1)
    questions: list[Literal[QUESTION_KEYS]] = Field(default_factory=lambda: list(QUESTION_KEYS), min_length=1)
    top_n: int = Field(DEFAULT_TOP_N, ge=1)
    k_grid: list[int] | None = None  # None: every model's grid follows k_fractions (see model_grid)
    k_fractions: list[float] = Field(default_factory=lambda: list(PAPER_K_FRACTIONS))
    seeds: list[int] = Field(default_factory=lambda: [0, 1, 2, 3, 4])
    context_tokens: int = Field(1024, ge=16)
    max_new_tokens: int = Field(16, ge=1)
    mask_mode: Literal[MASK_MODES] = "uniform"
    mask_scope: Literal[MASK_SCOPES] = "decode"
    wu24_gate: Literal[WU24_GATES] = "match"
    wu24_copy: Literal[WU24_COPY_RULES] = "chars"
    evidence: Literal[EVIDENCE_RULES] = "surface"
    stop: Literal[STOP_RULES] = "newline_eos"
    qrhead_layout: Literal[QRHEAD_LAYOUTS] = "study"
    n_bootstrap: int = Field(1000, ge=1)
    condition_batch: int = Field(32, ge=1)
    detection_batch: int | None = Field(None, ge=1)  # filings decoded together (None: 8 on CUDA, 1 elsewhere)
    seed: int = Field(0, ge=0)
    source: str | None = None  # the file this configuration came from

    @model_validator(mode="before")
    @classmethod
    def _retired(cls, data: Any) -> Any:
        return retire_summed_variant(data)

    @field_validator("models", mode="before")
    @classmethod
    def _plain_names(cls, models: Any) -> Any:
        return [{"name": m} if isinstance(m, str) else m for m in models] if isinstance(models, list) else models

    @field_validator("methods", "questions", "seeds")
    @classmethod
    def _distinct(cls, values: list) -> list:
        if len(set(values)) != len(values):
            raise ValueError(f"repeated values in {values}")
        return values

    @field_validator("seeds")
    @classmethod
    def _seeds_nonempty(cls, values: list[int]) -> list[int]:
        return _int_list(values)

    _grid = field_validator("k_grid")(classmethod(lambda cls, v: check_k_grid(v)))
    _fractions = field_validator("k_fractions")(classmethod(lambda cls, v: check_fractions(v)))

    @model_validator(mode="after")
    def _consistent(self) -> ExperimentConfig:
        for key, attr in (("datasets", "label"), ("models", "name")):
            seen: set[str] = set()
            for i, item in enumerate(getattr(self, key)):
                value = getattr(item, attr)
                if value in seen:
                    raise field_error(f"{key}[{i}].{attr}", f"{value!r} appears twice")
                seen.add(value)
        if self.k_grid is not None and max(self.k_grid) > self.top_n:
            raise field_error("k_grid", f"largest k ({max(self.k_grid)}) exceeds top_n ({self.top_n})")
        object.__setattr__(self, "results_dir", resolve_path(self.results_dir or f"results/{self.name}"))
        return self

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (what run manifests record)."""
        return self.model_dump(mode="json")

    def model(self, name: str) -> ModelConfig:
        """The model called ``name``."""
        for m in self.models:
            if m.name == name:
                return m
        raise KeyError(f"no model {name!r} in configuration {self.name!r} ({[m.name for m in self.models]})")

    def dataset(self, label: str) -> DatasetConfig:
        """The data set labelled ``label``."""
        for d in self.datasets:
            if d.label == label:
                return d
        raise KeyError(f"no data set {label!r} in configuration {self.name!r} ({[d.label for d in self.datasets]})")


# ------------------------------------------------------------------------------------------ errors

_HINTS = {"name": "missing (the run's name; results go to results/<name>)"}


def _path(loc: tuple, ctx: dict[str, Any] | None) -> str:
    parts = [p for p in loc if not (isinstance(p, str) and (p.startswith("function-") or p in ("literal",)))]
    if ctx and "field" in ctx:
        parts = parts + [p for p in re.split(r"\.", str(ctx["field"])) if p]
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return re.sub(r"\.(\w+)\[", r".\1[", out).replace(".[", "[")


def _problem(err: dict[str, Any], schema: type[BaseModel] | None) -> str:
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    if kind == "config_field":
        return str(ctx["problem"])
    if kind == "missing":
        return "missing"
    if kind == "extra_forbidden":
        valid = ", ".join(sorted(schema.model_fields)) if schema else ""
        return "unknown field" + (f"; valid fields: {valid}" if valid else "")
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return f"expected one of {', '.join(choices)}, got {show_value(value)}"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"expected an integer, got {show_value(value)}"
    if kind == "greater_than_equal":
        return f"must be >= {ctx.get('ge')}, got {show_value(value)}"
    if kind == "too_short":
        return f"expected a non-empty list, got {show_value(value)}"
    if kind in ("string_pattern_mismatch",):
        return f"use letters, digits, '.', '_' or '-' only, got {show_value(value)}" if "A-Za-z0-9" in str(
            ctx.get("pattern")) else f"expected cpu, cuda, cuda:<n>, mps or auto, got {show_value(value)}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a mapping of fields, got {show_value(value)}"
    if kind == "list_type":
        return f"expected a list, got {show_value(value)}"
    return str(err["msg"]).removeprefix("Value error, ")


def _schema_at(loc: tuple) -> type[BaseModel] | None:
    """The section model a location points into (for the list of valid fields of an unknown one)."""
    if not loc[:-1]:
        return ExperimentConfig
    return {"models": ModelConfig, "datasets": DatasetConfig}.get(str(loc[0]))


def from_dict(data: Any, where: str = "<config>") -> ExperimentConfig:
    """Validate a configuration mapping (as read from a file) into an :class:`ExperimentConfig`."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: field '(top level)': expected a mapping of fields, got {show_value(data)}")
    try:
        cfg = ExperimentConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        path = _path(err["loc"], err.get("ctx"))
        problem = _HINTS.get(path, "") if err["type"] == "missing" else ""
        problem = problem or _problem(err, _schema_at(err["loc"]))
        if err["type"] == "missing" and path.endswith(".name") and path.startswith("models"):
            problem = "missing (an alias, hub id or local model folder)"
        if err["type"] == "missing" and path.endswith(".label"):
            problem = "missing (a short name used for folders, e.g. 'edgar_sample')"
        raise ConfigError(f"{where}: field '{path}': {problem}") from None
    return cfg.model_copy(update={"source": data.get("source") or where}) if cfg.source is None else cfg


# ------------------------------------------------------------------------------------------- loading


def presets() -> dict[str, Path]:
    """Preset name -> file (the JSON files in harness/configs)."""
    return {p.stem: p for p in sorted(PRESET_DIR.glob("*.json"))}


def _read_file(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read the configuration file: {e}") from e
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            raise ConfigError(f"{path}:{where}: invalid YAML: {getattr(e, 'problem', e)}") from e
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigError(f"{path}: line {e.lineno}, column {e.colno}: invalid JSON: {e.msg}") from e


def _select(items: list[Any], seg: str, key: str) -> list[int]:
    if seg == "*":
        return list(range(len(items)))
    if re.fullmatch(r"-?\d+", seg):
        i = int(seg)
        if not -len(items) <= i < len(items):
            raise KeyError(f"index {i} out of range (the list has {len(items)} items)")
        return [i % len(items)]
    hits = [i for i, it in enumerate(items) if isinstance(it, dict) and (it.get("name") == seg or it.get("label") == seg)]
    if not hits:
        raise KeyError(f"no item named {seg!r}")
    return hits


def _set_path(node: Any, segs: list[str], value: Any, key: str) -> None:
    seg, rest = segs[0], segs[1:]
    if isinstance(node, list):
        for i in _select(node, seg, key):
            if rest:
                _set_path(node[i], rest, value, key)
            else:
                node[i] = copy.deepcopy(value)
    elif isinstance(node, dict):
        if rest:
            if node.get(seg) is None:
                node[seg] = {}
            _set_path(node[seg], rest, value, key)
        else:
            node[seg] = copy.deepcopy(value)
    else:
        raise KeyError(f"{seg!r} cannot be set inside {show_value(node)}")


def apply_overrides(data: dict[str, Any], overrides: dict[str, Any] | None) -> dict[str, Any]:
    """A copy of ``data`` with dotted-key overrides applied (``models.*.device``, ``models[1].top_n``)."""
    out = copy.deepcopy(data)
    for key, value in (overrides or {}).items():
        segs = [s for s in re.split(r"[.\[\]]+", str(key)) if s]
        if not segs:
            raise ConfigError(f"override {key!r}: empty key")
        try:
            _set_path(out, segs, value, key)
        except KeyError as e:
            raise ConfigError(f"override {key!r}: {e.args[0]}") from None
    return out


def load_config(path_or_preset: str | Path, overrides: dict[str, Any] | None = None) -> ExperimentConfig:
    """Load a preset (demo, quick, paper) or a JSON/YAML file, apply overrides, validate."""
    p = Path(path_or_preset).expanduser()
    known = presets()
    if p.is_file():
        path = p.resolve()
    elif str(path_or_preset) in known:
        path = known[str(path_or_preset)]
    else:
        raise ConfigError(f"{path_or_preset}: no such configuration file, and not a preset "
                          f"(presets: {', '.join(known)})")
    data = apply_overrides(_read_file(path), overrides) if overrides else _read_file(path)
    where = str(path) + (f" (with overrides {', '.join(overrides)})" if overrides else "")
    cfg = from_dict(data, where)
    return cfg.model_copy(update={"source": str(path)})


# --------------------------------------------------------------------------------------------- grids


def fraction_grid(n_heads_total: int, fractions: Sequence[float] = PAPER_K_FRACTIONS) -> list[int]:
    """k = share x heads for each share, rounded half up to whole heads, then made strictly increasing
    (a repeated k moves one head up) where the model allows: k never exceeds half the heads, so that the top
    set and the random pool outside it can both hold it. 1,024 heads give exactly 0, 10, ..., 50."""
    cap = max(0, int(n_heads_total) // 2)
    grid: list[int] = []
    for f in fractions:
        k = min(cap, int(math.floor(f * n_heads_total + 0.5)))
        if grid and k <= grid[-1]:
            k = grid[-1] + 1
        if k > cap:
            break
        grid.append(k)
    return grid


def model_grid(model_cfg: ModelConfig, n_heads_total: int,
               cfg: ExperimentConfig | None = None) -> tuple[list[int], int, str | None]:
    """(k_grid, top_n, warning) for a model with ``n_heads_total`` heads.

    The grid is the model's ``k_grid``, else the run's, else :func:`fraction_grid` of the run's
    ``k_fractions``. It is kept with ``top_n`` when the top set and the random pool outside it both hold the
    largest k (``max(k) <= top_n`` and ``top_n + max(k) <= n_heads_total``). Otherwise, in this order: a given
    grid that no model of this size can hold gives way to the fraction grid, ks above ``top_n`` are dropped,
    and ``top_n`` shrinks to leave the random pool room; ``warning`` says what changed.
    """
    fractions = cfg.k_fractions if cfg else list(PAPER_K_FRACTIONS)
    given = model_cfg.k_grid if model_cfg.k_grid is not None else (cfg.k_grid if cfg else None)
    top_n = int(model_cfg.top_n or (cfg.top_n if cfg else DEFAULT_TOP_N))
    grid = list(given) if given is not None else fraction_grid(n_heads_total, fractions)
    if _fits(grid, top_n, n_heads_total):
        return grid, top_n, None
    old_grid, old_top = list(grid), top_n
    if given is not None and 2 * max(grid) > n_heads_total:
        grid = fraction_grid(n_heads_total, fractions)
    if max(grid) > top_n:
        grid = [k for k in grid if k <= top_n]
    top_n = min(top_n, n_heads_total - max(grid))
    warning = (f"model {model_cfg.name}: {n_heads_total} heads cannot hold top_n={old_top} plus random k up to "
               f"{max(old_grid)} outside the top set; using top_n={top_n}, k_grid={grid}")
    return grid, top_n, warning


def _fits(grid: list[int], top_n: int, n_total: int) -> bool:
    return max(grid) <= top_n and top_n + max(grid) <= n_total
