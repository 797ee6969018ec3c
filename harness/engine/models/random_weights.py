"""Random-weight models for timing, plumbing and tests: Llama-3-8B shape, a tiny Llama, a tiny tokenizer.

Random weights are honest for timing (the work per token does not depend on the values) and meaningless for
anything else; nothing built here is ever a finding.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from harness.engine.models.loading import (
    LoadedModel,
    ModelInfo,
    attn_implementation,
    count_heads,
    resolve_dtype,
)

RANDOM_SHAPES: dict[str, dict[str, Any]] = {
    "llama3-8b": dict(vocab_size=128256, hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
                      num_attention_heads=32, num_key_value_heads=8, max_position_embeddings=8192,
                      rope_theta=500000.0, rms_norm_eps=1e-5, tie_word_embeddings=False,
                      bos_token_id=128000, eos_token_id=128001),
    "tiny": dict(vocab_size=256, hidden_size=64, intermediate_size=128, num_hidden_layers=4,
                 num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=2048,
                 rope_theta=500000.0, rms_norm_eps=1e-6, tie_word_embeddings=False, initializer_range=0.4,
                 bos_token_id=1, eos_token_id=2),
}


def random_llama(
    shape: str = "llama3-8b",
    dtype: str = "bfloat16",
    device: str = "cpu",
    seed: int = 0,
    attn: str = "sdpa",
    probe: bool = False,
    overrides: dict[str, Any] | None = None,
) -> LoadedModel:
    """A LlamaForCausalLM with random weights (``llama3-8b``: Llama-3-8B shape; ``tiny``: 4 x 4 heads, 2 KV).

    Built directly on ``device``; no tokenizer. For timing and plumbing tests, never for findings.
    """
    import torch
    from transformers import AutoModelForCausalLM, LlamaConfig

    if shape not in RANDOM_SHAPES:
        raise ValueError(f"shape must be one of {', '.join(RANDOM_SHAPES)}, got {shape!r}")
    dtype_name, torch_dtype = resolve_dtype(dtype)
    impl = attn_implementation(attn, probe, str(device))
    params = {**RANDOM_SHAPES[shape], **(overrides or {})}
    config = LlamaConfig(**params)
    torch.manual_seed(seed)
    with torch.device(device):
        model = AutoModelForCausalLM.from_config(config, dtype=torch_dtype, attn_implementation=impl)
    model.eval()
    n_layers, n_heads, n_kv, head_dim = count_heads(model.config)
    info = ModelInfo(
        name=f"random-{shape}", id=f"random:{shape}", revision_or_hash=f"random-init-seed-{seed}",
        family=str(model.config.model_type), n_layers=n_layers, n_heads=n_heads, n_kv_heads=n_kv,
        head_dim=head_dim, chat_template=False, is_instruct=False,
        attn_implementation=str(model.config._attn_implementation), dtype=dtype_name,
        device=str(next(model.parameters()).device), random_weights=True, attn_delegate=attn,
        source=f"random init (torch.manual_seed({seed})), LlamaConfig {json.dumps(params, sort_keys=True)}",
    )
    return LoadedModel(model, None, info)


# ------------------------------------------------------------------------------------------------ CLI


TINY_CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
_TINY_TRAIN_TEXT = [
    "The Company was incorporated in the State of Delaware in 1998. We employ approximately 12,500 people.",
    "Our principal executive offices are located in Austin, Texas. Nevada, California, New York, Virginia.",
    "Document: Question: In which year was the company incorporated? Answer with the name of the state only.",
    "How many employees does the company have in total? headquarters 0123456789 , . N/A",
]


@lru_cache(maxsize=1)
def tiny_bpe_tokenizer():
    """A ~400-token byte-level BPE (trained in-process, no download) with a ChatML template and special tokens."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(_TINY_TRAIN_TEXT * 5, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", bos_token="<|im_start|>",
                                   unk_token="<|endoftext|>", pad_token="<|im_end|>")
    fast.chat_template = TINY_CHAT_TEMPLATE
    return fast
