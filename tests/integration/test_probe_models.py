"""The probe on the real demo models: rows equal eager ``output_attentions`` rows (SmolLM2, Gemma 3)."""

from __future__ import annotations

import pytest
import torch
from transformers import DynamicCache

from harness.engine import probe
from harness.engine.models import load_model

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", params=["smollm2-135m-instruct", "gemma3-270m"])
def eager_model(request):
    lm = load_model(request.param, dtype="float32", device="cpu", attn="eager", probe=True)
    return lm


def _ids(lm, n: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(5)
    return torch.randint(100, 20000, (1, n), generator=g)


@pytest.mark.parametrize("masked", [False, True])
def test_rows_equal_output_attentions(eager_model, masked):
    """Last-position and span rows, through a KV cache, with and without a head mask, incl. Gemma's windows."""
    info = eager_model.info
    model = eager_model.model
    n = 600 if info.family.startswith("gemma") else 120  # longer than Gemma 3 270M's 512-token window
    ids = _ids(eager_model, n)
    heads = ["3-1", f"{info.n_layers - 2}-0"] if masked else []
    hm = probe.HeadMask.from_heads([heads], info.n_layers, info.n_heads) if masked else None
    span = list(range(n - 12, n))
    cap_last, cap_span = probe.CaptureRows(), probe.CaptureRows()
    cache = DynamicCache()
    with torch.no_grad(), probe.masking(hm):
        model(ids[:, : n - 20], past_key_values=cache)
        with probe.probing("last", [cap_last]), probe.probing(span, [cap_span]):
            out = model(ids[:, n - 20 :], past_key_values=cache, output_attentions=True)
    ref = torch.stack([a[0] for a in out.attentions])  # (L, H, 20, n): eager rows of the suffix call
    torch.testing.assert_close(cap_last.stack()[:, 0, :, 0], ref[:, :, -1], atol=2e-5, rtol=0)
    torch.testing.assert_close(cap_span.stack()[:, 0], ref[:, :, -12:], atol=2e-5, rtol=0)
    if masked:
        layer, head = probe.parse_head(heads[0])
        row = cap_last.stack()[layer, 0, head, 0]
        window = getattr(model.model.layers[layer].self_attn, "sliding_window", None) or n
        visible = min(n, window)
        torch.testing.assert_close(row[row > 0], torch.full((visible,), 1 / visible), atol=1e-6, rtol=0)


@pytest.mark.parametrize("name", ["smollm2-135m-instruct", "gemma3-270m"])
def test_shared_prefix_decoding_equals_copied_cache(name):
    """Batched decoding over the uncopied shared prefix = decoding over per-row copies (Gemma: past its window)."""
    from harness.engine.decoding import StopRule, decode_batch, prefill

    lm = load_model(name, dtype="float32", device="cpu", attn="sdpa", probe=True)
    ids = _ids(lm, 640)[0].tolist()
    cache = prefill(lm.model, ids[:-1])
    sets = [[], ["3-1", "5-0"], [f"{lm.info.n_layers - 1}-{lm.info.n_heads - 1}"]]
    args = (lm.model, cache, ids[-1:], sets, "uniform", 6, StopRule.for_tokenizer(lm.tokenizer, "newline_eos"))
    shared = decode_batch(*args, share_prefix=True)
    copied = decode_batch(*args, share_prefix=False)
    assert shared == copied
