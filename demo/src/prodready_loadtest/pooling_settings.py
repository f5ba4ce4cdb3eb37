"""The demo's settings cut down to what a database connection costs: no middleware, one view.

``prodready loadtest`` serves these for the ``pooling`` scenario: the demo's
``DATABASES`` (built by prodready for the run's ``DB_POOL_MODE``), no
middleware, and one view that runs ``SELECT 1`` (:mod:`prodready_loadtest.pooling_urls`).
With the rest of a request's work taken away, the pool modes differ only in
what getting a connection costs. Nothing else should serve them.
"""

import os

from demo.settings import *  # noqa: F403

MIDDLEWARE = []
ROOT_URLCONF = "prodready_loadtest.pooling_urls"
if os.environ.get("DB_POOL_MODE") == "persistent":
    # Refused under ASGI (connections leak per task); measured anyway.
    SILENCED_SYSTEM_CHECKS = ["prodready.E001"]
