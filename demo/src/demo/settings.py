"""Settings of the demo project: everything environment-specific comes from the profile.

Without a DATABASE_URL in the environment, the demo's own SQLite file (the one
``prodready demo`` serves), not the profile's default beside the working
directory: ``django-admin issue_token`` then writes where the demo reads.
"""

import os

from demo.command import demo_database
from prodready import load_profile

os.environ.setdefault("DATABASE_URL", demo_database(None))
profile = load_profile()
globals().update(profile.django_settings())

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "prodready",
    "demo.catalog",
]
MIDDLEWARE = [
    # Outermost: the OWASP REST headers on every answer, probes and 429s included.
    "prodready.headers.SecurityHeadersMiddleware",
    # Then: the kubelet probes with the pod IP as Host over plain HTTP; the
    # probe paths must answer before host validation and the HTTPS redirect.
    "prodready.health.ProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Sets request.user from "Authorization: Token ..."; it must come before
    # RateLimitMiddleware, or rules keyed by user would see anonymous requests.
    "demo.catalog.auth.TokenAuthenticationMiddleware",
    "prodready.ratelimit.RateLimitMiddleware",
]
ROOT_URLCONF = "demo.urls"
ASGI_APPLICATION = "demo.asgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
