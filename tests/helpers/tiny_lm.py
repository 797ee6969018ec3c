"""A tiny random Llama with a small byte-level BPE tokenizer (trained in-process) for fast unit tests.

Random weights: what it generates is gibberish; tests use it for shapes, equalities and plumbing.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from harness.engine.models.random_weights import tiny_bpe_tokenizer
from harness.engine.probe import register_probe_attention


def tiny_tokenizer() -> PreTrainedTokenizerFast:
    """The engine's tiny byte-level BPE (``harness.engine.models.random_weights.tiny_bpe_tokenizer``)."""
    return tiny_bpe_tokenizer()


@dataclass
class TinyInfo:
    n_layers: int = 4
    n_heads: int = 4
    n_kv_heads: int = 2
    chat_template: bool = True


def tiny_llama(attn: str = "sdpa", seed: int = 0, n_layers: int = 4, n_heads: int = 4, n_kv: int = 2):
    """A random LlamaForCausalLM (float32, CPU) whose vocabulary fits ``tiny_tokenizer``; probe attention."""
    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=len(tiny_tokenizer()), hidden_size=64, intermediate_size=128,
                      num_hidden_layers=n_layers, num_attention_heads=n_heads, num_key_value_heads=n_kv,
                      max_position_embeddings=4096, rope_theta=10000.0, tie_word_embeddings=False,
                      initializer_range=0.3)
    cfg._attn_implementation = register_probe_attention(attn)
    return LlamaForCausalLM(cfg).eval()
