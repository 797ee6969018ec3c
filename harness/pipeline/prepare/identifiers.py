"""Cell values and filing identifiers: NULL markers, filenames, CIKs, years and the join keys built from them."""

from __future__ import annotations

import re
from typing import Any

NULL_MARKERS = frozenset({"", "null", "none", "nan", "n/a", "na", "#n/a", "-", "--", "?"})


def is_null(value: str | None) -> bool:
    """True for a missing cell, an empty one or a NULL marker ("NULL", "N/A", "nan", ...)."""
    return value is None or value.strip().casefold() in NULL_MARKERS


def str_or_none(value: Any) -> str | None:
    """``str(value)``, keeping None."""
    return None if value is None else str(value)


def norm_filename(value: str | None) -> str | None:
    """The base name of a filename cell (folders dropped); None when the cell is NULL."""
    if is_null(value):
        return None
    return re.split(r"[\\/]", str(value).strip())[-1] or None


def filename_key(filename: str | None) -> str | None:
    """Join key of a filename: the base name without its extension ("16040_2022.htm" and the
    "16040_2022.txt" of another EDGAR-CORPUS build name the same filing)."""
    if not filename:
        return None
    return filename.rsplit(".", 1)[0] if "." in filename[1:] else filename


def norm_cik(value: Any) -> str | None:
    """CIK as an integer string without leading zeros ("0000016040" -> "16040"); None if not one."""
    if value is None:
        return None
    text = str(value).strip()
    if text.endswith(".0"):
        text = text[:-2]
    if not text.isdigit():
        return None
    return str(int(text))


def norm_year(value: Any) -> str | None:
    """A 4-digit year as a string ("2022", "2022.0" -> "2022"); None if not one."""
    if value is None:
        return None
    text = str(value).strip()
    if text.endswith(".0"):
        text = text[:-2]
    return text if len(text) == 4 and text.isdigit() else None


def sample_id(filename: str | None, line: int) -> str:
    """The sample id of a filing: its filename key, or ``row<line>`` when it has no filename."""
    return filename_key(filename) or f"row{line}"


def key_label(key: Any) -> str:
    """How a join key is shown to the user: ``cik=.. year=..`` or ``filename '..'``."""
    return f"cik={key[0]} year={key[1]}" if isinstance(key, tuple) else f"filename {key!r}"
