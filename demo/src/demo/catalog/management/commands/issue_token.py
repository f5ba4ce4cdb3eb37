"""``django-admin issue_token USERNAME``: print a new API token for a user."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction

from demo.catalog.tokens import issue_token

if TYPE_CHECKING:
    from argparse import ArgumentParser


class Command(BaseCommand):
    """Issue a token for USERNAME, creating the user (without a password) if missing.

    The token alone goes to stdout, one line, so that
    ``TOKEN=$(django-admin issue_token alice)`` works; the rest goes to stderr.
    """

    help = (
        "Issue a new API token for USERNAME and print it; the user is created, "
        "with no usable password, if missing. Only the token's hash is stored."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        """Take the user name."""
        parser.add_argument("username", help="user to issue the token for")

    def handle(self, *args: Any, **options: Any) -> None:
        """Create the user if needed and a token; print the token."""
        user_model = get_user_model()
        username = self._valid_username(options["username"])
        with transaction.atomic():
            lookup: dict[str, Any] = {user_model.USERNAME_FIELD: username}
            user, created = user_model.objects.get_or_create(**lookup)
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            token = issue_token(user)
        self.stdout.write(token)
        self.stderr.write(
            f"Issued a token for {'new' if created else 'existing'} user {username!r}; "
            "it is shown only once.",
            style_func=self.style.SUCCESS,
        )

    def _valid_username(self, username: str) -> str:
        user_model = get_user_model()
        field = user_model._meta.get_field(user_model.USERNAME_FIELD)
        assert isinstance(field, models.Field)
        try:
            cleaned: str = field.clean(username, None)
        except ValidationError as err:
            raise CommandError(f"{username!r} is not a valid user name: {err.messages[0]}") from err
        return cleaned
