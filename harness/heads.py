"""Head ids: ``"layer-head"``, zero-based (``"18-6"`` is head 6 of layer 18). Torch-free."""

from __future__ import annotations

from collections.abc import Iterable


def head_id(layer: int, head: int) -> str:
    """``(18, 6)`` -> ``"18-6"``."""
    return f"{layer}-{head}"


def parse_head(head: str) -> tuple[int, int]:
    """``"18-6"`` -> ``(18, 6)``; ValueError for anything that is not two zero-based integers."""
    parts = str(head).split("-")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise ValueError(f"head id must look like 'layer-head' (zero-based integers), got {head!r}")
    return int(parts[0]), int(parts[1])


def all_head_ids(n_layers: int, n_heads: int) -> list[str]:
    """Every head id of an ``n_layers`` x ``n_heads`` model, in layer-major order."""
    return [head_id(layer, h) for layer in range(n_layers) for h in range(n_heads)]


def sort_heads(heads: Iterable[str]) -> list[str]:
    """Head ids in layer-major order."""
    return sorted(heads, key=parse_head)


def head_set_key(heads: Iterable[str]) -> str:
    """Canonical text key of a head set: its ids in layer-major order, comma-separated."""
    return ",".join(sort_heads(heads))
