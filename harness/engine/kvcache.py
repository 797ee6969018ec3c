"""Small, version-robust helpers over transformers' ``DynamicCache`` (full layers: every position kept)."""

from __future__ import annotations

from transformers import DynamicCache


def cache_length(cache: DynamicCache) -> int:
    """Number of cached positions (0 for an empty cache)."""
    layers = getattr(cache, "layers", [])
    if not layers or getattr(layers[0], "keys", None) is None or layers[0].keys.numel() == 0:
        return 0
    return int(layers[0].keys.shape[-2])


def crop_to(cache: DynamicCache, length: int) -> None:
    """Keep the first ``length`` positions of every layer, in place (no copy: views of the old tensors)."""
    for layer in cache.layers:
        if getattr(layer, "keys", None) is not None and layer.keys.numel():
            layer.keys = layer.keys[..., :length, :]
            layer.values = layer.values[..., :length, :]


def expanded(cache: DynamicCache, batch: int) -> DynamicCache:
    """A new cache whose every row is a copy of row 0 of ``cache`` (``cache`` itself is not modified)."""
    new = DynamicCache()
    for i, layer in enumerate(cache.layers):
        k = layer.keys[:1].expand(batch, -1, -1, -1).contiguous()
        v = layer.values[:1].expand(batch, -1, -1, -1).contiguous()
        new.update(k, v, i)
    return new
