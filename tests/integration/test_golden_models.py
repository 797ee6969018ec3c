"""Every model-based golden case (B, C, D, E on the tiny Llama and SmolLM2) reproduced through the probe
(harness/checks/golden/models.py)."""

from __future__ import annotations

import pytest

from harness.checks.golden import format_margin, format_table, registered, tightest
from harness.checks.golden.models import CHECKS

CASES = [pytest.param(n, marks=pytest.mark.integration) if n.endswith("_smol") else n for n in CHECKS]


def test_every_model_check_is_registered():
    assert len(CHECKS) == 8 and set(CHECKS) <= set(registered())


@pytest.mark.parametrize("name", CASES)
def test_golden_case(name, shared_dir):
    rows = CHECKS[name]()
    assert rows
    close = tightest(rows)
    print(f"{name}: closest to tolerance: "
          + "; ".join(f"{r.case} {r.quantity} margin {format_margin(r.margin)}" for r in close))
    failed = [r for r in rows if not r.passed]
    assert not failed, format_table(failed)


def test_a_model_check_reads_the_golden_directory_it_is_given(tmp_path):
    with pytest.raises(FileNotFoundError, match="E_summed_attention_tiny"):
        CHECKS["E_summed_attention_tiny"](tmp_path)  # the default golden directory would pass
