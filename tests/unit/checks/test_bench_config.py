"""Bench settings (harness/checks/bench/config.py): device-dependent defaults, impossible settings refused."""

from __future__ import annotations

import pytest

from harness.checks.bench import config


def test_cli_defaults_and_bad_grid():
    from harness.cli import main as cli_main

    cfg = config.make_config(quick=True)
    assert (cfg.device, cfg.shape, cfg.dtype, cfg.contexts, cfg.throughput_context) == (
        "cpu", "tiny", "float32", [128, 256], 256)
    assert cfg.threads == 1 and cfg.repeats == 2 and cfg.k_grid == [0, 1, 2]
    with pytest.raises(ValueError, match="k grid"):
        config.make_config(quick=True, k_grid=[0, 20])  # 16 heads cannot give k = 20
    with pytest.raises(SystemExit):
        cli_main(["bench", "--quick", "--contexts", "8,abc"])


def test_cpu_defaults_without_quick():
    cfg = config.make_config(device="cpu")
    assert (cfg.shape, cfg.dtype, cfg.contexts, cfg.throughput_context) == (
        "tiny", "float32", list(config.GPU_CONTEXTS), config.STUDY["context_tokens"])
    assert cfg.repeats == 3 and cfg.max_new_tokens == 8 and cfg.threads is None and cfg.exclude_top_n == 4
    big = config.make_config(device="cpu", shape="llama3-8b")
    assert big.k_grid == list(config.STUDY_K_GRID) and big.n_seeds == 5 and big.exclude_top_n == 50


def test_impossible_settings_are_value_errors():
    with pytest.raises(ValueError, match="at least 16"):
        config.make_config(quick=True, contexts=[8])
    with pytest.raises(ValueError, match="repeats"):
        config.make_config(quick=True, repeats=-1)
    with pytest.raises(ValueError, match="shape must be one of"):
        config.make_config(quick=True, shape="gpt2")


def test_shape_heads():
    assert config.shape_heads("tiny") == 16
    assert config.shape_heads("llama3-8b") == 32 * 32
    assert config.shape_heads("smollm2") == 30 * 9
