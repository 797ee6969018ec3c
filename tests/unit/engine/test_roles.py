"""The model role is explicit: aliases know theirs, a local folder takes the caller's, and a chat template being
present never makes a model instruct (base checkpoints ship one too)."""

from __future__ import annotations

import pytest

from harness.engine.models.aliases import ALIASES
from harness.engine.models.loading import ModelLoadError, load_model, model_role
from tests.helpers.llama3 import save_tiny_llama3


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """A tiny Llama-3 saved twice: with the Instruct chat template, and without any template."""
    root = tmp_path_factory.mktemp("llama3_tiny")
    return {"instruct": save_tiny_llama3(root / "instruct", instruct=True),
            "plain": save_tiny_llama3(root / "plain", instruct=False)}


def test_aliases_know_their_role():
    assert {a: s.role for a, s in ALIASES.items()} == {
        "smollm2-135m-instruct": "instruct", "gemma3-270m": "base", "llama3-8b-instruct": "instruct",
        "llama3-8b": "base"}
    assert model_role("LLaMA3-8B", None) == "base" and model_role("llama3-8b-instruct", "instruct") == "instruct"
    assert model_role("/some/folder", None) is None and model_role("/some/folder", "base") == "base"
    with pytest.raises(ValueError, match="contradicts the alias 'gemma3-270m'"):
        model_role("gemma3-270m", "instruct")
    with pytest.raises(ValueError, match="role must be one of instruct, base"):
        model_role("/some/folder", "chat")


def test_role_not_the_template_decides_instruct(folders):
    inst = load_model(str(folders["instruct"]), role="instruct")
    assert inst.info.is_instruct and inst.info.role == "instruct" and inst.info.chat_template
    as_base = load_model(str(folders["instruct"]), role="base")  # a base checkpoint that ships a template
    assert not as_base.info.is_instruct and as_base.info.role == "base" and as_base.info.chat_template
    unspecified = load_model(str(folders["instruct"]))
    assert unspecified.info.role is None and not unspecified.info.is_instruct


def test_instruct_role_without_a_chat_template_is_an_error(folders):
    with pytest.raises(ModelLoadError, match="role 'instruct' but has a tokenizer without a chat template"):
        load_model(str(folders["plain"]), role="instruct")
    with pytest.raises(ValueError, match="contradicts the alias"):
        load_model("gemma3-270m", role="instruct", probe=False)  # refused before anything is loaded
