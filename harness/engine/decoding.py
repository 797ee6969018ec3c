"""Decoding: forward calls on a KV cache, the shared-prefix prefill, stop rules, batched greedy decoding.

SEC-agnostic: token ids in, token ids (and the probe's side effects) out. ``forward`` feeds one row of ids
onto a cache; ``prefill`` computes the cache of a prefix shared by several prompts; ``decode_batch``
greedy-decodes one row per head set over a shared cache, with the probe's head masks applied per row.
Stop rules: ``newline_eos`` (the study's: a newline after the answer's first non-whitespace character, or
an EOS-like token) and ``upstream`` (Wu et al. 2024: the ``<0x0A>`` token string or id 144, checked after
appending). :class:`BosRule` asserts that a prompt starts with the tokenizer's BOS exactly when it should.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from transformers import DynamicCache

from harness.engine import probe
from harness.engine.batched_decode import decode_over_prefix
from harness.engine.kvcache import cache_length, expanded
from harness.engine.models import count_heads
from harness.engine.options import STOP_RULES

_EOS_NAMES = ("<|eot_id|>", "<|im_end|>", "<end_of_turn>", "<|end_of_text|>", "<eos>")


def eos_like_ids(tokenizer) -> frozenset[int]:
    """Token ids that end a turn or a text: the tokenizer's EOS and pad ids and the usual end-of-turn tokens."""
    ids: set[int] = set()
    if tokenizer is None:
        return frozenset()
    for tok_id in (tokenizer.eos_token_id, getattr(tokenizer, "pad_token_id", None)):
        if isinstance(tok_id, int):
            ids.add(tok_id)
    vocab = tokenizer.get_vocab()  # built once: a dict of the whole vocabulary
    for name in _EOS_NAMES:
        if isinstance(vocab.get(name), int):
            ids.add(vocab[name])
    return frozenset(ids)


@dataclass(frozen=True)
class StopRule:
    """When greedy decoding of one row stops (checked after each appended token).

    ``newline_eos`` (the study's): an EOS-like token, or a token whose text holds a newline once the row's text
    before that newline holds a non-whitespace character; leading whitespace (a base model's newline after
    ``Answer:``) does not stop it. ``upstream`` (Wu et al. 2024): the token string ``<0x0A>`` or the id 144;
    EOS does not stop it. Without a tokenizer (byte-level test models) ``upstream`` stops on ids 10 and 144,
    ``newline_eos`` never.
    """

    rule: str
    tokenizer: Any = field(default=None, compare=False, repr=False)
    eos_ids: frozenset[int] = frozenset()

    @classmethod
    def for_tokenizer(cls, tokenizer, rule: str = "newline_eos") -> StopRule:
        """The rule for ``tokenizer`` (its EOS-like ids looked up once)."""
        if rule not in STOP_RULES:
            raise ValueError(f"stop rule must be one of {', '.join(STOP_RULES)}, got {rule!r}")
        return cls(rule, tokenizer, eos_like_ids(tokenizer))

    def done(self, ids: Sequence[int]) -> bool:
        """Whether a row that has generated ``ids`` (the newest last) stops here."""
        token_id = int(ids[-1])
        if self.tokenizer is None:
            return self.rule == "upstream" and token_id in (10, 144)
        if self.rule == "upstream":
            from third_party.wu24 import upstream_should_stop

            return upstream_should_stop(self.tokenizer.convert_ids_to_tokens(token_id), token_id)
        if token_id in self.eos_ids:
            return True
        text = self.tokenizer.decode([token_id])
        if "\n" not in text:
            return False
        before = self.tokenizer.decode([int(t) for t in ids[:-1]], skip_special_tokens=True)
        return bool((before + text[: text.index("\n")]).strip())

    def hit_max_tokens(self, ids: Sequence[int], max_new_tokens: int) -> bool:
        """True when a row that generated ``ids`` ran to ``max_new_tokens`` without this rule firing (cut off)."""
        return len(ids) >= max_new_tokens and not (len(ids) > 0 and self.done(ids))

    def never_fires(self) -> str | None:
        """Why ``upstream`` cannot stop on this vocabulary's newlines (None when it can, or for ``newline_eos``)."""
        if self.rule != "upstream" or self.tokenizer is None:
            return None
        from third_party.wu24.stopping import UPSTREAM_STOP_ID, UPSTREAM_STOP_TOKEN

        vocab = self.tokenizer.get_vocab()
        newline = self.tokenizer("\n", add_special_tokens=False)["input_ids"]
        pieces = self.tokenizer.convert_ids_to_tokens(newline)
        if pieces == [UPSTREAM_STOP_TOKEN]:
            return None
        in_vocab = len(vocab) > UPSTREAM_STOP_ID
        if in_vocab and "\n" in self.tokenizer.decode([UPSTREAM_STOP_ID]):
            return None
        written = f"a newline is written as {pieces!r} (ids {newline})"
        id_part = (f"id {UPSTREAM_STOP_ID} is the token {self.tokenizer.convert_ids_to_tokens(UPSTREAM_STOP_ID)!r}, "
                   "not a newline") if in_vocab else f"id {UPSTREAM_STOP_ID} is outside the vocabulary"
        if UPSTREAM_STOP_TOKEN not in vocab:
            return (f"stop: upstream will never fire on this vocabulary: it has no {UPSTREAM_STOP_TOKEN!r} token "
                    f"({written}) and {id_part}; every answer decodes max_new_tokens tokens")
        return (f"stop: upstream will not fire on newlines with this vocabulary: {written}, not as its "
                f"{UPSTREAM_STOP_TOKEN!r} token (id {vocab[UPSTREAM_STOP_TOKEN]}), and {id_part}; answers decode "
                "max_new_tokens tokens unless the model emits that byte token")


class PromptBosError(ValueError):
    """A prompt does not start with the tokenizer's BOS exactly as often as its encoding or template asks."""


@dataclass(frozen=True)
class BosRule:
    """Whether prompts of one tokenizer and layout must start with its BOS (exactly once) or not at all.

    Expected when the tokenizer's encoding adds a BOS (a post-processor, ``add_bos_token``) or, for chat
    prompts, when its chat template inserts one; a tokenizer that does neither gets none. Never twice.
    """

    bos_id: int | None
    expected: bool
    why: str

    @classmethod
    def for_tokenizer(cls, tokenizer, chat: bool) -> BosRule:
        """The rule for ``tokenizer`` and the chat (True) or base (False) layout."""
        bos_id = getattr(tokenizer, "bos_token_id", None) if tokenizer is not None else None
        if not isinstance(bos_id, int):
            return cls(None, False, "the tokenizer has no BOS token")
        bos = tokenizer.convert_ids_to_tokens(bos_id)
        adds = tokenizer("x", add_special_tokens=True)["input_ids"][:1] == [bos_id]
        inserts = False
        if chat and getattr(tokenizer, "chat_template", None):
            text = tokenizer.apply_chat_template([{"role": "user", "content": "x"}], tokenize=False,
                                                 add_generation_prompt=True)
            inserts = text.startswith(bos)
        if adds or inserts:
            how = " and ".join(w for w, f in (("its encoding adds it", adds), ("its chat template inserts it",
                                                                                inserts)) if f)
            return cls(bos_id, True, f"BOS {bos!r} (id {bos_id}) expected once: {how}")
        return cls(bos_id, False, f"BOS {bos!r} (id {bos_id}) not expected: the encoding adds none"
                                  + (" and the chat template inserts none" if chat else ""))

    def check(self, ids: Sequence[int], what: str = "prompt") -> None:
        """Raise :class:`PromptBosError` unless ``ids`` start with the BOS exactly once (or not at all)."""
        if self.bos_id is None:
            return
        n = 0
        while n < len(ids) and int(ids[n]) == self.bos_id:
            n += 1
        if n != int(self.expected):
            raise PromptBosError(f"{what} starts with {n} BOS token(s) (id {self.bos_id}), expected "
                                 f"{int(self.expected)}: {self.why}")


def forward(model, ids: Sequence[int], cache: DynamicCache) -> torch.Tensor:
    """Feed ``ids`` (one row) onto ``cache``; return the last position's logits (float32, 1-D)."""
    device = model.device
    x = torch.tensor([list(ids)], device=device)
    out = model(input_ids=x, past_key_values=cache, use_cache=True, logits_to_keep=1)
    return out.logits[0, -1].float()


@torch.no_grad()
def prefill(model, prefix_ids: Sequence[int]) -> DynamicCache:
    """Run the shared prefix once; returns its KV cache (a plain DynamicCache: every position kept)."""
    cache = DynamicCache()
    if prefix_ids:
        forward(model, prefix_ids, cache)
    return cache


@torch.no_grad()
def decode_batch(
    model, cache: DynamicCache, first_ids: Sequence[int], head_sets: Sequence[Sequence[str]], mode: str,
    max_new_tokens: int, stop: StopRule, share_prefix: bool = True,
) -> list[list[int]]:
    """Greedy-decode one row per head set over ``cache`` (batch 1), feeding ``first_ids`` first, masked.

    ``mode``: the head mask's mode (``uniform`` / ``zero``). With ``share_prefix`` the rows attend to
    ``cache`` in place (read once per step for the whole batch, never copied:
    :func:`harness.engine.probe.shared_prefix`); otherwise each row gets a copy of it. Returns the
    generated ids of each row (stopping per row at ``stop``).
    """
    if share_prefix and cache_length(cache) > 0 and len(first_ids) == 1:  # static rows, graph-captured steps
        return decode_over_prefix(model, cache, cache_length(cache), [first_ids], [head_sets], mode, max_new_tokens,
                                  stop)[0]
    b = len(head_sets)
    n_layers, n_heads = count_heads(model.config)[:2]
    mask = probe.HeadMask.from_heads(head_sets, n_layers, n_heads, mode)
    device = model.device
    p = cache_length(cache)
    shared = share_prefix and p > 0
    work = DynamicCache() if shared else expanded(cache, b)
    # the shared prefix in float32 once per batch (the attention over it runs in float32 every step)
    prefix = [(layer.keys[:1].float(), layer.values[:1].float()) for layer in cache.layers] if shared else None
    x = torch.tensor([list(first_ids)] * b, device=device)
    pos = p
    out_ids: list[list[int]] = [[] for _ in range(b)]
    done = [False] * b
    with probe.masking(mask), (probe.shared_prefix(prefix) if shared else contextlib.nullcontext()):
        for _ in range(max_new_tokens):
            n = x.shape[1]
            position_ids = torch.arange(pos, pos + n, device=device)[None].expand(b, -1)
            logits = model(input_ids=x, position_ids=position_ids, past_key_values=work, use_cache=True,
                           logits_to_keep=1).logits[:, -1]
            pos += n
            nxt = torch.argmax(logits.float(), dim=-1).tolist()
            for i, t in enumerate(nxt):
                if not done[i]:
                    out_ids[i].append(int(t))
                    done[i] = stop.done(out_ids[i])
            if all(done):
                break
            x = torch.tensor(nxt, device=device)[:, None]
    return out_ids
