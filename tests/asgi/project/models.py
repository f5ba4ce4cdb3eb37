"""A table for the async view's ORM queries; the test that reads it creates it (no migrations)."""

from __future__ import annotations

from django.db import models


class Item(models.Model):
    """A named row."""

    id = models.BigAutoField(primary_key=True)
    name = models.TextField()

    class Meta:
        db_table = "served_item"

    def __str__(self) -> str:
        return self.name
