"""Fixtures for profile tests: a project folder of the test's own."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from prodready import Profile, load_profile

PROD_KEY = "k3Yq-" + "x9Lm2Pq8Rt5Vw1Zb4Nc7Df0Gh3Jk6Mn9Qr2St5Uv8Wy1Az4Bc7"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Return an empty project directory (no .env, no config_profiles)."""
    (tmp_path / "config_profiles").mkdir()
    return tmp_path


@pytest.fixture
def load(project: Path) -> Callable[..., Profile]:
    """Load a profile from the given variables, reading files only from ``project``."""

    def _load(**env: str) -> Profile:
        env.setdefault("PRODREADY_SECRETS_DIR", str(project / "secrets"))
        return load_profile(env, base_dir=project)

    return _load


def prod_env(**overrides: str) -> dict[str, str]:
    """Return a complete, valid prod environment with ``overrides`` applied."""
    env = {
        "APP_PROFILE": "prod",
        "SECRET_KEY": PROD_KEY,
        "ALLOWED_HOSTS": "api.example.com",
        "DATABASE_URL": "postgres://app:s3cret-pw@db.internal:5432/appdb",
    }
    env.update(overrides)
    return env
