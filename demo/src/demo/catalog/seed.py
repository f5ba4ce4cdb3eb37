"""Sample copyright items, so that a fresh demo has something to list."""

from __future__ import annotations

from django.db import transaction

from demo.catalog.models import CopyrightItem

SAMPLE_ITEMS = (
    ("The Great Gatsby", "Charles Scribner's Sons", 1925, "A-123456"),
    ("Mrs Dalloway", "Hogarth Press", 1925, ""),
    ("Rhapsody in Blue", "Harms, Inc.", 1924, "E-588374"),
    ("Steamboat Willie", "Walt Disney Productions", 1928, "L-9042"),
    ("Untitled field recording", "Unknown", None, ""),
)


def seed_items() -> int:
    """Create the sample items when the catalog is empty; return how many were created."""
    with transaction.atomic():
        if CopyrightItem.objects.exists():
            return 0
        created = CopyrightItem.objects.bulk_create(
            CopyrightItem(title=title, rights_holder=holder, year=year, registration_number=number)
            for title, holder, year, number in SAMPLE_ITEMS
        )
    return len(created)
