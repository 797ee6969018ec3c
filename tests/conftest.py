"""Shared test fixtures: the shared read-only data folder and session-scoped models.

Model fixtures load with the study's probe attention (delegating to SDPA), as the study does.
``smollm2`` and ``gemma3`` are the real demo models (converted once from their GGUF wheels into the model
cache, then loaded in seconds); tests using them should be marked ``integration``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.paths import SHARED_DIR


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``<repo>/../shared`` (DESIGN.md, golden/, edgar_sample/); tests needing it skip when it is absent."""
    if not SHARED_DIR.is_dir():
        pytest.skip(f"{SHARED_DIR} not found (the shared read-only data folder beside the repository)")
    return SHARED_DIR


@pytest.fixture(scope="session")
def smollm2():
    """SmolLM2-135M-Instruct (alias ``smollm2-135m-instruct``), float32 CPU, probe attention."""
    from harness.engine.models import load_model

    return load_model("smollm2-135m-instruct", dtype="float32", device="cpu", attn="sdpa", probe=True)


@pytest.fixture(scope="session")
def gemma3():
    """Gemma-3-270M base (alias ``gemma3-270m``), float32 CPU, probe attention."""
    from harness.engine.models import load_model

    return load_model("gemma3-270m", dtype="float32", device="cpu", attn="sdpa", probe=True)


@pytest.fixture(scope="session")
def tiny_llama(shared_dir: Path):
    """The golden tiny Llama (``../shared/golden/tiny_llama``: 4 layers x 4 heads, 2 KV heads; no tokenizer)."""
    from harness.engine.models import load_model

    return load_model(str(shared_dir / "golden" / "tiny_llama"), dtype="float32", device="cpu", probe=True)


@pytest.fixture(scope="session")
def tiny_random_llama():
    """A random-weight LlamaForCausalLM (4 layers, 4 heads, 2 KV heads, hidden 64, vocab 256), seed 0."""
    from harness.engine.models.random_weights import random_llama

    return random_llama("tiny", dtype="float32", device="cpu", seed=0, probe=True)
