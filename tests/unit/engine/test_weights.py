"""Weights hashing (one file, several files, memo invalidation) and the stamp file."""

from __future__ import annotations

import hashlib
import json

from harness.engine.models.weights import (
    read_stamp,
    weight_files,
    weights_hash,
    weights_signature,
    write_stamp,
)


def test_weights_hash_single_and_multiple_files(tmp_path, monkeypatch):
    monkeypatch.setenv("SEC_HEADS_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    (folder / "model.safetensors").write_bytes(b"abc")
    assert weights_hash(folder) == hashlib.sha256(b"abc").hexdigest()
    assert list((tmp_path / "cache" / "hashes").iterdir())  # memoised
    (folder / "model-2.safetensors").write_bytes(b"def")
    lines = "".join(f"{n} {hashlib.sha256(d).hexdigest()}\n"
                    for n, d in sorted({"model.safetensors": b"abc", "model-2.safetensors": b"def"}.items()))
    assert weights_hash(folder) == hashlib.sha256(lines.encode()).hexdigest()
    (folder / "model-2.safetensors").write_bytes(b"changed!")  # new size: the memo is not reused
    assert weights_hash(folder) != hashlib.sha256(lines.encode()).hexdigest()


def test_stamp_is_sorted_json_and_supplies_the_hash(tmp_path, monkeypatch):
    """The stamp is written with sorted keys (nested too) and indent 2; its hash is used while the files match."""
    monkeypatch.setenv("SEC_HEADS_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(b"abc")
    stamp = {"weights_sha256": "f" * 64, "alias": "x", "package_versions": {"b": "1", "a": None},
             "weights_signature": weights_signature(weight_files(folder))}
    path = write_stamp(folder, stamp)
    assert path.read_text() == json.dumps(stamp, indent=2, sort_keys=True) + "\n"
    assert read_stamp(folder) == stamp
    assert weights_hash(folder) == "f" * 64  # trusted: sizes and mtimes are those the stamp recorded
    assert not (tmp_path / "cache" / "hashes").exists()  # nothing hashed, nothing memoised
    (folder / "model.safetensors").write_bytes(b"abcd")
    assert weights_hash(folder) == hashlib.sha256(b"abcd").hexdigest()  # changed file: hashed again


def test_hash_memo_is_sorted_json(tmp_path, monkeypatch):
    monkeypatch.setenv("SEC_HEADS_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(b"abc")
    digest = weights_hash(folder)
    (memo,) = (tmp_path / "cache" / "hashes").iterdir()
    expected = {"path": str(folder.resolve()), "sha256": digest,
                "signature": weights_signature(weight_files(folder))}
    assert memo.read_text() == json.dumps(expected, indent=2, sort_keys=True) + "\n"
    assert read_stamp(folder) is None
