"""The demo's settings with ``prodready.E001`` silenced, to measure persistent mode under ASGI.

``DB_POOL_MODE=persistent`` under uvicorn is refused at start-up by
``prodready.E001`` (connections leak per task). ``prodready loadtest
--pool-mode persistent`` serves the demo with these settings on purpose, to
show that leak in numbers next to the other modes; nothing else should.
"""

from demo.settings import *  # noqa: F403

SILENCED_SYSTEM_CHECKS = ["prodready.E001"]
