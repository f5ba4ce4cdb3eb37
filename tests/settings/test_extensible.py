"""A Profile subclass: the project's variables get prodready's sources, errors, masking, config.

The model is tests.settings.shop.ShopProfile; ``load_profile(model=...)`` in
settings.py and ``prodready config --profile-model`` (or
``PRODREADY_PROFILE_MODEL``) for the command line.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from prodready import ConfigurationError, load_profile
from prodready.masking import mask
from tests.servers import base_env, run_command
from tests.settings.shop import ShopProfile

PAYMENT_KEY = "sk_live_Zq8xW2pLm4Tn7Rb"


def _load(project: Path, **env: str) -> ShopProfile:
    env.setdefault("PRODREADY_SECRETS_DIR", str(project / "secrets"))
    return load_profile(env, base_dir=project, model=ShopProfile)


def test_the_projects_variables_are_typed_with_defaults_and_prodreadys_still_work(
    project: Path,
) -> None:
    profile = _load(project, SHOP_PAGE_SIZE="50", SHOP_PAYMENT_KEY=PAYMENT_KEY)
    assert isinstance(profile, ShopProfile)
    assert profile.shop_page_size == 50
    assert profile.shop_payment_key is not None
    assert profile.shop_payment_key.get_secret_value() == PAYMENT_KEY
    assert _load(project).shop_page_size == 20  # the declared default
    assert profile.django_settings()["DEBUG"] is True  # prodready's dev profile as before


def test_the_same_sources_in_the_same_order(project: Path) -> None:
    (project / "config_profiles" / "dev.env").write_text("SHOP_PAGE_SIZE=30\n")
    assert _load(project).shop_page_size == 30
    (project / ".env").write_text("SHOP_PAGE_SIZE=40\n")
    assert _load(project).shop_page_size == 40  # .env beats the profile file
    assert _load(project, SHOP_PAGE_SIZE="45").shop_page_size == 45  # the environment beats both
    (project / "secrets").mkdir()
    (project / "secrets" / "shop_payment_key").write_text(PAYMENT_KEY)
    key = _load(project).shop_payment_key
    assert key is not None
    assert key.get_secret_value() == PAYMENT_KEY


def test_a_bad_value_is_one_line_naming_the_variable_and_its_form(project: Path) -> None:
    with pytest.raises(ConfigurationError) as info:
        _load(project, SHOP_PAGE_SIZE="0", SHOP_PAYMENT_KEY=PAYMENT_KEY, DB_POOL_MAX_SIZE="x")
    text = info.value.render()
    assert "SHOP_PAGE_SIZE: '0' (from environment) is not valid; expected a whole number" in text
    assert "SHOP_PAGE_SIZE=20" in text  # the example
    assert "DB_POOL_MAX_SIZE" in text  # prodready's own problems in the same pass
    assert PAYMENT_KEY not in text
    assert mask(f"payment failed with {PAYMENT_KEY}") == "payment failed with ***"


def test_a_misspelt_project_variable_is_a_warning_with_a_suggestion(project: Path) -> None:
    (project / ".env").write_text("SHOP_PAGE_SIZ=30\n")
    assert _load(project).warnings == (
        "SHOP_PAGE_SIZ: is not a variable prodready reads (set in .env); "
        "did you mean SHOP_PAGE_SIZE?",
    )


@pytest.mark.parametrize("how", ["option", "variable"])
def test_config_shows_the_projects_variables_with_provenance_and_masks(
    project: Path, how: str
) -> None:
    (project / "config_profiles" / "dev.env").write_text(f"SHOP_PAYMENT_KEY={PAYMENT_KEY}\n")
    env = base_env(PRODREADY_BASE_DIR=str(project), SHOP_PAGE_SIZE="25")
    command = [sys.executable, "-m", "prodready.cli", "config", "--json"]
    if how == "option":
        command += ["--profile-model", "tests.settings.shop.ShopProfile"]
    else:
        env["PRODREADY_PROFILE_MODEL"] = "tests.settings.shop.ShopProfile"
    result = run_command(command, env)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)["values"]
    assert values["SHOP_PAGE_SIZE"] == {"value": "25", "source": "environment"}
    assert values["SHOP_PAYMENT_KEY"]["source"] == "config_profiles/dev.env"
    assert PAYMENT_KEY not in result.stdout
    assert values["SHOP_PAYMENT_KEY"]["value"] == f"*** ({len(PAYMENT_KEY)} characters)"


def test_reference_lists_the_projects_variables() -> None:
    env = base_env(PRODREADY_PROFILE_MODEL="tests.settings.shop.ShopProfile")
    result = run_command([sys.executable, "-m", "prodready.cli", "reference"], env)
    assert result.returncode == 0, result.stderr
    assert "| `SHOP_PAGE_SIZE` | `20` | `20` | `20` | Items per catalogue page. |" in result.stdout


@pytest.mark.parametrize(
    ("path", "said"),
    [
        ("tests.settings.shop.NoSuchProfile", "could not be imported"),
        ("tests.settings.shop.variable", "is not a subclass of prodready.Profile"),
    ],
)
def test_a_bad_model_path_is_one_line_and_status_2(path: str, said: str) -> None:
    result = run_command(
        [sys.executable, "-m", "prodready.cli", "check", "--profile-model", path], base_env()
    )
    assert result.returncode == 2
    assert said in result.stderr
    assert "Traceback" not in result.stderr
