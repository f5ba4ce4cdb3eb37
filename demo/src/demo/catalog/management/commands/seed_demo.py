"""``django-admin seed_demo``: fill an empty catalog with sample items."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from demo.catalog.seed import seed_items


class Command(BaseCommand):
    """Create the sample items when the catalog is empty."""

    help = "Create a few sample copyright items when the catalog is empty."

    def handle(self, *args: Any, **options: Any) -> None:
        """Seed the catalog and say how many items were created."""
        created = seed_items()
        if created:
            self.stdout.write(f"Created {created} sample items.")
        else:
            self.stdout.write("The catalog already has items; created none.")
