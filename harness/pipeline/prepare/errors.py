"""The one error of data preparation: an input that cannot be used at all, named by file, line and column."""

from __future__ import annotations

import os


class DataError(ValueError):
    """Bad input data: the message names the file, the line (1-based, header = line 1) and the column."""

    def __init__(
        self, message: str, *, file: str | os.PathLike | None = None, line: int | None = None,
        column: str | None = None,
    ) -> None:
        self.file = None if file is None else str(file)
        self.line = line
        self.column = column
        self.detail = message
        where = [p for p in (self.file, None if line is None else f"line {line}",
                             None if column is None else f"column {column!r}") if p]
        super().__init__(f"{', '.join(where)}: {message}" if where else message)
