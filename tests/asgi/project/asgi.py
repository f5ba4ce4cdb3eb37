"""The served project's ASGI application, as a user's ``asgi.py`` writes it."""

from __future__ import annotations

from prodready.asgi import get_asgi_application

application = get_asgi_application()
