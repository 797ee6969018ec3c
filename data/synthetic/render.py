"""The files of a synthetic corpus, rendered in memory: corpus.jsonl, ground_truth.csv and README.md.

Rendering writes nothing: :func:`render_corpus` returns each file's text; the harness writes them
(``harness.pipeline.generate.generate_corpus``) and describes the result with :class:`GeneratedCorpus`.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from adapters.questions import QUESTION_KEYS, QUESTIONS
from data.synthetic.corpus import (
    CHARS_PER_TOKEN,
    DEFAULT_N_FILINGS,
    DEFAULT_SEED,
    GENERATOR_VERSION,
    SyntheticFiling,
    generate_filings,
)
from data.synthetic.plan import ABSENT_KINDS, DEPTHS, EMP_STYLES, HQ_STYLES, INC_STYLES

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "generated" / "synthetic"
CORPUS_FILE, GROUND_TRUTH_FILE, README_FILE = "corpus.jsonl", "ground_truth.csv", "README.md"
GT_COLUMNS: tuple[str, ...] = ("filename", "cik", "year", "company") + tuple(
    QUESTIONS[k].column for k in QUESTION_KEYS
)
# How a corpus README names the generator. The text is part of every README's bytes, which stay the same
# for the same (n_filings, seed) and generator version.
_GENERATOR_PATH = "data/synthetic.py"


@dataclass(frozen=True)
class RenderedCorpus:
    """A corpus in memory: each file's text (in writing order) and what the corpus holds."""

    files: dict[str, str]  # file name -> text: corpus.jsonl, ground_truth.csv, README.md
    seed: int
    n_filings: int
    generator_version: str
    n_stated: dict[str, int]  # question key -> filings whose text states it (non-empty CSV cell)
    n_chars: tuple[int, int, int]  # min, median, max length of section_1 in characters
    filings: tuple[SyntheticFiling, ...] = field(repr=False, default=())

    def written_to(self, out_dir: Path) -> GeneratedCorpus:
        """This corpus described as written into ``out_dir`` (computes paths; writes nothing)."""
        return GeneratedCorpus(
            out_dir=out_dir, corpus_path=out_dir / CORPUS_FILE, ground_truth_path=out_dir / GROUND_TRUTH_FILE,
            readme_path=out_dir / README_FILE, seed=self.seed, n_filings=self.n_filings,
            generator_version=self.generator_version, n_stated=self.n_stated, n_chars=self.n_chars,
            filings=self.filings,
        )


@dataclass(frozen=True)
class GeneratedCorpus:
    """Where generate_corpus wrote the corpus, and what is in it."""

    out_dir: Path
    corpus_path: Path
    ground_truth_path: Path
    readme_path: Path
    seed: int
    n_filings: int
    generator_version: str
    n_stated: dict[str, int]  # question key -> filings whose text states it (non-empty CSV cell)
    n_chars: tuple[int, int, int]  # min, median, max length of section_1 in characters
    filings: tuple[SyntheticFiling, ...] = field(repr=False, default=())

    @property
    def csv_path(self) -> Path:
        """The ground-truth CSV (same as ``ground_truth_path``)."""
        return self.ground_truth_path


def render_corpus(
    n_filings: int = DEFAULT_N_FILINGS,
    seed: int = DEFAULT_SEED,
    *,
    min_tokens: int = 1000,
    max_tokens: int = 20000,
    absent_rate: float = 0.12,
) -> RenderedCorpus:
    """Generate the filings and render the corpus files' texts (arguments as for ``generate_filings``)."""
    filings = generate_filings(n_filings, seed, min_tokens=min_tokens, max_tokens=max_tokens,
                               absent_rate=absent_rate)
    settings = {"min_tokens": min_tokens, "max_tokens": max_tokens, "absent_rate": absent_rate}
    files = {
        CORPUS_FILE: corpus_jsonl(filings),
        GROUND_TRUTH_FILE: ground_truth_csv(filings),
        README_FILE: readme_text(filings, seed, settings),
    }
    chars = sorted(len(f.section_1) for f in filings)
    return RenderedCorpus(
        files=files, seed=seed, n_filings=n_filings, generator_version=GENERATOR_VERSION,
        n_stated={k: sum(f.truth[k] is not None for f in filings) for k in QUESTION_KEYS},
        n_chars=(chars[0], int(statistics.median(chars)), chars[-1]), filings=tuple(filings),
    )


def corpus_jsonl(filings: Sequence[SyntheticFiling]) -> str:
    """corpus.jsonl: one EDGAR-CORPUS record per line (filename, cik, year, section_1)."""
    return "".join(
        json.dumps({"filename": f.filename, "cik": f.cik, "year": f.year, "section_1": f.section_1},
                   ensure_ascii=False) + "\n"
        for f in filings
    )


def ground_truth_csv(filings: Sequence[SyntheticFiling]) -> str:
    """ground_truth.csv: the GT_COLUMNS header and one row per filing ('\\n' line ends)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(GT_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for f in filings:
        writer.writerow(f.csv_row())
    return buf.getvalue()


def readme_text(filings: Sequence[SyntheticFiling], seed: int, settings: dict[str, object]) -> str:
    """README.md of the corpus: that it is synthetic, how to regenerate it, its files and its counts."""
    lines = _readme_intro(len(filings), seed, settings) + _readme_counts(filings) + _readme_phrasings()
    return "\n".join(lines)


def _readme_intro(n: int, seed: int, settings: dict[str, object]) -> list[str]:
    return [
        "# SYNTHETIC 10-K Item 1 corpus",
        "",
        "**This corpus is SYNTHETIC.** The companies are fictional and the texts are generated from "
        "templates by",
        f"`{_GENERATOR_PATH}`; they are not SEC filings and no text was copied from one. Every person, "
        "address,",
        "product and number is invented, and the CIKs (9,000,001 and up) lie above every real CIK in use. "
        "The",
        "corpus exists so the tool can be demonstrated and tested without shipping real filings.",
        "",
        f"- generator: `{_GENERATOR_PATH}` version {GENERATOR_VERSION}",
        f"- seed: {seed}",
        f"- filings: {n}; settings: " + ", ".join(f"{k}={v}" for k, v in settings.items()),
        f"- regenerate: `python -m harness synthetic --out <dir> --n {n} --seed {seed}` "
        "(byte-identical output)",
        "",
        "## Files",
        "",
        "| file | content |",
        "| --- | --- |",
        "| `corpus.jsonl` | one filing per line, EDGAR-CORPUS form: `filename` (`{cik}_{year}.htm`), `cik`, "
        "`year`, `section_1` (one paragraph or heading per line) |",
        "| `ground_truth.csv` | `" + ",".join(GT_COLUMNS) + "`; full state names, 4-digit year, "
        "plain integer count; empty cell = the text does not state that fact in an acceptable way |",
        "",
    ]


def _depth_bucket(x: float) -> str:
    return "early" if x < 1 / 3 else ("middle" if x < 2 / 3 else "late")


def _readme_counts(filings: Sequence[SyntheticFiling]) -> list[str]:
    """The counts table per question, then lengths, missing facts and the states used."""
    n = len(filings)
    lines = [
        "## Counts",
        "",
        "| question | CSV column | stated (non-empty) | empty | early / middle / late (first statement) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for key in QUESTION_KEYS:
        stated = [f for f in filings if f.truth[key] is not None]
        buckets = {d: 0 for d in DEPTHS}
        for f in stated:
            buckets[_depth_bucket(f.fact_depth[key])] += 1
        lines.append(f"| `{key}` | `{QUESTIONS[key].column}` | {len(stated)} | {n - len(stated)} | "
                     f"{buckets['early']} / {buckets['middle']} / {buckets['late']} |")
    chars = sorted(len(f.section_1) for f in filings)
    tokens = [c / CHARS_PER_TOKEN for c in chars]
    absent = [f.styles["absent"] for f in filings if f.styles["absent"] != "none"]
    return lines + [
        "",
        f"- `section_1` length in characters: min {chars[0]:,}, median {int(statistics.median(chars)):,}, "
        f"max {chars[-1]:,}, total {sum(chars):,}",
        f"- approximate tokens (characters / {CHARS_PER_TOKEN}): min {tokens[0]:,.0f}, "
        f"median {statistics.median(tokens):,.0f}, max {tokens[-1]:,.0f}",
        "- filings with a fact absent or not derivable: " + (
            ", ".join(f"{k} {absent.count(k)}" for k in ABSENT_KINDS if absent.count(k)) or "none"),
        "- incorporation states: " + _tally(f.truth["inc_state"] for f in filings),
        "- headquarters states: " + _tally(f.truth["hq_state"] for f in filings),
        "",
    ]


def _readme_phrasings() -> list[str]:
    return [
        "## How the facts are written",
        "",
        "Incorporation: " + ", ".join(INC_STYLES) + ". Headquarters: " + ", ".join(HQ_STYLES)
        + ". Employees: " + ", ".join(EMP_STYLES)
        + ". Distractors (other states, years and head-counts): subsidiaries incorporated "
        "elsewhere, acquisitions, founding years, former parents, facilities and segment head offices in "
        "other states, a large customer's headquarters, layoffs, segment and union head-counts, "
        "contractors, hires, prior-year counts. Rows with an empty cell state the fact only in a form the "
        "ground truth does not accept (year without state, state with a founding year only, a "
        "reincorporation, full-time and part-time counts without a total, full-time equivalents, \"based "
        "in\"), or not at all.",
        "",
    ]


def _tally(values: Iterable[str | None]) -> str:
    counts: dict[str, int] = {}
    for v in values:
        label = v or "(empty)"
        counts[label] = counts.get(label, 0) + 1
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
