"""The split: too few usable filings for a train/test split still writes the data report."""

from __future__ import annotations

import pytest

from harness.pipeline.prepare import DataError, prepare
from tests.helpers.edgar_sample import COLUMN_OF, CORPUS, load, small_csv


def test_too_few_usable_filings_still_writes_the_report(tmp_path):
    def blank(rows):
        for r in rows[1:]:
            for col in COLUMN_OF.values():
                r[col] = ""

    csv_path = small_csv(tmp_path, n=3, edit=blank)
    with pytest.raises(DataError, match="needs >= 2") as info:
        prepare(csv_path, tmp_path / "out", corpus=CORPUS)
    assert "data_report.md" in str(info.value)
    report = load(tmp_path / "out" / "data_report.json")
    assert report["meta"]["counts"]["per_question"]["inc_state"] == {
        "null": 2, "unparseable": 0, "implausible": 0, "no_text": 0, "no_evidence": 0, "no_stating_sentence": 0,
        "usable": 1, "usable_train": 0, "usable_test": 0}
    assert not (tmp_path / "out" / "train_samples.json").exists()
