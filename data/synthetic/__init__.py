"""Deterministic generator of a SYNTHETIC corpus of SEC-style 10-K Item 1 ("Business") texts.

Every company, person, address, product and number here is invented; the texts are generated from
templates written for this project and are not SEC filings. The corpus is the demo's default data:

- ``corpus.jsonl``: one filing per line in EDGAR-CORPUS form (``filename`` = ``{cik}_{year}.htm``,
  ``cik``, ``year``, ``section_1``); one paragraph or heading per line, no blank lines, like real
  EDGAR extracts;
- ``ground_truth.csv``: the user's ground-truth columns (full state names, 4-digit year, plain
  integer count; an empty cell where the text does not state the fact in an acceptable way);
- ``README.md``: says that the corpus is synthetic, with seed, generator version and counts.

The four facts are stated in the many ways real filings state them (state of incorporation with
"State of" / "Commonwealth of" / "a Delaware corporation formed in"; headquarters as a full address,
"headquartered in", or a postal code; employee counts with and without commas, "2.3 million",
"associates", "persons") at varied depths, surrounded by distractors: subsidiaries incorporated in
other states, facilities and subsidiary head offices in other states, founding years, prior-year
head-counts, layoffs, segment and union head-counts. Each generated filing is checked before it is
kept: every ground-truth value occurs in a sentence that states it, and nowhere else (a conservative
check, stricter than ``adapters.evidence.find_evidence_chars``); a filing that fails is drawn again.

Same ``(n_filings, seed)`` -> byte-identical files. Generation is pure: :func:`render_corpus` returns
the files' texts; ``harness.pipeline.generate.generate_corpus`` writes them.
CLI: ``python -m harness synthetic --out DIR --n 60 --seed S``.

Modules, bottom to top: ``vocabulary`` (places, names, industry words), ``templates`` (prose and
headings), ``plan`` (phrasing styles, per-filing plan), ``wording`` and ``context`` (drawing values and
filling templates for one filing), ``facts``, ``distractors``, ``tables``, ``builder`` (laying out one
filing), ``check`` (its self-check), ``corpus`` (many filings), ``render`` (the files' texts).
"""

from data.synthetic.corpus import (
    CHARS_PER_TOKEN,
    DEFAULT_N_FILINGS,
    DEFAULT_SEED,
    GENERATOR_VERSION,
    SyntheticFiling,
    generate_filings,
)
from data.synthetic.plan import ABSENT_KINDS, DEPTHS, EMP_STYLES, HQ_STYLES, INC_STYLES
from data.synthetic.render import (
    CORPUS_FILE,
    DEFAULT_OUT,
    GROUND_TRUTH_FILE,
    GT_COLUMNS,
    README_FILE,
    GeneratedCorpus,
    RenderedCorpus,
    render_corpus,
)
from data.synthetic.vocabulary import COMMONWEALTHS

__all__ = [
    "ABSENT_KINDS",
    "CHARS_PER_TOKEN",
    "COMMONWEALTHS",
    "CORPUS_FILE",
    "DEFAULT_N_FILINGS",
    "DEFAULT_OUT",
    "DEFAULT_SEED",
    "DEPTHS",
    "EMP_STYLES",
    "GENERATOR_VERSION",
    "GROUND_TRUTH_FILE",
    "GT_COLUMNS",
    "HQ_STYLES",
    "INC_STYLES",
    "README_FILE",
    "GeneratedCorpus",
    "RenderedCorpus",
    "SyntheticFiling",
    "generate_filings",
    "render_corpus",
]
