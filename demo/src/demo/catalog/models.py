"""The catalog's tables: copyright items and hashed API tokens."""

from __future__ import annotations

from django.conf import settings
from django.db import models

TITLE_MAX_LENGTH = 500
RIGHTS_HOLDER_MAX_LENGTH = 300
REGISTRATION_NUMBER_MAX_LENGTH = 100


class CopyrightItem(models.Model):
    """Record a work, who holds its rights and, when known, its year and registration."""

    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    rights_holder = models.CharField(max_length=RIGHTS_HOLDER_MAX_LENGTH)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    # Empty when unknown (Django's convention for text); not unique, so that one
    # ingest cannot fail half-way on a duplicate another ingest already stored.
    registration_number = models.CharField(
        max_length=REGISTRATION_NUMBER_MAX_LENGTH, blank=True, default=""
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        """Return the title and rights holder, e.g. ``Ulysses (James Joyce)``."""
        return f"{self.title} ({self.rights_holder})"


class ApiToken(models.Model):
    """Hold the SHA-256 of an API token; the token itself is never stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        """Return whose token this is and a prefix of its hash (never the token)."""
        return f"token {self.key_hash[:8]}... of user {self.user_id}"
