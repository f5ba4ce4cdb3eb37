"""Fixtures for the whole suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from prodready.masking import forget


@pytest.fixture(autouse=True)
def _forget_secrets() -> Iterator[None]:
    """Each test starts with no secret remembered by an earlier one's configuration."""
    forget()
    yield
    forget()
