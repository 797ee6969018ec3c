"""Head scores: ranking with its tie-break, the per-sample record's checkpoint round trip, and the detection
unit's top list when Wu24 heads tie at 0."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pytest

from harness.config import ExperimentConfig, ModelConfig
from harness.methods.base import DetectionSettings, QuestionScores
from harness.methods.registry import METHODS, get_method
from harness.methods.scores import rank_heads, scores_dict
from harness.methods.wu24 import top1_evidence_mass
from harness.pipeline.detect import detection_unit
from harness.store.records import DetectionCheckpoint


def test_rank_heads_and_roundtrip():
    scores = np.array([[0.1, 0.5], [0.5, 0.0]])
    assert rank_heads(scores, 3) == ["0-1", "1-0", "0-0"]  # no secondary key: ties in layer order
    assert scores_dict(scores) == {"0-0": 0.1, "0-1": 0.5, "1-0": 0.5, "1-1": 0.0}
    mass = np.array([[0.2, 0.4], [0.3, 0.1]])
    qs = QuestionScores("inc_state", "Delaware", [1, 2], True, summed_context=scores, wu24_top1_mass=mass)
    back = QuestionScores.from_json(qs.to_json())
    np.testing.assert_array_equal(back.summed_context, scores)
    np.testing.assert_array_equal(back.wu24_top1_mass, mass)
    assert back.wu24 is None and back.qrhead_raw is None


def test_ties_are_broken_by_the_secondary_key_then_layer_order():
    primary = np.array([[0.0, 0.0, 0.7], [0.0, 0.7, 0.0]])
    secondary = np.array([[0.1, 0.0, 0.2], [0.3, 0.9, 0.3]])
    # 1-1 beats 0-2 on the secondary key; among the zeros 1-0 and 1-2 tie on both keys -> layer order
    assert rank_heads(primary, 6, secondary) == ["1-1", "0-2", "1-0", "1-2", "0-0", "0-1"]
    with pytest.raises(ValueError, match="shape"):
        rank_heads(primary, 2, np.zeros((3, 3)))


def test_top1_evidence_mass_counts_only_steps_on_the_evidence():
    # 3 decode steps, 1 layer, 2 heads; evidence spans [4, 6) and [9, 10)
    top1 = np.array([[[4, 0]], [[9, 5]], [[7, 5]]])
    values = np.array([[[0.6, 0.9]], [[0.3, 0.5]], [[0.8, 0.1]]])
    mass = top1_evidence_mass(top1, values, [(4, 6), (9, 10), (-1, -1)])
    np.testing.assert_allclose(mass, [[(0.6 + 0.3) / 3, (0.5 + 0.1) / 3]])
    assert top1_evidence_mass(np.zeros((0, 2, 3), int), np.zeros((0, 2, 3)), [(0, 1)]).shape == (2, 3)


@dataclass
class _Info:
    n_layers: int
    n_heads: int


def _context(top_n: int, n_layers: int, n_heads: int):
    cfg = ExperimentConfig(name="t", models=[{"name": "m", "role": "base", "top_n": top_n}], k_grid=[0, 1],
                           datasets=[{"label": "d", "generate": {"n_filings": 2}}])
    return SimpleNamespace(cfg=cfg, model_cfg=ModelConfig(name="m", role="base", top_n=top_n),
                           dataset=SimpleNamespace(label="d"),
                           loaded=SimpleNamespace(info=_Info(n_layers, n_heads)),
                           model_fingerprint=lambda: {"n_layers": n_layers, "n_heads": n_heads},
                           detection_settings=DetectionSettings)


def _checkpoint(sample_id: str, wu24: np.ndarray, mass: np.ndarray, success: bool = True) -> DetectionCheckpoint:
    qs = QuestionScores("inc_year", "1998", [1], success, summed_context=np.zeros_like(wu24), wu24=wu24,
                        wu24_success=success, wu24_top1_mass=mass)
    return DetectionCheckpoint(sample_id=sample_id, prompts=[], chat=False, questions={"inc_year": qs.to_json()})


def test_wu24_heads_tied_at_zero_are_ranked_by_their_evidence_mass():
    """Two heads with a retrieval score, four tied at 0: the zeros follow their mean top-1 evidence mass over
    the samples that passed the gate (a failed sample's mass does not count), never their position."""
    wu24 = np.array([[0.0, 0.5, 0.0], [0.0, 0.0, 0.25]])
    per_sample = [_checkpoint("a", wu24, np.array([[0.1, 0.9, 0.0], [0.2, 0.4, 0.8]])),
                  _checkpoint("b", wu24, np.array([[0.1, 0.9, 0.2], [0.0, 0.6, 0.8]])),
                  _checkpoint("c", wu24 * 0, np.array([[0.0, 0.0, 0.0], [9.0, 0.0, 0.0]]), success=False)]
    unit = detection_unit(_context(5, 2, 3), "wu24", "inc_year", per_sample)
    # mean evidence mass of a and b: [[0.1, 0.9, 0.1], [0.1, 0.5, 0.8]]; 1-1 leads the zero-score heads, and
    # 0-0, 0-2, 1-0 tie on both keys (0 and 0.1), so layer order lists 0-0 and 0-2
    assert unit.top_heads == ["0-1", "1-2", "1-1", "0-0", "0-2"]
    tie = unit.extra["tie_break"]
    assert tie["key"] == METHODS["wu24"].tie_break and tie["n_samples"] == 2
    assert tie["scores"]["1-1"] == pytest.approx(0.5) and tie["scores"]["1-0"] == pytest.approx(0.1)
    assert unit.extra["n_top_positive"] == 2 and unit.n_samples_used == 2


def test_each_method_names_its_secondary_key():
    for name, info in METHODS.items():
        assert info.tie_break, name
        assert callable(get_method(name).secondary_score)
    qs = QuestionScores("inc_year", "1998", [1], True, summed_context=np.ones((1, 2)),
                        summed_evidence=np.full((1, 2), 2.0))
    np.testing.assert_array_equal(get_method("summed_context").secondary_score(qs, ""), qs.summed_evidence)
    np.testing.assert_array_equal(get_method("summed_evidence").secondary_score(qs, ""), qs.summed_context)
