"""Native pools across forks: a worker never uses its parent's pool or sockets."""

from __future__ import annotations

from typing import Any

import pytest

from tests.asgi.served import project_env
from tests.servers import database_url, run_python

pytestmark = pytest.mark.integration


def test_workers_forked_after_the_parent_queried_use_pools_of_their_own(database: str) -> None:
    env = project_env(database_url(database), DB_POOL_MIN_SIZE="2", DB_POOL_MAX_SIZE="2")

    facts: dict[str, Any] = run_python("from tests.asgi.forking import main; main()", env)

    parent = set(facts["before_fork"])
    served = {
        worker: {answer["backend"] for answer in answers}
        for worker, answers in facts["served"].items()
    }
    assert len(parent) == 2  # the parent's pool was open when it forked
    assert facts["parent_backend"] in parent
    assert all(
        answer["worker"] == int(worker)
        for worker, answers in facts["served"].items()
        for answer in answers
    )
    first, second = served.values()
    assert not first & parent
    assert not second & parent
    assert not first & second
    # Each worker's pool holds at most its own DB_POOL_MAX_SIZE backends.
    assert 1 <= len(first) <= 2
    assert 1 <= len(second) <= 2
    # The parent's own session survived its children and their shutdown.
    assert facts["parent_after"] == facts["parent_backend"]
