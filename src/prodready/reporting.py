"""Error reports (DEBUG pages, admin e-mails) that never show a credential."""

from __future__ import annotations

import re
from typing import Any

from django.views.debug import SafeExceptionReporterFilter

from prodready.logs import redact


class SafeReporterFilter(SafeExceptionReporterFilter):
    """Django's filter, also hiding URL-valued settings and credentials inside strings.

    Django hides settings whose names contain KEY, SECRET, PASS or TOKEN; a cache
    ``LOCATION`` such as ``redis://:password@host`` slips through. This filter
    hides those names too and masks ``user:password@`` in any remaining string.
    """

    hidden_settings = re.compile(
        "API|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|URL|LOCATION", flags=re.IGNORECASE
    )

    def cleanse_setting(self, key: Any, value: Any) -> Any:
        """Cleanse like Django, then mask credentials inside string values."""
        cleansed = super().cleanse_setting(key, value)
        if isinstance(cleansed, str):
            return redact(cleansed)
        return cleansed
