"""Load tests of the demo: ``prodready loadtest`` and what the locustfiles of ``loadtests/`` share.

- :mod:`~prodready_loadtest.runner` serves the demo (uvicorn, pgbouncer, a
  database of its own) and runs Locust headless on ``loadtests/``;
- :mod:`~prodready_loadtest.sampler` samples the app's sessions on PostgreSQL;
- ``*_checks`` modules judge what Locust saw against the app's own settings;
- :mod:`~prodready_loadtest.compare`, :mod:`~prodready_loadtest.report` and
  :mod:`~prodready_loadtest.chart` run every pool mode and write
  docs/performance.md with its chart;
- :mod:`~prodready_loadtest.serving` measures the servers side by side
  (prodready's ASGI handler under uvicorn, Django's under uvicorn, gunicorn's
  gthread worker) with wrk, and writes its section of docs/performance.md.

Nothing here is imported by the library itself; it ships in the ``prodready-demo``
workspace member (demo/), with Locust and matplotlib, not in the prodready wheel.
"""
