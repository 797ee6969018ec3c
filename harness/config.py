"""The experiment configuration: one JSON or YAML file (or a preset) describes a whole run.

``load_config("demo")`` loads the preset ``harness/configs/demo.json``; ``load_config("my.yaml",
{"context_tokens": 2048, "models.*.device": "cuda"})`` loads a file and applies overrides (dotted keys;
list items by index, by ``name``/``label``, or ``*`` for all). Every problem raises :class:`ConfigError`
naming the file and the field.

Relative paths in a configuration (``csv``, ``corpus``, ``prepared_dir``, ``results_dir``) are resolved
against the repository root (the folder holding ``harness/``), whatever the current directory, so the
presets' ``../shared/edgar_sample`` and ``data/ground_truth.csv`` mean the same from anywhere.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from adapters.questions import QUESTION_KEYS
from harness.paths import REPO_ROOT

PRESET_DIR = Path(__file__).resolve().parent / "configs"
METHODS = ("summed_attention", "wu24", "qrhead")
DTYPES = ("float32", "bfloat16", "float16")
ATTNS = ("sdpa", "eager", "flash_attention_2")
JOINS = ("auto", "filename", "cik_year")
RANDOM_POOLS = ("outside_top_n",)
CHOICES: dict[str, tuple[str, ...]] = {
    "mask_mode": ("uniform", "zero"),
    "mask_scope": ("decode", "all"),
    "wu24_gate": ("match", "rouge"),
    "evidence": ("surface", "upstream_needle"),
    "stop": ("newline_eos", "upstream"),
    "summed_variant": ("context", "evidence"),
    "qrhead_layout": ("study", "upstream"),
}
# Grids for models too small for the default one (top_n + max k must fit in the head count).
PRESET_GRIDS: dict[str, dict[str, Any]] = {
    "gemma3-270m": {"top_n": 20, "k_grid": [0, 4, 8, 12, 16, 20]},  # 18 layers x 4 heads = 72 heads
}
_LABEL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class ConfigError(ValueError):
    """An unusable configuration: the message names the file and the field."""


@dataclass
class ModelConfig:
    """One model of the run. ``k_grid`` / ``top_n`` of None mean the run's defaults."""

    name: str  # alias, hub id or local path (see harness.engine.models)
    dtype: str = "float32"
    device: str = "cpu"
    attn: str = "sdpa"
    k_grid: list[int] | None = None
    top_n: int | None = None
    random_pool: str = "outside_top_n"  # where random-k heads come from


@dataclass
class DatasetConfig:
    """One data set: a ground-truth CSV plus the Item 1 texts, or a generated synthetic corpus."""

    label: str
    csv: str | None = None
    corpus: str | None = None  # EDGAR-CORPUS file/folder, "hf" / "hf:<dataset id>", or None
    text_column: str | None = None
    join: str = "auto"
    columns: dict[str, str] = field(default_factory=dict)  # question key -> CSV column
    prepared_dir: str = ""  # default <repo>/data/prepared/<label>
    synthetic: bool = False
    generate: dict[str, int] | None = None  # {"n_filings", "seed"}: data.synthetic.generate_corpus
    optional: bool = False  # skip (with a note) when the CSV is absent

    @property
    def generated_dir(self) -> Path:
        """Where the synthetic generator writes this data set."""
        return REPO_ROOT / "data" / "generated" / self.label

    def available(self) -> bool:
        """False only for an optional data set whose CSV is missing."""
        return bool(self.generate) or (self.csv is not None and Path(self.csv).exists()) or not self.optional


@dataclass
class ExperimentConfig:
    """A whole run: data sets x models x methods x questions, and every setting that changes results."""

    name: str
    results_dir: str = ""  # default <repo>/results/<name>
    datasets: list[DatasetConfig] = field(default_factory=list)
    models: list[ModelConfig] = field(default_factory=list)
    methods: list[str] = field(default_factory=lambda: list(METHODS))
    questions: list[str] = field(default_factory=lambda: list(QUESTION_KEYS))
    k_grid: list[int] = field(default_factory=lambda: [0, 10, 20, 30, 40, 50])
    top_n: int = 50
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2, 3, 4])
    context_tokens: int = 1024
    max_new_tokens: int = 16
    mask_mode: str = "uniform"
    mask_scope: str = "decode"
    wu24_gate: str = "match"
    evidence: str = "surface"
    stop: str = "newline_eos"
    summed_variant: str = "context"
    qrhead_layout: str = "study"
    n_bootstrap: int = 1000
    condition_batch: int = 32
    seed: int = 0
    source: str | None = None  # the file this configuration came from

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (what run manifests record)."""
        return asdict(self)

    def model(self, name: str) -> ModelConfig:
        for m in self.models:
            if m.name == name:
                return m
        raise KeyError(f"no model {name!r} in configuration {self.name!r} ({[m.name for m in self.models]})")

    def dataset(self, label: str) -> DatasetConfig:
        for d in self.datasets:
            if d.label == label:
                return d
        raise KeyError(f"no data set {label!r} in configuration {self.name!r} ({[d.label for d in self.datasets]})")


# ------------------------------------------------------------------------------------------ validation


class _Checker:
    """Field checks that raise ConfigError("<file>: field '<path>': <problem>")."""

    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, path: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.where}: field '{path}': {problem}")

    def mapping(self, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"expected a mapping of fields, got {_show(value)}")
        return value

    def unknown(self, data: dict[str, Any], cls: type, path: str, extra: tuple[str, ...] = ()) -> None:
        known = {f.name for f in fields(cls)} | set(extra)
        for k in data:
            if k not in known:
                prefix = f"{path}." if path else ""
                raise self.fail(f"{prefix}{k}", f"unknown field; valid fields: {', '.join(sorted(known))}")

    def string(self, value: Any, path: str, optional: bool = False) -> str | None:
        if value is None and optional:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(path, f"expected a non-empty string, got {_show(value)}")
        return value

    def choice(self, value: Any, path: str, choices: tuple[str, ...]) -> str:
        if value not in choices:
            raise self.fail(path, f"expected one of {', '.join(choices)}, got {_show(value)}")
        return value

    def boolean(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(path, f"expected true or false, got {_show(value)}")
        return value

    def integer(self, value: Any, path: str, minimum: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise self.fail(path, f"expected an integer, got {_show(value)}")
        if minimum is not None and value < minimum:
            raise self.fail(path, f"must be >= {minimum}, got {value}")
        return value

    def int_list(self, value: Any, path: str, minimum: int = 0, nonempty: bool = True) -> list[int]:
        if not isinstance(value, list) or (nonempty and not value):
            raise self.fail(path, f"expected a non-empty list of integers, got {_show(value)}")
        out = [self.integer(v, f"{path}[{i}]", minimum) for i, v in enumerate(value)]
        if len(set(out)) != len(out):
            raise self.fail(path, f"repeated values in {out}")
        return out

    def k_grid(self, value: Any, path: str) -> list[int]:
        grid = self.int_list(value, path)
        if grid != sorted(grid):
            raise self.fail(path, f"must be increasing, got {grid}")
        if grid[0] != 0:
            raise self.fail(path, f"must start with 0 (k = 0 is the unablated baseline), got {grid}")
        return grid

    def str_list(self, value: Any, path: str, choices: tuple[str, ...]) -> list[str]:
        if not isinstance(value, list) or not value:
            raise self.fail(path, f"expected a non-empty list from {', '.join(choices)}, got {_show(value)}")
        out = [self.choice(v, f"{path}[{i}]", choices) for i, v in enumerate(value)]
        if len(set(out)) != len(out):
            raise self.fail(path, f"repeated values in {out}")
        return out


def _show(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def _resolve(path: str | None) -> str | None:
    if path is None:
        return None
    p = Path(path).expanduser()
    return str(p if p.is_absolute() else (REPO_ROOT / p).resolve())


def _model(c: _Checker, raw: Any, path: str) -> ModelConfig:
    if isinstance(raw, str):
        raw = {"name": raw}
    data = c.mapping(raw, path)
    c.unknown(data, ModelConfig, path)
    if "name" not in data:
        raise c.fail(f"{path}.name", "missing (an alias, hub id or local model folder)")
    m = ModelConfig(name=str(c.string(data["name"], f"{path}.name")))
    m.dtype = c.choice(data.get("dtype", m.dtype), f"{path}.dtype", DTYPES)
    m.device = str(c.string(data.get("device", m.device), f"{path}.device"))
    if not re.match(r"^(cpu|cuda(:\d+)?|mps|auto|meta)$", m.device):
        raise c.fail(f"{path}.device", f"expected cpu, cuda, cuda:<n>, mps or auto, got {_show(m.device)}")
    m.attn = c.choice(data.get("attn", m.attn), f"{path}.attn", ATTNS)
    if data.get("k_grid") is not None:
        m.k_grid = c.k_grid(data["k_grid"], f"{path}.k_grid")
    if data.get("top_n") is not None:
        m.top_n = c.integer(data["top_n"], f"{path}.top_n", 1)
    m.random_pool = c.choice(data.get("random_pool", m.random_pool), f"{path}.random_pool", RANDOM_POOLS)
    if m.k_grid is not None and m.top_n is not None and max(m.k_grid) > m.top_n:
        raise c.fail(f"{path}.k_grid", f"largest k ({max(m.k_grid)}) exceeds this model's top_n ({m.top_n})")
    return m


def _dataset(c: _Checker, raw: Any, path: str) -> DatasetConfig:
    data = c.mapping(raw, path)
    c.unknown(data, DatasetConfig, path)
    if "label" not in data:
        raise c.fail(f"{path}.label", "missing (a short name used for folders, e.g. 'edgar_sample')")
    label = str(c.string(data["label"], f"{path}.label"))
    if not _LABEL_RE.match(label):
        raise c.fail(f"{path}.label", f"use letters, digits, '.', '_' or '-' only, got {_show(label)}")
    d = DatasetConfig(label=label)
    d.csv = c.string(data.get("csv"), f"{path}.csv", optional=True)
    d.corpus = c.string(data.get("corpus"), f"{path}.corpus", optional=True)
    d.text_column = c.string(data.get("text_column"), f"{path}.text_column", optional=True)
    d.join = c.choice(data.get("join", d.join), f"{path}.join", JOINS)
    cols = c.mapping(data.get("columns") or {}, f"{path}.columns")
    for k, v in cols.items():
        c.choice(k, f"{path}.columns", QUESTION_KEYS)
        c.string(v, f"{path}.columns.{k}")
    d.columns = dict(cols)
    d.optional = c.boolean(data.get("optional", False), f"{path}.optional")
    gen = data.get("generate")
    if gen is not None:
        g = c.mapping(gen, f"{path}.generate")
        for k in g:
            if k not in ("n_filings", "seed"):
                raise c.fail(f"{path}.generate.{k}", "unknown field; valid fields: n_filings, seed")
        if "n_filings" not in g:
            raise c.fail(f"{path}.generate.n_filings", "missing (how many synthetic filings to generate)")
        d.generate = {"n_filings": c.integer(g["n_filings"], f"{path}.generate.n_filings", 1),
                      "seed": c.integer(g.get("seed", 0), f"{path}.generate.seed")}
        if data.get("synthetic") is False:
            raise c.fail(f"{path}.synthetic", "a generated data set is synthetic; drop 'synthetic: false'")
        if d.csv or d.corpus or d.text_column:
            raise c.fail(f"{path}.generate", "a generated data set takes no csv / corpus / text_column")
        d.synthetic = True
    else:
        d.synthetic = c.boolean(data.get("synthetic", False), f"{path}.synthetic")
        if d.csv is None:
            raise c.fail(f"{path}.csv", "missing: the ground-truth CSV (or give 'generate' for a synthetic corpus)")
        if (d.corpus is None) == (d.text_column is None):
            raise c.fail(f"{path}.corpus", "give exactly one source of Item 1 text: 'corpus' (EDGAR-CORPUS file or "
                                           "folder, or \"hf\") or 'text_column' (a column of the CSV)")
    d.csv = _resolve(d.csv)
    if d.corpus is not None and not (d.corpus == "hf" or d.corpus.startswith("hf:")):
        d.corpus = _resolve(d.corpus)
    prepared = c.string(data.get("prepared_dir"), f"{path}.prepared_dir", optional=True)
    d.prepared_dir = str(_resolve(prepared or f"data/prepared/{label}"))
    return d


def from_dict(data: Any, where: str = "<config>") -> ExperimentConfig:
    """Validate a configuration mapping (as read from a file) into an :class:`ExperimentConfig`."""
    c = _Checker(where)
    data = c.mapping(data, "(top level)")
    c.unknown(data, ExperimentConfig, "")
    if "name" not in data:
        raise c.fail("name", "missing (the run's name; results go to results/<name>)")
    name = str(c.string(data["name"], "name"))
    if not _LABEL_RE.match(name):
        raise c.fail("name", f"use letters, digits, '.', '_' or '-' only, got {_show(name)}")
    cfg = ExperimentConfig(name=name, source=where)
    for key in ("datasets", "models"):
        if not isinstance(data.get(key), list) or not data[key]:
            raise c.fail(key, f"expected a non-empty list, got {_show(data.get(key))}")
    cfg.datasets = [_dataset(c, d, f"datasets[{i}]") for i, d in enumerate(data["datasets"])]
    cfg.models = [_model(c, m, f"models[{i}]") for i, m in enumerate(data["models"])]
    for key, attr in (("datasets", "label"), ("models", "name")):
        seen: set[str] = set()
        for i, item in enumerate(getattr(cfg, key)):
            value = getattr(item, attr)
            if value in seen:
                raise c.fail(f"{key}[{i}].{attr}", f"{value!r} appears twice")
            seen.add(value)
    if "methods" in data:
        cfg.methods = c.str_list(data["methods"], "methods", METHODS)
    if "questions" in data:
        cfg.questions = c.str_list(data["questions"], "questions", QUESTION_KEYS)
    if "k_grid" in data:
        cfg.k_grid = c.k_grid(data["k_grid"], "k_grid")
    if "seeds" in data:
        cfg.seeds = c.int_list(data["seeds"], "seeds")
    for key, minimum in (("top_n", 1), ("context_tokens", 16), ("max_new_tokens", 1), ("n_bootstrap", 1),
                         ("condition_batch", 1), ("seed", 0)):
        if key in data:
            setattr(cfg, key, c.integer(data[key], key, minimum))
    for key, choices in CHOICES.items():
        if key in data:
            setattr(cfg, key, c.choice(data[key], key, choices))
    if max(cfg.k_grid) > cfg.top_n:
        raise c.fail("k_grid", f"largest k ({max(cfg.k_grid)}) exceeds top_n ({cfg.top_n})")
    results = c.string(data.get("results_dir"), "results_dir", optional=True)
    cfg.results_dir = str(_resolve(results or f"results/{name}"))
    if "source" in data:  # a to_dict() round trip keeps the original file
        cfg.source = c.string(data["source"], "source", optional=True) or where
    return cfg


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
        raise KeyError(f"{seg!r} cannot be set inside {_show(node)}")


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
    cfg.source = str(path)
    return cfg


# --------------------------------------------------------------------------------------- grids, keys


def effective_grid(model_cfg: ModelConfig, n_heads_total: int,
                   cfg: ExperimentConfig | None = None) -> tuple[list[int], int, str | None]:
    """(k_grid, top_n, warning) for a model with ``n_heads_total`` heads.

    The configured grid is kept when the top set and the random pool outside it both hold the largest k
    (``max(k) <= top_n`` and ``top_n + max(k) <= n_heads_total``). Otherwise the model's preset grid (see
    :data:`PRESET_GRIDS`) or a scaled-down grid that fits is used, and ``warning`` says so.
    """
    grid = list(model_cfg.k_grid or (cfg.k_grid if cfg else [0, 10, 20, 30, 40, 50]))
    top_n = int(model_cfg.top_n or (cfg.top_n if cfg else 50))
    if _fits(grid, top_n, n_heads_total):
        return grid, top_n, None
    preset = PRESET_GRIDS.get(model_cfg.name.lower())
    if preset and _fits(preset["k_grid"], preset["top_n"], n_heads_total):
        new_grid, new_top = list(preset["k_grid"]), int(preset["top_n"])
        how = "its preset grid"
    else:
        steps = max(1, len(grid) - 1)
        new_top = max(1, min(top_n, n_heads_total // 2))
        step = max(1, new_top // steps)
        new_grid = sorted({min(i * step, new_top) for i in range(steps + 1)})
        how = "a grid scaled to fit"
    warning = (f"model {model_cfg.name}: {n_heads_total} heads cannot hold top_n={top_n} plus random k up to "
               f"{max(grid)} outside the top set; using {how}: top_n={new_top}, k_grid={new_grid}")
    return new_grid, new_top, warning


def _fits(grid: list[int], top_n: int, n_total: int) -> bool:
    return max(grid) <= top_n and top_n + max(grid) <= n_total
