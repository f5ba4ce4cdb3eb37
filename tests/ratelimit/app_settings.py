"""Settings of the app served by uvicorn in rate-limit tests: the profile plus test views."""

from prodready import load_profile

globals().update(load_profile().django_settings())

INSTALLED_APPS = ["django.contrib.auth", "django.contrib.contenttypes", "prodready", "demo.catalog"]
MIDDLEWARE = [
    "demo.catalog.auth.TokenAuthenticationMiddleware",
    "prodready.ratelimit.RateLimitMiddleware",
]
ROOT_URLCONF = "tests.ratelimit.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
