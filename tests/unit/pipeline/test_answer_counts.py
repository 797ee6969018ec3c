"""Unit files count empty answers and answers cut off at max_new_tokens; ablation leaves out (and lists) the test
samples without a usable truth or without evidence in their context window."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from harness.analysis.findings_setup import answer_counts_text
from harness.analysis.loading import RunResults
from harness.engine.models.loading import ModelInfo
from harness.heads import head_set_key
from harness.methods.base import DetectionSettings, QuestionScores
from harness.pipeline.ablate import ablation_unit
from harness.pipeline.conditions import Condition
from harness.pipeline.detect import detection_unit
from harness.store.records import (
    AblationCheckpoint,
    AblationUnit,
    DetectionCheckpoint,
    DetectionUnit,
    dump_record,
)
from tests.helpers.filings import record, sample

INFO = ModelInfo(name="m", id="m", revision_or_hash=None, family="llama", n_layers=2, n_heads=2, n_kv_heads=1,
                 head_dim=4, chat_template=False, is_instruct=False, attn_implementation="sdpa", dtype="float32",
                 device="cpu", role="base")


def _ctx() -> SimpleNamespace:
    cfg = SimpleNamespace(summed_variant="context", wu24_gate="match", context_tokens=64, n_bootstrap=10, seed=0,
                          mask_mode="uniform", mask_scope="decode", seeds=[0], k_fractions=[0.0], k_grid=[0],
                          top_n=2)
    return SimpleNamespace(cfg=cfg, loaded=SimpleNamespace(info=INFO), top_n=2,
                           model_cfg=SimpleNamespace(name="m", k_grid=None, top_n=2),
                           model_fingerprint=lambda: {"n_layers": INFO.n_layers, "n_heads": INFO.n_heads},
                           dataset=SimpleNamespace(label="d"), model_loaded=True,
                           detection_settings=lambda: DetectionSettings(max_new_tokens=3))


def test_detection_unit_counts_empty_and_cut_off_answers():
    answers = [("Delaware", False), ("", True), ("", False), ("Texas Texas Texas", True)]
    per_sample = []
    for i, (text, cut) in enumerate(answers):
        qs = QuestionScores("inc_state", text, [1, 2, 3], correct=text == "Delaware", hit_max_tokens=cut)
        qs.summed_context = [[0.1 * i, 0.2], [0.3, 0.4]]
        per_sample.append(DetectionCheckpoint(sample_id=f"s{i}", prompts=[], chat=False,
                                              questions={"inc_state": qs.to_json()}))
    unit = detection_unit(_ctx(), "summed_context", "inc_state", per_sample)
    assert (unit.n_empty_answers, unit.n_max_tokens) == (2, 2)
    again = DetectionUnit.model_validate(dump_record(unit))
    assert (again.n_empty_answers, again.n_max_tokens) == (2, 2)


def test_ablation_leaves_out_samples_without_truth_or_evidence_and_counts_answers():
    recs = []
    for i in range(4):
        r = record()
        r["sample_id"] = f"t{i}"
        if i == 3:
            r["usable"]["employees"], r["answers"]["employees"] = False, None
            r["excluded"] = {"employees": "NULL in employee_count_truth"}
        recs.append(sample(r))
    top2 = ("0-0", "1-1")
    conds = [Condition("summed_context", 0, "top", None, ()), Condition("summed_context", 2, "top", None, top2),
             Condition("summed_context", 2, "random", 0, ("0-1", "1-0"))]
    keys = [head_set_key(c.heads) for c in conds]
    texts = {"t0": ["12,500", "", "12500"], "t1": ["", "", "about 9"]}
    ckpts = [AblationCheckpoint(sample_id=s, answers={"employees": dict(zip(keys, t, strict=True))}, prompts=[],
                                max_tokens={"employees": [keys[0], keys[1]] if s == "t1" else [keys[1]]})
             for s, t in texts.items()]
    ckpts.append(AblationCheckpoint(sample_id="t2", answers={}, prompts=[],
                                    excluded={"employees": "evidence outside the context window"}))
    ckpts.append(AblationCheckpoint(sample_id="t3", answers={}, prompts=[]))
    unit, rows = ablation_unit(_ctx(), {}, "summed_context", "employees", conds, ckpts, recs,
                               {"k_grid": [0, 2]})
    assert unit.n_test == 2 and unit.n_test_excluded == 2
    assert unit.test_exclusions == [{"sample_id": "t2", "reason": "evidence outside the context window"},
                                    {"sample_id": "t3", "reason": "NULL in employee_count_truth"}]
    k0, k2 = unit.top
    assert (k0.n, k0.accuracy, k0.n_empty, k0.n_max_tokens) == (2, 0.5, 1, 1)
    assert (k2.n_empty, k2.n_max_tokens) == (2, 2) and (unit.random[0].n_empty, unit.random[0].n_max_tokens) == (0, 0)
    assert (unit.n_empty_answers, unit.n_max_tokens) == (1, 1)
    assert {r["sample_id"] for r in rows} == {"t0", "t1"} and sum(r["hit_max_tokens"] for r in rows) == 3
    AblationUnit.model_validate(dump_record(unit))

    res = RunResults(run_dir=Path("."), manifest={}, models={}, paths={}, skipped=[],
                     detections={("m", "summed_context", "employees"): {"n_empty_answers": 3, "n_max_tokens": 1,
                                                                          "settings": {"n_train": 9}}},
                     ablations={("m", "summed_context", "employees"): dump_record(unit)})
    assert answer_counts_text(res) == ("detection, train answers: m employee count 3 / 1 of 9 — "
                                       "ablation, k = 0 test answers: m employee count 1 / 1 of 2")
