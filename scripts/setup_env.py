"""What ``make setup`` does about torch: keep a GPU build that is already there, or install the lock's.

Runs before any of the project's packages are installed, so it uses the standard library only (and is no
part of the ``harness`` command line). ``make setup`` calls it as

    python3 scripts/setup_env.py [--dry-run]

Environment: ``TORCH`` = ``auto`` (default), ``keep`` or ``lock``; ``SETUP_VENV`` = the virtual environment
(default ``.venv`` in the repository).

- ``auto``: a torch built for CUDA (or ROCm) is kept; a CPU build, or no torch, gets the lock's torch.
- ``keep``: whatever torch is importable is kept (an error when there is none).
- ``lock``: the lock's torch is installed, even over a GPU build.

Whose torch: the venv's python when the venv exists (a user who created it with their CUDA torch), else the
python running this script (``$(PYTHON)`` of the Makefile). In the second case the venv is created here:
with ``--system-site-packages`` when a kept torch lives in that python's own installation, or, when that
python is itself a virtual environment (whose packages a new venv cannot inherit), with a ``.pth`` file
naming the folder torch is installed in. Either way the venv's own installs come first on ``sys.path``.

It prints what it decided and why, and writes ``<venv>/requirements.setup.txt``: ``requirements.lock`` as is
(torch from the lock), or, for a kept torch, the lock with its torch line pinned to the kept version and
without the pins of the kept torch's own dependencies (they stay as that torch's installation chose them, so
no lock pin can conflict with it). ``make setup`` installs that file with ``-r`` and passes it as ``-c`` to
every later ``pip install``, so pip never replaces a kept torch. ``--dry-run`` prints the decision only.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LOCK = REPO / "requirements.lock"
SETUP_FILE = "requirements.setup.txt"
PTH_FILE = "sec-heads-kept-torch.pth"
MODES = ("auto", "keep", "lock")

# Runs in the python whose torch is examined: what torch it imports, built for what, from where.
PROBE = r"""
import json, os, sys
out = {"python": sys.executable, "is_venv": sys.prefix != sys.base_prefix, "torch": None}
try:
    import torch
except Exception as exc:
    out["error"] = "%s: %s" % (type(exc).__name__, exc)
else:
    v = getattr(torch, "version", None)
    site = os.path.dirname(os.path.dirname(os.path.abspath(torch.__file__)))
    # "label": what torch calls itself (2.11.0+cu130); "version": what its installed distribution says,
    # which is what pip compares a pin with (a wheel installed by uv may say 2.11.0).
    info = {"version": str(torch.__version__), "label": str(torch.__version__), "site": site, "requires": [],
            "cuda": getattr(v, "cuda", None), "hip": getattr(v, "hip", None)}
    try:
        from importlib import metadata
        for dist in metadata.distributions(path=[site]):
            if (dist.metadata["Name"] or "").lower() == "torch":
                info["version"], info["requires"] = dist.version, list(dist.requires or [])
                break
    except Exception:
        pass
    out["torch"] = info
print(json.dumps(out))
"""


@dataclass
class Decision:
    """The outcome: keep the found torch or install the lock's, why, and how the venv is to see a kept torch."""

    keep: bool
    reason: str
    torch: dict | None = None  # the probe's torch record
    venv_link: str = ""  # "", "system-site-packages" or "pth" (only when this script creates the venv)


def probe(python: str | Path) -> dict:
    """What ``python`` imports as torch (``{"torch": None, ...}`` when nothing)."""
    res = subprocess.run([str(python), "-c", PROBE], capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise SystemExit(f"setup: could not run {python}: {res.stderr.strip()[-400:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def build_of(torch: dict) -> str:
    """``CUDA 13.0``, ``ROCm 6.2`` or ``CPU``: what the torch was built for."""
    if torch.get("cuda"):
        return f"CUDA {torch['cuda']}"
    if torch.get("hip"):
        return f"ROCm {torch['hip']}"
    return "CPU"


def lock_torch(lock_text: str) -> str:
    """The lock's torch pin (``torch==2.13.0``)."""
    m = re.search(r"^torch==\S+", lock_text, re.M)
    return m.group(0) if m else "torch (unpinned)"


def decide(found: dict, mode: str, lock_pin: str, creating: bool) -> Decision:
    """Keep or replace the torch ``found`` by the probe, under ``TORCH=mode``; ``creating``: no venv yet."""
    torch, where = found.get("torch"), found["python"]
    if mode == "lock":
        return Decision(False, f"TORCH=lock: installing the lock's {lock_pin}", torch)
    if torch is None:
        if mode == "keep":
            raise SystemExit(f"setup: TORCH=keep, but {where} imports no torch "
                             f"({found.get('error', 'not installed')}); install your torch there first")
        return Decision(False, f"no torch importable by {where}: installing the lock's {lock_pin}")
    desc = f"torch {torch.get('label', torch['version'])} ({build_of(torch)} build) of {where}"
    if mode == "auto" and build_of(torch) == "CPU":
        return Decision(False, f"{desc} is a CPU build: installing the lock's {lock_pin} (TORCH=keep keeps it)",
                        torch)
    why = "TORCH=keep" if mode == "keep" else "a GPU build is never replaced (TORCH=lock would replace it)"
    link = ("pth" if found.get("is_venv") else "system-site-packages") if creating else ""
    return Decision(True, f"{desc}: kept, {why}", torch, venv_link=link)


def requirement_name(line: str) -> str | None:
    """The normalised project name a requirement line names (None for comments, options, extras-only)."""
    m = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line)
    if not m or (";" in line and "extra" in line.split(";", 1)[1]):
        return None
    return re.sub(r"[-_.]+", "-", m.group(1)).lower()


def setup_requirements(lock_text: str, decision: Decision) -> tuple[str, list[str]]:
    """The requirements file make setup installs (the lock, adapted to a kept torch) and the pins it drops."""
    if not decision.keep:
        return lock_text, []
    own = {n for n in map(requirement_name, decision.torch.get("requires", [])) if n}
    out = [f"# {LOCK.name} adapted by scripts/setup_env.py: {decision.reason}"]
    dropped = []
    for line in lock_text.splitlines():
        name = None if line.lstrip().startswith("#") else requirement_name(line)
        if name == "torch":
            out.append(f"torch=={decision.torch['version']}")
        elif name in own:
            dropped.append(line.strip())
            out.append(f"# {line.strip()}  (left as installed with the kept torch)")
        else:
            out.append(line)
    return "\n".join(out) + "\n", dropped


def create_venv(path: Path, decision: Decision) -> None:
    """Create the venv so that it sees a kept torch (or a plain one)."""
    venv.EnvBuilder(system_site_packages=decision.venv_link == "system-site-packages", with_pip=True,
                    symlinks=os.name != "nt").create(path)
    if decision.venv_link == "pth":
        site = next((path / "lib").glob("python*/site-packages"))
        (site / PTH_FILE).write_text(decision.torch["site"] + "\n")


def venv_python(path: Path) -> Path:
    return path / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def main(argv: list[str]) -> int:
    """Decide, print, create the venv if needed, write the setup requirements file."""
    dry = "--dry-run" in argv
    mode = os.environ.get("TORCH", "").strip() or "auto"
    if mode not in MODES:
        raise SystemExit(f"setup: TORCH={mode!r}: expected one of {', '.join(MODES)}")
    path = Path(os.environ.get("SETUP_VENV") or REPO / ".venv")
    creating = not venv_python(path).exists()
    lock_text = LOCK.read_text()
    decision = decide(probe(sys.executable if creating else venv_python(path)), mode, lock_torch(lock_text),
                      creating)
    print(f"setup: {decision.reason}")
    text, dropped = setup_requirements(lock_text, decision)
    if dropped:
        print(f"setup: lock pins left to the kept torch's installation: {', '.join(dropped)}")
    if creating:
        how = {"system-site-packages": " with --system-site-packages (so it sees that torch)",
               "pth": f" with {PTH_FILE} naming {decision.torch['site'] if decision.torch else ''} "
                      "(that python is itself a venv)"}.get(decision.venv_link, "")
        print(f"setup: {'would create' if dry else 'creating'} {path}{how}")
    if dry:
        print(f"setup: --dry-run: {path / SETUP_FILE} would pin "
              + next(ln for ln in text.splitlines() if ln.startswith("torch")))
        return 0
    if creating:
        create_venv(path, decision)
    if decision.keep:
        seen = probe(venv_python(path)).get("torch") or {}
        if seen.get("version") != decision.torch["version"]:
            raise SystemExit(f"setup: {venv_python(path)} does not import the kept torch "
                             f"{decision.torch['version']} (it imports {seen.get('version', 'none')}); "
                             f"remove {path} or set TORCH=lock")
    (path / SETUP_FILE).write_text(text)
    print(f"setup: wrote {path / SETUP_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
