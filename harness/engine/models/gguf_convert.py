"""GGUF to safetensors: dequantise a GGUF file once into a float32 model folder of the cache.

:func:`convert_gguf` writes the folder (weights, repaired tokenizer, stamp) under a temporary name and renames
it at the end, so the cache never holds a half-written model; :func:`prepare_gguf_file` does that once for a
user's ``.gguf`` file, keyed by its sha256.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from harness.engine.models.cache import cache_root, file_lock
from harness.engine.models.gguf_tokenizer import tokenizer_from_gguf
from harness.engine.models.weights import (
    combine_hashes,
    read_stamp,
    weight_files,
    weights_signature,
    write_stamp,
)
from harness.store.atomic import publish_dir
from harness.store.keys import file_sha256


def package_version(name: str) -> str | None:
    """Installed version of the distribution ``name``, or None when it is not installed."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


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
        tokenizer = tokenizer_from_gguf(gguf_path)
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.hf_quantizer = None
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        weights = {p.name: file_sha256(p) for p in weight_files(tmp)}
        stamp = {
            **(stamp_extra or {}),
            "gguf_file": gguf_path.name,
            "gguf_sha256": file_sha256(gguf_path),
            "weights_sha256": combine_hashes(weights),
            "weights_signature": None,  # filled below, after the files have their final mtimes
            "conversion": "GGUF dequantized to float32 by transformers' GGUF loader, saved with save_pretrained",
            "transformers": transformers.__version__,
            "torch": torch.__version__,
            "gguf": package_version("gguf"),
            "converted_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "conversion_seconds": round(time.time() - t0, 1),
        }
        stamp["weights_signature"] = weights_signature(weight_files(tmp))
        write_stamp(tmp, stamp)
        publish_dir(tmp, out_dir)
        return stamp
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def prepare_gguf_file(path: Path) -> Path:
    """Convert a user's .gguf file once into the cache (keyed by its sha256)."""
    digest = file_sha256(path)
    target = cache_root() / f"gguf-{path.stem}-{digest[:16]}"
    stamp = read_stamp(target)
    if stamp and stamp.get("gguf_sha256") == digest:
        return target
    with file_lock(cache_root() / f".gguf-{digest[:16]}.lock"):
        stamp = read_stamp(target)
        if stamp and stamp.get("gguf_sha256") == digest:
            return target
        if target.exists():
            shutil.rmtree(target)
        print(f"[models] converting {path} (once; cached in {target})", file=sys.stderr)
        convert_gguf(path, target, {"source_path": str(path)})
    return target
