"""Every model-based golden case (B, C, D, E on the tiny Llama and SmolLM2) reproduced through the probe."""

from __future__ import annotations

import pytest

from harness.checks.golden import format_margin, format_table, tightest
from harness.checks.golden_models import CHECKS

CASES = [pytest.param(n, marks=pytest.mark.integration) if n.endswith("_smol") else n for n in CHECKS]


@pytest.mark.parametrize("name", CASES)
def test_golden_case(name, shared_dir):
    rows = CHECKS[name]()
    assert rows
    close = tightest(rows)
    print(f"{name}: closest to tolerance: "
          + "; ".join(f"{r.case} {r.quantity} margin {format_margin(r.margin)}" for r in close))
    failed = [r for r in rows if not r.passed]
    assert not failed, format_table(failed)
