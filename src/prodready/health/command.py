"""``prodready probe health|readiness|liveness``: an exec probe for images without curl.

It answers as the endpoint would, by calling the very view the URLconf
mounts (``prodready.health.urls`` or :func:`~prodready.health.health_urls`
with your checks), so the checks, the deadline (``HEALTH_TIMEOUT``) and the
status are the endpoint's. It prints the public body on one line and exits 0
for a 200, 1 for anything else; 2 when it cannot run (no settings module, no
probe URLs).

    livenessProbe:
      exec: {command: ["prodready", "probe", "liveness"]}
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from typing import Any

KINDS = ("health", "readiness", "liveness")
#: Exit statuses.
PASSING, FAILING, UNUSABLE = 0, 1, 2


def probe(kind: str) -> int:
    """Run the ``kind`` probe in this process; print its answer; return the exit status."""
    if not os.environ.get("DJANGO_SETTINGS_MODULE"):
        print(
            "prodready probe: set DJANGO_SETTINGS_MODULE to the project's settings module.",
            file=sys.stderr,
        )
        return UNUSABLE
    import django
    from django.http import HttpRequest
    from django.urls import NoReverseMatch, resolve, reverse

    from prodready.health.views import APP_NAME

    django.setup()
    try:
        path = reverse(f"{APP_NAME}:{kind}")
    except NoReverseMatch:
        print(
            f"prodready probe: the URLconf has no {kind} endpoint; include "
            "'prodready.health.urls' (or health_urls()).",
            file=sys.stderr,
        )
        return UNUSABLE
    request = HttpRequest()
    request.method = "GET"
    request.path = request.path_info = path
    request.META.update({"HTTP_ACCEPT": "application/json", "SERVER_NAME": "localhost"})
    view: Any = resolve(path).func
    response = asyncio.run(view(request))
    body = response.content.decode("utf-8", "replace")
    with contextlib.suppress(ValueError):
        body = json.dumps(json.loads(body), separators=(",", ":"))
    print(f"{kind}: {response.status_code} {body}")
    return PASSING if response.status_code == 200 else FAILING
