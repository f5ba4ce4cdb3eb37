"""Fixtures of the catalog tests: a user and a token of theirs."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from demo.catalog.tokens import issue_token


@pytest.fixture
def user(db: None) -> User:
    """Return an active user without a usable password."""
    return User.objects.create_user("alice")


@pytest.fixture
def token(user: User) -> str:
    """Return a valid token of ``user``."""
    return issue_token(user)
