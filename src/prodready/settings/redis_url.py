"""REDIS_URL read as redis-py and Django's RedisCache will read it, never quoted back.

A URL that passes here parses the same way in Django's ``RedisCache``
(``LOCATION``), ``redis.Redis.from_url`` and ``redis.RedisCluster.from_url``:
the failure shows when the profile loads, not as a 500 on every limited
request with part of the password in the log.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit

from prodready.settings.url_syntax import ENCODE, scheme_of, syntax_problem

REDIS_SCHEMES = ("redis", "rediss", "unix")

_FORM = "scheme://[USER:PASSWORD@]HOST[:PORT][/DB]"
_DB_PATH = re.compile(r"/?[0-9]*")
# Query argument names are quoted back only when they look like redis-py's own
# (lower-case snake case): a name like no other may hold a piece of a secret.
_ARGUMENT_NAME = re.compile(r"[a-z_][a-z0-9_]{0,39}")


def redis_url_problems(url: str, *, cluster: bool = False) -> list[str]:
    """Return what is wrong with ``url``, one sentence per problem.

    The sentences quote nothing of the URL but its scheme and the names of its
    query arguments: never the user name, the password, the host or the path.

    Args:
        url: The value of REDIS_URL.
        cluster: Whether redis-py's cluster client will read it
            (RATELIMIT_REDIS_CLUSTER).
    """
    scheme = scheme_of(url)
    if scheme != scheme.lower() and scheme.lower() in REDIS_SCHEMES:
        # urllib lowers the scheme, redis-py compares it as written.
        return [f"the scheme '{scheme}' must be written in lower case for redis-py"]
    if scheme not in REDIS_SCHEMES:
        # A URL without '://' is not quoted at all: what precedes its first ':'
        # may be a user name.
        shown = f"'{scheme}'" if scheme else "no scheme"
        return [
            f"the URL has {shown}; expected redis://, rediss:// or unix:// "
            "(e.g. redis://HOST:6379/0)"
        ]
    unparsable = syntax_problem(url, lists=True)
    if unparsable:
        return [f"the URL does not parse: {unparsable}; {ENCODE}"]
    parts = urlsplit(url)
    problems = _location_problems(scheme, parts)
    if problems:
        return problems
    problems = _client_problems(url, scheme, parts.query)
    if not problems and cluster:
        problems = _cluster_problems(url, scheme)
    return problems


def _location_problems(scheme: str, parts: SplitResult) -> list[str]:
    problems = []
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        problems.append("the URL's port is not a whole number from 1 to 65535")
    if scheme == "unix":
        if parts.hostname:
            problems.append(
                "a unix:// URL takes no host; write unix://[:PASSWORD@]/path/to/redis.sock "
                "(three slashes before an absolute path)"
            )
        if parts.path in ("", "/"):
            problems.append("the unix:// URL names no socket path")
        return problems
    if not parts.hostname:
        problems.append(f"the URL names no host; expected {_FORM}, e.g. redis://HOST:6379/0")
    if not _DB_PATH.fullmatch(parts.path):
        problems.append("the URL's path is not a database number such as /0")
    return problems


def _client_problems(url: str, scheme: str, query: str) -> list[str]:
    if _builds(url):
        return []
    # Find the query arguments at fault, one at a time on a neutral URL.
    pairs = [(name, value) for name, value in parse_qsl(query) if value]
    bad = [name for name, value in pairs if not _builds(_probe(scheme, name, value))]
    if not bad:
        # Not one argument alone: the combination, or something urllib and
        # redis-py read differently.
        return [f"redis-py cannot read the URL as {_FORM}; {ENCODE}"]
    return [
        f"the query argument {_named(name)} is not one redis-py accepts, or its value is "
        "not one it can read; see redis-py's from_url() for the arguments"
        for name in dict.fromkeys(bad)
    ]


def _cluster_problems(url: str, scheme: str) -> list[str]:
    import redis

    if scheme == "unix":
        return [
            "the URL names a unix socket, but redis-py's cluster client connects over TCP only "
            "(RATELIMIT_REDIS_CLUSTER=true); use redis:// or rediss://"
        ]
    if redis.ConnectionPool.from_url(url).connection_kwargs.get("db", 0) != 0:
        return [
            "the URL names a database other than 0, but a Redis Cluster has database 0 only "
            "(RATELIMIT_REDIS_CLUSTER=true); use /0"
        ]
    return []


def _builds(url: str) -> bool:
    """Build (without connecting) the connections the cache and the limiter will open."""
    import redis

    options: dict[str, Any] = {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}
    try:
        # Django's RedisCache and the limiter (redis.Redis.from_url): a ConnectionPool.
        redis.ConnectionPool.from_url(url, **options).make_connection()
    except (TypeError, ValueError, redis.RedisError):
        # The message may quote the URL: only the fact is kept.
        return False
    return True


def _probe(scheme: str, name: str, value: str) -> str:
    location = "/redis.sock" if scheme == "unix" else "localhost:6379/0"
    return f"{scheme}://{location}?{urlencode({name: value})}"


def _named(name: str) -> str:
    return f"'{name}'" if _ARGUMENT_NAME.fullmatch(name) else "(a name with unusual characters)"
