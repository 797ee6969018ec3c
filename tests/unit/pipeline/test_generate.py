"""Tests for harness/pipeline/generate.py: writing the synthetic corpus (the generator is tested in
tests/unit/data/test_synthetic.py)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from data.synthetic import GeneratedCorpus, render_corpus
from harness.pipeline.generate import generate_corpus

FILES = ("corpus.jsonl", "ground_truth.csv", "README.md")


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _read_jsonl(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    a = generate_corpus(tmp_path / "a", n_filings=12, seed=7)
    b = generate_corpus(tmp_path / "b", n_filings=12, seed=7)
    for name in FILES:
        assert (a.out_dir / name).read_bytes() == (b.out_dir / name).read_bytes(), name


def test_writes_atomically_and_overwrites(tmp_path: Path) -> None:
    generate_corpus(tmp_path, n_filings=3, seed=1)
    res = generate_corpus(tmp_path, n_filings=4, seed=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(FILES)  # no temporary files left behind
    assert len(_read_jsonl(res.corpus_path)) == 4
    assert len(_read_csv(res.ground_truth_path)) == 4


def test_writes_the_rendered_texts_and_says_where(tmp_path: Path) -> None:
    """The files hold exactly the generator's texts (UTF-8); the result names them and counts the corpus."""
    out = tmp_path / "new" / "corpus"  # missing folders are created
    res = generate_corpus(out, n_filings=5, seed=3, min_tokens=400, max_tokens=900, absent_rate=0.4)
    rendered = render_corpus(5, 3, min_tokens=400, max_tokens=900, absent_rate=0.4)
    assert isinstance(res, GeneratedCorpus)
    assert (res.out_dir, res.corpus_path, res.ground_truth_path, res.readme_path) == (
        out, out / "corpus.jsonl", out / "ground_truth.csv", out / "README.md")
    assert res.csv_path == res.ground_truth_path
    for name, text in rendered.files.items():
        assert (out / name).read_bytes() == text.encode("utf-8"), name
    assert (res.seed, res.n_filings, res.generator_version) == (3, 5, rendered.generator_version)
    assert res.n_stated == rendered.n_stated and res.n_chars == rendered.n_chars
    assert res.filings == rendered.filings and len(res.filings) == 5


def test_main_writes_the_corpus(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from harness.cli import main as cli_main

    assert cli_main(["synthetic", "--out", str(tmp_path / "cli"), "--n", "5", "--seed", "3"]) == 0
    assert "SYNTHETIC" in capsys.readouterr().out
    direct = generate_corpus(tmp_path / "direct", n_filings=5, seed=3)
    for name in FILES:
        assert (tmp_path / "cli" / name).read_bytes() == (direct.out_dir / name).read_bytes()


@pytest.mark.parametrize("kwargs", [{"n_filings": 0}, {"min_tokens": 5000, "max_tokens": 1000},
                                    {"absent_rate": 1.5}])
def test_bad_arguments_raise(tmp_path: Path, kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        generate_corpus(tmp_path, **kwargs)  # type: ignore[arg-type]
    assert not (tmp_path / "corpus.jsonl").exists()


def test_main_reports_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from harness.cli import main as cli_main

    assert cli_main(["synthetic", "--out", str(tmp_path), "--n", "0"]) == 2
    assert "n_filings" in capsys.readouterr().err
