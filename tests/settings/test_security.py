"""Security settings per profile."""

from __future__ import annotations

from collections.abc import Callable

from prodready import Profile
from tests.settings.conftest import PROD_KEY, prod_env


def test_prod_is_strict(load: Callable[..., Profile]) -> None:
    settings = load(**prod_env()).django_settings()
    assert {
        k: v for k, v in settings.items() if k.startswith(("SECURE_", "SESSION_", "CSRF_"))
    } == {
        "SECURE_SSL_REDIRECT": True,
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_REFERRER_POLICY": "same-origin",
        "SECURE_CROSS_ORIGIN_OPENER_POLICY": "same-origin",
        "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
        "SECURE_HSTS_SECONDS": 31_536_000,
        # Off unless set: each commits every subdomain (preload for a year).
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
        "SECURE_HSTS_PRELOAD": False,
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SECURE": True,
    }
    assert settings["SECRET_KEY"] == PROD_KEY
    assert settings["DEBUG"] is False
    assert settings["ALLOWED_HOSTS"] == ["api.example.com"]


def test_staging_uses_short_hsts_without_preload(load: Callable[..., Profile]) -> None:
    settings = load(**prod_env(APP_PROFILE="staging", SECRET_KEY="k")).django_settings()
    assert settings["SECURE_HSTS_SECONDS"] == 3600
    assert settings["SECURE_HSTS_PRELOAD"] is False


def test_dev_is_convenient(load: Callable[..., Profile]) -> None:
    settings = load().django_settings()
    assert settings["DEBUG"] is True
    assert settings["SECURE_SSL_REDIRECT"] is False
    assert settings["ALLOWED_HOSTS"] == ["localhost", "127.0.0.1", "[::1]"]
    assert "SECURE_HSTS_SECONDS" not in settings
    assert "SESSION_COOKIE_SECURE" not in settings


def test_ssl_redirect_can_be_turned_off_for_plain_http_setups(
    load: Callable[..., Profile],
) -> None:
    settings = load(**prod_env(SECURE_SSL_REDIRECT="false")).django_settings()
    assert settings["SECURE_SSL_REDIRECT"] is False


def test_hsts_and_the_proxy_header_follow_their_variables(load: Callable[..., Profile]) -> None:
    settings = load(
        **prod_env(
            SECURE_HSTS_SECONDS="600",
            SECURE_HSTS_INCLUDE_SUBDOMAINS="true",
            SECURE_HSTS_PRELOAD="true",
            SECURE_PROXY_SSL_HEADER="X-Forwarded-Scheme",
        )
    ).django_settings()
    assert settings["SECURE_HSTS_SECONDS"] == 600
    assert settings["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert settings["SECURE_HSTS_PRELOAD"] is True
    assert settings["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_SCHEME", "https")
    assert "SILENCED_SYSTEM_CHECKS" not in settings


def test_the_proxy_header_can_be_turned_off(load: Callable[..., Profile]) -> None:
    settings = load(**prod_env(SECURE_PROXY_SSL_HEADER="off")).django_settings()
    assert "SECURE_PROXY_SSL_HEADER" not in settings
    assert settings["SILENCED_SYSTEM_CHECKS"] == ["security.W005", "security.W021"]
