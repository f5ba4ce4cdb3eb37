"""Settings for in-process tests: the dev profile on an in-memory SQLite database.

The environment is a fixed stand-in, so a developer's shell or ``.env`` cannot
change what the tests see.
"""

from pathlib import Path

from prodready import load_profile

_profile = load_profile(
    {
        "APP_PROFILE": "dev",
        "DATABASE_URL": "sqlite://:memory:",
        "PRODREADY_SECRETS_DIR": str(Path(__file__).parent / "no-secrets-here"),
    },
    base_dir=Path(__file__).parent,
)
globals().update(_profile.django_settings())

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "prodready",
    "demo.catalog",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "demo.catalog.auth.TokenAuthenticationMiddleware",
]
ROOT_URLCONF = "demo.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
