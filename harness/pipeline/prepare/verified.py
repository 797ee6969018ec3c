"""The optional verified-evidence file: hand-checked evidence sentences per filing and answer column.

A JSON-lines file, one object per filing: ``filename`` and/or ``cik`` + ``year`` (as in the corpus) and
``facts``, mapping a ground-truth CSV column (or a question key) to ``{"answer", "surface", "sentence",
"sentence_offset"}``: the answer, its exact string in the text, the sentence quoted verbatim from the Item 1
text and the sentence's character offset there. Other fields are ignored. A malformed line is skipped and
listed (``strict``: it raises :class:`DataError`); a fact without a usable sentence is left out with a warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapters.questions import QUESTION_KEYS, QUESTIONS
from adapters.stated_evidence import VerifiedSentence
from harness.pipeline.prepare.corpus_files import iter_jsonl, skipped_line
from harness.pipeline.prepare.errors import DataError
from harness.pipeline.prepare.identifiers import filename_key, norm_cik, norm_filename, norm_year, str_or_none
from harness.pipeline.prepare.rows import Row
from harness.store.keys import file_sha256

Facts = dict[str, VerifiedSentence]  # answer column -> verified sentence


@dataclass
class VerifiedEvidence:
    """The verified sentences read from one file, by filename key and by (cik, year)."""

    path: Path
    sha256: str
    by_filename: dict[str, Facts] = field(default_factory=dict)
    by_cik_year: dict[tuple[str, str], Facts] = field(default_factory=dict)
    n_records: int = 0
    skipped_lines: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def for_row(self, row: Row, mapping: dict[str, str]) -> dict[str, VerifiedSentence]:
        """Question key -> verified sentence of a CSV row's filing (its answer column, or the question key)."""
        facts = self.by_filename.get(filename_key(row.filename) or "")
        if facts is None and row.cik and row.year:
            facts = self.by_cik_year.get((row.cik, row.year))
        if not facts:
            return {}
        out = {}
        for q in QUESTION_KEYS:
            fact = facts.get(mapping[q]) or facts.get(q) or facts.get(QUESTIONS[q].column)
            if fact is not None:
                out[q] = fact
        return out

    def meta(self) -> dict[str, Any]:
        """The ``meta`` entry of the prepared files: where the verified evidence came from."""
        return {"path": str(self.path.resolve()), "sha256": self.sha256, "records": self.n_records,
                "skipped_lines": len(self.skipped_lines)}


def _fact(where: str, column: str, raw: Any, warnings: list[str]) -> VerifiedSentence | None:
    if raw is None:
        return None
    ok = (isinstance(raw, dict) and isinstance(raw.get("sentence"), str) and raw["sentence"].strip()
          and isinstance(raw.get("surface"), str) and raw["surface"]
          and isinstance(raw.get("sentence_offset"), int) and not isinstance(raw["sentence_offset"], bool))
    if not ok:
        warnings.append(f"{where}: fact {column!r} needs a sentence, a surface and an integer sentence_offset; "
                        "left out")
        return None
    answer = raw.get("answer")
    return VerifiedSentence(sentence=raw["sentence"], offset=raw["sentence_offset"], surface=raw["surface"],
                            answer=None if answer is None else str(answer))


def _add(found: VerifiedEvidence, where: str, obj: dict[str, Any]) -> None:
    facts_raw = obj.get("facts")
    if not isinstance(facts_raw, dict):
        found.warnings.append(f"{where}: no 'facts' object; record left out")
        return
    facts = {str(col): f for col, raw in facts_raw.items()
             if (f := _fact(where, str(col), raw, found.warnings)) is not None}
    key = filename_key(norm_filename(str_or_none(obj.get("filename"))))
    cik, year = norm_cik(obj.get("cik")), norm_year(obj.get("year"))
    if key is None and not (cik and year):
        found.warnings.append(f"{where}: no filename and no cik + year; record left out")
        return
    found.n_records += 1
    if key is not None:
        found.by_filename[key] = facts
    if cik and year:
        found.by_cik_year[(cik, year)] = facts


def load_verified(path: str | Path, strict: bool = False) -> VerifiedEvidence:
    """Read a verified-evidence file (format in the module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise DataError("evidence file not found" if not path.exists() else "evidence file is not a file",
                        file=path)
    found = VerifiedEvidence(path=path, sha256=file_sha256(path))
    on_bad_line = None if strict else lambda f, n, why: found.skipped_lines.append(skipped_line(f, n, why))
    for where, obj in iter_jsonl(path, on_bad_line):
        if not isinstance(obj, dict):
            raise DataError(f"evidence record is not a JSON object ({type(obj).__name__})", file=path,
                            line=int(where.rsplit(":", 1)[1]))
        _add(found, where, obj)
    if found.n_records == 0:
        raise DataError("the evidence file holds no usable record", file=path)
    return found
