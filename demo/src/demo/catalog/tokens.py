"""Issue API tokens and hash them: only the hash ever reaches the database."""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING

from demo.catalog.models import ApiToken

if TYPE_CHECKING:
    from django.contrib.auth.models import User

TOKEN_BYTES = 32


def hash_token(token: str) -> str:
    """Return the SHA-256 hex digest of ``token``, the form tokens are stored in.

    A plain hash is enough (no salt, no slow KDF): tokens are 256 random bits,
    not passwords a dictionary could guess.
    """
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User) -> str:
    """Create a new token for ``user``, store its hash and return the token itself.

    The caller must hand the token over now: it cannot be recovered later.
    """
    token = secrets.token_urlsafe(TOKEN_BYTES)
    ApiToken.objects.create(user=user, key_hash=hash_token(token))
    return token
