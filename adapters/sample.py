"""One prepared filing as a typed record: the unit the study's steps pass around (no torch here).

Written by data preparation into ``train_samples.json`` / ``test_samples.json``; read back by detection and
ablation. Answers are canonical strings ("Delaware", "1998", "12500"), ``None`` where the ground truth is
unusable; ``evidence_chars`` are half-open character spans of the text that state each answer,
``evidence_sentences`` the sentence holding each of them (parallel lists; the context window holds the whole
sentence where it fits), and ``evidence_rule`` says which rule of ``adapters.stated_evidence`` found them
(``verified_sentence``, ``cue_sentence``). Files prepared before those fields existed read with them empty.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Sample(BaseModel):
    """One prepared filing: its Item 1 text, canonical answers, evidence spans and per-question status."""

    model_config = ConfigDict(extra="allow")

    sample_id: str
    text: str
    answers: dict[str, str | None]
    usable: dict[str, bool]
    evidence_chars: dict[str, list[tuple[int, int]]] = Field(default_factory=dict)
    evidence_sentences: dict[str, list[tuple[int, int]]] = Field(default_factory=dict)
    evidence_rule: dict[str, str] = Field(default_factory=dict)  # usable question -> stating rule
    excluded: dict[str, str] = Field(default_factory=dict)
    source_line: int | None = None
    filename: str | None = None
    cik: str | None = None
    year: str | None = None
    company: str | None = None
