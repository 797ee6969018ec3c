"""A model split over two GPUs (``device_map``-style dispatch) runs the same code and gives the same results."""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytestmark = pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs 2 CUDA GPUs")


def test_split_model_equals_one_gpu():
    from accelerate import dispatch_model
    from transformers import LlamaConfig, LlamaForCausalLM

    from harness.checks.bench import synthetic_filing
    from harness.engine import decoding
    from harness.engine.decoding import StopRule
    from harness.engine.probe import register_probe_attention
    from harness.methods.base import DetectionSettings
    from harness.methods.shared_pass import detect_filing
    from harness.pipeline import conditions as abl

    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=32000, hidden_size=1024, intermediate_size=2816, num_hidden_layers=8,
                      num_attention_heads=16, num_key_value_heads=4, max_position_embeddings=8192)
    cfg._attn_implementation = register_probe_attention("sdpa")
    model = LlamaForCausalLM(cfg).eval().to(torch.float32)
    fp = synthetic_filing(1024, 32000, seed=1)
    settings = DetectionSettings(max_new_tokens=4)

    def run(m):
        res = detect_filing(m, None, fp, settings)
        qp = next(iter(fp.prompts.values()))
        cache = decoding.prefill(m, fp.prefix_ids)
        conds = [abl.Condition("m", 2, "top", None, ("1-1", "5-3")), abl.Condition("m", 0, "top", None, ())]
        abl_settings = abl.AblationSettings("uniform", "decode", max_new_tokens=4, condition_batch=8)
        gens = abl.ablate_question(m, cache, len(fp.prefix_ids), qp.ids, conds, abl_settings,
                                   StopRule.for_tokenizer(None))
        return res, gens

    one_res, one_gens = run(model.to("cuda:0"))
    half = {"model.embed_tokens": 0, "model.rotary_emb": 0, "model.norm": 1, "lm_head": 1}
    half.update({f"model.layers.{i}": 0 if i < 4 else 1 for i in range(8)})
    split = dispatch_model(model, device_map=half)
    two_res, two_gens = run(split)
    assert two_gens == one_gens
    for q in one_res:
        a, b = one_res[q], two_res[q]
        assert a.generated_ids == b.generated_ids
        np.testing.assert_allclose(a.summed_context, b.summed_context, atol=1e-5)
        np.testing.assert_allclose(a.qrhead, b.qrhead, atol=1e-5)
