"""The README and .env.example stay true to the code."""

from __future__ import annotations

import re

from prodready.settings.profiles import variable_names
from prodready.settings.reference import BEGIN, END, reference_markdown
from tests.servers import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_reference_table_matches_the_profile_model() -> None:
    start, end = README.index(BEGIN), README.index(END) + len(END)
    assert README[start:end] + "\n" == reference_markdown(), (
        "README's reference drifted: regenerate it with `uv run prodready reference`."
    )


def test_readme_gives_the_two_set_up_commands_exactly() -> None:
    blocks = re.findall(r"```sh\n(.*?)```", README, flags=re.DOTALL)
    assert "uv run prodready demo\n" in blocks
    assert "uv run pytest\n" in blocks


def test_env_example_documents_every_variable() -> None:
    example = (REPO / ".env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^#? ?([A-Z0-9_]+)=", example, flags=re.MULTILINE))
    assert set(variable_names()) <= documented


def test_profile_files_hold_no_secrets() -> None:
    for path in (REPO / "config_profiles").glob("*.env"):
        names = set(re.findall(r"^([A-Z0-9_]+)=", path.read_text(encoding="utf-8"), re.MULTILINE))
        assert not names & {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "HEALTH_TOKEN"}, path
