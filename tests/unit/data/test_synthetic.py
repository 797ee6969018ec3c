"""Tests for data/synthetic/: the SYNTHETIC 10-K Item 1 corpus generator (rendered in memory; the writing
is tested in tests/unit/pipeline/test_generate.py)."""

from __future__ import annotations

import csv
import io
import json
import re
import statistics

import pytest

from adapters.answers import STATE_CODES, canonical_truth
from adapters.evidence import find_evidence_chars
from adapters.questions import QUESTION_KEYS, QUESTIONS
from data import synthetic
from data.synthetic import (
    ABSENT_KINDS,
    CHARS_PER_TOKEN,
    CORPUS_FILE,
    DEPTHS,
    EMP_STYLES,
    GROUND_TRUTH_FILE,
    GT_COLUMNS,
    HQ_STYLES,
    INC_STYLES,
    README_FILE,
    generate_filings,
    render_corpus,
)

FILES = ("corpus.jsonl", "ground_truth.csv", "README.md")


@pytest.fixture(scope="module")
def default_corpus() -> synthetic.RenderedCorpus:
    """The demo's default corpus (60 filings, default seed), rendered once for the module."""
    return render_corpus()


def _read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _read_jsonl(text: str) -> list[dict[str, str]]:
    return [json.loads(line) for line in text.splitlines()]


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos)


# ----- determinism -----
def test_same_seed_gives_identical_texts() -> None:
    a = render_corpus(n_filings=12, seed=7)
    b = render_corpus(n_filings=12, seed=7)
    assert tuple(a.files) == FILES
    for name in FILES:
        assert a.files[name] == b.files[name], name


def test_different_seed_differs() -> None:
    a = render_corpus(n_filings=12, seed=7)
    b = render_corpus(n_filings=12, seed=8)
    assert a.files[CORPUS_FILE] != b.files[CORPUS_FILE]
    assert a.files[GROUND_TRUTH_FILE] != b.files[GROUND_TRUTH_FILE]
    texts_a = {r["section_1"] for r in _read_jsonl(a.files[CORPUS_FILE])}
    texts_b = {r["section_1"] for r in _read_jsonl(b.files[CORPUS_FILE])}
    assert not texts_a & texts_b


# ----- files and ground truth -----
def test_csv_columns_and_types(default_corpus: synthetic.RenderedCorpus) -> None:
    header = next(csv.reader(io.StringIO(default_corpus.files[GROUND_TRUTH_FILE], newline="")))
    assert tuple(header) == GT_COLUMNS == (
        "filename", "cik", "year", "company", "original_Inc_state_truth", "original_Inc_year_truth",
        "employee_count_truth", "headquarters_state_truth",
    )
    rows = _read_csv(default_corpus.files[GROUND_TRUTH_FILE])
    records = _read_jsonl(default_corpus.files[CORPUS_FILE])
    assert len(rows) == len(records) == default_corpus.n_filings == 60
    assert len({r["filename"] for r in rows}) == 60 and len({r["company"] for r in rows}) == 60
    for row, rec in zip(rows, records, strict=True):
        assert set(rec) == {"filename", "cik", "year", "section_1"}
        assert row["filename"] == rec["filename"] == f"{row['cik']}_{row['year']}.htm"
        assert row["cik"] == rec["cik"] and row["year"] == rec["year"]
        assert row["cik"].isdigit() and int(row["cik"]) > 9_000_000
        assert re.fullmatch(r"20[12]\d", row["year"])
        for col in (QUESTIONS["inc_state"].column, QUESTIONS["hq_state"].column):
            assert row[col] == "" or row[col] in STATE_CODES, (row["filename"], col, row[col])
        year = row[QUESTIONS["inc_year"].column]
        assert year == "" or (re.fullmatch(r"\d{4}", year) and 1850 <= int(year) <= int(row["year"]) - 3)
        count = row[QUESTIONS["employees"].column]
        assert count == "" or (re.fullmatch(r"[1-9]\d*", count) and int(count) >= 35)
        for key in QUESTION_KEYS:  # the harness's own parser reads every cell back unchanged
            cell = row[QUESTIONS[key].column]
            assert canonical_truth(QUESTIONS[key].kind, cell) == (cell or None)


def test_some_rows_have_empty_cells(default_corpus: synthetic.RenderedCorpus) -> None:
    rows = _read_csv(default_corpus.files[GROUND_TRUTH_FILE])
    empty = {key: sum(r[QUESTIONS[key].column] == "" for r in rows) for key in QUESTION_KEYS}
    assert all(v >= 1 for v in empty.values()), empty
    assert sum(any(r[QUESTIONS[k].column] == "" for k in QUESTION_KEYS) for r in rows) <= 12
    assert default_corpus.n_stated == {k: 60 - empty[k] for k in QUESTION_KEYS}
    filings = default_corpus.filings
    assert {f.styles["absent"] for f in filings} - {"none"} == set(ABSENT_KINDS)
    for f in filings:  # an empty cell means no line of the text is marked as stating that fact
        for key in QUESTION_KEYS:
            assert (f.truth[key] is None) == (not f.fact_lines[key]), (f.filename, key)


# ----- text and truth agree -----
def test_every_truth_value_has_evidence_in_a_stating_sentence(
    default_corpus: synthetic.RenderedCorpus,
) -> None:
    """adapters.evidence finds every truth value, inside a line that states the fact, never elsewhere."""
    rows = {r["filename"]: r for r in _read_csv(default_corpus.files[GROUND_TRUTH_FILE])}
    for rec in _read_jsonl(default_corpus.files[CORPUS_FILE]):
        text, row = rec["section_1"], rows[rec["filename"]]
        filing = next(f for f in default_corpus.filings if f.filename == rec["filename"])
        assert filing.section_1 == text
        for key in QUESTION_KEYS:
            truth = row[QUESTIONS[key].column]
            if not truth:
                continue
            kind = QUESTIONS[key].kind
            spans = find_evidence_chars(text, kind, truth)
            assert spans, (rec["filename"], key, truth)
            same_value = [k for k in QUESTION_KEYS if row[QUESTIONS[k].column] == truth
                          and QUESTIONS[k].kind == kind]
            allowed = {i for k in same_value for i in filing.fact_lines[k]}
            lines = {_line_of(text, a) for a, _ in spans}
            assert lines & set(filing.fact_lines[key]), (rec["filename"], key, "not in a stating sentence")
            assert lines <= allowed, (rec["filename"], key, truth, "evidence outside the stating sentences")


def test_text_looks_like_an_edgar_extract(default_corpus: synthetic.RenderedCorpus) -> None:
    for f in default_corpus.filings:
        lines = f.section_1.split("\n")
        assert lines[0].lower().startswith("item 1")
        assert all(line == line.strip() and line for line in lines)  # no blank lines, no padding
        # headings on their own lines
        assert any(len(line) < 60 and not line.endswith(".") for line in lines[1:])
        assert not any(s.lower() in f.company.lower() for s in STATE_CODES)


def test_length_distribution(default_corpus: synthetic.RenderedCorpus) -> None:
    tokens = sorted(len(f.section_1) / CHARS_PER_TOKEN for f in default_corpus.filings)
    assert tokens[0] >= 900 and tokens[-1] <= 22_000, (tokens[0], tokens[-1])
    assert tokens[0] < 1_500 and tokens[-1] > 15_000  # the whole range is covered
    assert 2_500 < statistics.median(tokens) < 8_000  # log-uniform: median near sqrt(1k * 20k)
    assert sum(t < 3_000 for t in tokens) >= 10 and sum(t > 10_000 for t in tokens) >= 10
    lo, mid, hi = default_corpus.n_chars
    assert lo == min(len(f.section_1) for f in default_corpus.filings) and lo <= mid <= hi


def test_length_bounds_are_configurable() -> None:
    filings = generate_filings(6, seed=3, min_tokens=500, max_tokens=800)
    assert all(400 <= len(f.section_1) / CHARS_PER_TOKEN <= 1_300 for f in filings)


# ----- variety: phrasings, depths, distractors -----
def test_every_phrasing_style_occurs(default_corpus: synthetic.RenderedCorpus) -> None:
    filings = default_corpus.filings
    stated = [f for f in filings if f.styles["absent"] == "none"]
    assert {f.styles["inc"] for f in filings} == set(INC_STYLES)
    assert {f.styles["hq"] for f in filings} == set(HQ_STYLES)
    assert {f.styles["emp"] for f in filings} == set(EMP_STYLES)
    corpus = "\n".join(f.section_1 for f in stated)
    for pattern in (
        r"incorporated in the State of [A-Z]\w+ in \d{4}",
        r"organized under the laws of",
        r"corporation formed in \d{4}",
        r"Commonwealth of (Virginia|Massachusetts|Pennsylvania|Kentucky)",
        r"\d\.\d million (associates|employees)",
        r"employed [\d,]+ persons", r"headquartered in [A-Z][\w .]+, [A-Z][a-z]+",
        r"principal executive offices are located at .+, [A-Z]{2} \d{5}", r"We had \d{4} ",
    ):
        assert re.search(pattern, corpus), pattern


def test_fact_depths_vary(default_corpus: synthetic.RenderedCorpus) -> None:
    for key in QUESTION_KEYS:
        depths = [f.fact_depth[key] for f in default_corpus.filings if f.truth[key] is not None]
        buckets = {d: 0 for d in DEPTHS}
        for x in depths:
            buckets["early" if x < 1 / 3 else "middle" if x < 2 / 3 else "late"] += 1
        assert all(v >= 8 for v in buckets.values()), (key, buckets)


def test_distractors_present(default_corpus: synthetic.RenderedCorpus) -> None:
    state_re = re.compile(r"\b(" + "|".join(sorted(STATE_CODES, key=len, reverse=True)) + r")\b")
    n_other_state = n_other_year = 0
    kinds: set[str] = set()
    for f in default_corpus.filings:
        truths = {f.truth["inc_state"], f.truth["hq_state"]}
        if any(m.group(1) not in truths for m in state_re.finditer(f.section_1)):
            n_other_state += 1
        years = set(re.findall(r"(?<!\d)(1[89]\d\d|20[0-4]\d)(?!\d)", f.section_1))
        if years - {f.truth["inc_year"], str(int(f.year) - 1), str(int(f.year) - 2)}:
            n_other_year += 1
        kinds.update(f.distractors)
        assert len(f.distractors) >= 3, f.filename
    assert n_other_state == n_other_year == 60
    assert kinds >= {
        "subsidiary_state", "acquisition", "founding_year", "former_parent", "facility_state",
        "subsidiary_hq",
        "customer_hq", "layoff", "segment_headcount", "union", "contractors", "hires",
    }
    corpus = "\n".join(f.section_1 for f in default_corpus.filings)
    assert re.search(r"compared with approximately [\d,]+ a year earlier", corpus)  # prior-year count
    assert re.search(r"reduced our workforce by approximately [\d,]+ positions", corpus)  # layoffs


# ----- README, bad input -----
def test_readme_says_synthetic(default_corpus: synthetic.RenderedCorpus) -> None:
    readme = default_corpus.files[README_FILE]
    assert "SYNTHETIC" in readme and "fictional" in readme and "not SEC filings" in readme
    assert f"seed: {default_corpus.seed}" in readme and synthetic.GENERATOR_VERSION in readme
    assert "filings: 60" in readme
    for key in QUESTION_KEYS:
        assert f"| `{key}` | `{QUESTIONS[key].column}` | {default_corpus.n_stated[key]} |" in readme


@pytest.mark.parametrize("kwargs", [{"n_filings": 0}, {"min_tokens": 5000, "max_tokens": 1000},
                                    {"absent_rate": 1.5}])
def test_bad_arguments_raise(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        render_corpus(**kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        generate_filings(**kwargs)  # type: ignore[arg-type]
