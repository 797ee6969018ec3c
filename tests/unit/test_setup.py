"""make setup's torch decision (scripts/setup_env.py) on fake environments: a fake ``torch`` package on
PYTHONPATH says what it was built for, a fake venv's python is a wrapper of this interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.paths import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "setup_env.py"
LOCK = (REPO_ROOT / "requirements.lock").read_text()
CUDA_REQUIRES = ["filelock", "sympy>=1.13.3", "setuptools<82", 'nvidia-nccl-cu13==2.28.9; platform_system == "Linux"',
                 'optree>=0.13.0; extra == "optree"']


def fake_torch(root: Path, version: str | None, cuda: str | None = None, requires=()) -> Path:
    """A folder holding a fake ``torch`` (and its dist-info); ``version=None``: a torch that fails to import."""
    pkg = root / "torch"
    pkg.mkdir(parents=True)
    if version is None:
        (pkg / "__init__.py").write_text("raise ImportError('this torch is broken')\n")
        return root
    (pkg / "__init__.py").write_text(f"__version__ = {version!r}\nfrom . import version\n")
    (pkg / "version.py").write_text(f"cuda = {cuda!r}\nhip = None\n")
    info = root / f"torch-{version}.dist-info"
    info.mkdir()
    meta = ["Metadata-Version: 2.1", "Name: torch", f"Version: {version}"]
    (info / "METADATA").write_text("\n".join(meta + [f"Requires-Dist: {r}" for r in requires]) + "\n")
    return root


def fake_venv(root: Path) -> Path:
    """A 'venv' whose python is this interpreter (so it sees what PYTHONPATH adds)."""
    py = root / "bin" / "python"
    py.parent.mkdir(parents=True)
    py.write_text(f"#!/bin/sh\nexec {sys.executable} \"$@\"\n")
    py.chmod(0o755)
    return root


def run_setup(venv: Path, torch_dir: Path | None, mode: str = "", *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("TORCH", "PYTHONPATH")}
    env.update(SETUP_VENV=str(venv), TORCH=mode)
    if torch_dir is not None:
        env["PYTHONPATH"] = str(torch_dir)
    return subprocess.run([sys.executable, str(SCRIPT), *args], env=env, capture_output=True, text=True,
                          timeout=120)


def written(venv: Path) -> str:
    return (venv / "requirements.setup.txt").read_text()


def test_a_cpu_torch_gets_the_lock(tmp_path):
    venv = fake_venv(tmp_path / "venv")
    res = run_setup(venv, fake_torch(tmp_path / "t", "2.12.0+cpu"))
    assert res.returncode == 0, res.stderr
    assert "torch 2.12.0+cpu (CPU build)" in res.stdout and "installing the lock's torch==2.13.0" in res.stdout
    assert written(venv) == LOCK


def test_no_torch_gets_the_lock(tmp_path):
    venv = fake_venv(tmp_path / "venv")
    res = run_setup(venv, fake_torch(tmp_path / "t", None))
    assert res.returncode == 0, res.stderr
    assert "no torch importable" in res.stdout and "this torch is broken" not in res.stdout
    assert written(venv) == LOCK


def test_a_cuda_torch_is_kept_and_its_own_dependencies_are_left_alone(tmp_path):
    venv = fake_venv(tmp_path / "venv")
    res = run_setup(venv, fake_torch(tmp_path / "t", "2.11.0+cu130", "13.0", CUDA_REQUIRES))
    assert res.returncode == 0, res.stderr
    assert "torch 2.11.0+cu130 (CUDA 13.0 build)" in res.stdout and "kept" in res.stdout
    text = written(venv)
    pins = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    assert "torch==2.11.0+cu130" in pins and "torch==2.13.0" not in text.splitlines()
    for dropped in ("sympy==", "setuptools==", "filelock=="):  # the kept torch's requirements: not pinned
        assert not any(p.startswith(dropped) for p in pins), dropped
    assert "transformers==5.17.0" in pins and "numpy==2.4.6" in pins  # the rest of the lock stays
    assert "optree" not in text and "nvidia" not in text
    assert "sympy==1.14.0" in res.stdout  # said what was left to the kept torch


def test_torch_keep_keeps_a_cpu_build_and_lock_replaces_a_cuda_build(tmp_path):
    venv = fake_venv(tmp_path / "venv")
    res = run_setup(venv, fake_torch(tmp_path / "cpu", "2.12.0+cpu"), "keep")
    assert res.returncode == 0 and "TORCH=keep" in res.stdout
    assert "torch==2.12.0+cpu" in written(venv).splitlines()
    res = run_setup(venv, fake_torch(tmp_path / "cuda", "2.11.0+cu130", "13.0"), "lock")
    assert res.returncode == 0 and "TORCH=lock" in res.stdout
    assert written(venv) == LOCK


def test_torch_keep_without_torch_and_a_bad_mode_are_errors(tmp_path):
    venv = fake_venv(tmp_path / "venv")
    res = run_setup(venv, fake_torch(tmp_path / "t", None), "keep")
    assert res.returncode != 0 and "TORCH=keep" in res.stderr and "imports no torch" in res.stderr
    assert not (venv / "requirements.setup.txt").exists()
    res = run_setup(venv, None, "cuda")
    assert res.returncode != 0 and "expected one of auto, keep, lock" in res.stderr


def test_dry_run_before_the_venv_exists_says_how_it_would_see_the_torch(tmp_path):
    venv = tmp_path / "new-venv"
    res = run_setup(venv, fake_torch(tmp_path / "t", "2.11.0+cu130", "13.0"), "", "--dry-run")
    assert res.returncode == 0, res.stderr
    # the creating python here is itself a venv: the new one gets a .pth naming torch's folder
    link = "sec-heads-kept-torch.pth" if sys.prefix != sys.base_prefix else "--system-site-packages"
    assert f"would create {venv}" in res.stdout and link in res.stdout
    assert "would pin torch==2.11.0+cu130" in res.stdout
    assert not venv.exists()


@pytest.mark.skipif(sys.prefix == sys.base_prefix, reason="the .pth route is for a creating python in a venv")
def test_a_created_venv_sees_the_kept_torch_through_its_pth_file(tmp_path):
    torch_dir = fake_torch(tmp_path / "t", "2.11.0+cu130", "13.0")
    venv = tmp_path / "new-venv"
    res = run_setup(venv, torch_dir)
    assert res.returncode == 0, res.stderr + res.stdout
    assert "torch==2.11.0+cu130" in written(venv).splitlines()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # only the .pth can show it now
    out = subprocess.run([str(venv / "bin" / "python"), "-c", "import torch; print(torch.__version__)"],
                         env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "2.11.0+cu130", out.stderr
