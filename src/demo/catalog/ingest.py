"""Turn an uploaded CSV into unsaved copyright items, or say clearly why not."""

from __future__ import annotations

import csv
import io
import re
from typing import TYPE_CHECKING

from demo.catalog.models import (
    REGISTRATION_NUMBER_MAX_LENGTH,
    RIGHTS_HOLDER_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    CopyrightItem,
)

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
REQUIRED_COLUMNS = ("title", "rights_holder")
YEAR_MIN, YEAR_MAX = 1, 9999
# ASCII digits only: int() would also take "+1999", "1_999" or Arabic-Indic digits.
_YEAR = re.compile(r"[0-9]{1,4}")


class IngestError(Exception):
    """Reject an upload: ``error`` names the kind of problem, ``detail`` explains it."""

    def __init__(self, error: str, detail: str) -> None:
        """Record the short ``error`` and the full-sentence ``detail``."""
        super().__init__(detail)
        self.error = error
        self.detail = detail


def read_upload(upload: UploadedFile[bytes]) -> list[CopyrightItem]:
    """Check the size of ``upload``, read it and parse it with :func:`parse_csv`.

    Raises:
        IngestError: the file is over ``MAX_BYTES`` or :func:`parse_csv` rejects it.
    """
    if upload.size is not None and upload.size > MAX_BYTES:
        raise IngestError(
            "file too large",
            f"The file has {upload.size} bytes; the limit is {MAX_BYTES} bytes (5 MB). "
            "Split it and send the parts one by one.",
        )
    # Read one byte past the limit, in case the reported size was wrong.
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise IngestError("file too large", f"The file is over {MAX_BYTES} bytes (5 MB).")
    return parse_csv(data)


def parse_csv(data: bytes) -> list[CopyrightItem]:
    """Parse UTF-8 CSV ``data`` with a header row into unsaved items.

    Header names are matched without regard to case or surrounding spaces;
    ``title`` and ``rights_holder`` are required, ``year`` and
    ``registration_number`` optional, other columns ignored.

    Raises:
        IngestError: the data is not UTF-8 text, not CSV, lacks a required
            column, has no rows or more than ``MAX_ROWS``, or a row is invalid.
    """
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise IngestError("empty file", "The file is empty; send a CSV with a header row.")
        columns = _columns(header)
        items: list[CopyrightItem] = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue  # blank lines, as spreadsheets export them
            if len(items) == MAX_ROWS:
                raise IngestError(
                    "too many rows",
                    f"The file has more than {MAX_ROWS} rows; split it and send the parts "
                    "one by one.",
                )
            items.append(_item(row, columns, reader.line_num))
    except csv.Error as err:
        raise IngestError(
            "invalid CSV", f"The file is not valid CSV near line {reader.line_num}: {err}."
        ) from err
    if not items:
        raise IngestError("no rows", "The CSV has a header row but no data rows.")
    return items


def _decode(data: bytes) -> str:
    try:
        # utf-8-sig drops the byte-order mark that spreadsheet programs write.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise IngestError(
            "not UTF-8 text",
            f"The file is not UTF-8 text (invalid byte at offset {err.start}); "
            "send a CSV saved as UTF-8.",
        ) from err
    if "\x00" in text:
        raise IngestError(
            "not UTF-8 text", "The file contains NUL bytes, so it is not a text file."
        )
    return text


def _columns(header: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        columns.setdefault(name.strip().lower(), index)
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        found = ", ".join(_shown(name) for name in header[:10]) or "none"
        if len(header) > 10:
            found += ", ..."
        raise IngestError(
            "missing columns",
            f"The header row lacks the column(s) {', '.join(missing)} (found: {found}); "
            "the CSV needs title and rights_holder, optionally year and registration_number.",
        )
    return columns


def _item(row: list[str], columns: dict[str, int], line: int) -> CopyrightItem:
    def cell(name: str) -> str:
        index = columns.get(name)
        return row[index].strip() if index is not None and index < len(row) else ""

    title = _text(cell("title"), "title", TITLE_MAX_LENGTH, line, required=True)
    holder = _text(
        cell("rights_holder"), "rights_holder", RIGHTS_HOLDER_MAX_LENGTH, line, required=True
    )
    number = _text(
        cell("registration_number"), "registration_number", REGISTRATION_NUMBER_MAX_LENGTH, line
    )
    return CopyrightItem(
        title=title,
        rights_holder=holder,
        year=_year(cell("year"), line),
        registration_number=number,
    )


def _text(value: str, column: str, max_length: int, line: int, *, required: bool = False) -> str:
    if required and not value:
        raise IngestError("invalid row", f"Line {line}: {column} is empty; it is required.")
    if len(value) > max_length:
        raise IngestError(
            "invalid row",
            f"Line {line}: {column} has {len(value)} characters; at most {max_length} fit.",
        )
    return value


def _year(value: str, line: int) -> int | None:
    if not value:
        return None
    if not _YEAR.fullmatch(value) or not YEAR_MIN <= int(value) <= YEAR_MAX:
        raise IngestError(
            "invalid year",
            f"Line {line}: year {_shown(value)} is not a year; write it as a whole number "
            f"from {YEAR_MIN} to {YEAR_MAX}, or leave it empty.",
        )
    return int(value)


def _shown(value: str, limit: int = 40) -> str:
    """Quote ``value`` for a message, cut to ``limit`` characters."""
    return repr(value if len(value) <= limit else value[:limit] + "...")
