"""Through pgbouncer in transaction mode, the preset keeps iterator() and repeated queries working.

pgbouncer hands each transaction to whichever server connection is free
(``server_round_robin`` makes that a different one each time here), so
anything a transaction leaves on its server connection for a later one, a
``WITH HOLD`` cursor or a prepared statement, is missing there. The rows
without the preset show each failure the preset prevents.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from typing import Any

import pytest

from tests.integration.children import pgapp_env, run_scenario
from tests.integration.pgbouncer import Pgbouncer, running_pgbouncer

pytestmark = pytest.mark.integration

# contenttypes and auth: 4 models (content type, permission, group, user) with
# 4 default permissions each.
PERMISSIONS = 16
ITERATED = re.escape(f'200 {{"rows": {PERMISSIONS}}}')
REPEATED = re.escape(f'200 {{"counts": {[1] * 10}}}')
CURSOR_MISSING = (
    r'500 django\.db\.utils\.ProgrammingError: portal "_django_curs_\d+_sync_\d+" does not exist'
)
STATEMENT_MISSING = (
    r'500 django\.db\.utils\.ProgrammingError: prepared statement "_pg3_0" does not exist'
)
OPTIONS_REFUSED = (
    r"500 django\.db\.utils\.OperationalError: connection failed: .* "
    r"FATAL:  unsupported startup parameter: options"
)
# What a project does to have psycopg prepare statements: ask for them in the
# URL (django-environ passes the number on) and bind parameters server-side.
PREPARED = {"query": "?prepare_threshold=5", "PGAPP_SERVER_SIDE_BINDING": "1"}
# What prod and staging set; Django sends it in the 'options' startup parameter.
TIMEOUT = {"DB_STATEMENT_TIMEOUT": "30000"}


def _outcome(answer: dict[str, Any]) -> str:
    if answer["error"] is not None:
        return f"{answer['status']} {answer['error']['type']}: {answer['error']['message']}"
    return f"{answer['status']} {json.dumps(answer['json'])}"


@pytest.mark.parametrize(
    ("env", "iterate", "repeat"),
    [
        ({"DB_POOL_MODE": "pgbouncer", **TIMEOUT}, ITERATED, REPEATED),
        ({"DB_POOL_MODE": "pgbouncer", **PREPARED}, ITERATED, REPEATED),
        # Django itself turns prepared statements off; server-side cursors it keeps.
        ({"DB_POOL_MODE": "off"}, CURSOR_MISSING, REPEATED),
        ({"DB_POOL_MODE": "off", **PREPARED}, CURSOR_MISSING, STATEMENT_MISSING),
        ({"DB_POOL_MODE": "off", **TIMEOUT}, OPTIONS_REFUSED, OPTIONS_REFUSED),
    ],
    ids=[
        "preset",
        "preset-prepared-statements-requested",
        "no-preset",
        "no-preset-prepared-statements-requested",
        "no-preset-statement-timeout",
    ],
)
def test_iterator_and_repeated_query_through_transaction_pooling(
    migrated_database: str,
    pgbouncer: Pgbouncer,
    env: dict[str, str],
    iterate: str,
    repeat: str,
) -> None:
    env = dict(env)
    url = pgbouncer.url(migrated_database) + env.pop("query", "")
    # Several idle server connections, so consecutive transactions move between them.
    assert len(pgbouncer.open_server_connections(migrated_database, 3)) == 3

    result = run_scenario("pooler_sensitive", pgapp_env(url, **env), chunk_size=2, times=10)

    assert re.fullmatch(iterate, _outcome(result["iterate"]))
    assert re.fullmatch(repeat, _outcome(result["repeat"]))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _processes_using(directory: object) -> str:
    found = subprocess.run(
        ["pgrep", "-a", "-f", str(directory)], capture_output=True, text=True, check=False
    )
    return found.stdout


def test_pgbouncer_is_stopped_and_its_files_removed_after_use(pgbouncer_binary: str) -> None:
    with running_pgbouncer(pgbouncer_binary) as running:
        assert _alive(running.pid)

    assert not _alive(running.pid)
    assert _processes_using(running.directory) == ""
    assert not running.directory.exists()


def test_pgbouncer_is_stopped_when_the_test_body_fails(pgbouncer_binary: str) -> None:
    with (
        pytest.raises(RuntimeError, match="the test failed"),
        running_pgbouncer(pgbouncer_binary) as running,
    ):
        raise RuntimeError("the test failed")

    assert not _alive(running.pid)
    assert _processes_using(running.directory) == ""
    assert not running.directory.exists()
