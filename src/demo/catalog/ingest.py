"""Turn an uploaded CSV or .xlsx workbook into unsaved copyright items, or say clearly why not."""

from __future__ import annotations

import csv
import datetime
import io
import itertools
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Protocol

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
# An .xlsx is a ZIP archive: 5 MB of it can unpack to gigabytes of XML, and a
# single far-off row makes the reader invent every empty row before it.
MAX_UNPACKED_BYTES = 10 * MAX_BYTES
MAX_SHEET_ROWS = 10 * MAX_ROWS
REQUIRED_COLUMNS = ("title", "rights_holder")
_FIELDS = (*REQUIRED_COLUMNS, "year", "registration_number")
_ZIP_MAGIC = b"PK\x03\x04"
# OLE2 compound files: old .xls workbooks, and password-protected .xlsx ones.
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
# What zipfile and openpyxl raise on a damaged archive or malformed XML
# (ParseError is a SyntaxError; an encrypted member or an unknown compression
# method is a RuntimeError); anything else is a bug and should surface as one.
_BROKEN = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    RuntimeError,
    KeyError,
    IndexError,
    ValueError,
    TypeError,
    SyntaxError,
)
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
    if data.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
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
    if data.startswith(_OLE_MAGIC):
        raise IngestError(
            "unsupported format",
            "The file is an old Excel .xls workbook (or a password-protected one), which "
            "cannot be read; save it as .xlsx without a password, or as CSV, and send that.",
        )
    try:
        from openpyxl import load_workbook
    except ImportError as err:
        raise IngestError(
            "unsupported format",
            "This server cannot read .xlsx workbooks because openpyxl is not installed; "
            "install prodready[demo] on the server, or send the data as CSV.",
        ) from err
    _check_unpacked_size(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except _BROKEN as err:
        raise _broken_workbook() from err
    try:
        if not workbook.worksheets:
            raise IngestError("empty file", "The workbook has no worksheet.")
        sheet = workbook.worksheets[0]
        # The reader stops at the row count the file declares, which may be
        # wrong: read what is there instead.
        sheet.reset_dimensions()
        rows = _guarded(enumerate(sheet.iter_rows(), start=1))
        first = next(rows, None)
        header = [_cell_text(cell.value) for cell in first[1]] if first else []
        if not any(header):
            below = itertools.islice(rows, MAX_SHEET_ROWS - 1)
            if any(any(cell.value is not None for cell in row) for _, row in below):
                raise IngestError(
                    "no header",
                    "The first row of the first worksheet is empty; it must be the header "
                    "row, naming the columns title and rights_holder.",
                )
            raise IngestError("empty file", "The first worksheet of the workbook is empty.")
        columns = _columns(header)
        return _items(columns, _sheet_rows(rows, columns), "The first worksheet")
    finally:
        workbook.close()


def _check_unpacked_size(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except _BROKEN as err:
        raise _broken_workbook() from err
    # zipfile never inflates a member past its declared size, so the sum bounds the work.
    if unpacked > MAX_UNPACKED_BYTES:
        raise IngestError(
            "file too large",
            f"The workbook unpacks to {unpacked} bytes; the limit is {MAX_UNPACKED_BYTES} "
            "bytes (50 MB). Split it and send the parts one by one.",
        )


def _broken_workbook() -> IngestError:
    return IngestError(
        "invalid workbook",
        "The file looks like an .xlsx workbook (a ZIP archive) but cannot be read as one; "
        "open it in a spreadsheet program, save it again as .xlsx, or send it as CSV.",
    )


class _Cell(Protocol):
    """What is read of a worksheet cell (openpyxl's ``ReadOnlyCell`` or ``EmptyCell``)."""

    @property
    def value(self) -> object: ...
    @property
    def data_type(self) -> object: ...


_Cells = tuple[_Cell, ...]


def _guarded(rows: Iterator[tuple[int, _Cells]]) -> Iterator[tuple[int, _Cells]]:
    """Yield ``rows``, turning a reading error of openpyxl's into an ``IngestError``."""
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except _BROKEN as err:
            raise _broken_workbook() from err
        yield row


def _sheet_rows(
    rows: Iterable[tuple[int, _Cells]], columns: dict[str, int]
) -> Iterator[tuple[str, list[str]]]:
    used = {index: name for name, index in columns.items() if name in _FIELDS}
    width = max(used) + 1
    for number, cells in rows:
        if number > MAX_SHEET_ROWS:
            raise IngestError(
                "too many rows",
                f"The first worksheet goes on past row {MAX_SHEET_ROWS}, empty rows included; "
                "delete the rows below the data, or split it and send the parts one by one.",
            )
        for index, name in used.items():
            if index < len(cells) and cells[index].data_type == "e":
                raise IngestError(
                    "invalid row",
                    f"Row {number}: {name} holds the spreadsheet error {cells[index].value}; "
                    "correct the formula or type the value in.",
                )
        yield f"Row {number}", [_cell_text(cell.value) for cell in cells[:width]]


def _cell_text(value: object) -> str:
    """Return a cell's value as the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # spreadsheets store every number as a float
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


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
