"""Error reports hide credentials in every setting."""

from __future__ import annotations

import pytest
from django.test import override_settings

from prodready.reporting import SafeReporterFilter


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_error_report_masks_database_and_redis_credentials() -> None:
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://:r3dis-pw@cache:6379/0",
        }
    }
    databases = {"default": {"ENGINE": "x", "NAME": "db", "PASSWORD": "s3cret-pw"}}
    prodready = {
        "REDIS_URL": "redis://:r3dis-pw@cache:6379/0",
        "HEALTH": {"TOKEN": "tok-3n-Zq8xW2pLm4"},
    }
    with override_settings(CACHES=caches, DATABASES=databases, PRODREADY=prodready):
        text = repr(SafeReporterFilter().get_safe_settings())
    for secret in ("r3dis-pw", "s3cret-pw", "tok-3n-Zq8xW2pLm4"):
        assert secret not in text
    assert "RedisCache" in text
