"""DEBUG error pages and admin e-mails show no password or token, even in traceback frames.

The demo runs in a child process (dev profile, ``DEBUG=true``) with its
database and Redis down: psycopg's frames hold ``conn_params`` with the
password, and a view's frame holds prodready's runtime configuration.
"""

from __future__ import annotations

import textwrap

from tests.servers import base_env, free_cluster_port, run_python

DB_PASSWORD = "pg-Secret-771"
REDIS_PASSWORD = "rd-Secret-992"
TOKEN = "health-token-secret-5521"

CHILD = textwrap.dedent(
    """
    import json, logging
    import django
    django.setup()
    from django.core import mail
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import path
    from django.utils.log import AdminEmailHandler
    import demo.urls
    from prodready.conf import get_conf

    def holds_the_configuration(request):
        conf = get_conf()  # a local variable of the failing frame
        raise RuntimeError("the view failed")

    demo.urls.urlpatterns.append(path("boom/", holds_the_configuration))
    setup_test_environment()  # e-mail to mail.outbox
    from django.conf import settings
    settings.ADMINS = ["ops@example.com"]
    handler = AdminEmailHandler(include_html=True)
    logging.getLogger("django.request").addHandler(handler)
    client = Client(raise_request_exception=False)
    pages = [client.get(p, HTTP_HOST="localhost") for p in ("/api/items/", "/boom/")]
    print(json.dumps({
        "status": [p.status_code for p in pages],
        "pages": [p.content.decode() for p in pages],
        "mails": [m.body + "".join(a[0] for a in m.alternatives) for m in mail.outbox],
        "subjects": [m.subject for m in mail.outbox],
    }))
    """
)


def test_debug_pages_and_admin_emails_hide_passwords_and_tokens() -> None:
    db_port, redis_port = free_cluster_port(), free_cluster_port()
    env = base_env(
        DJANGO_SETTINGS_MODULE="demo.settings",
        APP_PROFILE="dev",
        DEBUG="true",
        DATABASE_URL=f"postgres://app:{DB_PASSWORD}@127.0.0.1:{db_port}/demo",
        REDIS_URL=f"redis://:{REDIS_PASSWORD}@127.0.0.1:{redis_port}/0",
        HEALTH_TOKEN=TOKEN,
        DB_POOL_MODE="off",  # Django connects in the request: conn_params in its frames
        DB_CONNECT_TIMEOUT="2",
    )
    out = run_python(CHILD, env, timeout=120)
    assert out["status"] == [500, 500]
    pages = out["pages"]
    mails = out["mails"]
    assert isinstance(pages, list)
    assert isinstance(mails, list)
    assert len(mails) == 2
    assert "OperationalError" in pages[0]  # the database failure, with its frames
    assert "conn_params" in pages[0]
    assert "RuntimeError" in pages[1]
    assert "conf" in pages[1]
    for text in [*pages, *mails, *out["subjects"]]:  # type: ignore[misc]
        for secret in (DB_PASSWORD, REDIS_PASSWORD, TOKEN):
            assert secret not in text
