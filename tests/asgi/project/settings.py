"""Settings of the served project: prodready's, from the environment, plus a minimal project."""

from __future__ import annotations

from prodready import load_profile

globals().update(load_profile().django_settings())

INSTALLED_APPS = ["prodready", "tests.asgi.project.apps.ServedProjectConfig"]
MIDDLEWARE = ["tests.asgi.project.middleware.ChainMiddleware"]
ROOT_URLCONF = "tests.asgi.project.urls"
ASGI_APPLICATION = "tests.asgi.project.asgi.application"
USE_TZ = True
