"""Reading an input file whole (the CSV, a .json corpus file) with failures turned into :class:`DataError`."""

from __future__ import annotations

from pathlib import Path

from harness.pipeline.prepare.errors import DataError


def read_input_bytes(path: Path, what: str) -> bytes:
    """The bytes of the file ``path``; ``what`` names it in the error when it is missing or unreadable."""
    if not path.exists():
        raise DataError(f"{what} not found", file=path)
    if path.is_dir():
        raise DataError(f"{what} is a folder, expected a file", file=path)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read {what}: {exc.strerror or exc}", file=path) from exc


def decode_utf8(path: Path, raw: bytes, what: str) -> str:
    """``raw`` as UTF-8 text (a byte-order mark dropped); the error names the line of the first bad byte."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError(
            f"{what} is not UTF-8 text (byte {exc.start}: {exc.reason}); save it as UTF-8 CSV",
            file=path, line=line,
        ) from exc
