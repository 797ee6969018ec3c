"""Bad rows: malformed, duplicate, NULL, unparseable, without text or evidence; each reported, the rest kept."""

from __future__ import annotations

from adapters.questions import QUESTION_KEYS
from harness.pipeline.prepare import STATUSES, prepare
from tests.helpers.edgar_sample import COLUMN_OF, CORPUS, GT, load, small_csv


def test_malformed_row_is_excluded_and_good_rows_go_through(tmp_path):
    lines = GT.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = lines[2].rstrip("\n").rsplit(",", 2)[0] + "\n"  # line 3: two fields short
    bad = tmp_path / "ragged.csv"
    bad.write_text("".join(lines[:7]), encoding="utf-8")
    result = prepare(bad, tmp_path / "out", corpus=CORPUS)
    assert result.n_rows == 6 and result.n_samples == 5
    (excl,) = result.row_exclusions
    assert excl["line"] == 3 and excl["status"] == "malformed_row" and "6 fields, the header has 8" in excl["reason"]
    assert "| 3 | row3 |" in result.report_md.read_text(encoding="utf-8")


def test_bad_rows_are_reported_and_good_rows_go_through(tmp_path):
    def spoil(rows):
        rows[0]["employee_count_truth"] = ""  # line 2: NULL
        rows[1]["original_Inc_year_truth"] = "NULL"  # line 3: NULL marker
        rows[2]["original_Inc_year_truth"] = "nineteen"  # line 4: unparseable year
        rows[3]["employee_count_truth"] = "about a thousand"  # line 5: unparseable count
        rows[4]["original_Inc_state_truth"] = "Atlantis"  # line 6: unparseable state
        rows[5]["employee_count_truth"] = "4201"  # line 7: not in the text (Ark 2022 has 1,901)
        rows[6]["headquarters_state_truth"] = "Alaska"  # line 8: not in the text
        rows[7]["filename"] = "999_2022.htm"  # line 9: join miss
        for col in COLUMN_OF.values():  # line 10: nothing usable at all
            rows[8][col] = ""
        rows.append(dict(rows[9]))  # line 14: duplicate of line 11, same answers
        rows.append(dict(rows[10]))  # line 15: conflicts with line 12
        rows[-1]["employee_count_truth"] = "1"

    csv_path = small_csv(tmp_path, n=12, edit=spoil)
    result = prepare(csv_path, tmp_path / "out", corpus=CORPUS)
    assert result.n_rows == 14
    pq = result.per_question
    assert pq["employees"] == {"null": 2, "unparseable": 1, "implausible": 0, "no_text": 1, "no_evidence": 1,
                               "no_stating_sentence": 0, "usable": 6,
                               "usable_train": pq["employees"]["usable_train"],
                               "usable_test": pq["employees"]["usable_test"]}
    assert pq["inc_year"]["null"] == 2 and pq["inc_year"]["unparseable"] == 1 and pq["inc_year"]["usable"] == 7
    assert pq["inc_state"]["unparseable"] == 1 and pq["inc_state"]["usable"] == 8
    assert pq["hq_state"]["no_evidence"] == 1 and pq["hq_state"]["usable"] == 8
    for q in QUESTION_KEYS:  # every row not dropped whole has exactly one status per question
        assert sum(pq[q][s] for s in STATUSES) == 11
        assert pq[q]["usable_train"] + pq[q]["usable_test"] == pq[q]["usable"]

    rows_out = {(e["line"], e["status"]) for e in result.row_exclusions}
    assert rows_out == {(9, "no_text"), (10, "no_usable_question"), (12, "duplicate"), (14, "duplicate"),
                        (15, "duplicate")}
    by_line = {e["line"]: e for e in result.row_exclusions}
    assert "999_2022.htm" in by_line[9]["reason"] and by_line[9]["column"] == "filename"
    assert "same answers as line 11" in by_line[14]["reason"]
    assert "conflicting" in by_line[12]["reason"] and "12, 15" in by_line[12]["reason"]
    assert by_line[15]["reason"] == by_line[12]["reason"]

    q_out = {(e["line"], e["question"]): e for e in result.question_exclusions}
    assert q_out[(2, "employees")]["status"] == "null" and q_out[(2, "employees")]["column"] == "employee_count_truth"
    assert q_out[(3, "inc_year")]["status"] == "null"
    assert q_out[(4, "inc_year")]["status"] == "unparseable" and "'nineteen'" in q_out[(4, "inc_year")]["reason"]
    assert q_out[(5, "employees")]["status"] == "unparseable"
    assert q_out[(6, "inc_state")]["status"] == "unparseable"
    assert q_out[(7, "employees")]["status"] == "no_evidence" and "'4201'" in q_out[(7, "employees")]["reason"]
    assert q_out[(8, "hq_state")]["status"] == "no_evidence"
    assert all(q_out[(9, q)]["status"] == "no_text" for q in QUESTION_KEYS)

    # 14 rows - 3 duplicates dropped - join miss - nothing usable = 9 filings in the split
    assert result.n_samples == 9 and (result.n_train, result.n_test) == (7, 2)
    samples = load(result.train_path)["samples"] + load(result.test_path)["samples"]
    by_line = {s["source_line"]: s for s in samples}
    assert sorted(by_line) == [2, 3, 4, 5, 6, 7, 8, 11, 13]
    assert by_line[2]["usable"] == {"inc_state": True, "inc_year": True, "employees": False, "hq_state": True}
    assert by_line[2]["answers"]["employees"] is None and by_line[2]["evidence_chars"]["employees"] == []
    assert set(by_line[2]["excluded"]) == {"employees"}
    assert by_line[7]["answers"]["employees"] == "4201" and not by_line[7]["usable"]["employees"]
    md = result.report_md.read_text(encoding="utf-8")
    for line in (2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14, 15):
        assert f"| {line} |" in md
