"""Turn an uploaded CSV or .xlsx workbook into unsaved copyright items, or say clearly why not."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

# Re-exported: callers catch IngestError as imported from here.
from demo.catalog.errors import IngestError as IngestError
from demo.catalog.models import (
    REGISTRATION_NUMBER_MAX_LENGTH,
    RIGHTS_HOLDER_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    CopyrightItem,
)
from demo.catalog.workbook import looks_like_workbook, open_first_sheet

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
REQUIRED_COLUMNS = ("title", "rights_holder")
_FIELDS = (*REQUIRED_COLUMNS, "year", "registration_number")
YEAR_MIN, YEAR_MAX = 1, 9999
# ASCII digits only: int() would also take "+1999", "1_999" or Arabic-Indic digits.
_YEAR = re.compile(r"[0-9]{1,4}")


def read_upload(upload: UploadedFile[bytes]) -> list[CopyrightItem]:
    """Check the size of ``upload``, read it and parse it as a workbook or as CSV.

    The content decides, not the file name or content type: a ZIP archive or
    an OLE2 file (old .xls) goes to :func:`parse_xlsx`, anything else to
    :func:`parse_csv`.

    Raises:
        IngestError: the file is over ``MAX_BYTES`` or the parser rejects it.
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
    if looks_like_workbook(data):
        return parse_xlsx(data)
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
        rows = ((f"Line {reader.line_num}", row) for row in reader)
        return _items(_columns(header), rows, "The CSV")
    except csv.Error as err:
        raise IngestError(
            "invalid CSV", f"The file is not valid CSV near line {reader.line_num}: {err}."
        ) from err


def parse_xlsx(data: bytes) -> list[CopyrightItem]:
    """Parse the first worksheet of .xlsx ``data`` into unsaved items.

    The first row is the header, with the column rules of :func:`parse_csv`.
    Cells are read as text: whole numbers as digits (``1999.0`` is ``1999``),
    dates as ISO dates (so a date is no year), formulas by the value the
    spreadsheet program last saved (none, thus empty, in a workbook written by
    a script and never opened). Rows are read one at a time, and reading stops
    at the first row past the limits.

    Raises:
        IngestError: the data is an old .xls or not a readable workbook, openpyxl
            is not installed, the sheet is empty, has an empty first row, lacks
            a required column, has no rows or more than ``MAX_ROWS``, or a row
            is invalid.
    """
    with open_first_sheet(data) as sheet:
        columns = _columns(sheet.header)
        read = {name: index for name, index in columns.items() if name in _FIELDS}
        return _items(columns, sheet.rows(read), "The first worksheet")


def _items(
    columns: dict[str, int], rows: Iterable[tuple[str, list[str]]], source: str
) -> list[CopyrightItem]:
    """Validate each row of ``rows``, each given with its place for messages.

    ``source`` names the file in messages; blank rows are skipped.
    """
    items: list[CopyrightItem] = []
    for where, row in rows:
        if not any(cell.strip() for cell in row):
            continue  # blank lines, as spreadsheets export them
        if len(items) == MAX_ROWS:
            raise IngestError(
                "too many rows",
                f"{source} has more than {MAX_ROWS} rows; split it and send the parts one by one.",
            )
        items.append(_item(row, columns, where))
    if not items:
        raise IngestError("no rows", f"{source} has a header row but no data rows.")
    return items


def _decode(data: bytes) -> str:
    try:
        # utf-8-sig drops the byte-order mark that spreadsheet programs write.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise IngestError(
            "not UTF-8 text",
            f"The file is not UTF-8 text (invalid byte at offset {err.start}); "
            "send a CSV saved as UTF-8, or an .xlsx workbook.",
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
            "it needs title and rights_holder, optionally year and registration_number.",
        )
    return columns


def _item(row: list[str], columns: dict[str, int], where: str) -> CopyrightItem:
    """Validate one row; ``where`` (``Line 3``, ``Row 3``) starts its messages."""

    def cell(name: str) -> str:
        index = columns.get(name)
        return row[index].strip() if index is not None and index < len(row) else ""

    title = _text(cell("title"), "title", TITLE_MAX_LENGTH, where, required=True)
    holder = _text(
        cell("rights_holder"), "rights_holder", RIGHTS_HOLDER_MAX_LENGTH, where, required=True
    )
    number = _text(
        cell("registration_number"), "registration_number", REGISTRATION_NUMBER_MAX_LENGTH, where
    )
    return CopyrightItem(
        title=title,
        rights_holder=holder,
        year=_year(cell("year"), where),
        registration_number=number,
    )


def _text(value: str, column: str, max_length: int, where: str, *, required: bool = False) -> str:
    if required and not value:
        raise IngestError("invalid row", f"{where}: {column} is empty; it is required.")
    if len(value) > max_length:
        raise IngestError(
            "invalid row",
            f"{where}: {column} has {len(value)} characters; at most {max_length} fit.",
        )
    return value


def _year(value: str, where: str) -> int | None:
    if not value:
        return None
    if not _YEAR.fullmatch(value) or not YEAR_MIN <= int(value) <= YEAR_MAX:
        raise IngestError(
            "invalid year",
            f"{where}: year {_shown(value)} is not a year; write it as a whole number "
            f"from {YEAR_MIN} to {YEAR_MAX}, or leave it empty.",
        )
    return int(value)


def _shown(value: str, limit: int = 40) -> str:
    """Quote ``value`` for a message, cut to ``limit`` characters."""
    return repr(value if len(value) <= limit else value[:limit] + "...")
