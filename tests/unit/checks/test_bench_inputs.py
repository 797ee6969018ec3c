"""The bench's synthetic filing and model (harness/checks/bench/inputs.py)."""

from __future__ import annotations

import pytest

from harness.checks.bench import config, inputs


def test_synthetic_filing_layout():
    fp = inputs.synthetic_filing(300, vocab_size=256, n_questions=4, question_tokens=25, seed=1)
    assert len(fp.prompts) == 4
    p = len(fp.prefix_ids)
    for qp in fp.prompts.values():
        c0, c1 = qp.context_span
        assert c1 - c0 == 300 and c1 <= p
        assert qp.ids[:p] == fp.prefix_ids and qp.null_ids[:p] == fp.prefix_ids
        assert len(qp.ids) - p == 25 + 4 and qp.query_start == p
        assert all(3 <= t < 256 for t in qp.ids)
        # paragraphs tile the context; each evidence span sits in a gold paragraph
        assert qp.paragraph_spans[0][0] == c0 and qp.paragraph_spans[-1][1] == c1
        assert all(a[1] == b[0] for a, b in zip(qp.paragraph_spans[:-1], qp.paragraph_spans[1:], strict=True))
        assert len(qp.paragraph_spans) == 3 and len(qp.evidence_spans) == 2
        for (s, e), g in zip(qp.evidence_spans, qp.gold_paragraphs, strict=True):
            ps, pe = qp.paragraph_spans[g]
            assert ps <= s < e <= pe
        assert qp.wu24_spans == qp.evidence_spans and qp.usable
    with pytest.raises(ValueError, match="at least 16"):
        inputs.synthetic_filing(8, vocab_size=256)
    with pytest.raises(ValueError, match="n_questions"):
        inputs.synthetic_filing(100, vocab_size=256, n_questions=0)


def test_synthetic_filing_is_reproducible():
    a = inputs.synthetic_filing(200, vocab_size=5000, seed=4)
    b = inputs.synthetic_filing(200, vocab_size=5000, seed=4)
    assert a.prefix_ids == b.prefix_ids and [q.ids for q in a.prompts.values()] == [q.ids for q in b.prompts.values()]
    assert all(1000 <= t < 4000 for t in a.prefix_ids)  # clear of special ids in a large vocabulary
    assert inputs.synthetic_filing(200, vocab_size=5000, seed=5).prefix_ids != a.prefix_ids


def test_bench_model_fits_the_longest_context():
    cfg = config.make_config(quick=True, contexts=[128], throughput_context=8000)
    lm = inputs.load_bench_model(cfg)
    assert lm.model.config.max_position_embeddings >= 8000 + 256
    assert (lm.info.n_layers, lm.info.n_heads) == (4, 4) and lm.info.random_weights
