"""Error reports (DEBUG pages, admin e-mails) that never show a credential.

Django's ``SafeExceptionReporterFilter`` hides settings whose names look
secret, and the local variables of functions marked with
``@sensitive_variables``. A traceback through psycopg still shows its
``conn_params`` (with the password), and one through prodready's own code its
runtime configuration. Here:

- :class:`SafeReporterFilter` hides, in settings and in every frame's local
  variables, what is named like a secret (recursively inside dicts and
  lists), masks credentials inside strings and replaces any other value whose
  text holds a known secret by that text, masked;
- :class:`SafeExceptionReporter` passes the finished page and e-mail text
  through :func:`prodready.masking.mask` with every known secret (the secret
  key, the health token, the passwords of the databases, caches and Redis),
  so that a secret quoted anywhere else (an exception's message, a line of
  source) is masked too.

``prodready.settings`` sets both (``DEFAULT_EXCEPTION_REPORTER_FILTER``,
``DEFAULT_EXCEPTION_REPORTER``); admin e-mails use the same reporter.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

from prodready.masking import mask, url_passwords

# Past this size a value's text is not searched (a local holding a large body).
_MAX_SCANNED = 100_000


def known_secrets() -> list[str]:
    """Return the secret values of the running settings (besides those remembered)."""
    found: list[str] = [str(getattr(settings, "SECRET_KEY", "") or "")]
    for config in getattr(settings, "DATABASES", {}).values():
        found.append(str(config.get("PASSWORD") or ""))
    for config in getattr(settings, "CACHES", {}).values():
        found += [p for loc in _locations(config.get("LOCATION")) for p in url_passwords(loc)]
        options = config.get("OPTIONS") or {}
        found.append(str(options.get("password") or ""))
    for config in (getattr(settings, "MAILERS", None) or {}).values():
        found.append(str((config.get("OPTIONS") or {}).get("password") or ""))
    overridden: Any = settings.is_overridden  # type: ignore[misc]  # not in django-stubs
    if overridden("EMAIL_HOST_PASSWORD"):
        with warnings.catch_warnings():  # deprecated since Django 6.1 (MAILERS)
            warnings.simplefilter("ignore")
            found.append(str(settings.EMAIL_HOST_PASSWORD or ""))
    conf = getattr(settings, "PRODREADY", {}) or {}
    found += url_passwords(str(conf.get("REDIS_URL") or ""))
    found.append(str((conf.get("HEALTH") or {}).get("TOKEN") or ""))
    return [s for s in found if s]


def _locations(location: Any) -> Iterator[str]:
    if isinstance(location, str):
        yield from location.replace(";", ",").split(",")
    elif isinstance(location, list | tuple):
        yield from (str(item) for item in location)


class SafeReporterFilter(SafeExceptionReporterFilter):
    """Django's filter, also hiding URL-valued settings and secrets in traceback frames."""

    hidden_settings = re.compile(
        "API|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|URL|LOCATION|CONN_PARAMS|DSN|AUTH",
        flags=re.IGNORECASE,
    )

    def cleanse_setting(self, key: Any, value: Any) -> Any:
        """Cleanse like Django, then mask credentials inside string values."""
        cleansed = super().cleanse_setting(key, value)
        if isinstance(cleansed, str):
            return mask(cleansed, known_secrets())
        return cleansed

    def get_traceback_frame_variables(self, request: Any, tb_frame: Any) -> Any:
        """Return the frame's variables with every secret hidden, whatever the function."""
        variables = super().get_traceback_frame_variables(request, tb_frame)
        secrets = known_secrets()
        return [(name, self._cleanse_variable(name, value, secrets)) for name, value in variables]

    def _cleanse_variable(self, name: Any, value: Any, secrets: list[str]) -> Any:
        if value is self.cleansed_substitute:
            return value
        cleansed = self.cleanse_setting(name, value)
        if cleansed is self.cleansed_substitute or isinstance(cleansed, str):
            return cleansed
        try:
            text = repr(cleansed)
        except Exception:  # the reporter shows its own placeholder for these
            return cleansed
        if len(text) > _MAX_SCANNED:
            return cleansed
        masked = mask(text, secrets)
        return cleansed if masked == text else masked


class SafeExceptionReporter(ExceptionReporter):
    """Django's reporter, with every known secret masked in the page and the e-mail."""

    def get_traceback_html(self) -> Any:
        """Return the HTML page (DEBUG 500, admin e-mail), credentials masked."""
        page = super().get_traceback_html()
        return type(page)(mask(str(page), known_secrets())) if isinstance(page, str) else page

    def get_traceback_text(self) -> Any:
        """Return the plain-text report (admin e-mail body), credentials masked."""
        text = super().get_traceback_text()
        return type(text)(mask(str(text), known_secrets())) if isinstance(text, str) else text
