"""Evidence that states the fact in prepare: the verified-evidence file, cue sentences, plausibility checks,
malformed corpus / evidence lines (skipped and listed, or --strict), the optional-data-set warning."""

from __future__ import annotations

import json

import pytest

from adapters.questions import QUESTION_KEYS
from harness.cli import main as cli_main
from harness.config import ConfigError, load_config
from harness.pipeline.prepare import DataError, prepare
from harness.pipeline.steps import prepare_datasets
from tests.helpers.edgar_sample import COLUMN_OF, CORPUS, GT, SAMPLE, load, small_csv

EVIDENCE = SAMPLE / "evidence.jsonl"


def spoil(rows):
    rows[0]["original_Inc_year_truth"] = "1882"  # line 2, Cabot: the founding year ("founded in 1882 and ...")
    rows[1]["original_Inc_year_truth"] = "2030"  # line 3: after the filing year 2023
    rows[2]["headquarters_state_truth"] = "Tennessee"  # line 4, Ingles: only in a list of store locations


@pytest.mark.parametrize("with_file", [False, True])
def test_wrong_ground_truth_found_elsewhere_is_excluded_with_its_reason(tmp_path, with_file):
    csv_path = small_csv(tmp_path, n=6, edit=spoil)
    result = prepare(csv_path, tmp_path / "out", corpus=CORPUS, evidence_file=EVIDENCE if with_file else None)
    out = {(e["line"], e["question"]): e for e in result.question_exclusions}
    assert set(out) == {(2, "inc_year"), (3, "inc_year"), (4, "hq_state")}
    assert out[(2, "inc_year")]["status"] == "no_stating_sentence" and "'1882'" in out[(2, "inc_year")]["reason"]
    assert out[(3, "inc_year")]["status"] == "implausible"
    assert out[(3, "inc_year")]["reason"] == "incorporation year 2030 is after the filing year 2023"
    assert out[(4, "hq_state")]["status"] == "no_stating_sentence"
    pq = result.per_question
    assert (pq["inc_year"]["no_stating_sentence"], pq["inc_year"]["implausible"], pq["inc_year"]["usable"]) == (1, 1, 4)
    md = result.report_md.read_text(encoding="utf-8")
    assert "| inc_year | `original_Inc_year_truth` | 0 | 0 | 1 | 0 | 0 | 1 | 4 |" in md
    report = load(result.report_json)
    warnings = report["evidence_warnings"]
    if with_file:  # the verified sentences give other answers than the spoiled cells: not used, and said so
        assert {(w["line"], w["question"]) for w in warnings} == {(2, "inc_year"), (4, "hq_state")}
        assert all("not the ground truth" in w["warning"] for w in warnings)
        assert "## Evidence warnings" in md
        assert result.evidence_rules["inc_state"] == {"verified_sentence": 6, "cue_sentence": 0}
    else:
        assert warnings == [] and result.evidence_rules["inc_state"] == {"verified_sentence": 0, "cue_sentence": 6}


def test_the_evidence_file_decides_the_spans_and_the_sentences(tmp_path):
    result = prepare(GT, tmp_path / "out", corpus=CORPUS, evidence_file=EVIDENCE)
    assert result.question_exclusions == [] and result.n_samples == 45
    facts = {json.loads(line)["filename"]: json.loads(line)["facts"] for line in EVIDENCE.open(encoding="utf-8")}
    doc = load(result.train_path)
    assert doc["meta"]["evidence_file"]["records"] == 45 and doc["meta"]["evidence_file"]["sha256"]
    assert doc["meta"]["counts"]["evidence_rules"]["hq_state"] == {"verified_sentence": 45, "cue_sentence": 0}
    for s in doc["samples"] + load(result.test_path)["samples"]:
        assert s["evidence_rule"] == dict.fromkeys(QUESTION_KEYS, "verified_sentence")
        for q, column in COLUMN_OF.items():
            fact = facts[s["filename"]][column]
            start, end = fact["sentence_offset"], fact["sentence_offset"] + len(fact["sentence"])
            assert s["evidence_sentences"][q] == [[start, end]] * len(s["evidence_chars"][q])
            assert all(start <= a < b <= end and s["text"][a:b] in fact["surface"] for a, b in s["evidence_chars"][q])
    assert "- verified evidence:" in result.report_md.read_text(encoding="utf-8")


def test_inc_and_hq_spans_no_longer_coincide(tmp_path):
    result = prepare(GT, tmp_path / "out", corpus=CORPUS)  # cue sentences only
    same = [s["sample_id"] for s in load(result.train_path)["samples"] + load(result.test_path)["samples"]
            if s["evidence_chars"]["inc_state"] == s["evidence_chars"]["hq_state"]]
    assert same == []


def _bad_corpus(tmp_path):
    lines = CORPUS.read_text(encoding="utf-8").splitlines(keepends=True)
    bad = tmp_path / "bad.jsonl"
    bad.write_text(lines[0] + lines[1][:200] + "\n" + "[1, 2]\n" + "".join(lines[2:6]), encoding="utf-8")
    return bad


def test_a_malformed_corpus_line_is_skipped_and_listed(tmp_path):
    bad = _bad_corpus(tmp_path)
    result = prepare(small_csv(tmp_path, n=6), tmp_path / "out", corpus=bad)
    assert [(e["line"], e["reason"].split(":")[0]) for e in result.skipped_lines] == [
        (2, "malformed JSON"), (3, "not a JSON object (list)")]
    assert all(e["file"] == str(bad) for e in result.skipped_lines)
    assert result.n_samples == 5  # the filing of the broken line has no text; the others go through
    (miss,) = result.row_exclusions
    assert miss["line"] == 3 and miss["status"] == "no_text"
    assert load(result.report_json)["skipped_lines"] == result.skipped_lines
    md = result.report_md.read_text(encoding="utf-8")
    assert "## Skipped input lines" in md and f"| `{bad}` | 2 | malformed JSON" in md
    assert "2 malformed input line(s) skipped" in result.summary_line()
    with pytest.raises(DataError, match="malformed JSON") as info:
        prepare(small_csv(tmp_path, n=6), tmp_path / "out2", corpus=bad, strict=True)
    assert info.value.line == 2


def test_a_malformed_evidence_line_is_skipped_and_listed(tmp_path):
    lines = EVIDENCE.read_text(encoding="utf-8").splitlines(keepends=True)
    bad = tmp_path / "evidence.jsonl"
    rec = json.loads(lines[1])
    rec["facts"]["employee_count_truth"] = {"surface": "4,300"}  # no sentence: left out with a warning
    bad.write_text(lines[0][:-30] + "\n" + json.dumps(rec) + "\n" + "".join(lines[2:6]), encoding="utf-8")
    result = prepare(small_csv(tmp_path, n=6), tmp_path / "out", corpus=CORPUS, evidence_file=bad)
    assert [(e["line"], e["file"]) for e in result.skipped_lines] == [(1, str(bad))]
    assert result.evidence_rules["inc_state"] == {"verified_sentence": 5, "cue_sentence": 1}
    assert result.evidence_rules["employees"] == {"verified_sentence": 4, "cue_sentence": 2}
    warnings = load(result.report_json)["evidence_warnings"]
    assert any(isinstance(w, str) and "employee_count_truth" in w and ":2:" in w for w in warnings)
    with pytest.raises(DataError, match="malformed JSON"):
        prepare(small_csv(tmp_path, n=6), tmp_path / "out2", corpus=CORPUS, evidence_file=bad, strict=True)
    with pytest.raises(DataError, match="evidence file not found"):
        prepare(small_csv(tmp_path, n=6), tmp_path / "out3", corpus=CORPUS, evidence_file=tmp_path / "none.jsonl")


def test_cli_strict_flag(tmp_path, capsys):
    bad = _bad_corpus(tmp_path)
    csv_path = small_csv(tmp_path, n=6)
    args = ["prepare", "--csv", str(csv_path), "--corpus", str(bad), "--out", str(tmp_path / "o")]
    assert cli_main(args) == 0
    assert "2 malformed input line(s) skipped" in capsys.readouterr().out
    assert cli_main([*args, "--strict"]) == 2
    assert "malformed JSON" in capsys.readouterr().err


def test_config_fields_and_the_optional_data_set_warning(tmp_path, capsys):
    cfg = load_config("demo")
    edgar = next(d for d in cfg.datasets if d.label == "edgar_sample")
    assert edgar.evidence_file == str(EVIDENCE.resolve()) and edgar.strict is False
    with pytest.raises(ConfigError, match="evidence_file"):
        load_config("demo", {"datasets.synthetic.evidence_file": "x.jsonl"})
    cfg = load_config("demo", {"datasets.edgar_sample.csv": str(tmp_path / "absent.csv"),
                               "datasets.edgar_sample.prepared_dir": str(tmp_path / "prep")})
    prepare_datasets(cfg, "edgar_sample")
    captured = capsys.readouterr()
    assert captured.err.startswith("warning: data set 'edgar_sample' skipped") and "absent.csv" in captured.err
    assert captured.out == "" and not (tmp_path / "prep").exists()
