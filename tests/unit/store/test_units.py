from __future__ import annotations

import csv
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.paths import REPO_ROOT
from harness.store import atomic, keys, provenance, units
from harness.store.atomic import atomic_write_json, atomic_write_text
from harness.store.units import UnitStore


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if atomic.TMP_MARK in p.name)


# ---------------------------------------------------------------------------------------- atomic writes


def test_atomic_write_json_round_trip_and_nan_as_null(tmp_path):
    import numpy as np

    p = tmp_path / "sub" / "x.json"
    atomic_write_json(p, {"a": np.float32(0.5), "b": (1, 2), "c": float("nan"), "d": np.arange(3), "p": Path("/q")})
    assert json.loads(p.read_text()) == {"a": 0.5, "b": [1, 2], "c": None, "d": [0, 1, 2], "p": "/q"}
    assert _leftovers(p.parent) == []


@pytest.mark.parametrize("exc", [KeyboardInterrupt, OSError])
def test_interrupted_write_keeps_the_old_file(tmp_path, monkeypatch, exc):
    p = tmp_path / "unit.json"
    atomic_write_json(p, {"version": 1})

    def boom(fd):
        raise exc("interrupted mid-write")

    monkeypatch.setattr(atomic.os, "fsync", boom)
    with pytest.raises(exc):
        atomic_write_json(p, {"version": 2, "big": "x" * 100_000})
    assert json.loads(p.read_text()) == {"version": 1}
    assert _leftovers(tmp_path) == []


def test_interrupted_first_write_leaves_nothing(tmp_path, monkeypatch):
    p = tmp_path / "unit.json"

    def boom(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic.os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_text(p, "partial?")
    assert not p.exists() and _leftovers(tmp_path) == []


_WRITER = """
import sys
from harness.store.atomic import atomic_write_json
from harness.paths import REPO_ROOT
path = sys.argv[1]
blobs = [{"version": v, "payload": [v] * 200_000} for v in ("A", "B")]
i = 0
while True:
    atomic_write_json(path, blobs[i % 2], indent=None)
    if i == 0:
        print("ready", flush=True)
    i += 1
"""


def test_killed_writer_never_leaves_a_partial_file(tmp_path):
    """SIGKILL a process that keeps rewriting a large file: the final name always holds a whole version."""
    p = tmp_path / "unit.json"
    for delay in (0.0, 0.05, 0.13, 0.31):
        proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(p)], stdout=subprocess.PIPE, cwd=REPO_ROOT)
        try:
            assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
            time.sleep(delay)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        data = json.loads(p.read_text())
        assert data["version"] in ("A", "B") and data["payload"] == [data["version"]] * 200_000
    atomic.remove_stale_tmp(tmp_path)
    assert _leftovers(tmp_path) == []


def test_atomic_write_csv(tmp_path):
    p = tmp_path / "answers.csv"
    atomic.atomic_write_csv(p, [{"a": 1, "b": "x,y"}, {"a": 2}], ["a", "b"])
    with open(p, newline="") as f:
        assert list(csv.DictReader(f)) == [{"a": "1", "b": "x,y"}, {"a": "2", "b": ""}]


def test_read_json_names_the_file(tmp_path):
    p = tmp_path / "bad.json"
    p.write_text('{"a": 1,\n')
    with pytest.raises(ValueError, match=r"bad\.json: line \d+, column \d+"):
        atomic.read_json(p)


# ----------------------------------------------------------------------------------------------- hashes


def test_file_sha256(tmp_path):
    p = tmp_path / "f.bin"
    data = os.urandom(3_000_000)
    p.write_bytes(data)
    assert keys.file_sha256(p) == hashlib.sha256(data).hexdigest()


def test_data_hash_depends_on_content_and_order():
    recs = [{"sample_id": "a", "text": "x"}, {"sample_id": "b", "text": "y"}]
    assert keys.data_hash(recs) == keys.data_hash([dict(r) for r in recs])
    assert keys.data_hash(recs) != keys.data_hash(recs[::-1])
    assert keys.data_hash(recs) != keys.data_hash([recs[0], {"sample_id": "b", "text": "z"}])


# ------------------------------------------------------------------------------------------- UnitStore


def test_path_for_layout_and_slugs(tmp_path):
    store = UnitStore(tmp_path / "run")
    p = store.path_for("detection", "wu24", "meta-llama/Meta-Llama-3-8B", "inc_state")
    assert p == tmp_path / "run" / "detection" / "wu24" / "meta-llama--Meta-Llama-3-8B__inc_state.json"
    assert store.path_for("ablation", "qrhead", "smollm2-135m-instruct", "employees").name == (
        "smollm2-135m-instruct__employees.json")
    assert units.model_slug("/models/my llama") == "models--my_llama"
    assert units.model_slug(units.model_slug("a/b")) == "a--b"


def test_is_done_requires_matching_key(tmp_path):
    store = UnitStore(tmp_path)
    p = store.path_for("detection", "wu24", "m", "inc_year")
    assert not store.is_done(p, "k1")
    store.write(p, {"kind": "detection", "scores": {"0-0": 1.0}}, "k1")
    assert store.is_done(p, "k1")
    assert not store.is_done(p, "k2")  # the configuration changed: redo the unit
    data = json.loads(p.read_text())
    assert data["config_key"] == "k1" and data["scores"] == {"0-0": 1.0}


def test_is_done_rejects_corrupt_or_keyless_files(tmp_path):
    store = UnitStore(tmp_path)
    p = tmp_path / "u.json"
    p.write_text('{"config_key": "k1", "scores": {')  # truncated
    assert not store.is_done(p, "k1")
    p.write_text('{"scores": {}}')
    assert not store.is_done(p, "k1")
    p.write_text('["k1"]')
    assert not store.is_done(p, "k1")


def test_write_adds_provenance(tmp_path):
    store = UnitStore(tmp_path)
    p = store.write(tmp_path / "u.json", {"x": 1}, "key")
    prov = json.loads(p.read_text())["provenance"]
    assert {"packages", "python", "platform", "device", "git", "timestamp"} <= set(prov)
    for pkg in ("torch", "transformers", "numpy"):
        assert prov["packages"][pkg]
    assert prov["python"] == sys.version.split()[0]
    assert prov["device"]["cpu"]
    assert set(prov["git"]) == {"commit", "dirty"}


def test_git_state_matches_git(tmp_path):
    state = provenance.git_state()
    out = subprocess.run(["git", "rev-parse", "--verify", "-q", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                         text=True)
    expected = out.stdout.strip() or None if out.returncode == 0 else None
    assert state["commit"] == expected
    if expected is not None:
        assert isinstance(state["dirty"], bool)


def test_run_log_appends_and_survives_a_torn_line(tmp_path):
    store = UnitStore(tmp_path / "run")
    store.log("done", "detection wu24 m inc_state", n=3)
    store.log("skipped", "ablation m: all 12 units done")
    with open(store.log_path, "a") as f:
        f.write('{"status": "do')  # a crash in the middle of a line
    store.log("note", "resumed")
    entries = store.read_log()
    assert [e["status"] for e in entries] == ["done", "skipped", "note"]
    assert entries[0]["why"] == "detection wu24 m inc_state" and entries[0]["n"] == 3 and entries[0]["time"]
