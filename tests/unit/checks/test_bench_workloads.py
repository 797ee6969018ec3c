"""What the bench times (harness/checks/bench/workloads.py): the study's own functions and the plain
baselines making the same forward calls."""

from __future__ import annotations

import numpy as np
import pytest

from harness.checks.bench import inputs, workloads
from harness.engine.models.random_weights import random_llama
from harness.methods.base import DetectionSettings
from harness.methods.registry import METHOD_NAMES
from harness.methods.shared_pass import detect_filing
from harness.pipeline.conditions import distinct_head_sets


@pytest.fixture(scope="module")
def tiny():
    return random_llama("tiny", dtype="float32", device="cpu", probe=True)


def test_detection_path_is_detect_filing(tiny):
    fp = inputs.synthetic_filing(64, tiny.model.config.vocab_size, n_questions=2, question_tokens=5, seed=1)
    got = workloads.detection_path(tiny.model, fp, max_new_tokens=3)
    want = detect_filing(tiny.model, None, fp, DetectionSettings(max_new_tokens=3))
    assert list(got) == list(want)
    for q in want:
        assert got[q].generated_ids == want[q].generated_ids and len(got[q].generated_ids) == 3
        np.testing.assert_array_equal(got[q].qrhead, want[q].qrhead)


def test_plain_paths_make_forward_calls_and_leave_no_probe_state(tiny):
    fp = inputs.synthetic_filing(64, tiny.model.config.vocab_size, n_questions=2, question_tokens=5, seed=1)
    assert workloads.plain_pass(tiny.model, fp, 3) is None
    assert workloads.plain_prefill(tiny.model, fp) is None
    bd = workloads.forward_breakdown(tiny.model, fp, "cpu", reps=1)
    assert bd["question_suffix"]["tokens"] == 5 + 4
    assert all(bd[p][k] > 0 for p in ("decode_step", "question_suffix") for k in ("plain_ms", "probed_ms"))
    # detection after the probed calls still equals a fresh detect_filing: nothing left switched on
    again = workloads.detection_path(tiny.model, fp, max_new_tokens=3)
    want = detect_filing(tiny.model, None, fp, DetectionSettings(max_new_tokens=3))
    assert all(again[q].generated_ids == want[q].generated_ids for q in want)


def test_timing_conditions_and_their_distinct_head_sets(tiny):
    conds = workloads.timing_conditions(4, 4, [0, 1, 2], n_seeds=2, exclude_top_n=4)
    assert {c.method for c in conds} == set(METHOD_NAMES)
    unique = distinct_head_sets(conds)
    assert len(unique) == len(set(unique)) and () in unique and len(unique) <= len(conds)
    assert len(conds) == len(METHOD_NAMES) * (1 + 2 * 3)  # per method: the k=0 baseline, top and 2 random per k > 0
    fp = inputs.synthetic_filing(64, tiny.model.config.vocab_size, n_questions=1, question_tokens=5, seed=1)
    out = workloads.ablation_batched(tiny.model, fp, conds, 4, 4, "uniform", 2, 32)
    (gens,) = out.values()
    assert list(gens) == unique  # the keys ablate_question decodes, in the same order
