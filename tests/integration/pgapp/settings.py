"""Settings of the child processes: prodready's, from the environment, plus a minimal project.

``PGAPP_SERVER_SIDE_BINDING=1`` does what a project does by hand after
prodready's settings to opt into server-side parameter binding (which lets
psycopg prepare statements when ``prepare_threshold`` allows it).
"""

from __future__ import annotations

import os
from typing import Any

from prodready import load_profile

_settings: dict[str, Any] = load_profile().django_settings()
if os.environ.get("PGAPP_SERVER_SIDE_BINDING") == "1":
    _settings["DATABASES"]["default"].setdefault("OPTIONS", {})["server_side_binding"] = True
globals().update(_settings)

INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "prodready"]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "tests.integration.pgapp.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
