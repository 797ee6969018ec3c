"""GGUF conversion leaves nothing half-written; integration: Gemma 3's repaired tokenizer."""

from __future__ import annotations

import pytest

from harness.engine.models.gguf_convert import convert_gguf


def test_failed_conversion_leaves_no_folder(tmp_path, monkeypatch):
    import transformers

    def boom(*a, **k):
        raise RuntimeError("simulated crash while converting")

    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", boom)
    fake = tmp_path / "m.gguf"
    fake.write_bytes(b"GGUF")
    target = tmp_path / "cache" / "m"
    with pytest.raises(RuntimeError, match="simulated"):
        convert_gguf(fake, target)
    assert not target.exists()
    assert list((tmp_path / "cache").iterdir()) == []  # the tmp folder is gone too


@pytest.mark.integration
def test_gemma3_tokenizer_is_sentencepiece_bpe(gemma3):
    """The rebuilt tokenizer splits words like Gemma's (transformers' GGUF path splits into characters)."""
    tok = gemma3.tokenizer
    ids = tok("The capital of France is").input_ids
    assert tok.convert_ids_to_tokens(ids) == ["<bos>", "The", "▁capital", "▁of", "▁France", "▁is"]
    text = "Incorporated in the State of Delaware in 1998; approximately 12,500 employees.\n\nItem 1."
    assert tok.decode(tok(text).input_ids, skip_special_tokens=True) == text
    assert tok.convert_ids_to_tokens(tok(" 1998").input_ids)[1:] == ["▁", "1", "9", "9", "8"]
