"""Security settings: strict in staging and prod, convenient in dev."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prodready.exceptions import Problem

if TYPE_CHECKING:
    from prodready.settings.profiles import Profile

MIN_SECRET_KEY_LENGTH = 50
HSTS_SECONDS = {"staging": 3600, "prod": 31_536_000}


#: A health token is a bearer credential sent on every detailed probe.
MIN_HEALTH_TOKEN_LENGTH = 16


def security_problems(profile: Profile) -> list[Problem]:
    """Return the problems of the security settings; never shows the key itself."""
    problems: list[Problem] = []
    key = profile.secret_key.get_secret_value() if profile.secret_key else ""
    if profile.app_profile != "dev" and not key:
        problems.append(
            Problem(
                "SECRET_KEY",
                f"is required in the {profile.app_profile} profile; generate one with "
                "python -c 'import secrets; print(secrets.token_urlsafe(50))'.",
            )
        )
    if profile.app_profile == "prod" and key:
        if key.startswith("django-insecure-"):
            problems.append(
                Problem(
                    "SECRET_KEY",
                    "starts with 'django-insecure-', the prefix of development keys; "
                    "generate a new random key for prod.",
                )
            )
        elif len(key) < MIN_SECRET_KEY_LENGTH:
            problems.append(
                Problem(
                    "SECRET_KEY",
                    f"is {len(key)} characters long; prod needs at least "
                    f"{MIN_SECRET_KEY_LENGTH} random characters.",
                )
            )
        elif len(set(key)) < 5:
            problems.append(
                Problem(
                    "SECRET_KEY",
                    f"uses only {len(set(key))} different characters, so it is easy to guess; "
                    "prod needs a random key (5 or more different characters); generate one "
                    "with python -c 'import secrets; print(secrets.token_urlsafe(50))'.",
                )
            )
    if profile.app_profile == "prod" and profile.debug:
        problems.append(
            Problem("DEBUG", "is true, which the prod profile refuses; set DEBUG=false.")
        )
    if profile.app_profile == "prod" and "*" in profile.allowed_hosts:
        problems.append(
            Problem(
                "ALLOWED_HOSTS",
                "holds '*', which the prod profile refuses: any Host header would be trusted "
                "(password-reset links, absolute URLs, cache keys); list the host names, or "
                "'.example.com' for a domain and its subdomains.",
            )
        )
    token = profile.health_token.get_secret_value() if profile.health_token else None
    if token is not None and (len(token) < MIN_HEALTH_TOKEN_LENGTH or len(set(token)) < 8):
        problems.append(
            Problem(
                "HEALTH_TOKEN",
                f"is too short or too regular to guess hard (it needs at least "
                f"{MIN_HEALTH_TOKEN_LENGTH} random characters); generate one with "
                "python -c 'import secrets; print(secrets.token_urlsafe(32))'.",
            )
        )
    if not profile.debug and not profile.allowed_hosts:
        problems.append(
            Problem(
                "ALLOWED_HOSTS",
                f"is empty, so the {profile.app_profile} profile would answer every request "
                "with 400; list the site's host names, e.g. ALLOWED_HOSTS=api.example.com.",
            )
        )
    return problems


def build_security(profile: Profile) -> dict[str, Any]:
    """Return SECRET_KEY, DEBUG, ALLOWED_HOSTS and the HTTPS and cookie settings."""
    assert profile.secret_key is not None  # checked by security_problems()
    settings: dict[str, Any] = {
        "SECRET_KEY": profile.secret_key.get_secret_value(),
        "DEBUG": profile.debug,
        "ALLOWED_HOSTS": list(profile.allowed_hosts),
        "SECURE_SSL_REDIRECT": profile.secure_ssl_redirect,
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_REFERRER_POLICY": "same-origin",
        "SECURE_CROSS_ORIGIN_OPENER_POLICY": "same-origin",
        "X_FRAME_OPTIONS": "DENY",
    }
    if profile.app_profile == "dev":
        return settings
    seconds = profile.secure_hsts_seconds
    settings.update(
        {
            "SECURE_HSTS_SECONDS": HSTS_SECONDS[profile.app_profile]
            if seconds is None
            else seconds,
            "SECURE_HSTS_INCLUDE_SUBDOMAINS": profile.secure_hsts_include_subdomains,
            "SECURE_HSTS_PRELOAD": profile.secure_hsts_preload,
            "SESSION_COOKIE_SECURE": True,
            "SESSION_COOKIE_HTTPONLY": True,
            "CSRF_COOKIE_SECURE": True,
        }
    )
    header = proxy_ssl_header(profile.secure_proxy_ssl_header)
    if header is not None:  # the TLS proxy in front says which scheme the client used
        settings["SECURE_PROXY_SSL_HEADER"] = header
    # Django's deploy checks warn when includeSubDomains and preload are off; they
    # are off on purpose (each commits every subdomain, preload for a year), so
    # the choice is the variables', not a warning's.
    silenced = [
        check_id
        for check_id, on in (
            ("security.W005", profile.secure_hsts_include_subdomains),
            ("security.W021", profile.secure_hsts_preload),
        )
        if not on
    ]
    if silenced:
        settings["SILENCED_SYSTEM_CHECKS"] = silenced
    return settings


def security_notes(profile: Profile) -> dict[str, str]:
    """Return, per security variable, what a valid value does not do in this profile."""
    if profile.app_profile != "dev":
        return {}
    set_in_dev = {
        "SECURE_HSTS_SECONDS": profile.secure_hsts_seconds is not None,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": profile.secure_hsts_include_subdomains,
        "SECURE_HSTS_PRELOAD": profile.secure_hsts_preload,
    }
    return {
        name: "not used in the dev profile, which generates no HTTPS settings; "
        "it applies in staging and prod"
        for name, given in set_in_dev.items()
        if given
    }


def proxy_ssl_header(value: str) -> tuple[str, str] | None:
    """Return ``SECURE_PROXY_SSL_HEADER`` for ``SECURE_PROXY_SSL_HEADER``'s value."""
    if value.lower() == "off":
        return None
    name = "X-Forwarded-Proto" if value.lower() == "on" else value
    return ("HTTP_" + name.upper().replace("-", "_"), "https")
