"""The demo's readiness extra on SQLite: a count, reused for a minute."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from demo.catalog import health
from demo.catalog.models import CopyrightItem


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    health.reset()
    yield
    health.reset()


@pytest.mark.django_db
def test_items_in_db_counts_then_reuses_the_count() -> None:
    CopyrightItem.objects.create(title="A", rights_holder="B")
    assert health.items_in_db() == 1
    CopyrightItem.objects.create(title="C", rights_holder="D")
    assert health.items_in_db() == 1  # within ITEMS_CACHE_SECONDS
    health.reset()
    assert health.items_in_db() == 2
