"""The train/test split: ``sklearn.model_selection.train_test_split`` of the samples in CSV order."""

from __future__ import annotations

from typing import Any

SPLIT_METHOD = "sklearn.model_selection.train_test_split"


def split_samples(records: list[dict[str, Any]], test_size: float, random_state: int
                  ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str | None]:
    """``train_test_split`` of the records in CSV order; (train, test, error or None)."""
    if len(records) < 2:
        return [], [], f"only {len(records)} filing(s) with a usable question; a train/test split needs >= 2"
    from sklearn.model_selection import train_test_split

    try:
        train, test = train_test_split(records, test_size=test_size, random_state=random_state)
    except ValueError as exc:
        return [], [], f"cannot split {len(records)} filings with test_size={test_size!r}: {exc}"
    return list(train), list(test), None
