"""Head scores: ranking, and the per-sample record's checkpoint round trip."""

from __future__ import annotations

import numpy as np

from harness.methods.base import QuestionScores
from harness.methods.scores import rank_heads, scores_dict


def test_rank_heads_and_roundtrip():
    scores = np.array([[0.1, 0.5], [0.5, 0.0]])
    assert rank_heads(scores, 3) == ["0-1", "1-0", "0-0"]
    assert scores_dict(scores) == {"0-0": 0.1, "0-1": 0.5, "1-0": 0.5, "1-1": 0.0}
    qs = QuestionScores("inc_state", "Delaware", [1, 2], True, summed_context=scores)
    back = QuestionScores.from_json(qs.to_json())
    np.testing.assert_array_equal(back.summed_context, scores)
    assert back.wu24 is None
