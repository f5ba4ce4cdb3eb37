"""The error an ingest raises, apart from the parsers so that each can import it."""

from __future__ import annotations


class IngestError(Exception):
    """Reject an upload: ``error`` names the kind of problem, ``detail`` explains it."""

    def __init__(self, error: str, detail: str) -> None:
        """Record the short ``error`` and the full-sentence ``detail``."""
        super().__init__(detail)
        self.error = error
        self.detail = detail
