"""Run a pgapp scenario in a child process configured only by its environment."""

from __future__ import annotations

from typing import Any

from tests.servers import base_env, run_python

SETTINGS = "tests.integration.pgapp.settings"


def pgapp_env(database_url: str, **overrides: str) -> dict[str, str]:
    """Return the child's environment: the dev profile on ``database_url``, plus ``overrides``.

    ``DEBUG`` is off: Django's debug error page shows the ``repr()`` of local
    variables, and the ``repr()`` of a queryset runs queries of its own, which
    would blur what a failing request did on the database.
    """
    return base_env(
        DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE=SETTINGS, DEBUG="false", **overrides
    )


def run_scenario(name: str, env: dict[str, str], **params: Any) -> dict[str, Any]:
    """Run scenario ``name`` of ``tests.integration.pgapp.scenarios``; return its facts."""
    code = f"from tests.integration.pgapp.scenarios import main; main({name!r}, {params!r})"
    return run_python(code, env, timeout=60)


def pids(answers: list[dict[str, Any]]) -> list[int]:
    """Return the backend pids that answers of the ``/pid/`` view report."""
    return [int(answer["json"]["pid"]) for answer in answers]


def statuses(answers: list[dict[str, Any]]) -> list[int]:
    """Return the status of each answer."""
    return [int(answer["status"]) for answer in answers]
