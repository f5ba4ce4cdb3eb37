"""Precedence of the configuration sources, pair by pair."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from prodready import ConfigurationError, Profile
from prodready.settings.loader import collect_sources


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_environment_beats_profile_file(project: Path, load: Callable[..., Profile]) -> None:
    _write(project / "config_profiles/dev.env", "DB_POOL_MAX_SIZE=7\n")
    assert load(DB_POOL_MAX_SIZE="9").db_pool_max_size == 9


def test_dotenv_beats_profile_file(project: Path, load: Callable[..., Profile]) -> None:
    # .env holds local, uncommitted overrides: they win over the committed profile file.
    _write(project / "config_profiles/dev.env", "DB_POOL_MAX_SIZE=7\n")
    _write(project / ".env", "DB_POOL_MAX_SIZE=5\n")
    assert load().db_pool_max_size == 5


def test_profile_file_beats_secrets_directory(project: Path, load: Callable[..., Profile]) -> None:
    _write(project / "config_profiles/dev.env", "HEALTH_TOKEN=from-profile-file\n")
    _write(project / "secrets/HEALTH_TOKEN", "from-secrets-dir\n")
    token = load().health_token
    assert token is not None
    assert token.get_secret_value() == "from-profile-file"


def test_dotenv_beats_secrets_directory(project: Path, load: Callable[..., Profile]) -> None:
    _write(project / ".env", "HEALTH_TOKEN=from-dotenv-file\n")
    _write(project / "secrets/HEALTH_TOKEN", "from-secrets-dir\n")
    token = load().health_token
    assert token is not None
    assert token.get_secret_value() == "from-dotenv-file"


def test_secrets_directory_beats_profile_default(
    project: Path, load: Callable[..., Profile]
) -> None:
    _write(project / "secrets/SECRET_KEY", "from-secrets-dir\n")
    key = load().secret_key
    assert key is not None
    assert key.get_secret_value() == "from-secrets-dir"


def test_profile_default_beats_library_default(load: Callable[..., Profile]) -> None:
    # Library default DEBUG=false, dev profile default DEBUG=true.
    assert load().debug is True
    assert (
        load(
            APP_PROFILE="staging", SECRET_KEY="k", DATABASE_URL="sqlite:///x", ALLOWED_HOSTS="a"
        ).debug
        is False
    )


def test_library_default_applies_when_nothing_is_set(load: Callable[..., Profile]) -> None:
    assert load().db_pool_timeout == 10.0


def test_file_variable_in_environment_beats_profile_file(
    project: Path, load: Callable[..., Profile]
) -> None:
    _write(project / "config_profiles/dev.env", "HEALTH_TOKEN=from-profile-file\n")
    secret = _write(project / "run/token", "from-file-variable\n")
    token = load(HEALTH_TOKEN_FILE=str(secret)).health_token
    assert token is not None
    assert token.get_secret_value() == "from-file-variable"


def test_environment_beats_dotenv_for_app_profile(project: Path) -> None:
    _write(project / ".env", "APP_PROFILE=prod\n")
    collected = collect_sources({"APP_PROFILE": "staging"}, base_dir=project)
    assert collected.profile == "staging"


def test_app_profile_is_read_from_dotenv(project: Path) -> None:
    _write(project / ".env", "APP_PROFILE=prod\n")
    assert collect_sources({}, base_dir=project).profile == "prod"


def test_profile_file_is_chosen_by_app_profile(project: Path, load: Callable[..., Profile]) -> None:
    _write(project / "config_profiles/dev.env", "WEB_CONCURRENCY=3\n")
    _write(project / "config_profiles/staging.env", "WEB_CONCURRENCY=5\n")
    assert load().web_concurrency == 3
    staging = load(
        APP_PROFILE="staging", SECRET_KEY="k", DATABASE_URL="sqlite:///x", ALLOWED_HOSTS="a"
    )
    assert staging.web_concurrency == 5


def test_empty_value_counts_as_unset(project: Path, load: Callable[..., Profile]) -> None:
    _write(project / "config_profiles/dev.env", "DB_POOL_MAX_SIZE=7\n")
    assert load(DB_POOL_MAX_SIZE="").db_pool_max_size == 7


def test_secret_file_trailing_newline_is_dropped(
    project: Path, load: Callable[..., Profile]
) -> None:
    secret = _write(project / "run/key", "abc\n")
    key = load(SECRET_KEY_FILE=str(secret)).secret_key
    assert key is not None
    assert key.get_secret_value() == "abc"


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ({"env": {"WEB_CONCURRENCY": "3"}}, "environment"),
        ({"profile_file": "WEB_CONCURRENCY=3\n"}, "config_profiles/dev.env"),
        ({"dotenv": "WEB_CONCURRENCY=3\n"}, ".env"),
        ({"secrets_dir": True}, "secret file"),
        ({}, "default"),
    ],
    ids=["environment", "profile-file", "dotenv", "secrets-dir", "default"],
)
def test_source_of_each_value_is_reported(
    project: Path, setup: dict[str, object], expected: str
) -> None:
    if "profile_file" in setup:
        _write(project / "config_profiles/dev.env", str(setup["profile_file"]))
    if "dotenv" in setup:
        _write(project / ".env", str(setup["dotenv"]))
    if "secrets_dir" in setup:
        _write(project / "secrets/WEB_CONCURRENCY", "3\n")
    env = {"PRODREADY_SECRETS_DIR": str(project / "secrets")}
    env.update(setup.get("env", {}))  # type: ignore[call-overload]
    collected = collect_sources(env, base_dir=project)
    assert collected.values["WEB_CONCURRENCY"].source == expected


def test_name_and_file_variable_together_are_refused(
    project: Path, load: Callable[..., Profile]
) -> None:
    secret = _write(project / "run/key", "abc\n")
    with pytest.raises(ConfigurationError) as info:
        load(SECRET_KEY="direct-value", SECRET_KEY_FILE=str(secret))
    assert [str(p) for p in info.value.problems] == [
        "SECRET_KEY: both SECRET_KEY and SECRET_KEY_FILE are set in environment; keep only one."
    ]
    assert "direct-value" not in str(info.value)


def test_unreadable_secret_file_names_the_variable_and_path(
    project: Path, load: Callable[..., Profile]
) -> None:
    missing = project / "run/nope"
    with pytest.raises(ConfigurationError) as info:
        load(SECRET_KEY_FILE=str(missing))
    assert [str(p) for p in info.value.problems] == [
        f"SECRET_KEY_FILE: cannot read the secret file '{missing}' (No such file or "
        "directory); point SECRET_KEY_FILE at a readable file or set SECRET_KEY instead."
    ]


def test_secret_file_that_is_not_text_is_refused_without_its_content(
    project: Path, load: Callable[..., Profile]
) -> None:
    secret = project / "run/binary"
    secret.parent.mkdir()
    secret.write_bytes(b"\xff\xfe\x00TOPSECRETBYTES")
    with pytest.raises(ConfigurationError) as info:
        load(SECRET_KEY_FILE=str(secret))
    assert "not UTF-8 text" in str(info.value)
    assert "TOPSECRETBYTES" not in str(info.value)
