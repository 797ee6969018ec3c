"""``detection_batch``: detection decodes the context windows of several filings as one batch, and the results
are those of one filing at a time (same answers, same top heads, scores within 1e-5 of their scale)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from harness.checks.dp_check import unit_files
from harness.cli import main as cli_main


def _config(tmp_path: Path, model_dir: Path, batch: int) -> Path:
    cfg = {
        "name": f"batch{batch}", "results_dir": str(tmp_path / "results" / f"batch{batch}"),
        "datasets": [{"label": "synth", "synthetic": True, "generate": {"n_filings": 10, "seed": 5},
                      "prepared_dir": str(tmp_path / "prepared" / "synth")}],
        "models": [{"name": str(model_dir), "role": "instruct"}],
        "methods": ["summed_context", "summed_evidence", "wu24", "qrhead"],
        "questions": ["inc_state", "inc_year", "employees"], "top_n": 3, "context_tokens": 64,
        "max_new_tokens": 4, "detection_batch": batch,
    }
    path = tmp_path / f"batch{batch}.json"
    path.write_text(json.dumps(cfg))
    return path


def test_a_batch_of_filings_gives_the_one_filing_results(tmp_path, tiny_model_dir, monkeypatch):
    gen = tmp_path / "generated"
    monkeypatch.setattr("harness.config.DatasetConfig.generated_dir", property(lambda self: gen / self.label))
    runs = {}
    for batch in (1, 3):
        config = _config(tmp_path, tiny_model_dir, batch)
        for step in ("prepare", "detect"):
            assert cli_main([step, "--config", str(config)]) == 0, (step, batch)
        runs[batch] = unit_files(tmp_path / "results" / f"batch{batch}" / "synth")
    one, three = runs[1], runs[3]
    det = sorted(k for k in one if k.startswith("detection/"))
    assert len(det) == 12 and sorted(k for k in three if k.startswith("detection/")) == det
    windows = []
    for k in det:
        a, b = one[k], three[k]
        assert a["top_heads"] == b["top_heads"], k
        assert a["n_samples_used"] == b["n_samples_used"] and a["exclusions"] == b["exclusions"], k
        sa, sb = np.array(list(a["scores"].values())), np.array(list(b["scores"].values()))
        np.testing.assert_allclose(sb, sa, rtol=1e-5, atol=1e-5 * max(np.abs(sa).max(), 1e-30))
    caches = {n: sorted((tmp_path / "results" / f"batch{n}" / "synth" / "cache" / "detection").rglob("*.json"))
              for n in (1, 3)}
    assert [p.name for p in caches[1]] == [p.name for p in caches[3]]
    for pa, pb in zip(caches[1], caches[3], strict=True):
        a, b, k = json.loads(pa.read_text()), json.loads(pb.read_text()), pa.name
        windows.append(len(a["prompts"]))
        assert a["prompts"] == b["prompts"], k
        for q in a["questions"]:
            assert a["questions"][q]["generated_ids"] == b["questions"][q]["generated_ids"], (k, q)
    assert len(windows) == 8 and max(windows) > 1  # some filings have several windows: groups of unequal size
