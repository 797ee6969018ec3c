"""The status of each (row, question), checked in order: null, unparseable, implausible, no_text, no_evidence,
no_stating_sentence or usable.

``implausible``: an incorporation year after the filing's year. The evidence of a usable question comes from
``adapters.stated_evidence``: the verified sentence where the evidence file has one, else the sentences of the
text whose cue states the fact; the rule that found it is recorded per question (``evidence_rule``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from adapters.answers import canonical_truth
from adapters.questions import QUESTION_KEYS, QUESTIONS
from adapters.stated_evidence import STATING_RULES, VerifiedSentence, stated_evidence
from harness.pipeline.prepare.identifiers import is_null, sample_id
from harness.pipeline.prepare.rows import Row, excluded_row

STATUSES = ("null", "unparseable", "implausible", "no_text", "no_evidence", "no_stating_sentence", "usable")


@dataclass
class Assessment:
    """The rows judged: sample records (filings with a usable question), status counts, exclusions."""

    records: list[dict[str, Any]]
    counts: dict[str, dict[str, int]]  # question -> status -> rows
    row_exclusions: list[dict[str, Any]]
    question_exclusions: list[dict[str, Any]]
    rules: dict[str, dict[str, int]] = field(default_factory=dict)  # question -> stating rule -> usable rows
    evidence_warnings: list[dict[str, Any]] = field(default_factory=list)  # e.g. a verified sentence not used


@dataclass
class Verdict:
    """One (row, question): status, reason, canonical answer and, when usable, its evidence."""

    status: str
    reason: str = ""
    answer: str | None = None
    spans: list[tuple[int, int]] = field(default_factory=list)
    sentences: list[tuple[int, int]] = field(default_factory=list)
    rule: str | None = None
    warnings: list[str] = field(default_factory=list)


def _implausible(q: str, canon: str, row: Row) -> str | None:
    if q == "inc_year" and row.year is not None and int(canon) > int(row.year):
        return f"incorporation year {canon} is after the filing year {row.year}"
    return None


def question_status(row: Row, q: str, raw: str | None, verified: VerifiedSentence | None = None) -> Verdict:
    """The :class:`Verdict` of one (row, question); ``verified``: the evidence file's sentence for it."""
    kind = QUESTIONS[q].kind
    if is_null(raw):
        shown = (raw or "").strip()
        return Verdict("null", f"NULL ground truth ({shown!r})" if shown else "NULL ground truth (empty cell)")
    canon = canonical_truth(kind, raw.strip())
    if canon is None:
        return Verdict("unparseable", f"unparseable {kind}: {raw.strip()!r}")
    problem = _implausible(q, canon, row)
    if problem:
        return Verdict("implausible", problem, canon)
    if row.text is None:
        return Verdict("no_text", f"no Item 1 text: {row.text_problem}", canon)
    ev = stated_evidence(row.text, q, canon, verified)
    return Verdict(ev.status, ev.reason, canon, ev.spans, ev.sentences, ev.rule, ev.warnings)


def _assess_row(row: Row, sid: str, mapping: dict[str, str], verified: dict[str, VerifiedSentence],
                found: Assessment) -> None:
    """Judge every question of one row; keep the row as a sample or list it as excluded."""
    answers: dict[str, str | None] = {}
    usable: dict[str, bool] = {}
    evidence: dict[str, list[list[int]]] = {}
    sentences: dict[str, list[list[int]]] = {}
    rules: dict[str, str] = {}
    excluded: dict[str, str] = {}
    for q in QUESTION_KEYS:
        raw = row.values.get(mapping[q])
        v = question_status(row, q, raw, verified.get(q))
        found.counts[q][v.status] += 1
        found.evidence_warnings += [{"line": row.line, "sample_id": sid, "question": q, "warning": w}
                                    for w in v.warnings]
        answers[q] = v.answer
        usable[q] = v.status == "usable"
        evidence[q] = [[a, b] for a, b in v.spans]
        sentences[q] = [[a, b] for a, b in v.sentences]
        if v.rule is not None:
            rules[q] = v.rule
            found.rules[q][v.rule] += 1
        if v.status != "usable":
            excluded[q] = v.reason
            found.question_exclusions.append({"line": row.line, "sample_id": sid, "question": q,
                                              "column": mapping[q], "value": raw, "status": v.status,
                                              "reason": v.reason})
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
            "usable": usable, "evidence_chars": evidence, "evidence_sentences": sentences,
            "evidence_rule": rules, "excluded": excluded,
        })


def assess(rows: list[Row], mapping: dict[str, str], verified=None) -> Assessment:
    """Per (row, question) status -> sample records, counts, row exclusions and question exclusions.

    ``verified``: the verified evidence read from an evidence file
    (:class:`harness.pipeline.prepare.verified.VerifiedEvidence`), or None.
    """
    found = Assessment(records=[], counts={q: dict.fromkeys(STATUSES, 0) for q in QUESTION_KEYS},
                       row_exclusions=[], question_exclusions=[],
                       rules={q: dict.fromkeys(STATING_RULES, 0) for q in QUESTION_KEYS})
    used_ids: set[str] = set()
    for row in rows:
        sid = sample_id(row.filename, row.line)
        if sid in used_ids:
            sid = f"{sid}-row{row.line}"
        used_ids.add(sid)
        _assess_row(row, sid, mapping, verified.for_row(row, mapping) if verified else {}, found)
    return found
