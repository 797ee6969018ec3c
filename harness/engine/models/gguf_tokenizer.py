"""Tokenizers from GGUF files, repaired where transformers 5.17's GGUF conversion gets them wrong.

Two repairs: the special tokens (bos / eos / unk / pad) are set to the ids the GGUF declares, and a Gemma
GGUF's SentencePiece-BPE vocabulary is rebuilt as a real BPE (transformers makes it split into characters).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _gguf_fields(path: Path, names: tuple[str, ...]) -> dict[str, Any]:
    import gguf

    reader = gguf.GGUFReader(str(path))
    out: dict[str, Any] = {}
    for n in names:
        f = reader.fields.get(n)
        if f is not None:
            out[n] = f.contents()
    return out


def _special_ids(meta: dict[str, Any]) -> dict[str, int]:
    keys = {"bos_token": "tokenizer.ggml.bos_token_id", "eos_token": "tokenizer.ggml.eos_token_id",
            "unk_token": "tokenizer.ggml.unknown_token_id", "pad_token": "tokenizer.ggml.padding_token_id"}
    return {k: int(meta[v]) for k, v in keys.items() if v in meta}


def _sentencepiece_bpe_tokenizer(gguf_path: Path, meta: dict[str, Any]):
    """A Gemma tokenizer rebuilt from a GGUF's SentencePiece-BPE vocabulary (tokens, scores, token types).

    transformers 5.17 turns such a GGUF into a Unigram model whose segmentation differs from the original,
    and saves it as a merge-less BPE that splits text into single characters; we rebuild the BPE the way
    transformers converts Gemma's own sentencepiece model (merges ordered by piece score).
    """
    from tokenizers import AddedToken
    from transformers.models.gemma.tokenization_gemma import GemmaTokenizer
    from transformers.tokenization_utils_base import generate_merges

    tokens = [str(t) for t in meta["tokenizer.ggml.tokens"]]
    scores = [float(s) for s in meta["tokenizer.ggml.scores"]]
    types = [int(t) for t in meta["tokenizer.ggml.token_type"]]
    vocab = {t: i for i, t in enumerate(tokens)}
    if "\t" not in vocab and "<0x09>" in vocab:
        vocab["\t"] = vocab["<0x09>"]
    control = {t for t, ty in zip(tokens, types, strict=True) if ty == 3}
    user = [t for t, ty in zip(tokens, types, strict=True) if ty == 4]
    byte_tokens = {t for t, ty in zip(tokens, types, strict=True) if ty == 6}
    merges = generate_merges(vocab, {t: s for t, s in zip(tokens, scores, strict=True) if t not in control | byte_tokens},
                             skip_tokens=control | byte_tokens)
    ids = _special_ids(meta)
    tok = GemmaTokenizer(
        vocab=vocab, merges=merges,
        add_bos_token=bool(meta.get("tokenizer.ggml.add_bos_token", True)),
        add_eos_token=bool(meta.get("tokenizer.ggml.add_eos_token", False)),
        clean_up_tokenization_spaces=False,
        **{k: tokens[i] for k, i in ids.items()},
    )
    tok.add_tokens([AddedToken(t, normalized=False, special=True) for t in tokens if t in control],
                   special_tokens=True)
    tok.add_tokens([AddedToken(t, normalized=False, special=False) for t in user])
    template = meta.get("tokenizer.chat_template")
    if template:
        tok.chat_template = str(template)
    return tok


def tokenizer_from_gguf(gguf_path: Path):
    """Tokenizer of a GGUF file with the special tokens the GGUF declares (transformers 5.17 gets them wrong)."""
    from transformers import AutoTokenizer

    meta = _gguf_fields(gguf_path, (
        "general.architecture", "tokenizer.ggml.model", "tokenizer.ggml.tokens", "tokenizer.ggml.scores",
        "tokenizer.ggml.token_type", "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id",
        "tokenizer.ggml.unknown_token_id", "tokenizer.ggml.padding_token_id", "tokenizer.ggml.add_bos_token",
        "tokenizer.ggml.add_eos_token", "tokenizer.chat_template",
    ))
    arch = str(meta.get("general.architecture", ""))
    if arch.startswith("gemma") and meta.get("tokenizer.ggml.model") == "llama":
        return _sentencepiece_bpe_tokenizer(gguf_path, meta)
    tok = AutoTokenizer.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name)
    tokens = meta.get("tokenizer.ggml.tokens")
    if tokens is not None:
        for attr, i in _special_ids(meta).items():
            setattr(tok, attr, str(tokens[i]))
    tok.clean_up_tokenization_spaces = False  # llama.cpp never rewrites spaces around punctuation
    return tok
