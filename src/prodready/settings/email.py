"""MAILERS (Django 6.1; the EMAIL_* settings before it) from EMAIL_URL.

Schemes, in django-environ's spelling:

- ``smtp://USER:PASSWORD@HOST:PORT`` (plain; port 25 by default),
- ``smtp+tls://...`` (STARTTLS; 587) and ``smtp+ssl://...`` or ``smtps://...`` (TLS; 465),
- ``consolemail://``, ``dummymail://``, ``locmemmail://`` and ``filemail:///path``
  (development backends, which ``check --deploy`` refuses in production).

A password with reserved characters is percent-encoded, as in the other URLs.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

import django

from prodready.settings.url_syntax import ENCODE, scheme_of, syntax_problem

SMTP = "django.core.mail.backends.smtp.EmailBackend"
_SMTP_SCHEMES = {"smtp": (False, False), "smtp+tls": (True, False), "smtp+ssl": (False, True)}
_SMTP_SCHEMES["smtps"] = _SMTP_SCHEMES["smtp+ssl"]
_DEV_BACKENDS = {
    "consolemail": "django.core.mail.backends.console.EmailBackend",
    "dummymail": "django.core.mail.backends.dummy.EmailBackend",
    "locmemmail": "django.core.mail.backends.locmem.EmailBackend",
    "filemail": "django.core.mail.backends.filebased.EmailBackend",
}
_FORM = "smtp[+tls|+ssl]://USER:PASSWORD@HOST:PORT, or consolemail://"


def email_url_problems(url: str) -> list[str]:
    """Return what is wrong with ``url``, quoting nothing of it but its scheme."""
    scheme = scheme_of(url).lower()
    if scheme not in _SMTP_SCHEMES and scheme not in _DEV_BACKENDS:
        shown = f"'{scheme_of(url)}'" if scheme else "no scheme"
        return [f"the URL has {shown}; expected {_FORM}"]
    unparsable = syntax_problem(url)
    if unparsable:
        return [f"the URL does not parse: {unparsable}; {ENCODE}"]
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 (parsing it is the check)
    except ValueError:
        return ["the URL's port is not a whole number from 1 to 65535"]
    if scheme in _SMTP_SCHEMES and not parts.hostname:
        return [f"the URL names no host; expected {_FORM}"]
    return []


def build_mailers(url: str) -> dict[str, Any]:
    """Return the settings that send e-mail as ``url`` says (a valid URL)."""
    scheme = scheme_of(url).lower()
    parts = urlsplit(url)
    if scheme in _DEV_BACKENDS:
        options: dict[str, Any] = {}
        if scheme == "filemail":
            options["file_path"] = unquote(parts.path)
        return _settings(_DEV_BACKENDS[scheme], options)
    use_tls, use_ssl = _SMTP_SCHEMES[scheme]
    options = {
        "host": parts.hostname,
        "port": parts.port or (465 if use_ssl else 587 if use_tls else 25),
        "username": unquote(parts.username or ""),
        "password": unquote(parts.password or ""),
        "use_tls": use_tls,
        "use_ssl": use_ssl,
        "timeout": 10,  # no bound by default: a hung mail server would hold a worker
    }
    return _settings(SMTP, options)


def _settings(backend: str, options: dict[str, Any]) -> dict[str, Any]:
    if django.VERSION >= (6, 1):
        entry: dict[str, Any] = {"BACKEND": backend}
        if options:
            entry["OPTIONS"] = options
        return {"MAILERS": {"default": entry}}
    # Django 6.0: the EMAIL_* settings.
    names = {
        "host": "EMAIL_HOST",
        "port": "EMAIL_PORT",
        "username": "EMAIL_HOST_USER",
        "password": "EMAIL_HOST_PASSWORD",
        "use_tls": "EMAIL_USE_TLS",
        "use_ssl": "EMAIL_USE_SSL",
        "timeout": "EMAIL_TIMEOUT",
        "file_path": "EMAIL_FILE_PATH",
    }
    return {"EMAIL_BACKEND": backend, **{names[k]: v for k, v in options.items()}}
