"""Random-weight Llamas: shapes, seeding, and seed 0 reproducing the golden tiny Llama."""

from __future__ import annotations

import pytest
import torch

from harness.engine.models.random_weights import random_llama


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
