"""The demo's settings (its whole middleware chain) serving the rate-limit test views."""

from demo.settings import *  # noqa: F403

ROOT_URLCONF = "tests.ratelimit.urls"
