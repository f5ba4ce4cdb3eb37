"""The prodready command, run as operators run it: a separate process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import REPO, base_env, run_command
from tests.settings.conftest import PROD_KEY, prod_env


def _prodready(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_command([sys.executable, "-m", "prodready.cli", *args], base_env(**env))


def _prod(**overrides: str) -> dict[str, str]:
    given = {
        "DATABASE_URL": "postgres://dbadmin-user:s3cret-pw@db.internal:5432/appdb",
        "REDIS_URL": "redis://:r3dis-pw@db.internal:6379/0",
        "HEALTH_TOKEN": "tok-3n-Zq8xW2pLm4",
        # The repository's own profile files, as an operator's checkout has them.
        "PRODREADY_BASE_DIR": str(REPO),
    }
    return prod_env(**{**given, **overrides})


def test_config_shows_sources_and_masks_secrets() -> None:
    result = _prodready("config", **_prod(DB_POOL_MAX_SIZE="3"))
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines()[1:] if line.strip()}
    assert lines["DB_POOL_MAX_SIZE"].split() == ["DB_POOL_MAX_SIZE", "3", "[environment]"]
    assert lines["WEB_CONCURRENCY"].split() == [
        "WEB_CONCURRENCY",
        "2",
        "[config_profiles/prod.env]",
    ]
    assert lines["DB_POOL_TIMEOUT"].split()[-1] == "[config_profiles/prod.env]"
    assert lines["HEALTH_CACHE_SECONDS"].split()[-1] == "[default]"
    assert lines["DATABASE_URL"].split()[1] == "postgres://dbadmin-user:***@db.internal:5432/appdb"
    assert lines["REDIS_URL"].split()[1] == "redis://:***@db.internal:6379/0"
    assert lines["SECRET_KEY"].split()[1:] == [
        "***",
        f"({len(PROD_KEY)}",
        "characters)",
        "[environment]",
    ]
    for secret in ("s3cret-pw", PROD_KEY, "r3dis-pw", "tok-3n-Zq8xW2pLm4"):
        assert secret not in result.stdout + result.stderr


def test_config_json_masks_secrets() -> None:
    result = _prodready("config", "--json", **_prod())
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["profile"] == "prod"
    assert data["values"]["DB_POOL_MAX_SIZE"] == {
        "value": "4",
        "source": "config_profiles/prod.env",
    }
    for secret in ("s3cret-pw", PROD_KEY, "r3dis-pw", "tok-3n-Zq8xW2pLm4"):
        assert secret not in result.stdout


def test_config_reads_secret_files(tmp_path: Path) -> None:
    secret = tmp_path / "key"
    secret.write_text(PROD_KEY + "\n", encoding="utf-8")
    env = _prod(SECRET_KEY="", SECRET_KEY_FILE=str(secret))
    result = _prodready("config", **env)
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if "SECRET_KEY" in line)
    assert line.split("[")[-1] == "secret file (SECRET_KEY_FILE, environment)]"
    assert PROD_KEY not in result.stdout


@pytest.mark.parametrize("command", ["check", "config", "demo"], ids=["check", "config", "demo"])
def test_bad_configuration_exits_1_with_one_line_per_problem(command: str) -> None:
    env = _prod(DB_POOL_MAX_SIZE="lots", DEBUG="true", SECRET_KEY="tok-3n-Zq8xW2pLm4")
    result = _prodready(command, **env)
    assert result.returncode == 1
    problems = [line for line in result.stderr.splitlines() if line.startswith("  - ")]
    assert [p.split(":")[0] for p in problems] == [
        "  - DB_POOL_MAX_SIZE",
        "  - SECRET_KEY",
        "  - DEBUG",
    ]
    assert "Traceback" not in result.stderr
    # config shows hosts and users (an operator needs them), never a password or key.
    for secret in ("s3cret-pw", PROD_KEY, "r3dis-pw", "tok-3n-Zq8xW2pLm4"):
        assert secret not in result.stdout + result.stderr
    if command != "config":
        for secret in ("db.internal", "dbadmin-user"):
            assert secret not in result.stdout + result.stderr


def test_unknown_profile_exits_1_without_traceback() -> None:
    result = _prodready("check", APP_PROFILE="qa")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "  - APP_PROFILE: unknown profile 'qa'; expected one of dev, staging, prod."
    )
    assert "Traceback" not in result.stderr


def test_django_refuses_to_start_on_bad_configuration() -> None:
    # settings.py raises ConfigurationError: a clean exit 1, nothing started.
    result = subprocess.run(
        [sys.executable, "-m", "django", "check"],
        env=base_env(DJANGO_SETTINGS_MODULE="demo.settings", **_prod(DEBUG="true")),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=REPO,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "prodready: the prod configuration has 1 problem:",
        "  - DEBUG: is true, which the prod profile refuses; set DEBUG=false.",
    ]


def test_complete_prod_profile_passes_check_deploy_with_no_issues() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "DEBUG"],
        env=base_env(DJANGO_SETTINGS_MODULE="demo.settings", **_prod()),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (2 silenced)."


def test_check_runs_django_deploy_checks_for_prod() -> None:
    result = _prodready("check", DJANGO_SETTINGS_MODULE="demo.settings", **_prod())
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        "prodready: the prod configuration is valid.",
        "System check identified no issues (2 silenced).",
    ]


def test_check_fails_on_a_deploy_warning() -> None:
    env = _prod(SECURE_SSL_REDIRECT="false")
    result = _prodready("check", DJANGO_SETTINGS_MODULE="demo.settings", **env)
    assert result.returncode == 1
    assert "security.W008" in result.stderr


def test_config_and_check_say_the_statement_timeout_is_not_sent_through_pgbouncer() -> None:
    env = _prod(DB_POOL_MODE="pgbouncer")
    shown = json.loads(_prodready("config", "--json", **env).stdout)
    assert shown["values"]["DB_STATEMENT_TIMEOUT"]["value"] == "30000"
    assert "not sent to the server in pgbouncer mode" in shown["notes"]["DB_STATEMENT_TIMEOUT"]
    checked = _prodready("check", **env)
    assert "note: DB_STATEMENT_TIMEOUT: not sent to the server" in checked.stdout
    native = json.loads(_prodready("config", "--json", **_prod()).stdout)
    assert native["notes"] == {}


def test_hsts_variables_set_in_dev_are_said_to_apply_only_in_staging_and_prod() -> None:
    shown = json.loads(_prodready("config", "--json", SECURE_HSTS_SECONDS="600").stdout)
    assert shown["profile"] == "dev"
    assert "not used in the dev profile" in shown["notes"]["SECURE_HSTS_SECONDS"]
    checked = _prodready("check", SECURE_HSTS_PRELOAD="true")
    assert "note: SECURE_HSTS_PRELOAD: not used in the dev profile" in checked.stdout
    assert json.loads(_prodready("config", "--json").stdout)["notes"] == {}


def test_version() -> None:
    result = _prodready("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == "prodready 0.1.0"


def test_a_closed_pipe_ends_quietly() -> None:
    # prodready reference | head -c 10
    process = subprocess.Popen(
        [sys.executable, "-m", "prodready.cli", "reference"],
        env=base_env(),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    process.stdout.read(10)
    process.stdout.close()
    with process.stderr:
        errors = process.stderr.read().decode()
    process.wait(timeout=60)
    assert "Traceback" not in errors
    assert "BrokenPipeError" not in errors


def test_check_imports_the_project_in_the_current_directory(tmp_path: Path) -> None:
    # As manage.py does: DJANGO_SETTINGS_MODULE=mysite.settings, no PYTHONPATH.
    (tmp_path / "mysite").mkdir()
    (tmp_path / "mysite" / "__init__.py").write_text("")
    (tmp_path / "mysite" / "settings.py").write_text(
        "from prodready import load_profile\n"
        "globals().update(load_profile().django_settings())\n"
        "INSTALLED_APPS = ['prodready']\n"
    )
    env = base_env(DJANGO_SETTINGS_MODULE="mysite.settings", PRODREADY_BASE_DIR=str(tmp_path))
    env.pop("PYTHONPATH")
    result = run_command([sys.executable, "-m", "prodready.cli", "check"], env, cwd=tmp_path)
    assert "ModuleNotFoundError" not in result.stderr
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


STARTPROJECT_LINES = (
    "BASE_DIR = Path(__file__).resolve().parent.parent\n"
    "SECRET_KEY = 'django-insecure-0123456789abcdefghijklmnopqrstuvwxyz'\n"
    "DEBUG = True\n"
    "ALLOWED_HOSTS = []\n"
    "DATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3', "
    "'NAME': BASE_DIR / 'db.sqlite3'}}\n"
)
SNIPPET = "from prodready import load_profile\nglobals().update(load_profile().django_settings())\n"


@pytest.mark.parametrize(("snippet_last", "status"), [(False, 1), (True, 0)])
def test_a_snippet_above_startprojects_lines_fails_the_check(
    tmp_path: Path, snippet_last: bool, status: int
) -> None:
    (tmp_path / "mysite").mkdir()
    (tmp_path / "mysite" / "__init__.py").write_text("")
    body = STARTPROJECT_LINES + SNIPPET if snippet_last else SNIPPET + STARTPROJECT_LINES
    (tmp_path / "mysite" / "settings.py").write_text(
        "from pathlib import Path\n" + body + "INSTALLED_APPS = ['prodready']\n"
    )
    env = base_env(
        **_prod(PRODREADY_BASE_DIR=str(tmp_path)), DJANGO_SETTINGS_MODULE="mysite.settings"
    )
    env["PYTHONPATH"] = str(tmp_path)
    result = run_command([sys.executable, "-m", "django", "check"], env, cwd=tmp_path)
    assert result.returncode == status, result.stdout + result.stderr
    if not snippet_last:
        for name in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASES"):
            assert f"(prodready.E006) {name} is not what the prod profile generated" in (
                result.stderr
            )
        assert "django-insecure" not in result.stderr


@pytest.mark.parametrize("base_dir_set", [True, False], ids=["BASE_DIR", "manage.py"])
def test_the_profile_files_are_found_from_the_project_not_the_working_directory(
    tmp_path: Path, base_dir_set: bool
) -> None:
    project = tmp_path / "project"
    (project / "mysite").mkdir(parents=True)
    (project / "manage.py").write_text("")
    (project / "mysite" / "__init__.py").write_text("")
    (project / "config_profiles").mkdir()
    (project / "config_profiles" / "dev.env").write_text("WEB_CONCURRENCY=3\n")
    base = "BASE_DIR = Path(__file__).resolve().parent.parent\n" if base_dir_set else ""
    (project / "mysite" / "settings.py").write_text(
        f"from pathlib import Path\n{base}{SNIPPET}INSTALLED_APPS = ['prodready']\n"
    )
    env = base_env(DJANGO_SETTINGS_MODULE="mysite.settings")
    env.pop("PRODREADY_BASE_DIR")
    env["PYTHONPATH"] = str(project)
    elsewhere = tmp_path / "elsewhere"  # cron, a Job with another workingDir, an IDE
    elsewhere.mkdir()
    code = "import django; django.setup(); from prodready.conf import get_conf; "
    result = run_command(
        [sys.executable, "-c", code + "print(get_conf().web_concurrency)"], env, cwd=elsewhere
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "3"
