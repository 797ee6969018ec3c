"""Fixtures of the end-to-end tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.tiny_lm import tiny_llama, tiny_tokenizer


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A tiny random Llama and its tokenizer saved as a local model folder (SDPA attention)."""
    d = tmp_path_factory.mktemp("tiny_model")
    model = tiny_llama()
    model.config._attn_implementation = "sdpa"
    model.save_pretrained(d)
    tiny_tokenizer().save_pretrained(d)
    return d
