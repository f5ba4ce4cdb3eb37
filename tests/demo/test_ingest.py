"""CSV and .xlsx parsing of an ingest, apart from HTTP."""

from __future__ import annotations

import datetime
import io
import sys
import zipfile
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from demo.catalog.ingest import (
    MAX_BYTES,
    MAX_ROWS,
    IngestError,
    parse_csv,
    parse_xlsx,
    read_upload,
)
from demo.catalog.workbook import MAX_SHEET_ROWS, MAX_UNPACKED_BYTES
from tests.demo.helpers import XLSX_TYPE, xlsx


def _fields(data: str) -> list[tuple[str, str, int | None, str]]:
    return [
        (item.title, item.rights_holder, item.year, item.registration_number)
        for item in parse_csv(data.encode())
    ]


def test_parse_csv_returns_unsaved_items_in_file_order() -> None:
    items = parse_csv(b"title,rights_holder\nA,X\nB,Y\n")

    assert [item.title for item in items] == ["A", "B"]
    assert all(item.pk is None for item in items)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("title,rights_holder\nA,X\n", [("A", "X", None, "")]),
        ("rights_holder,title\nX,A\n", [("A", "X", None, "")]),
        (" TITLE , Rights_Holder ,YEAR\nA,X,1\n", [("A", "X", 1, "")]),
        ("title,rights_holder,year\nA,X\n", [("A", "X", None, "")]),
        ("title,rights_holder\r\nA,X\r\n\r\nB,Y\r\n", [("A", "X", None, ""), ("B", "Y", None, "")]),
        ('title,rights_holder\n"Line one\nline two",X\n', [("Line one\nline two", "X", None, "")]),
        ("title,rights_holder,year\nA,X,0999\n", [("A", "X", 999, "")]),
    ],
    ids=[
        "required-only",
        "columns-in-any-order",
        "header-case-and-spaces",
        "short-row",
        "crlf-and-blank-line",
        "quoted-newline",
        "leading-zero-year",
    ],
)
def test_parse_csv_reads_columns_by_name(
    data: str, expected: list[tuple[str, str, int | None, str]]
) -> None:
    assert _fields(data) == expected


@pytest.mark.parametrize(
    "year",
    ["+1999", "1_999", "١٩٩٩", "1999.0", "0"],
    ids=["plus-sign", "underscore", "arabic-indic-digits", "decimal", "zero"],
)
def test_parse_csv_takes_only_plain_ascii_years_from_1(year: str) -> None:
    with pytest.raises(IngestError) as caught:
        parse_csv(f"title,rights_holder,year\nA,X,{year}\n".encode())

    assert caught.value.error == "invalid year"
    assert "Line 2" in caught.value.detail


def test_read_upload_rejects_a_file_over_the_limit_by_its_size() -> None:
    big = SimpleUploadedFile("big.csv", b"x" * (MAX_BYTES + 1))

    with pytest.raises(IngestError) as caught:
        read_upload(big)

    assert caught.value.error == "file too large"


def test_read_upload_parses_a_file_of_exactly_the_limit() -> None:
    # An ignored column makes the rows long, so the file is large but has few
    # rows; blank lines (skipped) make up the rest.
    header = b"title,rights_holder,notes\n"
    row = b"A,X," + b"n" * 5000 + b"\n"
    rows = (MAX_BYTES - len(header)) // len(row)
    data = header + row * rows
    data += b"\n" * (MAX_BYTES - len(data))
    assert len(data) == MAX_BYTES

    items = read_upload(SimpleUploadedFile("edge.csv", data))

    assert len(items) == rows


# .xlsx workbooks

HEADER_ROW = ["title", "rights_holder", "year", "registration_number"]


def _xlsx_fields(rows: list[list[Any]]) -> list[tuple[str, str, int | None, str]]:
    return [
        (item.title, item.rights_holder, item.year, item.registration_number)
        for item in parse_xlsx(xlsx(rows))
    ]


def _with_sheet_xml(data: bytes, old: str, new: str) -> bytes:
    """Return workbook ``data`` with ``old`` replaced by ``new`` in its first sheet's XML."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            content = source.read(name)
            if name == "xl/worksheets/sheet1.xml":
                assert old.encode() in content
                content = content.replace(old.encode(), new.encode())
            target.writestr(name, content)
    return buffer.getvalue()


def _xlsx_error(data: bytes) -> IngestError:
    with pytest.raises(IngestError) as caught:
        parse_xlsx(data)
    return caught.value


def test_parse_xlsx_reads_the_first_worksheet_by_column_name() -> None:
    rows: list[list[Any]] = [
        [" Title ", "REGISTRATION_NUMBER", "notes", "Rights_Holder", "year"],
        ["Ulysses", "A-1", "ignored", "James Joyce", 1922],
        [None, None, None, None, None],
        ["  Dubliners  ", None, None, " James Joyce ", None],
    ]

    assert _xlsx_fields(rows) == [
        ("Ulysses", "James Joyce", 1922, "A-1"),
        ("Dubliners", "James Joyce", None, ""),
    ]


def test_parse_xlsx_ignores_the_other_worksheets() -> None:
    workbook = Workbook()
    first = workbook.active
    assert first is not None
    first.append(["title", "rights_holder"])
    first.append(["A", "X"])
    workbook.create_sheet("Other").append(["not", "read"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    items = parse_xlsx(buffer.getvalue())

    assert [(item.title, item.rights_holder) for item in items] == [("A", "X")]


@pytest.mark.parametrize(
    ("year", "expected"),
    [(1999, 1999), (1999.0, 1999), ("1999", 1999), (" 0999 ", 999), (9999, 9999)],
    ids=["int", "whole-float", "text", "padded-text", "largest"],
)
def test_parse_xlsx_takes_numeric_years_as_whole_numbers(year: Any, expected: int) -> None:
    assert _xlsx_fields([HEADER_ROW, ["A", "X", year, None]]) == [("A", "X", expected, "")]


@pytest.mark.parametrize(
    ("year", "shown"),
    [
        (1999.5, "'1999.5'"),
        (0, "'0'"),
        (12345, "'12345'"),
        (-5, "'-5'"),
        (True, "'TRUE'"),
        (datetime.date(1999, 1, 1), "'1999-01-01'"),
        ("1999.0", "'1999.0'"),
    ],
    ids=["fraction", "zero", "five-digits", "negative", "boolean", "date", "decimal-text"],
)
def test_parse_xlsx_rejects_what_is_not_a_year_naming_the_row(year: Any, shown: str) -> None:
    # A date is no year: a 1999 typed into a date-formatted cell reads as 1905-06-21.
    error = _xlsx_error(xlsx([HEADER_ROW, ["A", "X", 1950, None], ["B", "Y", year, None]]))

    assert error.error == "invalid year"
    assert error.detail.startswith(f"Row 3: year {shown} is not a year")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (12345, "12345"),
        (12345.0, "12345"),
        (2.5, "2.5"),
        (False, "FALSE"),
        (datetime.datetime(2024, 5, 1), "2024-05-01"),
        (datetime.datetime(2024, 5, 1, 13, 30), "2024-05-01 13:30:00"),
    ],
    ids=["int", "whole-float", "fraction", "boolean", "date", "date-and-time"],
)
def test_parse_xlsx_reads_other_cells_as_their_text(value: Any, expected: str) -> None:
    items = _xlsx_fields([HEADER_ROW, ["A", "X", None, value]])

    assert items == [("A", "X", None, expected)]


def test_parse_xlsx_takes_a_formulas_saved_value() -> None:
    data = _with_sheet_xml(
        xlsx([HEADER_ROW, ["A", "X", "YEAR", None]]),
        '<c r="C2" t="inlineStr"><is><t>YEAR</t></is></c>',
        '<c r="C2"><f>1998+1</f><v>1999</v></c>',
    )

    assert [item.year for item in parse_xlsx(data)] == [1999]


def test_parse_xlsx_reads_a_formula_never_computed_as_empty() -> None:
    # openpyxl, like other scripts, writes formulas without a saved value.
    assert _xlsx_fields([HEADER_ROW, ["A", "X", "=1998+1", None]]) == [("A", "X", None, "")]


def test_parse_xlsx_rejects_a_spreadsheet_error_in_a_column_it_reads() -> None:
    error = _xlsx_error(xlsx([[*HEADER_ROW, "notes"], ["A", "X", None, None, "#N/A"], ["#REF!"]]))

    assert error.error == "invalid row"
    assert error.detail == (
        "Row 3: title holds the spreadsheet error #REF!; correct the formula or type the value in."
    )


@pytest.mark.parametrize(
    ("rows", "error", "in_detail"),
    [
        ([["title", "year"], ["A", 1999]], "missing columns", "lacks the column(s) rights_holder"),
        ([["name", 1999], ["A", "X"]], "missing columns", "(found: 'name', '1999')"),
        ([HEADER_ROW, ["", "X", None, None]], "invalid row", "Row 2: title is empty"),
        ([HEADER_ROW, ["A", "X" * 501, None, None]], "invalid row", "Row 2: rights_holder has"),
        ([], "empty file", "empty"),
        ([[None, None], [None]], "empty file", "empty"),
        ([[], ["title", "rights_holder"], ["A", "X"]], "no header", "first row"),
        ([HEADER_ROW], "no rows", "no data rows"),
        ([HEADER_ROW, [None, None], []], "no rows", "no data rows"),
    ],
    ids=[
        "missing-rights-holder",
        "missing-both-columns",
        "empty-title",
        "rights-holder-too-long",
        "no-cells",
        "only-empty-cells",
        "empty-first-row",
        "header-only",
        "header-and-blank-rows",
    ],
)
def test_parse_xlsx_rejects_a_bad_sheet(rows: list[list[Any]], error: str, in_detail: str) -> None:
    rejected = _xlsx_error(xlsx(rows))

    assert rejected.error == error
    assert in_detail in rejected.detail


def test_parse_xlsx_takes_exactly_the_maximum_number_of_rows() -> None:
    rows: list[list[Any]] = [
        HEADER_ROW,
        *([f"Work {i}", "Holder", 2000, None] for i in range(MAX_ROWS)),
    ]

    assert len(parse_xlsx(xlsx(rows))) == MAX_ROWS


def test_parse_xlsx_rejects_a_sheet_over_the_maximum_number_of_rows() -> None:
    rows: list[list[Any]] = [
        HEADER_ROW,
        *(["Work", "Holder", None, None] for _ in range(MAX_ROWS + 1)),
    ]

    error = _xlsx_error(xlsx(rows))

    assert error.error == "too many rows"
    assert f"more than {MAX_ROWS} rows" in error.detail


def test_parse_xlsx_stops_at_a_row_far_below_the_data() -> None:
    # One cell in the last row Excel allows: the reader would invent a million
    # empty rows before it; reading stops at MAX_SHEET_ROWS instead.
    rows: list[list[Any]] = [HEADER_ROW, ["A", "X", None, None]]
    data = _with_sheet_xml(
        xlsx([*rows, ["LAST"]]),
        '<row r="3"><c r="A3" t="inlineStr"><is><t>LAST</t></is></c></row>',
        '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>LAST</t></is></c></row>',
    )

    error = _xlsx_error(data)

    assert error.error == "too many rows"
    assert f"past row {MAX_SHEET_ROWS}" in error.detail


def test_parse_xlsx_rejects_a_workbook_that_unpacks_past_the_limit() -> None:
    buffer = io.BytesIO(xlsx([HEADER_ROW, ["A", "X", None, None]]))
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.bin", bytes(MAX_UNPACKED_BYTES))
    assert len(buffer.getvalue()) < MAX_BYTES

    error = _xlsx_error(buffer.getvalue())

    assert error.error == "file too large"
    assert "unpacks to" in error.detail


def _not_a_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hello")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        xlsx([HEADER_ROW])[:200],
        _not_a_workbook(),
        _with_sheet_xml(xlsx([HEADER_ROW]), "</sheetData>", "<sheetData"),
        b"PK\x03\x04" + bytes(100),
    ],
    ids=["truncated", "zip-of-other-files", "malformed-sheet-xml", "zip-magic-then-zeros"],
)
def test_parse_xlsx_rejects_a_broken_workbook(data: bytes) -> None:
    error = _xlsx_error(data)

    assert error.error == "invalid workbook"
    assert "save it again as .xlsx" in error.detail


@pytest.mark.parametrize("magic", [b"\xd0\xcf\x11\xe0", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"])
@pytest.mark.parametrize("name", ["items.xls", "items.xlsx", "items.csv"])
def test_read_upload_refuses_an_xls_by_its_content(magic: bytes, name: str) -> None:
    with pytest.raises(IngestError) as caught:
        read_upload(SimpleUploadedFile(name, magic + bytes(504)))

    assert caught.value.error == "unsupported format"
    assert "save it as .xlsx without a password, or as CSV" in caught.value.detail


def test_read_upload_tells_a_workbook_from_a_csv_by_its_content() -> None:
    workbook = xlsx([["title", "rights_holder"], ["From", "Workbook"]])

    items = read_upload(SimpleUploadedFile("items.csv", workbook, "text/csv"))
    csv_items = read_upload(
        SimpleUploadedFile("items.xlsx", b"title,rights_holder\nFrom,CSV\n", XLSX_TYPE)
    )

    assert [item.rights_holder for item in items + csv_items] == ["Workbook", "CSV"]


def test_parse_xlsx_without_openpyxl_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # import openpyxl now fails

    error = _xlsx_error(xlsx([HEADER_ROW]))

    assert error.error == "unsupported format"
    assert "install prodready[demo]" in error.detail
