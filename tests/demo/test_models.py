"""The catalog's models and their migrations."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from demo.catalog.models import ApiToken, CopyrightItem


def test_item_str_names_title_and_rights_holder() -> None:
    item = CopyrightItem(title="Ulysses", rights_holder="James Joyce")

    assert str(item) == "Ulysses (James Joyce)"


def test_token_str_shows_a_hash_prefix_only() -> None:
    stored = ApiToken(user_id=7, key_hash="0123456789abcdef" * 4)

    assert str(stored) == "token 01234567... of user 7"


@pytest.mark.django_db
def test_migrations_match_the_models() -> None:
    # Exits with status 1 when a model change has no migration.
    call_command("makemigrations", "catalog", "--check", "--dry-run", verbosity=0)
