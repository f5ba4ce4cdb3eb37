"""Variables that look like prodready's but are not are reported, with a suggestion."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from prodready.settings.profiles import Profile


def test_misspelt_variables_in_the_environment_are_warned_about(
    load: Callable[..., Profile],
) -> None:
    profile = load(RATELIMIT_RULE="GET /api/ 5/m ip", DB_POOL_MAX_SIZ="9", DB_HOST="other-app")
    assert profile.warnings == (
        "DB_POOL_MAX_SIZ: is not a variable prodready reads (set in environment); "
        "did you mean DB_POOL_MAX_SIZE?",
        "RATELIMIT_RULE: is not a variable prodready reads (set in environment); "
        "did you mean RATELIMIT_RULES?",
    )  # DB_HOST is another program's: neither close to a name nor of a prodready prefix
    assert profile.ratelimit_rules == ""  # the misspelt value is not taken


def test_every_unknown_name_in_the_profiles_files_is_warned_about(
    project: Path, load: Callable[..., Profile]
) -> None:
    (project / "token").write_text("a-health-token-of-some-length\n")
    (project / ".env").write_text(f"LOG_LEVEL=debug\nHEALTH_TOKEN_FILE={project / 'token'}\n")
    (project / "config_profiles").mkdir(exist_ok=True)
    (project / "config_profiles" / "dev.env").write_text("HEALTH_TIMOUT=2\n")
    warnings = load().warnings
    assert warnings == (
        "LOG_LEVEL: is not a variable prodready reads (set in .env); see prodready reference.",
        "HEALTH_TIMOUT: is not a variable prodready reads (set in config_profiles/dev.env); "
        "did you mean HEALTH_TIMEOUT?",
    )


def test_known_names_and_their_file_variants_are_not_warned_about(
    load: Callable[..., Profile],
) -> None:
    assert load(DB_POOL_MAX_SIZE="5", APP_PROFILE="dev", PRODREADY_BASE_DIR="").warnings == ()
