"""Hub models: clear errors offline / gated / missing, and loading from the local HF cache without network."""

from __future__ import annotations

import pytest

from harness.engine.models import ALIASES, ModelLoadError, ModelNotFoundError, load_model
from harness.engine.models.hub import hub_error
from harness.engine.models.random_weights import random_llama


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
    gated = hub_error("org/m", OSError("You are trying to access a gated repo. 401 Client Error"))
    assert type(gated) is ModelLoadError and "HF_TOKEN" in str(gated) and "refused" in str(gated)
    missing = hub_error("org/m", OSError("org/m is not a valid model identifier listed on the hub"))
    assert type(missing) is ModelNotFoundError and "no model 'org/m'" in str(missing)
    try:
        try:
            raise ConnectionError("Name or service not known")
        except ConnectionError as inner:
            raise OSError("We couldn't connect to 'https://huggingface.co'") from inner
    except OSError as outer:
        offline = hub_error("meta-llama/Meta-Llama-3-8B", outer, ALIASES["llama3-8b"].gated)
    assert type(offline) is ModelNotFoundError and "unreachable" in str(offline) and "HF_TOKEN" in str(offline)
