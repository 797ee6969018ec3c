"""Model loading: built-in aliases, GGUF conversion, local folders and hub ids, weights hashes, random models.

``load_model`` (:mod:`.loading`) is the entry point; :mod:`.aliases` names the built-in models, :mod:`.gguf_convert`
and :mod:`.gguf_tokenizer` turn a GGUF file into a cached safetensors folder, :mod:`.hub` explains hub failures,
:mod:`.weights` hashes weights files, :mod:`.cache` locates the converted-model cache, :mod:`.random_weights`
builds random-weight models for timing and tests.
"""

from harness.engine.models.loading import (
    ALIASES,
    DTYPE_NAMES,
    AliasSpec,
    LoadedModel,
    ModelInfo,
    ModelLoadError,
    ModelNotFoundError,
    attn_implementation,
    count_heads,
    load_model,
    prepare_alias,
    resolve_alias,
    resolve_dtype,
)

__all__ = [
    "ALIASES", "DTYPE_NAMES", "AliasSpec", "LoadedModel", "ModelInfo", "ModelLoadError",
    "ModelNotFoundError", "attn_implementation", "count_heads", "load_model", "prepare_alias", "resolve_alias",
    "resolve_dtype",
]
