"""A tiny random Llama with a small byte-level BPE tokenizer (trained in-process) for fast unit tests.

Random weights: what it generates is gibberish; tests use it for shapes, equalities and plumbing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from harness.probe import register_probe_attention

CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
_TRAIN_TEXT = [
    "The Company was incorporated in the State of Delaware in 1998. We employ approximately 12,500 people.",
    "Our principal executive offices are located in Austin, Texas. Nevada, California, New York, Virginia.",
    "Document: Question: In which year was the company incorporated? Answer with the name of the state only.",
    "How many employees does the company have in total? headquarters 0123456789 , . N/A",
]


@lru_cache(maxsize=1)
def tiny_tokenizer() -> PreTrainedTokenizerFast:
    """A ~400-token byte-level BPE with chat template and special tokens."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(_TRAIN_TEXT * 5, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", bos_token="<|im_start|>",
                                   unk_token="<|endoftext|>", pad_token="<|im_end|>")
    fast.chat_template = CHAT_TEMPLATE
    return fast


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
