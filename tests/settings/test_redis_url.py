"""REDIS_URL: refused when redis-py or Django would read it otherwise, never quoted back."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import redis
from django.core.cache.backends.redis import RedisCache

from prodready import ConfigurationError, Profile
from prodready.settings.redis_url import redis_url_problems
from tests.settings.conftest import prod_env

# Pieces of user names, passwords and hosts that no message may contain.
SECRET = "Zq9sEcret"
HOST = "cache.internal"
HIDDEN = (SECRET, "Zq9", "sEcret", "us3r", HOST, "internal")
ENCODING = "percent-encode reserved characters in the user name and password (%2F for /"

REFUSED = [
    (f"redis://:{SECRET}/x@{HOST}:6379/0", "a raw '/' or '?' in the password cut it short"),
    (f"redis://:Zq9/{SECRET}@{HOST}:6379/0", "a raw '/' or '?' in the password cut it short"),
    (f"redis://:12/{SECRET}@{HOST}:6379/0", "a raw '/' or '?' in the password cut it short"),
    (f"redis://us3r:{SECRET}?x@{HOST}/0", "a raw '/' or '?' in the password cut it short"),
    (f"redis://:{SECRET}#x@{HOST}:6379/0", "a raw '#', which ends a URL"),
    (f"redis://:{SECRET} x@{HOST}:6379/0", "a space or a control character"),
    (f"redis://:{SECRET}\tx@{HOST}:6379/0", "a space or a control character"),
    (f"redis://:{SECRET},x@{HOST}:6379/0", "Django's RedisCache reads as a list of servers"),
    (f"redis://:{SECRET};x@{HOST}:6379/0", "Django's RedisCache reads as a list of servers"),
    (f"redis://:{SECRET}%zz@{HOST}:6379/0", "a '%' that does not start a %XX escape"),
    (f"redis://:{SECRET}@[{HOST}:6379/0", "urllib cannot split it"),
]


@pytest.mark.parametrize(
    ("url", "reason"),
    REFUSED,
    ids=[
        "slash-in-password",
        "slash-cuts-into-no-host",
        "slash-after-digits",
        "question-mark",
        "hash",
        "space",
        "tab",
        "comma",
        "semicolon",
        "stray-percent",
        "open-bracket",
    ],
)
def test_a_url_that_does_not_parse_is_refused_with_the_encoding_rule(
    url: str, reason: str, load: Callable[..., Profile]
) -> None:
    with pytest.raises(ConfigurationError) as info:
        load(**prod_env(REDIS_URL=url))
    assert len(info.value.problems) == 1
    message = str(info.value.problems[0])
    assert message.startswith("REDIS_URL: the URL does not parse: ")
    assert reason in message
    assert ENCODING in message
    assert "\n" not in message
    for hidden in HIDDEN:
        assert hidden not in str(info.value)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (f"REDIS://:{SECRET}@{HOST}/0", "the scheme 'REDIS' must be written in lower case"),
        (f"{SECRET}:pw@{HOST}:6379", "the URL has no scheme; expected redis://"),
        (f"http://:{SECRET}@{HOST}/0", "the URL has 'http'; expected redis://"),
        (f"redis://:{SECRET}@:6379/0", "the URL names no host; expected"),
        (f"redis://:{SECRET}@{HOST}:0/0", "the URL's port is not a whole number from 1 to 65535"),
        (f"redis://:{SECRET}@{HOST}:65536/0", "the URL's port is not a whole number from 1 to"),
        (f"redis://:{SECRET}@{HOST}:port/0", "the URL's port is not a whole number from 1 to"),
        (f"redis://:{SECRET}@{HOST}:6379/{SECRET}", "the URL's path is not a database number"),
        (f"redis://:{SECRET}@{HOST}:6379/-1", "the URL's path is not a database number"),
        (f"redis://:{SECRET}@{HOST}:6379/0/1", "the URL's path is not a database number"),
        (f"unix://:{SECRET}@{HOST}/redis.sock", "a unix:// URL takes no host; write unix://"),
        (f"unix://:{SECRET}@", "the unix:// URL names no socket path"),
        (f"redis://:{SECRET}@{HOST}/0?fo_o=1", "the query argument 'fo_o' is not one redis-py"),
        (f"redis://:{SECRET}@{HOST}/0?db=x", "the query argument 'db' is not one redis-py"),
        (f"redis://:{SECRET}@{HOST}/0?timeout=1", "the query argument 'timeout' is not one"),
        (f"redis://:{SECRET}@{HOST}/0?{SECRET}=1", "the query argument (a name with unusual"),
    ],
    ids=[
        "upper-case-scheme",
        "no-scheme-is-not-quoted",
        "http",
        "no-host",
        "port-0",
        "port-too-large",
        "port-word",
        "db-word",
        "db-negative",
        "db-two-parts",
        "unix-with-host",
        "unix-without-path",
        "unknown-argument",
        "db-argument-not-a-number",
        "pool-argument-the-sync-client-refuses",
        "odd-argument-name-not-quoted",
    ],
)
def test_each_problem_is_one_line_naming_redis_url(
    url: str, message: str, load: Callable[..., Profile]
) -> None:
    with pytest.raises(ConfigurationError) as info:
        load(**prod_env(REDIS_URL=url))
    assert [p.variable for p in info.value.problems] == ["REDIS_URL"]
    assert str(info.value.problems[0]).startswith(f"REDIS_URL: {message}")
    for hidden in HIDDEN:
        assert hidden not in str(info.value)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (f"redis://:{SECRET}@{HOST}:6379/1", "names a database other than 0"),
        (f"unix://:{SECRET}@/run/redis.sock", "names a unix socket"),
    ],
    ids=["database-1", "unix-socket"],
)
def test_a_cluster_url_names_a_tcp_node_and_database_0(
    url: str, message: str, load: Callable[..., Profile]
) -> None:
    load(**prod_env(REDIS_URL=url))  # fine for a single server
    with pytest.raises(ConfigurationError) as info:
        load(**prod_env(REDIS_URL=url, RATELIMIT_REDIS_CLUSTER="true"))
    assert [p.variable for p in info.value.problems] == ["REDIS_URL"]
    assert str(info.value.problems[0]).startswith(f"REDIS_URL: the URL {message}, but ")
    assert "RATELIMIT_REDIS_CLUSTER=true" in str(info.value.problems[0])
    for hidden in HIDDEN:
        assert hidden not in str(info.value)


# Raw '@' and ':' in a password happen to parse: urllib splits the user
# information at the last '@' and the password at the first ':'.
ACCEPTED = [
    ("redis://127.0.0.1:6379/0", None, "127.0.0.1", 0),
    ("redis://127.0.0.1", None, "127.0.0.1", None),
    ("redis://127.0.0.1:6379/", None, "127.0.0.1", None),
    (f"redis://:{SECRET}@{HOST}:6379/3", SECRET, HOST, 3),
    (f"redis://:p@ss@{HOST}:6379/0", "p@ss", HOST, 0),
    (f"redis://:pa:ss@{HOST}:6379/0", "pa:ss", HOST, 0),
    (f"redis://us3r:pa:ss@{HOST}:6379/0", "pa:ss", HOST, 0),
    (f"redis://:p%2Fw%40x%3Ay%23z%20q%25%2C@{HOST}:6379/0", "p/w@x:y#z q%,", HOST, 0),
    (f"rediss://:{SECRET}@{HOST}:6380/0?ssl_cert_reqs=none", SECRET, HOST, 0),
    ("redis://[::1]:6379/0?db=2&socket_keepalive=true", None, "::1", 2),
    (f"unix://:{SECRET}@/run/redis/redis.sock?db=1", SECRET, None, 1),
]


@pytest.mark.parametrize(
    ("url", "password", "host", "db"),
    ACCEPTED,
    ids=[
        "plain",
        "no-port-no-db",
        "empty-db",
        "password",
        "raw-at-sign",
        "raw-colon",
        "user-and-raw-colon",
        "percent-encoded",
        "rediss-with-argument",
        "ipv6-with-arguments",
        "unix-socket",
    ],
)
def test_an_accepted_url_reads_the_same_in_redis_py_and_django(
    url: str, password: str | None, host: str | None, db: int | None
) -> None:
    assert redis_url_problems(url) == []
    # Django's RedisCache splits LOCATION into servers at ',' and ';'.
    assert RedisCache(url, {})._servers == [url]
    kwargs = redis.ConnectionPool.from_url(url).connection_kwargs
    assert (kwargs.get("password"), kwargs.get("host"), kwargs.get("db")) == (password, host, db)


def test_an_accepted_url_loads(load: Callable[..., Profile]) -> None:
    profile = load(**prod_env(REDIS_URL=f"redis://:p@ss@{HOST}:6379/0"))
    assert profile.django_settings()["CACHES"]["default"]["LOCATION"].endswith("/0")
