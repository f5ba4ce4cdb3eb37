"""Describe the machine and software a comparison ran on, for the report."""

from __future__ import annotations

import contextlib
import os
import platform
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata

import redis

from prodready_loadtest.postgres import PgServer, server_version
from prodready_loadtest.processes import find_pgbouncer

PACKAGES = (
    "django",
    "psycopg",
    "psycopg-pool",
    "uvicorn",
    "uvloop",
    "httptools",
    "redis",
    "locust",
)


@dataclass(frozen=True, slots=True)
class Machine:
    """Where and on what a run happened."""

    when: str
    cpus: int
    machine: str
    python: str
    packages: dict[str, str]
    postgres: str
    redis: str
    pgbouncer: str
    commit: str
    load_before: tuple[float, float, float]

    def software(self) -> str:
        """Return the versions as one line."""
        packages = ", ".join(f"{name} {version}" for name, version in self.packages.items())
        return (
            f"Python {self.python}, {packages}; PostgreSQL {self.postgres}, "
            f"Redis {self.redis}, pgbouncer {self.pgbouncer}"
        )


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _redis_version(url: str) -> str:
    with contextlib.suppress(redis.RedisError), redis.Redis.from_url(url) as client:
        return str(client.info("server").get("redis_version", "unknown"))
    return "unreachable"


def _pgbouncer_version() -> str:
    binary = find_pgbouncer()
    if binary is None:
        return "not installed"
    result = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)
    words = result.stdout.split()
    return words[1] if len(words) > 1 else "unknown"


def _commit() -> str:
    result = subprocess.run(
        ["git", "describe", "--always", "--dirty"], capture_output=True, text=True, check=False
    )
    return result.stdout.strip() or "unknown"


def describe_machine(
    server: PgServer, redis_url: str, packages: Sequence[str] = PACKAGES
) -> Machine:
    """Collect the facts about this machine and the servers a run uses (``packages``' versions)."""
    return Machine(
        when=time.strftime("%Y-%m-%d %H:%M %Z"),
        cpus=os.cpu_count() or 1,
        machine=platform.machine(),
        python=platform.python_version(),
        packages={name: _version(name) for name in packages},
        postgres=server_version(server),
        redis=_redis_version(redis_url),
        pgbouncer=_pgbouncer_version(),
        commit=_commit(),
        load_before=os.getloadavg(),
    )
