"""A small hand-written filing with its four answers and evidence spans, for prompt and detection tests."""

from __future__ import annotations

from adapters.sample import Sample

TEXT = (
    "Item 1. Business\n"
    "Overview\n"
    "Harbor Tools, Inc. was incorporated in the State of Delaware in 1998 and makes pumps for farms.\n"
    "Our principal executive offices are located in Austin, Texas, where we lease a small building.\n"
    "As of December 31, 2023, we had approximately 12,500 employees, most of them in our plants.\n"
    "We compete with many larger companies in Nevada and California on price and on service.\n"
)


def record(text: str = TEXT) -> dict:
    """The filing as a prepared-sample dict (mutable: tests change fields before validating it)."""
    def span(s: str) -> list[list[int]]:
        i = text.index(s)
        return [[i, i + len(s)]]

    return {
        "sample_id": "s1", "text": text,
        "answers": {"inc_state": "Delaware", "inc_year": "1998", "employees": "12500", "hq_state": "Texas"},
        "usable": {"inc_state": True, "inc_year": True, "employees": True, "hq_state": True},
        "evidence_chars": {"inc_state": span("Delaware"), "inc_year": span("1998"),
                           "employees": span("12,500"), "hq_state": span("Texas")},
        "excluded": {},
    }


def sample(rec: dict | None = None) -> Sample:
    """A prepared-sample dict (default: :func:`record`) as the typed record the pipeline passes around."""
    return Sample.model_validate(rec if rec is not None else record())
