"""The golden-check registry (harness/checks/golden/registry.py): registering, running, failures as rows,
exit codes of ``diff-upstream``."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.checks import golden
from harness.cli import main as cli_main


def test_missing_golden_gives_a_failed_row_and_exit_codes(tmp_path, capsys):
    rows = golden.run_checks(["B_wu24"], golden=tmp_path)
    assert len(rows) == 1 and not rows[0].passed and "FileNotFoundError" in rows[0].note
    assert cli_main(["diff-upstream", "--golden", str(tmp_path / "absent")]) == 2
    assert cli_main(["diff-upstream", "--golden", str(tmp_path), "--check", "no_such_check"]) == 2
    assert "no_such_check" in capsys.readouterr().err


def test_register_and_table():
    def fake(golden_dir: Path) -> list[golden.Row]:
        return [golden.close_row("fake/case", "values", [1.0, 2.0], [1.0, 2.5], atol=0.1)]

    golden.register("test_fake_check", fake)
    try:
        golden.register("test_fake_check", fake)  # the same function again: a no-op
        with pytest.raises(ValueError, match="already registered"):
            golden.register("test_fake_check", lambda golden_dir: [])
        rows = golden.run_checks(["test_fake_check"])
        assert rows == [golden.Row("fake/case", "values", 0.5, "abs 0.1", False, "", 5.0)]
        table = golden.format_table(rows)
        assert "fake/case" in table and "FAIL" in table and "1 failed" in table and "margin" in table
        assert "test_fake_check" in golden.registered()
        assert not golden.needs_model("test_fake_check")
    finally:
        golden.unregister("test_fake_check")
    assert "test_fake_check" not in golden.registered()
    with pytest.raises(KeyError):
        golden.unregister("test_fake_check")
    with pytest.raises(KeyError, match="test_fake_check"):
        golden.run_checks(["test_fake_check"])


def test_a_check_that_raises_gives_one_failed_row(tmp_path):
    def broken(golden_dir: Path) -> list[golden.Row]:
        raise ZeroDivisionError("on purpose")

    golden.register("test_broken_check", broken, needs_model=True)
    try:
        assert golden.needs_model("test_broken_check")
        assert "test_broken_check" not in golden.registered(include_model=False)
        (row,) = golden.run_checks(["test_broken_check"], golden=tmp_path)
        assert (row.case, row.quantity, row.passed) == ("test_broken_check", "(check raised)", False)
        assert row.note == "ZeroDivisionError: on purpose" and "FAIL" in golden.format_table([row])
    finally:
        golden.unregister("test_broken_check")


def test_load_model_checks_registers_every_model_case_once():
    golden.load_model_checks()
    golden.load_model_checks()
    model_checks = [n for n in golden.registered() if golden.needs_model(n)]
    assert model_checks == [f"{case}_{size}" for case in ("B_wu24_detect", "C_wu24_ablation", "D_qrhead",
                                                          "E_summed_attention") for size in ("tiny", "smol")]
    assert golden.registered(include_model=False) == [n for n in golden.registered() if n not in model_checks]


def test_diff_upstream_list(capsys):
    assert cli_main(["diff-upstream", "--list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "A_wu24" in out and "D_qrhead_smol  (needs model)" in out
