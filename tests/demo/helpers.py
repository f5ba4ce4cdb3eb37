"""Helpers shared by the catalog tests."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile


def upload(data: bytes | str, name: str = "items.csv") -> SimpleUploadedFile:
    """Return ``data`` (text is UTF-8 encoded) as an uploaded CSV file."""
    raw = data.encode() if isinstance(data, str) else data
    return SimpleUploadedFile(name, raw, content_type="text/csv")
