"""The probe endpoints with the default checks: ``path("api/", include("prodready.health.urls"))``.

Mounts ``health/``, ``readiness/`` and ``liveness/`` (each answered without its
trailing slash too) in the ``prodready_health`` namespace;
:func:`prodready.health.health_urls` builds the same with your checks.
"""

from __future__ import annotations

from prodready.health.views import health_urls

urlpatterns, app_name = health_urls()
