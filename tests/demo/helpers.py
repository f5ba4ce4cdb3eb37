"""Helpers shared by the catalog tests."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(
    data: bytes | str, name: str = "items.csv", content_type: str = "text/csv"
) -> SimpleUploadedFile:
    """Return ``data`` (text is UTF-8 encoded) as an uploaded file, a CSV unless told."""
    raw = data.encode() if isinstance(data, str) else data
    return SimpleUploadedFile(name, raw, content_type=content_type)


def xlsx(rows: Iterable[Iterable[Any]]) -> bytes:
    """Return an .xlsx workbook whose first worksheet holds ``rows``, built in memory."""
    # Write-only: streams rows, so a sheet past MAX_ROWS is quick to build.
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_upload(rows: Iterable[Iterable[Any]], name: str = "test.xlsx") -> SimpleUploadedFile:
    """Return the workbook of ``rows`` as an uploaded .xlsx file."""
    return upload(xlsx(rows), name, XLSX_TYPE)
