"""Wu et al. (2024) decode stop rule (upstream ``decode``, golden README section 7, item 4)."""

from __future__ import annotations

UPSTREAM_STOP_TOKEN = "<0x0A>"  # Llama-2 byte-fallback spelling of "\n"
UPSTREAM_STOP_ID = 144  # hard-coded upstream; meaningless for most vocabularies


def upstream_should_stop(token_str: str, token_id: int) -> bool:
    """True when upstream stops decoding *after* appending (and scoring) this token.

    Upstream stops on the token string ``'<0x0A>'`` or the id 144; EOS does not stop it. The study's
    default rule (``stop: newline_eos``) lives with the decoder, not here.
    """
    return token_str == UPSTREAM_STOP_TOKEN or int(token_id) == UPSTREAM_STOP_ID


def upstream_decode_length(step_tokens: list[str], step_ids: list[int], max_new_tokens: int) -> int:
    """How many tokens of a greedy continuation upstream keeps (the stop token included)."""
    if len(step_tokens) != len(step_ids):
        raise ValueError(f"{len(step_tokens)} token strings for {len(step_ids)} ids")
    limit = min(len(step_ids), max_new_tokens)
    for t in range(limit):
        if upstream_should_stop(step_tokens[t], step_ids[t]):
            return t + 1
    return limit
