"""Write a synthetic corpus: the generator renders the files in memory, this step writes them atomically.

``corpus.jsonl``, ``ground_truth.csv`` and ``README.md`` (see ``data.synthetic``) go into ``out_dir``,
each through :func:`harness.store.atomic.atomic_write_text`, so an interrupted run leaves every file
either as it was or complete. Bad generator settings raise ``ValueError`` before anything is written.
"""

from __future__ import annotations

import os
from pathlib import Path

from data.synthetic import DEFAULT_N_FILINGS, DEFAULT_SEED, GeneratedCorpus, render_corpus
from harness.store.atomic import atomic_write_text


def generate_corpus(
    out_dir: str | os.PathLike[str],
    n_filings: int = DEFAULT_N_FILINGS,
    seed: int = DEFAULT_SEED,
    *,
    min_tokens: int = 1000,
    max_tokens: int = 20000,
    absent_rate: float = 0.12,
) -> GeneratedCorpus:
    """Generate the synthetic corpus and write corpus.jsonl, ground_truth.csv and README.md atomically."""
    rendered = render_corpus(n_filings, seed, min_tokens=min_tokens, max_tokens=max_tokens,
                             absent_rate=absent_rate)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in rendered.files.items():
        atomic_write_text(out / name, text)
    return rendered.written_to(out)
