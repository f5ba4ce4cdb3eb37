"""The demo under Django's own ASGI handler, without prodready's: a peer in the serving comparison.

``uvicorn demo.plain_asgi:application --lifespan off`` (Django's handler
refuses the lifespan scope). Nothing opens the pools at start-up or drains on
SIGTERM here; serve :mod:`demo.asgi` in production.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")

application = get_asgi_application()
