"""Issue 12's proof: the built wheel in a fresh venv, a ``startproject`` site, each point driven.

The site is what a new user makes of the README: ``startproject``'s files, the
snippet appended last (or, for the misplacement test, near the top), the
middleware and URLs the README names. Every command runs with the venv's
interpreter in a clean environment (no ``DJANGO_SETTINGS_MODULE``, no
``PYTHONPATH``), as a user's shell has it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.proxy import HangingProxy
from tests.servers import database_url, run_command, temporary_database

pytestmark = pytest.mark.integration

SNIPPET = (
    "\n# prodready, last in the file\n"
    "INSTALLED_APPS += ['prodready']\n"
    "MIDDLEWARE = ['prodready.headers.SecurityHeadersMiddleware',\n"
    "              'prodready.health.ProbeMiddleware', *MIDDLEWARE,\n"
    "              'prodready.ratelimit.RateLimitMiddleware']\n"
    "from prodready import load_profile\n"
    "profile = load_profile()\n"
    "globals().update(profile.django_settings())\n"
)
URLS = """\
from django.http import HttpResponse
from django.urls import include, path
from prodready.ratelimit import ratelimit


@ratelimit("2/minute", key="ip", methods="POST")
def vote(request):
    return HttpResponse("counted")


urlpatterns = [path("api/", include("prodready.health.urls")), path("vote/", vote)]
"""
PROD_KEY = "k3Yq-x9Lm2Pq8Rt5Vw1Zb4Nc7Df0Gh3Jk6Mn9Qr2St5Uv8Wy1Az4Bc7"


class Site:
    """A ``startproject`` site using the installed wheel."""

    def __init__(self, venv: Path, root: Path) -> None:
        self.venv = venv
        self.root = root  # holds manage.py
        self.settings = root / "mysite" / "settings.py"

    def run(self, *command: str, cwd: Path | None = None, **env: str) -> tuple[int, str, str]:
        clean = {"PATH": f"{self.venv / 'bin'}:/usr/bin:/bin", "HOME": str(self.root), **env}
        program = str(self.venv / "bin" / command[0])
        result = run_command([program, *command[1:]], clean, cwd=cwd or self.root, timeout=120)
        return result.returncode, result.stdout, result.stderr

    def manage(self, *args: str, cwd: Path | None = None, **env: str) -> tuple[int, str, str]:
        return self.run("python", str(self.root / "manage.py"), *args, cwd=cwd, **env)

    def shell(self, code: str, **env: str) -> str:
        status, out, err = self.manage("shell", "--no-imports", "-c", code, **env)
        assert status == 0, err
        return out.strip()


@pytest.fixture
def site(venv: Path, tmp_path: Path) -> Site:
    status = run_command(
        [str(venv / "bin" / "django-admin"), "startproject", "mysite"],
        {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path)},
        cwd=tmp_path,
    ).returncode
    assert status == 0
    made = Site(venv, tmp_path / "mysite")
    made.settings.write_text(made.settings.read_text() + SNIPPET)
    (made.root / "mysite" / "urls.py").write_text(URLS)
    (made.root / "config_profiles").mkdir()
    return made


@pytest.fixture
def database() -> Iterator[str]:
    with temporary_database(prefix="prodready_site") as name:
        yield database_url(name)


def test_a_snippet_near_the_top_fails_manage_py_check_naming_debug(site: Site) -> None:
    text = site.settings.read_text().replace(SNIPPET, "")
    top = text.replace(
        "from pathlib import Path\n", "from pathlib import Path\n" + SNIPPET.split("\n", 2)[2]
    )
    # The snippet's own INSTALLED_APPS/MIDDLEWARE lines need startproject's first.
    top = top.replace("INSTALLED_APPS += ['prodready']\n", "").replace(
        "INSTALLED_APPS = [\n", "INSTALLED_APPS = ['prodready',\n"
    )
    top = re.sub(r"MIDDLEWARE = \['prodready.*?RateLimitMiddleware'\]\n", "", top, flags=re.S)
    (site.root / "mysite" / "settings_top.py").write_text(top)
    status, _, err = site.manage(
        "check",
        "--settings",
        "mysite.settings_top",
        APP_PROFILE="prod",
        SECRET_KEY=PROD_KEY,
        ALLOWED_HOSTS="api.example.com",
        DATABASE_URL="postgres://u@127.0.0.1:1/x",
    )
    assert status == 1
    assert "prodready.E006" in err
    assert "DEBUG is not what the prod profile generated" in err
    assert "Put the snippet last" in err


def test_manage_py_from_another_directory_finds_config_profiles(site: Site, tmp_path: Path) -> None:
    (site.root / "config_profiles" / "dev.env").write_text("HEALTH_TIMEOUT=0.7\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = "from django.conf import settings; print(settings.PRODREADY['HEALTH']['TIMEOUT'])"
    status, out, err = site.manage("shell", "--no-imports", "-c", code, cwd=elsewhere)
    assert status == 0, err
    assert out.strip() == "0.7"
    assert not (elsewhere / "db.sqlite3").exists()


def test_dot_env_beats_the_profile_file(site: Site) -> None:
    (site.root / "config_profiles" / "dev.env").write_text("HEALTH_TIMEOUT=0.7\n")
    (site.root / ".env").write_text("HEALTH_TIMEOUT=0.6\n")
    code = "from django.conf import settings; print(settings.PRODREADY['HEALTH']['TIMEOUT'])"
    assert site.shell(code) == "0.6"


def test_typos_are_reported_by_manage_py_check(site: Site) -> None:
    (site.root / ".env").write_text("RATELIMIT_RULE=GET /api/ 5/m ip\n")
    status, out, err = site.manage("check")
    assert status == 0, err  # a warning, not an error
    assert "prodready.W003" in out + err
    assert "did you mean RATELIMIT_RULES?" in out + err


def test_startapp_demo_works(site: Site) -> None:
    status, _, err = site.manage("startapp", "demo")
    assert status == 0, err


def test_the_decorator_refuses_the_third_post(site: Site) -> None:
    code = (
        "from django.test import Client; c = Client(); "
        "print([c.post('/vote/').status_code for _ in range(3)], c.get('/vote/').status_code)"
    )
    assert site.shell(code, ALLOWED_HOSTS="testserver") == "[200, 200, 429] 200"


def test_hsts_and_the_owasp_headers_follow_the_variables(site: Site) -> None:
    # The probe: answered by ProbeMiddleware, before Django's SecurityMiddleware.
    code = (
        "from django.test import Client; r = Client().get('/api/liveness/', secure=True); "
        "import json; print(json.dumps({k: r.get(k) for k in ("
        "'Strict-Transport-Security', 'Cache-Control', 'Content-Security-Policy', "
        "'X-Content-Type-Options')}))"
    )
    prod = {
        "APP_PROFILE": "prod",
        "SECRET_KEY": PROD_KEY,
        "ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": "postgres://app@db.internal:5432/app",  # liveness does no I/O
    }
    default = json.loads(site.shell(code, **prod))
    assert default == {
        "Strict-Transport-Security": "max-age=31536000",  # no subdomains, no preload
        "Cache-Control": "no-store",
        "Content-Security-Policy": "frame-ancestors 'none'",
        "X-Content-Type-Options": "nosniff",
    }
    chosen = json.loads(
        site.shell(code, **prod, SECURE_HSTS_SECONDS="600", SECURE_HSTS_INCLUDE_SUBDOMAINS="true")
    )
    assert chosen["Strict-Transport-Security"] == "max-age=600; includeSubDomains"
    plain = (
        "from django.test import Client; "
        "print(Client().get('/api/liveness/').get('Strict-Transport-Security'))"
    )
    assert site.shell(plain, **prod) == "None"  # never over plain HTTP


def test_prodready_probe_readiness_follows_the_database(site: Site, database: str) -> None:
    env = {"DATABASE_URL": database, "DJANGO_SETTINGS_MODULE": "mysite.settings"}
    status, _, err = site.manage("migrate", "-v", "0", **env)
    assert status == 0, err
    status, out, err = site.run("prodready", "probe", "readiness", **env)
    assert status == 0, out + err
    with HangingProxy(None) as hung:  # accepts connections, never answers
        down = database.replace("127.0.0.1:5432", f"127.0.0.1:{hung.port}")
        status, out, err = site.run(
            "prodready", "probe", "readiness", **{**env, "DATABASE_URL": down}
        )
    assert status == 1, out + err
    assert "Traceback" not in err


def test_check_deploy_is_clean_in_prod(site: Site) -> None:
    status, out, err = site.manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        APP_PROFILE="prod",
        SECRET_KEY=PROD_KEY,
        ALLOWED_HOSTS="api.example.com",
        DATABASE_URL="postgres://app@db.internal:5432/app",
        EMAIL_URL="smtp+tls://mailer@smtp.example.com:587",
    )
    assert status == 0, out + err
    assert "System check identified no issues" in out


def test_a_profile_subclass_shows_in_prodready_config(site: Site) -> None:
    (site.root / "mysite" / "profile.py").write_text(
        "from prodready import Profile, variable\n\n"
        "class SiteProfile(Profile):\n"
        "    shop_page_size: int = variable('Items per page.', 'a number from 1 to 100', '20',"
        " 20, ge=1, le=100)\n"
    )
    (site.root / ".env").write_text("SHOP_PAGE_SIZE=30\n")
    status, out, err = site.run(
        "prodready", "config", "--json", PRODREADY_PROFILE_MODEL="mysite.profile.SiteProfile"
    )
    assert status == 0, err
    assert json.loads(out)["values"]["SHOP_PAGE_SIZE"] == {"value": "30", "source": ".env"}
