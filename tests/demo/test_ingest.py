"""CSV parsing of an ingest, apart from HTTP."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from demo.catalog.ingest import MAX_BYTES, IngestError, parse_csv, read_upload


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
