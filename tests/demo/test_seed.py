"""Sample items for the demo, and the seed_demo command."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from demo.catalog.models import CopyrightItem
from demo.catalog.seed import SAMPLE_ITEMS, seed_items


@pytest.mark.django_db
def test_seed_items_fills_an_empty_catalog() -> None:
    created = seed_items()

    assert created == len(SAMPLE_ITEMS) == 5
    stored = CopyrightItem.objects.order_by("id").values_list(
        "title", "rights_holder", "year", "registration_number"
    )
    assert list(stored) == list(SAMPLE_ITEMS)


@pytest.mark.django_db
def test_seed_items_a_second_time_creates_nothing() -> None:
    seed_items()

    assert seed_items() == 0
    assert CopyrightItem.objects.count() == len(SAMPLE_ITEMS)


@pytest.mark.django_db
def test_seed_items_leaves_a_catalog_with_items_alone() -> None:
    CopyrightItem.objects.create(title="Mine", rights_holder="Me")

    assert seed_items() == 0
    assert list(CopyrightItem.objects.values_list("title", flat=True)) == ["Mine"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("runs", "message"),
    [(1, "Created 5 sample items."), (2, "already has items")],
    ids=["empty-catalog", "seeded-catalog"],
)
def test_seed_demo_command_says_what_it_did(runs: int, message: str) -> None:
    out = io.StringIO()
    for _ in range(runs):
        out = io.StringIO()
        call_command("seed_demo", stdout=out)

    assert message in out.getvalue()
