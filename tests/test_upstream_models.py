"""Every model-based golden case (B, C, D, E on the tiny Llama and SmolLM2) reproduced through the probe."""

from __future__ import annotations

import pytest

from harness.upstream_models import CHECKS


@pytest.mark.parametrize("name", [n for n in CHECKS if n.endswith("_tiny")])
def test_golden_tiny(name, shared_dir):
    rows = CHECKS[name]()
    assert rows
    failed = [r for r in rows if not r[4]]
    assert not failed, failed


@pytest.mark.integration
@pytest.mark.parametrize("name", [n for n in CHECKS if n.endswith("_smol")])
def test_golden_smollm2(name, shared_dir):
    rows = CHECKS[name]()
    assert rows
    failed = [r for r in rows if not r[4]]
    assert not failed, failed
