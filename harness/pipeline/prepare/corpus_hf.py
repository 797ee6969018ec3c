"""The Hugging Face dataset ``eloukas/edgar-corpus`` as a corpus (needs ``datasets`` and internet)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from harness.pipeline.prepare.corpus import Corpus, add_record, required_fields
from harness.pipeline.prepare.errors import DataError

HF_DATASET = "eloukas/edgar-corpus"
HF_YEARS = range(1993, 2021)  # the year_YYYY configurations of EDGAR-CORPUS


def hf_name(corpus: str | os.PathLike | None) -> str | None:
    """The dataset id when ``corpus`` names the Hugging Face source (``hf``, ``hf:<id>``), else None."""
    if corpus is None:
        return None
    text = str(corpus)
    if text in ("hf", "huggingface"):
        return HF_DATASET
    if text.startswith("hf:"):
        return text[3:] or HF_DATASET
    if text == HF_DATASET and not Path(text).exists():
        return HF_DATASET
    return None


def _hf_configs(wanted: set, join: str) -> tuple[list[str], list[int]]:
    """EDGAR-CORPUS configurations to read for the wanted keys, and the filing years it does not cover."""
    years: set[int] = set()
    for key in wanted:
        if join == "cik_year":
            years.add(int(key[1]))
            continue
        m = re.search(r"_((?:19|20)\d\d)(?!\d)", key)
        if not m:  # no year in the filename: read everything
            return ["full"], []
        years.add(int(m.group(1)))
    return ([f"year_{y}" for y in sorted(years) if y in HF_YEARS],
            [y for y in sorted(years) if y not in HF_YEARS])


def _read_config(datasets, corpus: Corpus, config: str, join: str, wanted: set, seen_fields: set) -> None:
    name = corpus.label
    try:
        splits = datasets.load_dataset(name, config, streaming=True)
    except Exception as exc:
        raise DataError(
            f"could not load the Hugging Face dataset {name!r} (config {config!r}): this source needs "
            f"internet access to huggingface.co (or a cached copy); {type(exc).__name__}: {exc}"
        ) from exc
    corpus.files.append(config)
    for split_name, split in splits.items():
        try:
            for i, obj in enumerate(split, start=1):
                add_record(corpus, f"{name}/{config}/{split_name} record {i}", dict(obj), join, wanted,
                           seen_fields, Path(name))
        except DataError:
            raise
        except Exception as exc:
            raise DataError(f"reading {name}/{config}/{split_name} failed (needs internet access): "
                            f"{type(exc).__name__}: {exc}") from exc


def load_corpus_hf(name: str, join: str, wanted: set) -> Corpus:
    """Stream the year configurations of dataset ``name`` that the wanted keys need, for ``join``."""
    try:
        import datasets  # lazy: optional dependency, only for this source
    except ImportError as exc:
        raise DataError(
            f"the Hugging Face corpus {name!r} needs the `datasets` package: pip install -e .[hf] (or "
            "`make setup CONFIG=<config>`; and internet access); or download EDGAR-CORPUS files and pass "
            "--corpus PATH"
        ) from exc
    corpus = Corpus(label=name, kind="hf", files=[], sha256=None, records={})
    configs, uncovered = _hf_configs(wanted, join)
    if uncovered:
        corpus.warnings.append(
            f"{name} covers filing years {HF_YEARS.start}-{HF_YEARS.stop - 1}; rows of "
            f"{', '.join(map(str, uncovered))} cannot be found there (pass --corpus PATH for those filings)")
    seen_fields: set[str] = set()
    for config in configs:
        _read_config(datasets, corpus, config, join, wanted, seen_fields)
    for col in required_fields(join):
        if corpus.n_scanned and col not in seen_fields:
            raise DataError("the dataset records lack this field", file=name, column=col)
    return corpus
