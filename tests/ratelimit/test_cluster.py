"""The Lua script on a real three-node Redis Cluster."""

from __future__ import annotations

import asyncio
import subprocess
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
import redis

from prodready.ratelimit import parse_rules
from prodready.ratelimit.backends import redis_backend
from prodready.ratelimit.limiter import Limiter
from tests.ratelimit.conftest import fake_request
from tests.servers import RedisServer

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def cluster_url() -> Iterator[str]:
    """Start three cluster-enabled redis-servers and join them into one cluster."""
    with tempfile.TemporaryDirectory() as folder:
        nodes = []
        for n in range(3):
            node = RedisServer(
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                f"{folder}/nodes-{n}.conf",
                "--dir",
                folder,
            )
            node.start()
            nodes.append(node)
        try:
            subprocess.run(
                [
                    "redis-cli",
                    "--cluster",
                    "create",
                    *[f"127.0.0.1:{node.port}" for node in nodes],
                    "--cluster-replicas",
                    "0",
                    "--cluster-yes",
                ],
                check=True,
                capture_output=True,
                timeout=60,
            )
            client = redis.Redis(port=nodes[0].port)
            deadline = time.monotonic() + 30
            while client.cluster("info")["cluster_state"] != "ok":
                assert time.monotonic() < deadline, "the cluster did not come up"
                time.sleep(0.2)
            client.close()
            yield nodes[0].url
        finally:
            for node in nodes:
                node.stop()


def test_cluster_admits_exactly_the_limit(cluster_url: str) -> None:
    limiter = Limiter(redis_backend(cluster_url, 1.0, cluster=True), key_prefix="c1")
    rules = parse_rules("/api/ 100/h ip")
    with ThreadPoolExecutor(max_workers=50) as pool:
        decisions = list(pool.map(lambda _: limiter.check(fake_request(), rules), range(300)))
    limiter.close()
    assert sum(1 for d in decisions if d is not None and d.allowed) == 100


def test_rules_of_different_identities_in_one_request(cluster_url: str) -> None:
    # An ip rule and a user rule hash to different slots; both are counted.
    limiter = Limiter(redis_backend(cluster_url, 1.0, cluster=True), key_prefix="c2")
    rules = parse_rules("/api/ 3/h ip; /api/ 2/h user")
    user = SimpleNamespace(is_authenticated=True, pk=42)
    decisions = [limiter.check(fake_request(user=user), rules) for _ in range(3)]
    limiter.close()
    assert [[r.hits for r in d.results] for d in decisions if d] == [[1, 1], [2, 2], [3, 3]]
    assert [d.allowed for d in decisions if d] == [True, True, False]


def test_cluster_async_path(cluster_url: str) -> None:
    limiter = Limiter(redis_backend(cluster_url, 1.0, cluster=True), key_prefix="c3")
    rules = parse_rules("/api/ 10/h ip")

    async def run() -> int:
        decisions = await asyncio.gather(
            *(limiter.acheck(fake_request(), rules) for _ in range(30))
        )
        await limiter.aclose()
        assert [d for d in decisions if d is None or d.degraded] == []
        return sum(1 for d in decisions if d is not None and d.allowed)

    assert asyncio.run(run()) == 10
