"""WSGI entry point of the demo: ``gunicorn demo.wsgi:application``.

Django's own WSGI handler; the serving comparison runs it under gunicorn's
gthread worker, next to :mod:`demo.asgi` under uvicorn.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")

application = get_wsgi_application()
