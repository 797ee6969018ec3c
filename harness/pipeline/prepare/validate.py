"""The status of each (row, question): null, unparseable, no_text, no_evidence or usable, checked in order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adapters.answers import canonical_truth
from adapters.evidence import find_evidence_chars, surface_forms
from adapters.questions import QUESTION_KEYS, QUESTIONS
from harness.pipeline.prepare.identifiers import is_null, sample_id
from harness.pipeline.prepare.rows import Row, excluded_row

STATUSES = ("null", "unparseable", "no_text", "no_evidence", "usable")


@dataclass
class Assessment:
    """The rows judged: sample records (filings with a usable question), status counts, exclusions."""

    records: list[dict[str, Any]]
    counts: dict[str, dict[str, int]]  # question -> status -> rows
    row_exclusions: list[dict[str, Any]]
    question_exclusions: list[dict[str, Any]]


def question_status(row: Row, q: str, raw: str | None) -> tuple[str, str, str | None, list[tuple[int, int]]]:
    """(status, reason, canonical answer, evidence spans) of one (row, question)."""
    kind = QUESTIONS[q].kind
    if is_null(raw):
        shown = (raw or "").strip()
        return "null", f"NULL ground truth ({shown!r})" if shown else "NULL ground truth (empty cell)", None, []
    canon = canonical_truth(kind, raw.strip())
    if canon is None:
        return "unparseable", f"unparseable {kind}: {raw.strip()!r}", None, []
    if row.text is None:
        return "no_text", f"no Item 1 text: {row.text_problem}", canon, []
    spans = find_evidence_chars(row.text, kind, canon)
    if not spans:
        forms = ", ".join(repr(f) for f in surface_forms(kind, canon))
        return "no_evidence", f"answer {canon!r} not found in the text (forms {forms})", canon, []
    return "usable", "", canon, spans


def _assess_row(row: Row, sid: str, mapping: dict[str, str], found: Assessment) -> None:
    """Judge every question of one row; keep the row as a sample or list it as excluded."""
    answers: dict[str, str | None] = {}
    usable: dict[str, bool] = {}
    evidence: dict[str, list[list[int]]] = {}
    excluded: dict[str, str] = {}
    for q in QUESTION_KEYS:
        raw = row.values.get(mapping[q])
        status, reason, canon, spans = question_status(row, q, raw)
        found.counts[q][status] += 1
        answers[q] = canon
        usable[q] = status == "usable"
        evidence[q] = [[a, b] for a, b in spans]
        if status != "usable":
            excluded[q] = reason
            found.question_exclusions.append({"line": row.line, "sample_id": sid, "question": q,
                                              "column": mapping[q], "value": raw, "status": status,
                                              "reason": reason})
    if row.text is None:
        found.row_exclusions.append(excluded_row(row, sid, row.text_problem_column, "no_text",
                                                 f"no Item 1 text: {row.text_problem}"))
    elif not any(usable.values()):
        found.row_exclusions.append(excluded_row(row, sid, None, "no_usable_question", "no usable question: "
                                                 + "; ".join(f"{q}: {excluded[q]}" for q in QUESTION_KEYS)))
    else:
        found.records.append({
            "sample_id": sid, "source_line": row.line, "filename": row.filename, "cik": row.cik,
            "year": row.year, "company": row.company, "text": row.text, "answers": answers,
            "usable": usable, "evidence_chars": evidence, "excluded": excluded,
        })


def assess(rows: list[Row], mapping: dict[str, str]) -> Assessment:
    """Per (row, question) status -> sample records, counts, row exclusions and question exclusions."""
    found = Assessment(records=[], counts={q: dict.fromkeys(STATUSES, 0) for q in QUESTION_KEYS},
                       row_exclusions=[], question_exclusions=[])
    used_ids: set[str] = set()
    for row in rows:
        sid = sample_id(row.filename, row.line)
        if sid in used_ids:
            sid = f"{sid}-row{row.line}"
        used_ids.add(sid)
        _assess_row(row, sid, mapping, found)
    return found
