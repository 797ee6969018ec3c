"""load_model: clear errors for bad paths / dtypes / attention, a local folder; integration: real models run."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest
import torch

from harness.engine.models import ModelLoadError, ModelNotFoundError, load_model
from harness.store.keys import file_sha256


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


def test_tiny_llama_local_folder(tiny_llama, shared_dir):
    info = tiny_llama.info
    weights = shared_dir / "golden" / "tiny_llama" / "model.safetensors"
    assert info.revision_or_hash == file_sha256(weights)
    assert (info.family, info.n_layers, info.n_heads, info.n_kv_heads, info.head_dim) == ("llama", 4, 4, 2, 16)
    assert tiny_llama.tokenizer is None and info.chat_template is False and info.is_instruct is False
    assert info.attn_implementation == "probe_sdpa" and info.attn_delegate == "sdpa"
    assert info.random_weights is False and info.path == str(weights.parent.resolve())
    assert json.loads(json.dumps(asdict(info)))["id"] == str(weights.parent.resolve())
    assert not tiny_llama.model.training


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
def test_gemma3_answers_a_prompt(gemma3):
    tok = gemma3.tokenizer
    enc = tok("Question: What is the capital of France?\nAnswer:", return_tensors="pt")
    with torch.no_grad():
        out = gemma3.model.generate(**enc, max_new_tokens=6, do_sample=False)
    answer = tok.decode(out[0, enc.input_ids.shape[1]:], skip_special_tokens=True).strip()
    assert answer and "Paris" in answer
