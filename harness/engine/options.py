"""The engine's settings vocabularies (torch-free): the configuration validates against these."""

from __future__ import annotations

DTYPES = ("float32", "bfloat16", "float16")
ATTENTION_BACKENDS = ("sdpa", "eager", "flash_attention_2")  # what the probe delegates the attention to
MASK_MODES = ("uniform", "zero")  # uniform: the head's query is zeroed; zero: its output is zeroed
MASK_SCOPES = ("decode", "all")  # decode: masks from the last prompt token on; all: the prompt too
STOP_RULES = ("newline_eos", "upstream")
