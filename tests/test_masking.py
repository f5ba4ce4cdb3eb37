"""One masking function: passwords however written, secret query arguments, known values."""

from __future__ import annotations

import pytest

from prodready.masking import mask, mask_url, url_passwords


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgres://app:Xk9/Tq2vLm@db:5432/app", "postgres://app:***@db:5432/app"),
        ("postgres://u:Leaky@Pw:_42@h/db", "postgres://u:***@h/db"),
        ("redis://:a#b:c?d@h:6379/0", "redis://:***@h:6379/0"),
        (
            "postgres://u@h/db?sslmode=require&sslpassword=hunter22&sslkey=/k.pem",
            "postgres://u@h/db?sslmode=require&sslpassword=***&sslkey=***",
        ),
        ("error at postgres://u:p@h/db, retrying", "error at postgres://u:***@h/db, retrying"),
        ("{'password': 'xx1', 'host': 'h'}", "{'password': '***', 'host': 'h'}"),
        ("Conf(health_token='tok-long-1')", "Conf(health_token='***')"),
        ("SECRET_KEY=abcdef rest", "SECRET_KEY=*** rest"),
        ("HEALTH_TOKEN: is too short", "HEALTH_TOKEN: is too short"),
    ],
)
def test_mask_hides_passwords_however_they_are_written(text: str, expected: str) -> None:
    assert mask(text) == expected


def test_known_secrets_are_masked_as_written_decoded_and_escaped() -> None:
    secret = "p&w/x y"
    text = f"raw {secret}, encoded p%26w%2Fx%20y, html p&amp;w/x y"
    assert mask(text, [secret]) == "raw ***, encoded ***, html ***"


def test_a_value_without_a_scheme_is_not_shown_at_all() -> None:
    assert mask_url("user:secret@host") == "*** (16 characters)"


def test_a_password_with_a_space_is_masked_in_a_whole_url() -> None:
    assert mask_url("postgres://u:p w@h/d") == "postgres://u:***@h/d"
    assert "p w" in url_passwords("postgres://u:p w@h/d")
