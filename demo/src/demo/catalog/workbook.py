"""Read the first worksheet of an uploaded .xlsx workbook as rows of text, within limits.

Checking the header and the rows is left to :mod:`demo.catalog.ingest`; this
module reads the cells with openpyxl and rejects what cannot be read safely.
"""

from __future__ import annotations

import datetime
import io
import itertools
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Protocol

from demo.catalog.errors import IngestError

# An .xlsx is a ZIP archive: 5 MB of it (ingest.MAX_BYTES) can unpack to
# gigabytes of XML, and a single far-off row makes the reader invent every
# empty row before it. Both limits are ten times those of an upload.
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_SHEET_ROWS = 100_000
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


def looks_like_workbook(data: bytes) -> bool:
    """Tell whether ``data`` starts as a ZIP archive (.xlsx) or an OLE2 file (old .xls)."""
    return data.startswith((_ZIP_MAGIC, _OLE_MAGIC))


class _Cell(Protocol):
    """What is read of a worksheet cell (openpyxl's ``ReadOnlyCell`` or ``EmptyCell``)."""

    @property
    def value(self) -> object: ...
    @property
    def data_type(self) -> object: ...


_Cells = tuple[_Cell, ...]


class FirstSheet:
    """The header row of a workbook's first worksheet, and the rows below it, unread."""

    def __init__(self, header: list[str], rows: Iterator[tuple[int, _Cells]]) -> None:
        """Hold the ``header`` cells as text and the numbered ``rows`` that follow it."""
        self.header = header
        self._rows = rows

    def rows(self, columns: Mapping[str, int]) -> Iterator[tuple[str, list[str]]]:
        """Yield each row below the header as text, with its place (``Row 3``) for messages.

        ``columns`` maps the name of each column read to its index: a row is
        cut after the last of them, and a spreadsheet error in one is rejected.

        Raises:
            IngestError: the sheet goes on past ``MAX_SHEET_ROWS``, a column read
                holds a spreadsheet error, or the workbook cannot be read.
        """
        return _sheet_rows(self._rows, columns)


@contextmanager
def open_first_sheet(data: bytes) -> Iterator[FirstSheet]:
    """Open .xlsx ``data`` and yield its first worksheet, closing the workbook after.

    The first row is the header. Cells are read as text: whole numbers as
    digits (``1999.0`` is ``1999``), dates as ISO dates, formulas by the value
    the spreadsheet program last saved (none, thus empty, in a workbook
    written by a script and never opened). Rows are read one at a time.

    Raises:
        IngestError: the data is an old .xls or not a readable workbook, it
            unpacks past ``MAX_UNPACKED_BYTES``, openpyxl is not installed, or
            the sheet is empty or has an empty first row.
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
        yield FirstSheet(header, rows)
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
    rows: Iterable[tuple[int, _Cells]], columns: Mapping[str, int]
) -> Iterator[tuple[str, list[str]]]:
    used = {index: name for name, index in columns.items()}
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
