"""The study's steps on tiny random Llama-3 checkpoints (base and instruct, BOS from a post-processor as the hub
ships them): roles from the configuration, BOS checked, the ``stop: upstream`` warning, and the answer counts
and test-sample exclusions the unit files carry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.analysis.findings_setup import answer_counts_text
from harness.analysis.loading import load_run
from harness.cli import main as cli_main
from harness.store.units import model_slug
from tests.helpers.llama3 import save_tiny_llama3

N_NEW = 3


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("llama3_run")
    inst = save_tiny_llama3(tmp / "llama3-instruct", instruct=True)
    base = save_tiny_llama3(tmp / "llama3-base", instruct=False, seed=1)
    cfg = {
        "name": "llama3-tiny", "results_dir": str(tmp / "results"),
        "datasets": [{"label": "synth", "synthetic": True, "generate": {"n_filings": 6, "seed": 3},
                      "prepared_dir": str(tmp / "prepared")}],
        "models": [{"name": str(inst), "role": "instruct"}, {"name": str(base), "role": "base"}],
        "methods": ["summed_context", "wu24"], "k_grid": [0, 2], "top_n": 2, "seeds": [0], "context_tokens": 128,
        "max_new_tokens": N_NEW, "stop": "upstream", "n_bootstrap": 20, "condition_batch": 8,
    }
    path = tmp / "cfg.json"
    path.write_text(json.dumps(cfg))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("harness.config.DatasetConfig.generated_dir", property(lambda self: tmp / "gen" / self.label))
        assert cli_main(["prepare", "--config", str(path)]) == 0
    # one test filing loses its employee-count evidence: usable, but nothing to find in its context window
    split = tmp / "prepared" / "test_samples.json"
    data = json.loads(split.read_text())
    data["samples"][0]["evidence_chars"]["employees"] = []
    split.write_text(json.dumps(data))
    for step in ("detect", "ablate"):
        assert cli_main([step, "--config", str(path)]) == 0
    return {"dir": Path(cfg["results_dir"]) / "synth", "models": {"instruct": inst, "base": base},
            "first_test": data["samples"][0]["sample_id"], "n_test": len(data["samples"])}


def _unit(run, kind: str, role: str, q: str, method: str = "wu24") -> dict:
    name = f"{model_slug(str(run['models'][role]))}__{q}.json"
    return json.loads((run["dir"] / kind / method / name).read_text())


@pytest.mark.slow
def test_roles_bos_and_the_upstream_stop_warning(run):
    for role in ("instruct", "base"):
        det = _unit(run, "detection", role, "inc_state")
        assert det["model_info"]["role"] == role and det["model_info"]["is_instruct"] == (role == "instruct")
        assert det["model_info"]["chat_template"] == (role == "instruct")
        ckpt = next((run["dir"] / "cache" / "detection" / model_slug(str(run["models"][role]))).glob("*.json"))
        assert json.loads(ckpt.read_text())["chat"] == (role == "instruct")
    log = [json.loads(line) for line in (run["dir"] / "run_log.jsonl").read_text().splitlines()]
    warnings = [e["why"] for e in log if e["status"] == "warning"]
    assert len(warnings) >= 2 and all("stop: upstream will never fire" in w for w in warnings)


@pytest.mark.slow
def test_units_count_empty_and_cut_off_answers_and_excluded_test_samples(run):
    det = _unit(run, "detection", "base", "inc_year")
    n_train = det["settings"]["n_train"]
    assert det["n_max_tokens"] == n_train  # random weights and a stop rule that cannot fire: every decode is cut
    assert 0 <= det["n_empty_answers"] <= n_train
    abl = _unit(run, "ablation", "base", "employees", "summed_context")  # (random Wu24 answers: no curve)
    assert abl["n_test_excluded"] == 1 and abl["n_test"] == run["n_test"] - 1
    assert abl["test_exclusions"] == [{"sample_id": run["first_test"], "reason": "evidence outside the context window"}]
    k0 = next(p for p in abl["top"] if p["k"] == 0)
    assert k0["n"] == abl["n_test"] and k0["n_max_tokens"] == abl["n_test"] == abl["n_max_tokens"]
    assert all(p["n_max_tokens"] == p["n"] for p in abl["top"] + abl["random"])
    assert _unit(run, "ablation", "base", "inc_year", "summed_context")["n_test_excluded"] == 0
    text = answer_counts_text(load_run(run["dir"]))
    assert "detection, train answers" in text and "ablation, k = 0 test answers" in text
    assert f"of {n_train}" in text and f"/ {abl['n_test']} of {abl['n_test']}" in text
